//! Responder tests: requests are encoded and responses decoded with the project's
//! codec, exactly as a manager would see them.

use std::time::Duration;

use nocwatch_snmp::{
    CommunityMessage, DecodeOptions, ErrorStatus, Message, MsgFlags, Oid, Pdu, PduType, Pdus,
    ScopedPdu, ScopedPduData, V3Message, Value, VarBind, VarBinds, Version,
};

use crate::{
    Agent, AgentConfig, DropReason, Mib, MibBuilder, Outcome, OwnedValue, lab_device, lab_mib,
};

const SYS_DESCR: &str = "1.3.6.1.2.1.1.1.0";
const SYS_UPTIME: &str = "1.3.6.1.2.1.1.3.0";
const SYS_CONTACT: &str = "1.3.6.1.2.1.1.4.0";
const IF_DESCR: &str = "1.3.6.1.2.1.2.2.1.2";
const IF_TYPE: &str = "1.3.6.1.2.1.2.2.1.3";
const IF_IN_OCTETS: &str = "1.3.6.1.2.1.2.2.1.10";
const IF_HC_IN_OCTETS: &str = "1.3.6.1.2.1.31.1.1.1.6";

fn oid(s: &str) -> Oid {
    s.parse().unwrap()
}

/// A binding's value as the manager sees it: a value, or an exception's name.
type Seen = Result<OwnedValue, &'static str>;

#[derive(Debug)]
struct Reply {
    version: Version,
    request_id: i32,
    status: ErrorStatus,
    index: i32,
    bindings: Vec<(Oid, Seen)>,
    len: usize,
}

impl Reply {
    fn names(&self) -> Vec<String> {
        self.bindings.iter().map(|(o, _)| o.to_string()).collect()
    }

    fn value(&self, i: usize) -> &Seen {
        &self.bindings[i].1
    }
}

fn encode_request(
    version: Version,
    community: &str,
    pdu_type: PduType,
    fields: (i32, i32),
    bindings: &[(Oid, OwnedValue)],
) -> Vec<u8> {
    let vbs: Vec<VarBind<'_>> = bindings
        .iter()
        .map(|(o, v)| VarBind {
            name: o.as_oid_ref(),
            value: v.as_value(),
        })
        .collect();
    let pdu = Pdu {
        pdu_type,
        request_id: 4242,
        error_status: fields.0,
        error_index: fields.1,
        varbinds: VarBinds::from_slice(&vbs),
    };
    let mut buf = Vec::new();
    CommunityMessage {
        version,
        community: community.as_bytes(),
        pdu: Pdus::Pdu(pdu),
    }
    .encode(&mut buf);
    buf
}

fn decode_reply(bytes: &[u8]) -> Reply {
    let Message::Community(m) = Message::decode(bytes, &DecodeOptions::strict()).unwrap() else {
        panic!("not a community message");
    };
    let pdu = *m.pdu.as_pdu().unwrap();
    assert_eq!(pdu.pdu_type, PduType::Response);
    let bindings = pdu
        .varbinds
        .to_vec()
        .unwrap()
        .into_iter()
        .map(|vb| {
            let seen = OwnedValue::from_value(&vb.value).ok_or(vb.value.type_name());
            (vb.name.to_oid(), seen)
        })
        .collect();
    Reply {
        version: m.version,
        request_id: pdu.request_id,
        status: pdu.status(),
        index: pdu.error_index,
        bindings,
        len: bytes.len(),
    }
}

/// Sends one request and decodes the reply (panics if the agent drops it).
fn ask_at(
    agent: &Agent,
    now: Duration,
    version: Version,
    community: &str,
    pdu_type: PduType,
    fields: (i32, i32),
    bindings: &[(Oid, OwnedValue)],
) -> Reply {
    let request = encode_request(version, community, pdu_type, fields, bindings);
    let mut out = Vec::new();
    let outcome = agent.respond_at(now, &request, &mut out);
    assert_eq!(outcome, Outcome::Replied);
    decode_reply(&out)
}

fn nulls(oids: &[&str]) -> Vec<(Oid, OwnedValue)> {
    oids.iter().map(|s| (oid(s), OwnedValue::Null)).collect()
}

fn get(agent: &Agent, version: Version, oids: &[&str]) -> Reply {
    ask_at(
        agent,
        Duration::ZERO,
        version,
        "public",
        PduType::GetRequest,
        (0, 0),
        &nulls(oids),
    )
}

fn get_next(agent: &Agent, version: Version, oids: &[&str]) -> Reply {
    ask_at(
        agent,
        Duration::ZERO,
        version,
        "public",
        PduType::GetNextRequest,
        (0, 0),
        &nulls(oids),
    )
}

fn bulk(agent: &Agent, non_repeaters: i32, max_repetitions: i32, oids: &[&str]) -> Reply {
    ask_at(
        agent,
        Duration::ZERO,
        Version::V2c,
        "public",
        PduType::GetBulkRequest,
        (non_repeaters, max_repetitions),
        &nulls(oids),
    )
}

