#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]
//! The API over a real producer and source on loopback: failure modes keep
//! the last good data served with its age and counters, readers never see a
//! mix of two snapshots, errors are JSON.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use nocwatch_api::{ApiConfig, ApiState};
use nocwatch_store::{Batch, Store};
use nocwatch_telemetry::stats::IngestStats;
use nocwatch_telemetry::{
    FailureKind, FailureMode, HttpCsvConfig, HttpCsvSource, Producer, ProducerConfig,
};
use serde_json::Value;
use tokio::net::TcpListener;

type HttpClient = Client<HttpConnector, Empty<Bytes>>;

fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build(HttpConnector::new())
}

struct Answer {
    status: u16,
    age_header: Option<u64>,
    content_type: String,
    body: Bytes,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn get(c: &HttpClient, url: &str) -> Answer {
    let r = c.get(url.parse().unwrap()).await.unwrap();
    let status = r.status().as_u16();
    let age_header = r
        .headers()
        .get("x-data-age-ms")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    let content_type = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = r.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        age_header,
        content_type,
        body,
    }
}

/// Starts the API on a random port; returns its base URL.
async fn start_api(state: Arc<ApiState>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(nocwatch_api::serve(listener, state, std::future::pending()));
    format!("http://{addr}")
}

async fn start_producer(config: ProducerConfig) -> (Producer, String) {
    let producer = Producer::new(&config).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(producer.clone().serve(listener, std::future::pending()));
    (producer, format!("http://{addr}/counters"))
}

