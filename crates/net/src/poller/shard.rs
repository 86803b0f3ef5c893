//! One shard: a socket, a tracker, its targets, and the event loop that drives them.
//!
//! The loop never blocks on anything but the socket, the next retry deadline and
//! the control channel. Each turn it applies control messages, expires requests,
//! admits waiting targets into free slots, sends everything queued with `sendmmsg`,
//! and drains the socket with `recvmmsg`, processing replies as they come (each
//! reply usually queues the walk's next request, sent in the next batch).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nocwatch_snmp::{
    ErrorStatus, Event, Failure, PduType, Request, RequestHandle, RequestTracker, TrackerConfig,
    UsmUser, VarBind, VarBinds, Version,
};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

use super::bulk::{AdaptiveBulk, Shrink};
use super::cursor::{Cursor, Step};
use super::udp::{self, BATCH, RecvBatch};
use super::{
    Control, Credentials, CycleSummary, EngineCounters, GroupStats, PollerConfig, PollerStats,
    StateSizes, TargetConfig, TargetId, TargetReport, WalkReport, share,
};
use crate::error::NetError;
use crate::walk::{WalkEnd, agent_error};

/// Binds a shard's socket with large buffers.
pub(crate) fn bind(config: &PollerConfig) -> Result<std::net::UdpSocket, NetError> {
    let io = |op| move |source| NetError::Io { op, source };
    let addr = SocketAddr::new(config.bind, 0);
    let domain = socket2::Domain::for_address(addr);
    let s = socket2::Socket::new(domain, socket2::Type::DGRAM, Some(socket2::Protocol::UDP))
        .map_err(io("socket"))?;
    // Best effort: the kernel caps these at rmem_max / wmem_max.
    let _ = s.set_recv_buffer_size(config.socket_buffer);
    let _ = s.set_send_buffer_size(config.socket_buffer);
    s.set_nonblocking(true).map_err(io("set_nonblocking"))?;
    s.bind(&addr.into()).map_err(io("bind"))?;
    Ok(s.into())
}

/// The shard thread's body.
pub(crate) fn run(
    index: usize,
    shards: usize,
    config: PollerConfig,
    limits: &HashMap<String, usize>,
    socket: std::net::UdpSocket,
    control: mpsc::Receiver<Control>,
) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(error) => {
            tracing::error!(%error, shard = index, "Cannot start a poller shard runtime.");
            return;
        }
    };
    rt.block_on(async move {
        let socket = match UdpSocket::from_std(socket) {
            Ok(s) => s,
            Err(error) => {
                tracing::error!(%error, shard = index, "Cannot register a poller socket.");
                return;
            }
        };
        let mut shard = Shard::new(index, shards, &config, limits, socket);
        shard.run(control).await;
    });
}

#[derive(Debug)]
struct Group {
    share: usize,
    active: usize,
    queue: VecDeque<u64>,
    stats: GroupStats,
}

#[derive(Debug)]
struct WalkRun {
    cursor: Cursor,
    /// Attempts that timed out for the current request.
    attempt: u32,
    outcome: Option<Result<WalkEnd, NetError>>,
    handle: Option<RequestHandle>,
}

#[derive(Debug)]
struct Session {
    walks: Vec<WalkRun>,
    next_walk: usize,
    running: usize,
    started: Instant,
    wait: Duration,
    requests: u32,
    retries: u32,
}

#[derive(Debug)]
struct Target {
    id: TargetId,
    cfg: TargetConfig,
    user: Option<Arc<UsmUser>>,
    group: usize,
    bulk: AdaptiveBulk,
    queued_at: Option<Instant>,
    session: Option<Session>,
}

#[derive(Debug)]
struct CycleState {
    reports: mpsc::Sender<TargetReport>,
    done: Option<oneshot::Sender<CycleSummary>>,
    remaining: usize,
    summary: CycleSummary,
}

/// What a reply means for its walk.
enum Action {
    /// Ask for the next part of the subtree.
    Next,
    /// Ask again for the same part (smaller, or after a wrong source).
    Again,
    /// The walk is over.
    Done(Result<WalkEnd, NetError>),
}

