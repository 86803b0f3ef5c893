//! What `nocwatch poll` runs: one engine, a set of targets, a number of
//! cycles; the command itself only parses flags and prints.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use nocwatch_net::{
    Credentials, CycleSummary, GroupLimit, Poller, PollerConfig, PollerStats, TargetConfig,
    TargetReport,
};
use nocwatch_snmp::Oid;

use crate::PollerError;

/// IF-MIB's ifTable and ifXTable: what `nocwatch poll` walks by default.
pub const ADHOC_DEFAULT_WALKS: [&str; 2] = ["1.3.6.1.2.1.2.2", "1.3.6.1.2.1.31.1.1"];

/// An ad-hoc poll's settings.
#[derive(Debug, Clone)]
pub struct AdHocConfig {
    /// The agents.
    pub targets: Vec<SocketAddr>,
    /// Subtrees walked on each.
    pub walks: Vec<Oid>,
    /// Credentials of every target.
    pub credentials: Credentials,
    /// GetBulk max-repetitions to start from; 0 walks with GetNext.
    pub max_repetitions: u16,
    /// Requests in flight per target.
    pub per_target: usize,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retries per request.
    pub retries: u32,
    /// Each retry waits this many times longer than the previous attempt.
    pub backoff: f64,
    /// Accept replies from any source address.
    pub any_source: bool,
    /// Shards; `None`: the engine's default (one per core).
    pub shards: Option<usize>,
    /// Targets polled at once per shard.
    pub window: usize,
    /// Targets polled at once in total; `None`: no limit but the window.
    pub max_sessions: Option<usize>,
}

/// A started ad-hoc poll.
#[derive(Debug)]
pub struct AdHocPoll {
    poller: Poller,
    targets: usize,
}

impl AdHocPoll {
    /// Starts the engine and adds every target.
    ///
    /// # Errors
    ///
    /// [`PollerError::Net`] when the engine cannot start or take a target.
    pub async fn start(config: AdHocConfig) -> Result<Self, PollerError> {
        let bind = if config.targets.first().is_some_and(SocketAddr::is_ipv6) {
            IpAddr::from([0u16; 8])
        } else {
            IpAddr::from([0, 0, 0, 0])
        };
        // One group holding every target when the sessions are limited.
        let group = if config.max_sessions.is_some() {
            "all"
        } else {
            ""
        };
        let mut engine = PollerConfig {
            bind,
            window: config.window,
            groups: config
                .max_sessions
                .map(|n| GroupLimit {
                    name: group.to_owned(),
                    max_sessions: n,
                })
                .into_iter()
                .collect(),
            ..PollerConfig::default()
        };
        if let Some(s) = config.shards {
            engine.shards = s;
        }
        let poller = Poller::start(engine)?;
        for addr in &config.targets {
            let mut t = TargetConfig::v2c(*addr, b"", config.walks.clone());
            t.credentials = config.credentials.clone();
            t.group = group.to_owned();
            t.max_repetitions = config.max_repetitions;
            t.max_in_flight = config.per_target;
            t.timeout = config.timeout;
            t.retries = config.retries;
            t.backoff = config.backoff;
            t.any_source = config.any_source;
            poller.add_target(t).await?;
        }
        Ok(Self {
            poller,
            targets: config.targets.len(),
        })
    }

    /// The number of targets.
    #[must_use]
    pub fn targets(&self) -> usize {
        self.targets
    }

    /// Runs `cycles` cycles (at least one), each starting `interval` after the
    /// previous one started (at once when the previous took longer).
    /// `on_report` sees each target's report as it arrives, `on_cycle` each
    /// cycle's number (from 1), summary and the engine's statistics. Returns
    /// how many target polls timed out or failed over all cycles.
    ///
    /// # Errors
    ///
    /// The first error of a callback, or of the engine.
    pub async fn run<E: From<PollerError>>(
        &self,
        cycles: u32,
        interval: Duration,
        mut on_report: impl FnMut(&TargetReport) -> Result<(), E>,
        mut on_cycle: impl FnMut(u32, &CycleSummary, &PollerStats) -> Result<(), E>,
    ) -> Result<u64, E> {
        let cycles = cycles.max(1);
        let mut failures = 0;
        for n in 1..=cycles {
            let started = Instant::now();
            let mut cycle = self.poller.poll_cycle().await.map_err(PollerError::from)?;
            while let Some(report) = cycle.next().await {
                on_report(&report)?;
            }
            let summary = cycle.finish().await.map_err(PollerError::from)?;
            let stats = self.poller.stats().await.map_err(PollerError::from)?;
            failures += summary.timed_out + summary.failed;
            on_cycle(n, &summary, &stats)?;
            if n < cycles && !interval.is_zero() {
                tokio::time::sleep_until(tokio::time::Instant::from_std(started + interval)).await;
            }
        }
        Ok(failures)
    }
}

/// This process's CPU time and peak memory.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProcessUsage {
    /// CPU seconds, user and system.
    pub cpu_s: f64,
    /// Peak resident set size, MB.
    pub peak_rss_mb: f64,
}

/// This process's [`ProcessUsage`], from /proc (zeros where /proc is missing).
#[must_use]
pub fn process_usage() -> ProcessUsage {
    let cpu_s = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name (which may hold spaces) in parentheses.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = f.get(11)?.parse().ok()?;
            let stime: f64 = f.get(12)?.parse().ok()?;
            // USER_HZ is 100 on every Linux ABI nocwatch targets.
            Some((utime + stime) / 100.0)
        })
        .unwrap_or(0.0);
    let peak_rss_mb = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let kb: f64 = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))?
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()?;
            Some(kb / 1024.0)
        })
        .unwrap_or(0.0);
    ProcessUsage { cpu_s, peak_rss_mb }
}
