//! SNMPv3 message processing for a manager (RFC 3412 §7, RFC 3414 §3): building
//! authenticated and encrypted requests, and opening what comes back.
//!
//! The crypto primitives live in [`crate::crypto`]; this module decides what is
//! hashed and encrypted, where the authentication parameters sit in the encoded
//! message, and what a Report means. Incoming messages are verified on a private copy
//! (the tag slot must be zeroed to compute the HMAC) that the caller owns, so the
//! decoded PDU can borrow from it without allocating per message.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use crate::ber::Writer;
use crate::crypto::{self, AuthProtocol, PrivProtocol};
use crate::error::{DecodeError, Error};
use crate::message::{Message, MsgFlags, ScopedPdu, ScopedPduData, V3Message};
use crate::oid::OidRef;
use crate::options::DecodeOptions;
use crate::pdu::{Pdu, PduType, Pdus};
use crate::usm::UsmSecurityParameters;
use crate::varbind::VarBinds;

/// The User-based Security Model's number (msgSecurityModel).
pub const USM_SECURITY_MODEL: i32 = 3;

/// The largest message we accept, advertised as msgMaxSize (the UDP payload limit,
/// as net-snmp advertises).
pub const MAX_MESSAGE_SIZE: i32 = 65507;

/// How much protection a v3 request gets (net-snmp's `-l`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecurityLevel {
    /// No authentication, no privacy.
    NoAuthNoPriv,
    /// HMAC-authenticated, in clear.
    AuthNoPriv,
    /// Authenticated and encrypted.
    AuthPriv,
}

impl std::str::FromStr for SecurityLevel {
    type Err = Error;

    /// net-snmp's spellings: `noAuthNoPriv`, `authNoPriv`, `authPriv` (any case), and
    /// its abbreviations `1`/`2`/`3`, `nanp`/`anp`/`ap`.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "noauthnopriv" | "noauth" | "nanp" | "1" => Ok(Self::NoAuthNoPriv),
            "authnopriv" | "auth" | "anp" | "2" => Ok(Self::AuthNoPriv),
            "authpriv" | "priv" | "ap" | "3" => Ok(Self::AuthPriv),
            _ => Err(Error::Config(
                "Invalid security level specified after -l flag",
            )),
        }
    }
}

/// A pass phrase, zeroed when the last reference goes.
pub type Secret = Arc<zeroize::Zeroizing<Vec<u8>>>;

fn secret(bytes: &[u8]) -> Secret {
    Arc::new(zeroize::Zeroizing::new(bytes.to_vec()))
}

/// A USM user as a manager configures it (net-snmp's `-u -l -a -A -x -X -n -E -e`).
///
/// Passwords are kept (in memory that is zeroed on drop) because keys are localized
/// per authoritative engine; the [`crypto::KeyCache`] makes that one 1-MiB
/// derivation per password, whatever the number of engines.
#[derive(Clone)]
pub struct UsmUser {
    /// securityName.
    pub name: Vec<u8>,
    /// The security level to request.
    pub level: SecurityLevel,
    /// Authentication protocol and password (needed from authNoPriv up).
    pub auth: Option<(AuthProtocol, Secret)>,
    /// Privacy protocol and password (needed for authPriv).
    pub privacy: Option<(PrivProtocol, Secret)>,
    /// contextName (`-n`).
    pub context_name: Vec<u8>,
    /// contextEngineID (`-E`); defaults to the authoritative engine's ID.
    pub context_engine_id: Option<Vec<u8>>,
    /// The authoritative engine's ID (`-e`), which skips discovery.
    pub engine_id: Option<Vec<u8>>,
}

impl fmt::Debug for UsmUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsmUser")
            .field("name", &String::from_utf8_lossy(&self.name))
            .field("level", &self.level)
            .field("auth", &self.auth.as_ref().map(|a| a.0))
            .field("privacy", &self.privacy.as_ref().map(|p| p.0))
            .finish_non_exhaustive()
    }
}

