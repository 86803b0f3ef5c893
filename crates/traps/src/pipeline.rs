//! The pipeline: decode → journal → classify → limiter/fair queue → dedup → sinks.
//!
//! Why classification runs before the limiter although the issue lists it last:
//! the limiter must know the severity (clears and critical events are never rate
//! limited) and dedup needs the rule's key; rule matching is a hash probe, so
//! running it early costs nothing. The order of *effects* is still the issue's:
//! nothing is dropped before it is journaled, and only the sinks see events.
//!
//! Threading: a [`Pipeline`] is one `Send` value driven by one thread. The intake
//! half ([`Pipeline::ingest`]) takes a batch of datagrams; the processing half
//! ([`Pipeline::poll`]) drains the fair queue round-robin, folds duplicates, writes
//! sinks, advances the journal commit point and syncs it on its interval. The I/O
//! side calls both from its loop (ingest after every `recvmmsg` batch, poll after it
//! and at [`Pipeline::poll_timeout`]); sockets can run on other threads and hand
//! batches over a bounded channel.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use nocwatch_snmp::receiver::{AuthoritativeEngine, InformAck, ReceiverConfig};

use crate::decode::{Decoded, Decoder, RejectReason, RejectRing};
use crate::dedup::{Dedup, DedupConfig};
use crate::error::Error;
use crate::event::{BufferPool, Event, Severity};
use crate::journal::{Journal, JournalConfig, unix_ns};
use crate::limiter::{Limiter, LimiterConfig};
use crate::metrics::{Drops, Histogram, header, sample};
use crate::rules::Rules;
use crate::sink::{EventRing, EventSink, JsonLines};

/// One received datagram.
#[derive(Debug, Clone, Copy)]
pub struct Datagram<'a> {
    /// Its source address.
    pub peer: SocketAddr,
    /// Its bytes.
    pub data: &'a [u8],
    /// The local address it arrived at, when the I/O side knows it (a host with
    /// several listening addresses): answers to it (a Report, an inform's Response)
    /// must leave from there, and their [`Transmit`] carries it back.
    pub local: Option<SocketAddr>,
}

/// An inform's Response and the local address its request arrived at.
type PendingAck = (InformAck, Option<SocketAddr>);

/// A datagram to send (a Report now, or an inform's Response once durable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Destination.
    pub peer: SocketAddr,
    /// The address to send from: the request's [`Datagram::local`].
    pub local: Option<SocketAddr>,
    /// Bytes.
    pub datagram: Vec<u8>,
}

/// Everything the pipeline needs.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Communities and USM users accepted (nocwatch-snmp's receiver).
    pub receiver: ReceiverConfig,
    /// Our engine, authoritative for v3 informs (keep its ID stable, boots growing).
    pub engine: AuthoritativeEngine,
    /// Attribute a notification carrying snmpTrapAddress.0 to that address
    /// (forwarded traps) instead of the datagram's source.
    pub source_from_trap_address: bool,
    /// The on-disk journal; `None` runs without one (sequence numbers in memory,
    /// acks released at once: only for tests and comparisons).
    pub journal: Option<JournalConfig>,
    /// Per-source token buckets and the fair queue.
    pub limiter: LimiterConfig,
    /// Dedup window and cache cap.
    pub dedup: DedupConfig,
    /// Classification rules.
    pub rules: Arc<Rules>,
    /// Recent events kept in memory (default 10,000).
    pub ring_capacity: usize,
    /// Refused datagrams kept for inspection (default 256), and bytes kept of each
    /// (default 1,500).
    pub reject_ring: (usize, usize),
    /// Sources named in drop metrics; later ones are `"other"` (default 20).
    pub source_labels: usize,
    /// Events processed per [`Pipeline::poll`] (default 65,536): bounds how long one
    /// poll runs, so intake is not starved.
    pub process_budget: usize,
    /// Inform acks waiting for their journal sync (default 65,536); when full the
    /// newest ack is dropped (counted) and the sender retransmits.
    pub max_pending_acks: usize,
}

