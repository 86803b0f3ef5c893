//! Events: something that happened to a resource.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::{ResourceId, Severity};

/// Where an event came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Origin {
    /// A trap or inform received by the trap intake.
    Trap {
        /// `v1`, `v2c` or `v3`.
        version: &'static str,
        /// `trap-v1`, `trap` or `inform`.
        pdu: &'static str,
        /// The datagram's sender.
        peer: SocketAddr,
        /// snmpTrapOID.0, dotted.
        trap_oid: String,
    },
    /// Seen by polling (a device stopped answering, a status column changed).
    Poll {
        /// The poller that saw it.
        poller: String,
    },
    /// Raised by nocwatch itself (a source failing, a queue overflowing).
    Internal {
        /// The component that raised it.
        component: String,
    },
}

/// One variable binding of a trap event, as text: the numeric OID, the name when
/// MIBs are loaded, net-snmp's type name and the value as net-snmp prints it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Binding {
    /// Dotted numeric OID.
    pub oid: String,
    /// `IF-MIB::ifIndex.3` when MIBs are loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The value's type (`INTEGER`, `Timeticks`, `STRING`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// The value as text.
    pub value: String,
}

/// Something that happened to a resource: a classified trap, a polling finding or
/// an internal condition. Immutable once built; shared as `Arc<Event>` between the
/// API's recent-events log and its subscribers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Event {
    /// Unique and increasing within one run of the service (the trap journal's
    /// sequence number for traps).
    pub seq: u64,
    /// When it was first seen, nanoseconds since the Unix epoch.
    pub unix_ns: u64,
    /// When it was last seen (equal to `unix_ns` unless duplicates were folded in).
    pub last_unix_ns: u64,
    /// What it is about.
    pub resource: ResourceId,
    /// Where it came from.
    pub origin: Origin,
    /// Its name as the rules classify it (`linkDown`, `bgpBackwardTransition`,
    /// `unknown`).
    pub name: Arc<str>,
    /// How urgent.
    pub severity: Severity,
    /// How many identical occurrences it stands for (dedup).
    pub occurrences: u32,
    /// The trap's bindings, when it is a trap.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bindings: Vec<Binding>,
}

/// A selection of events, as `GET /events` takes it: every given criterion must
/// hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only this resource.
    pub resource: Option<String>,
    /// Only this severity or more urgent (a `clear` floor selects clears only).
    pub severity: Option<Severity>,
    /// Only events of this name (the rules' name, e.g. `linkDown`).
    pub name: Option<String>,
    /// Only events first seen at or after this time (ns since the epoch).
    pub since_unix_ns: Option<u64>,
    /// Only events first seen before this time (ns since the epoch).
    pub until_unix_ns: Option<u64>,
}

impl EventFilter {
    /// Whether `ev` is selected.
    pub fn matches(&self, ev: &Event) -> bool {
        self.resource
            .as_deref()
            .is_none_or(|r| r == ev.resource.as_str())
            && self.severity.is_none_or(|floor| match floor {
                Severity::Clear => ev.severity == Severity::Clear,
                _ => ev.severity != Severity::Clear && ev.severity.at_least(floor),
            })
            && self.name.as_deref().is_none_or(|n| n == &*ev.name)
            && self.since_unix_ns.is_none_or(|t| ev.unix_ns >= t)
            && self.until_unix_ns.is_none_or(|t| ev.unix_ns < t)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn ev(resource: &str, name: &str, severity: Severity, unix_ns: u64) -> Event {
        Event {
            seq: 1,
            unix_ns,
            last_unix_ns: unix_ns,
            resource: ResourceId::new(resource),
            origin: Origin::Trap {
                version: "v2c",
                pdu: "trap",
                peer: "127.1.0.1:162".parse().unwrap(),
                trap_oid: "1.3.6.1.6.3.1.1.5.3".to_owned(),
            },
            name: Arc::from(name),
            severity,
            occurrences: 1,
            bindings: vec![Binding {
                oid: "1.3.6.1.2.1.2.2.1.1.3".to_owned(),
                name: None,
                kind: "INTEGER".to_owned(),
                value: "3".to_owned(),
            }],
        }
    }

    #[test]
    fn filter_criteria() {
        let down = ev("core1", "linkDown", Severity::Major, 100);
        let up = ev("core1", "linkUp", Severity::Clear, 200);
        let all = EventFilter::default();
        assert!(all.matches(&down) && all.matches(&up));
        let f = EventFilter {
            severity: Some(Severity::Minor),
            ..EventFilter::default()
        };
        assert!(f.matches(&down) && !f.matches(&up));
        let f = EventFilter {
            severity: Some(Severity::Clear),
            ..EventFilter::default()
        };
        assert!(!f.matches(&down) && f.matches(&up));
        let f = EventFilter {
            resource: Some("core2".to_owned()),
            ..EventFilter::default()
        };
        assert!(!f.matches(&down));
        let f = EventFilter {
            name: Some("linkUp".to_owned()),
            since_unix_ns: Some(150),
            until_unix_ns: Some(201),
            ..EventFilter::default()
        };
        assert!(!f.matches(&down) && f.matches(&up));
    }

    #[test]
    fn json_shape() {
        let j = serde_json::to_value(ev("core1", "linkDown", Severity::Major, 100)).unwrap();
        assert_eq!(j["origin"]["type"], "trap");
        assert_eq!(j["severity"], "major");
        assert_eq!(j["resource"], "core1");
        assert_eq!(j["bindings"][0]["type"], "INTEGER");
    }
}
