//! Per-source token buckets and the fair queue.
//!
//! Why this shape: a storm is usually a few devices sending far more than the
//! rest. A single FIFO would make a quiet device's linkDown wait behind a noisy
//! device's 100k queued traps. So each source gets
//!
//! - a **token bucket** (rate and burst from [`LimiterConfig`], overridden by the
//!   longest matching CIDR), checked when the event is offered: an event over the
//!   rate is dropped and counted (reason `rate_limited`), *unless* its severity is
//!   reserved (Clear or Critical, [`crate::Severity::is_reserved`]), which always
//!   passes the limiter: a lost clear leaves an alarm standing forever;
//! - its own **bounded FIFO**; the processing stage takes events **round-robin**
//!   across sources with something queued (one event per source per turn), so a
//!   quiet source's event waits at most one turn of the active sources, however deep
//!   the noisy queues are.
//!
//! Queue bounds (explicit when-full policy: refuse the *new* event from the source
//! whose queue is full, counted as `queue_full`): `per_source_queue` events per
//! source and `total_queue` overall. Reserved events may use `reserved_queue` more
//! slots (per source and in total) beyond those bounds, so a flood of ordinary traps
//! cannot crowd out a clear; only if that headroom is also full is a reserved event
//! refused (`queue_full_reserved`).
//!
//! Sources are kept in a map bounded by `max_sources`; idle ones (empty queue,
//! full bucket) are forgotten by [`Limiter::gc`]. When the map is full, new sources
//! share one overflow state (counted) rather than growing memory without bound.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use crate::event::Event;
use crate::rules::Cidr;

/// A rate override for sources inside a network.
#[derive(Debug, Clone, PartialEq)]
pub struct RateOverride {
    /// The network.
    pub cidr: Cidr,
    /// Sustained events per second.
    pub rate: f64,
    /// Bucket size (events accepted at once after a quiet period).
    pub burst: f64,
}

/// Limiter and fair-queue settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LimiterConfig {
    /// Default sustained rate per source, events/s (default 5,000: far above any
    /// healthy device, so the limiter only bites on a runaway one).
    pub rate: f64,
    /// Default burst per source (default 20,000).
    pub burst: f64,
    /// Overrides; the longest matching prefix wins.
    pub overrides: Vec<RateOverride>,
    /// Queue bound per source (default 8,192).
    pub per_source_queue: usize,
    /// Queue bound over all sources (default 262,144).
    pub total_queue: usize,
    /// Extra slots for reserved severities, per source and in total (default 1,024).
    pub reserved_queue: usize,
    /// Most sources tracked (default 100,000).
    pub max_sources: usize,
}

impl Default for LimiterConfig {
    fn default() -> Self {
        Self {
            rate: 5_000.0,
            burst: 20_000.0,
            overrides: Vec::new(),
            per_source_queue: 8_192,
            total_queue: 262_144,
            reserved_queue: 1_024,
            max_sources: 100_000,
        }
    }
}

/// Why the limiter stage refused an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitDrop {
    /// Over the source's rate.
    RateLimited,
    /// The source's queue or the total queue is full.
    QueueFull,
    /// Even the reserved headroom is full.
    QueueFullReserved,
}

impl LimitDrop {
    /// Label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RateLimited => "rate_limited",
            Self::QueueFull => "queue_full",
            Self::QueueFullReserved => "queue_full_reserved",
        }
    }
}

#[derive(Debug)]
struct Source {
    ip: IpAddr,
    tokens: f64,
    rate: f64,
    burst: f64,
    refilled: Instant,
    queue: VecDeque<Event>,
    /// Whether it is in the round-robin ring.
    in_ring: bool,
}

impl Source {
    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.refilled).as_secs_f64();
        if dt > 0.0 {
            self.tokens = (self.tokens + dt * self.rate).min(self.burst);
            self.refilled = now;
        }
    }
}

/// Limiter counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LimiterStats {
    /// Events accepted into a queue.
    pub accepted: u64,
    /// Reserved events that passed with an empty bucket.
    pub reserved_bypass: u64,
    /// Sources put in the shared overflow state because the map was full.
    pub overflow_sources: u64,
    /// Sources forgotten by gc.
    pub forgotten: u64,
}

/// The limiter and fair queue. See the module docs.
#[derive(Debug)]
pub struct Limiter {
    cfg: LimiterConfig,
    /// foldhash, seeded per map: SipHash was a visible share of a storm's CPU.
    index: HashMap<IpAddr, usize, foldhash::quality::RandomState>,
    sources: Vec<Source>,
    ring: VecDeque<usize>,
    queued: usize,
    last_gc: Instant,
    stats: LimiterStats,
}

/// Index of the shared overflow state.
const OVERFLOW: usize = 0;

impl Limiter {
    /// A limiter with `cfg`; `now` starts the buckets.
    pub fn new(mut cfg: LimiterConfig, now: Instant) -> Self {
        cfg.overrides
            .sort_by_key(|o| std::cmp::Reverse(o.cidr.len()));
        let overflow = Source {
            ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            tokens: cfg.burst,
            rate: cfg.rate,
            burst: cfg.burst,
            refilled: now,
            queue: VecDeque::new(),
            in_ring: false,
        };
        Self {
            cfg,
            index: HashMap::default(),
            sources: vec![overflow],
            ring: VecDeque::new(),
            queued: 0,
            last_gc: now,
            stats: LimiterStats::default(),
        }
    }

