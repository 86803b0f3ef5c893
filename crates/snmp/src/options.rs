//! Tolerance switches for agents that do not quite speak BER.
//!
//! Real networks are full of agents with encoding bugs (SNMP-NOTES §4): H3C sends
//! Counter32 `FF FF FF FF` as a negative INTEGER, some agents send zero-length
//! Counter64 or OID values, others leave bytes after the message. A NOC wants the
//! value, not a dropped packet, so the default accepts every encoding whose meaning
//! is unambiguous and records that it did ([`Anomalies`]). [`DecodeOptions::strict`]
//! turns every switch off, for conformance testing and fuzzing.

/// Which deviations from strict BER the decoder accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Accept bytes after the outer message SEQUENCE (ignored, counted).
    pub allow_trailing_bytes: bool,
    /// Clamp an inner length that overruns its container to the bytes that are there.
    pub clamp_overrunning_lengths: bool,
    /// Read negative or over-long Counter32/Gauge32/TimeTicks/Counter64 encodings as
    /// their unsigned bit pattern; read empty integers as zero.
    pub lenient_integers: bool,
    /// Accept zero-length OIDs and sub-identifiers with redundant leading bytes.
    pub lenient_oids: bool,
    /// Accept an IpAddress that is not four bytes (padded with zeros or truncated).
    pub lenient_ip_address: bool,
    /// Accept NULL and exception values (noSuchObject...) with content bytes.
    pub allow_null_content: bool,
    /// Accept Counter64 values in SNMPv1 messages (v1 has no Counter64).
    pub allow_counter64_in_v1: bool,
}

impl DecodeOptions {
    /// Every tolerance switch off: only well-formed BER is accepted.
    pub const fn strict() -> Self {
        Self {
            allow_trailing_bytes: false,
            clamp_overrunning_lengths: false,
            lenient_integers: false,
            lenient_oids: false,
            lenient_ip_address: false,
            allow_null_content: false,
            allow_counter64_in_v1: false,
        }
    }

    /// Every tolerance switch on: what real agents send is accepted when its meaning
    /// is unambiguous.
    pub const fn lenient() -> Self {
        Self {
            allow_trailing_bytes: true,
            clamp_overrunning_lengths: true,
            lenient_integers: true,
            lenient_oids: true,
            lenient_ip_address: true,
            allow_null_content: true,
            allow_counter64_in_v1: true,
        }
    }
}

impl Default for DecodeOptions {
    /// Lenient, like net-snmp: see [`DecodeOptions::lenient`].
    fn default() -> Self {
        Self::lenient()
    }
}

/// Deviations a lenient decode accepted, as a small bit set, so callers can count them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Anomalies(u16);

impl Anomalies {
    /// Bytes after the message.
    pub const TRAILING_BYTES: Self = Self(1);
    /// A length was clamped.
    pub const CLAMPED_LENGTH: Self = Self(1 << 1);
    /// An unsigned value was encoded negative, over-long or empty.
    pub const BAD_INTEGER: Self = Self(1 << 2);
    /// An OID was empty or non-minimal.
    pub const BAD_OID: Self = Self(1 << 3);
    /// An IpAddress was not four bytes.
    pub const BAD_IP_ADDRESS: Self = Self(1 << 4);
    /// NULL or an exception carried content.
    pub const NULL_CONTENT: Self = Self(1 << 5);
    /// Counter64 in a v1 message.
    pub const COUNTER64_IN_V1: Self = Self(1 << 6);

    /// True when nothing was tolerated.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// True if every bit of `other` is set.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Adds `other`.
    pub fn insert(&mut self, other: Self) {
        self.0 |= other.0;
    }

    /// Names of the set bits, for logs and `decode` output.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        const NAMES: [&str; 7] = [
            "trailing-bytes",
            "clamped-length",
            "bad-integer",
            "bad-oid",
            "bad-ip-address",
            "null-content",
            "counter64-in-v1",
        ];
        NAMES
            .into_iter()
            .enumerate()
            .filter(move |(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, n)| n)
    }
}
