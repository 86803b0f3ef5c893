//! USM keys: password to key, localization, and privacy-key extension.
//!
//! RFC 3414 §A.2 turns a password into a key Ku by hashing 1 MiB of the password
//! repeated; that is deliberately slow (milliseconds), which is why [`super::KeyCache`]
//! exists. Localizing Ku to one authoritative engine, `Kul = H(Ku ‖ engineID ‖ Ku)`, is
//! a single small hash. The privacy key is the privacy password's Kul (localized with
//! the *authentication* protocol's hash), cut to the cipher's length, or lengthened
//! with one of the two key-extension dialects when the hash is too short
//! ([`KeyExtension`]).
//!
//! A [`Key`] lives in a fixed 64-byte array (no heap, the largest digest is SHA-512's),
//! is zeroized on drop and prints only its length.

use std::fmt;

use digest::Digest;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::algorithm::{AuthProtocol, KeyExtension, PrivProtocol};
use super::error::CryptoError;

/// The largest key a [`Key`] holds: a SHA-512 digest.
pub const MAX_KEY_LEN: usize = 64;

/// The shortest password accepted, in bytes (RFC 3414 §11.2; net-snmp refuses shorter
/// ones).
pub const MIN_PASSWORD_LEN: usize = 8;

/// How many bytes of the repeated password RFC 3414 §A.2 hashes: 1 MiB.
const PASSWORD_STREAM_LEN: usize = 1 << 20;

/// Size of the repeated-password chunk fed to the hash (rounded up to whole passwords).
const PASSWORD_CHUNK_LEN: usize = 4096;

/// Secret key material (Ku, Kul, or a privacy key), zeroized on drop.
///
/// `Debug` shows only the length; equality is constant-time.
#[derive(Clone)]
pub struct Key {
    bytes: [u8; MAX_KEY_LEN],
    len: usize,
}

impl Key {
    /// Wraps key bytes (e.g. a localized key from configuration, as net-snmp's
    /// `-3k`/`-3K` take them).
    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        if bytes.len() > MAX_KEY_LEN {
            return Err(CryptoError::KeyTooLong {
                len: bytes.len(),
                max: MAX_KEY_LEN,
            });
        }
        Ok(Self::truncated(bytes))
    }

    /// Copies at most [`MAX_KEY_LEN`] bytes of `bytes`.
    pub(crate) fn truncated(bytes: &[u8]) -> Self {
        let mut key = Self {
            bytes: [0; MAX_KEY_LEN],
            len: 0,
        };
        key.append(bytes, MAX_KEY_LEN);
        key
    }

    /// Appends bytes of `more` until the key is `limit` bytes long (or `more` runs out).
    fn append(&mut self, more: &[u8], limit: usize) {
        let limit = limit.min(MAX_KEY_LEN);
        let n = more.len().min(limit.saturating_sub(self.len));
        if let (Some(dst), Some(src)) = (self.bytes.get_mut(self.len..self.len + n), more.get(..n))
        {
            dst.copy_from_slice(src);
            self.len += n;
        }
    }

    /// The first `len` bytes as a new key (the whole key if it is shorter).
    pub(crate) fn prefix(&self, len: usize) -> Self {
        Self::truncated(self.as_bytes().get(..len).unwrap_or(self.as_bytes()))
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    /// The key length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the key is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        self.bytes.zeroize();
        self.len = 0;
    }
}

impl ZeroizeOnDrop for Key {}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes().ct_eq(other.as_bytes()).into()
    }
}

impl Eq for Key {}

/// Hashes the concatenation of `parts` with `D`.
fn hash_parts<D: Digest>(parts: &[&[u8]]) -> Key {
    let mut h = D::new();
    for part in parts {
        h.update(part);
    }
    let out = Zeroizing::new(h.finalize());
    Key::truncated(&out)
}

/// Hashes the concatenation of `parts` with the protocol's hash function.
pub(crate) fn hash(proto: AuthProtocol, parts: &[&[u8]]) -> Key {
    match proto {
        AuthProtocol::Md5 => hash_parts::<md5::Md5>(parts),
        AuthProtocol::Sha1 => hash_parts::<sha1::Sha1>(parts),
        AuthProtocol::Sha224 => hash_parts::<sha2::Sha224>(parts),
        AuthProtocol::Sha256 => hash_parts::<sha2::Sha256>(parts),
        AuthProtocol::Sha384 => hash_parts::<sha2::Sha384>(parts),
        AuthProtocol::Sha512 => hash_parts::<sha2::Sha512>(parts),
    }
}

/// RFC 3414 §A.2.1/A.2.2: the digest of 1 MiB of `password` repeated.
fn ku_generic<D: Digest>(password: &[u8]) -> Key {
    let mut h = D::new();
    if !password.is_empty() {
        // The stream has period `password.len()`, so whole-password chunks concatenate
        // to it; the last chunk is cut short.
        let reps = PASSWORD_CHUNK_LEN.div_ceil(password.len());
        let mut chunk = Zeroizing::new(Vec::with_capacity(reps * password.len()));
        for _ in 0..reps {
            chunk.extend_from_slice(password);
        }
        let mut remaining = PASSWORD_STREAM_LEN;
        while remaining > 0 {
            let n = remaining.min(chunk.len());
            h.update(chunk.get(..n).unwrap_or(&[]));
            remaining -= n;
        }
    }
    let out = Zeroizing::new(h.finalize());
    Key::truncated(&out)
}

