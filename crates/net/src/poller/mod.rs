//! The polling engine: thousands of targets walked concurrently from a few sockets.
//!
//! # Shape
//!
//! A [`Poller`] runs `shards` threads (about one per core). Each shard owns one
//! unconnected UDP socket, one sans-IO [`RequestTracker`] and the targets assigned to
//! it, and runs its own single-threaded event loop: requests are multiplexed by
//! request-id (msgID for v3) on the shard's socket, sent with `sendmmsg` and
//! received with `recvmmsg`, tens of datagrams per system call. Nothing is shared
//! between shards on the hot path: no lock, no atomic per request. The handle talks
//! to shards over bounded channels (adding, removing, starting a cycle), and reports
//! come back over one bounded channel per cycle.
//!
//! # Limits ("session semaphores")
//!
//! * **Per target**: at most [`TargetConfig::max_in_flight`] requests at once (one
//!   per subtree walk; default 1, so a device's CPU sees one request at a time).
//!   An SNMPv3 target whose engine is not yet known sends one request only: its
//!   discovery then serves every later request.
//! * **Per group** (device family): at most [`GroupLimit::max_sessions`] targets of
//!   the group being polled at once, across the whole poller. The limit is split
//!   between shards (shard `i` gets `limit / shards`, plus one if `i < limit %
//!   shards`) and the group's targets are only placed on shards with a share, so
//!   each shard enforces its share alone and the sum is exact. A group that waits
//!   does not block others: shards admit targets round-robin over groups.
//! * **Per shard**: at most [`PollerConfig::window`] targets in flight, so a
//!   cycle over 10,000 targets does not overrun the agents' or our socket buffers.
//!
//! The time each target waited for a slot is measured (per report, and per group in
//! [`PollerStats`]).
//!
//! # Failures
//!
//! Each request gets [`TargetConfig::timeout`], multiplied by
//! [`TargetConfig::backoff`] per retry (at most 8 times the base); retries are new
//! requests with a new request-id, so a reply to an earlier attempt is dropped and
//! counted as late. Duplicates, unknown request-ids, undecodable or unauthentic
//! replies are dropped and counted ([`TrackerStats`]). A reply from another address
//! than the target's is accepted only from the addresses listed in
//! [`TargetConfig::also_from`] (multi-homed agents); otherwise it is counted in
//! [`EngineCounters::wrong_source`] and the request sent again.
//!
//! GetBulk max-repetitions adapts per target (see `bulk.rs`): halved on tooBig, on
//! genErr (net-snmp 5.9 over v3 when the reply exceeds msgMaxSize, which we
//! advertise as 65507) and on a timeout of a size never answered before (or a second
//! timeout in a row of the same request); the request is then sent again from the
//! same OID, without spending a retry for tooBig/genErr. It grows back by a quarter
//! after 16 clean replies, staying below a refused size for a while. A walk whose
//! OIDs do not increase ends with [`NetError::NotIncreasing`] and keeps the values it
//! had. A v3 Response whose request-id differs from its msgID is dropped and counted
//! like a wrong request-id.
//!
//! # Removing a target
//!
//! [`Poller::remove_target`] cancels the target's requests in the tracker (replies
//! still in the network are then counted as late), frees its walks, its group slot,
//! its request map entries and, for v3, the engine discovery learned, in one step;
//! [`PollerStats::state`] exposes every per-target structure's size so a test can
//! prove nothing stays behind.

pub(crate) mod bulk;
mod cursor;
mod shard;
mod udp;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use nocwatch_snmp::crypto::KeyCacheStats;
use nocwatch_snmp::{DecodeOptions, Oid, TrackerStats, UsmUser, VarBinds, Version};
use tokio::sync::{mpsc, oneshot};

use crate::error::NetError;
use crate::walk::WalkEnd;

