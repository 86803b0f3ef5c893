//! `nocwatch walk` / `bulkwalk` against misbehaving simulated agents, side by side with
//! net-snmp's `snmpwalk` / `snmpbulkwalk` against the same agent.
//!
//! Each test serves a lab device with one quirk (crates/sim's `Quirks`) on a loopback
//! port of its own, in this process, and runs both tools as child processes:
//!
//! * a reply cut short (`truncate_every`): both drop it and ask again; the walks are
//!   complete and identical, and "malformed reply" is never printed;
//! * a non-increasing OID (`non_increasing_at`): net-snmp compares each binding with
//!   the OID it asked for, prints the rest of the reply and stops; nocwatch prints the
//!   same rows and the same errors, with the same exit status;
//! * tooBig above N bindings, replies above N bytes dropped, and lost requests:
//!   nocwatch's bulkwalk shrinks max-repetitions (or asks again) and walks the whole
//!   table, which `snmpwalk` (one binding per request) gets too.
//!
//! Values that change with time (counters) are compared by OID and type; stable
//! columns (ifDescr, ifType) by the whole line.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::net::SocketAddr;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use nocwatch_sim::{Agent, AgentConfig, AgentServer, Quirks, lab_mib};
use nocwatch_snmp::{DecodeOptions, Message, Oid, PduType, Pdus, VarBind, Version};
use nocwatch_testkit::{
    NetSnmpLine, ToolOutput, net_snmp_tool, parse_net_snmp_output, require_snmp,
};

/// ifTable.
const IF_TABLE: &str = "1.3.6.1.2.1.2.2";
/// ifDescr, a column whose values never change.
const IF_DESCR: &str = "1.3.6.1.2.1.2.2.1.2";

/// A lab device with `quirks`, served on 127.0.0.1 by a runtime of its own.
struct Served {
    addr: SocketAddr,
    _server: AgentServer,
    _runtime: tokio::runtime::Runtime,
}

impl Served {
    fn start(interfaces: u32, quirks: Quirks) -> Self {
        let config = AgentConfig {
            quirks,
            ..AgentConfig::default()
        };
        let agent = Arc::new(Agent::new(lab_mib("quirky", interfaces).unwrap(), config));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let server = runtime
            .block_on(AgentServer::spawn(agent, "127.0.0.1:0".parse().unwrap()))
            .unwrap();
        Self {
            addr: server.local_addr(),
            _server: server,
            _runtime: runtime,
        }
    }

    fn target(&self) -> String {
        self.addr.to_string()
    }
}

fn nocwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nocwatch"))
        .args(args)
        .env("MIBS", "")
        .output()
        .expect("run nocwatch")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `tool` (net-snmp) and `nocwatch subcommand` with the same arguments.
fn both(tool: &str, subcommand: &str, args: &[&str]) -> (ToolOutput, Output) {
    let theirs = net_snmp_tool(tool, args).expect(tool);
    let mut ours_args = vec![subcommand];
    ours_args.extend_from_slice(args);
    (theirs, nocwatch(&ours_args))
}

fn oid_and_type(lines: &[NetSnmpLine]) -> Vec<(String, String)> {
    lines
        .iter()
        .map(|l| (l.oid.clone(), l.ty.clone()))
        .collect()
}

/// Asserts nocwatch printed exactly net-snmp's rows, in the same order.
fn same_rows(theirs: &ToolOutput, ours: &Output) {
    let ours_stdout = text(&ours.stdout);
    assert_eq!(
        ours_stdout,
        theirs.stdout,
        "stdout differs\nnocwatch stderr: {}\nnet-snmp stderr: {}",
        text(&ours.stderr),
        theirs.stderr
    );
}

fn no_malformed_twice(out: &Output) {
    let stderr = text(&out.stderr);
    for line in stderr.lines() {
        assert!(
            line.matches("malformed reply").count() <= 1,
            "said twice: {line}"
        );
    }
}

