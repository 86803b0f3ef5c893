//! MIB-aware output: bindings as net-snmp prints them with MIBs loaded
//! (`IF-MIB::ifOperStatus.3 = INTEGER: down(2)`), for every command that prints
//! bindings (get, getnext, walk, bulkwalk, set, decode) and for the trap listener, which
//! calls [`MibText::push_varbind`] with its own [`MibText`].
//!
//! Which MIBs: `-M` directories (else `$MIBDIRS`, else /usr/share/snmp/mibs), loaded
//! when `-m` or `-M` is given or `$MIBS` is set and not empty, as net-snmp's
//! tools read them. The value's text follows the object's SYNTAX: enumerations,
//! DISPLAY-HINTs of its textual convention, BITS labels, UNITS, and net-snmp's
//! `Wrong Type (should be ...)` when the agent's type does not match the MIB.

use std::fmt::Write as _;
use std::sync::Arc;

use nocwatch_mib::{BaseType, MibObject, MibSelection, Mibs, NodeKind, OidStyle};
use nocwatch_snmp::{OpaqueNumber, Value, VarBind, push_i64, push_u64};

use crate::format;

/// net-snmp's `-O` output options that nocwatch honours.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TextOpts {
    /// How OIDs (names and OID values) are written: `-On`, `-Of`, `-Os`, default.
    pub(crate) oid: OidStyle,
    /// `-Oq`: `name value`, without `=` and type names.
    pub(crate) quick: bool,
    /// `-Ov`: the value only.
    pub(crate) value_only: bool,
}

impl TextOpts {
    /// Parses the letters of every `-O` given. Unknown letters are an error rather
    /// than silently ignored, so a script never gets text it did not ask for.
    pub(crate) fn parse(options: &[String]) -> anyhow::Result<Self> {
        let mut o = Self::default();
        for letters in options {
            for c in letters.chars() {
                match c {
                    'n' => o.oid = OidStyle::Numeric,
                    'f' => o.oid = OidStyle::Full,
                    's' => o.oid = OidStyle::Suffix,
                    'q' => o.quick = true,
                    'v' => o.value_only = true,
                    other => {
                        anyhow::bail!("-O{other}: unsupported output option (supported: n f s q v)")
                    }
                }
            }
        }
        Ok(o)
    }
}

/// The MIBs net-snmp's `-m` / `-M` (or `$MIBS` / `$MIBDIRS`) select
/// (`nocwatch_mib::MibSelection`), loaded once; `None` when no MIBs were asked for.
pub(crate) fn load(modules: Option<&str>, dirs: Option<&str>) -> Option<Mibs> {
    let (mibs, diagnostics) = MibSelection::from_env(modules, dirs).load_if_wanted()?;
    log_diagnostics(&diagnostics);
    Some(mibs)
}

/// One warning for a load's problems; each at debug level.
pub(crate) fn log_diagnostics(diagnostics: &[nocwatch_mib::Diagnostic]) {
    if !diagnostics.is_empty() {
        tracing::warn!(
            problems = diagnostics.len(),
            "Some MIB definitions did not resolve (--log debug lists them)."
        );
    }
    for d in diagnostics {
        tracing::debug!(diagnostic = %d, "MIB problem.");
    }
}

/// Formats bindings with a loaded MIB index and output options. Cheap to share:
/// the index is behind an `Arc` and never changes.
#[derive(Debug, Clone)]
pub(crate) struct MibText {
    pub(crate) mibs: Arc<Mibs>,
    pub(crate) opts: TextOpts,
}

impl MibText {
    pub(crate) fn new(mibs: Arc<Mibs>, opts: TextOpts) -> Self {
        Self { mibs, opts }
    }

    /// From a command's `-m`, `-M` and `-O` options: `None` when no MIBs were
    /// asked for (print net-snmp's `-On` text without them). This is the hook a
    /// command that prints bindings (the trap listener too) calls once at start.
    pub(crate) fn from_options(
        modules: Option<&str>,
        dirs: Option<&str>,
        output: &[String],
    ) -> anyhow::Result<Option<Self>> {
        let opts = TextOpts::parse(output)?;
        Ok(load(modules, dirs).map(|m| Self::new(Arc::new(m), opts)))
    }

    /// Appends one binding and a newline, as net-snmp's `print_variable` with
    /// the same MIBs and `-O` options.
    pub(crate) fn push_varbind(&self, out: &mut String, vb: &VarBind<'_>) {
        let oid: Vec<u32> = vb.name.arcs().collect();
        if !self.opts.value_only {
            self.mibs.push_oid(out, &oid, self.opts.oid);
            out.push_str(if self.opts.quick { " " } else { " = " });
        }
        self.push_value(out, &oid, &vb.value);
        out.push('\n');
    }