fn set(agent: &Agent, version: Version, community: &str, bindings: &[(&str, OwnedValue)]) -> Reply {
    let bindings: Vec<_> = bindings.iter().map(|(o, v)| (oid(o), v.clone())).collect();
    ask_at(
        agent,
        Duration::ZERO,
        version,
        community,
        PduType::SetRequest,
        (0, 0),
        &bindings,
    )
}

fn lab() -> Agent {
    lab_device("lab-r1", 10)
}

fn small_mib() -> Mib {
    let mut b = MibBuilder::new();
    b.scalar(&oid("1.3.6.1.2.1.1.1"), OwnedValue::string("first"));
    b.scalar(&oid("1.3.6.1.2.1.1.5"), OwnedValue::string("second"));
    b.scalar(&oid("1.3.6.1.2.1.1.6"), OwnedValue::string("last"));
    b.build().unwrap()
}

// ---------------------------------------------------------------------------- GET

#[test]
fn get_v2c_values_and_exceptions() {
    let agent = lab();
    let r = get(
        &agent,
        Version::V2c,
        &[
            SYS_DESCR,
            "1.3.6.1.2.1.1.1.1",             // instance of an existing scalar
            "1.3.6.1.2.1.2.2.1.2.99",        // row that does not exist
            "1.3.6.1.2.1.1.99.0",            // no such object
            "1.3.6.1.2.1.1",                 // a subtree, not an object
            "1.3.6.1.2.1.4.20.1.1.10.0.1.1", // ipAdEntAddr.10.0.1.1
        ],
    );
    assert_eq!(r.version, Version::V2c);
    assert_eq!(r.request_id, 4242);
    assert_eq!(r.status, ErrorStatus::NoError);
    let Ok(OwnedValue::OctetString(descr)) = r.value(0) else {
        panic!("{:?}", r.value(0));
    };
    assert!(String::from_utf8_lossy(descr).starts_with("nocwatch simulated router lab-r1"));
    assert_eq!(r.value(1), &Err("noSuchInstance"));
    assert_eq!(r.value(2), &Err("noSuchInstance"));
    assert_eq!(r.value(3), &Err("noSuchObject"));
    assert_eq!(r.value(4), &Err("noSuchObject"));
    assert_eq!(r.value(5), &Ok(OwnedValue::IpAddress([10, 0, 1, 1])));
    // Names are echoed, exceptions included.
    assert_eq!(r.names()[3], "1.3.6.1.2.1.1.99.0");
}

#[test]
fn get_v1_missing_is_no_such_name_with_index() {
    let agent = lab();
    let r = get(
        &agent,
        Version::V1,
        &[SYS_DESCR, "1.3.6.1.2.1.1.99.0", SYS_UPTIME],
    );
    assert_eq!(r.status, ErrorStatus::NoSuchName);
    assert_eq!(r.index, 2);
    // The request's bindings come back unchanged (NULL values).
    assert_eq!(r.names(), [SYS_DESCR, "1.3.6.1.2.1.1.99.0", SYS_UPTIME]);
    assert!(r.bindings.iter().all(|(_, v)| v == &Ok(OwnedValue::Null)));

    // v1 cannot carry Counter64: the instance is invisible.
    let r = get(&agent, Version::V1, &[&format!("{IF_HC_IN_OCTETS}.1")]);
    assert_eq!((r.status, r.index), (ErrorStatus::NoSuchName, 1));
    let r = get(&agent, Version::V2c, &[&format!("{IF_HC_IN_OCTETS}.1")]);
    assert!(matches!(r.value(0), Ok(OwnedValue::Counter64(_))));
}

// ------------------------------------------------------------------------ GETNEXT

#[test]
fn get_next_v2c_and_end_of_mib_view() {
    let agent = Agent::new(small_mib(), AgentConfig::default());
    let r = get_next(
        &agent,
        Version::V2c,
        &["0.0", "1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.6.0", "2.5"],
    );
    assert_eq!(r.status, ErrorStatus::NoError);
    assert_eq!(
        r.names(),
        [
            "1.3.6.1.2.1.1.1.0",
            "1.3.6.1.2.1.1.5.0",
            "1.3.6.1.2.1.1.6.0",
            "2.5"
        ]
    );
    assert_eq!(r.value(0), &Ok(OwnedValue::string("first")));
    assert_eq!(r.value(2), &Err("endOfMibView"));
    assert_eq!(r.value(3), &Err("endOfMibView"));
}

