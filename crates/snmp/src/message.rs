//! SNMP messages: the v1/v2c community wrapper and the v3 frame (RFC 3412 §6).

use std::fmt;

use crate::ber::{Reader, TAG_INTEGER, TAG_OCTET_STRING, TAG_SEQUENCE, Writer};
use crate::error::DecodeError;
use crate::options::{Anomalies, DecodeOptions};
use crate::pdu::{PduType, Pdus};
use crate::usm::UsmSecurityParameters;

/// The message version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// SNMPv1 (wire value 0).
    V1,
    /// SNMPv2c (wire value 1).
    V2c,
    /// SNMPv3 (wire value 3).
    V3,
}

impl Version {
    /// The wire value.
    pub fn to_i64(self) -> i64 {
        match self {
            Self::V1 => 0,
            Self::V2c => 1,
            Self::V3 => 3,
        }
    }

    /// From the wire value.
    pub fn from_i64(v: i64) -> Option<Self> {
        match v {
            0 => Some(Self::V1),
            1 => Some(Self::V2c),
            3 => Some(Self::V3),
            _ => None,
        }
    }

    /// The name net-snmp's `-v` flag takes.
    pub fn name(self) -> &'static str {
        match self {
            Self::V1 => "1",
            Self::V2c => "2c",
            Self::V3 => "3",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::V1 => "SNMPv1",
            Self::V2c => "SNMPv2c",
            Self::V3 => "SNMPv3",
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A v1 or v2c message.
///
/// ```text
/// Message ::= SEQUENCE { version INTEGER { version-1(0), version-2c(1) },
///                        community OCTET STRING, data PDUs }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CommunityMessage<'a> {
    /// V1 or V2c.
    pub version: Version,
    /// The community string, borrowed.
    pub community: &'a [u8],
    /// The PDU.
    pub pdu: Pdus<'a>,
}

impl CommunityMessage<'_> {
    /// Appends the message's encoding.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut w = Writer::new(out);
        w.nested(TAG_SEQUENCE, |w| {
            w.integer(self.version.to_i64());
            w.octets(self.community);
            self.pdu.encode(w);
        });
    }
}

/// msgFlags of a v3 message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MsgFlags(pub u8);

impl MsgFlags {
    /// authFlag.
    pub const AUTH: u8 = 0x01;
    /// privFlag.
    pub const PRIV: u8 = 0x02;
    /// reportableFlag.
    pub const REPORTABLE: u8 = 0x04;

    /// Authenticated.
    pub fn auth(self) -> bool {
        self.0 & Self::AUTH != 0
    }

    /// Encrypted.
    pub fn privacy(self) -> bool {
        self.0 & Self::PRIV != 0
    }

    /// A Report may be sent back.
    pub fn reportable(self) -> bool {
        self.0 & Self::REPORTABLE != 0
    }
}

/// A ScopedPDU: the context and the PDU.
///
/// ```text
/// ScopedPDU ::= SEQUENCE { contextEngineID OCTET STRING, contextName OCTET STRING, data ANY }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ScopedPdu<'a> {
    /// contextEngineID.
    pub context_engine_id: &'a [u8],
    /// contextName.
    pub context_name: &'a [u8],
    /// The PDU.
    pub pdu: Pdus<'a>,
}

impl<'a> ScopedPdu<'a> {
    /// Decodes a ScopedPDU SEQUENCE from `bytes` (e.g. after decryption), ignoring
    /// padding after it, which DES leaves behind.
    pub fn decode(
        bytes: &'a [u8],
        offset: usize,
        opts: &DecodeOptions,
    ) -> Result<Self, DecodeError> {
        let mut outer = Reader::new(bytes, offset).with_clamp(opts.clamp_overrunning_lengths);
        let mut r = outer.enter(TAG_SEQUENCE, "ScopedPDU SEQUENCE")?;
        Self::decode_body(&mut r, opts)
    }

    fn decode_body(r: &mut Reader<'a>, opts: &DecodeOptions) -> Result<Self, DecodeError> {
        let context_engine_id = r.read_octets("contextEngineID")?;
        let context_name = r.read_octets("contextName")?;
        let pdu = Pdus::decode(r, opts, false, &mut Anomalies::default())?;
        if pdu.pdu_type() == PduType::TrapV1 {
            return Err(DecodeError::PduNotAllowed {
                pdu: "v1 Trap",
                version: "SNMPv3",
            });
        }
        if !r.is_empty() {
            return Err(DecodeError::TrailingBytes {
                offset: r.offset(),
                count: r.remaining().len(),
            });
        }
        Ok(Self {
            context_engine_id,
            context_name,
            pdu,
        })
    }

