//! Traps and informs against net-snmp, both ways.
//!
//! - net-snmp's `snmptrap` sends v1 Traps, v2c Traps and Informs, and v3 Traps and
//!   Informs for every USM combination net-snmp supports, to `nocwatch trap listen
//!   --json`; every field of each event must be what was sent.
//! - `nocwatch trap send` sends the same kinds to net-snmp's `snmptrapd` (started here
//!   on a random port with a private config, stopped by PID), whose log must show
//!   what was sent.
//! - Garbage datagrams are counted by reason in `/metrics` and the listener goes on;
//!   SIGTERM ends it with status 0.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::net::{SocketAddr, UdpSocket};
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use nocwatch_testkit::{
    Nocwatch, NocwatchBuilder, Snmptrapd, TempDir, net_snmp_tool, require_snmp,
};
use serde_json::{Value, json};

const AUTH: [&str; 6] = ["MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512"];
const PRIV: [&str; 6] = ["DES", "AES", "AES-192", "AES-256", "AES-192-C", "AES-256-C"];
const AUTH_PASS: &str = "authpass-123";
const PRIV_PASS: &str = "privpass-456";
/// netSnmpPlaypen: a binding that tags each notification so it can be found.
const TAG_OID: &str = "1.3.6.1.4.1.8072.9999.9999.2.0";

/// A user: its name, its createUser arguments and the net-snmp flags that reach it.
struct User {
    name: String,
    create: String,
    flags: Vec<String>,
}

fn users() -> Vec<User> {
    let mut v = vec![User {
        name: "noauth".into(),
        create: "noauth".into(),
        flags: vec!["-l".into(), "noAuthNoPriv".into()],
    }];
    for (i, a) in AUTH.iter().enumerate() {
        v.push(User {
            name: format!("a{i}"),
            create: format!("a{i} {a} {AUTH_PASS}"),
            flags: ["-l", "authNoPriv", "-a", a, "-A", AUTH_PASS]
                .map(String::from)
                .to_vec(),
        });
        for (j, p) in PRIV.iter().enumerate() {
            v.push(User {
                name: format!("a{i}p{j}"),
                create: format!("a{i}p{j} {a} {AUTH_PASS} {p} {PRIV_PASS}"),
                flags: [
                    "-l", "authPriv", "-a", a, "-A", AUTH_PASS, "-x", p, "-X", PRIV_PASS,
                ]
                .map(String::from)
                .to_vec(),
            });
        }
    }
    v
}

/// A running `nocwatch trap listen`, ready (its addresses from the ready line),
/// stopped by PID on drop.
struct Listen {
    p: Nocwatch,
    addr: SocketAddr,
    /// Every bound address (several --listen).
    addrs: Vec<SocketAddr>,
    metrics: Option<SocketAddr>,
}

impl Listen {
    fn start(extra: &[&str]) -> Self {
        // The ready line reports the metrics address as given: a port-0 request
        // becomes a free port picked here (another try should it be taken).
        let wants_metrics = extra.contains(&"--metrics-listen");
        let mut last = None;
        for _ in 0..3 {
            let args: Vec<String> = extra
                .iter()
                .map(|a| match *a {
                    "127.0.0.1:0" if wants_metrics => {
                        format!("127.0.0.1:{}", nocwatch_testkit::free_tcp_port().unwrap())
                    }
                    a => a.to_owned(),
                })
                .collect();
            let started = NocwatchBuilder::new(env!("CARGO_BIN_EXE_nocwatch"))
                .unwrap()
                .args([
                    "trap",
                    "listen",
                    "--listen",
                    "127.0.0.1:0",
                    "--sockets",
                    "2",
                ])
                .args(&args)
                .start();
            match started {
                Ok(p) => {
                    let addrs = p.addrs("traps");
                    let metrics = wants_metrics.then(|| p.addr("metrics"));
                    return Self {
                        addr: addrs[0],
                        addrs,
                        metrics,
                        p,
                    };
                }
                Err(e) if wants_metrics => last = Some(e),
                Err(e) => panic!("trap listen did not start: {e}"),
            }
        }
        panic!("trap listen did not start: {}", last.unwrap());
    }

    fn target(&self) -> String {
        self.addr.to_string()
    }

    /// Its stdout, line by line.
    fn stdout(&self) -> &Receiver<String> {
        self.p.stdout()
    }

    /// The next event, as JSON.
    fn event(&self) -> Value {
        let line = self
            .p
            .next_stdout_line(Duration::from_secs(10))
            .unwrap_or_else(|| panic!("no event; stderr: {}", self.p.stderr()));
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }

    fn metrics(&self) -> String {
        let url = format!("http://{}/metrics", self.metrics.expect("--metrics-listen"));
        let r = nocwatch_testkit::http::get(&url).unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
        r.body
    }

    /// SIGTERM, and the exit status.
    fn terminate(mut self) -> std::process::ExitStatus {
        self.p
            .terminate(Duration::from_secs(15))
            .unwrap_or_else(|e| panic!("{e}; stderr: {}", self.p.stderr()))
    }
}

