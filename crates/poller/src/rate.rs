//! Counter rates: the one computation behind every `per second` nocwatch
//! shows (the service's `<metric>.per_second` series, `nocwatch demo`'s
//! traffic columns).
//!
//! An SNMP counter only says how far it has counted; a rate is the difference
//! of two readings over the time between them. Three things make that
//! difference lie, and each has burnt a well-known poller:
//!
//! - **Wraps.** A Counter32 wraps at 2^32 (a 10 Gbit/s link's octet counter
//!   every 3.4 s). A decrease is unwrapped only when that is plausible: the
//!   unwrapped rate fits the counter's [`Ceiling`] (the interface's line
//!   rate), and the ceiling is low enough that at most one wrap fits in the
//!   interval (otherwise the number of wraps is unknowable). Without a
//!   ceiling, one Counter32 wrap is unwrapped only when sysUpTime confirms the
//!   device did not restart over the whole interval. A Counter64 never wraps
//!   in practice (centuries at 100 Gbit/s): without a ceiling its decrease is
//!   a reset.
//! - **Restarts.** A rebooted device's counters start again from 0; read as a
//!   wrap, a Counter64's restart is a spike of exabits per second
//!   (ktranslate#689). The device's sysUpTime ([`UptimeTracker`]) says when it
//!   restarted; a counter's discontinuity marker (IF-MIB's
//!   ifCounterDiscontinuityTime) says when one interface's counters did.
//!   Either yields no rate for that interval.
//! - **Lost baselines.** Every reading becomes the next baseline, whatever
//!   the outcome, so a wrap, reset or restart costs one interval, never the
//!   series (Panoptes dropped every later sample after one).
//!
//! The time between two readings is that of their own timestamps (when each
//! reading arrived), not the poll schedule's: a slow walk or a skipped cycle
//! does not bend the rate.

use std::fmt;

/// Nanoseconds per sysUpTime tick (TimeTicks are hundredths of a second).
const NANOS_PER_TICK: u64 = 10_000_000;

/// sysUpTime wraps at 2^32 ticks (about 497 days).
const UPTIME_MODULUS: u64 = 1 << 32;

/// How far sysUpTime may lag the poller's clock before the device is taken
/// to have restarted: 2 s, or a tenth of the time between the two readings
/// if more (a reading's timestamp is when the whole walk ended, which may be
/// a second or more after the agent read its clock).
const UPTIME_SLACK_TICKS: u64 = 200;

/// How wide a counter is, which says where it wraps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CounterWidth {
    /// Counter32: wraps at 2^32.
    Bits32,
    /// Counter64: wraps at 2^64.
    Bits64,
}

impl CounterWidth {
    /// The value at which the counter wraps to 0.
    #[must_use]
    pub const fn modulus(self) -> u128 {
        match self {
            Self::Bits32 => 1 << 32,
            Self::Bits64 => 1 << 64,
        }
    }
}

/// One reading of a counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterReading {
    /// The counter's value.
    pub value: u64,
    /// Its width.
    pub width: CounterWidth,
    /// When the reading was taken, unix nanoseconds.
    pub at: u64,
}

/// The most a counter can plausibly advance per second: for an interface's
/// octet counter its line rate in bytes (see [`Ceiling::for_octets`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ceiling(f64);

/// Ceilings derived from a line rate allow this much above it: a reading's
/// timestamp is when its walk ended, so with a short interval the measured
/// time may be shorter than the time between the agent's two reads.
pub const LINE_RATE_HEADROOM: f64 = 1.25;

impl Ceiling {
    /// A ceiling of `units` per second; `None` unless finite and positive.
    #[must_use]
    pub fn per_second(units: f64) -> Option<Self> {
        (units.is_finite() && units > 0.0).then_some(Self(units))
    }

    /// The ceiling of an octet counter on a link of `bits_per_second`, with
    /// [`LINE_RATE_HEADROOM`].
    #[must_use]
    pub fn for_octets(bits_per_second: f64) -> Option<Self> {
        Self::per_second(bits_per_second / 8.0 * LINE_RATE_HEADROOM)
    }