impl UsmUser {
    /// A user at `level`, checking that the passwords the level needs are there.
    pub fn new(
        name: &[u8],
        level: SecurityLevel,
        auth: Option<(AuthProtocol, &[u8])>,
        privacy: Option<(PrivProtocol, &[u8])>,
    ) -> Result<Self, Error> {
        let auth = match (level, auth) {
            (SecurityLevel::NoAuthNoPriv, _) => None,
            (_, Some((p, pw))) => Some((p, secret(pw))),
            (_, None) => {
                return Err(Error::Config(
                    "authentication needs a protocol and a password (-a, -A)",
                ));
            }
        };
        let privacy = match (level, privacy) {
            (SecurityLevel::AuthPriv, Some((p, pw))) => Some((p, secret(pw))),
            (SecurityLevel::AuthPriv, None) => {
                return Err(Error::Config(
                    "privacy needs a protocol and a password (-x, -X)",
                ));
            }
            _ => None,
        };
        Ok(Self {
            name: name.to_vec(),
            level,
            auth,
            privacy,
            context_name: Vec::new(),
            context_engine_id: None,
            engine_id: None,
        })
    }

    /// msgFlags for a message carrying `pdu_type`: reportable only for the
    /// confirmed class (RFC 3412 §6.4: never on Trap, Response or Report).
    fn flags(&self, pdu_type: PduType) -> u8 {
        let reportable = if matches!(
            pdu_type,
            PduType::GetRequest
                | PduType::GetNextRequest
                | PduType::GetBulkRequest
                | PduType::SetRequest
                | PduType::InformRequest
        ) {
            MsgFlags::REPORTABLE
        } else {
            0
        };
        reportable
            | match self.level {
                SecurityLevel::NoAuthNoPriv => 0,
                SecurityLevel::AuthNoPriv => MsgFlags::AUTH,
                SecurityLevel::AuthPriv => MsgFlags::AUTH | MsgFlags::PRIV,
            }
    }
}

/// What a manager knows of an authoritative engine, learned by discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineInfo {
    /// snmpEngineID.
    pub id: Vec<u8>,
    /// snmpEngineBoots at `learned_at`.
    pub boots: u32,
    /// snmpEngineTime at `learned_at`.
    pub time: u32,
    /// When `boots` and `time` were learned (local clock, passed in).
    pub learned_at: Instant,
}

impl EngineInfo {
    /// The engine's time now, estimated from when it was learned.
    pub fn time_at(&self, now: Instant) -> u32 {
        let elapsed = now.saturating_duration_since(self.learned_at).as_secs();
        let t = u64::from(self.time).saturating_add(elapsed);
        u32::try_from(t.min(2_147_483_647)).unwrap_or(u32::MAX)
    }
}

/// Keyed authentication and privacy state for one (user, engine): built once, so
/// that a message costs an HMAC and a cipher pass, not a key derivation or a key
/// schedule.
#[derive(Debug)]
pub struct UserKeys {
    pub(crate) auth: Option<crypto::Authenticator>,
    pub(crate) privacy: Option<crypto::Privacy>,
}

/// Derives (through the cache) the keys `user` needs for `engine_id`.
pub fn user_keys(
    cache: &mut crypto::KeyCache,
    user: &UsmUser,
    engine_id: &[u8],
) -> Result<UserKeys, Error> {
    let auth = match &user.auth {
        Some((proto, password)) => {
            let key = cache.auth_key(*proto, password, engine_id)?;
            Some(crypto::Authenticator::new(*proto, &key)?)
        }
        None => None,
    };
    let privacy = match (&user.auth, &user.privacy) {
        (Some((auth_proto, _)), Some((priv_proto, password))) => {
            let key = cache.priv_key(*auth_proto, *priv_proto, password, engine_id)?;
            Some(crypto::Privacy::new(*priv_proto, &key)?)
        }
        _ => None,
    };
    Ok(UserKeys { auth, privacy })
}

/// Encodes the discovery probe (RFC 3414 §4): noAuthNoPriv, reportable, empty engine
/// ID and user, a GET with no bindings. The agent answers with a Report carrying its
/// engine ID, boots and time.
pub fn encode_discovery(msg_id: i32, out: &mut Vec<u8>) {
    let usm = UsmSecurityParameters::default().to_vec();
    let pdu = Pdu::new(PduType::GetRequest, msg_id, VarBinds::from_slice(&[]));
    let msg = V3Message {
        msg_id,
        max_size: MAX_MESSAGE_SIZE,
        flags: MsgFlags(MsgFlags::REPORTABLE),
        security_model: USM_SECURITY_MODEL,
        security_params: &usm,
        security_params_offset: 0,
        data: ScopedPduData::Plaintext(ScopedPdu {
            context_engine_id: &[],
            context_name: &[],
            pdu: Pdus::Pdu(pdu),
        }),
    };
    out.clear();
    msg.encode(out);
}

