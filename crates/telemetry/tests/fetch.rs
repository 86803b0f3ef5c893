#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]
//! The source's body reading: size limit with and without a
//! `Content-Length`, bodies in many frames, and a producer body cut short.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use bytes::Bytes;
use nocwatch_store::Store;
use nocwatch_telemetry::fabric::Fabric;
use nocwatch_telemetry::stats::IngestStats;
use nocwatch_telemetry::{
    FailureKind, FailureMode, HttpCsvConfig, HttpCsvSource, Producer, ProducerConfig,
};
use tokio::net::TcpListener;

/// A body stream of fixed chunks (sent chunked, without a length).
struct Chunks(VecDeque<Bytes>);

impl futures_core::Stream for Chunks {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.0.pop_front().map(Ok))
    }
}

/// Serves `body` at `/counters` in chunks of `chunk` bytes, without a
/// `Content-Length`; returns the URL.
async fn chunked_server(body: Bytes, chunk: usize) -> String {
    let app = Router::new().route(
        "/counters",
        get(move || {
            let body = body.clone();
            async move {
                let parts = (0..body.len())
                    .step_by(chunk)
                    .map(|i| body.slice(i..(i + chunk).min(body.len())))
                    .collect();
                Body::from_stream(Chunks(parts))
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/counters", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn source(url: String, limit: usize) -> (HttpCsvSource, Arc<Store>) {
    let store = Arc::new(Store::new(2).unwrap());
    let mut cfg = HttpCsvConfig::new(url);
    cfg.max_body_bytes = limit;
    cfg.timeout = Duration::from_secs(5);
    let s = HttpCsvSource::new(cfg, Arc::clone(&store), Arc::new(IngestStats::default())).unwrap();
    (s, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_in_many_frames_is_read_whole() {
    let csv = Bytes::from(Fabric::new(300, 2).unwrap().render_csv());
    let url = chunked_server(csv.clone(), 1_000).await;
    let (s, store) = source(url, csv.len());
    let report = s.poll_once().await.unwrap();
    assert_eq!(report.rows, 300);
    assert!(store.load().latest("SW-300", "Temperature_C").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_are_refused_with_or_without_a_length() {
    let csv = Bytes::from(Fabric::new(300, 2).unwrap().render_csv());
    let url = chunked_server(csv.clone(), 1_000).await;
    let (s, store) = source(url, csv.len() - 1);
    let err = s.poll_once().await.unwrap_err();
    assert_eq!(err.kind(), FailureKind::TooLarge, "{err}");
    assert_eq!(s.stats().failures(FailureKind::TooLarge), 1);
    assert_eq!(store.load().generation(), 0);

    // The producer announces its length: refused before reading.
    let producer = Producer::new(&ProducerConfig::default()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/counters", listener.local_addr().unwrap());
    tokio::spawn(producer.clone().serve(listener, std::future::pending()));
    let len = producer.csv().len();
    let (s, _) = source(url.clone(), len - 1);
    assert_eq!(
        s.poll_once().await.unwrap_err().kind(),
        FailureKind::TooLarge
    );
    let (s, _) = source(url, len);
    assert_eq!(s.poll_once().await.unwrap().rows, 50);

    // A body cut short is counted as such, whatever its length said.
    producer.set_mode(FailureMode::Truncated);
    assert_eq!(
        s.poll_once().await.unwrap_err().kind(),
        FailureKind::Truncated
    );
}