    /// The ceiling of a packet (or error, discard) counter on a link of
    /// `bits_per_second`: one packet per 64 bytes (the shortest Ethernet
    /// frame), with [`LINE_RATE_HEADROOM`].
    #[must_use]
    pub fn for_packets(bits_per_second: f64) -> Option<Self> {
        Self::per_second(bits_per_second / 512.0 * LINE_RATE_HEADROOM)
    }

    /// Units per second.
    #[must_use]
    pub const fn get(self) -> f64 {
        self.0
    }
}

/// An interface's line rate in bits per second from IF-MIB: ifHighSpeed
/// (Mbit/s) when set, else ifSpeed (bit/s) unless it is saturated at
/// 2^32-1 (links faster than 4.29 Gbit/s). A speed of 0 (many virtual
/// interfaces) is unknown.
#[must_use]
pub fn line_rate_bps(if_speed: Option<u32>, if_high_speed: Option<u32>) -> Option<f64> {
    match (if_high_speed, if_speed) {
        (Some(h), _) if h > 0 => Some(f64::from(h) * 1e6),
        (_, Some(s)) if s > 0 && s < u32::MAX => Some(f64::from(s)),
        _ => None,
    }
}

/// What a device says about itself at the time of a reading, from its
/// [`UptimeTracker`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Continuity {
    /// Restarts detected so far: a baseline from another boot is no baseline.
    pub boot: u64,
    /// When sysUpTime was read at this poll: since when (unix nanoseconds)
    /// readings of it have shown no restart. `None` when it was not read now.
    pub observed_since: Option<u64>,
}

/// Why an interval has no rate. Each outcome still makes the reading the
/// next baseline, so the next interval has a rate again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoRate {
    /// The first reading of the series.
    First,
    /// The device restarted since the baseline (sysUpTime).
    Restart,
    /// The counter's discontinuity marker changed, or it changed width.
    Discontinuity,
    /// The counter went backwards and a wrap is not plausible.
    Reset,
    /// The rate would be above the counter's ceiling.
    AboveCeiling,
    /// The reading is not later than the baseline (a clock stepped back).
    NoTime,
}

impl NoRate {
    /// Every reason, in a stable order (for reports).
    pub const ALL: [Self; 6] = [
        Self::First,
        Self::Restart,
        Self::Discontinuity,
        Self::Reset,
        Self::AboveCeiling,
        Self::NoTime,
    ];

    /// A snake_case name for reports and metric labels.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::First => "first",
            Self::Restart => "restart",
            Self::Discontinuity => "discontinuity",
            Self::Reset => "reset",
            Self::AboveCeiling => "above_ceiling",
            Self::NoTime => "no_time",
        }
    }

    /// The position in [`NoRate::ALL`].
    #[must_use]
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for NoRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A computed rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Units per second, finite and never negative.
    pub per_second: f64,
    /// Whether one wrap was unwrapped.
    pub wrapped: bool,
    /// Nanoseconds between the two readings.
    pub interval_ns: u64,
}

/// A counter's baseline: its last reading and what was true of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Baseline {
    reading: CounterReading,
    boot: u64,
    marker: Option<u32>,
}

/// The rate state of one counter series.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CounterRate {
    baseline: Option<Baseline>,
}

impl CounterRate {
    /// A series with no reading yet.
    #[must_use]
    pub const fn new() -> Self {
        Self { baseline: None }
    }

    /// Takes a reading: the rate since the previous one, or why there is
    /// none. `marker` is the counter's discontinuity marker when read
    /// (ifCounterDiscontinuityTime for IF-MIB counters); `ceiling` the most
    /// it can advance per second, when known.
    pub fn update(
        &mut self,
        reading: CounterReading,
        continuity: Continuity,
        marker: Option<u32>,
        ceiling: Option<Ceiling>,
    ) -> Result<Rate, NoRate> {
        let previous = self.baseline.replace(Baseline {
            reading,
            boot: continuity.boot,
            marker,
        });
        let Some(previous) = previous else {
            return Err(NoRate::First);
        };
        rate_between(&previous, reading, continuity, marker, ceiling)
    }

    /// The last reading, if any.
    #[must_use]
    pub fn last(&self) -> Option<CounterReading> {
        self.baseline.map(|b| b.reading)
    }
}

