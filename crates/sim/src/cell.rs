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

use crate::life::Timeline;
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
        // rate·g / (1000·2¹⁷), as a shift then a division: floor(floor(x/a)/b) is
        // floor(x/(a·b)), and after the shift the quotient fits a u64 for any
        // plausible rate and age, so the division is a cheap 64-bit one (a u128
        // division was a tenth of a simulated response's cost).
        let shifted = (u128::from(self.rate_per_sec) * g) >> JITTER_ONE.trailing_zeros();
        let grown = match u64::try_from(shifted) {
            Ok(x) => x / 1000,
            Err(_) => (shifted / 1000) as u64,
        };
        // Wrapping is the counter's nature; u64 only wraps after 584 years at 1 GB/s.
        self.base.wrapping_add(grown)
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
    /// A per-device value: slot `n` of the answering agent's [`Device`] (its name,
    /// MAC addresses, LLDP neighbours...). Lets thousands of devices share one view
    /// while each answers with its own identity (read-only; never a Counter64).
    Slot(u32),
    /// A level that rises and falls (CPU load, temperature, memory in use).
    Wave(Wave),
    /// A counter of interface `if_index`: like [`Cell::Counter`], but on a device
    /// with a life (see `life.rs`) it stands still while the interface is down and
    /// starts again from zero when the device restarts.
    IfCounter {
        /// The counter's law while the interface carries traffic.
        counter: Counter,
        /// The interface (ifIndex).
        if_index: u32,
    },
    /// ifOperStatus of an interface that is up by design: up(1), or down(2) while
    /// a flap is in progress on a device with a life.
    IfOperStatus {
        /// The interface (ifIndex).
        if_index: u32,
    },
    /// ifLastChange: the sysUpTime at which the interface entered its current
    /// state; `initial` until it changes, 0 after a restart (IF-MIB: a state
    /// entered before the last re-initialization reads 0).
    IfLastChange {
        /// The interface (ifIndex).
        if_index: u32,
        /// The value before any change since the simulation started.
        initial: u32,
        /// The view's sysUpTime law (see [`Cell::Uptime`]), to read sysUpTime at
        /// the change.
        ticks_at_start: u32,
    },
}

/// A gauge-like value moving linearly between `min` and `max` and back every
/// `period_secs`, at a phase set by its seed and the device's: plausible CPU,
/// temperature and memory curves for the cost of a few integer operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wave {
    /// Lowest value.
    pub min: u32,
    /// Highest value.
    pub max: u32,
    /// Seconds for a full low-high-low cycle (at least 2).
    pub period_secs: u32,
    /// Selects the phase.
    pub seed: u64,
    /// INTEGER (Integer32) when true, else Gauge32.
    pub integer: bool,
}

impl Wave {
    /// The value at `now` on the device with `device_seed`.
    pub fn value_at(&self, now: Duration, device_seed: u64) -> Value<'static> {
        let period = u64::from(self.period_secs.max(2));
        let phase = mix(device_seed, self.seed) % period;
        let pos = (now.as_secs() + phase) % period;
        let half = period / 2;
        let up = if pos < half { pos } else { period - pos };
        let span = u64::from(self.max.saturating_sub(self.min));
        let v = u64::from(self.min) + span * up.min(half) / half;
        let v = u32::try_from(v).unwrap_or(self.max);
        if self.integer {
            Value::Integer(i64::from(v))
        } else {
            Value::Gauge32(v)
        }
    }
}

/// What makes one device of a fleet differ from the others sharing its [`Mib`]:
/// a seed that shifts its counters, and the values of its [`Cell::Slot`]s.
///
/// [`Mib`]: crate::Mib
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Device {
    /// Mixed into every counter's base and jitter; 0 leaves counters as the view
    /// defines them (single agents such as [`crate::lab_device`]).
    pub seed: u64,
    /// Values of the view's slot cells, by slot number.
    pub slots: Vec<OwnedValue>,
}

impl Counter {
    /// This counter as device `seed` sees it: same rate, a base advanced by up to a
    /// day of traffic and its own jitter sequence, so devices sharing a view do not
    /// report identical counters. Seed 0 is the identity.
    pub fn for_device(&self, seed: u64) -> Self {
        if seed == 0 {
            return *self;
        }
        let m = mix(seed, self.seed);
        Self {
            base: self
                .base
                .wrapping_add(self.rate_per_sec.wrapping_mul(m % 86_400)),
            seed: m,
            ..*self
        }
    }
}

