//! The embedded journal: accepted events on disk before they enter the pipeline.
//!
//! Design, and why:
//!
//! - **Append-only segment files** (`<first seq, 20 digits>.wal` in one directory).
//!   Appending is the cheapest durable write there is, and whole-file deletion makes
//!   reclaiming space O(1) with no compaction. A segment is closed (fsynced) once it
//!   passes [`JournalConfig::segment_bytes`] and a new one begins.
//! - **Records are length-prefixed and checksummed**: `u32 length, u32 CRC-32C of the
//!   body, body` (little-endian). CRC-32C has a hardware instruction on x86-64 and
//!   aarch64 (the `crc32c` crate uses it), so checking costs far less than the write.
//!   A torn write at the tail (power loss, `kill -9` mid-`write`) shows up as a short
//!   or mismatching record: the file is truncated there on open and the loss counted;
//!   it can never panic or resynchronise onto garbage.
//! - **The body is the event buffer itself** (security name, trap OID, bindings as
//!   received) plus a fixed header, so journaling is one `memcpy` per trap into a
//!   write buffer; the buffer is written with one `write` per batch and `fdatasync`ed
//!   every [`JournalConfig::sync_interval`] (batched group commit: at 300k traps/s a
//!   sync per trap is impossible, one per 10 ms costs nothing).
//! - **Commit records** (`type 2, u64 seq`) mark "every event up to seq has left the
//!   pipeline". They are appended in the same stream (no second file to keep
//!   consistent). On open, everything after the last commit is replayed: delivery is
//!   at-least-once (an event emitted just before a crash may be emitted again, never
//!   lost; one the limiter refused just before a crash may come back too, since the
//!   commit point had not passed it yet).
//! - **Durability tickets**: [`Journal::append`] returns the event's sequence number;
//!   [`Journal::durable_seq`] says up to which one an `fdatasync` completed. Informs
//!   are acknowledged only once their ticket is durable.
//! - **Bounds**: segments whose events are all committed are deleted at once (the
//!   sinks have the data). Unprocessed bytes are bounded by
//!   [`JournalConfig::max_bytes`]: past it, appends fail with [`Error::JournalFull`]
//!   and the caller counts the refusal. On open, unprocessed events older than
//!   [`JournalConfig::max_age`] are not replayed (counted as expired): a trap from
//!   last week is history, not a new alarm.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nocwatch_snmp::{OidRef, Version};

use crate::error::Error;
use crate::event::{Event, PduKind};
use crate::metrics::Histogram;

/// Segment file header magic.
const MAGIC: &[u8; 4] = b"NWTJ";
/// Header: magic, format version, 3 reserved bytes, u64 first seq.
const HEADER_LEN: usize = 16;
const FORMAT: u8 = 1;
/// The largest record body accepted on read (an SNMP datagram is at most 64 KiB).
pub const MAX_RECORD: usize = 1 << 20;
const REC_EVENT: u8 = 1;
const REC_COMMIT: u8 = 2;

/// Journal settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalConfig {
    /// Directory of the segment files (created if missing).
    pub dir: PathBuf,
    /// How often written records are `fdatasync`ed (default 10 ms). Bounds how long an
    /// inform waits for its ack and how much a power loss can take.
    pub sync_interval: Duration,
    /// A segment is closed past this size (default 64 MiB).
    pub segment_bytes: u64,
    /// Most unprocessed bytes held (default 1 GiB); past it new events are refused.
    pub max_bytes: u64,
    /// Unprocessed events older than this are not replayed on open (default 24 h).
    pub max_age: Duration,
    /// Write buffer size: records are written when it fills or at a flush (default 1 MiB).
    pub write_buffer: usize,
}

impl JournalConfig {
    /// Defaults in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            sync_interval: Duration::from_millis(10),
            segment_bytes: 64 << 20,
            max_bytes: 1 << 30,
            max_age: Duration::from_secs(24 * 3600),
            write_buffer: 1 << 20,
        }
    }
}

