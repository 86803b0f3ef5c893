//! Lock-free statistics: a fixed-bucket latency histogram and the source's
//! ingestion statistics, both rendered in the Prometheus text format.
//!
//! Plain atomics rather than a metrics facade: the hot path (one histogram
//! observation per API request) is a handful of relaxed atomic adds, and the
//! exposition is a few lines of string formatting.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, SystemTime};

use nocwatch_store::unix_nanos;

use crate::error::FailureKind;

/// Bucket bounds (seconds) for request latencies: 10 µs .. 1 s.
pub const REQUEST_BUCKETS: &[f64] = &[
    0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.1,
    1.0,
];

/// Bucket bounds (seconds) for ingestion phases: 100 µs .. 10 s.
pub const PHASE_BUCKETS: &[f64] = &[
    0.000_1, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A cumulative histogram with fixed bucket bounds.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [f64],
    /// Non-cumulative counts per bound, plus one for +Inf.
    buckets: Box<[AtomicU64]>,
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    /// An empty histogram over `bounds` (ascending, seconds).
    #[must_use]
    pub fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_nanos: AtomicU64::new(0),
        }
    }

    /// Records one duration.
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = self.bounds.partition_point(|b| *b < secs);
        if let Some(b) = self.buckets.get(i) {
            b.fetch_add(1, Relaxed);
        }
        self.count.fetch_add(1, Relaxed);
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Relaxed);
    }

    /// Number of observations.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.count.load(Relaxed)
    }

    /// Sum of observations.
    #[must_use]
    pub fn sum(&self) -> Duration {
        Duration::from_nanos(self.sum_nanos.load(Relaxed))
    }

    /// Appends the `_bucket`, `_sum` and `_count` lines of metric `name` with
    /// extra `labels` (`key="value"` pairs joined by commas, or empty).
    pub fn write_prometheus(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0u64;
        for (i, b) in self.buckets.iter().enumerate() {
            cumulative += b.load(Relaxed);
            match self.bounds.get(i) {
                Some(le) => {
                    let _ = writeln!(
                        out,
                        "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}"
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {cumulative}"
                    );
                }
            }
        }
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum().as_secs_f64());
        let _ = writeln!(out, "{name}_count{braces} {}", self.count());
    }
}

/// One ingestion cycle's phases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PhaseTimes {
    /// Request until the whole body is in memory.
    pub fetch: Duration,
    /// Parse and validate the body, build the store batch.
    pub parse: Duration,
    /// Build the next snapshot (copy-on-write) and install it by one atomic
    /// pointer swap.
    pub swap: Duration,
}

impl PhaseTimes {
    /// Sum of the phases.
    #[must_use]
    pub fn total(&self) -> Duration {
        self.fetch + self.parse + self.swap
    }
}

/// Phase names, in [`IngestStats`] order.
pub const PHASES: [&str; 3] = ["fetch", "parse", "swap"];

/// Health of a source as last observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceState {
    /// No cycle finished yet.
    Starting,
    /// The last cycle published.
    Ok,
    /// The last cycle failed with this kind.
    Failing(FailureKind),
}

/// Statistics of one source, shared between the source task (writer) and the
/// API (reader). All lock-free.
#[derive(Debug)]
pub struct IngestStats {
    phases: [Histogram; 3],
    last_phase_nanos: [AtomicU64; 3],
    cycles_ok: AtomicU64,
    failures: [AtomicU64; FailureKind::ALL.len()],
    consecutive_failures: AtomicU64,
    /// 0 = starting, 1 = ok, 2 + kind index = failing.
    state: AtomicU8,
    last_success_unix_nanos: AtomicU64,
    last_rows: AtomicU64,
}