/// `OID TYPE VALUE` triples net-snmp can send, and the JSON binding each must
/// become (the pipeline's format: OIDs dotted without a leading dot, numbers as
/// numbers, non-text strings as `0x` hex).
fn bindings(tag: &str) -> (Vec<String>, Vec<Value>) {
    let sent = [
        ("1.3.6.1.2.1.2.2.1.1.7", "i", "-7", "INTEGER", json!(-7)),
        (
            "1.3.6.1.2.1.2.2.1.5.7",
            "u",
            "1000000000",
            "Gauge32",
            json!(1_000_000_000u64),
        ),
        (
            "1.3.6.1.2.1.2.2.1.10.7",
            "c",
            "4294967295",
            "Counter32",
            json!(4_294_967_295u64),
        ),
        (
            "1.3.6.1.2.1.2.2.1.9.7",
            "t",
            "8640123",
            "TimeTicks",
            json!(8_640_123),
        ),
        (
            "1.3.6.1.2.1.4.20.1.1.10.0.0.1",
            "a",
            "10.0.0.1",
            "IpAddress",
            json!("10.0.0.1"),
        ),
        (
            "1.3.6.1.2.1.1.2.0",
            "o",
            ".1.3.6.1.4.1.8072.3.2.10",
            "OBJECT IDENTIFIER",
            json!("1.3.6.1.4.1.8072.3.2.10"),
        ),
        (
            "1.3.6.1.2.1.2.2.1.2.7",
            "s",
            "Gi0/7 \"uplink\"",
            "OCTET STRING",
            json!("Gi0/7 \"uplink\""),
        ),
        (
            "1.3.6.1.2.1.2.2.1.6.7",
            "x",
            "0011AAff0203",
            "OCTET STRING",
            json!("0x0011aaff0203"),
        ),
        (TAG_OID, "s", tag, "OCTET STRING", json!(tag)),
    ];
    let mut args = Vec::new();
    let mut want = Vec::new();
    for (oid, ty, value, json_type, json_value) in sent {
        args.extend([format!(".{oid}"), ty.to_owned(), value.to_owned()]);
        want.push(tb(oid, json_type, json_value));
    }
    (args, want)
}

fn tb(oid: &str, ty: &str, value: Value) -> Value {
    json!({"oid": oid, "type": ty, "value": value})
}

/// What one event must say.
struct Want<'a> {
    version: &'a str,
    pdu: &'a str,
    security_name: &'a str,
    trap_oid: &'a str,
    uptime: u64,
    event: &'a str,
    severity: &'a str,
    agent_addr: Option<&'a str>,
    /// The bindings after sysUpTime.0 and snmpTrapOID.0.
    rest: Vec<Value>,
}

/// Checks every field of an event.
fn check(ev: &Value, w: &Want<'_>) {
    let keys: Vec<&str> = ev.as_object().unwrap().keys().map(String::as_str).collect();
    let mut keys_sorted = keys.clone();
    keys_sorted.sort_unstable();
    assert_eq!(
        keys_sorted,
        [
            "agent_addr",
            "event",
            "last_time",
            "occurrences",
            "pdu",
            "peer",
            "security_name",
            "seq",
            "severity",
            "source",
            "time",
            "trap_oid",
            "varbinds",
            "version"
        ],
        "{ev}"
    );
    assert!(ev["seq"].as_u64().unwrap() > 0, "{ev}");
    let time = ev["time"].as_str().unwrap();
    assert!(
        time.len() >= 20 && time.ends_with('Z') && time.starts_with("20"),
        "{ev}"
    );
    assert!(ev["last_time"].as_str().unwrap() >= time, "{ev}");
    assert_eq!(ev["source"], "127.0.0.1", "{ev}");
    let peer: SocketAddr = ev["peer"].as_str().unwrap().parse().unwrap();
    assert_eq!(peer.ip().to_string(), "127.0.0.1", "{ev}");
    assert_eq!(ev["version"], w.version, "{ev}");
    assert_eq!(ev["pdu"], w.pdu, "{ev}");
    assert_eq!(ev["security_name"], w.security_name, "{ev}");
    assert_eq!(ev["agent_addr"], json!(w.agent_addr), "{ev}");
    assert_eq!(ev["trap_oid"], w.trap_oid, "{ev}");
    assert_eq!(ev["event"], w.event, "{ev}");
    assert_eq!(ev["severity"], w.severity, "{ev}");
    assert_eq!(ev["occurrences"], 1, "{ev}");
    let mut want = vec![
        tb("1.3.6.1.2.1.1.3.0", "TimeTicks", json!(w.uptime)),
        tb(
            "1.3.6.1.6.3.1.1.4.1.0",
            "OBJECT IDENTIFIER",
            json!(w.trap_oid),
        ),
    ];
    want.extend_from_slice(&w.rest);
    assert_eq!(ev["varbinds"], Value::Array(want), "{ev}");
}

