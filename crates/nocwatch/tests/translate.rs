//! `nocwatch translate` against net-snmp's `snmptranslate` for every OBJECT-TYPE and
//! NOTIFICATION-TYPE in `../shared/mibs`, both directions (name → OID with `-On`, OID
//! → `MODULE::name`), with the same MIB directories and `-m ALL`.
//!
//! The list of definitions comes from a plain token scan of the MIB files written
//! here, not from nocwatch's parser, so a definition our parser drops still counts.
//! Every disagreement must be listed, with the reason, in
//! `tests/data/translate-disagreements.txt`; the test fails on an unlisted one, on a
//! listed one that now agrees or answers differently, and below 99.5% agreement.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The MIB directories of `../shared/mibs`: ietf, net-snmp and each vendor.
fn mib_dirs(root: &Path) -> Vec<PathBuf> {
    nocwatch_testkit::all_mib_dirs(root)
}

/// Tokens of one MIB file: comments (`--` to the end of the line or to the next
/// `--`) and quoted strings dropped, punctuation as one-character tokens.
fn tokens(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'-' && b.get(i + 1) == Some(&b'-') {
            i += 2;
            while i < b.len() && b[i] != b'\n' {
                if b[i] == b'-' && b.get(i + 1) == Some(&b'-') {
                    i += 2;
                    break;
                }
                i += 1;
            }
        } else if c == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += 1;
            }
            i += 1;
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            let start = i;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric()
                    || b[i] == b'_'
                    || (b[i] == b'-' && b.get(i + 1) != Some(&b'-')))
            {
                i += 1;
            }
            out.push(&text[start..i]);
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else {
            // `::=` stays one token, other punctuation is one character
            if text[i..].starts_with("::=") {
                out.push("::=");
                i += 3;
            } else {
                let len = text[i..].chars().next().map_or(1, char::len_utf8);
                out.push(&text[i..i + len]);
                i += len;
            }
        }
    }
    out
}

/// Every `(module, name)` defined with OBJECT-TYPE or NOTIFICATION-TYPE in `dirs`.
fn definitions(dirs: &[PathBuf]) -> Vec<String> {
    let mut found = BTreeSet::new();
    for dir in dirs {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for file in files {
            let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
            let toks = tokens(&text);
            let mut module = "";
            for (i, t) in toks.iter().enumerate() {
                if *t == "DEFINITIONS" && i > 0 {
                    module = toks[i - 1];
                }
                let next = |k: usize| toks.get(i + k).copied().unwrap_or("");
                let is_def = match next(1) {
                    "OBJECT-TYPE" => next(2) == "SYNTAX",
                    "NOTIFICATION-TYPE" => matches!(next(2), "OBJECTS" | "STATUS"),
                    _ => false,
                };
                if is_def && t.starts_with(|c: char| c.is_ascii_lowercase()) && !module.is_empty() {
                    found.insert(format!("{module}::{t}"));
                }
            }
        }
    }
    found.into_iter().collect()
}

/// snmptranslate's answers, one per item (`None`: it does not know the item).
///
/// It takes many items per call and prints a blank line between answers, but stops
/// at the first item it cannot translate; the batch then resumes after that item.
fn theirs(dirs: &str, opts: &[&str], items: &[String]) -> Vec<Option<String>> {
    let mut answers = Vec::with_capacity(items.len());
    let mut start = 0;
    while start < items.len() {
        let end = (start + 2000).min(items.len());
        let mut args = vec!["-M", dirs, "-m", "ALL"];
        args.extend_from_slice(opts);
        args.extend(items[start..end].iter().map(String::as_str));
        let out = nocwatch_testkit::net_snmp_tool("snmptranslate", &args).unwrap();
        let got: Vec<&str> = out.stdout.lines().filter(|l| !l.is_empty()).collect();
        assert!(got.len() <= end - start, "{}", out.stderr);
        answers.extend(got.iter().map(|l| Some((*l).to_owned())));
        start += got.len();
        if start < end {
            // the item it stopped at
            assert!(
                out.stderr.contains(&items[start]),
                "snmptranslate stopped at {} without saying why: {}",
                items[start],
                out.stderr
            );
            answers.push(None);
            start += 1;
        }
    }
    answers
}

/// Ours: every item in one call, on standard input; an empty line for an unknown one.
fn ours(dirs: &str, opts: &[&str], items: &[String]) -> Vec<Option<String>> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nocwatch"))
        .args(["translate", "-M", dirs, "-m", "ALL"])
        .args(opts)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = items.join("\n");
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let answers: Vec<Option<String>> = text
        .lines()
        .map(|l| (!l.is_empty()).then(|| l.to_owned()))
        .collect();
    assert_eq!(
        answers.len(),
        items.len(),
        "one answer per item: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    answers
}

