//! SNMPv3 against net-snmp: every USM combination net-snmp 5.9 supports.
//!
//! One private snmpd holds a user per combination (6 auth × 6 priv at authPriv, 6 at
//! authNoPriv, one at noAuthNoPriv). For each user, `get`, `walk`, `bulkwalk` and
//! `set` run with net-snmp's tools and with nocwatch, and must agree. Then the ways
//! v3 goes wrong in the field: wrong passwords, unknown users, a level the user does
//! not have, the AES-256 key-extension dialect mismatch (silent at the agent), all of
//! which must end within the timeout with net-snmp's message, never hang.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::process::{Command, Output};

use nocwatch_testkit::{Snmpd, net_snmp_tool, require_snmp};

const AUTH: [&str; 6] = ["MD5", "SHA", "SHA-224", "SHA-256", "SHA-384", "SHA-512"];
const PRIV: [&str; 6] = ["DES", "AES", "AES-192", "AES-256", "AES-192-C", "AES-256-C"];
const AUTH_PASS: &str = "authpass-123";
const PRIV_PASS: &str = "privpass-456";

fn nocwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nocwatch"))
        .args(args)
        .output()
        .expect("run nocwatch")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A user: its name and the net-snmp security flags that reach it.
struct User {
    name: String,
    flags: Vec<String>,
}

fn users() -> Vec<User> {
    let mut v = vec![User {
        name: "noauth".into(),
        flags: vec!["-l".into(), "noAuthNoPriv".into()],
    }];
    for (i, a) in AUTH.iter().enumerate() {
        v.push(User {
            name: format!("a{i}"),
            flags: ["-l", "authNoPriv", "-a", a, "-A", AUTH_PASS]
                .map(String::from)
                .to_vec(),
        });
        for (j, p) in PRIV.iter().enumerate() {
            v.push(User {
                name: format!("a{i}p{j}"),
                flags: [
                    "-l", "authPriv", "-a", a, "-A", AUTH_PASS, "-x", p, "-X", PRIV_PASS,
                ]
                .map(String::from)
                .to_vec(),
            });
        }
    }
    v
}

fn agent_config() -> String {
    let mut conf = String::from("createUser noauth\nrwuser noauth noauth\n");
    for (i, a) in AUTH.iter().enumerate() {
        conf.push_str(&format!(
            "createUser a{i} {a} \"{AUTH_PASS}\"\nrwuser a{i} auth\n"
        ));
        for (j, p) in PRIV.iter().enumerate() {
            conf.push_str(&format!(
                "createUser a{i}p{j} {a} \"{AUTH_PASS}\" {p} \"{PRIV_PASS}\"\nrwuser a{i}p{j} priv\n"
            ));
        }
    }
    conf
}

/// `tool ARGS` and `nocwatch SUB ARGS` must print the same and exit the same.
fn same(tool: &str, sub: &str, args: &[String]) {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let theirs = net_snmp_tool(tool, &a).unwrap();
    let mut ours_args = vec![sub];
    ours_args.extend_from_slice(&a);
    let ours = nocwatch(&ours_args);
    assert_eq!(
        text(&ours.stdout),
        theirs.stdout,
        "stdout of {sub} {a:?}\nstderr: {}",
        text(&ours.stderr)
    );
    assert_eq!(
        ours.status.code(),
        theirs.status.code(),
        "status of {sub} {a:?}: {}",
        text(&ours.stderr)
    );
}

