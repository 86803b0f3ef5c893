//! The simulated switch fabric: per-switch state that evolves plausibly and
//! renders as the CSV matrix. Sans-IO and deterministic for a given seed:
//! time enters only as the `dt` argument of [`Fabric::advance`].
//!
//! Evolution model (per switch, per step of `dt` seconds):
//!
//! * link utilisation is a bounded random walk in 1..98 %, on a 100 Gb/s
//!   link; bytes in/out grow by `utilisation × line rate × dt` (out a bit
//!   below in), so the counters are monotonic and their rates are plausible;
//! * packets grow by bytes / a mean packet size that drifts in 200..1,400 B;
//! * errors are rare (a few per hour), drops appear when utilisation passes
//!   90 %;
//! * average latency follows utilisation (queueing) plus noise, the p99 is a
//!   bounded multiple (1.5-4×) of it;
//! * CPU is a bounded random walk in 2..95 %, temperature drifts towards a
//!   level set by CPU and utilisation, within 25..90 °C.

use std::fmt::Write as _;

use crate::error::TelemetryError;
use crate::schema::{METRIC_COUNT, header_line, switch_name};

/// Largest fabric the producer simulates.
pub const MAX_SWITCHES: usize = 100_000;

/// Most evolution steps [`Fabric::advance_ticks`] takes to catch up on
/// ticks nobody asked for (see there).
pub const MAX_CATCHUP_STEPS: u64 = 4;

/// Line rate of every simulated link, bytes per second (100 Gb/s).
const LINE_RATE_BYTES: f64 = 100e9 / 8.0;

#[derive(Debug, Clone)]
struct Switch {
    bytes_in: u64,
    bytes_out: u64,
    packets_in: u64,
    packets_out: u64,
    errors_in: u64,
    drops_in: u64,
    util: f64,
    pkt_size: f64,
    latency_avg: f64,
    p99_factor: f64,
    cpu: f64,
    temp: f64,
}

/// The fabric: `n` switches named `SW-01` ... (see
/// [`crate::schema::switch_name`]).
#[derive(Debug, Clone)]
pub struct Fabric {
    names: Vec<String>,
    switches: Vec<Switch>,
    rng: fastrand::Rng,
    steps: u64,
}

/// Moves `x` by a uniform step in ±`step`, reflected into `lo..=hi`.
fn walk(rng: &mut fastrand::Rng, x: f64, step: f64, lo: f64, hi: f64) -> f64 {
    let y = x + (rng.f64() * 2.0 - 1.0) * step;
    if y < lo {
        (2.0 * lo - y).min(hi)
    } else if y > hi {
        (2.0 * hi - y).max(lo)
    } else {
        y
    }
}

#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "non-negative, far below 2^64"
)]
fn whole(x: f64) -> u64 {
    // Half up; `+ 0.5` and a truncating cast instead of `round()`, a libm
    // call on baseline x86-64 (no SSE4.1), several per switch and step.
    (x.max(0.0) + 0.5) as u64
}

/// Appends `x` with `decimals` (0..=3) digits after the point, rounded half
/// up: the fast path of [`Fabric::render_csv`] for finite non-negative
/// values with `x × 10^decimals` below 10^15, `{:.N}` for anything else.
fn push_fixed(out: &mut String, buf: &mut itoa::Buffer, x: f64, decimals: usize) {
    const UNITS: [u64; 4] = [1, 10, 100, 1_000];
    let Some(&unit) = UNITS.get(decimals) else {
        let _ = write!(out, "{x:.decimals$}");
        return;
    };
    #[allow(clippy::cast_precision_loss)] // unit <= 1000: exact
    let scaled = x * unit as f64;
    if !(0.0..1e15).contains(&scaled) {
        // Negative, huge or not a number: the standard formatting.
        let _ = write!(out, "{x:.decimals$}");
        return;
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "checked above: in 0..1e15"
    )]
    let scaled = (scaled + 0.5) as u64;
    out.push_str(buf.format(scaled / unit));
    if decimals > 0 {
        out.push('.');
        let mut frac = scaled % unit;
        let mut digits = [b'0'; 3];
        for d in digits.iter_mut().take(decimals).rev() {
            // frac % 10 < 10: a digit.
            *d = b'0' + u8::try_from(frac % 10).unwrap_or(0);
            frac /= 10;
        }
        for &d in digits.iter().take(decimals) {
            out.push(char::from(d));
        }
    }
}

