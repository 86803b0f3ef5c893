//! Dedup / debounce: identical notifications inside a window become one event with
//! an occurrence count.
//!
//! "Identical" is the rule's dedup key (source, trap OID, key bindings; see
//! [`crate::rules`]). The **first** occurrence leaves at once (occurrences = 1):
//! holding it back for the window would delay every alarm by the window. Later
//! ones inside the window are folded: the newest is kept, and when the window
//! closes one follow-up event leaves with the total count, the first time and the
//! last time (`first_unix_ns`/`last_unix_ns`). So a flapping interface sending 10,000
//! linkDowns in a window produces two events, not 10,000. Windows are fixed from the
//! first occurrence (a steady stream cannot postpone its summary forever).
//!
//! The cache is a TTL map with a hard entry cap: when full, the entry closest to
//! expiry is closed early (its summary leaves; counted as an eviction), so memory is
//! bounded and no count is lost. Entries holding folded events pin their first
//! folded seq, so the journal's commit point cannot pass an occurrence whose count
//! has not left yet ([`Dedup::min_pending_seq`]).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::event::{BufferPool, Event};

/// Dedup settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedupConfig {
    /// The window (default 10 s); zero disables dedup.
    pub window: Duration,
    /// Most keys tracked at once (default 100,000).
    pub max_entries: usize,
}

impl Default for DedupConfig {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(10),
            max_entries: 100_000,
        }
    }
}

/// Dedup counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DedupStats {
    /// Events looked up.
    pub lookups: u64,
    /// Events folded into an open window.
    pub hits: u64,
    /// Windows closed early because the cache was full.
    pub evictions: u64,
    /// Windows closed by time.
    pub expirations: u64,
    /// Follow-up (count) events emitted.
    pub summaries: u64,
}

#[derive(Debug)]
struct Entry {
    expires: Instant,
    first_unix_ns: u64,
    folded: u32,
    latest: Option<Event>,
    /// Seq of the first folded event (pinned in `pending`).
    pending_seq: Option<u64>,
    generation: u64,
}

/// The dedup stage. See the module docs.
#[derive(Debug)]
pub struct Dedup {
    cfg: DedupConfig,
    map: HashMap<u64, Entry>,
    order: VecDeque<(Instant, u64, u64)>,
    pending: BTreeSet<u64>,
    generation: u64,
    stats: DedupStats,
}

impl Dedup {
    /// A dedup stage with `cfg`.
    pub fn new(cfg: DedupConfig) -> Self {
        Self {
            map: HashMap::with_capacity(cfg.max_entries.min(1 << 16)),
            cfg,
            order: VecDeque::new(),
            pending: BTreeSet::new(),
            generation: 0,
            stats: DedupStats::default(),
        }
    }

    /// Offers an event: returns it if it leaves now (first occurrence), `None` if it
    /// was folded. Summaries of windows closed early (cache full) go to `out`.
    pub fn offer(
        &mut self,
        now: Instant,
        ev: Event,
        out: &mut Vec<Event>,
        pool: &mut BufferPool,
    ) -> Option<Event> {
        if self.cfg.window.is_zero() || self.cfg.max_entries == 0 {
            return Some(ev);
        }
        self.stats.lookups += 1;
        let key = ev.class.dedup_key;
        if let Some(e) = self.map.get_mut(&key)
            && e.expires > now
        {
            self.stats.hits += 1;
            e.folded = e.folded.saturating_add(ev.occurrences);
            if e.pending_seq.is_none() {
                e.pending_seq = Some(ev.seq);
                self.pending.insert(ev.seq);
            }
            if let Some(old) = e.latest.replace(ev) {
                pool.recycle(old);
            }
            return None;
        }
        // A new window (or the old one expired and was not collected yet).
        if let Some(old) = self.map.remove(&key) {
            self.close(old, out);
            self.stats.expirations += 1;
        }
        while self.map.len() >= self.cfg.max_entries {
            let Some((_, k, g)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&k).is_some_and(|e| e.generation == g)
                && let Some(e) = self.map.remove(&k)
            {
                self.stats.evictions += 1;
                self.close(e, out);
            }
        }
        self.generation += 1;
        let expires = now + self.cfg.window;
        self.map.insert(
            key,
            Entry {
                expires,
                first_unix_ns: ev.received_unix_ns,
                folded: 0,
                latest: None,
                pending_seq: None,
                generation: self.generation,
            },
        );
        self.order.push_back((expires, key, self.generation));
        Some(ev)
    }

    /// Closes windows that ended by `now`; their summaries go to `out`.
    pub fn expire(&mut self, now: Instant, out: &mut Vec<Event>) {
        while let Some(&(at, k, g)) = self.order.front() {
            if at > now {
                break;
            }
            self.order.pop_front();
            if self.map.get(&k).is_some_and(|e| e.generation == g)
                && let Some(e) = self.map.remove(&k)
            {
                self.stats.expirations += 1;
                self.close(e, out);
            }
        }
    }

    /// Closes every window now (drain).
    pub fn flush(&mut self, out: &mut Vec<Event>) {
        self.order.clear();
        let entries: Vec<Entry> = self.map.drain().map(|(_, e)| e).collect();
        for e in entries {
            self.close(e, out);
        }
    }

    fn close(&mut self, e: Entry, out: &mut Vec<Event>) {
        if let Some(seq) = e.pending_seq {
            self.pending.remove(&seq);
        }
        if let Some(mut ev) = e.latest {
            // The window's total: the first occurrence plus everything folded.
            ev.last_unix_ns = ev.received_unix_ns;
            ev.received_unix_ns = e.first_unix_ns;
            ev.occurrences = e.folded.saturating_add(1);
            self.stats.summaries += 1;
            out.push(ev);
        }
    }

    /// The lowest seq folded into an open window (not yet counted out).
    pub fn min_pending_seq(&self) -> Option<u64> {
        self.pending.first().copied()
    }

    /// Keys tracked.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether nothing is tracked.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The entry cap.
    pub fn capacity(&self) -> usize {
        self.cfg.max_entries
    }

    /// When the next window closes.
    pub fn next_expiry(&self) -> Option<Instant> {
        self.order.front().map(|(at, _, _)| *at)
    }

    /// Counters.
    pub fn stats(&self) -> &DedupStats {
        &self.stats
    }
}