/// How a [`Poller`] is set up.
#[derive(Debug, Clone)]
pub struct PollerConfig {
    /// Shards (threads, each with its own socket). Default: the number of cores.
    pub shards: usize,
    /// Local address to bind the sockets to (port 0). Its family must match the
    /// targets'.
    pub bind: IpAddr,
    /// Targets being polled at once per shard. 512 kept a 2-core box busy in
    /// `scripts/bench-scale` without overrunning socket buffers; 10,000 and more
    /// work (see the scale test) but hold every target's values at once and, with a
    /// slow agent process, overflow receive buffers (drops, retries).
    pub window: usize,
    /// Limits per group; groups not listed are unlimited.
    pub groups: Vec<GroupLimit>,
    /// Reports buffered per cycle before shards stop admitting new targets
    /// (back-pressure: nothing is dropped while the consumer reads).
    pub reports: usize,
    /// SO_RCVBUF / SO_SNDBUF asked for each socket (the kernel caps it at
    /// net.core.rmem_max / wmem_max).
    pub socket_buffer: usize,
    /// Request-ids remembered after completion, to tell late and duplicate replies
    /// from unknown ones.
    pub recent_ids: usize,
    /// How replies are decoded.
    pub decode: DecodeOptions,
}

impl Default for PollerConfig {
    fn default() -> Self {
        Self {
            shards: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            bind: IpAddr::from([0, 0, 0, 0]),
            window: 512,
            groups: Vec::new(),
            reports: 1024,
            socket_buffer: 8 << 20,
            recent_ids: 1 << 16,
            decode: DecodeOptions::default(),
        }
    }
}

/// The most targets of one group polled at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupLimit {
    /// The group's name, as in [`TargetConfig::group`].
    pub name: String,
    /// Targets of the group in flight at once (at least 1).
    pub max_sessions: usize,
}

/// How to authenticate to a target.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// SNMPv1 or SNMPv2c with a community.
    Community {
        /// V1 or V2c.
        version: Version,
        /// The community string.
        community: Vec<u8>,
    },
    /// SNMPv3 with a USM user. Share one `Arc` between targets with the same
    /// credentials: keys are derived from the passwords once per user and
    /// localised once per engine.
    Usm(Arc<UsmUser>),
}

/// One device to poll.
#[derive(Debug, Clone)]
pub struct TargetConfig {
    /// The agent's address.
    pub addr: SocketAddr,
    /// Version and credentials.
    pub credentials: Credentials,
    /// The device family / group, for [`GroupLimit`]s ("" is the default group).
    pub group: String,
    /// Subtrees to walk each cycle.
    pub walks: Vec<Oid>,
    /// GetBulk max-repetitions to start from (and grow back to); 0 walks with
    /// GetNext (always the case for SNMPv1).
    pub max_repetitions: u16,
    /// Requests to this target in flight at once (at least 1).
    pub max_in_flight: usize,
    /// Time to wait for the first attempt.
    pub timeout: Duration,
    /// Attempts after the first.
    pub retries: u32,
    /// Each retry waits this many times longer than the previous attempt (capped at
    /// 8 × `timeout`).
    pub backoff: f64,
    /// Other addresses the agent may answer from (multi-homed agents).
    pub also_from: Vec<IpAddr>,
    /// Accept a reply from any address (net-snmp's behaviour without source
    /// checks; `--any-source` on the command line).
    pub any_source: bool,
}

impl TargetConfig {
    /// An SNMPv2c target with nocwatch's defaults: max-repetitions 50, one request
    /// in flight, 1 s timeout, 2 retries, backoff 1.5.
    pub fn v2c(addr: SocketAddr, community: &[u8], walks: Vec<Oid>) -> Self {
        Self {
            addr,
            credentials: Credentials::Community {
                version: Version::V2c,
                community: community.to_vec(),
            },
            group: String::new(),
            walks,
            max_repetitions: 50,
            max_in_flight: 1,
            timeout: Duration::from_secs(1),
            retries: 2,
            backoff: 1.5,
            also_from: Vec::new(),
            any_source: false,
        }
    }

    /// An SNMPv3 target with the same defaults.
    pub fn v3(addr: SocketAddr, user: Arc<UsmUser>, walks: Vec<Oid>) -> Self {
        Self {
            credentials: Credentials::Usm(user),
            ..Self::v2c(addr, b"", walks)
        }
    }

    pub(crate) fn version(&self) -> Version {
        match &self.credentials {
            Credentials::Community { version, .. } => *version,
            Credentials::Usm(_) => Version::V3,
        }
    }
}

