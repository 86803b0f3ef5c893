//! Deterministic SNMPv3 tests of the tracker: a scripted authoritative engine answers
//! with the same codec and keys, under a simulated clock.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use crate::crypto::{AuthProtocol, KeyCache, PrivProtocol};
use crate::message::{MsgFlags, ScopedPdu, ScopedPduData, V3Message};
use crate::oid::Oid;
use crate::security::{self, SecurityLevel, UsmUser};
use crate::usm::UsmSecurityParameters;
use crate::value::Value;
use crate::varbind::VarBind;

const ENGINE: &[u8] = b"\x80\x00\x1f\x88\x80nocwatch-test";
const UNKNOWN_ENGINE_IDS: &str = "1.3.6.1.6.3.15.1.1.4.0";
const NOT_IN_TIME_WINDOWS: &str = "1.3.6.1.6.3.15.1.1.2.0";
const UNKNOWN_USER_NAMES: &str = "1.3.6.1.6.3.15.1.1.3.0";

fn agent() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 161))
}

fn user(level: SecurityLevel) -> Arc<UsmUser> {
    Arc::new(
        UsmUser::new(
            b"alice",
            level,
            Some((AuthProtocol::Sha256, b"authpass-123")),
            Some((PrivProtocol::Aes128, b"privpass-456")),
        )
        .unwrap(),
    )
}

/// The scripted agent: knows the user's keys for its engine, and its own clock.
struct Engine {
    keys: security::UserKeys,
    user: Arc<UsmUser>,
    boots: u32,
    time: u32,
    scratch: Vec<u8>,
}

impl Engine {
    fn new(user: &Arc<UsmUser>) -> Self {
        Self {
            keys: security::user_keys(&mut KeyCache::new(16), user, ENGINE).unwrap(),
            user: user.clone(),
            boots: 7,
            time: 1000,
            scratch: Vec::new(),
        }
    }

    /// An unauthenticated Report (discovery's answer, or an error report).
    fn report(&self, msg_id: i32, oid: &str) -> Vec<u8> {
        let oid: Oid = oid.parse().unwrap();
        let vbs = [VarBind {
            name: oid.as_oid_ref(),
            value: Value::Counter32(1),
        }];
        let usm = UsmSecurityParameters {
            engine_id: ENGINE,
            engine_boots: self.boots as i32,
            engine_time: self.time as i32,
            ..UsmSecurityParameters::default()
        }
        .to_vec();
        let mut out = Vec::new();
        V3Message {
            msg_id,
            max_size: 65507,
            flags: MsgFlags(0),
            security_model: 3,
            security_params: &usm,
            security_params_offset: 0,
            data: ScopedPduData::Plaintext(ScopedPdu {
                context_engine_id: ENGINE,
                context_name: b"",
                pdu: Pdus::Pdu(Pdu::new(
                    PduType::Report,
                    msg_id,
                    VarBinds::from_slice(&vbs),
                )),
            }),
        }
        .encode(&mut out);
        out
    }

    /// Opens a secured request; returns (msgID, request-id, boots, time) it carried.
    fn open(&mut self, datagram: &[u8]) -> (i32, i32, u32, u32) {
        let Message::V3(m) = Message::decode(datagram, &DecodeOptions::strict()).unwrap() else {
            panic!("not v3")
        };
        let mut scratch = std::mem::take(&mut self.scratch);
        let opened = security::open(
            datagram,
            &m,
            Some(&self.keys),
            &mut scratch,
            &DecodeOptions::strict(),
        )
        .expect("the agent verifies and decrypts the request");
        let r = (
            m.msg_id,
            opened.pdu.request_id,
            opened.usm.engine_boots as u32,
            opened.usm.engine_time as u32,
        );
        self.scratch = scratch;
        r
    }

    /// An authenticated, encrypted Response (or Report) carrying `value`.
    fn secured(&self, msg_id: i32, pdu_type: PduType, oid: &str, value: Value<'_>) -> Vec<u8> {
        let oid: Oid = oid.parse().unwrap();
        let vbs = [VarBind {
            name: oid.as_oid_ref(),
            value,
        }];
        let pdu = Pdu::new(pdu_type, msg_id, VarBinds::from_slice(&vbs));
        let engine = EngineInfo {
            id: ENGINE.to_vec(),
            boots: self.boots,
            time: self.time,
            learned_at: Instant::now(),
        };
        let mut out = Vec::new();
        security::encode_request(
            &self.user,
            &self.keys,
            &engine,
            engine.learned_at,
            msg_id,
            &pdu,
            99,
            &mut Vec::new(),
            &mut out,
        )
        .unwrap();
        out
    }
}

struct Sim {
    tracker: RequestTracker,
    now: Instant,
    buf: Vec<u8>,
}

