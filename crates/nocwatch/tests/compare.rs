//! nocwatch against net-snmp, side by side, on a private snmpd.
//!
//! Every test starts its own `snmpd` on a random loopback port and runs the same
//! request with net-snmp's tool and with `nocwatch`, then compares OIDs, types and
//! values. Values that change on their own (uptime, counters) are found by walking
//! twice with net-snmp around our walk: where the two net-snmp walks agree the value
//! was stable, and ours must equal it; where they differ, only the type is compared.
//!
//! A few tables list the observer itself (the process table lists the walking
//! process, the UDP tables list its socket), so their OIDs differ between any two
//! clients by construction; they are compared by shape, not by OID.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::collections::BTreeMap;
use std::process::{Command, Output};

use nocwatch_testkit::{NetSnmpLine, Snmpd, net_snmp_tool, parse_net_snmp_output, require_snmp};

/// Subtrees whose rows name the client doing the walk, and net-snmp's cache table,
/// whose nsCacheStatus the walks themselves change (a slower walk on a loaded
/// machine finds expired what both net-snmp walks around it found cached).
const OBSERVER_TABLES: &[&str] = &[
    ".1.3.6.1.4.1.8072.1.5.3.", // nsCacheTable
    ".1.3.6.1.2.1.25.4.",       // hrSWRunTable: our process
    ".1.3.6.1.2.1.25.5.",       // hrSWRunPerfTable
    ".1.3.6.1.2.1.7.5.",        // udpTable: our socket
    ".1.3.6.1.2.1.7.7.",        // udpEndpointTable
    ".1.3.6.1.2.1.6.13.",       // tcpConnTable
    ".1.3.6.1.2.1.6.19.",       // tcpConnectionTable
    ".1.3.6.1.2.1.6.20.",       // tcpListenerTable
];

fn nocwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nocwatch"))
        .args(args)
        .env("MIBS", "")
        .output()
        .expect("run nocwatch")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn is_observer(oid: &str) -> bool {
    OBSERVER_TABLES.iter().any(|p| oid.starts_with(p))
}

/// Splits a walk into the comparable part (OID → line) and the observer tables'
/// column prefixes with their row counts.
fn split(lines: &[NetSnmpLine]) -> (BTreeMap<String, NetSnmpLine>, BTreeMap<String, usize>) {
    let mut exact = BTreeMap::new();
    let mut shape = BTreeMap::new();
    for l in lines {
        if is_observer(&l.oid) {
            // table.entry.column: the first 12 arcs of these OIDs
            let column: String = l.oid.split('.').take(12).collect::<Vec<_>>().join(".");
            *shape.entry(column).or_insert(0) += 1;
        } else {
            exact.insert(l.oid.clone(), l.clone());
        }
    }
    (exact, shape)
}