/// A listed disagreement: `(direction, item)` → `(ours, theirs, reason)`.
type Listed = BTreeMap<(String, String), (String, String, String)>;

fn listed(path: &Path) -> Listed {
    let text = std::fs::read_to_string(path).unwrap();
    let mut map = Listed::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        assert!(
            f.len() == 5 && !f[4].trim().is_empty(),
            "{}:{}: want direction, item, ours, theirs, reason separated by tabs",
            path.display(),
            n + 1
        );
        map.insert(
            (f[0].to_owned(), f[1].to_owned()),
            (f[2].to_owned(), f[3].to_owned(), f[4].to_owned()),
        );
    }
    map
}

fn show(a: &Option<String>) -> String {
    a.clone().unwrap_or_else(|| "(unknown)".to_owned())
}

#[test]
fn every_object_and_notification_translates_like_snmptranslate() {
    let Some(root) = nocwatch_testkit::shared_or_skip("mibs") else {
        return;
    };
    if !nocwatch_testkit::skip_unless_snmp() {
        return;
    }
    let dirs = mib_dirs(&root);
    let dir_list = dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    let names = definitions(&dirs);
    assert!(names.len() > 5000, "only {} definitions found", names.len());

    let their_oids = theirs(&dir_list, &["-On"], &names);
    let our_oids = ours(&dir_list, &["-On"], &names);
    // OID → name for each definition's OID (net-snmp's, else ours)
    let oids: Vec<String> = their_oids
        .iter()
        .zip(&our_oids)
        .filter_map(|(t, o)| t.clone().or_else(|| o.clone()))
        .collect();
    let their_names = theirs(&dir_list, &[], &oids);
    let our_names = ours(&dir_list, &[], &oids);

    let mut found = Listed::new();
    let mut compared = 0usize;
    for (dir, items, o, t) in [
        ("n2o", &names, &our_oids, &their_oids),
        ("o2n", &oids, &our_names, &their_names),
    ] {
        for ((item, ours), theirs) in items.iter().zip(o).zip(t) {
            compared += 1;
            if ours != theirs {
                found.insert(
                    (dir.to_owned(), item.clone()),
                    (show(ours), show(theirs), String::new()),
                );
            }
        }
    }

    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/translate-disagreements.txt");
    let expected = listed(&file);
    let mut problems = Vec::new();
    for (key, (o, t, _)) in &found {
        match expected.get(key) {
            None => problems.push(format!(
                "unlisted disagreement:\n{}\t{}\t{o}\t{t}\t(reason)",
                key.0, key.1
            )),
            Some((lo, lt, _)) if lo != o || lt != t => problems.push(format!(
                "listed disagreement now answers differently:\n{}\t{}\t{o}\t{t}\t(was {lo} / {lt})",
                key.0, key.1
            )),
            Some(_) => {}
        }
    }
    for key in expected.keys().filter(|k| k.0 == "n2o" || k.0 == "o2n") {
        if !found.contains_key(key) {
            problems.push(format!(
                "listed disagreement now agrees (remove it): {} {}",
                key.0, key.1
            ));
        }
    }
    let agreed = compared - found.len();
    #[allow(clippy::cast_precision_loss, reason = "a percentage")]
    let rate = agreed as f64 * 100.0 / compared as f64;
    println!(
        "{} definitions, {compared} translations compared, {agreed} agree ({rate:.3}%), {} listed disagreements",
        names.len(),
        found.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(rate >= 99.5, "agreement {rate:.3}% < 99.5%");
}

/// Splits `-Td` output into one definition each: a definition starts at a name line
/// (`MODULE::name`) followed by its `name KIND` line.
fn definitions_of(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let starts = line.contains("::")
            && !line.contains(' ')
            && lines.get(i + 1).is_some_and(|next| {
                let label = line.rsplit("::").next().unwrap_or("");
                let label = label.split('.').next().unwrap_or(label);
                next.starts_with(&format!("{label} "))
            });
        if starts || out.is_empty() {
            out.push(String::new());
        }
        if let Some(last) = out.last_mut() {
            last.push_str(line);
            last.push('\n');
        }
    }
    // the blank line between definitions belongs to neither
    out.iter().map(|d| d.trim_end().to_owned()).collect()
}

