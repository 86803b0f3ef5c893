//! SNMPv3 for simulated agents: each agent is an authoritative engine (RFC 3414).
//!
//! The crypto, the message codec and the sealing of outgoing messages are
//! `nocwatch-snmp`'s (the same code the trap receiver uses as an authoritative
//! engine); this module applies RFC 3414 §3.2's checks in order for a *request* and
//! answers with a Report where the RFC asks for one:
//!
//! 1. an empty msgAuthoritativeEngineID is discovery: usmStatsUnknownEngineIDs;
//! 2. an unknown user: usmStatsUnknownUserNames;
//! 3. a level the user has no keys for: usmStatsUnsupportedSecLevels;
//! 4. another engine's ID: usmStatsUnknownEngineIDs;
//! 5. a bad HMAC: usmStatsWrongDigests;
//! 6. outside the 150 s window: usmStatsNotInTimeWindows, authenticated (the
//!    manager learns our boots and time from it: net-snmp's time synchronisation);
//! 7. undecryptable: usmStatsDecryptionErrors.
//!
//! Reports go only to reportable messages. The Response is sealed at the request's
//! level with the request's msgID, user and context.
//!
//! Keys are localized per (user, engine) on first use and kept by the agent: the
//! password-to-key step (a megabyte of hashing) runs once per password for the whole
//! fleet through a shared [`KeyCache`], localization once per device.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use nocwatch_snmp::crypto::KeyCache;
use nocwatch_snmp::receiver::{MAX_ENGINE_COUNTER, Seal, is_valid_engine_id};
use nocwatch_snmp::security::{
    self, Rejected, ReportKind, SecurityLevel, USM_SECURITY_MODEL, UserKeys, UsmUser,
};
use nocwatch_snmp::{Oid, Pdu, PduType, ScopedPduData, V3Message, Value, VarBind, VarBinds};
use tracing::debug;

use crate::agent::{Access, Agent, Bindings, DropReason, Outcome, Reply};
use crate::error::SimError;
use crate::response::Envelope;
use crate::stats::add;

/// RFC 3414's time window.
const TIME_WINDOW_SECS: u64 = 150;

/// The USM users a fleet accepts, and the key cache they share.
pub struct UsmUsers {
    users: Vec<Arc<UsmUser>>,
    cache: Mutex<KeyCache>,
}

impl std::fmt::Debug for UsmUsers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsmUsers")
            .field("users", &self.users)
            .finish_non_exhaustive()
    }
}

impl UsmUsers {
    /// The users (their [`UsmUser::level`] is the lowest level accepted from them;
    /// anything up to what their passwords allow is answered). Names must be
    /// distinct.
    pub fn new(users: Vec<UsmUser>) -> Result<Self, SimError> {
        for (i, u) in users.iter().enumerate() {
            if u.name.is_empty() || u.name.len() > 32 {
                return Err(SimError::Config("a USM user name is 1 to 32 bytes".into()));
            }
            if users[..i].iter().any(|o| o.name == u.name) {
                return Err(SimError::Config(format!(
                    "USM user {} is configured twice",
                    String::from_utf8_lossy(&u.name)
                )));
            }
        }
        Ok(Self {
            users: users.into_iter().map(Arc::new).collect(),
            cache: Mutex::new(KeyCache::new(4096)),
        })
    }

    /// The configured users.
    pub fn users(&self) -> &[Arc<UsmUser>] {
        &self.users
    }
}

/// A simulated agent's SNMPv3 engine: its ID and boots, the users, and their keys
/// localized to this engine (filled on first use).
#[derive(Debug, Clone)]
pub struct AgentUsm {
    users: Arc<UsmUsers>,
    engine_id: Vec<u8>,
    boots: u32,
    keys: Arc<[OnceLock<Option<Arc<UserKeys>>>]>,
    salt: Arc<AtomicU64>,
}

fn rank(level: SecurityLevel) -> u8 {
    match level {
        SecurityLevel::NoAuthNoPriv => 0,
        SecurityLevel::AuthNoPriv => 1,
        SecurityLevel::AuthPriv => 2,
    }
}

fn supported(user: &UsmUser) -> SecurityLevel {
    match (&user.auth, &user.privacy) {
        (Some(_), Some(_)) => SecurityLevel::AuthPriv,
        (Some(_), None) => SecurityLevel::AuthNoPriv,
        _ => SecurityLevel::NoAuthNoPriv,
    }
}

/// The last-but-one arc of `usmStats<x>.0`.
fn usm_stats_arc(kind: ReportKind) -> u32 {
    match kind {
        ReportKind::UnsupportedSecurityLevel => 1,
        ReportKind::NotInTimeWindow => 2,
        ReportKind::UnknownUserName => 3,
        ReportKind::UnknownEngineId => 4,
        ReportKind::WrongDigest => 5,
        _ => 6,
    }
}

/// What a Report echoes from the message it answers.
struct ReportTo<'a> {
    msg_id: i32,
    request_id: i32,
    user_name: &'a [u8],
    context_name: &'a [u8],
}

