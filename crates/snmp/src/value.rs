//! SNMP values (RFC 3416 `ObjectSyntax` plus the v2 exceptions), borrowed from the packet.

use crate::ber::{self, TAG_INTEGER, TAG_NULL, TAG_OCTET_STRING, TAG_OID, Tlv, Writer};
use crate::error::DecodeError;
use crate::oid::OidRef;
use crate::options::{Anomalies, DecodeOptions};

/// Application tag of IpAddress.
pub const TAG_IP_ADDRESS: u8 = 0x40;
/// Application tag of Counter32.
pub const TAG_COUNTER32: u8 = 0x41;
/// Application tag of Gauge32 / Unsigned32.
pub const TAG_GAUGE32: u8 = 0x42;
/// Application tag of TimeTicks.
pub const TAG_TIMETICKS: u8 = 0x43;
/// Application tag of Opaque.
pub const TAG_OPAQUE: u8 = 0x44;
/// Application tag of Counter64.
pub const TAG_COUNTER64: u8 = 0x46;
/// Context tag of the noSuchObject exception.
pub const TAG_NO_SUCH_OBJECT: u8 = 0x80;
/// Context tag of the noSuchInstance exception.
pub const TAG_NO_SUCH_INSTANCE: u8 = 0x81;
/// Context tag of the endOfMibView exception.
pub const TAG_END_OF_MIB_VIEW: u8 = 0x82;

