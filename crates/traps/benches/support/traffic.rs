//! The traffic of the trap pipeline's criterion bench and of its `throughput`
//! example, in one place so the two always measure the same thing: SNMPv2c
//! linkDowns with 6 bindings (sysUpTime, snmpTrapOID, ifIndex, ifAdminStatus,
//! ifOperStatus, ifDescr). Included by both with `#[path]`.

use nocwatch_snmp::{
    CommunityMessage, Oid, OidRef, Pdu, PduType, Pdus, Value, VarBind, VarBinds, Version,
};

/// One encoded SNMPv2c linkDown for interface `if_index`.
pub(crate) fn link_down(if_index: i64) -> Vec<u8> {
    let o = |s: &str| -> Oid { s.parse().unwrap() };
    let (up, to, t) = (
        o("1.3.6.1.2.1.1.3.0"),
        o("1.3.6.1.6.3.1.1.4.1.0"),
        o("1.3.6.1.6.3.1.1.5.3"),
    );
    let (ix, admin, oper, descr) = (
        o(&format!("1.3.6.1.2.1.2.2.1.1.{if_index}")),
        o(&format!("1.3.6.1.2.1.2.2.1.7.{if_index}")),
        o(&format!("1.3.6.1.2.1.2.2.1.8.{if_index}")),
        o(&format!("1.3.6.1.2.1.2.2.1.2.{if_index}")),
    );
    let name = format!("GigabitEthernet0/{if_index}");
    let vbs = [
        VarBind {
            name: OidRef::from(&up),
            value: Value::TimeTicks(123_456),
        },
        VarBind {
            name: OidRef::from(&to),
            value: Value::ObjectIdentifier(OidRef::from(&t)),
        },
        VarBind {
            name: OidRef::from(&ix),
            value: Value::Integer(if_index),
        },
        VarBind {
            name: OidRef::from(&admin),
            value: Value::Integer(1),
        },
        VarBind {
            name: OidRef::from(&oper),
            value: Value::Integer(2),
        },
        VarBind {
            name: OidRef::from(&descr),
            value: Value::OctetString(name.as_bytes()),
        },
    ];
    let mut out = Vec::new();
    CommunityMessage {
        version: Version::V2c,
        community: b"public",
        pdu: Pdus::Pdu(Pdu::new(PduType::SnmpV2Trap, 1, VarBinds::from_slice(&vbs))),
    }
    .encode(&mut out);
    out
}
