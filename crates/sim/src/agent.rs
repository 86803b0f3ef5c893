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
    CommunityMessage, DecodeOptions, ErrorStatus, Message, Oid, Pdu, PduType, Pdus, VarBind,
    VarBinds, Version,
};
use tracing::{debug, trace};

use crate::cell::{Device, mix};
use crate::mib::Mib;
use crate::operation::{Answer, Reader};
use crate::response::{Envelope, ResponseBuilder};
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

/// Which SNMP versions an agent answers; requests in another are dropped and
/// counted (snmpInBadVersions), as an agent configured without them does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Versions {
    /// SNMPv1.
    pub v1: bool,
    /// SNMPv2c.
    pub v2c: bool,
    /// SNMPv3 (needs [`AgentConfig::usm`]).
    pub v3: bool,
}

impl Versions {
    /// Every version.
    pub const ALL: Self = Self {
        v1: true,
        v2c: true,
        v3: true,
    };

    /// Whether `version` is answered.
    pub fn allows(&self, version: Version) -> bool {
        match version {
            Version::V1 => self.v1,
            Version::V2c => self.v2c,
            Version::V3 => self.v3,
        }
    }
}

impl Default for Versions {
    fn default() -> Self {
        Self::ALL
    }
}

/// How many bytes [`Quirks::truncate_every`] cuts off a response: the whole value of a
/// NULL or exception binding and the last byte of its name.
const TRUNCATED_BYTES: usize = 3;

/// Misbehaviours of real agents that a manager must survive, off by default.
///
/// Each is something deployed agents do; the polling engine's tests meet them here.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quirks {
    /// Answer tooBig to any request whose response would carry more than this many
    /// bindings (old agents with a fixed PDU buffer), instead of truncating GETBULK.
    pub too_big_above: Option<usize>,
    /// Return a name that does not increase: when the GETNEXT/GETBULK successor is
    /// this instance, answer the instance before it instead (a walk loops unless
    /// the manager checks ordering).
    pub non_increasing_at: Option<Oid>,
    /// Put a wrong request-id (the right one plus one) in every `n`th response, so
    /// the manager must discard it and time out.
    pub wrong_request_id_every: Option<u32>,
    /// Silently drop any response larger than this many bytes (a path with a small
    /// MTU and no fragment reassembly, or an agent that gives up on big packets).
    pub drop_responses_above: Option<usize>,
    /// Cut every `n`th response short by 3 bytes (an agent or a middlebox
    /// that mangles a datagram): the header still decodes, the last binding does not,
    /// so the manager must drop the whole reply and ask again.
    pub truncate_every: Option<u32>,
    /// Drop this fraction of requests (0.0 to 1.0) without answering, chosen by a
    /// deterministic hash of the request count.
    pub loss: f64,
    /// How long the server holds each response before sending it (the agent itself
    /// is sans-IO and only records it).
    pub latency: Duration,
}

/// How an [`Agent`] behaves beyond its MIB.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// Accepted communities; a request with any other is dropped and counted.
    pub communities: Vec<Community>,
    /// Responses larger than this become tooBig (GETBULK is truncated to fit first).
    pub max_message_size: usize,
    /// How requests are decoded. Strict by default: what cannot be decoded strictly
    /// is dropped as malformed, as net-snmp's agent does.
    pub decode: DecodeOptions,
    /// The versions answered.
    pub versions: Versions,
    /// Deliberate misbehaviours.
    pub quirks: Quirks,
    /// SNMPv3: the users and this agent's engine; `None` drops v3 requests as
    /// unsupported.
    pub usm: Option<crate::usm::AgentUsm>,
}

