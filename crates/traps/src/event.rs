//! The event: one accepted notification, owned, in SNMPv2 form.
//!
//! Why one byte buffer: an event crosses the journal, a per-source queue, the dedup
//! cache and the sinks, so it must own its data; at 300k traps/s an allocation per
//! field (community, trap OID, each binding) would dominate. The variable-length
//! parts (security name, trap OID as BER content, VarBindList content as received)
//! live in one `Vec<u8>`, which is also exactly what the journal record carries, and
//! the buffer is recycled through a [`BufferPool`] when the event leaves the pipeline.
//! Bindings are decoded lazily (as `nocwatch-snmp` does) only by what reads them.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use nocwatch_snmp::{OidRef, VarBinds, Version};

/// What kind of PDU the notification arrived as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PduKind {
    /// An SNMPv1 Trap-PDU, translated to the SNMPv2 form (RFC 3584 §3.1).
    TrapV1,
    /// An SNMPv2-Trap-PDU (v2c or v3).
    Trap,
    /// An InformRequest-PDU (v2c or v3).
    Inform,
}

impl PduKind {
    /// The JSON / label spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TrapV1 => "trap-v1",
            Self::Trap => "trap",
            Self::Inform => "inform",
        }
    }

    pub(crate) fn to_u8(self) -> u8 {
        match self {
            Self::TrapV1 => 0,
            Self::Trap => 1,
            Self::Inform => 2,
        }
    }

    pub(crate) fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            0 => Self::TrapV1,
            1 => Self::Trap,
            2 => Self::Inform,
            _ => return None,
        })
    }
}

/// The JSON / label spelling of an SNMP version.
pub fn version_str(v: Version) -> &'static str {
    match v {
        Version::V1 => "v1",
        Version::V2c => "v2c",
        Version::V3 => "v3",
    }
}

pub use nocwatch_model::Severity;

/// What the rules said about an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// Index of the matching rule in the rule set, `None` for unknown trap OIDs.
    pub rule: Option<u32>,
    /// Event name (the rule's, or `"unknown"`).
    pub name: Arc<str>,
    /// Severity.
    pub severity: Severity,
    /// The dedup key: a hash of (source, trap OID, the rule's key bindings).
    pub dedup_key: u64,
}

impl Default for Classification {
    fn default() -> Self {
        Self {
            rule: None,
            name: Arc::from("unclassified"),
            severity: Severity::Info,
            dedup_key: 0,
        }
    }
}

/// One accepted notification in SNMPv2 form. See the module docs.
#[derive(Debug, Clone)]
pub struct Event {
    /// Journal sequence number (0 until journaled; then unique and increasing).
    pub seq: u64,
    /// Wall-clock receive time, nanoseconds since the Unix epoch.
    pub received_unix_ns: u64,
    /// Wall-clock time of the last occurrence folded into this event (dedup).
    pub last_unix_ns: u64,
    /// The datagram's source address.
    pub peer: SocketAddr,
    /// The source the event is attributed to: the peer's IP, or snmpTrapAddress.0
    /// for forwarded traps when configured.
    pub source: IpAddr,
    /// Message version.
    pub version: Version,
    /// PDU kind.
    pub kind: PduKind,
    /// For v1 Traps: the agent-addr field as sent.
    pub agent_addr: Option<Ipv4Addr>,
    /// How many identical notifications this event stands for (dedup).
    pub occurrences: u32,
    /// The rules' verdict (filled by the classify stage).
    pub class: Classification,
    /// When it entered the pipeline on this run (monotonic; latency metrics).
    pub ingested: Instant,
    sec_len: u32,
    oid_len: u32,
    data: Vec<u8>,
}