/// Identifies a target for as long as it is in the poller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TargetId(u64);

impl TargetId {
    const SHARD_BITS: u32 = 8;

    fn new(seq: u64, shard: usize) -> Self {
        Self((seq << Self::SHARD_BITS) | (shard as u64 & 0xff))
    }

    fn shard(self) -> usize {
        (self.0 & 0xff) as usize
    }
}

impl std::fmt::Display for TargetId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "target#{}", self.0 >> Self::SHARD_BITS)
    }
}

/// What one subtree walk of one target produced in a cycle.
#[derive(Debug)]
pub struct WalkReport {
    /// The subtree.
    pub root: Oid,
    /// Values received (exceptions not counted).
    pub count: u64,
    /// How the walk ended; an error keeps the values received before it.
    pub outcome: Result<WalkEnd, NetError>,
    encoded: Vec<u8>,
}

impl WalkReport {
    /// The values, in the agent's order, decoded lazily.
    pub fn varbinds(&self) -> VarBinds<'_> {
        cursor::varbinds(&self.encoded)
    }
}

/// What one target produced in a cycle.
#[derive(Debug)]
pub struct TargetReport {
    /// The target.
    pub id: TargetId,
    /// Its address.
    pub addr: SocketAddr,
    /// One per configured subtree, in order.
    pub walks: Vec<WalkReport>,
    /// Requests sent (retries included).
    pub requests: u32,
    /// Retries after timeouts.
    pub retries: u32,
    /// From the first request to the last reply.
    pub elapsed: Duration,
    /// Time spent waiting for a group or window slot.
    pub slot_wait: Duration,
}

impl TargetReport {
    /// Values over all walks.
    pub fn values(&self) -> u64 {
        self.walks.iter().map(|w| w.count).sum()
    }

    /// True when a walk ended in a timeout.
    pub fn timed_out(&self) -> bool {
        self.walks
            .iter()
            .any(|w| matches!(w.outcome, Err(NetError::Timeout { .. })))
    }

    /// True when every walk ended normally.
    pub fn is_ok(&self) -> bool {
        self.walks.iter().all(|w| w.outcome.is_ok())
    }
}

/// Totals of a cycle.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CycleSummary {
    /// Targets polled (reported).
    pub targets: u64,
    /// Targets whose every walk ended normally.
    pub complete: u64,
    /// Targets with a walk that timed out.
    pub timed_out: u64,
    /// Targets with a walk that failed otherwise (agent error, USM Report, OID not
    /// increasing...).
    pub failed: u64,
    /// Targets removed while the cycle ran (no report).
    pub cancelled: u64,
    /// Values received.
    pub values: u64,
    /// Requests sent, retries included.
    pub requests: u64,
    /// Retries after a timeout.
    pub retries: u64,
    /// Reports the consumer did not read (it dropped the [`Cycle`] early).
    pub unread: u64,
    /// From the start of the cycle to the last report.
    pub elapsed: Duration,
    /// Total and longest time targets waited for a slot.
    pub slot_wait_total: Duration,
    /// The longest slot wait.
    pub slot_wait_max: Duration,
}

impl CycleSummary {
    fn merge(&mut self, o: &Self) {
        self.targets += o.targets;
        self.complete += o.complete;
        self.timed_out += o.timed_out;
        self.failed += o.failed;
        self.cancelled += o.cancelled;
        self.values += o.values;
        self.requests += o.requests;
        self.retries += o.retries;
        self.unread += o.unread;
        self.slot_wait_total += o.slot_wait_total;
        self.slot_wait_max = self.slot_wait_max.max(o.slot_wait_max);
    }
}

/// A running cycle: read its reports, then [`finish`](Self::finish) it.
#[derive(Debug)]
pub struct Cycle {
    reports: mpsc::Receiver<TargetReport>,
    done: Vec<oneshot::Receiver<CycleSummary>>,
    started: Instant,
    running: Arc<AtomicBool>,
}

impl Cycle {
    /// The next target's report; `None` once every target has reported.
    pub async fn next(&mut self) -> Option<TargetReport> {
        self.reports.recv().await
    }

