//! The API's own metrics: per-route handler latency and answers by status.
//!
//! Recorded at every request by every API thread. One set of atomic
//! counters shared by all threads would have each request take the counters'
//! cache lines from the other cores (a contended read-modify-write costs
//! tens of nanoseconds, several per request); so each thread adds to its own
//! shard, aligned to its own cache lines, and `/metrics` sums the shards.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use nocwatch_telemetry::stats::REQUEST_BUCKETS;

/// Routes measured, for labels.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Route {
    GetMetric = 0,
    ListMetrics = 1,
    Health = 2,
    Metrics = 3,
    Other = 4,
    Events = 5,
    EventStream = 6,
    Admin = 7,
}

const ROUTES: [&str; 8] = [
    "GetMetric",
    "ListMetrics",
    "health",
    "metrics",
    "other",
    "events",
    "events_stream",
    "admin",
];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];
/// Latency buckets: [`REQUEST_BUCKETS`] and +Inf.
const BUCKETS: usize = REQUEST_BUCKETS.len() + 1;
/// Shards: threads beyond this many share them (round-robin), which stays
/// correct, only slower.
const SHARDS: usize = 16;

/// One route's latency histogram in one shard.
#[derive(Debug, Default)]
struct Latency {
    buckets: [AtomicU64; BUCKETS],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

/// One thread's counters, on cache lines of their own.
#[derive(Debug, Default)]
#[repr(align(128))]
struct Shard {
    latency: [Latency; ROUTES.len()],
    /// Answers per (route, status class).
    answers: [[AtomicU64; 5]; ROUTES.len()],
}

#[derive(Debug)]
pub(crate) struct ApiMetrics {
    shards: Box<[Shard]>,
}

impl Default for ApiMetrics {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
        }
    }
}

/// This thread's shard index, handed out round-robin on first use.
fn shard_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static INDEX: usize = NEXT.fetch_add(1, Relaxed) % SHARDS;
    }
    INDEX.with(|i| *i)
}

impl ApiMetrics {
    pub(crate) fn record(&self, route: Route, status: u16, took: Duration) {
        let Some(shard) = self.shards.get(shard_index()) else {
            return;
        };
        let r = route as usize;
        if let Some(h) = shard.latency.get(r) {
            let secs = took.as_secs_f64();
            let i = REQUEST_BUCKETS.partition_point(|b| *b < secs);
            if let Some(b) = h.buckets.get(i) {
                b.fetch_add(1, Relaxed);
            }
            h.count.fetch_add(1, Relaxed);
            let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
            h.sum_nanos.fetch_add(nanos, Relaxed);
        }
        let class = usize::from(status / 100).saturating_sub(1).min(4);
        if let Some(c) = shard.answers.get(r).and_then(|a| a.get(class)) {
            c.fetch_add(1, Relaxed);
        }
    }

    /// Sum over the shards of `f(shard)`.
    fn total(&self, f: impl Fn(&Shard) -> Option<&AtomicU64>) -> u64 {
        self.shards
            .iter()
            .filter_map(|s| f(s).map(|c| c.load(Relaxed)))
            .fold(0u64, u64::wrapping_add)
    }