    /// Appends the ScopedPDU SEQUENCE.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.nested(TAG_SEQUENCE, |w| {
            w.octets(self.context_engine_id);
            w.octets(self.context_name);
            self.pdu.encode(w);
        });
    }
}

/// msgData: plaintext or still encrypted.
#[derive(Debug, Clone, Copy)]
pub enum ScopedPduData<'a> {
    /// A plaintext ScopedPDU.
    Plaintext(ScopedPdu<'a>),
    /// The encryptedPDU octets (decrypted by the USM layer).
    Encrypted(&'a [u8]),
}

/// An SNMPv3 message frame.
///
/// ```text
/// SNMPv3Message ::= SEQUENCE { msgVersion INTEGER (0..2147483647),
///     msgGlobalData HeaderData, msgSecurityParameters OCTET STRING, msgData ScopedPduData }
/// HeaderData ::= SEQUENCE { msgID INTEGER (0..2147483647), msgMaxSize INTEGER (484..2147483647),
///     msgFlags OCTET STRING (SIZE(1)), msgSecurityModel INTEGER (1..2147483647) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct V3Message<'a> {
    /// msgID.
    pub msg_id: i32,
    /// msgMaxSize.
    pub max_size: i32,
    /// msgFlags.
    pub flags: MsgFlags,
    /// msgSecurityModel (3 = USM).
    pub security_model: i32,
    /// The raw msgSecurityParameters content.
    pub security_params: &'a [u8],
    /// Absolute offset of `security_params` in the decoded buffer (where a USM layer
    /// finds the authentication parameters to zero and verify).
    pub security_params_offset: usize,
    /// msgData.
    pub data: ScopedPduData<'a>,
}

impl<'a> V3Message<'a> {
    /// The USM security parameters (security model 3).
    pub fn usm(&self) -> Result<UsmSecurityParameters<'a>, DecodeError> {
        UsmSecurityParameters::decode(self.security_params, self.security_params_offset)
    }

    /// Appends the message's encoding.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut w = Writer::new(out);
        w.nested(TAG_SEQUENCE, |w| {
            w.integer(3);
            w.nested(TAG_SEQUENCE, |w| {
                w.integer(i64::from(self.msg_id));
                w.integer(i64::from(self.max_size));
                w.octets(&[self.flags.0]);
                w.integer(i64::from(self.security_model));
            });
            w.octets(self.security_params);
            match &self.data {
                ScopedPduData::Plaintext(s) => s.encode(w),
                ScopedPduData::Encrypted(e) => w.octets(e),
            }
        });
    }

    fn decode_body(r: &mut Reader<'a>, opts: &DecodeOptions) -> Result<Self, DecodeError> {
        let mut hd = r.enter(TAG_SEQUENCE, "msgGlobalData SEQUENCE")?;
        let msg_id = hd.read_i32("msgID")?;
        let max_size = hd.read_i32("msgMaxSize")?;
        let flags = hd.read_octets("msgFlags")?;
        let security_model = hd.read_i32("msgSecurityModel")?;
        if !hd.is_empty() {
            return Err(DecodeError::TrailingBytes {
                offset: hd.offset(),
                count: hd.remaining().len(),
            });
        }
        let [flags] = flags else {
            return Err(DecodeError::BadMsgFlags("not exactly one byte"));
        };
        let flags = MsgFlags(*flags);
        if flags.privacy() && !flags.auth() {
            return Err(DecodeError::BadMsgFlags("privacy without authentication"));
        }
        let sp = r.expect(TAG_OCTET_STRING, "msgSecurityParameters OCTET STRING")?;
        let data = match r.peek_tag() {
            Some(TAG_OCTET_STRING) => ScopedPduData::Encrypted(r.read_octets("encryptedPDU")?),
            _ => {
                let mut s = r.enter(TAG_SEQUENCE, "ScopedPDU SEQUENCE or encryptedPDU")?;
                ScopedPduData::Plaintext(ScopedPdu::decode_body(&mut s, opts)?)
            }
        };
        Ok(Self {
            msg_id,
            max_size,
            flags,
            security_model,
            security_params: sp.content,
            security_params_offset: sp.content_offset,
            data,
        })
    }
}

