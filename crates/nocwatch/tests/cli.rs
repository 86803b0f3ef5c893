//! The binary's own commands end to end: demo, decode of captures and hex, argument
//! errors. No external peer needed except `../shared` for the captures.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::process::{Command, Output};

fn nocwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nocwatch"))
        .args(args)
        .output()
        .expect("run nocwatch")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn demo_polls_simulated_devices_and_computes_rates() {
    let o = nocwatch(&[
        "demo",
        "--devices",
        "3",
        "--interfaces",
        "4",
        "--rounds",
        "2",
        "--interval",
        "0.2",
    ]);
    let out = text(&o.stdout);
    assert!(o.status.success(), "{out}\n{}", text(&o.stderr));
    assert!(out.contains("== round 2"), "{out}");
    assert_eq!(out.matches("STRING: \"lab-router-").count(), 3, "{out}");
    let round2 = out.split("== round 2").nth(1).unwrap();
    let rows: Vec<&str> = round2
        .lines()
        .filter(|l| l.starts_with("lab-router-"))
        .collect();
    assert_eq!(rows.len(), 3, "{round2}");
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        let rate: f64 = cols[5]
            .parse()
            .unwrap_or_else(|_| panic!("no rate in {row}"));
        assert!(rate > 0.0, "{row}");
    }
    assert!(out.contains("0 retransmits, 0 timeouts"), "{out}");
}

fn zeek() -> Option<std::path::PathBuf> {
    nocwatch_testkit::shared_or_skip("captures/zeek")
}

#[test]
fn decode_every_capture_frame() {
    let Some(dir) = zeek() else { return };
    let expected = [
        ("leak_test.pcapng", 79),
        ("snmp-crash-62790.pcap", 3),
        ("snmpv1_get.pcap", 58),
        ("snmpv1_get_short.pcap", 2),
        ("snmpv1_set.pcap", 2),
        ("snmpv1_trap.pcap", 1),
        ("snmpv2_get.pcap", 2),
        ("snmpv2_get_bulk.pcap", 2),
        ("snmpv2_get_next.pcap", 8),
        ("snmpv3_get_next.pcap", 4),
        ("snmpwalk-short.pcap", 400),
    ];
    for (file, frames) in expected {
        let path = dir.join(file);
        let o = nocwatch(&["decode", path.to_str().unwrap()]);
        let out = text(&o.stdout);
        assert!(o.status.success(), "{file}: {out}");
        let headers = out.lines().filter(|l| l.starts_with("frame ")).count();
        assert_eq!(headers, frames, "{file}");
        assert!(!out.contains("error:"), "{file}: {out}");
        assert!(
            out.ends_with(&format!(
                "{frames} frame(s), {frames} UDP datagram(s), 0 error(s)\n"
            )),
            "{file}"
        );
        // JSON: one object per frame, each parses
        let j = nocwatch(&["decode", "--json", path.to_str().unwrap()]);
        let objs: Vec<serde_json::Value> = text(&j.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(objs.len(), frames, "{file}");
    }
    // spot checks of content
    let o = nocwatch(&["decode", dir.join("snmpv1_trap.pcap").to_str().unwrap()]);
    let out = text(&o.stdout);
    assert!(
        out.contains("SNMPv1 community \"public\" trap enterprise .1.3.6.1.4.1.31337.0"),
        "{out}"
    );
    let o = nocwatch(&["decode", dir.join("snmpv3_get_next.pcap").to_str().unwrap()]);
    let out = text(&o.stdout);
    assert!(out.contains("user \"username\""), "{out}");
    assert!(out.contains("report"), "{out}");
    assert!(
        out.contains("  .1.3.6.1.6.3.15.1.1."),
        "usmStats report binding: {out}"
    );
    let o = nocwatch(&[
        "decode",
        dir.join("snmp-crash-62790.pcap").to_str().unwrap(),
    ]);
    assert!(text(&o.stdout).contains("encryptedPDU"));
}

#[test]
fn malformed_capture_frame_is_a_clean_error() {
    let Some(dir) = zeek() else { return };
    let o = nocwatch(&[
        "decode",
        dir.join("snmp-oid-subidentifier-too-long.pcap")
            .to_str()
            .unwrap(),
    ]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("frame 1 10.0.0.2:40000 -> 10.0.0.1:161: error: invalid OBJECT IDENTIFIER"),
        "{out}"
    );
    assert!(
        out.contains("1 frame(s), 1 UDP datagram(s), 1 error(s)"),
        "{out}"
    );
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
}

#[test]
fn decode_goes_on_after_a_bad_frame() {
    // A pcap with three frames: good, truncated UDP, good.
    let good = hex_bytes(
        "302902010104067075626c6963a01c02041234567802010002010030 0e300c06082b060102010101000500",
    );
    let mut frames = Vec::new();
    for payload in [&good[..], &good[..10], &good[..]] {
        frames.push(udp_frame(payload));
    }
    let mut pcap = vec![
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ];
    for f in &frames {
        pcap.extend_from_slice(&[0u8; 8]);
        pcap.extend_from_slice(&(f.len() as u32).to_le_bytes());
        pcap.extend_from_slice(&(f.len() as u32).to_le_bytes());
        pcap.extend_from_slice(f);
    }
    let dir = nocwatch_testkit::TempDir::new("nocwatch-decode").unwrap();
    let path = dir.path().join("three.pcap");
    std::fs::write(&path, &pcap).unwrap();
    let o = nocwatch(&["decode", path.to_str().unwrap()]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        out.lines().filter(|l| l.contains("get-request")).count(),
        2,
        "{out}"
    );
    assert!(
        out.contains("frame 2 ") && out.contains("error: truncated"),
        "{out}"
    );
    assert!(
        out.contains("3 frame(s), 3 UDP datagram(s), 1 error(s)"),
        "{out}"
    );
}

fn hex_bytes(s: &str) -> Vec<u8> {
    let d: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    d.chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

/// Ethernet + IPv4 + UDP around `payload` (checksums zero: nobody checks them here).
fn udp_frame(payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 12];
    f.extend_from_slice(&[0x08, 0x00]);
    let total = (20 + 8 + payload.len()) as u16;
    f.extend_from_slice(&[
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        0,
        0,
        0,
        64,
        17,
        0,
        0,
    ]);
    f.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 2]);
    let ulen = (8 + payload.len()) as u16;
    f.extend_from_slice(&[0x9c, 0x40, 0, 161, (ulen >> 8) as u8, ulen as u8, 0, 0]);
    f.extend_from_slice(payload);
    f
}

