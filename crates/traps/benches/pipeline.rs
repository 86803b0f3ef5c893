//! Traps per second through the whole pipeline (decode, journal, classify,
//! limiter/fair queue, dedup, sinks) on one core, for SNMPv2c linkDown traps.
//!
//! Each iteration ingests one batch of 64 datagrams (a `recvmmsg` batch) and polls.
//! Traps come from 4,096 sources × 256 ifIndex values, so dedup keys do not repeat
//! within the dedup cache's reach (it is capped at 100k keys and evicts): every trap
//! is a first occurrence and goes all the way to the sinks (the recent-events ring;
//! JSON output is measured separately because it depends on where it is written).
//!
//! `journal` writes to a temporary directory (fsync every 10 ms, the default);
//! `memory` runs without a journal, to show what the journal costs;
//! `journal_json` also renders every event as a JSON line (to `io::sink()`), as
//! `nocwatch trap listen --json` does.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "bench"
)]

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nocwatch_snmp::receiver::{AuthoritativeEngine, generate_engine_id};
use nocwatch_traps::{Datagram, JournalConfig, Pipeline, PipelineConfig, Rules};

#[path = "support/traffic.rs"]
mod traffic;
use traffic::link_down as trap;

const BATCH: usize = 64;

fn pipeline(journal: Option<&std::path::Path>, json: bool) -> Pipeline {
    let engine = AuthoritativeEngine::new(generate_engine_id(1), 1, Instant::now());
    let mut cfg = PipelineConfig::new(engine, Arc::new(Rules::default_pack().unwrap()));
    cfg.journal = journal.map(JournalConfig::new);
    cfg.ring_capacity = 4096;
    let mut p = Pipeline::open(cfg, Instant::now()).unwrap();
    if json {
        p.set_json_output(Box::new(std::io::sink()));
    }
    p
}

fn bench(c: &mut Criterion) {
    let packets: Vec<Vec<u8>> = (0..256).map(trap).collect();
    let peers: Vec<SocketAddr> = (0..4096u32)
        .map(|i| SocketAddr::from(([10, 1, (i >> 8) as u8, i as u8], 161)))
        .collect();
    let mut g = c.benchmark_group("pipeline_v2c");
    g.throughput(Throughput::Elements(BATCH as u64));
    let dir = std::env::temp_dir().join(format!("nocwatch-traps-bench-{}", std::process::id()));
    for (name, journal, json) in [
        ("journal", Some(dir.as_path()), false),
        ("memory", None, false),
        ("journal_json", Some(dir.as_path()), true),
    ] {
        let mut p = pipeline(journal, json);
        let mut n: usize = 0;
        let mut reports = Vec::new();
        let mut acks = Vec::new();
        g.bench_function(name, |b| {
            b.iter(|| {
                let batch: [Datagram<'_>; BATCH] = std::array::from_fn(|k| {
                    let i = n + k;
                    Datagram {
                        peer: peers[(i / 256) % peers.len()],
                        data: &packets[i % 256],
                        local: None,
                    }
                });
                n += BATCH;
                let now = Instant::now();
                p.ingest(now, &batch, &mut reports);
                p.poll(now).unwrap();
                p.take_acks(&mut acks);
                black_box(p.queued());
            });
        });
        let s = p.stats();
        assert_eq!(s.decoded, s.received, "every bench trap decodes");
        assert_eq!(p.drops().total(), 0, "the bench must not hit the limiter");
    }
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);

    // JSON rendering cost per event, on its own.
    let mut p = pipeline(None, false);
    let batch: Vec<Datagram<'_>> = packets
        .iter()
        .take(BATCH)
        .map(|d| Datagram {
            peer: peers[0],
            data: d,
            local: None,
        })
        .collect();
    p.ingest(Instant::now(), &batch, &mut Vec::new());
    p.poll(Instant::now()).unwrap();
    let ev = p.recent().iter().next().unwrap().clone();
    let mut out = String::new();
    let mut g = c.benchmark_group("sink");
    g.throughput(Throughput::Elements(1));
    g.bench_function("json_line", |b| {
        b.iter(|| {
            out.clear();
            nocwatch_traps::sink::write_json(black_box(&ev), &mut out);
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
