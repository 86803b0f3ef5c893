//! nocwatch-traps: everything between "a datagram arrived from address A at time T"
//! and "a classified event left to the sinks", for `nocwatch trap listen` and the
//! `[traps]` component of `nocwatch run`.
//!
//! ```text
//!  datagrams ──► decode ──► journal ──► classify ──► limiter + fair queue ──► dedup ──► sinks
//!  (batch)      (snmp      (append,     (rules:      (per-source token        (window,   (JSON lines,
//!               Receiver,  fsync every  name,        bucket; round-robin      count)     recent ring)
//!               v1→v2)     10 ms)       severity,    across sources)
//!                                       dedup key)
//! ```
//!
//! The [`Pipeline`] itself has no sockets: the [`service`] module (the
//! [`TrapService`] component, built from a [`TrapsConfig`]) puts nocwatch-net's
//! listener, the per-source intake and the pipeline thread around it, keeps the
//! SNMPv3 engine identity, and reloads and drains. `nocwatch trap listen` runs it
//! alone; `nocwatch run` hosts it beside the other components. No CLI here.
//!
//! # API (stable; the I/O side builds on it)
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::{Duration, Instant};
//! use nocwatch_snmp::receiver::{AuthoritativeEngine, generate_engine_id};
//! use nocwatch_traps::{Datagram, JournalConfig, Pipeline, PipelineConfig, Rules, Transmit};
//!
//! # fn main() -> Result<(), nocwatch_traps::Error> {
//! let now = Instant::now();
//! let engine = AuthoritativeEngine::new(generate_engine_id(42), 1, now);
//! let mut cfg = PipelineConfig::new(engine, Arc::new(Rules::default_pack()?));
//! cfg.journal = Some(JournalConfig::new("/var/lib/nocwatch/traps"));
//! let mut p = Pipeline::open(cfg, now)?;          // replays what a crash left unprocessed
//! p.set_json_output(Box::new(std::io::stdout()));
//!
//! let (mut reports, mut acks) = (Vec::<Transmit>::new(), Vec::<Transmit>::new());
//! # let (peer, bytes) = ("127.0.0.1:40000".parse().unwrap(), &[][..]);
//! // After every receive batch (e.g. one recvmmsg):
//! p.ingest(Instant::now(), &[Datagram { peer, data: bytes, local: None }], &mut reports);
//! // send `reports` now (v3 discovery); then process and sync:
//! p.poll(Instant::now())?;
//! p.take_acks(&mut acks);                          // inform Responses whose record is durable
//! // ... and call poll again by p.poll_timeout() even when idle.
//!
//! let mut text = String::new();
//! p.render_metrics(&mut text);                     // Prometheus text for /metrics
//! p.drain(Instant::now() + Duration::from_secs(5))?; // on SIGTERM, after reading stopped
//! # Ok(()) }
//! ```
//!
//! - [`Pipeline::ingest`] takes a batch of [`Datagram`]s; v3 Reports to send at once
//!   come back as [`Transmit`]s. A datagram's `local` address (where it arrived) comes
//!   back in the `local` of every Transmit answering it, so a listener on several
//!   addresses answers from the right one without remembering peers.
//! - Inform acks: every accepted event gets a journal sequence number (its
//!   durability ticket); an inform's Response is held until the journal's
//!   `fdatasync` covers that number, then [`Pipeline::take_acks`] hands it out.
//!   [`Pipeline::sync`] forces a sync now.
//! - [`Pipeline::poll`] processes queued events (bounded by
//!   [`PipelineConfig::process_budget`]) and syncs the journal on its interval;
//!   [`Pipeline::poll_timeout`] says when it next has timed work.
//! - [`Pipeline::render_metrics`] renders every self-metric (`nocwatch_trap_*`);
//!   the I/O side appends its own (kernel drops) and serves `/metrics`.
//! - [`Pipeline::recent`] is the in-memory ring of recent [`Event`]s;
//!   [`Pipeline::rejects`] the refused datagrams kept for inspection.
//! - [`Pipeline::drain`] flushes every queue to the journal and sinks by a deadline.
//! - [`Pipeline::open`] replays what the journal holds beyond its last commit point
//!   (a crash, `kill -9`): those events are processed first, ahead of new traffic.
//!   The journal directory is locked while open (one process per journal).
//!
//! Threading: a [`Pipeline`] is `Send`, driven by one thread. Its own extra thread
//! runs the journal's `fdatasync`s, so a slow disk never stalls intake. On the
//! reference machine one core runs the whole pipeline at about 1 µs of CPU per v2c
//! trap with the journal, 1.6–1.9 µs with JSON output (docs/BENCHMARKS.md).
//!
//! # Design
//!
//! Each stage's module says why it is built the way it is: [`decode`] (RFC 3584
//! translation, source attribution), [`journal`] (segments, CRC-32C records, group
//! fsync, commit records, replay), [`limiter`] (token buckets, reserved severities,
//! round-robin fairness), [`dedup`] (first-now-then-count windows), [`rules`]
//! (TOML rules and the default pack), [`metrics`] (bounded labels), [`sink`].
//! Every bounded queue has an explicit when-full policy, listed in
//! [`limiter`] (fair queue), [`dedup`] (cache), [`journal`] (unprocessed bytes) and
//! [`PipelineConfig`] (pending acks); every drop is counted by stage, reason and
//! source in [`Drops`].

#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod decode;
pub mod dedup;
mod error;
mod event;
pub mod journal;
pub mod limiter;
pub mod metrics;
pub mod model_sink;
mod pipeline;
pub mod rules;
pub mod send;
pub mod service;
pub mod sink;
mod writer;

pub use decode::{Decoder, RejectReason, RejectRing, Rejected};
pub use dedup::DedupConfig;
pub use error::Error;
pub use event::{BufferPool, Classification, Event, PduKind, Severity, version_str};
pub use journal::{Journal, JournalConfig};
pub use limiter::{LimiterConfig, RateOverride};
pub use metrics::{Drops, Histogram};
pub use model_sink::ModelSink;
pub use pipeline::{Datagram, DrainReport, Pipeline, PipelineConfig, PipelineStats, Transmit};
pub use rules::{Cidr, Rules};
pub use service::{MetricsHandle, ReloadReport, ServiceStats, TrapService, TrapsConfig};
pub use sink::{EventSink, FanOut, JsonLines};
pub use writer::SinkThread;
