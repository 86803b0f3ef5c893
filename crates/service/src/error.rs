//! The crate's one error type.

/// Why the service could not be built, started or reloaded.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The configuration is invalid; the message says where and why.
    #[error("configuration: {0}")]
    Config(String),
    /// A component could not start; the components started before it were
    /// stopped again.
    #[error("{component}: {message}")]
    Start {
        /// The component's name.
        component: String,
        /// What went wrong.
        message: String,
    },
    /// A component failed while running, which stops the service.
    #[error("{component} failed: {message}")]
    Failed {
        /// The component's name.
        component: String,
        /// What went wrong.
        message: String,
    },
    /// An I/O error outside any component (signals, the runtime).
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl ServiceError {
    /// A start failure of `component`.
    pub fn start(component: &str, message: impl std::fmt::Display) -> Self {
        Self::Start {
            component: component.to_owned(),
            message: message.to_string(),
        }
    }
}
