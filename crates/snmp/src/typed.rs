//! Values given as text with net-snmp's one-letter type (`i 42`, `s text`, `a 10.0.0.1`,
//! `x "0a 0b"`), as `snmpset` and `snmptrap` take them in their `OID TYPE VALUE`
//! triples.
//!
//! Why a type of its own: a [`Value`] borrows its bytes (the codec is zero-copy), but
//! a value parsed from a command line has nothing to borrow from. [`TypedValue`] owns
//! what it parsed until the request is built, then lends it out as a [`Value`]. `set`
//! and `trap send` share it, so both accept exactly the same notation.

use std::net::Ipv4Addr;

use crate::error::Error;
use crate::oid::{Oid, OidRef};
use crate::value::Value;

/// A value parsed from net-snmp's `TYPE VALUE` notation, owned until a request is
/// built from it ([`TypedValue::as_value`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypedValue {
    /// `i`: INTEGER.
    Integer(i64),
    /// `u`: Gauge32 (Unsigned32).
    Gauge(u32),
    /// `c`: Counter32.
    Counter(u32),
    /// `t`: TimeTicks, in hundredths of a second.
    Ticks(u32),
    /// `a`: IpAddress.
    Ip([u8; 4]),
    /// `o`: OBJECT IDENTIFIER, kept BER-encoded so it can be lent as an [`OidRef`].
    Oid(Vec<u8>),
    /// `s` (text), `x` (hex) and `d` (decimal bytes): OCTET STRING.
    Bytes(Vec<u8>),
    /// `n`: NULL.
    Null,
    /// `U` or `C`: Counter64.
    Counter64(u64),
}

impl TypedValue {
    /// Parses `text` as a value of net-snmp's type letter `ty` (`i u c t a o s x d n U`).
    ///
    /// # Errors
    ///
    /// [`Error::Notation`], worded as net-snmp words it ("Bad value notation", "Value
    /// out of range", "Bad object type"), so scripts written for snmpset read the same.
    pub fn parse(ty: &str, text: &str) -> Result<Self, Error> {
        let bad = |t: &str, why: &str| Error::Notation(format!("{t}: {why}"));
        let u32_of = |t: &str| t.parse::<u32>().map_err(|_| bad(t, "Value out of range"));
        Ok(match ty {
            "i" => Self::Integer(
                text.parse::<i64>()
                    .map_err(|_| bad(text, "Bad value notation"))?,
            ),
            "u" => Self::Gauge(u32_of(text)?),
            "c" => Self::Counter(u32_of(text)?),
            "t" => Self::Ticks(u32_of(text)?),
            "a" => Self::Ip(
                text.parse::<Ipv4Addr>()
                    .map_err(|_| bad(text, "Bad IP address"))?
                    .octets(),
            ),
            "o" => Self::Oid(
                text.parse::<Oid>()
                    .map_err(|_| bad(text, "Unknown Object Identifier"))?
                    .to_ber(),
            ),
            "s" => Self::Bytes(text.as_bytes().to_vec()),
            "x" => Self::Bytes(parse_hex(text)?),
            "d" => Self::Bytes(
                text.split(|c: char| c == '.' || c.is_whitespace())
                    .filter(|p| !p.is_empty())
                    .map(|p| p.parse::<u8>().map_err(|_| bad(p, "Bad value notation")))
                    .collect::<Result<_, _>>()?,
            ),
            "n" => Self::Null,
            "U" | "C" => Self::Counter64(
                text.parse::<u64>()
                    .map_err(|_| bad(text, "Value out of range"))?,
            ),
            t => return Err(bad(t, "Bad object type (use one of i u c t a o s x d n U)")),
        })
    }

    /// The value to encode, borrowing from `self`.
    ///
    /// # Errors
    ///
    /// [`Error::Oid`] only if an `Oid` built by hand holds invalid BER (never for one
    /// made by [`TypedValue::parse`]).
    pub fn as_value(&self) -> Result<Value<'_>, Error> {
        Ok(match self {
            Self::Integer(v) => Value::Integer(*v),
            Self::Gauge(v) => Value::Gauge32(*v),
            Self::Counter(v) => Value::Counter32(*v),
            Self::Ticks(v) => Value::TimeTicks(*v),
            Self::Ip(ip) => Value::IpAddress(*ip),
            Self::Oid(ber) => Value::ObjectIdentifier(OidRef::from_ber(ber, false)?),
            Self::Bytes(b) => Value::OctetString(b),
            Self::Null => Value::Null,
            Self::Counter64(v) => Value::Counter64(*v),
        })
    }
}

