//! Codec benchmarks: the hot paths of a poller.
//!
//! * `decode/getbulk_response_50`: `Message::decode` of a 50-binding GetBulk Response
//!   (ifTable-like) plus iterating every binding and touching its name and value, as a
//!   walk does. Throughput is per binding, so criterion reports time per varbind.
//! * `encode/getbulk_response_50`: encoding the same message from prepared bindings
//!   into a reused buffer.
//! * `oid/*`: parsing an OID from text, comparing `OidRef`s decoded from BER with each
//!   other and with an owned `Oid`, and the subtree test a walk makes per binding.
//! * `tracker/round_trip`: `RequestTracker::start` + `poll_transmit` + `handle` of the
//!   matching response (no sockets, no clock reads beyond one `Instant`).
//!
//! * `v3/*`: a 1,400-byte Response (24 bindings) encoded and decoded as v2c and as
//!   SNMPv3 authPriv (HMAC-SHA-256-192 + AES-128-CFB) with keys prepared once, as the
//!   tracker keeps them: the per-message price of security.
//!
//! Each measurement is kept short so `cargo bench -p nocwatch-snmp` takes well under
//! two minutes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(missing_docs)]

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nocwatch_snmp::{
    CommunityMessage, DecodeOptions, Message, Oid, OidRef, Pdu, PduType, Pdus, Request,
    RequestTracker, TrackerConfig, Value, VarBind, VarBinds, Version,
};

const BINDINGS: usize = 50;
const REPETITIONS: u32 = 5;

/// The owned data behind one ifTable-like GetBulk response: ten columns (ifTable
/// plus ifXTable's ifHCInOctets) for five interfaces, in GetBulk order.
struct Table {
    names: Vec<Oid>,
    descrs: Vec<Vec<u8>>,
    macs: Vec<[u8; 6]>,
}

impl Table {
    fn new() -> Self {
        let mut names = Vec::new();
        let mut descrs = Vec::new();
        let mut macs = Vec::new();
        for rep in 0..REPETITIONS {
            // Large ifIndex values, as chassis switches use: multi-byte arcs.
            let if_index = 1_000_001 + rep;
            for col in 0..10u32 {
                let oid = if col == 9 {
                    format!("1.3.6.1.2.1.31.1.1.1.6.{if_index}")
                } else {
                    // ifIndex, ifDescr, ifType, ifMtu, ifSpeed, ifPhysAddress,
                    // ifOperStatus, ifLastChange, ifInOctets
                    let column = [1, 2, 3, 4, 5, 6, 8, 9, 10][col as usize];
                    format!("1.3.6.1.2.1.2.2.1.{column}.{if_index}")
                };
                names.push(oid.parse().unwrap());
            }
            descrs.push(format!("GigabitEthernet0/0/{rep}").into_bytes());
            macs.push([0x00, 0x1b, 0x21, 0x3c, 0x4d, rep as u8]);
        }
        assert_eq!(names.len(), BINDINGS);
        Self {
            names,
            descrs,
            macs,
        }
    }

    fn varbinds(&self) -> Vec<VarBind<'_>> {
        self.names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let (rep, col) = (i / 10, i % 10);
                let n = rep as u32;
                let value = match col {
                    0 => Value::Integer(1_000_001 + i64::from(n)),
                    1 => Value::OctetString(&self.descrs[rep]),
                    2 => Value::Integer(6),
                    3 => Value::Integer(1500),
                    4 => Value::Gauge32(1_000_000_000),
                    5 => Value::OctetString(&self.macs[rep]),
                    6 => Value::Integer(1),
                    7 => Value::TimeTicks(123_456 + n),
                    8 => Value::Counter32(3_000_000_000 + n * 12_345),
                    _ => Value::Counter64(0x0000_0123_4567_89ab + u64::from(n)),
                };
                VarBind {
                    name: name.as_oid_ref(),
                    value,
                }
            })
            .collect()
    }
}

