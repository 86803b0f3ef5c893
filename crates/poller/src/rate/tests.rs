#![allow(clippy::unwrap_used, reason = "tests")]

use proptest::prelude::*;

use super::*;

const SEC: u64 = 1_000_000_000;
/// A time far from 0, so that "before the baseline" is representable.
const T0: u64 = 1_700_000_000 * SEC;

fn c32(value: u32, at: u64) -> CounterReading {
    CounterReading {
        value: u64::from(value),
        width: CounterWidth::Bits32,
        at,
    }
}

fn c64(value: u64, at: u64) -> CounterReading {
    CounterReading {
        value,
        width: CounterWidth::Bits64,
        at,
    }
}

/// Continuity vouched for by sysUpTime since `T0`.
fn confirmed() -> Continuity {
    Continuity {
        boot: 0,
        observed_since: Some(T0),
    }
}

fn gbit(g: f64) -> Option<Ceiling> {
    Ceiling::for_octets(g * 1e9)
}

#[test]
fn the_first_reading_has_no_rate_and_the_second_has_the_exact_one() {
    let mut r = CounterRate::new();
    assert_eq!(
        r.update(c64(1_000, T0), confirmed(), None, None),
        Err(NoRate::First)
    );
    let rate = r
        .update(c64(31_000, T0 + 10 * SEC), confirmed(), None, None)
        .unwrap();
    assert_eq!(rate.per_second, 3_000.0);
    assert!(!rate.wrapped);
    assert_eq!(rate.interval_ns, 10 * SEC);
}

#[test]
fn time_comes_from_the_readings_not_the_schedule() {
    // Polled "every 10 s", but the second walk ended 2.5 s late: the rate is
    // over the 12.5 s that really passed.
    let mut r = CounterRate::new();
    let _ = r.update(c64(0, T0), confirmed(), None, None);
    let rate = r
        .update(c64(12_500, T0 + 12_500_000_000), confirmed(), None, None)
        .unwrap();
    assert_eq!(rate.per_second, 1_000.0);
}

#[test]
fn a_counter32_wrap_that_fits_the_line_rate_is_unwrapped() {
    // 1 Gbit/s link, 10 s: at most 1.56 GB at the ceiling, under 2^32, so one
    // wrap at most; 300 MB across the wrap is 30 MB/s.
    let mut r = CounterRate::new();
    let before = u32::MAX - 100_000_000;
    let _ = r.update(c32(before, T0), Continuity::default(), None, gbit(1.0));
    let rate = r
        .update(
            c32(199_999_999, T0 + 10 * SEC),
            Continuity::default(),
            None,
            gbit(1.0),
        )
        .unwrap();
    assert!(rate.wrapped);
    assert_eq!(rate.per_second, 30_000_000.0);
}

#[test]
fn a_counter32_wrap_is_ambiguous_when_more_than_one_could_fit() {
    // 10 Gbit/s for 10 s is 15.6 GB at the ceiling: several wraps could hide
    // in the interval, so a decrease says nothing.
    let mut r = CounterRate::new();
    let _ = r.update(c32(4_000_000_000, T0), confirmed(), None, gbit(10.0));
    assert_eq!(
        r.update(c32(10, T0 + 10 * SEC), confirmed(), None, gbit(10.0)),
        Err(NoRate::Reset)
    );
    // ... and the next interval has a rate again.
    let rate = r
        .update(c32(1_010, T0 + 20 * SEC), confirmed(), None, gbit(10.0))
        .unwrap();
    assert_eq!(rate.per_second, 100.0);
}

#[test]
fn a_counter32_wrap_above_the_line_rate_is_a_reset() {
    // 10 Mbit/s link: a decrease from 4e9 to 3e9 would be 3.3e9 bytes in 10 s.
    let mut r = CounterRate::new();
    let ceiling = Ceiling::for_octets(10e6);
    let _ = r.update(c32(4_000_000_000, T0), confirmed(), None, ceiling);
    assert_eq!(
        r.update(
            c32(3_000_000_000, T0 + 10 * SEC),
            confirmed(),
            None,
            ceiling
        ),
        Err(NoRate::Reset)
    );
}

#[test]
fn without_a_ceiling_a_counter32_wrap_needs_sysuptime_to_vouch() {
    let mut r = CounterRate::new();
    let _ = r.update(c32(u32::MAX - 9, T0), confirmed(), None, None);
    let rate = r
        .update(c32(90, T0 + 10 * SEC), confirmed(), None, None)
        .unwrap();
    assert_eq!(rate.per_second, 10.0);
    assert!(rate.wrapped);

    // No sysUpTime this poll: a decrease may be a restart.
    let mut r = CounterRate::new();
    let _ = r.update(c32(u32::MAX - 9, T0), confirmed(), None, None);
    let unread = Continuity {
        boot: 0,
        observed_since: None,
    };
    assert_eq!(
        r.update(c32(90, T0 + 10 * SEC), unread, None, None),
        Err(NoRate::Reset)
    );

    // sysUpTime first read after the baseline: it cannot vouch for the time
    // before it.
    let mut r = CounterRate::new();
    let _ = r.update(c32(u32::MAX - 9, T0), Continuity::default(), None, None);
    let late = Continuity {
        boot: 0,
        observed_since: Some(T0 + SEC),
    };
    assert_eq!(
        r.update(c32(90, T0 + 10 * SEC), late, None, None),
        Err(NoRate::Reset)
    );
}