    /// Appends the `name` a JSON binding carries: as `-O` asks, but module-qualified
    /// (`IF-MIB::ifDescr.1`) rather than numeric for `-On` (the `oid` field is
    /// already numeric).
    pub(crate) fn push_json_name(&self, out: &mut String, arcs: &[u32]) {
        let style = if self.opts.oid == OidStyle::Numeric {
            OidStyle::Module
        } else {
            self.opts.oid
        };
        self.mibs.push_oid(out, arcs, style);
    }

    /// Appends one binding as a JSON object on its own line: the fields of the
    /// MIB-less JSON (`oid`, `type`, `value`, `hex`) plus `name` (as `-O` asks,
    /// `IF-MIB::ifDescr.1` by default) and `text` (the value as net-snmp prints it).
    pub(crate) fn push_varbind_json(&self, out: &mut String, vb: &VarBind<'_>) {
        let arcs: Vec<u32> = vb.name.arcs().collect();
        let mut oid = String::new();
        vb.name.write_dotted(&mut oid);
        let mut obj = format::varbind_json(&oid, &vb.value);
        let mut name = String::new();
        self.push_json_name(&mut name, &arcs);
        obj["name"] = serde_json::Value::String(name);
        let mut text = String::new();
        self.push_value(&mut text, &arcs, &vb.value);
        obj["text"] = serde_json::Value::String(text);
        out.push_str(&obj.to_string());
        out.push('\n');
    }

    /// Appends the value part (after ` = `) of a binding named `oid`.
    pub(crate) fn push_value(&self, out: &mut String, oid: &[u32], value: &Value<'_>) {
        let object = self
            .mibs
            .lookup_oid(oid)
            .map(|(o, _)| o)
            .filter(|o| o.kind == NodeKind::ObjectType && o.base_type.is_some());
        match object {
            Some(obj) if !value.is_exception() && *value != Value::Null => {
                self.push_typed(out, obj, value);
            }
            _ => self.push_plain(out, value),
        }
    }

    fn prefix(&self, out: &mut String, ty: &str) {
        if !self.opts.quick {
            out.push_str(ty);
        }
    }

    fn push_units(out: &mut String, obj: &MibObject) {
        if let Some(u) = &obj.units {
            out.push(' ');
            out.push_str(u);
        }
    }

    /// By the MIB's type; a value of another type prints as net-snmp does:
    /// `Wrong Type (should be X): ` then the value on its own.
    fn push_typed(&self, out: &mut String, obj: &MibObject, value: &Value<'_>) {
        let Some(base) = obj.base_type else {
            return self.push_plain(out, value);
        };
        let netaddr = obj.type_name.as_deref() == Some("NetworkAddress");
        match (base, value) {
            (BaseType::Integer, Value::Integer(v)) => {
                self.prefix(out, "INTEGER: ");
                if let Some((_, label)) = obj.enums.iter().find(|(n, _)| n == v) {
                    if self.opts.quick {
                        out.push_str(label);
                    } else {
                        let _ = write!(out, "{label}({v})");
                    }
                } else if let Some(text) = obj
                    .display_hint
                    .as_deref()
                    .and_then(|h| nocwatch_mib::format_integer_hint(h, *v))
                {
                    out.push_str(&text);
                } else {
                    push_i64(out, *v);
                }
                Self::push_units(out, obj);
            }
            (BaseType::OctetString, Value::OctetString(s)) => {
                match obj
                    .display_hint
                    .as_deref()
                    .and_then(|h| nocwatch_mib::format_octets_hint(h, s))
                {
                    Some(text) => {
                        self.prefix(out, "STRING: ");
                        out.push_str(&text);
                    }
                    None => self.push_octets(out, s),
                }
                Self::push_units(out, obj);
            }
            (BaseType::Bits, Value::OctetString(s)) if self.opts.quick => {
                // quick: the hex only, quoted, no labels
                out.push('"');
                push_hex(out, s);
                out.push('"');
            }
            (BaseType::Bits, Value::OctetString(s)) => {
                self.prefix(out, "BITS: ");
                push_hex(out, s);
                for (i, byte) in s.iter().enumerate() {
                    for bit in 0..8 {
                        if byte & (0x80 >> bit) != 0 {
                            let n = i64::try_from(i * 8 + bit).unwrap_or(i64::MAX);
                            match obj.enums.iter().find(|(v, _)| *v == n) {
                                Some((_, label)) => {
                                    let _ = write!(out, "{label}({n}) ");
                                }
                                None => {
                                    let _ = write!(out, "{n} ");
                                }
                            }
                        }
                    }
                }
            }
            (BaseType::IpAddress, Value::IpAddress(ip)) if netaddr => {
                self.prefix(out, "Network Address: ");
                let _ = write!(
                    out,
                    "{:02X}:{:02X}:{:02X}:{:02X}",
                    ip[0], ip[1], ip[2], ip[3]
                );
            }
            (BaseType::ObjectIdentifier, Value::ObjectIdentifier(_))
            | (BaseType::IpAddress, Value::IpAddress(_))
            | (BaseType::Opaque, Value::Opaque(_)) => self.push_plain(out, value),
            (BaseType::Counter32, Value::Counter32(v))
            | (BaseType::Gauge32 | BaseType::Unsigned32, Value::Gauge32(v)) => {
                let ty = if base == BaseType::Counter32 {
                    "Counter32: "
                } else {
                    "Gauge32: "
                };
                self.prefix(out, ty);
                match obj
                    .display_hint
                    .as_deref()
                    .and_then(|h| nocwatch_mib::format_integer_hint(h, i64::from(*v)))
                {
                    Some(text) => out.push_str(&text),
                    None => push_u64(out, u64::from(*v)),
                }
                Self::push_units(out, obj);
            }
            (BaseType::Counter64, Value::Counter64(v)) => {
                self.prefix(out, "Counter64: ");
                push_u64(out, *v);
                Self::push_units(out, obj);
            }
            (BaseType::TimeTicks, Value::TimeTicks(_)) => self.push_plain(out, value),
            (BaseType::Sequence | BaseType::SequenceOf, _) => self.push_plain(out, value),
            (expected, _) => {
                let should = match expected {
                    BaseType::Integer => "INTEGER",
                    BaseType::OctetString => "OCTET STRING",
                    BaseType::ObjectIdentifier => "OBJECT IDENTIFIER",
                    BaseType::Bits => "BITS",
                    BaseType::IpAddress if netaddr => "NetworkAddress",
                    BaseType::IpAddress => "IpAddress",
                    BaseType::Counter32 => "Counter32",
                    BaseType::Gauge32 | BaseType::Unsigned32 => "Gauge32",
                    BaseType::TimeTicks => "Timeticks",
                    BaseType::Opaque => "Opaque",
                    BaseType::Counter64 => "Counter64",
                    BaseType::Sequence | BaseType::SequenceOf => "",
                };
                let _ = write!(out, "Wrong Type (should be {should}): ");
                self.push_plain(out, value);
            }
        }
    }