#[test]
fn every_usm_combination_matches_net_snmp() {
    require_snmp!();
    let agent = Snmpd::start_with(&agent_config()).unwrap();
    let target = agent.target();
    let users = users();
    for (n, user) in users.iter().enumerate() {
        let base = |extra: &[&str]| -> Vec<String> {
            let mut v: Vec<String> = vec!["-v3".into(), "-u".into(), user.name.clone()];
            v.extend(user.flags.iter().cloned());
            v.extend(["-On", "-t", "2", "-r", "1", target.as_str()].map(String::from));
            v.extend(extra.iter().map(|s| s.to_string()));
            v
        };
        same(
            "snmpget",
            "get",
            &base(&[
                ".1.3.6.1.2.1.1.1.0",
                ".1.3.6.1.2.1.1.6.0",
                ".1.3.6.1.2.1.1.2.0",
            ]),
        );
        same("snmpwalk", "walk", &base(&[".1.3.6.1.2.1.1.9"]));
        same(
            "snmpbulkwalk",
            "bulkwalk",
            &base(&["-Cr7", ".1.3.6.1.2.1.1.9"]),
        );
        // set through nocwatch, read back through net-snmp
        let oid = ".1.3.6.1.2.1.92.1.1.1.0"; // nlmConfigGlobalEntryLimit, Gauge32
        let value = (1000 + n).to_string();
        let set = nocwatch(&base(&[oid, "u", &value]).iter().map(String::as_str).fold(
            vec!["set"],
            |mut v, s| {
                v.push(s);
                v
            },
        ));
        assert!(
            set.status.success(),
            "set as {}: {}",
            user.name,
            text(&set.stderr)
        );
        assert_eq!(text(&set.stdout), format!("{oid} = Gauge32: {value}\n"));
        let check: Vec<String> = base(&[oid]);
        let c: Vec<&str> = check.iter().map(String::as_str).collect();
        let got = net_snmp_tool("snmpget", &c).unwrap();
        assert_eq!(
            got.stdout,
            format!("{oid} = Gauge32: {value}\n"),
            "read back as {}",
            user.name
        );
    }
    eprintln!(
        "SNMPv3: {} users agree with net-snmp on get, walk, bulkwalk and set",
        users.len()
    );
}

/// Runs a failing v3 get both ways; returns (ours, theirs) stderr after checking that
/// both fail with status 1 within the timeout.
fn both_fail(target: &str, flags: &[&str]) -> (String, String) {
    let mut args = vec!["-v3", "-On", "-t", "0.5", "-r", "1"];
    args.extend_from_slice(flags);
    args.extend_from_slice(&[target, ".1.3.6.1.2.1.1.5.0"]);
    let theirs = net_snmp_tool("snmpget", &args).unwrap();
    let started = std::time::Instant::now();
    let mut ours_args = vec!["get"];
    ours_args.extend_from_slice(&args);
    let ours = nocwatch(&ours_args);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        ours.status.code(),
        Some(1),
        "{flags:?}: {}",
        text(&ours.stderr)
    );
    assert_eq!(
        theirs.status.code(),
        Some(1),
        "{flags:?}: {}",
        theirs.stderr
    );
    assert!(ours.stdout.is_empty());
    (text(&ours.stderr), theirs.stderr)
}