impl AgentUsm {
    /// The engine `engine_id` (5 to 32 bytes) in its `boots`-th boot, accepting
    /// `users`.
    pub fn new(users: Arc<UsmUsers>, engine_id: Vec<u8>, boots: u32) -> Result<Self, SimError> {
        if !is_valid_engine_id(&engine_id) {
            return Err(SimError::Config("an snmpEngineID is 5 to 32 bytes".into()));
        }
        let keys = (0..users.users.len()).map(|_| OnceLock::new()).collect();
        Ok(Self {
            users,
            engine_id,
            boots: boots.min(MAX_ENGINE_COUNTER),
            keys,
            salt: Arc::new(AtomicU64::new(u64::from(boots) << 32)),
        })
    }

    /// snmpEngineID.
    pub fn engine_id(&self) -> &[u8] {
        &self.engine_id
    }

    /// snmpEngineTime at `now` (seconds since the agent started).
    fn time(now: Duration) -> u32 {
        u32::try_from(now.as_secs().min(u64::from(MAX_ENGINE_COUNTER))).unwrap_or(0)
    }

    /// snmpEngineBoots and snmpEngineTime of `agent` at `now`: a simulated restart
    /// (see `life.rs`) is a reboot of the engine, so boots goes up by one and the
    /// time starts again from zero, and managers must synchronise again (RFC 3414
    /// §3.2 step 7).
    fn boots_and_time(&self, agent: &Agent, now: Duration) -> (u32, u32) {
        let (restarts, boot) = agent
            .timeline()
            .map_or((0, None), |t| (t.restarts_at(now), t.boot_at(now)));
        let boots = self.boots.saturating_add(restarts).min(MAX_ENGINE_COUNTER);
        let since = now.saturating_sub(boot.unwrap_or_default());
        (boots, Self::time(since))
    }

    /// User `idx`'s keys localized to this engine.
    fn keys(&self, idx: usize) -> Option<Arc<UserKeys>> {
        let user = self.users.users.get(idx)?;
        // No authentication key, no keys at all (noAuthNoPriv users).
        user.auth.as_ref()?;
        self.keys
            .get(idx)?
            .get_or_init(|| {
                let mut cache = self
                    .users
                    .cache
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                match security::user_keys(&mut cache, user, &self.engine_id) {
                    Ok(k) => Some(Arc::new(k)),
                    Err(e) => {
                        debug!(error = %e, "localizing a simulated user's keys failed");
                        None
                    }
                }
            })
            .clone()
    }