/// One SNMP value. Byte strings and OIDs borrow from the decoded packet.
///
/// ```text
/// ObjectSyntax ::= CHOICE { simple SimpleSyntax, application-wide ApplicationSyntax }
/// SimpleSyntax ::= CHOICE { integer-value INTEGER (-2147483648..2147483647),
///                           string-value OCTET STRING (SIZE (0..65535)),
///                           objectID-value OBJECT IDENTIFIER }
/// ApplicationSyntax ::= CHOICE { ipAddress-value IpAddress, counter-value Counter32,
///                                timeticks-value TimeTicks, arbitrary-value Opaque,
///                                big-counter-value Counter64, unsigned-integer-value Unsigned32 }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// INTEGER / Integer32 (decoded up to 64 bits: agents overflow it).
    Integer(i64),
    /// OCTET STRING.
    OctetString(&'a [u8]),
    /// NULL: the value of every varbind in a request.
    Null,
    /// OBJECT IDENTIFIER.
    ObjectIdentifier(OidRef<'a>),
    /// IpAddress (IPv4 only, by definition).
    IpAddress([u8; 4]),
    /// Counter32.
    Counter32(u32),
    /// Gauge32, also Unsigned32.
    Gauge32(u32),
    /// TimeTicks: hundredths of a second.
    TimeTicks(u32),
    /// Opaque: arbitrary BER, net-snmp puts floats in it.
    Opaque(&'a [u8]),
    /// Counter64.
    Counter64(u64),
    /// Exception: the object does not exist (GET).
    NoSuchObject,
    /// Exception: the instance does not exist (GET).
    NoSuchInstance,
    /// Exception: nothing follows in the agent's view (GETNEXT / GETBULK).
    EndOfMibView,
}

impl<'a> Value<'a> {
    /// The BER tag this value encodes under.
    pub fn tag(&self) -> u8 {
        match self {
            Value::Integer(_) => TAG_INTEGER,
            Value::OctetString(_) => TAG_OCTET_STRING,
            Value::Null => TAG_NULL,
            Value::ObjectIdentifier(_) => TAG_OID,
            Value::IpAddress(_) => TAG_IP_ADDRESS,
            Value::Counter32(_) => TAG_COUNTER32,
            Value::Gauge32(_) => TAG_GAUGE32,
            Value::TimeTicks(_) => TAG_TIMETICKS,
            Value::Opaque(_) => TAG_OPAQUE,
            Value::Counter64(_) => TAG_COUNTER64,
            Value::NoSuchObject => TAG_NO_SUCH_OBJECT,
            Value::NoSuchInstance => TAG_NO_SUCH_INSTANCE,
            Value::EndOfMibView => TAG_END_OF_MIB_VIEW,
        }
    }

    /// The type's name as SMI writes it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Integer(_) => "INTEGER",
            Value::OctetString(_) => "OCTET STRING",
            Value::Null => "NULL",
            Value::ObjectIdentifier(_) => "OBJECT IDENTIFIER",
            Value::IpAddress(_) => "IpAddress",
            Value::Counter32(_) => "Counter32",
            Value::Gauge32(_) => "Gauge32",
            Value::TimeTicks(_) => "TimeTicks",
            Value::Opaque(_) => "Opaque",
            Value::Counter64(_) => "Counter64",
            Value::NoSuchObject => "noSuchObject",
            Value::NoSuchInstance => "noSuchInstance",
            Value::EndOfMibView => "endOfMibView",
        }
    }

    /// True for the three v2 exceptions.
    pub fn is_exception(&self) -> bool {
        matches!(
            self,
            Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView
        )
    }

    /// Decodes one value from its TLV.
    pub fn decode(
        tlv: Tlv<'a>,
        opts: &DecodeOptions,
        v1: bool,
        anomalies: &mut Anomalies,
    ) -> Result<Self, DecodeError> {
        let c = tlv.content;
        let off = tlv.offset;
        let unsigned32 = |ty: &'static str, anomalies: &mut Anomalies| {
            let v = ber::decode_unsigned(c, off, ty, 32, opts.lenient_integers)?;
            note_bad_unsigned(c, anomalies);
            Ok::<u32, DecodeError>(u32::try_from(v).unwrap_or(u32::MAX))
        };
        let no_content = |ty: &'static str, anomalies: &mut Anomalies| {
            if c.is_empty() {
                Ok(())
            } else if opts.allow_null_content {
                anomalies.insert(Anomalies::NULL_CONTENT);
                Ok(())
            } else {
                Err(DecodeError::BadValueLength {
                    offset: off,
                    ty,
                    len: c.len(),
                })
            }
        };
        Ok(match tlv.tag {
            TAG_INTEGER => {
                if c.is_empty() || c.len() > 8 {
                    anomalies.insert(Anomalies::BAD_INTEGER);
                }
                Value::Integer(ber::decode_signed(
                    c,
                    off,
                    "INTEGER",
                    opts.lenient_integers,
                )?)
            }
            TAG_OCTET_STRING => Value::OctetString(c),
            TAG_NULL => {
                no_content("NULL", anomalies)?;
                Value::Null
            }
            TAG_OID => {
                let oid = OidRef::from_ber(c, opts.lenient_oids).map_err(|reason| {
                    DecodeError::BadOid {
                        offset: off,
                        reason,
                    }
                })?;
                if c.is_empty() || c.contains(&0x80) && OidRef::from_ber(c, false).is_err() {
                    anomalies.insert(Anomalies::BAD_OID);
                }
                Value::ObjectIdentifier(oid)
            }
            TAG_IP_ADDRESS => {
                let mut ip = [0u8; 4];
                if c.len() != 4 {
                    if !opts.lenient_ip_address {
                        return Err(DecodeError::BadValueLength {
                            offset: off,
                            ty: "IpAddress",
                            len: c.len(),
                        });
                    }
                    anomalies.insert(Anomalies::BAD_IP_ADDRESS);
                }
                for (d, s) in ip.iter_mut().zip(c) {
                    *d = *s;
                }
                Value::IpAddress(ip)
            }
            TAG_COUNTER32 => Value::Counter32(unsigned32("Counter32", anomalies)?),
            TAG_GAUGE32 => Value::Gauge32(unsigned32("Gauge32", anomalies)?),
            TAG_TIMETICKS => Value::TimeTicks(unsigned32("TimeTicks", anomalies)?),
            TAG_OPAQUE => Value::Opaque(c),
            TAG_COUNTER64 => {
                if v1 {
                    if !opts.allow_counter64_in_v1 {
                        return Err(DecodeError::UnknownValueType {
                            offset: off,
                            tag: tlv.tag,
                        });
                    }
                    anomalies.insert(Anomalies::COUNTER64_IN_V1);
                }
                let v = ber::decode_unsigned(c, off, "Counter64", 64, opts.lenient_integers)?;
                note_bad_unsigned(c, anomalies);
                Value::Counter64(v)
            }
            TAG_NO_SUCH_OBJECT => {
                no_content("noSuchObject", anomalies)?;
                Value::NoSuchObject
            }
            TAG_NO_SUCH_INSTANCE => {
                no_content("noSuchInstance", anomalies)?;
                Value::NoSuchInstance
            }
            TAG_END_OF_MIB_VIEW => {
                no_content("endOfMibView", anomalies)?;
                Value::EndOfMibView
            }
            tag => {
                return Err(DecodeError::UnknownValueType { offset: off, tag });
            }
        })
    }

    /// Appends the value's BER encoding.
    pub fn encode(&self, w: &mut Writer<'_>) {
        match *self {
            Value::Integer(v) => w.integer(v),
            Value::OctetString(s) => w.octets(s),
            Value::Null | Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView => {
                w.primitive(self.tag(), &[])
            }
            Value::ObjectIdentifier(oid) => {
                w.nested(TAG_OID, |w| oid.write_ber(w.buf()));
            }
            Value::IpAddress(ip) => w.primitive(TAG_IP_ADDRESS, &ip),
            Value::Counter32(v) | Value::Gauge32(v) | Value::TimeTicks(v) => {
                w.unsigned(self.tag(), u64::from(v));
            }
            Value::Opaque(b) => w.primitive(TAG_OPAQUE, b),
            Value::Counter64(v) => w.unsigned(TAG_COUNTER64, v),
        }
    }

    /// The float or double net-snmp wraps in an Opaque (`9F 78` / `9F 79`), if this is one.
    pub fn opaque_number(&self) -> Option<OpaqueNumber> {
        let Value::Opaque(b) = *self else {
            return None;
        };
        // The wrapped value uses a two-byte extended tag: 9F 78 (float), 9F 79 (double).
        let (tag0, tag1) = (*b.first()?, *b.get(1)?);
        if tag0 != 0x9f {
            return None;
        }
        let rest = b.get(2..)?;
        let (&len, data) = rest.split_first()?;
        let data = data.get(..usize::from(len))?;
        if data.len() + 3 != b.len() {
            return None;
        }
        match (tag1, data.len()) {
            (0x78, 4) => Some(OpaqueNumber::Float(f32::from_be_bytes(
                data.try_into().ok()?,
            ))),
            (0x79, 8) => Some(OpaqueNumber::Double(f64::from_be_bytes(
                data.try_into().ok()?,
            ))),
            _ => None,
        }
    }
}

