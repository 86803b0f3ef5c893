//! Decode stage: datagrams in, [`Event`]s (SNMPv2 form) out, via `nocwatch-snmp`'s
//! sans-IO [`Receiver`].
//!
//! The receiver checks communities and USM (v3 traps from any engine, informs to our
//! [`AuthoritativeEngine`]), answers discovery with Reports and builds each inform's
//! Response ([`InformAck`]). It leaves RFC 3584 translation of v1 Traps to its caller,
//! so it is done here (`translate_v1`):
//!
//! - sysUpTime.0 = time-stamp; snmpTrapOID.0 = `snmpTraps.(generic-trap + 1)` for
//!   the six generic traps, `enterprise.0.specific-trap` for enterpriseSpecific(6);
//! - then the v1 bindings, then snmpTrapAddress.0 = agent-addr,
//!   snmpTrapCommunity.0 = community and snmpTrapEnterprise.0 = enterprise, each
//!   only if the trap does not already carry it (§3.1 (3));
//! - agent-addr is also kept on the event ([`Event::agent_addr`]).
//!
//! The source an event is attributed to (limiter buckets, dedup keys, rules'
//! `sources`) is the datagram's address, or, with `source_from_trap_address`, the
//! value of snmpTrapAddress.0 when the notification carries one: a forwarder's
//! (SNMP-COMMUNITY-MIB) traps then count against the device that raised them. For
//! v1 Traps that is the agent-addr, since translation appends it.
//!
//! Datagrams that do not decode or authenticate are counted by reason and a bounded
//! copy is kept in a [`RejectRing`] for inspection.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Instant;

use nocwatch_snmp::ber::Writer;
use nocwatch_snmp::receiver::{
    AuthoritativeEngine, DropReason, InformAck, NotificationKind, Outcome, Receiver, ReceiverConfig,
};
use nocwatch_snmp::{GenericTrap, Oid, OidRef, Pdus, ReportKind, TrapV1Pdu, Value, VarBind, oids};

use crate::error::Error;
use crate::event::{BufferPool, Event, PduKind};

/// Why a datagram was refused, as a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectReason {
    /// Not decodable.
    Malformed,
    /// Community not accepted.
    BadCommunity,
    /// Not a notification PDU.
    UnexpectedPdu,
    /// v3 with another security model.
    UnknownSecurityModel,
    /// A USM check failed (unknown user / engine, wrong digest, decryption, level,
    /// time window).
    Usm(ReportKind),
    /// A notification with no snmpTrapOID.0 in its second binding.
    NoTrapOid,
}

impl RejectReason {
    /// Label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::BadCommunity => "bad_community",
            Self::UnexpectedPdu => "unexpected_pdu",
            Self::UnknownSecurityModel => "unknown_security_model",
            Self::Usm(ReportKind::UnsupportedSecurityLevel) => "usm_unsupported_sec_level",
            Self::Usm(ReportKind::NotInTimeWindow) => "usm_not_in_time_window",
            Self::Usm(ReportKind::UnknownUserName) => "usm_unknown_user",
            Self::Usm(ReportKind::UnknownEngineId) => "usm_unknown_engine_id",
            Self::Usm(ReportKind::WrongDigest) => "usm_wrong_digest",
            Self::Usm(ReportKind::DecryptionError) => "usm_decryption_error",
            Self::Usm(_) => "usm_other",
            Self::NoTrapOid => "no_trap_oid",
        }
    }

    /// Every label value, for rendering zeros.
    pub const LABELS: [&'static str; 12] = [
        "malformed",
        "bad_community",
        "unexpected_pdu",
        "unknown_security_model",
        "usm_unsupported_sec_level",
        "usm_not_in_time_window",
        "usm_unknown_user",
        "usm_unknown_engine_id",
        "usm_wrong_digest",
        "usm_decryption_error",
        "usm_other",
        "no_trap_oid",
    ];

    fn from_drop(d: DropReason) -> Self {
        match d {
            DropReason::BadCommunity => Self::BadCommunity,
            DropReason::UnexpectedPdu(_) => Self::UnexpectedPdu,
            DropReason::UnknownSecurityModel => Self::UnknownSecurityModel,
            DropReason::Usm(k) => Self::Usm(k),
            _ => Self::Malformed,
        }
    }
}

/// A refused datagram kept for inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Wall-clock receive time (ns since the epoch).
    pub received_unix_ns: u64,
    /// Where it came from.
    pub peer: SocketAddr,
    /// Why.
    pub reason: RejectReason,
    /// The datagram's first [`RejectRing`] `max_bytes` bytes.
    pub bytes: Vec<u8>,
    /// Its full length.
    pub len: usize,
}

