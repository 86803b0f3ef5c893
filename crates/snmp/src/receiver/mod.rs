//! The notification receiver: traps and informs in, Reports and Responses out,
//! sans-IO (RFC 3412 §7.2, RFC 3414 §3.2, RFC 3416 §4.2.6–4.2.7).
//!
//! A [`Receiver`] takes one datagram at a time ([`Receiver::handle`]) and says what
//! to do with it: deliver a [`Notification`], send a Report back now
//! ([`Outcome::Report`]), or drop it ([`Outcome::Dropped`], counted in
//! [`ReceiverStats`]). It never sends anything itself, so the caller (the listener in
//! `nocwatch-net`) decides when and from which address bytes leave.
//!
//! Why it is shaped this way:
//!
//! - **Two roles, chosen by msgAuthoritativeEngineID.** For an SNMPv2-Trap the
//!   *sender* is authoritative: it localizes keys with its own engine ID. Listing every
//!   sender's engine ID (as snmptrapd's `createUser -e` does) does not scale to a
//!   network, so a configured user is accepted from any engine: its keys are localized
//!   with the ID found in the message on first sight and cached (bounded, in a
//!   [`KeyCache`]). For an InformRequest *we* are authoritative ([`AuthoritativeEngine`]):
//!   senders discover our engine ID with a probe, which we answer with a
//!   usmStatsUnknownEngineIDs Report, and keys are localized with our ID.
//! - **Verify before deriving.** A privacy key for the Reeder extension (3DES,
//!   AES-192/256-C with short hashes) costs a 1 MiB hash per engine, so for a
//!   never-seen (user, engine) pair the message's HMAC is checked with the
//!   authentication key alone (one small hash) before the privacy key is derived.
//!   Forged traps with made-up engine IDs cost a localization each, never 1 MiB.
//! - **Time windows.** As the authoritative side (the message carries our engine ID)
//!   RFC 3414 §3.2 step 7a applies: boots must equal ours and time be within
//!   [`ReceiverConfig::time_window`] (150 s), else an *authenticated* usmStatsNotInTimeWindows
//!   Report (at authNoPriv) tells the sender our clock. For traps from other engines
//!   the check is **not** enforced: boots/time are the sender's own clock, which we
//!   have no prior notion of, and enforcing step 7b per engine would drop the first
//!   traps after every sender reboot or clock jump; net-snmp's snmptrapd does not
//!   enforce it either. A replayed authentic trap is therefore accepted again: the
//!   sender's boots/time are exposed in [`UsmOrigin`] for callers that de-duplicate.
//! - **Security levels.** A message above what the user has keys for, or below the
//!   user's configured [`UsmUser::level`] (read here as the *minimum* accepted, like
//!   snmptrapd's `authUser ... authPriv`), is refused as usmStatsUnsupportedSecLevels:
//!   otherwise anyone could forge noAuthNoPriv traps under a configured user's name.
//! - **Journal first, acknowledge second.** An accepted inform comes with an
//!   [`InformAck`]: the encoded Response (same request-id and bindings, RFC 3416
//!   §4.2.7), which the caller sends once the event is durably journaled, not before.
//!   It carries our engine time at receipt, so send it within the time window (the
//!   sender drops a Response more than 150 s off); if journaling fails, drop the ack
//!   and the sender retransmits.
//! - **Reports only where the RFCs put them**: for reportable messages on the
//!   authoritative path (an empty engine ID or ours; RFC 3412 §7.1–7.2); never for
//!   traps, which are unconfirmed. Reports and Responses never set reportableFlag
//!   (RFC 3412 §6.4).
//!
//! v1 Traps and v2c Traps/Informs are handled in the same call, checked against the
//! configured communities; translating v1 Traps (RFC 3584) is left to the caller.

mod engine;
mod usm;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use usm::Seal;

pub use engine::{
    AuthoritativeEngine, ENGINE_ID_ENTERPRISE, ENGINE_ID_FORMAT_OCTETS, MAX_ENGINE_COUNTER,
    generate_engine_id, is_valid_engine_id,
};

use crate::ber::{TAG_OID, TAG_SEQUENCE, Writer};
use crate::crypto::{KeyCache, KeyCacheStats, MIN_PASSWORD_LEN};
use crate::error::Error;
use crate::message::{CommunityMessage, Message, ScopedPdu, ScopedPduData, V3Message, Version};
use crate::oid::OidRef;
use crate::options::DecodeOptions;
use crate::pdu::{ErrorStatus, Pdu, PduType, Pdus};
use crate::security::{self, ReportKind, SecurityLevel, USM_SECURITY_MODEL, UserKeys, UsmUser};
use crate::usm::UsmSecurityParameters;
use crate::value::{TAG_COUNTER32, Value};
use crate::varbind::VarBinds;

