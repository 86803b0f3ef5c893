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

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use nocwatch_testkit::{TempDir, find_program, net_snmp_tool, require_snmp};
use serde_json::{Value, json};

const AUTH: [&str; 6] = ["MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512"];
const PRIV: [&str; 6] = ["DES", "AES", "AES-192", "AES-256", "AES-192-C", "AES-256-C"];
const AUTH_PASS: &str = "authpass-123";
const PRIV_PASS: &str = "privpass-456";
/// netSnmpPlaypen: a binding that tags each notification so it can be found.
const TAG_OID: &str = ".1.3.6.1.4.1.8072.9999.9999.2.0";

/// A user: its name, its createUser arguments and the net-snmp flags that reach it.
struct User {
    name: String,
    create: String,
    flags: Vec<String>,
    level: &'static str,
}

fn users() -> Vec<User> {
    let mut v = vec![User {
        name: "noauth".into(),
        create: "noauth".into(),
        flags: vec!["-l".into(), "noAuthNoPriv".into()],
        level: "noAuthNoPriv",
    }];
    for (i, a) in AUTH.iter().enumerate() {
        v.push(User {
            name: format!("a{i}"),
            create: format!("a{i} {a} {AUTH_PASS}"),
            flags: ["-l", "authNoPriv", "-a", a, "-A", AUTH_PASS]
                .map(String::from)
                .to_vec(),
            level: "authNoPriv",
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
                level: "authPriv",
            });
        }
    }
    v
}

