//! Times `Snapshot::get` by name for random keys over a 100,000-switch
//! fabric snapshot (1.1 M series): the lookup of every GetMetric, with the
//! cache misses a large snapshot causes (the keys are spread over all
//! switches, unlike a hot-loop microbenchmark).
//!
//! `cargo run --release -p nocwatch-telemetry --example lookup -- [switches] [lookups]`

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "example")]

use std::hint::black_box;
use std::time::Instant;

use nocwatch_store::Store;
use nocwatch_telemetry::fabric::Fabric;
use nocwatch_telemetry::schema::{METRICS, switch_name};
use nocwatch_telemetry::source::ingest;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(100_000, |a| a.parse().unwrap());
    let lookups: usize = args.next().map_or(2_000_000, |a| a.parse().unwrap());
    let store = Store::new(4).unwrap();
    ingest(Fabric::new(n, 1).unwrap().render_csv().as_bytes(), &store).unwrap();
    let mut rng = fastrand::Rng::with_seed(7);
    let keys: Vec<(String, &str)> = (0..65_536)
        .map(|_| {
            (
                switch_name(rng.usize(1..=n)),
                METRICS[rng.usize(0..METRICS.len())].name,
            )
        })
        .collect();
    let snap = store.load();
    let t = Instant::now();
    let mut sum = 0.0;
    for i in 0..lookups {
        let (r, m) = &keys[i % keys.len()];
        sum += snap.latest(r, m).unwrap().value;
    }
    let per = t.elapsed().as_nanos() as f64 / lookups as f64;
    black_box(sum);
    println!("{n} switches: {per:.0} ns per lookup by name ({lookups} random lookups)");
}