impl Sim {
    fn new() -> Self {
        Self {
            tracker: RequestTracker::new(TrackerConfig::default(), 7),
            now: Instant::now(),
            buf: Vec::new(),
        }
    }

    fn get(&mut self, user: &Arc<UsmUser>) -> RequestHandle {
        let oid: Oid = "1.3.6.1.2.1.1.5.0".parse().unwrap();
        let vbs = [VarBind::null(oid.as_oid_ref())];
        let mut req = Request::new(
            agent(),
            Version::V3,
            b"",
            PduType::GetRequest,
            VarBinds::from_slice(&vbs),
        );
        req.user = Some(user.clone());
        self.tracker.start(&req).unwrap()
    }

    fn sent(&mut self) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(_t) = self.tracker.poll_transmit(self.now, &mut self.buf) {
            out.push(self.buf.clone());
        }
        out
    }

    /// Feeds a datagram; returns the value of the first binding of a completed reply.
    fn feed(&mut self, datagram: &[u8]) -> Option<String> {
        let now = self.now;
        self.tracker
            .handle(now, agent(), datagram)
            .map(|r| format!("{:?}", r.pdu.varbinds.to_vec().unwrap()[0].value))
    }
}

fn is_discovery(datagram: &[u8]) -> bool {
    let Message::V3(m) = Message::decode(datagram, &DecodeOptions::strict()).unwrap() else {
        return false;
    };
    m.flags == MsgFlags(MsgFlags::REPORTABLE) && m.usm().unwrap().engine_id.is_empty()
}

#[test]
fn discovery_then_auth_priv_get_then_no_more_discovery() {
    let alice = user(SecurityLevel::AuthPriv);
    let mut engine = Engine::new(&alice);
    let mut sim = Sim::new();
    sim.get(&alice);
    let first = sim.sent();
    assert_eq!(first.len(), 1);
    assert!(is_discovery(&first[0]));
    let Message::V3(probe) = Message::decode(&first[0], &DecodeOptions::strict()).unwrap() else {
        panic!()
    };
    assert!(
        sim.feed(&engine.report(probe.msg_id, UNKNOWN_ENGINE_IDS))
            .is_none()
    );
    let request = sim.sent();
    assert_eq!(
        request.len(),
        1,
        "the real request follows discovery at once"
    );
    let (msg_id, request_id, boots, time) = engine.open(&request[0]);
    assert_eq!((boots, time), (7, 1000));
    assert_eq!(msg_id, request_id);
    let reply = engine.secured(
        msg_id,
        PduType::Response,
        "1.3.6.1.2.1.1.5.0",
        Value::OctetString(b"r1"),
    );
    assert_eq!(sim.feed(&reply).as_deref(), Some("OctetString([114, 49])"));
    let s = *sim.tracker.stats();
    assert_eq!(
        (s.discoveries, s.responses, s.transmits, s.retransmits),
        (1, 1, 2, 0)
    );
    assert_eq!(sim.tracker.engine(agent()).unwrap().id, ENGINE);

    // the next GET to the same agent costs one datagram out, one in
    sim.now += Duration::from_secs(30);
    engine.time += 30;
    sim.get(&alice);
    let next = sim.sent();
    assert_eq!(next.len(), 1);
    assert!(!is_discovery(&next[0]));
    let (msg_id, _, _, time) = engine.open(&next[0]);
    assert_eq!(
        time, 1030,
        "the engine's clock is estimated from when it was learned"
    );
    let reply = engine.secured(
        msg_id,
        PduType::Response,
        "1.3.6.1.2.1.1.5.0",
        Value::Integer(5),
    );
    assert!(sim.feed(&reply).is_some());
    assert_eq!(sim.tracker.stats().transmits, 3);
}

#[test]
fn not_in_time_window_resynchronises_once_then_answers() {
    let alice = user(SecurityLevel::AuthPriv);
    let mut engine = Engine::new(&alice);
    let mut sim = Sim::new();
    sim.get(&alice);
    let probe = sim.sent();
    let Message::V3(p) = Message::decode(&probe[0], &DecodeOptions::strict()).unwrap() else {
        panic!()
    };
    sim.feed(&engine.report(p.msg_id, UNKNOWN_ENGINE_IDS));
    let req = sim.sent();
    let (msg_id, ..) = engine.open(&req[0]);
    // the agent rebooted meanwhile: it answers notInTimeWindow, authenticated
    engine.boots = 8;
    engine.time = 3;
    let report = engine.secured(
        msg_id,
        PduType::Report,
        NOT_IN_TIME_WINDOWS,
        Value::Counter32(1),
    );
    assert!(sim.feed(&report).is_none());
    let again = sim.sent();
    assert_eq!(again.len(), 1);
    let (msg_id2, _, boots, time) = engine.open(&again[0]);
    assert_eq!((msg_id2, boots, time), (msg_id, 8, 3));
    let reply = engine.secured(
        msg_id,
        PduType::Response,
        "1.3.6.1.2.1.1.5.0",
        Value::Integer(1),
    );
    assert!(sim.feed(&reply).is_some());
    assert_eq!(sim.tracker.stats().resyncs, 1);
}

