//! Times the CPU phases of one ingestion cycle without HTTP: parse (validate
//! the body) and swap (`Store::replace_matrix`, what the source does), for a
//! fabric of N switches, over a few rounds with the fabric advancing between
//! them; and, for comparison, the generic per-series path (`Store::replace`
//! of a `Batch`) into a second store.
//!
//! `cargo run --release -p nocwatch-telemetry --example ingest -- 100000 [rounds] [history]`

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "example")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use nocwatch_store::Store;
use nocwatch_telemetry::fabric::Fabric;
use nocwatch_telemetry::schema::METRICS;
use nocwatch_telemetry::source::{ingest, parse_batch};

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(50, |a| a.parse().unwrap());
    let rounds: usize = args.next().map_or(10, |a| a.parse().unwrap());
    let history: usize = args.next().map_or(4, |a| a.parse().unwrap());
    let mut fabric = Fabric::new(n, 1).unwrap();
    let store = Store::new(history).unwrap();
    // A store of its own: replacing the matrix store's content with a Batch
    // would move its series out of the matrix every round.
    let batch_store = Store::new(history).unwrap();
    let names: Vec<Arc<str>> = METRICS.iter().map(|m| Arc::from(m.name)).collect();
    let (mut parse, mut swap, mut batch_swap) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..=rounds {
        fabric.advance(1.0);
        let csv = fabric.render_csv();
        // What the source does.
        let report = ingest(csv.as_bytes(), &store).unwrap();
        // The generic path for comparison: a Batch of updates and replace().
        let batch = parse_batch(csv.as_bytes(), &names).unwrap();
        let t = Instant::now();
        batch_store.replace(batch).unwrap();
        // Round 0 creates every series; the steady state is what repeats.
        if round > 0 {
            parse.push(report.phases.parse);
            swap.push(report.phases.swap);
            batch_swap.push(t.elapsed());
        }
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (p, s, b) = (
        median(&mut parse),
        median(&mut swap),
        median(&mut batch_swap),
    );
    println!(
        "{n} switches ({} series, {} bytes of CSV), history {history}: parse {:.3} ms, swap {:.3} ms (replace of a Batch: {:.3} ms) (medians of {rounds})",
        n * METRICS.len(),
        fabric.render_csv().len(),
        p.as_secs_f64() * 1e3,
        s.as_secs_f64() * 1e3,
        b.as_secs_f64() * 1e3
    );
}
