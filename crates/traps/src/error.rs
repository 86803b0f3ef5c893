//! The crate's error type.

use std::path::PathBuf;

/// Everything that can fail in the trap pipeline.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Invalid configuration.
    #[error("invalid trap pipeline configuration: {0}")]
    Config(String),
    /// A rules file error, with its 1-based line.
    #[error("{file}:{line}: {message}")]
    Rules {
        /// The file (or `<default rules>`).
        file: String,
        /// 1-based line of the offending item.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Journal I/O.
    #[error("journal {path}: {source}")]
    Journal {
        /// File or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The journal holds as many unprocessed bytes as allowed; the event is refused.
    #[error("journal full ({0} unprocessed bytes)")]
    JournalFull(u64),
    /// A `createUser` line that does not parse (the message never holds a pass
    /// phrase).
    #[error("createUser {user}: {message}")]
    CreateUser {
        /// The user's name, when it got that far.
        user: String,
        /// What is wrong.
        message: String,
    },
    /// Other I/O of the trap service (reading a users file, creating a directory).
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Binding the trap sockets.
    #[error("trap sockets: {0}")]
    Bind(#[from] nocwatch_net::NetError),
    /// The SNMPv3 engine state (snmpEngineID, snmpEngineBoots) cannot be used.
    #[error(transparent)]
    EngineState(nocwatch_net::EngineStoreError),
    /// The service's pipeline thread is gone (it failed; see the log).
    #[error("the trap pipeline thread is not running")]
    Stopped,
    /// A notification that cannot be sent as asked (an InformRequest in SNMPv1, a
    /// generic-trap outside 0 to 6); see [`crate::send`].
    #[error("{0}")]
    NotSendable(&'static str),
    /// Sending a notification: the socket failed.
    #[error("{target}: send: {source}")]
    Send {
        /// The receiver.
        target: std::net::SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Sending an InformRequest: no Response after the last retry, a USM Report
    /// that ends it, or its socket (the request tracker's error as it is, so a
    /// caller can print net-snmp's "Timeout: No Response from ...").
    #[error(transparent)]
    Inform(nocwatch_net::NetError),
    /// Encoding a notification (a value, the v3 keys or sealing).
    #[error(transparent)]
    Snmp(#[from] nocwatch_snmp::Error),
    /// Writing to a sink failed.
    #[error("event sink: {0}")]
    Sink(std::io::Error),
}