/// Prepared keys are kept for this many (user, engine) pairs, then all dropped at once
/// (rebuilding them is a [`KeyCache`] hit).
const MAX_SESSIONS: usize = 16_384;

/// What the receiver accepts.
#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    /// v1/v2c communities accepted; `None` accepts any community.
    pub communities: Option<Vec<Vec<u8>>>,
    /// USM users accepted for v3. A user whose [`UsmUser::engine_id`] is set is only
    /// accepted with that msgAuthoritativeEngineID (snmptrapd's `createUser -e`); one
    /// without is accepted from any engine. Its [`UsmUser::level`] is the minimum
    /// level accepted; context fields are ignored.
    pub users: Vec<Arc<UsmUser>>,
    /// Decoder tolerances.
    pub decode: DecodeOptions,
    /// RFC 3414's time window for messages to our engine (150 s).
    pub time_window: Duration,
    /// Bound of each [`KeyCache`] table (localized keys: about one per user per
    /// sending engine).
    pub key_cache_entries: usize,
    /// Start of the privacy salt counter. Pass a random value; the salt also mixes in
    /// engine boots (DES) or boots and time (AES IV), so a repeated seed after a
    /// restart with incremented boots still never repeats an IV.
    pub salt_seed: u64,
}

impl Default for ReceiverConfig {
    /// Any community, no v3 users, lenient decoding, the 150 s window.
    fn default() -> Self {
        Self {
            communities: None,
            users: Vec::new(),
            decode: DecodeOptions::default(),
            time_window: Duration::from_secs(150),
            key_cache_entries: 4096,
            salt_seed: 0,
        }
    }
}

/// Counters, named after the MIB objects they correspond to where there is one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReceiverStats {
    /// Datagrams handled.
    pub datagrams: u64,
    /// SNMPv2-Trap PDUs accepted (v2c and v3).
    pub traps: u64,
    /// v1 Trap PDUs accepted.
    pub v1_traps: u64,
    /// InformRequest PDUs accepted (v2c and v3).
    pub informs: u64,
    /// Reports returned for sending.
    pub reports: u64,
    /// Discovery probes (empty engine ID) seen; a subset of `unknown_engine_ids`.
    pub discoveries: u64,
    /// usmStatsUnknownEngineIDs.
    pub unknown_engine_ids: u64,
    /// usmStatsUnknownUserNames.
    pub unknown_user_names: u64,
    /// usmStatsUnsupportedSecLevels.
    pub unsupported_sec_levels: u64,
    /// usmStatsWrongDigests.
    pub wrong_digests: u64,
    /// usmStatsNotInTimeWindows.
    pub not_in_time_windows: u64,
    /// usmStatsDecryptionErrors.
    pub decryption_errors: u64,
    /// snmpInBadCommunityNames.
    pub bad_community_names: u64,
    /// snmpUnknownSecurityModels.
    pub unknown_security_models: u64,
    /// Undecodable datagrams (snmpInASNParseErrs, snmpInvalidMsgs).
    pub malformed: u64,
    /// PDUs that are not notifications (Get, Response, Report, ...), dropped.
    pub unexpected_pdus: u64,
    /// Informs delivered without an ack because the Response could not be encoded.
    pub ack_failures: u64,
}

/// Which notification arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    /// An SNMPv1 Trap-PDU (untranslated).
    TrapV1,
    /// An SNMPv2-Trap-PDU (v2c or v3): nothing to answer.
    Trap,
    /// An InformRequest-PDU (v2c or v3): answer with its [`InformAck`] once journaled.
    Inform,
}

/// Who sent a v3 notification and how it was protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsmOrigin<'s> {
    /// msgUserName (the securityName).
    pub user_name: &'s [u8],
    /// The level it was authenticated (and decrypted) at.
    pub level: SecurityLevel,
    /// msgAuthoritativeEngineID: the sender's for traps, ours for informs.
    pub engine_id: &'s [u8],
    /// msgAuthoritativeEngineBoots as sent.
    pub engine_boots: u32,
    /// msgAuthoritativeEngineTime as sent.
    pub engine_time: u32,
    /// contextEngineID.
    pub context_engine_id: &'s [u8],
    /// contextName.
    pub context_name: &'s [u8],
}

