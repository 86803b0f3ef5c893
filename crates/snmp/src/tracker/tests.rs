//! Deterministic tests of the request tracker: a simulated clock, a scripted agent.

use super::*;
use crate::oid::Oid;
use crate::value::Value;
use crate::varbind::VarBind;

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

struct Sim {
    tracker: RequestTracker,
    now: Instant,
    buf: Vec<u8>,
}

impl Sim {
    fn new(config: TrackerConfig) -> Self {
        Self {
            tracker: RequestTracker::new(config, 42),
            now: Instant::now(),
            buf: Vec::new(),
        }
    }

    fn start_get(&mut self, target: SocketAddr, oid: &Oid) -> RequestHandle {
        let vbs = [VarBind::null(oid.as_oid_ref())];
        let req = Request::new(
            target,
            Version::V2c,
            b"public",
            PduType::GetRequest,
            VarBinds::from_slice(&vbs),
        );
        self.tracker.start(&req).unwrap()
    }

    /// Drains transmits, returning (destination, datagram) pairs.
    fn sent(&mut self) -> Vec<(SocketAddr, Vec<u8>)> {
        let mut out = Vec::new();
        while let Some(t) = self.tracker.poll_transmit(self.now, &mut self.buf) {
            out.push((t.destination, self.buf.clone()));
        }
        out
    }

    fn advance(&mut self, d: Duration) {
        self.now += d;
        self.tracker.handle_timeout(self.now);
    }
}

/// What an agent would answer to `request`: same id, one Integer binding.
fn answer(request: &[u8], id_delta: i32, version: Version) -> Vec<u8> {
    let Message::Community(m) = Message::decode(request, &DecodeOptions::strict()).unwrap() else {
        panic!("not a community message")
    };
    let Pdus::Pdu(p) = m.pdu else { panic!() };
    let vbs: Vec<VarBind<'_>> = p
        .varbinds
        .iter()
        .map(|vb| VarBind {
            name: vb.unwrap().name,
            value: Value::Integer(7),
        })
        .collect();
    let resp = CommunityMessage {
        version,
        community: m.community,
        pdu: Pdus::Pdu(Pdu::new(
            PduType::Response,
            p.request_id.wrapping_add(id_delta),
            VarBinds::from_slice(&vbs),
        )),
    };
    let mut out = Vec::new();
    resp.encode(&mut out);
    out
}

fn sys_descr() -> Oid {
    "1.3.6.1.2.1.1.1.0".parse().unwrap()
}

#[test]
fn get_is_answered() {
    let mut sim = Sim::new(TrackerConfig::default());
    let h = sim.start_get(addr(161), &sys_descr());
    let sent = sim.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, addr(161));
    sim.now += Duration::from_millis(3);
    let reply = answer(&sent[0].1, 0, Version::V2c);
    let now = sim.now;
    let r = sim.tracker.handle(now, addr(161), &reply).unwrap();
    assert_eq!(r.handle, h);
    assert_eq!(r.rtt, Duration::from_millis(3));
    assert_eq!(r.attempts, 1);
    let vbs = r.pdu.varbinds.to_vec().unwrap();
    assert_eq!(vbs[0].value, Value::Integer(7));
    assert_eq!(sim.tracker.in_flight(), 0);
    assert_eq!(sim.tracker.poll_timeout(), None);
}

#[test]
fn retries_then_times_out() {
    let config = TrackerConfig {
        timeout: Duration::from_secs(1),
        retries: 2,
        ..TrackerConfig::default()
    };
    let mut sim = Sim::new(config);
    let h = sim.start_get(addr(161), &sys_descr());
    let first = sim.sent();
    assert_eq!(
        sim.tracker.poll_timeout(),
        Some(sim.now + Duration::from_secs(1))
    );
    sim.advance(Duration::from_millis(999));
    assert!(sim.sent().is_empty(), "no retry before the deadline");
    sim.advance(Duration::from_millis(1));
    let second = sim.sent();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].1, first[0].1, "a retry resends the same datagram");
    sim.advance(Duration::from_secs(1));
    assert_eq!(sim.sent().len(), 1);
    assert_eq!(sim.tracker.poll_event(), None);
    sim.advance(Duration::from_secs(1));
    assert!(sim.sent().is_empty());
    assert_eq!(
        sim.tracker.poll_event(),
        Some(Event::TimedOut {
            handle: h,
            target: addr(161)
        })
    );
    let s = sim.tracker.stats();
    assert_eq!((s.transmits, s.retransmits, s.timeouts), (3, 2, 1));
    assert_eq!(sim.tracker.poll_timeout(), None);

    // The agent finally answers the first attempt: late, not matched.
    let reply = answer(&first[0].1, 0, Version::V2c);
    let now = sim.now;
    assert!(sim.tracker.handle(now, addr(161), &reply).is_none());
    assert_eq!(sim.tracker.stats().late, 1);
}

#[test]
fn reply_to_a_retransmission_completes_and_duplicates_are_counted() {
    let mut sim = Sim::new(TrackerConfig::default());
    sim.start_get(addr(161), &sys_descr());
    let first = sim.sent();
    sim.advance(Duration::from_secs(1));
    let _retry = sim.sent();
    let reply = answer(&first[0].1, 0, Version::V2c);
    let now = sim.now;
    let r = sim.tracker.handle(now, addr(161), &reply).unwrap();
    assert_eq!(r.attempts, 2);
    // the answer to the other attempt arrives too
    assert!(sim.tracker.handle(now, addr(161), &reply).is_none());
    assert_eq!(sim.tracker.stats().duplicates, 1);
    // and the pending retry timer is dead
    assert_eq!(sim.tracker.poll_timeout(), None);
    sim.advance(Duration::from_secs(10));
    assert!(sim.sent().is_empty());
    assert_eq!(sim.tracker.poll_event(), None);
}