/// splitmix64 of a pair: independent-looking numbers per (device, counter).
pub(crate) fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Cell {
    /// The value at `now`, borrowing static content (slot cells read as NULL: they
    /// need a [`Device`], see [`Cell::value_in`]).
    pub fn value_at(&self, now: Duration) -> Value<'_> {
        match self {
            Self::Static(v) => v.as_value(),
            Self::Counter(c) => c.value_at(now),
            Self::Uptime { ticks_at_start } => {
                let ticks = ticks_at_start.wrapping_add((now.as_millis() / 10) as u32);
                Value::TimeTicks(ticks)
            }
            Self::Slot(_) => Value::Null,
            Self::Wave(w) => w.value_at(now, 0),
            Self::IfCounter { counter, .. } => counter.value_at(now),
            Self::IfOperStatus { .. } => Value::Integer(1),
            Self::IfLastChange { initial, .. } => Value::TimeTicks(*initial),
        }
    }

    /// The value at `now` on `device`: its slot values and its own counters.
    pub fn value_in<'a>(&'a self, now: Duration, device: &'a Device) -> Value<'a> {
        self.value_live(now, device, None)
    }

    /// The value at `now` on `device` living `life` (its flaps and restarts; see
    /// `life.rs`); without a life the device never changes.
    pub fn value_live<'a>(
        &'a self,
        now: Duration,
        device: &'a Device,
        life: Option<&Timeline>,
    ) -> Value<'a> {
        match self {
            Self::Counter(c) => {
                let c = c.for_device(device.seed);
                match life.and_then(|l| l.boot_at(now)) {
                    Some(boot) => restarted(&c, now.saturating_sub(boot)),
                    None => c.value_at(now),
                }
            }
            Self::IfCounter { counter, if_index } => {
                let c = counter.for_device(device.seed);
                match life.map(|l| l.interface_at(*if_index, now)) {
                    Some(i) if i.boot.is_some() => restarted(&c, i.counting),
                    Some(i) => c.value_at(i.counting),
                    None => c.value_at(now),
                }
            }
            Self::Wave(w) => w.value_at(now, device.seed),
            Self::Uptime { ticks_at_start } => {
                let boot = life.and_then(|l| l.boot_at(now));
                Value::TimeTicks(uptime_ticks(*ticks_at_start, device, boot, now))
            }
            Self::IfOperStatus { if_index } => {
                let up = life.is_none_or(|l| l.interface_at(*if_index, now).up);
                Value::Integer(if up { 1 } else { 2 })
            }
            Self::IfLastChange {
                if_index,
                initial,
                ticks_at_start,
            } => {
                let Some(i) = life.map(|l| l.interface_at(*if_index, now)) else {
                    return Value::TimeTicks(*initial);
                };
                Value::TimeTicks(match (i.last_change, i.boot) {
                    (Some(t), boot) => uptime_ticks(*ticks_at_start, device, boot, t),
                    (None, Some(_)) => 0,
                    (None, None) => *initial,
                })
            }
            Self::Slot(n) => device
                .slots
                .get(*n as usize)
                .map_or(Value::Null, OwnedValue::as_value),
            Self::Static(_) => self.value_at(now),
        }
    }

    /// The BER tag of this cell's type, which never changes over time (the codec's
    /// tag for a value of that type).
    pub fn tag(&self) -> u8 {
        match self {
            Self::Static(v) => v.tag(),
            Self::Counter(c) | Self::IfCounter { counter: c, .. } => match c.width {
                CounterWidth::Bits32 => Value::Counter32(0).tag(),
                CounterWidth::Bits64 => Value::Counter64(0).tag(),
            },
            Self::Uptime { .. } | Self::IfLastChange { .. } => Value::TimeTicks(0).tag(),
            Self::IfOperStatus { .. } => Value::Integer(0).tag(),
            // Slots are read-only, so SET never compares their type; they hold
            // strings in every dataset.
            Self::Slot(_) => Value::OctetString(&[]).tag(),
            Self::Wave(w) if w.integer => Value::Integer(0).tag(),
            Self::Wave(_) => Value::Gauge32(0).tag(),
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
                | Self::IfCounter {
                    counter: Counter {
                        width: CounterWidth::Bits64,
                        ..
                    },
                    ..
                }
        )
    }

    /// True when SET may replace the value (static cells only: counters and uptime
    /// are read-only on every real agent).
    pub fn is_writable(&self) -> bool {
        matches!(self, Self::Static(_))
    }
}

/// A counter of a device that restarted `since` ago (time it has counted since):
/// zero at the restart, then growing by the same law.
fn restarted(c: &Counter, since: Duration) -> Value<'static> {
    let c = Counter { base: 0, ..*c };
    let total = c.total_at(since).wrapping_sub(c.total_at(Duration::ZERO));
    match c.width {
        CounterWidth::Bits32 => Value::Counter32(total as u32),
        CounterWidth::Bits64 => Value::Counter64(total),
    }
}

/// sysUpTime at `now` (hundredths of a second, wrapping like TimeTicks): since
/// the last restart `boot`, or before any, since a boot `ticks_at_start` before
/// the simulation started (fleet devices booted at different times, up to 30 days
/// apart, set by their seed).
pub(crate) fn uptime_ticks(
    ticks_at_start: u32,
    device: &Device,
    boot: Option<Duration>,
    now: Duration,
) -> u32 {
    match boot {
        Some(b) => (now.saturating_sub(b).as_millis() / 10) as u32,
        None => {
            let offset = if device.seed != 0 {
                (device.seed % (30 * 8_640_000)) as u32
            } else {
                0
            };
            ticks_at_start
                .wrapping_add(offset)
                .wrapping_add((now.as_millis() / 10) as u32)
        }
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