/// Encodes `pdu` for `user` as an authenticated and, at authPriv, encrypted v3
/// message into `out` (for requests; an agent or a notification sender uses it for
/// any PDU). `scratch` is a reusable buffer; `salt` must differ for every message.
#[allow(clippy::too_many_arguments)]
pub fn encode_request(
    user: &UsmUser,
    keys: &UserKeys,
    engine: &EngineInfo,
    now: Instant,
    msg_id: i32,
    pdu: &Pdu<'_>,
    salt: u64,
    scratch: &mut Vec<u8>,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let boots = engine.boots;
    let time = engine.time_at(now);
    // The scoped PDU, in clear.
    scratch.clear();
    ScopedPdu {
        context_engine_id: user.context_engine_id.as_deref().unwrap_or(&engine.id),
        context_name: &user.context_name,
        pdu: Pdus::Pdu(*pdu),
    }
    .encode(&mut Writer::new(scratch));
    let mut priv_params = [0u8; 8];
    let encrypted = match (&keys.privacy, user.level) {
        (Some(privacy), SecurityLevel::AuthPriv) => {
            priv_params = privacy.encrypt(boots, time, salt, scratch)?;
            true
        }
        _ => false,
    };
    let tag_len = match (&keys.auth, user.level) {
        (Some(auth), SecurityLevel::AuthNoPriv | SecurityLevel::AuthPriv) => {
            auth.protocol().tag_len()
        }
        _ => 0,
    };
    let zeros = [0u8; 48];
    let usm = UsmSecurityParameters {
        engine_id: &engine.id,
        engine_boots: i32::try_from(boots).unwrap_or(i32::MAX),
        engine_time: i32::try_from(time).unwrap_or(i32::MAX),
        user_name: &user.name,
        auth_params: zeros.get(..tag_len).unwrap_or(&[]),
        priv_params: if encrypted { &priv_params } else { &[] },
    }
    .to_vec();
    let data = if encrypted {
        ScopedPduData::Encrypted(scratch)
    } else {
        match ScopedPdu::decode(scratch, 0, &DecodeOptions::strict()) {
            Ok(s) => ScopedPduData::Plaintext(s),
            Err(e) => return Err(Error::Decode(e)),
        }
    };
    out.clear();
    V3Message {
        msg_id,
        max_size: MAX_MESSAGE_SIZE,
        flags: MsgFlags(user.flags(pdu.pdu_type)),
        security_model: USM_SECURITY_MODEL,
        security_params: &usm,
        security_params_offset: 0,
        data,
    }
    .encode(out);
    if let (Some(auth), true) = (&keys.auth, tag_len > 0) {
        let offset = auth_params_offset(out)?;
        auth.authenticate_in_place(out, offset)?;
    }
    Ok(())
}

/// Where the authentication parameters' content starts in an encoded v3 message.
pub(crate) fn auth_params_offset(message: &[u8]) -> Result<usize, Error> {
    let Message::V3(m) = Message::decode(message, &DecodeOptions::strict())? else {
        return Err(Error::Decode(DecodeError::UnsupportedVersion(0)));
    };
    let usm = m.usm()?;
    // Both slices borrow `message`: the distance between their starts is the offset.
    Ok(usm.auth_params.as_ptr() as usize - message.as_ptr() as usize)
}

/// The usmStats counters an agent reports (RFC 3414 §5), as typed errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReportKind {
    /// usmStatsUnsupportedSecLevels.
    UnsupportedSecurityLevel,
    /// usmStatsNotInTimeWindows (after the resynchronisation failed).
    NotInTimeWindow,
    /// usmStatsUnknownUserNames.
    UnknownUserName,
    /// usmStatsUnknownEngineIDs (after discovery failed).
    UnknownEngineId,
    /// usmStatsWrongDigests: the authentication password or protocol is wrong.
    WrongDigest,
    /// usmStatsDecryptionErrors: the privacy password or protocol is wrong.
    DecryptionError,
    /// Another Report (snmpUnknownPDUHandlers, snmpInvalidMsgs, ...).
    Other,
}

impl ReportKind {
    /// Classifies a Report by its first binding's OID.
    pub fn from_oid(oid: &OidRef<'_>) -> Self {
        let arcs: smallvec::SmallVec<[u32; 16]> = oid.arcs().collect();
        if arcs.len() < 10 || arcs[..9] != *crate::oids::USM_STATS {
            return Self::Other;
        }
        match arcs[9] {
            1 => Self::UnsupportedSecurityLevel,
            2 => Self::NotInTimeWindow,
            3 => Self::UnknownUserName,
            4 => Self::UnknownEngineId,
            5 => Self::WrongDigest,
            6 => Self::DecryptionError,
            _ => Self::Other,
        }
    }
}