    fn source(&mut self, ip: IpAddr, now: Instant) -> usize {
        if let Some(&i) = self.index.get(&ip) {
            return i;
        }
        if self.index.len() >= self.cfg.max_sources {
            self.stats.overflow_sources += 1;
            return OVERFLOW;
        }
        let (rate, burst) = self
            .cfg
            .overrides
            .iter()
            .find(|o| o.cidr.contains(ip))
            .map_or((self.cfg.rate, self.cfg.burst), |o| (o.rate, o.burst));
        let i = self.sources.len();
        self.sources.push(Source {
            ip,
            tokens: burst,
            rate,
            burst,
            refilled: now,
            queue: VecDeque::new(),
            in_ring: false,
        });
        self.index.insert(ip, i);
        i
    }

    /// Offers an event. On refusal the event comes back with the reason, for the
    /// caller to count and recycle its buffer.
    // The refused event is returned by value so its buffer is recycled; boxing it
    // would allocate on exactly the path a storm takes.
    #[allow(clippy::result_large_err)]
    pub fn offer(&mut self, now: Instant, ev: Event) -> Result<(), (Event, LimitDrop)> {
        let reserved = ev.class.severity.is_reserved();
        let i = self.source(ev.source, now);
        let (per, total, extra) = (
            self.cfg.per_source_queue,
            self.cfg.total_queue,
            self.cfg.reserved_queue,
        );
        let queued = self.queued;
        let Some(s) = self.sources.get_mut(i) else {
            return Err((ev, LimitDrop::QueueFull));
        };
        s.refill(now);
        if s.tokens >= 1.0 {
            s.tokens -= 1.0;
        } else if reserved {
            self.stats.reserved_bypass += 1;
        } else {
            return Err((ev, LimitDrop::RateLimited));
        }
        let len = s.queue.len();
        if len >= per || queued >= total {
            if !reserved {
                return Err((ev, LimitDrop::QueueFull));
            }
            if len >= per + extra || queued >= total + extra {
                return Err((ev, LimitDrop::QueueFullReserved));
            }
        }
        s.queue.push_back(ev);
        self.queued += 1;
        self.stats.accepted += 1;
        if !s.in_ring {
            s.in_ring = true;
            self.ring.push_back(i);
        }
        Ok(())
    }

    /// The next event, round-robin across sources.
    pub fn pop(&mut self) -> Option<Event> {
        let i = self.ring.pop_front()?;
        let s = self.sources.get_mut(i)?;
        let ev = s.queue.pop_front();
        if s.queue.is_empty() {
            s.in_ring = false;
            // A drained backlog must not pin its memory (8,192 events is 1.4 MiB).
            if s.queue.capacity() > 64 {
                s.queue.shrink_to(16);
            }
        } else {
            self.ring.push_back(i);
        }
        if ev.is_some() {
            self.queued -= 1;
        }
        ev
    }

    /// Events queued.
    pub fn queued(&self) -> usize {
        self.queued
    }

    /// The total queue bound.
    pub fn capacity(&self) -> usize {
        self.cfg.total_queue
    }

    /// Sources tracked.
    pub fn sources(&self) -> usize {
        self.index.len()
    }

    /// The lowest seq still queued (for the journal commit point).
    pub fn min_queued_seq(&self) -> Option<u64> {
        self.ring
            .iter()
            .filter_map(|&i| self.sources.get(i)?.queue.front().map(|e| e.seq))
            .min()
    }

    /// Forgets idle sources (empty queue, bucket refilled), once the map is half
    /// full and at most once a second (it is a pass over every source).
    pub fn gc(&mut self, now: Instant) {
        if self.index.len() < self.cfg.max_sources / 2
            || now.saturating_duration_since(self.last_gc) < Duration::from_secs(1)
        {
            return;
        }
        self.last_gc = now;
        let mut keep = Vec::with_capacity(self.sources.len());
        let mut map = HashMap::with_capacity_and_hasher(self.index.len(), Default::default());
        let old = std::mem::take(&mut self.sources);
        let mut remap = vec![usize::MAX; old.len()];
        for (i, mut s) in old.into_iter().enumerate() {
            s.refill(now);
            let idle = i != OVERFLOW && s.queue.is_empty() && s.tokens >= s.burst;
            if idle {
                self.stats.forgotten += 1;
                continue;
            }
            if let Some(r) = remap.get_mut(i) {
                *r = keep.len();
            }
            if i != OVERFLOW {
                map.insert(s.ip, keep.len());
            }
            keep.push(s);
        }
        for r in self.ring.iter_mut() {
            *r = remap.get(*r).copied().unwrap_or(OVERFLOW);
        }
        self.sources = keep;
        self.index = map;
    }

    /// Takes every queued event (drain).
    pub fn drain(&mut self, out: &mut Vec<Event>) {
        while let Some(e) = self.pop() {
            out.push(e);
        }
    }

    /// Counters.
    pub fn stats(&self) -> &LimiterStats {
        &self.stats
    }
}
