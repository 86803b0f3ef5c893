#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]
//! Real packets from net-snmp's snmptrap / snmpinform (v1, v2c, inform, v3 trap and
//! inform), captured on a loopback UDP socket and fed through the pipeline: every
//! field of the event is checked, and informs are only answered after the journal
//! sync (snmpinform exits 0 only if it got our Response).

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use nocwatch_snmp::SecurityLevel;
use nocwatch_snmp::UsmUser;
use nocwatch_snmp::crypto::{AuthProtocol, PrivProtocol};
use nocwatch_testkit::{TempDir, ToolOutput, net_snmp_tool, require_snmp};
use nocwatch_traps::{Datagram, JournalConfig, Pipeline, PipelineConfig, Transmit};

fn socket() -> (UdpSocket, String) {
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let target = format!("udp:127.0.0.1:{}", s.local_addr().unwrap().port());
    (s, target)
}

fn recv(s: &UdpSocket) -> (SocketAddr, Vec<u8>) {
    let mut buf = vec![0u8; 65536];
    let (n, from) = s
        .recv_from(&mut buf)
        .expect("no datagram from the net-snmp tool");
    buf.truncate(n);
    (from, buf)
}

fn ingest(p: &mut Pipeline, from: SocketAddr, data: &[u8]) -> Vec<Transmit> {
    let mut reports = Vec::new();
    p.ingest(
        Instant::now(),
        &[Datagram {
            peer: from,
            data,
            local: None,
        }],
        &mut reports,
    );
    while p.queued() > 0 {
        p.poll(Instant::now()).unwrap();
    }
    reports
}

fn vb<'a>(ev: &'a serde_json::Value, oid: &str) -> &'a serde_json::Value {
    ev["varbinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["oid"] == oid)
        .unwrap_or_else(|| panic!("no {oid} in {ev}"))
}

fn ok(out: ToolOutput) {
    assert!(
        out.success(),
        "{} {:?} failed: {}",
        out.tool,
        out.args,
        out.stderr
    );
}

#[test]
fn snmptrap_v2c_fields() {
    require_snmp!();
    let (s, target) = socket();
    ok(net_snmp_tool(
        "snmptrap",
        &[
            "-v",
            "2c",
            "-c",
            "public",
            &target,
            "4242",
            "1.3.6.1.6.3.1.1.5.3",
            "1.3.6.1.2.1.2.2.1.1.3",
            "i",
            "3",
            "1.3.6.1.2.1.2.2.1.2.3",
            "s",
            "eth3",
            "1.3.6.1.2.1.2.2.1.7.3",
            "i",
            "1",
        ],
    )
    .unwrap());
    let (from, data) = recv(&s);
    let mut p = Pipeline::open(config(), Instant::now()).unwrap();
    ingest(&mut p, from, &data);
    let e = &json_events(&p)[0];
    assert_eq!(e["version"], "v2c");
    assert_eq!(e["pdu"], "trap");
    assert_eq!(e["source"], from.ip().to_string());
    assert_eq!(e["peer"], from.to_string());
    assert_eq!(e["security_name"], "public");
    assert_eq!(e["trap_oid"], "1.3.6.1.6.3.1.1.5.3");
    assert_eq!(e["event"], "linkDown");
    assert_eq!(e["severity"], "major");
    assert_eq!(e["occurrences"], 1);
    assert_eq!(vb(e, "1.3.6.1.2.1.1.3.0")["value"], 4242);
    assert_eq!(
        vb(e, "1.3.6.1.6.3.1.1.4.1.0")["value"],
        "1.3.6.1.6.3.1.1.5.3"
    );
    assert_eq!(vb(e, "1.3.6.1.2.1.2.2.1.1.3")["value"], 3);
    assert_eq!(vb(e, "1.3.6.1.2.1.2.2.1.2.3")["value"], "eth3");
    assert_eq!(vb(e, "1.3.6.1.2.1.2.2.1.2.3")["type"], "OCTET STRING");
    assert_eq!(e["varbinds"].as_array().unwrap().len(), 5);
}

