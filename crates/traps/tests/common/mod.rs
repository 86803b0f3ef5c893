//! Packet builders and pipeline set-up shared by the integration tests.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nocwatch_snmp::receiver::{AuthoritativeEngine, generate_engine_id};
use nocwatch_snmp::{
    CommunityMessage, Oid, OidRef, Pdu, PduType, Pdus, TrapV1Pdu, Value, VarBind, VarBinds, Version,
};
use nocwatch_traps::{Datagram, Pipeline, PipelineConfig, Rules, Transmit};

pub fn oid(s: &str) -> Oid {
    s.parse().unwrap()
}

/// An encoded v2c Trap or Inform with sysUpTime.0, snmpTrapOID.0 and `extra`
/// bindings (name, value).
pub fn v2c(kind: PduType, community: &str, trap_oid: &str, extra: &[(&str, Value<'_>)]) -> Vec<u8> {
    let up = oid("1.3.6.1.2.1.1.3.0");
    let to = oid("1.3.6.1.6.3.1.1.4.1.0");
    let t = oid(trap_oid);
    let names: Vec<Oid> = extra.iter().map(|(n, _)| oid(n)).collect();
    let mut vbs = vec![
        VarBind {
            name: OidRef::from(&up),
            value: Value::TimeTicks(12345),
        },
        VarBind {
            name: OidRef::from(&to),
            value: Value::ObjectIdentifier(OidRef::from(&t)),
        },
    ];
    for (n, (_, v)) in names.iter().zip(extra) {
        vbs.push(VarBind {
            name: OidRef::from(n),
            value: *v,
        });
    }
    let mut out = Vec::new();
    CommunityMessage {
        version: Version::V2c,
        community: community.as_bytes(),
        pdu: Pdus::Pdu(Pdu::new(kind, 77, VarBinds::from_slice(&vbs))),
    }
    .encode(&mut out);
    out
}

/// A v2c linkDown for `if_index`.
pub fn link_down(if_index: i64) -> Vec<u8> {
    v2c(
        PduType::SnmpV2Trap,
        "public",
        "1.3.6.1.6.3.1.1.5.3",
        &[("1.3.6.1.2.1.2.2.1.1.1", Value::Integer(if_index))],
    )
}

/// A v2c linkUp for `if_index`.
pub fn link_up(if_index: i64) -> Vec<u8> {
    v2c(
        PduType::SnmpV2Trap,
        "public",
        "1.3.6.1.6.3.1.1.5.4",
        &[("1.3.6.1.2.1.2.2.1.1.1", Value::Integer(if_index))],
    )
}

/// An encoded v1 Trap.
pub fn v1(
    enterprise: &str,
    agent: [u8; 4],
    generic: i32,
    specific: i32,
    extra: &[(&str, Value<'_>)],
) -> Vec<u8> {
    let ent = oid(enterprise);
    let names: Vec<Oid> = extra.iter().map(|(n, _)| oid(n)).collect();
    let vbs: Vec<VarBind<'_>> = names
        .iter()
        .zip(extra)
        .map(|(n, (_, v))| VarBind {
            name: OidRef::from(n),
            value: *v,
        })
        .collect();
    let mut out = Vec::new();
    CommunityMessage {
        version: Version::V1,
        community: b"public",
        pdu: Pdus::TrapV1(TrapV1Pdu {
            enterprise: OidRef::from(&ent),
            agent_addr: Ipv4Addr::from(agent),
            generic_trap: generic,
            specific_trap: specific,
            time_stamp: 4242,
            varbinds: VarBinds::from_slice(&vbs),
        }),
    }
    .encode(&mut out);
    out
}

pub fn peer(last: u8) -> SocketAddr {
    SocketAddr::from(([10, 0, 0, last], 40000))
}

pub fn config() -> PipelineConfig {
    let engine = AuthoritativeEngine::new(generate_engine_id(7), 1, Instant::now());
    let mut cfg = PipelineConfig::new(engine, Arc::new(Rules::default_pack().unwrap()));
    cfg.dedup.window = Duration::from_secs(60);
    cfg
}

/// Ingests `packets` (one batch) and processes everything queued.
pub fn feed(p: &mut Pipeline, packets: &[(SocketAddr, Vec<u8>)]) -> Vec<Transmit> {
    let batch: Vec<Datagram<'_>> = packets
        .iter()
        .map(|(peer, data)| Datagram {
            peer: *peer,
            data,
            local: None,
        })
        .collect();
    let mut reports = Vec::new();
    p.ingest(Instant::now(), &batch, &mut reports);
    while p.queued() > 0 {
        p.poll(Instant::now()).unwrap();
    }
    p.poll(Instant::now()).unwrap();
    reports
}

/// The recent events as parsed JSON objects.
pub fn json_events(p: &Pipeline) -> Vec<serde_json::Value> {
    p.recent()
        .iter()
        .map(|e| {
            let mut s = String::new();
            nocwatch_traps::sink::write_json(e, &mut s);
            serde_json::from_str(&s).unwrap_or_else(|err| panic!("bad JSON {s}: {err}"))
        })
        .collect()
}
