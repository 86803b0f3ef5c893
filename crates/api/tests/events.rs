#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]
//! Per-source data age, the events routes (list, filters, live stream with
//! Last-Event-ID replay) and the token-guarded reload, over real HTTP.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use nocwatch_api::{ApiConfig, ApiState};
use nocwatch_model::{Event, Origin, ResourceId, Severity};
use nocwatch_store::{Batch, Store, unix_nanos};
use serde_json::Value;
use tokio::net::TcpListener;

type HttpClient = Client<HttpConnector, Empty<Bytes>>;

fn client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build(HttpConnector::new())
}

async fn start_api(state: Arc<ApiState>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(nocwatch_api::serve(listener, state, std::future::pending()));
    format!("http://{addr}")
}

async fn get(c: &HttpClient, url: &str) -> (u16, Option<u64>, Value) {
    let r = c.get(url.parse().unwrap()).await.unwrap();
    let status = r.status().as_u16();
    let age = r
        .headers()
        .get("x-data-age-ms")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    let body = r.into_body().collect().await.unwrap().to_bytes();
    (status, age, serde_json::from_slice(&body).unwrap())
}

fn event(resource: &str, name: &str, severity: Severity) -> Event {
    let now = unix_nanos(SystemTime::now());
    Event {
        seq: 0,
        unix_ns: now,
        last_unix_ns: now,
        resource: ResourceId::new(resource),
        origin: Origin::Internal {
            component: "test".to_owned(),
        },
        name: Arc::from(name),
        severity,
        occurrences: 1,
        bindings: Vec::new(),
    }
}

/// The defect of issue 12 item 3: before, the SNMP poller's publishes made a
/// failing CSV source's values look fresh (data age was the snapshot's).
#[tokio::test]
async fn a_failing_source_looks_stale_while_another_publishes() {
    let store = Arc::new(Store::new(4).unwrap());
    let old = SystemTime::now() - Duration::from_secs(120);
    store
        .replace_matrix_from(
            "fabric",
            &["SW-05"],
            &["Latency_Avg_uSec"],
            &[7.0],
            unix_nanos(old),
        )
        .unwrap();
    let mut b = Batch::new();
    b.push(
        "127.1.0.1",
        "sysUpTime.0",
        1.0,
        unix_nanos(SystemTime::now()),
    );
    store.publish_from("snmp", b).unwrap();
    let state = ApiState::others_only(
        Arc::clone(&store),
        ApiConfig {
            stale_after: Duration::from_secs(30),
            ..ApiConfig::default()
        },
        Vec::new(),
    );
    let base = start_api(state).await;
    let c = client();
    let (status, age, body) = get(
        &c,
        &format!("{base}/telemetry/GetMetric?switch_id=SW-05&metric_name=Latency_Avg_uSec"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body["data_age_ms"].as_u64().unwrap() >= 120_000, "{body}");
    assert!(age.unwrap() >= 120_000);
    let (_, _, body) = get(
        &c,
        &format!("{base}/telemetry/GetMetric?switch_id=127.1.0.1&metric_name=sysUpTime.0"),
    )
    .await;
    assert!(body["data_age_ms"].as_u64().unwrap() < 30_000, "{body}");
    // ListMetrics: per switch, its own age and owner; the answer's age is the oldest.
    let (_, age, body) = get(&c, &format!("{base}/telemetry/ListMetrics")).await;
    let switches = body["switches"].as_array().unwrap();
    let sw = switches.iter().find(|s| s["switch_id"] == "SW-05").unwrap();
    assert_eq!(sw["source"], "fabric");
    assert!(sw["data_age_ms"].as_u64().unwrap() >= 120_000);
    let dev = switches
        .iter()
        .find(|s| s["switch_id"] == "127.1.0.1")
        .unwrap();
    assert_eq!(dev["source"], "snmp");
    assert!(dev["data_age_ms"].as_u64().unwrap() < 30_000);
    assert!(body["data_age_ms"].as_u64().unwrap() >= 120_000);
    assert!(age.unwrap() >= 120_000);
    // /health lists each source with its own publish count.
    let (_, _, body) = get(&c, &format!("{base}/health")).await;
    let sources = body["store_sources"].as_array().unwrap();
    assert_eq!(sources.len(), 2, "{body}");
    assert!(sources.iter().all(|s| s["publishes"] == 1));
}

#[tokio::test]
async fn events_list_and_filters() {
    let state = ApiState::others_only(
        Arc::new(Store::new(4).unwrap()),
        ApiConfig::default(),
        Vec::new(),
    );
    let log = Arc::clone(state.events());
    log.push(event("127.1.0.1", "linkDown", Severity::Major));
    log.push(event("127.1.0.2", "coldStart", Severity::Warning));
    log.push(event("127.1.0.1", "linkUp", Severity::Clear));
    let base = start_api(state).await;
    let c = client();
    let (status, _, body) = get(&c, &format!("{base}/events")).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["linkUp", "coldStart", "linkDown"], "newest first");
    let (_, _, body) = get(
        &c,
        &format!("{base}/events?resource=127.1.0.1&severity=major"),
    )
    .await;
    assert_eq!(body["count"], 1);
    assert_eq!(body["events"][0]["name"], "linkDown");
    assert_eq!(body["events"][0]["id"], 1);
    let (_, _, body) = get(&c, &format!("{base}/events?after=1&limit=1")).await;
    assert_eq!(body["events"][0]["id"], 2, "oldest first after an id");
    let (_, _, body) = get(&c, &format!("{base}/events?since=1h&name=linkUp")).await;
    assert_eq!(body["count"], 1);
    let (status, _, body) = get(&c, &format!("{base}/events?severty=major")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unknown_parameter"))
    );
    let (_, _, doc) = get(&c, &format!("{base}/openapi.json")).await;
    for path in ["/events", "/events/stream", "/admin/reload"] {
        assert!(doc["paths"][path].is_object(), "{path} in /openapi.json");
    }
    assert!(doc["components"]["schemas"]["Event"].is_object());
}