/// The last refused datagrams, bounded in count and bytes per entry: the oldest is
/// overwritten (a ring is for inspection, the counters are the accounting).
#[derive(Debug)]
pub struct RejectRing {
    entries: VecDeque<Rejected>,
    cap: usize,
    max_bytes: usize,
}

impl RejectRing {
    /// A ring of `cap` entries keeping at most `max_bytes` of each datagram.
    pub fn new(cap: usize, max_bytes: usize) -> Self {
        Self {
            entries: VecDeque::with_capacity(cap.min(1024)),
            cap,
            max_bytes,
        }
    }

    fn push(&mut self, r: Rejected) {
        if self.cap == 0 {
            return;
        }
        if self.entries.len() >= self.cap {
            self.entries.pop_front();
        }
        self.entries.push_back(r);
    }

    /// Oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Rejected> {
        self.entries.iter()
    }

    /// How many are kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// What one datagram became.
#[derive(Debug)]
pub enum Decoded {
    /// An event (and for informs, the Response to send once it is durable).
    Event(Event, Option<InformAck>),
    /// A Report to send back now (v3 discovery / USM errors on informs).
    Report(SocketAddr, Vec<u8>),
    /// Refused; counted and kept in the ring.
    Rejected(RejectReason),
}

/// The decode stage.
#[derive(Debug)]
pub struct Decoder {
    receiver: Receiver,
    source_from_trap_address: bool,
    rejects: RejectRing,
    oids: Oids,
    scratch: Vec<u8>,
}

#[derive(Debug)]
struct Oids {
    sys_up_time: Oid,
    snmp_trap_oid: Oid,
    trap_address: Oid,
    trap_community: Oid,
    trap_enterprise: Oid,
}

impl Decoder {
    /// A decoder accepting what `config` allows, authoritative (for informs) as
    /// `engine`. With `source_from_trap_address`, a notification carrying
    /// snmpTrapAddress.0 is attributed to that address (forwarded traps).
    pub fn new(
        config: ReceiverConfig,
        engine: AuthoritativeEngine,
        source_from_trap_address: bool,
        rejects: RejectRing,
    ) -> Result<Self, Error> {
        let oid = |a: &[u32]| Oid::from_arcs(a).map_err(|e| Error::Config(e.to_string()));
        Ok(Self {
            receiver: Receiver::new(config, engine).map_err(|e| Error::Config(e.to_string()))?,
            source_from_trap_address,
            rejects,
            oids: Oids {
                sys_up_time: oid(oids::SYS_UPTIME_0)?,
                snmp_trap_oid: oid(oids::SNMP_TRAP_OID_0)?,
                trap_address: oid(oids::SNMP_TRAP_ADDRESS_0)?,
                trap_community: oid(oids::SNMP_TRAP_COMMUNITY_0)?,
                trap_enterprise: oid(oids::SNMP_TRAP_ENTERPRISE_0)?,
            },
            scratch: Vec::new(),
        })
    }

    /// Replaces the accepted communities (`None`: any) and USM users, keeping the
    /// counters and the engine (see [`Receiver::set_credentials`]). On an error
    /// nothing changes.
    pub fn set_credentials(
        &mut self,
        communities: Option<Vec<Vec<u8>>>,
        users: Vec<std::sync::Arc<nocwatch_snmp::UsmUser>>,
    ) -> Result<(), Error> {
        self.receiver
            .set_credentials(communities, users)
            .map_err(|e| Error::Config(e.to_string()))
    }

    /// The receiver (its counters, engine, key cache).
    pub fn receiver(&self) -> &Receiver {
        &self.receiver
    }

    /// The kept refused datagrams.
    pub fn rejects(&self) -> &RejectRing {
        &self.rejects
    }