#[test]
fn a_reply_cut_short_is_dropped_and_the_walk_completes_as_with_net_snmp() {
    require_snmp!();
    // Every third response loses its last three bytes.
    let served = Served::start(
        24,
        Quirks {
            truncate_every: Some(3),
            ..Quirks::default()
        },
    );
    let t = served.target();
    // (snmpwalk's -Cc only turns its order check off: the walk is the same.)
    for (tool, sub, reps) in [
        ("snmpbulkwalk", "bulkwalk", "-Cr3"),
        ("snmpbulkwalk", "bulkwalk", "-Cr10"),
        ("snmpwalk", "walk", "-Cc"),
    ] {
        let args = [
            "-v2c", "-c", "public", "-On", "-t", "0.3", "-r", "5", reps, &t, IF_DESCR,
        ];
        let (theirs, ours) = both(tool, sub, &args);
        assert!(theirs.success(), "{tool}: {}", theirs.stderr);
        assert!(
            ours.status.success(),
            "nocwatch {sub} {reps}: {}",
            text(&ours.stderr)
        );
        assert_eq!(theirs.varbinds().len(), 24, "{}", theirs.stdout);
        same_rows(&theirs, &ours);
        assert_eq!(text(&ours.stderr), "", "nocwatch {sub} {reps}");
    }
    // The whole ifTable (counters move: compared by OID and type).
    let args = [
        "-v2c", "-c", "public", "-On", "-t", "0.3", "-r", "5", "-Cr7", &t, IF_TABLE,
    ];
    let (theirs, ours) = both("snmpbulkwalk", "bulkwalk", &args);
    assert!(
        theirs.success() && ours.status.success(),
        "{}",
        text(&ours.stderr)
    );
    let ours_lines = parse_net_snmp_output(&text(&ours.stdout));
    assert_eq!(oid_and_type(&ours_lines), oid_and_type(&theirs.varbinds()));
    assert!(ours_lines.len() > 24 * 20, "{}", ours_lines.len());
}

#[test]
fn every_reply_cut_short_ends_as_a_timeout_and_says_malformed_at_most_once() {
    require_snmp!();
    let served = Served::start(
        4,
        Quirks {
            truncate_every: Some(1),
            ..Quirks::default()
        },
    );
    let t = served.target();
    // The quirk really cuts the reply: leniently (clamping lengths, as the request
    // matcher reads) the header decodes and names our request; exactly, it does not.
    let raw = raw_get_next(served.addr, IF_DESCR);
    let Ok(Message::Community(m)) = Message::decode(&raw, &DecodeOptions::lenient()) else {
        panic!("the header should decode leniently")
    };
    let Pdus::Pdu(pdu) = m.pdu else {
        panic!("not a PDU")
    };
    assert_eq!(pdu.request_id, 77);
    let unclamped = DecodeOptions {
        clamp_overrunning_lengths: false,
        ..DecodeOptions::lenient()
    };
    assert!(Message::decode(&raw, &unclamped).is_err());

    let args = [
        "-v2c", "-c", "public", "-On", "-t", "0.2", "-r", "1", &t, IF_DESCR,
    ];
    let (theirs, ours) = both("snmpbulkwalk", "bulkwalk", &args);
    assert!(!theirs.success());
    assert!(theirs.stderr.contains("Timeout"), "{}", theirs.stderr);
    assert_eq!(ours.status.code(), Some(1), "{}", text(&ours.stderr));
    assert_eq!(text(&ours.stdout), theirs.stdout);
    assert!(text(&ours.stderr).starts_with("Timeout: No Response from"));
    no_malformed_twice(&ours);
    assert!(!text(&ours.stderr).contains("malformed reply"));

    // A single request has no walk to go on with: it reports the bad reply, once.
    // (A missing object: the cut takes its noSuchObject value away.)
    let get = nocwatch(&[
        "get",
        "-v2c",
        "-c",
        "public",
        "-t",
        "0.2",
        "-r",
        "0",
        &t,
        "1.3.6.1.2.1.1.99.0",
    ]);
    assert!(!get.status.success());
    let stderr = text(&get.stderr);
    assert_eq!(stderr.matches("malformed reply").count(), 1, "{stderr}");
    no_malformed_twice(&get);
}

/// One GETNEXT of `oid` as raw bytes, and the raw answer.
fn raw_get_next(agent: SocketAddr, oid: &str) -> Vec<u8> {
    let oid: Oid = oid.parse().unwrap();
    let mut request = Vec::new();
    nocwatch_snmp::CommunityMessage {
        version: Version::V2c,
        community: b"public",
        pdu: Pdus::Pdu(nocwatch_snmp::Pdu::new(
            PduType::GetNextRequest,
            77,
            nocwatch_snmp::VarBinds::from_slice(&[VarBind::null(oid.as_oid_ref())]),
        )),
    }
    .encode(&mut request);
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    socket.send_to(&request, agent).unwrap();
    let mut buf = vec![0u8; 65536];
    let (n, _) = socket.recv_from(&mut buf).unwrap();
    buf.truncate(n);
    buf
}

