//! The crate's one error type.

/// What can go wrong reading the model's textual forms.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ModelError {
    /// A duration that does not parse; the message says what was expected.
    #[error("invalid duration {text:?}: {why}")]
    Duration {
        /// The text as given.
        text: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A severity name that is not one of critical, major, minor, warning, info, clear.
    #[error("unknown severity {0:?} (critical, major, minor, warning, info or clear)")]
    Severity(String),
    /// A secret that names an environment variable that is not set (or not UTF-8).
    #[error("secret: environment variable {0} is not set")]
    SecretEnv(String),
    /// A secret whose file cannot be read.
    #[error("secret: cannot read {path}: {why}")]
    SecretFile {
        /// The file named.
        path: String,
        /// The I/O error, as text.
        why: String,
    },
    /// A secret that resolves to nothing.
    #[error("secret: {0} is empty")]
    SecretEmpty(String),
}