/// The security a notification arrived under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security<'s> {
    /// v1/v2c: the community, already checked against the configured set.
    Community(&'s [u8]),
    /// v3 USM: verified and decrypted.
    Usm(UsmOrigin<'s>),
}

/// The encoded Response to an inform, to send to [`InformAck::peer`] once the
/// notification is durably journaled (and within the 150 s time window for v3: it
/// carries our engine time at receipt).
#[derive(Clone, PartialEq, Eq)]
pub struct InformAck {
    peer: SocketAddr,
    datagram: Vec<u8>,
}

impl InformAck {
    /// Where to send it: the inform's source address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The encoded Response message.
    pub fn datagram(&self) -> &[u8] {
        &self.datagram
    }

    /// The encoded Response message, owned.
    pub fn into_datagram(self) -> Vec<u8> {
        self.datagram
    }
}

impl fmt::Debug for InformAck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InformAck")
            .field("peer", &self.peer)
            .field("len", &self.datagram.len())
            .finish()
    }
}

/// An accepted trap or inform. Its PDU borrows the datagram or the receiver's
/// decryption buffer, until the next [`Receiver::handle`].
#[derive(Debug, Clone)]
pub struct Notification<'s> {
    /// Trap, v1 Trap or Inform.
    pub kind: NotificationKind,
    /// The message version.
    pub version: Version,
    /// The datagram's source address.
    pub peer: SocketAddr,
    /// Community or USM origin.
    pub security: Security<'s>,
    /// The PDU (`Pdus::TrapV1` for v1 Traps, `Pdus::Pdu` otherwise).
    pub pdu: Pdus<'s>,
    /// For informs: the Response to send once the event is journaled.
    pub ack: Option<InformAck>,
}

impl<'s> Notification<'s> {
    /// The community or the USM user name.
    pub fn security_name(&self) -> &'s [u8] {
        match self.security {
            Security::Community(c) => c,
            Security::Usm(u) => u.user_name,
        }
    }

    /// The value of snmpTrapOID.0 (SNMPv2 notifications; `None` for v1 Traps or when
    /// the binding is missing or malformed).
    pub fn trap_oid(&self) -> Option<OidRef<'s>> {
        let Pdus::Pdu(pdu) = &self.pdu else {
            return None;
        };
        pdu.varbinds
            .iter()
            .take(2)
            .filter_map(Result::ok)
            .find(|vb| crate::oids::is(&vb.name, crate::oids::SNMP_TRAP_OID_0))
            .and_then(|vb| match vb.value {
                Value::ObjectIdentifier(oid) => Some(oid),
                _ => None,
            })
    }
}

/// Why a datagram was dropped without an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropReason {
    /// Not decodable.
    Malformed,
    /// A v1/v2c community not in the configured set.
    BadCommunity,
    /// Not a notification (or a v3 Inform for another engine, non-reportable).
    UnexpectedPdu(PduType),
    /// msgSecurityModel is not USM.
    UnknownSecurityModel,
    /// A USM check failed and no Report is due (unconfirmed PDU, or not
    /// reportable, or not for our engine).
    Usm(ReportKind),
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str("malformed message"),
            Self::BadCommunity => f.write_str("unknown community"),
            Self::UnexpectedPdu(t) => write!(f, "unexpected {t} PDU"),
            Self::UnknownSecurityModel => f.write_str("unknown security model"),
            Self::Usm(k) => write!(f, "{k}"),
        }
    }
}

/// What to do with a datagram.
#[derive(Debug)]
#[must_use]
// Returned by value and consumed at once: boxing the notification would cost an
// allocation per trap to save a stack copy.
#[allow(clippy::large_enum_variant)]
pub enum Outcome<'s> {
    /// A trap or inform to deliver (and, for an inform, its ack to send afterwards).
    Notification(Notification<'s>),
    /// A Report to send back to the datagram's source now (discovery's answer, or a
    /// USM error the sender should learn of). Valid until the next `handle`.
    Report {
        /// The usmStats counter it carries.
        kind: ReportKind,
        /// The encoded message.
        datagram: &'s [u8],
    },
    /// Nothing to deliver or send; counted in [`ReceiverStats`].
    Dropped(DropReason),
}

/// A configured user with the copy used to verify before deriving privacy keys.
#[derive(Debug)]
struct UserEntry {
    user: Arc<UsmUser>,
    /// The user without privacy: its keys are the authentication key only.
    auth_only: UsmUser,
}

/// Key state: the cache, the prepared per-(user, engine) keys, buffers, the salt.
#[derive(Debug)]
struct UsmState {
    keys: KeyCache,
    sessions: HashMap<(usize, Vec<u8>), Arc<UserKeys>>,
    /// Scratch for ScopedPDUs being encrypted.
    plain: Vec<u8>,
    salt: u64,
}

