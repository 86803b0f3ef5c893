//! Deterministic receiver tests: senders built with the manager-side codec
//! (`security::encode_request`, `encode_discovery`) under a simulated clock.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use crate::crypto::{AuthProtocol, PrivProtocol};
use crate::message::MsgFlags;
use crate::oid::Oid;
use crate::pdu::TrapV1Pdu;
use crate::security::{EngineInfo, encode_discovery, encode_request, open, user_keys};
use crate::varbind::VarBind;

const OURS: &[u8] = b"\x80\x00\x00\x00\x05receiver";
const ENGINE_A: &[u8] = b"\x80\x00\x1f\x88\x04sender-a";
const ENGINE_B: &[u8] = b"\x80\x00\x1f\x88\x04sender-b";
const AUTH_PW: &[u8] = b"auth-password";
const PRIV_PW: &[u8] = b"priv-password";
const LINK_UP: &str = "1.3.6.1.6.3.1.1.5.4";

fn peer() -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 10], 50162))
}

fn user(name: &[u8], level: SecurityLevel, auth: &[u8], privacy: &[u8]) -> Arc<UsmUser> {
    Arc::new(
        UsmUser::new(
            name,
            level,
            Some((AuthProtocol::Sha256, auth)),
            Some((PrivProtocol::Aes128, privacy)),
        )
        .unwrap(),
    )
}

fn alice() -> Arc<UsmUser> {
    user(b"alice", SecurityLevel::AuthPriv, AUTH_PW, PRIV_PW)
}

/// A receiver (our engine: boots 7, started at `t0`) for alice and community "public".
fn receiver(t0: Instant) -> Receiver {
    let config = ReceiverConfig {
        communities: Some(vec![b"public".to_vec()]),
        users: vec![alice()],
        salt_seed: 99,
        ..ReceiverConfig::default()
    };
    Receiver::new(config, AuthoritativeEngine::new(OURS.to_vec(), 7, t0)).unwrap()
}

fn engine(id: &[u8], boots: u32, time: u32, at: Instant) -> EngineInfo {
    EngineInfo {
        id: id.to_vec(),
        boots,
        time,
        learned_at: at,
    }
}

/// sysUpTime.0, snmpTrapOID.0 = linkUp, ifIndex.1 = 1, encoded as VarBindList content.
fn bindings() -> Vec<u8> {
    let uptime: Oid = "1.3.6.1.2.1.1.3.0".parse().unwrap();
    let trap_oid: Oid = "1.3.6.1.6.3.1.1.4.1.0".parse().unwrap();
    let link_up: Oid = LINK_UP.parse().unwrap();
    let if_index: Oid = "1.3.6.1.2.1.2.2.1.1.1".parse().unwrap();
    let list = [
        VarBind {
            name: uptime.as_oid_ref(),
            value: Value::TimeTicks(1234),
        },
        VarBind {
            name: trap_oid.as_oid_ref(),
            value: Value::ObjectIdentifier(link_up.as_oid_ref()),
        },
        VarBind {
            name: if_index.as_oid_ref(),
            value: Value::Integer(1),
        },
    ];
    let mut out = Vec::new();
    VarBinds::encode_content(&list, &mut out);
    out
}

/// A v3 message from `user` for `engine` (the sender's own for traps, ours for
/// informs), as a notification sender encodes it.
fn v3(
    user: &UsmUser,
    engine: &EngineInfo,
    now: Instant,
    msg_id: i32,
    pdu_type: PduType,
    request_id: i32,
) -> Vec<u8> {
    let keys = user_keys(&mut KeyCache::new(16), user, &engine.id).unwrap();
    let vbs = bindings();
    let pdu = Pdu::new(pdu_type, request_id, VarBinds::encoded(&vbs));
    let (mut scratch, mut out) = (Vec::new(), Vec::new());
    encode_request(
        user,
        &keys,
        engine,
        now,
        msg_id,
        &pdu,
        msg_id as u64,
        &mut scratch,
        &mut out,
    )
    .unwrap();
    out
}

fn community(version: Version, community: &[u8], pdu: Pdus<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    CommunityMessage {
        version,
        community,
        pdu,
    }
    .encode(&mut out);
    out
}