impl Default for IngestStats {
    fn default() -> Self {
        Self {
            phases: [
                Histogram::new(PHASE_BUCKETS),
                Histogram::new(PHASE_BUCKETS),
                Histogram::new(PHASE_BUCKETS),
            ],
            last_phase_nanos: Default::default(),
            cycles_ok: AtomicU64::new(0),
            failures: Default::default(),
            consecutive_failures: AtomicU64::new(0),
            state: AtomicU8::new(0),
            last_success_unix_nanos: AtomicU64::new(0),
            last_rows: AtomicU64::new(0),
        }
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl IngestStats {
    /// Records a published cycle; returns the previous state (for logging a
    /// state change once).
    pub fn record_success(&self, phases: PhaseTimes, rows: usize, at: SystemTime) -> SourceState {
        for (i, d) in [phases.fetch, phases.parse, phases.swap]
            .into_iter()
            .enumerate()
        {
            if let Some(h) = self.phases.get(i) {
                h.observe(d);
            }
            if let Some(l) = self.last_phase_nanos.get(i) {
                l.store(nanos(d), Relaxed);
            }
        }
        self.cycles_ok.fetch_add(1, Relaxed);
        self.consecutive_failures.store(0, Relaxed);
        self.last_rows
            .store(u64::try_from(rows).unwrap_or(u64::MAX), Relaxed);
        self.last_success_unix_nanos.store(unix_nanos(at), Relaxed);
        decode_state(self.state.swap(1, Relaxed))
    }

    /// Records a failed cycle; returns the previous state.
    pub fn record_failure(&self, kind: FailureKind) -> SourceState {
        if let Some(c) = self.failures.get(kind.index()) {
            c.fetch_add(1, Relaxed);
        }
        self.consecutive_failures.fetch_add(1, Relaxed);
        let code = u8::try_from(kind.index() + 2).unwrap_or(u8::MAX);
        decode_state(self.state.swap(code, Relaxed))
    }

    /// The state after the last cycle.
    #[must_use]
    pub fn state(&self) -> SourceState {
        decode_state(self.state.load(Relaxed))
    }

    /// Failures counted for `kind`.
    #[must_use]
    pub fn failures(&self, kind: FailureKind) -> u64 {
        self.failures
            .get(kind.index())
            .map_or(0, |c| c.load(Relaxed))
    }

    /// Failures of every kind.
    #[must_use]
    pub fn failures_total(&self) -> u64 {
        self.failures.iter().map(|c| c.load(Relaxed)).sum()
    }

    /// Failed cycles since the last success.
    #[must_use]
    pub fn consecutive_failures(&self) -> u64 {
        self.consecutive_failures.load(Relaxed)
    }

    /// Cycles that published.
    #[must_use]
    pub fn cycles_ok(&self) -> u64 {
        self.cycles_ok.load(Relaxed)
    }

    /// Rows in the last published matrix.
    #[must_use]
    pub fn last_rows(&self) -> u64 {
        self.last_rows.load(Relaxed)
    }

    /// When the last cycle published, if any did.
    #[must_use]
    pub fn last_success(&self) -> Option<SystemTime> {
        let n = self.last_success_unix_nanos.load(Relaxed);
        (n != 0).then(|| SystemTime::UNIX_EPOCH + Duration::from_nanos(n))
    }

    /// Phases of the last published cycle.
    #[must_use]
    pub fn last_phases(&self) -> PhaseTimes {
        let get = |i: usize| {
            Duration::from_nanos(self.last_phase_nanos.get(i).map_or(0, |a| a.load(Relaxed)))
        };
        PhaseTimes {
            fetch: get(0),
            parse: get(1),
            swap: get(2),
        }
    }

    /// The phase histogram of phase `i` (see [`PHASES`]).
    #[must_use]
    pub fn phase_histogram(&self, i: usize) -> Option<&Histogram> {
        self.phases.get(i)
    }

    /// Appends this source's metrics in the Prometheus text format, labelled
    /// `source="<source>"`. `now` gives the data age.
    pub fn write_prometheus(&self, out: &mut String, source: &str, now: SystemTime) {
        let l = format!("source=\"{source}\"");
        out.push_str("# HELP nocwatch_ingest_phase_seconds Duration of each ingestion cycle phase (successful cycles).\n");
        out.push_str("# TYPE nocwatch_ingest_phase_seconds histogram\n");
        for (i, phase) in PHASES.iter().enumerate() {
            if let Some(h) = self.phases.get(i) {
                h.write_prometheus(
                    out,
                    "nocwatch_ingest_phase_seconds",
                    &format!("{l},phase=\"{phase}\""),
                );
            }
        }
        out.push_str(
            "# HELP nocwatch_ingest_last_phase_seconds Phases of the last successful cycle.\n",
        );
        out.push_str("# TYPE nocwatch_ingest_last_phase_seconds gauge\n");
        let last = self.last_phases();
        for (phase, d) in PHASES.iter().zip([last.fetch, last.parse, last.swap]) {
            let _ = writeln!(
                out,
                "nocwatch_ingest_last_phase_seconds{{{l},phase=\"{phase}\"}} {}",
                d.as_secs_f64()
            );
        }
        out.push_str(
            "# HELP nocwatch_ingest_cycles_total Ingestion cycles that published a snapshot.\n",
        );
        out.push_str("# TYPE nocwatch_ingest_cycles_total counter\n");
        let _ = writeln!(
            out,
            "nocwatch_ingest_cycles_total{{{l}}} {}",
            self.cycles_ok()
        );
        out.push_str("# HELP nocwatch_ingest_failures_total Failed ingestion cycles by kind; the last good snapshot stays served.\n");
        out.push_str("# TYPE nocwatch_ingest_failures_total counter\n");
        for k in FailureKind::ALL {
            let _ = writeln!(
                out,
                "nocwatch_ingest_failures_total{{{l},kind=\"{k}\"}} {}",
                self.failures(k)
            );
        }
        out.push_str(
            "# HELP nocwatch_ingest_consecutive_failures Failed cycles since the last success.\n",
        );
        out.push_str("# TYPE nocwatch_ingest_consecutive_failures gauge\n");
        let _ = writeln!(
            out,
            "nocwatch_ingest_consecutive_failures{{{l}}} {}",
            self.consecutive_failures()
        );
        out.push_str("# HELP nocwatch_ingest_up 1 if the last cycle published, else 0.\n");
        out.push_str("# TYPE nocwatch_ingest_up gauge\n");
        let _ = writeln!(
            out,
            "nocwatch_ingest_up{{{l}}} {}",
            u8::from(self.state() == SourceState::Ok)
        );
        out.push_str("# HELP nocwatch_ingest_data_age_seconds Time since the source last published (absent before the first success).\n");
        out.push_str("# TYPE nocwatch_ingest_data_age_seconds gauge\n");
        if let Some(t) = self.last_success() {
            let age = now.duration_since(t).unwrap_or_default();
            let _ = writeln!(
                out,
                "nocwatch_ingest_data_age_seconds{{{l}}} {}",
                age.as_secs_f64()
            );
            let _ = writeln!(
                out,
                "# TYPE nocwatch_ingest_last_success_timestamp_seconds gauge\nnocwatch_ingest_last_success_timestamp_seconds{{{l}}} {}",
                t.duration_since(SystemTime::UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_secs_f64()
            );
        }
        out.push_str("# HELP nocwatch_ingest_rows Rows of the last published matrix.\n");
        out.push_str("# TYPE nocwatch_ingest_rows gauge\n");
        let _ = writeln!(out, "nocwatch_ingest_rows{{{l}}} {}", self.last_rows());
    }
}

fn decode_state(code: u8) -> SourceState {
    match code {
        0 => SourceState::Starting,
        1 => SourceState::Ok,
        c => SourceState::Failing(
            FailureKind::ALL
                .get(usize::from(c - 2))
                .copied()
                .unwrap_or(FailureKind::Internal),
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let h = Histogram::new(REQUEST_BUCKETS);
        h.observe(Duration::from_micros(5));
        h.observe(Duration::from_micros(30));
        h.observe(Duration::from_secs(3));
        let mut out = String::new();
        h.write_prometheus(&mut out, "x", "a=\"b\"");
        assert!(
            out.contains("x_bucket{a=\"b\",le=\"0.00001\"} 1\n"),
            "{out}"
        );
        assert!(out.contains("x_bucket{a=\"b\",le=\"0.00005\"} 2\n"));
        assert!(out.contains("x_bucket{a=\"b\",le=\"1\"} 2\n"));
        assert!(out.contains("x_bucket{a=\"b\",le=\"+Inf\"} 3\n"));
        assert!(out.contains("x_count{a=\"b\"} 3\n"));
    }

    #[test]
    fn state_changes_are_reported() {
        let s = IngestStats::default();
        assert_eq!(s.state(), SourceState::Starting);
        assert_eq!(
            s.record_failure(FailureKind::Timeout),
            SourceState::Starting
        );
        assert_eq!(
            s.record_failure(FailureKind::Timeout),
            SourceState::Failing(FailureKind::Timeout)
        );
        assert_eq!(s.consecutive_failures(), 2);
        let prev = s.record_success(PhaseTimes::default(), 50, SystemTime::now());
        assert_eq!(prev, SourceState::Failing(FailureKind::Timeout));
        assert_eq!(s.state(), SourceState::Ok);
        assert_eq!(s.failures(FailureKind::Timeout), 2);
        assert_eq!(s.failures_total(), 2);
        assert_eq!(s.consecutive_failures(), 0);
    }
}
