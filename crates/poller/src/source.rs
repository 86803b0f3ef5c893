//! The SNMP poll source of `nocwatch run`: every interval, one cycle of the
//! polling engine ([`Poller`]) walks the configured subtrees (by default
//! IF-MIB octet, error and status columns, sysUpTime and hrProcessorLoad) on
//! every target and writes the numeric values through a [`StoreSink`], so
//! `GetMetric`/`ListMetrics` answer for SNMP devices too.
//!
//! Naming: the resource is the target's address ([`resource_name`]), the
//! metric the column's name and the instance ([`crate::column`]). Counters
//! also get a rate, `<metric>.per_second`, from the rate state this source
//! keeps per device ([`crate::rate`]: wraps unwrapped only when plausible, no
//! rate across a restart). sysUpTime is read from every target for that even
//! when `walks` does not cover it (it is then not published).
//!
//! Cycle figures (values, duration, timeouts, rates withheld) are kept in
//! [`SnmpStats`] for `/health` and `/metrics`.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant, SystemTime};

use nocwatch_net::{Credentials, Poller, PollerConfig, TargetConfig, TargetReport};
use nocwatch_snmp::{Oid, oids};
use nocwatch_store::{Batch, unix_nanos};

use crate::column::{Columns, SYS_UP_TIME};
use crate::device::{Device, Tally};
use crate::{PollerError, SnmpConfig, SnmpStats, StoreSink, resource_name};

/// The running source.
#[derive(Debug)]
pub struct SnmpSource {
    poller: Poller,
    devices: HashMap<SocketAddr, Device>,
    columns: Columns,
    /// The sysUpTime walk added for the rates, whose values are not published.
    uptime_walk: Option<Oid>,
    interval: Duration,
    sink: StoreSink,
    stats: Arc<SnmpStats>,
}

impl SnmpSource {
    /// Starts the engine and adds `targets` (the config's targets expanded
    /// with [`crate::parse_targets`], or the lab's devices) with
    /// `credentials` (from [`SnmpConfig::credentials`]).
    ///
    /// # Errors
    ///
    /// A walk that is not a dotted OID, or the engine failing to start.
    pub async fn start(
        config: &SnmpConfig,
        credentials: Credentials,
        targets: &[SocketAddr],
        sink: StoreSink,
    ) -> Result<Self, PollerError> {
        let mut walks = config.walk_oids()?;
        let bad = |arcs: &[u32]| PollerError::Walk {
            walk: oids::text(arcs),
        };
        let uptime = Oid::from_arcs(oids::SYS_UPTIME_0).map_err(|_| bad(oids::SYS_UPTIME_0))?;
        let uptime_walk = if walks.iter().any(|w| uptime.is_in_subtree(w)) {
            None
        } else {
            let root = Oid::from_arcs(SYS_UP_TIME).map_err(|_| bad(SYS_UP_TIME))?;
            walks.push(root.clone());
            Some(root)
        };
        let bind = if targets.first().is_some_and(SocketAddr::is_ipv6) {
            IpAddr::from([0u16; 8])
        } else {
            IpAddr::from([0, 0, 0, 0])
        };
        let poller = Poller::start(PollerConfig {
            shards: config.shards,
            bind,
            ..PollerConfig::default()
        })?;
        let mut devices = HashMap::with_capacity(targets.len());
        for addr in targets {
            let mut t = TargetConfig::v2c(*addr, b"", walks.clone());
            t.credentials = credentials.clone();
            t.max_repetitions = config.max_repetitions;
            t.timeout = config.timeout;
            t.retries = config.retries;
            poller.add_target(t).await?;
            let resource = Arc::from(resource_name(*addr, config.port));
            devices.insert(*addr, Device::new(resource));
        }
        let stats = Arc::new(SnmpStats::new(&config.name));
        stats.targets.store(targets.len() as u64, Relaxed);
        Ok(Self {
            poller,
            devices,
            columns: Columns::new(),
            uptime_walk,
            interval: config.interval,
            sink,
            stats,
        })
    }

    /// Its counters, for the API.
    #[must_use]
    pub fn stats(&self) -> &Arc<SnmpStats> {
        &self.stats
    }

    /// Runs a cycle every interval (the first at once) until `stop`.
    pub async fn run(mut self, stop: impl Future<Output = ()>) {
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
                            tracing::warn!(message = "SNMP cycle failed.", %error);
                        }
                    }
                }
            }
        }
    }

    /// One cycle: polls every target, writes what they gave.
    ///
    /// # Errors
    ///
    /// The engine failing, or the store refusing the cycle's samples.
    pub async fn cycle(&mut self) -> Result<(), PollerError> {
        let started = Instant::now();
        let mut cycle = self.poller.poll_cycle().await?;
        let mut batch = Batch::new();
        let mut tally = Tally::default();
        while let Some(report) = cycle.next().await {
            // The reading's time is when its walks ended, not the schedule's.
            let at = unix_nanos(SystemTime::now());
            tally.add(&self.ingest(&report, at, &mut batch));
        }
        let summary = cycle.finish().await?;
        self.sink.write(batch)?;
        self.stats.record_cycle(
            &summary,
            &tally,
            u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            unix_nanos(SystemTime::now()) / 1_000_000,
        );
        tracing::debug!(
            message = "SNMP cycle.",
            values = summary.values,
            published = tally.published,
            rates = tally.rates,
            restarts = tally.restarts,
            timeouts = summary.timed_out,
            elapsed_ms = started.elapsed().as_millis()
        );
        Ok(())
    }

    /// One target's report into `batch`.
    fn ingest(&mut self, report: &TargetReport, at: u64, batch: &mut Batch) -> Tally {
        let Some(device) = self.devices.get_mut(&report.addr) else {
            return Tally::default();
        };
        let uptime_walk = self.uptime_walk.as_ref();
        let varbinds = report.walks.iter().flat_map(|w| {
            let publish = uptime_walk != Some(&w.root);
            w.varbinds().iter().map(move |vb| (publish, vb.ok()))
        });
        device.poll(varbinds, report.is_ok(), at, &self.columns, batch)
    }
}
