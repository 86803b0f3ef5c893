//! USM processing for the receiver (RFC 3414 §3.1 and §3.2), in the RFC's order.
//!
//! [`crate::security::open`] serves the manager: it verifies and decrypts in one call
//! and returns only the PDU. A receiver needs the steps apart: the time-window check
//! sits between authentication and decryption (§3.2 steps 6–8) and yields an
//! authenticated Report; the privacy key of a never-seen engine is only derived after
//! the sender has proved it knows the authentication key (see
//! `Receiver::verified_keys`); and the Response to an inform must echo the inform's
//! contextEngineID and contextName (net-snmp's `snmpv3_verify_msg` drops a Response
//! whose context differs), which `open` does not return. Sealing likewise needs
//! msgFlags without reportableFlag (RFC 3412 §6.4: never set on Response- or
//! Internal-class PDUs), which [`crate::security::encode_request`] always sets.

use crate::ber::Writer;
use crate::crypto::{Authenticator, Privacy};
use crate::error::Error;
use crate::message::{MsgFlags, ScopedPdu, ScopedPduData, V3Message};
use crate::options::DecodeOptions;
use crate::pdu::{Pdu, Pdus};
use crate::security::{self, MAX_MESSAGE_SIZE, SecurityLevel, USM_SECURITY_MODEL, UserKeys};
use crate::usm::UsmSecurityParameters;

/// The level msgFlags ask for (the decoder already refused privacy without auth).
pub(super) fn level_of(flags: MsgFlags) -> SecurityLevel {
    match (flags.auth(), flags.privacy()) {
        (true, true) => SecurityLevel::AuthPriv,
        (true, false) => SecurityLevel::AuthNoPriv,
        _ => SecurityLevel::NoAuthNoPriv,
    }
}

/// Orders levels: noAuthNoPriv < authNoPriv < authPriv.
pub(super) fn rank(level: SecurityLevel) -> u8 {
    match level {
        SecurityLevel::NoAuthNoPriv => 0,
        SecurityLevel::AuthNoPriv => 1,
        SecurityLevel::AuthPriv => 2,
    }
}

fn flags_of(level: SecurityLevel) -> u8 {
    match level {
        SecurityLevel::NoAuthNoPriv => 0,
        SecurityLevel::AuthNoPriv => MsgFlags::AUTH,
        SecurityLevel::AuthPriv => MsgFlags::AUTH | MsgFlags::PRIV,
    }
}

/// Offset of `inner` within `outer` (both from the same datagram).
fn offset_in(outer: &[u8], inner: &[u8]) -> Option<usize> {
    let start = (inner.as_ptr() as usize).checked_sub(outer.as_ptr() as usize)?;
    (start + inner.len() <= outer.len()).then_some(start)
}

/// RFC 3414 §3.2 step 6: copies `datagram` into `scratch` and checks its HMAC there
/// (the tag slot must be zeroed to compute it; `scratch` is left equal to `datagram`).
pub(super) fn verify(
    datagram: &[u8],
    usm: &UsmSecurityParameters<'_>,
    auth: Option<&Authenticator>,
    scratch: &mut Vec<u8>,
) -> bool {
    let Some(auth) = auth else {
        return false;
    };
    let Some(offset) = offset_in(datagram, usm.auth_params) else {
        return false;
    };
    if usm.auth_params.len() != auth.protocol().tag_len() {
        return false;
    }
    scratch.clear();
    scratch.extend_from_slice(datagram);
    auth.verify_in_place(scratch, offset).is_ok()
}

/// RFC 3414 §3.2 step 8: decrypts `cipher` (the encryptedPDU of `datagram`) in the
/// copy [`verify`] left in `scratch`, and checks a ScopedPDU comes out. Returns where
/// the plaintext lies in `scratch`; decode it with [`scoped_pdu`].
pub(super) fn decrypt(
    datagram: &[u8],
    cipher: &[u8],
    usm: &UsmSecurityParameters<'_>,
    privacy: Option<&Privacy>,
    scratch: &mut [u8],
    opts: &DecodeOptions,
) -> Option<std::ops::Range<usize>> {
    let privacy = privacy?;
    let start = offset_in(datagram, cipher)?;
    let range = start..start + cipher.len();
    if scratch.len() != datagram.len() {
        return None;
    }
    let region = scratch.get_mut(range.clone())?;
    let boots = u32::try_from(usm.engine_boots).unwrap_or(0);
    let time = u32::try_from(usm.engine_time).unwrap_or(0);
    privacy.decrypt(boots, time, usm.priv_params, region).ok()?;
    // A wrong key yields garbage: only a ScopedPDU that decodes counts as decrypted.
    scoped_pdu(scratch, range.clone(), opts)?;
    Some(range)
}

