//! Output in net-snmp's format (`.1.3.6.1.2.1.1.1.0 = STRING: "Linux ..."`) and as JSON.
//!
//! Without MIBs (they arrive with the MIB work) net-snmp decides how to show an OCTET
//! STRING by looking at its bytes: all printable or white space gives a quoted
//! `STRING:` with `\` and `"` escaped, anything else `Hex-STRING:` with 16 bytes per
//! line. The comparison tests hold us to its exact text, byte for byte.

use std::fmt::Write as _;

use nocwatch_snmp::{OpaqueNumber, Value, VarBind, push_i64, push_u64};

/// How to print bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OutputMode {
    /// net-snmp's `-On` text.
    Text,
    /// One JSON object per line.
    Json,
}

/// Appends one binding as net-snmp prints it with `-On`, followed by a newline.
pub(crate) fn push_varbind(out: &mut String, vb: &VarBind<'_>) {
    vb.name.write_dotted(out);
    out.push_str(" = ");
    push_value(out, &vb.value);
    out.push('\n');
}

/// Appends one binding as a JSON object on its own line.
pub(crate) fn push_varbind_json(out: &mut String, vb: &VarBind<'_>) {
    let mut oid = String::new();
    vb.name.write_dotted(&mut oid);
    let obj = varbind_json(&oid, &vb.value);
    out.push_str(&obj.to_string());
    out.push('\n');
}

/// Appends a binding in the chosen mode.
pub(crate) fn push(out: &mut String, vb: &VarBind<'_>, mode: OutputMode) {
    match mode {
        OutputMode::Text => push_varbind(out, vb),
        OutputMode::Json => push_varbind_json(out, vb),
    }
}

/// A binding as a JSON value: `{"oid", "type", "value"}` plus `"hex"` for byte strings
/// that are not text.
pub(crate) fn varbind_json(oid: &str, value: &Value<'_>) -> serde_json::Value {
    use serde_json::json;
    let ty = value.type_name();
    match *value {
        Value::Integer(v) => json!({"oid": oid, "type": ty, "value": v}),
        Value::OctetString(s) => match std::str::from_utf8(s) {
            Ok(text) if is_text(s) => json!({"oid": oid, "type": ty, "value": text}),
            _ => json!({"oid": oid, "type": ty, "value": null, "hex": hex(s)}),
        },
        Value::Null | Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView => {
            json!({"oid": oid, "type": ty, "value": null})
        }
        Value::ObjectIdentifier(o) => {
            let mut s = String::new();
            o.write_dotted(&mut s);
            json!({"oid": oid, "type": ty, "value": s})
        }
        Value::IpAddress(ip) => json!({"oid": oid, "type": ty,
            "value": std::net::Ipv4Addr::from(ip).to_string()}),
        Value::Counter32(v) | Value::Gauge32(v) | Value::TimeTicks(v) => {
            json!({"oid": oid, "type": ty, "value": v})
        }
        Value::Counter64(v) => json!({"oid": oid, "type": ty, "value": v}),
        Value::Opaque(b) => match value.opaque_number() {
            Some(OpaqueNumber::Float(f)) => json!({"oid": oid, "type": "Opaque", "value": f}),
            Some(OpaqueNumber::Double(d)) => json!({"oid": oid, "type": "Opaque", "value": d}),
            None => json!({"oid": oid, "type": ty, "value": null, "hex": hex(b)}),
        },
    }
}

/// Appends a value as net-snmp prints it after ` = `.
pub(crate) fn push_value(out: &mut String, value: &Value<'_>) {
    match *value {
        Value::Integer(v) => {
            out.push_str("INTEGER: ");
            push_i64(out, v);
        }
        Value::OctetString(s) => push_octets(out, s),
        Value::Null => out.push_str("NULL"),
        Value::ObjectIdentifier(o) => {
            out.push_str("OID: ");
            o.write_dotted(out);
        }
        Value::IpAddress(ip) => {
            out.push_str("IpAddress: ");
            for (i, b) in ip.into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_u64(out, u64::from(b));
            }
        }
        Value::Counter32(v) => {
            out.push_str("Counter32: ");
            push_u64(out, u64::from(v));
        }
        Value::Gauge32(v) => {
            out.push_str("Gauge32: ");
            push_u64(out, u64::from(v));
        }
        Value::TimeTicks(t) => push_timeticks(out, t),
        Value::Opaque(b) => match value.opaque_number() {
            Some(OpaqueNumber::Float(f)) => {
                let _ = write!(out, "Opaque: Float: {:.6}", f64::from(f));
            }
            Some(OpaqueNumber::Double(d)) => {
                let _ = write!(out, "Opaque: Float: {d:.6}");
            }
            None => {
                out.push_str("OPAQUE: ");
                push_hex_lines(out, b);
            }
        },
        Value::Counter64(v) => {
            out.push_str("Counter64: ");
            push_u64(out, v);
        }
        Value::NoSuchObject => out.push_str("No Such Object available on this agent at this OID"),
        Value::NoSuchInstance => out.push_str("No Such Instance currently exists at this OID"),
        Value::EndOfMibView => out.push_str(
            "No more variables left in this MIB View (It is past the end of the MIB tree)",
        ),
    }
}