/// Journal counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JournalStats {
    /// Event records appended.
    pub appended: u64,
    /// Bytes written.
    pub bytes: u64,
    /// `write` calls.
    pub writes: u64,
    /// `fdatasync` calls.
    pub syncs: u64,
    /// Segments opened.
    pub segments_created: u64,
    /// Segments deleted (fully processed).
    pub segments_deleted: u64,
    /// Bytes cut off damaged tails on open.
    pub truncated_bytes: u64,
    /// Damaged records found on open (bad checksum, bad length, undecodable body).
    pub corrupt_records: u64,
    /// Events replayed on open.
    pub replayed: u64,
    /// Unprocessed events not replayed because older than `max_age`.
    pub expired: u64,
    /// Appends refused because the journal was full.
    pub refused_full: u64,
    /// Failed writes (records stay buffered and are retried).
    pub write_errors: u64,
}

/// One decoded record.
#[derive(Debug)]
pub enum Record {
    /// An accepted event.
    Event(Event),
    /// Every event up to this sequence number was processed.
    Commit(u64),
}

/// Why [`read_records`] stopped before the end of its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// It read everything.
    End,
    /// The last record is cut short (torn write).
    Truncated,
    /// A record fails its checksum or does not decode.
    Corrupt,
}

/// Reads records from `bytes` (a segment after its header) until the end or the
/// first damaged record. Returns the length of the valid prefix and why it stopped.
/// Never panics, whatever the input.
pub fn read_records(bytes: &[u8], now: Instant, mut f: impl FnMut(Record)) -> (usize, Stop) {
    let mut at = 0usize;
    loop {
        let rest = bytes.get(at..).unwrap_or(&[]);
        if rest.is_empty() {
            return (at, Stop::End);
        }
        let (Some(len), Some(crc)) = (le_u32(rest, 0), le_u32(rest, 4)) else {
            return (at, Stop::Truncated);
        };
        let len = len as usize;
        if len == 0 || len > MAX_RECORD {
            return (at, Stop::Corrupt);
        }
        let Some(body) = rest.get(8..8 + len) else {
            return (at, Stop::Truncated);
        };
        if crc32c::crc32c(body) != crc {
            return (at, Stop::Corrupt);
        }
        match decode_body(body, now) {
            Some(r) => f(r),
            None => return (at, Stop::Corrupt),
        }
        at += 8 + len;
    }
}

fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(u32::from_le_bytes(s))
}

/// A little cursor over a record body.
struct Cur<'a>(&'a [u8]);

impl<'a> Cur<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (h, t) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = t;
        Some(h)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1)?.first().copied()
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes(self.take(2)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn ip(&mut self, v6: bool) -> Option<IpAddr> {
        Some(if v6 {
            let o: [u8; 16] = self.take(16)?.try_into().ok()?;
            IpAddr::V6(Ipv6Addr::from(o))
        } else {
            let o: [u8; 4] = self.take(4)?.try_into().ok()?;
            IpAddr::V4(Ipv4Addr::from(o))
        })
    }
}

const F_PEER_V6: u8 = 1;
const F_SOURCE_V6: u8 = 2;
const F_AGENT: u8 = 4;

fn decode_body(body: &[u8], now: Instant) -> Option<Record> {
    let mut c = Cur(body);
    match c.u8()? {
        REC_COMMIT => {
            let seq = c.u64()?;
            c.0.is_empty().then_some(Record::Commit(seq))
        }
        REC_EVENT => {
            let seq = c.u64()?;
            let received = c.u64()?;
            let last = c.u64()?;
            let version = match c.u8()? {
                0 => Version::V1,
                1 => Version::V2c,
                3 => Version::V3,
                _ => return None,
            };
            let kind = PduKind::from_u8(c.u8()?)?;
            let flags = c.u8()?;
            if flags & !(F_PEER_V6 | F_SOURCE_V6 | F_AGENT) != 0 {
                return None;
            }
            let occurrences = c.u32()?;
            let peer_ip = c.ip(flags & F_PEER_V6 != 0)?;
            let port = c.u16()?;
            let source = c.ip(flags & F_SOURCE_V6 != 0)?;
            let agent = if flags & F_AGENT != 0 {
                let o: [u8; 4] = c.take(4)?.try_into().ok()?;
                Some(Ipv4Addr::from(o))
            } else {
                None
            };
            let sec_len = c.u32()? as usize;
            let oid_len = c.u32()? as usize;
            let sec = c.take(sec_len)?;
            let oid = c.take(oid_len)?;
            OidRef::from_ber(oid, true).ok()?;
            let vbs = c.0;
            let mut ev = Event::from_parts(
                Vec::with_capacity(body.len()),
                SocketAddr::new(peer_ip, port),
                source,
                version,
                kind,
                agent,
                received,
                now,
                sec,
                oid,
                |out| out.extend_from_slice(vbs),
            );
            ev.seq = seq;
            ev.last_unix_ns = last;
            ev.occurrences = occurrences;
            Some(Record::Event(ev))
        }
        _ => None,
    }
}

