//! The crate's one error enum.
//!
//! The responder itself never fails: a datagram it cannot or will not answer is
//! dropped and counted (see [`crate::Outcome`]), as a real agent does. What can fail
//! is the I/O around it (binding, receiving) and building a MIB from bad input, and
//! those are the only variants here.

use nocwatch_snmp::{Oid, OidError};

/// Everything the simulator can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A socket operation failed; `op` says which one.
    #[error("{op}: {source}")]
    Io {
        /// What was being done, e.g. "binding the agent socket".
        op: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// An OID given to the MIB builder is invalid.
    #[error("invalid OID: {0}")]
    Oid(#[from] OidError),
    /// The same instance was added to a MIB twice.
    #[error("duplicate OID in the MIB: {0}")]
    DuplicateOid(Oid),
    /// A configuration the simulator cannot serve (bad user, empty family list...).
    #[error("{0}")]
    Config(String),
    /// A recording (an `snmpwalk -On` capture) could not be read.
    #[error("recording line {line}: {reason}")]
    Recording {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The server task ended abnormally (it panicked or was cancelled).
    #[error("the agent server task failed: {0}")]
    Task(String),
}
