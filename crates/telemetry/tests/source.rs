#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]
//! The source's ingest thread runs at the configured lower priority.

use std::sync::Arc;

use nocwatch_store::Store;
use nocwatch_telemetry::stats::IngestStats;
use nocwatch_telemetry::{HttpCsvConfig, HttpCsvSource};

/// Nice values of this process's threads named `name`, from /proc.
#[cfg(target_os = "linux")]
fn nice_of_threads(name: &str) -> Vec<i64> {
    let mut out = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let dir = task.unwrap().path();
        let comm = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        if comm.trim() == name {
            let stat = std::fs::read_to_string(dir.join("stat")).unwrap();
            // Fields after the parenthesised command: state is field 3, nice field 19.
            let after = &stat[stat.rfind(')').unwrap() + 2..];
            out.push(after.split(' ').nth(16).unwrap().parse().unwrap());
        }
    }
    out
}

#[cfg(target_os = "linux")]
#[test]
fn ingest_thread_is_niced() {
    let store = Arc::new(Store::new(1).unwrap());
    let mut cfg = HttpCsvConfig::new("http://127.0.0.1:9/counters");
    cfg.ingest_nice = 7;
    let source = HttpCsvSource::new(cfg, store, Arc::new(IngestStats::default())).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let nices = nice_of_threads("nocwatch-ingest");
        if nices.contains(&7) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no niced ingest thread: {nices:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(source.config().url.ends_with("/counters"));
}