    /// Answers a decoded v3 request (see the module docs), appending to `out`.
    pub(crate) fn respond(
        &self,
        agent: &Agent,
        now: Duration,
        seq: u64,
        request: &[u8],
        msg: &V3Message<'_>,
        out: &mut Vec<u8>,
    ) -> Outcome {
        if msg.security_model != USM_SECURITY_MODEL {
            return agent.dropped(DropReason::Usm);
        }
        let Ok(usm) = msg.usm() else {
            return agent.dropped(DropReason::Malformed);
        };
        let level = match (msg.flags.auth(), msg.flags.privacy()) {
            (true, true) => SecurityLevel::AuthPriv,
            (true, false) => SecurityLevel::AuthNoPriv,
            _ => SecurityLevel::NoAuthNoPriv,
        };
        let plaintext = match &msg.data {
            ScopedPduData::Plaintext(s) => Some(*s),
            ScopedPduData::Encrypted(_) => None,
        };
        let to = ReportTo {
            msg_id: msg.msg_id,
            request_id: plaintext
                .and_then(|s| s.pdu.as_pdu().map(|p| p.request_id))
                .unwrap_or(0),
            user_name: usm.user_name,
            context_name: plaintext.map_or(&[][..], |s| s.context_name),
        };
        let reportable = msg.flags.reportable();
        let report = |kind: ReportKind, keys: Option<&UserKeys>, out: &mut Vec<u8>| {
            if !reportable {
                return agent.dropped(DropReason::Usm);
            }
            self.report(agent, now, kind, &to, keys, out)
        };
        if usm.engine_id.is_empty() {
            return report(ReportKind::UnknownEngineId, None, out);
        }
        let Some(idx) = self
            .users
            .users
            .iter()
            .position(|u| u.name.as_slice() == usm.user_name)
        else {
            return report(ReportKind::UnknownUserName, None, out);
        };
        let user = &self.users.users[idx];
        if rank(level) > rank(supported(user)) || rank(level) < rank(user.level) {
            return report(ReportKind::UnsupportedSecurityLevel, None, out);
        }
        if usm.engine_id != self.engine_id.as_slice() {
            return report(ReportKind::UnknownEngineId, None, out);
        }
        let keys = if level == SecurityLevel::NoAuthNoPriv {
            None
        } else {
            match self.keys(idx) {
                Some(k) => Some(k),
                None => return agent.dropped(DropReason::Usm),
            }
        };
        // `open` verifies the HMAC before it decrypts (RFC 3414 §3.2 steps 6 and 8);
        // the time window (step 7) is checked once the message is known authentic,
        // so only an authentic message learns our clock from the Report.
        let mut scratch = Vec::new();
        let opened = match security::open(
            request,
            msg,
            keys.as_deref(),
            &mut scratch,
            &agent.config().decode,
        ) {
            Ok(o) => o,
            Err(Rejected::BadDigest) => return report(ReportKind::WrongDigest, None, out),
            Err(Rejected::Undecryptable) => {
                return report(ReportKind::DecryptionError, None, out);
            }
            Err(Rejected::Malformed) => return agent.dropped(DropReason::Malformed),
        };
        if let Some(k) = keys.as_deref() {
            let boots = u32::try_from(usm.engine_boots).unwrap_or(u32::MAX);
            let time = i64::from(usm.engine_time);
            let (our_boots, our_time) = self.boots_and_time(agent, now);
            let ours = i64::from(our_time);
            let in_window = our_boots < MAX_ENGINE_COUNTER
                && boots == our_boots
                && (time - ours).unsigned_abs() <= TIME_WINDOW_SECS;
            if !in_window {
                return report(ReportKind::NotInTimeWindow, Some(k), out);
            }
        }
        let pdu = opened.pdu;
        let request_id = agent.response_request_id(pdu.request_id, seq);
        // The largest response the manager takes, minus what v3 adds around the
        // PDU beyond a community message with an empty community (header, security
        // parameters, scoped PDU, encryption wrapper and DES padding), bounded
        // generously so the sealed message always fits.
        let manager_max = usize::try_from(msg.max_size).unwrap_or(0);
        let max = agent.config().max_message_size.min(manager_max);
        let overhead = 20
            + 8
            + 2
            + self.engine_id.len()
            + 12
            + 2
            + usm.user_name.len()
            + 50
            + 10
            + 4
            + 2
            + opened.context_engine_id.len()
            + 2
            + opened.context_name.len()
            + 12
            + 8;
        let envelope = Envelope {
            version: nocwatch_snmp::Version::V2c,
            community: b"",
            request_id,
        };
        let reply = match agent.answer(
            now,
            false,
            Access::ReadOnly,
            &pdu,
            envelope,
            max.saturating_sub(overhead),
        ) {
            Ok(r) => r,
            Err(reason) => return agent.dropped(reason),
        };
        let Reply {
            status,
            index,
            bindings,
        } = reply;
        let varbinds = match &bindings {
            Bindings::Built(b) => VarBinds::encoded(b.encoded()),
            Bindings::Echo => pdu.varbinds,
            Bindings::Empty => VarBinds::from_slice(&[]),
        };
        let response = Pdu {
            pdu_type: PduType::Response,
            request_id,
            error_status: status.to_i32(),
            error_index: index,
            varbinds,
        };
        let (boots, time) = self.boots_and_time(agent, now);
        let sealed = Seal {
            msg_id: msg.msg_id,
            level,
            keys: keys.as_deref(),
            engine_id: &self.engine_id,
            boots,
            time,
            user_name: usm.user_name,
            context_engine_id: opened.context_engine_id,
            context_name: opened.context_name,
            pdu: response,
            salt: self.salt.fetch_add(1, Ordering::Relaxed),
        };
        let mut plain = Vec::new();
        let mut message = Vec::new();
        if let Err(e) = sealed.encode(&mut plain, &mut message) {
            debug!(error = %e, "sealing a v3 response failed");
            return agent.dropped(DropReason::Usm);
        }
        out.extend_from_slice(&message);
        agent.replied(status != nocwatch_snmp::ErrorStatus::NoError)
    }

    /// Appends a Report of `kind` (authenticated with `keys` when given).
    fn report(
        &self,
        agent: &Agent,
        now: Duration,
        kind: ReportKind,
        to: &ReportTo<'_>,
        keys: Option<&UserKeys>,
        out: &mut Vec<u8>,
    ) -> Outcome {
        let counters = agent.counters();
        let n = counters.reports.fetch_add(1, Ordering::Relaxed) + 1;
        let mut arcs = [1u32, 3, 6, 1, 6, 3, 15, 1, 1, 0, 0];
        arcs[9] = usm_stats_arc(kind);
        let Ok(name) = Oid::from_arcs(&arcs) else {
            return agent.dropped(DropReason::Usm);
        };
        let binding = [VarBind {
            name: name.as_oid_ref(),
            value: Value::Counter32(n as u32),
        }];
        let level = if keys.is_some() {
            SecurityLevel::AuthNoPriv
        } else {
            SecurityLevel::NoAuthNoPriv
        };
        let (boots, time) = self.boots_and_time(agent, now);
        let sealed = Seal {
            msg_id: to.msg_id,
            level,
            keys,
            engine_id: &self.engine_id,
            boots,
            time,
            user_name: to.user_name,
            context_engine_id: &self.engine_id,
            context_name: to.context_name,
            pdu: Pdu::new(
                PduType::Report,
                to.request_id,
                VarBinds::from_slice(&binding),
            ),
            salt: 0,
        };
        let mut plain = Vec::new();
        let mut message = Vec::new();
        if sealed.encode(&mut plain, &mut message).is_err() {
            return agent.dropped(DropReason::Usm);
        }
        out.extend_from_slice(&message);
        add(&counters.responses, 1);
        Outcome::Replied
    }
}
