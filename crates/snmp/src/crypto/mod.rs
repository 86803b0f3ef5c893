//! SNMPv3 User-based Security Model crypto (RFC 3414, RFC 3826, RFC 7860 and the
//! AES-192/256 and 3DES drafts): keys, message authentication and privacy.
//!
//! Why this module looks the way it does:
//!
//! - **Pure functions and small owned types, no I/O.** Like the rest of the crate it is
//!   sans-IO: no sockets, clocks, randomness or globals. Salts are counters the caller
//!   supplies; engine boots/time come from the caller's engine state.
//! - **Key derivation is the expensive part, so it is cached by the caller.** Turning a
//!   password into a key hashes 1 MiB ([`password_to_key`]); localizing it to one agent
//!   ([`localize`]) is one small hash. A [`KeyCache`] owned by the caller shares the
//!   1 MiB derivation between all agents that use one credential, so 100,000 devices
//!   with one password cost one derivation plus 100,000 small hashes.
//! - **The per-message path is cheap and allocation-free.** An [`Authenticator`] holds
//!   an HMAC keyed once (inner and outer pads already hashed) and clones that state per
//!   message; a [`Privacy`] holds the expanded cipher key schedule. Neither derives a
//!   key or touches the heap per message ([`Privacy::encrypt`] may grow the caller's
//!   `Vec` by up to 7 padding bytes for DES/3DES unless it has spare capacity).
//! - **The privacy dialects are explicit.** AES-192/256 keys are longer than MD5/SHA-1
//!   digests, and vendors extend them in two incompatible ways (Blumenthal, net-snmp's
//!   `AES-256`; Reeder, net-snmp's `AES-256-C`, used by Cisco). A mismatch makes agents
//!   drop packets silently, so each dialect is its own [`PrivProtocol`] variant.
//! - **Secrets are wiped.** [`Key`] zeroizes its bytes on drop and never prints them;
//!   keyed HMAC and cipher states are zeroized on drop by the RustCrypto crates'
//!   `zeroize` features. Tags are compared in constant time.

mod algorithm;
mod auth;
mod cache;
mod error;
mod key;
mod privacy;

#[cfg(test)]
mod tests;

pub use algorithm::{AuthProtocol, KeyExtension, PrivProtocol};
pub use auth::{
    AuthTag, Authenticator, MAX_TAG_LEN, auth_tag, authenticate_in_place, verify_in_place,
};
pub use cache::{KeyCache, KeyCacheStats, LocalizedKeys};
pub use error::CryptoError;
pub use key::{
    Key, MAX_KEY_LEN, MIN_PASSWORD_LEN, extend_key, localize, password_to_key, priv_key,
    priv_key_from_password,
};
pub use privacy::{PRIV_PARAMS_LEN, Privacy, decrypt, encrypt};