    /// By the value's own type (no MIB information, or an exception).
    fn push_plain(&self, out: &mut String, value: &Value<'_>) {
        match value {
            Value::ObjectIdentifier(o) => {
                self.prefix(out, "OID: ");
                let arcs: Vec<u32> = o.arcs().collect();
                self.mibs.push_oid(out, &arcs, self.opts.oid);
            }
            Value::OctetString(s) => self.push_octets(out, s),
            Value::TimeTicks(t) if self.opts.quick => {
                let (c, s) = (t % 100, t / 100);
                let _ = write!(
                    out,
                    "{}:{}:{:02}:{:02}.{c:02}",
                    s / 86400,
                    s % 86400 / 3600,
                    s % 3600 / 60,
                    s % 60
                );
            }
            Value::IpAddress(ip) if self.opts.quick => {
                let _ = write!(out, "{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3]);
            }
            Value::Integer(v) if self.opts.quick => push_i64(out, *v),
            Value::Counter32(v) | Value::Gauge32(v) if self.opts.quick => {
                push_u64(out, u64::from(*v));
            }
            Value::Counter64(v) if self.opts.quick => push_u64(out, *v),
            Value::Opaque(b) if self.opts.quick => match value.opaque_number() {
                Some(OpaqueNumber::Float(f)) => {
                    let _ = write!(out, "{:.6}", f64::from(f));
                }
                Some(OpaqueNumber::Double(d)) => {
                    let _ = write!(out, "{d:.6}");
                }
                None => format::push_hex_lines(out, b),
            },
            _ => format::push_value(out, value),
        }
    }

    /// OCTET STRING without a hint: quoted text when every byte is printable,
    /// otherwise hex (`"..."` around it with `-Oq`), as net-snmp.
    fn push_octets(&self, out: &mut String, s: &[u8]) {
        if !self.opts.quick || s.is_empty() || format::is_text(s) {
            if self.opts.quick && !s.is_empty() {
                out.push('"');
                for &b in s {
                    if b == b'\\' || b == b'"' {
                        out.push('\\');
                    }
                    out.push(char::from(b));
                }
                out.push('"');
            } else {
                format::push_value(out, &Value::OctetString(s));
            }
        } else {
            out.push('"');
            push_hex(out, s);
            out.push('"');
        }
    }
}

fn push_hex(out: &mut String, s: &[u8]) {
    format::push_hex_lines(out, s);
}
