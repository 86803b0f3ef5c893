#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]
//! Every kind of packet nocwatch puts on the wire, dissected by Wireshark's
//! `tshark` with no malformed packet and no expert warning or error.
//!
//! The packets are real: nocwatch's own commands (`get`, `getnext`, `bulkwalk`,
//! `walk`, `set`, `trap send`) talk to nocwatch's simulator (`sim agents`) and
//! receiver (`trap listen`) through a recording UDP relay on loopback, which
//! forwards each datagram both ways and keeps a copy. The copies are written to
//! a pcap file (raw IPv4, the servers on the well-known ports 161 and 162 so
//! tshark picks its SNMP dissector without `-d`), and tshark reads it with the
//! test's SNMPv3 users in its `snmp_users` table (a private config directory),
//! so authPriv messages are authenticated, decrypted and dissected too.
//!
//! Kinds covered: v1, v2c and v3 (authPriv) Get, GetNext, GetBulk (v2c, v3) and
//! Set requests and the simulator's Responses; v1 Traps, v2c Traps and Informs
//! and their Response acks; v3 authPriv Traps and Informs, their acks and the
//! engine discovery Reports.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nocwatch_testkit::{Nocwatch, NocwatchBuilder, Process, TempDir};

const BIN: &str = env!("CARGO_BIN_EXE_nocwatch");
const AUTH_PASS: &str = "authpass-123";
const PRIV_PASS: &str = "privpass-456";

/// The v3 users: name, nocwatch's auth and priv names, tshark's names.
const USERS: &[(&str, &str, &str, &str, &str)] = &[
    ("tsha", "SHA", "AES", "SHA1", "AES"),
    ("tsha256", "SHA-256", "AES", "SHA2-256", "AES"),
    ("tmd5", "MD5", "DES", "MD5", "DES"),
];

/// One recorded datagram.
#[derive(Debug, Clone)]
struct Datagram {
    src: SocketAddrV4,
    dst: SocketAddrV4,
    payload: Vec<u8>,
}

type Log = Arc<Mutex<Vec<Datagram>>>;

