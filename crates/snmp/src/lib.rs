//! nocwatch's SNMP protocol core, sans-IO.
//!
//! This crate turns bytes into SNMP messages and back, and tracks requests in flight,
//! but it never touches a socket, a clock or a global: time is always a parameter
//! (`now: Instant`), datagrams come in as `&[u8]` and go out into buffers the caller
//! owns. That is what lets one process drive 10,000 agents from a handful of sockets
//! (the `net` crate does the I/O), and what lets every retry, timeout and late
//! response be tested deterministically with a simulated clock.
//!
//! Decoding is zero-copy: a [`Message`] borrows the datagram, its bindings are
//! iterated lazily ([`VarBinds::iter`]), and an [`OidRef`] decodes its arcs on the
//! fly. Every length is checked before it is used, so malformed input yields a
//! [`DecodeError`] naming the offset, never a panic. Agents' encoding bugs are
//! tolerated under [`DecodeOptions`] and reported as [`Anomalies`].
//!
//! SNMPv3: [`crypto`] holds the USM primitives (keys, HMACs, ciphers) and the tracker
//! runs discovery, time synchronisation and Reports for [`UsmUser`]s.
//!
//! Not here: MIB names (the `mib` crate), sockets and async (the `net` crate).

#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod ber;
pub mod create_user;
pub mod crypto;
mod error;
mod message;
mod oid;
pub mod oids;
mod options;
mod pdu;
pub mod receiver;
pub mod security;
mod tracker;
pub mod typed;
mod usm;
mod usm_flags;
mod value;
mod varbind;

#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;

pub use create_user::{parse_create_user, parse_users_file};
pub use error::{DecodeError, Error, OidError};
pub use message::{
    CommunityMessage, Decoded, Message, MsgFlags, ScopedPdu, ScopedPduData, V3Message, Version,
};
pub use oid::{Arcs, MAX_ARCS, Oid, OidRef, push_i64, push_u64};
pub use options::{Anomalies, DecodeOptions};
pub use pdu::{ErrorStatus, GenericTrap, Pdu, PduType, Pdus, TrapV1Pdu};
pub use security::{
    EngineInfo, MAX_MESSAGE_SIZE, ReportKind, SecurityLevel, USM_SECURITY_MODEL, UsmUser,
};
pub use tracker::{
    Event, Failure, Request, RequestHandle, RequestTracker, Response, TrackerConfig, TrackerStats,
    Transmit,
};
pub use typed::{TypedValue, parse_triples};
pub use usm::UsmSecurityParameters;
pub use usm_flags::UsmFlags;
pub use value::{OpaqueNumber, Value};
pub use varbind::{VarBind, VarBindIter, VarBinds};