struct Shard {
    index: usize,
    socket: UdpSocket,
    tracker: RequestTracker,
    targets: HashMap<u64, Target>,
    addresses: HashMap<SocketAddr, u32>,
    handles: HashMap<RequestHandle, (u64, usize)>,
    groups: Vec<Group>,
    group_index: HashMap<String, usize>,
    group_cursor: usize,
    limits: HashMap<String, usize>,
    shards: usize,
    window: usize,
    active: usize,
    queued: usize,
    cycle: Option<CycleState>,
    outbox: VecDeque<TargetReport>,
    counters: EngineCounters,
    recv: RecvBatch,
    out: Vec<Vec<u8>>,
    dests: Vec<SocketAddr>,
    out_handles: Vec<RequestHandle>,
    spare: Vec<Vec<u8>>,
    /// Encoded request binding (reused).
    vb_buf: Vec<u8>,
}

impl Shard {
    fn new(
        index: usize,
        shards: usize,
        config: &PollerConfig,
        limits: &HashMap<String, usize>,
        socket: UdpSocket,
    ) -> Self {
        let tracker_config = TrackerConfig {
            timeout: Duration::from_secs(1),
            retries: 0,
            max_in_flight: 1 << 20,
            // Sources are checked per target here (multi-homed agents).
            check_source: false,
            recent_capacity: config.recent_ids,
            max_message_size: 65_507,
            decode: config.decode,
        };
        let seed = crate::client::seed_from(socket.local_addr().unwrap_or_else(|_| {
            SocketAddr::from(([0, 0, 0, 0], u16::try_from(index).unwrap_or(0)))
        }));
        Self {
            index,
            socket,
            tracker: RequestTracker::new(tracker_config, seed),
            targets: HashMap::new(),
            addresses: HashMap::new(),
            handles: HashMap::new(),
            groups: Vec::new(),
            group_index: HashMap::new(),
            group_cursor: 0,
            limits: limits.clone(),
            shards,
            window: config.window.max(1),
            active: 0,
            queued: 0,
            cycle: None,
            outbox: VecDeque::new(),
            counters: EngineCounters::default(),
            recv: RecvBatch::new(),
            out: Vec::with_capacity(BATCH),
            dests: Vec::with_capacity(BATCH),
            out_handles: Vec::with_capacity(BATCH),
            spare: Vec::new(),
            vb_buf: Vec::with_capacity(64),
        }
    }

