//! The crate's error types.
//!
//! Decoding is the one place where untrusted bytes enter, so [`DecodeError`] says
//! exactly what was wrong and at which byte offset: a NOC engineer staring at a
//! broken agent's packet needs "INTEGER longer than 8 bytes at offset 37", not
//! "parse error". [`Error`] is the crate's umbrella enum.

use std::fmt;

/// What went wrong while decoding BER bytes from the wire.
///
/// Offsets are counted from the start of the buffer handed to the decoder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended before a tag, length or value was complete.
    #[error("truncated at offset {offset}: need {needed} more byte(s), {available} left")]
    Truncated {
        /// Where the incomplete item starts.
        offset: usize,
        /// Bytes the item needs.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// A different tag was found than the structure allows here.
    #[error("unexpected tag 0x{found:02x} at offset {offset}, expected {expected}")]
    UnexpectedTag {
        /// Where the tag is.
        offset: usize,
        /// What was expected, in words.
        expected: &'static str,
        /// The tag byte found.
        found: u8,
    },
    /// A multi-byte (high-number) tag, which SNMP never uses.
    #[error("unsupported multi-byte tag at offset {offset}")]
    HighTagNumber {
        /// Where the tag is.
        offset: usize,
    },
    /// The indefinite length form (0x80), which SNMP forbids.
    #[error("indefinite length at offset {offset} (not allowed in SNMP)")]
    IndefiniteLength {
        /// Where the length is.
        offset: usize,
    },
    /// A length field longer than four bytes (non-minimal lengths are valid BER and
    /// accepted).
    #[error("invalid length encoding at offset {offset}")]
    BadLength {
        /// Where the length is.
        offset: usize,
    },
    /// A length that runs past the end of its enclosing item.
    #[error(
        "length {declared} at offset {offset} overruns its container ({available} byte(s) left)"
    )]
    LengthOverrun {
        /// Where the item starts.
        offset: usize,
        /// The declared content length.
        declared: usize,
        /// What was actually left.
        available: usize,
    },
    /// An integer that does not fit the type it encodes.
    #[error("{ty} at offset {offset} is out of range ({len} content byte(s))")]
    IntegerRange {
        /// Where the value is.
        offset: usize,
        /// The SNMP type name.
        ty: &'static str,
        /// The content length.
        len: usize,
    },
    /// A zero-length INTEGER or unsigned value.
    #[error("empty {ty} at offset {offset}")]
    EmptyInteger {
        /// Where the value is.
        offset: usize,
        /// The SNMP type name.
        ty: &'static str,
    },
    /// An OBJECT IDENTIFIER that is empty, has a truncated or oversized sub-identifier,
    /// or more than 128 arcs.
    #[error("invalid OBJECT IDENTIFIER at offset {offset}: {reason}")]
    BadOid {
        /// Where the value is.
        offset: usize,
        /// Why it is invalid.
        reason: OidError,
    },
    /// A value whose content length is wrong for its type (IpAddress not four bytes,
    /// NULL or an exception with content).
    #[error("{ty} at offset {offset} has {len} content byte(s)")]
    BadValueLength {
        /// Where the value is.
        offset: usize,
        /// The SNMP type name.
        ty: &'static str,
        /// The content length found.
        len: usize,
    },
    /// A value tag that is not one of SNMP's types.
    #[error("unknown value type 0x{tag:02x} at offset {offset}")]
    UnknownValueType {
        /// Where the value is.
        offset: usize,
        /// The tag found.
        tag: u8,
    },
    /// A PDU tag that is not one of SNMP's PDUs.
    #[error("unknown PDU type 0x{tag:02x} at offset {offset}")]
    UnknownPduType {
        /// Where the PDU is.
        offset: usize,
        /// The tag found.
        tag: u8,
    },
    /// A PDU that cannot appear in this message version (a v1 Trap in v2c or v3,
    /// a GetBulk in v1).
    #[error("{pdu} PDU is not allowed in an {version} message")]
    PduNotAllowed {
        /// PDU name.
        pdu: &'static str,
        /// Message version name.
        version: &'static str,
    },
    /// The message version is not 0 (v1), 1 (v2c) or 3.
    #[error("unsupported SNMP version {0}")]
    UnsupportedVersion(i64),
    /// The v3 msgFlags octet string is not exactly one byte, or has priv without auth.
    #[error("invalid msgFlags: {0}")]
    BadMsgFlags(&'static str),
    /// Bytes left over after the message (strict mode only).
    #[error("{count} trailing byte(s) after the message at offset {offset}")]
    TrailingBytes {
        /// Where the extra bytes start.
        offset: usize,
        /// How many there are.
        count: usize,
    },
}

/// Why an OBJECT IDENTIFIER is invalid (parsing text or decoding BER).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OidError {
    /// Zero-length encoding.
    Empty,
    /// The last sub-identifier has its continuation bit set.
    Truncated,
    /// A sub-identifier does not fit in 32 bits.
    ArcTooLarge,
    /// More than 128 sub-identifiers.
    TooLong,
    /// A sub-identifier encoded with a redundant leading 0x80 byte.
    NonMinimal,
    /// A sub-identifier encoded in more than five bytes.
    SubidTooLong,
    /// The first arc is not 0, 1 or 2, or the second is 40 or more under 0 or 1.
    BadFirstArcs,
    /// Text that is not dotted decimal.
    Syntax,
}

impl fmt::Display for OidError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Empty => "empty",
            Self::Truncated => "last sub-identifier is truncated",
            Self::ArcTooLarge => "sub-identifier does not fit in 32 bits",
            Self::TooLong => "more than 128 sub-identifiers",
            Self::NonMinimal => "sub-identifier has a redundant leading byte",
            Self::SubidTooLong => "sub-identifier encoded in more than 5 bytes",
            Self::BadFirstArcs => "first arc must be 0, 1 or 2 (second < 40 under 0 and 1)",
            Self::Syntax => "not a dotted-decimal OID",
        })
    }
}

impl std::error::Error for OidError {}

/// The crate's error: everything a caller of `nocwatch-snmp` can get back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bytes from the wire could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// An OID given as text or arcs is invalid.
    #[error("invalid OID: {0}")]
    Oid(#[from] OidError),
    /// A request could not be started because too many are in flight.
    #[error("too many requests in flight ({limit})")]
    TooManyInFlight {
        /// The configured limit.
        limit: usize,
    },
    /// The request is not one a manager sends (e.g. a Response or a v1 Trap).
    #[error("cannot send a {0} PDU as a request")]
    NotARequest(&'static str),
    /// A configuration that cannot work (a v3 level without its password, ...).
    #[error("{0}")]
    Config(&'static str),
    /// USM key derivation, authentication or privacy failed.
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    /// A `createUser` line that does not parse (see [`crate::create_user`]). The
    /// message never holds a pass phrase: errors end up in logs.
    #[error("createUser {user}: {message}")]
    CreateUser {
        /// The user's name, when it got that far.
        user: String,
        /// What is wrong.
        message: String,
    },
    /// A value, OID or hex string given as text that does not parse (an `OID TYPE
    /// VALUE` triple of `set` or `trap send`, see [`crate::typed`]); the message
    /// names the text and says why, in net-snmp's words.
    #[error("{0}")]
    Notation(String),
    /// The request does not fit in one datagram.
    #[error("request of {size} bytes exceeds the maximum message size {max}")]
    MessageTooLarge {
        /// Encoded size.
        size: usize,
        /// The limit.
        max: usize,
    },
}
