//! The sink thread: the outputs (JSON lines, net-snmp text, the API's event log)
//! run on a thread of their own, beside the pipeline thread.
//!
//! Why: formatting an event and writing it out was more than half of the pipeline
//! thread's instructions (a storm's JSON line is ~700 bytes), and the pipeline
//! thread is the one stage that cannot be split. Handed a copy of each event in
//! batches (one per processing pass), the sink thread formats and writes while the
//! pipeline thread decodes, journals and classifies the next datagrams: two cores
//! instead of one.
//!
//! Order: one thread, batches in pass order, so the outputs see events in the
//! order the pipeline emitted them, as before.
//!
//! When full: at most `depth` batches wait; a further [`EventSink::flush`] waits
//! until the sink thread has taken one. The pipeline thread then stops taking
//! datagrams, the intake fills and drops there, counted by reason and source
//! (the same policy as a slow sink called inline, only `depth` passes later).
//!
//! Errors: the inner sink's flush error comes back from the next
//! [`EventSink::flush`] (the pipeline counts it as a sink error); the events stay
//! in the journal and the recent ring.
//!
//! Crash safety: the journal's commit point must not pass an event that was handed
//! over but not written, or a kill -9 would lose it: [`EventSink::min_pending_seq`]
//! gives the smallest sequence number still on its way, and the pipeline commits
//! before it.
//!
//! Stop: [`EventSink::finish`] (the pipeline's drain) and dropping hand over what
//! is batched, let the thread write everything queued and join it, so the drain's
//! last commit covers every event emitted.

use std::collections::VecDeque;
use std::io;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use crate::error::Error;
use crate::event::Event;
use crate::sink::EventSink;

/// An [`EventSink`] that runs another on its own thread. See the module docs.
pub struct SinkThread {
    batch: Vec<Event>,
    /// The smallest sequence number in `batch`.
    batch_min: Option<u64>,
    tx: Option<SyncSender<Vec<Event>>>,
    /// Emptied batches coming back, so their vectors are reused.
    spare: Receiver<Vec<Event>>,
    shared: Arc<Mutex<Shared>>,
    handle: Option<JoinHandle<()>>,
}

/// What the two threads share.
#[derive(Debug, Default)]
struct Shared {
    /// The smallest sequence number of each batch handed over and not written
    /// yet, in hand-over order (the thread writes them in that order).
    inflight: VecDeque<Option<u64>>,
    /// The first flush error of the inner sink not reported yet.
    error: Option<io::Error>,
}

impl std::fmt::Debug for SinkThread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SinkThread")
            .field("batched", &self.batch.len())
            .finish_non_exhaustive()
    }
}

impl SinkThread {
    /// Starts the thread (`name`) running `sink`, with at most `depth` batches
    /// waiting for it.
    pub fn spawn(sink: Box<dyn EventSink>, depth: usize, name: &str) -> Result<Self, Error> {
        let (tx, rx) = sync_channel::<Vec<Event>>(depth.max(1));
        let (spare_tx, spare) = sync_channel(depth.max(1) + 2);
        let shared = Arc::new(Mutex::new(Shared::default()));
        let handle = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(name.to_owned())
                .spawn(move || run(sink, &rx, &spare_tx, &shared))
                .map_err(|source| Error::Io {
                    what: format!("starting the {name} thread"),
                    source,
                })?
        };
        Ok(Self {
            batch: Vec::new(),
            batch_min: None,
            tx: Some(tx),
            spare,
            shared,
            handle: Some(handle),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        lock(&self.shared)
    }

    /// Hands the batch to the thread (waits while `depth` batches wait).
    fn send(&mut self) -> io::Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let ended = || io::Error::other("the sink thread has ended");
        let Some(tx) = &self.tx else {
            return Err(ended());
        };
        let next = self.spare.try_recv().unwrap_or_default();
        let full = std::mem::replace(&mut self.batch, next);
        let min = self.batch_min.take();
        // Listed before it is sent: the thread unlists it once written.
        lock(&self.shared).inflight.push_back(min);
        if tx.send(full).is_err() {
            self.lock().inflight.pop_back();
            return Err(ended());
        }
        Ok(())
    }