/// C's `isprint || isspace` in the C locale: net-snmp's test for "this is text".
pub(crate) fn is_text(s: &[u8]) -> bool {
    s.iter()
        .all(|&b| (0x20..=0x7e).contains(&b) || (0x09..=0x0d).contains(&b))
}

fn push_octets(out: &mut String, s: &[u8]) {
    if s.is_empty() {
        out.push_str("\"\"");
    } else if is_text(s) {
        out.push_str("STRING: \"");
        for &b in s {
            if b == b'\\' || b == b'"' {
                out.push('\\');
            }
            out.push(char::from(b));
        }
        out.push('"');
    } else {
        out.push_str("Hex-STRING: ");
        push_hex_lines(out, s);
    }
}

/// `XX XX ...` with a trailing space after every byte and a newline after every 16
/// bytes when more follow, as net-snmp's sprint_realloc_hexstring.
pub(crate) fn push_hex_lines(out: &mut String, s: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    for (i, chunk) in s.chunks(16).enumerate() {
        if i > 0 {
            out.push('\n');
        }
        for &b in chunk {
            out.push(char::from(DIGITS[usize::from(b >> 4)]));
            out.push(char::from(DIGITS[usize::from(b & 0xf)]));
            out.push(' ');
        }
    }
}

fn push_timeticks(out: &mut String, t: u32) {
    let centis = t % 100;
    let secs = t / 100;
    let days = secs / 86400;
    let hours = secs % 86400 / 3600;
    let minutes = secs % 3600 / 60;
    let seconds = secs % 60;
    let _ = write!(out, "Timeticks: ({t}) ");
    let _ = match days {
        0 => write!(out, "{hours}:{minutes:02}:{seconds:02}.{centis:02}"),
        1 => write!(out, "1 day, {hours}:{minutes:02}:{seconds:02}.{centis:02}"),
        d => write!(
            out,
            "{d} days, {hours}:{minutes:02}:{seconds:02}.{centis:02}"
        ),
    };
}

/// Lower-case contiguous hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: Value<'_>) -> String {
        let mut s = String::new();
        push_value(&mut s, &v);
        s
    }

    #[test]
    fn matches_net_snmp_text() {
        assert_eq!(text(Value::OctetString(b"")), "\"\"");
        assert_eq!(
            text(Value::OctetString(b"a \"q\" \\")),
            "STRING: \"a \\\"q\\\" \\\\\""
        );
        assert_eq!(
            text(Value::OctetString(b"tab\there")),
            "STRING: \"tab\there\""
        );
        assert_eq!(
            text(Value::OctetString(&[0xd6, 0x2d, 0x04, 0x56, 0x3d, 0x31])),
            "Hex-STRING: D6 2D 04 56 3D 31 "
        );
        let engine = [
            0x80, 0x00, 0x1f, 0x88, 0x80, 0x97, 0x7d, 0x84, 0x55, 0x21, 0x5b, 0x02, 0x6b, 0, 0, 0,
            0,
        ];
        assert_eq!(
            text(Value::OctetString(&engine)),
            "Hex-STRING: 80 00 1F 88 80 97 7D 84 55 21 5B 02 6B 00 00 00 \n00 "
        );
        assert_eq!(text(Value::TimeTicks(99)), "Timeticks: (99) 0:00:00.99");
        assert_eq!(
            text(Value::TimeTicks(100 * 86400 + 1)),
            "Timeticks: (8640001) 1 day, 0:00:00.01"
        );
        assert_eq!(
            text(Value::TimeTicks(u32::MAX)),
            "Timeticks: (4294967295) 497 days, 2:27:52.95"
        );
        assert_eq!(
            text(Value::Opaque(&[0x9f, 0x78, 0x04, 0x3d, 0xe7, 0x00, 0x00])),
            "Opaque: Float: 0.112793"
        );
        assert_eq!(
            text(Value::IpAddress([192, 0, 2, 1])),
            "IpAddress: 192.0.2.1"
        );
        assert_eq!(text(Value::Integer(-1)), "INTEGER: -1");
    }
}
