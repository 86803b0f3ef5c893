//! [`Agent`]: the sans-IO responder, one datagram in, at most one datagram out.
//!
//! The agent owns a [`Mib`] (immutable after build, shared through an `Arc` so later
//! work can hang thousands of virtual devices off a few views), its communities and
//! its counters. [`Agent::respond_at`] decodes a request with the project's codec,
//! answers it from the view at the given `now`, and appends the encoded Response to
//! the caller's buffer. It never blocks on I/O and never reads a clock, so the server,
//! the benchmarks and the tests all drive the very same code.
//!
//! SET keeps a small overlay of written values (entry index → value) behind a
//! `RwLock`, so a value that was set reads back, as on a real agent (the demo and
//! tests can show `snmpset` then `snmpget`). Sets only ever replace values of
//! existing, static instances with a value of the same type, so the overlay is bounded
//! by the view's size and the set of *names* never changes: lookups stay on the
//! immutable, sorted view. Until the first accepted SET, reads skip the lock entirely
//! (an atomic flag says whether the overlay is empty).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard};
use std::time::Duration;

use nocwatch_snmp::{
    DecodeOptions, ErrorStatus, Message, PduType, Pdus, VarBind, VarBinds, Version,
};
use tracing::{debug, trace};

use crate::mib::Mib;
use crate::operation::{Answer, Reader};
use crate::response::Envelope;
use crate::stats::{AgentStats, Counters, add};
use crate::value::OwnedValue;

/// The largest UDP payload over IPv4 (65535 − 8 UDP − 20 IP): the default limit on
/// a Response's size, since v1/v2c requests carry no maximum of their own.
pub const MAX_UDP_PAYLOAD: usize = 65_507;

/// What a community may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// GET, GETNEXT, GETBULK (net-snmp's `rocommunity`).
    ReadOnly,
    /// Also SET (net-snmp's `rwcommunity`).
    ReadWrite,
}

/// One accepted community string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Community {
    /// The community string, compared byte for byte.
    pub name: Vec<u8>,
    /// What it allows.
    pub access: Access,
}

impl Community {
    /// A community with the given access.
    pub fn new(name: impl Into<Vec<u8>>, access: Access) -> Self {
        Self {
            name: name.into(),
            access,
        }
    }
}

/// How an [`Agent`] behaves beyond its MIB.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentConfig {
    /// Accepted communities; a request with any other is dropped and counted.
    pub communities: Vec<Community>,
    /// Responses larger than this become tooBig (GETBULK is truncated to fit first).
    pub max_message_size: usize,
    /// How requests are decoded. Strict by default: what cannot be decoded strictly
    /// is dropped as malformed, as net-snmp's agent does.
    pub decode: DecodeOptions,
}

impl Default for AgentConfig {
    /// `public` read-only, `private` read-write, 65507-byte responses, strict decoding.
    fn default() -> Self {
        Self {
            communities: vec![
                Community::new("public", Access::ReadOnly),
                Community::new("private", Access::ReadWrite),
            ],
            max_message_size: MAX_UDP_PAYLOAD,
            decode: DecodeOptions::strict(),
        }
    }
}

/// Why a request got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// Not decodable.
    Malformed,
    /// Community not accepted.
    BadCommunity,
    /// Not a v1/v2c Get/GetNext/GetBulk/Set (SNMPv3, a trap, a response...).
    Unsupported,
    /// Even the tooBig response would exceed the size limit.
    TooBig,
}

/// What [`Agent::respond_at`] did with a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Outcome {
    /// A Response was appended to the output buffer; send it back to the requester.
    Replied,
    /// Nothing was written; the drop was counted.
    Dropped(DropReason),
}

impl Outcome {
    /// True when a Response was written.
    pub fn replied(self) -> bool {
        self == Self::Replied
    }
}

/// A simulated SNMP v1/v2c agent. Cheap to share: wrap it in an `Arc`.
#[derive(Debug)]
pub struct Agent {
    mib: Arc<Mib>,
    config: AgentConfig,
    /// Values written by SET, by entry index.
    overrides: RwLock<HashMap<usize, OwnedValue>>,
    /// False until the first accepted SET: lets reads skip the lock.
    has_overrides: AtomicBool,
    counters: Counters,
}