/// Lines of a child's pipe, as they come.
fn lines_of(r: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A running `nocwatch trap listen`.
struct Listen {
    child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    addr: SocketAddr,
    metrics: Option<SocketAddr>,
}

impl Listen {
    fn start(extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_nocwatch"))
            .args([
                "trap",
                "listen",
                "--listen",
                "127.0.0.1:0",
                "--sockets",
                "2",
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run nocwatch trap listen");
        let stdout = lines_of(child.stdout.take().unwrap());
        let stderr = lines_of(child.stderr.take().unwrap());
        let wants_metrics = extra.contains(&"--metrics-listen");
        let (mut addr, mut metrics) = (None, None);
        let deadline = Instant::now() + Duration::from_secs(20);
        while addr.is_none() || (wants_metrics && metrics.is_none()) {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = stderr
                .recv_timeout(left)
                .expect("trap listen did not start");
            if let Some(rest) = line.strip_prefix("nocwatch trap listen: listening on ") {
                addr = Some(rest.split([' ', ',']).next().unwrap().parse().unwrap());
            } else if let Some(rest) = line.strip_prefix("nocwatch trap listen: metrics on http://")
            {
                metrics = Some(rest.trim_end_matches("/metrics").parse().unwrap());
            } else {
                eprintln!("trap listen: {line}");
            }
        }
        Self {
            child,
            stdout,
            stderr,
            addr: addr.unwrap(),
            metrics,
        }
    }

    fn target(&self) -> String {
        self.addr.to_string()
    }

    /// The next event, as JSON.
    fn event(&self) -> Value {
        let line = self
            .stdout
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| {
                panic!(
                    "no event; stderr: {:?}",
                    self.stderr.try_iter().collect::<Vec<_>>()
                )
            });
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
    }

    fn metrics(&self) -> String {
        let mut s = TcpStream::connect(self.metrics.expect("--metrics-listen")).unwrap();
        s.write_all(b"GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut response = String::new();
        s.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap();
        assert!(
            head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
            "{head}"
        );
        body.to_owned()
    }

    /// SIGTERM, and the exit status.
    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            assert!(Instant::now() < deadline, "trap listen ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Listen {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `OID TYPE VALUE` triples net-snmp can send, and what each must decode to.
fn bindings(tag: &str) -> (Vec<String>, Vec<Value>) {
    let sent = [
        (
            ".1.3.6.1.2.1.2.2.1.1.7",
            "i",
            "-7",
            json!({"type": "INTEGER", "value": -7}),
        ),
        (
            ".1.3.6.1.2.1.2.2.1.5.7",
            "u",
            "1000000000",
            json!({"type": "Gauge32", "value": 1_000_000_000u64}),
        ),
        (
            ".1.3.6.1.2.1.2.2.1.10.7",
            "c",
            "4294967295",
            json!({"type": "Counter32", "value": 4_294_967_295u64}),
        ),
        (
            ".1.3.6.1.2.1.2.2.1.9.7",
            "t",
            "8640123",
            json!({"type": "TimeTicks", "value": 8_640_123}),
        ),
        (
            ".1.3.6.1.2.1.4.20.1.1.10.0.0.1",
            "a",
            "10.0.0.1",
            json!({"type": "IpAddress", "value": "10.0.0.1"}),
        ),
        (
            ".1.3.6.1.2.1.1.2.0",
            "o",
            ".1.3.6.1.4.1.8072.3.2.10",
            json!({"type": "OBJECT IDENTIFIER", "value": ".1.3.6.1.4.1.8072.3.2.10"}),
        ),
        (
            ".1.3.6.1.2.1.2.2.1.2.7",
            "s",
            "Gi0/7 \"uplink\"",
            json!({"type": "OCTET STRING", "value": "Gi0/7 \"uplink\""}),
        ),
        (
            ".1.3.6.1.2.1.2.2.1.6.7",
            "x",
            "0011AAff0203",
            json!({"type": "OCTET STRING", "value": null, "hex": "0011aaff0203"}),
        ),
        (
            TAG_OID,
            "s",
            tag,
            json!({"type": "OCTET STRING", "value": tag}),
        ),
    ];
    let mut args = Vec::new();
    let mut want = Vec::new();
    for (oid, ty, value, mut expect) in sent {
        args.extend([oid.to_owned(), ty.to_owned(), value.to_owned()]);
        expect["oid"] = json!(oid);
        want.push(expect);
    }
    (args, want)
}

fn tb(oid: &str, ty: &str, value: Value) -> Value {
    json!({"oid": oid, "type": ty, "value": value})
}

/// Checks an SNMPv2 event: header fields and every binding.
fn check_v2(
    ev: &Value,
    version: &str,
    kind: &str,
    sec: &str,
    trap_oid: &str,
    uptime: u64,
    rest: &[Value],
) {
    assert_eq!(ev["source"], "127.0.0.1", "{ev}");
    assert_eq!(ev["version"], version, "{ev}");
    assert_eq!(ev["kind"], kind, "{ev}");
    assert_eq!(ev["security_name"], sec, "{ev}");
    assert_eq!(ev["trap_oid"], trap_oid, "{ev}");
    assert_eq!(ev["count"], 1, "{ev}");
    let mut want = vec![
        tb(".1.3.6.1.2.1.1.3.0", "TimeTicks", json!(uptime)),
        tb(
            ".1.3.6.1.6.3.1.1.4.1.0",
            "OBJECT IDENTIFIER",
            json!(trap_oid),
        ),
    ];
    want.extend_from_slice(rest);
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
    let trap_oid = ".1.3.6.1.6.3.1.1.5.3";

    // v2c Trap and Inform.
    for (kind, extra) in [("trap", vec![]), ("inform", vec!["-Ci"])] {
        let tag = format!("v2c-{kind}");
        let (vbs, want) = bindings(&tag);
        let mut args: Vec<&str> = vec!["-v", "2c", "-c", "public", "-r", "1", "-t", "3"];
        args.extend(extra.iter().copied());
        args.extend([target.as_str(), "4242", trap_oid]);
        args.extend(vbs.iter().map(String::as_str));
        net_snmp_tool("snmptrap", &args)
            .unwrap()
            .success_or_err()
            .unwrap();
        let ev = l.event();
        check_v2(&ev, "SNMPv2c", kind, "public", trap_oid, 4242, &want);
    }

    // v1 Trap: translated per RFC 3584, header kept.
    for (generic, specific, want_oid) in [
        ("2", "0", ".1.3.6.1.6.3.1.1.5.3".to_owned()),
        ("6", "17", ".1.3.6.1.4.1.9.9.41.2.0.17".to_owned()),
    ] {
        let (vbs, want) = bindings("v1");
        let mut args = vec![
            "-v",
            "1",
            "-c",
            "public",
            target.as_str(),
            ".1.3.6.1.4.1.9.9.41.2",
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
        let ev = l.event();
        assert_eq!(ev["kind"], "trap-v1", "{ev}");
        assert_eq!(ev["version"], "SNMPv1", "{ev}");
        assert_eq!(ev["source"], "127.0.0.1");
        assert_eq!(ev["trap_oid"], json!(want_oid), "{ev}");
        assert_eq!(
            ev["v1"],
            json!({"enterprise": ".1.3.6.1.4.1.9.9.41.2", "agent_addr": "192.0.2.7",
                   "generic_trap": generic.parse::<i32>().unwrap(),
                   "specific_trap": specific.parse::<i32>().unwrap(), "time_stamp": 777}),
        );
        let mut all = want.clone();
        all.push(tb(".1.3.6.1.6.3.18.1.3.0", "IpAddress", json!("192.0.2.7")));
        all.push(tb(".1.3.6.1.6.3.18.1.4.0", "OCTET STRING", json!("public")));
        all.push(tb(
            ".1.3.6.1.6.3.1.1.4.3.0",
            "OBJECT IDENTIFIER",
            json!(".1.3.6.1.4.1.9.9.41.2"),
        ));
        check_v2(&ev, "SNMPv1", "trap-v1", "public", &want_oid, 777, &all);
    }

    // v3: every user, Trap (sender authoritative) and Inform (we are).
    for u in &users {
        for (kind, extra) in [("trap", vec![]), ("inform", vec!["-Ci"])] {
            let tag = format!("{}-{kind}", u.name);
            let (vbs, want) = bindings(&tag);
            let mut args: Vec<&str> = vec!["-v", "3", "-u", &u.name, "-r", "1", "-t", "3"];
            args.extend(u.flags.iter().map(String::as_str));
            args.extend(extra.iter().copied());
            args.extend([target.as_str(), "99", trap_oid]);
            args.extend(vbs.iter().map(String::as_str));
            net_snmp_tool("snmptrap", &args)
                .unwrap()
                .success_or_err()
                .unwrap();
            let ev = l.event();
            check_v2(&ev, "SNMPv3", kind, &u.name, trap_oid, 99, &want);
            assert_eq!(ev["security_level"], u.level, "{ev}");
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
    assert_eq!(ev["trap_oid"], ".1.3.6.1.6.3.1.1.5.4");
    let metrics = l.metrics();
    let value = |name: &str| -> u64 {
        metrics
            .lines()
            .filter(|line| line.starts_with(name))
            .map(|line| line.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
            .sum()
    };
    assert_eq!(
        value("nocwatch_trap_decode_failed_total{reason=\"malformed\"}"),
        5,
        "{metrics}"
    );
    assert_eq!(
        value("nocwatch_trap_datagrams_received_total"),
        6,
        "{metrics}"
    );
    assert_eq!(
        value("nocwatch_trap_decoded_total{kind=\"trap\"}"),
        1,
        "{metrics}"
    );
    assert_eq!(value("nocwatch_trap_kernel_drops_total"), 0, "{metrics}");
    for line in metrics
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        assert!(line.starts_with("nocwatch_"), "{line}");
    }
    assert!(l.terminate().success());
}

/// A private snmptrapd on a random port, logging to stdout.
struct Snmptrapd {
    child: Child,
    out: Receiver<String>,
    port: u16,
    _dir: TempDir,
}

impl Snmptrapd {
    fn start(config: &str) -> Option<Self> {
        let Some(program) = find_program("snmptrapd") else {
            eprintln!("skipped: snmptrapd not installed (run ./scripts/test)");
            return None;
        };
        let dir = TempDir::new("nocwatch-snmptrapd").unwrap();
        std::fs::create_dir(dir.path().join("cert_indexes")).unwrap();
        let conf = dir.path().join("snmptrapd.conf");
        std::fs::write(&conf, config).unwrap();
        for _ in 0..5 {
            let port = nocwatch_testkit::free_udp_port().unwrap();
            let mut child = Command::new(&program)
                .env("MIBS", "")
                .env("SNMP_PERSISTENT_DIR", dir.path())
                .args(["-f", "-Lo", "-n", "-On", "-m", "", "-C", "-c"])
                .arg(&conf)
                .arg(format!("udp:127.0.0.1:{port}"))
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let out = lines_of(child.stdout.take().unwrap());
            // It announces itself once bound.
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut ready = false;
            while let Ok(line) =
                out.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                if line.contains("NET-SNMP version") {
                    ready = true;
                    break;
                }
            }
            if ready && child.try_wait().unwrap().is_none() {
                return Some(Self {
                    child,
                    out,
                    port,
                    _dir: dir,
                });
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("snmptrapd did not start");
    }

    /// The next notification: its header line and its bindings line.
    fn next(&self) -> (String, String) {
        let header = self
            .out
            .recv_timeout(Duration::from_secs(10))
            .expect("no trap logged");
        let body = self
            .out
            .recv_timeout(Duration::from_secs(5))
            .expect("no bindings line");
        (header, body)
    }
}

impl Drop for Snmptrapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
    let Some(d) = Snmptrapd::start(&conf) else {
        return;
    };
    let target = format!("127.0.0.1:{}", d.port);
    let trap_oid = ".1.3.6.1.6.3.1.1.5.3";
    let expect_body = |tag: &str, uptime: &str| {
        format!(
            ".1.3.6.1.2.1.1.3.0 = Timeticks: ({uptime}) {}\t.1.3.6.1.6.3.1.1.4.1.0 = OID: {trap_oid}\t{BINDINGS_TEXT}{TAG_OID} = STRING: \"{tag}\"",
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
        let (header, body) = d.next();
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
    let (header, second) = d.next();
    let body = d.out.recv_timeout(Duration::from_secs(5)).unwrap();
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
    assert_eq!(body, format!("\t{BINDINGS_TEXT}{TAG_OID} = STRING: \"v1\""));

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
            let (_, body) = d.next();
            assert_eq!(body, expect_body(&tag, "99"), "{tag}");
        }
    }
}
