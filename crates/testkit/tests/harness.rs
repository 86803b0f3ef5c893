//! Live checks of the testkit against real net-snmp: agents start in parallel
//! on distinct ports, answer the tools, are gone after drop, and the parser
//! agrees byte for byte with what the tools print.
//!
//! Every test skips (with a printed reason) when net-snmp is not installed;
//! `./scripts/test` installs it.

// The workspace denies `panic!` outside `#[test]` functions; here the helpers
// below are test code too, and panicking is how they fail the calling test.
#![allow(clippy::panic, reason = "test helpers fail the test by panicking")]

use std::collections::HashSet;
use std::fs;
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use nocwatch_testkit::{
    NetSnmpLine, SYS_LOCATION, SYS_NAME, Snmpd, TempDir, TestkitError, find_program, net_snmp_tool,
    parse_net_snmp_output, require_snmp,
};

const SYS_LOCATION_OID: &str = ".1.3.6.1.2.1.1.6.0";
const SYS_NAME_OID: &str = ".1.3.6.1.2.1.1.5.0";
/// NOTIFICATION-LOG-MIB nlmConfigGlobalEntryLimit.0: a writable Gauge32 scalar
/// that snmpd serves out of the box.
const NLM_ENTRY_LIMIT_OID: &str = ".1.3.6.1.2.1.92.1.1.1.0";
/// NET-SNMP-EXTEND-MIB nsExtendOutputFull: the whole output of each `extend`.
const EXTEND_OUTPUT_FULL: &str = ".1.3.6.1.4.1.8072.1.3.2.3.1.2";

/// Runs a tool that must succeed, with `-On` and the agent's v2c/v1 target.
fn walk(tool: &str, version: &str, agent: &Snmpd, root: &[&str]) -> String {
    let target = agent.target();
    let mut args = vec![version, "-c", "public", "-On", &target];
    args.extend_from_slice(root);
    match net_snmp_tool(tool, &args).and_then(|o| o.success_or_err()) {
        Ok(out) => out.stdout,
        Err(e) => panic!("{e}\nagent log:\n{}", agent.log()),
    }
}

fn value_of<'a>(lines: &'a [NetSnmpLine], oid: &str) -> &'a NetSnmpLine {
    lines
        .iter()
        .find(|l| l.oid == oid)
        .unwrap_or_else(|| panic!("{oid} missing from the walk"))
}

