//! What a simulated device costs per request: the scale benchmark polls 10,000
//! devices of about 1,000 instances with 50-repetition GETBULKs on the same cores as
//! the simulator, so one response must cost microseconds.
//!
//! Each benchmark answers, per iteration, the whole sequence of GETBULK requests of a
//! full walk of one device (as a poller sends them, each starting where the last
//! response ended), so the figures are per device walk; throughput is in varbinds.
//! `cargo bench -p nocwatch-sim --bench respond` prints the requests and varbinds of
//! one walk first, to turn the times into responses/s.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "bench"
)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nocwatch_sim::{Fleet, FleetConfig, UsmUsers, engine_id};
use nocwatch_snmp::crypto::{AuthProtocol, KeyCache, PrivProtocol};
use nocwatch_snmp::security::{self, EngineInfo, SecurityLevel, UsmUser};
use nocwatch_snmp::{
    CommunityMessage, DecodeOptions, Message, Oid, Pdu, PduType, Pdus, Value, VarBind, VarBinds,
    Version,
};

const REPETITIONS: i32 = 50;

fn bulk(start: &Oid) -> Pdu<'static> {
    // The binding list must outlive the PDU: leak one small list per request of the
    // precomputed walk (a few dozen per benchmark run).
    let vbs: &'static [VarBind<'static>] = Box::leak(Box::new([VarBind::null(
        Box::leak(Box::new(start.clone())).as_oid_ref(),
    )]));
    let mut pdu = Pdu::new(PduType::GetBulkRequest, 77, VarBinds::from_slice(vbs));
    pdu.error_status = 0;
    pdu.error_index = REPETITIONS;
    pdu
}

fn v2c_request(start: &Oid) -> Vec<u8> {
    let mut out = Vec::new();
    CommunityMessage {
        version: Version::V2c,
        community: b"public",
        pdu: Pdus::Pdu(bulk(start)),
    }
    .encode(&mut out);
    out
}

/// The start OIDs of every GETBULK of a full walk of `agent`, and the varbinds
/// returned in all.
fn walk_chain(agent: &nocwatch_sim::Agent, now: Duration) -> (Vec<Oid>, u64) {
    let mut starts = Vec::new();
    let mut next: Oid = "1.3".parse().unwrap();
    let mut total = 0u64;
    loop {
        starts.push(next.clone());
        let mut out = Vec::new();
        assert!(
            agent
                .respond_at(now, &v2c_request(&next), &mut out)
                .replied()
        );
        let Message::Community(m) = Message::decode(&out, &DecodeOptions::strict()).unwrap() else {
            panic!("not v2c");
        };
        let vbs = m.pdu.as_pdu().unwrap().varbinds.to_vec().unwrap();
        let mut ended = false;
        for vb in &vbs {
            if vb.value == Value::EndOfMibView {
                ended = true;
                break;
            }
            total += 1;
            next = vb.name.to_oid();
        }
        if ended || vbs.is_empty() {
            break;
        }
    }
    (starts, total)
}

fn respond(c: &mut Criterion) {
    let user = UsmUser::new(
        b"bench",
        SecurityLevel::AuthPriv,
        Some((AuthProtocol::Sha256, b"authpass-123")),
        Some((PrivProtocol::Aes128, b"privpass-456")),
    )
    .unwrap();
    let config = FleetConfig {
        count: 4,
        interfaces: 10,
        users: Some(Arc::new(UsmUsers::new(vec![user.clone()]).unwrap())),
        ..FleetConfig::default()
    };
    let fleet = Fleet::build(&config).unwrap();
    let agent = fleet.agent(0).unwrap();
    let now = Duration::from_secs(100);
    let (starts, varbinds) = walk_chain(agent, now);
    let requests = starts.len() as u64;
    eprintln!(
        "one walk of a {} device with 10 interfaces: {requests} GETBULK (max-repetitions {REPETITIONS}), {varbinds} varbinds",
        fleet.spec(0).unwrap().family.name()
    );
    let v2c: Vec<Vec<u8>> = starts.iter().map(v2c_request).collect();

    let engine = EngineInfo {
        id: engine_id(0),
        boots: 1,
        time: 100,
        learned_at: Instant::now(),
    };
    let keys = security::user_keys(&mut KeyCache::new(8), &user, &engine.id).unwrap();
    let v3: Vec<Vec<u8>> = starts
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut scratch = Vec::new();
            let mut out = Vec::new();
            security::encode_request(
                &user,
                &keys,
                &engine,
                engine.learned_at,
                i as i32 + 1,
                &bulk(s),
                i as u64 + 1,
                &mut scratch,
                &mut out,
            )
            .unwrap();
            out
        })
        .collect();
    // Sanity: the v3 walk gets answers, not Reports.
    let mut out = Vec::with_capacity(65_536);
    for r in &v3 {
        out.clear();
        assert!(agent.respond_at(now, r, &mut out).replied());
    }
    assert_eq!(agent.stats().reports, 0, "v3 requests were refused");

    let mut g = c.benchmark_group("device_walk");
    g.throughput(Throughput::Elements(varbinds));
    g.bench_function("v2c_bulk50", |b| {
        b.iter(|| {
            for r in &v2c {
                out.clear();
                assert!(agent.respond_at(now, black_box(r), &mut out).replied());
            }
        })
    });
    g.bench_function("v3_authpriv_sha256_aes_bulk50", |b| {
        b.iter(|| {
            for r in &v3 {
                out.clear();
                assert!(agent.respond_at(now, black_box(r), &mut out).replied());
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    targets = respond
}
criterion_main!(benches);
