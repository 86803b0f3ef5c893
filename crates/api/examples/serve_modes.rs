//! Experiment: the API over a 100,000-switch snapshot served either by one
//! multi-threaded runtime (what `nocwatch run` does) or by one
//! single-threaded runtime per thread, each with its own SO_REUSEPORT
//! listener. `cargo run --release -p nocwatch-api --example serve_modes -- mt|rp PORT`

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
    let store = Arc::new(Store::new(4).unwrap());
    ingest(
        Fabric::new(100_000, 1).unwrap().render_csv().as_bytes(),
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
            .worker_threads(2)
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
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let state = Arc::clone(&state);
                std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    rt.block_on(async {
                        let s = tokio::net::TcpSocket::new_v4().unwrap();
                        s.set_reuseport(true).unwrap();
                        s.set_reuseaddr(true).unwrap();
                        s.bind(addr).unwrap();
                        let l = s.listen(1024).unwrap();
                        nocwatch_api::serve(l, state, std::future::pending())
                            .await
                            .unwrap();
                    });
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }
}
