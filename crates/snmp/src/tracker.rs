//! Request tracking for a manager, in the quinn-proto manner.
//!
//! A [`RequestTracker`] owns every request in flight on one socket: it encodes each
//! request once, hands datagrams out through [`RequestTracker::poll_transmit`],
//! matches responses by request-id in [`RequestTracker::handle`], and retries or
//! times out in [`RequestTracker::handle_timeout`]. It reads no clock and owns no
//! socket: the driver passes `now` in and moves the bytes, so a test can play a
//! whole retry sequence, late and duplicate answers included, in microseconds.
//!
//! Request-ids come from a seeded generator (the driver seeds it from the OS, tests
//! from a constant), are never zero, never negative (some agents mishandle negative
//! ids) and never reused while a request or its recent history holds them. A
//! retransmission reuses the request-id, as net-snmp does, so a reply to any attempt
//! completes the request; replies after completion are counted as duplicates, after a
//! timeout as late, and ids never issued as unknown.

use std::cmp::Reverse;
use std::collections::hash_map::Entry;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use std::sync::Arc;

use crate::error::Error;
use crate::message::{CommunityMessage, Message, Version};
use crate::options::DecodeOptions;
use crate::pdu::{Pdu, PduType, Pdus};
use crate::security::{EngineInfo, ReportKind, UsmUser};
use crate::varbind::VarBinds;

/// Tuning for a [`RequestTracker`].
#[derive(Debug, Clone)]
pub struct TrackerConfig {
    /// Time to wait for each attempt (net-snmp's `-t`, default 1 s).
    pub timeout: Duration,
    /// Retransmissions after the first attempt (net-snmp's `-r`, default 5).
    pub retries: u32,
    /// Requests allowed in flight at once.
    pub max_in_flight: usize,
    /// Accept a reply only from the address the request went to. Multi-homed agents
    /// that answer from another address need this off.
    pub check_source: bool,
    /// How many completed or timed-out request-ids to remember, to tell late and
    /// duplicate replies from unknown ones.
    pub recent_capacity: usize,
    /// The largest request to send (65507, the UDP payload limit, as net-snmp).
    pub max_message_size: usize,
    /// How to decode replies.
    pub decode: DecodeOptions,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(1),
            retries: 5,
            max_in_flight: 1 << 16,
            check_source: true,
            recent_capacity: 4096,
            max_message_size: 65507,
            decode: DecodeOptions::default(),
        }
    }
}

/// A request to start.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// Where to send it.
    pub target: SocketAddr,
    /// V1, V2c or V3.
    pub version: Version,
    /// The community (v1, v2c).
    pub community: &'a [u8],
    /// The USM user (v3).
    pub user: Option<Arc<UsmUser>>,
    /// Get, GetNext, GetBulk, Set or Inform.
    pub pdu_type: PduType,
    /// The bindings (NULL values except for Set and Inform).
    pub varbinds: VarBinds<'a>,
    /// GetBulk non-repeaters.
    pub non_repeaters: i32,
    /// GetBulk max-repetitions.
    pub max_repetitions: i32,
    /// Overrides [`TrackerConfig::timeout`].
    pub timeout: Option<Duration>,
    /// Overrides [`TrackerConfig::retries`].
    pub retries: Option<u32>,
}

impl<'a> Request<'a> {
    /// A request with default bulk fields and the tracker's timeout and retries.
    pub fn new(
        target: SocketAddr,
        version: Version,
        community: &'a [u8],
        pdu_type: PduType,
        varbinds: VarBinds<'a>,
    ) -> Self {
        Self {
            target,
            version,
            community,
            user: None,
            pdu_type,
            varbinds,
            non_repeaters: 0,
            max_repetitions: 0,
            timeout: None,
            retries: None,
        }
    }
}

/// Identifies a request for its whole life, independently of its wire request-id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestHandle {
    seq: u64,
    request_id: i32,
}

impl RequestHandle {
    /// The request-id on the wire.
    pub fn request_id(&self) -> i32 {
        self.request_id
    }
}

/// A datagram to send, written into the caller's buffer by
/// [`RequestTracker::poll_transmit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transmit {
    /// Where to send it.
    pub destination: SocketAddr,
    /// Which request it belongs to.
    pub handle: RequestHandle,
    /// 1 for the first attempt, 2 for the first retransmission, ...
    pub attempt: u32,
}

/// A matched reply, borrowing the datagram it came in.
#[derive(Debug, Clone, Copy)]
pub struct Response<'a> {
    /// The request it answers.
    pub handle: RequestHandle,
    /// The reply's version.
    pub version: Version,
    /// The reply's PDU (always an RFC 3416-shaped Response).
    pub pdu: Pdu<'a>,
    /// Time since the last attempt was handed out.
    pub rtt: Duration,
    /// Attempts made.
    pub attempts: u32,
}

