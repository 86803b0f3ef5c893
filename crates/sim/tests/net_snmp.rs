//! The simulator against net-snmp's real tools: if `snmpwalk`, `snmpbulkwalk`,
//! `snmpget` and `snmpset` accept its answers, so will the devices' managers.
//!
//! Each test serves its own lab device on a kernel-chosen loopback port (no race for
//! a "free" port) from a small tokio runtime, and runs the tools from the test thread.

// The workspace denies these outside `#[test]` functions; the helpers below are test
// code too, and failing the calling test is exactly what they should do.
#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail the test by panicking"
)]

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use nocwatch_sim::{AgentServer, AgentStats, lab_device};
use nocwatch_snmp::Oid;
use nocwatch_testkit::{NO_SUCH_OBJECT, NetSnmpLine, ToolOutput, net_snmp_tool};

const TOOLS: [&str; 4] = ["snmpget", "snmpwalk", "snmpbulkwalk", "snmpset"];

/// Instances of `lab_device(_, 10)`, and how many of them are Counter64 (which
/// SNMPv1 does not carry).
const LAB_INSTANCES: usize = 356;
const LAB_COUNTER64S: usize = 40;

/// True when the tools are installed; otherwise the testkit's skip policy: a
/// visible `SKIP` line, or a failure under `NOCWATCH_REQUIRE_PEERS=1`.
fn net_snmp_present() -> bool {
    nocwatch_testkit::programs_or_skip(&TOOLS)
}

/// A lab device served on 127.0.0.1 from its own runtime.
struct Served {
    runtime: tokio::runtime::Runtime,
    server: AgentServer,
}

impl Served {
    fn lab(name: &str) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let agent = Arc::new(lab_device(name, 10));
        let server = runtime
            .block_on(AgentServer::spawn(
                agent,
                SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            ))
            .unwrap();
        Self { runtime, server }
    }

    fn target(&self) -> String {
        format!("udp:{}", self.server.local_addr())
    }

    /// Runs a tool against this agent: `args` come before the target, `oids` after.
    fn run(&self, tool: &str, args: &[&str], oids: &[&str]) -> ToolOutput {
        let target = self.target();
        let mut all: Vec<&str> = args.to_vec();
        all.push(&target);
        all.extend_from_slice(oids);
        net_snmp_tool(tool, &all).unwrap()
    }

    fn stop(self) -> AgentStats {
        self.runtime.block_on(self.server.stop()).unwrap()
    }
}

/// Checks a walk's output: it succeeded, said nothing on stderr (no "OID not
/// increasing", no timeout), its OIDs strictly increase, and returns the bindings.
fn clean_walk(out: &ToolOutput) -> Vec<NetSnmpLine> {
    assert!(out.success(), "{out:?}");
    assert!(out.stderr.is_empty(), "stderr: {}", out.stderr);
    let lines = out.varbinds();
    let oids: Vec<Oid> = lines
        .iter()
        .filter(|l| !l.is_exception())
        .map(|l| l.oid.parse().unwrap())
        .collect();
    for pair in oids.windows(2) {
        assert!(
            pair[0] < pair[1],
            "not increasing: {} then {}",
            pair[0],
            pair[1]
        );
    }
    lines
}

fn types(lines: &[NetSnmpLine]) -> BTreeSet<&str> {
    lines.iter().map(|l| l.ty.as_str()).collect()
}

#[test]
fn snmpwalk_v1_sees_everything_but_counter64() {
    if !net_snmp_present() {
        return;
    }
    let agent = Served::lab("walk-v1");
    let out = agent.run("snmpwalk", &["-v1", "-c", "public", "-On"], &[".1"]);
    let lines = clean_walk(&out);
    // v1 ends at the view's end with noSuchName, which snmpwalk reports as this.
    assert_eq!(
        out.stdout.lines().last(),
        Some("End of MIB"),
        "{}",
        out.stdout
    );
    assert_eq!(lines.len(), LAB_INSTANCES - LAB_COUNTER64S);
    assert!(lines.iter().all(|l| !l.is_exception()));
    let seen = types(&lines);
    for ty in [
        "STRING",
        "OID",
        "Timeticks",
        "INTEGER",
        "Gauge32",
        "Counter32",
        "Hex-STRING",
        "IpAddress",
        "Opaque",
    ] {
        assert!(seen.contains(ty), "no {ty} in {seen:?}");
    }
    assert!(!seen.contains("Counter64"));
    let stats = agent.stop();
    assert_eq!(stats.get_nexts as usize, lines.len() + 1);
    assert_eq!(stats.dropped(), 0);
}