#[test]
fn get_next_v1_end_is_no_such_name_and_counter64_is_skipped() {
    let agent = Agent::new(small_mib(), AgentConfig::default());
    let r = get_next(
        &agent,
        Version::V1,
        &["1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.6.0"],
    );
    assert_eq!((r.status, r.index), (ErrorStatus::NoSuchName, 2));

    // From ifName.10, v2c moves on to ifHCInOctets.1; v1 skips every Counter64
    // column (6, 7, 10, 11) and lands on ifHighSpeed.1.
    let agent = lab();
    let r = get_next(&agent, Version::V2c, &["1.3.6.1.2.1.31.1.1.1.1.10"]);
    assert_eq!(r.names(), [format!("{IF_HC_IN_OCTETS}.1")]);
    let r = get_next(&agent, Version::V1, &["1.3.6.1.2.1.31.1.1.1.1.10"]);
    assert_eq!(r.names(), ["1.3.6.1.2.1.31.1.1.1.15.1"]);
    assert_eq!(r.value(0), &Ok(OwnedValue::Gauge32(1000)));
}

/// Walks with GETNEXT until the end and returns what was seen.
fn walk(agent: &Agent, version: Version) -> Vec<(Oid, Seen)> {
    let mut seen = Vec::new();
    let mut at = "0.0".to_string();
    loop {
        let r = get_next(agent, version, &[&at]);
        if r.status != ErrorStatus::NoError || r.value(0) == &Err("endOfMibView") {
            break;
        }
        let (name, value) = r.bindings.into_iter().next().unwrap();
        assert!(name > oid(&at), "OID not increasing: {at} -> {name}");
        at = name.to_string();
        seen.push((name, value));
    }
    seen
}

#[test]
fn full_walks_see_every_instance_in_order() {
    let agent = lab();
    let v2 = walk(&agent, Version::V2c);
    assert_eq!(v2.len(), agent.mib().len());
    assert_eq!(v2.len(), 356);
    let v1 = walk(&agent, Version::V1);
    let counter64s = v2
        .iter()
        .filter(|(_, v)| matches!(v, Ok(OwnedValue::Counter64(_))))
        .count();
    assert_eq!(counter64s, 40);
    assert_eq!(v1.len(), v2.len() - counter64s);
}

// ------------------------------------------------------------------------ GETBULK

#[test]
fn get_bulk_non_repeaters_then_interleaved_rows() {
    let agent = lab();
    let r = bulk(&agent, 1, 3, &["1.3.6.1.2.1.1", IF_DESCR, IF_TYPE]);
    assert_eq!(r.status, ErrorStatus::NoError);
    assert_eq!(
        r.names(),
        [
            SYS_DESCR.to_string(),
            format!("{IF_DESCR}.1"),
            format!("{IF_TYPE}.1"),
            format!("{IF_DESCR}.2"),
            format!("{IF_TYPE}.2"),
            format!("{IF_DESCR}.3"),
            format!("{IF_TYPE}.3"),
        ]
    );
    assert_eq!(r.value(1), &Ok(OwnedValue::string("GigabitEthernet0/0")));
    assert_eq!(r.value(2), &Ok(OwnedValue::Integer(6)));
}

#[test]
fn get_bulk_clamps_negative_fields() {
    let agent = lab();
    // non-repeaters < 0 → 0; max-repetitions < 0 → 0: nothing is returned.
    let r = bulk(&agent, -5, -1, &[IF_DESCR]);
    assert_eq!(r.status, ErrorStatus::NoError);
    assert!(r.bindings.is_empty());
    // non-repeaters larger than the list: every binding is a non-repeater.
    let r = bulk(&agent, 10, 50, &[IF_DESCR, IF_TYPE]);
    assert_eq!(r.names(), [format!("{IF_DESCR}.1"), format!("{IF_TYPE}.1")]);
}

#[test]
fn get_bulk_stops_after_the_first_all_end_of_mib_view_row() {
    let agent = Agent::new(small_mib(), AgentConfig::default());
    let last = "1.3.6.1.2.1.1.6.0";
    // Column A starts before "second", column B before "last".
    let r = bulk(&agent, 0, 10, &["1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.5.0"]);
    assert_eq!(
        r.names(),
        [
            "1.3.6.1.2.1.1.5.0", // row 1
            last,
            last, // row 2: A reaches "last", B is past the end
            last,
            last, // row 3: both past the end → stop here
            last,
        ]
    );
    let values: Vec<_> = r.bindings.iter().map(|(_, v)| v.clone()).collect();
    assert_eq!(
        values,
        [
            Ok(OwnedValue::string("second")),
            Ok(OwnedValue::string("last")),
            Ok(OwnedValue::string("last")),
            Err("endOfMibView"),
            Err("endOfMibView"),
            Err("endOfMibView"),
        ]
    );

    // Already past the end: one row of endOfMibView carrying the request's names.
    let r = bulk(&agent, 0, 100, &["1.3.6.1.2.1.2", "1.3.6.1.2.1.3"]);
    assert_eq!(r.names(), ["1.3.6.1.2.1.2", "1.3.6.1.2.1.3"]);
    assert!(r.bindings.iter().all(|(_, v)| v == &Err("endOfMibView")));
}

