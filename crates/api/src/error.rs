//! The API's error type: request failures map to JSON responses with a fixed
//! status each.

use axum::http::StatusCode;

/// Why a request failed (or the server could not run).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// A required query parameter is absent or empty (400).
    #[error("missing query parameter {0:?}")]
    MissingParameter(&'static str),
    /// A query parameter has an unusable value (400).
    #[error("invalid value for query parameter {0:?}")]
    InvalidParameter(&'static str),
    /// No switch of that name in the current snapshot (404).
    #[error("unknown switch {0:?}")]
    UnknownSwitch(String),
    /// No metric of that name for that switch (404).
    #[error("unknown metric {metric:?} for switch {switch:?}")]
    UnknownMetric {
        /// The switch asked for.
        switch: String,
        /// The metric asked for.
        metric: String,
    },
    /// No snapshot published yet (503).
    #[error("no data yet: the source has not published a snapshot")]
    NoData,
    /// No such route (404).
    #[error("no such route")]
    NotFound,
    /// The server socket failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl ApiError {
    /// The HTTP status of this error.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingParameter(_) | Self::InvalidParameter(_) => StatusCode::BAD_REQUEST,
            Self::UnknownSwitch(_) | Self::UnknownMetric { .. } | Self::NotFound => {
                StatusCode::NOT_FOUND
            }
            Self::NoData => StatusCode::SERVICE_UNAVAILABLE,
            Self::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code in the JSON body (`"error"`).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingParameter(_) => "missing_parameter",
            Self::InvalidParameter(_) => "invalid_parameter",
            Self::UnknownSwitch(_) => "unknown_switch",
            Self::UnknownMetric { .. } => "unknown_metric",
            Self::NoData => "no_data",
            Self::NotFound => "not_found",
            Self::Io(_) => "internal",
        }
    }
}