/// Something that happened without a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Every attempt went unanswered.
    TimedOut {
        /// The request.
        handle: RequestHandle,
        /// Where it was sent.
        target: SocketAddr,
    },
    /// The request cannot succeed: the agent reported a USM error (unknown user, wrong
    /// digest...), or the request could not be secured (bad key material).
    Failed {
        /// The request.
        handle: RequestHandle,
        /// Where it was sent.
        target: SocketAddr,
        /// Why.
        reason: Failure,
    },
}

/// Why a request failed without timing out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The agent answered with a Report of this kind.
    Report(ReportKind),
    /// The request could not be encoded or secured.
    Security(Error),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Report(k) => k.fmt(f),
            Self::Security(e) => e.fmt(f),
        }
    }
}

/// Counters, for the operator and for tests: every datagram that is not a valid reply
/// to a pending request lands in exactly one of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrackerStats {
    /// Requests started.
    pub requests: u64,
    /// Datagrams handed out (first attempts and retransmissions).
    pub transmits: u64,
    /// Retransmissions.
    pub retransmits: u64,
    /// Replies matched to a pending request.
    pub responses: u64,
    /// Requests that ran out of attempts.
    pub timeouts: u64,
    /// Replies to requests that already had one.
    pub duplicates: u64,
    /// Replies to requests that had timed out or been cancelled.
    pub late: u64,
    /// Replies carrying a request-id we never issued (or forgot).
    pub unknown_id: u64,
    /// Replies from another address than the target (with `check_source`).
    pub wrong_source: u64,
    /// Datagrams that did not decode.
    pub malformed: u64,
    /// Well-formed datagrams that are not a Response of the request's version.
    pub unexpected: u64,
    /// Requests cancelled by the caller.
    pub cancelled: u64,
    /// SNMPv3 engine discoveries completed.
    pub discoveries: u64,
    /// SNMPv3 time-window resynchronisations.
    pub resyncs: u64,
    /// SNMPv3 replies whose HMAC did not verify (dropped).
    pub auth_failures: u64,
    /// SNMPv3 replies that did not decrypt (dropped).
    pub decrypt_failures: u64,
    /// Requests ended by an agent's Report or a security error.
    pub failures: u64,
}

#[derive(Debug)]
struct Pending {
    seq: u64,
    target: SocketAddr,
    version: Version,
    datagram: Vec<u8>,
    timeout: Duration,
    attempts_left: u32,
    attempts: u32,
    sent_at: Option<Instant>,
    deadline: Option<Instant>,
    /// The SNMPv3 recipe: v3 datagrams are encoded when sent (they carry the
    /// engine's time) and again after discovery or a time resynchronisation.
    v3: Option<Box<v3::V3State>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Answered,
    Expired,
}

/// Tracks the requests in flight on one socket. See the module docs.
#[derive(Debug)]
pub struct RequestTracker {
    config: TrackerConfig,
    rng: u64,
    next_seq: u64,
    pending: HashMap<i32, Pending>,
    timers: BinaryHeap<Reverse<(Instant, i32, u64)>>,
    to_send: VecDeque<(i32, u64)>,
    events: VecDeque<Event>,
    recent: HashMap<i32, Outcome>,
    recent_order: VecDeque<i32>,
    stats: TrackerStats,
    /// SNMPv3 state: engines, keys, buffers.
    usm: v3::UsmState,
}

impl RequestTracker {
    /// A tracker whose request-ids derive from `seed`.
    pub fn new(config: TrackerConfig, seed: u64) -> Self {
        Self {
            config,
            rng: seed ^ 0x9e37_79b9_7f4a_7c15,
            next_seq: 1,
            pending: HashMap::new(),
            timers: BinaryHeap::new(),
            to_send: VecDeque::new(),
            events: VecDeque::new(),
            recent: HashMap::new(),
            recent_order: VecDeque::new(),
            stats: TrackerStats::default(),
            usm: v3::UsmState::new(seed),
        }
    }

    /// What discovery learned of the engine at `target`.
    pub fn engine(&self, target: SocketAddr) -> Option<&EngineInfo> {
        self.usm.engines.get(&target)
    }

    /// Forgets what discovery learned of the engine at `target` (the target left
    /// the topology): the next v3 request to it discovers again. Returns whether
    /// anything was known.
    pub fn forget_engine(&mut self, target: SocketAddr) -> bool {
        self.usm.engines.remove(&target).is_some()
    }

    /// How many engines discovery has learned (one per v3 target polled).
    pub fn engines_known(&self) -> usize {
        self.usm.engines.len()
    }

    /// The USM key cache's counters: how many password-to-key derivations and
    /// localisations this tracker ran, and how many it answered from the cache.
    pub fn key_stats(&self) -> crate::crypto::KeyCacheStats {
        self.usm.key_stats()
    }

