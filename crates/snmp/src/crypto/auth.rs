//! Message authentication: the truncated HMAC over the whole message (RFC 3414 §6,
//! RFC 7860 §4).
//!
//! The tag covers the whole serialized message with msgAuthenticationParameters set to
//! zeros, so the encoder reserves a zero-filled slot of [`AuthProtocol::tag_len`] bytes
//! and this module patches the tag into it ([`Authenticator::authenticate_in_place`]);
//! the receiver checks a datagram in place ([`Authenticator::verify_in_place`]) without
//! copying it.
//!
//! An [`Authenticator`] is keyed once per localized key: HMAC's inner and outer pads
//! are hashed at construction and the keyed state is cloned per message, which saves
//! two compression-function calls and all key handling per message. It never
//! allocates.

use std::fmt;

use hmac::{Hmac, KeyInit, Mac};
use subtle::ConstantTimeEq;

use super::algorithm::AuthProtocol;
use super::error::CryptoError;
use super::key::Key;

/// The longest truncated tag: HMAC-SHA-512's 48 bytes (RFC 7860).
pub const MAX_TAG_LEN: usize = 48;

/// The longest untruncated HMAC output: SHA-512's 64 bytes.
const MAX_MAC_LEN: usize = 64;

/// An HMAC output (truncated to the protocol's tag length, or full from
/// [`Authenticator::mac`]), stored inline.
///
/// Tags travel in the clear, so `Debug` shows them in hex. Equality is constant-time.
#[derive(Clone, Copy)]
pub struct AuthTag {
    bytes: [u8; MAX_MAC_LEN],
    len: usize,
}

impl AuthTag {
    fn new(bytes: &[u8], len: usize) -> Self {
        let mut tag = Self {
            bytes: [0; MAX_MAC_LEN],
            len: 0,
        };
        let n = len.min(bytes.len()).min(MAX_MAC_LEN);
        if let (Some(dst), Some(src)) = (tag.bytes.get_mut(..n), bytes.get(..n)) {
            dst.copy_from_slice(src);
            tag.len = n;
        }
        tag
    }

    /// The tag bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    /// The tag length.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the tag is empty (never, for a computed tag).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl AsRef<[u8]> for AuthTag {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for AuthTag {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes().ct_eq(other.as_bytes()).into()
    }
}

impl Eq for AuthTag {}

