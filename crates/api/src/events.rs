//! The recent-events log behind `GET /events` and the live stream behind
//! `GET /events/stream` (server-sent events).
//!
//! The log is a bounded ring (when full, the oldest event is evicted and counted)
//! plus a broadcast channel to the stream subscribers (a subscriber that falls
//! more than [`STREAM_BUFFER`] events behind misses the oldest ones and is told how
//! many, in a `lagged` event; the count is in `/metrics`). Publishing never
//! blocks the producer (the trap pipeline thread): one short mutex section and a
//! non-blocking broadcast send.
//!
//! Each event gets an `id` from the log, increasing within one run; SSE clients
//! that reconnect with `Last-Event-ID` (browsers do it by themselves) get the
//! events they missed, from the ring, before the live ones, without gap or
//! repeat: the subscription is taken before the ring is read, and live events
//! already replayed are skipped by id.
//!
//! The API threads run tokio without a timer (see `serve_sharded`), so the
//! stream's keep-alive comes from [`EventLog::heartbeat`], which the service
//! calls from its own runtime; [`EventLog::close`] ends every stream at
//! shutdown.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use nocwatch_model::{Event, EventFilter, Publish};
use tokio::sync::broadcast;

/// Events a stream subscriber may fall behind before it misses some.
pub const STREAM_BUFFER: usize = 4096;

/// Default size of the ring.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// One logged event with its log id.
#[derive(Debug, Clone)]
pub struct Logged {
    /// Increasing within one run of the service.
    pub id: u64,
    /// The event.
    pub event: Arc<Event>,
}

#[derive(Debug, serde::Serialize)]
struct LoggedJson<'a> {
    id: u64,
    #[serde(flatten)]
    event: &'a Event,
}

impl Logged {
    /// The event's JSON object, with `id`.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(&LoggedJson {
            id: self.id,
            event: &self.event,
        })
        .unwrap_or_default()
    }
}

/// What a stream subscriber receives.
#[derive(Debug, Clone)]
pub(crate) enum StreamItem {
    Event(Logged),
    Heartbeat,
    Closed,
}

#[derive(Debug)]
struct Ring {
    events: VecDeque<Logged>,
    next_id: u64,
}

/// The recent-events log. See the module docs.
#[derive(Debug)]
pub struct EventLog {
    ring: Mutex<Ring>,
    capacity: usize,
    tx: broadcast::Sender<StreamItem>,
    published: AtomicU64,
    evicted: AtomicU64,
    lagged: AtomicU64,
    streams_opened: AtomicU64,
}

impl Default for EventLog {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl EventLog {
    /// A log keeping the last `capacity` events (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        let (tx, _) = broadcast::channel(STREAM_BUFFER);
        Self {
            ring: Mutex::new(Ring {
                events: VecDeque::with_capacity(capacity.min(1 << 16)),
                next_id: 1,
            }),
            capacity,
            tx,
            published: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
            lagged: AtomicU64::new(0),
            streams_opened: AtomicU64::new(0),
        }
    }

    /// Adds an event: into the ring (evicting the oldest when full) and to every
    /// stream subscriber.
    pub fn push(&self, ev: Event) {
        let logged = {
            let mut ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
            let logged = Logged {
                id: ring.next_id,
                event: Arc::new(ev),
            };
            ring.next_id += 1;
            if ring.events.len() >= self.capacity {
                ring.events.pop_front();
                self.evicted.fetch_add(1, Relaxed);
            }
            ring.events.push_back(logged.clone());
            logged
        };
        self.published.fetch_add(1, Relaxed);
        // No subscriber is not an error.
        let _ = self.tx.send(StreamItem::Event(logged));
    }

    /// The newest `limit` events that `filter` selects, newest first.
    pub fn recent(&self, filter: &EventFilter, limit: usize) -> Vec<Logged> {
        let ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
        ring.events
            .iter()
            .rev()
            .filter(|l| filter.matches(&l.event))
            .take(limit)
            .cloned()
            .collect()
    }