#[test]
fn a_non_increasing_oid_prints_what_net_snmp_prints() {
    require_snmp!();
    let served = Served::start(
        8,
        Quirks {
            non_increasing_at: Some("1.3.6.1.2.1.2.2.1.2.3".parse().unwrap()),
            ..Quirks::default()
        },
    );
    let t = served.target();
    for (tool, sub, extra) in [
        ("snmpbulkwalk", "bulkwalk", "-Cr10"),
        ("snmpbulkwalk", "bulkwalk", "-Cr4"),
        ("snmpbulkwalk", "bulkwalk", "-Cr1"),
        ("snmpwalk", "walk", "-Cp"),
    ] {
        let args = ["-v2c", "-c", "public", "-On", extra, &t, IF_DESCR];
        let (theirs, ours) = both(tool, sub, &args);
        same_rows(&theirs, &ours);
        assert_eq!(text(&ours.stderr), theirs.stderr, "{tool} {extra}");
        assert_eq!(ours.status.code(), theirs.status.code(), "{tool} {extra}");
        assert!(theirs.stderr.contains("OID not increasing"));
    }
}

#[test]
fn bulkwalk_shrinks_on_too_big_and_walks_what_snmpwalk_walks() {
    require_snmp!();
    let served = Served::start(
        12,
        Quirks {
            too_big_above: Some(10),
            ..Quirks::default()
        },
    );
    let t = served.target();
    // snmpbulkwalk stops at the tooBig; snmpwalk asks one binding at a time.
    let bulk = net_snmp_tool(
        "snmpbulkwalk",
        &["-v2c", "-c", "public", "-On", "-Cr25", &t, IF_DESCR],
    )
    .unwrap();
    assert!(bulk.stderr.contains("tooBig"), "{}", bulk.stderr);
    let theirs = net_snmp_tool("snmpwalk", &["-v2c", "-c", "public", "-On", &t, IF_DESCR]).unwrap();
    let ours = nocwatch(&[
        "bulkwalk", "-v2c", "-c", "public", "-On", "-Cr25", &t, IF_DESCR,
    ]);
    assert!(ours.status.success(), "{}", text(&ours.stderr));
    same_rows(&theirs, &ours);
    assert_eq!(theirs.varbinds().len(), 12);
}

#[test]
fn bulkwalk_shrinks_when_large_replies_vanish() {
    require_snmp!();
    let served = Served::start(
        16,
        Quirks {
            drop_responses_above: Some(600),
            ..Quirks::default()
        },
    );
    let t = served.target();
    let theirs = net_snmp_tool("snmpwalk", &["-v2c", "-c", "public", "-On", &t, IF_DESCR]).unwrap();
    assert!(theirs.success(), "{}", theirs.stderr);
    let ours = nocwatch(&[
        "bulkwalk", "-v2c", "-c", "public", "-On", "-t", "0.3", "-r", "1", "-Cr40", &t, IF_DESCR,
    ]);
    assert!(ours.status.success(), "{}", text(&ours.stderr));
    same_rows(&theirs, &ours);
    // A table whose values move: same OIDs and types.
    let theirs = net_snmp_tool("snmpwalk", &["-v2c", "-c", "public", "-On", &t, IF_TABLE]).unwrap();
    let ours = nocwatch(&[
        "bulkwalk", "-v2c", "-c", "public", "-On", "-t", "0.3", "-r", "1", "-Cr40", &t, IF_TABLE,
    ]);
    assert!(ours.status.success(), "{}", text(&ours.stderr));
    assert_eq!(
        oid_and_type(&parse_net_snmp_output(&text(&ours.stdout))),
        oid_and_type(&theirs.varbinds())
    );
}

#[test]
fn lost_requests_are_asked_again_like_net_snmp() {
    require_snmp!();
    let served = Served::start(
        16,
        Quirks {
            loss: 0.3,
            ..Quirks::default()
        },
    );
    let t = served.target();
    for (tool, sub) in [("snmpbulkwalk", "bulkwalk"), ("snmpwalk", "walk")] {
        let args = [
            "-v2c", "-c", "public", "-On", "-t", "0.2", "-r", "8", "-Cr5", &t, IF_DESCR,
        ];
        let args: Vec<&str> = args
            .iter()
            .copied()
            .filter(|a| sub == "bulkwalk" || *a != "-Cr5")
            .collect();
        let (theirs, ours) = both(tool, sub, &args);
        assert!(theirs.success(), "{}", theirs.stderr);
        assert!(ours.status.success(), "{}", text(&ours.stderr));
        same_rows(&theirs, &ours);
    }
}