#[test]
fn decode_hex_and_json() {
    let hex = "30 29 02 01 01 04 06 70 75 62 6c 69 63 a0 1c 02 04 12 34 56 78 02 01 00 02 01 00 30 0e 30 0c 06 08 2b 06 01 02 01 01 01 00 05 00";
    let o = nocwatch(&["decode", "--hex", hex]);
    let out = text(&o.stdout);
    assert!(o.status.success());
    assert!(
        out.starts_with("SNMPv2c community \"public\" get-request request-id 305419896"),
        "{out}"
    );
    assert!(out.contains("  .1.3.6.1.2.1.1.1.0 = NULL"), "{out}");
    let o = nocwatch(&["decode", "--json", "--hex", hex]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], "2c");
    assert_eq!(v["request_id"], 305_419_896);
    assert_eq!(v["varbinds"][0]["oid"], ".1.3.6.1.2.1.1.1.0");
    // strict refuses trailing garbage that the default tolerates (and reports)
    let o = nocwatch(&["decode", "--hex", &format!("{hex} 00 00")]);
    assert!(o.status.success());
    assert!(text(&o.stdout).contains("[tolerated: trailing-bytes]"));
    let o = nocwatch(&["decode", "--strict", "--hex", &format!("{hex} 00 00")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stdout).contains("error: 2 trailing byte(s)"));
    // bad hex is a clear error
    let o = nocwatch(&["decode", "--hex", "30 2"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("invalid hex"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn bad_arguments_are_clear_errors() {
    for (args, want) in [
        (
            &["get", "-v", "9", "127.0.0.1", "1.3.6"][..],
            "Invalid version",
        ),
        (
            &["get", "127.0.0.1", "1.3.x"][..],
            "Unknown Object Identifier",
        ),
        (&["get", "127.0.0.1:99999", "1.3.6"][..], "invalid port"),
        (
            &["set", "127.0.0.1", "1.3.6.1", "q", "1"][..],
            "Bad object type",
        ),
        (
            &["bulkwalk", "-v1", "127.0.0.1"][..],
            "GETBULK does not exist in SNMPv1",
        ),
        (
            &["get", "-v", "3", "-l", "authNoPriv", "127.0.0.1", "1.3.6"][..],
            "authentication needs a protocol and a password",
        ),
        (
            &["get", "-v", "3", "-l", "bogus", "127.0.0.1", "1.3.6"][..],
            "Invalid security level",
        ),
        (
            &[
                "get",
                "-v",
                "3",
                "-l",
                "authPriv",
                "-A",
                "longenough",
                "-x",
                "AES-999",
                "-X",
                "longenough",
                "127.0.0.1",
                "1.3.6",
            ][..],
            "Invalid privacy protocol",
        ),
    ] {
        let o = nocwatch(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(
            text(&o.stderr).contains(want),
            "{args:?}: {}",
            text(&o.stderr)
        );
    }
}

/// `translate` agrees with net-snmp's snmptranslate on names, OIDs and full paths.
#[test]
fn translate_matches_snmptranslate() {
    let Some(mibs) = nocwatch_testkit::shared_or_skip("mibs") else {
        return;
    };
    if !nocwatch_testkit::skip_unless_snmp() {
        return;
    }
    let dirs = [
        "ietf",
        "net-snmp",
        "vendor/cisco",
        "vendor/juniper",
        "vendor/arista",
        "vendor/foundry",
    ]
    .iter()
    .map(|d| mibs.join(d).display().to_string())
    .collect::<Vec<_>>()
    .join(":");
    let cases: [(&str, &str); 7] = [
        ("-On", "IF-MIB::ifDescr"),
        ("-On", "IF-MIB::ifInOctets.3"),
        ("-On", "IF-MIB::ifHCInOctets.17"),
        ("-On", "CISCO-SMI::ciscoMgmt"),
        ("-Of", ".1.3.6.1.2.1.2.2.1.2"),
        ("-Of", ".1.3.6.1.2.1.31.1.1.1.6"),
        ("-On", "ENTITY-MIB::entPhysicalDescr"),
    ];
    for (opt, item) in cases {
        let theirs = nocwatch_testkit::net_snmp_tool(
            "snmptranslate",
            &["-M", &dirs, "-m", "ALL", opt, item],
        )
        .unwrap();
        let ours = nocwatch(&["translate", "-M", &dirs, "-m", "ALL", opt, item]);
        assert!(ours.status.success(), "{item}: {}", text(&ours.stderr));
        assert_eq!(
            text(&ours.stdout),
            theirs.stdout,
            "{opt} {item}: {}",
            theirs.stderr.lines().last().unwrap_or("")
        );
    }
    // a name two modules define resolves to the SMIv2 one, as in net-snmp
    for oid in [".1.3.6.1.2.1.1.1.0", ".1.3.6.1.2.1.2.2.1.10.7"] {
        let theirs =
            nocwatch_testkit::net_snmp_tool("snmptranslate", &["-M", &dirs, "-m", "ALL", oid])
                .unwrap();
        let ours = nocwatch(&["translate", "-M", &dirs, "-m", "ALL", oid]);
        assert_eq!(text(&ours.stdout), theirs.stdout, "{oid}");
    }
    // bare names are looked up in every module (net-snmp needs -IR for that)
    let ours = nocwatch(&["translate", "-M", &dirs, "-On", "ifInOctets.3"]);
    assert_eq!(text(&ours.stdout), ".1.3.6.1.2.1.2.2.1.10.3\n");
    // names for OIDs, several per call
    let ours = nocwatch(&[
        "translate",
        "-M",
        &dirs,
        ".1.3.6.1.2.1.2.2.1.2.3",
        ".1.3.6.1.4.1.9.9",
    ]);
    assert_eq!(
        text(&ours.stdout),
        "IF-MIB::ifDescr.3\nCISCO-SMI::ciscoMgmt\n"
    );
    let o = nocwatch(&["translate", "-M", &dirs, "no-such-object.0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("no-such-object.0: Unknown Object Identifier"));
}

/// `decode -M -m` prints bindings with names, OID values included, as net-snmp
/// names them.
#[test]
fn decode_prints_names_with_mibs() {
    let Some(mibs) = nocwatch_testkit::shared_or_skip("mibs") else {
        return;
    };
    let Some(captures) = nocwatch_testkit::shared_or_skip("captures/zeek") else {
        return;
    };
    if !nocwatch_testkit::skip_unless_snmp() {
        return;
    }
    let dirs = format!(
        "{}:{}",
        mibs.join("ietf").display(),
        mibs.join("net-snmp").display()
    );
    let pcap = captures.join("snmpv1_get.pcap");
    let o = nocwatch(&["decode", "-M", &dirs, "-m", "ALL", pcap.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    let value = ".1.3.6.1.4.1.2001.1.1.1.297.93.1.27.2.2.1";
    let theirs =
        nocwatch_testkit::net_snmp_tool("snmptranslate", &["-M", &dirs, "-m", "ALL", value])
            .unwrap();
    let want = format!(
        "  SNMPv2-MIB::sysObjectID.0 = OID: {}",
        theirs.stdout.trim()
    );
    assert!(out.contains(&want), "{want}\n{out}");
    assert!(out.contains("  SNMPv2-MIB::sysName.0 = NULL"), "{out}");
    // JSON gains the name and net-snmp's text of the value
    let o = nocwatch(&[
        "decode",
        "--json",
        "-M",
        &dirs,
        "-m",
        "ALL",
        pcap.to_str().unwrap(),
    ]);
    let first: serde_json::Value =
        serde_json::from_str(text(&o.stdout).lines().nth(1).unwrap()).unwrap();
    let vb = &first["varbinds"][0];
    assert_eq!(vb["name"], "SNMPv2-MIB::sysObjectID.0", "{first}");
    assert_eq!(vb["oid"], ".1.3.6.1.2.1.1.2.0", "{first}");
    assert_eq!(
        vb["text"].as_str().unwrap(),
        format!("OID: {}", theirs.stdout.trim()),
        "{first}"
    );
    // -On keeps numbers for names but still loads the MIBs for values
    let o = nocwatch(&["decode", "-M", &dirs, "-On", pcap.to_str().unwrap()]);
    assert!(text(&o.stdout).contains(&format!("  .1.3.6.1.2.1.1.2.0 = OID: {value}")));
}