/// `-Td` for every OBJECT-TYPE and NOTIFICATION-TYPE of ../shared/mibs prints what
/// snmptranslate prints (FROM lines, TEXTUAL CONVENTION, SYNTAX with enumerations
/// or ranges, DISPLAY-HINT, UNITS, access, STATUS, INDEX, OBJECTS, DESCRIPTION,
/// DEFVAL, the OID path); differences are listed as `td` lines with the first
/// differing line of each side.
#[test]
fn describe_matches_snmptranslate() {
    let Some(root) = nocwatch_testkit::shared_or_skip("mibs") else {
        return;
    };
    if !nocwatch_testkit::skip_unless_snmp() {
        return;
    }
    let dirs = mib_dirs(&root);
    let dir_list = dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    let names = definitions(&dirs);
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/translate-disagreements.txt");
    let expected = listed(&file);
    let mut found = BTreeSet::new();
    let mut problems = Vec::new();
    let (mut same, mut total) = (0usize, 0usize);
    for batch in names.chunks(1000) {
        let mut args = vec!["-M", dir_list.as_str(), "-m", "ALL", "-Td"];
        args.extend(batch.iter().map(String::as_str));
        let theirs = nocwatch_testkit::net_snmp_tool("snmptranslate", &args).unwrap();
        let ours = Command::new(env!("CARGO_BIN_EXE_nocwatch"))
            .arg("translate")
            .args(&args)
            .output()
            .unwrap();
        let ours = String::from_utf8_lossy(&ours.stdout).into_owned();
        let (t, o) = (definitions_of(&theirs.stdout), definitions_of(&ours));
        assert_eq!(t.len(), batch.len(), "{}", theirs.stderr);
        assert_eq!(
            o.len(),
            batch.len(),
            "our -Td output did not split per item"
        );
        for ((item, t), o) in batch.iter().zip(&t).zip(&o) {
            total += 1;
            if t == o {
                same += 1;
                continue;
            }
            let (tl, ol) = t
                .lines()
                .zip(o.lines())
                .find(|(a, b)| a != b)
                .unwrap_or(("(shorter)", "(shorter)"));
            // tabs inside the lines are written as \t in the data file
            let (tl, ol) = (tl.replace('\t', "\\t"), ol.replace('\t', "\\t"));
            let (tl, ol) = (tl.as_str(), ol.as_str());
            let key = ("td".to_owned(), item.clone());
            found.insert(key.clone());
            match expected.get(&key) {
                Some((lo, lt, _)) if lo == ol && lt == tl => {}
                _ => problems.push(format!("td\t{item}\t{ol}\t{tl}\t(reason)")),
            }
        }
    }
    for key in expected.keys().filter(|k| k.0 == "td") {
        if !found.contains(key) {
            problems.push(format!(
                "listed -Td disagreement now agrees (remove it): {}",
                key.1
            ));
        }
    }
    println!(
        "-Td: {same} of {total} definitions identical, {} listed",
        found.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// An instance suffix for a column, built from its INDEX clause: 1 (or the first
/// enumeration value) for integers, 10.0.0.1, "ab" with its length (or exactly the
/// fixed size, or no length when IMPLIED), an IPv4 InetAddress after an
/// InetAddressType, OIDs with their length.
fn sample_instance(
    mibs: &nocwatch_mib::Mibs,
    column: &nocwatch_mib::MibObject,
) -> Option<Vec<u32>> {
    use nocwatch_mib::BaseType;
    let parts = mibs.index_objects(column);
    if parts.is_empty() {
        return None;
    }
    let mut arcs = Vec::new();
    let mut after_inet_type = false;
    for (obj, implied) in parts {
        let tc = obj.tc_name.as_deref().unwrap_or("");
        match obj.base_type? {
            BaseType::Integer
            | BaseType::Unsigned32
            | BaseType::Gauge32
            | BaseType::Counter32
            | BaseType::TimeTicks => {
                let v = if obj.enums.is_empty() || obj.enums.iter().any(|(v, _)| *v == 1) {
                    1
                } else {
                    u32::try_from(obj.enums[0].0).ok()?
                };
                arcs.push(v);
                after_inet_type = tc == "InetAddressType" && v == 1;
                continue;
            }
            BaseType::IpAddress => arcs.extend([10, 0, 0, 1]),
            BaseType::OctetString if tc == "InetAddress" && after_inet_type && !implied => {
                arcs.extend([4, 192, 0, 2, 1]);
            }
            BaseType::OctetString => {
                let bytes: Vec<u32> = match obj.fixed_size {
                    Some(n) if !implied => (0..n).map(|i| 97 + i % 26).collect(),
                    _ => vec![97, 98],
                };
                if !implied && obj.fixed_size.is_none() {
                    arcs.push(2);
                }
                arcs.extend(bytes);
            }
            BaseType::ObjectIdentifier => {
                if !implied {
                    arcs.push(3);
                }
                arcs.extend([1, 3, 6]);
            }
            _ => return None,
        }
        after_inet_type = false;
    }
    Some(arcs)
}

/// Every table column of ../shared/mibs with an instance built from its INDEX
/// clause, OID → name: the decoded index agrees with snmptranslate wherever
/// snmptranslate accepts the instance (it rejects values outside an index's range,
/// which we do not check; those are counted, not compared).
#[test]
fn every_column_index_decodes_like_snmptranslate() {
    let Some(root) = nocwatch_testkit::shared_or_skip("mibs") else {
        return;
    };
    if !nocwatch_testkit::skip_unless_snmp() {
        return;
    }
    let dirs = mib_dirs(&root);
    let dir_list = dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    let (mibs, _) = nocwatch_mib::Mibs::load_dirs(&dirs);
    let mut oids = Vec::new();
    for obj in mibs.objects() {
        if obj.kind != nocwatch_mib::NodeKind::ObjectType
            || mibs
                .object_at(&obj.oid)
                .map(|o| o.name != obj.name)
                .unwrap_or(true)
        {
            continue;
        }
        if let Some(instance) = sample_instance(&mibs, obj) {
            let mut oid = obj.oid.clone();
            oid.extend(instance);
            oids.push(oid.iter().map(|a| format!(".{a}")).collect::<String>());
        }
    }
    assert!(oids.len() > 3000, "{} columns", oids.len());
    let theirs = theirs(&dir_list, &[], &oids);
    let ours = ours(&dir_list, &[], &oids);
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/translate-disagreements.txt");
    let expected = listed(&file);
    let mut problems = Vec::new();
    let (mut agreed, mut rejected) = (0, 0);
    let mut found = BTreeSet::new();
    for ((oid, o), t) in oids.iter().zip(&ours).zip(&theirs) {
        let Some(t) = t else {
            rejected += 1;
            continue;
        };
        if o.as_ref() == Some(t) {
            agreed += 1;
            continue;
        }
        let key = ("idx".to_owned(), oid.clone());
        found.insert(key.clone());
        match expected.get(&key) {
            Some((lo, lt, _)) if *lo == show(o) && lt == t => {}
            _ => problems.push(format!("idx\t{oid}\t{}\t{t}\t(reason)", show(o))),
        }
    }
    for key in expected.keys().filter(|k| k.0 == "idx") {
        if !found.contains(key) {
            problems.push(format!(
                "listed disagreement now agrees (remove it): {}",
                key.1
            ));
        }
    }
    println!(
        "{} columns with a sample instance: {agreed} agree, {} listed disagreements, {rejected} rejected by snmptranslate (index range)",
        oids.len(),
        found.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `-m A:B` reads only those modules and what they import, in that order, as
/// net-snmp: which module names a shared OID changes with the list.
#[test]
fn module_lists_select_and_order_like_snmptranslate() {
    let Some(root) = nocwatch_testkit::shared_or_skip("mibs") else {
        return;
    };
    if !nocwatch_testkit::skip_unless_snmp() {
        return;
    }
    let dirs = mib_dirs(&root)
        .iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    let oids = [
        ".1.3.6.1.2.1.4.1.0",
        ".1.3.6.1.2.1.2.2.1.2.1",
        ".1.3.6.1.2.1.4.20.1.1.10.0.0.1",
        ".1.3.6.1.4.1.9.9.1",
    ];
    for list in ["IF-MIB", "IP-MIB:RFC1213-MIB", "RFC1213-MIB:IP-MIB", "ALL"] {
        let mut args = vec!["-M", dirs.as_str(), "-m", list];
        args.extend(oids);
        let theirs = nocwatch_testkit::net_snmp_tool("snmptranslate", &args).unwrap();
        let theirs: Vec<&str> = theirs.stdout.lines().filter(|l| !l.is_empty()).collect();
        let ours = Command::new(env!("CARGO_BIN_EXE_nocwatch"))
            .arg("translate")
            .args(&args)
            .output()
            .unwrap();
        let ours = String::from_utf8_lossy(&ours.stdout).into_owned();
        assert_eq!(ours.lines().collect::<Vec<_>>(), theirs, "-m {list}");
    }
}
