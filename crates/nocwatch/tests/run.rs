#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]
//! `nocwatch run` and `nocwatch sim telemetry` as a user runs them: start on
//! random loopback ports, query the endpoints, SIGTERM, exit 0.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nocwatch_testkit::{Nocwatch, NocwatchBuilder, Process, wait_for};

const BIN: &str = env!("CARGO_BIN_EXE_nocwatch");

fn nocwatch() -> Command {
    Command::new(BIN)
}

/// A request through the testkit's HTTP helper; status and body.
fn http(method: &str, url: &str) -> (u16, String) {
    let r = nocwatch_testkit::http::request(
        method,
        url,
        &[],
        b"",
        nocwatch_testkit::http::HTTP_TIMEOUT,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (r.status, r.body)
}

/// Reads stdout lines until one contains `needle`; returns the URL starting
/// at `http://` on that line. (`sim telemetry` prints no ready line.)
fn url_on_line(lines: &mut impl Iterator<Item = String>, needle: &str) -> String {
    for line in lines.by_ref() {
        if line.contains(needle) {
            let start = line.find("http://").unwrap();
            return line[start..].split_whitespace().next().unwrap().to_owned();
        }
    }
    panic!("no line with {needle:?} on stdout");
}

/// SIGTERM; the exit status, which must come within 15 s.
fn terminate(p: &mut Nocwatch) -> std::process::ExitStatus {
    p.terminate(Duration::from_secs(15))
        .unwrap_or_else(|e| panic!("{e}; stderr:\n{}", p.stderr()))
}

/// GETs `url` until it answers 200 (at most 20 s); returns the JSON body.
fn get_json_when_ok(url: &str) -> serde_json::Value {
    wait_for(&format!("200 from {url}"), Duration::from_secs(20), || {
        let (status, body) = http("GET", url);
        (status == 200).then(|| serde_json::from_str(&body).unwrap())
    })
}

#[test]
fn run_lab_answers_then_stops_cleanly_on_sigterm() {
    let mut p = Nocwatch::start(
        BIN,
        [
            "run",
            "--api",
            "127.0.0.1:0",
            "--producer",
            "127.0.0.1:0",
            "--tick",
            "200ms",
            "--poll-interval",
            "200ms",
            "--snmp-devices",
            "5",
            "--snmp-interval",
            "300ms",
            "--flap-interval",
            "500ms",
        ],
    )
    .unwrap();
    // Addresses from the ready line, not the banner.
    let api = p.base_url("api");
    let producer = format!("{}/counters", p.base_url("producer"));
    let devices = p.addrs("snmp_sim");
    assert_eq!(devices.len(), 5, "{}", p.ready().line());
    assert_eq!(devices[0].ip().to_string(), "127.1.0.1");
    let get_metric =
        format!("{api}/telemetry/GetMetric?switch_id=SW-05&metric_name=Latency_Avg_uSec");
    let snmp_metric =
        format!("{api}/telemetry/GetMetric?switch_id=127.1.0.1&metric_name=ifHCInOctets.1");
    // The banner (for people) still shows both examples.
    let mut banner = std::iter::from_fn(|| p.next_stdout_line(Duration::from_secs(10)));
    url_on_line(&mut banner, &get_metric);
    url_on_line(&mut banner, &format!("'{snmp_metric}'"));
    let snmp_metric = snmp_metric.as_str();

    // The first poll happens at start; wait for it.
    let v = get_json_when_ok(&get_metric);
    assert_eq!(v["switch_id"], "SW-05");
    assert!(v["value"].as_f64().unwrap() > 0.0);
    assert!(v["data_age_ms"].is_u64());

    // 50 fabric switches and 5 SNMP devices in one store, once the first SNMP
    // cycle is in (it may finish after the first CSV poll).
    let list = format!("{api}/telemetry/ListMetrics");
    wait_for("55 series in ListMetrics", Duration::from_secs(20), || {
        let v = get_json_when_ok(&list);
        (v["count"] == 55).then_some(())
    });

    // SNMP: the first cycle's counter, then a later cycle's, with a rate.
    let first = get_json_when_ok(snmp_metric);
    assert_eq!(first["switch_id"], "127.1.0.1");

    // Once both sources have published: 50 fabric switches and 5 SNMP devices
    // in one store (the first SNMP cycle may end after the first CSV fetch).
    let (status, body) = http("GET", &format!("{api}/telemetry/ListMetrics"));
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["count"], 55, "{v}");
    let deadline = Instant::now() + Duration::from_secs(5);
    let second = loop {
        let v = get_json_when_ok(snmp_metric);
        if v["observed_at_unix_ms"].as_u64() > first["observed_at_unix_ms"].as_u64()
            || Instant::now() > deadline
        {
            break v;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        second["observed_at_unix_ms"].as_u64() > first["observed_at_unix_ms"].as_u64(),
        "no second SNMP cycle: {first} then {second}"
    );
    assert!(
        second["value"].as_f64().unwrap() >= first["value"].as_f64().unwrap(),
        "{first} then {second}"
    );
    // The CSV source replaces its matrix every 200 ms: the SNMP series stay.
    let csv_cycles = |h: &serde_json::Value| h["source"]["cycles_ok"].as_u64().unwrap();
    let before =
        csv_cycles(&serde_json::from_str(&http("GET", &format!("{api}/health")).1).unwrap());
    wait_for("a CSV cycle", Duration::from_secs(20), || {
        let h = get_json_when_ok(&format!("{api}/health"));
        (csv_cycles(&h) > before).then_some(())
    });
    let (status, body) = http("GET", snmp_metric);
    assert_eq!(
        status, 200,
        "SNMP series dropped by the CSV replace: {body}"
    );
    let rate = get_json_when_ok(&format!("{snmp_metric}.per_second"));
    assert!(rate["value"].as_f64().unwrap() >= 0.0, "{rate}");
    let (status, body) = http("GET", &format!("{api}/health"));
    assert_eq!(status, 200);
    let h: serde_json::Value = serde_json::from_str(&body).unwrap();
    let snmp = h["other_sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "snmp")
        .unwrap_or_else(|| panic!("no snmp source in {h}"));
    assert!(
        h["other_sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["name"] == "traps"),
        "{h}"
    );
    assert_eq!(snmp["targets"], 5, "{h}");
    assert!(snmp["cycles"].as_u64().unwrap() >= 2, "{h}");
    assert_eq!(snmp["last_cycle"]["timeouts"], 0, "{h}");
    assert!(snmp["last_cycle"]["values"].as_u64().unwrap() > 0, "{h}");

    let (status, body) = http("GET", &producer);
    assert_eq!(status, 200);
    assert!(body.starts_with("Switch_ID,Bytes_In,"));
    let (status, body) = http("GET", &format!("{api}/metrics"));
    assert_eq!(status, 200);
    assert!(body.contains("nocwatch_ingest_phase_seconds_bucket"));
    assert!(body.contains("nocwatch_snmp_values_total{source=\"snmp\"}"));
    assert!(body.contains("nocwatch_snmp_last_cycle_duration_seconds{source=\"snmp\"}"));

    // Break the producer at run time: the API keeps the last good data.
    let base = producer.trim_end_matches("/counters");
    assert_eq!(http("POST", &format!("{base}/mode?mode=ERROR_500")).0, 200);
    let h = wait_for(
        "the CSV source to report failing",
        Duration::from_secs(20),
        || {
            let h = get_json_when_ok(&format!("{api}/health"));
            (h["source"]["state"] == "failing").then_some(h)
        },
    );
    assert!(h["source"]["failures"]["status"].as_u64().unwrap() >= 1);
    assert_eq!(http("GET", &get_metric).0, 200);
    // The fabric's failed cycles leave the SNMP series alone.
    assert_eq!(http("GET", snmp_metric).0, 200);

    // Live trap events from the lab: the simulated devices' interfaces flap and
    // their linkDown / linkUp traps, from their own addresses, reach the trap
    // intake and the API's event log.
    let traps = p.addrs("traps");
    assert_eq!(traps.len(), 1, "{}", p.ready().line());
    let events = wait_for(
        "a linkDown event from a lab device",
        Duration::from_secs(60),
        || {
            let v = get_json_when_ok(&format!("{api}/events?name=linkDown&limit=5"));
            (v["count"].as_u64() > Some(0)).then_some(v)
        },
    );
    let ev = &events["events"][0];
    let resource = ev["resource"].as_str().unwrap();
    assert!(
        devices.iter().any(|d| d.ip().to_string() == resource),
        "linkDown from {resource}, not a lab device: {ev}"
    );
    assert_eq!(ev["severity"], "major", "{ev}");
    assert_eq!(ev["origin"]["type"], "trap", "{ev}");
    assert_eq!(ev["bindings"][1]["value"], "1.3.6.1.6.3.1.1.5.3", "{ev}");
    // Filters: by resource, and a severity floor that a linkDown does not reach.
    let v = get_json_when_ok(&format!("{api}/events?resource={resource}&name=linkDown"));
    assert!(v["count"].as_u64() > Some(0), "{v}");
    let v = get_json_when_ok(&format!("{api}/events?severity=critical&name=linkDown"));
    assert_eq!(v["count"], 0, "{v}");

    let status = terminate(&mut p);
    assert!(status.success(), "exit status {status:?}");
    let err = p.stderr();
    assert!(err.contains("SIGTERM, shutting down"), "{err}");
}

/// `nocwatch run --config` with `[traps]`: a trap sent by net-snmp's snmptrap
/// comes out of `/events`; `nocwatch check` accepts the file and names its
/// components, and refuses a broken one with every problem.
#[test]
fn run_config_takes_traps_and_check_validates() {
    let Some(snmptrap) = nocwatch_testkit::program_or_skip("snmptrap") else {
        return;
    };
    let dir = nocwatch_testkit::TempDir::new("nocwatch-run-traps").unwrap();
    let path = dir.path().join("nocwatch.toml");
    std::fs::write(
        &path,
        format!(
            "[api]\nlisten = \"127.0.0.1:0\"\nthreads = 1\ntoken = \"env:NOCWATCH_TEST_TOKEN\"\n\
             [traps]\nlisten = [\"127.0.0.1:0\"]\njournal = \"{}\"\ncommunities = [\"public\"]\n",
            dir.path().join("journal").display()
        ),
    )
    .unwrap();
    const TOKEN: &str = "a-test-token-0123456789";
    let out = nocwatch()
        .args(["check", "--config", path.to_str().unwrap()])
        .env("NOCWATCH_TEST_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("valid") && said.contains("traps on 127.0.0.1:0"),
        "{said}"
    );

    let mut p = NocwatchBuilder::new(BIN)
        .unwrap()
        .args(["run", "--config", path.to_str().unwrap()])
        .env("NOCWATCH_TEST_TOKEN", TOKEN)
        .start()
        .unwrap();
    let api = p.base_url("api");
    let trap_addr = p.addrs("traps")[0];
    // The token from the environment guards the reload; the reload re-reads the
    // file and hands it to the trap intake.
    let reload = |auth: &str| {
        nocwatch_testkit::http::request(
            "POST",
            &format!("{api}/admin/reload"),
            &[("authorization", auth)],
            b"",
            Duration::from_secs(30),
        )
        .unwrap()
    };
    assert_eq!(reload("Bearer wrong").status, 401);
    let r = reload(&format!("Bearer {TOKEN}"));
    assert_eq!(r.status, 200, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert!(v["report"]["traps"]["rules"].as_u64() > Some(100), "{v}");
    let out = Command::new(&snmptrap)
        .args([
            "-v",
            "2c",
            "-c",
            "public",
            &trap_addr.to_string(),
            "",
            ".1.3.6.1.6.3.1.1.5.3",
            ".1.3.6.1.2.1.2.2.1.1.7",
            "i",
            "7",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = wait_for("the trap in /events", Duration::from_secs(30), || {
        let v = get_json_when_ok(&format!("{api}/events"));
        (v["count"].as_u64() > Some(0)).then_some(v)
    });
    assert_eq!(v["events"][0]["name"], "linkDown", "{v}");
    assert_eq!(v["events"][0]["resource"], "127.0.0.1", "{v}");
    let status = terminate(&mut p);
    assert!(status.success(), "exit status {status:?}");

    std::fs::write(
        &path,
        "[api]\nthreads = 100\n[traps]\nrate_limit = -1.0\ndedup_window = \"7\"\n",
    )
    .unwrap();
    let out = nocwatch()
        .args(["check", "--config", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("dedup_window") || err.contains("unit"),
        "{err}"
    );
}

#[test]
fn sim_telemetry_serves_modes_and_stops_on_sigterm() {
    // `sim telemetry` prints no ready line: its banner gives the URL.
    let mut child = Process::spawn(
        "nocwatch sim telemetry",
        nocwatch()
            .args([
                "sim",
                "telemetry",
                "--listen",
                "127.0.0.1:0",
                "--switches",
                "120",
            ])
            .stdout(Stdio::piped()),
    )
    .unwrap();
    let stdout = child.take_stdout().unwrap();
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let url = url_on_line(&mut lines, "/counters");
    let url = url.trim_end_matches(',').to_owned();
    let (status, body) = http("GET", &url);
    assert_eq!(status, 200);
    assert_eq!(body.lines().count(), 121);
    assert!(body.lines().any(|l| l.starts_with("SW-120,")));
    assert_eq!(http("GET", &format!("{url}?mode=ERROR_500")).0, 500);
    let (status, body) = http("GET", &format!("{url}?mode=EMPTY"));
    assert_eq!((status, body.as_str()), (200, ""));
    let (_, body) = http("GET", &format!("{url}?mode=WRONG_SCHEMA"));
    assert!(body.starts_with("Switch_ID,") && body.contains("Latency_Avg_mSec"));
    assert_eq!(http("GET", &format!("{url}?mode=BOGUS")).0, 400);
    // A SLOW request in flight (60 s) does not hold the exit past the drain period.
    let slow = url.clone();
    std::thread::spawn(move || {
        let rest = slow.strip_prefix("http://").unwrap();
        let (host, path) = rest.split_at(rest.find('/').unwrap());
        let mut s = TcpStream::connect(host).unwrap();
        let _ = write!(
            s,
            "GET {path}?mode=SLOW&delay_ms=60000 HTTP/1.1\r\nHost: {host}\r\n\r\n"
        );
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
    });
    std::thread::sleep(Duration::from_millis(200));
    let stopped = Instant::now();
    assert!(child.terminate(Duration::from_secs(15)).unwrap().success());
    assert!(
        stopped.elapsed() < Duration::from_secs(12),
        "{:?}",
        stopped.elapsed()
    );
}

#[test]
fn run_rejects_a_config_with_an_unknown_field() {
    let dir = nocwatch_testkit::TempDir::new("nocwatch-run-bad").unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "[http_csv]\nurl = \"http://127.0.0.1:9/counters\"\npoll_every = \"5s\"\n",
    )
    .unwrap();
    let out = nocwatch()
        .args(["run", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown field `poll_every`"), "{err}");
}

/// With a config file that has only an `[snmp]` source (no CSV source), it polls a
/// real agent (net-snmp's snmpd on a random loopback port): its values are served
/// by GetMetric under the agent's
/// address, equal to what snmpget reads, and they advance from cycle to cycle; a
/// second target that never answers is counted as a timeout every cycle and does
/// not hold the first one's values back.
#[test]
fn run_config_polls_snmpd_into_the_store() {
    nocwatch_testkit::require_snmp!();
    let agent = nocwatch_testkit::Snmpd::start().unwrap();
    let silent = nocwatch_testkit::free_udp_port().unwrap();
    let builder = NocwatchBuilder::new(BIN).unwrap();
    let config = builder
        .file(
            "nocwatch.toml",
            &format!(
                "[api]\nlisten = \"127.0.0.1:0\"\nthreads = 0\n\
             [snmp]\nname = \"lab-snmpd\"\ntargets = [\"127.0.0.1\", \"127.0.0.1:{silent}\"]\n\
             port = {}\ninterval = \"300ms\"\ntimeout = \"100ms\"\nretries = 0\n\
             walks = [\"1.3.6.1.2.1.1.3\", \"1.3.6.1.2.1.2.1\", \"1.3.6.1.2.1.2.2.1.10\"]\n",
                agent.port()
            ),
        )
        .unwrap();
    let mut p = builder
        .arg("run")
        .arg("--config")
        .arg(&config)
        .start()
        .unwrap();
    let api = p.base_url("api");
    assert!(
        p.ready().json().get("producer").is_none(),
        "{}",
        p.ready().line()
    );

    let uptime_url =
        format!("{api}/telemetry/GetMetric?switch_id=127.0.0.1&metric_name=sysUpTime.0");
    let first = get_json_when_ok(&uptime_url);
    // ifNumber.0 has no name of its own: its dotted OID is the metric.
    let if_number = get_json_when_ok(&format!(
        "{api}/telemetry/GetMetric?switch_id=127.0.0.1&metric_name=1.3.6.1.2.1.2.1.0"
    ));
    let want = nocwatch_testkit::net_snmp_tool(
        "snmpget",
        &[
            "-v2c",
            "-c",
            "public",
            "-On",
            &agent.target(),
            "1.3.6.1.2.1.2.1.0",
        ],
    )
    .unwrap()
    .success_or_err()
    .unwrap();
    let want = want.varbinds()[0].integer().unwrap();
    assert_eq!(
        if_number["value"].as_f64().unwrap() as i128,
        want,
        "{if_number}"
    );
    // ifInOctets of interface 1 (lo) and its rate after a second cycle.
    get_json_when_ok(&format!(
        "{api}/telemetry/GetMetric?switch_id=127.0.0.1&metric_name=ifInOctets.1"
    ));
    let deadline = Instant::now() + Duration::from_secs(5);
    let second = loop {
        let v = get_json_when_ok(&uptime_url);
        if v["value"].as_f64() > first["value"].as_f64() || Instant::now() > deadline {
            break v;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        second["value"].as_f64() > first["value"].as_f64(),
        "sysUpTime did not advance: {first} then {second}"
    );
    get_json_when_ok(&format!(
        "{api}/telemetry/GetMetric?switch_id=127.0.0.1&metric_name=ifInOctets.1.per_second"
    ));
    let (status, body) = http("GET", &format!("{api}/health"));
    assert_eq!(status, 200);
    let h: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(h["other_sources"][0]["name"], "lab-snmpd", "{h}");
    assert!(h["source"].is_null(), "no CSV source: {h}");
    assert_eq!(h["status"], "ok", "{h}");
    let snmp = &h["other_sources"][0];
    assert_eq!(snmp["targets"], 2, "{h}");
    assert!(snmp["timeouts_total"].as_u64().unwrap() >= 2, "{h}");
    assert_eq!(snmp["last_cycle"]["complete"], 1, "{h}");
    assert_eq!(snmp["last_cycle"]["timeouts"], 1, "{h}");
    let (_, metrics) = http("GET", &format!("{api}/metrics"));
    assert!(
        metrics.contains("nocwatch_snmp_last_cycle_timeouts{source=\"lab-snmpd\"} 1"),
        "{metrics}"
    );
    assert!(!metrics.contains("nocwatch_ingest_"), "{metrics}");

    let status = terminate(&mut p);
    assert!(status.success(), "exit status {status:?}");
}
