#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]
//! The service built from a configuration: components start in order, the API
//! answers from what the sources publish, the event log is served, a reload of
//! an invalid file changes nothing, and every component stops cleanly.

use std::time::{Duration, Instant};

use nocwatch_service::{Config, ConfigSource, Service};

fn http_get(addr: &str, path: &str) -> (u16, String) {
    use std::io::{Read as _, Write as _};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

const LAB: &str = r#"
[api]
listen = "127.0.0.1:0"
threads = 1
[producer]
listen = "127.0.0.1:0"
switches = 5
tick = "100ms"
[http_csv]
interval = "100ms"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starts_serves_and_stops_cleanly() {
    let config = Config::parse(LAB).unwrap();
    let dir = std::env::temp_dir().join(format!("nocwatch-service-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("nocwatch.toml");
    std::fs::write(&path, LAB).unwrap();
    let service = Service::start(
        config,
        ConfigSource {
            path: Some(path.clone()),
            overrides: Box::new(|_| {}),
            fallback: Config::parse(LAB).unwrap(),
        },
    )
    .await
    .unwrap();
    let ready = service.ready();
    let api = ready["api"].as_str().unwrap().to_owned();
    assert!(ready["producer"].is_string(), "{ready}");
    assert!(service.banner().iter().any(|l| l.contains("/events")));
    // Wait for the first publish (deadline far above the 100 ms interval).
    let deadline = Instant::now() + Duration::from_secs(60);
    let api2 = api.clone();
    let body = tokio::task::spawn_blocking(move || {
        loop {
            let (status, body) = http_get(
                &api2,
                "/telemetry/GetMetric?switch_id=SW-01&metric_name=Latency_Avg_uSec",
            );
            if status == 200 {
                break body;
            }
            assert!(
                Instant::now() < deadline,
                "no data after 60 s: {status} {body}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    })
    .await
    .unwrap();
    assert!(body.contains("\"data_age_ms\":"), "{body}");
    let api2 = api.clone();
    let (status, body) = tokio::task::spawn_blocking(move || http_get(&api2, "/health"))
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["store_sources"][0]["name"], "fabric", "{body}");
    // A reload of a broken file is refused and changes nothing.
    std::fs::write(&path, "[api]\nthreads = 999\n").unwrap();
    let e = service.reload().unwrap_err();
    assert!(e.contains("api.threads"), "{e}");
    let ended = service.stop().await;
    let names: Vec<&str> = ended.reports.iter().map(|r| r.component.as_str()).collect();
    assert_eq!(
        names,
        ["api", "http_csv", "producer"],
        "reverse start order"
    );
    assert!(ended.reports.iter().all(|r| r.clean), "{:?}", ended.reports);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn config_problems_are_listed_together() {
    let e = Config::parse("[api]\nthreads = 100\n[runtime]\nworker_threads = 0\n").unwrap_err();
    assert!(
        e.contains("api.threads") && e.contains("runtime.worker_threads"),
        "{e}"
    );
    assert!(e.contains("no source"), "{e}");
    let e = Config::parse("[api]\nlisten = \"127.0.0.1:0\"\nbogus = 1\n").unwrap_err();
    assert!(e.contains("bogus"), "{e}");
}

#[test]
fn the_example_and_the_lab_are_valid() {
    let example =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../nocwatch.example.toml");
    let c = Config::load(&example).unwrap();
    let traps = c.traps.as_ref().unwrap();
    assert_eq!(traps.listen, ["127.0.0.1:1162"]);
    assert_eq!(c.service.drain, Duration::from_secs(10));
    Config::lab().check().unwrap();
    assert!(Config::lab().traps.is_some() && Config::lab().snmp_sim.is_some());
}

#[test]
fn secrets_come_from_the_environment_and_files() {
    let dir = std::env::temp_dir().join(format!("nocwatch-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let token = dir.join("token");
    std::fs::write(&token, "0123456789abcdef-token\n").unwrap();
    let text = format!(
        "[api]\ntoken = \"file:{}\"\n[traps]\nlisten = [\"127.0.0.1:0\"]\ncommunities = [\"env:PATH\"]\n",
        token.display()
    );
    let c = Config::parse(&text).unwrap();
    assert_eq!(
        c.api.token.as_ref().unwrap().expose(),
        "0123456789abcdef-token"
    );
    assert_eq!(
        c.traps.unwrap().communities[0].expose(),
        std::env::var("PATH").unwrap()
    );
    let e = Config::parse("[traps]\ncommunities = [\"env:NOCWATCH_UNSET_4711\"]\n").unwrap_err();
    assert!(e.contains("NOCWATCH_UNSET_4711"), "{e}");
    std::fs::write(&token, "short\n").unwrap();
    let e = Config::parse(&format!(
        "[api]\ntoken = \"file:{}\"\n[traps]\n",
        token.display()
    ))
    .unwrap_err();
    assert!(e.contains("api.token"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
