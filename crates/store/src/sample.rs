//! One observation of a series.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One observation: a value and when it was taken.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// The observed value.
    pub value: f64,
    /// When it was observed, in nanoseconds since the Unix epoch.
    pub at: u64,
}

impl Sample {
    /// A sample of `value` observed at `at` (unix nanoseconds).
    #[must_use]
    pub const fn new(value: f64, at: u64) -> Self {
        Self { value, at }
    }

    /// The observation time as a [`SystemTime`].
    #[must_use]
    pub fn time(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_nanos(self.at)
    }
}

/// Nanoseconds since the Unix epoch for `t`; times before the epoch map to 0
/// and times past year 2554 saturate at `u64::MAX`.
#[must_use]
pub fn unix_nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}
