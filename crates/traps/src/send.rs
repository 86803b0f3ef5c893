//! Sending one notification, as net-snmp's `snmptrap` and `snmpinform` do: a v1
//! Trap, an SNMPv2-Trap (v2c or v3) or an InformRequest (v2c or v3).
//!
//! The receiving side of this crate is tested against what real senders emit; this
//! is the other half, for `nocwatch trap send`, scripts and tests that need a
//! notification on the wire. Why each path is built the way it is:
//!
//! - **Traps are sent once** from an ephemeral socket: they are unconfirmed
//!   (RFC 3416 §4.2.6), so there is nothing to wait for and nothing to retry.
//! - **Informs go through the request tracker** (`nocwatch_net::BlockingClient`),
//!   with the same retries, timeouts, request-id matching and v3 discovery as a
//!   `get`: an InformRequest is a confirmed request whose Response must match it.
//! - **For a v3 Trap we are the authoritative engine** (RFC 3414 §3.1.1): keys are
//!   localized with our own engine ID (the user's `engine_id`, as `snmptrap -e`
//!   sets it, else one generated for this run) and the message carries our boots and
//!   time. A receiver that lists senders' engine IDs (snmptrapd's `createUser -e`)
//!   therefore needs `-e` to match; nocwatch's receiver accepts any engine.
//! - **A v1 Trap's agent-addr** defaults to the address the datagram leaves from,
//!   as net-snmp sends it, so a receiver that trusts agent-addr (RFC 3584 §3.1's
//!   snmpTrapAddress) sees who sent it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use nocwatch_net::{BlockingClient, ClientConfig, Reply, RequestSpec};
use nocwatch_snmp::crypto::KeyCache;
use nocwatch_snmp::receiver::generate_engine_id;
use nocwatch_snmp::{
    CommunityMessage, EngineInfo, Oid, Pdu, PduType, Pdus, TrapV1Pdu, TypedValue, UsmUser, Value,
    VarBind, VarBinds, Version, oids, security,
};

use crate::error::Error;

/// net-snmp's default v1 enterprise, `.1.3.6.1.4.1.3.1.1` (ucdavis
/// netSnmpAgentOIDs): what `snmptrap -v1` sends for an empty ENTERPRISE, kept so
/// rules written against net-snmp's traps match ours.
pub const DEFAULT_ENTERPRISE: &[u32] = &[1, 3, 6, 1, 4, 1, 3, 1, 1];

/// The notification port (RFC 3417 §3: snmpTrap on UDP 162).
pub const TRAP_PORT: u16 = 162;

/// How a notification is secured.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// SNMPv1 or SNMPv2c with a community.
    Community {
        /// [`Version::V1`] or [`Version::V2c`].
        version: Version,
        /// The community string.
        community: Vec<u8>,
    },
    /// SNMPv3 with a USM user.
    Usm {
        /// The user. For a trap its `engine_id` is ours (generated when `None`); an
        /// inform discovers the receiver's unless `engine_id` is set.
        user: Arc<UsmUser>,
        /// Our snmpEngineBoots, sent in a v3 trap (we are authoritative). Keep it
        /// growing across restarts for receivers that check it.
        engine_boots: u32,
    },
}

impl Credentials {
    fn version(&self) -> Version {
        match self {
            Self::Community { version, .. } => *version,
            Self::Usm { .. } => Version::V3,
        }
    }
}

/// A v1 Trap-PDU (RFC 1157 §4.1.6) as `snmptrap -v1` takes it.
#[derive(Debug, Clone)]
pub struct TrapV1 {
    /// enterprise ([`DEFAULT_ENTERPRISE`] is net-snmp's default).
    pub enterprise: Oid,
    /// agent-addr; `None` sends the address the datagram leaves from.
    pub agent_addr: Option<Ipv4Addr>,
    /// generic-trap, 0 (coldStart) to 6 (enterpriseSpecific).
    pub generic_trap: i32,
    /// specific-trap.
    pub specific_trap: i32,
    /// time-stamp in hundredths of a second ([`host_uptime`] is net-snmp's default).
    pub time_stamp: u32,
    /// The variable bindings.
    pub varbinds: Vec<(Oid, TypedValue)>,
}