/// Appends one event record to `out`.
pub(crate) fn encode_event(ev: &Event, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0; 8]);
    out.push(REC_EVENT);
    out.extend_from_slice(&ev.seq.to_le_bytes());
    out.extend_from_slice(&ev.received_unix_ns.to_le_bytes());
    out.extend_from_slice(&ev.last_unix_ns.to_le_bytes());
    out.push(match ev.version {
        Version::V1 => 0,
        Version::V2c => 1,
        Version::V3 => 3,
    });
    out.push(ev.kind.to_u8());
    let mut flags = 0;
    if ev.peer.is_ipv6() {
        flags |= F_PEER_V6;
    }
    if ev.source.is_ipv6() {
        flags |= F_SOURCE_V6;
    }
    if ev.agent_addr.is_some() {
        flags |= F_AGENT;
    }
    out.push(flags);
    out.extend_from_slice(&ev.occurrences.to_le_bytes());
    push_ip(out, ev.peer.ip());
    out.extend_from_slice(&ev.peer.port().to_le_bytes());
    push_ip(out, ev.source);
    if let Some(a) = ev.agent_addr {
        out.extend_from_slice(&a.octets());
    }
    let (sec_len, oid_len, data) = ev.raw_parts();
    out.extend_from_slice(&sec_len.to_le_bytes());
    out.extend_from_slice(&oid_len.to_le_bytes());
    out.extend_from_slice(data);
    frame(out, start);
}

fn encode_commit(seq: u64, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&[0; 8]);
    out.push(REC_COMMIT);
    out.extend_from_slice(&seq.to_le_bytes());
    frame(out, start);
}

/// Fills in length and checksum of the record starting at `start`.
fn frame(out: &mut [u8], start: usize) {
    let Some(body) = out.get(start + 8..) else {
        return;
    };
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    let crc = crc32c::crc32c(body);
    if let Some(h) = out.get_mut(start..start + 8) {
        h[..4].copy_from_slice(&len.to_le_bytes());
        h[4..].copy_from_slice(&crc.to_le_bytes());
    }
}

fn push_ip(out: &mut Vec<u8>, ip: IpAddr) {
    match ip {
        IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
        IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
    }
}

#[derive(Debug)]
struct Segment {
    path: PathBuf,
    /// Highest event seq in it (0 if none).
    last_seq: u64,
    bytes: u64,
}

/// What [`Journal::open`] found.
#[derive(Debug, Default)]
pub struct Recovery {
    /// Events after the last commit point, oldest first: replay them.
    pub events: Vec<Event>,
    /// The last commit point found.
    pub committed: u64,
}

