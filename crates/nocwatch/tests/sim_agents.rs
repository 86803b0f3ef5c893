//! `nocwatch sim agents` checked by an independent peer: net-snmp's tools.
//!
//! Each test starts the simulator (the real binary, on its own 127.66.x.y addresses
//! and a free port), then:
//!
//! * walks every simulated family with net-snmp's `snmpwalk`/`snmpbulkwalk` and with
//!   nocwatch's `walk`/`bulkwalk` (v1, v2c, v3 authPriv) and requires identical
//!   output: same OIDs in the same order, same types, same values wherever two
//!   net-snmp walks around ours agree (counters and gauges that move between walks
//!   are compared by type). Simulator and client are thus each checked against
//!   net-snmp, not against each other;
//! * meets every quirk with net-snmp's tools (or raw packets) and checks what they
//!   report;
//! * records a real `snmpd` with `snmpwalk -On -Ob`, serves the recording and walks
//!   the simulator: the output is the recording, byte for byte.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::collections::BTreeMap;
use std::net::UdpSocket;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nocwatch_snmp::{
    CommunityMessage, DecodeOptions, Message, Oid, Pdu, PduType, Pdus, VarBind, VarBinds, Version,
};
use nocwatch_testkit::{
    NetSnmpLine, Process, Snmpd, TempDir, free_udp_port, lines_of, net_snmp_tool,
    parse_net_snmp_output, require_snmp,
};

const USER: &[&str] = &[
    "-u",
    "simuser",
    "-l",
    "authPriv",
    "-a",
    "SHA-256",
    "-A",
    "authpass123",
    "-x",
    "AES",
    "-X",
    "privpass123",
];

/// A running `nocwatch sim agents` (testkit process guard: stopped by PID).
struct Sim {
    process: Process,
    lines: mpsc::Receiver<String>,
    port: u16,
    header: Vec<String>,
}

impl Sim {
    /// Starts the simulator with `args` (plus --port), waiting for its "ready"
    /// line (`sim agents` prints no `nocwatch-ready` JSON line).
    fn start(args: &[&str]) -> Self {
        let mut last = String::new();
        for _ in 0..3 {
            let port = free_udp_port().unwrap();
            let port_s = port.to_string();
            let mut process = Process::spawn(
                "nocwatch sim agents",
                Command::new(env!("CARGO_BIN_EXE_nocwatch"))
                    .args(["sim", "agents", "--port", &port_s])
                    .args(args)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped()),
            )
            .unwrap();
            let rx = lines_of(process.take_stdout().unwrap());
            let err = lines_of(process.take_stderr().unwrap());
            let mut header = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(line) if line.starts_with("ready") => {
                        return Self {
                            process,
                            lines: rx,
                            port,
                            header,
                        };
                    }
                    Ok(line) => header.push(line),
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        if process.try_wait().unwrap().is_some() {
                            break;
                        }
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
            process.kill();
            let err: Vec<String> = err.try_iter().collect();
            last = format!("simulator did not start: {header:?} {}", err.join("\n"));
            // A port grabbed by someone else in between: try another.
        }
        panic!("{last}");
    }

    fn target(&self, addr: &str) -> String {
        format!("{addr}:{}", self.port)
    }

    /// SIGTERM (by PID), then the summary lines it printed.
    fn stop(mut self) -> Vec<String> {
        let exit = self.process.terminate(Duration::from_secs(15)).unwrap();
        assert!(exit.success(), "simulator exit {exit:?}");
        // The reader thread forwards what is left in the pipe, then hangs up.
        let mut rest = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => rest.push(line),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
        }
        rest
    }
}

fn nocwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nocwatch"))
        .args(args)
        .env("MIBS", "")
        .output()
        .expect("run nocwatch")
}