/// An SNMPv2 notification: its sysUpTime.0, snmpTrapOID.0 and further bindings, sent
/// as an SNMPv2-Trap ([`send_trap`]) or an InformRequest ([`send_inform`]).
#[derive(Debug, Clone)]
pub struct Notification {
    /// sysUpTime.0 in hundredths of a second ([`host_uptime`] is net-snmp's default).
    pub uptime: u32,
    /// snmpTrapOID.0: which notification this is.
    pub trap_oid: Oid,
    /// The bindings after the two above.
    pub varbinds: Vec<(Oid, TypedValue)>,
}

/// The bindings of a notification, borrowing from it: RFC 3416 §4.2.6 puts
/// sysUpTime.0 and snmpTrapOID.0 first, in that order.
fn notification_varbinds<'a>(
    n: &'a Notification,
    names: &'a [Oid; 2],
) -> Result<Vec<VarBind<'a>>, Error> {
    let [up, trap_oid] = names;
    let mut vbs = Vec::with_capacity(n.varbinds.len() + 2);
    vbs.push(VarBind {
        name: up.as_oid_ref(),
        value: Value::TimeTicks(n.uptime),
    });
    vbs.push(VarBind {
        name: trap_oid.as_oid_ref(),
        value: Value::ObjectIdentifier(n.trap_oid.as_oid_ref()),
    });
    for (oid, value) in &n.varbinds {
        vbs.push(VarBind {
            name: oid.as_oid_ref(),
            value: value.as_value()?,
        });
    }
    Ok(vbs)
}

fn notification_names() -> Result<[Oid; 2], Error> {
    let oid = |arcs| Oid::from_arcs(arcs).map_err(nocwatch_snmp::Error::from);
    Ok([oid(oids::SYS_UPTIME_0)?, oid(oids::SNMP_TRAP_OID_0)?])
}

/// The host's uptime in hundredths of a second, what snmptrap sends for an empty
/// UPTIME (`''`); 0 where `/proc/uptime` is not readable. TimeTicks wrap at 2^32
/// hundredths (497 days), as the host's sysUpTime does.
pub fn host_uptime() -> u32 {
    let secs = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0);
    ((secs * 100.0) as u64 % (1u64 << 32)) as u32
}

/// A request-id / msgID that differs between runs, so a receiver that remembers
/// recent ids (to spot duplicates) never mistakes a new run's trap for a repeat.
fn fresh_id() -> i32 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    i32::try_from((nanos ^ std::process::id().rotate_left(16)) & 0x7fff_ffff).unwrap_or(1)
}