impl Event {
    /// Builds an event from its parts; `data` is reused as the buffer (cleared).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn from_parts(
        mut data: Vec<u8>,
        peer: SocketAddr,
        source: IpAddr,
        version: Version,
        kind: PduKind,
        agent_addr: Option<Ipv4Addr>,
        received_unix_ns: u64,
        ingested: Instant,
        security_name: &[u8],
        trap_oid_ber: &[u8],
        write_varbinds: impl FnOnce(&mut Vec<u8>),
    ) -> Self {
        data.clear();
        data.extend_from_slice(security_name);
        data.extend_from_slice(trap_oid_ber);
        write_varbinds(&mut data);
        Self {
            seq: 0,
            received_unix_ns,
            last_unix_ns: received_unix_ns,
            peer,
            source,
            version,
            kind,
            agent_addr,
            occurrences: 1,
            class: Classification::default(),
            ingested,
            sec_len: u32::try_from(security_name.len()).unwrap_or(u32::MAX),
            oid_len: u32::try_from(trap_oid_ber.len()).unwrap_or(u32::MAX),
            data,
        }
    }

    /// A v2c trap from 192.0.2.1:40000 with community `pub"lic`, linkDown as its
    /// trap OID and `varbinds` (VarBindList content) as its bindings: for tests.
    #[cfg(test)]
    pub(crate) fn for_test(seq: u64, varbinds: &[u8]) -> Self {
        let mut ev = Self::from_parts(
            Vec::new(),
            SocketAddr::from(([192, 0, 2, 1], 40000)),
            IpAddr::from([192, 0, 2, 1]),
            Version::V2c,
            PduKind::Trap,
            None,
            1_795_321_845_999_999_999,
            Instant::now(),
            b"pub\"lic",
            &[0x2b, 6, 1, 6, 3, 1, 1, 5, 3],
            |d| d.extend_from_slice(varbinds),
        );
        ev.seq = seq;
        ev
    }

    /// Lengths and buffer, for the journal codec.
    pub(crate) fn raw_parts(&self) -> (u32, u32, &[u8]) {
        (self.sec_len, self.oid_len, &self.data)
    }

    /// The community (v1/v2c) or USM user name (v3).
    pub fn security_name(&self) -> &[u8] {
        self.data.get(..self.sec_len as usize).unwrap_or(&[])
    }

    /// The trap OID's BER content (snmpTrapOID.0's value).
    pub fn trap_oid_ber(&self) -> &[u8] {
        let s = self.sec_len as usize;
        self.data.get(s..s + self.oid_len as usize).unwrap_or(&[])
    }

    /// snmpTrapOID.0 (empty if the notification carried none).
    pub fn trap_oid(&self) -> OidRef<'_> {
        // Validated when the event was built; the fallback is only for the type.
        OidRef::from_ber(self.trap_oid_ber(), true).unwrap_or_else(|_| empty_oid())
    }

    /// The VarBindList content in SNMPv2 form (sysUpTime.0, snmpTrapOID.0, ...).
    pub fn varbinds_ber(&self) -> &[u8] {
        let s = self.sec_len as usize + self.oid_len as usize;
        self.data.get(s..).unwrap_or(&[])
    }

    /// The bindings, decoded lazily.
    pub fn varbinds(&self) -> VarBinds<'_> {
        VarBinds::encoded(self.varbinds_ber())
    }

    /// Bytes held (for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        self.data.capacity()
    }

    /// Gives the buffer back (for a [`BufferPool`]).
    pub fn into_buffer(self) -> Vec<u8> {
        self.data
    }
}

fn empty_oid() -> OidRef<'static> {
    // `from_ber(&[], true)` never fails (lenient accepts the empty encoding); this is
    // only the typed fallback the signature needs.
    OidRef::from(EMPTY.get_or_init(nocwatch_snmp::Oid::empty))
}

static EMPTY: std::sync::OnceLock<nocwatch_snmp::Oid> = std::sync::OnceLock::new();

/// Recycled event buffers: events leaving the pipeline give theirs back, new events
/// take one, so steady-state ingestion does not allocate. Bounded: beyond `cap`
/// buffers, returned ones are freed; buffers grown past `max_buf` are freed too so
/// one huge trap does not pin memory forever.
#[derive(Debug)]
pub struct BufferPool {
    free: Vec<Vec<u8>>,
    cap: usize,
    max_buf: usize,
}

impl BufferPool {
    /// A pool keeping at most `cap` buffers.
    pub fn new(cap: usize) -> Self {
        Self {
            free: Vec::with_capacity(cap.min(1 << 16)),
            cap,
            max_buf: 4096,
        }
    }

    /// A buffer (empty, maybe with capacity).
    pub fn take(&mut self) -> Vec<u8> {
        self.free.pop().unwrap_or_else(|| Vec::with_capacity(256))
    }

    /// Returns a buffer.
    pub fn give(&mut self, mut buf: Vec<u8>) {
        if self.free.len() < self.cap && buf.capacity() <= self.max_buf {
            buf.clear();
            self.free.push(buf);
        }
    }

    /// Returns an event's buffer.
    pub fn recycle(&mut self, ev: Event) {
        self.give(ev.into_buffer());
    }
}

impl Event {
    /// The event as every stage shares it ([`nocwatch_model::Event`]), for the
    /// API's event log and other consumers outside the pipeline: the resource is
    /// the source address as text (until something names the device), the
    /// bindings are dotted OIDs, type names and values as text (numbers decimal,
    /// printable strings as text, others `0x` hex; see [`crate::rules::value_text`]),
    /// without MIB names. Allocates: call it once per event leaving the pipeline,
    /// not on its hot path.
    pub fn to_model(&self) -> nocwatch_model::Event {
        let mut trap_oid = String::new();
        crate::sink::dotted(&self.trap_oid(), &mut trap_oid);
        let bindings = self
            .varbinds()
            .iter()
            .filter_map(Result::ok)
            .map(|vb| {
                let mut oid = String::new();
                crate::sink::dotted(&vb.name, &mut oid);
                let mut value = String::new();
                crate::rules::value_text(&vb.value, &mut value);
                nocwatch_model::Binding {
                    oid,
                    name: None,
                    kind: vb.value.type_name().to_owned(),
                    value,
                }
            })
            .collect();
        nocwatch_model::Event {
            seq: self.seq,
            unix_ns: self.received_unix_ns,
            last_unix_ns: self.last_unix_ns,
            resource: nocwatch_model::ResourceId::from(self.source.to_string()),
            origin: nocwatch_model::Origin::Trap {
                version: version_str(self.version),
                pdu: self.kind.as_str(),
                peer: self.peer,
                trap_oid,
            },
            name: Arc::clone(&self.class.name),
            severity: self.class.severity,
            occurrences: self.occurrences,
            bindings,
        }
    }
}

#[cfg(test)]
mod tests {
    /// Events are moved by value through the queues: keep them small.
    #[test]
    fn event_stays_small() {
        assert!(
            size_of::<super::Event>() <= 192,
            "{}",
            size_of::<super::Event>()
        );
    }
}