/// Any SNMP message.
#[derive(Debug, Clone, Copy)]
pub enum Message<'a> {
    /// v1 or v2c.
    Community(CommunityMessage<'a>),
    /// v3.
    V3(V3Message<'a>),
}

/// A decoded message together with what the lenient decoder had to tolerate.
#[derive(Debug, Clone, Copy)]
pub struct Decoded<'a> {
    /// The message.
    pub message: Message<'a>,
    /// Message-level anomalies (trailing bytes, clamped outer length).
    pub anomalies: Anomalies,
}

impl<'a> Message<'a> {
    /// Decodes a datagram. Bindings are not decoded until iterated.
    ///
    /// ```
    /// # use nocwatch_snmp::{Message, DecodeOptions, Version};
    /// // snmpget -v2c -c public localhost sysDescr.0
    /// let bytes = [0x30, 0x29, 0x02, 0x01, 0x01, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c',
    ///     0xa0, 0x1c, 0x02, 0x04, 0x12, 0x34, 0x56, 0x78, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00,
    ///     0x30, 0x0e, 0x30, 0x0c, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00,
    ///     0x05, 0x00];
    /// let Message::Community(m) = Message::decode(&bytes, &DecodeOptions::strict()).unwrap() else {
    ///     unreachable!()
    /// };
    /// assert_eq!(m.version, Version::V2c);
    /// assert_eq!(m.community, b"public");
    /// ```
    pub fn decode(bytes: &'a [u8], opts: &DecodeOptions) -> Result<Self, DecodeError> {
        Self::decode_with_anomalies(bytes, opts).map(|d| d.message)
    }

    /// Decodes a datagram and reports the message-level anomalies tolerated.
    pub fn decode_with_anomalies(
        bytes: &'a [u8],
        opts: &DecodeOptions,
    ) -> Result<Decoded<'a>, DecodeError> {
        let mut anomalies = Anomalies::default();
        let mut outer = Reader::new(bytes, 0).with_clamp(opts.clamp_overrunning_lengths);
        let seq = outer.expect(TAG_SEQUENCE, "message SEQUENCE")?;
        if seq.clamped {
            anomalies.insert(Anomalies::CLAMPED_LENGTH);
        }
        if !outer.is_empty() {
            if !opts.allow_trailing_bytes {
                return Err(DecodeError::TrailingBytes {
                    offset: outer.offset(),
                    count: outer.remaining().len(),
                });
            }
            anomalies.insert(Anomalies::TRAILING_BYTES);
        }
        let mut r =
            Reader::new(seq.content, seq.content_offset).with_clamp(opts.clamp_overrunning_lengths);
        let vt = r.expect(TAG_INTEGER, "version INTEGER")?;
        let v = crate::ber::decode_signed(vt.content, vt.offset, "version", false)?;
        let version = Version::from_i64(v).ok_or(DecodeError::UnsupportedVersion(v))?;
        let message = match version {
            Version::V3 => Message::V3(V3Message::decode_body(&mut r, opts)?),
            _ => {
                let community = r.read_octets("community OCTET STRING")?;
                let pdu = Pdus::decode(&mut r, opts, version == Version::V1, &mut anomalies)?;
                check_pdu_allowed(version, pdu.pdu_type())?;
                Message::Community(CommunityMessage {
                    version,
                    community,
                    pdu,
                })
            }
        };
        if !r.is_empty() {
            return Err(DecodeError::TrailingBytes {
                offset: r.offset(),
                count: r.remaining().len(),
            });
        }
        Ok(Decoded { message, anomalies })
    }

    /// The version.
    pub fn version(&self) -> Version {
        match self {
            Self::Community(m) => m.version,
            Self::V3(_) => Version::V3,
        }
    }

    /// The PDU, when it is readable (not encrypted).
    pub fn pdu(&self) -> Option<&Pdus<'a>> {
        match self {
            Self::Community(m) => Some(&m.pdu),
            Self::V3(m) => match &m.data {
                ScopedPduData::Plaintext(s) => Some(&s.pdu),
                ScopedPduData::Encrypted(_) => None,
            },
        }
    }

    /// Appends the message's encoding.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Self::Community(m) => m.encode(out),
            Self::V3(m) => m.encode(out),
        }
    }
}

fn check_pdu_allowed(version: Version, t: PduType) -> Result<(), DecodeError> {
    let allowed = match version {
        Version::V1 => matches!(
            t,
            PduType::GetRequest
                | PduType::GetNextRequest
                | PduType::Response
                | PduType::SetRequest
                | PduType::TrapV1
        ),
        Version::V2c | Version::V3 => t != PduType::TrapV1,
    };
    if allowed {
        Ok(())
    } else {
        Err(DecodeError::PduNotAllowed {
            pdu: t.name(),
            version: version.label(),
        })
    }
}