#[test]
fn net_snmp_snmptrap_every_version_and_usm_combination_decodes_exactly() {
    require_snmp!();
    let dir = TempDir::new("nocwatch-trap-users").unwrap();
    let conf = dir.path().join("users.conf");
    let users = users();
    let mut text = String::from("# snmptrapd.conf syntax\nauthCommunity log public\n");
    for u in &users {
        text.push_str(&format!("createUser {}\n", u.create));
    }
    std::fs::write(&conf, text).unwrap();
    let l = Listen::start(&["--json", "--config", conf.to_str().unwrap(), "-c", "public"]);
    let target = l.target();
    // A different (unclassified) trap OID per notification, so none is a duplicate
    // of another.
    let mut n = 0;
    let mut next_oid = || {
        n += 1;
        format!("1.3.6.1.4.1.8072.9999.9999.0.{n}")
    };

    // v2c Trap and Inform.
    for (pdu, extra) in [("trap", vec![]), ("inform", vec!["-Ci"])] {
        let tag = format!("v2c-{pdu}");
        let (vbs, rest) = bindings(&tag);
        let trap_oid = next_oid();
        let dotted = format!(".{trap_oid}");
        let mut args: Vec<&str> = vec!["-v", "2c", "-c", "public", "-r", "1", "-t", "3"];
        args.extend(extra.iter().copied());
        args.extend([target.as_str(), "4242", &dotted]);
        args.extend(vbs.iter().map(String::as_str));
        net_snmp_tool("snmptrap", &args)
            .unwrap()
            .success_or_err()
            .unwrap();
        check(
            &l.event(),
            &Want {
                version: "v2c",
                pdu,
                security_name: "public",
                trap_oid: &trap_oid,
                uptime: 4242,
                event: "unknown",
                severity: "warning",
                agent_addr: None,
                rest,
            },
        );
    }

    // v1 Traps: translated per RFC 3584 (snmpTrapOID.0 from generic/specific, the
    // proxy bindings appended), agent-addr kept, classified by the default pack.
    for (generic, specific, trap_oid, event, severity) in [
        ("2", "0", "1.3.6.1.6.3.1.1.5.3", "linkDown", "major"),
        (
            "6",
            "17",
            "1.3.6.1.4.1.8072.9999.9999.5.0.17",
            "unknown",
            "warning",
        ),
    ] {
        let (vbs, mut rest) = bindings("v1");
        let mut args = vec![
            "-v",
            "1",
            "-c",
            "public",
            target.as_str(),
            ".1.3.6.1.4.1.8072.9999.9999.5",
            "192.0.2.7",
            generic,
            specific,
            "777",
        ];
        args.extend(vbs.iter().map(String::as_str));
        net_snmp_tool("snmptrap", &args)
            .unwrap()
            .success_or_err()
            .unwrap();
        rest.push(tb("1.3.6.1.6.3.18.1.3.0", "IpAddress", json!("192.0.2.7")));
        rest.push(tb("1.3.6.1.6.3.18.1.4.0", "OCTET STRING", json!("public")));
        rest.push(tb(
            "1.3.6.1.6.3.1.1.4.3.0",
            "OBJECT IDENTIFIER",
            json!("1.3.6.1.4.1.8072.9999.9999.5"),
        ));
        check(
            &l.event(),
            &Want {
                version: "v1",
                pdu: "trap-v1",
                security_name: "public",
                trap_oid,
                uptime: 777,
                event,
                severity,
                agent_addr: Some("192.0.2.7"),
                rest,
            },
        );
    }

    // v3: every user, Trap (sender authoritative) and Inform (we are).
    for u in &users {
        for (pdu, extra) in [("trap", vec![]), ("inform", vec!["-Ci"])] {
            let tag = format!("{}-{pdu}", u.name);
            let (vbs, rest) = bindings(&tag);
            let trap_oid = next_oid();
            let dotted = format!(".{trap_oid}");
            let mut args: Vec<&str> = vec!["-v", "3", "-u", &u.name, "-r", "1", "-t", "3"];
            args.extend(u.flags.iter().map(String::as_str));
            args.extend(extra.iter().copied());
            args.extend([target.as_str(), "99", &dotted]);
            args.extend(vbs.iter().map(String::as_str));
            net_snmp_tool("snmptrap", &args)
                .unwrap()
                .success_or_err()
                .unwrap();
            check(
                &l.event(),
                &Want {
                    version: "v3",
                    pdu,
                    security_name: &u.name,
                    trap_oid: &trap_oid,
                    uptime: 99,
                    event: "unknown",
                    severity: "warning",
                    agent_addr: None,
                    rest,
                },
            );
        }
    }
    assert!(l.terminate().success());
}

#[test]
fn garbage_is_counted_and_the_listener_goes_on() {
    require_snmp!();
    let l = Listen::start(&["--json", "--metrics-listen", "127.0.0.1:0"]);
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    let garbage: [&[u8]; 5] = [
        b"",
        b"\x30\x03\x02\x01",
        b"GET / HTTP/1.1\r\n\r\n",
        &[0x30, 0x82, 0xff, 0xff, 0x02, 0x01, 0x01],
        &[
            0x30, 0x0b, 0x02, 0x01, 0x01, 0x04, 0x01, b'p', 0xa7, 0x03, 0x02, 0x01, 0x00,
        ],
    ];
    for g in garbage {
        s.send_to(g, l.addr).unwrap();
    }
    net_snmp_tool(
        "snmptrap",
        &[
            "-v",
            "2c",
            "-c",
            "public",
            &l.target(),
            "1",
            ".1.3.6.1.6.3.1.1.5.4",
        ],
    )
    .unwrap()
    .success_or_err()
    .unwrap();
    let ev = l.event();
    assert_eq!(ev["trap_oid"], "1.3.6.1.6.3.1.1.5.4");
    let metrics = l.metrics();
    let value = |name: &str| -> u64 {
        metrics
            .lines()
            .filter(|line| line.starts_with(name))
            .map(|line| line.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
            .sum()
    };
    assert_eq!(
        value("nocwatch_trap_decode_failures_total{reason=\"malformed\"}"),
        5,
        "{metrics}"
    );
    assert_eq!(
        value("nocwatch_trap_socket_datagrams_total"),
        6,
        "{metrics}"
    );
    assert_eq!(value("nocwatch_trap_decoded_total"), 1, "{metrics}");
    assert_eq!(
        value("nocwatch_trap_socket_kernel_drops_total"),
        0,
        "{metrics}"
    );
    for line in metrics
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        assert!(line.starts_with("nocwatch_"), "{line}");
    }
    assert!(l.terminate().success());
}

/// A private snmptrapd (testkit guard) with `config`, numeric output; `None`
/// after the skip policy when snmptrapd is not installed.
fn snmptrapd(config: &str) -> Option<Snmptrapd> {
    snmptrapd_with(config, nocwatch_testkit::NUMERIC_OUTPUT)
}

/// Like [`snmptrapd`], with `output` as its MIB and output options.
fn snmptrapd_with(config: &str, output: &[&str]) -> Option<Snmptrapd> {
    nocwatch_testkit::program_or_skip("snmptrapd")?;
    Some(Snmptrapd::start_with(config, output).unwrap())
}

fn nocwatch(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nocwatch"))
        .args(args)
        .output()
        .expect("run nocwatch")
}

