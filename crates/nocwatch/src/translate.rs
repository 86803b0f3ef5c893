//! `translate`: MIB names to OIDs and back, like snmptranslate.
//!
//! The MIB index is loaded once per call and shared by every item, so many names or
//! OIDs per call (or a list on stdin) cost one load, not one per item.

use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use nocwatch_mib::{Mibs, OidStyle};

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
    let style = if mode.contains('n') {
        OidStyle::Numeric
    } else if mode.contains('f') {
        OidStyle::Full
    } else if mode.contains('s') {
        OidStyle::Suffix
    } else {
        OidStyle::Module
    };
    mibs.format_oid_as(oid, style)
}