/// Users' positions by name.
type ByName = HashMap<Vec<u8>, Vec<usize>>;

/// Checks `users` and indexes them by name (see [`Receiver::new`]).
fn index_users(list: &[Arc<UsmUser>]) -> Result<(Vec<UserEntry>, ByName), Error> {
    let mut users = Vec::with_capacity(list.len());
    let mut by_name = ByName::new();
    for user in list {
        if user.name.is_empty() || user.name.len() > 32 {
            return Err(Error::Config("a USM user name is 1 to 32 bytes"));
        }
        if too_short(&user.auth) || too_short(&user.privacy) {
            return Err(Error::Config("USM passwords are at least 8 bytes"));
        }
        if user.privacy.is_some() && user.auth.is_none() {
            return Err(Error::Config("privacy needs authentication"));
        }
        if usm::rank(user.level) > usm::rank(supported_level(user)) {
            return Err(Error::Config("a USM user's level needs its passwords"));
        }
        let same = by_name.entry(user.name.clone()).or_default();
        if same.iter().any(|&i| {
            users
                .get(i)
                .is_some_and(|e: &UserEntry| e.user.engine_id == user.engine_id)
        }) {
            return Err(Error::Config("two USM users with the same name and engine"));
        }
        same.push(users.len());
        let mut auth_only = UsmUser::clone(user);
        auth_only.privacy = None;
        users.push(UserEntry {
            user: Arc::clone(user),
            auth_only,
        });
    }
    Ok((users, by_name))
}

/// Where a Report goes and what it echoes.
#[derive(Debug, Clone, Copy)]
struct ReportTo<'a> {
    msg_id: i32,
    request_id: i32,
    user_name: &'a [u8],
    context_name: &'a [u8],
}

/// The receiver. See the module docs.
pub struct Receiver {
    config: ReceiverConfig,
    users: Vec<UserEntry>,
    by_name: HashMap<Vec<u8>, Vec<usize>>,
    engine: AuthoritativeEngine,
    usm: UsmState,
    stats: ReceiverStats,
    /// The verified (and decrypted) copy of the datagram; notifications borrow it.
    scratch: Vec<u8>,
    /// The Report being returned; [`Outcome::Report`] borrows it.
    reply: Vec<u8>,
}