#[test]
fn get_bulk_is_truncated_to_the_message_size_limit() {
    // 200 interfaces: about 7000 instances, far more than one datagram holds.
    let agent = lab_device("big", 200);
    let r = bulk(&agent, 0, 100_000, &["0.0"]);
    assert_eq!(r.status, ErrorStatus::NoError);
    assert!(r.len <= 65_507, "{}", r.len);
    // Truncated close to the limit: the next binding (< 120 bytes) did not fit.
    assert!(r.len > 65_507 - 120, "{}", r.len);
    assert!(r.bindings.len() < agent.mib().len());
    let names: Vec<Oid> = r.bindings.iter().map(|(o, _)| o.clone()).collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]));

    // A smaller configured limit is honoured the same way.
    let config = AgentConfig {
        max_message_size: 484,
        ..AgentConfig::default()
    };
    let agent = Agent::new(lab_mib("small", 10).unwrap(), config);
    let r = bulk(&agent, 1, 1000, &[SYS_DESCR, IF_DESCR]);
    assert_eq!(r.status, ErrorStatus::NoError);
    assert!(r.len <= 484 && r.len > 484 - 60, "{}", r.len);
    assert_eq!(r.names()[0], "1.3.6.1.2.1.1.2.0");
}

#[test]
fn too_big_when_the_non_repeaters_or_a_get_do_not_fit() {
    let config = AgentConfig {
        max_message_size: 100,
        ..AgentConfig::default()
    };
    let agent = Agent::new(lab_mib("lab-r1", 2).unwrap(), config);
    // A response carrying sysDescr is longer than 100 bytes.
    let r = bulk(&agent, 1, 5, &["1.3.6.1.2.1.1", IF_DESCR]);
    assert_eq!((r.status, r.index), (ErrorStatus::TooBig, 0));
    assert!(r.bindings.is_empty(), "v2c tooBig carries no bindings");

    let r = get(&agent, Version::V2c, &[SYS_DESCR]);
    assert_eq!(r.status, ErrorStatus::TooBig);
    assert!(r.bindings.is_empty());

    // v1 echoes the request's bindings with tooBig.
    let r = get(&agent, Version::V1, &[SYS_DESCR]);
    assert_eq!(r.status, ErrorStatus::TooBig);
    assert_eq!(r.names(), [SYS_DESCR]);
    assert_eq!(agent.stats().error_responses, 3);

    // If not even that fits, the request is dropped and counted.
    let config = AgentConfig {
        max_message_size: 20,
        ..AgentConfig::default()
    };
    let agent = Agent::new(lab_mib("lab-r1", 2).unwrap(), config);
    let request = encode_request(
        Version::V2c,
        "public",
        PduType::GetRequest,
        (0, 0),
        &nulls(&[SYS_DESCR]),
    );
    let mut out = Vec::new();
    assert_eq!(
        agent.respond_at(Duration::ZERO, &request, &mut out),
        Outcome::Dropped(DropReason::TooBig)
    );
    assert!(out.is_empty());
    assert_eq!(agent.stats().dropped_too_big, 1);
}

// ---------------------------------------------------------------------------- SET

#[test]
fn set_with_write_community_reads_back() {
    let agent = lab();
    let new = OwnedValue::string("ops@example.net");
    let r = set(
        &agent,
        Version::V2c,
        "private",
        &[(SYS_CONTACT, new.clone())],
    );
    assert_eq!((r.status, r.index), (ErrorStatus::NoError, 0));
    assert_eq!(r.bindings, [(oid(SYS_CONTACT), Ok(new.clone()))]);
    assert_eq!(get(&agent, Version::V2c, &[SYS_CONTACT]).value(0), &Ok(new));
    // Visible to GETNEXT too.
    let r = get_next(&agent, Version::V1, &["1.3.6.1.2.1.1.3.0"]);
    assert_eq!(r.value(0), &Ok(OwnedValue::string("ops@example.net")));

    agent.clear_overrides();
    assert_eq!(
        get(&agent, Version::V2c, &[SYS_CONTACT]).value(0),
        &Ok(OwnedValue::string("noc@example.net"))
    );
}