/// A UDP relay in front of one server: what a client sends to [`Relay::addr`]
/// goes to the server from a socket of that client's own, and what the server
/// answers goes back to the client from [`Relay::addr`]. Every datagram is
/// logged as if the client and the server talked directly, the server on
/// `logged_port` (161 or 162).
struct Relay {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Relay {
    fn start(server: SocketAddr, logged_port: u16, log: Log) -> Self {
        let front = Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
        front
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let addr = front.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let logged_server = SocketAddrV4::new(v4(server).ip().to_owned(), logged_port);
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut backs: HashMap<SocketAddr, Arc<UdpSocket>> = HashMap::new();
                let mut threads = Vec::new();
                let mut buf = vec![0u8; 65536];
                while !stop.load(Ordering::Relaxed) {
                    let Ok((n, client)) = front.recv_from(&mut buf) else {
                        continue;
                    };
                    let back = backs.entry(client).or_insert_with(|| {
                        let back = Arc::new(UdpSocket::bind("127.0.0.1:0").unwrap());
                        back.set_read_timeout(Some(Duration::from_millis(20)))
                            .unwrap();
                        let (back2, front, stop, log) = (
                            Arc::clone(&back),
                            Arc::clone(&front),
                            Arc::clone(&stop),
                            Arc::clone(&log),
                        );
                        threads.push(std::thread::spawn(move || {
                            let mut buf = vec![0u8; 65536];
                            while !stop.load(Ordering::Relaxed) {
                                let Ok((n, _)) = back2.recv_from(&mut buf) else {
                                    continue;
                                };
                                log.lock().unwrap().push(Datagram {
                                    src: logged_server,
                                    dst: v4(client),
                                    payload: buf[..n].to_vec(),
                                });
                                front.send_to(&buf[..n], client).unwrap();
                            }
                        }));
                        back
                    });
                    log.lock().unwrap().push(Datagram {
                        src: v4(client),
                        dst: logged_server,
                        payload: buf[..n].to_vec(),
                    });
                    back.send_to(&buf[..n], server).unwrap();
                }
                for t in threads {
                    t.join().unwrap();
                }
            })
        };
        Self {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    fn target(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn v4(a: SocketAddr) -> SocketAddrV4 {
    match a {
        SocketAddr::V4(a) => a,
        SocketAddr::V6(a) => panic!("IPv4 only here: {a}"),
    }
}

/// The datagrams as a pcap file: raw IPv4 (link type 101), UDP without checksum.
fn pcap(datagrams: &[Datagram]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&101u32.to_le_bytes());
    let start = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    for (i, d) in datagrams.iter().enumerate() {
        let udp_len = 8 + d.payload.len();
        let ip_len = 20 + udp_len;
        let mut ip = Vec::with_capacity(ip_len);
        ip.extend_from_slice(&[0x45, 0]);
        ip.extend_from_slice(&u16::try_from(ip_len).unwrap().to_be_bytes());
        ip.extend_from_slice(&u16::try_from(i & 0xffff).unwrap().to_be_bytes());
        ip.extend_from_slice(&[0x40, 0, 64, 17, 0, 0]);
        ip.extend_from_slice(&d.src.ip().octets());
        ip.extend_from_slice(&d.dst.ip().octets());
        let sum = ip_checksum(&ip);
        ip[10..12].copy_from_slice(&sum.to_be_bytes());
        ip.extend_from_slice(&d.src.port().to_be_bytes());
        ip.extend_from_slice(&d.dst.port().to_be_bytes());
        ip.extend_from_slice(&u16::try_from(udp_len).unwrap().to_be_bytes());
        ip.extend_from_slice(&[0, 0]);
        ip.extend_from_slice(&d.payload);
        // One millisecond apart, in order.
        let t = start + Duration::from_millis(i as u64);
        out.extend_from_slice(&u32::try_from(t.as_secs()).unwrap().to_le_bytes());
        out.extend_from_slice(&t.subsec_micros().to_le_bytes());
        let len = u32::try_from(ip.len()).unwrap();
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&ip);
    }
    out
}

fn ip_checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], c[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(u16::try_from(sum).unwrap())
}