#[test]
fn a_counter64_restart_is_never_an_exabit_spike() {
    // ktranslate#689: a reboot read as a Counter64 wrap.
    for ceiling in [None, gbit(100.0)] {
        let mut r = CounterRate::new();
        let _ = r.update(c64(987_654_321_000_000, T0), confirmed(), None, ceiling);
        assert_eq!(
            r.update(c64(5_000, T0 + 60 * SEC), confirmed(), None, ceiling),
            Err(NoRate::Reset),
            "{ceiling:?}"
        );
        let rate = r
            .update(c64(65_000, T0 + 120 * SEC), confirmed(), None, ceiling)
            .unwrap();
        assert_eq!(rate.per_second, 1_000.0);
    }
}

#[test]
fn a_counter64_wrap_that_fits_the_ceiling_is_unwrapped() {
    let mut r = CounterRate::new();
    let _ = r.update(c64(u64::MAX - 999, T0), confirmed(), None, gbit(1.0));
    let rate = r
        .update(c64(9_000, T0 + SEC), confirmed(), None, gbit(1.0))
        .unwrap();
    assert!(rate.wrapped);
    assert_eq!(rate.per_second, 10_000.0);
}

#[test]
fn a_restart_between_two_polls_costs_one_interval() {
    let mut up = UptimeTracker::new();
    let mut r = CounterRate::new();
    // Up for an hour, polled every 60 s.
    let (c, restarted) = up.observe(360_000, T0);
    assert!(!restarted);
    let _ = r.update(c64(10_000_000, T0), c, None, None);
    let (c, _) = up.observe(366_000, T0 + 60 * SEC);
    assert!(
        r.update(c64(10_060_000, T0 + 60 * SEC), c, None, None)
            .is_ok()
    );
    // Rebooted 20 s before the next poll; counters start again from 0 and
    // have already passed the old value (a plain difference would be "fine").
    let (c, restarted) = up.observe(2_000, T0 + 120 * SEC);
    assert!(restarted);
    assert_eq!(up.boots(), 1);
    assert_eq!(
        r.update(c64(20_000_000, T0 + 120 * SEC), c, None, None),
        Err(NoRate::Restart)
    );
    let (c, restarted) = up.observe(8_000, T0 + 180 * SEC);
    assert!(!restarted);
    let rate = r.update(c64(20_060_000, T0 + 180 * SEC), c, None, None);
    assert_eq!(rate.unwrap().per_second, 1_000.0);
}

#[test]
fn a_restart_seen_only_later_still_voids_the_old_baseline() {
    // The counter was not read at the poll where the restart was detected.
    let mut up = UptimeTracker::new();
    let mut r = CounterRate::new();
    let (c, _) = up.observe(100_000, T0);
    let _ = r.update(c64(500, T0), c, None, None);
    let _ = up.observe(500, T0 + 60 * SEC);
    let (c, _) = up.observe(6_500, T0 + 120 * SEC);
    assert_eq!(
        r.update(c64(900, T0 + 120 * SEC), c, None, None),
        Err(NoRate::Restart)
    );
}

#[test]
fn sysuptime_wrapping_after_497_days_is_not_a_restart() {
    let mut up = UptimeTracker::new();
    let (_, r) = up.observe(u32::MAX - 1_000, T0);
    assert!(!r);
    // 60 s later: 6,000 ticks on, 4,999 past the wrap.
    let (c, r) = up.observe(4_999, T0 + 60 * SEC);
    assert!(!r);
    assert_eq!(c.boot, 0);
    assert_eq!(c.observed_since, Some(T0));
    // A jump back that does not match the elapsed time is a restart.
    let (_, r) = up.observe(1_000, T0 + 120 * SEC);
    assert!(r);
}

#[test]
fn uptime_advancing_with_the_clock_is_not_a_restart_despite_jitter() {
    let mut up = UptimeTracker::new();
    let _ = up.observe(1_000_000, T0);
    // The walk that read sysUpTime ended 1.5 s later than its read.
    let (_, r) = up.observe(1_006_000, T0 + 61_500_000_000);
    assert!(!r);
    // A walk that ended early against the next read.
    let (_, r) = up.observe(1_012_200, T0 + 120 * SEC);
    assert!(!r);
    // Our clock stepped back: nothing can be said, nothing is assumed.
    let (_, r) = up.observe(1_012_300, T0 + 100 * SEC);
    assert!(!r);
    assert_eq!(up.boots(), 0);
}

