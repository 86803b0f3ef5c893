//! MIB-aware output against net-snmp with the same MIBs loaded: a walk of a private
//! snmpd's whole tree prints the same text as `snmpwalk` / `snmpbulkwalk` given
//! `-M <../shared/mibs dirs> -m ALL`, with the default output and with `-Of`,
//! `-Oq`, `-On`; `get` with `-Ov`, `-Oqv`, `-Ofq`.
//!
//! Values that change on their own (uptime, counters) are found as in compare.rs:
//! net-snmp walks before and after ours; where the two agree ours must print the
//! same text, where they differ only the type (the text before `: `) is compared.
//! Tables that list the observer itself (processes, sockets) are compared by column.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Output};

use nocwatch_testkit::{Snmpd, net_snmp_tool};

/// Columns whose rows name the walking client (its process, its sockets), and
/// net-snmp's cache table, whose nsCacheStatus (cached/expired) the walks
/// themselves change: a slower walk on a loaded machine finds caches expired
/// that the faster net-snmp walks before and after it both found cached.
const OBSERVER_COLUMNS: &[&str] = &[
    "nsCache",
    "hrSWRun",
    "udpLocal",
    "udpEndpoint",
    "tcpConn",
    "tcpListener",
];

fn nocwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nocwatch"))
        .args(args)
        .env("MIBS", "")
        .output()
        .expect("run nocwatch")
}

fn mib_dirs() -> Option<String> {
    nocwatch_testkit::shared_mib_path_or_skip()
}

/// One printed binding: the name part and the value part (continuation lines of
/// multi-line hex included).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Printed {
    name: String,
    value: String,
}

/// Splits output into bindings. A binding starts at a line with `sep` (` = `, or
/// the first space for `-Oq`) whose name starts like a name (`MODULE::`, `.`);
/// other lines continue the previous value.
fn bindings(text: &str, quick: bool) -> Vec<Printed> {
    let mut out: Vec<Printed> = Vec::new();
    for line in text.lines() {
        let starts_binding = (line.starts_with('.')
            || line
                .split_once("::")
                .is_some_and(|(m, _)| !m.is_empty() && !m.contains(' ')))
            && (quick || line.contains(" = "));
        let split = if quick {
            line.split_once(' ')
        } else {
            line.split_once(" = ")
        };
        match (starts_binding, split, out.last_mut()) {
            (true, Some((name, value)), _) => out.push(Printed {
                name: name.to_owned(),
                value: value.to_owned(),
            }),
            (true, None, _) => out.push(Printed {
                name: line.to_owned(),
                value: String::new(),
            }),
            (false, _, Some(last)) => {
                last.value.push('\n');
                last.value.push_str(line);
            }
            (false, _, None) => {}
        }
    }
    out
}

/// The same tables by number, for `-On`.
const OBSERVER_SUBTREES: &[&str] = &[
    ".1.3.6.1.4.1.8072.1.5.3.",
    ".1.3.6.1.2.1.25.4.",
    ".1.3.6.1.2.1.25.5.",
    ".1.3.6.1.2.1.7.5.",
    ".1.3.6.1.2.1.7.7.",
    ".1.3.6.1.2.1.6.13.",
    ".1.3.6.1.2.1.6.19.",
    ".1.3.6.1.2.1.6.20.",
];

/// The column a binding belongs to: its label (the last observer-like label of a
/// `-Of` path), or table.entry.column arcs of a numeric name.
fn column(name: &str) -> String {
    if name.starts_with(".1.") {
        return name.split('.').take(12).collect::<Vec<_>>().join(".");
    }
    let base = name.split_once("::").map_or(name, |(_, n)| n);
    base.rsplit('.')
        .find(|part| OBSERVER_COLUMNS.iter().any(|c| part.starts_with(c)))
        .unwrap_or_else(|| base.split('.').find(|p| !p.is_empty()).unwrap_or(base))
        .to_owned()
}

fn is_observer(name: &str) -> bool {
    if name.starts_with(".1.") {
        return OBSERVER_SUBTREES.iter().any(|p| name.starts_with(p));
    }
    let c = column(name);
    OBSERVER_COLUMNS.iter().any(|p| c.starts_with(p))
}