impl fmt::Debug for AuthTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthTag(")?;
        for b in self.as_bytes() {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// The keyed HMAC state (inner and outer hash states after the padded key), one
/// variant per hash. Per message only the chosen variant's state is copied.
#[derive(Clone)]
enum MacState {
    Md5(Hmac<md5::Md5>),
    Sha1(Hmac<sha1::Sha1>),
    Sha224(Hmac<sha2::Sha224>),
    Sha256(Hmac<sha2::Sha256>),
    Sha384(Hmac<sha2::Sha384>),
    Sha512(Hmac<sha2::Sha512>),
}

/// Clones the keyed state, feeds `data`, returns the full MAC.
fn run<M: Mac + Clone>(keyed: &M, data: &[u8]) -> AuthTag {
    let mut m = keyed.clone();
    m.update(data);
    let out = m.finalize().into_bytes();
    AuthTag::new(&out, MAX_MAC_LEN)
}

fn keyed<M: Mac + KeyInit>(key: &[u8]) -> Result<M, CryptoError> {
    // HMAC takes keys of any length (RFC 2104 §2); the error cannot occur.
    M::new_from_slice(key).map_err(|_| CryptoError::KeyLength {
        expected: 0,
        actual: key.len(),
    })
}

/// HMAC keyed once with a localized authentication key, for any number of messages.
///
/// ```
/// use nocwatch_snmp::crypto::{AuthProtocol, Authenticator, localize, password_to_key};
///
/// let ku = password_to_key(AuthProtocol::Sha256, b"authpass123")?;
/// let kul = localize(AuthProtocol::Sha256, &ku, &[0x80, 0, 0x1f, 0x88, 4, 1, 2, 3]);
/// let auth = Authenticator::new(AuthProtocol::Sha256, &kul)?;
/// let mut msg = vec![0x30, 0x03, 0x02, 0x01, 0x00];
/// msg.extend_from_slice(&[0; 24]); // the zeroed msgAuthenticationParameters slot
/// auth.authenticate_in_place(&mut msg, 5)?;
/// auth.verify_in_place(&mut msg, 5)?;
/// # Ok::<(), nocwatch_snmp::crypto::CryptoError>(())
/// ```
#[derive(Clone)]
pub struct Authenticator {
    proto: AuthProtocol,
    state: MacState,
}

impl Authenticator {
    /// Keys the HMAC with a localized key, which must be [`AuthProtocol::key_len`]
    /// bytes (catches a privacy key or another protocol's key passed by mistake).
    pub fn new(proto: AuthProtocol, key: &Key) -> Result<Self, CryptoError> {
        if key.len() != proto.key_len() {
            return Err(CryptoError::KeyLength {
                expected: proto.key_len(),
                actual: key.len(),
            });
        }
        Self::from_key_bytes(proto, key.as_bytes())
    }

    /// Keys the HMAC with key bytes of any length, as plain HMAC (RFC 2104) allows.
    pub fn from_key_bytes(proto: AuthProtocol, key: &[u8]) -> Result<Self, CryptoError> {
        let state = match proto {
            AuthProtocol::Md5 => MacState::Md5(keyed(key)?),
            AuthProtocol::Sha1 => MacState::Sha1(keyed(key)?),
            AuthProtocol::Sha224 => MacState::Sha224(keyed(key)?),
            AuthProtocol::Sha256 => MacState::Sha256(keyed(key)?),
            AuthProtocol::Sha384 => MacState::Sha384(keyed(key)?),
            AuthProtocol::Sha512 => MacState::Sha512(keyed(key)?),
        };
        Ok(Self { proto, state })
    }

    /// The protocol.
    pub fn protocol(&self) -> AuthProtocol {
        self.proto
    }

    /// The untruncated HMAC of `data` (digest-size bytes).
    pub fn mac(&self, data: &[u8]) -> AuthTag {
        match &self.state {
            MacState::Md5(m) => run(m, data),
            MacState::Sha1(m) => run(m, data),
            MacState::Sha224(m) => run(m, data),
            MacState::Sha256(m) => run(m, data),
            MacState::Sha384(m) => run(m, data),
            MacState::Sha512(m) => run(m, data),
        }
    }

    /// The USM tag of `whole_message` (whose msgAuthenticationParameters the caller has
    /// zero-filled): the HMAC truncated to [`AuthProtocol::tag_len`] bytes.
    pub fn tag(&self, whole_message: &[u8]) -> AuthTag {
        let full = self.mac(whole_message);
        AuthTag::new(full.as_bytes(), self.proto.tag_len())
    }

    /// Computes the tag of `message` and writes it into the msgAuthenticationParameters
    /// slot at `auth_params_offset`, which must be exactly [`AuthProtocol::tag_len`]
    /// zero bytes (the encoder reserves it so).
    pub fn authenticate_in_place(
        &self,
        message: &mut [u8],
        auth_params_offset: usize,
    ) -> Result<(), CryptoError> {
        let range = self.slot(message.len(), auth_params_offset)?;
        let slot = message.get(range.clone()).unwrap_or(&[]);
        if slot.iter().any(|&b| b != 0) {
            return Err(CryptoError::AuthParamsNotZeroed);
        }
        let tag = self.tag(message);
        if let Some(slot) = message.get_mut(range) {
            slot.copy_from_slice(tag.as_bytes());
        }
        Ok(())
    }

    /// Checks a received message's tag: copies the [`AuthProtocol::tag_len`] bytes at
    /// `auth_params_offset` out, zeroes them, computes the tag, compares in constant
    /// time, and puts the received bytes back, so `message` is unchanged on return.
    ///
    /// The caller must have checked that msgAuthenticationParameters is exactly
    /// `tag_len` bytes long (RFC 3414 §3.2 step 7a; otherwise report
    /// usmStatsWrongDigests without calling this).
    pub fn verify_in_place(
        &self,
        message: &mut [u8],
        auth_params_offset: usize,
    ) -> Result<(), CryptoError> {
        let range = self.slot(message.len(), auth_params_offset)?;
        let mut received = [0u8; MAX_TAG_LEN];
        let len = range.len();
        let received = received.get_mut(..len).unwrap_or(&mut []);
        if let Some(slot) = message.get_mut(range.clone()) {
            received.copy_from_slice(slot);
            slot.fill(0);
        }
        let tag = self.tag(message);
        let ok: bool = tag.as_bytes().ct_eq(received).into();
        if let Some(slot) = message.get_mut(range) {
            slot.copy_from_slice(received);
        }
        if ok {
            Ok(())
        } else {
            Err(CryptoError::WrongDigest)
        }
    }

    /// Checks `received` against the tag of `message_with_zeroed_slot` (for callers
    /// that already hold a copy with the slot zeroed), in constant time.
    pub fn verify(
        &self,
        message_with_zeroed_slot: &[u8],
        received: &[u8],
    ) -> Result<(), CryptoError> {
        let tag = self.tag(message_with_zeroed_slot);
        if bool::from(tag.as_bytes().ct_eq(received)) {
            Ok(())
        } else {
            Err(CryptoError::WrongDigest)
        }
    }

    fn slot(
        &self,
        message_len: usize,
        offset: usize,
    ) -> Result<std::ops::Range<usize>, CryptoError> {
        let len = self.proto.tag_len();
        match offset.checked_add(len) {
            Some(end) if end <= message_len => Ok(offset..end),
            _ => Err(CryptoError::AuthParamsOutOfRange {
                offset,
                len,
                message_len,
            }),
        }
    }
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("protocol", &self.proto)
            .finish_non_exhaustive()
    }
}

/// The USM tag of `whole_message` under `key`. Keys an HMAC per call: use an
/// [`Authenticator`] on hot paths.
pub fn auth_tag(
    proto: AuthProtocol,
    key: &Key,
    whole_message: &[u8],
) -> Result<AuthTag, CryptoError> {
    Ok(Authenticator::new(proto, key)?.tag(whole_message))
}

/// [`Authenticator::authenticate_in_place`] with a one-off [`Authenticator`].
pub fn authenticate_in_place(
    proto: AuthProtocol,
    key: &Key,
    message: &mut [u8],
    auth_params_offset: usize,
) -> Result<(), CryptoError> {
    Authenticator::new(proto, key)?.authenticate_in_place(message, auth_params_offset)
}

/// [`Authenticator::verify_in_place`] with a one-off [`Authenticator`].
pub fn verify_in_place(
    proto: AuthProtocol,
    key: &Key,
    message: &mut [u8],
    auth_params_offset: usize,
) -> Result<(), CryptoError> {
    Authenticator::new(proto, key)?.verify_in_place(message, auth_params_offset)
}