    /// The configuration.
    pub fn config(&self) -> &TrackerConfig {
        &self.config
    }

    /// The counters.
    pub fn stats(&self) -> &TrackerStats {
        &self.stats
    }

    /// Requests in flight.
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// Starts a request: encodes it and queues its first transmission. Call
    /// [`poll_transmit`](Self::poll_transmit) afterwards.
    pub fn start(&mut self, req: &Request<'_>) -> Result<RequestHandle, Error> {
        if !req.pdu_type.is_request() {
            return Err(Error::NotARequest(req.pdu_type.name()));
        }
        if self.pending.len() >= self.config.max_in_flight {
            return Err(Error::TooManyInFlight {
                limit: self.config.max_in_flight,
            });
        }
        let request_id = self.fresh_id();
        let varbinds = req.varbinds;
        if req.version == Version::V3 {
            return self.start_v3(req, request_id);
        }
        let pdu = if req.pdu_type == PduType::GetBulkRequest {
            Pdu::get_bulk(request_id, req.non_repeaters, req.max_repetitions, varbinds)
        } else {
            Pdu::new(req.pdu_type, request_id, varbinds)
        };
        let msg = CommunityMessage {
            version: req.version,
            community: req.community,
            pdu: Pdus::Pdu(pdu),
        };
        let mut datagram = Vec::with_capacity(128);
        msg.encode(&mut datagram);
        if datagram.len() > self.config.max_message_size {
            return Err(Error::MessageTooLarge {
                size: datagram.len(),
                max: self.config.max_message_size,
            });
        }
        Ok(self.enqueue(req, request_id, datagram, None))
    }

    /// Records a new pending request and queues its first transmission.
    fn enqueue(
        &mut self,
        req: &Request<'_>,
        request_id: i32,
        datagram: Vec<u8>,
        v3: Option<Box<v3::V3State>>,
    ) -> RequestHandle {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.pending.insert(
            request_id,
            Pending {
                seq,
                target: req.target,
                version: req.version,
                datagram,
                timeout: req.timeout.unwrap_or(self.config.timeout),
                attempts_left: req.retries.unwrap_or(self.config.retries),
                attempts: 0,
                sent_at: None,
                deadline: None,
                v3,
            },
        );
        self.to_send.push_back((request_id, seq));
        self.stats.requests += 1;
        RequestHandle { seq, request_id }
    }