#[test]
fn wrong_id_source_version_and_garbage_are_dropped_and_counted() {
    let mut sim = Sim::new(TrackerConfig::default());
    let h = sim.start_get(addr(161), &sys_descr());
    let sent = sim.sent();
    let now = sim.now;
    let wrong_id = answer(&sent[0].1, 1, Version::V2c);
    assert!(sim.tracker.handle(now, addr(161), &wrong_id).is_none());
    let right = answer(&sent[0].1, 0, Version::V2c);
    assert!(sim.tracker.handle(now, addr(162), &right).is_none());
    let v1 = answer(&sent[0].1, 0, Version::V1);
    assert!(sim.tracker.handle(now, addr(161), &v1).is_none());
    assert!(
        sim.tracker
            .handle(now, addr(161), &[0x30, 0x03, 0x02])
            .is_none()
    );
    assert!(
        sim.tracker.handle(now, addr(161), &sent[0].1).is_none(),
        "a request is not a reply"
    );
    let s = *sim.tracker.stats();
    assert_eq!(s.unknown_id, 1);
    assert_eq!(s.wrong_source, 1);
    assert_eq!(s.unexpected, 2);
    assert_eq!(s.malformed, 1);
    // the genuine reply still completes the request
    assert_eq!(
        sim.tracker.handle(now, addr(161), &right).unwrap().handle,
        h
    );
}

#[test]
fn source_check_can_be_disabled_for_multihomed_agents() {
    let mut sim = Sim::new(TrackerConfig {
        check_source: false,
        ..TrackerConfig::default()
    });
    sim.start_get(addr(161), &sys_descr());
    let sent = sim.sent();
    let reply = answer(&sent[0].1, 0, Version::V2c);
    let now = sim.now;
    assert!(sim.tracker.handle(now, addr(9999), &reply).is_some());
}

#[test]
fn many_in_flight_get_distinct_ids_and_match_out_of_order() {
    let mut sim = Sim::new(TrackerConfig::default());
    let mut handles = Vec::new();
    for port in 0..2000u16 {
        handles.push(sim.start_get(addr(10000 + port), &sys_descr()));
    }
    let sent = sim.sent();
    assert_eq!(sent.len(), 2000);
    let mut ids: Vec<i32> = handles.iter().map(|h| h.request_id()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 2000);
    assert!(ids.iter().all(|&i| i > 0));
    let now = sim.now;
    for (dest, dgram) in sent.iter().rev() {
        let reply = answer(dgram, 0, Version::V2c);
        assert!(sim.tracker.handle(now, *dest, &reply).is_some());
    }
    assert_eq!(sim.tracker.in_flight(), 0);
    assert_eq!(sim.tracker.stats().responses, 2000);
}

#[test]
fn limits_and_cancel() {
    let mut sim = Sim::new(TrackerConfig {
        max_in_flight: 1,
        ..TrackerConfig::default()
    });
    let h = sim.start_get(addr(161), &sys_descr());
    let oid = sys_descr();
    let vbs = [VarBind::null(oid.as_oid_ref())];
    let req = Request::new(
        addr(161),
        Version::V2c,
        b"public",
        PduType::GetRequest,
        VarBinds::from_slice(&vbs),
    );
    assert!(matches!(
        sim.tracker.start(&req),
        Err(Error::TooManyInFlight { limit: 1 })
    ));
    let resp = Request::new(
        addr(161),
        Version::V2c,
        b"public",
        PduType::Response,
        VarBinds::from_slice(&vbs),
    );
    assert!(matches!(
        sim.tracker.start(&resp),
        Err(Error::NotARequest(_))
    ));
    let sent = sim.sent();
    assert!(sim.tracker.cancel(h));
    assert!(!sim.tracker.cancel(h));
    let reply = answer(&sent[0].1, 0, Version::V2c);
    let now = sim.now;
    assert!(sim.tracker.handle(now, addr(161), &reply).is_none());
    assert_eq!(sim.tracker.stats().late, 1);
    assert!(sim.tracker.start(&req).is_ok());
}

#[test]
fn per_request_timeout_overrides_and_timer_order() {
    let mut sim = Sim::new(TrackerConfig {
        retries: 0,
        ..TrackerConfig::default()
    });
    let oid = sys_descr();
    let vbs = [VarBind::null(oid.as_oid_ref())];
    let mut slow = Request::new(
        addr(1),
        Version::V1,
        b"c",
        PduType::GetNextRequest,
        VarBinds::from_slice(&vbs),
    );
    slow.timeout = Some(Duration::from_secs(5));
    let mut fast = slow.clone();
    fast.target = addr(2);
    fast.timeout = Some(Duration::from_millis(100));
    let hs = sim.tracker.start(&slow).unwrap();
    let hf = sim.tracker.start(&fast).unwrap();
    let _ = sim.sent();
    assert_eq!(
        sim.tracker.poll_timeout(),
        Some(sim.now + Duration::from_millis(100))
    );
    sim.advance(Duration::from_millis(100));
    assert_eq!(
        sim.tracker.poll_event(),
        Some(Event::TimedOut {
            handle: hf,
            target: addr(2)
        })
    );
    assert_eq!(
        sim.tracker.poll_timeout(),
        Some(sim.now + Duration::from_millis(4900))
    );
    sim.advance(Duration::from_secs(5));
    assert_eq!(
        sim.tracker.poll_event(),
        Some(Event::TimedOut {
            handle: hs,
            target: addr(1)
        })
    );
}
