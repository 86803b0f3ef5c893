//! [`Cell`]: what a MIB entry holds, a fixed value or one computed from time.
//!
//! A demo, a benchmark or a rate calculation needs counters that move, but a sans-IO
//! responder may not read a clock. So a dynamic cell stores the *law* of its value and
//! the responder evaluates it at the `now` it is handed (time since the agent
//! started). The same `now` always gives the same value, which keeps tests exact.
//!
//! Traffic counters follow `base + rate·t` plus a bounded, deterministic jitter: at
//! each whole second `s` an offset in `[0, rate/2)` is drawn from a hash of
//! `(seed, s)` and interpolated linearly within the second. Per-second increments
//! then vary between 0.5× and 1.5× the rate, the long-run rate is exact, and the
//! counter never goes backwards (the interpolation slope is at least `rate/2`).

use std::time::Duration;

use nocwatch_snmp::Value;

use crate::value::OwnedValue;

/// Fixed-point scale of the jitter hash: offsets are `rate · h / JITTER_ONE` with
/// `h < JITTER_ONE / 2`.
const JITTER_ONE: u128 = 1 << 17;

/// The width of a counter: Counter32 wraps at 2³², Counter64 at 2⁶⁴.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterWidth {
    /// Counter32 (ifInOctets...): wraps, as on a real agent.
    Bits32,
    /// Counter64 (ifHCInOctets...).
    Bits64,
}

/// A counter growing with time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    /// Value at `now = 0` (before wrapping to the width).
    pub base: u64,
    /// Mean increase per second.
    pub rate_per_sec: u64,
    /// Counter32 or Counter64.
    pub width: CounterWidth,
    /// Selects the jitter sequence; give the 32- and 64-bit views of one interface
    /// counter the same base, rate and seed and they agree modulo 2³².
    pub seed: u64,
}

impl Counter {
    /// The full-width (64-bit) count at `now`.
    pub fn total_at(&self, now: Duration) -> u64 {
        let ms = now.as_millis();
        let (s, f) = (ms / 1000, ms % 1000);
        let g = ms * JITTER_ONE + jitter(self.seed, s) * (1000 - f) + jitter(self.seed, s + 1) * f;
        let grown = u128::from(self.rate_per_sec) * g / (1000 * JITTER_ONE);
        // Wrapping is the counter's nature; u64 only wraps after 584 years at 1 GB/s.
        self.base.wrapping_add(grown as u64)
    }

    /// The value at `now`, wrapped to the counter's width.
    pub fn value_at(&self, now: Duration) -> Value<'static> {
        let total = self.total_at(now);
        match self.width {
            CounterWidth::Bits32 => Value::Counter32(total as u32),
            CounterWidth::Bits64 => Value::Counter64(total),
        }
    }
}

/// A jitter offset in `[0, JITTER_ONE / 2)` for second `s` (splitmix64 of the pair).
fn jitter(seed: u64, s: u128) -> u128 {
    let mut z = seed ^ (s as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    u128::from(z >> 48) // 16 bits: [0, 2^16) = [0, JITTER_ONE / 2)
}

/// One MIB entry's content.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// A fixed value (writable by SET when the type matches).
    Static(OwnedValue),
    /// A traffic counter computed from `now` (read-only).
    Counter(Counter),
    /// sysUpTime: `ticks_at_start` plus the hundredths of a second since the agent
    /// started, wrapping at 2³² like TimeTicks (read-only).
    Uptime {
        /// sysUpTime at `now = 0`, so a fresh simulator can look like it booted days ago.
        ticks_at_start: u32,
    },
}