/// Runs net-snmp, nocwatch, net-snmp; compares. Retries when the agent's own tables
/// changed between the two net-snmp walks (rows appearing under load).
fn compare_walks(tool: &str, tool_args: &[&str], ours: &[&str]) {
    let mut last_problem = String::new();
    for attempt in 1..=3 {
        let a1 = net_snmp_tool(tool, tool_args).expect(tool);
        let b = nocwatch(ours);
        let a2 = net_snmp_tool(tool, tool_args).expect(tool);
        assert!(a1.success(), "{tool} failed: {}", a1.stderr);
        assert!(
            b.status.success(),
            "nocwatch failed: {}\n{}",
            stderr(&b),
            stdout(&b)
        );
        assert_eq!(stderr(&b), a1.stderr, "stderr differs");
        let (x1, s1) = split(&a1.varbinds());
        let (x2, s2) = split(&a2.varbinds());
        let blines = parse_net_snmp_output(&stdout(&b));
        let (y, sy) = split(&blines);
        if x1.keys().ne(x2.keys()) || s1.keys().ne(s2.keys()) {
            last_problem =
                format!("attempt {attempt}: the agent's OID set changed between net-snmp walks");
            continue;
        }
        assert!(x1.len() > 20, "suspiciously short walk: {}", a1.stdout);
        let ours_only: Vec<_> = y.keys().filter(|k| !x1.contains_key(*k)).take(5).collect();
        let theirs_only: Vec<_> = x1.keys().filter(|k| !y.contains_key(*k)).take(5).collect();
        assert!(
            ours_only.is_empty() && theirs_only.is_empty(),
            "OIDs differ: only nocwatch {ours_only:?}, only net-snmp {theirs_only:?}"
        );
        // order matters too: a walk is in the agent's order
        let order = |ls: &[NetSnmpLine]| -> Vec<String> {
            ls.iter()
                .filter(|l| !is_observer(&l.oid))
                .map(|l| l.oid.clone())
                .collect()
        };
        assert!(
            order(&blines) == order(&a1.varbinds()),
            "walk order differs"
        );
        let mut exact = 0;
        let mut by_type = 0;
        for (oid, theirs) in &x1 {
            let mine = &y[oid];
            assert_eq!(
                mine.ty, theirs.ty,
                "type of {oid}: nocwatch {mine} net-snmp {theirs}"
            );
            if theirs.value == x2[oid].value {
                assert_eq!(mine.value, theirs.value, "value of {oid}");
                exact += 1;
            } else {
                by_type += 1;
            }
        }
        assert_eq!(
            s1.keys().collect::<Vec<_>>(),
            sy.keys().collect::<Vec<_>>(),
            "observer table columns differ"
        );
        eprintln!(
            "{tool}: {} OIDs identical ({exact} by value, {by_type} by type), {} observer-table rows compared by column",
            x1.len(),
            sy.values().sum::<usize>()
        );
        return;
    }
    panic!("{last_problem}");
}

#[test]
fn bulkwalk_whole_tree_matches_snmpbulkwalk() {
    require_snmp!();
    let agent = Snmpd::start().unwrap();
    let t = agent.target();
    compare_walks(
        "snmpbulkwalk",
        &["-v2c", "-c", "public", "-On", &t, ".1"],
        &["bulkwalk", "-v2c", "-c", "public", "-On", &t, ".1"],
    );
    compare_walks(
        "snmpbulkwalk",
        &["-v2c", "-c", "public", "-On", "-Cr50", &t, ".1.3.6.1.2.1.2"],
        &[
            "bulkwalk",
            "-v2c",
            "-c",
            "public",
            "-On",
            "-Cr50",
            &t,
            ".1.3.6.1.2.1.2",
        ],
    );
}

#[test]
fn walk_v2c_matches_snmpwalk() {
    require_snmp!();
    let agent = Snmpd::start().unwrap();
    let t = agent.target();
    compare_walks(
        "snmpwalk",
        &["-v2c", "-c", "public", "-On", &t, ".1.3.6.1"],
        &["walk", "-v2c", "-c", "public", "-On", &t, ".1.3.6.1"],
    );
}

#[test]
fn walk_v1_matches_snmpwalk() {
    require_snmp!();
    let agent = Snmpd::start().unwrap();
    let t = agent.target();
    // the default root (mib-2), and a whole-tree v1 walk that ends in noSuchName
    compare_walks(
        "snmpwalk",
        &["-v1", "-c", "public", "-On", &t],
        &["walk", "-v1", "-c", "public", "-On", &t],
    );
    compare_walks(
        "snmpwalk",
        &["-v1", "-c", "public", "-On", &t, ".1"],
        &["walk", "-v1", "-c", "public", "-On", &t, ".1"],
    );
}

/// Runs the same command both ways and requires identical stdout, stderr and status.
fn same(tool: &str, args: &[&str], sub: &str) {
    let theirs = net_snmp_tool(tool, args).unwrap();
    let mut ours_args = vec![sub];
    ours_args.extend_from_slice(args);
    let ours = nocwatch(&ours_args);
    assert_eq!(stdout(&ours), theirs.stdout, "stdout of {sub} {args:?}");
    assert_eq!(stderr(&ours), theirs.stderr, "stderr of {sub} {args:?}");
    assert_eq!(
        ours.status.code(),
        theirs.status.code(),
        "exit status of {sub} {args:?}"
    );
}

