//! The hand-off from the socket readers to the pipeline thread: per-source queues
//! served round-robin.
//!
//! Why not one FIFO: the pipeline (decode, journal, limiter...) runs on one thread.
//! When a source floods faster than it can go, a FIFO in front of it (this hand-off,
//! or the kernel's socket queue if the readers waited) fills with that source's
//! datagrams, and every quiet device's trap waits behind them: the fair queue inside
//! the pipeline would come too late. So the readers never wait: they drain the
//! sockets as fast as the kernel delivers, and each datagram joins its source's
//! queue here; the pipeline thread takes one datagram per source per round. A
//! flooding source only delays itself.
//!
//! Buffers: a datagram's bytes are copied into a buffer taken from a free list that
//! the pipeline thread refills with the buffers of the datagrams it has ingested
//! (see [`Intake::take`]), so a storm allocates nothing per datagram after warm-up.
//! The readers wake the pipeline thread only when it waits (one futex call per
//! idle-to-busy change, not per batch).
//!
//! Bounds and when-full policy: each source's queue holds at most `per_source`
//! datagrams and all together `total`; a datagram arriving at a full queue is dropped
//! and counted (by reason, and by source for the first sources seen; later ones as
//! "other"). Only a source that outruns the whole pipeline loses datagrams here; the
//! token buckets and reserved capacity for clears apply to everything that passes.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use nocwatch_net::RecvBuffers;

/// Sources named in the drop metrics; the rest are counted as "other".
const LABELED_SOURCES: usize = 20;

/// Per-source maps: foldhash, seeded per map (sources are chosen by whoever sends).
type Map<K, V> = HashMap<K, V, foldhash::quality::RandomState>;

/// Spare datagram buffers kept at most (the rest are freed).
const FREE_BUFFERS: usize = 4096;

#[derive(Debug, Default)]
struct State {
    queues: Map<IpAddr, VecDeque<Item>>,
    /// Sources with queued datagrams, in service order.
    ring: VecDeque<IpAddr>,
    len: usize,
    closed: bool,
    /// Set by [`Intake::wake`]: the waiting taker returns at once (a command for the
    /// pipeline thread is waiting).
    woken: bool,
    /// The pipeline thread is waiting in [`Intake::take`]: a push must wake it.
    waiting: bool,
    /// Buffers of ingested datagrams, reused by [`Intake::push`].
    free: Vec<Vec<u8>>,
    accepted: u64,
    dropped_source_full: u64,
    dropped_total_full: u64,
    drops_by_source: Map<IpAddr, u64>,
    drops_other: u64,
}

/// The intake's counters (see [`crate::service::ServiceStats`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IntakeStats {
    /// Datagrams queued for the pipeline thread since start.
    pub accepted: u64,
    /// Dropped because their source's queue was full.
    pub dropped_source_full: u64,
    /// Dropped because the whole intake was full.
    pub dropped_total_full: u64,
    /// Datagrams waiting now.
    pub queued: usize,
    /// Datagrams the intake holds at most.
    pub capacity: usize,
}

/// A queued datagram: its source, its bytes, and the local address it arrived at
/// (an answer must leave from there).
pub(crate) type Item = (SocketAddr, Vec<u8>, SocketAddr);

/// Per-source queues between the readers and the pipeline thread.
#[derive(Debug)]
pub(crate) struct Intake {
    state: Mutex<State>,
    ready: Condvar,
    per_source: usize,
    total: usize,
}