    async fn run(&mut self, mut control: mpsc::Receiver<Control>) {
        loop {
            loop {
                match control.try_recv() {
                    Ok(c) => self.control(c),
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => return,
                }
            }
            // Replies already queued first: a reply that arrived in time but waited
            // for the CPU (a loaded machine, a key derivation) is not a timeout.
            let received = self.receive().await;
            self.tracker.handle_timeout(Instant::now());
            self.events();
            self.deliver();
            self.admit();
            self.flush().await;
            if received {
                continue;
            }
            self.deliver();
            self.check_cycle_done();
            let deadline = self.tracker.poll_timeout();
            // With reports waiting for the consumer, look again soon.
            let deadline = if self.outbox.is_empty() {
                deadline
            } else {
                let soon = Instant::now() + Duration::from_millis(1);
                Some(deadline.map_or(soon, |d| d.min(soon)))
            };
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                biased;
                r = self.socket.readable() => {
                    if let Err(error) = r {
                        tracing::warn!(%error, shard = self.index, "Poller socket failed.");
                    }
                }
                c = control.recv() => match c {
                    Some(c) => self.control(c),
                    None => return,
                },
                () = sleep => {}
            }
        }
    }

    fn control(&mut self, c: Control) {
        match c {
            Control::Add(id, cfg) => self.add(id, *cfg),
            Control::Remove(id, ack) => {
                let removed = self.remove(id);
                let _ = ack.send(removed);
            }
            Control::Cycle { reports, done } => self.start_cycle(reports, done),
            Control::Stats(tx) => {
                let _ = tx.send(self.stats());
            }
        }
    }

    fn group_of(&mut self, name: &str) -> usize {
        if let Some(&g) = self.group_index.get(name) {
            return g;
        }
        let limit = self.limits.get(name).copied().unwrap_or(usize::MAX);
        let g = self.groups.len();
        self.groups.push(Group {
            share: share(limit, self.shards, self.index).max(1),
            active: 0,
            queue: VecDeque::new(),
            stats: GroupStats {
                name: name.to_owned(),
                limit,
                ..GroupStats::default()
            },
        });
        self.group_index.insert(name.to_owned(), g);
        g
    }

    fn add(&mut self, id: TargetId, cfg: TargetConfig) {
        let group = self.group_of(&cfg.group);
        let user = match &cfg.credentials {
            Credentials::Usm(u) => Some(u.clone()),
            Credentials::Community { .. } => None,
        };
        *self.addresses.entry(cfg.addr).or_insert(0) += 1;
        let reps = if cfg.version() == Version::V1 {
            0
        } else {
            cfg.max_repetitions
        };
        self.targets.insert(
            id.0,
            Target {
                id,
                bulk: AdaptiveBulk::new(reps),
                cfg,
                user,
                group,
                queued_at: None,
                session: None,
            },
        );
    }

    fn remove(&mut self, id: TargetId) -> bool {
        let Some(t) = self.targets.remove(&id.0) else {
            return false;
        };
        let mut in_cycle = false;
        if t.queued_at.is_some() {
            self.queued -= 1;
            in_cycle = true;
        }
        if let Some(s) = &t.session {
            in_cycle = true;
            for w in &s.walks {
                if let Some(h) = w.handle {
                    self.tracker.cancel(h);
                    self.handles.remove(&h);
                }
            }
            self.active -= 1;
            if let Some(g) = self.groups.get_mut(t.group) {
                g.active -= 1;
            }
        }
        if in_cycle && let Some(c) = &mut self.cycle {
            c.remaining = c.remaining.saturating_sub(1);
            c.summary.cancelled += 1;
        }
        if let Some(n) = self.addresses.get_mut(&t.cfg.addr) {
            *n -= 1;
            if *n == 0 {
                self.addresses.remove(&t.cfg.addr);
                self.tracker.forget_engine(t.cfg.addr);
            }
        }
        // A queued id left in its group's queue is skipped when popped; drop the
        // queue's memory once nothing in it is live.
        if let Some(g) = self.groups.get_mut(t.group)
            && g.queue.len() > 64
            && self.queued == 0
        {
            g.queue = VecDeque::new();
        }
        true
    }

    fn start_cycle(
        &mut self,
        reports: mpsc::Sender<TargetReport>,
        done: oneshot::Sender<CycleSummary>,
    ) {
        let now = Instant::now();
        let mut remaining = 0;
        for t in self.targets.values_mut() {
            if t.session.is_some() || t.queued_at.is_some() {
                // Still busy from a cycle whose consumer went away: it reports into
                // this one.
                remaining += 1;
                continue;
            }
            t.queued_at = Some(now);
            if let Some(g) = self.groups.get_mut(t.group) {
                g.queue.push_back(t.id.0);
            }
            self.queued += 1;
            remaining += 1;
        }
        self.cycle = Some(CycleState {
            reports,
            done: Some(done),
            remaining,
            summary: CycleSummary::default(),
        });
    }

    /// Starts sessions while the window, the groups and the consumer allow,
    /// taking one target per group in turn.
    fn admit(&mut self) {
        if self.queued == 0 || !self.outbox.is_empty() {
            return;
        }
        let n = self.groups.len();
        let mut idle = 0;
        while self.active < self.window && self.queued > 0 && idle < n {
            let gi = self.group_cursor % n;
            self.group_cursor = self.group_cursor.wrapping_add(1);
            let Some(tid) = self.pop_admissible(gi) else {
                idle += 1;
                continue;
            };
            idle = 0;
            self.open_session(tid, gi);
        }
    }

    fn pop_admissible(&mut self, gi: usize) -> Option<u64> {
        let g = self.groups.get_mut(gi)?;
        if g.active >= g.share {
            return None;
        }
        while let Some(tid) = g.queue.pop_front() {
            if self
                .targets
                .get(&tid)
                .is_some_and(|t| t.queued_at.is_some())
            {
                return Some(tid);
            }
        }
        None
    }

    fn open_session(&mut self, tid: u64, gi: usize) {
        let now = Instant::now();
        let Some(t) = self.targets.get_mut(&tid) else {
            return;
        };
        let wait = t
            .queued_at
            .take()
            .map_or(Duration::ZERO, |q| now.saturating_duration_since(q));
        self.queued -= 1;
        self.active += 1;
        self.counters.peak_sessions = self.counters.peak_sessions.max(self.active as u64);
        if let Some(g) = self.groups.get_mut(gi) {
            g.active += 1;
            g.stats.admitted += 1;
            g.stats.max_active = g.stats.max_active.max(g.active);
            g.stats.wait_total += wait;
            g.stats.wait_max = g.stats.wait_max.max(wait);
        }
        t.session = Some(Session {
            walks: t
                .cfg
                .walks
                .iter()
                .map(|root| WalkRun {
                    cursor: Cursor::new(root.clone()),
                    attempt: 0,
                    outcome: None,
                    handle: None,
                })
                .collect(),
            next_walk: 0,
            running: 0,
            started: now,
            wait,
            requests: 0,
            retries: 0,
        });
        self.fill(tid);
    }

    /// Starts walks up to the target's in-flight limit; ends the session when
    /// every walk is done.
    fn fill(&mut self, tid: u64) {
        loop {
            let Some(t) = self.targets.get_mut(&tid) else {
                return;
            };
            let v3_unknown = t.user.is_some()
                && t.user.as_ref().is_some_and(|u| u.engine_id.is_none())
                && self.tracker.engine(t.cfg.addr).is_none();
            let limit = if v3_unknown {
                1
            } else {
                t.cfg.max_in_flight.max(1)
            };
            let Some(s) = t.session.as_mut() else {
                return;
            };
            if s.running >= limit || s.next_walk >= s.walks.len() {
                if s.running == 0 && s.next_walk >= s.walks.len() {
                    self.close_session(tid);
                }
                return;
            }
            let w = s.next_walk;
            s.next_walk += 1;
            s.running += 1;
            self.send_request(tid, w);
        }
    }

    /// Starts the tracker request for walk `w` of `tid` from its cursor.
    fn send_request(&mut self, tid: u64, w: usize) {
        let Some(t) = self.targets.get_mut(&tid) else {
            return;
        };
        let Some(s) = t.session.as_mut() else {
            return;
        };
        let Some(run) = s.walks.get_mut(w) else {
            return;
        };
        self.vb_buf.clear();
        VarBinds::encode_content(
            &[VarBind::null(run.cursor.last().as_oid_ref())],
            &mut self.vb_buf,
        );
        let reps = t.bulk.current();
        let bulk = t.cfg.max_repetitions > 0 && t.cfg.version() != Version::V1;
        let (version, community): (Version, &[u8]) = match &t.cfg.credentials {
            Credentials::Community { version, community } => (*version, community),
            Credentials::Usm(_) => (Version::V3, &[]),
        };
        let factor = t
            .cfg
            .backoff
            .max(1.0)
            .powi(i32::try_from(run.attempt).unwrap_or(i32::MAX));
        let timeout = t.cfg.timeout.mul_f64(factor.min(8.0));
        let req = Request {
            target: t.cfg.addr,
            version,
            community,
            user: t.user.clone(),
            pdu_type: if bulk {
                PduType::GetBulkRequest
            } else {
                PduType::GetNextRequest
            },
            varbinds: VarBinds::encoded(&self.vb_buf),
            non_repeaters: 0,
            max_repetitions: i32::from(reps),
            timeout: Some(timeout),
            retries: Some(0),
        };
        match self.tracker.start(&req) {
            Ok(h) => {
                run.handle = Some(h);
                s.requests += 1;
                self.handles.insert(h, (tid, w));
            }
            Err(e) => {
                run.handle = None;
                self.walk_done(tid, w, Err(e.into()));
            }
        }
    }

    /// Records a walk's end and moves the session on.
    fn walk_done(&mut self, tid: u64, w: usize, outcome: Result<WalkEnd, NetError>) {
        let Some(s) = self.targets.get_mut(&tid).and_then(|t| t.session.as_mut()) else {
            return;
        };
        match &outcome {
            Err(NetError::NotIncreasing { .. }) => self.counters.not_increasing += 1,
            Err(NetError::Agent { .. }) => self.counters.agent_errors += 1,
            _ => {}
        }
        if let Some(run) = s.walks.get_mut(w) {
            run.outcome = Some(outcome);
            run.handle = None;
        }
        s.running = s.running.saturating_sub(1);
        self.fill(tid);
    }

    fn close_session(&mut self, tid: u64) {
        let Some(t) = self.targets.get_mut(&tid) else {
            return;
        };
        let Some(s) = t.session.take() else {
            return;
        };
        self.active -= 1;
        if let Some(g) = self.groups.get_mut(t.group) {
            g.active -= 1;
        }
        let walks: Vec<WalkReport> = s
            .walks
            .into_iter()
            .map(|mut run| WalkReport {
                root: run.cursor.root().clone(),
                count: run.cursor.count(),
                encoded: run.cursor.take_values(),
                outcome: run.outcome.unwrap_or(Err(NetError::Closed)),
            })
            .collect();
        let report = TargetReport {
            id: t.id,
            addr: t.cfg.addr,
            walks,
            requests: s.requests,
            retries: s.retries,
            elapsed: s.started.elapsed(),
            slot_wait: s.wait,
        };
        if let Some(c) = &mut self.cycle {
            let sum = &mut c.summary;
            sum.targets += 1;
            sum.values += report.values();
            sum.requests += u64::from(report.requests);
            sum.retries += u64::from(report.retries);
            sum.slot_wait_total += report.slot_wait;
            sum.slot_wait_max = sum.slot_wait_max.max(report.slot_wait);
            if report.is_ok() {
                sum.complete += 1;
            } else if report.timed_out() {
                sum.timed_out += 1;
            } else {
                sum.failed += 1;
            }
            c.remaining = c.remaining.saturating_sub(1);
        }
        self.outbox.push_back(report);
        self.deliver();
    }

    /// Hands reports to the consumer without ever waiting for it.
    fn deliver(&mut self) {
        let Some(c) = &mut self.cycle else {
            self.outbox.clear();
            return;
        };
        while let Some(r) = self.outbox.pop_front() {
            match c.reports.try_send(r) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(r)) => {
                    self.outbox.push_front(r);
                    return;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    c.summary.unread += 1;
                }
            }
        }
    }

    fn check_cycle_done(&mut self) {
        let finished = self
            .cycle
            .as_ref()
            .is_some_and(|c| c.remaining == 0 && self.outbox.is_empty());
        if finished
            && let Some(mut c) = self.cycle.take()
            && let Some(done) = c.done.take()
        {
            let _ = done.send(c.summary.clone());
        }
    }

    /// Timeouts and failures from the tracker.
    fn events(&mut self) {
        while let Some(ev) = self.tracker.poll_event() {
            let (handle, failure) = match ev {
                Event::TimedOut { handle, .. } => (handle, None),
                Event::Failed { handle, reason, .. } => (handle, Some(reason)),
            };
            let Some((tid, w)) = self.handles.remove(&handle) else {
                continue;
            };
            match failure {
                Some(reason) => self.failed(tid, w, reason),
                None => self.timed_out(tid, w),
            }
        }
    }

    fn failed(&mut self, tid: u64, w: usize, reason: Failure) {
        let Some(t) = self.targets.get(&tid) else {
            return;
        };
        let target = t.cfg.addr;
        self.walk_done(tid, w, Err(NetError::Failed { target, reason }));
    }

    fn timed_out(&mut self, tid: u64, w: usize) {
        let Some(t) = self.targets.get_mut(&tid) else {
            return;
        };
        let retries = t.cfg.retries;
        let addr = t.cfg.addr;
        let bulk = t.cfg.max_repetitions > 0 && t.cfg.version() != Version::V1;
        let Some(s) = t.session.as_mut() else {
            return;
        };
        let Some(run) = s.walks.get_mut(w) else {
            return;
        };
        run.handle = None;
        if run.attempt >= retries {
            self.walk_done(tid, w, Err(NetError::Timeout { target: addr }));
            return;
        }
        run.attempt += 1;
        s.retries += 1;
        let why = if run.attempt >= 2 {
            Shrink::SilentAgain
        } else {
            Shrink::Silent
        };
        if bulk && t.bulk.shrink(why) {
            self.counters.shrinks_silent += 1;
        }
        self.send_request(tid, w);
    }

    /// Receives and processes every datagram queued. Returns whether any came.
    async fn receive(&mut self) -> bool {
        let fd = self.socket.as_raw_fd();
        let mut any = false;
        for _ in 0..64 {
            let recv = &mut self.recv;
            let got = self.socket.try_io(Interest::READABLE, || recv.recv(fd));
            match got {
                Ok(n) => {
                    any = true;
                    self.counters.recv_calls += 1;
                    self.counters.datagrams_received += n as u64;
                    let now = Instant::now();
                    for i in 0..n {
                        self.on_datagram(i, now);
                    }
                    self.events();
                    self.flush().await;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(error) => {
                    tracing::debug!(%error, shard = self.index, "recvmmsg failed.");
                    break;
                }
            }
        }
        any
    }

    fn on_datagram(&mut self, i: usize, now: Instant) {
        let Some(&(_, Some(from))) = self.recv.got.get(i) else {
            return;
        };
        let data = self.recv.datagram(i);
        let Some(resp) = self.tracker.handle(now, from, data) else {
            return;
        };
        let Some((tid, w)) = self.handles.remove(&resp.handle) else {
            return;
        };
        let Some(t) = self.targets.get_mut(&tid) else {
            return;
        };
        let Some(s) = t.session.as_mut() else {
            return;
        };
        let Some(run) = s.walks.get_mut(w) else {
            return;
        };
        run.handle = None;
        let counters = &mut self.counters;
        let action =
            if from != t.cfg.addr && !t.cfg.any_source && !t.cfg.also_from.contains(&from.ip()) {
                counters.wrong_source += 1;
                Action::Again
            } else {
                let pdu = resp.pdu;
                let bulk = pdu_is_bulk(&t.cfg);
                match pdu.status() {
                    ErrorStatus::NoError => {
                        run.attempt = 0;
                        if bulk && t.bulk.answered() {
                            counters.grows += 1;
                        }
                        match run.cursor.step(&pdu) {
                            Ok(Step::More) => Action::Next,
                            Ok(Step::End(e)) => Action::Done(Ok(e)),
                            Err(e) => Action::Done(Err(e)),
                        }
                    }
                    ErrorStatus::TooBig if bulk && t.bulk.shrink(Shrink::TooBig) => {
                        counters.shrinks_too_big += 1;
                        Action::Again
                    }
                    ErrorStatus::GenErr if bulk && t.bulk.shrink(Shrink::GenErr) => {
                        counters.shrinks_gen_err += 1;
                        Action::Again
                    }
                    ErrorStatus::NoSuchName if t.cfg.version() == Version::V1 => {
                        Action::Done(Ok(WalkEnd::EndOfMib))
                    }
                    _ => Action::Done(Err(agent_error(&pdu))),
                }
            };
        match action {
            Action::Next | Action::Again => {
                self.send_request(tid, w);
                // A v3 target's first reply makes its engine known: its other walks
                // may start now.
                self.fill(tid);
            }
            Action::Done(outcome) => self.walk_done(tid, w, outcome),
        }
    }

    /// Sends everything the tracker has queued, `BATCH` datagrams per system call.
    async fn flush(&mut self) {
        let fd = self.socket.as_raw_fd();
        loop {
            while self.out.len() < BATCH {
                let mut buf = self.spare.pop().unwrap_or_default();
                // A fresh `now` per datagram: encoding one may take long (the first
                // v3 request derives keys), and the next one's timer starts after it.
                match self.tracker.poll_transmit(Instant::now(), &mut buf) {
                    Some(t) => {
                        self.out.push(buf);
                        self.dests.push(t.destination);
                        self.out_handles.push(t.handle);
                    }
                    None => {
                        self.spare.push(buf);
                        break;
                    }
                }
            }
            // Failures while securing v3 requests surface as events.
            self.events();
            if self.out.is_empty() {
                return;
            }
            let (out, dests) = (&self.out, &self.dests);
            let sent = self
                .socket
                .try_io(Interest::WRITABLE, || udp::send_batch(fd, out, dests));
            match sent {
                Ok(k) => {
                    let k = k.clamp(1, self.out.len());
                    self.counters.send_calls += 1;
                    self.counters.datagrams_sent += k as u64;
                    self.spare.extend(self.out.drain(..k));
                    self.dests.drain(..k);
                    self.out_handles.drain(..k);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if let Err(error) = self.socket.writable().await {
                        tracing::warn!(%error, shard = self.index, "Poller socket failed.");
                        return;
                    }
                }
                Err(source) => {
                    // The first datagram could not be sent: fail its request.
                    self.counters.send_errors += 1;
                    let h = self.out_handles.remove(0);
                    self.spare.push(self.out.remove(0));
                    self.dests.remove(0);
                    self.tracker.cancel(h);
                    if let Some((tid, w)) = self.handles.remove(&h) {
                        self.walk_done(tid, w, Err(NetError::Io { op: "send", source }));
                    }
                }
            }
        }
    }

    fn stats(&self) -> PollerStats {
        PollerStats {
            tracker: *self.tracker.stats(),
            engine: self.counters,
            state: StateSizes {
                targets: self.targets.len(),
                sessions: self.active,
                requests: self.handles.len(),
                tracker_in_flight: self.tracker.in_flight(),
                engines: self.tracker.engines_known(),
                addresses: self.addresses.len(),
                queued: self.queued,
                outbox: self.outbox.len(),
            },
            groups: self.groups.iter().map(|g| g.stats.clone()).collect(),
            keys: self.tracker.key_stats(),
        }
    }
}

fn pdu_is_bulk(cfg: &TargetConfig) -> bool {
    cfg.max_repetitions > 0 && cfg.version() != Version::V1
}