/// Password to key without the minimum-length check (the Reeder extension feeds a
/// localized key in as the "password").
pub(crate) fn ku_unchecked(proto: AuthProtocol, password: &[u8]) -> Key {
    match proto {
        AuthProtocol::Md5 => ku_generic::<md5::Md5>(password),
        AuthProtocol::Sha1 => ku_generic::<sha1::Sha1>(password),
        AuthProtocol::Sha224 => ku_generic::<sha2::Sha224>(password),
        AuthProtocol::Sha256 => ku_generic::<sha2::Sha256>(password),
        AuthProtocol::Sha384 => ku_generic::<sha2::Sha384>(password),
        AuthProtocol::Sha512 => ku_generic::<sha2::Sha512>(password),
    }
}

/// Turns a password into the user's key Ku (RFC 3414 §A.2, RFC 7860 §9.3): the hash of
/// 1 MiB of the password repeated. Costs milliseconds: cache it ([`super::KeyCache`]).
///
/// Passwords shorter than [`MIN_PASSWORD_LEN`] bytes are refused, as net-snmp does.
pub fn password_to_key(proto: AuthProtocol, password: &[u8]) -> Result<Key, CryptoError> {
    if password.len() < MIN_PASSWORD_LEN {
        return Err(CryptoError::PasswordTooShort {
            len: password.len(),
            min: MIN_PASSWORD_LEN,
        });
    }
    Ok(ku_unchecked(proto, password))
}

/// Localizes Ku to one authoritative engine (RFC 3414 §A.2): `Kul = H(Ku ‖ engineID ‖
/// Ku)`. One small hash.
pub fn localize(proto: AuthProtocol, ku: &Key, engine_id: &[u8]) -> Key {
    hash(proto, &[ku.as_bytes(), engine_id, ku.as_bytes()])
}

/// Lengthens (or cuts) a localized key to `len` bytes with the given extension method.
///
/// When `kul` is already long enough it is only cut, whatever the method: that is why
/// the two AES dialects agree for SHA-256 and longer hashes. Otherwise, as net-snmp's
/// `netsnmp_extend_kul` does:
///
/// - [`KeyExtension::Blumenthal`]: append `H(key so far)` until long enough;
/// - [`KeyExtension::Reeder`]: append `localize(passwordToKey(key so far), engineID)`
///   until long enough (each round hashes 1 MiB, so cache the result).
///
/// Errors with [`CryptoError::KeyLength`] if `kul` is too short and `ext` is
/// [`KeyExtension::None`], or `len` exceeds [`MAX_KEY_LEN`].
pub fn extend_key(
    auth: AuthProtocol,
    ext: KeyExtension,
    kul: &Key,
    engine_id: &[u8],
    len: usize,
) -> Result<Key, CryptoError> {
    if len > MAX_KEY_LEN || (kul.is_empty() && len > 0) {
        return Err(CryptoError::KeyLength {
            expected: len,
            actual: kul.len(),
        });
    }
    if kul.len() >= len {
        return Ok(kul.prefix(len));
    }
    let mut key = kul.clone();
    while key.len() < len {
        let next = match ext {
            KeyExtension::None => {
                return Err(CryptoError::KeyLength {
                    expected: len,
                    actual: kul.len(),
                });
            }
            KeyExtension::Blumenthal => hash(auth, &[key.as_bytes()]),
            KeyExtension::Reeder => {
                let ku = ku_unchecked(auth, key.as_bytes());
                localize(auth, &ku, engine_id)
            }
        };
        key.append(next.as_bytes(), len);
    }
    Ok(key)
}

/// The privacy key for `privacy` from the privacy password's localized key `kul`
/// (localized with the `auth` protocol's hash): cut or extended to
/// [`PrivProtocol::key_material_len`] bytes (cipher key, then the pre-IV for DES/3DES).
pub fn priv_key(
    auth: AuthProtocol,
    privacy: PrivProtocol,
    kul: &Key,
    engine_id: &[u8],
) -> Result<Key, CryptoError> {
    extend_key(
        auth,
        privacy.key_extension(),
        kul,
        engine_id,
        privacy.key_material_len(),
    )
}

/// The privacy key from the privacy password: password to key, localize, extend.
/// Does the 1 MiB derivation every call; [`super::KeyCache::priv_key`] caches it.
pub fn priv_key_from_password(
    auth: AuthProtocol,
    privacy: PrivProtocol,
    password: &[u8],
    engine_id: &[u8],
) -> Result<Key, CryptoError> {
    let ku = password_to_key(auth, password)?;
    let kul = localize(auth, &ku, engine_id);
    priv_key(auth, privacy, &kul, engine_id)
}
