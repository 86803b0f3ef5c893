//! The poller's one error type.

use nocwatch_net::NetError;
use nocwatch_store::StoreError;

/// What can go wrong building or running a poll.
#[derive(Debug, thiserror::Error)]
pub enum PollerError {
    /// A target specification that is not an address, `addr:port` or range.
    #[error("{spec}: {reason}")]
    Target {
        /// The specification as given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No target at all.
    #[error("no target given")]
    NoTargets,
    /// A walk root that is not a dotted OID.
    #[error("walks: {walk:?} is not a dotted OID")]
    Walk {
        /// The root as given.
        walk: String,
    },
    /// An SNMP version other than 1, 2c or 3.
    #[error("version {0:?}: expected \"1\", \"2c\" or \"3\"")]
    Version(String),
    /// The SNMPv3 user could not be built.
    #[error("user: {0}")]
    User(String),
    /// The polling engine or a request failed.
    #[error("SNMP engine: {0}")]
    Net(#[from] NetError),
    /// The store refused a publish.
    #[error("store: {0}")]
    Store(#[from] StoreError),
}