impl fmt::Debug for Receiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("engine", &self.engine)
            .field("users", &self.users.len())
            .field("sessions", &self.usm.sessions.len())
            .field("keys", &self.usm.keys)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Receiver {
    /// A receiver for `config`, authoritative as `engine`.
    ///
    /// Fails on an engine ID that is not 5 to 32 bytes, boots above 2^31-1, a user
    /// name longer than 32 bytes, a password shorter than 8 bytes, or two users with
    /// the same name and engine ID.
    pub fn new(config: ReceiverConfig, engine: AuthoritativeEngine) -> Result<Self, Error> {
        if !is_valid_engine_id(&engine.engine_id) {
            return Err(Error::Config("an snmpEngineID is 5 to 32 bytes"));
        }
        if engine.boots > MAX_ENGINE_COUNTER {
            return Err(Error::Config("snmpEngineBoots is at most 2147483647"));
        }
        let (users, by_name) = index_users(&config.users)?;
        Ok(Self {
            usm: UsmState {
                keys: KeyCache::new(config.key_cache_entries),
                sessions: HashMap::new(),
                plain: Vec::new(),
                salt: config.salt_seed,
            },
            config,
            users,
            by_name,
            engine,
            stats: ReceiverStats::default(),
            scratch: Vec::new(),
            reply: Vec::new(),
        })
    }

    /// Replaces the accepted communities and USM users (a configuration reload),
    /// keeping the engine, the counters, the salt counter and the key cache (a user
    /// whose password did not change needs no new derivation). Checked as
    /// [`Receiver::new`] checks them; on an error nothing changes.
    ///
    /// Prepared per-engine keys are dropped: they are indexed by user position and
    /// a user's password may have changed.
    pub fn set_credentials(
        &mut self,
        communities: Option<Vec<Vec<u8>>>,
        users: Vec<Arc<UsmUser>>,
    ) -> Result<(), Error> {
        let (entries, by_name) = index_users(&users)?;
        self.users = entries;
        self.by_name = by_name;
        self.usm.sessions.clear();
        self.config.communities = communities;
        self.config.users = users;
        Ok(())
    }

    /// The counters.
    pub fn stats(&self) -> &ReceiverStats {
        &self.stats
    }

    /// The key cache's counters (how many derivations and localizations ran).
    pub fn key_cache_stats(&self) -> KeyCacheStats {
        self.usm.keys.stats()
    }

    /// Our engine.
    pub fn engine(&self) -> &AuthoritativeEngine {
        &self.engine
    }

    /// The configuration.
    pub fn config(&self) -> &ReceiverConfig {
        &self.config
    }

    /// Handles one datagram that arrived from `from` at `now`.
    pub fn handle<'s>(
        &'s mut self,
        now: Instant,
        from: SocketAddr,
        datagram: &'s [u8],
    ) -> Outcome<'s> {
        self.stats.datagrams += 1;
        match Message::decode(datagram, &self.config.decode) {
            Ok(Message::Community(m)) => self.handle_community(from, m),
            Ok(Message::V3(m)) => self.handle_v3(now, from, datagram, m),
            Err(_) => {
                self.stats.malformed += 1;
                Outcome::Dropped(DropReason::Malformed)
            }
        }
    }

    fn handle_community<'s>(&mut self, from: SocketAddr, m: CommunityMessage<'s>) -> Outcome<'s> {
        if let Some(list) = &self.config.communities
            && !list.iter().any(|c| c.as_slice() == m.community)
        {
            self.stats.bad_community_names += 1;
            return Outcome::Dropped(DropReason::BadCommunity);
        }
        let (kind, ack) = match m.pdu {
            Pdus::TrapV1(_) => {
                self.stats.v1_traps += 1;
                (NotificationKind::TrapV1, None)
            }
            Pdus::Pdu(p) if p.pdu_type == PduType::SnmpV2Trap => {
                self.stats.traps += 1;
                (NotificationKind::Trap, None)
            }
            Pdus::Pdu(p) if p.pdu_type == PduType::InformRequest => {
                self.stats.informs += 1;
                let mut datagram = Vec::new();
                CommunityMessage {
                    version: m.version,
                    community: m.community,
                    pdu: Pdus::Pdu(response_to(&p)),
                }
                .encode(&mut datagram);
                let ack = InformAck {
                    peer: from,
                    datagram,
                };
                (NotificationKind::Inform, Some(ack))
            }
            other => {
                self.stats.unexpected_pdus += 1;
                return Outcome::Dropped(DropReason::UnexpectedPdu(other.pdu_type()));
            }
        };
        Outcome::Notification(Notification {
            kind,
            version: m.version,
            peer: from,
            security: Security::Community(m.community),
            pdu: m.pdu,
            ack,
        })
    }

    fn handle_v3<'s>(
        &'s mut self,
        now: Instant,
        from: SocketAddr,
        datagram: &'s [u8],
        msg: V3Message<'s>,
    ) -> Outcome<'s> {
        if msg.security_model != USM_SECURITY_MODEL {
            self.stats.unknown_security_models += 1;
            return Outcome::Dropped(DropReason::UnknownSecurityModel);
        }
        let Ok(usm) = msg.usm() else {
            self.stats.malformed += 1;
            return Outcome::Dropped(DropReason::Malformed);
        };
        let level = usm::level_of(msg.flags);
        let plaintext = match msg.data {
            ScopedPduData::Plaintext(s) => Some(s),
            ScopedPduData::Encrypted(_) => None,
        };
        let mut to = ReportTo {
            msg_id: msg.msg_id,
            request_id: plaintext
                .and_then(|s| s.pdu.as_pdu().map(|p| p.request_id))
                .unwrap_or(0),
            user_name: usm.user_name,
            context_name: plaintext.map_or(&[][..], |s| s.context_name),
        };
        let reportable = msg.flags.reportable();

        // RFC 3414 §3.2 step 3: an empty engine ID is a discovery probe.
        if usm.engine_id.is_empty() {
            self.stats.unknown_engine_ids += 1;
            self.stats.discoveries += 1;
            let n = self.stats.unknown_engine_ids;
            return self.report_or_drop(now, reportable, ReportKind::UnknownEngineId, n, &to, None);
        }
        // We are authoritative for messages that carry our engine ID.
        let ours = usm.engine_id == self.engine.engine_id.as_slice();

        // Step 4: the user.
        let Some(idx) = self.find_user(usm.user_name, usm.engine_id) else {
            self.stats.unknown_user_names += 1;
            let n = self.stats.unknown_user_names;
            let reportable = reportable && ours;
            return self.report_or_drop(now, reportable, ReportKind::UnknownUserName, n, &to, None);
        };
        // Step 5: the level.
        if !self.level_allowed(idx, level) {
            self.stats.unsupported_sec_levels += 1;
            let n = self.stats.unsupported_sec_levels;
            let (r, k) = (reportable && ours, ReportKind::UnsupportedSecurityLevel);
            return self.report_or_drop(now, r, k, n, &to, None);
        }
        // Step 6: authentication.
        let keys = if level == SecurityLevel::NoAuthNoPriv {
            None
        } else {
            match self.verified_keys(idx, usm.engine_id, datagram, &usm) {
                Some(k) => Some(k),
                None => {
                    self.stats.wrong_digests += 1;
                    let n = self.stats.wrong_digests;
                    let (r, k) = (reportable && ours, ReportKind::WrongDigest);
                    return self.report_or_drop(now, r, k, n, &to, None);
                }
            }
        };
        // Step 7: timeliness, when we are the authoritative engine.
        if let (Some(k), true) = (&keys, ours)
            && !self.in_time_window(now, &usm)
        {
            self.stats.not_in_time_windows += 1;
            let n = self.stats.not_in_time_windows;
            let (r, kind) = (reportable, ReportKind::NotInTimeWindow);
            let keys = Arc::clone(k);
            return self.report_or_drop(now, r, kind, n, &to, Some(&keys));
        }
        // Step 8: privacy. msgData must be encrypted exactly when privFlag is set.
        let scoped = match (level, msg.data) {
            (SecurityLevel::AuthPriv, ScopedPduData::Encrypted(cipher)) => {
                let privacy = keys.as_ref().and_then(|k| k.privacy.as_ref());
                let opts = &self.config.decode;
                let Some(range) =
                    usm::decrypt(datagram, cipher, &usm, privacy, &mut self.scratch, opts)
                else {
                    self.stats.decryption_errors += 1;
                    let n = self.stats.decryption_errors;
                    let (r, kind) = (reportable && ours, ReportKind::DecryptionError);
                    return self.report_or_drop(now, r, kind, n, &to, None);
                };
                let scratch: &'s [u8] = &self.scratch;
                match usm::scoped_pdu(scratch, range, &self.config.decode) {
                    Some(s) => s,
                    None => {
                        // Checked by `decrypt`; unreachable in practice.
                        self.stats.decryption_errors += 1;
                        return Outcome::Dropped(DropReason::Usm(ReportKind::DecryptionError));
                    }
                }
            }
            // privFlag set over a plaintext ScopedPDU: nothing to decrypt.
            (SecurityLevel::AuthPriv, ScopedPduData::Plaintext(_)) => {
                self.stats.decryption_errors += 1;
                let n = self.stats.decryption_errors;
                let (r, kind) = (reportable && ours, ReportKind::DecryptionError);
                return self.report_or_drop(now, r, kind, n, &to, None);
            }
            (_, ScopedPduData::Plaintext(s)) => s,
            // An encryptedPDU without privFlag cannot be parsed (RFC 3412 §7.2).
            (_, ScopedPduData::Encrypted(_)) => {
                self.stats.malformed += 1;
                return Outcome::Dropped(DropReason::Malformed);
            }
        };
        let Pdus::Pdu(pdu) = scoped.pdu else {
            self.stats.malformed += 1;
            return Outcome::Dropped(DropReason::Malformed);
        };
        to.request_id = pdu.request_id;
        to.context_name = scoped.context_name;
        let origin = UsmOrigin {
            user_name: usm.user_name,
            level,
            engine_id: usm.engine_id,
            engine_boots: u32::try_from(usm.engine_boots).unwrap_or(0),
            engine_time: u32::try_from(usm.engine_time).unwrap_or(0),
            context_engine_id: scoped.context_engine_id,
            context_name: scoped.context_name,
        };
        let (kind, ack) = match pdu.pdu_type {
            PduType::SnmpV2Trap => {
                self.stats.traps += 1;
                (NotificationKind::Trap, None)
            }
            PduType::InformRequest if ours => {
                self.stats.informs += 1;
                let ack = inform_ack(
                    &mut self.usm,
                    &self.engine,
                    now,
                    from,
                    &msg,
                    &usm,
                    &scoped,
                    &pdu,
                    keys.as_deref(),
                );
                if ack.is_none() {
                    self.stats.ack_failures += 1;
                }
                (NotificationKind::Inform, ack)
            }
            PduType::InformRequest => {
                // An authentic inform keyed for another engine ID: the sender has a
                // stale notion of ours (e.g. we were re-installed). RFC 3414 §3.2
                // step 3 for the authoritative side: report usmStatsUnknownEngineIDs,
                // which carries our ID and makes the sender rediscover.
                self.stats.unknown_engine_ids += 1;
                let n = self.stats.unknown_engine_ids;
                let (r, kind) = (reportable, ReportKind::UnknownEngineId);
                return report_or_drop(
                    &mut self.usm,
                    &mut self.stats,
                    &mut self.reply,
                    &self.engine,
                    now,
                    Pending {
                        reportable: r,
                        kind,
                        counter: n,
                        to: &to,
                        keys: None,
                    },
                );
            }
            other => {
                self.stats.unexpected_pdus += 1;
                return Outcome::Dropped(DropReason::UnexpectedPdu(other));
            }
        };
        Outcome::Notification(Notification {
            kind,
            version: Version::V3,
            peer: from,
            security: Security::Usm(origin),
            pdu: scoped.pdu,
            ack,
        })
    }

    /// The configured user for `name` at `engine_id`: one pinned to that engine,
    /// else one accepted from any engine.
    fn find_user(&self, name: &[u8], engine_id: &[u8]) -> Option<usize> {
        let candidates = self.by_name.get(name)?;
        let pinned = |i: &usize| self.users.get(*i).and_then(|e| e.user.engine_id.as_deref());
        candidates
            .iter()
            .find(|i| pinned(i) == Some(engine_id))
            .or_else(|| candidates.iter().find(|i| pinned(i).is_none()))
            .copied()
    }

    /// RFC 3414 §3.2 step 5, plus the user's level as a floor.
    fn level_allowed(&self, idx: usize, level: SecurityLevel) -> bool {
        let Some(entry) = self.users.get(idx) else {
            return false;
        };
        let user = &entry.user;
        usm::rank(level) <= usm::rank(supported_level(user))
            && usm::rank(level) >= usm::rank(user.level)
    }

    /// RFC 3414 §3.2 step 7a (we are authoritative).
    fn in_time_window(&self, now: Instant, usm: &UsmSecurityParameters<'_>) -> bool {
        let boots = self.engine.boots;
        let time = i64::from(self.engine.time(now));
        boots < MAX_ENGINE_COUNTER
            && i64::from(usm.engine_boots) == i64::from(boots)
            && (i64::from(usm.engine_time) - time).unsigned_abs()
                <= self.config.time_window.as_secs()
    }

    /// The keys of user `idx` localized to `engine_id`, once the datagram's HMAC
    /// verifies with them (the verified copy is left in `scratch`). A pair seen for
    /// the first time is verified with the authentication key alone before the
    /// privacy key is derived, and only kept once it verified.
    fn verified_keys(
        &mut self,
        idx: usize,
        engine_id: &[u8],
        datagram: &[u8],
        usm: &UsmSecurityParameters<'_>,
    ) -> Option<Arc<UserKeys>> {
        let id = (idx, engine_id.to_vec());
        if let Some(keys) = self.usm.sessions.get(&id) {
            let ok = usm::verify(datagram, usm, keys.auth.as_ref(), &mut self.scratch);
            return ok.then(|| Arc::clone(keys));
        }
        let entry = self.users.get(idx)?;
        let cache = &mut self.usm.keys;
        let auth_only = security::user_keys(cache, &entry.auth_only, engine_id).ok()?;
        if !usm::verify(datagram, usm, auth_only.auth.as_ref(), &mut self.scratch) {
            return None;
        }
        let keys = if entry.user.privacy.is_some() {
            security::user_keys(cache, &entry.user, engine_id).ok()?
        } else {
            auth_only
        };
        let keys = Arc::new(keys);
        if self.usm.sessions.len() >= MAX_SESSIONS {
            self.usm.sessions.clear();
        }
        self.usm.sessions.insert(id, Arc::clone(&keys));
        Some(keys)
    }

    fn report_or_drop(
        &mut self,
        now: Instant,
        reportable: bool,
        kind: ReportKind,
        counter: u64,
        to: &ReportTo<'_>,
        keys: Option<&UserKeys>,
    ) -> Outcome<'_> {
        report_or_drop(
            &mut self.usm,
            &mut self.stats,
            &mut self.reply,
            &self.engine,
            now,
            Pending {
                reportable,
                kind,
                counter,
                to,
                keys,
            },
        )
    }
}