impl Intake {
    pub(crate) fn new(per_source: usize, total: usize) -> Self {
        Self {
            state: Mutex::new(State::default()),
            ready: Condvar::new(),
            per_source: per_source.max(1),
            total: total.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock only means a thread panicked while holding it; the queues
        // are still consistent (every update is a push or a pop).
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues a reader's batch (copies the datagrams), received at `local`.
    pub(crate) fn push(&self, bufs: &RecvBuffers, local: SocketAddr) {
        let mut guard = self.lock();
        let st = &mut *guard;
        for d in bufs.iter() {
            let src = d.peer.ip();
            let full = if st.len >= self.total {
                st.dropped_total_full += 1;
                true
            } else {
                let q = st.queues.entry(src).or_default();
                if q.len() >= self.per_source {
                    st.dropped_source_full += 1;
                    true
                } else {
                    if q.is_empty() {
                        st.ring.push_back(src);
                    }
                    let mut buf = st.free.pop().unwrap_or_default();
                    buf.clear();
                    buf.extend_from_slice(d.data);
                    q.push_back((d.peer, buf, local));
                    st.len += 1;
                    st.accepted += 1;
                    false
                }
            };
            if full {
                if let Some(n) = st.drops_by_source.get_mut(&src) {
                    *n += 1;
                } else if st.drops_by_source.len() < LABELED_SOURCES {
                    st.drops_by_source.insert(src, 1);
                } else {
                    st.drops_other += 1;
                }
            }
        }
        let wake = guard.waiting;
        drop(guard);
        if wake {
            self.ready.notify_one();
        }
    }

    /// Makes a waiting [`Intake::take`] return now (with what is queued, possibly
    /// nothing), so the pipeline thread looks at its commands.
    pub(crate) fn wake(&self) {
        self.lock().woken = true;
        self.ready.notify_all();
    }

    /// Counters and depth, for the service's health.
    pub(crate) fn stats(&self) -> IntakeStats {
        let st = self.lock();
        IntakeStats {
            accepted: st.accepted,
            dropped_source_full: st.dropped_source_full,
            dropped_total_full: st.dropped_total_full,
            queued: st.len,
            capacity: self.total,
        }
    }

    /// No more pushes: [`Intake::take`] returns what is left, then reports the end.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_all();
    }

    /// Takes up to `max` datagrams, one per source per round and at most
    /// `per_source` rounds, waiting up to `wait` for the first. Returns false once
    /// closed and empty. What `out` holds on entry (the previous pass's datagrams,
    /// ingested) is cleared and its buffers go back to the free list.
    ///
    /// Why `per_source`: the pipeline thread ingests what one call takes before it
    /// looks at the intake again. When one flooding source is all that is queued, a
    /// full `max` of its datagrams would make a quiet source's trap that arrives
    /// meanwhile wait for all of them; capped, it waits for `per_source` at most.
    pub(crate) fn take(
        &self,
        max: usize,
        per_source: usize,
        wait: Duration,
        out: &mut Vec<Item>,
    ) -> bool {
        let mut st = self.lock();
        for (_, buf, _) in out.drain(..) {
            if st.free.len() < FREE_BUFFERS {
                st.free.push(buf);
            }
        }
        if st.len == 0 && !st.closed && !st.woken && !wait.is_zero() {
            st.waiting = true;
            st = self
                .ready
                .wait_timeout_while(st, wait, |s| s.len == 0 && !s.closed && !s.woken)
                .map_or_else(|e| e.into_inner().0, |(g, _)| g);
            st.waiting = false;
        }
        st.woken = false;
        if st.len == 0 {
            return !st.closed;
        }
        let st = &mut *st;
        // Sources left to serve in this round, and rounds done.
        let (mut left, mut rounds) = (st.ring.len(), 0);
        while out.len() < max {
            if left == 0 {
                rounds += 1;
                left = st.ring.len();
                if rounds >= per_source.max(1) || left == 0 {
                    break;
                }
            }
            left -= 1;
            let Some(src) = st.ring.pop_front() else {
                break;
            };
            let Some(q) = st.queues.get_mut(&src) else {
                continue;
            };
            if let Some(d) = q.pop_front() {
                out.push(d);
                st.len -= 1;
            }
            if q.is_empty() {
                st.queues.remove(&src);
            } else {
                st.ring.push_back(src);
            }
        }
        true
    }

    /// Prometheus text for the intake.
    pub(crate) fn render(&self, out: &mut String) {
        let st = self.lock();
        let _ = writeln!(
            out,
            "# HELP nocwatch_trap_intake_datagrams_total Datagrams queued for the pipeline thread.\n\
             # TYPE nocwatch_trap_intake_datagrams_total counter\n\
             nocwatch_trap_intake_datagrams_total {}",
            st.accepted
        );
        let _ = writeln!(
            out,
            "# HELP nocwatch_trap_intake_depth_ratio Datagrams waiting for the pipeline thread over capacity.\n\
             # TYPE nocwatch_trap_intake_depth_ratio gauge\n\
             nocwatch_trap_intake_depth_ratio {}",
            st.len as f64 / self.total as f64
        );
        let _ = writeln!(
            out,
            "# HELP nocwatch_trap_intake_sources Sources with datagrams waiting.\n\
             # TYPE nocwatch_trap_intake_sources gauge\n\
             nocwatch_trap_intake_sources {}",
            st.queues.len()
        );
        let _ = writeln!(
            out,
            "# HELP nocwatch_trap_intake_drops_total Datagrams dropped at the pipeline's intake (queue full), by reason.\n\
             # TYPE nocwatch_trap_intake_drops_total counter\n\
             nocwatch_trap_intake_drops_total{{reason=\"source_queue_full\"}} {}\n\
             nocwatch_trap_intake_drops_total{{reason=\"total_queue_full\"}} {}",
            st.dropped_source_full, st.dropped_total_full
        );
        let _ = writeln!(
            out,
            "# HELP nocwatch_trap_intake_source_drops Intake drops by source (first {LABELED_SOURCES} sources named, the rest \"other\"); the same drops as nocwatch_trap_intake_drops_total.\n\
             # TYPE nocwatch_trap_intake_source_drops counter"
        );
        for (src, n) in &st.drops_by_source {
            let _ = writeln!(
                out,
                "nocwatch_trap_intake_source_drops{{source=\"{src}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "nocwatch_trap_intake_source_drops{{source=\"other\"}} {}",
            st.drops_other
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use std::net::UdpSocket;

    use nocwatch_net::{ListenSocket, ListenerConfig};

    use super::*;

    /// Sends `n` datagrams from each of `senders` and reads them into one batch.
    fn batch(from: &[(&UdpSocket, usize)]) -> (ListenSocket, RecvBuffers) {
        let cfg = ListenerConfig {
            addrs: vec!["127.0.0.1:0".parse().unwrap()],
            sockets_per_addr: 1,
            recv_buffer: 1 << 20,
            batch: 256,
            max_datagram: 64,
            poll_interval: Duration::from_millis(50),
        };
        let s = ListenSocket::bind(cfg.addrs[0], 0, &cfg).unwrap();
        let mut total = 0;
        for (sock, n) in from {
            for i in 0..*n {
                sock.send_to(&[u8::try_from(i % 256).unwrap()], s.local_addr())
                    .unwrap();
            }
            total += n;
        }
        let mut bufs = RecvBuffers::new(256, 64);
        let mut got = 0;
        while got < total {
            got = s.recv_batch(&mut bufs).unwrap();
        }
        (s, bufs)
    }

    #[test]
    fn round_robin_by_source_and_bounded() {
        let noisy = UdpSocket::bind("127.0.0.2:0").unwrap();
        let quiet = UdpSocket::bind("127.0.0.3:0").unwrap();
        let (s, bufs) = batch(&[(&noisy, 100), (&quiet, 3)]);
        let intake = Intake::new(50, 1000);
        intake.push(&bufs, s.local_addr());
        // 50 of the noisy source's 100 kept, 50 dropped and counted.
        let mut out = Vec::new();
        assert!(intake.take(6, 100, Duration::ZERO, &mut out));
        // The quiet source's three come out within the first six.
        let quiet_ip = quiet.local_addr().unwrap().ip();
        assert_eq!(out.iter().filter(|(p, _, _)| p.ip() == quiet_ip).count(), 3);
        assert!(out.iter().all(|(_, _, l)| *l == s.local_addr()));
        out.clear();
        while intake.take(100, 100, Duration::ZERO, &mut out) && !out.is_empty() {
            if out.len() >= 47 {
                break;
            }
        }
        assert_eq!(out.len(), 47);
        let mut text = String::new();
        intake.render(&mut text);
        assert!(text.contains("reason=\"source_queue_full\"} 50"), "{text}");
        assert!(text.contains("source=\"127.0.0.2\"} 50"), "{text}");
        intake.close();
        out.clear();
        assert!(!intake.take(10, 100, Duration::from_millis(10), &mut out));
    }

    #[test]
    fn a_flooding_source_gives_at_most_per_source_datagrams_per_take() {
        let noisy = UdpSocket::bind("127.0.0.4:0").unwrap();
        let quiet = UdpSocket::bind("127.0.0.5:0").unwrap();
        let (s, bufs) = batch(&[(&noisy, 40), (&quiet, 2)]);
        let intake = Intake::new(1000, 1000);
        intake.push(&bufs, s.local_addr());
        let mut out = Vec::new();
        // Rounds: noisy+quiet, noisy+quiet, noisy, noisy -> 6 with 4 rounds.
        assert!(intake.take(256, 4, Duration::ZERO, &mut out));
        assert_eq!(out.len(), 6);
        let noisy_ip = noisy.local_addr().unwrap().ip();
        assert_eq!(out.iter().filter(|(p, _, _)| p.ip() == noisy_ip).count(), 4);
        // The rest comes 4 per call.
        out.clear();
        assert!(intake.take(256, 4, Duration::ZERO, &mut out));
        assert_eq!(out.len(), 4);
    }
}
