#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]
//! `nocwatch poll` against net-snmp's snmpd: `--print` lines equal snmpbulkwalk's
//! (after the address prefix), the JSON summary counts them, and an agent that does
//! not answer is reported as a timeout with exit status 2.

use std::process::Command;

use nocwatch_testkit::{Snmpd, free_udp_port, net_snmp_tool, require_snmp};

fn nocwatch(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nocwatch"))
        .args(args)
        .output()
        .expect("run nocwatch")
}

#[test]
fn poll_prints_what_snmpbulkwalk_prints() {
    require_snmp!();
    let agent = Snmpd::start().unwrap();
    let target = agent.target();
    let root = "1.3.6.1.2.1.1";
    let want = net_snmp_tool(
        "snmpbulkwalk",
        &["-v2c", "-c", "public", "-On", "-Oe", &target, root],
    )
    .unwrap()
    .success_or_err()
    .unwrap();
    let addr = agent.addr().to_string();
    let out = nocwatch(&[
        "poll",
        "--targets",
        &addr,
        "-c",
        "public",
        "--walk",
        root,
        "--print",
    ]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let prefix = format!("{addr} ");
    let got: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix(prefix.as_str()))
        .collect();
    let want_lines: Vec<&str> = want.stdout.lines().collect();
    assert_eq!(got.len(), want_lines.len(), "{text}\n---\n{}", want.stdout);
    // sysUpTime ticks between the two walks: compare it by name only.
    for (g, w) in got.iter().zip(&want_lines) {
        if w.starts_with(".1.3.6.1.2.1.1.3.0 ") {
            assert!(g.starts_with(".1.3.6.1.2.1.1.3.0 = Timeticks: "), "{g}");
        } else {
            assert_eq!(g, w);
        }
    }
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("cycle 1: 1 of 1 targets"),
        "{text}"
    );

    let out = nocwatch(&["poll", "--targets", &addr, "--walk", root, "--json"]);
    assert!(out.status.success());
    let j: serde_json::Value =
        serde_json::from_str(String::from_utf8(out.stdout).unwrap().trim()).unwrap();
    assert_eq!(j["values"], want_lines.len());
    assert_eq!(j["timeouts"], 0);
    assert_eq!(j["complete"], 1);
}

#[test]
fn poll_reports_timeouts_and_exits_2() {
    let port = free_udp_port().unwrap().to_string();
    let out = nocwatch(&[
        "poll",
        "--targets",
        "127.0.0.1",
        "--port",
        &port,
        "-t",
        "0.05",
        "-r",
        "1",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let j: serde_json::Value =
        serde_json::from_str(String::from_utf8(out.stdout).unwrap().trim()).unwrap();
    assert_eq!(j["timeouts"], 1);
    assert_eq!(j["values"], 0);
}

/// With `-m ALL -M DIRS`, `--print` lines are what snmpbulkwalk prints with the same
/// MIBs, and a walk root may be a name.
#[test]
fn poll_prints_names_with_mibs() {
    require_snmp!();
    let Some(root) = nocwatch_testkit::shared_or_skip("mibs") else {
        return;
    };
    let dirs = [root.join("ietf"), root.join("net-snmp")]
        .iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    let agent = Snmpd::start().unwrap();
    let target = agent.target();
    let want = net_snmp_tool(
        "snmpbulkwalk",
        &[
            "-v2c",
            "-c",
            "public",
            "-m",
            "ALL",
            "-M",
            &dirs,
            &target,
            "IF-MIB::ifTable",
        ],
    )
    .unwrap()
    .success_or_err()
    .unwrap();
    let addr = agent.addr().to_string();
    let out = nocwatch(&[
        "poll",
        "--targets",
        &addr,
        "-c",
        "public",
        "-m",
        "ALL",
        "-M",
        &dirs,
        "--walk",
        "IF-MIB::ifTable",
        "--print",
    ]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let prefix = format!("{addr} ");
    let got: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix(prefix.as_str()))
        .collect();
    let want_lines: Vec<&str> = want.stdout.lines().collect();
    assert!(!want_lines.is_empty());
    assert_eq!(got.len(), want_lines.len(), "{text}\n---\n{}", want.stdout);
    // Counters and ifLastChange move between the two walks: compare those by the
    // name and type (the text up to the value), the rest exactly.
    for (g, w) in got.iter().zip(&want_lines) {
        assert!(g.starts_with("IF-MIB::if"), "{g}");
        let moving = ["Octets", "Pkts", "Discards", "Errors", "LastChange"]
            .iter()
            .any(|m| w.contains(m));
        if moving {
            let head = |l: &str| l.rsplit_once(' ').map(|(h, _)| h.to_owned()).unwrap();
            assert_eq!(head(g), head(w), "{g} vs {w}");
        } else {
            assert_eq!(g, w);
        }
    }
}
