//! The producer's failure modes.

use std::str::FromStr;

use crate::error::TelemetryError;

/// How the producer answers `GET /counters`: normally, or with one of the
/// failures a real collector meets. Chosen at start (`--mode`), changed at
/// run time (`POST /mode?mode=...`), or per request (`?mode=...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailureMode {
    /// The current matrix, 200.
    #[default]
    Ok,
    /// HTTP 500 with a short text body.
    Error500,
    /// 200, but some rows garbled: non-numeric values, missing and extra
    /// fields.
    Corrupt,
    /// 200 with a chunked body that stops about half-way: the connection is
    /// closed without the terminating chunk, in the middle of a line.
    Truncated,
    /// The normal answer, after a delay (default 30 s, `?delay_ms=`) meant to
    /// exceed the poller's timeout.
    Slow,
    /// 200 with an empty body.
    Empty,
    /// 200, but `Latency_Avg_uSec` renamed to `Latency_Avg_mSec` and the
    /// `Temperature_C` column missing.
    WrongSchema,
}

impl FailureMode {
    /// Every mode.
    pub const ALL: [Self; 7] = [
        Self::Ok,
        Self::Error500,
        Self::Corrupt,
        Self::Truncated,
        Self::Slow,
        Self::Empty,
        Self::WrongSchema,
    ];

    /// The name used on the command line and in `?mode=`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Error500 => "ERROR_500",
            Self::Corrupt => "CORRUPT",
            Self::Truncated => "TRUNCATED",
            Self::Slow => "SLOW",
            Self::Empty => "EMPTY",
            Self::WrongSchema => "WRONG_SCHEMA",
        }
    }
}

impl std::fmt::Display for FailureMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FailureMode {
    type Err = TelemetryError;

    /// Case-insensitive; `-` may stand for `_`; `NORMAL` and `NONE` mean `OK`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let up = s.trim().to_ascii_uppercase().replace('-', "_");
        match up.as_str() {
            "NORMAL" | "NONE" => Ok(Self::Ok),
            _ => Self::ALL
                .into_iter()
                .find(|m| m.as_str() == up)
                .ok_or_else(|| TelemetryError::UnknownMode(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in FailureMode::ALL {
            assert_eq!(m.as_str().parse::<FailureMode>().unwrap(), m);
        }
        assert_eq!(
            "wrong-schema".parse::<FailureMode>().unwrap(),
            FailureMode::WrongSchema
        );
        assert!("BROKEN".parse::<FailureMode>().is_err());
    }
}
