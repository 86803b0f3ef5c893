//! The User-based Security Model's security parameters (RFC 3414 §2.4).
//!
//! Only the framing lives here; keys, HMACs and ciphers arrive with the SNMPv3 issue.

use crate::ber::{Reader, TAG_SEQUENCE, Writer};
use crate::error::DecodeError;

/// USM security parameters, carried BER-encoded inside `msgSecurityParameters`.
///
/// ```text
/// UsmSecurityParameters ::= SEQUENCE {
///     msgAuthoritativeEngineID     OCTET STRING,
///     msgAuthoritativeEngineBoots  INTEGER (0..2147483647),
///     msgAuthoritativeEngineTime   INTEGER (0..2147483647),
///     msgUserName                  OCTET STRING (SIZE(0..32)),
///     msgAuthenticationParameters  OCTET STRING,
///     msgPrivacyParameters         OCTET STRING }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UsmSecurityParameters<'a> {
    /// The authoritative engine's snmpEngineID.
    pub engine_id: &'a [u8],
    /// snmpEngineBoots.
    pub engine_boots: i32,
    /// snmpEngineTime.
    pub engine_time: i32,
    /// The user (securityName).
    pub user_name: &'a [u8],
    /// The HMAC tag (zeros while it is computed).
    pub auth_params: &'a [u8],
    /// The privacy salt.
    pub priv_params: &'a [u8],
}

impl<'a> UsmSecurityParameters<'a> {
    /// Decodes the content of `msgSecurityParameters`; `offset` is its absolute offset.
    pub fn decode(bytes: &'a [u8], offset: usize) -> Result<Self, DecodeError> {
        let mut outer = Reader::new(bytes, offset);
        let mut r = outer.enter(TAG_SEQUENCE, "UsmSecurityParameters SEQUENCE")?;
        let p = Self {
            engine_id: r.read_octets("msgAuthoritativeEngineID")?,
            engine_boots: r.read_i32("msgAuthoritativeEngineBoots")?,
            engine_time: r.read_i32("msgAuthoritativeEngineTime")?,
            user_name: r.read_octets("msgUserName")?,
            auth_params: r.read_octets("msgAuthenticationParameters")?,
            priv_params: r.read_octets("msgPrivacyParameters")?,
        };
        for rd in [&r, &outer] {
            if !rd.is_empty() {
                return Err(DecodeError::TrailingBytes {
                    offset: rd.offset(),
                    count: rd.remaining().len(),
                });
            }
        }
        Ok(p)
    }

    /// Appends the SEQUENCE (to be wrapped in the `msgSecurityParameters` OCTET STRING).
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.nested(TAG_SEQUENCE, |w| {
            w.octets(self.engine_id);
            w.integer(i64::from(self.engine_boots));
            w.integer(i64::from(self.engine_time));
            w.octets(self.user_name);
            w.octets(self.auth_params);
            w.octets(self.priv_params);
        });
    }

    /// The encoded SEQUENCE as a vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        self.encode(&mut Writer::new(&mut out));
        out
    }
}