fn encode_response(vbs: &[VarBind<'_>], out: &mut Vec<u8>) {
    CommunityMessage {
        version: Version::V2c,
        community: b"public",
        pdu: Pdus::Pdu(Pdu::new(
            PduType::Response,
            0x1234_5678,
            VarBinds::from_slice(vbs),
        )),
    }
    .encode(out);
}

/// Reads a value the way a consumer would, so nothing is optimised away.
fn touch(v: &Value<'_>) -> u64 {
    match *v {
        Value::Integer(x) => x as u64,
        Value::OctetString(s) | Value::Opaque(s) => s.len() as u64,
        Value::Counter32(x) | Value::Gauge32(x) | Value::TimeTicks(x) => u64::from(x),
        Value::Counter64(x) => x,
        Value::IpAddress(ip) => u64::from(u32::from_be_bytes(ip)),
        Value::ObjectIdentifier(o) => o.len() as u64,
        _ => 0,
    }
}

fn codec(c: &mut Criterion) {
    let table = Table::new();
    let vbs = table.varbinds();
    let mut bytes = Vec::new();
    encode_response(&vbs, &mut bytes);
    let opts = DecodeOptions::default();

    let mut g = c.benchmark_group("decode");
    g.throughput(Throughput::Elements(BINDINGS as u64));
    g.bench_function("getbulk_response_50", |b| {
        b.iter(|| {
            let m = Message::decode(black_box(&bytes), &opts).unwrap();
            let mut sum = 0u64;
            for vb in m.pdu().unwrap().varbinds() {
                let vb = vb.unwrap();
                // A walk needs the last arc (the index) of every name.
                sum = sum.wrapping_add(u64::from(vb.name.arcs().last().unwrap_or(0)));
                sum = sum.wrapping_add(touch(&black_box(vb.value)));
            }
            black_box(sum)
        });
    });
    g.finish();

    let mut g = c.benchmark_group("encode");
    g.throughput(Throughput::Elements(BINDINGS as u64));
    let mut buf = Vec::with_capacity(4096);
    g.bench_function("getbulk_response_50", |b| {
        b.iter(|| {
            buf.clear();
            encode_response(black_box(&vbs), &mut buf);
            black_box(buf.len())
        });
    });
    g.finish();
    // (empty when a filter skipped the benchmark)
    assert!(buf.is_empty() || buf == bytes);
}

fn oids(c: &mut Criterion) {
    let text = "1.3.6.1.2.1.31.1.1.1.6.1000001";
    let a: Oid = text.parse().unwrap();
    let b: Oid = "1.3.6.1.2.1.31.1.1.1.6.1000002".parse().unwrap();
    let root: Oid = "1.3.6.1.2.1.31.1.1.1.6".parse().unwrap();
    let (ba, bb) = (a.to_ber(), b.to_ber());
    let ra = OidRef::from_ber(&ba, false).unwrap();
    let rb = OidRef::from_ber(&bb, false).unwrap();

    let mut g = c.benchmark_group("oid");
    g.bench_function("parse_text_12_arcs", |bench| {
        bench.iter(|| black_box(text).parse::<Oid>().unwrap());
    });
    g.bench_function("cmp_ber_ber", |bench| {
        bench.iter(|| black_box(&ra).cmp(black_box(&rb)));
    });
    g.bench_function("cmp_ber_oid", |bench| {
        bench.iter(|| black_box(&ra).cmp_oid(black_box(&b)));
    });
    g.bench_function("is_in_subtree_ber", |bench| {
        bench.iter(|| black_box(&rb).is_in_subtree(black_box(&root)));
    });
    g.finish();
}

fn tracker(c: &mut Criterion) {
    let target: SocketAddr = "192.0.2.1:161".parse().unwrap();
    let name: Oid = "1.3.6.1.2.1.1.3.0".parse().unwrap();
    let vbs = [VarBind::null(name.as_oid_ref())];
    let req = Request::new(
        target,
        Version::V2c,
        b"public",
        PduType::GetRequest,
        VarBinds::from_slice(&vbs),
    );
    let mut t = RequestTracker::new(TrackerConfig::default(), 1);
    let now = Instant::now();
    let mut buf = Vec::with_capacity(128);
    let mut reply = Vec::with_capacity(128);
    // The request's PDU tag sits after 30 LL | 02 01 01 | 04 06 "public".
    const PDU_TAG_AT: usize = 13;

    let mut g = c.benchmark_group("tracker");
    g.throughput(Throughput::Elements(1));
    g.bench_function("round_trip", |b| {
        b.iter(|| {
            let handle = t.start(&req).unwrap();
            let tx = t.poll_transmit(now, &mut buf).unwrap();
            // The agent's answer: the same message as a Response (tag a0 -> a2).
            reply.clear();
            reply.extend_from_slice(&buf);
            assert_eq!(reply[PDU_TAG_AT], PduType::GetRequest.tag());
            reply[PDU_TAG_AT] = PduType::Response.tag();
            let r = t.handle(now, tx.destination, &reply).unwrap();
            assert_eq!(r.handle, handle);
            black_box(r.pdu.request_id)
        });
    });
    g.finish();
    assert_eq!(t.in_flight(), 0);
}

/// 24 ifAlias bindings of 35 bytes: a ~1,400-byte Response.
fn v3(c: &mut Criterion) {
    use nocwatch_snmp::crypto::{AuthProtocol, KeyCache, PrivProtocol};
    use nocwatch_snmp::security::{self, EngineInfo, SecurityLevel, UsmUser};

    let names: Vec<Oid> = (0..24u32)
        .map(|i| {
            format!("1.3.6.1.2.1.31.1.1.1.18.{}", 1_000_000 + i)
                .parse()
                .unwrap()
        })
        .collect();
    let alias = b"uplink to core-router-07 port 1/1/4";
    let vbs: Vec<VarBind<'_>> = names
        .iter()
        .map(|n| VarBind {
            name: n.as_oid_ref(),
            value: Value::OctetString(alias),
        })
        .collect();
    let pdu = Pdu::new(PduType::Response, 4242, VarBinds::from_slice(&vbs));
    let user = UsmUser::new(
        b"bench",
        SecurityLevel::AuthPriv,
        Some((AuthProtocol::Sha256, b"authpass-123")),
        Some((PrivProtocol::Aes128, b"privpass-456")),
    )
    .unwrap();
    let engine = EngineInfo {
        id: b"\x80\x00\x1f\x88\x80bench-engine".to_vec(),
        boots: 3,
        time: 12345,
        learned_at: Instant::now(),
    };
    let keys = security::user_keys(&mut KeyCache::new(8), &user, &engine.id).unwrap();
    let now = engine.learned_at;
    let mut scratch = Vec::new();
    let mut v3_bytes = Vec::new();
    security::encode_request(
        &user,
        &keys,
        &engine,
        now,
        4242,
        &pdu,
        1,
        &mut scratch,
        &mut v3_bytes,
    )
    .unwrap();
    let mut v2_bytes = Vec::new();
    CommunityMessage {
        version: Version::V2c,
        community: b"public",
        pdu: Pdus::Pdu(pdu),
    }
    .encode(&mut v2_bytes);
    assert!((1300..1600).contains(&v3_bytes.len()), "{}", v3_bytes.len());

    let mut g = c.benchmark_group("v3");
    g.throughput(Throughput::Elements(vbs.len() as u64));
    let mut out = Vec::with_capacity(2048);
    g.bench_function("encode_v2c_1400b", |b| {
        b.iter(|| {
            out.clear();
            CommunityMessage {
                version: Version::V2c,
                community: b"public",
                pdu: Pdus::Pdu(black_box(pdu)),
            }
            .encode(&mut out);
            black_box(out.len())
        })
    });
    let mut salt = 1u64;
    g.bench_function("encode_authpriv_sha256_aes128_1400b", |b| {
        b.iter(|| {
            salt += 1;
            security::encode_request(
                &user,
                &keys,
                &engine,
                now,
                4242,
                black_box(&pdu),
                salt,
                &mut scratch,
                &mut out,
            )
            .unwrap();
            black_box(out.len())
        })
    });
    let opts = DecodeOptions::default();
    g.bench_function("decode_v2c_1400b", |b| {
        b.iter(|| {
            let Message::Community(m) = Message::decode(black_box(&v2_bytes), &opts).unwrap()
            else {
                unreachable!()
            };
            let mut sum = 0u64;
            for vb in m.pdu.varbinds().iter() {
                sum += touch(&vb.unwrap().value);
            }
            black_box(sum)
        })
    });
    let mut open_scratch = Vec::new();
    g.bench_function("decode_authpriv_sha256_aes128_1400b", |b| {
        b.iter(|| {
            let Message::V3(m) = Message::decode(black_box(&v3_bytes), &opts).unwrap() else {
                unreachable!()
            };
            let opened =
                security::open(&v3_bytes, &m, Some(&keys), &mut open_scratch, &opts).unwrap();
            let mut sum = 0u64;
            for vb in opened.pdu.varbinds.iter() {
                sum += touch(&vb.unwrap().value);
            }
            black_box(sum)
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(50);
    targets = codec, oids, tracker, v3
}
criterion_main!(benches);