impl PipelineConfig {
    /// Defaults around `engine` and `rules`, no journal.
    pub fn new(engine: AuthoritativeEngine, rules: Arc<Rules>) -> Self {
        Self {
            receiver: ReceiverConfig::default(),
            engine,
            source_from_trap_address: false,
            journal: None,
            limiter: LimiterConfig::default(),
            dedup: DedupConfig::default(),
            rules,
            ring_capacity: 10_000,
            reject_ring: (256, 1500),
            source_labels: 20,
            process_budget: 65_536,
            max_pending_acks: 65_536,
        }
    }
}

/// Pipeline counters. Accounting identity (checked by the tests):
/// `received + replayed = reports + drops + queued + emitted_first + folded`, where
/// `drops` is every counted drop (decode refusals included) and `folded` the dedup
/// hits (their count leaves in a follow-up event's `occurrences`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PipelineStats {
    /// Datagrams handed to [`Pipeline::ingest`].
    pub received: u64,
    /// Datagrams that became events.
    pub decoded: u64,
    /// Datagrams refused by the decode stage (by reason in the metrics).
    pub rejected: u64,
    /// Reports produced (v3 discovery, USM errors on informs).
    pub reports: u64,
    /// Events journaled.
    pub journaled: u64,
    /// Events replayed from the journal on open.
    pub replayed: u64,
    /// Events classified.
    pub classified: u64,
    /// Events whose trap OID no rule matched.
    pub unknown_oid: u64,
    /// Classified events by severity ([`Severity::ALL`] order).
    pub by_severity: [u64; 6],
    /// Events taken out of the fair queue.
    pub dequeued: u64,
    /// First occurrences emitted to the sinks.
    pub emitted_first: u64,
    /// Dedup follow-up events (with counts) emitted.
    pub emitted_summaries: u64,
    /// Sink write errors.
    pub sink_errors: u64,
    /// Journal write/sync errors (the events stay buffered and are retried).
    pub journal_errors: u64,
    /// Inform acks released (their record durable).
    pub acks_released: u64,
    /// Inform acks dropped (pending-ack queue full, or journaling failed).
    pub acks_dropped: u64,
}

/// What [`Pipeline::drain`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrainReport {
    /// Events processed during the drain.
    pub processed: u64,
    /// Events still queued at the deadline (they stay in the journal and are
    /// replayed on the next start).
    pub left: usize,
}

#[derive(Debug, Default)]
struct Latency {
    decode: Histogram,
    journal: Histogram,
    classify: Histogram,
    limiter: Histogram,
    queue_wait: Histogram,
    dedup_sink: Histogram,
    end_to_end: Histogram,
    inform_ack: Histogram,
}

/// The trap pipeline. See the module docs and the crate docs.
#[derive(Debug)]
pub struct Pipeline {
    decoder: Decoder,
    journal: Option<Journal>,
    mem_seq: u64,
    rules: Arc<Rules>,
    limiter: Limiter,
    dedup: Dedup,
    sink: Option<Box<dyn EventSink>>,
    ring: EventRing,
    pool: BufferPool,
    acks: VecDeque<(u64, Instant, InformAck, Option<SocketAddr>)>,
    max_acks: usize,
    budget: usize,
    stats: PipelineStats,
    reject_counts: [u64; RejectReason::LABELS.len()],
    drops: Drops,
    latency: Latency,
    out: Vec<Event>,
    pending: Vec<(Event, Option<PendingAck>)>,
    next_commit: Instant,
    commit_interval: std::time::Duration,
    /// Events replayed from the journal, not processed yet.
    replay: VecDeque<Event>,
}

