//! Severity: how urgent an event is, in the four levels NOC tools map vendor
//! severities to (critical, major, minor, warning), plus info and clear.

use std::fmt;
use std::str::FromStr;

use crate::ModelError;

/// Severity, ordered from most to least urgent, then [`Clear`](Self::Clear):
/// `Critical < Major < ... < Clear` in `Ord`, so the most urgent of a set is its `min`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Service down.
    #[serde(alias = "Critical", alias = "CRITICAL")]
    Critical,
    /// Service degraded.
    #[serde(alias = "Major", alias = "MAJOR")]
    Major,
    /// Minor fault.
    #[serde(alias = "Minor", alias = "MINOR")]
    Minor,
    /// Worth a look.
    #[serde(alias = "Warning", alias = "WARNING")]
    Warning,
    /// Informational.
    #[serde(alias = "Info", alias = "INFO")]
    Info,
    /// A fault went away (linkUp, BGP Established, ...).
    #[serde(alias = "Clear", alias = "CLEAR")]
    Clear,
}

impl Severity {
    /// Every severity, most urgent first.
    pub const ALL: [Self; 6] = [
        Self::Critical,
        Self::Major,
        Self::Minor,
        Self::Warning,
        Self::Info,
        Self::Clear,
    ];

    /// The JSON / label spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Major => "major",
            Self::Minor => "minor",
            Self::Warning => "warning",
            Self::Info => "info",
            Self::Clear => "clear",
        }
    }

    /// Whether a limiter must never drop it: losing a clear leaves an alarm standing
    /// forever, losing a critical hides the outage.
    pub fn is_reserved(self) -> bool {
        matches!(self, Self::Critical | Self::Clear)
    }

    /// Whether `self` is at least as urgent as `floor` (a clear is never "at least"
    /// anything but clear).
    pub fn at_least(self, floor: Self) -> bool {
        self <= floor
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = ModelError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ModelError::Severity(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn order_text_and_serde() {
        assert!(Severity::Critical < Severity::Warning);
        assert!(Severity::Major.at_least(Severity::Minor));
        assert!(!Severity::Info.at_least(Severity::Warning));
        for s in Severity::ALL {
            assert_eq!(s.as_str().parse::<Severity>().unwrap(), s);
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert_eq!("MAJOR".parse::<Severity>().unwrap(), Severity::Major);
        assert!("urgent".parse::<Severity>().is_err());
    }
}