#[test]
fn snmptrap_v1_is_translated() {
    require_snmp!();
    let (s, target) = socket();
    // Generic linkDown, then an enterprise-specific trap.
    ok(net_snmp_tool(
        "snmptrap",
        &[
            "-v",
            "1",
            "-c",
            "public",
            &target,
            "1.3.6.1.4.1.8072.3.2.10",
            "192.0.2.7",
            "2",
            "0",
            "777",
            "1.3.6.1.2.1.2.2.1.1.3",
            "i",
            "3",
        ],
    )
    .unwrap());
    ok(net_snmp_tool(
        "snmptrap",
        &[
            "-v",
            "1",
            "-c",
            "public",
            &target,
            "1.3.6.1.4.1.9.9.41.2",
            "192.0.2.8",
            "6",
            "1",
            "778",
        ],
    )
    .unwrap());
    let mut p = Pipeline::open(config(), Instant::now()).unwrap();
    for _ in 0..2 {
        let (from, data) = recv(&s);
        ingest(&mut p, from, &data);
    }
    let evs = json_events(&p);
    let e = &evs[0];
    assert_eq!(e["version"], "v1");
    assert_eq!(e["pdu"], "trap-v1");
    assert_eq!(e["agent_addr"], "192.0.2.7");
    assert_eq!(e["trap_oid"], "1.3.6.1.6.3.1.1.5.3");
    assert_eq!(e["event"], "linkDown");
    assert_eq!(vb(e, "1.3.6.1.2.1.1.3.0")["value"], 777);
    assert_eq!(vb(e, "1.3.6.1.2.1.2.2.1.1.3")["value"], 3);
    assert_eq!(vb(e, "1.3.6.1.6.3.18.1.3.0")["value"], "192.0.2.7");
    assert_eq!(vb(e, "1.3.6.1.6.3.18.1.4.0")["value"], "public");
    assert_eq!(
        vb(e, "1.3.6.1.6.3.1.1.4.3.0")["value"],
        "1.3.6.1.4.1.8072.3.2.10"
    );
    let e = &evs[1];
    assert_eq!(e["trap_oid"], "1.3.6.1.4.1.9.9.41.2.0.1");
    assert_eq!(e["event"], "clogMessageGenerated");
    assert_eq!(e["agent_addr"], "192.0.2.8");
}

