#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]
//! The trap service as a component: real sockets on loopback, reload under
//! traffic, metrics, stats, stop, and the engine identity across restarts.

mod common;

use std::collections::BTreeSet;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::v2c;
use nocwatch_model::Secret;
use nocwatch_snmp::{PduType, Value};
use nocwatch_testkit::TempDir;
use nocwatch_traps::sink::write_json;
use nocwatch_traps::{Event, EventSink, TrapService, TrapsConfig};

const TRAP_OID: &str = "1.3.6.1.4.1.99999.0.1";
const TAG_OID: &str = "1.3.6.1.4.1.99999.1.1";

/// Every event's JSON, shared with the test.
#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<serde_json::Value>>>);

impl EventSink for Collect {
    fn event(&mut self, ev: &Event) {
        let mut s = String::new();
        write_json(ev, &mut s);
        self.0
            .lock()
            .unwrap()
            .push(serde_json::from_str(&s).unwrap());
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Collect {
    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    fn events(&self) -> Vec<serde_json::Value> {
        self.0.lock().unwrap().clone()
    }

    /// Waits (generous deadline) until `n` events arrived.
    fn wait_for(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.len() < n {
            assert!(
                Instant::now() < deadline,
                "{} of {n} events arrived",
                self.len()
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

fn tag_of(ev: &serde_json::Value) -> i64 {
    ev["varbinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["oid"] == TAG_OID)
        .and_then(|v| v["value"].as_i64())
        .unwrap()
}

fn trap(community: &str, tag: i64) -> Vec<u8> {
    v2c(
        PduType::SnmpV2Trap,
        community,
        TRAP_OID,
        &[(TAG_OID, Value::Integer(tag))],
    )
}

fn rules(dir: &TempDir, file: &str, name: &str, severity: &str) -> std::path::PathBuf {
    let path = dir.path().join(file);
    std::fs::write(
        &path,
        format!("[[rule]]\nname = \"{name}\"\noid = \"{TRAP_OID}\"\nseverity = \"{severity}\"\n"),
    )
    .unwrap();
    path
}

fn base() -> TrapsConfig {
    TrapsConfig {
        listen: vec!["127.0.0.1:0".into()],
        sockets: 1,
        rcvbuf: 4 << 20,
        rate_limit: 1e9,
        rate_burst: 1e9,
        dedup_window: Duration::ZERO,
        drain_timeout: Duration::from_secs(5),
        ..TrapsConfig::default()
    }
}

fn addr(s: &TrapService) -> SocketAddr {
    s.local_addrs()[0]
}

#[test]
fn traps_sent_during_a_reload_are_all_delivered_and_the_new_rules_apply_after() {
    let dir = TempDir::new("nocwatch-trap-service").unwrap();
    let mut config = base();
    config.rules = Some(rules(&dir, "a.toml", "before", "minor"));
    config.communities = vec![Secret::literal("public")];
    let sink = Collect::default();
    let service = TrapService::start(&config, Box::new(sink.clone())).unwrap();
    let to = addr(&service);

    // A sender that never stops until told, at most 200 traps ahead of delivery
    // (loopback never overflows then, so every loss would be the service's).
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let (sent, stop, sink) = (Arc::clone(&sent), Arc::clone(&stop), sink.clone());
        std::thread::spawn(move || {
            let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                if i - sink.len() as u64 > 200 {
                    std::thread::yield_now();
                    continue;
                }
                sock.send_to(&trap("public", i as i64), to).unwrap();
                i += 1;
                sent.store(i, Ordering::Relaxed);
            }
        })
    };
    sink.wait_for(500);
    // Events out before the reload was asked for were classified by the old rules;
    // traps sent after it returned by the new ones; those in flight by either.
    let delivered_before = sink.len();
    let mut new = config.clone();
    new.rules = Some(rules(&dir, "b.toml", "after", "critical"));
    let report = service.reload(&new).unwrap();
    assert_eq!(report.rules, 1);
    assert!(report.restart_needed.is_empty(), "{report:?}");
    assert!(delivered_before >= 500);
    // `sent` counts the traps whose send returned; the next one (tag `after_reload`)
    // may have been on its way while the reload ran, so only later tags are sure
    // to have been sent after it returned.
    let after_reload = sent.load(Ordering::Relaxed) + 1;
    sink.wait_for(after_reload as usize + 500);
    stop.store(true, Ordering::Relaxed);
    sender.join().unwrap();
    let total = sent.load(Ordering::Relaxed);
    sink.wait_for(total as usize);

    let stats = service.stats();
    assert!(stats.running);
    assert_eq!(
        stats.intake.dropped_source_full + stats.intake.dropped_total_full,
        0
    );
    let drained = service.stop().unwrap();
    assert_eq!(drained.left, 0);

    let events = sink.events();
    let tags: BTreeSet<i64> = events.iter().map(tag_of).collect();
    assert_eq!(events.len() as u64, total, "an event delivered twice");
    assert_eq!(
        tags,
        (0..total as i64).collect::<BTreeSet<_>>(),
        "traps lost"
    );
    for (i, ev) in events.iter().enumerate() {
        let tag = tag_of(ev) as u64;
        if i < delivered_before {
            assert_eq!(ev["event"], "before", "{ev}");
            assert_eq!(ev["severity"], "minor");
        } else if tag >= after_reload {
            assert_eq!(ev["event"], "after", "{ev}");
            assert_eq!(ev["severity"], "critical");
        }
    }
}

#[test]
fn a_reload_swaps_communities_and_users_and_a_bad_one_changes_nothing() {
    let mut config = base();
    config.communities = vec![Secret::literal("old-community")];
    let sink = Collect::default();
    let service = TrapService::start(&config, Box::new(sink.clone())).unwrap();
    let to = addr(&service);
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let refused = |n: u64| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while service.stats().pipeline.rejected < n {
            assert!(Instant::now() < deadline, "{:?}", service.stats());
            std::thread::sleep(Duration::from_millis(2));
        }
    };

    sock.send_to(&trap("new-community", 1), to).unwrap();
    refused(1);
    sock.send_to(&trap("old-community", 2), to).unwrap();
    sink.wait_for(1);

    // A user line that does not parse: an error, and the old settings stay.
    let mut bad = config.clone();
    bad.communities = vec![Secret::literal("new-community")];
    bad.users = vec![Secret::literal("u SHA short")];
    let e = service.reload(&bad).unwrap_err().to_string();
    assert!(e.contains("createUser u"), "{e}");
    sock.send_to(&trap("old-community", 3), to).unwrap();
    sink.wait_for(2);

    let mut good = bad.clone();
    good.users = vec![Secret::literal(
        r#"createUser u SHA "a long phrase" AES "another one""#,
    )];
    good.port = 1;
    let report = service.reload(&good).unwrap();
    assert_eq!((report.users, report.communities), (1, Some(1)));
    assert_eq!(report.restart_needed, ["port"]);
    sock.send_to(&trap("old-community", 4), to).unwrap();
    refused(2);
    sock.send_to(&trap("new-community", 5), to).unwrap();
    sink.wait_for(3);
    let tags: Vec<i64> = sink.events().iter().map(tag_of).collect();
    assert_eq!(tags, [2, 3, 5]);
    drop(service);
}

#[test]
fn metrics_stats_and_stop() {
    let sink = Collect::default();
    let service = TrapService::start(&base(), Box::new(sink.clone())).unwrap();
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..10 {
        sock.send_to(&trap("public", i), addr(&service)).unwrap();
    }
    sock.send_to(b"garbage", addr(&service)).unwrap();
    sink.wait_for(10);
    let text = service.metrics_text().unwrap();
    for want in [
        "nocwatch_trap_received_total ",
        "nocwatch_trap_decode_failures_total{reason=",
        "nocwatch_trap_socket_datagrams_total{listen=\"127.0.0.1:",
        "nocwatch_trap_intake_datagrams_total 11",
    ] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
    let from_handle = service.metrics().render();
    assert!(
        from_handle.contains("nocwatch_trap_emitted_total 10"),
        "{from_handle}"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while service.stats().pipeline.received < 11 {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(2));
    }
    let st = service.stats();
    assert_eq!(st.pipeline.emitted_first, 10);
    assert_eq!(st.pipeline.rejected, 1);
    assert_eq!(st.sockets.datagrams, 11);
    assert_eq!(st.intake.accepted, 11);
    assert!(service.engine().state.is_none());
    assert_eq!(service.engine().boots, 1);
    let report = service.stop().unwrap();
    assert_eq!(report.left, 0);
}

#[test]
fn engine_boots_grow_across_restarts_and_a_damaged_state_is_refused() {
    let dir = TempDir::new("nocwatch-trap-service").unwrap();
    let mut config = base();
    config.journal = Some(dir.path().join("journal"));
    let mut ids = Vec::new();
    for want in 1..=3 {
        let service = TrapService::start(&config, Box::new(Collect::default())).unwrap();
        assert_eq!(service.engine().boots, want);
        assert_eq!(
            service.engine().state.as_deref(),
            Some(dir.path().join("journal").join("engine.state").as_path())
        );
        ids.push(service.engine().engine_id.clone());
        service.stop().unwrap();
    }
    assert!(ids.windows(2).all(|w| w[0] == w[1]));

    // A state file cut short (here: inside the boots line) is refused, never read as
    // a smaller boots.
    let state = dir.path().join("journal").join("engine.state");
    let text = std::fs::read_to_string(&state).unwrap();
    std::fs::write(&state, text.trim_end_matches('\n')).unwrap();
    let e = TrapService::start(&config, Box::new(Collect::default()))
        .unwrap_err()
        .to_string();
    assert!(e.contains("corrupt") && e.contains("engine.state"), "{e}");

    // A separate state path, and a configured engine ID.
    let mut config = base();
    config.state = Some(dir.path().join("state").join("engine"));
    config.engine_id = Some("0x80001f8804616263".into());
    let a = TrapService::start(&config, Box::new(Collect::default())).unwrap();
    assert_eq!(a.engine().engine_id, b"\x80\x00\x1f\x88\x04abc");
    assert_eq!(a.engine().boots, 1);
    a.stop().unwrap();
    let b = TrapService::start(&config, Box::new(Collect::default())).unwrap();
    assert_eq!(b.engine().boots, 2);
    b.stop().unwrap();

    // A fixed engine ID without anywhere to keep boots is refused.
    let mut config = base();
    config.engine_id = Some("0x80001f8804616263".into());
    assert!(TrapService::start(&config, Box::new(Collect::default())).is_err());
}