fn producer_value(p: &Producer, switch: &str, column: usize) -> f64 {
    let csv = p.csv();
    let text = std::str::from_utf8(&csv).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with(&format!("{switch},")))
        .unwrap();
    line.split(',').nth(column).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failure_mode_keeps_the_last_good_snapshot_served() {
    let (producer, url) = start_producer(ProducerConfig {
        switches: 50,
        tick: Duration::from_secs(3600),
        slow_delay: Duration::from_secs(5),
        ..ProducerConfig::default()
    })
    .await;
    let store = Arc::new(Store::new(8).unwrap());
    let stats = Arc::new(IngestStats::default());
    let mut cfg = HttpCsvConfig::new(url);
    cfg.timeout = Duration::from_millis(400);
    let source = HttpCsvSource::new(cfg, Arc::clone(&store), Arc::clone(&stats)).unwrap();
    let api = start_api(ApiState::new(
        Arc::clone(&store),
        Arc::clone(&stats),
        ApiConfig::default(),
    ))
    .await;
    let c = client();
    let get_metric =
        format!("{api}/telemetry/GetMetric?switch_id=SW-05&metric_name=Latency_Avg_uSec");

    // Before any data: 503, no age.
    let a = get(&c, &get_metric).await;
    assert_eq!(a.status, 503, "{}", a.text());
    assert_eq!(a.json()["error"], "no_data");
    assert_eq!(a.json()["data_age_ms"], Value::Null);
    assert_eq!(get(&c, &format!("{api}/health")).await.status, 503);

    let report = source.poll_once().await.unwrap();
    let published = Instant::now();
    assert_eq!(report.rows, 50);
    let good = producer_value(&producer, "SW-05", 7);
    let first = get(&c, &get_metric).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.json()["value"], good);
    let generation = first.json()["generation"].as_u64().unwrap();

    let expected = [
        (FailureMode::Error500, FailureKind::Status),
        (FailureMode::Corrupt, FailureKind::Corrupt),
        (FailureMode::Truncated, FailureKind::Truncated),
        (FailureMode::Slow, FailureKind::Timeout),
        (FailureMode::Empty, FailureKind::Empty),
        (FailureMode::WrongSchema, FailureKind::Schema),
    ];
    for (mode, kind) in expected {
        producer.set_mode(mode);
        // The producer moves on meanwhile: a new snapshot the source never gets.
        producer.tick();
        let err = source.poll_once().await.unwrap_err();
        assert_eq!(err.kind(), kind, "{mode}: {err}");
        assert_eq!(stats.failures(kind), 1, "{mode}");

        let elapsed = u64::try_from(published.elapsed().as_millis()).unwrap();
        let a = get(&c, &get_metric).await;
        let j = a.json();
        assert_eq!(a.status, 200, "{mode}");
        assert_eq!(j["value"], good, "{mode}: last good value still served");
        assert_eq!(j["generation"].as_u64().unwrap(), generation, "{mode}");
        let age = j["data_age_ms"].as_u64().unwrap();
        assert!(
            age + 1 >= elapsed && age <= elapsed + 1_000,
            "{mode}: age {age} ms, {elapsed} ms since publish"
        );
        assert!(a.age_header.unwrap() + 1 >= elapsed, "{mode}");

        let h = get(&c, &format!("{api}/health")).await.json();
        assert_eq!(h["status"], "ok");
        assert_eq!(h["source"]["state"], "failing");
        assert_eq!(h["source"]["last_failure_kind"], kind.as_str());
        assert_eq!(h["source"]["failures"][kind.as_str()], 1);
        assert!(h["data_age_ms"].as_u64().unwrap() + 1 >= elapsed);

        let m = get(&c, &format!("{api}/metrics")).await.text();
        let line =
            format!("nocwatch_ingest_failures_total{{source=\"fabric\",kind=\"{kind}\"}} 1\n");
        assert!(m.contains(&line), "{mode}: missing {line:?}");
        assert!(m.contains("nocwatch_ingest_up{source=\"fabric\"} 0\n"));
        assert!(m.contains("nocwatch_ingest_data_age_seconds{source=\"fabric\"} "));
    }
    assert_eq!(stats.failures_total(), 6);
    assert_eq!(stats.consecutive_failures(), 6);

    // Per-request mode override, and recovery.
    producer.set_mode(FailureMode::Ok);
    let r = get(&c, &format!("{}?mode=ERROR_500", source.config().url)).await;
    assert_eq!(r.status, 500);
    source.poll_once().await.unwrap();
    let a = get(&c, &get_metric).await.json();
    assert_eq!(a["generation"].as_u64().unwrap(), generation + 1);
    assert_eq!(a["value"], producer_value(&producer, "SW-05", 7));
    assert!(a["data_age_ms"].as_u64().unwrap() < 1_000);
    let m = get(&c, &format!("{api}/metrics")).await.text();
    assert!(m.contains("nocwatch_ingest_up{source=\"fabric\"} 1\n"));
    assert!(
        m.contains("nocwatch_ingest_phase_seconds_count{source=\"fabric\",phase=\"swap\"} 2\n"),
        "{m}"
    );
    assert!(m.contains("nocwatch_http_request_duration_seconds_count{route=\"GetMetric\"}"));
}

