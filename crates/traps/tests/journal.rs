#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]
//! Journal crash recovery: what was accepted and not processed is replayed, exactly.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use nocwatch_testkit::TempDir;
use nocwatch_traps::journal::{Record, Stop, read_segment};
use nocwatch_traps::{Datagram, JournalConfig, Pipeline, PipelineConfig};

fn jconfig(dir: &Path) -> PipelineConfig {
    let mut cfg = config();
    let mut j = JournalConfig::new(dir);
    j.sync_interval = Duration::from_secs(3600); // syncs only when asked
    cfg.journal = Some(j);
    cfg.dedup.window = Duration::ZERO;
    cfg
}

fn ingest(p: &mut Pipeline, from: i64, n: i64) {
    let pkts: Vec<Vec<u8>> = (from..from + n).map(link_down).collect();
    let batch: Vec<Datagram<'_>> = pkts
        .iter()
        .map(|d| Datagram {
            peer: peer(1),
            data: d,
            local: None,
        })
        .collect();
    p.ingest(Instant::now(), &batch, &mut Vec::new());
}

fn if_index(e: &nocwatch_traps::Event) -> i64 {
    e.varbinds()
        .iter()
        .map(Result::unwrap)
        .find_map(|vb| match vb.value {
            nocwatch_snmp::Value::Integer(i) if vb.name.to_string().contains("2.2.1.1") => Some(i),
            _ => None,
        })
        .unwrap()
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wal"))
        .collect();
    v.sort();
    v
}

#[test]
fn a_crash_replays_exactly_the_unprocessed_events() {
    let dir = TempDir::new("nocwatch-traps-crash").unwrap();
    let mut cfg = jconfig(dir.path());
    cfg.process_budget = 30;
    let mut p = Pipeline::open(cfg.clone(), Instant::now()).unwrap();
    ingest(&mut p, 0, 100);
    p.poll(Instant::now()).unwrap(); // processes 30
    assert_eq!(p.recent().len(), 30);
    p.sync().unwrap(); // the commit point (30) is on disk
    ingest(&mut p, 100, 20); // written, never synced nor processed
    drop(p); // a crash: no drain

    let mut p = Pipeline::open(cfg.clone(), Instant::now()).unwrap();
    assert_eq!(p.stats().replayed, 90);
    while p.queued() > 0 {
        p.poll(Instant::now()).unwrap();
    }
    let got: Vec<i64> = p.recent().iter().map(if_index).collect();
    assert_eq!(
        got,
        (30..120).collect::<Vec<_>>(),
        "the unprocessed ones, in order, once"
    );
    p.drain(Instant::now() + Duration::from_secs(5)).unwrap();
    drop(p);

    let p = Pipeline::open(cfg, Instant::now()).unwrap();
    assert_eq!(p.stats().replayed, 0, "nothing left after a clean drain");
    assert_eq!(p.queued(), 0);
}

#[test]
fn a_torn_tail_is_truncated_and_counted_never_a_panic() {
    let dir = TempDir::new("nocwatch-traps-torn").unwrap();
    let cfg = jconfig(dir.path());
    let mut p = Pipeline::open(cfg.clone(), Instant::now()).unwrap();
    ingest(&mut p, 0, 10);
    drop(p);
    let seg = segments(dir.path()).pop().unwrap();
    let len = std::fs::metadata(&seg).unwrap().len();
    // Cut the last record in half.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&seg)
        .unwrap()
        .set_len(len - 7)
        .unwrap();

    let p = Pipeline::open(cfg.clone(), Instant::now()).unwrap();
    assert_eq!(p.stats().replayed, 9);
    let js = p.journal().unwrap().stats();
    assert!(js.truncated_bytes > 0);
    drop(p);

    // Garbage appended after valid records (a torn write of random bytes).
    let mut p2 = Pipeline::open(cfg.clone(), Instant::now()).unwrap();
    ingest(&mut p2, 50, 3);
    drop(p2);
    let seg2 = segments(dir.path()).pop().unwrap();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&seg2)
        .unwrap();
    f.write_all(&[
        0x10, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        16,
    ])
    .unwrap();
    drop(f);
    let p = Pipeline::open(cfg, Instant::now()).unwrap();
    assert_eq!(p.stats().replayed, 12, "9 from the first crash + 3");
    assert_eq!(p.journal().unwrap().stats().corrupt_records, 1);
}

#[test]
fn segments_rotate_and_processed_ones_are_deleted() {
    let dir = TempDir::new("nocwatch-traps-rotate").unwrap();
    let mut cfg = jconfig(dir.path());
    if let Some(j) = &mut cfg.journal {
        j.segment_bytes = 4096;
    }
    let mut p = Pipeline::open(cfg, Instant::now()).unwrap();
    for round in 0..20 {
        ingest(&mut p, round * 50, 50);
        while p.queued() > 0 {
            p.poll(Instant::now()).unwrap();
        }
        p.sync().unwrap();
    }
    let js = *p.journal().unwrap().stats();
    assert!(js.segments_created > 10, "{js:?}");
    assert!(js.segments_deleted + 2 >= js.segments_created, "{js:?}");
    assert!(segments(dir.path()).len() <= 2);
    assert_eq!(p.journal().unwrap().unprocessed_bytes(), 0);
}