    pub(crate) fn write_prometheus(&self, out: &mut String) {
        const NAME: &str = "nocwatch_http_request_duration_seconds";
        out.push_str("# HELP nocwatch_http_request_duration_seconds Handler time per route (snapshot load, lookup, serialisation).\n");
        out.push_str("# TYPE nocwatch_http_request_duration_seconds histogram\n");
        for (r, route) in ROUTES.iter().enumerate() {
            let mut cumulative = 0u64;
            for i in 0..BUCKETS {
                cumulative = cumulative
                    .wrapping_add(self.total(|s| s.latency.get(r).and_then(|h| h.buckets.get(i))));
                let _ = match REQUEST_BUCKETS.get(i) {
                    Some(le) => writeln!(
                        out,
                        "{NAME}_bucket{{route=\"{route}\",le=\"{le}\"}} {cumulative}"
                    ),
                    None => writeln!(
                        out,
                        "{NAME}_bucket{{route=\"{route}\",le=\"+Inf\"}} {cumulative}"
                    ),
                };
            }
            let sum = self.total(|s| s.latency.get(r).map(|h| &h.sum_nanos));
            let count = self.total(|s| s.latency.get(r).map(|h| &h.count));
            let _ = writeln!(
                out,
                "{NAME}_sum{{route=\"{route}\"}} {}",
                Duration::from_nanos(sum).as_secs_f64()
            );
            let _ = writeln!(out, "{NAME}_count{{route=\"{route}\"}} {count}");
        }
        out.push_str("# HELP nocwatch_http_responses_total Answers per route and status class.\n");
        out.push_str("# TYPE nocwatch_http_responses_total counter\n");
        for (r, route) in ROUTES.iter().enumerate() {
            for (c, class) in CLASSES.iter().enumerate() {
                let n = self.total(|s| s.answers.get(r).and_then(|a| a.get(c)));
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "nocwatch_http_responses_total{{route=\"{route}\",code=\"{class}\"}} {n}"
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use nocwatch_telemetry::stats::Histogram;

    /// The sharded histogram renders what one shared
    /// [`nocwatch_telemetry::stats::Histogram`] would, from several threads.
    #[test]
    fn shards_sum_to_the_shared_histogram() {
        let metrics = ApiMetrics::default();
        let reference = Histogram::new(REQUEST_BUCKETS);
        let took: Vec<Duration> = (0..2_000u64)
            .map(|i| Duration::from_nanos(i * i * 7 + 3))
            .collect();
        std::thread::scope(|s| {
            for chunk in took.chunks(500) {
                let metrics = &metrics;
                s.spawn(move || {
                    for (i, d) in chunk.iter().enumerate() {
                        let status = if i % 10 == 0 { 404 } else { 200 };
                        metrics.record(Route::GetMetric, status, *d);
                    }
                });
            }
        });
        for d in &took {
            reference.observe(*d);
        }
        metrics.record(Route::Health, 503, Duration::from_micros(30));
        let mut ours = String::new();
        metrics.write_prometheus(&mut ours);
        let mut theirs = String::new();
        reference.write_prometheus(
            &mut theirs,
            "nocwatch_http_request_duration_seconds",
            "route=\"GetMetric\"",
        );
        for line in theirs.lines() {
            assert!(ours.contains(&format!("{line}\n")), "{line} not in\n{ours}");
        }
        assert!(
            ours.contains("nocwatch_http_responses_total{route=\"GetMetric\",code=\"2xx\"} 1800\n")
        );
        assert!(
            ours.contains("nocwatch_http_responses_total{route=\"GetMetric\",code=\"4xx\"} 200\n")
        );
        assert!(ours.contains("nocwatch_http_responses_total{route=\"health\",code=\"5xx\"} 1\n"));
        assert!(
            ours.contains("nocwatch_http_request_duration_seconds_count{route=\"health\"} 1\n")
        );
        assert!(ours.contains("nocwatch_http_request_duration_seconds_count{route=\"other\"} 0\n"));
    }

    /// Two threads recording at full speed: sharded counters against one
    /// shared histogram (the previous design). Run with
    /// `cargo test --release -p nocwatch-api -- --ignored --nocapture record_contention`.
    #[test]
    #[ignore = "a timing, not a check: run with cargo test --release -p nocwatch-api -- --ignored --nocapture record_contention (README, docs/BENCHMARKS.md)"]
    fn record_contention() {
        const N: u32 = 2_000_000;
        let metrics = ApiMetrics::default();
        let shared = Histogram::new(REQUEST_BUCKETS);
        let answers: [AtomicU64; 5] = Default::default();
        let time = |f: &(dyn Fn() + Sync)| {
            let start = std::time::Instant::now();
            std::thread::scope(|s| {
                for _ in 0..2 {
                    s.spawn(f);
                }
            });
            start.elapsed() / N
        };
        let d = Duration::from_micros(3);
        let sharded = time(&|| {
            for _ in 0..N {
                metrics.record(Route::GetMetric, 200, d);
            }
        });
        let one = time(&|| {
            for _ in 0..N {
                shared.observe(d);
                answers[1].fetch_add(1, Relaxed);
            }
        });
        println!("per record, 2 threads at once: sharded {sharded:?}, shared {one:?}");
    }
}