/// Answers one (v2c or v3) inform from a running snmpinform: Reports at once, the
/// Response only once the journal is synced. Returns the tool's result.
fn serve_inform(cfg: PipelineConfig, args: Vec<String>) -> (ToolOutput, Pipeline) {
    let (s, target) = socket();
    let args: Vec<String> = args
        .into_iter()
        .map(|a| if a == "TARGET" { target.clone() } else { a })
        .collect();
    let tool = std::thread::spawn(move || {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        net_snmp_tool("snmpinform", &a).unwrap()
    });
    let mut p = Pipeline::open(cfg, Instant::now()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while p.recent().is_empty() && Instant::now() < deadline {
        let (from, data) = recv(&s);
        for r in ingest(&mut p, from, &data) {
            s.send_to(&r.datagram, r.peer).unwrap();
        }
    }
    assert_eq!(p.recent().len(), 1, "the inform was processed");
    // Processed, but not durable yet: no Response may leave.
    let mut acks = Vec::new();
    p.take_acks(&mut acks);
    assert!(acks.is_empty(), "acked before the journal sync");
    assert_eq!(p.pending_acks(), 1);
    p.sync().unwrap();
    p.take_acks(&mut acks);
    assert_eq!(acks.len(), 1);
    for a in &acks {
        s.send_to(&a.datagram, a.peer).unwrap();
    }
    (tool.join().unwrap(), p)
}

fn journaled(dir: &TempDir) -> PipelineConfig {
    let mut cfg = config();
    let mut j = JournalConfig::new(dir.path());
    j.sync_interval = Duration::from_secs(3600);
    cfg.journal = Some(j);
    cfg
}

#[test]
fn snmpinform_v2c_is_answered_after_the_journal_sync() {
    require_snmp!();
    let dir = TempDir::new("nocwatch-traps-inform").unwrap();
    let args = [
        "-v",
        "2c",
        "-c",
        "public",
        "-t",
        "15",
        "-r",
        "0",
        "TARGET",
        "99",
        "1.3.6.1.6.3.1.1.5.4",
        "1.3.6.1.2.1.2.2.1.1.2",
        "i",
        "2",
    ];
    let (out, p) = serve_inform(
        journaled(&dir),
        args.iter().map(|s| (*s).to_owned()).collect(),
    );
    ok(out);
    let e = &json_events(&p)[0];
    assert_eq!(e["pdu"], "inform");
    assert_eq!(e["event"], "linkUp");
    assert_eq!(e["severity"], "clear");
    assert_eq!(vb(e, "1.3.6.1.2.1.2.2.1.1.2")["value"], 2);
    assert_eq!(p.stats().acks_released, 1);
}

fn v3_config(
    dir: Option<&TempDir>,
    auth: AuthProtocol,
    privacy: Option<PrivProtocol>,
) -> PipelineConfig {
    let mut cfg = dir.map_or_else(config, journaled);
    let level = if privacy.is_some() {
        SecurityLevel::AuthPriv
    } else {
        SecurityLevel::AuthNoPriv
    };
    let user = UsmUser::new(
        b"trapuser",
        level,
        Some((auth, b"auth-pass-123")),
        privacy.map(|p| (p, &b"priv-pass-456"[..])),
    )
    .unwrap();
    cfg.receiver.users = vec![Arc::new(user)];
    cfg
}

#[test]
fn snmptrap_v3_auth_priv() {
    require_snmp!();
    for (a, x, aname, xname) in [
        (
            AuthProtocol::Sha1,
            Some(PrivProtocol::Aes128),
            "SHA",
            Some("AES"),
        ),
        (
            AuthProtocol::Md5,
            Some(PrivProtocol::Des),
            "MD5",
            Some("DES"),
        ),
        (AuthProtocol::Sha256, None, "SHA-256", None),
    ] {
        let (s, target) = socket();
        let mut args = vec![
            "-v",
            "3",
            "-u",
            "trapuser",
            "-e",
            "0x80001f8880aabbccdd",
            "-a",
            aname,
            "-A",
            "auth-pass-123",
        ];
        match xname {
            Some(x) => args.extend(["-l", "authPriv", "-x", x, "-X", "priv-pass-456"]),
            None => args.extend(["-l", "authNoPriv"]),
        }
        args.extend([
            target.as_str(),
            "55",
            "1.3.6.1.6.3.1.1.5.1",
            "1.3.6.1.2.1.1.5.0",
            "s",
            "r1",
        ]);
        ok(net_snmp_tool("snmptrap", &args).unwrap());
        let (from, data) = recv(&s);
        let mut p = Pipeline::open(v3_config(None, a, x), Instant::now()).unwrap();
        ingest(&mut p, from, &data);
        let evs = json_events(&p);
        assert_eq!(evs.len(), 1, "{aname}/{xname:?}: {:?}", p.stats());
        let e = &evs[0];
        assert_eq!(e["version"], "v3");
        assert_eq!(e["security_name"], "trapuser");
        assert_eq!(e["event"], "coldStart");
        assert_eq!(vb(e, "1.3.6.1.2.1.1.5.0")["value"], "r1");
        assert_eq!(vb(e, "1.3.6.1.2.1.1.3.0")["value"], 55);
        // A wrong password is refused and counted, never delivered.
        let mut cfg = v3_config(None, a, x);
        cfg.receiver.users = vec![Arc::new(
            UsmUser::new(
                b"trapuser",
                SecurityLevel::AuthNoPriv,
                Some((a, b"wrong-password")),
                None,
            )
            .unwrap(),
        )];
        let mut p = Pipeline::open(cfg, Instant::now()).unwrap();
        ingest(&mut p, from, &data);
        assert!(p.recent().is_empty());
        assert_eq!(p.stats().rejected, 1);
    }
}

#[test]
fn snmpinform_v3_discovers_our_engine_and_is_acked_after_sync() {
    require_snmp!();
    let dir = TempDir::new("nocwatch-traps-v3inform").unwrap();
    let args = [
        "-v",
        "3",
        "-u",
        "trapuser",
        "-l",
        "authPriv",
        "-a",
        "SHA",
        "-A",
        "auth-pass-123",
        "-x",
        "AES",
        "-X",
        "priv-pass-456",
        "-t",
        "15",
        "-r",
        "0",
        "TARGET",
        "66",
        "1.3.6.1.2.1.15.0.2",
        "1.3.6.1.2.1.15.3.1.2.192.0.2.1",
        "i",
        "1",
    ];
    let cfg = v3_config(Some(&dir), AuthProtocol::Sha1, Some(PrivProtocol::Aes128));
    let (out, p) = serve_inform(cfg, args.iter().map(|s| (*s).to_owned()).collect());
    ok(out);
    let e = &json_events(&p)[0];
    assert_eq!(e["version"], "v3");
    assert_eq!(e["pdu"], "inform");
    assert_eq!(e["event"], "bgpBackwardTransNotification");
    assert_eq!(e["severity"], "critical");
    assert!(p.stats().reports >= 1, "discovery answered with a Report");
}
