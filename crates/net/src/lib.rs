//! nocwatch's SNMP transport: tokio sockets driving the sans-IO core.
//!
//! [`Client`] multiplexes any number of requests over one UDP socket: a single driver
//! task owns the socket and a [`nocwatch_snmp::RequestTracker`], matches replies by
//! request-id and runs the retry timers; callers just `await`. [`walk()`] implements
//! `walk` and `bulkwalk` with net-snmp's end-of-walk rules, over either client
//! ([`Transport`]); [`BlockingClient`] serves one-request-at-a-time tools with two
//! syscalls per round trip. [`Poller`] is the engine for polling thousands of
//! targets at once: sharded sockets, batched system calls, per-target and per-group
//! limits, adaptive GetBulk (see its module docs).
//!
//! Protocol logic stays in `nocwatch-snmp`; this crate only moves bytes and time.

#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod address;
mod blocking;
mod client;
mod engine_store;
mod error;
pub mod listener;
mod poller;
mod transport;
mod walk;

pub use address::{SNMP_PORT, resolve_agent};
pub use blocking::BlockingClient;
pub use client::{Client, ClientConfig, Reply, RequestSpec};
pub use engine_store::{EngineStore, EngineStoreError, new_engine_id};
pub use error::NetError;
pub use listener::{Datagram, ListenSocket, Listener, ListenerConfig, RecvBuffers, SocketStats};
pub use poller::{
    Credentials, Cycle, CycleSummary, EngineCounters, GroupLimit, GroupStats, Poller, PollerConfig,
    PollerStats, StateSizes, TargetConfig, TargetId, TargetReport, WalkReport,
};
pub use transport::Transport;
pub use walk::{MALFORMED_IN_A_ROW, WalkEnd, WalkOptions, WalkSummary, agent_error, walk};