/// The text net-snmp prints for [`bindings`]' triples, tab-separated.
const BINDINGS_TEXT: &str = ".1.3.6.1.2.1.2.2.1.1.7 = INTEGER: -7\t\
.1.3.6.1.2.1.2.2.1.5.7 = Gauge32: 1000000000\t\
.1.3.6.1.2.1.2.2.1.10.7 = Counter32: 4294967295\t\
.1.3.6.1.2.1.2.2.1.9.7 = Timeticks: (8640123) 1 day, 0:00:01.23\t\
.1.3.6.1.2.1.4.20.1.1.10.0.0.1 = IpAddress: 10.0.0.1\t\
.1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.8072.3.2.10\t\
.1.3.6.1.2.1.2.2.1.2.7 = STRING: \"Gi0/7 \\\"uplink\\\"\"\t\
.1.3.6.1.2.1.2.2.1.6.7 = Hex-STRING: 00 11 AA FF 02 03 \t";

#[test]
fn nocwatch_trap_send_is_logged_by_snmptrapd() {
    require_snmp!();
    const ENGINE: &str = "0x80001f88807a6f6e65313233";
    let users = users();
    let mut conf = String::from("authCommunity log public\ndisableAuthorization yes\n");
    for u in &users {
        // Traps: the sender is authoritative (its engine ID); informs: snmptrapd is.
        conf.push_str(&format!(
            "createUser -e {ENGINE} {}\ncreateUser {}\n",
            u.create, u.create
        ));
    }
    let Some(d) = snmptrapd(&conf) else {
        return;
    };
    let target = d.target();
    let trap_oid = ".1.3.6.1.6.3.1.1.5.3";
    let expect_body = |tag: &str, uptime: &str| {
        format!(
            ".1.3.6.1.2.1.1.3.0 = Timeticks: ({uptime}) {}\t.1.3.6.1.6.3.1.1.4.1.0 = OID: {trap_oid}\t{BINDINGS_TEXT}.{TAG_OID} = STRING: \"{tag}\"",
            match uptime {
                "4242" => "0:00:42.42",
                _ => "0:00:00.99",
            }
        )
    };

    for (kind, extra) in [("trap", vec![]), ("inform", vec!["-Ci"])] {
        let tag = format!("v2c-{kind}");
        let (vbs, _) = bindings(&tag);
        let mut args: Vec<&str> = vec![
            "trap", "send", "-v", "2c", "-c", "public", "-r", "2", "-t", "2",
        ];
        args.extend(extra.iter().copied());
        args.extend([target.as_str(), "4242", trap_oid]);
        args.extend(vbs.iter().map(String::as_str));
        let out = nocwatch(&args);
        assert!(
            out.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (header, body) = d.next_notification().unwrap();
        assert!(header.contains("[UDP: [127.0.0.1]:"), "{header}");
        assert_eq!(body, expect_body(&tag, "4242"), "{kind}");
    }

    // v1: snmptrapd's header shows the enterprise, generic/specific and uptime.
    let (vbs, _) = bindings("v1");
    let mut args = vec![
        "trap",
        "send",
        "-v",
        "1",
        "-c",
        "public",
        target.as_str(),
        ".1.3.6.1.4.1.9.9.41.2",
        "192.0.2.7",
        "6",
        "17",
        "777",
    ];
    args.extend(vbs.iter().map(String::as_str));
    let out = nocwatch(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (header, second) = d.next_notification().unwrap();
    let body = d.next_line(Duration::from_secs(5)).unwrap();
    assert!(header.starts_with("20"), "{header}");
    assert!(
        header.contains(" 192.0.2.7 [192.0.2.7] (via UDP: [127.0.0.1]:"),
        "{header}"
    );
    assert!(
        header.ends_with(") TRAP, SNMP v1, community public"),
        "{header}"
    );
    assert_eq!(
        second,
        "\t.1.3.6.1.4.1.9.9.41.2 Enterprise Specific Trap (17) Uptime: 0:00:07.77"
    );
    assert_eq!(
        body,
        format!("\t{BINDINGS_TEXT}.{TAG_OID} = STRING: \"v1\"")
    );

    for u in &users {
        for (kind, extra) in [("trap", vec!["-e", ENGINE]), ("inform", vec!["-Ci"])] {
            let tag = format!("{}-{kind}", u.name);
            let (vbs, _) = bindings(&tag);
            let mut args: Vec<&str> = vec![
                "trap", "send", "-v", "3", "-u", &u.name, "-r", "2", "-t", "2",
            ];
            args.extend(u.flags.iter().map(String::as_str));
            args.extend(extra.iter().copied());
            args.extend([target.as_str(), "99", trap_oid]);
            args.extend(vbs.iter().map(String::as_str));
            let out = nocwatch(&args);
            assert!(
                out.status.success(),
                "{tag}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let (_, body) = d.next_notification().unwrap();
            assert_eq!(body, expect_body(&tag, "99"), "{tag}");
        }
    }
}

/// A v2c InformRequest with one tagged binding, encoded here.
fn inform(request_id: i32, tag: &str) -> Vec<u8> {
    use nocwatch_snmp::{CommunityMessage, Oid, Pdu, PduType, Pdus, VarBind, VarBinds, Version};
    let up: Oid = "1.3.6.1.2.1.1.3.0".parse().unwrap();
    let name: Oid = "1.3.6.1.6.3.1.1.4.1.0".parse().unwrap();
    let oid: Oid = "1.3.6.1.4.1.8072.9999.9999.0.77".parse().unwrap();
    let tag_oid: Oid = TAG_OID.parse().unwrap();
    let vbs = [
        VarBind {
            name: up.as_oid_ref(),
            value: nocwatch_snmp::Value::TimeTicks(5),
        },
        VarBind {
            name: name.as_oid_ref(),
            value: nocwatch_snmp::Value::ObjectIdentifier(oid.as_oid_ref()),
        },
        VarBind {
            name: tag_oid.as_oid_ref(),
            value: nocwatch_snmp::Value::OctetString(tag.as_bytes()),
        },
    ];
    let mut out = Vec::new();
    CommunityMessage {
        version: Version::V2c,
        community: b"public",
        pdu: Pdus::Pdu(Pdu::new(
            PduType::InformRequest,
            request_id,
            VarBinds::from_slice(&vbs),
        )),
    }
    .encode(&mut out);
    out
}

/// The request-id of a v2c Response, if that is what `datagram` is.
fn response_id(datagram: &[u8]) -> Option<i32> {
    use nocwatch_snmp::{DecodeOptions, Message, PduType, Pdus};
    let Ok(Message::Community(m)) = Message::decode(datagram, &DecodeOptions::strict()) else {
        return None;
    };
    match m.pdu {
        Pdus::Pdu(p) if p.pdu_type == PduType::Response => Some(p.request_id),
        _ => None,
    }
}

fn journal_holds(dir: &std::path::Path, tag: &str) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        let bytes = std::fs::read(e.unwrap().path()).unwrap_or_default();
        bytes.windows(tag.len()).any(|w| w == tag.as_bytes())
    })
}