/// Decodes the ScopedPDU in `bytes[range]` (DES padding after it is ignored).
pub(super) fn scoped_pdu<'a>(
    bytes: &'a [u8],
    range: std::ops::Range<usize>,
    opts: &DecodeOptions,
) -> Option<ScopedPdu<'a>> {
    let start = range.start;
    let plain = bytes.get(range)?;
    ScopedPdu::decode(plain, start, opts).ok()
}

/// An outgoing v3 message from an authoritative engine: a Report, the Response to an
/// inform, or (for a simulated agent) the Response to a request.
#[derive(Debug)]
pub struct Seal<'a> {
    /// msgID, echoed from the message answered.
    pub msg_id: i32,
    /// The level to send at; keys must be there for it.
    pub level: SecurityLevel,
    /// The user's keys localized to our engine (None at noAuthNoPriv).
    pub keys: Option<&'a UserKeys>,
    /// Our snmpEngineID, boots and time.
    pub engine_id: &'a [u8],
    /// snmpEngineBoots.
    pub boots: u32,
    /// snmpEngineTime now.
    pub time: u32,
    /// msgUserName, echoed.
    pub user_name: &'a [u8],
    /// contextEngineID.
    pub context_engine_id: &'a [u8],
    /// contextName.
    pub context_name: &'a [u8],
    /// The PDU.
    pub pdu: Pdu<'a>,
    /// The privacy salt (never repeated for one key).
    pub salt: u64,
}

impl Seal<'_> {
    /// Encodes into `out` (cleared first); `plain` is a scratch buffer for the
    /// ScopedPDU being encrypted. msgFlags carry the level and never reportableFlag.
    pub fn encode(&self, plain: &mut Vec<u8>, out: &mut Vec<u8>) -> Result<(), Error> {
        let scoped = ScopedPdu {
            context_engine_id: self.context_engine_id,
            context_name: self.context_name,
            pdu: Pdus::Pdu(self.pdu),
        };
        let auth = match self.level {
            SecurityLevel::NoAuthNoPriv => None,
            _ => Some(
                self.keys
                    .and_then(|k| k.auth.as_ref())
                    .ok_or(Error::Config("the level needs an authentication key"))?,
            ),
        };
        let mut priv_params = None;
        if self.level == SecurityLevel::AuthPriv {
            let privacy = self
                .keys
                .and_then(|k| k.privacy.as_ref())
                .ok_or(Error::Config("the level needs a privacy key"))?;
            plain.clear();
            scoped.encode(&mut Writer::new(plain));
            priv_params = Some(privacy.encrypt(self.boots, self.time, self.salt, plain)?);
        }
        let zeros = [0u8; 48];
        let tag_len = auth.map_or(0, |a| a.protocol().tag_len());
        let usm = UsmSecurityParameters {
            engine_id: self.engine_id,
            engine_boots: i32::try_from(self.boots).unwrap_or(i32::MAX),
            engine_time: i32::try_from(self.time).unwrap_or(i32::MAX),
            user_name: self.user_name,
            auth_params: zeros.get(..tag_len).unwrap_or(&[]),
            priv_params: priv_params.as_ref().map_or(&[][..], |p| &p[..]),
        }
        .to_vec();
        out.clear();
        V3Message {
            msg_id: self.msg_id,
            max_size: MAX_MESSAGE_SIZE,
            flags: MsgFlags(flags_of(self.level)),
            security_model: USM_SECURITY_MODEL,
            security_params: &usm,
            security_params_offset: 0,
            data: if priv_params.is_some() {
                ScopedPduData::Encrypted(plain)
            } else {
                ScopedPduData::Plaintext(scoped)
            },
        }
        .encode(out);
        if let Some(auth) = auth {
            let offset = security::auth_params_offset(out)?;
            auth.authenticate_in_place(out, offset)?;
        }
        Ok(())
    }
}