    /// Decodes one datagram.
    pub fn decode(
        &mut self,
        now: Instant,
        unix_ns: u64,
        peer: SocketAddr,
        datagram: &[u8],
        pool: &mut BufferPool,
    ) -> Decoded {
        let outcome = self.receiver.handle(now, peer, datagram);
        let reason = match outcome {
            Outcome::Notification(n) => {
                let community = n.security_name();
                let built = match (&n.pdu, n.kind) {
                    (Pdus::TrapV1(v1), _) => translate_v1(
                        &self.oids,
                        v1,
                        community,
                        peer,
                        unix_ns,
                        now,
                        pool.take(),
                        &mut self.scratch,
                    ),
                    (Pdus::Pdu(pdu), kind) => n.trap_oid().map(|oid| {
                        let kind = if kind == NotificationKind::Inform {
                            PduKind::Inform
                        } else {
                            PduKind::Trap
                        };
                        self.scratch.clear();
                        oid.write_ber(&mut self.scratch);
                        let raw = pdu.varbinds.raw();
                        let list = pdu.varbinds;
                        Event::from_parts(
                            pool.take(),
                            peer,
                            peer.ip(),
                            n.version,
                            kind,
                            None,
                            unix_ns,
                            now,
                            community,
                            &self.scratch,
                            |out| match raw {
                                Some(r) => out.extend_from_slice(r),
                                None => {
                                    let v: Vec<VarBind<'_>> =
                                        list.iter().filter_map(Result::ok).collect();
                                    nocwatch_snmp::VarBinds::encode_content(&v, out);
                                }
                            },
                        )
                    }),
                };
                match built {
                    Some(mut ev) => {
                        if self.source_from_trap_address
                            && let Some(a) = trap_address(&ev, &self.oids.trap_address)
                        {
                            ev.source = IpAddr::V4(a);
                        }
                        return Decoded::Event(ev, n.ack);
                    }
                    None => RejectReason::NoTrapOid,
                }
            }
            Outcome::Report { datagram: d, .. } => return Decoded::Report(peer, d.to_vec()),
            Outcome::Dropped(d) => RejectReason::from_drop(d),
        };
        let keep = datagram.len().min(self.rejects.max_bytes);
        self.rejects.push(Rejected {
            received_unix_ns: unix_ns,
            peer,
            reason,
            bytes: datagram.get(..keep).unwrap_or(&[]).to_vec(),
            len: datagram.len(),
        });
        Decoded::Rejected(reason)
    }
}

/// snmpTrapAddress.0's value, when the event carries it as an IpAddress.
fn trap_address(ev: &Event, name: &Oid) -> Option<Ipv4Addr> {
    ev.varbinds()
        .iter()
        .map_while(Result::ok)
        .find(|vb| vb.name == *name)
        .and_then(|vb| match vb.value {
            Value::IpAddress(a) => Some(Ipv4Addr::from(a)),
            _ => None,
        })
}

/// RFC 3584 §3.1: a v1 Trap as an SNMPv2 notification. See the module docs.
/// `None` when the trap OID cannot be formed: an enterprise of 127 or 128 arcs
/// gives an snmpTrapOID.0 beyond the 128 arcs an OID may have (found by the
/// `trap_v1_translate` fuzz target: the event then lacked snmpTrapOID.0 and the
/// trap's own bindings moved up into its place). Such a trap is refused as
/// `no_trap_oid`, never delivered malformed.
#[allow(clippy::too_many_arguments)]
fn translate_v1(
    oids: &Oids,
    v1: &TrapV1Pdu<'_>,
    community: &[u8],
    peer: SocketAddr,
    unix_ns: u64,
    now: Instant,
    buf: Vec<u8>,
    scratch: &mut Vec<u8>,
) -> Option<Event> {
    // snmpTrapOID.0's value as BER content.
    scratch.clear();
    match v1.generic() {
        GenericTrap::EnterpriseSpecific | GenericTrap::Other(_) => {
            v1.enterprise.write_ber(scratch);
            // `.0.specific`: arcs < 128 are one byte; larger ones need base-128.
            push_arc(scratch, 0);
            push_arc(scratch, u32::try_from(v1.specific_trap).unwrap_or(0));
        }
        _ => {
            // snmpTraps.(generic + 1): coldStart is .1.
            let mut arcs = oids::SNMP_TRAPS.to_vec();
            arcs.push(u32::try_from(v1.generic_trap).unwrap_or(0) + 1);
            if let Ok(o) = Oid::from_arcs(&arcs) {
                OidRef::from(&o).write_ber(scratch);
            }
        }
    }
    let trap_oid_ber = scratch.clone();
    OidRef::from_ber(&trap_oid_ber, true)
        .ok()
        .filter(|o| o.len() <= nocwatch_snmp::MAX_ARCS)?;
    let has = |name: &Oid| {
        v1.varbinds
            .iter()
            .map_while(Result::ok)
            .any(|vb| vb.name == *name)
    };
    let (has_addr, has_comm, has_ent) = (
        has(&oids.trap_address),
        has(&oids.trap_community),
        has(&oids.trap_enterprise),
    );
    Some(Event::from_parts(
        buf,
        peer,
        peer.ip(),
        nocwatch_snmp::Version::V1,
        PduKind::TrapV1,
        Some(v1.agent_addr),
        unix_ns,
        now,
        community,
        &trap_oid_ber,
        |out| {
            let mut w = Writer::new(out);
            VarBind {
                name: OidRef::from(&oids.sys_up_time),
                value: Value::TimeTicks(v1.time_stamp),
            }
            .encode(&mut w);
            // The OID bytes were produced above from a valid OID.
            if let Ok(trap_oid) = OidRef::from_ber(&trap_oid_ber, true) {
                VarBind {
                    name: OidRef::from(&oids.snmp_trap_oid),
                    value: Value::ObjectIdentifier(trap_oid),
                }
                .encode(&mut w);
            }
            if let Some(raw) = v1.varbinds.raw() {
                w.raw(raw);
            }
            if !has_addr {
                VarBind {
                    name: OidRef::from(&oids.trap_address),
                    value: Value::IpAddress(v1.agent_addr.octets()),
                }
                .encode(&mut w);
            }
            if !has_comm {
                VarBind {
                    name: OidRef::from(&oids.trap_community),
                    value: Value::OctetString(community),
                }
                .encode(&mut w);
            }
            if !has_ent {
                VarBind {
                    name: OidRef::from(&oids.trap_enterprise),
                    value: Value::ObjectIdentifier(v1.enterprise),
                }
                .encode(&mut w);
            }
        },
    ))
}