fn type_of(value: &str) -> &str {
    value.split_once(": ").map_or(value, |(t, _)| t)
}

/// The walk compared entry by entry, as described at the top of the file.
fn compare(tool: &str, tool_args: &[&str], ours: &[&str], quick: bool) {
    let mut last_problem = String::new();
    for attempt in 1..=3 {
        let a1 = net_snmp_tool(tool, tool_args).unwrap();
        let b = nocwatch(ours);
        let a2 = net_snmp_tool(tool, tool_args).unwrap();
        assert!(a1.success(), "{tool}: {}", a1.stderr);
        assert!(
            b.status.success(),
            "nocwatch: {}",
            String::from_utf8_lossy(&b.stderr)
        );
        let split = |text: &str| {
            let mut exact = Vec::new();
            let mut columns = BTreeSet::new();
            for p in bindings(text, quick) {
                if is_observer(&p.name) {
                    columns.insert(column(&p.name));
                } else {
                    exact.push(p);
                }
            }
            (exact, columns)
        };
        let (t1, c1) = split(&a1.stdout);
        let (t2, c2) = split(&a2.stdout);
        let (mine, cm) = split(&String::from_utf8_lossy(&b.stdout));
        let names = |v: &[Printed]| v.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
        if names(&t1) != names(&t2) || c1 != c2 {
            last_problem = format!("attempt {attempt}: the agent's tree changed between walks");
            continue;
        }
        assert!(t1.len() > 500, "short walk: {}", a1.stdout);
        assert_eq!(names(&mine), names(&t1), "names or order differ ({ours:?})");
        assert_eq!(cm, c1, "observer table columns differ");
        let stable: BTreeMap<&str, bool> = t1
            .iter()
            .zip(&t2)
            .map(|(x, y)| (x.name.as_str(), x.value == y.value))
            .collect();
        let (mut exact, mut by_type) = (0, 0);
        // A value can read the same in both net-snmp walks and differently in ours
        // in between (a gauge or state going A -> B -> A): such a walk is repeated.
        let flipped: Vec<String> = mine
            .iter()
            .zip(&t1)
            .filter(|(m, t)| stable[t.name.as_str()] && m.value != t.value)
            .map(|(m, t)| format!("{}: ours {:?}, net-snmp {:?}", t.name, m.value, t.value))
            .collect();
        if !flipped.is_empty() {
            last_problem = format!("attempt {attempt} ({ours:?}): {}", flipped.join("; "));
            continue;
        }
        for (m, t) in mine.iter().zip(&t1) {
            if stable[t.name.as_str()] {
                exact += 1;
            } else if !quick {
                // (-Oq prints no type names: nothing more to compare there)
                assert_eq!(
                    type_of(&m.value),
                    type_of(&t.value),
                    "type of {} ({ours:?}): {} vs {}",
                    t.name,
                    m.value,
                    t.value
                );
            }
            if !stable[t.name.as_str()] {
                by_type += 1;
            }
        }
        eprintln!(
            "{tool} {:?}: {} bindings, {exact} identical, {by_type} by type, {} observer columns",
            &ours[8..ours.len() - 2],
            t1.len(),
            c1.len()
        );
        return;
    }
    panic!("{last_problem}");
}

#[test]
fn whole_tree_walk_prints_like_snmpwalk_with_mibs() {
    let Some(dirs) = mib_dirs() else {
        return;
    };
    if !nocwatch_testkit::skip_unless_snmp() {
        return;
    }
    let agent = Snmpd::start().unwrap();
    let t = agent.target();
    let base = ["-v2c", "-c", "public", "-M", &dirs, "-m", "ALL"];
    for (tool, cmd, opts) in [
        ("snmpbulkwalk", "bulkwalk", &[][..]),
        ("snmpwalk", "walk", &[][..]),
        ("snmpbulkwalk", "bulkwalk", &["-Of"][..]),
        ("snmpbulkwalk", "bulkwalk", &["-Oq"][..]),
        ("snmpbulkwalk", "bulkwalk", &["-On"][..]),
    ] {
        let mut theirs: Vec<&str> = base.to_vec();
        theirs.extend_from_slice(opts);
        theirs.extend([t.as_str(), ".1"]);
        let mut ours = vec![cmd];
        ours.extend_from_slice(&theirs);
        compare(tool, &theirs, &ours, opts.contains(&"-Oq"));
    }
}