/// Runs `fdatasync` off the ingest thread.
///
/// Why: an `fdatasync` takes from tens of microseconds to several milliseconds
/// depending on the disk; run inline every 10 ms it would stall intake for a large
/// share of the time (measured: it halved throughput). The syncer thread syncs a
/// shared handle of the active segment up to a sequence number while the pipeline
/// keeps appending; [`Journal::durable_seq`] reports what it has covered.
#[derive(Debug)]
struct Syncer {
    shared: Arc<SyncShared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct SyncShared {
    state: Mutex<SyncState>,
    wake: Condvar,
    /// Highest seq covered by a completed sync.
    done: AtomicU64,
}

#[derive(Debug, Default)]
struct SyncState {
    job: Option<(Arc<File>, u64)>,
    busy: bool,
    stop: bool,
    error: Option<std::io::Error>,
    syncs: u64,
    latency: Histogram,
}

fn lock(m: &Mutex<SyncState>) -> std::sync::MutexGuard<'_, SyncState> {
    // The syncer never panics while holding the lock; if it did, the state is
    // still a plain record of numbers and safe to use.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Syncer {
    fn start(dir: &Path) -> Result<Self, Error> {
        let shared = Arc::new(SyncShared::default());
        let s = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("nocwatch-journal-sync".into())
            .spawn(move || {
                loop {
                    let job = {
                        let mut st = lock(&s.state);
                        loop {
                            if let Some(job) = st.job.take() {
                                st.busy = true;
                                break Some(job);
                            }
                            if st.stop {
                                break None;
                            }
                            st = s
                                .wake
                                .wait(st)
                                .unwrap_or_else(std::sync::PoisonError::into_inner);
                        }
                    };
                    let Some((file, seq)) = job else { return };
                    let t = Instant::now();
                    let res = file.sync_data();
                    let mut st = lock(&s.state);
                    st.busy = false;
                    st.syncs += 1;
                    st.latency.observe(t.elapsed().as_secs_f64());
                    match res {
                        Ok(()) => {
                            s.done.fetch_max(seq, Ordering::Release);
                        }
                        Err(e) => st.error = Some(e),
                    }
                }
            })
            .map_err(io_err(dir))?;
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    /// Whether a sync is queued or running.
    fn in_flight(&self) -> bool {
        let st = lock(&self.shared.state);
        st.busy || st.job.is_some()
    }

    fn submit(&self, file: Arc<File>, seq: u64) {
        lock(&self.shared.state).job = Some((file, seq));
        self.shared.wake.notify_one();
    }

    fn take_error(&self) -> Option<std::io::Error> {
        lock(&self.shared.state).error.take()
    }
}

impl Drop for Syncer {
    fn drop(&mut self) {
        lock(&self.shared.state).stop = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The journal. See the module docs.
#[derive(Debug)]
pub struct Journal {
    cfg: JournalConfig,
    file: Arc<File>,
    syncer: Syncer,
    /// Held (locked) while the journal is open.
    _lock: File,
    segments: VecDeque<Segment>,
    buf: Vec<u8>,
    next_seq: u64,
    /// Highest seq whose record has been handed to `write`.
    written_seq: u64,
    /// Highest seq whose record has been `fdatasync`ed.
    durable_seq: u64,
    /// The commit point asked for.
    commit_seq: u64,
    /// The commit point whose record is in the buffer or file.
    commit_written: u64,
    /// A commit record must head the active segment.
    commit_due: bool,
    last_sync: Instant,
    /// Bytes written or buffered since the last sync.
    dirty: bool,
    stats: JournalStats,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Journal {
        path: path.to_path_buf(),
        source,
    }
}

impl Journal {
    /// Opens (creating if needed) the journal in `cfg.dir`, repairs damaged tails,
    /// deletes processed segments, and returns the events to replay. Writing goes
    /// to a fresh segment.
    pub fn open(cfg: JournalConfig, now: Instant) -> Result<(Self, Recovery), Error> {
        std::fs::create_dir_all(&cfg.dir).map_err(io_err(&cfg.dir))?;
        // Two processes appending to one journal would interleave records and each
        // replay the other's: the first holds an exclusive lock for its lifetime.
        let lock_path = cfg.dir.join("LOCK");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::Config(format!(
                    "journal {} is in use by another process",
                    cfg.dir.display()
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_err(&lock_path)(e)),
        }
        let mut names: Vec<PathBuf> = std::fs::read_dir(&cfg.dir)
            .map_err(io_err(&cfg.dir))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "wal"))
            .collect();
        names.sort();
        let mut stats = JournalStats::default();
        let mut committed = 0u64;
        let mut max_seq = 0u64;
        let mut events: Vec<Event> = Vec::new();
        let mut segments = VecDeque::new();
        let mut stale = Vec::new();
        for path in names {
            let bytes = std::fs::read(&path).map_err(io_err(&path))?;
            let header_ok = bytes.len() >= HEADER_LEN
                && bytes.get(..4) == Some(&MAGIC[..])
                && bytes.get(4) == Some(&FORMAT);
            if !header_ok {
                // A crash between create and header write, or not ours: count and
                // remove an empty/short one, leave a foreign file alone.
                if bytes.len() < HEADER_LEN {
                    stats.truncated_bytes += bytes.len() as u64;
                    std::fs::remove_file(&path).map_err(io_err(&path))?;
                } else {
                    stats.corrupt_records += 1;
                    tracing::warn!(path = %path.display(), "journal segment with a bad header skipped");
                }
                continue;
            }
            let body = bytes.get(HEADER_LEN..).unwrap_or(&[]);
            let mut last_seq = 0;
            let (valid, stop) = read_records(body, now, |r| match r {
                Record::Event(ev) => {
                    last_seq = last_seq.max(ev.seq);
                    events.push(ev);
                }
                Record::Commit(s) => committed = committed.max(s),
            });
            if stop != Stop::End {
                let cut = body.len() - valid;
                stats.truncated_bytes += cut as u64;
                if stop == Stop::Corrupt {
                    stats.corrupt_records += 1;
                }
                tracing::warn!(path = %path.display(), ?stop, cut, "journal tail repaired");
                let f = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(io_err(&path))?;
                f.set_len((HEADER_LEN + valid) as u64)
                    .map_err(io_err(&path))?;
                f.sync_all().map_err(io_err(&path))?;
            }
            max_seq = max_seq.max(last_seq);
            if last_seq == 0 {
                // Only commit records: superseded by the new segment's own.
                stale.push(path);
                continue;
            }
            segments.push_back(Segment {
                path,
                last_seq,
                bytes: (HEADER_LEN + valid) as u64,
            });
        }
        // What to replay: after the commit point, young enough.
        let wall = unix_ns(SystemTime::now());
        let max_age = u64::try_from(cfg.max_age.as_nanos()).unwrap_or(u64::MAX);
        events.retain(|e| e.seq > committed);
        let before = events.len();
        events.retain(|e| wall.saturating_sub(e.received_unix_ns) <= max_age);
        stats.expired = (before - events.len()) as u64;
        events.sort_by_key(|e| e.seq);
        events.dedup_by_key(|e| e.seq);
        stats.replayed = events.len() as u64;

        let next_seq = max_seq.max(committed) + 1;
        let (file, seg) = create_segment(&cfg.dir, next_seq)?;
        stats.segments_created += 1;
        segments.push_back(seg);
        let syncer = Syncer::start(&cfg.dir)?;
        let mut j = Self {
            cfg,
            file: Arc::new(file),
            syncer,
            _lock: lock,
            segments,
            buf: Vec::new(),
            next_seq,
            written_seq: next_seq - 1,
            durable_seq: next_seq - 1,
            commit_seq: committed,
            commit_written: committed,
            commit_due: true,
            last_sync: now,
            dirty: false,
            stats,
        };
        // The commit point heads the new segment, so deleting old ones never loses it.
        j.sync()?;
        j.reclaim()?;
        let active = j.active_path();
        for path in stale.into_iter().filter(|p| *p != active) {
            std::fs::remove_file(&path).map_err(io_err(&path))?;
        }
        Ok((j, Recovery { events, committed }))
    }

