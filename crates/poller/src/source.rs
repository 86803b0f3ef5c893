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
//!
//! A reload ([`SnmpReloader`]) replaces the targets, their credentials and
//! walk settings and the interval between two cycles, never during one; the
//! rate state of targets that stay is kept, that of removed ones freed.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant, SystemTime};

use nocwatch_net::{Credentials, Poller, PollerConfig, TargetConfig, TargetId, TargetReport};
use nocwatch_snmp::{Oid, oids};
use nocwatch_store::{Batch, unix_nanos};
use tokio::sync::watch;

use crate::column::{Columns, SYS_UP_TIME};
use crate::device::{Device, Tally};
use crate::{PollerError, SnmpConfig, SnmpStats, StoreSink, resource_name};

/// What a reload gives the running source: the new `[snmp]` section (its
/// `name` and `shards` are fixed at start and ignored here), the credentials
/// from it and the expanded targets.
#[derive(Debug, Clone)]
pub struct SnmpTargets {
    /// The section.
    pub config: SnmpConfig,
    /// From [`SnmpConfig::credentials`].
    pub credentials: Credentials,
    /// The targets.
    pub targets: Vec<SocketAddr>,
}

/// Hands a running [`SnmpSource`] new targets; it applies the latest one
/// before its next cycle.
#[derive(Debug, Clone)]
pub struct SnmpReloader(watch::Sender<Option<Arc<SnmpTargets>>>);

impl SnmpReloader {
    /// Replaces the targets (a later call before the next cycle wins).
    pub fn reload(&self, targets: SnmpTargets) {
        self.0.send_replace(Some(Arc::new(targets)));
    }
}

/// The running source.
#[derive(Debug)]
pub struct SnmpSource {
    poller: Poller,
    devices: HashMap<SocketAddr, (TargetId, Device)>,
    port: u16,
    reloads: watch::Receiver<Option<Arc<SnmpTargets>>>,
    reloader: SnmpReloader,
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
        let (tx, rx) = watch::channel(None);
        let mut source = Self {
            poller,
            devices: HashMap::new(),
            port: config.port,
            reloads: rx,
            reloader: SnmpReloader(tx),
            columns: Columns::new(),
            uptime_walk: None,
            interval: config.interval,
            sink,
            stats: Arc::new(SnmpStats::new(&config.name)),
        };
        source.set_targets(config, &credentials, targets).await?;
        Ok(source)
    }

    /// A handle that reloads this source's targets while it runs.
    #[must_use]
    pub fn reloader(&self) -> SnmpReloader {
        self.reloader.clone()
    }

    /// The targets being polled.
    #[must_use]
    pub fn targets(&self) -> Vec<SocketAddr> {
        let mut t: Vec<SocketAddr> = self.devices.keys().copied().collect();
        t.sort_unstable();
        t
    }

    /// Replaces the targets and their settings (every target is re-added to
    /// the engine with the new walks and credentials); the rate state of
    /// targets that stay is kept, that of removed ones dropped.
    ///
    /// # Errors
    ///
    /// A walk that is not a dotted OID (nothing changes then), or the engine
    /// failing.
    pub async fn set_targets(
        &mut self,
        config: &SnmpConfig,
        credentials: &Credentials,
        targets: &[SocketAddr],
    ) -> Result<(), PollerError> {
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
        let mut old = std::mem::take(&mut self.devices);
        for (id, _) in old.values() {
            self.poller.remove_target(*id).await?;
        }
        for addr in targets {
            let mut t = TargetConfig::v2c(*addr, b"", walks.clone());
            t.credentials = credentials.clone();
            t.max_repetitions = config.max_repetitions;
            t.timeout = config.timeout;
            t.retries = config.retries;
            let id = self.poller.add_target(t).await?;
            // A resource's name depends on the port: a new port is a new device.
            let device = match old.remove(addr) {
                Some((_, d)) if config.port == self.port => d,
                _ => Device::new(Arc::from(resource_name(*addr, config.port))),
            };
            self.devices.insert(*addr, (id, device));
        }
        self.port = config.port;
        self.uptime_walk = uptime_walk;
        self.interval = config.interval;
        self.stats.targets.store(targets.len() as u64, Relaxed);
        Ok(())
    }

    /// Its counters, for the API.
    #[must_use]
    pub fn stats(&self) -> &Arc<SnmpStats> {
        &self.stats
    }

    /// Runs a cycle every interval (the first at once) until `stop`,
    /// applying reloads between cycles.
    pub async fn run(mut self, stop: impl Future<Output = ()>) {
        let mut interval = self.ticker();
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                _ = interval.tick() => {
                    if self.apply_reload().await {
                        interval = self.ticker();
                        interval.tick().await;
                    }
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

    fn ticker(&self) -> tokio::time::Interval {
        let mut interval = tokio::time::interval(self.interval);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        interval
    }

    /// Applies a pending reload; true when the targets changed.
    async fn apply_reload(&mut self) -> bool {
        if !self.reloads.has_changed().unwrap_or(false) {
            return false;
        }
        let Some(next) = self.reloads.borrow_and_update().clone() else {
            return false;
        };
        match self
            .set_targets(&next.config, &next.credentials, &next.targets)
            .await
        {
            Ok(()) => {
                tracing::info!(
                    message = "SNMP targets reloaded.",
                    targets = next.targets.len()
                );
                true
            }
            Err(error) => {
                self.stats.cycle_errors.fetch_add(1, Relaxed);
                tracing::warn!(message = "SNMP reload failed.", %error);
                false
            }
        }
    }

    /// Applies a pending reload now (what [`SnmpSource::run`] does before a
    /// cycle); true when the targets changed.
    pub async fn reload_now(&mut self) -> bool {
        self.apply_reload().await
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
        let Some((_, device)) = self.devices.get_mut(&report.addr) else {
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
