//! Fuzz target: a `RequestTracker` with requests pending, fed arbitrary datagrams.
//!
//! The input is a little program: each step is `[op, len, payload[len]]`. Ops hand the
//! tracker a raw datagram, a well-formed Response to one of its requests with a few
//! fuzzer-chosen byte flips, advance the clock, cancel or start a request. After every
//! step the tracker must not have panicked and its counters must add up:
//!
//! * every handled datagram lands in exactly one outcome counter (responses,
//!   duplicates, late, unknown_id, wrong_source, malformed, unexpected), and it is
//!   `responses` exactly when `handle` returned a reply;
//! * every started request is in flight, answered, timed out or cancelled:
//!   `requests == in_flight + responses + timeouts + cancelled`.

#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use nocwatch_snmp::{
    CommunityMessage, Oid, Pdu, PduType, Pdus, Request, RequestHandle, RequestTracker,
    TrackerConfig, TrackerStats, Value, VarBind, VarBinds, Version,
};

struct Sent {
    handle: RequestHandle,
    target: SocketAddr,
    version: Version,
}

fn outcomes(s: &TrackerStats) -> u64 {
    s.responses + s.duplicates + s.late + s.unknown_id + s.wrong_source + s.malformed + s.unexpected
}

fn check_lifecycle(t: &RequestTracker) {
    let s = t.stats();
    assert_eq!(
        s.requests,
        t.in_flight() as u64 + s.responses + s.timeouts + s.cancelled,
        "requests do not add up: {s:?}, in flight {}",
        t.in_flight()
    );
    assert!(s.transmits <= s.requests + s.retransmits, "{s:?}");
}

struct Harness {
    tracker: RequestTracker,
    sent: Vec<Sent>,
    now: Instant,
    targets: [SocketAddr; 2],
    name: Oid,
    buf: Vec<u8>,
}

impl Harness {
    fn new() -> Self {
        let config = TrackerConfig {
            timeout: Duration::from_secs(1),
            retries: 1,
            max_in_flight: 16,
            recent_capacity: 8,
            ..TrackerConfig::default()
        };
        let mut h = Self {
            tracker: RequestTracker::new(config, 7),
            sent: Vec::new(),
            now: Instant::now(),
            targets: [
                "192.0.2.1:161".parse().unwrap(),
                "192.0.2.2:161".parse().unwrap(),
            ],
            name: "1.3.6.1.2.1.1.1.0".parse().unwrap(),
            buf: Vec::new(),
        };
        h.start(0, Version::V2c, PduType::GetRequest);
        h.start(0, Version::V1, PduType::GetNextRequest);
        h.start(1, Version::V2c, PduType::GetBulkRequest);
        h.start(1, Version::V2c, PduType::SetRequest);
        h.drain();
        h
    }

    fn start(&mut self, target: usize, version: Version, pdu_type: PduType) {
        let target = self.targets[target % 2];
        let value = if pdu_type == PduType::SetRequest {
            Value::Integer(1)
        } else {
            Value::Null
        };
        let vbs = [VarBind {
            name: self.name.as_oid_ref(),
            value,
        }];
        let mut req = Request::new(
            target,
            version,
            b"public",
            pdu_type,
            VarBinds::from_slice(&vbs),
        );
        req.max_repetitions = 10;
        let before = *self.tracker.stats();
        match self.tracker.start(&req) {
            Ok(handle) => {
                assert_eq!(self.tracker.stats().requests, before.requests + 1);
                assert!(handle.request_id() > 0);
                self.sent.push(Sent {
                    handle,
                    target,
                    version,
                });
            }
            Err(_) => assert_eq!(*self.tracker.stats(), before),
        }
    }

    fn drain(&mut self) {
        while let Some(t) = self.tracker.poll_transmit(self.now, &mut self.buf) {
            assert!(t.attempt >= 1);
            assert!(!self.buf.is_empty());
        }
        while self.tracker.poll_event().is_some() {}
        let _ = self.tracker.poll_timeout();
    }

