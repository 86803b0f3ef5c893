//! The SNMP source of `nocwatch run`: every interval, one cycle of the polling
//! engine ([`Poller`]) walks the configured subtrees (by default IF-MIB octet,
//! error and status columns, sysUpTime and hrProcessorLoad) on every target and
//! publishes the numeric values into the same store as the CSV source, so
//! `GetMetric`/`ListMetrics` answer for SNMP devices too.
//!
//! Naming: the resource is the target's address (`127.1.0.7`, or `ip:port` when
//! the port is not the section's), the metric the column's name and the
//! instance (`ifHCInOctets.3`, `sysUpTime.0`, `hrProcessorLoad.768`); a column
//! this module does not know keeps its dotted OID. Counters also get a rate,
//! `<metric>.per_second`, from the previous sample in the store (Counter32
//! wraps are unwrapped once; a counter that went backwards, a reset, gets no
//! rate that cycle).
//!
//! A cycle publishes with [`Store::publish`] (series it did not poll stay), and
//! the CSV source is built to spare these resources when it replaces its own
//! (`HttpCsvSource::sharing`). Cycle figures (values, duration, timeouts) are
//! exported in `/health` and `/metrics` through [`SourceReport`].

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context as _;
use nocwatch_api::SourceReport;
use nocwatch_net::{Credentials, Poller, PollerConfig, TargetConfig};
use nocwatch_snmp::{Oid, OidRef, Value, Version};
use nocwatch_store::{Batch, Store, unix_nanos};

use super::config::SnmpSection;

/// Known columns and scalars: OID prefix → name used in metric names.
const NAMES: [(&str, &str); 16] = [
    ("1.3.6.1.2.1.1.3", "sysUpTime"),
    ("1.3.6.1.2.1.2.2.1.7", "ifAdminStatus"),
    ("1.3.6.1.2.1.2.2.1.8", "ifOperStatus"),
    ("1.3.6.1.2.1.2.2.1.10", "ifInOctets"),
    ("1.3.6.1.2.1.2.2.1.13", "ifInDiscards"),
    ("1.3.6.1.2.1.2.2.1.14", "ifInErrors"),
    ("1.3.6.1.2.1.2.2.1.16", "ifOutOctets"),
    ("1.3.6.1.2.1.2.2.1.19", "ifOutDiscards"),
    ("1.3.6.1.2.1.2.2.1.20", "ifOutErrors"),
    ("1.3.6.1.2.1.31.1.1.1.6", "ifHCInOctets"),
    ("1.3.6.1.2.1.31.1.1.1.7", "ifHCInUcastPkts"),
    ("1.3.6.1.2.1.31.1.1.1.10", "ifHCOutOctets"),
    ("1.3.6.1.2.1.31.1.1.1.11", "ifHCOutUcastPkts"),
    ("1.3.6.1.2.1.31.1.1.1.15", "ifHighSpeed"),
    ("1.3.6.1.2.1.25.3.3.1.2", "hrProcessorLoad"),
    ("1.3.6.1.4.1.2021.11.11", "ssCpuIdle"),
];

/// Subtrees walked when the configuration names none.
pub(crate) const DEFAULT_WALKS: [&str; 7] = [
    "1.3.6.1.2.1.1.3",
    "1.3.6.1.2.1.31.1.1.1.6",
    "1.3.6.1.2.1.31.1.1.1.10",
    "1.3.6.1.2.1.2.2.1.14",
    "1.3.6.1.2.1.2.2.1.20",
    "1.3.6.1.2.1.2.2.1.8",
    "1.3.6.1.2.1.25.3.3.1.2",
];