/// What a test keeps of a notification once the receiver is free again.
#[derive(Debug)]
struct Seen {
    kind: NotificationKind,
    version: Version,
    name: Vec<u8>,
    engine_id: Vec<u8>,
    level: Option<SecurityLevel>,
    request_id: Option<i32>,
    trap_oid: Option<String>,
    bindings: Vec<u8>,
    ack: Option<InformAck>,
}

fn expect_notification(out: Outcome<'_>) -> Seen {
    let Outcome::Notification(n) = out else {
        panic!("expected a notification, got {out:?}")
    };
    let mut bindings = Vec::new();
    n.pdu.varbinds().encode(&mut Writer::new(&mut bindings));
    Seen {
        kind: n.kind,
        version: n.version,
        name: n.security_name().to_vec(),
        engine_id: match n.security {
            Security::Usm(u) => u.engine_id.to_vec(),
            Security::Community(_) => Vec::new(),
        },
        level: match n.security {
            Security::Usm(u) => Some(u.level),
            Security::Community(_) => None,
        },
        request_id: n.pdu.as_pdu().map(|p| p.request_id),
        trap_oid: n.trap_oid().map(|o| o.to_string()),
        bindings,
        ack: n.ack,
    }
}

fn expect_report(out: Outcome<'_>, kind: ReportKind) -> Vec<u8> {
    match out {
        Outcome::Report { kind: k, datagram } if k == kind => datagram.to_vec(),
        other => panic!("expected a {kind:?} Report, got {other:?}"),
    }
}

/// A decoded Report: (msgID, msgFlags, engine ID, boots, time, request-id, OID, counter).
#[derive(Debug, PartialEq)]
struct ReportSeen {
    msg_id: i32,
    flags: u8,
    engine_id: Vec<u8>,
    boots: i32,
    time: i32,
    request_id: i32,
    oid: String,
    counter: u32,
}

/// Decodes a Report; authenticated ones are verified with `keys`.
fn decode_report(bytes: &[u8], keys: Option<&UserKeys>) -> ReportSeen {
    let Message::V3(m) = Message::decode(bytes, &DecodeOptions::strict()).unwrap() else {
        panic!("not v3")
    };
    let mut scratch = Vec::new();
    let opened = open(bytes, &m, keys, &mut scratch, &DecodeOptions::strict()).unwrap();
    assert_eq!(opened.authenticated, m.flags.auth());
    assert_eq!(opened.pdu.pdu_type, PduType::Report);
    let vbs = opened.pdu.varbinds.to_vec().unwrap();
    let [vb] = vbs.as_slice() else {
        panic!("one binding expected: {vbs:?}")
    };
    let Value::Counter32(counter) = vb.value else {
        panic!("Counter32 expected: {vb:?}")
    };
    ReportSeen {
        msg_id: m.msg_id,
        flags: m.flags.0,
        engine_id: opened.usm.engine_id.to_vec(),
        boots: opened.usm.engine_boots,
        time: opened.usm.engine_time,
        request_id: opened.pdu.request_id,
        oid: vb.name.to_string(),
        counter,
    }
}

#[test]
fn traps_from_two_engines_share_one_user_and_localize_once_each() {
    let t0 = Instant::now();
    let mut rx = receiver(t0);
    let sender = alice();
    // The senders' clocks are their own (boots 3 and 90, any time): not checked.
    let a = engine(ENGINE_A, 3, 100, t0);
    let b = engine(ENGINE_B, 90, 2_000_000, t0);
    for (i, e) in [&a, &b, &a, &b].into_iter().enumerate() {
        let msg = v3(
            &sender,
            e,
            t0,
            10 + i as i32,
            PduType::SnmpV2Trap,
            500 + i as i32,
        );
        let seen = expect_notification(rx.handle(t0, peer(), &msg));
        assert_eq!(seen.kind, NotificationKind::Trap);
        assert_eq!(seen.version, Version::V3);
        assert_eq!(seen.name, b"alice");
        assert_eq!(seen.engine_id, e.id);
        assert_eq!(seen.level, Some(SecurityLevel::AuthPriv));
        assert_eq!(seen.request_id, Some(500 + i as i32));
        assert_eq!(seen.trap_oid.as_deref(), Some(LINK_UP));
        assert!(seen.ack.is_none());
    }
    assert_eq!(rx.stats().traps, 4);
    assert_eq!(rx.stats().reports, 0);
    let ks = rx.key_cache_stats();
    // One 1 MiB derivation per password (auth, priv), whatever the number of engines.
    assert_eq!(ks.ku_misses, 2, "{ks:?}");
    // Per engine: Kul for the auth password and for the priv password.
    assert_eq!(ks.kul_misses, 4, "{ks:?}");
    // One privacy key per engine, derived after the HMAC verified.
    assert_eq!(ks.priv_misses, 2, "{ks:?}");
    // The second trap of each engine used the prepared keys: no cache lookup at all.
    assert_eq!(ks.kul_hits + ks.ku_hits + ks.priv_hits, 2 + 2, "{ks:?}");
}

