//! Fuzz target: RFC 3584 §3.1 translation of an SNMPv1 Trap into SNMPv2 form, as the
//! trap intake does it (`nocwatch_traps::Decoder::decode`).
//!
//! The input describes a v1 Trap: generic-trap, specific-trap, time-stamp, agent-addr,
//! an enterprise OID of 6 to 140 arcs, and either a list of bindings (some of them the
//! three objects translation appends only when absent: snmpTrapAddress.0,
//! snmpTrapCommunity.0, snmpTrapEnterprise.0) or raw VarBindList bytes. The trap is
//! encoded, decoded and translated; a translated event must hold, in order:
//! sysUpTime.0 = time-stamp, snmpTrapOID.0 = snmpTraps.(generic + 1) or
//! enterprise.0.specific, the trap's own bindings unchanged, then each of the three
//! appended objects exactly when the trap did not carry it. A trap whose bindings all
//! decode must become an event. (One whose bindings do not decode may become one too:
//! the decoder copies v1 bindings without reading them; then only the two leading
//! bindings are checked.)

#![no_main]

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use nocwatch_snmp::receiver::{AuthoritativeEngine, ReceiverConfig, generate_engine_id};
use nocwatch_snmp::{
    CommunityMessage, MAX_ARCS, Oid, OidRef, Pdus, TrapV1Pdu, Value, VarBind, VarBinds, Version,
};
use nocwatch_traps::decode::Decoded;
use nocwatch_traps::{BufferPool, Decoder, RejectReason, RejectRing};

const SYS_UP_TIME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
const SNMP_TRAP_OID: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];
const SNMP_TRAPS: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5];
const TRAP_ADDRESS: &[u32] = &[1, 3, 6, 1, 6, 3, 18, 1, 3, 0];
const TRAP_COMMUNITY: &[u32] = &[1, 3, 6, 1, 6, 3, 18, 1, 4, 0];
const TRAP_ENTERPRISE: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 4, 3, 0];
const COMMUNITY: &[u8] = b"fuzz-community";

/// Reads the input front to back; past its end every read is zeros.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        head
    }
    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        let head = self.take(N);
        out[..head.len()].copy_from_slice(head);
        out
    }
    fn byte(&mut self) -> u8 {
        self.array::<1>()[0]
    }
    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.array())
    }
}