/// nocwatch under `timeout 20`, for runs that must fail: should one start a
/// simulator after all, it would otherwise run forever.
fn bounded_nocwatch(args: &[&str]) -> Output {
    Command::new("timeout")
        .arg("20")
        .arg(env!("CARGO_BIN_EXE_nocwatch"))
        .args(args)
        .output()
        .expect("run nocwatch")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn by_oid(lines: &[NetSnmpLine]) -> BTreeMap<String, NetSnmpLine> {
    lines.iter().map(|l| (l.oid.clone(), l.clone())).collect()
}

/// net-snmp, nocwatch, net-snmp: identical OIDs, order and types; values equal
/// wherever the two net-snmp walks agree. Returns the number of OIDs.
fn compare_walks(tool: &str, tool_args: &[&str], ours: &[&str]) -> usize {
    let a1 = net_snmp_tool(tool, tool_args).unwrap();
    let b = nocwatch(ours);
    let a2 = net_snmp_tool(tool, tool_args).unwrap();
    assert!(a1.success(), "{tool} failed: {}", a1.stderr);
    assert!(b.status.success(), "nocwatch failed: {}", text(&b.stderr));
    assert_eq!(text(&b.stderr), a1.stderr, "stderr differs");
    let theirs = a1.varbinds();
    let mine = parse_net_snmp_output(&text(&b.stdout));
    let order = |ls: &[NetSnmpLine]| ls.iter().map(|l| l.oid.clone()).collect::<Vec<_>>();
    assert_eq!(order(&mine), order(&theirs), "{tool}: OIDs or order differ");
    assert_eq!(
        order(&a2.varbinds()),
        order(&theirs),
        "the simulator's OIDs moved"
    );
    let again = by_oid(&a2.varbinds());
    let (mut exact, mut by_type) = (0, 0);
    for (m, t) in mine.iter().zip(&theirs) {
        assert_eq!(m.ty, t.ty, "type of {}: nocwatch {m} net-snmp {t}", t.oid);
        if t.value == again[&t.oid].value {
            assert_eq!(m.value, t.value, "value of {}", t.oid);
            exact += 1;
        } else {
            by_type += 1;
        }
    }
    assert!(
        exact > by_type,
        "{tool}: too few stable values ({exact} vs {by_type})"
    );
    eprintln!(
        "{tool} {tool_args:?}: {} OIDs identical ({exact} by value, {by_type} by type)",
        theirs.len()
    );
    theirs.len()
}

#[test]
fn net_snmp_and_nocwatch_walk_the_simulator_identically() {
    require_snmp!();
    let sim = Sim::start(&[
        "--count",
        "4",
        "--base",
        "127.66.1.1",
        "--interfaces",
        "4",
        "--user",
        "simuser SHA-256 authpass123 AES privpass123",
    ]);
    // One device per family: cisco, junos, arista, linux.
    assert!(
        sim.header
            .iter()
            .any(|l| l.contains("127.66.1.1:") && l.contains("cisco"))
    );
    assert!(
        sim.header
            .iter()
            .any(|l| l.contains("127.66.1.4:") && l.contains("linux"))
    );
    for d in 1..=4 {
        let t = sim.target(&format!("127.66.1.{d}"));
        let n = compare_walks(
            "snmpbulkwalk",
            &["-v2c", "-c", "public", "-On", &t, ".1"],
            &["bulkwalk", "-v2c", "-c", "public", "-On", &t, ".1"],
        );
        assert!(n > 400, "device {d}: {n} OIDs");
        compare_walks(
            "snmpwalk",
            &["-v2c", "-c", "public", "-On", &t, ".1"],
            &["walk", "-v2c", "-c", "public", "-On", &t, ".1"],
        );
    }
    // v1: Counter64 columns are invisible, the walk ends in noSuchName.
    let t = sim.target("127.66.1.2");
    compare_walks(
        "snmpwalk",
        &["-v1", "-c", "public", "-On", &t, ".1"],
        &["walk", "-v1", "-c", "public", "-On", &t, ".1"],
    );
    // v3 authPriv: discovery, time synchronisation, encrypted GETBULKs.
    let t = sim.target("127.66.1.3");
    let mut theirs = vec!["-v3"];
    theirs.extend_from_slice(USER);
    theirs.extend_from_slice(&["-On", &t, ".1"]);
    let mut ours = vec!["bulkwalk", "-v3"];
    ours.extend_from_slice(USER);
    ours.extend_from_slice(&["-On", &t, ".1"]);
    compare_walks("snmpbulkwalk", &theirs, &ours);

    // snmpget v3 authPriv reads the device's own identity.
    let mut args = vec!["-v3"];
    args.extend_from_slice(USER);
    let t4 = sim.target("127.66.1.4");
    args.extend_from_slice(&["-On", &t4, "1.3.6.1.2.1.1.5.0"]);
    let out = net_snmp_tool("snmpget", &args)
        .unwrap()
        .success_or_err()
        .unwrap();
    assert_eq!(out.varbinds()[0].string().as_deref(), Some("srv-00004"));

    let summary = sim.stop();
    let stopped = summary.iter().find(|l| l.starts_with("stopped:")).unwrap();
    assert!(stopped.contains(" reports"), "{stopped}");
    assert!(!stopped.contains(" 0 responses"), "{stopped}");
}

#[test]
fn lldp_neighbours_agree_across_devices() {
    require_snmp!();
    let sim = Sim::start(&["--count", "3", "--base", "127.66.2.1", "--interfaces", "2"]);
    // lldpRemSysName and lldpRemPortId of each device: (local port) -> (name, port).
    let mut seen = BTreeMap::new();
    for d in 1..=3u32 {
        let t = sim.target(&format!("127.66.2.{d}"));
        let name = net_snmp_tool(
            "snmpget",
            &["-v2c", "-c", "public", "-On", &t, "1.3.6.1.2.1.1.5.0"],
        )
        .unwrap()
        .success_or_err()
        .unwrap()
        .varbinds()[0]
            .string()
            .unwrap();
        let rem = net_snmp_tool(
            "snmpwalk",
            &["-v2c", "-c", "public", "-On", &t, "1.0.8802.1.1.2.1.4.1.1"],
        )
        .unwrap()
        .success_or_err()
        .unwrap()
        .varbinds();
        let ports = net_snmp_tool(
            "snmpwalk",
            &[
                "-v2c",
                "-c",
                "public",
                "-On",
                &t,
                "1.0.8802.1.1.2.1.3.7.1.3",
            ],
        )
        .unwrap()
        .success_or_err()
        .unwrap()
        .varbinds();
        for local in 1..=2 {
            let get = |col: u32| {
                let oid = format!(".1.0.8802.1.1.2.1.4.1.1.{col}.0.{local}.1");
                rem.iter().find(|l| l.oid == oid).unwrap().string().unwrap()
            };
            let my_port = ports[local - 1].string().unwrap();
            seen.insert((name.clone(), my_port), (get(9), get(7)));
        }
    }
    assert_eq!(seen.len(), 6);
    for ((me, my_port), (peer, peer_port)) in &seen {
        assert_eq!(
            seen.get(&(peer.clone(), peer_port.clone())),
            Some(&(me.clone(), my_port.clone())),
            "{me} {my_port} lists {peer} {peer_port}, which does not list it back"
        );
    }
}

/// A raw v2c GET, for the quirks net-snmp hides (it discards a wrong request-id).
fn raw_get(target: &str, request_id: i32) -> Option<(i32, usize)> {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let name: Oid = "1.3.6.1.2.1.1.5.0".parse().unwrap();
    let vbs = [VarBind::null(name.as_oid_ref())];
    let mut req = Vec::new();
    CommunityMessage {
        version: Version::V2c,
        community: b"public",
        pdu: Pdus::Pdu(Pdu::new(
            PduType::GetRequest,
            request_id,
            VarBinds::from_slice(&vbs),
        )),
    }
    .encode(&mut req);
    socket.send_to(&req, target).unwrap();
    let mut buf = [0u8; 65_536];
    let (n, from) = socket.recv_from(&mut buf).ok()?;
    assert_eq!(
        from.to_string(),
        target,
        "the reply must come from the device's address"
    );
    let Message::Community(m) = Message::decode(&buf[..n], &DecodeOptions::strict()).unwrap()
    else {
        panic!("not v2c");
    };
    Some((m.pdu.as_pdu().unwrap().request_id, n))
}

#[test]
fn quirks_as_net_snmp_sees_them() {
    require_snmp!();
    let sim = Sim::start(&[
        "--count",
        "8",
        "--base",
        "127.66.3.1",
        "--interfaces",
        "10",
        "--quirk",
        "127.66.3.1=toobig:10",
        "--device",
        "127.66.3.2=nonincreasing:1.3.6.1.2.1.2.2.1.2.3",
        "--device",
        "127.66.3.3=badid",
        "--device",
        "127.66.3.4=dropabove:600",
        "--device",
        "127.66.3.5=latency:400ms",
        "--device",
        "#5=versions:1",
        "--device",
        "#6-7=loss:1",
    ]);
    let t = |d: u32| sim.target(&format!("127.66.3.{d}"));
    let tool = |name: &str, args: &[&str]| net_snmp_tool(name, args).unwrap();

    // tooBig above 10 bindings: a 20-repetition GETBULK is refused, a GET is not.
    let big = tool(
        "snmpbulkget",
        &[
            "-v2c",
            "-c",
            "public",
            "-On",
            "-Cr20",
            &t(1),
            "1.3.6.1.2.1.2.2.1.1",
        ],
    );
    assert!(
        format!("{}{}", big.stdout, big.stderr).contains("tooBig"),
        "{} {}",
        big.stdout,
        big.stderr
    );
    let small = tool(
        "snmpget",
        &["-v2c", "-c", "public", "-On", &t(1), "1.3.6.1.2.1.1.5.0"],
    );
    assert!(small.success(), "{}", small.stderr);

    // A non-increasing OID: snmpwalk notices and stops.
    let walk = tool(
        "snmpwalk",
        &["-v2c", "-c", "public", "-On", &t(2), "1.3.6.1.2.1.2.2.1.2"],
    );
    assert!(
        walk.stderr.contains("OID not increasing"),
        "{}",
        walk.stderr
    );
    // It prints the repeated name once, then stops.
    let names: Vec<String> = walk.varbinds().iter().map(|l| l.oid.clone()).collect();
    assert_eq!(
        names,
        [
            ".1.3.6.1.2.1.2.2.1.2.1",
            ".1.3.6.1.2.1.2.2.1.2.2",
            ".1.3.6.1.2.1.2.2.1.2.2"
        ],
        "{}",
        walk.stdout
    );

    // A wrong request-id: net-snmp discards the response and times out; the raw
    // response carries the request-id plus one.
    let get = tool(
        "snmpget",
        &[
            "-v2c",
            "-c",
            "public",
            "-t",
            "0.5",
            "-r",
            "0",
            &t(3),
            "1.3.6.1.2.1.1.5.0",
        ],
    );
    assert!(
        !get.success() && get.stderr.contains("Timeout"),
        "{}",
        get.stderr
    );
    assert_eq!(raw_get(&t(3), 1234).map(|r| r.0), Some(1235));
    assert_eq!(raw_get(&t(4), 1234).map(|r| r.0), Some(1234));

    // Responses above 600 bytes vanish; small ones still come.
    let get = tool(
        "snmpget",
        &[
            "-v2c",
            "-c",
            "public",
            "-t",
            "1",
            "-r",
            "0",
            &t(4),
            "1.3.6.1.2.1.1.5.0",
        ],
    );
    assert!(get.success(), "{}", get.stderr);
    let bulk = tool(
        "snmpbulkget",
        &[
            "-v2c",
            "-c",
            "public",
            "-t",
            "0.5",
            "-r",
            "0",
            "-Cr40",
            &t(4),
            "1.3.6.1.2.1.2.2.1.2",
        ],
    );
    assert!(
        !bulk.success() && bulk.stderr.contains("Timeout"),
        "{}",
        bulk.stderr
    );

    // 400 ms of latency: a 0.2 s timeout expires, a 3 s one does not.
    let fast = tool(
        "snmpget",
        &[
            "-v2c",
            "-c",
            "public",
            "-t",
            "0.2",
            "-r",
            "0",
            &t(5),
            "1.3.6.1.2.1.1.5.0",
        ],
    );
    assert!(!fast.success(), "answered within 0.2 s despite the latency");
    let started = Instant::now();
    let slow = tool(
        "snmpget",
        &[
            "-v2c",
            "-c",
            "public",
            "-t",
            "3",
            "-r",
            "0",
            &t(5),
            "1.3.6.1.2.1.1.5.0",
        ],
    );
    assert!(slow.success(), "{}", slow.stderr);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );

    // v1 only: v2c is dropped, v1 answered.
    let v2 = tool(
        "snmpget",
        &[
            "-v2c",
            "-c",
            "public",
            "-t",
            "0.5",
            "-r",
            "0",
            &t(6),
            "1.3.6.1.2.1.1.5.0",
        ],
    );
    assert!(!v2.success());
    let v1 = tool(
        "snmpget",
        &["-v1", "-c", "public", "-On", &t(6), "1.3.6.1.2.1.1.5.0"],
    );
    assert!(v1.success(), "{}", v1.stderr);

    // Total loss.
    let lost = tool(
        "snmpget",
        &[
            "-v2c",
            "-c",
            "public",
            "-t",
            "0.3",
            "-r",
            "1",
            &t(7),
            "1.3.6.1.2.1.1.5.0",
        ],
    );
    assert!(!lost.success());

    let summary = sim.stop();
    let drops = summary.iter().find(|l| l.starts_with("drops:")).unwrap();
    for expected in ["bad version 1,", "loss 2,", "size quirk 1,"] {
        assert!(drops.contains(expected), "{expected:?} not in {drops}");
    }
}