#[test]
fn trap_with_wrong_password_is_dropped_before_any_privacy_key_is_derived() {
    let t0 = Instant::now();
    let mut rx = receiver(t0);
    let forger = user(
        b"alice",
        SecurityLevel::AuthPriv,
        b"not-the-password",
        PRIV_PW,
    );
    let msg = v3(
        &forger,
        &engine(ENGINE_A, 1, 1, t0),
        t0,
        1,
        PduType::SnmpV2Trap,
        1,
    );
    let out = rx.handle(t0, peer(), &msg);
    assert!(
        matches!(
            out,
            Outcome::Dropped(DropReason::Usm(ReportKind::WrongDigest))
        ),
        "{out:?}"
    );
    assert_eq!(rx.stats().wrong_digests, 1);
    assert_eq!(rx.stats().reports, 0);
    assert_eq!(rx.stats().traps, 0);
    assert_eq!(rx.key_cache_stats().priv_misses, 0);
    // The right password from the same engine still works afterwards.
    let msg = v3(
        &alice(),
        &engine(ENGINE_A, 1, 1, t0),
        t0,
        2,
        PduType::SnmpV2Trap,
        2,
    );
    expect_notification(rx.handle(t0, peer(), &msg));
}

#[test]
fn trap_below_the_users_level_is_refused() {
    let t0 = Instant::now();
    let mut rx = receiver(t0);
    let downgraded =
        Arc::new(UsmUser::new(b"alice", SecurityLevel::NoAuthNoPriv, None, None).unwrap());
    let msg = v3(
        &downgraded,
        &engine(ENGINE_A, 1, 1, t0),
        t0,
        1,
        PduType::SnmpV2Trap,
        1,
    );
    let out = rx.handle(t0, peer(), &msg);
    assert!(
        matches!(
            out,
            Outcome::Dropped(DropReason::Usm(ReportKind::UnsupportedSecurityLevel))
        ),
        "{out:?}"
    );
    assert_eq!(rx.stats().unsupported_sec_levels, 1);
}

#[test]
fn no_auth_user_traps_are_accepted() {
    let t0 = Instant::now();
    let public =
        Arc::new(UsmUser::new(b"watcher", SecurityLevel::NoAuthNoPriv, None, None).unwrap());
    let config = ReceiverConfig {
        users: vec![public.clone()],
        ..ReceiverConfig::default()
    };
    let mut rx = Receiver::new(config, AuthoritativeEngine::new(OURS.to_vec(), 1, t0)).unwrap();
    let msg = v3(
        &public,
        &engine(ENGINE_A, 0, 0, t0),
        t0,
        1,
        PduType::SnmpV2Trap,
        9,
    );
    let seen = expect_notification(rx.handle(t0, peer(), &msg));
    assert_eq!(seen.level, Some(SecurityLevel::NoAuthNoPriv));
    assert_eq!(seen.trap_oid.as_deref(), Some(LINK_UP));
}