/// Encodes a v1 Trap with `agent_addr` resolved.
///
/// # Errors
///
/// [`Error::Snmp`] for a binding whose value cannot be lent (never for values made
/// by `TypedValue::parse`).
pub fn encode_trap_v1(
    community: &[u8],
    trap: &TrapV1,
    agent_addr: Ipv4Addr,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let vbs = trap
        .varbinds
        .iter()
        .map(|(oid, value)| {
            Ok(VarBind {
                name: oid.as_oid_ref(),
                value: value.as_value()?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    CommunityMessage {
        version: Version::V1,
        community,
        pdu: Pdus::TrapV1(TrapV1Pdu {
            enterprise: trap.enterprise.as_oid_ref(),
            agent_addr,
            generic_trap: trap.generic_trap,
            specific_trap: trap.specific_trap,
            time_stamp: trap.time_stamp,
            varbinds: VarBinds::from_slice(&vbs),
        }),
    }
    .encode(out);
    Ok(())
}

/// Sends a v1 Trap to `target`, once.
///
/// # Errors
///
/// [`Error::NotSendable`] for a generic-trap outside 0 to 6; [`Error::Send`] when
/// the socket fails.
pub fn send_trap_v1(target: SocketAddr, community: &[u8], trap: &TrapV1) -> Result<(), Error> {
    if !(0..=6).contains(&trap.generic_trap) {
        return Err(Error::NotSendable("generic-trap is 0 to 6"));
    }
    let socket = connected(target)?;
    let agent_addr = trap
        .agent_addr
        .unwrap_or_else(|| match socket.local_addr() {
            Ok(SocketAddr::V4(a)) => *a.ip(),
            _ => Ipv4Addr::UNSPECIFIED,
        });
    let mut out = Vec::new();
    encode_trap_v1(community, trap, agent_addr, &mut out)?;
    socket
        .send(&out)
        .map_err(|source| Error::Send { target, source })?;
    Ok(())
}

/// Encodes an SNMPv2-Trap (v2c, or v3 authoritative as ourselves, see the module
/// docs).
///
/// # Errors
///
/// [`Error::NotSendable`] for v1 credentials (v1 has only the v1 Trap);
/// [`Error::Snmp`] when the v3 user's keys cannot be made or the message sealed.
pub fn encode_trap(
    credentials: &Credentials,
    n: &Notification,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let names = notification_names()?;
    let vbs = notification_varbinds(n, &names)?;
    let pdu = Pdu::new(PduType::SnmpV2Trap, fresh_id(), VarBinds::from_slice(&vbs));
    match credentials {
        Credentials::Community {
            version: Version::V1,
            ..
        } => Err(Error::NotSendable(
            "SNMPv1 sends a v1 Trap (enterprise, agent-addr, generic, specific)",
        )),
        Credentials::Community { version, community } => {
            CommunityMessage {
                version: *version,
                community,
                pdu: Pdus::Pdu(pdu),
            }
            .encode(out);
            Ok(())
        }
        Credentials::Usm { user, engine_boots } => encode_v3_trap(user, *engine_boots, &pdu, out),
    }
}

/// A v3 SNMPv2-Trap, authoritative as ourselves.
fn encode_v3_trap(
    user: &UsmUser,
    boots: u32,
    pdu: &Pdu<'_>,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let engine_id = match &user.engine_id {
        Some(id) => id.clone(),
        None => generate_engine_id(u64::from(std::process::id()) << 32 | u64::from(host_uptime())),
    };
    let mut cache = KeyCache::new(4);
    let keys = security::user_keys(&mut cache, user, &engine_id)?;
    let now = Instant::now();
    let engine = EngineInfo {
        id: engine_id,
        boots,
        time: host_uptime() / 100,
        learned_at: now,
    };
    // A privacy salt that differs between runs (RFC 3826 §3.1.1.1 wants it unique
    // per key).
    let salt = u64::from(fresh_id().unsigned_abs()) << 20 ^ u64::from(std::process::id());
    let mut scratch = Vec::new();
    security::encode_request(
        user,
        &keys,
        &engine,
        now,
        fresh_id(),
        pdu,
        salt,
        &mut scratch,
        out,
    )?;
    Ok(())
}

/// Sends an SNMPv2-Trap to `target`, once.
///
/// # Errors
///
/// As [`encode_trap`]; [`Error::Send`] when the socket fails.
pub fn send_trap(
    target: SocketAddr,
    credentials: &Credentials,
    n: &Notification,
) -> Result<(), Error> {
    let mut out = Vec::new();
    encode_trap(credentials, n, &mut out)?;
    connected(target)?
        .send(&out)
        .map_err(|source| Error::Send { target, source })?;
    Ok(())
}

/// Sends an InformRequest and waits for its Response, retrying as `config.tracker`
/// says (`config` is usually `ClientConfig::for_target(target)` with the retries
/// and timeout of the command line). The Response may carry an error-status: the
/// caller reads it from the [`Reply`].
///
/// # Errors
///
/// [`Error::NotSendable`] for v1; [`Error::Inform`] with the tracker's error
/// (`NetError::Timeout` after the last retry, `NetError::Failed` for a USM Report
/// that ends the request, ...).
pub fn send_inform(
    config: ClientConfig,
    target: SocketAddr,
    credentials: &Credentials,
    n: &Notification,
) -> Result<Reply, Error> {
    let version = credentials.version();
    if version == Version::V1 {
        return Err(Error::NotSendable(
            "SNMPv1 has no InformRequest (use v2c or v3)",
        ));
    }
    let names = notification_names()?;
    let vbs = notification_varbinds(n, &names)?;
    let client = BlockingClient::bind(config).map_err(Error::Inform)?;
    let spec = match credentials {
        Credentials::Community { community, .. } => {
            RequestSpec::new(target, version, community, PduType::InformRequest)
        }
        Credentials::Usm { user, .. } => {
            let mut spec = RequestSpec::new(target, version, b"", PduType::InformRequest);
            spec.user = Some(Arc::clone(user));
            spec
        }
    };
    client.request_blocking(&spec, &vbs).map_err(Error::Inform)
}

/// A UDP socket connected to `target`, bound to the wildcard of its family.
fn connected(target: SocketAddr) -> Result<UdpSocket, Error> {
    let any = if target.is_ipv4() {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    };
    let socket = UdpSocket::bind((any, 0)).map_err(|source| Error::Send { target, source })?;
    socket
        .connect(target)
        .map_err(|source| Error::Send { target, source })?;
    Ok(socket)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]

    use std::time::Duration;

    use nocwatch_snmp::receiver::{
        AuthoritativeEngine, NotificationKind, Outcome, Receiver, ReceiverConfig,
    };
    use nocwatch_snmp::{DecodeOptions, Message, SecurityLevel, parse_create_user};

    use super::*;

    fn oid(text: &str) -> Oid {
        text.parse().unwrap()
    }

    fn link_down() -> Notification {
        Notification {
            uptime: 4200,
            trap_oid: oid("1.3.6.1.6.3.1.1.5.3"),
            varbinds: vec![(oid("1.3.6.1.2.1.2.2.1.1.3"), TypedValue::Integer(3))],
        }
    }

    /// A loopback socket to receive on, with a deadline so a lost datagram fails
    /// the test instead of hanging it.
    fn receiver_socket() -> (UdpSocket, SocketAddr) {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let a = s.local_addr().unwrap();
        (s, a)
    }

    #[test]
    fn v2c_trap_puts_uptime_and_trap_oid_first() {
        let (sock, addr) = receiver_socket();
        let creds = Credentials::Community {
            version: Version::V2c,
            community: b"public".to_vec(),
        };
        send_trap(addr, &creds, &link_down()).unwrap();
        let mut buf = [0u8; 1500];
        let n = sock.recv(&mut buf).unwrap();
        let Message::Community(m) = Message::decode(&buf[..n], &DecodeOptions::strict()).unwrap()
        else {
            panic!("not a community message");
        };
        assert_eq!(m.version, Version::V2c);
        assert_eq!(m.community, b"public");
        let Pdus::Pdu(pdu) = m.pdu else {
            panic!("not an SNMPv2 PDU")
        };
        assert_eq!(pdu.pdu_type, PduType::SnmpV2Trap);
        let vbs: Vec<_> = pdu.varbinds.iter().map(Result::unwrap).collect();
        assert_eq!(vbs.len(), 3);
        assert_eq!(vbs[0].name, Oid::from_arcs(oids::SYS_UPTIME_0).unwrap());
        assert_eq!(vbs[0].value, Value::TimeTicks(4200));
        assert_eq!(vbs[1].name, Oid::from_arcs(oids::SNMP_TRAP_OID_0).unwrap());
        match vbs[1].value {
            Value::ObjectIdentifier(o) => assert_eq!(o, oid("1.3.6.1.6.3.1.1.5.3")),
            other => panic!("{other:?}"),
        }
        assert_eq!(vbs[2].value, Value::Integer(3));
    }

    #[test]
    fn v1_trap_sends_the_source_address_as_agent_addr_by_default() {
        let (sock, addr) = receiver_socket();
        let trap = TrapV1 {
            enterprise: Oid::from_arcs(DEFAULT_ENTERPRISE).unwrap(),
            agent_addr: None,
            generic_trap: 2,
            specific_trap: 0,
            time_stamp: 77,
            varbinds: vec![(oid("1.3.6.1.2.1.2.2.1.1.1"), TypedValue::Integer(1))],
        };
        send_trap_v1(addr, b"c1", &trap).unwrap();
        let mut buf = [0u8; 1500];
        let n = sock.recv(&mut buf).unwrap();
        let Message::Community(m) = Message::decode(&buf[..n], &DecodeOptions::strict()).unwrap()
        else {
            panic!("not a community message");
        };
        assert_eq!(m.version, Version::V1);
        let Pdus::TrapV1(t) = m.pdu else {
            panic!("not a v1 Trap")
        };
        assert_eq!(t.agent_addr, Ipv4Addr::LOCALHOST);
        assert_eq!(t.enterprise, Oid::from_arcs(DEFAULT_ENTERPRISE).unwrap());
        assert_eq!((t.generic_trap, t.specific_trap, t.time_stamp), (2, 0, 77));
        assert_eq!(t.varbinds.iter().count(), 1);

        let bad = TrapV1 {
            generic_trap: 7,
            ..trap
        };
        assert!(matches!(
            send_trap_v1(addr, b"c1", &bad),
            Err(Error::NotSendable(_))
        ));
    }

    #[test]
    fn v1_has_neither_snmpv2_trap_nor_inform() {
        let v1 = Credentials::Community {
            version: Version::V1,
            community: b"public".to_vec(),
        };
        let mut out = Vec::new();
        assert!(matches!(
            encode_trap(&v1, &link_down(), &mut out),
            Err(Error::NotSendable(_))
        ));
        let target: SocketAddr = "127.0.0.1:9".parse().unwrap();
        assert!(matches!(
            send_inform(ClientConfig::for_target(target), target, &v1, &link_down()),
            Err(Error::NotSendable(_))
        ));
    }

    #[test]
    fn v3_trap_is_authenticated_and_decrypted_by_a_receiver_knowing_the_user() {
        let user =
            Arc::new(parse_create_user(r#"u SHA-256 "a long phrase" AES "another one""#).unwrap());
        assert_eq!(user.level, SecurityLevel::AuthPriv);
        let creds = Credentials::Usm {
            user: Arc::clone(&user),
            engine_boots: 7,
        };
        let mut out = Vec::new();
        encode_trap(&creds, &link_down(), &mut out).unwrap();
        let now = Instant::now();
        let mut rx = Receiver::new(
            ReceiverConfig {
                users: vec![user],
                ..ReceiverConfig::default()
            },
            AuthoritativeEngine::new(generate_engine_id(9), 1, now),
        )
        .unwrap();
        let from: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        match rx.handle(now, from, &out) {
            Outcome::Notification(n) => {
                assert_eq!(n.kind, NotificationKind::Trap);
                assert_eq!(n.version, Version::V3);
                assert_eq!(n.security_name(), b"u");
                assert_eq!(n.trap_oid().unwrap(), oid("1.3.6.1.6.3.1.1.5.3"));
            }
            other => panic!("{other:?}"),
        }
        // A receiver with other pass phrases refuses it.
        let wrong = Arc::new(parse_create_user("u SHA-256 wrongphrase1 AES wrongphrase2").unwrap());
        let mut rx = Receiver::new(
            ReceiverConfig {
                users: vec![wrong],
                ..ReceiverConfig::default()
            },
            AuthoritativeEngine::new(generate_engine_id(9), 1, now),
        )
        .unwrap();
        assert!(matches!(rx.handle(now, from, &out), Outcome::Dropped(_)));
    }
}
