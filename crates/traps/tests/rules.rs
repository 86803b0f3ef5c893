#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]
//! Rules files: errors with line numbers, precedence, conditions, and the default
//! pack checked against the MIB files it was written from.

mod common;

use std::path::PathBuf;
use std::time::Instant;

use common::*;
use nocwatch_snmp::{PduType, Value};
use nocwatch_traps::{Error, Pipeline, Rules, Severity};

fn line_of(e: Error) -> (usize, String) {
    match e {
        Error::Rules { line, message, .. } => (line, message),
        other => panic!("not a rules error: {other}"),
    }
}

#[test]
fn errors_carry_the_line() {
    let cases: &[(&str, usize, &str)] = &[
        (
            "[[rule]]\nname = \"a\"\noid = \"1.3.6\"\nseverity = \"major\"\n\n[[rule]]\nname = \"b\"\noid = \"1.x.3\"\nseverity = \"minor\"\n",
            6,
            "bad oid",
        ),
        (
            "[[rule]]\nname = \"a\"\noid = \"1.3.6\"\nseverity = \"loud\"\n",
            4,
            "loud",
        ),
        (
            "# comment\n[[rule]]\nname = \"a\"\nseverity = \"major\"\n",
            2,
            "exactly one of",
        ),
        (
            "[[rule]]\nname = \"a\"\nprefix = \"1.3.6\"\nseverity = \"info\"\nsources = [\"10.0.0.0/40\"]\n",
            1,
            "bad source",
        ),
        (
            "[[rule]]\nname = \"a\"\noid = \"1.3.6\"\nseverity = \"info\"\ncolour = \"red\"\n",
            5,
            "colour",
        ),
        ("\n\n[[rule]\nname = 1\n", 3, ""),
        (
            "[[rule]]\nname = \"a\"\noid = \"1.3.6\"\nseverity = \"info\"\nkey = [\"nope\"]\n",
            1,
            "key OID",
        ),
    ];
    for (text, want_line, want_msg) in cases {
        let (line, msg) = line_of(Rules::parse(text, "test.toml").unwrap_err());
        assert_eq!(line, *want_line, "{text:?}: {msg}");
        assert!(msg.contains(want_msg), "{text:?}: {msg}");
    }
    let e = Rules::parse(
        "[[rule]]\nname = \"a\"\noid = \"1.3.6\"\nseverity = \"bad\"\n",
        "x.toml",
    )
    .unwrap_err();
    assert!(e.to_string().starts_with("x.toml:4: "), "{e}");
}

#[test]
fn severities_are_case_insensitive_as_written_in_docs() {
    for (word, want) in [
        ("Critical", Severity::Critical),
        ("clear", Severity::Clear),
        ("MAJOR", Severity::Major),
    ] {
        let text = format!("[defaults]\nseverity = \"{word}\"\n");
        assert_eq!(Rules::parse(&text, "t").unwrap().default_severity(), want);
    }
}

