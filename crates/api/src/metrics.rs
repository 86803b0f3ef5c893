//! The API's own metrics: per-route handler latency and answers by status.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use nocwatch_telemetry::stats::{Histogram, REQUEST_BUCKETS};

/// Routes measured, for labels.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Route {
    GetMetric = 0,
    ListMetrics = 1,
    Health = 2,
    Metrics = 3,
    Other = 4,
}

const ROUTES: [&str; 5] = ["GetMetric", "ListMetrics", "health", "metrics", "other"];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

#[derive(Debug)]
pub(crate) struct ApiMetrics {
    latency: [Histogram; 5],
    /// Answers per (route, status class).
    answers: [[AtomicU64; 5]; 5],
}

impl Default for ApiMetrics {
    fn default() -> Self {
        Self {
            latency: std::array::from_fn(|_| Histogram::new(REQUEST_BUCKETS)),
            answers: Default::default(),
        }
    }
}

impl ApiMetrics {
    pub(crate) fn record(&self, route: Route, status: u16, took: Duration) {
        let r = route as usize;
        if let Some(h) = self.latency.get(r) {
            h.observe(took);
        }
        let class = usize::from(status / 100).saturating_sub(1).min(4);
        if let Some(c) = self.answers.get(r).and_then(|a| a.get(class)) {
            c.fetch_add(1, Relaxed);
        }
    }

    pub(crate) fn write_prometheus(&self, out: &mut String) {
        out.push_str("# HELP nocwatch_http_request_duration_seconds Handler time per route (snapshot load, lookup, serialisation).\n");
        out.push_str("# TYPE nocwatch_http_request_duration_seconds histogram\n");
        for (h, route) in self.latency.iter().zip(ROUTES) {
            h.write_prometheus(
                out,
                "nocwatch_http_request_duration_seconds",
                &format!("route=\"{route}\""),
            );
        }
        out.push_str("# HELP nocwatch_http_responses_total Answers per route and status class.\n");
        out.push_str("# TYPE nocwatch_http_responses_total counter\n");
        for (a, route) in self.answers.iter().zip(ROUTES) {
            for (c, class) in a.iter().zip(CLASSES) {
                let n = c.load(Relaxed);
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