#[test]
fn set_errors_v2c_and_v1() {
    let agent = lab();
    let s = |v: &str| OwnedValue::string(v);
    let cases: &[(&str, OwnedValue, ErrorStatus, ErrorStatus)] = &[
        // wrong type
        (
            SYS_CONTACT,
            OwnedValue::Integer(5),
            ErrorStatus::WrongType,
            ErrorStatus::BadValue,
        ),
        // instance of an existing object that does not exist
        (
            "1.3.6.1.2.1.1.4.1",
            s("x"),
            ErrorStatus::NoCreation,
            ErrorStatus::NoSuchName,
        ),
        // no such object
        (
            "1.3.6.1.2.1.1.99.0",
            s("x"),
            ErrorStatus::NotWritable,
            ErrorStatus::NoSuchName,
        ),
        // computed values are read-only
        (
            SYS_UPTIME,
            OwnedValue::TimeTicks(1),
            ErrorStatus::NotWritable,
            ErrorStatus::NoSuchName,
        ),
        (
            "1.3.6.1.2.1.2.2.1.10.1",
            OwnedValue::Counter32(1),
            ErrorStatus::NotWritable,
            ErrorStatus::NoSuchName,
        ),
    ];
    for (name, value, v2, v1) in cases {
        let r = set(&agent, Version::V2c, "private", &[(name, value.clone())]);
        assert_eq!((r.status, r.index), (*v2, 1), "v2c {name}");
        let r = set(&agent, Version::V1, "private", &[(name, value.clone())]);
        assert_eq!((r.status, r.index), (*v1, 1), "v1 {name}");
    }

    // Read-only community: noAccess in v2c, noSuchName in v1 (net-snmp's answers).
    let r = set(&agent, Version::V2c, "public", &[(SYS_CONTACT, s("x"))]);
    assert_eq!((r.status, r.index), (ErrorStatus::NoAccess, 1));
    let r = set(&agent, Version::V1, "public", &[(SYS_CONTACT, s("x"))]);
    assert_eq!((r.status, r.index), (ErrorStatus::NoSuchName, 1));

    // All or nothing: the second binding fails, so the first is not applied.
    let r = set(
        &agent,
        Version::V2c,
        "private",
        &[
            (SYS_CONTACT, s("changed")),
            (SYS_UPTIME, OwnedValue::TimeTicks(0)),
        ],
    );
    assert_eq!((r.status, r.index), (ErrorStatus::NotWritable, 2));
    assert_eq!(
        get(&agent, Version::V2c, &[SYS_CONTACT]).value(0),
        &Ok(s("noc@example.net"))
    );
    assert_eq!(agent.stats().sets, 13);
    assert_eq!(agent.stats().error_responses, 13);
}

// -------------------------------------------------------------------------- drops

fn assert_dropped(agent: &Agent, request: &[u8], reason: DropReason) {
    let mut out = Vec::new();
    assert_eq!(
        agent.respond_at(Duration::ZERO, request, &mut out),
        Outcome::Dropped(reason),
        "{request:02x?}"
    );
    assert!(out.is_empty());
}

#[test]
fn bad_community_is_dropped_and_counted() {
    let agent = lab();
    let request = encode_request(
        Version::V2c,
        "secret",
        PduType::GetRequest,
        (0, 0),
        &nulls(&[SYS_DESCR]),
    );
    assert_dropped(&agent, &request, DropReason::BadCommunity);
    let stats = agent.stats();
    assert_eq!((stats.requests, stats.responses), (1, 0));
    assert_eq!(stats.dropped_bad_community, 1);
    assert_eq!(stats.dropped(), 1);
}

#[test]
fn malformed_requests_are_dropped_and_counted() {
    let agent = lab();
    let good = encode_request(
        Version::V2c,
        "public",
        PduType::GetRequest,
        (0, 0),
        &nulls(&[SYS_DESCR]),
    );
    let mut trailing = good.clone();
    trailing.push(0);
    let mut bad_version = good.clone();
    bad_version[4] = 7; // version INTEGER 7
    let cases: Vec<Vec<u8>> = vec![
        vec![],
        b"GET / HTTP/1.0\r\n\r\n".to_vec(),
        good[..good.len() - 3].to_vec(),
        trailing,
        bad_version,
    ];
    for c in &cases {
        assert_dropped(&agent, c, DropReason::Malformed);
    }
    // A binding with a non-minimal OID: the message decodes, the binding does not.
    let pdu = Pdu::new(
        PduType::GetRequest,
        1,
        VarBinds::encoded(&[0x30, 0x05, 0x06, 0x01, 0x80, 0x05, 0x00]),
    );
    let mut bad_binding = Vec::new();
    CommunityMessage {
        version: Version::V2c,
        community: b"public",
        pdu: Pdus::Pdu(pdu),
    }
    .encode(&mut bad_binding);
    assert_dropped(&agent, &bad_binding, DropReason::Malformed);
    assert_eq!(agent.stats().dropped_malformed, cases.len() as u64 + 1);
    assert_eq!(agent.stats().responses, 0);
}

#[test]
fn non_requests_and_v3_are_dropped_as_unsupported() {
    let agent = lab();
    for t in [
        PduType::Response,
        PduType::SnmpV2Trap,
        PduType::Report,
        PduType::InformRequest,
    ] {
        let request = encode_request(Version::V2c, "public", t, (0, 0), &nulls(&[SYS_DESCR]));
        assert_dropped(&agent, &request, DropReason::Unsupported);
    }
    let scoped = ScopedPdu {
        context_engine_id: b"",
        context_name: b"",
        pdu: Pdus::Pdu(Pdu::new(PduType::GetRequest, 1, VarBinds::from_slice(&[]))),
    };
    let v3 = V3Message {
        msg_id: 1,
        max_size: 65_507,
        flags: MsgFlags(MsgFlags::REPORTABLE),
        security_model: 3,
        security_params: b"",
        security_params_offset: 0,
        data: ScopedPduData::Plaintext(scoped),
    };
    let mut bytes = Vec::new();
    v3.encode(&mut bytes);
    assert_dropped(&agent, &bytes, DropReason::Unsupported);
    assert_eq!(agent.stats().dropped_unsupported, 5);
}