    /// Waits for the cycle to end (reports not read are discarded and counted as
    /// unread) and returns its totals.
    pub async fn finish(mut self) -> Result<CycleSummary, NetError> {
        let mut unread = 0;
        while self.reports.recv().await.is_some() {
            unread += 1;
        }
        let mut total = CycleSummary::default();
        for d in std::mem::take(&mut self.done) {
            let s = d.await.map_err(|_| NetError::Closed)?;
            total.merge(&s);
        }
        total.unread += unread;
        total.elapsed = self.started.elapsed();
        Ok(total)
    }
}

impl Drop for Cycle {
    fn drop(&mut self) {
        self.running.store(false, Ordering::Release);
    }
}

/// Engine counters beyond the tracker's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineCounters {
    /// max-repetitions halvings after tooBig.
    pub shrinks_too_big: u64,
    /// max-repetitions halvings after a genErr to a GetBulk.
    pub shrinks_gen_err: u64,
    /// max-repetitions halvings after a timed-out GetBulk.
    pub shrinks_silent: u64,
    /// max-repetitions increases.
    pub grows: u64,
    /// Replies from an address the target does not list (request sent again).
    pub wrong_source: u64,
    /// Walks stopped by an OID that did not increase.
    pub not_increasing: u64,
    /// Walks ended by an agent's error-status.
    pub agent_errors: u64,
    /// `sendmmsg` calls, and datagrams they sent.
    pub send_calls: u64,
    /// Datagrams sent.
    pub datagrams_sent: u64,
    /// `recvmmsg` calls that returned data, and datagrams they returned.
    pub recv_calls: u64,
    /// Datagrams received.
    pub datagrams_received: u64,
    /// Datagrams that could not be sent (the request fails with the error).
    pub send_errors: u64,
    /// The most targets being polled at once, per shard, summed over shards.
    pub peak_sessions: u64,
}

impl EngineCounters {
    fn merge(&mut self, o: &Self) {
        self.shrinks_too_big += o.shrinks_too_big;
        self.shrinks_gen_err += o.shrinks_gen_err;
        self.shrinks_silent += o.shrinks_silent;
        self.grows += o.grows;
        self.wrong_source += o.wrong_source;
        self.not_increasing += o.not_increasing;
        self.agent_errors += o.agent_errors;
        self.send_calls += o.send_calls;
        self.datagrams_sent += o.datagrams_sent;
        self.recv_calls += o.recv_calls;
        self.datagrams_received += o.datagrams_received;
        self.send_errors += o.send_errors;
        self.peak_sessions += o.peak_sessions;
    }
}

/// Sizes of the engine's per-target state: all zero once every target is removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateSizes {
    /// Targets held.
    pub targets: usize,
    /// Targets being polled.
    pub sessions: usize,
    /// Request handle → walk entries.
    pub requests: usize,
    /// Requests in the trackers.
    pub tracker_in_flight: usize,
    /// SNMPv3 engines known to the trackers.
    pub engines: usize,
    /// Addresses referenced by targets.
    pub addresses: usize,
    /// Targets waiting for a group slot.
    pub queued: usize,
    /// Reports waiting for the consumer.
    pub outbox: usize,
}

impl StateSizes {
    fn merge(&mut self, o: &Self) {
        self.targets += o.targets;
        self.sessions += o.sessions;
        self.requests += o.requests;
        self.tracker_in_flight += o.tracker_in_flight;
        self.engines += o.engines;
        self.addresses += o.addresses;
        self.queued += o.queued;
        self.outbox += o.outbox;
    }
}

/// One group's slot accounting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupStats {
    /// The group ("" is the default group).
    pub name: String,
    /// Its limit over the whole poller (`usize::MAX`: unlimited).
    pub limit: usize,
    /// Targets of the group admitted (sessions started).
    pub admitted: u64,
    /// The most sessions of the group in flight at once on one shard, summed over
    /// shards (an upper bound of the poller-wide maximum).
    pub max_active: usize,
    /// Total time the group's targets waited for a slot.
    pub wait_total: Duration,
    /// The longest wait.
    pub wait_max: Duration,
}

