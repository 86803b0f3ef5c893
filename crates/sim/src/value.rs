//! [`OwnedValue`]: the owned counterpart of [`nocwatch_snmp::Value`].
//!
//! The codec's `Value` borrows from a packet, which is right for decoding but cannot
//! live in a MIB that outlives every request. The MIB stores `OwnedValue`s and lends
//! them out as `Value`s ([`OwnedValue::as_value`]) when a response is encoded, so the
//! encoder is the codec's own and nothing is copied per request.

use nocwatch_snmp::{Oid, Value};

/// One stored SNMP value: every `ObjectSyntax` type, plus NULL.
///
/// The v2 exceptions (noSuchObject, ...) are not values a MIB stores: the responder
/// produces them from lookups, so they have no variant here.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnedValue {
    /// INTEGER / Integer32 (kept as `i64`, like the codec, to round-trip agents that
    /// overflow it).
    Integer(i64),
    /// OCTET STRING.
    OctetString(Vec<u8>),
    /// OBJECT IDENTIFIER.
    ObjectIdentifier(Oid),
    /// IpAddress.
    IpAddress([u8; 4]),
    /// Counter32.
    Counter32(u32),
    /// Gauge32 / Unsigned32.
    Gauge32(u32),
    /// TimeTicks (hundredths of a second).
    TimeTicks(u32),
    /// Counter64.
    Counter64(u64),
    /// Opaque: raw BER, e.g. net-snmp's wrapped float ([`OwnedValue::opaque_float`]).
    Opaque(Vec<u8>),
    /// NULL.
    Null,
}

impl OwnedValue {
    /// Borrows this value as the codec's [`Value`], ready to encode.
    pub fn as_value(&self) -> Value<'_> {
        match self {
            Self::Integer(v) => Value::Integer(*v),
            Self::OctetString(b) => Value::OctetString(b),
            Self::ObjectIdentifier(o) => Value::ObjectIdentifier(o.as_oid_ref()),
            Self::IpAddress(ip) => Value::IpAddress(*ip),
            Self::Counter32(v) => Value::Counter32(*v),
            Self::Gauge32(v) => Value::Gauge32(*v),
            Self::TimeTicks(v) => Value::TimeTicks(*v),
            Self::Counter64(v) => Value::Counter64(*v),
            Self::Opaque(b) => Value::Opaque(b),
            Self::Null => Value::Null,
        }
    }

    /// An owned copy of a decoded value; `None` for the three v2 exceptions, which
    /// are not storable values.
    pub fn from_value(value: &Value<'_>) -> Option<Self> {
        Some(match *value {
            Value::Integer(v) => Self::Integer(v),
            Value::OctetString(b) => Self::OctetString(b.to_vec()),
            Value::Null => Self::Null,
            Value::ObjectIdentifier(o) => Self::ObjectIdentifier(o.to_oid()),
            Value::IpAddress(ip) => Self::IpAddress(ip),
            Value::Counter32(v) => Self::Counter32(v),
            Value::Gauge32(v) => Self::Gauge32(v),
            Value::TimeTicks(v) => Self::TimeTicks(v),
            Value::Opaque(b) => Self::Opaque(b.to_vec()),
            Value::Counter64(v) => Self::Counter64(v),
            Value::NoSuchObject | Value::NoSuchInstance | Value::EndOfMibView => return None,
        })
    }

    /// An OCTET STRING holding `s`'s UTF-8 bytes (DisplayString).
    pub fn string(s: &str) -> Self {
        Self::OctetString(s.as_bytes().to_vec())
    }

    /// net-snmp's `opaqueFloat`: an Opaque wrapping the extended tag `9F 78`, length 4
    /// and the IEEE-754 big-endian bytes, as UCD-SNMP-MIB's `laLoadFloat` carries it.
    pub fn opaque_float(v: f32) -> Self {
        let mut bytes = vec![0x9f, 0x78, 0x04];
        bytes.extend_from_slice(&v.to_be_bytes());
        Self::Opaque(bytes)
    }

    /// The BER tag this value encodes under: two values have the same SNMP type
    /// exactly when their tags are equal (SET's wrongType check).
    pub fn tag(&self) -> u8 {
        self.as_value().tag()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nocwatch_snmp::OpaqueNumber;

    #[test]
    fn round_trips_through_value() {
        let oid: Oid = "1.3.6.1.4.1.32473".parse().unwrap();
        for v in [
            OwnedValue::Integer(-3),
            OwnedValue::string("x"),
            OwnedValue::ObjectIdentifier(oid),
            OwnedValue::IpAddress([192, 0, 2, 1]),
            OwnedValue::Counter32(7),
            OwnedValue::Gauge32(8),
            OwnedValue::TimeTicks(9),
            OwnedValue::Counter64(u64::MAX),
            OwnedValue::opaque_float(0.5),
            OwnedValue::Null,
        ] {
            assert_eq!(OwnedValue::from_value(&v.as_value()).as_ref(), Some(&v));
        }
        assert_eq!(OwnedValue::from_value(&Value::EndOfMibView), None);
    }

    #[test]
    fn opaque_float_is_what_net_snmp_sends() {
        let v = OwnedValue::opaque_float(1.0);
        assert_eq!(
            v,
            OwnedValue::Opaque(vec![0x9f, 0x78, 0x04, 0x3f, 0x80, 0x00, 0x00])
        );
        assert_eq!(v.as_value().opaque_number(), Some(OpaqueNumber::Float(1.0)));
    }
}