impl Pipeline {
    /// Opens the pipeline: opens (and repairs) the journal and queues the events it
    /// had not finished processing, so they are processed again before new ones.
    pub fn open(cfg: PipelineConfig, now: Instant) -> Result<Self, Error> {
        let decoder = Decoder::new(
            cfg.receiver,
            cfg.engine,
            cfg.source_from_trap_address,
            RejectRing::new(cfg.reject_ring.0, cfg.reject_ring.1),
        )?;
        let commit_interval = cfg
            .journal
            .as_ref()
            .map_or(std::time::Duration::from_millis(10), |j| {
                j.sync_interval.min(std::time::Duration::from_secs(1))
            });
        let (journal, replay) = match cfg.journal {
            Some(j) => {
                let (j, rec) = Journal::open(j, now)?;
                (Some(j), rec.events)
            }
            None => (None, Vec::new()),
        };
        let mut p = Self {
            decoder,
            journal,
            mem_seq: 0,
            rules: cfg.rules,
            limiter: Limiter::new(cfg.limiter, now),
            dedup: Dedup::new(cfg.dedup),
            sink: None,
            ring: EventRing::new(cfg.ring_capacity),
            pool: BufferPool::new(cfg.process_budget.max(1024)),
            acks: VecDeque::new(),
            max_acks: cfg.max_pending_acks,
            budget: cfg.process_budget.max(1),
            stats: PipelineStats::default(),
            reject_counts: [0; RejectReason::LABELS.len()],
            drops: Drops::new(cfg.source_labels),
            latency: Latency::default(),
            out: Vec::new(),
            pending: Vec::new(),
            next_commit: now,
            commit_interval,
            replay: VecDeque::new(),
        };
        if !replay.is_empty() {
            tracing::info!(
                events = replay.len(),
                "replaying unprocessed journal events"
            );
        }
        // Replayed events were accepted before the crash: they go straight to
        // dedup and the sinks (oldest first, ahead of new traffic), not through the
        // token buckets and queue bounds, which would refuse a backlog that arrives
        // all at once and lose what was already accepted.
        for mut ev in replay {
            ev.ingested = now;
            p.stats.replayed += 1;
            p.classify(&mut ev);
            p.replay.push_back(ev);
        }
        Ok(p)
    }

    /// Sends events as JSON lines to `out` (stdout, a file, ...).
    pub fn set_json_output(&mut self, out: Box<dyn std::io::Write + Send>) {
        self.sink = Some(Box::new(JsonLines::new(out)));
    }

    /// Sends events to `sink` instead (replaces the JSON output): the sink sees
    /// each [`Event`] with its raw bindings, as the JSON output does.
    pub fn set_event_sink(&mut self, sink: Box<dyn EventSink>) {
        self.sink = Some(sink);
    }

    /// Replaces the rules (e.g. on SIGHUP); queued events keep their verdict.
    pub fn set_rules(&mut self, rules: Arc<Rules>) {
        self.rules = rules;
    }