#[test]
fn inform_discovery_then_inform_then_ack() {
    let t0 = Instant::now();
    let mut rx = receiver(t0);
    let now = t0 + Duration::from_secs(5);

    // 1. The probe: noAuthNoPriv, reportable, empty engine ID.
    let mut probe = Vec::new();
    encode_discovery(4242, &mut probe);
    let report = expect_report(rx.handle(now, peer(), &probe), ReportKind::UnknownEngineId);
    let seen = decode_report(&report, None);
    assert_eq!(
        seen,
        ReportSeen {
            msg_id: 4242,
            flags: 0,
            engine_id: OURS.to_vec(),
            boots: 7,
            time: 5,
            request_id: 4242,
            oid: "1.3.6.1.6.3.15.1.1.4.0".into(),
            counter: 1,
        }
    );
    assert_eq!(rx.stats().discoveries, 1);

    // 2. The inform, with what the Report taught the sender.
    let learned = engine(&seen.engine_id, 7, 5, now);
    let later = now + Duration::from_secs(2);
    let inform = v3(&alice(), &learned, later, 4243, PduType::InformRequest, 777);
    let seen = expect_notification(rx.handle(later, peer(), &inform));
    assert_eq!(seen.kind, NotificationKind::Inform);
    assert_eq!(seen.engine_id, OURS);
    assert_eq!(seen.request_id, Some(777));
    assert_eq!(seen.trap_oid.as_deref(), Some(LINK_UP));
    assert_eq!(rx.stats().informs, 1);

    // 3. The ack: a Response from our engine, at the inform's level, same msgID,
    //    request-id, bindings and context, without reportableFlag.
    let ack = seen.ack.expect("an inform comes with its ack");
    assert_eq!(ack.peer(), peer());
    let bytes = ack.into_datagram();
    let Message::V3(m) = Message::decode(&bytes, &DecodeOptions::strict()).unwrap() else {
        panic!("not v3")
    };
    assert_eq!(m.msg_id, 4243);
    assert_eq!(m.flags.0, MsgFlags::AUTH | MsgFlags::PRIV);
    let keys = user_keys(&mut KeyCache::new(4), &alice(), OURS).unwrap();
    let mut scratch = Vec::new();
    let opened = open(
        &bytes,
        &m,
        Some(&keys),
        &mut scratch,
        &DecodeOptions::strict(),
    )
    .unwrap();
    assert!(opened.authenticated);
    assert_eq!(opened.usm.engine_id, OURS);
    assert_eq!(opened.usm.user_name, b"alice");
    assert_eq!((opened.usm.engine_boots, opened.usm.engine_time), (7, 7));
    assert_eq!(opened.pdu.pdu_type, PduType::Response);
    assert_eq!(opened.pdu.request_id, 777);
    assert_eq!((opened.pdu.error_status, opened.pdu.error_index), (0, 0));
    let mut response_bindings = Vec::new();
    opened
        .pdu
        .varbinds
        .encode(&mut Writer::new(&mut response_bindings));
    assert_eq!(response_bindings, seen.bindings);
}

#[test]
fn inform_outside_the_time_window_gets_an_authenticated_report() {
    let t0 = Instant::now();
    let mut rx = receiver(t0);
    let now = t0 + Duration::from_secs(1000);
    let keys = user_keys(&mut KeyCache::new(4), &alice(), OURS).unwrap();
    // Wrong boots (an earlier run of ours), then a clock 200 s ahead.
    for (i, (boots, time)) in [(6, 1000), (7, 1200)].into_iter().enumerate() {
        let inform = v3(
            &alice(),
            &engine(OURS, boots, time, now),
            now,
            60 + i as i32,
            PduType::InformRequest,
            1,
        );
        let report = expect_report(rx.handle(now, peer(), &inform), ReportKind::NotInTimeWindow);
        let seen = decode_report(&report, Some(&keys));
        assert_eq!(seen.flags, MsgFlags::AUTH, "authNoPriv, not reportable");
        assert_eq!(seen.msg_id, 60 + i as i32);
        assert_eq!((seen.boots, seen.time), (7, 1000));
        assert_eq!(seen.oid, "1.3.6.1.6.3.15.1.1.2.0");
        assert_eq!(seen.counter, i as u32 + 1);
    }
    assert_eq!(rx.stats().not_in_time_windows, 2);
    assert_eq!(rx.stats().informs, 0);
    // 140 s behind is inside the window.
    let inform = v3(
        &alice(),
        &engine(OURS, 7, 860, now),
        now,
        70,
        PduType::InformRequest,
        1,
    );
    expect_notification(rx.handle(now, peer(), &inform));
}

