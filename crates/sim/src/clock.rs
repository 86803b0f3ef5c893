//! [`Clock`]: where the simulator's `now` comes from.
//!
//! The responder is sans-IO and takes `now` as an argument; the servers and the
//! device-life driver ask a clock for it. Both must ask the *same* clock, or a
//! trap's sysUpTime.0 and the sysUpTime a GET reads would disagree. In a service
//! the clock is [`SystemClock`] (monotonic time since the lab started); tests hand
//! a [`ManualClock`] to the server and the driver and move it themselves, so a
//! flap that takes a minute takes no time and needs no sleep.

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A source of "time since the simulation started".
pub trait Clock: Send + Sync + Debug {
    /// Time since the simulation started; never decreases.
    fn now(&self) -> Duration;

    /// True when the clock follows real time, so a driver may sleep on it; false
    /// when a test moves it (the driver is then stepped by hand).
    fn is_real_time(&self) -> bool;
}

/// Monotonic real time since the clock was made.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    started: Instant,
}

impl SystemClock {
    /// A clock reading zero now.
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.started.elapsed()
    }

    fn is_real_time(&self) -> bool {
        true
    }
}

/// A clock that only moves when told: tests set it, then step the driver.
#[derive(Debug, Default)]
pub struct ManualClock {
    nanos: AtomicU64,
}

impl ManualClock {
    /// A clock reading `start`.
    pub fn new(start: Duration) -> Self {
        Self {
            nanos: AtomicU64::new(nanos(start)),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        self.nanos.fetch_add(nanos(by), Ordering::AcqRel);
    }

    /// Sets the clock to `to`; a time before the current one is ignored (the
    /// clock never goes back).
    pub fn set(&self, to: Duration) {
        self.nanos.fetch_max(nanos(to), Ordering::AcqRel);
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.nanos.load(Ordering::Acquire))
    }

    fn is_real_time(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_forward() {
        let c = ManualClock::new(Duration::from_secs(5));
        c.advance(Duration::from_millis(1500));
        assert_eq!(c.now(), Duration::from_millis(6500));
        c.set(Duration::from_secs(1));
        assert_eq!(c.now(), Duration::from_millis(6500), "never back");
        c.set(Duration::from_secs(60));
        assert_eq!(c.now(), Duration::from_secs(60));
        assert!(!c.is_real_time());
        assert!(SystemClock::new().is_real_time());
    }
}