/// The Response to a v3 inform, at its level, from our engine (RFC 3416 §4.2.7:
/// same request-id and bindings; tooBig with no bindings if it would exceed the
/// sender's msgMaxSize).
#[allow(clippy::too_many_arguments)]
fn inform_ack(
    state: &mut UsmState,
    engine: &AuthoritativeEngine,
    now: Instant,
    from: SocketAddr,
    msg: &V3Message<'_>,
    usm: &UsmSecurityParameters<'_>,
    scoped: &ScopedPdu<'_>,
    pdu: &Pdu<'_>,
    keys: Option<&UserKeys>,
) -> Option<InformAck> {
    let mut response = response_to(pdu);
    let mut datagram = Vec::new();
    for _ in 0..2 {
        state.salt = state.salt.wrapping_add(1);
        Seal {
            msg_id: msg.msg_id,
            level: usm::level_of(msg.flags),
            keys,
            engine_id: &engine.engine_id,
            boots: engine.boots,
            time: engine.time(now),
            user_name: usm.user_name,
            context_engine_id: scoped.context_engine_id,
            context_name: scoped.context_name,
            pdu: response,
            salt: state.salt,
        }
        .encode(&mut state.plain, &mut datagram)
        .ok()?;
        let max = usize::try_from(msg.max_size).unwrap_or(0);
        if datagram.len() <= max || response.error_status != 0 {
            break;
        }
        response.error_status = ErrorStatus::TooBig.to_i32();
        response.varbinds = VarBinds::from_slice(&[]);
    }
    Some(InformAck {
        peer: from,
        datagram,
    })
}