#[test]
fn inform_usm_errors_are_reported_unauthenticated() {
    let t0 = Instant::now();
    let only_auth = Arc::new(
        UsmUser::new(
            b"bob",
            SecurityLevel::AuthNoPriv,
            Some((AuthProtocol::Sha256, AUTH_PW)),
            None,
        )
        .unwrap(),
    );
    let config = ReceiverConfig {
        users: vec![alice(), only_auth],
        ..ReceiverConfig::default()
    };
    let mut rx = Receiver::new(config, AuthoritativeEngine::new(OURS.to_vec(), 7, t0)).unwrap();
    let ours = engine(OURS, 7, 0, t0);
    let cases = [
        (
            user(b"mallory", SecurityLevel::AuthPriv, AUTH_PW, PRIV_PW),
            ReportKind::UnknownUserName,
            "1.3.6.1.6.3.15.1.1.3.0",
        ),
        (
            user(b"alice", SecurityLevel::AuthPriv, b"wrong-auth-pw", PRIV_PW),
            ReportKind::WrongDigest,
            "1.3.6.1.6.3.15.1.1.5.0",
        ),
        (
            user(b"alice", SecurityLevel::AuthPriv, AUTH_PW, b"wrong-priv-pw"),
            ReportKind::DecryptionError,
            "1.3.6.1.6.3.15.1.1.6.0",
        ),
        (
            // bob has no privacy key: authPriv is above what he supports.
            user(b"bob", SecurityLevel::AuthPriv, AUTH_PW, PRIV_PW),
            ReportKind::UnsupportedSecurityLevel,
            "1.3.6.1.6.3.15.1.1.1.0",
        ),
    ];
    for (i, (sender, kind, oid)) in cases.into_iter().enumerate() {
        let msg_id = 300 + i as i32;
        let inform = v3(&sender, &ours, t0, msg_id, PduType::InformRequest, 5);
        let report = expect_report(rx.handle(t0, peer(), &inform), kind);
        let seen = decode_report(&report, None);
        assert_eq!(seen.flags, 0, "{kind:?}: unauthenticated");
        assert_eq!(seen.msg_id, msg_id);
        assert_eq!(seen.engine_id, OURS);
        assert_eq!(seen.oid, oid);
        assert_eq!(seen.counter, 1);
    }
    let s = rx.stats();
    assert_eq!(
        (
            s.unknown_user_names,
            s.wrong_digests,
            s.decryption_errors,
            s.unsupported_sec_levels,
            s.reports,
            s.informs
        ),
        (1, 1, 1, 1, 4, 0)
    );
}

#[test]
fn inform_keyed_for_another_engine_gets_unknown_engine_id() {
    let t0 = Instant::now();
    let mut rx = receiver(t0);
    // A sender with a stale engine ID of ours (say, before a re-install).
    let inform = v3(
        &alice(),
        &engine(ENGINE_A, 1, 1, t0),
        t0,
        77,
        PduType::InformRequest,
        8,
    );
    let report = expect_report(rx.handle(t0, peer(), &inform), ReportKind::UnknownEngineId);
    let seen = decode_report(&report, None);
    assert_eq!(seen.engine_id, OURS);
    assert_eq!(seen.request_id, 8);
    assert_eq!(rx.stats().unknown_engine_ids, 1);
    assert_eq!(rx.stats().discoveries, 0);
}

#[test]
fn trap_to_our_engine_id_is_time_checked_but_never_reported() {
    let t0 = Instant::now();
    let mut rx = receiver(t0);
    let keys = user_keys(&mut KeyCache::new(4), &alice(), OURS).unwrap();
    let vbs = bindings();
    // A trap keyed for our engine (snmptrap -e <our ID>), not reportable as traps are.
    let trap = |time: u32| {
        let (mut plain, mut out) = (Vec::new(), Vec::new());
        Seal {
            msg_id: 1,
            level: SecurityLevel::AuthPriv,
            keys: Some(&keys),
            engine_id: OURS,
            boots: 7,
            time,
            user_name: b"alice",
            context_engine_id: OURS,
            context_name: b"",
            pdu: Pdu::new(PduType::SnmpV2Trap, 1, VarBinds::encoded(&vbs)),
            salt: 1,
        }
        .encode(&mut plain, &mut out)
        .unwrap();
        out
    };
    let late = trap(5000);
    let out = rx.handle(t0, peer(), &late);
    assert!(
        matches!(
            out,
            Outcome::Dropped(DropReason::Usm(ReportKind::NotInTimeWindow))
        ),
        "{out:?}"
    );
    assert_eq!(rx.stats().not_in_time_windows, 1);
    assert_eq!(rx.stats().reports, 0);
    let on_time = trap(0);
    let seen = expect_notification(rx.handle(t0, peer(), &on_time));
    assert_eq!(
        (seen.kind, seen.engine_id.as_slice()),
        (NotificationKind::Trap, OURS)
    );
}