    /// Takes a batch of datagrams received at `now`: decodes, journals, classifies
    /// and queues them. Reports to send at once are appended to `reports`; inform
    /// acks wait for [`Pipeline::take_acks`].
    pub fn ingest(&mut self, now: Instant, batch: &[Datagram<'_>], reports: &mut Vec<Transmit>) {
        let wall = unix_ns(SystemTime::now());
        let t0 = Instant::now();
        self.pending.clear();
        for d in batch {
            self.stats.received += 1;
            match self
                .decoder
                .decode(now, wall, d.peer, d.data, &mut self.pool)
            {
                Decoded::Event(ev, ack) => {
                    self.stats.decoded += 1;
                    self.pending.push((ev, ack.map(|a| (a, d.local))));
                }
                Decoded::Report(peer, datagram) => {
                    self.stats.reports += 1;
                    reports.push(Transmit {
                        peer,
                        local: d.local,
                        datagram,
                    });
                }
                Decoded::Rejected(r) => {
                    self.stats.rejected += 1;
                    if let Some(i) = RejectReason::LABELS.iter().position(|l| *l == r.as_str())
                        && let Some(c) = self.reject_counts.get_mut(i)
                    {
                        *c += 1;
                    }
                    self.drops.count("decode", r.as_str(), d.peer.ip());
                }
            }
        }
        let n = self.pending.len() as u64;
        let t1 = Instant::now();
        self.latency
            .decode
            .observe_n(per_item(t1 - t0, batch.len() as u64), batch.len() as u64);
        if n == 0 {
            return;
        }
        // Journal.
        let mut pending = std::mem::take(&mut self.pending);
        let mut kept = 0;
        for i in 0..pending.len() {
            let Some((ev, ack)) = pending.get_mut(i) else {
                continue;
            };
            let res = match &mut self.journal {
                Some(j) => j.append(ev),
                None => {
                    self.mem_seq += 1;
                    ev.seq = self.mem_seq;
                    Ok(self.mem_seq)
                }
            };
            match res {
                Ok(seq) => {
                    self.stats.journaled += 1;
                    if let Some((a, local)) = ack.take() {
                        if self.acks.len() < self.max_acks {
                            self.acks.push_back((seq, now, a, local));
                        } else {
                            self.stats.acks_dropped += 1;
                        }
                    }
                    pending.swap(kept, i);
                    kept += 1;
                }
                Err(e) => {
                    let reason = match e {
                        Error::JournalFull(_) => "journal_full",
                        _ => {
                            tracing::error!(error = %e, "journal append failed");
                            "journal_io"
                        }
                    };
                    self.drops.count("journal", reason, ev.source);
                    if ack.take().is_some() {
                        self.stats.acks_dropped += 1;
                    }
                }
            }
        }
        for (ev, _) in pending.drain(kept..) {
            self.pool.recycle(ev);
        }
        // One write per batch: from here the records survive a crash of this
        // process (kill -9); the fsync on the interval makes them survive the host's.
        if let Some(j) = &mut self.journal
            && let Err(e) = j.flush()
        {
            self.stats.journal_errors += 1;
            tracing::error!(error = %e, "journal write failed");
        }
        let t2 = Instant::now();
        self.latency.journal.observe_n(per_item(t2 - t1, n), n);
        for (ev, _) in pending.iter_mut() {
            self.classify(ev);
        }
        let t3 = Instant::now();
        self.latency.classify.observe_n(per_item(t3 - t2, n), n);
        for (ev, _) in pending.drain(..) {
            self.offer(now, ev);
        }
        self.pending = pending;
        let t4 = Instant::now();
        self.latency.limiter.observe_n(per_item(t4 - t3, n), n);
    }

    fn classify(&mut self, ev: &mut Event) {
        ev.class = self.rules.classify(ev);
        self.stats.classified += 1;
        if ev.class.rule.is_none() {
            self.stats.unknown_oid += 1;
        }
        if let Some(i) = Severity::ALL.iter().position(|s| *s == ev.class.severity)
            && let Some(c) = self.stats.by_severity.get_mut(i)
        {
            *c += 1;
        }
    }

    fn offer(&mut self, now: Instant, ev: Event) {
        if let Err((ev, why)) = self.limiter.offer(now, ev) {
            self.drops.count("limiter", why.as_str(), ev.source);
            self.pool.recycle(ev);
        }
    }

    /// Processes up to the budget of queued events round-robin, closes dedup windows
    /// that ended, writes the sinks, advances the commit point and syncs the journal
    /// when its interval has passed. Returns the number of events taken from the
    /// queue.
    pub fn poll(&mut self, now: Instant) -> Result<usize, Error> {
        let t0 = Instant::now();
        let mut out = std::mem::take(&mut self.out);
        let mut n = 0;
        while n < self.budget {
            let Some(ev) = self.replay.pop_front().or_else(|| self.limiter.pop()) else {
                break;
            };
            n += 1;
            self.stats.dequeued += 1;
            self.latency
                .queue_wait
                .observe(t0.saturating_duration_since(ev.ingested).as_secs_f64());
            if self.dedup.offer(now, ev, &mut out, &mut self.pool) {
                self.stats.emitted_first += 1;
            }
        }
        self.dedup.expire(now, &mut out);
        self.emit(&mut out);
        self.out = out;
        let t1 = Instant::now();
        if n > 0 {
            self.latency
                .dedup_sink
                .observe_n(per_item(t1 - t0, n as u64), n as u64);
        }
        // The commit point is a pass over the sources with queued events: compute
        // it when the journal is about to write (its sync interval), not per poll.
        if now >= self.next_commit {
            self.commit();
            self.next_commit = now + self.commit_interval;
        }
        if let Some(j) = &mut self.journal
            && let Err(e) = j.poll(now)
        {
            self.stats.journal_errors += 1;
            tracing::error!(error = %e, "journal sync failed");
        }
        self.limiter.gc(now);
        Ok(n)
    }

    /// Sends `out` to the sinks (an event with occurrences > 1 is a dedup summary).
    fn emit(&mut self, out: &mut Vec<Event>) {
        let done = Instant::now();
        for ev in out.drain(..) {
            if ev.occurrences > 1 {
                self.stats.emitted_summaries += 1;
            }
            self.latency
                .end_to_end
                .observe(done.saturating_duration_since(ev.ingested).as_secs_f64());
            if let Some(j) = &mut self.sink {
                j.event(&ev);
            }
            if let Some(old) = self.ring.push(ev) {
                self.pool.recycle(old);
            }
        }
        if let Some(j) = &mut self.sink
            && let Err(e) = j.flush()
        {
            self.stats.sink_errors += 1;
            tracing::warn!(error = %e, "event sink write failed");
        }
    }

    /// The commit point: everything before the oldest event still queued or folded.
    fn commit(&mut self) {
        let Some(j) = &mut self.journal else { return };
        let min = [
            self.replay.front().map(|e| e.seq),
            self.limiter.min_queued_seq(),
            self.dedup.min_pending_seq(),
            self.sink.as_ref().and_then(|s| s.min_pending_seq()),
        ]
        .into_iter()
        .flatten()
        .min();
        let point = match min {
            Some(s) => s.saturating_sub(1),
            None => j.last_seq(),
        };
        j.commit(point);
    }

    /// Moves the acks whose journal record is durable to `out`.
    pub fn take_acks(&mut self, out: &mut Vec<Transmit>) {
        let durable = self.journal.as_ref().map_or(u64::MAX, Journal::durable_seq);
        let now = Instant::now();
        while let Some((seq, _, _, _)) = self.acks.front() {
            if *seq > durable {
                break;
            }
            if let Some((_, at, ack, local)) = self.acks.pop_front() {
                self.latency
                    .inform_ack
                    .observe(now.saturating_duration_since(at).as_secs_f64());
                self.stats.acks_released += 1;
                out.push(Transmit {
                    peer: ack.peer(),
                    local,
                    datagram: ack.into_datagram(),
                });
            }
        }
    }

    /// Acks waiting for durability.
    pub fn pending_acks(&self) -> usize {
        self.acks.len()
    }

    /// Forces a journal sync now (e.g. to release acks without waiting for the interval).
    pub fn sync(&mut self) -> Result<(), Error> {
        self.commit();
        if let Some(j) = &mut self.journal {
            j.sync()?;
        }
        Ok(())
    }

    /// When [`Pipeline::poll`] next has timed work (journal sync, dedup window
    /// close), if any; call it sooner when events are queued.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let j = self.journal.as_ref().and_then(|j| {
            // Processed events whose commit record is not written yet.
            let commit = (j.committed() < j.last_seq()).then_some(self.next_commit);
            match (j.poll_timeout(), commit) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }
        });
        let d = self.dedup.next_expiry();
        match (j, d) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Events waiting to be processed (fair queue plus journal replay backlog).
    pub fn queued(&self) -> usize {
        self.limiter.queued() + self.replay.len()
    }

    /// Stops nothing by itself (the caller stops reading first), then processes
    /// every queued event, closes every dedup window, flushes the sinks, commits and
    /// syncs the journal, all before `deadline` if possible. Events not processed by
    /// the deadline remain uncommitted in the journal and are replayed on the next
    /// start: nothing accepted is lost either way.
    pub fn drain(&mut self, deadline: Instant) -> Result<DrainReport, Error> {
        let mut processed = 0u64;
        loop {
            let now = Instant::now();
            if self.queued() == 0 || now >= deadline {
                break;
            }
            processed += self.poll(now)? as u64;
        }
        if self.queued() == 0 {
            let mut out = std::mem::take(&mut self.out);
            self.dedup.flush(&mut out);
            self.emit(&mut out);
            self.out = out;
        }
        // Everything emitted is written before the last commit (a sink on its own
        // thread is waited for), so a clean stop replays nothing.
        if let Some(s) = &mut self.sink
            && let Err(e) = s.finish()
        {
            self.stats.sink_errors += 1;
            tracing::warn!(error = %e, "event sink write failed at drain");
        }
        self.sync()?;
        Ok(DrainReport {
            processed,
            left: self.queued(),
        })
    }

    /// The classification rules in use.
    pub fn rules(&self) -> &Arc<Rules> {
        &self.rules
    }

    /// Replaces the accepted communities (`None`: any) and SNMPv3 users (a reload);
    /// counters, engine and queues stay. On an error nothing changes.
    pub fn set_credentials(
        &mut self,
        communities: Option<Vec<Vec<u8>>>,
        users: Vec<Arc<nocwatch_snmp::UsmUser>>,
    ) -> Result<(), Error> {
        self.decoder.set_credentials(communities, users)
    }

    /// Counters.
    pub fn stats(&self) -> &PipelineStats {
        &self.stats
    }

    /// Drop accounting.
    pub fn drops(&self) -> &Drops {
        &self.drops
    }

    /// Recent events, oldest first.
    pub fn recent(&self) -> &EventRing {
        &self.ring
    }

    /// Refused datagrams kept for inspection.
    pub fn rejects(&self) -> &RejectRing {
        self.decoder.rejects()
    }

    /// The journal, if any.
    pub fn journal(&self) -> Option<&Journal> {
        self.journal.as_ref()
    }

    /// The decode stage (receiver counters, engine).
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// The dedup stage.
    pub fn dedup(&self) -> &Dedup {
        &self.dedup
    }

    /// The limiter.
    pub fn limiter(&self) -> &Limiter {
        &self.limiter
    }

    /// Appends every self-metric in Prometheus text format.
    pub fn render_metrics(&self, out: &mut String) {
        let s = &self.stats;
        let counters: [(&str, &str, u64); 14] = [
            (
                "nocwatch_trap_received_total",
                "Datagrams received by the pipeline.",
                s.received,
            ),
            (
                "nocwatch_trap_decoded_total",
                "Datagrams decoded into events.",
                s.decoded,
            ),
            (
                "nocwatch_trap_failed_total",
                "Datagrams refused by the decode stage.",
                s.rejected,
            ),
            (
                "nocwatch_trap_reports_total",
                "SNMPv3 Reports produced.",
                s.reports,
            ),
            (
                "nocwatch_trap_journaled_total",
                "Events appended to the journal.",
                s.journaled,
            ),
            (
                "nocwatch_trap_replayed_total",
                "Events replayed from the journal at start.",
                s.replayed,
            ),
            (
                "nocwatch_trap_classified_total",
                "Events classified.",
                s.classified,
            ),
            (
                "nocwatch_trap_unknown_oid_total",
                "Events whose trap OID no rule matched.",
                s.unknown_oid,
            ),
            (
                "nocwatch_trap_emitted_total",
                "First occurrences emitted to the sinks.",
                s.emitted_first,
            ),
            (
                "nocwatch_trap_emitted_summaries_total",
                "Dedup follow-up events (with counts) emitted.",
                s.emitted_summaries,
            ),
            (
                "nocwatch_trap_sink_errors_total",
                "Event sink write errors.",
                s.sink_errors,
            ),
            (
                "nocwatch_trap_journal_errors_total",
                "Journal write or sync errors.",
                s.journal_errors,
            ),
            (
                "nocwatch_trap_inform_acks_total",
                "Inform Responses released after their journal sync.",
                s.acks_released,
            ),
            (
                "nocwatch_trap_inform_acks_dropped_total",
                "Inform Responses not sent (queue full or journal failure).",
                s.acks_dropped,
            ),
        ];
        for (name, help, v) in counters {
            header(out, name, "counter", help);
            sample(out, name, "", v);
        }
        header(
            out,
            "nocwatch_trap_decode_failures_total",
            "counter",
            "Datagrams refused by the decode stage, by reason.",
        );
        for (l, v) in RejectReason::LABELS.iter().zip(self.reject_counts) {
            sample(
                out,
                "nocwatch_trap_decode_failures_total",
                &format!("reason=\"{l}\""),
                v,
            );
        }
        header(
            out,
            "nocwatch_trap_classified_by_severity_total",
            "counter",
            "Events classified, by severity.",
        );
        for (sev, v) in Severity::ALL.iter().zip(s.by_severity) {
            sample(
                out,
                "nocwatch_trap_classified_by_severity_total",
                &format!("severity=\"{}\"", sev.as_str()),
                v,
            );
        }
        self.drops.render(out);

        header(
            out,
            "nocwatch_trap_queue_depth",
            "gauge",
            "Items held by each bounded queue.",
        );
        header(
            out,
            "nocwatch_trap_queue_depth_ratio",
            "gauge",
            "Items held over capacity, per bounded queue.",
        );
        let journal = self
            .journal
            .as_ref()
            .map(|j| (j.unprocessed_bytes(), j.config().max_bytes));
        let mut queues: Vec<(&str, u64, u64)> = vec![
            (
                "fair_queue",
                self.limiter.queued() as u64,
                self.limiter.capacity() as u64,
            ),
            (
                "replay_backlog",
                self.replay.len() as u64,
                self.stats.replayed.max(1),
            ),
            (
                "dedup_cache",
                self.dedup.len() as u64,
                self.dedup.capacity() as u64,
            ),
            ("inform_acks", self.acks.len() as u64, self.max_acks as u64),
        ];
        if let Some((used, cap)) = journal {
            queues.push(("journal_bytes", used, cap));
        }
        for (q, used, _) in &queues {
            sample(
                out,
                "nocwatch_trap_queue_depth",
                &format!("queue=\"{q}\""),
                used,
            );
        }
        for (q, used, cap) in &queues {
            let ratio = if *cap == 0 {
                0.0
            } else {
                *used as f64 / *cap as f64
            };
            sample(
                out,
                "nocwatch_trap_queue_depth_ratio",
                &format!("queue=\"{q}\""),
                ratio,
            );
        }

        let d = self.dedup.stats();
        header(
            out,
            "nocwatch_trap_dedup_lookups_total",
            "counter",
            "Dedup cache lookups.",
        );
        sample(out, "nocwatch_trap_dedup_lookups_total", "", d.lookups);
        header(
            out,
            "nocwatch_trap_dedup_hits_total",
            "counter",
            "Events folded into an open dedup window.",
        );
        sample(out, "nocwatch_trap_dedup_hits_total", "", d.hits);
        header(
            out,
            "nocwatch_trap_dedup_evictions_total",
            "counter",
            "Dedup windows closed early because the cache was full.",
        );
        sample(out, "nocwatch_trap_dedup_evictions_total", "", d.evictions);
        header(
            out,
            "nocwatch_trap_dedup_hit_ratio",
            "gauge",
            "Dedup hits over lookups since start.",
        );
        let ratio = if d.lookups == 0 {
            0.0
        } else {
            d.hits as f64 / d.lookups as f64
        };
        sample(out, "nocwatch_trap_dedup_hit_ratio", "", ratio);

        let l = self.limiter.stats();
        header(
            out,
            "nocwatch_trap_limiter_reserved_bypass_total",
            "counter",
            "Clear/critical events passed with an empty token bucket.",
        );
        sample(
            out,
            "nocwatch_trap_limiter_reserved_bypass_total",
            "",
            l.reserved_bypass,
        );
        header(
            out,
            "nocwatch_trap_limiter_sources",
            "gauge",
            "Sources tracked by the limiter.",
        );
        sample(
            out,
            "nocwatch_trap_limiter_sources",
            "",
            self.limiter.sources(),
        );

        if let Some(j) = &self.journal {
            let js = j.stats();
            let rows: [(&str, &str, u64); 8] = [
                (
                    "nocwatch_trap_journal_bytes_written_total",
                    "Bytes written to the journal.",
                    js.bytes,
                ),
                (
                    "nocwatch_trap_journal_syncs_total",
                    "Journal fdatasync calls.",
                    js.syncs,
                ),
                (
                    "nocwatch_trap_journal_segments_created_total",
                    "Journal segments created.",
                    js.segments_created,
                ),
                (
                    "nocwatch_trap_journal_segments_deleted_total",
                    "Journal segments deleted once processed.",
                    js.segments_deleted,
                ),
                (
                    "nocwatch_trap_journal_truncated_bytes_total",
                    "Bytes cut from damaged journal tails at open.",
                    js.truncated_bytes,
                ),
                (
                    "nocwatch_trap_journal_corrupt_records_total",
                    "Damaged journal records found at open.",
                    js.corrupt_records,
                ),
                (
                    "nocwatch_trap_journal_expired_total",
                    "Unprocessed journal events too old to replay.",
                    js.expired,
                ),
                (
                    "nocwatch_trap_journal_refused_total",
                    "Events refused because the journal was full.",
                    js.refused_full,
                ),
            ];
            for (name, help, v) in rows {
                header(out, name, "counter", help);
                sample(out, name, "", v);
            }
            header(
                out,
                "nocwatch_trap_journal_disk_bytes",
                "gauge",
                "Journal bytes on disk.",
            );
            sample(out, "nocwatch_trap_journal_disk_bytes", "", j.disk_bytes());
        }

        let r = self.decoder.receiver().stats();
        header(
            out,
            "nocwatch_trap_receiver_total",
            "counter",
            "SNMP receiver counters (snmpIn*/usmStats*).",
        );
        for (k, v) in [
            ("v1_traps", r.v1_traps),
            ("traps", r.traps),
            ("informs", r.informs),
            ("unknown_engine_ids", r.unknown_engine_ids),
            ("unknown_user_names", r.unknown_user_names),
            ("unsupported_sec_levels", r.unsupported_sec_levels),
            ("wrong_digests", r.wrong_digests),
            ("not_in_time_windows", r.not_in_time_windows),
            ("decryption_errors", r.decryption_errors),
            ("bad_community_names", r.bad_community_names),
            ("malformed", r.malformed),
        ] {
            sample(
                out,
                "nocwatch_trap_receiver_total",
                &format!("counter=\"{k}\""),
                v,
            );
        }

        let name = "nocwatch_trap_stage_latency_seconds";
        header(
            out,
            name,
            "histogram",
            "Per-event latency by stage (decode/journal/classify/limiter/dedup_sink: batch time over batch size; queue_wait/end_to_end/inform_ack per event; fsync per call).",
        );
        let lat = &self.latency;
        let fsync = self
            .journal
            .as_ref()
            .map(Journal::sync_latency)
            .unwrap_or_default();
        for (stage, h) in [
            ("decode", &lat.decode),
            ("journal", &lat.journal),
            ("classify", &lat.classify),
            ("limiter", &lat.limiter),
            ("queue_wait", &lat.queue_wait),
            ("dedup_sink", &lat.dedup_sink),
            ("fsync", &fsync),
            ("end_to_end", &lat.end_to_end),
            ("inform_ack", &lat.inform_ack),
        ] {
            let mut labels = String::new();
            let _ = write!(labels, "stage=\"{stage}\"");
            h.render(out, name, &labels);
        }
    }

    /// The end-to-end latency histogram (ingest to sink), for benches and tests.
    pub fn end_to_end_latency(&self) -> &Histogram {
        &self.latency.end_to_end
    }
}

fn per_item(d: std::time::Duration, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        d.as_secs_f64() / n as f64
    }
}
