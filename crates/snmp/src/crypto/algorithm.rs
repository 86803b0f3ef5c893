//! The USM authentication and privacy protocols, named the way operators name them.
//!
//! Operators copy credentials from a working `snmpget` command line, so parsing accepts
//! net-snmp's `-a`/`-x` spellings and printing gives net-snmp's canonical names. The
//! two AES-192/256 key-extension dialects are separate variants: choosing the wrong
//! one makes agents drop every packet without a report, so it must never be implicit.

use std::fmt;
use std::str::FromStr;

use super::error::CryptoError;

/// A USM authentication protocol: HMAC over one hash, truncated (RFC 3414, RFC 7860).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AuthProtocol {
    /// usmHMACMD5AuthProtocol, HMAC-MD5-96 (RFC 3414).
    Md5,
    /// usmHMACSHAAuthProtocol, HMAC-SHA-96 (RFC 3414).
    Sha1,
    /// usmHMAC128SHA224AuthProtocol, HMAC-SHA-224 truncated to 128 bits (RFC 7860).
    Sha224,
    /// usmHMAC192SHA256AuthProtocol, HMAC-SHA-256 truncated to 192 bits (RFC 7860).
    Sha256,
    /// usmHMAC256SHA384AuthProtocol, HMAC-SHA-384 truncated to 256 bits (RFC 7860).
    Sha384,
    /// usmHMAC384SHA512AuthProtocol, HMAC-SHA-512 truncated to 384 bits (RFC 7860).
    Sha512,
}

impl AuthProtocol {
    /// Every protocol, weakest first.
    pub const ALL: [Self; 6] = [
        Self::Md5,
        Self::Sha1,
        Self::Sha224,
        Self::Sha256,
        Self::Sha384,
        Self::Sha512,
    ];

    /// Length of the truncated HMAC tag in msgAuthenticationParameters, in bytes.
    pub const fn tag_len(self) -> usize {
        match self {
            Self::Md5 | Self::Sha1 => 12,
            Self::Sha224 => 16,
            Self::Sha256 => 24,
            Self::Sha384 => 32,
            Self::Sha512 => 48,
        }
    }

    /// Length of Ku and Kul, the hash's digest size in bytes.
    pub const fn key_len(self) -> usize {
        match self {
            Self::Md5 => 16,
            Self::Sha1 => 20,
            Self::Sha224 => 28,
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// net-snmp's canonical name (what `-a` documents).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Sha1 => "SHA",
            Self::Sha224 => "SHA-224",
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }
}

impl fmt::Display for AuthProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AuthProtocol {
    type Err = CryptoError;

    /// Parses net-snmp's `-a` spellings, case-insensitively: `MD5`, `SHA`, `SHA1`,
    /// `SHA-1`, `SHA-224`, `SHA-256`, `SHA-384`, `SHA-512` (and the same without the
    /// hyphen, e.g. `SHA256`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let p = match s.to_ascii_uppercase().as_str() {
            "MD5" => Self::Md5,
            "SHA" | "SHA1" | "SHA-1" => Self::Sha1,
            "SHA-224" | "SHA224" => Self::Sha224,
            "SHA-256" | "SHA256" => Self::Sha256,
            "SHA-384" | "SHA384" => Self::Sha384,
            "SHA-512" | "SHA512" => Self::Sha512,
            _ => return Err(CryptoError::UnknownAuthProtocol(s.to_owned())),
        };
        Ok(p)
    }
}

/// How a localized key shorter than the cipher needs is lengthened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyExtension {
    /// The protocol never needs more key than the shortest hash gives (DES, AES-128).
    None,
    /// draft-blumenthal-aes-usm-04 §3.1.2.1: `Kul ‖ H(Kul) ‖ H(Kul ‖ H(Kul)) ‖ …`,
    /// each round hashing everything so far. net-snmp's `AES-192`/`AES-256`.
    Blumenthal,
    /// draft-reeder-snmpv3-usm-3desede-00 §2.1: `Kul ‖ localize(passwordToKey(Kul))
    /// ‖ …`, each round using everything so far as the "password". net-snmp's
    /// `AES-192-C`/`AES-256-C` and `3DES`; Cisco's AES-192/256.
    Reeder,
}

