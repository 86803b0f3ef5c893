//! `translate`: MIB names to OIDs and back, like snmptranslate.
//!
//! The MIB index is loaded once per call and shared by every item, so many names or
//! OIDs per call (or a list on stdin) cost one load, not one per item.

use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use nocwatch_mib::Mibs;

use crate::cli::TranslateArgs;

pub(crate) fn translate(args: &TranslateArgs) -> anyhow::Result<ExitCode> {
    let dirs: Vec<PathBuf> = args
        .mib_dirs
        .clone()
        .or_else(|| std::env::var("MIBDIRS").ok())
        .unwrap_or_else(|| "/usr/share/snmp/mibs".to_string())
        .split(':')
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .collect();
    let (mibs, diagnostics) = Mibs::load_dirs(&dirs);
    if !diagnostics.is_empty() {
        tracing::warn!(
            problems = diagnostics.len(),
            "Some MIB definitions did not resolve (--log debug lists them)."
        );
    }
    for d in &diagnostics {
        tracing::debug!(diagnostic = %d, "MIB problem.");
    }
    let mode = args.output.as_deref().unwrap_or("");
    let mut items: Vec<String> = Vec::new();
    for item in &args.items {
        if item == "-" {
            for line in std::io::stdin().lock().lines() {
                let line = line?;
                if !line.trim().is_empty() {
                    items.push(line.trim().to_string());
                }
            }
        } else {
            items.push(item.clone());
        }
    }
    let mut out = String::new();
    let mut status = ExitCode::SUCCESS;
    for item in &items {
        match mibs.resolve(item) {
            Ok(oid) => {
                out.push_str(&render(&mibs, &oid, mode));
                out.push('\n');
            }
            Err(_) => {
                // snmptranslate's wording
                eprintln!("{item}: Unknown Object Identifier");
                status = ExitCode::from(2);
                // snmptranslate stops at the first unknown item; we go on, and keep
                // the answers aligned with the questions with an empty line.
                if items.len() > 1 {
                    out.push('\n');
                }
            }
        }
    }
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(status)
}

fn render(mibs: &Mibs, oid: &[u32], mode: &str) -> String {
    let numeric = || oid.iter().map(|a| format!(".{a}")).collect::<String>();
    if mode.contains('n') {
        return numeric();
    }
    if mode.contains('f') {
        // every prefix's label, numbers where a prefix has none
        let mut s = String::new();
        for n in 1..=oid.len() {
            s.push('.');
            match mibs.object_at(&oid[..n]) {
                Some(obj) => s.push_str(&obj.name),
                None => s.push_str(&oid[n - 1].to_string()),
            }
        }
        return s;
    }
    let full = mibs.format_oid(oid);
    if mode.contains('s') {
        return full
            .split_once("::")
            .map_or(full.clone(), |(_, rest)| rest.to_string());
    }
    full
}
