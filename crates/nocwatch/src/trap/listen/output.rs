//! `trap listen` without `--json`: snmptrapd's default text (`-n -On`), rendered from
//! the pipeline's JSON event lines.
//!
//! The pipeline has one event sink, JSON lines; [`Text`] is a `Write` that takes those
//! lines and writes snmptrapd's format instead, so text and JSON output see exactly the
//! same events (dedup summaries included, with their occurrence count appended). A
//! line that does not parse is passed through unchanged rather than lost.

use std::fmt::Write as _;
use std::io::Write;
use std::net::SocketAddr;

use nocwatch_snmp::{Oid, Value};
use serde_json::Value as Json;

use crate::format;

/// snmpTrapEnterprise.0, where a translated v1 Trap keeps its enterprise.
const SNMP_TRAP_ENTERPRISE: &str = "1.3.6.1.6.3.1.1.4.3.0";
/// The RFC 3584 proxy bindings a translated v1 Trap carries after its own.
const V1_PROXY: [&str; 3] = [
    "1.3.6.1.6.3.18.1.3.0",
    "1.3.6.1.6.3.18.1.4.0",
    SNMP_TRAP_ENTERPRISE,
];

/// net-snmp's names of the generic traps (snmptrapd's `%W`).
const GENERIC: [&str; 7] = [
    "Cold Start",
    "Warm Start",
    "Link Down",
    "Link Up",
    "Authentication Failure",
    "EGP Neighbor Loss",
    "Enterprise Specific",
];

/// Converts JSON event lines to snmptrapd's text and writes them to `out`.
#[derive(Debug)]
pub(crate) struct Text<W: Write> {
    out: W,
    local: Option<SocketAddr>,
    partial: Vec<u8>,
}

impl<W: Write> Text<W> {
    pub(crate) fn new(out: W, local: Option<SocketAddr>) -> Self {
        Self {
            out,
            local,
            partial: Vec::new(),
        }
    }
}

impl<W: Write> Write for Text<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.partial.extend_from_slice(buf);
        let Some(end) = self.partial.iter().rposition(|&b| b == b'\n') else {
            return Ok(buf.len());
        };
        let mut text = String::new();
        for line in self.partial[..end].split(|&b| b == b'\n') {
            match serde_json::from_slice::<Json>(line) {
                Ok(ev) => push_event(&mut text, &ev, self.local),
                Err(_) => {
                    text.push_str(&String::from_utf8_lossy(line));
                    text.push('\n');
                }
            }
        }
        self.partial.drain(..=end);
        self.out.write_all(text.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

fn str_of<'a>(ev: &'a Json, key: &str) -> &'a str {
    ev.get(key).and_then(Json::as_str).unwrap_or("")
}

fn without_dot(s: &str) -> &str {
    s.strip_prefix('.').unwrap_or(s)
}

/// One binding as net-snmp prints it (`.OID = TYPE: value`).
fn push_binding(out: &mut String, vb: &Json) {
    let oid = without_dot(str_of(vb, "oid"));
    let _ = write!(out, ".{oid} = ");
    let ty = str_of(vb, "type");
    let v = vb.get("value").unwrap_or(&Json::Null);
    let num = v.as_u64().unwrap_or(0);
    let text = v.as_str().unwrap_or("");
    let owned_oid;
    let bytes;
    let value = match ty {
        "INTEGER" => Value::Integer(v.as_i64().unwrap_or(0)),
        "Counter32" => Value::Counter32(u32::try_from(num).unwrap_or(u32::MAX)),
        "Gauge32" => Value::Gauge32(u32::try_from(num).unwrap_or(u32::MAX)),
        "TimeTicks" => Value::TimeTicks(u32::try_from(num).unwrap_or(u32::MAX)),
        "Counter64" => Value::Counter64(num),
        "NULL" => Value::Null,
        "IpAddress" => match text.parse::<std::net::Ipv4Addr>() {
            Ok(ip) => Value::IpAddress(ip.octets()),
            Err(_) => Value::OctetString(text.as_bytes()),
        },
        "OBJECT IDENTIFIER" => match without_dot(text).parse::<Oid>() {
            Ok(o) => {
                owned_oid = o;
                Value::ObjectIdentifier(owned_oid.as_oid_ref())
            }
            Err(_) => Value::OctetString(text.as_bytes()),
        },
        "OCTET STRING" | "Opaque" => {
            bytes = hex_form(text).unwrap_or_else(|| text.as_bytes().to_vec());
            if ty == "Opaque" {
                Value::Opaque(&bytes)
            } else {
                Value::OctetString(&bytes)
            }
        }
        "noSuchObject" => Value::NoSuchObject,
        "noSuchInstance" => Value::NoSuchInstance,
        "endOfMibView" => Value::EndOfMibView,
        other => {
            let _ = write!(out, "{other}: {v}");
            return;
        }
    };
    format::push_value(out, &value);
}

/// The pipeline writes non-text strings as `0x` and lower-case hex.
fn hex_form(s: &str) -> Option<Vec<u8>> {
    let h = s.strip_prefix("0x")?;
    if h.is_empty() || h.len() % 2 != 0 {
        return None;
    }
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
        .collect()
}