    /// Appends `ev` (setting its `seq`); returns the seq, the event's durability
    /// ticket. Fails with [`Error::JournalFull`] when the unprocessed bytes are at
    /// the bound (the event is then not journaled and must be counted as refused).
    pub fn append(&mut self, ev: &mut Event) -> Result<u64, Error> {
        // A buffer that flushing cannot empty (the disk refuses writes): refuse
        // rather than hold an unbounded backlog in memory.
        if self.buf.len() >= self.cfg.write_buffer.saturating_mul(4) {
            self.flush()?;
        }
        let unprocessed = self.unprocessed_bytes();
        if unprocessed >= self.cfg.max_bytes {
            self.stats.refused_full += 1;
            return Err(Error::JournalFull(unprocessed));
        }
        ev.seq = self.next_seq;
        self.next_seq += 1;
        encode_event(ev, &mut self.buf);
        self.stats.appended += 1;
        self.dirty = true;
        if self.buf.len() >= self.cfg.write_buffer
            && let Err(e) = self.flush()
        {
            // The record is buffered and is written by a later flush: the append
            // itself succeeded. The error surfaces from the caller's own flush.
            tracing::warn!(error = %e, "journal write failed; records kept buffered");
            self.stats.write_errors += 1;
        }
        Ok(ev.seq)
    }