impl Agent {
    /// An agent answering from `mib` with `config`.
    pub fn new(mib: impl Into<Arc<Mib>>, config: AgentConfig) -> Self {
        Self {
            mib: mib.into(),
            config,
            overrides: RwLock::new(HashMap::new()),
            has_overrides: AtomicBool::new(false),
            counters: Counters::default(),
        }
    }

    /// The view this agent answers from.
    pub fn mib(&self) -> &Arc<Mib> {
        &self.mib
    }

    /// The configuration.
    pub fn config(&self) -> &AgentConfig {
        &self.config
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> AgentStats {
        self.counters.snapshot()
    }

    /// Forgets every value written by SET.
    pub fn clear_overrides(&self) {
        let mut w = self
            .overrides
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        w.clear();
        self.has_overrides.store(false, Ordering::Release);
    }

    /// Answers one request datagram as of `now` (time since the agent started: it
    /// drives sysUpTime and the counters), appending the Response to `out`.
    ///
    /// Wrong community, undecodable bytes and PDUs an agent does not answer are
    /// dropped silently, as real agents do, and counted in [`Agent::stats`].
    pub fn respond_at(&self, now: Duration, request: &[u8], out: &mut Vec<u8>) -> Outcome {
        add(&self.counters.requests, 1);
        let message = match Message::decode(request, &self.config.decode) {
            Ok(m) => m,
            Err(e) => {
                debug!(error = %e, len = request.len(), "dropping malformed request");
                return self.dropped(DropReason::Malformed);
            }
        };
        let Message::Community(message) = message else {
            debug!("dropping SNMPv3 request (not simulated yet)");
            return self.dropped(DropReason::Unsupported);
        };
        let Some(access) = self.access(message.community) else {
            debug!(
                community = %String::from_utf8_lossy(message.community),
                "dropping request with unknown community"
            );
            return self.dropped(DropReason::BadCommunity);
        };
        let Pdus::Pdu(pdu) = message.pdu else {
            debug!("dropping v1 trap sent to the agent");
            return self.dropped(DropReason::Unsupported);
        };
        // One decode of the bindings: every operation needs them all, GETBULK by
        // position, and a malformed one must drop the request before any answer.
        let varbinds = match pdu.varbinds.to_vec() {
            Ok(v) => v,
            Err(e) => {
                debug!(error = %e, "dropping request with a malformed binding");
                return self.dropped(DropReason::Malformed);
            }
        };
        let envelope = Envelope {
            version: message.version,
            community: message.community,
            request_id: pdu.request_id,
        };
        let v1 = message.version == Version::V1;
        trace!(pdu = %pdu.pdu_type, request_id = pdu.request_id, bindings = varbinds.len(), "request");
        let max = self.config.max_message_size;
        let answer = match pdu.pdu_type {
            PduType::GetRequest => {
                add(&self.counters.gets, 1);
                self.reader(now, v1).get(envelope, max, &varbinds)
            }
            PduType::GetNextRequest => {
                add(&self.counters.get_nexts, 1);
                self.reader(now, v1).get_next(envelope, max, &varbinds)
            }
            PduType::GetBulkRequest => {
                add(&self.counters.get_bulks, 1);
                self.reader(now, v1).get_bulk(
                    envelope,
                    max,
                    pdu.non_repeaters(),
                    pdu.max_repetitions(),
                    &varbinds,
                )
            }
            PduType::SetRequest => {
                add(&self.counters.sets, 1);
                self.set(access, v1, &varbinds)
            }
            other => {
                debug!(pdu = %other, "dropping a PDU an agent does not answer");
                return self.dropped(DropReason::Unsupported);
            }
        };
        let raw_request_list = pdu.varbinds.raw().map_or(0, <[u8]>::len);
        match answer {
            Answer::Bindings(builder) => {
                add(&self.counters.varbinds_out, builder.count() as u64);
                builder.finish(out);
                self.replied(false)
            }
            Answer::Echo { status, index } => {
                // Errors, and a successful SET, echo the request's bindings
                // (RFC 3416 §4.2.1 and §4.2.5, RFC 1157 §4.1.2).
                if envelope.message_len(status.to_i32(), index, raw_request_list) <= max {
                    add(&self.counters.varbinds_out, varbinds.len() as u64);
                    envelope.encode(status, index, pdu.varbinds, out);
                    self.replied(status != ErrorStatus::NoError)
                } else {
                    self.too_big(envelope, v1, pdu.varbinds, raw_request_list, out)
                }
            }
            Answer::TooBig => self.too_big(envelope, v1, pdu.varbinds, raw_request_list, out),
        }
    }

    /// The tooBig response: an empty list in v2c (RFC 3416 §4.2.1), the request's
    /// bindings in v1 (RFC 1157 §4.1.2: "of identical form"); dropped if even that
    /// does not fit.
    fn too_big(
        &self,
        envelope: Envelope<'_>,
        v1: bool,
        request_list: VarBinds<'_>,
        request_list_len: usize,
        out: &mut Vec<u8>,
    ) -> Outcome {
        let status = ErrorStatus::TooBig;
        let (list, len) = if v1 {
            (request_list, request_list_len)
        } else {
            (VarBinds::from_slice(&[]), 0)
        };
        if envelope.message_len(status.to_i32(), 0, len) > self.config.max_message_size {
            debug!("dropping request: even the tooBig response does not fit");
            return self.dropped(DropReason::TooBig);
        }
        envelope.encode(status, 0, list, out);
        self.replied(true)
    }

    fn access(&self, community: &[u8]) -> Option<Access> {
        self.config
            .communities
            .iter()
            .find(|c| c.name == community)
            .map(|c| c.access)
    }

    fn reader(&self, now: Duration, v1: bool) -> Reader<'_> {
        Reader {
            mib: &self.mib,
            now,
            v1,
            overrides: self.read_overrides(),
        }
    }