/// `YYYY-MM-DD hh:mm:ss` from the event's RFC 3339 time.
fn when(ev: &Json) -> String {
    let t = str_of(ev, "time");
    let t = t.get(..19).unwrap_or(t);
    t.replacen('T', " ", 1)
}

fn push_event(out: &mut String, ev: &Json, local: Option<SocketAddr>) {
    let peer = str_of(ev, "peer");
    let transport = match (peer.parse::<SocketAddr>(), local) {
        (Ok(p), Some(l)) => format!("UDP: [{}]:{}->[{}]:{}", p.ip(), p.port(), l.ip(), l.port()),
        _ => format!("UDP: {peer}"),
    };
    let empty = Vec::new();
    let vbs = ev
        .get("varbinds")
        .and_then(Json::as_array)
        .unwrap_or(&empty);
    let occurrences = ev.get("occurrences").and_then(Json::as_u64).unwrap_or(1);
    if str_of(ev, "pdu") == "trap-v1" {
        // snmptrapd's v1 form: agent-addr, enterprise, generic/specific, uptime.
        let agent = ev
            .get("agent_addr")
            .and_then(Json::as_str)
            .unwrap_or(str_of(ev, "source"));
        let find = |oid: &str| {
            vbs.iter()
                .find(|vb| without_dot(str_of(vb, "oid")) == oid)
                .and_then(|vb| vb.get("value"))
        };
        let enterprise = find(SNMP_TRAP_ENTERPRISE)
            .and_then(Json::as_str)
            .map_or(String::new(), |e| format!(".{}", without_dot(e)));
        let trap_oid = without_dot(str_of(ev, "trap_oid"));
        let (generic, specific) = match trap_oid.strip_prefix("1.3.6.1.6.3.1.1.5.") {
            Some(g) => (g.parse::<usize>().map_or(6, |g| g.saturating_sub(1)), 0),
            None => (
                6,
                trap_oid
                    .rsplit('.')
                    .next()
                    .and_then(|s| s.parse::<u64>().ok())
                    .unwrap_or(0),
            ),
        };
        let uptime = find("1.3.6.1.2.1.1.3.0")
            .and_then(Json::as_u64)
            .and_then(|t| u32::try_from(t).ok())
            .unwrap_or(0);
        let mut up = String::new();
        format::push_value(&mut up, &Value::TimeTicks(uptime));
        let up = up.split_once(") ").map_or(up.as_str(), |(_, u)| u);
        let _ = write!(
            out,
            "{} {agent} [{agent}] (via {transport}) TRAP, SNMP v1, community {}\n\t{enterprise} {} Trap ({specific}) Uptime: {up}\n\t",
            when(ev),
            str_of(ev, "security_name"),
            GENERIC.get(generic).copied().unwrap_or("Unknown"),
        );
        let own = vbs.iter().skip(2).filter(|vb| {
            let oid = without_dot(str_of(vb, "oid"));
            !V1_PROXY.contains(&oid)
        });
        for (i, vb) in own.enumerate() {
            if i > 0 {
                out.push('\t');
            }
            push_binding(out, vb);
        }
    } else {
        let _ = writeln!(out, "{} {transport} [{transport}]:", when(ev));
        for (i, vb) in vbs.iter().enumerate() {
            if i > 0 {
                out.push('\t');
            }
            push_binding(out, vb);
        }
    }
    if occurrences > 1 {
        let _ = write!(out, "\t(repeated {occurrences} times)");
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn v2_lines_in_snmptrapd_form() {
        let mut t = Text::new(Vec::new(), Some("127.0.0.1:162".parse().unwrap()));
        let line = r#"{"time":"2026-11-22T05:30:00.123Z","peer":"127.0.0.1:40000","source":"127.0.0.1","pdu":"trap","occurrences":1,"trap_oid":".1.3.6.1.6.3.1.1.5.3","varbinds":[{"oid":".1.3.6.1.2.1.1.3.0","type":"TimeTicks","value":4242},{"oid":".1.3.6.1.6.3.1.1.4.1.0","type":"OBJECT IDENTIFIER","value":"1.3.6.1.6.3.1.1.5.3"},{"oid":".1.3.6.1.2.1.2.2.1.6.7","type":"OCTET STRING","value":"0x0011aa"},{"oid":".1.3.6.1.2.1.2.2.1.2.7","type":"OCTET STRING","value":"Gi0/7"}]}"#;
        t.write_all(line.as_bytes()).unwrap();
        t.write_all(b"\n").unwrap();
        let text = String::from_utf8(t.out).unwrap();
        assert_eq!(
            text,
            "2026-11-22 05:30:00 UDP: [127.0.0.1]:40000->[127.0.0.1]:162 [UDP: [127.0.0.1]:40000->[127.0.0.1]:162]:\n\
             .1.3.6.1.2.1.1.3.0 = Timeticks: (4242) 0:00:42.42\t.1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.6.3.1.1.5.3\t\
             .1.3.6.1.2.1.2.2.1.6.7 = Hex-STRING: 00 11 AA \t.1.3.6.1.2.1.2.2.1.2.7 = STRING: \"Gi0/7\"\n"
        );
    }
}