fn oid(arcs: &[u32]) -> Oid {
    Oid::from_arcs(arcs).unwrap()
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let generic = i32::from(input.byte() as i8);
    let specific = input.u32() as i32;
    let time_stamp = input.u32();
    let agent = Ipv4Addr::from(input.array::<4>());
    let mut enterprise_arcs = vec![1, 3, 6, 1, 4, 1];
    for _ in 0..input.byte() % 135 {
        enterprise_arcs.push(input.u32() >> (input.byte() % 32));
    }
    enterprise_arcs.truncate(MAX_ARCS);
    let enterprise = oid(&enterprise_arcs);

    // The bindings: named from a small table (so the appended objects and the two
    // header objects show up often) with a few value types, or raw bytes.
    let raw_mode = input.byte() == 0xff;
    let names: Vec<Oid> = if raw_mode {
        Vec::new()
    } else {
        (0..input.byte() % 8)
            .map(|_| match input.byte() % 7 {
                0 => oid(TRAP_ADDRESS),
                1 => oid(TRAP_COMMUNITY),
                2 => oid(TRAP_ENTERPRISE),
                3 => oid(SYS_UP_TIME),
                4 => oid(SNMP_TRAP_OID),
                _ => oid(&[1, 3, 6, 1, 4, 1, 9, input.u32()]),
            })
            .collect()
    };
    let mut bindings = Vec::new();
    for name in &names {
        let value = match input.byte() % 5 {
            0 => Value::Integer(i64::from(input.u32() as i32)),
            1 => {
                let len = usize::from(input.byte() % 16);
                Value::OctetString(input.take(len))
            }
            2 => Value::IpAddress(input.array()),
            3 => Value::ObjectIdentifier(OidRef::from(&enterprise)),
            _ => Value::Null,
        };
        bindings.push(VarBind {
            name: OidRef::from(name),
            value,
        });
    }
    let varbinds = if raw_mode {
        VarBinds::encoded(input.take(usize::MAX))
    } else {
        VarBinds::from_slice(&bindings)
    };
    let original: Vec<VarBind<'_>> = varbinds.iter().map_while(Result::ok).collect();
    let all_decode = varbinds.iter().all(|vb| vb.is_ok());

    let mut datagram = Vec::new();
    CommunityMessage {
        version: Version::V1,
        community: COMMUNITY,
        pdu: Pdus::TrapV1(TrapV1Pdu {
            enterprise: OidRef::from(&enterprise),
            agent_addr: agent,
            generic_trap: generic,
            specific_trap: specific,
            time_stamp,
            varbinds,
        }),
    }
    .encode(&mut datagram);

    let now = Instant::now();
    let engine = AuthoritativeEngine::new(generate_engine_id(7), 1, now);
    let mut decoder = Decoder::new(
        ReceiverConfig::default(),
        engine,
        false,
        RejectRing::new(4, 64),
    )
    .unwrap();
    let peer = SocketAddr::from(([192, 0, 2, 1], 40000));
    let mut pool = BufferPool::new(1);
    // An enterprise-specific trap's OID is enterprise.0.specific: beyond
    // MAX_ARCS it cannot exist, and the trap must be refused as no_trap_oid.
    let too_long =
        !(0..=5).contains(&generic) && OidRef::from(&enterprise).len() + 2 > MAX_ARCS;
    let event = match decoder.decode(now, 1, peer, &datagram, &mut pool) {
        Decoded::Event(event, ack) => {
            assert!(ack.is_none(), "a v1 Trap is never acknowledged");
            assert!(!too_long, "a trap whose OID cannot exist was delivered");
            event
        }
        Decoded::Rejected(reason) => {
            assert!(
                !all_decode || (too_long && reason == RejectReason::NoTrapOid),
                "a well-formed v1 Trap was rejected: {reason:?}"
            );
            return;
        }
        Decoded::Report(..) => panic!("a v1 Trap got a Report"),
    };

    let mut expected_trap_oid: Vec<u32> = if (0..=5).contains(&generic) {
        let mut arcs = SNMP_TRAPS.to_vec();
        arcs.push(generic as u32 + 1);
        arcs
    } else {
        let mut arcs = enterprise_arcs.clone();
        arcs.extend([0, u32::try_from(specific).unwrap_or(0)]);
        arcs
    };
    assert_eq!(event.agent_addr, Some(agent));
    assert_eq!(event.security_name(), COMMUNITY);
    // The decoder reads bindings lazily and copies a v1 Trap's list as it came, so a
    // trap whose own bindings do not decode is still an event: only the bindings
    // translation wrote (first) and, when the trap's decode, all of them must decode.
    let translated: Vec<VarBind<'_>> = if all_decode {
        event
            .varbinds()
            .iter()
            .map(|vb| vb.expect("a translated binding does not decode"))
            .collect()
    } else {
        event.varbinds().iter().map_while(Result::ok).collect()
    };
    let mut at = translated.iter();
    let first = at.next().expect("no sysUpTime.0");
    assert_eq!(first.name, oid(SYS_UP_TIME));
    assert_eq!(first.value, Value::TimeTicks(time_stamp));
    if expected_trap_oid.len() <= MAX_ARCS {
        let second = at.next().expect("no snmpTrapOID.0");
        assert_eq!(second.name, oid(SNMP_TRAP_OID));
        let want = oid(&expected_trap_oid);
        assert_eq!(second.value, Value::ObjectIdentifier(OidRef::from(&want)));
        assert_eq!(event.trap_oid(), want);
    } else {
        // enterprise.0.specific is longer than an OID may be: no valid snmpTrapOID.0
        // exists. Whatever the decoder does, it must not invent a wrong one.
        expected_trap_oid.clear();
        if let Some(second) = translated.get(1)
            && second.name == oid(SNMP_TRAP_OID)
        {
            panic!("snmpTrapOID.0 {second:?} for an untranslatable trap");
        }
    }
    if expected_trap_oid.is_empty() || !all_decode {
        return;
    }
    for want in &original {
        assert_eq!(
            at.next(),
            Some(want),
            "a v1 binding changed or went missing"
        );
    }
    let carries = |arcs: &[u32]| original.iter().any(|vb| vb.name == oid(arcs));
    let enterprise_value = Value::ObjectIdentifier(OidRef::from(&enterprise));
    for (arcs, value) in [
        (TRAP_ADDRESS, Value::IpAddress(agent.octets())),
        (TRAP_COMMUNITY, Value::OctetString(COMMUNITY)),
        (TRAP_ENTERPRISE, enterprise_value),
    ] {
        if !carries(arcs) {
            let appended = at.next().expect("an appended binding is missing");
            assert_eq!(appended.name, oid(arcs));
            assert_eq!(appended.value, value);
        }
    }
    assert_eq!(at.next(), None, "extra bindings after translation");
});