#[test]
fn get_and_getnext_match_including_errors() {
    require_snmp!();
    let agent = Snmpd::start().unwrap();
    let t = agent.target();
    let stable = [
        ".1.3.6.1.2.1.1.1.0",
        ".1.3.6.1.2.1.1.6.0",
        ".1.3.6.1.2.1.1.2.0",
    ];
    for v in ["-v1", "-v2c"] {
        let mut args = vec![v, "-c", "public", "-On", t.as_str()];
        args.extend_from_slice(&stable);
        same("snmpget", &args, "get");
        // a missing instance, a missing object, and good ones around them
        let args = [
            v,
            "-c",
            "public",
            "-On",
            &t,
            ".1.3.6.1.2.1.1.1.0",
            ".1.3.6.1.2.1.1.1.5",
            ".1.3.6.1.9.9",
            ".1.3.6.1.2.1.1.5.0",
        ];
        same("snmpget", &args, "get");
        let args = [
            v,
            "-c",
            "public",
            "-On",
            &t,
            ".1.3.6.1.2.1.1.4",
            ".1.3.6.1.2.1.1.5.0",
            ".1.3.6.1.9.9",
        ];
        same("snmpgetnext", &args, "getnext");
        // walks of a leaf, of a missing leaf, of an empty subtree
        for root in [".1.3.6.1.2.1.1.1.0", ".1.3.6.1.2.1.1.1.0.5", ".1.3.6.1.9.9"] {
            same("snmpwalk", &[v, "-c", "public", "-On", &t, root], "walk");
        }
    }
    same(
        "snmpbulkwalk",
        &[
            "-v2c",
            "-c",
            "public",
            "-On",
            "-Cr3",
            &t,
            ".1.3.6.1.2.1.1.9",
        ],
        "bulkwalk",
    );
}

#[test]
fn timeouts_match() {
    require_snmp!();
    let dead = format!("127.0.0.1:{}", nocwatch_testkit::free_udp_port().unwrap());
    let args = [
        "-v2c",
        "-c",
        "public",
        "-On",
        "-t",
        "0.2",
        "-r",
        "1",
        dead.as_str(),
        ".1.3.6.1.2.1.1.1.0",
    ];
    same("snmpget", &args, "get");
    same("snmpwalk", &args, "walk");
    same("snmpbulkwalk", &args, "bulkwalk");
    // a wrong community is a timeout too: the agent drops the request silently
    let agent = Snmpd::start().unwrap();
    let args = [
        "-v2c",
        "-c",
        "wrong",
        "-On",
        "-t",
        "0.2",
        "-r",
        "0",
        &agent.target(),
        ".1.3.6.1.2.1.1.1.0",
    ];
    same("snmpget", &args, "get");
}

#[test]
fn set_matches_snmpset() {
    require_snmp!();
    let agent = Snmpd::start().unwrap();
    let t = agent.target();
    let oid = ".1.3.6.1.2.1.92.1.1.1.0"; // nlmConfigGlobalEntryLimit, Gauge32, writable
    same(
        "snmpset",
        &["-v2c", "-c", "private", "-On", &t, oid, "u", "1234"],
        "set",
    );
    same("snmpget", &["-v2c", "-c", "public", "-On", &t, oid], "get");
    let ours = nocwatch(&["set", "-v2c", "-c", "private", "-On", &t, oid, "u", "77"]);
    assert!(ours.status.success(), "{}", stderr(&ours));
    let check = net_snmp_tool("snmpget", &["-v2c", "-c", "public", "-On", &t, oid]).unwrap();
    assert_eq!(check.stdout.trim(), format!("{oid} = Gauge32: 77"));
    // errors: wrong type, read-only community, read-only object
    same(
        "snmpset",
        &["-v2c", "-c", "private", "-On", &t, oid, "s", "oops"],
        "set",
    );
    same(
        "snmpset",
        &["-v2c", "-c", "public", "-On", &t, oid, "u", "5"],
        "set",
    );
    same(
        "snmpset",
        &[
            "-v1",
            "-c",
            "private",
            "-On",
            &t,
            ".1.3.6.1.2.1.1.1.0",
            "s",
            "x",
        ],
        "set",
    );
}