impl Default for AgentConfig {
    /// `public` read-only, `private` read-write, 65507-byte responses, strict
    /// decoding, every version, no quirks, no v3 users.
    fn default() -> Self {
        Self {
            communities: vec![
                Community::new("public", Access::ReadOnly),
                Community::new("private", Access::ReadWrite),
            ],
            max_message_size: MAX_UDP_PAYLOAD,
            decode: DecodeOptions::strict(),
            versions: Versions::ALL,
            quirks: Quirks::default(),
            usm: None,
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
    /// The request's SNMP version is not enabled on this agent.
    BadVersion,
    /// Dropped on purpose: the configured loss.
    Lost,
    /// Dropped on purpose: the response exceeded the drop-above size quirk.
    QuirkTooLarge,
    /// SNMPv3 security processing refused it and no Report was due (or could be
    /// built): unknown user, bad digest on a non-reportable message...
    Usm,
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
    /// This device's identity within a fleet sharing `mib`.
    device: Device,
    /// The entry index of [`Quirks::non_increasing_at`], resolved once.
    non_increasing: Option<usize>,
}

impl Agent {
    /// An agent answering from `mib` with `config`.
    pub fn new(mib: impl Into<Arc<Mib>>, config: AgentConfig) -> Self {
        Self::with_device(mib, config, Device::default())
    }

    /// An agent answering from a view shared with other devices, as `device`.
    pub fn with_device(mib: impl Into<Arc<Mib>>, config: AgentConfig, device: Device) -> Self {
        let mib = mib.into();
        let non_increasing = config.quirks.non_increasing_at.as_ref().map(|o| {
            mib.successor(o.arcs())
                .min(mib.find(o.arcs()).unwrap_or(usize::MAX))
        });
        Self {
            mib,
            config,
            overrides: RwLock::new(HashMap::new()),
            has_overrides: AtomicBool::new(false),
            counters: Counters::default(),
            device,
            non_increasing,
        }
    }

    /// This device's slot values and counter seed.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The view this agent answers from.
    pub fn mib(&self) -> &Arc<Mib> {
        &self.mib
    }

    /// The configuration.
    pub fn config(&self) -> &AgentConfig {
        &self.config
    }

    /// The live counters (the v3 module counts Reports in them).
    pub(crate) fn counters(&self) -> &Counters {
        &self.counters
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
        let seq = self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let message = match Message::decode(request, &self.config.decode) {
            Ok(m) => m,
            Err(e) => {
                debug!(error = %e, len = request.len(), "dropping malformed request");
                return self.dropped(DropReason::Malformed);
            }
        };
        let version = match &message {
            Message::Community(m) => m.version,
            Message::V3(_) => Version::V3,
        };
        if !self.config.versions.allows(version) {
            debug!(?version, "dropping a request in a disabled version");
            return self.dropped(DropReason::BadVersion);
        }
        if self.lost(seq) {
            return self.dropped(DropReason::Lost);
        }
        let start = out.len();
        let outcome = match message {
            Message::Community(m) => self.respond_community(now, seq, m, out),
            Message::V3(m) => match &self.config.usm {
                Some(usm) => usm.respond(self, now, seq, request, &m, out),
                None => {
                    debug!("dropping SNMPv3 request (no USM users configured)");
                    self.dropped(DropReason::Unsupported)
                }
            },
        };
        if outcome.replied()
            && let Some(limit) = self.config.quirks.drop_responses_above
            && out.len() - start > limit
        {
            out.truncate(start);
            return self.dropped(DropReason::QuirkTooLarge);
        }
        if outcome.replied()
            && let Some(n) = self.config.quirks.truncate_every
            && n > 0
            && (seq + 1).is_multiple_of(u64::from(n))
        {
            out.truncate(out.len().saturating_sub(TRUNCATED_BYTES).max(start));
        }
        outcome
    }

    /// Whether request number `seq` falls in the configured loss.
    fn lost(&self, seq: u64) -> bool {
        let loss = self.config.quirks.loss;
        if loss <= 0.0 {
            return false;
        }
        // 53 bits of a hash of (seed, seq) as a uniform number in [0, 1).
        let u = (mix(self.device.seed ^ 0x6c6f_7373, seq) >> 11) as f64 / (1u64 << 53) as f64;
        u < loss
    }

    /// The request-id a response carries: the request's, or off by one on the
    /// responses the wrong-request-id quirk picks.
    pub(crate) fn response_request_id(&self, request_id: i32, seq: u64) -> i32 {
        match self.config.quirks.wrong_request_id_every {
            Some(n) if n > 0 && (seq + 1).is_multiple_of(u64::from(n)) => {
                request_id.wrapping_add(1)
            }
            _ => request_id,
        }
    }

    fn respond_community(
        &self,
        now: Duration,
        seq: u64,
        message: CommunityMessage<'_>,
        out: &mut Vec<u8>,
    ) -> Outcome {
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
        let envelope = Envelope {
            version: message.version,
            community: message.community,
            request_id: self.response_request_id(pdu.request_id, seq),
        };
        let max = self.config.max_message_size;
        match self.answer(
            now,
            message.version == Version::V1,
            access,
            &pdu,
            envelope,
            max,
        ) {
            Ok(Reply {
                status,
                index,
                bindings,
            }) => {
                let varbinds = match &bindings {
                    Bindings::Built(builder) => VarBinds::encoded(builder.encoded()),
                    Bindings::Echo => pdu.varbinds,
                    Bindings::Empty => VarBinds::from_slice(&[]),
                };
                envelope.encode(status, index, varbinds, out);
                self.replied(status != ErrorStatus::NoError)
            }
            Err(reason) => self.dropped(reason),
        }
    }

    /// The response to `pdu` as status, index and bindings, sized so that the message
    /// `envelope` describes stays within `max` bytes. Shared by v1/v2c and v3 (which
    /// passes an envelope and a limit that account for its own header).
    pub(crate) fn answer<'e>(
        &self,
        now: Duration,
        v1: bool,
        access: Access,
        pdu: &Pdu<'_>,
        envelope: Envelope<'e>,
        max: usize,
    ) -> Result<Reply<'e>, DropReason> {
        // One decode of the bindings: every operation needs them all, GETBULK by
        // position, and a malformed one must drop the request before any answer.
        let varbinds = match pdu.varbinds.to_vec() {
            Ok(v) => v,
            Err(e) => {
                debug!(error = %e, "dropping request with a malformed binding");
                return Err(DropReason::Malformed);
            }
        };
        trace!(pdu = %pdu.pdu_type, request_id = pdu.request_id, bindings = varbinds.len(), "request");
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
                return Err(DropReason::Unsupported);
            }
        };
        let raw_request_list = pdu.varbinds.raw().map_or(0, <[u8]>::len);
        let answer = match answer {
            Answer::Bindings(b)
                if self
                    .config
                    .quirks
                    .too_big_above
                    .is_some_and(|n| b.count() > n) =>
            {
                Answer::TooBig
            }
            other => other,
        };
        match answer {
            Answer::Bindings(builder) => {
                add(&self.counters.varbinds_out, builder.count() as u64);
                Ok(Reply {
                    status: ErrorStatus::NoError,
                    index: 0,
                    bindings: Bindings::Built(builder),
                })
            }
            Answer::Echo { status, index } => {
                // Errors, and a successful SET, echo the request's bindings
                // (RFC 3416 §4.2.1 and §4.2.5, RFC 1157 §4.1.2).
                if envelope.message_len(status.to_i32(), index, raw_request_list) <= max {
                    add(&self.counters.varbinds_out, varbinds.len() as u64);
                    Ok(Reply {
                        status,
                        index,
                        bindings: Bindings::Echo,
                    })
                } else {
                    self.too_big(envelope, v1, raw_request_list, max)
                }
            }
            Answer::TooBig => self.too_big(envelope, v1, raw_request_list, max),
        }
    }

    /// The tooBig response: an empty list in v2c (RFC 3416 §4.2.1), the request's
    /// bindings in v1 (RFC 1157 §4.1.2: "of identical form"); dropped if even that
    /// does not fit.
    fn too_big<'e>(
        &self,
        envelope: Envelope<'e>,
        v1: bool,
        request_list_len: usize,
        max: usize,
    ) -> Result<Reply<'e>, DropReason> {
        let status = ErrorStatus::TooBig;
        let (bindings, len) = if v1 {
            (Bindings::Echo, request_list_len)
        } else {
            (Bindings::Empty, 0)
        };
        if envelope.message_len(status.to_i32(), 0, len) > max {
            debug!("dropping request: even the tooBig response does not fit");
            return Err(DropReason::TooBig);
        }
        Ok(Reply {
            status,
            index: 0,
            bindings,
        })
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
            device: &self.device,
            non_increasing: self.non_increasing,
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

    pub(crate) fn replied(&self, error: bool) -> Outcome {
        add(&self.counters.responses, 1);
        if error {
            add(&self.counters.error_responses, 1);
        }
        Outcome::Replied
    }

    pub(crate) fn dropped(&self, reason: DropReason) -> Outcome {
        let c = &self.counters;
        add(
            match reason {
                DropReason::Malformed => &c.dropped_malformed,
                DropReason::BadCommunity => &c.dropped_bad_community,
                DropReason::Unsupported => &c.dropped_unsupported,
                DropReason::TooBig => &c.dropped_too_big,
                DropReason::BadVersion => &c.dropped_bad_version,
                DropReason::Lost => &c.dropped_lost,
                DropReason::QuirkTooLarge => &c.dropped_quirk_too_large,
                DropReason::Usm => &c.dropped_usm,
            },
            1,
        );
        Outcome::Dropped(reason)
    }
}

/// The bindings of a response.
#[derive(Debug)]
pub(crate) enum Bindings<'e> {
    /// Bindings the operation produced.
    Built(ResponseBuilder<'e>),
    /// The request's own bindings (errors, SET, v1 tooBig).
    Echo,
    /// None (v2c tooBig).
    Empty,
}

/// A response decided but not yet wrapped in a message.
#[derive(Debug)]
pub(crate) struct Reply<'e> {
    pub status: ErrorStatus,
    pub index: i32,
    pub bindings: Bindings<'e>,
}