/// Everything the poller counts.
#[derive(Debug, Clone, Default)]
pub struct PollerStats {
    /// The trackers' counters, summed over shards (late, duplicate, unknown-id,
    /// malformed replies, discoveries...).
    pub tracker: TrackerStats,
    /// The engine's counters.
    pub engine: EngineCounters,
    /// Per-target state sizes.
    pub state: StateSizes,
    /// Per-group slot accounting.
    pub groups: Vec<GroupStats>,
    /// SNMPv3 key derivations and localisations, summed over shards: each shard
    /// derives a password's key once and localises it once per engine, then reuses
    /// it for every request.
    pub keys: KeyCacheStats,
}

fn add_tracker(a: &mut TrackerStats, b: &TrackerStats) {
    a.requests += b.requests;
    a.transmits += b.transmits;
    a.retransmits += b.retransmits;
    a.responses += b.responses;
    a.timeouts += b.timeouts;
    a.duplicates += b.duplicates;
    a.late += b.late;
    a.unknown_id += b.unknown_id;
    a.wrong_source += b.wrong_source;
    a.malformed += b.malformed;
    a.unexpected += b.unexpected;
    a.cancelled += b.cancelled;
    a.discoveries += b.discoveries;
    a.resyncs += b.resyncs;
    a.auth_failures += b.auth_failures;
    a.decrypt_failures += b.decrypt_failures;
    a.failures += b.failures;
}

fn add_keys(a: &mut KeyCacheStats, b: &KeyCacheStats) {
    a.ku_hits += b.ku_hits;
    a.ku_misses += b.ku_misses;
    a.kul_hits += b.kul_hits;
    a.kul_misses += b.kul_misses;
    a.priv_hits += b.priv_hits;
    a.priv_misses += b.priv_misses;
    a.evictions += b.evictions;
}

/// Shard `index`'s share of a limit over `shards` shards.
pub(crate) fn share(limit: usize, shards: usize, index: usize) -> usize {
    if limit == usize::MAX {
        return usize::MAX;
    }
    let shards = shards.max(1);
    limit / shards + usize::from(index < limit % shards)
}

/// A request from the handle to a shard.
#[derive(Debug)]
pub(crate) enum Control {
    Add(TargetId, Box<TargetConfig>),
    Remove(TargetId, oneshot::Sender<bool>),
    Cycle {
        reports: mpsc::Sender<TargetReport>,
        done: oneshot::Sender<CycleSummary>,
    },
    Stats(oneshot::Sender<PollerStats>),
}

/// The polling engine. See the module docs.
#[derive(Debug)]
pub struct Poller {
    shards: Vec<mpsc::Sender<Control>>,
    threads: Vec<std::thread::JoinHandle<()>>,
    next_seq: AtomicU64,
    /// Round-robin position per group (only touched when adding a target).
    placement: Mutex<HashMap<String, usize>>,
    limits: HashMap<String, usize>,
    reports: usize,
    running: Arc<AtomicBool>,
}