fn matrix(switches: usize, value: f64) -> Batch {
    let mut b = Batch::with_capacity(switches * 11);
    for s in 1..=switches {
        let name: Arc<str> = format!("SW-{s:02}").into();
        for m in nocwatch_telemetry::schema::METRICS {
            b.push(Arc::clone(&name), m.name, value, 1);
        }
    }
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_during_a_thousand_swaps_only_see_complete_snapshots() {
    let store = Arc::new(Store::new(4).unwrap());
    store.replace(matrix(50, 0.0)).unwrap();
    let stats = Arc::new(IngestStats::default());
    let api = start_api(ApiState::new(
        Arc::clone(&store),
        stats,
        ApiConfig::default(),
    ))
    .await;

    let writer = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || {
            for k in 1..=1_000u32 {
                store.replace(matrix(50, f64::from(k))).unwrap();
                std::thread::sleep(Duration::from_micros(300));
            }
        })
    };
    // In-process readers on the raw store, and HTTP readers through the API.
    let raw = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || {
            let mut checked = 0u64;
            let mut last_gen = 0;
            loop {
                let snap = store.load();
                let g = snap.generation();
                assert!(g >= last_gen);
                last_gen = g;
                assert_eq!(snap.len(), 550);
                let v = snap.series().next().unwrap().latest().value;
                assert!(
                    snap.series().all(|s| s.latest().value == v),
                    "mixed snapshot at generation {g}"
                );
                assert_eq!(v, f64::from(u32::try_from(g - 1).unwrap()));
                checked += 1;
                if g == 1_001 {
                    return checked;
                }
            }
        })
    };
    let mut readers = Vec::new();
    for _ in 0..3 {
        let url = format!("{api}/telemetry/ListMetrics");
        readers.push(tokio::spawn(async move {
            let c = client();
            let mut checked = 0u64;
            let mut last_gen = 0;
            loop {
                let j = get(&c, &url).await.json();
                let g = j["generation"].as_u64().unwrap();
                assert!(g >= last_gen);
                last_gen = g;
                let switches = j["switches"].as_array().unwrap();
                assert_eq!(switches.len(), 50);
                let v = &switches[0]["metrics"]["Bytes_In"];
                for s in switches {
                    let m = s["metrics"].as_object().unwrap();
                    assert_eq!(m.len(), 11);
                    assert!(m.values().all(|x| x == v), "mixed answer at generation {g}");
                }
                checked += 1;
                if g == 1_001 {
                    return checked;
                }
            }
        }));
    }
    writer.join().unwrap();
    let raw_checked = raw.join().unwrap();
    let mut http_checked = 0;
    for r in readers {
        http_checked += r.await.unwrap();
    }
    assert!(
        raw_checked > 1_000 && http_checked > 30,
        "{raw_checked} raw, {http_checked} HTTP reads"
    );
}

#[tokio::test]
async fn errors_are_json_with_the_right_status() {
    let store = Arc::new(Store::new(4).unwrap());
    store.replace(matrix(3, 7.0)).unwrap();
    let api = start_api(ApiState::new(
        store,
        Arc::new(IngestStats::default()),
        ApiConfig::default(),
    ))
    .await;
    let c = client();
    let cases = [
        (
            "/telemetry/GetMetric?metric_name=Bytes_In",
            400,
            "missing_parameter",
            "switch_id",
        ),
        (
            "/telemetry/GetMetric?switch_id=SW-01",
            400,
            "missing_parameter",
            "metric_name",
        ),
        (
            "/telemetry/GetMetric?switch_id=&metric_name=Bytes_In",
            400,
            "missing_parameter",
            "switch_id",
        ),
        (
            "/telemetry/GetMetric",
            400,
            "missing_parameter",
            "switch_id",
        ),
        (
            "/telemetry/GetMetric?switch_id=SW-77&metric_name=Bytes_In",
            404,
            "unknown_switch",
            "SW-77",
        ),
        (
            "/telemetry/GetMetric?switch_id=SW-01&metric_name=Nope",
            404,
            "unknown_metric",
            "Nope",
        ),
        (
            "/telemetry/ListMetrics?switch_id=SW-01,SW-09",
            404,
            "unknown_switch",
            "SW-09",
        ),
        (
            "/telemetry/ListMetrics?limit=x",
            400,
            "invalid_parameter",
            "limit",
        ),
        ("/no/such/route", 404, "not_found", "route"),
    ];
    for (path, status, code, mention) in cases {
        let a = get(&c, &format!("{api}{path}")).await;
        assert_eq!(a.status, status, "{path}");
        assert_eq!(a.content_type, "application/json", "{path}");
        let j = a.json();
        assert_eq!(j["error"], code, "{path}");
        assert!(
            j["message"].as_str().unwrap().contains(mention),
            "{path}: {j}"
        );
        assert!(
            j["data_age_ms"].is_u64(),
            "{path}: every answer carries the data age"
        );
        assert!(a.age_header.is_some(), "{path}");
    }
    let ok = get(
        &c,
        &format!("{api}/telemetry/GetMetric?switch_id=SW-02&metric_name=Temperature_C"),
    )
    .await;
    assert_eq!(ok.status, 200);
    let j = ok.json();
    assert_eq!(j["switch_id"], "SW-02");
    assert_eq!(j["metric_name"], "Temperature_C");
    assert_eq!(j["value"], 7.0);
    assert_eq!(j["generation"], 1);
}

