//! OIDs and values as net-snmp prints them: names with the table index decoded
//! from the INDEX clause, and DISPLAY-HINT formatting.
//!
//! The rules follow what net-snmp's tools print (checked against `snmptranslate`
//! and `snmpwalk` by the tests), including its quirks: string indexes are quoted
//! without escaping and with non-printable bytes shown as `.`, IMPLIED strings get
//! single quotes, an InetAddress after an InetAddressType is shown as an address.

use std::fmt::Write as _;

use crate::index::{BaseType, MibObject, Mibs};

/// How an OID is written: net-snmp's `-O` output options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OidStyle {
    /// `IF-MIB::ifDescr.1` (net-snmp's default).
    #[default]
    Module,
    /// `.iso.org.dod.internet.mgmt.mib-2.interfaces.ifTable.ifEntry.ifDescr.1` (`-Of`).
    Full,
    /// `.1.3.6.1.2.1.2.2.1.2.1` (`-On`).
    Numeric,
    /// `ifDescr.1` (`-Os`).
    Suffix,
}

/// C's `isprint` in the C locale.
fn printable(c: u32) -> bool {
    (0x20..=0x7e).contains(&c)
}

fn push_arcs(out: &mut String, arcs: &[u32]) {
    for a in arcs {
        let _ = write!(out, ".{a}");
    }
}

impl Mibs {
    /// An OID in the given style, with the instance part of a table column decoded
    /// from its INDEX clause as net-snmp does.
    pub fn format_oid_as(&self, oid: &[u32], style: OidStyle) -> String {
        let mut out = String::new();
        self.push_oid(&mut out, oid, style);
        out
    }

    /// Appends [`format_oid_as`](Self::format_oid_as) to `out`.
    pub fn push_oid(&self, out: &mut String, oid: &[u32], style: OidStyle) {
        if style == OidStyle::Numeric {
            push_arcs(out, oid);
            return;
        }
        let Some((obj, rest)) = self.lookup_oid(oid) else {
            push_arcs(out, oid);
            return;
        };
        match style {
            OidStyle::Full => {
                for n in 1..=obj.oid.len() {
                    out.push('.');
                    match oid.get(..n).and_then(|p| self.object_at(p)) {
                        Some(o) => out.push_str(&o.name),
                        None => {
                            let _ = write!(out, "{}", oid.get(n - 1).copied().unwrap_or(0));
                        }
                    }
                }
            }
            OidStyle::Suffix => out.push_str(&obj.name),
            OidStyle::Module | OidStyle::Numeric => {
                out.push_str(&obj.module);
                out.push_str("::");
                out.push_str(&obj.name);
            }
        }
        self.push_index(out, obj, rest);
    }

    /// The INDEX objects of the table `column` belongs to (following AUGMENTS).
    pub fn index_objects(&self, column: &MibObject) -> Vec<(&MibObject, bool)> {
        let Some(entry) = column
            .oid
            .split_last()
            .and_then(|(_, parent)| self.object_at(parent))
        else {
            return Vec::new();
        };
        let scoped = |module: &str, name: &str| {
            self.lookup(&format!("{module}::{name}"))
                .or_else(|| self.lookup(name))
        };
        let mut table_entry = entry;
        if table_entry.index.is_empty()
            && let Some(target) = &entry.augments
            && let Some(t) = scoped(&entry.module, target)
        {
            table_entry = t;
        }
        table_entry
            .index
            .iter()
            .map_while(|p| scoped(&table_entry.module, &p.name).map(|o| (o, p.implied)))
            .collect()
    }