// ------------------------------------------------------------------ dynamic values

fn value_at(agent: &Agent, now: Duration, name: &str) -> Seen {
    ask_at(
        agent,
        now,
        Version::V2c,
        "public",
        PduType::GetRequest,
        (0, 0),
        &nulls(&[name]),
    )
    .value(0)
    .clone()
}

#[test]
fn counters_and_uptime_follow_now() {
    let agent = lab();
    let uptime = |s| match value_at(&agent, Duration::from_secs(s), SYS_UPTIME) {
        Ok(OwnedValue::TimeTicks(t)) => t,
        other => panic!("{other:?}"),
    };
    assert_eq!(uptime(10) - uptime(0), 1000);

    let hc = |s, i: u32| match value_at(
        &agent,
        Duration::from_secs(s),
        &format!("{IF_HC_IN_OCTETS}.{i}"),
    ) {
        Ok(OwnedValue::Counter64(v)) => v,
        other => panic!("{other:?}"),
    };
    let c32 = |s, i: u32| match value_at(
        &agent,
        Duration::from_secs(s),
        &format!("{IF_IN_OCTETS}.{i}"),
    ) {
        Ok(OwnedValue::Counter32(v)) => v,
        other => panic!("{other:?}"),
    };
    // Interface 1 is up: it grows, and the 32-bit view is the 64-bit one wrapped.
    let (a, b, c) = (hc(0, 1), hc(10, 1), hc(20, 1));
    assert!(a < b && b < c, "{a} {b} {c}");
    // 2–60 % of a gigabit, ±50 % per second of jitter: 10 s is 1.25 MB to 937 MB.
    assert!((1_250_000..=937_500_000).contains(&(b - a)), "{}", b - a);
    for s in [0, 10, 20, 3600] {
        assert_eq!(u64::from(c32(s, 1)), hc(s, 1) & 0xffff_ffff);
    }
    // Interface 5 is down (ifOperStatus 2): frozen.
    assert_eq!(
        value_at(&agent, Duration::ZERO, "1.3.6.1.2.1.2.2.1.8.5"),
        Ok(OwnedValue::Integer(2))
    );
    assert_eq!(hc(0, 5), hc(1000, 5));
    // Deterministic: same name, same now, same value.
    assert_eq!(hc(20, 1), lab_hc(20, 1));
}

fn lab_hc(s: u64, i: u32) -> u64 {
    match value_at(
        &lab(),
        Duration::from_secs(s),
        &format!("{IF_HC_IN_OCTETS}.{i}"),
    ) {
        Ok(OwnedValue::Counter64(v)) => v,
        other => panic!("{other:?}"),
    }
}

// ------------------------------------------------------------------------ dataset

#[test]
fn lab_dataset_shape_and_types() {
    let mib = lab_mib("lab-r1", 10).unwrap();
    assert_eq!(mib.len(), 356);
    let mut tags: Vec<u8> = mib
        .entries()
        .iter()
        .map(|e| e.cell.value_at(Duration::ZERO).tag())
        .collect();
    tags.sort_unstable();
    tags.dedup();
    // INTEGER, OCTET STRING, OID, IpAddress, Counter32, Gauge32, TimeTicks,
    // Opaque, Counter64.
    assert_eq!(tags, [0x02, 0x04, 0x06, 0x40, 0x41, 0x42, 0x43, 0x44, 0x46]);
    let float = mib
        .find(oid("1.3.6.1.4.1.2021.10.1.6.1").arcs())
        .and_then(|i| mib.get(i))
        .unwrap();
    assert!(matches!(
        float.cell.value_at(Duration::ZERO).opaque_number(),
        Some(nocwatch_snmp::OpaqueNumber::Float(_))
    ));
    for n in [0, 1, 2, 255, 256, 1000] {
        let mib = lab_mib("x", n).unwrap();
        assert_eq!(mib.len(), 8 + 1 + 2 + 15 + 33 * n as usize, "{n}");
    }
    let agent = lab();
    assert_eq!(
        get(&agent, Version::V2c, &["1.3.6.1.2.1.2.1.0"]).value(0),
        &Ok(OwnedValue::Integer(10))
    );
    assert_eq!(
        get(&agent, Version::V2c, &["1.3.6.1.2.1.1.2.0"]).value(0),
        &Ok(OwnedValue::ObjectIdentifier(oid(crate::LAB_SYS_OBJECT_ID)))
    );
}