    /// Writes the next datagram to send into `buf` (cleared first). Call it until it
    /// returns `None` after every `start`, `handle_timeout` and `handle`.
    #[must_use]
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        while let Some((id, seq)) = self.to_send.pop_front() {
            let Some(p) = self.pending.get_mut(&id) else {
                continue;
            };
            if p.seq != seq {
                continue;
            }
            let encoded = if p.datagram.is_empty() && p.v3.is_some() {
                v3::encode(p, id, now, &mut self.usm)
            } else {
                Ok(())
            };
            if let Err(reason) = encoded {
                let target = p.target;
                self.pending.remove(&id);
                self.fail(id, seq, target, reason);
                continue;
            }
            buf.clear();
            buf.extend_from_slice(&p.datagram);
            p.attempts += 1;
            p.sent_at = Some(now);
            let deadline = now + p.timeout;
            p.deadline = Some(deadline);
            self.timers.push(Reverse((deadline, id, seq)));
            self.stats.transmits += 1;
            return Some(Transmit {
                destination: p.target,
                handle: RequestHandle {
                    seq,
                    request_id: id,
                },
                attempt: p.attempts,
            });
        }
        None
    }

    /// The earliest instant at which [`handle_timeout`](Self::handle_timeout) has
    /// work to do. Call again after every other method.
    #[must_use]
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        while let Some(Reverse((deadline, id, seq))) = self.timers.peek().copied() {
            if self.timer_is_live(deadline, id, seq) {
                return Some(deadline);
            }
            self.timers.pop();
        }
        None
    }

    /// Retransmits or expires every request whose deadline is at or before `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(Reverse((deadline, id, seq))) = self.timers.peek().copied() {
            if deadline > now {
                break;
            }
            self.timers.pop();
            if !self.timer_is_live(deadline, id, seq) {
                continue;
            }
            let Entry::Occupied(mut e) = self.pending.entry(id) else {
                continue;
            };
            let p = e.get_mut();
            if p.attempts_left > 0 {
                p.attempts_left -= 1;
                p.deadline = None;
                self.to_send.push_back((id, seq));
                self.stats.retransmits += 1;
            } else {
                let p = e.remove();
                self.stats.timeouts += 1;
                self.remember(id, Outcome::Expired);
                self.events.push_back(Event::TimedOut {
                    handle: RequestHandle {
                        seq,
                        request_id: id,
                    },
                    target: p.target,
                });
            }
        }
    }

    /// The next event (timeouts). Call until `None` after `handle_timeout`.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Forgets a request; a reply that still arrives is counted as late.
    pub fn cancel(&mut self, handle: RequestHandle) -> bool {
        match self.pending.get(&handle.request_id) {
            Some(p) if p.seq == handle.seq => {
                self.pending.remove(&handle.request_id);
                self.remember(handle.request_id, Outcome::Expired);
                self.stats.cancelled += 1;
                true
            }
            _ => false,
        }
    }

    /// Offers a received datagram. Returns the reply it completes, if any; anything
    /// else is counted in [`TrackerStats`] and dropped.
    ///
    /// A v3 reply is verified and decrypted into a buffer the tracker owns, which is
    /// why the reply borrows the tracker until it is dropped.
    pub fn handle<'s>(
        &'s mut self,
        now: Instant,
        from: SocketAddr,
        datagram: &'s [u8],
    ) -> Option<Response<'s>> {
        let msg = match Message::decode(datagram, &self.config.decode) {
            Ok(Message::Community(m)) => m,
            Ok(Message::V3(m)) => return self.handle_v3(now, from, datagram, m),
            Err(error) => {
                tracing::debug!(%from, %error, "Dropped undecodable reply.");
                self.stats.malformed += 1;
                return None;
            }
        };
        let Pdus::Pdu(pdu) = msg.pdu else {
            self.stats.unexpected += 1;
            return None;
        };
        if pdu.pdu_type != PduType::Response {
            self.stats.unexpected += 1;
            return None;
        }
        let id = pdu.request_id;
        let p = self.matching(id, from, msg.version)?;
        if p.version != msg.version {
            self.stats.unexpected += 1;
            return None;
        }
        let p = self.pending.remove(&id)?;
        self.remember(id, Outcome::Answered);
        self.stats.responses += 1;
        Some(Response {
            handle: RequestHandle {
                seq: p.seq,
                request_id: id,
            },
            version: msg.version,
            pdu,
            rtt: p
                .sent_at
                .map_or(Duration::ZERO, |t| now.saturating_duration_since(t)),
            attempts: p.attempts,
        })
    }

    /// The pending request a reply with this id from `from` answers, if any. A reply
    /// that matches none is counted as a duplicate, late, unknown or from the wrong
    /// source. v3 replies match v3 requests only (msgID), v1/v2c the others.
    fn matching(&mut self, id: i32, from: SocketAddr, version: Version) -> Option<&Pending> {
        let v3 = version == Version::V3;
        let Some(p) = self.pending.get(&id).filter(|p| p.v3.is_some() == v3) else {
            match self.recent.get(&id) {
                Some(Outcome::Answered) => self.stats.duplicates += 1,
                Some(Outcome::Expired) => self.stats.late += 1,
                None => self.stats.unknown_id += 1,
            }
            return None;
        };
        if self.config.check_source && p.target != from {
            self.stats.wrong_source += 1;
            return None;
        }
        Some(p)
    }

    fn timer_is_live(&self, deadline: Instant, id: i32, seq: u64) -> bool {
        self.pending
            .get(&id)
            .is_some_and(|p| p.seq == seq && p.deadline == Some(deadline))
    }

    /// Ends a request that can no longer succeed.
    fn fail(&mut self, id: i32, seq: u64, target: SocketAddr, reason: Failure) {
        self.stats.failures += 1;
        self.remember(id, Outcome::Expired);
        self.events.push_back(Event::Failed {
            handle: RequestHandle {
                seq,
                request_id: id,
            },
            target,
            reason,
        });
    }

    fn remember(&mut self, id: i32, outcome: Outcome) {
        remember_in(
            &mut self.recent,
            &mut self.recent_order,
            self.config.recent_capacity,
            id,
            outcome,
        );
    }

    /// splitmix64, reduced to a positive non-zero i32 not in use or recently used.
    fn fresh_id(&mut self) -> i32 {
        loop {
            self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.rng;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            let id = (z >> 33) as i32 & 0x7fff_ffff;
            if id != 0 && !self.pending.contains_key(&id) && !self.recent.contains_key(&id) {
                return id;
            }
        }
    }
}

/// Records how request `id` ended, keeping at most `capacity` ids (a free function
/// so that code holding a reply borrowed from the tracker's buffer can call it).
fn remember_in(
    recent: &mut HashMap<i32, Outcome>,
    order: &mut VecDeque<i32>,
    capacity: usize,
    id: i32,
    outcome: Outcome,
) {
    if capacity == 0 {
        return;
    }
    if recent.insert(id, outcome).is_none() {
        order.push_back(id);
    }
    while order.len() > capacity {
        if let Some(old) = order.pop_front() {
            recent.remove(&old);
        }
    }
}

mod v3;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod v3_tests;
