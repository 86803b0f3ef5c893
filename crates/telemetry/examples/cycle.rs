//! Times whole ingestion cycles over loopback HTTP: a producer of N switches
//! and an `http_csv` source in this process, `rounds` cycles, medians of the
//! fetch, parse and swap phases as the source measures them.
//!
//! `cargo run --release -p nocwatch-telemetry --example cycle -- 100000 [rounds] [tick_ms]`
//!
//! With the default tick (one hour) every fetch gets the same, already
//! rendered snapshot: the fetch phase is the HTTP transfer alone. With a
//! tick shorter than a cycle, each fetch also waits for the producer's
//! render of the new tick (the producer renders on demand).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "example")]

use std::sync::Arc;
use std::time::Duration;

use nocwatch_store::Store;
use nocwatch_telemetry::stats::IngestStats;
use nocwatch_telemetry::{HttpCsvConfig, HttpCsvSource, Producer, ProducerConfig};
use tokio::net::TcpListener;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(100_000, |a| a.parse().unwrap());
    let rounds: usize = args.next().map_or(10, |a| a.parse().unwrap());
    let tick_ms: u64 = args.next().map_or(3_600_000, |a| a.parse().unwrap());
    let producer = Producer::new(&ProducerConfig {
        switches: n,
        tick: Duration::from_millis(tick_ms),
        ..ProducerConfig::default()
    })
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/counters", listener.local_addr().unwrap());
    tokio::spawn(producer.clone().serve(listener, std::future::pending()));
    let store = Arc::new(Store::new(4).unwrap());
    let mut config = HttpCsvConfig::new(url);
    config.timeout = Duration::from_secs(30);
    let source = HttpCsvSource::new(config, store, Arc::new(IngestStats::default())).unwrap();
    let (mut fetch, mut parse, mut swap) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..=rounds {
        let report = source.poll_once().await.unwrap();
        assert_eq!(report.rows, n);
        // Round 0 creates every series and warms the connection.
        if round > 0 {
            fetch.push(report.phases.fetch);
            parse.push(report.phases.parse);
            swap.push(report.phases.swap);
        }
        if tick_ms < 3_600_000 {
            tokio::time::sleep(Duration::from_millis(tick_ms)).await;
        }
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1e3
    };
    println!(
        "{n} switches, {} bytes: fetch {:.2} ms, parse {:.2} ms, swap {:.2} ms (medians of {rounds}; {} renders)",
        producer.csv().len(),
        median(&mut fetch),
        median(&mut parse),
        median(&mut swap),
        producer.renders(),
    );
}