#[test]
fn precedence_conditions_and_sources() {
    let text = r#"
[defaults]
severity = "info"

[[rule]]
name = "vendor"
prefix = "1.3.6.1.4.1.9"
severity = "minor"

[[rule]]
name = "cisco-bgp"
prefix = "1.3.6.1.4.1.9.9.187"
severity = "major"

[[rule]]
name = "admin-down"
oid = "1.3.6.1.6.3.1.1.5.3"
severity = "info"
match = [{ oid = "1.3.6.1.2.1.2.2.1.7", equals = "2" }]

[[rule]]
name = "core-link-down"
oid = "1.3.6.1.6.3.1.1.5.3"
severity = "critical"
sources = ["10.0.0.0/29"]

[[rule]]
name = "link-down"
oid = "1.3.6.1.6.3.1.1.5.3"
severity = "major"
"#;
    let rules = std::sync::Arc::new(Rules::parse(text, "t").unwrap());
    let mut cfg = config();
    cfg.rules = rules;
    let mut p = Pipeline::open(cfg, Instant::now()).unwrap();
    let down = |admin: i64| {
        v2c(
            PduType::SnmpV2Trap,
            "public",
            "1.3.6.1.6.3.1.1.5.3",
            &[
                ("1.3.6.1.2.1.2.2.1.1.1", Value::Integer(1)),
                ("1.3.6.1.2.1.2.2.1.7.1", Value::Integer(admin)),
            ],
        )
    };
    let pkts = vec![
        (
            peer(100),
            v2c(
                PduType::SnmpV2Trap,
                "public",
                "1.3.6.1.4.1.9.9.187.0.1",
                &[],
            ),
        ),
        (
            peer(100),
            v2c(
                PduType::SnmpV2Trap,
                "public",
                "1.3.6.1.4.1.9.9.41.2.0.1",
                &[],
            ),
        ),
        (
            peer(100),
            v2c(PduType::SnmpV2Trap, "public", "1.3.6.1.4.1.99.1", &[]),
        ),
        (peer(100), down(2)),
        (peer(3), down(1)),
        (peer(100), down(1)),
    ];
    feed(&mut p, &pkts);
    // Round-robin across the two sources changes the order; compare as sets.
    let mut got: Vec<(String, String)> = json_events(&p)
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap().to_owned(),
                e["severity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want = [
        ("cisco-bgp", "major"),
        ("vendor", "minor"),
        ("unknown", "info"),
        ("admin-down", "info"),
        ("core-link-down", "critical"),
        ("link-down", "major"),
    ];
    let mut want: Vec<(String, String)> = want
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn default_pack_parses_and_covers_the_required_notifications() {
    let rules = Rules::default_pack().unwrap();
    assert!(rules.len() > 100);
    let text = nocwatch_traps::rules::DEFAULT_RULES;
    for name in [
        "coldStart",
        "warmStart",
        "authenticationFailure",
        "linkDown",
        "linkUp",
        "bgpEstablishedNotification",
        "bgpBackwardTransNotification",
        "cbgpPeer2BackwardTransNotification",
        "jnxBgpM2BackwardTransition",
        "aristaBgp4V2BackwardTransitionNotification",
        "ospfNbrStateChange",
        "entConfigChange",
    ] {
        assert!(
            text.contains(&format!("name = \"{name}\"")),
            "{name} missing"
        );
    }
    assert_eq!(rules.default_severity(), Severity::Warning);
}

/// Every rule's OID is the OID crates/mib resolves for `mib::name`.
#[test]
fn default_pack_oids_match_the_mib_files() {
    let Some(ietf) = nocwatch_testkit::shared_or_skip("mibs/ietf") else {
        return;
    };
    let root = ietf.parent().unwrap().to_path_buf();
    let mut dirs: Vec<PathBuf> = vec![ietf, root.join("net-snmp")];
    for d in std::fs::read_dir(root.join("vendor")).unwrap() {
        dirs.push(d.unwrap().path());
    }
    let (mibs, _) = nocwatch_mib::Mibs::load_dirs(&dirs);
    let doc: toml::Table = toml::from_str(nocwatch_traps::rules::DEFAULT_RULES).unwrap();
    let rules = doc["rule"].as_array().unwrap();
    let mut checked = 0;
    for r in rules {
        let name = r["name"].as_str().unwrap();
        let module = r["mib"].as_str().unwrap();
        let oid = r["oid"].as_str().unwrap();
        let obj = mibs
            .objects()
            .iter()
            .find(|o| o.name == name && o.module == module)
            .unwrap_or_else(|| panic!("{module}::{name} not in ../shared/mibs"));
        assert_eq!(obj.kind, nocwatch_mib::NodeKind::NotificationType, "{name}");
        let dotted: Vec<String> = obj.oid.iter().map(u32::to_string).collect();
        assert_eq!(dotted.join("."), oid, "{module}::{name}");
        checked += 1;
    }
    assert_eq!(checked, rules.len());
    println!("checked {checked} default rules against the MIBs");
}