#[test]
fn an_inform_is_acknowledged_only_once_its_journal_record_is_synced() {
    let dir = TempDir::new("nocwatch-trap-journal").unwrap();
    let journal = dir.path().join("journal");
    let j = journal.to_str().unwrap();
    // A sync interval of a minute: the ack must wait for it (or for the drain's sync).
    let mut l = Listen::start(&["--json", "--journal", j, "--journal-sync-ms", "60000"]);
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    s.send_to(&inform(0x1234_5678, "held-ack"), l.addr).unwrap();
    // The event is accepted and processed at once...
    let ev = l.event();
    assert_eq!(ev["pdu"], "inform");
    assert_eq!(ev["varbinds"][2]["value"], "held-ack");
    // ...and written to the journal file, but not synced: no Response yet.
    assert!(journal_holds(&journal, "held-ack"));
    let mut buf = [0u8; 1500];
    assert!(
        s.recv_from(&mut buf).is_err(),
        "inform acknowledged before its journal sync"
    );
    // SIGTERM: the drain syncs the journal, then releases the ack; exit 0.
    l.p.signal("TERM").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let (n, from) = s.recv_from(&mut buf).unwrap();
    assert_eq!(from, l.addr);
    assert_eq!(response_id(&buf[..n]), Some(0x1234_5678));
    assert!(l.terminate().success());

    // With the default 10 ms interval the Response comes quickly, and by then the
    // record is on disk.
    let l = Listen::start(&["--json", "--journal", j]);
    for i in 0..20 {
        let tag = format!("quick-ack-{i}");
        let t0 = Instant::now();
        s.send_to(&inform(1000 + i, &tag), l.addr).unwrap();
        let (n, _) = s.recv_from(&mut buf).unwrap();
        assert_eq!(response_id(&buf[..n]), Some(1000 + i));
        assert!(
            journal_holds(&journal, &tag),
            "{tag} acknowledged but not in the journal"
        );
        assert!(t0.elapsed() < Duration::from_secs(2));
    }
    assert!(l.terminate().success());
}

/// Adds the `seq` of every complete JSON event line read until `wait` passes with
/// no line, or until `out` holds `until` (a line cut by kill -9 is not complete
/// and not counted).
fn read_seqs(
    rx: &Receiver<String>,
    wait: Duration,
    until: usize,
    out: &mut std::collections::BTreeSet<u64>,
) {
    while out.len() < until
        && let Ok(line) = rx.recv_timeout(wait)
    {
        if let Ok(ev) = serde_json::from_str::<Value>(&line) {
            out.insert(ev["seq"].as_u64().unwrap());
        }
    }
}

/// The `seq` of every complete JSON event line read until `wait` passes with none.
fn seqs(rx: &Receiver<String>, wait: Duration) -> std::collections::BTreeSet<u64> {
    let mut out = std::collections::BTreeSet::new();
    read_seqs(rx, wait, usize::MAX, &mut out);
    out
}