impl Fabric {
    /// A fabric of `switches` switches (1..=[`MAX_SWITCHES`]) in a random but
    /// seeded initial state.
    ///
    /// # Errors
    ///
    /// [`TelemetryError::FabricSize`] outside 1..=[`MAX_SWITCHES`].
    pub fn new(switches: usize, seed: u64) -> Result<Self, TelemetryError> {
        if !(1..=MAX_SWITCHES).contains(&switches) {
            return Err(TelemetryError::FabricSize {
                requested: switches,
                max: MAX_SWITCHES,
            });
        }
        let mut rng = fastrand::Rng::with_seed(seed);
        let names = (1..=switches).map(switch_name).collect();
        let switches = (0..switches)
            .map(|_| {
                let util = 5.0 + rng.f64() * 60.0;
                let cpu = 5.0 + rng.f64() * 40.0;
                // Counters start somewhere in their life, not at zero.
                let bytes_in = rng.u64(1_000_000_000..1_000_000_000_000);
                let pkt_size = 400.0 + rng.f64() * 800.0;
                Switch {
                    bytes_in,
                    bytes_out: bytes_in / 10 * 9,
                    packets_in: whole(bytes_in as f64 / pkt_size),
                    packets_out: whole(bytes_in as f64 / pkt_size * 0.9),
                    errors_in: rng.u64(0..100),
                    drops_in: rng.u64(0..1_000),
                    util,
                    pkt_size,
                    latency_avg: 5.0 + util * 0.5,
                    p99_factor: 2.0,
                    cpu,
                    temp: 35.0 + cpu * 0.3,
                }
            })
            .collect();
        Ok(Self {
            names,
            switches,
            rng,
            steps: 0,
        })
    }

    /// Number of switches.
    #[must_use]
    pub fn len(&self) -> usize {
        self.switches.len()
    }

