//! `translate`: MIB names to OIDs and back, like snmptranslate.
//!
//! The MIB index is loaded once per call and shared by every item, so many names or
//! OIDs per call (or a list on stdin) cost one load, not one per item.

use std::io::{BufRead as _, Write as _};
use std::process::ExitCode;

use std::fmt::Write as _;

use nocwatch_mib::{BaseType, MibSelection, Mibs, NodeKind, OidStyle};

use crate::cli::TranslateArgs;

pub(crate) fn translate(args: &TranslateArgs) -> anyhow::Result<ExitCode> {
    let describe = args
        .translate_opts
        .as_deref()
        .is_some_and(|t| t.contains('d'));
    if let Some(t) = args
        .translate_opts
        .as_deref()
        .filter(|t| t.chars().any(|c| c != 'd'))
    {
        anyhow::bail!("-T{t}: only -Td is supported");
    }
    // snmptranslate loads MIBs whatever the flags say: it is what it is for.
    let (mibs, diagnostics) =
        MibSelection::from_env(args.modules.as_deref(), args.mib_dirs.as_deref()).load(describe);
    crate::mibout::log_diagnostics(&diagnostics);
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
    for (n, item) in items.iter().enumerate() {
        if describe && n > 0 {
            // definitions span lines: a blank line between them, as snmptranslate
            out.push('\n');
        }
        match mibs.resolve(item) {
            Ok(oid) => {
                out.push_str(&render(&mibs, &oid, mode));
                out.push('\n');
                if describe {
                    describe_oid(&mut out, &mibs, &oid);
                }
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

/// net-snmp's `-Td`: the definition of the node an OID falls under, as far as the
/// index keeps it (clauses nocwatch does not keep, such as DEFVAL or REFERENCE,
/// are not shown).
fn describe_oid(out: &mut String, mibs: &Mibs, oid: &[u32]) {
    let Some((obj, _)) = mibs.lookup_oid(oid) else {
        return;
    };
    let kind = match obj.kind {
        NodeKind::NotificationType => "NOTIFICATION-TYPE",
        NodeKind::TrapType => "TRAP-TYPE",
        NodeKind::ObjectGroup => "OBJECT-GROUP",
        NodeKind::NotificationGroup => "NOTIFICATION-GROUP",
        NodeKind::ModuleCompliance => "MODULE-COMPLIANCE",
        NodeKind::AgentCapabilities => "AGENT-CAPABILITIES",
        NodeKind::ModuleIdentity => "MODULE-IDENTITY",
        NodeKind::ObjectIdentity => "OBJECT-IDENTITY",
        _ => "OBJECT-TYPE",
    };
    let _ = writeln!(out, "{} {kind}", obj.name);
    // every module that defines this OID, the one that names it first
    let mut from = vec![obj.module.as_str()];
    for o in mibs.objects() {
        if o.oid == obj.oid && !from.contains(&o.module.as_str()) {
            from.push(&o.module);
        }
    }
    let _ = writeln!(out, "  -- FROM\t{}", from.join(", "));
    if let Some(tc) = &obj.tc_name {
        let _ = writeln!(out, "  -- TEXTUAL CONVENTION {tc}");
    }
    if let Some(name) = obj.base_name.filter(|_| {
        !matches!(
            obj.base_type,
            Some(BaseType::Sequence | BaseType::SequenceOf)
        )
    }) {
        let _ = write!(out, "  SYNTAX\t{name}");
        if !obj.enums.is_empty() {
            let list: Vec<String> = obj.enums.iter().map(|(v, l)| format!("{l}({v})")).collect();
            let _ = write!(out, " {{{}}} ", list.join(", "));
        } else if !obj.ranges.is_empty() {
            let list: Vec<String> = obj
                .ranges
                .iter()
                .map(|(lo, hi)| {
                    if lo == hi {
                        lo.to_string()
                    } else {
                        format!("{lo}..{hi}")
                    }
                })
                .collect();
            let _ = write!(out, " ({}) ", list.join(" | "));
        }
        out.push('\n');
    }
    if let Some(h) = &obj.display_hint {
        let _ = writeln!(out, "  DISPLAY-HINT\t\"{h}\"");
    }
    if let Some(u) = &obj.units {
        let _ = writeln!(out, "  UNITS\t\t\"{u}\"");
    }
    if let Some(access) = obj.access {
        let a = match access {
            nocwatch_mib::Access::NotAccessible => "not-accessible",
            nocwatch_mib::Access::AccessibleForNotify => "accessible-for-notify",
            nocwatch_mib::Access::ReadOnly => "read-only",
            nocwatch_mib::Access::ReadWrite => "read-write",
            nocwatch_mib::Access::ReadCreate => "read-create",
            nocwatch_mib::Access::WriteOnly => "write-only",
            nocwatch_mib::Access::Unknown => "unknown",
        };
        let _ = writeln!(out, "  MAX-ACCESS\t{a}");
    }
    if let Some(s) = &obj.status
        && obj.kind != NodeKind::NotificationType
    {
        let _ = writeln!(out, "  STATUS\t{s}");
    }
    if !obj.index.is_empty() {
        let parts: Vec<String> = obj
            .index
            .iter()
            .map(|p| {
                if p.implied {
                    format!("IMPLIED {}", p.name)
                } else {
                    p.name.clone()
                }
            })
            .collect();
        let _ = writeln!(out, "  INDEX\t\t{{ {} }}", parts.join(", "));
    }
    if let Some(a) = &obj.augments {
        let _ = writeln!(out, "  AUGMENTS\t{{ {a} }}");
    }
    if !obj.objects.is_empty() {
        let _ = writeln!(out, "  OBJECTS\t{{ {} }}", obj.objects.join(", "));
    }
    if let Some(d) = &obj.description {
        let _ = writeln!(out, "  DESCRIPTION\t\"{d}\"");
    }
    if let Some(d) = &obj.defval {
        let _ = writeln!(out, "  DEFVAL\t{d}");
    }
    // ::= { iso(1) org(3) ... parent(n) last }
    out.push_str("::= {");
    if let Some((last, prefix)) = oid.split_last() {
        for n in 1..=prefix.len() {
            let arc = prefix.get(n - 1).copied().unwrap_or(0);
            match prefix.get(..n).and_then(|p| mibs.object_at(p)) {
                Some(o) => {
                    let _ = write!(out, " {}({arc})", o.name);
                }
                None => {
                    let _ = write!(out, " {arc}");
                }
            }
        }
        let _ = write!(out, " {last}");
    }
    out.push_str(" }\n");
}