#[test]
fn get_value_only_and_quick_options_match_snmpget() {
    let Some(dirs) = mib_dirs() else {
        return;
    };
    if !nocwatch_testkit::skip_unless_snmp() {
        return;
    }
    let agent = Snmpd::start().unwrap();
    let t = agent.target();
    // values that do not change between two requests
    let oids = [
        "SNMPv2-MIB::sysDescr.0",
        "SNMPv2-MIB::sysObjectID.0",
        "IF-MIB::ifAdminStatus.1",
        "IF-MIB::ifPhysAddress.1",
        "IF-MIB::ifDescr.1",
        "IF-MIB::ifSpeed.1",
        "HOST-RESOURCES-MIB::hrMemorySize.0",
        "SNMP-FRAMEWORK-MIB::snmpEngineID.0",
        "SNMP-VIEW-BASED-ACM-MIB::vacmGroupName.1.\"comm1\"",
        ".1.3.6.1.2.1.4.34.1.3.1.4.127.0.0.1",
        "IF-MIB::ifDescr.99",
    ];
    for opts in [
        &["-Ov"][..],
        &["-Oqv"][..],
        &["-Ofq"][..],
        &["-On", "-Oq"][..],
        &[][..],
    ] {
        let mut args: Vec<&str> = vec!["-v2c", "-c", "public", "-M", &dirs, "-m", "ALL"];
        args.extend_from_slice(opts);
        args.push(&t);
        args.extend(oids.iter().copied().filter(|o| o.starts_with('.')));
        let theirs = net_snmp_tool("snmpget", &args).unwrap();
        let mut ours_args = vec!["get"];
        ours_args.extend_from_slice(&args);
        let ours = nocwatch(&ours_args);
        assert_eq!(
            String::from_utf8_lossy(&ours.stdout),
            theirs.stdout,
            "{opts:?}"
        );
    }
    // names as input need the MIBs on our side too
    for opts in [&["-Ov"][..], &["-Oqv"][..], &["-Ofq"][..], &[][..]] {
        let mut args: Vec<&str> = vec!["-v2c", "-c", "public", "-M", &dirs, "-m", "ALL"];
        args.extend_from_slice(opts);
        args.push(&t);
        args.extend(oids.iter().copied());
        let theirs = net_snmp_tool("snmpget", &args).unwrap();
        let mut ours_args = vec!["get"];
        ours_args.extend_from_slice(&args);
        let ours = nocwatch(&ours_args);
        assert_eq!(
            String::from_utf8_lossy(&ours.stdout),
            theirs.stdout,
            "{opts:?}: {}",
            String::from_utf8_lossy(&ours.stderr)
        );
    }
}

#[test]
fn errors_name_the_failed_object_with_mibs() {
    let Some(dirs) = mib_dirs() else {
        return;
    };
    if !nocwatch_testkit::skip_unless_snmp() {
        return;
    }
    let agent = Snmpd::start().unwrap();
    let t = agent.target();
    for opts in [&[][..], &["-On"][..], &["-Of"][..]] {
        let mut args: Vec<&str> = vec!["-v2c", "-c", "private", "-M", &dirs, "-m", "ALL"];
        args.extend_from_slice(opts);
        args.extend([t.as_str(), "SNMPv2-MIB::sysDescr.0", "s", "x"]);
        let theirs = net_snmp_tool("snmpset", &args).unwrap();
        let mut ours_args = vec!["set"];
        ours_args.extend_from_slice(&args);
        let ours = nocwatch(&ours_args);
        assert_eq!(
            String::from_utf8_lossy(&ours.stderr),
            theirs.stderr,
            "{opts:?}"
        );
        assert_eq!(ours.status.code(), theirs.status.code(), "{opts:?}");
    }
}
