//! Events as `trap listen` prints them: net-snmp-like text (snmptrapd's default
//! format, numeric OIDs) or one JSON object per line.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use nocwatch_snmp::receiver::{Notification, NotificationKind, Security};
use nocwatch_snmp::{Pdus, SecurityLevel, Value, VarBind, Version};

use crate::format;

/// sysUpTime.0, snmpTrapOID.0 and RFC 3584's proxy objects, for v1 translation.
const SYS_UPTIME: &str = ".1.3.6.1.2.1.1.3.0";
const SNMP_TRAP_OID: &str = ".1.3.6.1.6.3.1.1.4.1.0";
const SNMP_TRAP_ADDRESS: &str = ".1.3.6.1.6.3.18.1.3.0";
const SNMP_TRAP_COMMUNITY: &str = ".1.3.6.1.6.3.18.1.4.0";
const SNMP_TRAP_ENTERPRISE: &str = ".1.3.6.1.6.3.1.1.4.3.0";

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

/// One binding, rendered both ways at receipt (the PDU borrows the datagram).
#[derive(Debug, Clone)]
pub(crate) struct Binding {
    text: String,
    json: serde_json::Value,
}

impl Binding {
    fn of(vb: &VarBind<'_>) -> Self {
        let mut text = String::new();
        vb.name.write_dotted(&mut text);
        let json = format::varbind_json(&text, &vb.value);
        text.push_str(" = ");
        format::push_value(&mut text, &vb.value);
        Self { text, json }
    }

    fn made(oid: &str, value: &Value<'_>) -> Self {
        let mut text = format!("{oid} = ");
        format::push_value(&mut text, value);
        Self {
            text,
            json: format::varbind_json(oid, value),
        }
    }
}

/// The v1 header fields, kept for the text form.
#[derive(Debug, Clone)]
struct V1Header {
    enterprise: String,
    agent_addr: std::net::Ipv4Addr,
    generic: i32,
    specific: i32,
    uptime: u32,
}

/// An accepted notification, owned.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    at: SystemTime,
    peer: SocketAddr,
    local: SocketAddr,
    version: Version,
    kind: NotificationKind,
    security_name: String,
    security_level: Option<String>,
    trap_oid: Option<String>,
    v1: Option<V1Header>,
    /// The bindings in the SNMPv2 form (v1 Traps translated per RFC 3584 §3.1).
    bindings: Vec<Binding>,
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Event {
    /// Copies what is needed out of `n` (which borrows the receive buffer).
    pub(crate) fn from_notification(n: &Notification<'_>, local: SocketAddr) -> Self {
        let (security_name, security_level) = match n.security {
            Security::Community(c) => (lossy(c), None),
            Security::Usm(u) => (
                lossy(u.user_name),
                Some(
                    match u.level {
                        SecurityLevel::NoAuthNoPriv => "noAuthNoPriv",
                        SecurityLevel::AuthNoPriv => "authNoPriv",
                        SecurityLevel::AuthPriv => "authPriv",
                    }
                    .to_owned(),
                ),
            ),
        };
        let mut bindings = Vec::new();
        let mut v1 = None;
        let trap_oid = match &n.pdu {
            Pdus::TrapV1(t) => {
                let mut enterprise = String::new();
                t.enterprise.write_dotted(&mut enterprise);
                // RFC 3584 §3.1: snmpTrapOID from generic/specific.
                let oid = if (0..6).contains(&t.generic_trap) {
                    format!(".1.3.6.1.6.3.1.1.5.{}", t.generic_trap + 1)
                } else {
                    format!("{enterprise}.0.{}", t.specific_trap)
                };
                bindings.push(Binding::made(SYS_UPTIME, &Value::TimeTicks(t.time_stamp)));
                let mut oid_text = format!("{SNMP_TRAP_OID} = OID: {oid}");
                let json = serde_json::json!({"oid": SNMP_TRAP_OID, "type": "OBJECT IDENTIFIER", "value": oid});
                bindings.push(Binding {
                    text: std::mem::take(&mut oid_text),
                    json,
                });
                for vb in t.varbinds.iter().filter_map(Result::ok) {
                    bindings.push(Binding::of(&vb));
                }
                bindings.push(Binding::made(
                    SNMP_TRAP_ADDRESS,
                    &Value::IpAddress(t.agent_addr.octets()),
                ));
                bindings.push(Binding::made(
                    SNMP_TRAP_COMMUNITY,
                    &Value::OctetString(n.security_name()),
                ));
                bindings.push(Binding::made(
                    SNMP_TRAP_ENTERPRISE,
                    &Value::ObjectIdentifier(t.enterprise),
                ));
                v1 = Some(V1Header {
                    enterprise,
                    agent_addr: t.agent_addr,
                    generic: t.generic_trap,
                    specific: t.specific_trap,
                    uptime: t.time_stamp,
                });
                Some(oid)
            }
            Pdus::Pdu(p) => {
                for vb in p.varbinds.iter().filter_map(Result::ok) {
                    bindings.push(Binding::of(&vb));
                }
                n.trap_oid().map(|o| {
                    let mut s = String::new();
                    o.write_dotted(&mut s);
                    s
                })
            }
        };
        Self {
            at: SystemTime::now(),
            peer: n.peer,
            local,
            version: n.version,
            kind: n.kind,
            security_name,
            security_level,
            trap_oid,
            v1,
            bindings,
        }
    }

    fn transport(&self) -> String {
        format!(
            "UDP: [{}]:{}->[{}]:{}",
            self.peer.ip(),
            self.peer.port(),
            self.local.ip(),
            self.local.port()
        )
    }

    fn kind_name(&self) -> &'static str {
        match self.kind {
            NotificationKind::TrapV1 => "trap-v1",
            NotificationKind::Trap => "trap",
            NotificationKind::Inform => "inform",
        }
    }

    /// The JSON object.
    pub(crate) fn json(&self) -> serde_json::Value {
        let mut obj = serde_json::json!({
            "time": rfc3339(self.at),
            "source": self.peer.ip().to_string(),
            "source_port": self.peer.port(),
            "transport": self.transport(),
            "version": self.version.to_string(),
            "kind": self.kind_name(),
            "security_name": self.security_name,
            "trap_oid": self.trap_oid,
            "varbinds": self.bindings.iter().map(|b| b.json.clone()).collect::<Vec<_>>(),
            "count": 1,
        });
        if let Some(level) = &self.security_level {
            obj["security_level"] = serde_json::Value::from(level.as_str());
        }
        if let Some(h) = &self.v1 {
            obj["v1"] = serde_json::json!({
                "enterprise": h.enterprise,
                "agent_addr": h.agent_addr.to_string(),
                "generic_trap": h.generic,
                "specific_trap": h.specific,
                "time_stamp": h.uptime,
            });
        }
        obj
    }

    /// snmptrapd's default text with `-n -On`: a header line, then the bindings
    /// separated by tabs (v1: a second header line, and the bindings line starts
    /// with a tab).
    pub(crate) fn push_text(&self, out: &mut String) {
        let when = local_time(self.at);
        let transport = self.transport();
        if let Some(h) = &self.v1 {
            let generic = usize::try_from(h.generic)
                .ok()
                .and_then(|g| GENERIC.get(g))
                .copied()
                .unwrap_or("Unknown");
            let mut up = String::new();
            format::push_value(&mut up, &Value::TimeTicks(h.uptime));
            let up = up.strip_prefix("Timeticks: ").unwrap_or(&up);
            let (_, up) = up.split_once(") ").unwrap_or(("", up));
            let _ = write!(
                out,
                "{when} {a} [{a}] (via {transport}) TRAP, SNMP v1, community {}\n\t{} {generic} Trap ({}) Uptime: {up}\n\t",
                self.security_name,
                h.enterprise,
                h.specific,
                a = h.agent_addr,
            );
            // The v1 form shows only the PDU's own bindings.
            let own = self
                .bindings
                .get(2..self.bindings.len().saturating_sub(3))
                .unwrap_or(&[]);
            push_joined(out, own);
        } else {
            let _ = writeln!(out, "{when} {transport} [{transport}]:");
            push_joined(out, &self.bindings);
        }
        out.push('\n');
    }
}

