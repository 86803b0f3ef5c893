//! The SNMPv3 side of the tracker: discovery, time synchronisation, USM Reports.
//!
//! A v3 request is a small state machine inside its [`Pending`] entry. When the
//! target's engine is unknown the first datagram is the discovery probe; the
//! usmStatsUnknownEngineIDs Report that answers it teaches the engine's ID, boots and
//! time, and the real request is encoded then (keys localized once per engine through
//! the [`KeyCache`]). A usmStatsNotInTimeWindows Report resynchronises the clock and
//! resends, twice at most. Other Reports end the request with a typed [`Failure`].
//! Neither discovery nor a resync consumes a retry: they are answers, not losses.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{
    Event, Failure, Outcome, Pending, RequestHandle, RequestTracker, Response, remember_in,
};
use crate::crypto::KeyCache;
use crate::error::Error;
use crate::message::{V3Message, Version};
use crate::pdu::{Pdu, PduType};
use crate::security::{self, EngineInfo, Rejected, ReportKind, UsmUser};
use crate::tracker::Request;
use crate::varbind::VarBinds;

/// How many times a request may resynchronise or rediscover before giving up.
const MAX_RESYNCS: u8 = 2;

/// The tracker's SNMPv3 state.
#[derive(Debug)]
pub(super) struct UsmState {
    /// Authoritative engines learned by discovery, per target.
    pub(super) engines: HashMap<SocketAddr, EngineInfo>,
    /// Localized USM keys.
    keys: KeyCache,
    /// Keyed HMAC and cipher states per (user, engine ID), built once.
    sessions: Sessions,
    /// Buffers: the clear scoped PDU being encrypted, and the copy of an incoming
    /// message being verified and decrypted (replies borrow it).
    scratch: Vec<u8>,
    /// The privacy salt counter (RFC 3826's 64-bit salt, DES's low 32 bits).
    salt: u64,
}

impl UsmState {
    pub(super) fn key_stats(&self) -> crate::crypto::KeyCacheStats {
        self.keys.stats()
    }

    pub(super) fn new(seed: u64) -> Self {
        Self {
            engines: HashMap::new(),
            keys: KeyCache::new(4096),
            sessions: Sessions::default(),
            scratch: Vec::new(),
            salt: seed.rotate_left(17) ^ 0x5a5a_5a5a_a5a5_a5a5,
        }
    }
}

/// Prepared keys per (user, engine ID): the user is identified by its `Arc`'s
/// address, which is stable while any request holds it. Bounded: cleared when it
/// reaches [`Sessions::MAX`] (re-deriving is a cache hit in the [`KeyCache`]).
#[derive(Debug, Default)]
struct Sessions {
    /// user (by `Arc` address) → engine ID → keys; two levels so that a lookup
    /// borrows the engine ID instead of allocating a key per message.
    map: HashMap<usize, HashMap<Vec<u8>, Arc<security::UserKeys>>>,
    len: usize,
}

impl Sessions {
    const MAX: usize = 16_384;

    fn get(
        &mut self,
        cache: &mut KeyCache,
        user: &Arc<UsmUser>,
        engine_id: &[u8],
    ) -> Result<Arc<security::UserKeys>, Error> {
        let user_key = Arc::as_ptr(user) as usize;
        if let Some(k) = self.map.get(&user_key).and_then(|m| m.get(engine_id)) {
            return Ok(k.clone());
        }
        if self.len >= Self::MAX {
            self.map.clear();
            self.len = 0;
        }
        let keys = Arc::new(security::user_keys(cache, user, engine_id)?);
        self.map
            .entry(user_key)
            .or_default()
            .insert(engine_id.to_vec(), keys.clone());
        self.len += 1;
        Ok(keys)
    }
}