#[test]
fn stats_count_every_kind_of_request() {
    let agent = lab();
    let _ = get(&agent, Version::V2c, &[SYS_DESCR, SYS_UPTIME]);
    let _ = get_next(&agent, Version::V1, &[SYS_DESCR]);
    let _ = bulk(&agent, 0, 5, &[IF_DESCR]);
    let _ = set(
        &agent,
        Version::V2c,
        "private",
        &[(SYS_CONTACT, OwnedValue::string("a"))],
    );
    let s = agent.stats();
    assert_eq!((s.requests, s.responses, s.error_responses), (4, 4, 0));
    assert_eq!((s.gets, s.get_nexts, s.get_bulks, s.sets), (1, 1, 1, 1));
    assert_eq!(s.varbinds_out, 2 + 1 + 5 + 1);
    assert_eq!(s.dropped(), 0);
    // Value::Null is what requests carry; it is not confused with a stored value.
    assert_ne!(Value::Null.tag(), OwnedValue::string("").tag());
}

// ------------------------------------------------------------------ quirks

fn quirky(quirks: crate::Quirks) -> Agent {
    let config = AgentConfig {
        quirks,
        ..AgentConfig::default()
    };
    Agent::new(lab_mib("lab-q", 10).unwrap(), config)
}

#[test]
fn too_big_above_n_bindings() {
    let agent = quirky(crate::Quirks {
        too_big_above: Some(10),
        ..Default::default()
    });
    let r = bulk(&agent, 0, 11, &[IF_DESCR]);
    assert_eq!(r.status, ErrorStatus::TooBig);
    assert!(r.bindings.is_empty());
    let r = bulk(&agent, 0, 10, &[IF_DESCR]);
    assert_eq!((r.status, r.bindings.len()), (ErrorStatus::NoError, 10));
}

#[test]
fn non_increasing_successor() {
    let agent = quirky(crate::Quirks {
        non_increasing_at: Some(oid("1.3.6.1.2.1.2.2.1.2.3")),
        ..Default::default()
    });
    // GETNEXT of .2 should give .3; it gives .2 again.
    let r = get_next(&agent, Version::V2c, &["1.3.6.1.2.1.2.2.1.2.2"]);
    assert_eq!(r.names(), ["1.3.6.1.2.1.2.2.1.2.2"]);
    // A bulk row stalls there too.
    let r = bulk(&agent, 0, 4, &[IF_DESCR]);
    assert_eq!(
        r.names(),
        [
            "1.3.6.1.2.1.2.2.1.2.1",
            "1.3.6.1.2.1.2.2.1.2.2",
            "1.3.6.1.2.1.2.2.1.2.2",
            "1.3.6.1.2.1.2.2.1.2.2"
        ]
    );
    // Elsewhere the order is right.
    let r = get_next(&agent, Version::V2c, &["1.3.6.1.2.1.2.2.1.2.5"]);
    assert_eq!(r.names(), ["1.3.6.1.2.1.2.2.1.2.6"]);
}

#[test]
fn wrong_request_id_every_nth_response() {
    let agent = quirky(crate::Quirks {
        wrong_request_id_every: Some(2),
        ..Default::default()
    });
    let ids: Vec<i32> = (0..4)
        .map(|_| get(&agent, Version::V2c, &[SYS_DESCR]).request_id)
        .collect();
    assert_eq!(ids, [4242, 4243, 4242, 4243]);
}

#[test]
fn responses_above_a_size_vanish() {
    let agent = quirky(crate::Quirks {
        drop_responses_above: Some(300),
        ..Default::default()
    });
    assert!(get(&agent, Version::V2c, &[SYS_CONTACT]).len <= 300);
    let request = encode_request(
        Version::V2c,
        "public",
        PduType::GetBulkRequest,
        (0, 30),
        &nulls(&[IF_DESCR]),
    );
    let mut out = Vec::new();
    assert_eq!(
        agent.respond_at(Duration::ZERO, &request, &mut out),
        Outcome::Dropped(DropReason::QuirkTooLarge)
    );
    assert!(out.is_empty());
    assert_eq!(agent.stats().dropped_quirk_too_large, 1);
}

#[test]
fn loss_drops_about_the_configured_fraction() {
    let agent = quirky(crate::Quirks {
        loss: 0.3,
        ..Default::default()
    });
    let request = encode_request(
        Version::V2c,
        "public",
        PduType::GetRequest,
        (0, 0),
        &nulls(&[SYS_DESCR]),
    );
    let mut out = Vec::new();
    for _ in 0..2000 {
        out.clear();
        let _ = agent.respond_at(Duration::ZERO, &request, &mut out);
    }
    let lost = agent.stats().dropped_lost;
    assert!((450..750).contains(&lost), "{lost} of 2000");
}

