//! Loads the vendored MIBs in `../shared/mibs` and checks them against
//! net-snmp's `snmptranslate`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Instant;

use nocwatch_mib::{Mibs, NodeKind};

fn mib_dirs() -> Option<Vec<PathBuf>> {
    let ietf = nocwatch_testkit::shared_or_skip("mibs/ietf")?;
    let mibs = ietf.parent()?.to_path_buf();
    let mut dirs = vec![ietf, mibs.join("net-snmp")];
    let mut vendors: Vec<PathBuf> = std::fs::read_dir(mibs.join("vendor"))
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    vendors.sort();
    dirs.extend(vendors);
    dirs.retain(|d| d.is_dir());
    Some(dirs)
}

fn load() -> Option<(Mibs, Vec<nocwatch_mib::Diagnostic>, Vec<PathBuf>)> {
    let dirs = mib_dirs()?;
    let start = Instant::now();
    let (mibs, diags) = Mibs::load_dirs(&dirs);
    let elapsed = start.elapsed();
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "loaded {} modules, {} objects from {} dirs in {elapsed:?} ({profile}); {} diagnostics",
        mibs.modules().len(),
        mibs.objects().len(),
        dirs.len(),
        diags.len()
    );
    Some((mibs, diags, dirs))
}

#[test]
fn loads_all_shared_mibs() {
    let Some((mibs, diags, _)) = load() else {
        return;
    };
    for d in &diags {
        println!("  {d}");
    }
    let mut per_module: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &diags {
        *per_module
            .entry(d.module.as_deref().unwrap_or("?"))
            .or_default() += 1;
    }
    println!("diagnostics per module: {per_module:?}");
    let failed: Vec<&str> = mibs
        .modules()
        .iter()
        .filter(|m| m.resolved == 0 && m.unresolved > 0)
        .map(|m| m.name.as_str())
        .collect();
    println!("modules with nothing resolved: {failed:?}");
    assert!(
        mibs.modules().len() >= 140,
        "{} modules",
        mibs.modules().len()
    );
    assert!(failed.is_empty(), "modules failing entirely: {failed:?}");
    assert!(diags.len() <= 20, "{} diagnostics", diags.len());
    for name in ["IF-MIB", "SNMPv2-MIB", "CISCO-PROCESS-MIB", "JUNIPER-MIB"] {
        assert!(
            mibs.modules().iter().any(|m| m.name == name),
            "{name} missing"
        );
    }
    assert_eq!(
        mibs.resolve("IF-MIB::ifDescr.3").ok(),
        Some(vec![1, 3, 6, 1, 2, 1, 2, 2, 1, 2, 3])
    );
}

#[test]
fn differential_against_snmptranslate() {
    if !nocwatch_testkit::skip_unless_snmp() {
        return;
    }
    let Some((mibs, _, dirs)) = load() else {
        return;
    };
    let mpath = dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    let candidates: Vec<_> = mibs
        .objects()
        .iter()
        .filter(|o| o.kind != NodeKind::Builtin)
        .collect();
    let step = (candidates.len() / 200).max(1);
    let sample: Vec<_> = candidates.iter().step_by(step).collect();
    let names: Vec<String> = sample
        .iter()
        .map(|o| format!("{}::{}", o.module, o.name))
        .collect();
    let mut args = vec!["-M", mpath.as_str(), "-m", "ALL", "-On"];
    args.extend(names.iter().map(String::as_str));
    let out = nocwatch_testkit::net_snmp_tool("snmptranslate", &args).map_err(|e| e.to_string());
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!("snmptranslate failed to run: {e}"),
    };
    // snmptranslate prints one line per name (blank lines in between) and an
    // error on stderr for names it rejects; if the counts do not line up, fall
    // back to one call per name.
    let lines: Vec<&str> = out.stdout.lines().filter(|l| !l.is_empty()).collect();
    let mut matches = 0;
    let mut mismatches = Vec::new();
    if lines.len() == sample.len() {
        for ((obj, name), line) in sample.iter().zip(&names).zip(&lines) {
            let ours = format!(".{}", join(&obj.oid));
            if ours == *line {
                matches += 1;
            } else {
                mismatches.push(format!("{name}: ours {ours}, snmptranslate {line}"));
            }
        }
    } else {
        // Fall back to one call per name to find which ones net-snmp rejects.
        for (obj, name) in sample.iter().zip(&names) {
            let mut a = vec!["-M", mpath.as_str(), "-m", "ALL", "-On"];
            a.push(name);
            let o = nocwatch_testkit::net_snmp_tool("snmptranslate", &a);
            let theirs = o.map(|o| o.stdout.trim().to_owned()).unwrap_or_default();
            let ours = format!(".{}", join(&obj.oid));
            if ours == theirs {
                matches += 1;
            } else {
                mismatches.push(format!("{name}: ours {ours}, snmptranslate {theirs:?}"));
            }
        }
    }
    println!(
        "snmptranslate -On: {matches} of {} sampled names match, {} mismatch",
        sample.len(),
        mismatches.len()
    );
    for m in &mismatches {
        println!("  mismatch {m}");
    }
    assert!(sample.len() >= 150);
    assert!(mismatches.len() * 50 <= sample.len(), "too many mismatches");

    // Reverse direction: numeric OID with an instance suffix `.1` to labels
    // (`.1`, because net-snmp rejects an index outside its object's range, and 1 is
    // inside every range in these MIBs).
    // net-snmp decodes the instance per the INDEX clause (we do not yet), so
    // only the named part is compared, plus our instance remainder.
    let probes: Vec<String> = sample
        .iter()
        .map(|o| format!(".{}.1", join(&o.oid)))
        .collect();
    let mut args = vec!["-M", mpath.as_str(), "-m", "ALL", "-Of"];
    args.extend(probes.iter().map(String::as_str));
    let out = match nocwatch_testkit::net_snmp_tool("snmptranslate", &args) {
        Ok(o) => o,
        Err(e) => panic!("snmptranslate failed to run: {e}"),
    };
    let lines: Vec<&str> = out.stdout.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines.len(),
        probes.len(),
        "snmptranslate -Of output: {}",
        out.stderr
    );
    let mut rev_match = 0;
    let mut rev_mismatch = Vec::new();
    for (probe, line) in probes.iter().zip(&lines) {
        // `.1` may itself be a named child; take whatever node we find deepest.
        let oid = mibs.resolve(probe).unwrap_or_default();
        let found = mibs
            .lookup_oid(&oid)
            .map(|(o, rest)| (o.oid.clone(), rest.len()));
        let (node, rest) = found.unwrap_or_default();
        let ours = full_path(&mibs, &node);
        let ok = if rest == 0 {
            *line == ours
        } else {
            line.starts_with(&format!("{ours}."))
        };
        if ok {
            rev_match += 1;
        } else {
            rev_mismatch.push(format!("{probe}: ours {ours}, snmptranslate {line}"));
        }
    }
    println!(
        "snmptranslate -Of: {rev_match} of {} match, {} mismatch",
        probes.len(),
        rev_mismatch.len()
    );
    for m in &rev_mismatch {
        println!("  mismatch {m}");
    }
    assert!(
        rev_mismatch.len() * 50 <= probes.len(),
        "too many reverse mismatches"
    );
}