/// A Report that may be due.
struct Pending<'a> {
    reportable: bool,
    kind: ReportKind,
    counter: u64,
    to: &'a ReportTo<'a>,
    /// Keys for an authenticated (authNoPriv) Report: notInTimeWindow only.
    keys: Option<&'a UserKeys>,
}

/// Encodes the Report into `reply` when one is due, else drops (Reports go only to
/// reportable messages).
fn report_or_drop<'r>(
    state: &mut UsmState,
    stats: &mut ReceiverStats,
    reply: &'r mut Vec<u8>,
    engine: &AuthoritativeEngine,
    now: Instant,
    p: Pending<'_>,
) -> Outcome<'r> {
    if !p.reportable {
        return Outcome::Dropped(DropReason::Usm(p.kind));
    }
    let Some(arc) = usm_stats_arc(p.kind) else {
        return Outcome::Dropped(DropReason::Usm(p.kind));
    };
    // usmStats<arc>.0 = Counter32, as one encoded VarBind.
    let mut binding = Vec::with_capacity(20);
    Writer::new(&mut binding).nested(TAG_SEQUENCE, |w| {
        w.primitive(TAG_OID, &[0x2b, 6, 1, 6, 3, 15, 1, 1, arc, 0]);
        w.unsigned(TAG_COUNTER32, p.counter & 0xffff_ffff);
    });
    let level = if p.keys.is_some() {
        SecurityLevel::AuthNoPriv
    } else {
        SecurityLevel::NoAuthNoPriv
    };
    let sealed = Seal {
        msg_id: p.to.msg_id,
        level,
        keys: p.keys,
        engine_id: &engine.engine_id,
        boots: engine.boots,
        time: engine.time(now),
        user_name: p.to.user_name,
        context_engine_id: &engine.engine_id,
        context_name: p.to.context_name,
        pdu: Pdu::new(
            PduType::Report,
            p.to.request_id,
            VarBinds::encoded(&binding),
        ),
        salt: 0,
    }
    .encode(&mut state.plain, reply);
    match sealed {
        Ok(()) => {
            stats.reports += 1;
            Outcome::Report {
                kind: p.kind,
                datagram: reply,
            }
        }
        Err(_) => Outcome::Dropped(DropReason::Usm(p.kind)),
    }
}