    /// Records that every event up to `seq` has been processed (written at the next
    /// flush).
    pub fn commit(&mut self, seq: u64) {
        self.commit_seq = self.commit_seq.max(seq.min(self.next_seq - 1));
    }

    /// Writes buffered records to the file (no sync), rotating if the segment is full.
    pub fn flush(&mut self) -> Result<(), Error> {
        if self.commit_seq > self.commit_written || self.commit_due {
            encode_commit(self.commit_seq, &mut self.buf);
            self.commit_written = self.commit_seq;
            self.commit_due = false;
            self.dirty = true;
        }
        if self.buf.is_empty() {
            return Ok(());
        }
        let path = self.active_path();
        if let Err(e) = (&*self.file).write_all(&self.buf) {
            // Cut a partial write back off, so a retry appends whole records after
            // whole records (a torn record mid-file would hide everything after it).
            let good = self.segments.back().map_or(HEADER_LEN as u64, |s| s.bytes);
            let _ = self.file.set_len(good);
            return Err(io_err(&path)(e));
        }
        self.stats.writes += 1;
        self.stats.bytes += self.buf.len() as u64;
        let written = self.buf.len() as u64;
        self.buf.clear();
        self.written_seq = self.next_seq - 1;
        if let Some(seg) = self.segments.back_mut() {
            seg.bytes += written;
            seg.last_seq = self.written_seq;
        }
        let full = self
            .segments
            .back()
            .is_some_and(|s| s.bytes >= self.cfg.segment_bytes);
        if full {
            self.rotate()?;
        }
        self.reclaim()?;
        Ok(())
    }

    /// Flushes and `fdatasync`s on this thread: every record appended so far is
    /// durable when it returns.
    pub fn sync(&mut self) -> Result<(), Error> {
        self.flush()?;
        if self.dirty {
            let path = self.active_path();
            let t = Instant::now();
            self.file.sync_data().map_err(io_err(&path))?;
            lock(&self.syncer.shared.state)
                .latency
                .observe(t.elapsed().as_secs_f64());
            self.stats.syncs += 1;
            self.dirty = false;
        }
        self.durable_seq = self.written_seq;
        Ok(())
    }

    /// When the interval has passed and something is unsynced: writes the buffer
    /// and hands an `fdatasync` to the syncer thread (unless one is still running;
    /// then at the next poll). Returns whether a sync was started. Reports a failed
    /// background sync as an error (and retries it).
    pub fn poll(&mut self, now: Instant) -> Result<bool, Error> {
        if let Some(e) = self.syncer.take_error() {
            self.dirty = true;
            return Err(io_err(&self.active_path())(e));
        }
        let due = now.saturating_duration_since(self.last_sync) >= self.cfg.sync_interval;
        if !due || self.syncer.in_flight() {
            return Ok(false);
        }
        self.last_sync = now;
        if !(self.dirty || self.commit_seq > self.commit_written || self.commit_due) {
            return Ok(false);
        }
        self.flush()?;
        if !self.dirty {
            return Ok(false); // a rotation synced synchronously
        }
        self.dirty = false;
        self.stats.syncs += 1;
        self.syncer.submit(Arc::clone(&self.file), self.written_seq);
        Ok(true)
    }

    /// When the next [`Journal::poll`] has work, if anything is unsynced.
    pub fn poll_timeout(&self) -> Option<Instant> {
        (self.dirty || self.commit_seq > self.commit_written || self.commit_due)
            .then_some(self.last_sync + self.cfg.sync_interval)
    }

