//! Traps per second and per CPU-second through the whole pipeline, for comparing
//! changes on a machine shared with other work (CPU time is far less sensitive to
//! load than wall time).
//!
//! `cargo run --release -p nocwatch-traps --example throughput -- [TRAPS] [JOURNAL_DIR|-] [json]`
//!
//! With `json`, events are also rendered as JSON lines (written to `io::sink()`).
//!
//! Same traffic as the criterion bench (benches/pipeline.rs): v2c linkDowns with
//! 6 bindings from 4,096 sources × 256 ifIndex values, batches of 64.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "example"
)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nocwatch_snmp::receiver::{AuthoritativeEngine, generate_engine_id};
use nocwatch_traps::{Datagram, JournalConfig, Pipeline, PipelineConfig, Rules};

#[path = "../benches/support/traffic.rs"]
mod traffic;
use traffic::link_down as trap;

/// CPU time of the calling thread (ns), from /proc/thread-self/schedstat.
fn thread_cpu() -> Duration {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    Duration::from_nanos(
        s.split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    )
}

/// CPU time of the whole process (user + system, clock ticks of 10 ms).
fn process_cpu() -> Duration {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = s.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After the name comes field 3 (state); utime is field 14, stime 15.
    let field = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    let ticks = field(11) + field(12);
    Duration::from_millis(ticks * 10)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let total: usize = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2_000_000);
    let journal = args
        .get(2)
        .filter(|a| *a != "-")
        .map(std::path::PathBuf::from);
    let packets: Vec<Vec<u8>> = (0..256).map(trap).collect();
    let peers: Vec<SocketAddr> = (0..4096u32)
        .map(|i| SocketAddr::from(([10, 1, (i >> 8) as u8, i as u8], 161)))
        .collect();
    let engine = AuthoritativeEngine::new(generate_engine_id(1), 1, Instant::now());
    let mut cfg = PipelineConfig::new(engine, Arc::new(Rules::default_pack().unwrap()));
    cfg.journal = journal.clone().map(JournalConfig::new);
    cfg.ring_capacity = 4096;
    let mut p = Pipeline::open(cfg, Instant::now()).unwrap();
    let json = args.get(3).is_some_and(|a| a == "json");
    if json {
        p.set_json_output(Box::new(std::io::sink()));
    }
    let (mut reports, mut acks) = (Vec::new(), Vec::new());
    let (t0, c0, pc0) = (Instant::now(), thread_cpu(), process_cpu());
    let mut n = 0;
    while n < total {
        let batch: [Datagram<'_>; 64] = std::array::from_fn(|k| {
            let i = n + k;
            Datagram {
                peer: peers[(i / 256) % peers.len()],
                data: &packets[i % 256],
                local: None,
            }
        });
        n += 64;
        let now = Instant::now();
        p.ingest(now, &batch, &mut reports);
        p.poll(now).unwrap();
        p.take_acks(&mut acks);
    }
    p.drain(Instant::now() + Duration::from_secs(10)).unwrap();
    let (wall, cpu, pcpu) = (t0.elapsed(), thread_cpu() - c0, process_cpu() - pc0);
    let s = p.stats();
    assert_eq!(s.emitted_first as usize, n, "every trap reached the sinks");
    assert_eq!(p.drops().total(), 0);
    let per = |d: Duration| n as f64 / d.as_secs_f64();
    println!(
        "journal={} json={json} traps={n} wall={wall:.2?} ({:.0}/s) pipeline-thread-cpu={cpu:.2?} ({:.0}/cpu-s, {:.0} ns/trap) process-cpu={pcpu:.2?} ({:.0}/cpu-s) e2e-p99<={:?}s",
        journal.is_some(),
        per(wall),
        per(cpu),
        cpu.as_nanos() as f64 / n as f64,
        per(pcpu),
        p.end_to_end_latency().quantile(0.99),
    );
    if let Some(j) = p.journal() {
        println!("journal: {:?}", j.stats());
    }
    if let Some(dir) = journal {
        let _ = std::fs::remove_dir_all(dir);
    }
}