/// `OID TYPE VALUE` triples, as `snmpset` and `snmptrap` take them; `resolve` turns
/// the OID text into an [`Oid`] (dotted decimal, or MIB names where the caller has
/// MIBs), so the MIB-free core does not need to know about names.
///
/// # Errors
///
/// [`Error::Notation`] when the words do not come in triples or a value does not
/// parse; whatever `resolve` returns for an OID.
pub fn parse_triples<F>(words: &[String], mut resolve: F) -> Result<Vec<(Oid, TypedValue)>, Error>
where
    F: FnMut(&str) -> Result<Oid, Error>,
{
    if !words.len().is_multiple_of(3) {
        return Err(Error::Notation(
            "variables come in triples: OID TYPE VALUE".to_owned(),
        ));
    }
    let mut items = Vec::with_capacity(words.len() / 3);
    for t in words.chunks_exact(3) {
        if let [oid, ty, value] = t {
            items.push((resolve(oid)?, TypedValue::parse(ty, value)?));
        }
    }
    Ok(items)
}

/// Dotted decimal as the OID of a triple, with net-snmp's message when it is not.
///
/// # Errors
///
/// [`Error::Notation`] ("Unknown Object Identifier").
pub fn parse_numeric_oid(text: &str) -> Result<Oid, Error> {
    text.parse::<Oid>()
        .map_err(|_| Error::Notation(format!("{text}: Unknown Object Identifier")))
}

/// Hex digits as net-snmp's `x` type takes them: white space and `:` between bytes
/// are ignored (`"0a 0b"`, `0a:0b`, `0a0b`).
///
/// # Errors
///
/// [`Error::Notation`] for an odd number of digits or a non-hex character.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, Error> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b':')
        .collect();
    if !digits.len().is_multiple_of(2) {
        return Err(Error::Notation(format!("{text}: odd number of hex digits")));
    }
    digits
        .chunks_exact(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|s| u8::from_str_radix(s, 16).ok())
                .ok_or_else(|| Error::Notation(format!("{text}: Bad value notation")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]

    use super::*;

    #[test]
    fn every_type_letter() {
        let v = |ty: &str, text: &str| TypedValue::parse(ty, text).unwrap();
        assert_eq!(v("i", "-5").as_value().unwrap(), Value::Integer(-5));
        assert_eq!(v("u", "7").as_value().unwrap(), Value::Gauge32(7));
        assert_eq!(v("c", "8").as_value().unwrap(), Value::Counter32(8));
        assert_eq!(v("t", "100").as_value().unwrap(), Value::TimeTicks(100));
        assert_eq!(
            v("a", "10.1.2.3").as_value().unwrap(),
            Value::IpAddress([10, 1, 2, 3])
        );
        let oid = v("o", "1.3.6.1.2.1");
        match oid.as_value().unwrap() {
            Value::ObjectIdentifier(o) => {
                assert_eq!(o.arcs().collect::<Vec<_>>(), [1, 3, 6, 1, 2, 1]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            v("s", "a b").as_value().unwrap(),
            Value::OctetString(b"a b")
        );
        assert_eq!(
            v("x", "0a 0B:ff").as_value().unwrap(),
            Value::OctetString(&[0x0a, 0x0b, 0xff])
        );
        assert_eq!(
            v("d", "1.2 3").as_value().unwrap(),
            Value::OctetString(&[1, 2, 3])
        );
        assert_eq!(v("n", "").as_value().unwrap(), Value::Null);
        assert_eq!(
            v("U", "18446744073709551615"),
            TypedValue::Counter64(u64::MAX)
        );
        assert_eq!(v("C", "1"), TypedValue::Counter64(1));
    }

    #[test]
    fn bad_values_say_why_in_net_snmps_words() {
        let e = |ty: &str, text: &str| TypedValue::parse(ty, text).unwrap_err().to_string();
        assert_eq!(e("i", "x"), "x: Bad value notation");
        assert_eq!(e("u", "4294967296"), "4294967296: Value out of range");
        assert_eq!(e("a", "1.2.3"), "1.2.3: Bad IP address");
        assert_eq!(
            e("o", "not.an.oid"),
            "not.an.oid: Unknown Object Identifier"
        );
        assert_eq!(e("x", "abc"), "abc: odd number of hex digits");
        assert_eq!(e("x", "zz"), "zz: Bad value notation");
        assert_eq!(e("d", "1.300"), "300: Bad value notation");
        assert!(e("q", "1").starts_with("q: Bad object type"));
    }

    #[test]
    fn triples() {
        let words: Vec<String> = [
            "1.3.6.1.2.1.1.5.0",
            "s",
            "r1",
            "1.3.6.1.2.1.1.7.0",
            "i",
            "72",
        ]
        .map(String::from)
        .to_vec();
        let items = parse_triples(&words, parse_numeric_oid).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].0.arcs(), [1, 3, 6, 1, 2, 1, 1, 5, 0]);
        assert_eq!(items[1].1, TypedValue::Integer(72));
        assert!(parse_triples(&words[..2], parse_numeric_oid).is_err());
        assert!(parse_triples(&[], parse_numeric_oid).unwrap().is_empty());
        let bad: Vec<String> = ["x.y", "i", "1"].map(String::from).to_vec();
        assert_eq!(
            parse_triples(&bad, parse_numeric_oid)
                .unwrap_err()
                .to_string(),
            "x.y: Unknown Object Identifier"
        );
    }
}