#[tokio::test]
async fn list_metrics_filters_and_openapi() {
    let store = Arc::new(Store::new(4).unwrap());
    store.replace(matrix(120, 1.5)).unwrap();
    let api = start_api(ApiState::new(
        store,
        Arc::new(IngestStats::default()),
        ApiConfig::default(),
    ))
    .await;
    let c = client();
    let all = get(&c, &format!("{api}/telemetry/ListMetrics"))
        .await
        .json();
    assert_eq!(all["count"], 120);
    assert_eq!(all["switches"][119]["switch_id"], "SW-120");
    assert_eq!(all["switches"][0]["metrics"].as_object().unwrap().len(), 11);
    let some = get(
        &c,
        &format!(
            "{api}/telemetry/ListMetrics?switch_id=SW-05&switch_id=SW-100&metric_prefix=Latency_"
        ),
    )
    .await
    .json();
    assert_eq!(some["count"], 2);
    let m = some["switches"][1]["metrics"].as_object().unwrap();
    assert_eq!(
        m.keys().collect::<Vec<_>>(),
        ["Latency_Avg_uSec", "Latency_P99_uSec"]
    );
    let page = get(
        &c,
        &format!("{api}/telemetry/ListMetrics?switch_prefix=SW-1&offset=2&limit=3"),
    )
    .await
    .json();
    let ids: Vec<_> = page["switches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["switch_id"].clone())
        .collect();
    assert_eq!(ids, ["SW-12", "SW-13", "SW-14"], "SW-10, SW-11 skipped");

    let doc = get(&c, &format!("{api}/openapi.json")).await;
    assert_eq!(doc.status, 200);
    let doc = doc.json();
    assert_eq!(doc["openapi"], "3.1.0");
    for p in [
        "/telemetry/GetMetric",
        "/telemetry/ListMetrics",
        "/health",
        "/metrics",
    ] {
        assert!(doc["paths"][p]["get"].is_object(), "{p}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sharded_servers_share_one_port_and_stop_on_signal() {
    let store = Arc::new(Store::new(4).unwrap());
    store.replace(matrix(5, 3.0)).unwrap();
    let state = ApiState::new(
        store,
        Arc::new(IngestStats::default()),
        ApiConfig::default(),
    );
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let server = nocwatch_api::serve_sharded("127.0.0.1:0".parse().unwrap(), 3, state, &stop_rx)
        .await
        .unwrap();
    let addr = server.local_addr();
    assert_ne!(addr.port(), 0);
    // Separate connections (fresh clients) land on any of the three threads.
    for _ in 0..12 {
        let a = get(
            &client(),
            &format!("http://{addr}/telemetry/GetMetric?switch_id=SW-03&metric_name=CPU_Util_Pct"),
        )
        .await;
        assert_eq!(a.status, 200);
        assert_eq!(a.json()["value"], 3.0);
    }
    // A second sharded server cannot take a port bound without SO_REUSEPORT by another.
    let plain = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = plain.local_addr().unwrap();
    let state2 = ApiState::new(
        Arc::new(Store::new(1).unwrap()),
        Arc::new(IngestStats::default()),
        ApiConfig::default(),
    );
    assert!(
        nocwatch_api::serve_sharded(taken, 2, state2, &stop_rx)
            .await
            .is_err()
    );
    stop_tx.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server.wait())
        .await
        .unwrap()
        .unwrap();
}

/// Reads from `s` until `n` complete answers (headers + content-length body)
/// have arrived; returns them as text.
async fn read_answers(s: &mut tokio::net::TcpStream, n: usize) -> Vec<String> {
    use tokio::io::AsyncReadExt as _;
    let mut buf = Vec::new();
    let mut answers = Vec::new();
    while answers.len() < n {
        let mut chunk = [0u8; 4096];
        let got = tokio::time::timeout(Duration::from_secs(5), s.read(&mut chunk))
            .await
            .expect("answer in time")
            .unwrap();
        assert!(got > 0, "connection closed after {} answers", answers.len());
        buf.extend_from_slice(&chunk[..got]);
        loop {
            let text = String::from_utf8_lossy(&buf).into_owned();
            let Some(head_end) = text.find("\r\n\r\n") else {
                break;
            };
            let len: usize = text[..head_end]
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map_or(0, |v| v.trim().parse().unwrap());
            if buf.len() < head_end + 4 + len {
                break;
            }
            answers.push(text[..head_end + 4 + len].to_owned());
            buf.drain(..head_end + 4 + len);
        }
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_keep_alive_answers_and_graceful_stop() {
    use tokio::io::AsyncWriteExt as _;
    let store = Arc::new(Store::new(4).unwrap());
    store.replace(matrix(5, 4.0)).unwrap();
    let state = ApiState::new(
        store,
        Arc::new(IngestStats::default()),
        ApiConfig::default(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(nocwatch_api::serve(listener, Arc::clone(&state), async {
        let _ = stop_rx.await;
    }));
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    // Four pipelined requests in one write, answered in order: GetMetric
    // (an escaped name in the query), a POST to it (405), a GetMetric
    // without metric_name (400) and /health.
    s.write_all(
        b"GET /telemetry/GetMetric?switch_id=SW-02&metric_name=Bytes%5FIn HTTP/1.1\r\nhost: x\r\n\r\n\
          POST /telemetry/GetMetric?switch_id=SW-02&metric_name=Bytes_In HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n\
          GET /telemetry/GetMetric?switch_id=SW-02 HTTP/1.1\r\nhost: x\r\n\r\n\
          GET /health HTTP/1.1\r\nhost: x\r\n\r\n",
    )
    .await
    .unwrap();
    let answers = read_answers(&mut s, 4).await;
    assert!(answers[0].starts_with("HTTP/1.1 200 "), "{}", answers[0]);
    assert!(answers[0].contains("x-data-age-ms: "), "{}", answers[0]);
    assert!(
        answers[0].contains("content-type: application/json"),
        "{}",
        answers[0]
    );
    assert!(answers[0].contains(r#""value":4.0"#), "{}", answers[0]);
    assert!(answers[1].starts_with("HTTP/1.1 405 "), "{}", answers[1]);
    assert!(answers[2].starts_with("HTTP/1.1 400 "), "{}", answers[2]);
    assert!(
        answers[2].contains(r#""error":"missing_parameter""#),
        "{}",
        answers[2]
    );
    assert!(answers[2].contains("x-data-age-ms: "), "{}", answers[2]);
    assert!(answers[3].starts_with("HTTP/1.1 200 "), "{}", answers[3]);
    // The GetMetric requests are in the request metrics.
    s.write_all(b"GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let metrics = read_answers(&mut s, 1).await.remove(0);
    assert!(
        metrics.contains(r#"nocwatch_http_request_duration_seconds_count{route="GetMetric"} 2"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"nocwatch_http_responses_total{route="GetMetric",code="2xx"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"nocwatch_http_responses_total{route="GetMetric",code="4xx"} 1"#),
        "{metrics}"
    );
    // The connection stays open, idle; stopping closes it and the server returns.
    stop_tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("server stops with an idle keep-alive connection open")
        .unwrap()
        .unwrap();
    let mut rest = Vec::new();
    let n = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::io::AsyncReadExt::read_to_end(&mut s, &mut rest),
    )
    .await
    .expect("connection closed")
    .unwrap_or(0);
    assert_eq!(n, 0, "nothing more after the stop");
}
