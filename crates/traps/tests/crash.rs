#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]
//! Property: whatever the interleaving of intake, processing, syncs and crashes
//! (the pipeline dropped without a drain, as `kill -9` leaves it), every accepted
//! trap is emitted before the crash or replayed after it.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::*;
use nocwatch_testkit::TempDir;
use nocwatch_traps::{Datagram, JournalConfig, Pipeline, PipelineConfig};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Ingest(u8),
    Poll(u8),
    Sync,
    Crash,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1u8..40).prop_map(Op::Ingest),
        3 => (1u8..50).prop_map(Op::Poll),
        1 => Just(Op::Sync),
        1 => Just(Op::Crash),
    ]
}

fn cfg(dir: &std::path::Path, budget: usize) -> PipelineConfig {
    let mut c = config();
    let mut j = JournalConfig::new(dir);
    j.sync_interval = Duration::from_millis(1);
    j.segment_bytes = 8 << 10; // rotations and deletions happen too
    c.journal = Some(j);
    c.dedup.window = Duration::ZERO;
    c.ring_capacity = 1 << 20;
    c.process_budget = budget;
    c
}

fn ids(p: &Pipeline) -> BTreeSet<i64> {
    p.recent()
        .iter()
        .map(|e| {
            e.varbinds()
                .iter()
                .map(Result::unwrap)
                .find_map(|vb| match vb.value {
                    nocwatch_snmp::Value::Integer(i) => Some(i),
                    _ => None,
                })
                .unwrap()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn nothing_accepted_is_lost(ops in proptest::collection::vec(op(), 1..25), budget in 1usize..20) {
        let dir = TempDir::new("nocwatch-traps-prop").unwrap();
        let mut p = Pipeline::open(cfg(dir.path(), budget), Instant::now()).unwrap();
        let mut next = 0i64;
        let mut accepted = BTreeSet::new();
        let mut emitted = BTreeSet::new();
        for op in ops {
            match op {
                Op::Ingest(n) => {
                    let pkts: Vec<Vec<u8>> = (next..next + i64::from(n)).map(link_down).collect();
                    let batch: Vec<Datagram<'_>> =
                        pkts.iter().map(|d| Datagram { peer: peer(1), data: d, local: None }).collect();
                    p.ingest(Instant::now(), &batch, &mut Vec::new());
                    accepted.extend(next..next + i64::from(n));
                    next += i64::from(n);
                }
                Op::Poll(times) => {
                    for _ in 0..times % 4 + 1 {
                        p.poll(Instant::now()).unwrap();
                    }
                }
                Op::Sync => p.sync().unwrap(),
                Op::Crash => {
                    emitted.extend(ids(&p));
                    drop(p);
                    p = Pipeline::open(cfg(dir.path(), budget), Instant::now()).unwrap();
                    p.drain(Instant::now() + Duration::from_secs(10)).unwrap();
                    let replayed = ids(&p);
                    let missing: Vec<_> = accepted.difference(&emitted).filter(|i| !replayed.contains(i)).collect();
                    prop_assert!(missing.is_empty(), "lost after a crash: {missing:?}");
                    prop_assert_eq!(p.drops().total(), 0);
                }
            }
        }
        prop_assert_eq!(p.drops().total(), 0);
        emitted.extend(ids(&p));
        p.drain(Instant::now() + Duration::from_secs(10)).unwrap();
        emitted.extend(ids(&p));
        prop_assert_eq!(&emitted, &accepted);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Dedup never loses a count: first occurrences (occurrences = 1) plus what
    /// each window's follow-up adds (occurrences - 1) equals what was offered,
    /// whatever the timing, the keys and a cache far too small for them.
    #[test]
    fn dedup_accounts_for_every_occurrence(
        steps in proptest::collection::vec((0i64..8, 0u64..1500), 1..200),
        cap in 1usize..6,
    ) {
        let mut c = config();
        c.dedup.window = Duration::from_secs(1);
        c.dedup.max_entries = cap;
        c.ring_capacity = 1 << 16;
        let t0 = Instant::now();
        let mut p = Pipeline::open(c, t0).unwrap();
        let mut t = t0;
        for (key, advance_ms) in &steps {
            t += Duration::from_millis(*advance_ms);
            let pkt = link_down(*key);
            p.ingest(t, &[Datagram { peer: peer(1), data: &pkt, local: None }], &mut Vec::new());
            p.poll(t).unwrap();
        }
        p.drain(Instant::now() + Duration::from_secs(10)).unwrap();
        let (mut firsts, mut extra, mut summaries) = (0u64, 0u64, 0u64);
        for e in p.recent().iter() {
            if e.occurrences == 1 {
                firsts += 1;
            } else {
                summaries += 1;
                extra += u64::from(e.occurrences - 1);
            }
        }
        prop_assert_eq!(firsts + extra, steps.len() as u64);
        prop_assert!(summaries <= firsts);
        prop_assert_eq!(extra, p.dedup().stats().hits);
        prop_assert_eq!(p.drops().total(), 0);
    }
}