#[test]
fn snmpbulkwalk_v2c_sees_everything() {
    if !net_snmp_present() {
        return;
    }
    let agent = Served::lab("walk-v2c");
    let out = agent.run(
        "snmpbulkwalk",
        &["-v2c", "-c", "public", "-On", "-Cr25"],
        &[".1"],
    );
    let lines = clean_walk(&out);
    let values: Vec<&NetSnmpLine> = lines.iter().filter(|l| !l.is_exception()).collect();
    assert_eq!(values.len(), LAB_INSTANCES, "{}", out.stdout);
    // Past the last instance there is only endOfMibView, which net-snmp prints at
    // most once, as the last line.
    let exceptions: Vec<&NetSnmpLine> = lines.iter().filter(|l| l.is_exception()).collect();
    assert!(exceptions.len() <= 1, "{exceptions:?}");
    if let Some(e) = exceptions.first() {
        assert_eq!(lines.last(), Some(*e));
    }
    let seen = types(&lines);
    assert!(seen.contains("Counter64"), "{seen:?}");
    assert!(seen.contains("Opaque"), "{seen:?}");
    assert_eq!(
        values.iter().filter(|l| l.ty == "Counter64").count(),
        LAB_COUNTER64S
    );
    // ifDescr.1 and the empty ifAlias of a down interface read as net-snmp prints them.
    let by_oid = |oid: &str| values.iter().find(|l| l.oid == oid).copied().unwrap();
    assert_eq!(
        by_oid(".1.3.6.1.2.1.2.2.1.2.1").string().as_deref(),
        Some("GigabitEthernet0/0")
    );
    assert_eq!(by_oid(".1.3.6.1.2.1.31.1.1.1.18.5").value, "\"\"");
    assert!(
        by_oid(".1.3.6.1.4.1.2021.10.1.6.1")
            .value
            .starts_with("Float: "),
        "{:?}",
        by_oid(".1.3.6.1.4.1.2021.10.1.6.1")
    );
    assert_eq!(by_oid(".1.3.6.1.2.1.4.20.1.1.10.0.3.1").value, "10.0.3.1");
    let stats = agent.stop();
    // 356 instances at up to 25 per request.
    assert!(stats.get_bulks >= 15, "{stats:?}");
    assert_eq!(stats.dropped(), 0);
}

#[test]
fn snmpget_present_and_missing() {
    if !net_snmp_present() {
        return;
    }
    let agent = Served::lab("get");
    let out = agent.run(
        "snmpget",
        &["-v2c", "-c", "public", "-On"],
        &[
            ".1.3.6.1.2.1.1.1.0",
            ".1.3.6.1.2.1.1.99.0",
            ".1.3.6.1.2.1.1.3.0",
        ],
    );
    assert!(out.success(), "{out:?}");
    let lines = out.varbinds();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    assert_eq!(lines[0].ty, "STRING");
    assert!(
        lines[0]
            .string()
            .unwrap()
            .starts_with("nocwatch simulated router get "),
        "{:?}",
        lines[0]
    );
    assert_eq!(lines[1].oid, ".1.3.6.1.2.1.1.99.0");
    assert_eq!(lines[1].value, NO_SUCH_OBJECT);
    assert!(lines[2].timeticks().is_some(), "{:?}", lines[2]);

    // v1: the missing OID is an error naming it, and the tool fails.
    let out = agent.run(
        "snmpget",
        &["-v1", "-c", "public", "-On"],
        &[".1.3.6.1.2.1.1.99.0"],
    );
    assert!(!out.success());
    assert!(out.stderr.contains("noSuchName"), "{}", out.stderr);
    assert!(out.stderr.contains(".1.3.6.1.2.1.1.99.0"), "{}", out.stderr);

    // A wrong community gets no answer at all.
    let out = agent.run(
        "snmpget",
        &["-v2c", "-c", "wrong", "-On", "-t", "0.3", "-r", "0"],
        &[".1.3.6.1.2.1.1.1.0"],
    );
    assert!(!out.success());
    assert!(out.stderr.contains("Timeout"), "{}", out.stderr);
    let stats = agent.stop();
    assert_eq!(stats.dropped_bad_community, 1);
}

#[test]
fn snmpset_with_write_community() {
    if !net_snmp_present() {
        return;
    }
    let agent = Served::lab("set");
    let contact = ".1.3.6.1.2.1.1.4.0";
    let out = agent.run(
        "snmpset",
        &["-v2c", "-c", "private", "-On"],
        &[contact, "s", "ops@example.net"],
    );
    assert!(out.success(), "{out:?}");
    let lines = out.varbinds();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].string().as_deref(), Some("ops@example.net"));
    let out = agent.run("snmpget", &["-v2c", "-c", "public", "-On"], &[contact]);
    assert_eq!(
        out.varbinds()[0].string().as_deref(),
        Some("ops@example.net")
    );

    // Wrong type, read-only community, read-only object: net-snmp's wording.
    for (community, oid, ty, value, reason) in [
        ("private", contact, "i", "5", "wrongType"),
        ("public", contact, "s", "x", "noAccess"),
        ("private", ".1.3.6.1.2.1.1.3.0", "t", "5", "notWritable"),
        ("private", ".1.3.6.1.2.1.1.4.1", "s", "x", "noCreation"),
    ] {
        let out = agent.run(
            "snmpset",
            &["-v2c", "-c", community, "-On"],
            &[oid, ty, value],
        );
        assert!(!out.success(), "{out:?}");
        assert!(out.stderr.contains(reason), "{reason}: {}", out.stderr);
    }
    let out = agent.run(
        "snmpset",
        &["-v1", "-c", "private", "-On"],
        &[contact, "i", "5"],
    );
    assert!(out.stderr.contains("badValue"), "{}", out.stderr);
    let stats = agent.stop();
    assert_eq!(stats.sets, 6);
    assert_eq!(stats.error_responses, 5);
}