/// A USM privacy protocol, including the AES key-extension dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrivProtocol {
    /// usmDESPrivProtocol, DES-CBC (RFC 3414 §8).
    Des,
    /// usm3DESEDEPrivProtocol, 3DES-EDE-CBC (draft-reeder-snmpv3-usm-3desede-00),
    /// key extended with the Reeder method.
    TripleDes,
    /// usmAesCfb128Protocol, AES-128-CFB (RFC 3826).
    Aes128,
    /// AES-192-CFB with the Blumenthal key extension (draft-blumenthal-aes-usm-04;
    /// net-snmp `AES-192`).
    Aes192,
    /// AES-256-CFB with the Blumenthal key extension (draft-blumenthal-aes-usm-04;
    /// net-snmp `AES-256`).
    Aes256,
    /// AES-192-CFB with the Reeder key extension (Cisco's; net-snmp `AES-192-C`).
    Aes192Cisco,
    /// AES-256-CFB with the Reeder key extension (Cisco's; net-snmp `AES-256-C`).
    Aes256Cisco,
}

impl PrivProtocol {
    /// Every protocol.
    pub const ALL: [Self; 7] = [
        Self::Des,
        Self::TripleDes,
        Self::Aes128,
        Self::Aes192,
        Self::Aes256,
        Self::Aes192Cisco,
        Self::Aes256Cisco,
    ];

    /// Length of msgPrivacyParameters (the salt), always 8 bytes.
    pub const fn salt_len(self) -> usize {
        8
    }

    /// Length of the cipher key in bytes.
    pub const fn key_len(self) -> usize {
        match self {
            Self::Des => 8,
            Self::TripleDes | Self::Aes192 | Self::Aes192Cisco => 24,
            Self::Aes128 => 16,
            Self::Aes256 | Self::Aes256Cisco => 32,
        }
    }

    /// Length of the privacy key derived from the localized key: the cipher key plus,
    /// for DES and 3DES, the 8-byte pre-IV that follows it.
    pub const fn key_material_len(self) -> usize {
        match self {
            Self::Des => 16,
            Self::TripleDes => 32,
            _ => self.key_len(),
        }
    }

    /// How a localized key that is too short for this protocol is extended.
    pub const fn key_extension(self) -> KeyExtension {
        match self {
            Self::Des | Self::Aes128 => KeyExtension::None,
            Self::Aes192 | Self::Aes256 => KeyExtension::Blumenthal,
            Self::TripleDes | Self::Aes192Cisco | Self::Aes256Cisco => KeyExtension::Reeder,
        }
    }

    /// The block size the plaintext is padded to: 8 for DES/3DES (CBC), 1 for AES (CFB
    /// is a stream mode and needs no padding).
    pub const fn padding_block(self) -> usize {
        match self {
            Self::Des | Self::TripleDes => 8,
            _ => 1,
        }
    }

    /// Length of the ciphertext for a plaintext of `len` bytes.
    pub const fn ciphertext_len(self, len: usize) -> usize {
        let block = self.padding_block();
        len.div_ceil(block).saturating_mul(block)
    }

    /// net-snmp's canonical name (what `-x` takes).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Des => "DES",
            Self::TripleDes => "3DES",
            Self::Aes128 => "AES",
            Self::Aes192 => "AES-192",
            Self::Aes256 => "AES-256",
            Self::Aes192Cisco => "AES-192-C",
            Self::Aes256Cisco => "AES-256-C",
        }
    }
}

impl fmt::Display for PrivProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PrivProtocol {
    type Err = CryptoError;

    /// Parses net-snmp's `-x` spellings, case-insensitively: `DES`, `3DES`, `AES`,
    /// `AES128`, `AES-128`, `AES192`, `AES-192`, `AES256`, `AES-256` (Blumenthal), and
    /// `AES192C`, `AES-192-C`, `AES256C`, `AES-256-C` (Reeder/Cisco).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let p = match s.to_ascii_uppercase().as_str() {
            "DES" => Self::Des,
            "3DES" => Self::TripleDes,
            "AES" | "AES128" | "AES-128" => Self::Aes128,
            "AES192" | "AES-192" => Self::Aes192,
            "AES256" | "AES-256" => Self::Aes256,
            "AES192C" | "AES-192-C" => Self::Aes192Cisco,
            "AES256C" | "AES-256-C" => Self::Aes256Cisco,
            _ => return Err(CryptoError::UnknownPrivProtocol(s.to_owned())),
        };
        Ok(p)
    }
}
