//! What the poll source counts, for `/health` and `/metrics`. The API shows
//! it through its `SourceReport` trait; this crate does not depend on the
//! API, so the service wires [`SnmpStats::health`] and
//! [`SnmpStats::write_prometheus`] to it.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use nocwatch_net::CycleSummary;

use crate::device::Tally;
use crate::rate::NoRate;

/// The poll source's counters, shared with the API.
#[derive(Debug, Default)]
pub struct SnmpStats {
    name: String,
    pub(crate) targets: AtomicU64,
    cycles: AtomicU64,
    pub(crate) cycle_errors: AtomicU64,
    values_total: AtomicU64,
    published_total: AtomicU64,
    non_numeric_total: AtomicU64,
    undecodable_total: AtomicU64,
    timeouts_total: AtomicU64,
    failed_total: AtomicU64,
    rates_total: AtomicU64,
    withheld_total: [AtomicU64; NoRate::ALL.len()],
    restarts_total: AtomicU64,
    last_values: AtomicU64,
    last_published: AtomicU64,
    last_complete: AtomicU64,
    last_timeouts: AtomicU64,
    last_failed: AtomicU64,
    last_requests: AtomicU64,
    last_retries: AtomicU64,
    last_duration_us: AtomicU64,
    last_end_unix_ms: AtomicU64,
}