#[test]
fn reports_end_the_request_with_a_typed_failure() {
    let alice = user(SecurityLevel::AuthPriv);
    let engine = Engine::new(&alice);
    let mut sim = Sim::new();
    let h = sim.get(&alice);
    let probe = sim.sent();
    let Message::V3(p) = Message::decode(&probe[0], &DecodeOptions::strict()).unwrap() else {
        panic!()
    };
    sim.feed(&engine.report(p.msg_id, UNKNOWN_ENGINE_IDS));
    let _ = sim.sent();
    assert!(
        sim.feed(&engine.report(p.msg_id, UNKNOWN_USER_NAMES))
            .is_none()
    );
    assert_eq!(
        sim.tracker.poll_event(),
        Some(Event::Failed {
            handle: h,
            target: agent(),
            reason: Failure::Report(ReportKind::UnknownUserName)
        })
    );
    assert_eq!(sim.tracker.in_flight(), 0);
    assert_eq!(ReportKind::UnknownUserName.to_string(), "Unknown user name");
}

#[test]
fn forged_or_wrong_key_replies_are_dropped_and_counted() {
    let alice = user(SecurityLevel::AuthPriv);
    let mut engine = Engine::new(&alice);
    let mut sim = Sim::new();
    sim.get(&alice);
    let probe = sim.sent();
    let Message::V3(p) = Message::decode(&probe[0], &DecodeOptions::strict()).unwrap() else {
        panic!()
    };
    sim.feed(&engine.report(p.msg_id, UNKNOWN_ENGINE_IDS));
    let req = sim.sent();
    let (msg_id, ..) = engine.open(&req[0]);
    let mut reply = engine.secured(
        msg_id,
        PduType::Response,
        "1.3.6.1.2.1.1.5.0",
        Value::Integer(1),
    );
    // flip one bit of the encrypted payload: the HMAC no longer verifies
    let last = reply.len() - 1;
    reply[last] ^= 1;
    assert!(sim.feed(&reply).is_none());
    assert_eq!(sim.tracker.stats().auth_failures, 1);
    // a reply from an agent with other keys (another password)
    let mallory = Arc::new(
        UsmUser::new(
            b"alice",
            SecurityLevel::AuthPriv,
            Some((AuthProtocol::Sha256, b"not-the-password")),
            Some((PrivProtocol::Aes128, b"privpass-456")),
        )
        .unwrap(),
    );
    let forger = Engine::new(&mallory);
    let forged = forger.secured(
        msg_id,
        PduType::Response,
        "1.3.6.1.2.1.1.5.0",
        Value::Integer(666),
    );
    assert!(sim.feed(&forged).is_none());
    assert_eq!(sim.tracker.stats().auth_failures, 2);
    // the genuine reply still completes it
    let good = engine.secured(
        msg_id,
        PduType::Response,
        "1.3.6.1.2.1.1.5.0",
        Value::Integer(1),
    );
    assert_eq!(sim.feed(&good).as_deref(), Some("Integer(1)"));
}

#[test]
fn no_auth_user_and_missing_passwords() {
    assert!(UsmUser::new(b"u", SecurityLevel::AuthNoPriv, None, None).is_err());
    assert!(
        UsmUser::new(
            b"u",
            SecurityLevel::AuthPriv,
            Some((AuthProtocol::Md5, b"12345678")),
            None
        )
        .is_err()
    );
    // a noAuthNoPriv user still discovers (the engine ID is needed), then sends in clear
    let bob = Arc::new(UsmUser::new(b"bob", SecurityLevel::NoAuthNoPriv, None, None).unwrap());
    let engine = Engine::new(&user(SecurityLevel::AuthPriv));
    let mut sim = Sim::new();
    sim.get(&bob);
    let probe = sim.sent();
    let Message::V3(p) = Message::decode(&probe[0], &DecodeOptions::strict()).unwrap() else {
        panic!()
    };
    sim.feed(&engine.report(p.msg_id, UNKNOWN_ENGINE_IDS));
    let req = sim.sent();
    let Message::V3(m) = Message::decode(&req[0], &DecodeOptions::strict()).unwrap() else {
        panic!()
    };
    assert_eq!(m.flags, MsgFlags(MsgFlags::REPORTABLE));
    assert_eq!(m.usm().unwrap().user_name, b"bob");
    assert!(matches!(m.data, ScopedPduData::Plaintext(_)));
}