impl Cell {
    /// The value at `now`, borrowing static content.
    pub fn value_at(&self, now: Duration) -> Value<'_> {
        match self {
            Self::Static(v) => v.as_value(),
            Self::Counter(c) => c.value_at(now),
            Self::Uptime { ticks_at_start } => {
                let ticks = ticks_at_start.wrapping_add((now.as_millis() / 10) as u32);
                Value::TimeTicks(ticks)
            }
        }
    }

    /// The BER tag of this cell's type, which never changes over time (the codec's
    /// tag for a value of that type).
    pub fn tag(&self) -> u8 {
        match self {
            Self::Static(v) => v.tag(),
            Self::Counter(c) => match c.width {
                CounterWidth::Bits32 => Value::Counter32(0).tag(),
                CounterWidth::Bits64 => Value::Counter64(0).tag(),
            },
            Self::Uptime { .. } => Value::TimeTicks(0).tag(),
        }
    }

    /// True for Counter64 cells, which SNMPv1 cannot carry: a v1 request does not see
    /// them at all (RFC 3584 §4.2.2.1, and what net-snmp does).
    pub fn is_counter64(&self) -> bool {
        matches!(
            self,
            Self::Static(OwnedValue::Counter64(_))
                | Self::Counter(Counter {
                    width: CounterWidth::Bits64,
                    ..
                })
        )
    }

    /// True when SET may replace the value (static cells only: counters and uptime
    /// are read-only on every real agent).
    pub fn is_writable(&self) -> bool {
        matches!(self, Self::Static(_))
    }
}

impl From<OwnedValue> for Cell {
    fn from(v: OwnedValue) -> Self {
        Self::Static(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(rate: u64, width: CounterWidth) -> Counter {
        Counter {
            base: 1000,
            rate_per_sec: rate,
            width,
            seed: 42,
        }
    }

    #[test]
    fn counters_are_monotonic_with_bounded_jitter() {
        let c = counter(1_000_000, CounterWidth::Bits64);
        assert!(c.total_at(Duration::ZERO) >= 1000);
        let mut prev = 0;
        for ms in (0..20_000).step_by(7) {
            let v = c.total_at(Duration::from_millis(ms));
            assert!(v >= prev, "went backwards at {ms} ms");
            prev = v;
        }
        for s in 0..100u64 {
            let a = c.total_at(Duration::from_secs(s));
            let b = c.total_at(Duration::from_secs(s + 1));
            let step = b - a;
            assert!((500_000..=1_500_000).contains(&step), "step {step} at {s}s");
        }
        // The long-run rate is exact up to the bounded offset.
        let day = c.total_at(Duration::from_secs(86_400)) - c.base;
        assert!((86_400_000_000..86_400_500_000).contains(&day), "{day}");
    }

    #[test]
    fn counter32_wraps_and_agrees_with_counter64() {
        let c64 = Counter {
            base: u64::from(u32::MAX) - 10,
            ..counter(1000, CounterWidth::Bits64)
        };
        let c32 = Counter {
            width: CounterWidth::Bits32,
            ..c64
        };
        let now = Duration::from_secs(5);
        let (Value::Counter64(big), Value::Counter32(small)) =
            (c64.value_at(now), c32.value_at(now))
        else {
            panic!("wrong types");
        };
        assert!(big > u64::from(u32::MAX));
        assert_eq!(small, big as u32);
    }

    #[test]
    fn same_now_same_value() {
        let c = counter(12_345, CounterWidth::Bits32);
        let now = Duration::from_millis(123_456);
        assert_eq!(c.value_at(now), c.value_at(now));
        assert_ne!(
            c.value_at(now),
            Counter { seed: 43, ..c }.value_at(now),
            "seeds should give different jitter"
        );
    }

    #[test]
    fn uptime_counts_hundredths_and_wraps() {
        let cell = Cell::Uptime {
            ticks_at_start: 100,
        };
        assert_eq!(
            cell.value_at(Duration::from_millis(1234)),
            Value::TimeTicks(223)
        );
        let near_wrap = Cell::Uptime {
            ticks_at_start: u32::MAX,
        };
        assert_eq!(
            near_wrap.value_at(Duration::from_millis(20)),
            Value::TimeTicks(1)
        );
        assert_eq!(cell.tag(), 0x43);
        assert!(!cell.is_writable());
    }
}