/// Runs a nocwatch command that must succeed; its stdout.
fn nocwatch(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nocwatch {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a nocwatch command whose exit status does not matter (a Set the
/// simulator refuses: the request and its error Response are what count).
fn nocwatch_any(args: &[&str]) {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
}

/// `nocwatch sim agents` with the test's v3 users on 127.0.0.1:`port`.
fn sim_agents(port: u16) -> Process {
    let mut cmd = Command::new(BIN);
    cmd.args(["sim", "agents", "--ports", "--base", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (name, auth, privacy, _, _) in USERS {
        cmd.arg("--user")
            .arg(format!("{name} {auth} {AUTH_PASS} {privacy} {PRIV_PASS}"));
    }
    Process::spawn("nocwatch sim agents", &mut cmd).unwrap()
}

/// The v3 flags of a user.
fn v3(user: &(&str, &str, &str, &str, &str)) -> Vec<String> {
    let (name, auth, privacy, _, _) = user;
    [
        "-v", "3", "-u", name, "-l", "authPriv", "-a", auth, "-A", AUTH_PASS, "-x", privacy, "-X",
        PRIV_PASS,
    ]
    .map(String::from)
    .to_vec()
}

fn with<'a>(head: &'a [String], tail: &[&'a str]) -> Vec<&'a str> {
    head.iter()
        .map(String::as_str)
        .chain(tail.iter().copied())
        .collect()
}

/// tshark's view of one frame.
#[derive(Debug, Default)]
struct Frame {
    number: u32,
    protocols: String,
    /// `snmp.version` (v1: 0, v2c: 1) or `snmp.msgVersion` (3).
    version: Option<u32>,
    /// `snmp.data`: the PDU type (0 get ... 8 report), after decryption for v3.
    pdu: Option<u32>,
    user: String,
    encrypted: bool,
    decrypted: bool,
    names: usize,
    severities: Vec<u32>,
    messages: String,
}

/// Wireshark's expert severity of warnings (PI_WARN).
const WARNING: u32 = 0x0060_0000;

fn dissect(dir: &TempDir, pcap: &std::path::Path) -> Vec<Frame> {
    let fields = [
        "frame.number",
        "frame.protocols",
        "snmp.version",
        "snmp.msgVersion",
        "snmp.data",
        "snmp.msgUserName",
        "snmp.encryptedPDU",
        "snmp.decrypted_pdu",
        "snmp.name",
        "_ws.expert.severity",
        "_ws.expert.message",
    ];
    let mut cmd = Command::new("tshark");
    cmd.env("WIRESHARK_CONFIG_DIR", dir.path())
        .env("HOME", dir.path())
        .args(["-n", "-r"])
        .arg(pcap)
        .args(["-T", "fields", "-E", "separator=|", "-E", "occurrence=a"])
        .args(["-E", "aggregator=;"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .map(|line| {
            let f: Vec<&str> = line.split('|').collect();
            assert_eq!(f.len(), fields.len(), "{line}");
            let first_u32 = |s: &str| s.split(';').next().and_then(|v| v.parse().ok());
            Frame {
                number: f[0].parse().unwrap(),
                protocols: f[1].to_owned(),
                version: first_u32(f[2]).or_else(|| first_u32(f[3])),
                pdu: first_u32(f[4]),
                user: f[5].to_owned(),
                encrypted: !f[6].is_empty(),
                decrypted: !f[7].is_empty(),
                names: f[8].split(';').filter(|s| !s.is_empty()).count(),
                severities: f[9]
                    .split(';')
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        s.parse()
                            .or_else(|_| u32::from_str_radix(s.trim_start_matches("0x"), 16))
                            .unwrap()
                    })
                    .collect(),
                messages: f[10].to_owned(),
            }
        })
        .collect()
}

/// The frames of `pcap` that match a display `filter`, one summary line each.
fn tshark_filter(dir: &TempDir, pcap: &std::path::Path, filter: &str) -> String {
    let out = Command::new("tshark")
        .env("WIRESHARK_CONFIG_DIR", dir.path())
        .env("HOME", dir.path())
        .args(["-n", "-r"])
        .arg(pcap)
        .args(["-Y", filter])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tshark -Y {filter:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn every_packet_nocwatch_sends_dissects_cleanly_in_tshark() {
    if nocwatch_testkit::program_or_skip("tshark").is_none() {
        return;
    }
    let log: Log = Arc::default();

    // The simulator, polled through a relay logged as port 161.
    let sim_port = nocwatch_testkit::free_udp_port().unwrap();
    let _sim = sim_agents(sim_port);
    let sim_addr = SocketAddr::from((Ipv4Addr::LOCALHOST, sim_port));
    let direct = sim_addr.to_string();
    nocwatch_testkit::wait_for("the simulator to answer", Duration::from_secs(60), || {
        Command::new(BIN)
            .args(["get", "-v", "2c", "-c", "public", "-t", "0.2", "-r", "0"])
            .args([direct.as_str(), "1.3.6.1.2.1.1.5.0"])
            .output()
            .unwrap()
            .status
            .success()
            .then_some(())
    });
    let agent = Relay::start(sim_addr, 161, Arc::clone(&log));
    let target = agent.target();
    let t = target.as_str();
    let timing = ["-t", "2", "-r", "1"];
    let sys_name = "1.3.6.1.2.1.1.5.0";
    let sys_descr = "1.3.6.1.2.1.1.1.0";
    let system = "1.3.6.1.2.1.1";
    let set = [sys_name, "s", "renamed"];
    for version in ["1", "2c"] {
        let head: Vec<String> = ["-v", version, "-c", "public"]
            .iter()
            .chain(&timing)
            .map(|s| (*s).to_owned())
            .collect();
        nocwatch(&[&["get"][..], &with(&head, &[t, sys_name, sys_descr])].concat());
        nocwatch(&[&["getnext"][..], &with(&head, &[t, sys_name])].concat());
        let walker = if version == "1" { "walk" } else { "bulkwalk" };
        nocwatch(&[&[walker][..], &with(&head, &[t, system])].concat());
        nocwatch_any(&[&["set"][..], &with(&head, &[t]), &set].concat());
    }
    for user in USERS {
        let mut head = v3(user);
        head.extend(timing.iter().map(|s| (*s).to_owned()));
        nocwatch(&[&["get"][..], &with(&head, &[t, sys_name, sys_descr])].concat());
        nocwatch(&[&["getnext"][..], &with(&head, &[t, sys_name])].concat());
        nocwatch(&[&["bulkwalk"][..], &with(&head, &[t, system])].concat());
        nocwatch_any(&[&["set"][..], &with(&head, &[t]), &set].concat());
    }

    // The receiver, behind a relay logged as port 162.
    let users_conf: String = USERS
        .iter()
        .map(|(name, auth, privacy, _, _)| {
            format!("createUser {name} {auth} {AUTH_PASS} {privacy} {PRIV_PASS}\n")
        })
        .collect();
    let builder = NocwatchBuilder::new(BIN).unwrap();
    let conf = builder.file("users.conf", &users_conf).unwrap();
    let listen: Nocwatch = builder
        .args([
            "trap",
            "listen",
            "--listen",
            "127.0.0.1:0",
            "--json",
            "-c",
            "public",
        ])
        .arg("--config")
        .arg(&conf)
        .start()
        .unwrap();
    let receiver = Relay::start(listen.addrs("traps")[0], 162, Arc::clone(&log));
    let r = receiver.target();
    let r = r.as_str();
    let event = || {
        let line = listen
            .next_stdout_line(Duration::from_secs(20))
            .unwrap_or_else(|| panic!("no event; stderr: {}", listen.stderr()));
        serde_json::from_str::<serde_json::Value>(&line).unwrap()
    };
    let binding = ["1.3.6.1.2.1.2.2.1.1.7", "i", "7"];
    nocwatch(
        &[
            &["trap", "send", "-v", "1", "-c", "public", r][..],
            &[
                "1.3.6.1.4.1.8072.9999.9999.5",
                "192.0.2.7",
                "6",
                "17",
                "4242",
            ],
            &binding,
        ]
        .concat(),
    );
    assert_eq!(event()["pdu"], "trap-v1");
    // An unclassified trap OID per notification: the default rules hold
    // classified ones (linkDown/linkUp) to correlate them, which would only slow
    // this test down.
    let mut n = 0;
    let mut trap_oid = || {
        n += 1;
        format!("1.3.6.1.4.1.8072.9999.9999.0.{n}")
    };
    for (pdu, extra) in [("trap", &[][..]), ("inform", &["-Ci"][..])] {
        let oid = trap_oid();
        nocwatch(
            &[
                &["trap", "send", "-v", "2c", "-c", "public"][..],
                &timing,
                extra,
                &[r, "4242", &oid],
                &binding,
            ]
            .concat(),
        );
        assert_eq!(event()["pdu"], pdu);
        for user in USERS {
            let head = v3(user);
            let oid = trap_oid();
            nocwatch(
                &[
                    &["trap", "send"][..],
                    &with(&head, &timing),
                    extra,
                    &[r, "4242", &oid],
                    &binding,
                ]
                .concat(),
            );
            let ev = event();
            assert_eq!((&ev["pdu"], &ev["version"]), (&pdu.into(), &"v3".into()));
        }
    }
    drop(receiver);
    drop(agent);

    let datagrams = log.lock().unwrap().clone();
    let dir = TempDir::new("nocwatch-tshark").unwrap();
    let file = dir.path().join("nocwatch.pcap");
    std::fs::write(&file, pcap(&datagrams)).unwrap();
    // tshark's SNMPv3 users (its `snmp_users` UAT), in a private config
    // directory: an empty engine ID matches every engine.
    let uat: String = USERS
        .iter()
        .map(|(name, _, _, auth, privacy)| {
            format!("\"\",\"{name}\",\"{auth}\",\"{AUTH_PASS}\",\"{privacy}\",\"{PRIV_PASS}\"\n")
        })
        .collect();
    std::fs::write(dir.path().join("snmp_users"), uat).unwrap();
    let frames = dissect(&dir, &file);
    assert_eq!(frames.len(), datagrams.len(), "tshark saw another count");

    let mut kinds: BTreeMap<(u32, u32), usize> = BTreeMap::new();
    let mut problems = Vec::new();
    for f in &frames {
        if !f.protocols.ends_with(":snmp") {
            problems.push(format!("frame {}: protocols {}", f.number, f.protocols));
        }
        if f.severities.iter().any(|&s| s >= WARNING) {
            problems.push(format!(
                "frame {}: expert {:?} {}",
                f.number, f.severities, f.messages
            ));
        }
        // Authenticated with the user's key, then decrypted and dissected down to
        // the bindings' names.
        if f.encrypted
            && !(f.messages.contains("SNMP Authentication OK")
                && f.decrypted
                && f.pdu.is_some()
                && f.names > 0)
        {
            problems.push(format!(
                "frame {}: authPriv from {:?} not decrypted (pdu {:?}, {} names)",
                f.number, f.user, f.pdu, f.names
            ));
        }
        match (f.version, f.pdu) {
            (Some(v), Some(p)) => *kinds.entry((v, p)).or_default() += 1,
            _ => problems.push(format!("frame {}: no version or PDU: {f:?}", f.number)),
        }
    }
    // The issue's own words, as a display filter: nothing may match.
    let flagged = tshark_filter(
        &dir,
        &file,
        "_ws.malformed || _ws.expert.severity >= warning",
    );
    if !flagged.is_empty() {
        problems.push(format!("display filter matched:\n{flagged}"));
    }
    if !problems.is_empty() {
        // Keep the capture for a look with Wireshark.
        let kept =
            std::env::temp_dir().join(format!("nocwatch-tshark-{}.pcap", std::process::id()));
        std::fs::copy(&file, &kept).unwrap();
        panic!(
            "{} frames, problems (capture kept at {}):\n{}",
            frames.len(),
            kept.display(),
            problems.join("\n")
        );
    }
    // Every kind: (version, PDU) with v1 = 0, v2c = 1, v3 = 3 and PDU 0 get,
    // 1 getnext, 2 response, 3 set, 4 v1 trap, 5 getbulk, 6 inform, 7 v2 trap,
    // 8 report.
    let want: BTreeSet<(u32, u32)> = [
        (0, 0),
        (0, 1),
        (0, 2),
        (0, 3),
        (0, 4),
        (1, 0),
        (1, 1),
        (1, 2),
        (1, 3),
        (1, 5),
        (1, 6),
        (1, 7),
        (3, 0),
        (3, 1),
        (3, 2),
        (3, 3),
        (3, 5),
        (3, 6),
        (3, 7),
        (3, 8),
    ]
    .into_iter()
    .collect();
    let seen: BTreeSet<(u32, u32)> = kinds.keys().copied().collect();
    let absent: Vec<_> = want.difference(&seen).collect();
    assert!(
        absent.is_empty(),
        "kinds never seen: {absent:?}; seen {kinds:?}"
    );
    let decrypted = frames.iter().filter(|f| f.decrypted).count();
    let users: BTreeSet<&str> = frames
        .iter()
        .filter(|f| f.decrypted)
        .map(|f| f.user.as_str())
        .collect();
    assert_eq!(
        users,
        USERS.iter().map(|u| u.0).collect::<BTreeSet<_>>(),
        "every user's authPriv traffic decrypted"
    );
    eprintln!(
        "tshark dissected {} frames cleanly ({decrypted} decrypted authPriv): {kinds:?}",
        frames.len()
    );
    drop(listen);
}