/// The metric name of a value's OID: a known column's name and the instance,
/// or the dotted OID.
fn metric_name(names: &[(Vec<u32>, &'static str)], oid: &OidRef<'_>) -> String {
    let arcs: Vec<u32> = oid.arcs().collect();
    let mut out = String::new();
    let rest = match names.iter().find(|(p, _)| arcs.starts_with(p)) {
        Some((p, name)) => {
            out.push_str(name);
            &arcs[p.len()..]
        }
        None => &arcs[..],
    };
    for (i, a) in rest.iter().enumerate() {
        if i > 0 || !out.is_empty() {
            out.push('.');
        }
        let _ = write!(out, "{a}");
    }
    out
}

/// What the SNMP source counts; shared with the API.
#[derive(Debug, Default)]
pub(crate) struct SnmpStats {
    name: String,
    targets: AtomicU64,
    cycles: AtomicU64,
    cycle_errors: AtomicU64,
    values_total: AtomicU64,
    published_total: AtomicU64,
    non_numeric_total: AtomicU64,
    undecodable_total: AtomicU64,
    timeouts_total: AtomicU64,
    failed_total: AtomicU64,
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

impl SourceReport for SnmpStats {
    fn health(&self) -> serde_json::Value {
        let last_end = self.last_end_unix_ms.load(Relaxed);
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

    fn write_prometheus(&self, out: &mut String) {
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
    }
}

/// The running source.
#[derive(Debug)]
pub(crate) struct SnmpSource {
    poller: Poller,
    /// Target address → resource name.
    resources: HashMap<SocketAddr, Arc<str>>,
    names: Vec<(Vec<u32>, &'static str)>,
    interval: Duration,
    store: Arc<Store>,
    stats: Arc<SnmpStats>,
}

/// The resource name of a target: its address, with the port when it is not
/// the section's.
pub(crate) fn resource_name(addr: SocketAddr, port: u16) -> String {
    if addr.port() == port {
        addr.ip().to_string()
    } else {
        addr.to_string()
    }
}

impl SnmpSource {
    /// Starts the engine and adds every target of `section` (whose targets were
    /// expanded into `addrs`).
    pub(crate) async fn start(
        section: &SnmpSection,
        addrs: &[SocketAddr],
        store: Arc<Store>,
    ) -> anyhow::Result<Self> {
        let credentials = match section.version.as_str() {
            "1" => Credentials::Community {
                version: Version::V1,
                community: section.community.as_bytes().to_vec(),
            },
            "2c" => Credentials::Community {
                version: Version::V2c,
                community: section.community.as_bytes().to_vec(),
            },
            "3" => Credentials::Usm(Arc::new(
                crate::sim::agents::parse_user(&section.user).context("snmp.user")?,
            )),
            v => anyhow::bail!("snmp.version {v:?}: expected \"1\", \"2c\" or \"3\""),
        };
        let walks = section
            .walks
            .iter()
            .map(|w| {
                w.parse::<Oid>()
                    .map_err(|e| anyhow::anyhow!("snmp.walks: {w:?}: {e}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let bind = if addrs.first().is_some_and(SocketAddr::is_ipv6) {
            IpAddr::from([0u16; 8])
        } else {
            IpAddr::from([0, 0, 0, 0])
        };
        let poller = Poller::start(PollerConfig {
            shards: section.shards,
            bind,
            ..PollerConfig::default()
        })
        .context("SNMP poller")?;
        let mut resources = HashMap::with_capacity(addrs.len());
        for addr in addrs {
            let mut t = TargetConfig::v2c(*addr, b"", walks.clone());
            t.credentials = credentials.clone();
            t.max_repetitions = section.max_repetitions;
            t.timeout = section.timeout;
            t.retries = section.retries;
            poller.add_target(t).await.context("SNMP poller")?;
            resources.insert(*addr, Arc::from(resource_name(*addr, section.port)));
        }
        let names = NAMES
            .iter()
            .filter_map(|(o, n)| Some((o.parse::<Oid>().ok()?.arcs().to_vec(), *n)))
            .collect();
        let stats = Arc::new(SnmpStats {
            name: section.name.clone(),
            ..SnmpStats::default()
        });
        stats.targets.store(addrs.len() as u64, Relaxed);
        Ok(Self {
            poller,
            resources,
            names,
            interval: section.interval,
            store,
            stats,
        })
    }

    pub(crate) fn stats(&self) -> &Arc<SnmpStats> {
        &self.stats
    }

    /// Runs a cycle every interval (the first at once) until `stop`.
    pub(crate) async fn run(mut self, stop: impl Future<Output = ()>) {
        let mut interval = tokio::time::interval(self.interval);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                _ = interval.tick() => {
                    tokio::select! {
                        () = &mut stop => break,
                        r = self.cycle() => if let Err(error) = r {
                            self.stats.cycle_errors.fetch_add(1, Relaxed);
                            tracing::warn!(message = "SNMP cycle failed.", error = %format!("{error:#}"));
                        }
                    }
                }
            }
        }
    }

    async fn cycle(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        let mut cycle = self.poller.poll_cycle().await?;
        // Rates come from the previous samples, read from the store itself.
        let previous = self.store.snapshot();
        let at = unix_nanos(SystemTime::now());
        let mut batch = Batch::new();
        let (mut non_numeric, mut undecodable) = (0u64, 0u64);
        while let Some(report) = cycle.next().await {
            let Some(resource) = self.resources.get(&report.addr) else {
                continue;
            };
            for walk in &report.walks {
                for vb in walk.varbinds().iter() {
                    let Ok(vb) = vb else {
                        undecodable += 1;
                        continue;
                    };
                    let (value, wrap) = match vb.value {
                        Value::Integer(v) => (v as f64, None),
                        Value::Gauge32(v) | Value::TimeTicks(v) => (f64::from(v), None),
                        Value::Counter32(v) => (f64::from(v), Some(4_294_967_296.0)),
                        Value::Counter64(v) => (v as f64, Some(18_446_744_073_709_551_616.0)),
                        _ => {
                            non_numeric += 1;
                            continue;
                        }
                    };
                    let metric = metric_name(&self.names, &vb.name);
                    if let Some(wrap) = wrap
                        && let Some(prev) = previous.latest(resource, &metric)
                        && let Some(dt) = at.checked_sub(prev.at).filter(|&d| d > 0)
                    {
                        let mut delta = value - prev.value;
                        // One wrap of a 32-bit counter between two polls is
                        // common on a busy link; a bigger jump back is a reset.
                        if delta < 0.0 && wrap < 1e10 {
                            delta += wrap;
                        }
                        if delta >= 0.0 {
                            batch.push(
                                Arc::clone(resource),
                                format!("{metric}.per_second"),
                                delta / (dt as f64 / 1e9),
                                at,
                            );
                        }
                    }
                    batch.push(Arc::clone(resource), metric, value, at);
                }
            }
        }
        let summary = cycle.finish().await?;
        let published = batch.len() as u64;
        if !batch.is_empty() {
            self.store.publish(batch)?;
        }
        let s = &self.stats;
        s.values_total.fetch_add(summary.values, Relaxed);
        s.published_total.fetch_add(published, Relaxed);
        s.non_numeric_total.fetch_add(non_numeric, Relaxed);
        s.undecodable_total.fetch_add(undecodable, Relaxed);
        s.timeouts_total.fetch_add(summary.timed_out, Relaxed);
        s.failed_total.fetch_add(summary.failed, Relaxed);
        s.last_values.store(summary.values, Relaxed);
        s.last_published.store(published, Relaxed);
        s.last_complete.store(summary.complete, Relaxed);
        s.last_timeouts.store(summary.timed_out, Relaxed);
        s.last_failed.store(summary.failed, Relaxed);
        s.last_requests.store(summary.requests, Relaxed);
        s.last_retries.store(summary.retries, Relaxed);
        s.last_duration_us.store(
            u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            Relaxed,
        );
        s.last_end_unix_ms
            .store(unix_nanos(SystemTime::now()) / 1_000_000, Relaxed);
        s.cycles.fetch_add(1, Relaxed);
        tracing::debug!(
            message = "SNMP cycle.",
            values = summary.values,
            published,
            timeouts = summary.timed_out,
            elapsed_ms = started.elapsed().as_millis()
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn metric_names_use_known_columns_and_instances() {
        let names: Vec<(Vec<u32>, &str)> = NAMES
            .iter()
            .map(|(o, n)| (o.parse::<Oid>().unwrap().arcs().to_vec(), *n))
            .collect();
        let name = |s: &str| metric_name(&names, &s.parse::<Oid>().unwrap().as_oid_ref());
        assert_eq!(name("1.3.6.1.2.1.31.1.1.1.6.3"), "ifHCInOctets.3");
        assert_eq!(name("1.3.6.1.2.1.1.3.0"), "sysUpTime.0");
        // ifInOctets (…2.2.1.10) must not be taken for ifInDiscards' prefix, and
        // column 1 must not match column 10.
        assert_eq!(name("1.3.6.1.2.1.2.2.1.10.12"), "ifInOctets.12");
        assert_eq!(name("1.3.6.1.2.1.2.2.1.1.12"), "1.3.6.1.2.1.2.2.1.1.12");
        assert_eq!(name("1.3.6.1.4.1.9.9"), "1.3.6.1.4.1.9.9");
    }

    #[test]
    fn resources_carry_the_port_only_when_it_differs() {
        let a: SocketAddr = "127.1.0.7:161".parse().unwrap();
        assert_eq!(resource_name(a, 161), "127.1.0.7");
        assert_eq!(resource_name(a, 1161), "127.1.0.7:161");
    }
}
