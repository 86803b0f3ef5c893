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

/// One open window. Kept small (48 bytes) because the map holds up to
/// `max_entries` of them and is probed at random: with the folded event stored
/// inline (200+ bytes) the map's cache misses cost more than the rest of the
/// pipeline. Folded events live in a side slab instead.
#[derive(Debug)]
struct Entry {
    expires: Instant,
    first_unix_ns: u64,
    /// Seq of the first folded event (pinned in `pending`); 0 if none.
    pending_seq: u64,
    folded: u32,
    /// Slab index of the newest folded event; `NONE` if none.
    latest: u32,
    generation: u64,
}

const NONE: u32 = u32::MAX;

/// Keys are already SipHash digests: hashing them again would only cost time.
#[derive(Debug, Default, Clone, Copy)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

type KeyMap = HashMap<u64, Entry, std::hash::BuildHasherDefault<KeyHasher>>;

/// The dedup stage. See the module docs.
#[derive(Debug)]
pub struct Dedup {
    cfg: DedupConfig,
    map: KeyMap,
    order: VecDeque<(Instant, u64, u64)>,
    pending: BTreeSet<u64>,
    slab: Vec<Option<Event>>,
    free: Vec<u32>,
    generation: u64,
    stats: DedupStats,
}

impl Dedup {
    /// A dedup stage with `cfg`.
    pub fn new(cfg: DedupConfig) -> Self {
        Self {
            map: KeyMap::with_capacity_and_hasher(cfg.max_entries.min(1 << 16), Default::default()),
            cfg,
            order: VecDeque::new(),
            pending: BTreeSet::new(),
            slab: Vec::new(),
            free: Vec::new(),
            generation: 0,
            stats: DedupStats::default(),
        }
    }

    /// Offers an event. A first occurrence is pushed to `out` (returns true); a
    /// duplicate is folded (returns false). Summaries of windows closed early (cache
    /// full) also go to `out`, before the event.
    pub fn offer(
        &mut self,
        now: Instant,
        ev: Event,
        out: &mut Vec<Event>,
        pool: &mut BufferPool,
    ) -> bool {
        if self.cfg.window.is_zero() || self.cfg.max_entries == 0 {
            out.push(ev);
            return true;
        }
        self.stats.lookups += 1;
        let key = ev.class.dedup_key;
        let expires = now + self.cfg.window;
        if let Some(e) = self.map.get_mut(&key) {
            if e.expires > now {
                self.stats.hits += 1;
                e.folded = e.folded.saturating_add(ev.occurrences);
                if e.pending_seq == 0 {
                    e.pending_seq = ev.seq.max(1);
                    self.pending.insert(e.pending_seq);
                }
                if e.latest == NONE {
                    e.latest = match self.free.pop() {
                        Some(i) => i,
                        None => {
                            self.slab.push(None);
                            u32::try_from(self.slab.len() - 1).unwrap_or(NONE)
                        }
                    };
                }
                if let Some(old) = self
                    .slab
                    .get_mut(e.latest as usize)
                    .and_then(|s| s.replace(ev))
                {
                    pool.recycle(old);
                }
                return false;
            }
            // The window ended and was not collected yet: close it, open a new one
            // in place (one probe, no remove + insert).
            self.generation += 1;
            let old = std::mem::replace(
                e,
                Entry {
                    expires,
                    first_unix_ns: ev.received_unix_ns,
                    folded: 0,
                    latest: NONE,
                    pending_seq: 0,
                    generation: self.generation,
                },
            );
            self.stats.expirations += 1;
            self.close(old, out);
            self.order.push_back((expires, key, self.generation));
            out.push(ev);
            return true;
        }
        while self.map.len() >= self.cfg.max_entries {
            let Some((_, k, g)) = self.order.pop_front() else {
                break;
            };
            if let std::collections::hash_map::Entry::Occupied(o) = self.map.entry(k)
                && o.get().generation == g
            {
                let e = o.remove();
                self.stats.evictions += 1;
                self.close(e, out);
            }
        }
        self.generation += 1;
        self.map.insert(
            key,
            Entry {
                expires,
                first_unix_ns: ev.received_unix_ns,
                folded: 0,
                latest: NONE,
                pending_seq: 0,
                generation: self.generation,
            },
        );
        self.order.push_back((expires, key, self.generation));
        out.push(ev);
        true
    }

    /// Closes windows that ended by `now`; their summaries go to `out`.
    pub fn expire(&mut self, now: Instant, out: &mut Vec<Event>) {
        while let Some(&(at, k, g)) = self.order.front() {
            if at > now {
                break;
            }
            self.order.pop_front();
            if let std::collections::hash_map::Entry::Occupied(o) = self.map.entry(k)
                && o.get().generation == g
            {
                let e = o.remove();
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
        if e.pending_seq != 0 {
            self.pending.remove(&e.pending_seq);
        }
        if e.latest == NONE {
            return;
        }
        let latest = self.slab.get_mut(e.latest as usize).and_then(Option::take);
        self.free.push(e.latest);
        if let Some(mut ev) = latest {
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