/// Reads SSE frames from a streaming body until `n` `event: event` frames came.
async fn read_frames(body: &mut hyper::body::Incoming, n: usize) -> Vec<Value> {
    let mut text = String::new();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while out.len() < n {
        let frame = tokio::time::timeout_at(deadline, body.frame())
            .await
            .expect("SSE frames within 30 s")
            .expect("stream open")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            text.push_str(std::str::from_utf8(&data).unwrap());
        }
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            if block.lines().any(|l| l == "event: event") {
                let data = block
                    .lines()
                    .find_map(|l| l.strip_prefix("data: "))
                    .unwrap();
                out.push(serde_json::from_str(data).unwrap());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_stream_live_and_replay() {
    let state = ApiState::others_only(
        Arc::new(Store::new(4).unwrap()),
        ApiConfig::default(),
        Vec::new(),
    );
    let log = Arc::clone(state.events());
    log.push(event("127.1.0.1", "linkDown", Severity::Major));
    let base = start_api(state).await;
    let c = client();
    // Live, filtered to clears.
    let r = c
        .get(
            format!("{base}/events/stream?severity=clear")
                .parse()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let mut live = r.into_body();
    log.push(event("127.1.0.1", "linkDown", Severity::Major));
    log.push(event("127.1.0.1", "linkUp", Severity::Clear));
    let got = read_frames(&mut live, 1).await;
    assert_eq!(
        (got[0]["name"].as_str(), got[0]["id"].as_u64()),
        (Some("linkUp"), Some(3))
    );
    // A client reconnecting after id 1 gets 2 and 3 from the ring, then live ones.
    let req = hyper::Request::get(format!("{base}/events/stream"))
        .header("last-event-id", "1")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let mut replay = c.request(req).await.unwrap().into_body();
    let got = read_frames(&mut replay, 2).await;
    let ids: Vec<u64> = got.iter().map(|v| v["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [2, 3]);
    log.push(event("127.1.0.3", "coldStart", Severity::Warning));
    let got = read_frames(&mut replay, 1).await;
    assert_eq!(got[0]["id"], 4);
    // close() ends the streams (what the service does at shutdown).
    log.close();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match tokio::time::timeout_at(deadline, replay.frame())
            .await
            .unwrap()
        {
            None => break,
            Some(f) => drop(f.unwrap()),
        }
    }
}

#[tokio::test]
async fn reload_needs_the_token() {
    let state = ApiState::others_only(
        Arc::new(Store::new(4).unwrap()),
        ApiConfig::default(),
        Vec::new(),
    );
    let base = start_api(Arc::clone(&state)).await;
    let c = client();
    let post = |auth: Option<&str>| {
        let mut b = hyper::Request::post(format!("{base}/admin/reload"));
        if let Some(a) = auth {
            b = b.header("authorization", a);
        }
        c.request(b.body(Empty::<Bytes>::new()).unwrap())
    };
    assert_eq!(
        post(Some("Bearer x")).await.unwrap().status(),
        403,
        "admin off without a token"
    );
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&calls);
    assert!(state.enable_admin(
        "s3cret",
        Arc::new(move || {
            if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                Ok(serde_json::json!({"rules": 107}))
            } else {
                Err("rules.toml line 3: unknown severity".to_owned())
            }
        })
    ));
    assert_eq!(post(None).await.unwrap().status(), 401);
    assert_eq!(post(Some("Bearer s3cre")).await.unwrap().status(), 401);
    let r = post(Some("Bearer s3cret")).await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value =
        serde_json::from_slice(&r.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["report"]["rules"], 107);
    let r = post(Some("Bearer s3cret")).await.unwrap();
    assert_eq!(r.status(), 422);
    let body: Value =
        serde_json::from_slice(&r.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(body["error"], "reload_refused");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

/// The API over TLS: a self-signed certificate for localhost, a rustls client
/// that trusts only it, one request.
#[tokio::test]
async fn serves_tls() {
    use std::io::Write as _;

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = std::env::temp_dir().join(format!("nocwatch-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::File::create(&cert_path)
        .unwrap()
        .write_all(cert.cert.pem().as_bytes())
        .unwrap();
    std::fs::File::create(&key_path)
        .unwrap()
        .write_all(cert.key_pair.serialize_pem().as_bytes())
        .unwrap();
    // A key file that is not a key is refused with the file's name.
    let Err(err) = nocwatch_api::tls::acceptor(&cert_path, &cert_path) else {
        panic!("a certificate as key was accepted")
    };
    assert!(err.to_string().contains("cert.pem"), "{err}");
    let acceptor = nocwatch_api::tls::acceptor(&cert_path, &key_path).unwrap();

    let state = ApiState::others_only(
        Arc::new(Store::new(4).unwrap()),
        ApiConfig::default(),
        Vec::new(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(nocwatch_api::serve_tls(
        listener,
        state,
        std::future::pending(),
        acceptor,
    ));

    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    #[allow(deprecated, reason = "the server uses ring too")]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    tls.write_all(b"GET /events HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tls.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"events\":[]"), "{answer}");
    // Plain HTTP to the TLS port gets no answer.
    let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
    plain
        .write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let _ = plain.read_to_end(&mut buf).await;
    assert!(!String::from_utf8_lossy(&buf).contains("200 OK"));
    std::fs::remove_dir_all(&dir).unwrap();
}
