//! The USM crypto error type.
//!
//! Kept apart from the crate's [`crate::Error`] so the crypto module can grow without
//! touching the codec's error enums; the SNMPv3 message layer maps these onto report
//! PDUs (wrongDigests, decryptionErrors) and typed errors.

/// What went wrong deriving a key, authenticating or en/decrypting a message.
///
/// No variant carries key material or passwords.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The password is shorter than net-snmp (and RFC 3414 §11.2) accepts.
    #[error("password is {len} byte(s); at least {min} are required")]
    PasswordTooShort {
        /// The password's length in bytes.
        len: usize,
        /// The minimum, [`crate::crypto::MIN_PASSWORD_LEN`].
        min: usize,
    },
    /// A key has the wrong length for the protocol it is used with.
    #[error("key is {actual} byte(s); {expected} expected")]
    KeyLength {
        /// The length the protocol needs.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// Key bytes longer than a [`crate::crypto::Key`] can hold.
    #[error("key of {len} byte(s) exceeds the maximum of {max}")]
    KeyTooLong {
        /// The length given.
        len: usize,
        /// [`crate::crypto::MAX_KEY_LEN`].
        max: usize,
    },
    /// The msgAuthenticationParameters slot does not lie inside the message.
    #[error(
        "authentication parameters at offset {offset} ({len} byte(s)) lie outside the \
         {message_len}-byte message"
    )]
    AuthParamsOutOfRange {
        /// The slot's offset.
        offset: usize,
        /// The tag length the protocol needs.
        len: usize,
        /// The message length.
        message_len: usize,
    },
    /// The msgAuthenticationParameters slot was not zero-filled before authenticating.
    #[error("authentication parameters slot is not zero-filled")]
    AuthParamsNotZeroed,
    /// The received HMAC tag does not match (report usmStatsWrongDigests).
    #[error("authentication failed: wrong digest")]
    WrongDigest,
    /// msgPrivacyParameters is not the 8 bytes every USM privacy protocol uses.
    #[error("privacy parameters are {len} byte(s); 8 expected")]
    PrivParamsLength {
        /// The length received.
        len: usize,
    },
    /// A DES/3DES ciphertext whose length is not a multiple of the block size
    /// (report usmStatsDecryptionErrors).
    #[error("ciphertext of {len} byte(s) is not a multiple of the {block}-byte block")]
    CiphertextLength {
        /// The ciphertext length.
        len: usize,
        /// The cipher's block size.
        block: usize,
    },
    /// A name that is not one of net-snmp's `-a` spellings.
    #[error("unknown authentication protocol {0:?}")]
    UnknownAuthProtocol(String),
    /// A name that is not one of net-snmp's `-x` spellings.
    #[error("unknown privacy protocol {0:?}")]
    UnknownPrivProtocol(String),
}