    /// Every event with a seq up to this one is on disk (fdatasync completed).
    pub fn durable_seq(&self) -> u64 {
        self.durable_seq
            .max(self.syncer.shared.done.load(Ordering::Acquire))
    }

    /// `fdatasync` latency (background and foreground syncs).
    pub fn sync_latency(&self) -> Histogram {
        lock(&self.syncer.shared.state).latency.clone()
    }

    /// The last seq handed out.
    pub fn last_seq(&self) -> u64 {
        self.next_seq - 1
    }

    /// The commit point asked for.
    pub fn committed(&self) -> u64 {
        self.commit_seq
    }

    /// Counters.
    pub fn stats(&self) -> &JournalStats {
        &self.stats
    }

    /// The configuration.
    pub fn config(&self) -> &JournalConfig {
        &self.cfg
    }

    /// Bytes in segments holding unprocessed events, plus the write buffer.
    pub fn unprocessed_bytes(&self) -> u64 {
        let seg: u64 = self
            .segments
            .iter()
            .filter(|s| s.last_seq > self.commit_seq)
            .map(|s| s.bytes)
            .sum();
        seg + self.buf.len() as u64
    }

    /// Total bytes on disk.
    pub fn disk_bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.bytes).sum()
    }

    /// Number of segment files.
    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    fn active_path(&self) -> PathBuf {
        self.segments
            .back()
            .map(|s| s.path.clone())
            .unwrap_or_else(|| self.cfg.dir.clone())
    }

    fn rotate(&mut self) -> Result<(), Error> {
        let path = self.active_path();
        self.file.sync_data().map_err(io_err(&path))?;
        self.stats.syncs += 1;
        self.durable_seq = self.written_seq;
        self.dirty = false;
        let (file, seg) = create_segment(&self.cfg.dir, self.next_seq)?;
        self.file = Arc::new(file);
        self.segments.push_back(seg);
        self.stats.segments_created += 1;
        // Repeat the commit point at the head of the new segment.
        self.commit_due = true;
        Ok(())
    }

    /// Deletes closed segments whose events are all committed.
    fn reclaim(&mut self) -> Result<(), Error> {
        while self.segments.len() > 1 {
            let Some(front) = self.segments.front() else {
                break;
            };
            if front.last_seq > self.commit_written {
                break;
            }
            if let Some(seg) = self.segments.pop_front() {
                match std::fs::remove_file(&seg.path) {
                    Ok(()) => self.stats.segments_deleted += 1,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_err(&seg.path)(e)),
                }
            }
        }
        Ok(())
    }
}

fn create_segment(dir: &Path, first_seq: u64) -> Result<(File, Segment), Error> {
    let path = dir.join(format!("{first_seq:020}.wal"));
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(io_err(&path))?;
    // A re-used name (segment created, nothing written, crash) starts over.
    file.set_len(0).map_err(io_err(&path))?;
    let mut header = [0u8; HEADER_LEN];
    header[..4].copy_from_slice(MAGIC);
    header[4] = FORMAT;
    header[8..].copy_from_slice(&first_seq.to_le_bytes());
    file.write_all(&header).map_err(io_err(&path))?;
    file.sync_all().map_err(io_err(&path))?;
    // The directory entry must be durable too, or the segment can vanish on power loss.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok((
        file,
        Segment {
            path,
            last_seq: 0,
            bytes: HEADER_LEN as u64,
        },
    ))
}

/// Nanoseconds since the Unix epoch (0 before it).
pub fn unix_ns(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Reads a whole segment file's records (for the fuzz target and inspection tools):
/// header check, then [`read_records`].
pub fn read_segment(bytes: &[u8], now: Instant, f: impl FnMut(Record)) -> (usize, Stop) {
    if bytes.len() < HEADER_LEN || bytes.get(..4) != Some(&MAGIC[..]) {
        return (0, Stop::Corrupt);
    }
    let (n, stop) = read_records(bytes.get(HEADER_LEN..).unwrap_or(&[]), now, f);
    (HEADER_LEN + n, stop)
}