#[test]
fn community_notifications() {
    let t0 = Instant::now();
    let mut rx = receiver(t0);
    let vbs = bindings();

    let trap = community(
        Version::V2c,
        b"public",
        Pdus::Pdu(Pdu::new(PduType::SnmpV2Trap, 11, VarBinds::encoded(&vbs))),
    );
    let seen = expect_notification(rx.handle(t0, peer(), &trap));
    assert_eq!(
        (seen.kind, seen.version),
        (NotificationKind::Trap, Version::V2c)
    );
    assert_eq!(seen.name, b"public");
    assert_eq!(seen.trap_oid.as_deref(), Some(LINK_UP));
    assert!(seen.ack.is_none());

    let inform = community(
        Version::V2c,
        b"public",
        Pdus::Pdu(Pdu::new(
            PduType::InformRequest,
            12,
            VarBinds::encoded(&vbs),
        )),
    );
    let seen = expect_notification(rx.handle(t0, peer(), &inform));
    assert_eq!(seen.kind, NotificationKind::Inform);
    let ack = seen.ack.unwrap().into_datagram();
    let Message::Community(m) = Message::decode(&ack, &DecodeOptions::strict()).unwrap() else {
        panic!("not a community message")
    };
    assert_eq!((m.version, m.community), (Version::V2c, &b"public"[..]));
    let p = m.pdu.as_pdu().unwrap();
    assert_eq!(
        (p.pdu_type, p.request_id, p.error_status),
        (PduType::Response, 12, 0)
    );
    assert_eq!(p.varbinds.raw(), Some(vbs.as_slice()));

    let enterprise: Oid = "1.3.6.1.4.1.8072".parse().unwrap();
    let v1 = community(
        Version::V1,
        b"public",
        Pdus::TrapV1(TrapV1Pdu {
            enterprise: enterprise.as_oid_ref(),
            agent_addr: Ipv4Addr::new(192, 0, 2, 1),
            generic_trap: 6,
            specific_trap: 17,
            time_stamp: 55,
            varbinds: VarBinds::from_slice(&[]),
        }),
    );
    let Outcome::Notification(n) = rx.handle(t0, peer(), &v1) else {
        panic!("v1 trap refused")
    };
    let Pdus::TrapV1(t) = n.pdu else {
        panic!("not a v1 trap")
    };
    assert_eq!((n.kind, t.specific_trap), (NotificationKind::TrapV1, 17));
    assert_eq!(t.enterprise.to_string(), "1.3.6.1.4.1.8072");

    let bad = community(
        Version::V2c,
        b"private",
        Pdus::Pdu(Pdu::new(PduType::SnmpV2Trap, 13, VarBinds::encoded(&vbs))),
    );
    assert!(matches!(
        rx.handle(t0, peer(), &bad),
        Outcome::Dropped(DropReason::BadCommunity)
    ));
    let get = community(
        Version::V2c,
        b"public",
        Pdus::Pdu(Pdu::new(PduType::GetRequest, 14, VarBinds::encoded(&vbs))),
    );
    assert!(matches!(
        rx.handle(t0, peer(), &get),
        Outcome::Dropped(DropReason::UnexpectedPdu(PduType::GetRequest))
    ));
    assert!(matches!(
        rx.handle(t0, peer(), b"\x30\x03\x02\x01"),
        Outcome::Dropped(DropReason::Malformed)
    ));
    let s = rx.stats();
    assert_eq!(
        (
            s.traps,
            s.informs,
            s.v1_traps,
            s.bad_community_names,
            s.unexpected_pdus,
            s.malformed
        ),
        (1, 1, 1, 1, 1, 1)
    );
    assert_eq!(s.datagrams, 6);
}

#[test]
fn any_community_when_none_configured() {
    let t0 = Instant::now();
    let config = ReceiverConfig::default();
    let mut rx = Receiver::new(config, AuthoritativeEngine::new(OURS.to_vec(), 1, t0)).unwrap();
    let vbs = bindings();
    let trap = community(
        Version::V2c,
        b"anything",
        Pdus::Pdu(Pdu::new(PduType::SnmpV2Trap, 1, VarBinds::encoded(&vbs))),
    );
    expect_notification(rx.handle(t0, peer(), &trap));
}