#[test]
fn kill_9_during_a_storm_loses_nothing_that_was_journaled() {
    let dir = TempDir::new("nocwatch-trap-crash").unwrap();
    let journal = dir.path().join("journal");
    let j = journal.to_str().unwrap();
    // Dedup off: every accepted trap leaves as its own event, with its journal seq.
    let mut l = Listen::start(&["--json", "--journal", j, "--dedup-window", "0"]);
    let storm = Command::new(env!("CARGO_BIN_EXE_nocwatch"))
        .args([
            "sim",
            "storm",
            "--target",
            &l.target(),
            "--rate",
            "20000",
            "--duration",
            "1.5",
        ])
        .args(["--sources", "20", "--mix", "mixed", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Mid-storm (the storm sends 30,000 in 1.5 s): once 2,000 events are out.
    let mut first = std::collections::BTreeSet::new();
    read_seqs(l.stdout(), Duration::from_secs(30), 2_000, &mut first);
    assert_eq!(first.len(), 2_000, "the storm's events did not come out");
    l.p.kill(); // SIGKILL
    let out = storm.wait_with_output().unwrap();
    assert!(out.status.success());
    // What the killed process wrote before it died, to the end of its stdout.
    read_seqs(
        l.stdout(),
        Duration::from_millis(500),
        usize::MAX,
        &mut first,
    );
    drop(l);

    // What the crashed run journaled, as its next start will see it.
    let (jn, recovery) =
        nocwatch_traps::Journal::open(nocwatch_traps::JournalConfig::new(&journal), Instant::now())
            .unwrap();
    let last = jn.last_seq();
    let unprocessed = recovery.events.len();
    drop((jn, recovery));
    assert!(last > 100, "only {last} traps journaled before the kill");
    assert!(unprocessed > 0 || first.len() as u64 >= last);

    // Restart on the same journal: the unprocessed events are replayed.
    let l = Listen::start(&["--json", "--journal", j, "--dedup-window", "0"]);
    let second = seqs(l.stdout(), Duration::from_secs(2));
    assert!(l.terminate().success());
    eprintln!(
        "journaled {last}; emitted before the kill {}; unprocessed at the kill {unprocessed}; replayed after restart {}",
        first.len(),
        second.len()
    );
    let missing: Vec<u64> = (1..=last)
        .filter(|s| !first.contains(s) && !second.contains(s))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {last} journaled events lost (first: {:?}); emitted before the kill {}, replayed {}",
        missing.len(),
        &missing[..missing.len().min(10)],
        first.len(),
        second.len()
    );
}

#[test]
fn informs_are_answered_from_the_address_they_were_sent_to() {
    // Two listen addresses (two ports): each inform's Response must come back from
    // the port it was sent to, or the sender would not take it.
    let l = Listen::start(&["--json", "--listen", "127.0.0.1:0"]);
    assert_eq!(l.addrs.len(), 2, "{:?}", l.addrs);
    let s = UdpSocket::bind("127.0.0.1:0").unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 1500];
    for (i, to) in l.addrs.iter().chain(l.addrs.iter().rev()).enumerate() {
        let id = 500 + i32::try_from(i).unwrap();
        s.send_to(&inform(id, &format!("port-{i}")), to).unwrap();
        let (n, from) = s.recv_from(&mut buf).unwrap();
        assert_eq!(response_id(&buf[..n]), Some(id));
        assert_eq!(from, *to);
        let ev = l.event();
        assert_eq!(ev["pdu"], "inform");
    }
    assert!(l.terminate().success());
}

/// `trap listen`'s text and snmptrapd's log of the same notification: the header with
/// time and ports masked, the bindings exactly.
fn masked(line: &str) -> String {
    let line = line.get(20..).unwrap_or(line);
    let mut out = String::new();
    let mut rest = line;
    while let Some(i) = rest.find("]:") {
        out.push_str(&rest[..i + 2]);
        rest = rest[i + 2..].trim_start_matches(|c: char| c.is_ascii_digit());
        out.push('P');
    }
    out.push_str(rest);
    out
}

/// Sends with net-snmp's `snmptrap` (numeric OIDs, no MIBs) and checks it worked.
fn snmptrap(target: &str, args: &[&str]) {
    let mut all = vec!["-c", "public", target];
    if args.first() == Some(&"-v1") {
        all.insert(0, "1");
    } else {
        all.insert(0, "2c");
    }
    all.insert(0, "-v");
    all.extend(args.iter().skip(1));
    let out = net_snmp_tool("snmptrap", &all).unwrap();
    assert!(out.success(), "snmptrap {all:?}: {}", out.stderr);
}

/// The notifications both receivers get: a v2c linkDown whose bindings have MIB
/// enumerations, DISPLAY-HINTs and a printable string that looks like hex, a trap
/// whose OID no MIB names, and a v1 enterprise-specific trap.
const SAME_TRAPS: &[&[&str]] = &[
    &[
        "-v2c",
        "4242",
        ".1.3.6.1.6.3.1.1.5.3",
        ".1.3.6.1.2.1.2.2.1.1.7",
        "i",
        "7",
        ".1.3.6.1.2.1.2.2.1.7.7",
        "i",
        "2",
        ".1.3.6.1.2.1.2.2.1.8.7",
        "i",
        "7",
        ".1.3.6.1.2.1.2.2.1.2.7",
        "s",
        "0x0011",
        ".1.3.6.1.2.1.2.2.1.6.7",
        "x",
        "0011AAFF0203",
        ".1.3.6.1.2.1.31.1.1.1.18.7",
        "s",
        "uplink \"core\"",
        ".1.3.6.1.2.1.4.20.1.1.10.0.0.1",
        "a",
        "10.0.0.1",
        ".1.3.6.1.2.1.2.2.1.10.7",
        "c",
        "4294967295",
    ],
    &[
        "-v2c",
        "99",
        ".1.3.6.1.4.1.99999.1.2",
        ".1.3.6.1.4.1.99999.1.2.3",
        "s",
        "0xZZ",
        ".1.3.6.1.2.1.1.2.0",
        "o",
        ".1.3.6.1.4.1.8072.3.2.10",
    ],
    &[
        "-v1",
        ".1.3.6.1.4.1.8072.3.2.10",
        "192.0.2.7",
        "6",
        "17",
        "777",
        ".1.3.6.1.2.1.2.2.1.1.7",
        "i",
        "7",
        ".1.3.6.1.2.1.2.2.1.2.7",
        "s",
        "0xdeadbeef",
    ],
];

/// `trap listen`'s next notification in text: its lines (two for v2, three for v1).
fn listen_text(l: &Listen, lines: usize) -> Vec<String> {
    (0..lines)
        .map(|_| {
            l.p.next_stdout_line(Duration::from_secs(10))
                .unwrap_or_else(|| panic!("no text; stderr: {}", l.p.stderr()))
        })
        .collect()
}

fn compare_text_with_snmptrapd(mib_args: &[&str]) {
    let Some(d) = snmptrapd_with(
        "authCommunity log public\ndisableAuthorization yes\n",
        mib_args,
    ) else {
        return;
    };
    let l = Listen::start(mib_args);
    let trapd = d.target();
    let ours = l.target();
    for args in SAME_TRAPS {
        let n = if args[0] == "-v1" { 3 } else { 2 };
        snmptrap(&trapd, args);
        snmptrap(&ours, args);
        let (header, body) = d.next_notification().unwrap();
        let mut theirs = vec![header, body];
        if n == 3 {
            theirs.push(d.next_line(Duration::from_secs(5)).unwrap());
        }
        let mine = listen_text(&l, n);
        assert_eq!(masked(&mine[0]), masked(&theirs[0]), "{args:?}");
        assert_eq!(mine[1..], theirs[1..], "{args:?}");
    }
    assert!(l.terminate().success());
}