/// Appends one sub-identifier in BER base-128.
fn push_arc(out: &mut Vec<u8>, arc: u32) {
    let mut tmp = [0u8; 5];
    let mut i = tmp.len();
    let mut v = arc;
    loop {
        i -= 1;
        if let Some(b) = tmp.get_mut(i) {
            *b = (v & 0x7f) as u8 | if i == 4 { 0 } else { 0x80 };
        }
        v >>= 7;
        if v == 0 || i == 0 {
            break;
        }
    }
    out.extend_from_slice(tmp.get(i..).unwrap_or(&[]));
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn arcs_encode_base128() {
        for (arc, want) in [
            (0u32, vec![0u8]),
            (127, vec![0x7f]),
            (128, vec![0x81, 0x00]),
            (16384, vec![0x81, 0x80, 0x00]),
            (u32::MAX, vec![0x8f, 0xff, 0xff, 0xff, 0x7f]),
        ] {
            let mut out = Vec::new();
            push_arc(&mut out, arc);
            assert_eq!(out, want, "arc {arc}");
        }
    }

    /// Found by the `trap_v1_translate` fuzz target: an enterprise of 127 arcs
    /// gives a trap OID of 129 arcs, which cannot exist; the trap was delivered
    /// without snmpTrapOID.0. It is refused now; 126 arcs still translate.
    #[test]
    fn an_enterprise_too_long_for_a_trap_oid_is_refused() {
        use nocwatch_snmp::receiver::{AuthoritativeEngine, ReceiverConfig, generate_engine_id};
        use nocwatch_snmp::{CommunityMessage, Pdus, TrapV1Pdu, VarBinds, Version};

        let decode = |arcs: usize| {
            let mut e = vec![1u32, 3, 6, 1, 4, 1];
            e.resize(arcs, 7);
            let enterprise = Oid::from_arcs(&e).unwrap();
            let mut datagram = Vec::new();
            CommunityMessage {
                version: Version::V1,
                community: b"public",
                pdu: Pdus::TrapV1(TrapV1Pdu {
                    enterprise: OidRef::from(&enterprise),
                    agent_addr: Ipv4Addr::new(192, 0, 2, 1),
                    generic_trap: 6,
                    specific_trap: 1,
                    time_stamp: 5,
                    varbinds: VarBinds::from_slice(&[]),
                }),
            }
            .encode(&mut datagram);
            let now = Instant::now();
            let engine = AuthoritativeEngine::new(generate_engine_id(7), 1, now);
            let mut d = Decoder::new(
                ReceiverConfig::default(),
                engine,
                false,
                RejectRing::new(4, 64),
            )
            .unwrap();
            let mut pool = BufferPool::new(1);
            let peer = SocketAddr::from(([192, 0, 2, 1], 40000));
            d.decode(now, 1, peer, &datagram, &mut pool)
        };
        assert!(matches!(decode(126), Decoded::Event(..)));
        assert!(matches!(
            decode(127),
            Decoded::Rejected(RejectReason::NoTrapOid)
        ));
        assert!(matches!(
            decode(128),
            Decoded::Rejected(RejectReason::NoTrapOid)
        ));
    }
}