#[test]
fn a_moved_discontinuity_marker_voids_the_interval() {
    let mut r = CounterRate::new();
    let _ = r.update(c64(100, T0), confirmed(), Some(0), None);
    assert!(
        r.update(c64(200, T0 + SEC), confirmed(), Some(0), None)
            .is_ok()
    );
    assert_eq!(
        r.update(c64(300, T0 + 2 * SEC), confirmed(), Some(5_000), None),
        Err(NoRate::Discontinuity)
    );
    assert!(
        r.update(c64(400, T0 + 3 * SEC), confirmed(), Some(5_000), None)
            .is_ok()
    );
    // A marker read only sometimes is not a change.
    assert!(
        r.update(c64(500, T0 + 4 * SEC), confirmed(), None, None)
            .is_ok()
    );
}

#[test]
fn a_counter_changing_width_is_a_discontinuity() {
    let mut r = CounterRate::new();
    let _ = r.update(c32(100, T0), confirmed(), None, None);
    assert_eq!(
        r.update(c64(200, T0 + SEC), confirmed(), None, None),
        Err(NoRate::Discontinuity)
    );
}

#[test]
fn a_rate_above_the_ceiling_is_withheld() {
    // 1.25 GB in 1 s on a 1 Gbit/s link (ceiling 156 MB/s): a counter jump.
    let mut r = CounterRate::new();
    let _ = r.update(c64(0, T0), confirmed(), None, gbit(1.0));
    assert_eq!(
        r.update(c64(1_250_000_000, T0 + SEC), confirmed(), None, gbit(1.0)),
        Err(NoRate::AboveCeiling)
    );
}

#[test]
fn a_reading_not_after_the_baseline_has_no_rate_and_the_next_one_does() {
    let mut r = CounterRate::new();
    let _ = r.update(c64(100, T0), confirmed(), None, None);
    assert_eq!(
        r.update(c64(200, T0), confirmed(), None, None),
        Err(NoRate::NoTime)
    );
    assert_eq!(
        r.update(c64(300, T0 - SEC), confirmed(), None, None),
        Err(NoRate::NoTime)
    );
    let rate = r.update(c64(400, T0 + SEC), confirmed(), None, None);
    assert_eq!(rate.unwrap().per_second, 50.0);
}

#[test]
fn line_rates_prefer_if_high_speed() {
    assert_eq!(line_rate_bps(Some(u32::MAX), Some(100_000)), Some(1e11));
    assert_eq!(line_rate_bps(Some(1_000_000_000), None), Some(1e9));
    assert_eq!(line_rate_bps(Some(1_000_000_000), Some(0)), Some(1e9));
    assert_eq!(line_rate_bps(Some(u32::MAX), None), None);
    assert_eq!(line_rate_bps(Some(0), Some(0)), None);
    assert_eq!(line_rate_bps(None, None), None);
    assert_eq!(Ceiling::for_octets(8e9).unwrap().get(), 1.25e9);
    assert!(Ceiling::per_second(0.0).is_none());
    assert!(Ceiling::per_second(f64::NAN).is_none());
    assert!(Ceiling::per_second(f64::INFINITY).is_none());
}

/// One step of a property test: a counter reading and its context.
#[derive(Debug, Clone)]
struct Step {
    value: u64,
    dt_ms: u64,
    restart: bool,
    marker: Option<u32>,
    observed: bool,
}

fn any_step() -> impl Strategy<Value = Step> {
    (
        any::<u64>(),
        0u64..=600_000,
        prop::bool::weighted(0.1),
        prop::option::of(0u32..3),
        any::<bool>(),
    )
        .prop_map(|(value, dt_ms, restart, marker, observed)| Step {
            value,
            dt_ms,
            restart,
            marker,
            observed,
        })
}

fn any_width() -> impl Strategy<Value = CounterWidth> {
    prop_oneof![Just(CounterWidth::Bits32), Just(CounterWidth::Bits64)]
}

fn any_ceiling() -> impl Strategy<Value = Option<Ceiling>> {
    prop::option::of((1e-3f64..1e13).prop_map(|c| Ceiling::per_second(c).unwrap()))
}