#[test]
fn wrong_credentials_fail_cleanly_like_net_snmp() {
    require_snmp!();
    let agent = Snmpd::start_with(&agent_config()).unwrap();
    let t = agent.target();
    // wrong auth password: the agent reports usmStatsWrongDigests
    let (ours, theirs) = both_fail(
        &t,
        &[
            "-u",
            "a1p1",
            "-l",
            "authPriv",
            "-a",
            "SHA",
            "-A",
            "wrong-pass-1",
            "-x",
            "AES",
            "-X",
            PRIV_PASS,
        ],
    );
    assert!(theirs.contains("Authentication failure"), "{theirs}");
    assert!(
        ours.contains("Authentication failure (incorrect password, community or key)"),
        "{ours}"
    );
    // unknown user
    let (ours, theirs) = both_fail(
        &t,
        &[
            "-u",
            "nobody",
            "-l",
            "authNoPriv",
            "-a",
            "SHA",
            "-A",
            AUTH_PASS,
        ],
    );
    assert!(theirs.contains("Unknown user name"), "{theirs}");
    assert!(ours.contains("Unknown user name"), "{ours}");
    // a level the user does not have
    let (ours, theirs) = both_fail(
        &t,
        &[
            "-u", "a3", "-l", "authPriv", "-a", "SHA-256", "-A", AUTH_PASS, "-x", "AES", "-X",
            PRIV_PASS,
        ],
    );
    assert!(theirs.contains("Unsupported security level"), "{theirs}");
    assert!(ours.contains("Unsupported security level"), "{ours}");
    // wrong privacy password and the AES-256 dialect mismatch: the agent stays silent
    for flags in [
        [
            "-u",
            "a1p1",
            "-l",
            "authPriv",
            "-a",
            "SHA",
            "-A",
            AUTH_PASS,
            "-x",
            "AES",
            "-X",
            "wrong-priv-1",
        ],
        [
            "-u", "a1p5", "-l", "authPriv", "-a", "SHA", "-A", AUTH_PASS, "-x", "AES-256", "-X",
            PRIV_PASS,
        ],
    ] {
        let (ours, theirs) = both_fail(&t, &flags);
        assert!(theirs.starts_with("Timeout: No Response from"), "{theirs}");
        assert!(ours.starts_with("Timeout: No Response from"), "{ours}");
    }
    // a wrong auth protocol name is a clear local error
    let o = nocwatch(&[
        "get",
        "-v3",
        "-u",
        "x",
        "-l",
        "authNoPriv",
        "-a",
        "SHA-999",
        "-A",
        AUTH_PASS,
        &t,
        ".1.3.6.1.2.1.1.5.0",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("Invalid authentication protocol"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn engine_id_given_with_e_skips_discovery() {
    require_snmp!();
    let agent = Snmpd::start_with(&agent_config()).unwrap();
    let t = agent.target();
    // learn the engine ID the way an operator would
    let id = net_snmp_tool(
        "snmpget",
        &[
            "-v2c",
            "-c",
            "public",
            "-Ov",
            "-Oq",
            &t,
            ".1.3.6.1.6.3.10.2.1.1.0",
        ],
    )
    .unwrap();
    let hex: String = id
        .stdout
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("")
        .trim_matches('"')
        .to_string();
    assert!(hex.len() >= 10, "{}", id.stdout);
    let o = nocwatch(&[
        "get",
        "-v3",
        "-u",
        "a3p3",
        "-l",
        "authPriv",
        "-a",
        "SHA-256",
        "-A",
        AUTH_PASS,
        "-x",
        "AES-256",
        "-X",
        PRIV_PASS,
        "-e",
        &hex,
        "-On",
        &t,
        ".1.3.6.1.2.1.1.6.0",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        text(&o.stdout),
        ".1.3.6.1.2.1.1.6.0 = STRING: \"nocwatch-test\"\n"
    );
}

/// A long-lived client discovers each engine once: after the first GET, a v3 GET is
/// one datagram out and one in (ezsnmp 2.5 sends four per GET).
#[test]
fn a_v3_get_costs_two_packets_after_the_first() {
    require_snmp!();
    let agent = Snmpd::start_with(&agent_config()).unwrap();
    let user = std::sync::Arc::new(
        nocwatch_snmp::UsmUser::new(
            b"a3p1",
            nocwatch_snmp::SecurityLevel::AuthPriv,
            Some(("SHA-256".parse().unwrap(), AUTH_PASS.as_bytes())),
            Some(("AES".parse().unwrap(), PRIV_PASS.as_bytes())),
        )
        .unwrap(),
    );
    let client = nocwatch_net::BlockingClient::bind(nocwatch_net::ClientConfig::default()).unwrap();
    let oid: nocwatch_snmp::Oid = "1.3.6.1.2.1.1.5.0".parse().unwrap();
    let gets = 200;
    for _ in 0..gets {
        let mut spec = nocwatch_net::RequestSpec::new(
            agent.addr(),
            nocwatch_snmp::Version::V3,
            b"",
            nocwatch_snmp::PduType::GetRequest,
        );
        spec.user = Some(user.clone());
        let reply = client
            .request_blocking(&spec, &[nocwatch_snmp::VarBind::null(oid.as_oid_ref())])
            .unwrap();
        assert_eq!(
            reply.pdu().unwrap().status(),
            nocwatch_snmp::ErrorStatus::NoError
        );
    }
    let s = client.stats();
    assert_eq!(s.discoveries, 1);
    assert_eq!(s.responses, gets);
    assert_eq!(
        s.transmits,
        gets + 1,
        "one discovery probe, then one datagram per GET"
    );
    assert_eq!(s.retransmits, 0);
}
