//! Experiment and bench target: the API over an N-switch snapshot served
//! either by one multi-threaded runtime or by [`nocwatch_api::serve_sharded`]
//! (one single-threaded runtime per thread, each with its own SO_REUSEPORT
//! listener; what `nocwatch run` does).
//!
//! `cargo run --release -p nocwatch-api --example serve_modes -- mt|rp PORT [SWITCHES] [THREADS]`
//!
//! With a small fabric (50 switches) the store lookup is negligible and
//! what wrk measures is the HTTP path of the server.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "example")]

use std::sync::Arc;

use nocwatch_api::{ApiConfig, ApiState};
use nocwatch_store::Store;
use nocwatch_telemetry::fabric::Fabric;
use nocwatch_telemetry::source::ingest;
use nocwatch_telemetry::stats::IngestStats;

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "mt".into());
    let port: u16 = args.next().map_or(19390, |p| p.parse().unwrap());
    let switches: usize = args.next().map_or(100_000, |p| p.parse().unwrap());
    let threads: usize = args.next().map_or(2, |p| p.parse().unwrap());
    let store = Arc::new(Store::new(4).unwrap());
    ingest(
        Fabric::new(switches, 1).unwrap().render_csv().as_bytes(),
        &store,
    )
    .unwrap();
    let state = ApiState::new(
        store,
        Arc::new(IngestStats::default()),
        ApiConfig::default(),
    );
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    if mode == "mt" {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let l = tokio::net::TcpListener::bind(addr).await.unwrap();
            nocwatch_api::serve(l, state, std::future::pending())
                .await
                .unwrap();
        });
    } else {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (_stop_tx, stop_rx) = tokio::sync::watch::channel(false);
            let server = nocwatch_api::serve_sharded(addr, threads, state, &stop_rx)
                .await
                .unwrap();
            println!("listening on {}", server.local_addr());
            server.wait().await.unwrap();
        });
    }
}