    fn read_overrides(&self) -> Option<RwLockReadGuard<'_, HashMap<usize, OwnedValue>>> {
        self.has_overrides.load(Ordering::Acquire).then(|| {
            self.overrides
                .read()
                .unwrap_or_else(PoisonError::into_inner)
        })
    }

    /// SET (RFC 3416 §4.2.5, with net-snmp's choice of error per case): every binding
    /// is checked before any is applied, so a set is all or nothing.
    fn set(&self, access: Access, v1: bool, varbinds: &[VarBind<'_>]) -> Answer<'static> {
        // v1 has no noAccess/notWritable/noCreation/wrongType: RFC 3584 §4.4 maps
        // them to noSuchName and badValue, which is what net-snmp answers.
        let fail = |v2: ErrorStatus, index: usize| {
            let status = match v2 {
                _ if !v1 => v2,
                ErrorStatus::WrongType => ErrorStatus::BadValue,
                _ => ErrorStatus::NoSuchName,
            };
            Answer::Echo {
                status,
                index: i32::try_from(index + 1).unwrap_or(i32::MAX),
            }
        };
        if access != Access::ReadWrite && !varbinds.is_empty() {
            return fail(ErrorStatus::NoAccess, 0);
        }
        let mut staged = Vec::with_capacity(varbinds.len());
        for (i, vb) in varbinds.iter().enumerate() {
            let name = vb.name.to_oid();
            let found = self
                .mib
                .find(name.arcs())
                .and_then(|idx| Some((idx, self.mib.get(idx)?)))
                .filter(|(_, e)| !(v1 && e.cell.is_counter64()));
            let Some((idx, entry)) = found else {
                let status = if self.mib.object_exists(name.arcs()) {
                    ErrorStatus::NoCreation
                } else {
                    ErrorStatus::NotWritable
                };
                return fail(status, i);
            };
            if !entry.cell.is_writable() {
                return fail(ErrorStatus::NotWritable, i);
            }
            match OwnedValue::from_value(&vb.value) {
                Some(v) if v.tag() == entry.cell.tag() => staged.push((idx, v)),
                _ => return fail(ErrorStatus::WrongType, i),
            }
        }
        if !staged.is_empty() {
            let mut w = self
                .overrides
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            w.extend(staged);
            self.has_overrides.store(true, Ordering::Release);
        }
        // Success echoes the request's bindings, values included.
        Answer::Echo {
            status: ErrorStatus::NoError,
            index: 0,
        }
    }

    fn replied(&self, error: bool) -> Outcome {
        add(&self.counters.responses, 1);
        if error {
            add(&self.counters.error_responses, 1);
        }
        Outcome::Replied
    }

    fn dropped(&self, reason: DropReason) -> Outcome {
        let c = &self.counters;
        add(
            match reason {
                DropReason::Malformed => &c.dropped_malformed,
                DropReason::BadCommunity => &c.dropped_bad_community,
                DropReason::Unsupported => &c.dropped_unsupported,
                DropReason::TooBig => &c.dropped_too_big,
            },
            1,
        );
        Outcome::Dropped(reason)
    }
}