#[test]
fn engine_ids_and_time() {
    let a = generate_engine_id(1);
    let b = generate_engine_id(2);
    assert_ne!(a, b);
    assert_eq!(a.len(), 13);
    assert_eq!(a[..5], [0x80, 0, 0, 0, ENGINE_ID_FORMAT_OCTETS]);
    assert!(is_valid_engine_id(&a));
    let t0 = Instant::now();
    let e = AuthoritativeEngine::new(a, 3, t0);
    assert_eq!(e.time(t0 + Duration::from_millis(2999)), 2);
    assert_eq!(e.time(t0), 0);
    let too_short = AuthoritativeEngine::new(vec![0x80, 0, 0], 1, t0);
    assert!(Receiver::new(ReceiverConfig::default(), too_short).is_err());
    let short_pw = ReceiverConfig {
        users: vec![user(b"x", SecurityLevel::AuthPriv, b"short", PRIV_PW)],
        ..ReceiverConfig::default()
    };
    assert!(Receiver::new(short_pw, e.clone()).is_err());
    let twice = ReceiverConfig {
        users: vec![alice(), alice()],
        ..ReceiverConfig::default()
    };
    assert!(Receiver::new(twice, e).is_err());
}

#[test]
fn pinned_user_only_matches_its_engine() {
    let t0 = Instant::now();
    let mut pinned = UsmUser::clone(&alice());
    pinned.engine_id = Some(ENGINE_A.to_vec());
    let config = ReceiverConfig {
        users: vec![Arc::new(pinned)],
        ..ReceiverConfig::default()
    };
    let mut rx = Receiver::new(config, AuthoritativeEngine::new(OURS.to_vec(), 1, t0)).unwrap();
    let from_a = v3(
        &alice(),
        &engine(ENGINE_A, 1, 1, t0),
        t0,
        1,
        PduType::SnmpV2Trap,
        1,
    );
    expect_notification(rx.handle(t0, peer(), &from_a));
    let from_b = v3(
        &alice(),
        &engine(ENGINE_B, 1, 1, t0),
        t0,
        2,
        PduType::SnmpV2Trap,
        2,
    );
    assert!(matches!(
        rx.handle(t0, peer(), &from_b),
        Outcome::Dropped(DropReason::Usm(ReportKind::UnknownUserName))
    ));
}

#[test]
fn inform_response_too_big_for_the_sender_becomes_too_big() {
    let t0 = Instant::now();
    let watcher =
        Arc::new(UsmUser::new(b"watcher", SecurityLevel::NoAuthNoPriv, None, None).unwrap());
    let config = ReceiverConfig {
        users: vec![watcher],
        ..ReceiverConfig::default()
    };
    let mut rx = Receiver::new(config, AuthoritativeEngine::new(OURS.to_vec(), 1, t0)).unwrap();
    let name: Oid = "1.3.6.1.2.1.1.1.0".parse().unwrap();
    let big = [b'x'; 600];
    let vbs = [VarBind {
        name: name.as_oid_ref(),
        value: Value::OctetString(&big),
    }];
    let usm = UsmSecurityParameters {
        engine_id: OURS,
        engine_boots: 1,
        user_name: b"watcher",
        ..UsmSecurityParameters::default()
    }
    .to_vec();
    let mut inform = Vec::new();
    V3Message {
        msg_id: 5,
        max_size: 484,
        flags: MsgFlags(MsgFlags::REPORTABLE),
        security_model: USM_SECURITY_MODEL,
        security_params: &usm,
        security_params_offset: 0,
        data: ScopedPduData::Plaintext(ScopedPdu {
            context_engine_id: OURS,
            context_name: b"",
            pdu: Pdus::Pdu(Pdu::new(
                PduType::InformRequest,
                31,
                VarBinds::from_slice(&vbs),
            )),
        }),
    }
    .encode(&mut inform);
    let seen = expect_notification(rx.handle(t0, peer(), &inform));
    let ack = seen.ack.unwrap().into_datagram();
    assert!(ack.len() <= 484, "{}", ack.len());
    let Message::V3(m) = Message::decode(&ack, &DecodeOptions::strict()).unwrap() else {
        panic!("not v3")
    };
    let ScopedPduData::Plaintext(s) = m.data else {
        panic!("noAuthNoPriv ack is in clear")
    };
    let p = s.pdu.as_pdu().unwrap();
    assert_eq!((p.pdu_type, p.request_id), (PduType::Response, 31));
    assert_eq!((p.status(), p.error_index), (ErrorStatus::TooBig, 0));
    assert_eq!(p.varbinds.validate().unwrap(), 0);
}