fn rate_between(
    previous: &Baseline,
    reading: CounterReading,
    continuity: Continuity,
    marker: Option<u32>,
    ceiling: Option<Ceiling>,
) -> Result<Rate, NoRate> {
    if previous.boot != continuity.boot {
        return Err(NoRate::Restart);
    }
    let marker_moved = matches!((previous.marker, marker), (Some(a), Some(b)) if a != b);
    if marker_moved || previous.reading.width != reading.width {
        return Err(NoRate::Discontinuity);
    }
    let interval_ns = reading
        .at
        .checked_sub(previous.reading.at)
        .filter(|&d| d > 0)
        .ok_or(NoRate::NoTime)?;
    let secs = interval_ns as f64 / 1e9;
    let (delta, wrapped) = if reading.value >= previous.reading.value {
        (reading.value - previous.reading.value, false)
    } else {
        let modulus = reading.width.modulus();
        // modulus - previous + value < modulus: the single-wrap distance.
        let wrapped = modulus - u128::from(previous.reading.value) + u128::from(reading.value);
        let delta = u64::try_from(wrapped).map_err(|_| NoRate::Reset)?;
        let plausible = match ceiling {
            // At most one wrap fits in the interval, and this one fits the ceiling.
            Some(c) => c.get() * secs < modulus as f64 && delta as f64 / secs <= c.get(),
            // No ceiling: only a Counter32, and only when sysUpTime vouches
            // for the device over the whole interval.
            None => {
                reading.width == CounterWidth::Bits32
                    && continuity
                        .observed_since
                        .is_some_and(|since| since <= previous.reading.at)
            }
        };
        if !plausible {
            return Err(NoRate::Reset);
        }
        (delta, true)
    };
    let per_second = delta as f64 / secs;
    if ceiling.is_some_and(|c| per_second > c.get()) {
        return Err(NoRate::AboveCeiling);
    }
    Ok(Rate {
        per_second,
        wrapped,
        interval_ns,
    })
}

/// A device's sysUpTime readings: tells a restart from sysUpTime's own wrap
/// (every 497 days) and gives each poll its [`Continuity`].
///
/// A restart shows as sysUpTime advancing by clearly less than the poller's
/// clock did between two readings (going backwards is the usual case; a
/// device that restarted just after the previous poll and has been up for
/// most of the interval is caught too when it had been up a while before).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UptimeTracker {
    /// The last reading: ticks and when it was taken (unix nanoseconds).
    last: Option<(u32, u64)>,
    boot: u64,
    observed_since: Option<u64>,
}

impl UptimeTracker {
    /// A device not read yet.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            last: None,
            boot: 0,
            observed_since: None,
        }
    }

    /// Takes a sysUpTime reading (`ticks`, hundredths of a second) made at
    /// `at` (unix nanoseconds); returns the poll's continuity and whether a
    /// restart was detected.
    pub fn observe(&mut self, ticks: u32, at: u64) -> (Continuity, bool) {
        let restarted = match self.last {
            None => {
                self.observed_since = Some(at);
                false
            }
            Some((last_ticks, last_at)) => {
                let elapsed = at.saturating_sub(last_at) / NANOS_PER_TICK;
                let slack = UPTIME_SLACK_TICKS.max(elapsed / 10);
                let restarted = if ticks >= last_ticks {
                    u64::from(ticks - last_ticks) + slack < elapsed
                } else {
                    // Backwards: sysUpTime's own wrap if the forward distance
                    // modulo 2^32 matches the elapsed time.
                    let forward = UPTIME_MODULUS - u64::from(last_ticks) + u64::from(ticks);
                    let wrap = u64::from(last_ticks) + elapsed + slack >= UPTIME_MODULUS
                        && forward.abs_diff(elapsed) <= slack;
                    !wrap
                };
                if restarted {
                    self.boot += 1;
                    self.observed_since = Some(at);
                }
                restarted
            }
        };
        self.last = Some((ticks, at));
        (self.continuity_now(), restarted)
    }

    /// The continuity of a poll that did not read sysUpTime.
    #[must_use]
    pub const fn unobserved(&self) -> Continuity {
        Continuity {
            boot: self.boot,
            observed_since: None,
        }
    }

    /// Restarts detected so far.
    #[must_use]
    pub const fn boots(&self) -> u64 {
        self.boot
    }

    const fn continuity_now(&self) -> Continuity {
        Continuity {
            boot: self.boot,
            observed_since: self.observed_since,
        }
    }
}

#[cfg(test)]
mod tests;