    fn handle(&mut self, from: SocketAddr, datagram: &[u8]) {
        let before = *self.tracker.stats();
        let in_flight = self.tracker.in_flight();
        // Copy what the checks need: the reply borrows the tracker.
        let reply = self
            .tracker
            .handle(self.now, from, datagram)
            .map(|r| (r.pdu.pdu_type, r.pdu.request_id, r.handle, r.version));
        let after = *self.tracker.stats();
        assert_eq!(
            outcomes(&after),
            outcomes(&before) + 1,
            "a datagram landed in {} counters: {before:?} -> {after:?}",
            outcomes(&after) - outcomes(&before)
        );
        match reply {
            Some((pdu_type, request_id, handle, version)) => {
                assert_eq!(after.responses, before.responses + 1);
                assert_eq!(self.tracker.in_flight() + 1, in_flight);
                assert_eq!(pdu_type, PduType::Response);
                assert_eq!(request_id, handle.request_id());
                let sent = self
                    .sent
                    .iter()
                    .find(|s| s.handle == handle)
                    .expect("reply completes a request we started");
                assert_eq!(sent.version, version);
                assert_eq!(sent.target, from);
            }
            None => {
                assert_eq!(after.responses, before.responses);
                assert_eq!(self.tracker.in_flight(), in_flight);
            }
        }
        check_lifecycle(&self.tracker);
    }

    /// A well-formed Response to request `k`, then `flips` applied as (position, xor)
    /// pairs.
    fn response(&self, k: usize, version_swap: bool, flips: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let Some(sent) = self.sent.get(k % self.sent.len().max(1)) else {
            return out;
        };
        let version = match (sent.version, version_swap) {
            (v, false) => v,
            (Version::V1, true) => Version::V2c,
            (_, true) => Version::V1,
        };
        let vbs = [VarBind {
            name: self.name.as_oid_ref(),
            value: Value::OctetString(b"Linux"),
        }];
        CommunityMessage {
            version,
            community: b"public",
            pdu: Pdus::Pdu(Pdu::new(
                PduType::Response,
                sent.handle.request_id(),
                VarBinds::from_slice(&vbs),
            )),
        }
        .encode(&mut out);
        for pair in flips.chunks_exact(2) {
            if let Some(b) = out.get_mut(usize::from(pair[0])) {
                *b ^= pair[1];
            }
        }
        out
    }
}

fuzz_target!(|data: &[u8]| {
    let mut h = Harness::new();
    let mut rest = data;
    let mut steps = 0;
    while let [op, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (payload, next) = tail.split_at(n);
        rest = next;
        steps += 1;
        if steps > 64 {
            break;
        }
        let from = h.targets[usize::from(op >> 7)];
        match op & 0x07 {
            0 | 5 | 6 => h.handle(from, payload),
            1 => {
                let d = h.response(usize::from(op >> 3 & 0x07), false, payload);
                h.handle(from, &d);
            }
            2 => {
                let d = h.response(usize::from(op >> 3 & 0x07), op & 0x40 != 0, payload);
                h.handle(from, &d);
            }
            3 => {
                let ms = payload.first().copied().unwrap_or(0);
                h.now += Duration::from_millis(u64::from(ms) * 20);
                h.tracker.handle_timeout(h.now);
                h.drain();
                check_lifecycle(&h.tracker);
            }
            4 => {
                if op & 0x08 != 0 {
                    let k = usize::from(op >> 4 & 0x07);
                    if let Some(s) = h.sent.get(k % h.sent.len().max(1)) {
                        let handle = s.handle;
                        h.tracker.cancel(handle);
                    }
                } else {
                    let pdu_type = match op >> 4 & 0x03 {
                        0 => PduType::GetRequest,
                        1 => PduType::GetNextRequest,
                        2 => PduType::GetBulkRequest,
                        _ => PduType::SetRequest,
                    };
                    let version = if op & 0x40 != 0 {
                        Version::V1
                    } else {
                        Version::V2c
                    };
                    let version = if pdu_type == PduType::GetBulkRequest {
                        Version::V2c
                    } else {
                        version
                    };
                    h.start(usize::from(op >> 7), version, pdu_type);
                }
                h.drain();
                check_lifecycle(&h.tracker);
            }
            _ => {
                // Raw datagram from an address that is neither target.
                h.handle("198.51.100.7:161".parse().unwrap(), payload);
            }
        }
    }
    check_lifecycle(&h.tracker);
});