#[test]
fn disabled_versions_are_dropped() {
    let config = AgentConfig {
        versions: crate::Versions {
            v1: true,
            v2c: false,
            v3: false,
        },
        ..AgentConfig::default()
    };
    let agent = Agent::new(small_mib(), config);
    let request = encode_request(
        Version::V2c,
        "public",
        PduType::GetRequest,
        (0, 0),
        &nulls(&[SYS_DESCR]),
    );
    assert_dropped(&agent, &request, DropReason::BadVersion);
    assert_eq!(
        get(&agent, Version::V1, &[SYS_DESCR]).status,
        ErrorStatus::NoError
    );
}

// ------------------------------------------------------------------ SNMPv3

mod v3 {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use nocwatch_snmp::crypto::{AuthProtocol, KeyCache, PrivProtocol};
    use nocwatch_snmp::security::{
        self, EngineInfo, ReportKind, SecurityLevel, UsmUser, encode_discovery,
    };
    use nocwatch_snmp::{
        DecodeOptions, Message, Oid, Pdu, PduType, ScopedPduData, VarBind, VarBinds,
    };

    use crate::{Agent, AgentConfig, AgentUsm, Outcome, UsmUsers, engine_id, lab_mib};

    fn user() -> UsmUser {
        UsmUser::new(
            b"ops",
            SecurityLevel::AuthPriv,
            Some((AuthProtocol::Sha1, b"authpass123")),
            Some((PrivProtocol::Aes128, b"privpass123")),
        )
        .unwrap()
    }

    fn agent() -> Agent {
        let users = Arc::new(UsmUsers::new(vec![user()]).unwrap());
        let config = AgentConfig {
            usm: Some(AgentUsm::new(users, engine_id(7), 3).unwrap()),
            ..AgentConfig::default()
        };
        Agent::new(lab_mib("lab-v3", 2).unwrap(), config)
    }

    /// The Report's kind, or None for a Response; and the engine boots/time.
    fn report_of(bytes: &[u8]) -> (Option<ReportKind>, i32, i32) {
        let Message::V3(m) = Message::decode(bytes, &DecodeOptions::strict()).unwrap() else {
            panic!("not v3");
        };
        let usm = m.usm().unwrap();
        let kind = match m.data {
            ScopedPduData::Plaintext(s) => {
                let pdu = *s.pdu.as_pdu().unwrap();
                (pdu.pdu_type == PduType::Report).then(|| {
                    let vb = pdu.varbinds.iter().next().unwrap().unwrap();
                    ReportKind::from_oid(&vb.name)
                })
            }
            ScopedPduData::Encrypted(_) => None,
        };
        (kind, usm.engine_boots, usm.engine_time)
    }

    fn request(time: u32, password: &[u8]) -> Vec<u8> {
        let mut u = user();
        u.auth = Some((AuthProtocol::Sha1, Arc::new(password.to_vec().into())));
        let engine = EngineInfo {
            id: engine_id(7),
            boots: 3,
            time,
            learned_at: Instant::now(),
        };
        let keys = security::user_keys(&mut KeyCache::new(4), &u, &engine.id).unwrap();
        let name: Oid = "1.3.6.1.2.1.1.5.0".parse().unwrap();
        let vbs = [VarBind::null(name.as_oid_ref())];
        let pdu = Pdu::new(PduType::GetRequest, 99, VarBinds::from_slice(&vbs));
        let (mut scratch, mut out) = (Vec::new(), Vec::new());
        security::encode_request(
            &u,
            &keys,
            &engine,
            engine.learned_at,
            5,
            &pdu,
            1,
            &mut scratch,
            &mut out,
        )
        .unwrap();
        out
    }

    #[test]
    fn discovery_time_window_digest_and_answer() {
        let agent = agent();
        let now = Duration::from_secs(500);
        let mut out = Vec::new();
        // Discovery: unknown engine ID, with our ID, boots and time.
        let mut probe = Vec::new();
        encode_discovery(1, &mut probe);
        assert_eq!(agent.respond_at(now, &probe, &mut out), Outcome::Replied);
        assert_eq!(report_of(&out), (Some(ReportKind::UnknownEngineId), 3, 500));
        // Authentic but far from our clock: notInTimeWindow.
        out.clear();
        assert!(
            agent
                .respond_at(now, &request(0, b"authpass123"), &mut out)
                .replied()
        );
        assert_eq!(report_of(&out).0, Some(ReportKind::NotInTimeWindow));
        // Wrong pass phrase: wrongDigest.
        out.clear();
        assert!(
            agent
                .respond_at(now, &request(500, b"wrongpass1"), &mut out)
                .replied()
        );
        assert_eq!(report_of(&out).0, Some(ReportKind::WrongDigest));
        // In the window: an encrypted Response.
        out.clear();
        assert!(
            agent
                .respond_at(now, &request(490, b"authpass123"), &mut out)
                .replied()
        );
        assert_eq!(report_of(&out), (None, 3, 500));
        let stats = agent.stats();
        assert_eq!((stats.reports, stats.responses), (3, 4));
    }
}