fn push_joined(out: &mut String, bindings: &[Binding]) {
    for (i, b) in bindings.iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        out.push_str(&b.text);
    }
}

/// `YYYY-MM-DD hh:mm:ss` (UTC; snmptrapd prints local time, which is UTC here).
fn local_time(t: SystemTime) -> String {
    let (date, secs) = civil(t);
    format!(
        "{date} {:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn rfc3339(t: SystemTime) -> String {
    let (date, secs) = civil(t);
    let ms = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_micros());
    format!(
        "{date}T{:02}:{:02}:{:02}.{ms:06}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The UTC date and the second of the day (Howard Hinnant's days-to-civil).
fn civil(t: SystemTime) -> (String, u64) {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (format!("{y:04}-{m:02}-{d:02}"), secs % 86_400)
}

/// Standard output, written one batch at a time.
#[derive(Debug)]
pub(crate) struct Output {
    json: bool,
    out: Mutex<std::io::BufWriter<std::io::Stdout>>,
}

impl Output {
    pub(crate) fn stdout(json: bool) -> Self {
        Self {
            json,
            out: Mutex::new(std::io::BufWriter::with_capacity(
                1 << 16,
                std::io::stdout(),
            )),
        }
    }

    /// Writes and flushes a batch of events; an error means they may not be out.
    pub(crate) fn write(&self, events: &[Event]) -> std::io::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let mut text = String::new();
        for e in events {
            if self.json {
                text.push_str(&e.json().to_string());
                text.push('\n');
            } else {
                e.push_text(&mut text);
            }
        }
        let mut out = self
            .out
            .lock()
            .map_err(|_| std::io::Error::other("output lock poisoned"))?;
        out.write_all(text.as_bytes())?;
        out.flush()
    }

    pub(crate) fn flush(&self) {
        if let Ok(mut out) = self.out.lock() {
            let _ = out.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_795_321_234);
        assert_eq!(local_time(t), "2026-11-22 04:20:34");
        assert_eq!(rfc3339(t), "2026-11-22T04:20:34.000000Z");
    }
}
