//! Bench target for `scripts/bench-api`'s swap-only rounds: the API over an
//! N-switch store, and a thread that publishes a pre-parsed N-switch matrix into
//! it once a second between SIGUSR1 and SIGUSR2, so the effect of a swap on the
//! readers' p99 is measured apart from the 9 MB transfer and the parse (which the
//! service's own rounds include).
//!
//! `cargo run --release -p nocwatch-api --example swap_serve -- 127.0.0.1:PORT SWITCHES THREADS`
//!
//! Prints `listening on http://ADDR` once serving; `/health` reports the store
//! generation, so the bench counts the publishes of each round.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "example")]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use nocwatch_api::{ApiConfig, ApiState};
use nocwatch_store::{Store, unix_nanos};
use nocwatch_telemetry::fabric::Fabric;
use nocwatch_telemetry::schema::METRICS;
use nocwatch_telemetry::stats::IngestStats;
use tokio::signal::unix::{SignalKind, signal};

fn main() {
    let mut args = std::env::args().skip(1);
    let addr: std::net::SocketAddr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:19391".into())
        .parse()
        .unwrap();
    let switches: usize = args.next().map_or(100_000, |p| p.parse().unwrap());
    let threads: usize = args.next().map_or(2, |p| p.parse().unwrap());

    // Built and parsed once: each publish is only the store's swap.
    let body = Fabric::new(switches, 1).unwrap().render_csv();
    let table = nocwatch_telemetry::csv::parse(body.as_bytes()).unwrap();
    let ids: Vec<String> = table.ids().iter().map(|s| (*s).to_owned()).collect();
    let values = table.values().to_vec();
    let names: Vec<&'static str> = METRICS.iter().map(|m| m.name).collect();
    let store = Arc::new(Store::new(4).unwrap());
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    store
        .replace_matrix(&id_refs, &names, &values, unix_nanos(SystemTime::now()))
        .unwrap();

    let active = Arc::new(AtomicBool::new(false));
    {
        let (store, active) = (Arc::clone(&store), Arc::clone(&active));
        std::thread::Builder::new()
            .name("publisher".into())
            .spawn(move || {
                let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
                let mut next = Instant::now();
                loop {
                    next += Duration::from_secs(1);
                    if active.load(Ordering::Relaxed) {
                        store
                            .replace_matrix(
                                &id_refs,
                                &names,
                                &values,
                                unix_nanos(SystemTime::now()),
                            )
                            .unwrap();
                    }
                    std::thread::sleep(next.saturating_duration_since(Instant::now()));
                }
            })
            .unwrap();
    }

    let state = ApiState::new(
        store,
        Arc::new(IngestStats::default()),
        ApiConfig::default(),
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let (_stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let server = nocwatch_api::serve_sharded(addr, threads, state, &stop_rx)
            .await
            .unwrap();
        println!("listening on http://{}", server.local_addr());
        let mut on = signal(SignalKind::user_defined1()).unwrap();
        let mut off = signal(SignalKind::user_defined2()).unwrap();
        let mut term = signal(SignalKind::terminate()).unwrap();
        loop {
            tokio::select! {
                _ = on.recv() => active.store(true, Ordering::Relaxed),
                _ = off.recv() => active.store(false, Ordering::Relaxed),
                _ = term.recv() => break,
            }
        }
    });
}