/// What a v3 request needs to be encoded again.
#[derive(Debug)]
pub(super) struct V3State {
    user: Arc<UsmUser>,
    pdu_type: PduType,
    non_repeaters: i32,
    max_repetitions: i32,
    /// The bindings, encoded (VarBindList content).
    varbinds: Vec<u8>,
    /// Still discovering the engine.
    discovering: bool,
    resyncs: u8,
}

impl RequestTracker {
    pub(super) fn start_v3(
        &mut self,
        req: &Request<'_>,
        request_id: i32,
    ) -> Result<RequestHandle, Error> {
        let Some(user) = req.user.clone() else {
            return Err(Error::Config("SNMPv3 needs a USM user"));
        };
        let mut varbinds = Vec::new();
        for vb in req.varbinds.iter() {
            vb?.encode(&mut crate::ber::Writer::new(&mut varbinds));
        }
        // An engine ID given by the caller (-e) stands in for discovery; it is
        // recorded when the request is first encoded (that is when `now` is known).
        let discovering = user.engine_id.is_none() && !self.usm.engines.contains_key(&req.target);
        let v3 = V3State {
            user,
            pdu_type: req.pdu_type,
            non_repeaters: req.non_repeaters,
            max_repetitions: req.max_repetitions,
            varbinds,
            discovering,
            resyncs: 0,
        };
        Ok(self.enqueue(req, request_id, Vec::new(), Some(Box::new(v3))))
    }

    /// Handles a decoded v3 datagram.
    pub(super) fn handle_v3<'s>(
        &'s mut self,
        now: Instant,
        from: SocketAddr,
        datagram: &'s [u8],
        msg: V3Message<'s>,
    ) -> Option<Response<'s>> {
        let id = msg.msg_id;
        let p = self.matching(id, from, Version::V3)?;
        let (seq, target) = (p.seq, p.target);
        let user = p.v3.as_ref().map(|v| v.user.clone())?;
        let keys = match msg.usm() {
            Ok(usm) if msg.flags.auth() && !usm.engine_id.is_empty() => self
                .usm
                .sessions
                .get(&mut self.usm.keys, &user, usm.engine_id)
                .ok(),
            Ok(_) => None,
            Err(_) => {
                self.stats.malformed += 1;
                return None;
            }
        };
        let opened = match security::open(
            datagram,
            &msg,
            keys.as_deref(),
            &mut self.usm.scratch,
            &self.config.decode,
        ) {
            Ok(o) => o,
            Err(Rejected::BadDigest) => {
                self.stats.auth_failures += 1;
                return None;
            }
            Err(Rejected::Undecryptable) => {
                self.stats.decrypt_failures += 1;
                return None;
            }
            Err(Rejected::Malformed) => {
                self.stats.malformed += 1;
                return None;
            }
        };
        let learned = EngineInfo {
            id: opened.usm.engine_id.to_vec(),
            boots: u32::try_from(opened.usm.engine_boots).unwrap_or(0),
            time: u32::try_from(opened.usm.engine_time).unwrap_or(0),
            learned_at: now,
        };
        let p = self.pending.get_mut(&id)?;
        let v3 = p.v3.as_mut()?;
        match opened.pdu.pdu_type {
            PduType::Report => {
                let kind = opened
                    .pdu
                    .varbinds
                    .iter()
                    .next()
                    .and_then(Result::ok)
                    .map_or(ReportKind::Other, |vb| ReportKind::from_oid(&vb.name));
                let retry = match kind {
                    // Discovery's answer, or the engine changed its ID (re-installed).
                    ReportKind::UnknownEngineId
                        if !learned.id.is_empty()
                            && (v3.discovering || v3.resyncs < MAX_RESYNCS) =>
                    {
                        if !v3.discovering {
                            v3.resyncs += 1;
                        }
                        v3.discovering = false;
                        self.stats.discoveries += 1;
                        true
                    }
                    // Only an authenticated Report may move the clock, except while
                    // the clock is still unknown (first contact, or -e given).
                    ReportKind::NotInTimeWindow
                        if v3.resyncs < MAX_RESYNCS
                            && (opened.authenticated
                                || self
                                    .usm
                                    .engines
                                    .get(&target)
                                    .is_none_or(|e| e.boots == 0 && e.time == 0)) =>
                    {
                        v3.resyncs += 1;
                        self.stats.resyncs += 1;
                        true
                    }
                    _ => false,
                };
                if retry {
                    self.usm.engines.insert(target, learned);
                    p.datagram.clear();
                    p.deadline = None;
                    self.to_send.push_back((id, seq));
                } else {
                    self.pending.remove(&id);
                    self.stats.failures += 1;
                    remember_in(
                        &mut self.recent,
                        &mut self.recent_order,
                        self.config.recent_capacity,
                        id,
                        Outcome::Expired,
                    );
                    self.events.push_back(Event::Failed {
                        handle: RequestHandle {
                            seq,
                            request_id: id,
                        },
                        target,
                        reason: Failure::Report(kind),
                    });
                }
                None
            }
            // msgID matched, but the PDU answers another request (an agent bug:
            // RFC 3412 §7.2.10 pairs them); dropped like a wrong request-id.
            PduType::Response if opened.pdu.request_id != id => {
                self.stats.unknown_id += 1;
                None
            }
            PduType::Response => {
                if opened.authenticated {
                    // RFC 3414 §3.2.7: keep the latest notion of the engine's clock.
                    let newer =
                        self.usm.engines.get(&target).is_none_or(|e| {
                            (learned.boots, learned.time) > (e.boots, e.time_at(now))
                        });
                    if newer && learned.boots > 0 {
                        self.usm.engines.insert(target, learned);
                    }
                }
                let p = self.pending.remove(&id)?;
                remember_in(
                    &mut self.recent,
                    &mut self.recent_order,
                    self.config.recent_capacity,
                    id,
                    Outcome::Answered,
                );
                self.stats.responses += 1;
                Some(Response {
                    handle: RequestHandle {
                        seq,
                        request_id: id,
                    },
                    version: Version::V3,
                    pdu: opened.pdu,
                    rtt: p
                        .sent_at
                        .map_or(Duration::ZERO, |t| now.saturating_duration_since(t)),
                    attempts: p.attempts,
                })
            }
            _ => {
                self.stats.unexpected += 1;
                None
            }
        }
    }
}