proptest! {
    /// Whatever the readings, a rate is finite, never negative and never
    /// above the ceiling.
    #[test]
    fn rates_are_finite_non_negative_and_within_the_ceiling(
        width in any_width(),
        ceiling in any_ceiling(),
        steps in prop::collection::vec(any_step(), 1..40),
    ) {
        let mut r = CounterRate::new();
        let (mut at, mut boot) = (T0, 0u64);
        for s in steps {
            at += s.dt_ms * 1_000_000;
            boot += u64::from(s.restart);
            let value = match width {
                CounterWidth::Bits32 => s.value & u64::from(u32::MAX),
                CounterWidth::Bits64 => s.value,
            };
            let c = Continuity { boot, observed_since: s.observed.then_some(T0) };
            if let Ok(rate) = r.update(CounterReading { value, width, at }, c, s.marker, ceiling) {
                prop_assert!(rate.per_second.is_finite() && rate.per_second >= 0.0, "{rate:?}");
                if let Some(c) = ceiling {
                    prop_assert!(rate.per_second <= c.get(), "{rate:?} above {c:?}");
                }
            }
        }
    }

    /// A counter that only grows, read with time advancing on a device that
    /// does not restart, has the exact rate at every reading but the first
    /// (as long as that rate is within the ceiling).
    #[test]
    fn monotone_counters_give_exact_rates(
        width in any_width(),
        start in any::<u32>(),
        increments in prop::collection::vec((0u64..1_000_000_000, 1u64..600_000), 1..40),
        with_ceiling in any::<bool>(),
    ) {
        let ceiling = if with_ceiling { Ceiling::per_second(1e12) } else { None };
        let mut r = CounterRate::new();
        let mut value = u64::from(start);
        let mut at = T0;
        prop_assert_eq!(
            r.update(CounterReading { value, width, at }, confirmed(), None, ceiling),
            Err(NoRate::First)
        );
        for (inc, dt_ms) in increments {
            let limit = match width {
                CounterWidth::Bits32 => u64::from(u32::MAX),
                CounterWidth::Bits64 => u64::MAX,
            };
            let inc = inc.min(limit - value);
            value += inc;
            at += dt_ms * 1_000_000;
            let rate = r.update(CounterReading { value, width, at }, confirmed(), None, ceiling);
            let want = inc as f64 / (dt_ms as f64 / 1e3);
            let rate = rate.map_err(|e| TestCaseError::fail(format!("{e} for {inc} in {dt_ms} ms")))?;
            prop_assert!(!rate.wrapped);
            prop_assert!((rate.per_second - want).abs() <= want * 1e-12, "{} != {}", rate.per_second, want);
        }
    }

    /// Whatever happened before, a reading that advances the counter and the
    /// clock on the same boot has a rate again: no series is lost for good.
    #[test]
    fn the_interval_after_any_outcome_has_a_rate(
        width in any_width(),
        steps in prop::collection::vec(any_step(), 1..20),
        inc in 0u64..1_000,
    ) {
        let mut r = CounterRate::new();
        let (mut at, mut boot, mut marker) = (T0, 0u64, None);
        for s in steps {
            at += s.dt_ms * 1_000_000;
            boot += u64::from(s.restart);
            marker = s.marker;
            let value = match width {
                CounterWidth::Bits32 => s.value & u64::from(u32::MAX),
                CounterWidth::Bits64 => s.value,
            };
            let c = Continuity { boot, observed_since: None };
            let _ = r.update(CounterReading { value, width, at }, c, marker, None);
        }
        let last = r.last().unwrap();
        let limit = match width {
            CounterWidth::Bits32 => u64::from(u32::MAX),
            CounterWidth::Bits64 => u64::MAX,
        };
        let next = CounterReading { value: last.value + inc.min(limit - last.value), width, at: at + SEC };
        let c = Continuity { boot, observed_since: None };
        prop_assert!(r.update(next, c, marker, None).is_ok());
    }

    /// sysUpTime that advances with the clock (within a second of jitter)
    /// never reads as a restart; one that goes back by more than the slack,
    /// away from its own wrap, always does.
    #[test]
    fn uptime_restarts_are_detected_and_only_them(
        start in 0u32..(u32::MAX / 2),
        gaps in prop::collection::vec((1u64..3_600_000, -100i64..=100), 1..30),
        back in 300u32..1_000_000,
    ) {
        let mut up = UptimeTracker::new();
        let (mut ticks, mut at) = (start, T0);
        let _ = up.observe(ticks, at);
        for (gap_ms, jitter_ticks) in gaps {
            at += gap_ms * 1_000_000;
            let advance = i64::try_from(gap_ms / 10).unwrap() + jitter_ticks;
            ticks = u32::try_from((i64::from(ticks) + advance).max(i64::from(ticks))).unwrap();
            let (_, restarted) = up.observe(ticks, at);
            prop_assert!(!restarted, "{ticks} at {at}");
        }
        let before = ticks.saturating_sub(back);
        prop_assume!(before < ticks);
        let (c, restarted) = up.observe(before, at + SEC);
        prop_assert!(restarted);
        prop_assert_eq!(c.boot, 1);
    }
}