impl SnmpStats {
    /// The counters of the source named `name`.
    #[must_use]
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            ..Self::default()
        }
    }

    /// Cycles completed.
    #[must_use]
    pub fn cycles(&self) -> u64 {
        self.cycles.load(Relaxed)
    }

    /// Records a completed cycle.
    pub(crate) fn record_cycle(
        &self,
        summary: &CycleSummary,
        tally: &Tally,
        duration_us: u64,
        ended_unix_ms: u64,
    ) {
        self.values_total.fetch_add(summary.values, Relaxed);
        self.published_total.fetch_add(tally.published, Relaxed);
        self.non_numeric_total.fetch_add(tally.non_numeric, Relaxed);
        self.undecodable_total.fetch_add(tally.undecodable, Relaxed);
        self.timeouts_total.fetch_add(summary.timed_out, Relaxed);
        self.failed_total.fetch_add(summary.failed, Relaxed);
        self.rates_total.fetch_add(tally.rates, Relaxed);
        for (a, n) in self.withheld_total.iter().zip(tally.withheld) {
            a.fetch_add(n, Relaxed);
        }
        self.restarts_total.fetch_add(tally.restarts, Relaxed);
        self.last_values.store(summary.values, Relaxed);
        self.last_published.store(tally.published, Relaxed);
        self.last_complete.store(summary.complete, Relaxed);
        self.last_timeouts.store(summary.timed_out, Relaxed);
        self.last_failed.store(summary.failed, Relaxed);
        self.last_requests.store(summary.requests, Relaxed);
        self.last_retries.store(summary.retries, Relaxed);
        self.last_duration_us.store(duration_us, Relaxed);
        self.last_end_unix_ms.store(ended_unix_ms, Relaxed);
        self.cycles.fetch_add(1, Relaxed);
    }

    /// The `/health` object.
    #[must_use]
    pub fn health(&self) -> serde_json::Value {
        let last_end = self.last_end_unix_ms.load(Relaxed);
        let withheld: serde_json::Map<String, serde_json::Value> = NoRate::ALL
            .iter()
            .map(|r| {
                (
                    r.as_str().to_owned(),
                    self.withheld_total[r.index()].load(Relaxed).into(),
                )
            })
            .collect();
        serde_json::json!({
            "name": self.name,
            "kind": "snmp",
            "targets": self.targets.load(Relaxed),
            "cycles": self.cycles.load(Relaxed),
            "cycle_errors": self.cycle_errors.load(Relaxed),
            "values_total": self.values_total.load(Relaxed),
            "timeouts_total": self.timeouts_total.load(Relaxed),
            "failed_total": self.failed_total.load(Relaxed),
            "non_numeric_total": self.non_numeric_total.load(Relaxed),
            "undecodable_total": self.undecodable_total.load(Relaxed),
            "rates_total": self.rates_total.load(Relaxed),
            "rates_withheld_total": withheld,
            "restarts_total": self.restarts_total.load(Relaxed),
            "last_cycle": {
                "ended_unix_ms": (last_end > 0).then_some(last_end),
                "duration_ms": self.last_duration_us.load(Relaxed) as f64 / 1e3,
                "values": self.last_values.load(Relaxed),
                "published": self.last_published.load(Relaxed),
                "complete": self.last_complete.load(Relaxed),
                "timeouts": self.last_timeouts.load(Relaxed),
                "failed": self.last_failed.load(Relaxed),
                "requests": self.last_requests.load(Relaxed),
                "retries": self.last_retries.load(Relaxed),
            },
        })
    }

    /// Appends the Prometheus lines (with `# HELP` / `# TYPE`) to `out`.
    pub fn write_prometheus(&self, out: &mut String) {
        let s = &self.name;
        let mut metric = |name: &str, kind: &str, help: &str, v: f64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name}{{source=\"{s}\"}} {v}"
            );
        };
        let n = |a: &AtomicU64| a.load(Relaxed) as f64;
        metric(
            "nocwatch_snmp_targets",
            "gauge",
            "SNMP targets polled each cycle.",
            n(&self.targets),
        );
        metric(
            "nocwatch_snmp_cycles_total",
            "counter",
            "SNMP poll cycles completed.",
            n(&self.cycles),
        );
        metric(
            "nocwatch_snmp_cycle_errors_total",
            "counter",
            "SNMP poll cycles that could not run or publish.",
            n(&self.cycle_errors),
        );
        metric(
            "nocwatch_snmp_values_total",
            "counter",
            "Values received from SNMP walks.",
            n(&self.values_total),
        );
        metric(
            "nocwatch_snmp_published_total",
            "counter",
            "Samples (values and rates) published into the store.",
            n(&self.published_total),
        );
        metric(
            "nocwatch_snmp_non_numeric_total",
            "counter",
            "Values skipped because they are not numbers (strings, OIDs, exceptions).",
            n(&self.non_numeric_total),
        );
        metric(
            "nocwatch_snmp_undecodable_total",
            "counter",
            "Varbinds that could not be decoded.",
            n(&self.undecodable_total),
        );
        metric(
            "nocwatch_snmp_timeouts_total",
            "counter",
            "Targets that timed out in a cycle.",
            n(&self.timeouts_total),
        );
        metric(
            "nocwatch_snmp_failed_total",
            "counter",
            "Targets whose walk failed otherwise (agent error, non-increasing OIDs...).",
            n(&self.failed_total),
        );
        metric(
            "nocwatch_snmp_rates_total",
            "counter",
            "Counter rates (<metric>.per_second) published.",
            n(&self.rates_total),
        );
        metric(
            "nocwatch_snmp_restarts_total",
            "counter",
            "Device restarts detected from sysUpTime.",
            n(&self.restarts_total),
        );
        metric(
            "nocwatch_snmp_last_cycle_values",
            "gauge",
            "Values received in the last cycle.",
            n(&self.last_values),
        );
        metric(
            "nocwatch_snmp_last_cycle_timeouts",
            "gauge",
            "Targets that timed out in the last cycle.",
            n(&self.last_timeouts),
        );
        metric(
            "nocwatch_snmp_last_cycle_duration_seconds",
            "gauge",
            "Duration of the last cycle, from its start to the publish of its values.",
            n(&self.last_duration_us) / 1e6,
        );
        let name = "nocwatch_snmp_rates_withheld_total";
        let _ = writeln!(
            out,
            "# HELP {name} Counter readings with no rate, by reason (first reading, device restart, \
             discontinuity, reset, above the line rate, clock not advancing).\n# TYPE {name} counter"
        );
        for r in NoRate::ALL {
            let _ = writeln!(
                out,
                "{name}{{source=\"{s}\",reason=\"{}\"}} {}",
                r.as_str(),
                n(&self.withheld_total[r.index()])
            );
        }
    }
}