/// Encodes `p`'s datagram (the discovery probe or the secured request).
pub(super) fn encode(
    p: &mut Pending,
    id: i32,
    now: Instant,
    usm: &mut UsmState,
) -> Result<(), Failure> {
    let Some(v3) = p.v3.as_ref() else {
        return Ok(());
    };
    if let Some(id) = &v3.user.engine_id {
        // -e: the engine ID is known; its clock is learned from the first
        // notInTimeWindow Report if the level needs it.
        usm.engines.entry(p.target).or_insert_with(|| EngineInfo {
            id: id.clone(),
            boots: 0,
            time: 0,
            learned_at: now,
        });
    }
    let engine = match usm.engines.get(&p.target) {
        Some(e) if !v3.discovering => e,
        _ => {
            security::encode_discovery(id, &mut p.datagram);
            return Ok(());
        }
    };
    let user_keys = usm
        .sessions
        .get(&mut usm.keys, &v3.user, &engine.id)
        .map_err(Failure::Security)?;
    let varbinds = VarBinds::encoded(&v3.varbinds);
    let pdu = if v3.pdu_type == PduType::GetBulkRequest {
        Pdu::get_bulk(id, v3.non_repeaters, v3.max_repetitions, varbinds)
    } else {
        Pdu::new(v3.pdu_type, id, varbinds)
    };
    usm.salt = usm.salt.wrapping_add(1);
    security::encode_request(
        &v3.user,
        &user_keys,
        engine,
        now,
        id,
        &pdu,
        usm.salt,
        &mut usm.scratch,
        &mut p.datagram,
    )
    .map_err(Failure::Security)
}