    /// Appends the instance arcs after a column's name: decoded per INDEX while
    /// they fit, the rest in numbers.
    fn push_index(&self, out: &mut String, column: &MibObject, rest: &[u32]) {
        if rest.is_empty() {
            return;
        }
        let parts = self.index_objects(column);
        let mut pos = 0;
        // the value of an InetAddressType index just decoded
        let mut inet_type: Option<u32> = None;
        for (obj, implied) in parts {
            let Some(remaining) = rest.get(pos..).filter(|r| !r.is_empty()) else {
                break;
            };
            let tc = obj.tc_name.as_deref().unwrap_or("");
            match obj.base_type {
                Some(
                    BaseType::Integer
                    | BaseType::Unsigned32
                    | BaseType::Gauge32
                    | BaseType::Counter32
                    | BaseType::TimeTicks,
                ) => {
                    let v = remaining[0];
                    match obj.enums.iter().find(|(n, _)| *n == i64::from(v)) {
                        Some((_, label)) => {
                            out.push('.');
                            out.push_str(label);
                        }
                        None => {
                            let _ = write!(out, ".{v}");
                        }
                    }
                    inet_type = (tc == "InetAddressType").then_some(v);
                    pos += 1;
                    continue;
                }
                Some(BaseType::IpAddress) if obj.type_name.as_deref() != Some("NetworkAddress") => {
                    let Some(four) = remaining.get(..4) else {
                        break;
                    };
                    push_arcs(out, four);
                    pos += 4;
                }
                Some(BaseType::OctetString) => {
                    let (len, start): (usize, usize) = if implied {
                        (remaining.len(), 0)
                    } else if let Some(n) = obj.fixed_size {
                        (n as usize, 0)
                    } else {
                        (remaining[0] as usize, 1)
                    };
                    let Some(bytes) = remaining.get(start..start.saturating_add(len)) else {
                        break;
                    };
                    out.push('.');
                    if tc == "InetAddress"
                        && !obj.size_alternatives
                        && let Some(text) = inet_text(inet_type, bytes)
                    {
                        let _ = write!(out, "\"{text}\"");
                    } else {
                        // no length in the OID (IMPLIED or fixed size): single quotes
                        let quote = if start == 0 { '\'' } else { '"' };
                        out.push(quote);
                        for &c in bytes {
                            out.push(if printable(c) {
                                char::from_u32(c).unwrap_or('.')
                            } else {
                                '.'
                            });
                        }
                        out.push(quote);
                    }
                    pos += start + len;
                }
                Some(BaseType::ObjectIdentifier) => {
                    let len = if implied {
                        remaining.len()
                    } else {
                        (remaining[0] as usize).saturating_add(1)
                    };
                    let Some(arcs) = remaining.get(..len) else {
                        break;
                    };
                    push_arcs(out, arcs);
                    pos += len;
                }
                _ => break,
            }
            inet_type = None;
        }
        push_arcs(out, rest.get(pos..).unwrap_or(&[]));
    }
}

/// An InetAddress index after its InetAddressType, as net-snmp shows it: ipv4
/// dotted, ipv6 as colon-separated byte pairs, zones after `%`. `None` when the
/// type and length do not match (then it is shown as a plain string).
fn inet_text(kind: Option<u32>, bytes: &[u32]) -> Option<String> {
    let byte = |i: usize| bytes.get(i).copied().filter(|&b| b <= 255);
    let mut s = String::new();
    let (addr_len, zoned) = match (kind?, bytes.len()) {
        (1, 4) => (4, false),
        (2, 16) => (16, false),
        (3, 8) => (4, true),
        (4, 20) => (16, true),
        _ => return None,
    };
    for i in 0..addr_len {
        let b = byte(i)?;
        if addr_len == 4 {
            if i > 0 {
                s.push('.');
            }
            let _ = write!(s, "{b}");
        } else {
            if i > 0 {
                s.push(':');
            }
            let _ = write!(s, "{b:02x}");
        }
    }
    if zoned {
        let mut zone = 0u32;
        for i in addr_len..addr_len + 4 {
            zone = (zone << 8) | byte(i)?;
        }
        let _ = write!(s, "%{zone}");
    }
    Some(s)
}

/// Applies an OCTET STRING DISPLAY-HINT (RFC 2579 §3.1) the way net-snmp does:
/// the last specification repeats until the data ends, a separator is written only
/// when more data follows. `None` for a hint it cannot parse.
pub fn format_octets_hint(hint: &str, data: &[u8]) -> Option<String> {
    let h = hint.as_bytes();
    let mut hi = 0;
    let mut out = String::new();
    let mut di = 0;
    let (mut width, mut code, mut separ, mut term) = (1usize, b'x', None, None);
    let mut first = true;
    while di < data.len() {
        let mut repeat = 1usize;
        if hi < h.len() || first {
            first = false;
            if h.get(hi) == Some(&b'*') {
                repeat = usize::from(data[di]);
                di += 1;
                hi += 1;
            }
            let mut w = 0usize;
            let mut digits = false;
            while let Some(d) = h.get(hi).filter(|c| c.is_ascii_digit()) {
                w = w.checked_mul(10)?.checked_add(usize::from(d - b'0'))?;
                digits = true;
                hi += 1;
            }
            if !digits {
                return None;
            }
            width = w.max(1);
            code = *h.get(hi)?;
            if !matches!(code, b'x' | b'd' | b'o' | b'b' | b'a' | b't') {
                return None;
            }
            hi += 1;
            let sep_char =
                |c: Option<&u8>| c.filter(|c| **c != b'*' && !c.is_ascii_digit()).copied();
            separ = sep_char(h.get(hi));
            if separ.is_some() {
                hi += 1;
            }
            term = sep_char(h.get(hi));
            if term.is_some() {
                hi += 1;
            }
        }
        while repeat > 0 && di < data.len() {
            if matches!(code, b'a' | b't') {
                let end = di.saturating_add(width).min(data.len());
                // net-snmp copies the bytes as they are: UTF-8 text stays itself
                // (invalid sequences become U+FFFD here, raw bytes there)
                out.push_str(&String::from_utf8_lossy(data.get(di..end)?));
                di = end;
            } else {
                let mut v: u64 = 0;
                for _ in 0..width {
                    let Some(&b) = data.get(di) else { break };
                    v = (v << 8) | u64::from(b);
                    di += 1;
                }
                let _ = match code {
                    b'x' => write!(out, "{v:x}"),
                    b'o' => write!(out, "{v:o}"),
                    b'b' => write!(out, "{v:b}"),
                    _ => write!(out, "{v}"),
                };
            }
            if let Some(s) = separ
                && di < data.len()
            {
                out.push(char::from(s));
            }
            repeat -= 1;
        }
        if let Some(t) = term
            && di < data.len()
        {
            out.push(char::from(t));
        }
    }
    Some(out)
}