impl fmt::Display for ReportKind {
    /// net-snmp's wording (snmp_api's error strings).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UnsupportedSecurityLevel => "Unsupported security level",
            Self::NotInTimeWindow => "Not in time window",
            Self::UnknownUserName => "Unknown user name",
            Self::UnknownEngineId => "Unknown engine ID",
            Self::WrongDigest => "Authentication failure (incorrect password, community or key)",
            Self::DecryptionError => "Decryption error",
            Self::Other => "Report PDU received",
        })
    }
}

/// Why an incoming v3 message was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    /// The HMAC did not verify: counted, dropped (a forgery or a wrong key).
    BadDigest,
    /// Encrypted, but it could not be decrypted or what came out is not a ScopedPDU.
    Undecryptable,
    /// Not decodable at all.
    Malformed,
}

/// An opened incoming v3 message.
#[derive(Debug)]
pub struct Opened<'a> {
    /// Its USM parameters.
    pub usm: UsmSecurityParameters<'a>,
    /// True if its HMAC was verified.
    pub authenticated: bool,
    /// contextEngineID of the scoped PDU (a responder echoes it).
    pub context_engine_id: &'a [u8],
    /// contextName of the scoped PDU.
    pub context_name: &'a [u8],
    /// The PDU, from the datagram or from the decrypted copy.
    pub pdu: Pdu<'a>,
}

/// Verifies and decrypts `datagram` (already decoded as `msg`) with `keys`, using
/// `scratch` for the copy that verification and decryption need.
pub fn open<'a>(
    datagram: &'a [u8],
    msg: &V3Message<'a>,
    keys: Option<&UserKeys>,
    scratch: &'a mut Vec<u8>,
    opts: &DecodeOptions,
) -> Result<Opened<'a>, Rejected> {
    let usm = msg.usm().map_err(|_| Rejected::Malformed)?;
    // The privacy flag must say what the body is.
    if msg.flags.privacy() != matches!(msg.data, ScopedPduData::Encrypted(_)) {
        return Err(Rejected::Malformed);
    }
    let authenticated = msg.flags.auth();
    let needs_copy = authenticated || msg.flags.privacy();
    if needs_copy {
        scratch.clear();
        scratch.extend_from_slice(datagram);
    }
    if authenticated {
        let Some(auth) = keys.and_then(|k| k.auth.as_ref()) else {
            return Err(Rejected::BadDigest);
        };
        let offset = usm.auth_params.as_ptr() as usize - datagram.as_ptr() as usize;
        if usm.auth_params.len() != auth.protocol().tag_len()
            || auth.verify_in_place(scratch, offset).is_err()
        {
            return Err(Rejected::BadDigest);
        }
    }
    let scratch: &'a mut Vec<u8> = scratch;
    let scoped = match &msg.data {
        ScopedPduData::Plaintext(s) => *s,
        ScopedPduData::Encrypted(cipher) => {
            let Some(privacy) = keys.and_then(|k| k.privacy.as_ref()) else {
                return Err(Rejected::Undecryptable);
            };
            let start = cipher.as_ptr() as usize - datagram.as_ptr() as usize;
            let region = scratch
                .get_mut(start..start + cipher.len())
                .ok_or(Rejected::Malformed)?;
            let boots = u32::try_from(usm.engine_boots).unwrap_or(0);
            let time = u32::try_from(usm.engine_time).unwrap_or(0);
            privacy
                .decrypt(boots, time, usm.priv_params, region)
                .map_err(|_| Rejected::Undecryptable)?;
            let plain: &'a [u8] = match scratch.get(start..start + cipher.len()) {
                Some(p) => p,
                None => return Err(Rejected::Malformed),
            };
            ScopedPdu::decode(plain, 0, opts).map_err(|_| Rejected::Undecryptable)?
        }
    };
    let Pdus::Pdu(pdu) = scoped.pdu else {
        return Err(Rejected::Malformed);
    };
    Ok(Opened {
        usm,
        authenticated,
        context_engine_id: scoped.context_engine_id,
        context_name: scoped.context_name,
        pdu,
    })
}