#[test]
fn text_without_mibs_is_snmptrapd_numeric_text() {
    require_snmp!();
    compare_text_with_snmptrapd(&["-On", "-m", ""]);
}

fn shared_mib_dirs() -> Option<String> {
    nocwatch_testkit::shared_mib_path_or_skip()
}

#[test]
fn text_with_mibs_is_what_snmptrapd_prints_with_the_same_mibs() {
    require_snmp!();
    let Some(dirs) = shared_mib_dirs() else {
        return;
    };
    compare_text_with_snmptrapd(&["-M", &dirs, "-m", "ALL"]);
    compare_text_with_snmptrapd(&["-M", &dirs, "-m", "ALL", "-Of"]);
    compare_text_with_snmptrapd(&["-M", &dirs, "-m", "ALL", "-Oq"]);
}

#[test]
fn json_with_mibs_adds_names_and_texts() {
    require_snmp!();
    let Some(dirs) = shared_mib_dirs() else {
        return;
    };
    let l = Listen::start(&["--json", "-M", &dirs, "-m", "ALL"]);
    snmptrap(&l.target(), SAME_TRAPS[0]);
    let ev = l.event();
    let vbs = ev["varbinds"].as_array().unwrap();
    let field = |i: usize, k: &str| vbs[i][k].as_str().unwrap().to_owned();
    assert_eq!(field(1, "name"), "SNMPv2-MIB::snmpTrapOID.0");
    assert_eq!(field(1, "text"), "OID: IF-MIB::linkDown");
    assert_eq!(field(3, "name"), "IF-MIB::ifAdminStatus.7");
    assert_eq!(field(3, "text"), "INTEGER: down(2)");
    assert_eq!(vbs[3]["value"], json!(2));
    // the pipeline's fields are unchanged: a printable string stays a string
    assert_eq!(field(5, "name"), "IF-MIB::ifDescr.7");
    assert_eq!(field(5, "value"), "0x0011");
    assert_eq!(field(5, "text"), "STRING: 0x0011");
    assert_eq!(field(6, "text"), "STRING: 0:11:aa:ff:2:3");
    assert!(l.terminate().success());
}