/// A number net-snmp's agent wraps in an Opaque (UCD-SNMP-MIB load averages).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OpaqueNumber {
    /// `opaqueFloat`.
    Float(f32),
    /// `opaqueDouble`.
    Double(f64),
}

fn note_bad_unsigned(c: &[u8], anomalies: &mut Anomalies) {
    if c.first().is_none_or(|b| b & 0x80 != 0) {
        anomalies.insert(Anomalies::BAD_INTEGER);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ber::Reader;

    fn round_trip(v: Value<'_>) {
        let mut buf = Vec::new();
        v.encode(&mut Writer::new(&mut buf));
        let tlv = Reader::new(&buf, 0).read_tlv().unwrap();
        let mut a = Anomalies::default();
        let back = Value::decode(tlv, &DecodeOptions::strict(), false, &mut a).unwrap();
        assert_eq!(back, v);
        assert!(a.is_empty());
    }

    #[test]
    fn every_type_round_trips() {
        let oid: crate::Oid = "1.3.6.1.4.1.8072.3.2.10".parse().unwrap();
        let ber = oid.to_ber();
        for v in [
            Value::Integer(-5),
            Value::Integer(i64::from(i32::MAX)),
            Value::OctetString(b"Linux"),
            Value::OctetString(&[]),
            Value::Null,
            Value::ObjectIdentifier(OidRef::from_ber(&ber, false).unwrap()),
            Value::IpAddress([192, 0, 2, 1]),
            Value::Counter32(u32::MAX),
            Value::Gauge32(10_000_000),
            Value::TimeTicks(12345),
            Value::Opaque(&[0x9f, 0x78, 0x04, 0x3d, 0xe7, 0x00, 0x00]),
            Value::Counter64(u64::MAX),
            Value::NoSuchObject,
            Value::NoSuchInstance,
            Value::EndOfMibView,
        ] {
            round_trip(v);
        }
    }

    #[test]
    fn opaque_float() {
        let v = Value::Opaque(&[0x9f, 0x78, 0x04, 0x3f, 0x80, 0x00, 0x00]);
        assert_eq!(v.opaque_number(), Some(OpaqueNumber::Float(1.0)));
        assert_eq!(Value::Opaque(&[1, 2]).opaque_number(), None);
    }

    #[test]
    fn lenient_counter_and_strict_rejects() {
        let bytes = [0x41, 0x04, 0xff, 0xff, 0xff, 0xff];
        let tlv = Reader::new(&bytes, 0).read_tlv().unwrap();
        let mut a = Anomalies::default();
        assert!(Value::decode(tlv, &DecodeOptions::strict(), false, &mut a).is_err());
        let v = Value::decode(tlv, &DecodeOptions::lenient(), false, &mut a).unwrap();
        assert_eq!(v, Value::Counter32(u32::MAX));
        assert!(a.contains(Anomalies::BAD_INTEGER));
    }
}