#[test]
fn full_tree_matches_snmptranslate_tz() {
    if !nocwatch_testkit::skip_unless_snmp() {
        return;
    }
    let Some((mibs, _, dirs)) = load() else {
        return;
    };
    let mpath = dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    let out = nocwatch_testkit::net_snmp_tool("snmptranslate", &["-M", &mpath, "-m", "ALL", "-Tz"])
        .map_err(|e| e.to_string());
    let out = match out {
        Ok(o) => o,
        Err(e) => panic!("snmptranslate failed to run: {e}"),
    };
    // Lines look like `"ifDescr"			"1.3.6.1.2.1.2.2.1.2"`.
    let theirs: BTreeSet<(String, String)> = out
        .stdout
        .lines()
        .filter_map(|l| {
            let mut parts = l.split('"').filter(|p| !p.trim().is_empty());
            Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
        })
        .collect();
    let ours: BTreeSet<(String, String)> = mibs
        .objects()
        .iter()
        .map(|o| (o.name.clone(), join(&o.oid)))
        .collect();
    let missing: Vec<_> = theirs.difference(&ours).collect();
    let extra: Vec<_> = ours.difference(&theirs).collect();
    println!(
        "snmptranslate -Tz: {} (name, OID) pairs; {} of them in our index, {} missing, {} only in ours",
        theirs.len(),
        theirs.len() - missing.len(),
        missing.len(),
        extra.len()
    );
    println!(
        "  missing (first 10): {:?}",
        missing.iter().take(10).collect::<Vec<_>>()
    );
    println!(
        "  only ours (first 10): {:?}",
        extra.iter().take(10).collect::<Vec<_>>()
    );
    assert!(theirs.len() > 10_000);
    assert!(
        missing.len() * 100 <= theirs.len(),
        "too many names missing"
    );
}

fn join(oid: &[u32]) -> String {
    oid.iter().map(u32::to_string).collect::<Vec<_>>().join(".")
}

/// `.iso.org.dod....ifDescr` built from our exact lookups, arc by arc.
fn full_path(mibs: &Mibs, oid: &[u32]) -> String {
    let mut out = String::new();
    for n in 1..=oid.len() {
        out.push('.');
        let prefix = oid.get(..n).unwrap_or_default();
        match mibs.object_at(prefix) {
            Some(o) => out.push_str(&o.name),
            None => out.push_str(&prefix.last().map(u32::to_string).unwrap_or_default()),
        }
    }
    out
}

#[test]
fn trap_oid_to_notification_and_its_objects() {
    let Some((mibs, _, _)) = load() else {
        return;
    };
    // linkDown (SNMPv2 trap OID) and an SMIv1 TRAP-TYPE's v2 form (enterprise.0.n)
    let (n, objects) = mibs.notification(&[1, 3, 6, 1, 6, 3, 1, 1, 5, 3]).unwrap();
    assert_eq!((n.module.as_str(), n.name.as_str()), ("IF-MIB", "linkDown"));
    let names: Vec<String> = objects
        .iter()
        .map(|o| format!("{}::{}", o.module, o.name))
        .collect();
    assert_eq!(
        names,
        [
            "IF-MIB::ifIndex",
            "IF-MIB::ifAdminStatus",
            "IF-MIB::ifOperStatus"
        ]
    );
    assert!(mibs.notification(&[1, 3, 6, 1, 2, 1, 2, 2, 1, 8]).is_none());
    let traps = mibs
        .objects()
        .iter()
        .filter(|o| mibs.notification(&o.oid).is_some())
        .count();
    // 196 NOTIFICATION-TYPE / TRAP-TYPE names in ../shared/mibs, two on one OID
    assert!(traps >= 190, "{traps} notifications");
}