    /// Hands over what is batched, closes the channel and waits for the thread
    /// to write everything; the inner sink's last error, if any.
    fn stop(&mut self) -> io::Result<()> {
        let sent = self.send();
        self.tx = None;
        if let Some(h) = self.handle.take()
            && h.join().is_err()
        {
            return Err(io::Error::other("the sink thread panicked"));
        }
        sent?;
        match self.lock().error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // Poisoned only if a thread panicked holding it; the fields stay consistent.
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The sink thread's loop: every batch to the inner sink, one flush per batch.
fn run(
    mut sink: Box<dyn EventSink>,
    rx: &Receiver<Vec<Event>>,
    spare: &SyncSender<Vec<Event>>,
    shared: &Mutex<Shared>,
) {
    for mut batch in rx {
        for ev in batch.drain(..) {
            sink.event(&ev);
        }
        let flushed = sink.flush();
        {
            let mut sh = lock(shared);
            sh.inflight.pop_front();
            if let Err(e) = flushed
                && sh.error.is_none()
            {
                sh.error = Some(e);
            }
        }
        match spare.try_send(batch) {
            Ok(()) | Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {}
        }
    }
}

impl EventSink for SinkThread {
    fn event(&mut self, ev: &Event) {
        self.batch_min = Some(self.batch_min.map_or(ev.seq, |m| m.min(ev.seq)));
        self.batch.push(ev.clone());
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()?;
        match self.lock().error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn min_pending_seq(&self) -> Option<u64> {
        let inflight = self.lock().inflight.iter().flatten().copied().min();
        [self.batch_min, inflight].into_iter().flatten().min()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.stop()
    }
}

impl Drop for SinkThread {
    fn drop(&mut self) {
        if self.handle.is_some()
            && let Err(e) = self.stop()
        {
            tracing::warn!(error = %e, "event sink write failed at stop");
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Records the sequence numbers it sees; fails flushes when told to.
    struct Probe {
        seen: Arc<Mutex<Vec<u64>>>,
        flushes: Arc<AtomicUsize>,
        fail: bool,
    }

    impl EventSink for Probe {
        fn event(&mut self, ev: &Event) {
            self.seen.lock().unwrap().push(ev.seq);
        }

        fn flush(&mut self) -> io::Result<()> {
            self.flushes.fetch_add(1, Ordering::SeqCst);
            if self.fail {
                Err(io::Error::other("probe"))
            } else {
                Ok(())
            }
        }
    }

    fn event(seq: u64) -> Event {
        Event::for_test(seq, &[])
    }

    #[test]
    fn every_event_arrives_in_order_by_the_time_it_is_dropped() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let flushes = Arc::new(AtomicUsize::new(0));
        let probe = Probe {
            seen: Arc::clone(&seen),
            flushes: Arc::clone(&flushes),
            fail: false,
        };
        // Depth 1: the pipeline side waits on the thread often.
        let mut t = SinkThread::spawn(Box::new(probe), 1, "test-sink").unwrap();
        for pass in 0..50u64 {
            for i in 0..37 {
                t.event(&event(pass * 37 + i));
            }
            t.flush().unwrap();
        }
        // Batched but not flushed: written at drop too.
        t.event(&event(50 * 37));
        drop(t);
        let seen = seen.lock().unwrap();
        assert_eq!(*seen, (0..=50 * 37).collect::<Vec<_>>());
        assert_eq!(flushes.load(Ordering::SeqCst), 51);
    }

    #[test]
    fn an_inner_flush_error_comes_back_from_a_later_flush() {
        let probe = Probe {
            seen: Arc::default(),
            flushes: Arc::default(),
            fail: true,
        };
        let mut t = SinkThread::spawn(Box::new(probe), 4, "test-sink").unwrap();
        t.event(&event(1));
        // The first flush hands the batch over; the thread's error shows up at a
        // later one: waited for on that condition, with a deadline far above need.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut reported = false;
        while std::time::Instant::now() < deadline {
            if t.flush().is_err() {
                reported = true;
                break;
            }
            std::thread::yield_now();
        }
        assert!(reported, "the inner sink's error is reported");
        // Reported once: the next flush has nothing to report.
        assert!(t.flush().is_ok());
    }

    /// Holds every flush until the test lets it go.
    struct Gate(Receiver<()>);

    impl EventSink for Gate {
        fn event(&mut self, _ev: &Event) {}

        fn flush(&mut self) -> io::Result<()> {
            self.0.recv().map_err(io::Error::other)
        }
    }

    #[test]
    fn events_not_written_yet_hold_the_commit_point_back() {
        let (open, gate) = std::sync::mpsc::channel();
        let mut t = SinkThread::spawn(Box::new(Gate(gate)), 4, "test-sink").unwrap();
        assert_eq!(t.min_pending_seq(), None);
        for seq in [7, 5, 9] {
            t.event(&event(seq));
        }
        assert_eq!(t.min_pending_seq(), Some(5), "batched");
        t.flush().unwrap();
        t.event(&event(3));
        // Handed over (the thread waits at the gate) and batched: both count.
        assert_eq!(t.min_pending_seq(), Some(3));
        t.flush().unwrap();
        assert_eq!(t.min_pending_seq(), Some(3));
        open.send(()).unwrap();
        open.send(()).unwrap();
        // Written: nothing pending, waited for on the condition with a deadline.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while t.min_pending_seq().is_some() && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        assert_eq!(t.min_pending_seq(), None);
        t.event(&event(11));
        open.send(()).unwrap();
        t.finish().unwrap();
        assert_eq!(t.min_pending_seq(), None, "finish waits for the last batch");
        // After finish the thread is gone: an event can no longer be written.
        t.event(&event(12));
        assert!(t.flush().is_err());
    }
}