    /// Whether the fabric has no switch (never: at least one is required).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.switches.is_empty()
    }

    /// Steps taken so far.
    #[must_use]
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Advances every switch by `dt` seconds (see the module docs).
    pub fn advance(&mut self, dt: f64) {
        let dt = dt.max(0.0);
        let rng = &mut self.rng;
        for s in &mut self.switches {
            s.util = walk(rng, s.util, 4.0, 1.0, 98.0);
            s.pkt_size = walk(rng, s.pkt_size, 30.0, 200.0, 1_400.0);
            let bytes_in = s.util / 100.0 * LINE_RATE_BYTES * dt * (0.95 + rng.f64() * 0.1);
            let bytes_out = bytes_in * (0.85 + rng.f64() * 0.1);
            s.bytes_in = s.bytes_in.saturating_add(whole(bytes_in));
            s.bytes_out = s.bytes_out.saturating_add(whole(bytes_out));
            s.packets_in = s.packets_in.saturating_add(whole(bytes_in / s.pkt_size));
            s.packets_out = s.packets_out.saturating_add(whole(bytes_out / s.pkt_size));
            // About one error per 20 minutes per switch.
            if rng.f64() < dt / 1_200.0 {
                s.errors_in = s.errors_in.saturating_add(rng.u64(1..4));
            }
            if s.util > 90.0 {
                let pkts = bytes_in / s.pkt_size;
                s.drops_in = s
                    .drops_in
                    .saturating_add(whole(pkts * (s.util - 90.0) * 1e-5));
            }
            let queueing = 5.0 + 0.02 * s.util * s.util;
            s.latency_avg = walk(rng, 0.8 * s.latency_avg + 0.2 * queueing, 1.0, 1.0, 500.0);
            s.p99_factor = walk(rng, s.p99_factor, 0.1, 1.5, 4.0);
            s.cpu = walk(rng, s.cpu, 3.0, 2.0, 95.0);
            let target_temp = 30.0 + 0.35 * s.cpu + 0.1 * s.util;
            s.temp = walk(rng, s.temp + (target_temp - s.temp) * 0.1, 0.3, 25.0, 90.0);
        }
        self.steps += 1;
    }

    /// Advances by `ticks` ticks of `tick` seconds at once: what a lazy
    /// producer does when a request arrives after ticks nobody asked for.
    ///
    /// Counters grow by rate × the whole elapsed time, as they would have
    /// tick by tick; the random walks of the gauges take one step per tick
    /// but at most [`MAX_CATCHUP_STEPS`] steps (each covering its share of
    /// the time), so a request after an hour of silence costs a few steps,
    /// not thousands. The gauges then show less drift than a tick-by-tick
    /// run would have, which the bounded walks make hard to tell apart.
    /// `ticks == 0` does nothing.
    pub fn advance_ticks(&mut self, tick: f64, ticks: u64) {
        let steps = ticks.min(MAX_CATCHUP_STEPS);
        if steps == 0 {
            return;
        }
        #[allow(clippy::cast_precision_loss, reason = "tick counts far below 2^53")]
        let dt = tick.max(0.0) * ticks as f64 / steps as f64;
        for _ in 0..steps {
            self.advance(dt);
        }
    }

    /// The current matrix as CSV: header, then one line per switch in name
    /// order (`SW-01`, `SW-02`, ...), every line ended by `\n`. Counters are
    /// integers; latencies, utilisation and CPU have two decimals,
    /// temperature one.
    ///
    /// Formatting is hand-rolled rather than `write!`: counters go through
    /// `itoa`, and gauges (bounded, non-negative) are written as a scaled
    /// integer with the point put in, which is several times cheaper than
    /// `{:.2}` (Grisu/Dragon exact-precision formatting). The rounding is
    /// half away from zero on `value × 10^decimals`, which can differ from
    /// `{:.2}` (half to even on the exact binary value) in the last digit
    /// of a tie; either is a valid rendering of the value. See the `render`
    /// example for the measurement.
    #[must_use]
    pub fn render_csv(&self) -> String {
        // About 90-110 bytes per line.
        let mut out = String::with_capacity(128 * (self.switches.len() + 1));
        out.push_str(&header_line());
        out.push('\n');
        let mut buf = itoa::Buffer::new();
        for (name, s) in self.names.iter().zip(&self.switches) {
            out.push_str(name);
            for counter in [
                s.bytes_in,
                s.bytes_out,
                s.packets_in,
                s.packets_out,
                s.errors_in,
                s.drops_in,
            ] {
                out.push(',');
                out.push_str(buf.format(counter));
            }
            for (gauge, decimals) in [
                (s.latency_avg, 2),
                (s.latency_avg * s.p99_factor, 2),
                (s.util, 2),
                (s.cpu, 2),
                (s.temp, 1),
            ] {
                out.push(',');
                push_fixed(&mut out, &mut buf, gauge, decimals);
            }
            out.push('\n');
        }
        out
    }

    /// The values of switch `i` (0-based) in [`crate::schema::METRICS`] order,
    /// as the CSV would carry them before rounding.
    #[must_use]
    #[allow(
        clippy::cast_precision_loss,
        reason = "counters below 2^53 in practice"
    )]
    pub fn values(&self, i: usize) -> Option<[f64; METRIC_COUNT]> {
        let s = self.switches.get(i)?;
        Some([
            s.bytes_in as f64,
            s.bytes_out as f64,
            s.packets_in as f64,
            s.packets_out as f64,
            s.errors_in as f64,
            s.drops_in as f64,
            s.latency_avg,
            s.latency_avg * s.p99_factor,
            s.util,
            s.cpu,
            s.temp,
        ])
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use crate::csv::parse;

    #[test]
    fn counters_grow_and_gauges_stay_in_bounds() {
        let mut f = Fabric::new(50, 7).unwrap();
        let before: Vec<_> = (0..50).map(|i| f.values(i).unwrap()).collect();
        for _ in 0..500 {
            f.advance(5.0);
        }
        for (i, b) in before.iter().enumerate() {
            let a = f.values(i).unwrap();
            for c in 0..6 {
                assert!(a[c] >= b[c], "counter {c} of switch {i} went back");
            }
            assert!(a[0] > b[0], "bytes in must move");
            assert!((1.0..=500.0).contains(&a[6]));
            assert!(a[7] >= a[6] * 1.5 - 1e-9 && a[7] <= a[6] * 4.0 + 1e-9);
            assert!((1.0..=98.0).contains(&a[8]));
            assert!((2.0..=95.0).contains(&a[9]));
            assert!((25.0..=90.0).contains(&a[10]));
        }
    }

    #[test]
    fn rendered_csv_is_valid_and_named_as_documented() {
        let f = Fabric::new(120, 1).unwrap();
        let csv = f.render_csv();
        let t = parse(csv.as_bytes()).unwrap();
        assert_eq!(t.len(), 120);
        assert_eq!(t.ids()[4], "SW-05");
        assert_eq!(t.ids()[119], "SW-120");
    }

    #[test]
    fn fixed_point_matches_standard_formatting_off_ties() {
        let mut buf = itoa::Buffer::new();
        let mut rng = fastrand::Rng::with_seed(5);
        for i in 0..100_000 {
            let x = match i % 4 {
                0 => rng.f64() * 2_000.0,
                1 => rng.f64(),
                2 => f64::from(rng.u32(0..100_000)) / 100.0,
                _ => rng.f64() * 1e9,
            };
            for decimals in [0, 1, 2, 3] {
                let mut ours = String::new();
                push_fixed(&mut ours, &mut buf, x, decimals);
                let std = format!("{x:.decimals$}");
                let parsed: f64 = ours.parse().unwrap();
                // Either the same text, or a tie rounded the other way:
                // both within half a unit of the last digit (plus float noise).
                let half = 0.5 / 10f64.powi(i32::try_from(decimals).unwrap());
                assert!(
                    ours == std || (parsed - x).abs() <= half * (1.0 + 1e-9),
                    "{x} with {decimals}: {ours} vs {std}"
                );
            }
        }
        for (x, want) in [
            (-1.5, "-1.50"),
            (f64::NAN, "NaN"),
            (1e300, format!("{:.2}", 1e300).leak() as &str),
            (0.0, "0.00"),
            (0.005, "0.01"),
            (9.999, "10.00"),
        ] {
            let mut s = String::new();
            push_fixed(&mut s, &mut buf, x, 2);
            assert_eq!(s, want, "{x}");
        }
    }

    #[test]
    fn rendering_matches_the_values() {
        let mut f = Fabric::new(300, 9).unwrap();
        f.advance(1.0);
        let csv = f.render_csv();
        let t = parse(csv.as_bytes()).unwrap();
        for (i, (_, row)) in t.rows().enumerate() {
            let v = f.values(i).unwrap();
            assert_eq!(row[..6], v[..6], "counters of switch {i}");
            for (c, unit) in [(6, 0.005), (7, 0.005), (8, 0.005), (9, 0.005), (10, 0.05)] {
                assert!((row[c] - v[c]).abs() <= unit + 1e-9, "{i}/{c}");
            }
        }
    }

    #[test]
    fn catching_up_grows_counters_by_the_whole_time_in_bounded_steps() {
        let mut f = Fabric::new(20, 4).unwrap();
        let before: Vec<_> = (0..20).map(|i| f.values(i).unwrap()).collect();
        f.advance_ticks(1.0, 0);
        assert_eq!(f.steps(), 0);
        f.advance_ticks(1.0, 3_600);
        assert_eq!(f.steps(), MAX_CATCHUP_STEPS);
        for (i, b) in before.iter().enumerate() {
            let a = f.values(i).unwrap();
            // At least 1 % of a 100 Gb/s line for an hour.
            let grown = a[0] - b[0];
            assert!(
                grown >= 0.01 * LINE_RATE_BYTES * 3_600.0 * 0.9,
                "{i}: {grown}"
            );
            assert!(grown <= LINE_RATE_BYTES * 3_600.0, "{i}: {grown}");
        }
        f.advance_ticks(5.0, 2);
        assert_eq!(f.steps(), MAX_CATCHUP_STEPS + 2);
    }

    #[test]
    fn size_is_bounded() {
        assert!(Fabric::new(0, 1).is_err());
        assert!(Fabric::new(MAX_SWITCHES + 1, 1).is_err());
        assert_eq!(Fabric::new(MAX_SWITCHES, 1).unwrap().len(), MAX_SWITCHES);
    }
}