#[test]
fn a_full_journal_refuses_and_counts() {
    let dir = TempDir::new("nocwatch-traps-full").unwrap();
    let mut cfg = jconfig(dir.path());
    if let Some(j) = &mut cfg.journal {
        j.max_bytes = 2048;
        j.write_buffer = 256;
    }
    let mut p = Pipeline::open(cfg, Instant::now()).unwrap();
    ingest(&mut p, 0, 200);
    let refused = p.drops().by_reason("journal", "journal_full");
    assert!(refused > 0);
    assert_eq!(p.stats().journaled + refused, 200);
    assert_eq!(p.journal().unwrap().stats().refused_full, refused);
}

#[test]
fn records_round_trip_through_the_reader() {
    let dir = TempDir::new("nocwatch-traps-read").unwrap();
    let mut p = Pipeline::open(jconfig(dir.path()), Instant::now()).unwrap();
    let pkt = v1("1.3.6.1.4.1.9.9.41.2", [192, 0, 2, 1], 6, 1, &[]);
    let batch = [Datagram {
        peer: "[2001:db8::1]:162".parse().unwrap(),
        data: &pkt,
        local: None,
    }];
    p.ingest(Instant::now(), &batch, &mut Vec::new());
    p.sync().unwrap();
    let seg = segments(dir.path()).pop().unwrap();
    let bytes = std::fs::read(seg).unwrap();
    let mut events = Vec::new();
    let mut commits = Vec::new();
    let (n, stop) = read_segment(&bytes, Instant::now(), |r| match r {
        Record::Event(e) => events.push(e),
        Record::Commit(c) => commits.push(c),
    });
    assert_eq!((n, stop), (bytes.len(), Stop::End));
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.peer, "[2001:db8::1]:162".parse().unwrap());
    assert_eq!(e.agent_addr, Some([192, 0, 2, 1].into()));
    assert_eq!(e.security_name(), b"public");
    assert_eq!(
        e.trap_oid().to_string().trim_start_matches('.'),
        "1.3.6.1.4.1.9.9.41.2.0.1"
    );
    assert_eq!(e.varbinds().validate().unwrap(), 5);
    assert!(!commits.is_empty());
    // Every prefix of the file reads without panicking and stops cleanly.
    for cut in 0..bytes.len() {
        let (n, _) = read_segment(&bytes[..cut], Instant::now(), |_| {});
        assert!(n <= cut);
    }
}

#[test]
fn an_idle_pipeline_commits_what_it_processed() {
    let dir = TempDir::new("nocwatch-traps-idle").unwrap();
    let mut cfg = jconfig(dir.path());
    if let Some(j) = &mut cfg.journal {
        j.sync_interval = Duration::from_millis(5);
    }
    let mut p = Pipeline::open(cfg.clone(), Instant::now()).unwrap();
    ingest(&mut p, 0, 10);
    let deadline = Instant::now() + Duration::from_secs(5);
    // Drive it the way the I/O loop does: poll, then sleep until poll_timeout.
    while let Some(at) = p.poll_timeout() {
        assert!(Instant::now() < deadline, "poll_timeout never settles");
        std::thread::sleep(at.saturating_duration_since(Instant::now()));
        p.poll(Instant::now()).unwrap();
    }
    let j = p.journal().unwrap();
    assert_eq!(j.committed(), j.last_seq());
    drop(p); // a crash after the idle period
    let p = Pipeline::open(cfg, Instant::now()).unwrap();
    assert_eq!(p.stats().replayed, 0);
}

#[test]
fn one_journal_directory_one_process() {
    let dir = TempDir::new("nocwatch-traps-lock").unwrap();
    let p = Pipeline::open(jconfig(dir.path()), Instant::now()).unwrap();
    let err = Pipeline::open(jconfig(dir.path()), Instant::now()).unwrap_err();
    assert!(err.to_string().contains("in use"), "{err}");
    drop(p);
    Pipeline::open(jconfig(dir.path()), Instant::now()).unwrap();
}

#[test]
fn a_backlog_larger_than_the_queues_is_replayed_whole() {
    let dir = TempDir::new("nocwatch-traps-backlog").unwrap();
    let mut cfg = jconfig(dir.path());
    // Tiny queues and a tiny rate: live traffic beyond them is refused...
    cfg.limiter.per_source_queue = 10;
    cfg.limiter.total_queue = 10;
    cfg.limiter.rate = 1.0;
    cfg.limiter.burst = 10.0;
    let mut p = Pipeline::open(cfg.clone(), Instant::now()).unwrap();
    ingest(&mut p, 0, 300);
    assert_eq!(p.drops().by_reason("limiter", "rate_limited"), 290);
    drop(p);
    // ...but after a crash, the 300 journaled events (all of them, including the
    // ones refused live, since nothing was processed or committed) are replayed
    // without going through those bounds.
    let mut p = Pipeline::open(cfg, Instant::now()).unwrap();
    assert_eq!(p.stats().replayed, 300);
    assert_eq!(p.queued(), 300);
    p.drain(Instant::now() + Duration::from_secs(10)).unwrap();
    assert_eq!(p.recent().len(), 300);
    assert_eq!(p.drops().total(), 0);
}