/// `trap listen ARGS` that must exit by itself (a refusal to start): its status and
/// stderr. Killed and failed if it is still running after 20 s.
fn listen_must_exit(args: &[&str]) -> (std::process::ExitStatus, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nocwatch"))
        .args(["trap", "listen", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = nocwatch_testkit::lines_of(child.stderr.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            let text: Vec<String> = stderr.iter().collect();
            return (st, text.join("\n"));
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("trap listen {args:?} kept running");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// RFC 3414: snmpEngineBoots grows at every start under one engine ID and is never
/// reused. With the same journal (or --state) boots grows across restarts; a state
/// file cut short, or an old `engine-boots` counter that no longer parses, is
/// refused with a clear error instead of being read as 0 (which restarted boots
/// at 1 before).
#[test]
fn engine_boots_grow_across_restarts_and_a_damaged_state_refuses_to_start() {
    let dir = TempDir::new("nocwatch-trap-boots").unwrap();
    let journal = dir.path().join("journal");
    let j = journal.to_str().unwrap();
    let state = journal.join("engine.state");
    let mut id_line = None;
    for want in 1..=3 {
        let l = Listen::start(&["--json", "--journal", j]);
        let text = std::fs::read_to_string(&state).unwrap();
        assert!(text.contains(&format!("\nboots = {want}\n")), "{text}");
        let id = text
            .lines()
            .find(|l| l.starts_with("engine-id"))
            .unwrap()
            .to_owned();
        assert_eq!(id_line.get_or_insert_with(|| id.clone()), &id);
        assert!(l.terminate().success());
    }
    // A write cut short inside the boots line.
    let text = std::fs::read_to_string(&state).unwrap();
    std::fs::write(&state, text.trim_end_matches("3\n")).unwrap();
    let (status, err) = listen_must_exit(&["--json", "--journal", j]);
    assert!(!status.success());
    assert!(
        err.contains("corrupt") && err.contains("engine.state"),
        "{err}"
    );

    // --state elsewhere, with a fixed engine ID: boots grow too.
    let s = dir.path().join("state").join("engine");
    let s = s.to_str().unwrap();
    for want in 1..=2 {
        let l = Listen::start(&["--json", "--state", s, "--engine-id", "0x80001f8804616263"]);
        let text = std::fs::read_to_string(s).unwrap();
        assert!(text.contains("engine-id = 80001f8804616263\n"), "{text}");
        assert!(text.contains(&format!("\nboots = {want}\n")), "{text}");
        assert!(l.terminate().success());
    }

    // The counter of earlier versions, damaged: refused (it read as 0 before).
    let old = dir.path().join("old-journal");
    std::fs::create_dir_all(&old).unwrap();
    std::fs::write(old.join("engine-boots"), "").unwrap();
    let (status, err) = listen_must_exit(&["--json", "--journal", old.to_str().unwrap()]);
    assert!(!status.success());
    assert!(err.contains("engine-boots"), "{err}");
    // Intact, it is carried over: boots above it.
    std::fs::write(old.join("engine-boots"), "41\n").unwrap();
    let l = Listen::start(&["--json", "--journal", old.to_str().unwrap()]);
    let text = std::fs::read_to_string(old.join("engine.state")).unwrap();
    assert!(text.contains("\nboots = 42\n"), "{text}");
    assert!(l.terminate().success());

    // A fixed engine ID with nowhere to keep boots is refused.
    let (status, err) = listen_must_exit(&["--engine-id", "0x80001f8804616263"]);
    assert!(!status.success());
    assert!(err.contains("state"), "{err}");
}

/// The same `createUser` line, with quoted pass phrases holding spaces, in
/// snmptrapd's private config and given to `trap listen` (in a file and as
/// `--user`): net-snmp's `snmptrap -A "a long phrase" -X "another one"` reaches
/// both. Split on white space, the line gave nocwatch other keys (or too many
/// words) and the trap was refused.
#[test]
fn create_user_with_quoted_phrases_is_what_snmptrapd_understands() {
    require_snmp!();
    // Traps: the sender is authoritative, so snmptrapd needs its engine ID.
    const ENGINE: &str = "0x80001f888071756f746564";
    let line = format!(r#"createUser -e {ENGINE} quoted SHA "a long phrase" AES "another one""#);
    let Some(d) = snmptrapd(&format!("disableAuthorization yes\n{line}\n")) else {
        return;
    };
    let dir = TempDir::new("nocwatch-trap-quoted").unwrap();
    let conf = dir.path().join("snmptrapd.conf");
    std::fs::write(&conf, format!("# as snmptrapd reads it\n{line}\n")).unwrap();
    let l = Listen::start(&[
        "--json",
        "--config",
        conf.to_str().unwrap(),
        "--user",
        r#"quoted2 SHA-256 'it\'s a phrase' AES-256 "with \"quotes\" too""#,
    ]);
    let send = |target: &str, user: &str, auth: [&str; 4], tag: &str| {
        let args = [
            "-v",
            "3",
            "-e",
            ENGINE,
            "-u",
            user,
            "-l",
            "authPriv",
            "-a",
            auth[0],
            "-A",
            auth[1],
            "-x",
            auth[2],
            "-X",
            auth[3],
            "-r",
            "1",
            "-t",
            "3",
            target,
            "4242",
            ".1.3.6.1.4.1.8072.9999.9999.0.77",
            TAG_OID,
            "s",
            tag,
        ];
        net_snmp_tool("snmptrap", &args)
            .unwrap()
            .success_or_err()
            .unwrap();
    };
    let first = ["SHA", "a long phrase", "AES", "another one"];
    send(&d.target(), "quoted", first, "to-snmptrapd");
    let (_, body) = d.next_notification().unwrap();
    assert!(body.contains("STRING: \"to-snmptrapd\""), "{body}");

    send(&l.target(), "quoted", first, "to-nocwatch");
    let ev = l.event();
    assert_eq!(ev["version"], "v3");
    assert_eq!(ev["security_name"], "quoted");
    assert!(ev["varbinds"].to_string().contains("to-nocwatch"), "{ev}");

    let second = ["SHA-256", "it's a phrase", "AES-256", "with \"quotes\" too"];
    send(&l.target(), "quoted2", second, "escaped");
    let ev = l.event();
    assert_eq!(ev["security_name"], "quoted2");
    assert!(ev["varbinds"].to_string().contains("escaped"), "{ev}");
    assert!(l.terminate().success());
}

/// SIGHUP re-reads the rules file (and users, communities) without a restart, as
/// snmptrapd re-reads its configuration: the next trap is classified by the new
/// rules; a broken file is reported and changes nothing.
#[test]
fn sighup_reloads_the_rules() {
    let dir = TempDir::new("nocwatch-trap-hup").unwrap();
    let rules = dir.path().join("rules.toml");
    let write_rules = |name: &str| {
        std::fs::write(
            &rules,
            format!(
                "[[rule]]\nname = \"{name}\"\noid = \"1.3.6.1.4.1.8072.9999.9999.0.5\"\nseverity = \"minor\"\n"
            ),
        )
        .unwrap();
    };
    write_rules("firstName");
    let l = Listen::start(&[
        "--json",
        "--rules",
        rules.to_str().unwrap(),
        "--dedup-window",
        "0",
    ]);
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let send = |tag: &str| {
        let dgram = {
            use nocwatch_traps::send::{Credentials, Notification, encode_trap};
            let n = Notification {
                uptime: 1,
                trap_oid: "1.3.6.1.4.1.8072.9999.9999.0.5".parse().unwrap(),
                varbinds: vec![(
                    TAG_OID.parse().unwrap(),
                    nocwatch_snmp::TypedValue::Bytes(tag.as_bytes().to_vec()),
                )],
            };
            let credentials = Credentials::Community {
                version: nocwatch_snmp::Version::V2c,
                community: b"public".to_vec(),
            };
            let mut out = Vec::new();
            encode_trap(&credentials, &n, &mut out).unwrap();
            out
        };
        sock.send_to(&dgram, l.addr).unwrap();
    };
    // How many reload lines stderr held before each SIGHUP.
    let mut seen = 0;
    let mut hup = |l: &Listen, want: &str| {
        Command::new("kill")
            .args(["-HUP", &l.p.pid().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let err = l.p.stderr();
            let reloads: Vec<String> = err
                .lines()
                .filter(|x| x.contains("reload"))
                .map(str::to_owned)
                .collect();
            if reloads.len() > seen {
                seen = reloads.len();
                let line = reloads[seen - 1].clone();
                assert!(line.contains(want), "{line}");
                return line;
            }
            assert!(Instant::now() < deadline, "no reload line: {err}");
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    send("one");
    assert_eq!(l.event()["event"], "firstName");
    write_rules("secondName");
    hup(&l, "reloaded 1 rules");
    send("two");
    assert_eq!(l.event()["event"], "secondName");
    std::fs::write(&rules, "[[rule]]\nname = \n").unwrap();
    let line = hup(&l, "reload failed");
    assert!(line.contains("nothing changed"), "{line}");
    send("three");
    assert_eq!(l.event()["event"], "secondName");
    assert!(l.terminate().success());
}