#[test]
fn a_recorded_snmpd_is_replayed_byte_for_byte() {
    require_snmp!();
    let agent = Snmpd::start().unwrap();
    let recorded = net_snmp_tool(
        "snmpwalk",
        &["-v2c", "-c", "public", "-On", "-Ob", &agent.target(), ".1"],
    )
    .unwrap()
    .success_or_err()
    .unwrap();
    assert!(recorded.varbinds().len() > 100, "short recording");
    let dir = TempDir::new("nocwatch-sim-recording").unwrap();
    let file = dir.path().join("snmpd.snmpwalk");
    std::fs::write(&file, &recorded.stdout).unwrap();
    let sim = Sim::start(&[
        "--count",
        "2",
        "--base",
        "127.66.4.1",
        "--recording",
        file.to_str().unwrap(),
    ]);
    for d in 1..=2 {
        let replayed = net_snmp_tool(
            "snmpwalk",
            &[
                "-v2c",
                "-c",
                "public",
                "-On",
                "-Ob",
                &sim.target(&format!("127.66.4.{d}")),
                ".1",
            ],
        )
        .unwrap()
        .success_or_err()
        .unwrap();
        if replayed.stdout != recorded.stdout {
            let a: Vec<&str> = recorded.stdout.lines().collect();
            let b: Vec<&str> = replayed.stdout.lines().collect();
            let first = a.iter().zip(&b).position(|(x, y)| x != y);
            panic!(
                "replay differs ({} vs {} lines), first at {first:?}: {:?} vs {:?}",
                a.len(),
                b.len(),
                first.map(|i| a[i]),
                first.map(|i| b[i])
            );
        }
    }
    drop(sim);

    // A bad device-file line too (comments and blank lines skipped, `#N` is a
    // selector).
    let devices = dir.path().join("devices");
    std::fs::write(
        &devices,
        "127.1.0.1=toobig:3 # old agent\n# comment\n\n#10=frobnicate:1\n",
    )
    .unwrap();
    let out = bounded_nocwatch(&[
        "sim",
        "agents",
        "--count",
        "20",
        "--port",
        "1",
        "--device-file",
        devices.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("line 4"),
        "{}",
        text(&out.stderr)
    );

    // A bad line stops the simulator with its number.
    std::fs::write(
        &file,
        ".1.3.6.1.2.1.1.1.0 = STRING: \"ok\"\nnot a varbind\n",
    )
    .unwrap();
    let out = bounded_nocwatch(&[
        "sim",
        "agents",
        "--port",
        "1",
        "--recording",
        file.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("line 2"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn every_usm_combination_answers_snmpget() {
    require_snmp!();
    let auths = ["MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512"];
    let privs = ["DES", "AES", "AES-192", "AES-256"];
    let mut users = vec!["--user".to_string(), "anon".to_string()];
    for a in auths {
        users.push("--user".into());
        users.push(format!("{a}-none {a} authpass123"));
        for p in privs {
            users.push("--user".into());
            users.push(format!("{a}-{p} {a} authpass123 {p} privpass123"));
        }
    }
    let mut args = vec![
        "--count",
        "2",
        "--base",
        "127.66.5.1",
        "--families",
        "junos",
    ];
    args.extend(users.iter().map(String::as_str));
    let sim = Sim::start(&args);
    let t = sim.target("127.66.5.2");
    let get = |extra: &[&str]| {
        let mut a = vec!["-v3", "-On"];
        a.extend_from_slice(extra);
        a.extend_from_slice(&[&t, "1.3.6.1.2.1.1.5.0"]);
        let out = net_snmp_tool("snmpget", &a).unwrap();
        assert!(out.success(), "{extra:?}: {}", out.stderr);
        assert_eq!(
            out.varbinds()[0].string().as_deref(),
            Some("mx-00002"),
            "{extra:?}"
        );
    };
    get(&["-u", "anon", "-l", "noAuthNoPriv"]);
    for a in auths {
        let user = format!("{a}-none");
        get(&[
            "-u",
            &user,
            "-l",
            "authNoPriv",
            "-a",
            a,
            "-A",
            "authpass123",
        ]);
        for p in privs {
            let user = format!("{a}-{p}");
            get(&[
                "-u",
                &user,
                "-l",
                "authPriv",
                "-a",
                a,
                "-A",
                "authpass123",
                "-x",
                p,
                "-X",
                "privpass123",
            ]);
        }
    }
    // A wrong pass phrase and an unknown user get net-snmp's USM errors.
    let out = net_snmp_tool(
        "snmpget",
        &[
            "-v3",
            "-u",
            "SHA-AES",
            "-l",
            "authPriv",
            "-a",
            "SHA",
            "-A",
            "wrongpass1",
            "-x",
            "AES",
            "-X",
            "privpass123",
            &t,
            "1.3.6.1.2.1.1.5.0",
        ],
    )
    .unwrap();
    assert!(
        out.stderr.contains("Authentication failure"),
        "{}",
        out.stderr
    );
    let out = net_snmp_tool(
        "snmpget",
        &[
            "-v3",
            "-u",
            "nobody",
            "-l",
            "noAuthNoPriv",
            &t,
            "1.3.6.1.2.1.1.5.0",
        ],
    )
    .unwrap();
    assert!(out.stderr.contains("Unknown user name"), "{}", out.stderr);
    // Below the user's level: refused.
    let out = net_snmp_tool(
        "snmpget",
        &[
            "-v3",
            "-u",
            "SHA-AES",
            "-l",
            "authNoPriv",
            "-a",
            "SHA",
            "-A",
            "authpass123",
            &t,
            "1.3.6.1.2.1.1.5.0",
        ],
    )
    .unwrap();
    assert!(
        out.stderr.contains("Unsupported security level"),
        "{}",
        out.stderr
    );
}

/// `--user` is a createUser line (quoted pass phrases as snmptrapd splits them) and
/// `--rouser 'NAME LEVEL'` lowers the level accepted: net-snmp's snmpget gets
/// answers with the phrases' keys, at authNoPriv only where a rouser allows it.
#[test]
fn create_user_syntax_and_rouser_against_snmpget() {
    require_snmp!();
    let sim = Sim::start(&[
        "--count",
        "1",
        "--base",
        "127.66.9.1",
        "--families",
        "linux",
        "--user",
        r#"ops SHA-256 "a long phrase" AES "another one""#,
        "--user",
        "createUser mon SHA-256 monpass123 AES monpriv123",
        "--rouser",
        "ops auth",
    ]);
    let t = sim.target("127.66.9.1");
    let get = |user: &str, level: &str, phrases: (&str, &str)| {
        let mut a = vec!["-v3", "-On", "-u", user, "-l", level, "-a", "SHA-256"];
        a.extend_from_slice(&["-A", phrases.0]);
        if level == "authPriv" {
            a.extend_from_slice(&["-x", "AES", "-X", phrases.1]);
        }
        a.extend_from_slice(&[&t, "1.3.6.1.2.1.1.5.0"]);
        net_snmp_tool("snmpget", &a).unwrap()
    };
    let ops = ("a long phrase", "another one");
    for level in ["authPriv", "authNoPriv"] {
        let out = get("ops", level, ops);
        assert!(out.success(), "ops {level}: {}", out.stderr);
        assert!(out.varbinds()[0].string().is_some(), "ops {level}");
    }
    let mon = ("monpass123", "monpriv123");
    assert!(get("mon", "authPriv", mon).success());
    // No rouser for mon: its keys give authPriv, the lowest level it is answered at.
    let out = get("mon", "authNoPriv", mon);
    assert!(
        out.stderr.contains("Unsupported security level"),
        "{}",
        out.stderr
    );
}

#[test]
fn ports_mode_one_address_consecutive_ports() {
    require_snmp!();
    let sim = Sim::start(&[
        "--count",
        "3",
        "--base",
        "127.0.0.1",
        "--ports",
        "--threads",
        "2",
    ]);
    for i in 0..3u16 {
        let t = format!("127.0.0.1:{}", sim.port + i);
        let out = net_snmp_tool(
            "snmpget",
            &["-v2c", "-c", "public", "-On", &t, "1.3.6.1.2.1.1.5.0"],
        )
        .unwrap()
        .success_or_err()
        .unwrap();
        let name = out.varbinds()[0].string().unwrap();
        assert!(name.ends_with(&format!("-0000{}", i + 1)), "{name}");
    }
    let summary = sim.stop();
    assert!(
        summary
            .iter()
            .any(|l| l.starts_with("stopped: 3 requests, 3 responses")),
        "{summary:?}"
    );
}

/// `--flap-interval` and `--trap-target`: on real time, a device's interface goes
/// down and the linkDown trap comes from that device's address, with sysUpTime.0
/// first and the interface's ifIndex; `stop` prints the life counters.
#[test]
fn sim_agents_flaps_send_link_down_from_the_device() {
    let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
    let target = receiver.local_addr().unwrap().to_string();
    let sim = Sim::start(&[
        "--count",
        "3",
        "--base",
        "127.66.9.1",
        "--interfaces",
        "4",
        "--flap-interval",
        "300ms",
        "--down-for",
        "1s",
        "--trap-target",
        &target,
        "--trap-community",
        "simtraps",
    ]);
    assert!(
        sim.header
            .iter()
            .any(|l| l.starts_with("life: a flap every 300ms")),
        "{:?}",
        sim.header
    );
    // Three devices flapping every 300 ms on average: a trap within seconds.
    receiver
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut buf = [0u8; 2048];
    let (n, from) = receiver.recv_from(&mut buf).expect("a trap within 20 s");
    let from = from.ip().to_string();
    assert!(
        ["127.66.9.1", "127.66.9.2", "127.66.9.3"].contains(&from.as_str()),
        "from a device's address: {from}"
    );
    let Message::Community(m) = Message::decode(&buf[..n], &DecodeOptions::strict()).unwrap()
    else {
        panic!("not v2c")
    };
    assert_eq!(m.community, b"simtraps");
    let Pdus::Pdu(pdu) = m.pdu else {
        panic!("v1 trap")
    };
    assert_eq!(pdu.pdu_type, PduType::SnmpV2Trap);
    let vbs: Vec<VarBind<'_>> = pdu.varbinds.iter().map(Result::unwrap).collect();
    assert_eq!(vbs[0].name.to_oid().to_string(), "1.3.6.1.2.1.1.3.0");
    assert_eq!(
        vbs[1].value,
        nocwatch_snmp::Value::ObjectIdentifier(
            Oid::from_arcs(nocwatch_snmp::oids::LINK_DOWN)
                .unwrap()
                .as_oid_ref()
        ),
        "the first change of a lab without restarts is a linkDown"
    );
    let if_index = vbs[2].name.to_oid();
    assert!(
        if_index.to_string().starts_with("1.3.6.1.2.1.2.2.1.1."),
        "{if_index}"
    );
    let out = sim.stop();
    assert!(
        out.iter()
            .any(|l| l.starts_with("life: ") && l.contains("traps sent")),
        "{out:?}"
    );
}
