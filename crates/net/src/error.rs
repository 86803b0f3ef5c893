//! The crate's error enum.

use std::net::SocketAddr;

use nocwatch_snmp::{DecodeError, ErrorStatus, Oid};

/// Everything the transport, client and walks can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// A socket operation failed.
    #[error("{op}: {source}")]
    Io {
        /// What was being done.
        op: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// No reply after every retry (net-snmp: "Timeout: No Response from ...").
    #[error("Timeout: No Response from {target}")]
    Timeout {
        /// The agent.
        target: SocketAddr,
    },
    /// The agent answered with a USM Report that ends the request (unknown user, wrong
    /// digest, decryption error...), or the request could not be secured.
    #[error("{reason}")]
    Failed {
        /// The agent.
        target: SocketAddr,
        /// Why.
        reason: nocwatch_snmp::Failure,
    },
    /// The protocol core refused the request.
    #[error(transparent)]
    Snmp(#[from] nocwatch_snmp::Error),
    /// A reply that matched a request did not decode. The decode error is part of
    /// this message and deliberately not its `source()`: a report that prints the
    /// chain (`{:#}`) would otherwise say it twice.
    #[error("malformed reply: {0}")]
    Decode(DecodeError),
    /// The agent answered with an error-status.
    #[error("agent error {status} (index {index})")]
    Agent {
        /// The error-status.
        status: ErrorStatus,
        /// The error-index (1-based; 0 when not about one binding).
        index: i32,
        /// The binding the index points at, when it does.
        oid: Option<Box<Oid>>,
    },
    /// A walk got an OID that is not after the one it asked for (net-snmp's
    /// "OID not increasing"; `-Cc` turns the check off).
    #[error("OID not increasing: {previous} >= {got}")]
    NotIncreasing {
        /// What was asked for.
        previous: Box<Oid>,
        /// What came back (the first such binding of the reply).
        got: Box<Oid>,
        /// Later bindings of the same reply that were not after `previous` either
        /// (net-snmp reports each one).
        more: Vec<Oid>,
    },
    /// With the increasing check off, the agent sent an OID already seen: a loop.
    #[error("walk loop: {oid} was returned twice")]
    Loop {
        /// The repeated OID.
        oid: Box<Oid>,
    },
    /// A matched reply that is not a v1/v2c Response (cannot happen with the
    /// tracker's checks; kept typed rather than a panic).
    #[error("unexpected reply")]
    UnexpectedReply,
    /// A poll cycle was asked for while the previous one still runs.
    #[error("a poll cycle is already running")]
    CycleRunning,
    /// An agent address that does not parse or resolve (see
    /// [`crate::resolve_agent`]); said as net-snmp says it, `SPEC: why`.
    #[error("{spec}: {reason}")]
    Address {
        /// The address as given.
        spec: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A walk's `-C` application option that is not one of net-snmp's (see
    /// [`crate::WalkOptions::apply_app_options`]).
    #[error("{0}")]
    AppOption(String),
    /// The client's driver task is gone (the client was shut down).
    #[error("client is shut down")]
    Closed,
}

impl From<DecodeError> for NetError {
    fn from(error: DecodeError) -> Self {
        Self::Decode(error)
    }
}

/// The error for a tracker event, with the request it ends.
pub(crate) fn from_event(event: nocwatch_snmp::Event) -> (nocwatch_snmp::RequestHandle, NetError) {
    match event {
        nocwatch_snmp::Event::TimedOut { handle, target } => (handle, NetError::Timeout { target }),
        nocwatch_snmp::Event::Failed {
            handle,
            target,
            reason,
        } => (handle, NetError::Failed { target, reason }),
    }
}
