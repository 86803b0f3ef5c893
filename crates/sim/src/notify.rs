//! [`TrapSender`]: the simulated devices' notifications as SNMPv2-Trap messages.
//!
//! A trap receiver tells devices apart by the datagram's source address (a v2c
//! trap carries no agent address), so a device's trap must come from the address
//! it is polled at. One socket bound to the wildcard address sends for every
//! device, each datagram from its device's address (`IP_PKTINFO`), as the fleet
//! server answers requests. The source port is an ephemeral one, as on net-snmp
//! and most devices. Traps are encoded by `nocwatch-snmp`, never by hand.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};

use nix::sys::socket::SockaddrIn;
use nocwatch_snmp::{CommunityMessage, Pdu, PduType, Pdus, VarBind, VarBinds, Version};
use tracing::debug;

use crate::error::SimError;
use crate::fleet_server::send_from;
use crate::life::Notification;

/// Encodes `n` as an SNMPv2-Trap-PDU in a v2c message (RFC 3416 §4.2.6, RFC 1901)
/// with `community` and `request_id`, appending to `out`.
pub fn encode_trap(n: &Notification, community: &[u8], request_id: i32, out: &mut Vec<u8>) {
    let vbs: Vec<VarBind<'_>> = n
        .varbinds
        .iter()
        .map(|(name, value)| VarBind {
            name: name.as_oid_ref(),
            value: value.as_value(),
        })
        .collect();
    CommunityMessage {
        version: Version::V2c,
        community,
        pdu: Pdus::Pdu(Pdu::new(
            PduType::SnmpV2Trap,
            request_id,
            VarBinds::from_slice(&vbs),
        )),
    }
    .encode(out);
}

/// What the sender did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrapStats {
    /// Datagrams sent (one per notification and target).
    pub sent: u64,
    /// Sends the kernel refused (logged at debug).
    pub send_errors: u64,
}

/// Sends notifications to trap targets, each from its device's address.
#[derive(Debug)]
pub struct TrapSender {
    socket: UdpSocket,
    targets: Vec<SockaddrIn>,
    community: Vec<u8>,
    next_request_id: i32,
    buf: Vec<u8>,
    stats: TrapStats,
}

impl TrapSender {
    /// A sender to `targets` (IPv4) with `community`. `seed` sets the first
    /// request-id, so two labs' traps are told apart.
    pub fn new(targets: &[SocketAddr], community: &[u8], seed: u64) -> Result<Self, SimError> {
        let targets = targets
            .iter()
            .map(|t| match t {
                SocketAddr::V4(v4) => Ok(SockaddrIn::from(*v4)),
                SocketAddr::V6(_) => Err(SimError::Config(format!(
                    "trap target {t}: only IPv4 targets (the devices are IPv4)"
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let socket =
            UdpSocket::bind(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)).map_err(|source| {
                SimError::Io {
                    op: "binding the trap socket",
                    source,
                }
            })?;
        Ok(Self {
            socket,
            targets,
            community: community.to_vec(),
            next_request_id: i32::try_from(seed % 0x4000_0000).unwrap_or(0) + 1,
            buf: Vec::with_capacity(256),
            stats: TrapStats::default(),
        })
    }

    /// Sends `n` to every target from `from` (the device's address; `None`: the
    /// kernel's choice). Returns how many datagrams went out.
    pub fn send(&mut self, n: &Notification, from: Option<Ipv4Addr>) -> usize {
        let mut sent = 0;
        for target in &self.targets {
            let rid = self.next_request_id;
            self.next_request_id = if rid >= i32::MAX - 1 { 1 } else { rid + 1 };
            self.buf.clear();
            encode_trap(n, &self.community, rid, &mut self.buf);
            match send_from(&self.socket, target, from, &self.buf) {
                Ok(_) => {
                    self.stats.sent += 1;
                    sent += 1;
                }
                Err(e) => {
                    self.stats.send_errors += 1;
                    debug!(error = %e, %target, ?from, "sending a trap failed");
                }
            }
        }
        sent
    }

    /// Counters so far.
    pub fn stats(&self) -> TrapStats {
        self.stats
    }

    /// True when there is no target (nothing is ever sent).
    pub fn has_targets(&self) -> bool {
        !self.targets.is_empty()
    }
}