    /// Events with an id above `after` that `filter` selects, oldest first.
    pub(crate) fn since(&self, after: u64, filter: &EventFilter) -> Vec<Logged> {
        let ring = self.ring.lock().unwrap_or_else(PoisonError::into_inner);
        ring.events
            .iter()
            .filter(|l| l.id > after && filter.matches(&l.event))
            .cloned()
            .collect()
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<StreamItem> {
        self.streams_opened.fetch_add(1, Relaxed);
        self.tx.subscribe()
    }

    pub(crate) fn count_lagged(&self, n: u64) {
        self.lagged.fetch_add(n, Relaxed);
    }

    /// Sends a keep-alive comment down every open stream (call every ~15 s).
    pub fn heartbeat(&self) {
        let _ = self.tx.send(StreamItem::Heartbeat);
    }

    /// Ends every open stream (at shutdown, so the server can drain).
    pub fn close(&self) {
        let _ = self.tx.send(StreamItem::Closed);
    }

    /// Ring capacity.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Events held now.
    pub fn len(&self) -> usize {
        self.ring
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .events
            .len()
    }

    /// Whether none is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends the log's Prometheus lines.
    pub fn write_prometheus(&self, out: &mut String) {
        use std::fmt::Write as _;
        let _ = write!(
            out,
            "# HELP nocwatch_events_published_total Events added to the recent-events log.\n\
             # TYPE nocwatch_events_published_total counter\n\
             nocwatch_events_published_total {}\n\
             # HELP nocwatch_events_evicted_total Events evicted from the full ring (still in the journal and outputs).\n\
             # TYPE nocwatch_events_evicted_total counter\n\
             nocwatch_events_evicted_total {}\n\
             # HELP nocwatch_events_stream_missed_total Events stream subscribers missed by falling behind.\n\
             # TYPE nocwatch_events_stream_missed_total counter\n\
             nocwatch_events_stream_missed_total {}\n\
             # HELP nocwatch_events_streams_opened_total Event streams opened.\n\
             # TYPE nocwatch_events_streams_opened_total counter\n\
             nocwatch_events_streams_opened_total {}\n\
             # HELP nocwatch_events_stream_subscribers Event streams open now.\n\
             # TYPE nocwatch_events_stream_subscribers gauge\n\
             nocwatch_events_stream_subscribers {}\n",
            self.published.load(Relaxed),
            self.evicted.load(Relaxed),
            self.lagged.load(Relaxed),
            self.streams_opened.load(Relaxed),
            self.tx.receiver_count(),
        );
    }
}

impl Publish for EventLog {
    fn publish(&self, ev: Event) {
        self.push(ev);
    }
}

/// One SSE frame for an event.
pub(crate) fn sse_event(l: &Logged) -> Bytes {
    let json = l.to_json();
    let mut out = Vec::with_capacity(json.len() + 40);
    out.extend_from_slice(b"id: ");
    out.extend_from_slice(l.id.to_string().as_bytes());
    out.extend_from_slice(b"\nevent: event\ndata: ");
    out.extend_from_slice(&json);
    out.extend_from_slice(b"\n\n");
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use std::sync::Arc;

    use nocwatch_model::{Origin, ResourceId, Severity};

    use super::*;

    pub(crate) fn event(resource: &str, name: &str, severity: Severity) -> Event {
        Event {
            seq: 0,
            unix_ns: 1,
            last_unix_ns: 1,
            resource: ResourceId::new(resource),
            origin: Origin::Internal {
                component: "test".to_owned(),
            },
            name: Arc::from(name),
            severity,
            occurrences: 1,
            bindings: Vec::new(),
        }
    }

    #[test]
    fn ring_evicts_oldest_and_counts() {
        let log = EventLog::new(3);
        for i in 0..5 {
            log.push(event(&format!("r{i}"), "linkDown", Severity::Major));
        }
        let recent = log.recent(&EventFilter::default(), 10);
        let ids: Vec<u64> = recent.iter().map(|l| l.id).collect();
        assert_eq!(ids, [5, 4, 3]);
        let mut m = String::new();
        log.write_prometheus(&mut m);
        assert!(m.contains("nocwatch_events_evicted_total 2"), "{m}");
        assert!(m.contains("nocwatch_events_published_total 5"), "{m}");
        let since: Vec<u64> = log
            .since(3, &EventFilter::default())
            .iter()
            .map(|l| l.id)
            .collect();
        assert_eq!(since, [4, 5]);
    }

    #[test]
    fn subscribers_get_live_events_and_sse_frames_parse() {
        let log = EventLog::new(10);
        let mut rx = log.subscribe();
        log.push(event("core1", "linkUp", Severity::Clear));
        let StreamItem::Event(l) = rx.try_recv().unwrap() else {
            panic!("expected an event")
        };
        let frame = String::from_utf8(sse_event(&l).to_vec()).unwrap();
        assert!(frame.starts_with("id: 1\nevent: event\ndata: {"), "{frame}");
        assert!(frame.ends_with("}\n\n"));
        let data = frame
            .lines()
            .nth(2)
            .unwrap()
            .strip_prefix("data: ")
            .unwrap();
        let v: serde_json::Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["id"], 1);
        assert_eq!(v["resource"], "core1");
        assert_eq!(v["severity"], "clear");
    }
}