/// Applies an INTEGER DISPLAY-HINT (`d`, `d-N`, `x`, `o`, `b`) as net-snmp does.
pub fn format_integer_hint(hint: &str, value: i64) -> Option<String> {
    let mut chars = hint.chars();
    let code = chars.next()?;
    let rest: String = chars.collect();
    match code {
        'd' => {
            let shift: usize = match rest.strip_prefix('-') {
                Some(n) => n.parse().ok()?,
                None if rest.is_empty() => 0,
                None => return None,
            };
            if shift > 40 {
                return None; // no 64-bit value has that many digits
            }
            let mut digits = value.unsigned_abs().to_string();
            if shift > 0 {
                while digits.len() <= shift {
                    digits.insert(0, '0');
                }
                digits.insert(digits.len() - shift, '.');
            }
            if value < 0 {
                digits.insert(0, '-');
            }
            Some(digits)
        }
        'x' if rest.is_empty() => Some(format!("{value:x}")),
        'o' if rest.is_empty() => Some(format!("{value:o}")),
        'b' if rest.is_empty() => Some(format!("{value:b}")),
        _ => None,
    }
}

impl Mibs {
    /// A notification (NOTIFICATION-TYPE or TRAP-TYPE) by its OID, with the
    /// objects its OBJECTS / VARIABLES clause names, in order (names that do not
    /// resolve are left out).
    pub fn notification(&self, trap_oid: &[u32]) -> Option<(&MibObject, Vec<&MibObject>)> {
        let n = self.object_at(trap_oid)?;
        if !matches!(
            n.kind,
            crate::NodeKind::NotificationType | crate::NodeKind::TrapType
        ) {
            return None;
        }
        let objects = n
            .objects
            .iter()
            .filter_map(|name| {
                self.lookup(&format!("{}::{name}", n.module))
                    .or_else(|| self.lookup(name))
            })
            .collect();
        Some((n, objects))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octet_hints_as_net_snmp() {
        let date = [0x07, 0xea, 11, 22, 5, 17, 57, 0, b'+', 0, 0];
        assert_eq!(
            format_octets_hint("2d-1d-1d,1d:1d:1d.1d,1a1d:1d", &date).as_deref(),
            Some("2026-11-22,5:17:57.0,+0:0")
        );
        assert_eq!(
            format_octets_hint("2d-1d-1d,1d:1d:1d.1d,1a1d:1d", &date[..8]).as_deref(),
            Some("2026-11-22,5:17:57.0")
        );
        assert_eq!(
            format_octets_hint("1x:", &[2, 0xfc, 0, 0, 0, 5]).as_deref(),
            Some("2:fc:0:0:0:5")
        );
        assert_eq!(format_octets_hint("1x:", &[]).as_deref(), Some(""));
        assert_eq!(format_octets_hint("255a", b"lo").as_deref(), Some("lo"));
        assert_eq!(
            format_octets_hint("255a", "Zürich".as_bytes()).as_deref(),
            Some("Zürich")
        );
        assert_eq!(
            format_octets_hint("1d.1d.1d.1d", &[192, 0, 2, 1]).as_deref(),
            Some("192.0.2.1")
        );
        // `*`: the first byte is a repeat count; the last spec then repeats
        assert_eq!(format_octets_hint("*1x", &[1, 2, 3]).as_deref(), Some("23"));
        assert_eq!(format_octets_hint("q", b"x"), None);
    }

    #[test]
    fn integer_hints_as_net_snmp() {
        assert_eq!(format_integer_hint("d-2", 1234).as_deref(), Some("12.34"));
        assert_eq!(format_integer_hint("d-2", 5).as_deref(), Some("0.05"));
        assert_eq!(format_integer_hint("d-2", -5).as_deref(), Some("-0.05"));
        assert_eq!(format_integer_hint("x", 255).as_deref(), Some("ff"));
        assert_eq!(format_integer_hint("d", 7).as_deref(), Some("7"));
        assert_eq!(format_integer_hint("z", 7), None);
        assert_eq!(format_integer_hint("d-99999999999", 7), None);
    }
}