impl Poller {
    /// Binds one socket per shard and starts the shard threads.
    pub fn start(config: PollerConfig) -> Result<Self, NetError> {
        let n = config.shards.clamp(1, 255);
        let mut limits = HashMap::new();
        for g in &config.groups {
            limits.insert(g.name.clone(), g.max_sessions.max(1));
        }
        let mut shards = Vec::with_capacity(n);
        let mut threads = Vec::with_capacity(n);
        for index in 0..n {
            let socket = shard::bind(&config)?;
            let (tx, rx) = mpsc::channel(1024);
            let cfg = config.clone();
            let limits = limits.clone();
            let thread = std::thread::Builder::new()
                .name(format!("nocwatch-poll-{index}"))
                .spawn(move || shard::run(index, n, cfg, &limits, socket, rx))
                .map_err(|source| NetError::Io {
                    op: "spawn",
                    source,
                })?;
            shards.push(tx);
            threads.push(thread);
        }
        Ok(Self {
            shards,
            threads,
            next_seq: AtomicU64::new(1),
            placement: Mutex::new(HashMap::new()),
            limits,
            reports: config.reports.max(1),
            running: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Shards (sockets, threads).
    pub fn shards(&self) -> usize {
        self.shards.len()
    }

    /// Adds a target; it is polled from the next cycle on.
    pub async fn add_target(&self, config: TargetConfig) -> Result<TargetId, NetError> {
        let n = self.shards.len();
        let limit = self
            .limits
            .get(&config.group)
            .copied()
            .unwrap_or(usize::MAX);
        let eligible: Vec<usize> = (0..n).filter(|&i| share(limit, n, i) > 0).collect();
        let pos = {
            let mut p = self
                .placement
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let slot = p.entry(config.group.clone()).or_insert(0);
            let pos = *slot;
            *slot = slot.wrapping_add(1);
            pos
        };
        let shard = eligible
            .get(pos % eligible.len().max(1))
            .copied()
            .unwrap_or(0);
        let id = TargetId::new(self.next_seq.fetch_add(1, Ordering::Relaxed), shard);
        self.send(shard, Control::Add(id, Box::new(config))).await?;
        Ok(id)
    }

    /// Removes a target: cancels its requests and frees its state. Returns false if
    /// it was not there.
    pub async fn remove_target(&self, id: TargetId) -> Result<bool, NetError> {
        let (tx, rx) = oneshot::channel();
        self.send(id.shard(), Control::Remove(id, tx)).await?;
        rx.await.map_err(|_| NetError::Closed)
    }

    /// Starts a cycle: every target is polled once. Only one cycle runs at a time.
    pub async fn poll_cycle(&self) -> Result<Cycle, NetError> {
        if self.running.swap(true, Ordering::AcqRel) {
            return Err(NetError::CycleRunning);
        }
        let (reports_tx, reports) = mpsc::channel(self.reports);
        let started = Instant::now();
        let mut done = Vec::with_capacity(self.shards.len());
        for i in 0..self.shards.len() {
            let (tx, rx) = oneshot::channel();
            done.push(rx);
            let sent = self
                .send(
                    i,
                    Control::Cycle {
                        reports: reports_tx.clone(),
                        done: tx,
                    },
                )
                .await;
            if let Err(e) = sent {
                self.running.store(false, Ordering::Release);
                return Err(e);
            }
        }
        Ok(Cycle {
            reports,
            done,
            started,
            running: self.running.clone(),
        })
    }

    /// The counters and state sizes, summed over shards.
    pub async fn stats(&self) -> Result<PollerStats, NetError> {
        let mut total = PollerStats::default();
        let mut groups: Vec<GroupStats> = Vec::new();
        for i in 0..self.shards.len() {
            let (tx, rx) = oneshot::channel();
            self.send(i, Control::Stats(tx)).await?;
            let s = rx.await.map_err(|_| NetError::Closed)?;
            add_tracker(&mut total.tracker, &s.tracker);
            add_keys(&mut total.keys, &s.keys);
            total.engine.merge(&s.engine);
            total.state.merge(&s.state);
            for g in s.groups {
                match groups.iter_mut().find(|x| x.name == g.name) {
                    Some(x) => {
                        x.admitted += g.admitted;
                        x.max_active += g.max_active;
                        x.wait_total += g.wait_total;
                        x.wait_max = x.wait_max.max(g.wait_max);
                    }
                    None => groups.push(g),
                }
            }
        }
        for g in &mut groups {
            g.limit = self.limits.get(&g.name).copied().unwrap_or(usize::MAX);
        }
        total.groups = groups;
        Ok(total)
    }

    async fn send(&self, shard: usize, c: Control) -> Result<(), NetError> {
        let tx = self.shards.get(shard).ok_or(NetError::Closed)?;
        tx.send(c).await.map_err(|_| NetError::Closed)
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        // Closing the channels stops the shards; they hold no lock and never wait
        // on the consumer, so joining is quick.
        self.shards.clear();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::share;

    #[test]
    fn shares_add_up_to_the_limit() {
        for shards in 1..6 {
            for limit in 1..20 {
                let total: usize = (0..shards).map(|i| share(limit, shards, i)).sum();
                assert_eq!(total, limit, "{limit} over {shards}");
            }
        }
        // A limit below the shard count: only the first shards get a slot (targets of
        // the group are placed there only).
        assert_eq!(share(1, 2, 0), 1);
        assert_eq!(share(1, 2, 1), 0);
        assert_eq!(share(usize::MAX, 4, 3), usize::MAX);
    }
}