/// The last-but-one arc of usmStats objects (`1.3.6.1.6.3.15.1.1.<arc>.0`).
fn usm_stats_arc(kind: ReportKind) -> Option<u8> {
    Some(match kind {
        ReportKind::UnsupportedSecurityLevel => 1,
        ReportKind::NotInTimeWindow => 2,
        ReportKind::UnknownUserName => 3,
        ReportKind::UnknownEngineId => 4,
        ReportKind::WrongDigest => 5,
        ReportKind::DecryptionError => 6,
        _ => return None,
    })
}

/// The highest level `user` has keys for.
fn supported_level(user: &UsmUser) -> SecurityLevel {
    match (&user.auth, &user.privacy) {
        (Some(_), Some(_)) => SecurityLevel::AuthPriv,
        (Some(_), None) => SecurityLevel::AuthNoPriv,
        _ => SecurityLevel::NoAuthNoPriv,
    }
}

/// Whether a configured password is shorter than key derivation accepts.
fn too_short<P>(secret: &Option<(P, security::Secret)>) -> bool {
    secret
        .as_ref()
        .is_some_and(|(_, pw)| pw.len() < MIN_PASSWORD_LEN)
}

/// RFC 3416 §4.2.7: the Response to an InformRequest.
fn response_to<'a>(inform: &Pdu<'a>) -> Pdu<'a> {
    Pdu::new(PduType::Response, inform.request_id, inform.varbinds)
}
