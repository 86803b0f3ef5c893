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
    /// A query parameter the route does not know (400): a typo must not
    /// silently select everything.
    #[error("unknown query parameter {0:?}")]
    UnknownParameter(String),
    /// No snapshot published yet (503).
    #[error("no data yet: the source has not published a snapshot")]
    NoData,
    /// No such route (404).
    #[error("no such route")]
    NotFound,
    /// An admin route without the right bearer token (401).
    #[error("this route needs the API token: Authorization: Bearer <token>")]
    Unauthorized,
    /// An admin route on a service configured without an API token (403).
    #[error("admin routes are disabled: set api.token in the configuration")]
    AdminDisabled,
    /// A reload that the service refused; the running configuration is unchanged (422).
    #[error("reload refused, the running configuration is unchanged: {0}")]
    ReloadRefused(String),
    /// The TLS certificate or key cannot be used (at start).
    #[error("TLS: {0}")]
    Tls(String),
    /// The server socket failed.
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl ApiError {
    /// The HTTP status of this error.
    #[must_use]
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingParameter(_) | Self::InvalidParameter(_) | Self::UnknownParameter(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::UnknownSwitch(_) | Self::UnknownMetric { .. } | Self::NotFound => {
                StatusCode::NOT_FOUND
            }
            Self::NoData => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::AdminDisabled => StatusCode::FORBIDDEN,
            Self::ReloadRefused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Io(_) | Self::Tls(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code in the JSON body (`"error"`).
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingParameter(_) => "missing_parameter",
            Self::InvalidParameter(_) => "invalid_parameter",
            Self::UnknownParameter(_) => "unknown_parameter",
            Self::UnknownSwitch(_) => "unknown_switch",
            Self::UnknownMetric { .. } => "unknown_metric",
            Self::NoData => "no_data",
            Self::NotFound => "not_found",
            Self::Unauthorized => "unauthorized",
            Self::AdminDisabled => "admin_disabled",
            Self::ReloadRefused(_) => "reload_refused",
            Self::Io(_) | Self::Tls(_) => "internal",
        }
    }
}