fn render(lines: &[NetSnmpLine]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// The nsExtendOutputFull instance for an `extend` name: the name is a
/// length-prefixed string index.
fn extend_row_oid(name: &str) -> String {
    let mut oid = format!("{EXTEND_OUTPUT_FULL}.{}", name.len());
    for b in name.bytes() {
        oid.push_str(&format!(".{b}"));
    }
    oid
}

/// Waits for `/proc/<pid>` to disappear (Linux only; elsewhere trivially true).
fn process_gone(pid: u32) -> bool {
    let proc_dir = format!("/proc/{pid}");
    if !Path::new("/proc/self").exists() {
        return true;
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if !Path::new(&proc_dir).exists() {
            return true;
        }
        thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn two_agents_at_once_walk_and_stop() {
    require_snmp!();
    // Start both concurrently, as parallel tests would.
    let (a, b) = thread::scope(|s| {
        let a = s.spawn(Snmpd::start);
        let b = s.spawn(Snmpd::start);
        (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
    });
    assert_ne!(a.port(), b.port());
    assert_ne!(a.pid(), b.pid());
    assert_ne!(a.dir(), b.dir());
    assert_eq!(a.target(), format!("127.0.0.1:{}", a.port()));
    assert_eq!(a.addr().port(), a.port());
    assert!(a.addr().ip().is_loopback());

    for agent in [&a, &b] {
        let bulk = walk("snmpbulkwalk", "-v2c", agent, &[]);
        let lines = parse_net_snmp_output(&bulk);
        assert!(lines.len() > 100, "only {} varbinds", lines.len());
        assert_eq!(
            render(&lines),
            bulk,
            "parser does not round-trip live output"
        );
        assert_eq!(
            value_of(&lines, SYS_LOCATION_OID).string().as_deref(),
            Some(SYS_LOCATION)
        );
        assert_eq!(
            value_of(&lines, SYS_NAME_OID).string().as_deref(),
            Some(SYS_NAME)
        );
        assert!(lines.iter().any(|l| l.ty == "Counter64"));

        // v1 cannot carry Counter64, so the agent skips those objects.
        let v1 = walk("snmpwalk", "-v1", agent, &[".1.3.6.1.2.1"]);
        let v1_lines = parse_net_snmp_output(&v1);
        assert!(v1_lines.len() > 100, "only {} varbinds", v1_lines.len());
        assert_eq!(render(&v1_lines), v1);
        assert!(v1_lines.iter().all(|l| l.ty != "Counter64"));
        assert_eq!(
            value_of(&v1_lines, SYS_LOCATION_OID).string().as_deref(),
            Some(SYS_LOCATION)
        );
    }

    let (a_pid, a_dir) = (a.pid(), a.dir().to_path_buf());
    let (b_pid, b_dir) = (b.pid(), b.dir().to_path_buf());
    drop(a);
    assert!(process_gone(a_pid), "snmpd {a_pid} survived drop");
    assert!(!a_dir.exists(), "{} survived drop", a_dir.display());
    // The other agent is unaffected.
    let still = walk("snmpget", "-v2c", &b, &[SYS_LOCATION_OID]);
    assert!(still.contains(SYS_LOCATION), "{still}");
    drop(b);
    assert!(process_gone(b_pid), "snmpd {b_pid} survived drop");
    assert!(!b_dir.exists());
}

#[test]
fn multi_line_values_parse_like_net_snmp_prints_them() {
    require_snmp!();
    let cat = find_program("cat").unwrap();
    let files = TempDir::new("nocwatch-testkit-extend").unwrap();
    // (extend name, file content); `extend` strips one trailing newline, so
    // no content ends with one.
    let text = "first line\n\
                .1.3.6.1.2.1.1.1.0 = STRING: \"looks like a varbind\"\n\
                \n\
                quote \" and backslash \\ and \\\" pair\n\
                last \"";
    let bytes: Vec<u8> = (1u8..=50).collect();
    fs::write(files.path().join("text"), text).unwrap();
    fs::write(files.path().join("bytes"), &bytes).unwrap();
    let extra = format!(
        "extend text {cat} {dir}/text\nextend bytes {cat} {dir}/bytes\n",
        cat = cat.display(),
        dir = files.path().display()
    );
    let agent = Snmpd::start_with(&extra).unwrap();

    let out = walk("snmpwalk", "-v2c", &agent, &[EXTEND_OUTPUT_FULL]);
    let lines = parse_net_snmp_output(&out);
    assert_eq!(render(&lines), out);
    assert_eq!(lines.len(), 2, "{out}");
    let bytes_row = value_of(&lines, &extend_row_oid("bytes"));
    let text_row = value_of(&lines, &extend_row_oid("text"));
    assert_eq!(bytes_row.ty, "Hex-STRING");
    assert_eq!(bytes_row.value.lines().count(), 4, "16 bytes per line");
    assert_eq!(bytes_row.octets(), Some(bytes));
    assert_eq!(text_row.ty, "STRING");
    assert_eq!(text_row.string().as_deref(), Some(text));
}

#[test]
fn write_community_can_set_and_read_community_cannot() {
    require_snmp!();
    let agent = Snmpd::start().unwrap();
    let target = agent.target();
    let set = |community: &str, value: &str| {
        net_snmp_tool(
            "snmpset",
            &[
                "-v2c",
                "-c",
                community,
                "-On",
                &target,
                NLM_ENTRY_LIMIT_OID,
                "u",
                value,
            ],
        )
        .unwrap()
    };
    let denied = set("public", "77");
    assert!(!denied.success());
    assert!(denied.stderr.contains("noAccess"), "{}", denied.stderr);

    let ok = set("private", "500").success_or_err().unwrap();
    let line = &ok.varbinds()[0];
    assert_eq!((line.ty.as_str(), line.integer()), ("Gauge32", Some(500)));
    let read = walk("snmpget", "-v2c", &agent, &[NLM_ENTRY_LIMIT_OID]);
    assert_eq!(parse_net_snmp_output(&read)[0].integer(), Some(500));
}

#[test]
fn exceptions_and_v1_errors() {
    require_snmp!();
    let agent = Snmpd::start().unwrap();
    let out = walk(
        "snmpget",
        "-v2c",
        &agent,
        &[".1.3.6.1.2.1.1.99.0", ".1.3.6.1.2.1.1.1.1"],
    );
    let lines = parse_net_snmp_output(&out);
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().all(NetSnmpLine::is_exception), "{out}");

    // v1 has no exceptions: the tool reports noSuchName on stderr and fails.
    let v1 = net_snmp_tool(
        "snmpget",
        &[
            "-v1",
            "-c",
            "public",
            "-On",
            &agent.target(),
            ".1.3.6.1.2.1.1.99.0",
        ],
    )
    .unwrap();
    assert!(!v1.success());
    assert!(v1.varbinds().is_empty());
    assert!(v1.stderr.contains("noSuchName"), "{}", v1.stderr);
}

#[test]
fn bad_config_fails_with_the_agent_log() {
    require_snmp!();
    // An agentAddress that cannot be bound (TEST-NET-1 is not local) makes
    // snmpd exit at once; the error must carry its log.
    let err = Snmpd::start_with("agentAddress udp:192.0.2.1:161").unwrap_err();
    match &err {
        TestkitError::SnmpdExited { log, .. } => {
            assert!(log.contains("192.0.2.1"), "{log}");
        }
        other => panic!("unexpected error: {other}"),
    }
}

#[test]
fn ports_are_distinct_across_many_agents() {
    require_snmp!();
    let agents: Vec<Snmpd> = thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(Snmpd::start)).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap())
            .collect()
    });
    let ports: HashSet<u16> = agents.iter().map(Snmpd::port).collect();
    assert_eq!(ports.len(), agents.len());
}
