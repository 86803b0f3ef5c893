//! The crate's error type, and the failure kinds the source counts.

use std::time::Duration;

use crate::csv::CsvError;

/// Everything that can go wrong in this crate: building a fabric, serving it,
/// or one ingestion cycle of the source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TelemetryError {
    /// A fabric size outside 1..=max.
    #[error("fabric size {requested} outside 1..={max}")]
    FabricSize {
        /// Switches asked for.
        requested: usize,
        /// The largest fabric simulated.
        max: usize,
    },
    /// A producer URL the source cannot poll.
    #[error("bad producer URL {url:?}: {reason}")]
    BadUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An unknown failure-mode name.
    #[error(
        "unknown failure mode {0:?} (expected OK, ERROR_500, CORRUPT, TRUNCATED, SLOW, EMPTY or WRONG_SCHEMA)"
    )]
    UnknownMode(String),
    /// The whole fetch (headers and body) did not finish within the timeout.
    #[error("no complete response within {0:?}")]
    Timeout(Duration),
    /// The TCP connection could not be made.
    #[error("cannot connect: {0}")]
    Connect(String),
    /// The request failed before a response arrived (connection reset,
    /// malformed response).
    #[error("request failed: {0}")]
    Http(String),
    /// The producer answered with a status other than 200.
    #[error("HTTP status {0}")]
    Status(u16),
    /// The body stopped before its end (connection closed mid-body).
    #[error("body cut short: {0}")]
    Body(String),
    /// The body exceeds the configured limit.
    #[error("body larger than {limit} bytes")]
    TooLarge {
        /// The limit, bytes.
        limit: usize,
    },
    /// The body is not a valid matrix.
    #[error("invalid CSV: {0}")]
    Csv(#[from] CsvError),
    /// The store refused the update.
    #[error("store: {0}")]
    Store(#[from] nocwatch_store::StoreError),
    /// Socket-level failure of a server.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    /// A background task died.
    #[error("task failed: {0}")]
    Task(String),
}

/// Why an ingestion cycle failed, as counted and exported: bounded
/// cardinality, one label value each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureKind {
    /// No complete response within the timeout (a `SLOW` producer).
    Timeout,
    /// Could not connect.
    Connect,
    /// Failed before a response (reset, malformed HTTP).
    Http,
    /// A non-200 status (`ERROR_500`).
    Status,
    /// Body cut short, at the HTTP level or mid-line (`TRUNCATED`).
    Truncated,
    /// No content (`EMPTY`) or a header without rows.
    Empty,
    /// Header does not match the schema (`WRONG_SCHEMA`).
    Schema,
    /// Malformed rows: field counts, types, identifiers (`CORRUPT`).
    Corrupt,
    /// The same switch twice.
    DuplicateId,
    /// Body over the size limit.
    TooLarge,
    /// The store refused the batch, or the ingest task died.
    Internal,
}

impl FailureKind {
    /// Every kind, in export order.
    pub const ALL: [Self; 11] = [
        Self::Timeout,
        Self::Connect,
        Self::Http,
        Self::Status,
        Self::Truncated,
        Self::Empty,
        Self::Schema,
        Self::Corrupt,
        Self::DuplicateId,
        Self::TooLarge,
        Self::Internal,
    ];

    /// The label value (`kind="..."`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Connect => "connect",
            Self::Http => "http",
            Self::Status => "status",
            Self::Truncated => "truncated",
            Self::Empty => "empty",
            Self::Schema => "schema",
            Self::Corrupt => "corrupt",
            Self::DuplicateId => "duplicate_id",
            Self::TooLarge => "too_large",
            Self::Internal => "internal",
        }
    }

    /// Position in [`FailureKind::ALL`].
    #[must_use]
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }
}

impl std::fmt::Display for FailureKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TelemetryError {
    /// The failure kind this error counts as in the source's statistics.
    #[must_use]
    pub fn kind(&self) -> FailureKind {
        match self {
            Self::Timeout(_) => FailureKind::Timeout,
            Self::Connect(_) => FailureKind::Connect,
            Self::Http(_) | Self::BadUrl { .. } => FailureKind::Http,
            Self::Status(_) => FailureKind::Status,
            Self::Body(_) => FailureKind::Truncated,
            Self::TooLarge { .. } => FailureKind::TooLarge,
            Self::Csv(e) => match e {
                CsvError::Empty | CsvError::NoRows => FailureKind::Empty,
                CsvError::Truncated { .. } => FailureKind::Truncated,
                CsvError::IdColumn { .. }
                | CsvError::MissingColumn { .. }
                | CsvError::DuplicateColumn { .. } => FailureKind::Schema,
                CsvError::DuplicateId { .. } => FailureKind::DuplicateId,
                _ => FailureKind::Corrupt,
            },
            _ => FailureKind::Internal,
        }
    }
}
