//! OBJECT IDENTIFIERs: an owned [`Oid`] and a borrowed [`OidRef`].
//!
//! Both order by arcs, never by encoded bytes: arc 16383 encodes as `FF 7F` and 16384
//! as `81 80 00`, so a byte comparison would put `.16384` before `.16383` and break
//! every walk's "is the agent still moving forward" check. An [`OidRef`] decoded from a
//! packet borrows the BER content and decodes arcs lazily; it was validated when it was
//! built, so iterating it cannot fail.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use smallvec::SmallVec;

use crate::error::OidError;

/// The most sub-identifiers an SNMP OID may have (RFC 2578 §3.5).
pub const MAX_ARCS: usize = 128;

/// An owned, validated OBJECT IDENTIFIER.
///
/// Up to 16 arcs live inline, which covers nearly every OID a poll returns.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Oid {
    arcs: SmallVec<[u32; 16]>,
}

impl Oid {
    /// Builds an OID from arcs, checking the rules BER imposes on the first two.
    ///
    /// ```
    /// # use nocwatch_snmp::Oid;
    /// let sys_descr = Oid::from_arcs(&[1, 3, 6, 1, 2, 1, 1, 1, 0]).unwrap();
    /// assert_eq!(sys_descr.to_string(), "1.3.6.1.2.1.1.1.0");
    /// assert!(Oid::from_arcs(&[3, 1]).is_err());
    /// ```
    pub fn from_arcs(arcs: &[u32]) -> Result<Self, OidError> {
        validate_arcs(arcs)?;
        Ok(Self {
            arcs: SmallVec::from_slice(arcs),
        })
    }

    /// The empty OID (only produced by lenient decoding of a zero-length value).
    pub fn empty() -> Self {
        Self::default()
    }

    /// The arcs.
    pub fn arcs(&self) -> &[u32] {
        &self.arcs
    }

    /// Number of arcs.
    pub fn len(&self) -> usize {
        self.arcs.len()
    }

    /// True for the empty OID.
    pub fn is_empty(&self) -> bool {
        self.arcs.is_empty()
    }

    /// True if `self` is `root` or lies below it.
    ///
    /// ```
    /// # use nocwatch_snmp::Oid;
    /// let system: Oid = "1.3.6.1.2.1.1".parse().unwrap();
    /// let descr: Oid = ".1.3.6.1.2.1.1.1.0".parse().unwrap();
    /// assert!(descr.is_in_subtree(&system));
    /// assert!(!system.is_in_subtree(&descr));
    /// ```
    pub fn is_in_subtree(&self, root: &Self) -> bool {
        self.arcs.starts_with(&root.arcs)
    }

    /// Appends one arc (e.g. an index). Fails past [`MAX_ARCS`] or when the result
    /// would be unencodable.
    pub fn push(&mut self, arc: u32) -> Result<(), OidError> {
        if self.arcs.len() >= MAX_ARCS {
            return Err(OidError::TooLong);
        }
        self.arcs.push(arc);
        if let Err(e) = validate_arcs(&self.arcs) {
            self.arcs.pop();
            return Err(e);
        }
        Ok(())
    }

    /// A borrowed view, for encoding and comparison with decoded OIDs.
    pub fn as_oid_ref(&self) -> OidRef<'_> {
        OidRef(Repr::Arcs(&self.arcs))
    }

    /// The BER content octets (without tag and length).
    pub fn to_ber(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.arcs.len() + 4);
        encode_arcs(&self.arcs, &mut out);
        out
    }

    /// Writes the net-snmp numeric form, with a leading dot (`.1.3.6.1`).
    pub fn write_dotted(&self, out: &mut String) {
        write_dotted(self.arcs.iter().copied(), out);
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_arcs(self.arcs.iter().copied(), f)
    }
}

impl fmt::Debug for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({self})")
    }
}

impl FromStr for Oid {
    type Err = OidError;

    /// Parses dotted decimal, with or without net-snmp's leading dot.
    fn from_str(s: &str) -> Result<Self, OidError> {
        let s = s.trim();
        let s = s.strip_prefix('.').unwrap_or(s);
        if s.is_empty() {
            return Err(OidError::Syntax);
        }
        let mut arcs: SmallVec<[u32; 16]> = SmallVec::new();
        for part in s.split('.') {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(OidError::Syntax);
            }
            let arc: u32 = part.parse().map_err(|_| OidError::ArcTooLarge)?;
            arcs.push(arc);
        }
        validate_arcs(&arcs)?;
        Ok(Self { arcs })
    }
}

impl<'a> From<&'a Oid> for OidRef<'a> {
    fn from(oid: &'a Oid) -> Self {
        oid.as_oid_ref()
    }
}

fn validate_arcs(arcs: &[u32]) -> Result<(), OidError> {
    if arcs.len() > MAX_ARCS {
        return Err(OidError::TooLong);
    }
    match arcs {
        [] => Ok(()),
        [first, ..] if *first > 2 => Err(OidError::BadFirstArcs),
        [first, second, ..] if *first < 2 && *second >= 40 => Err(OidError::BadFirstArcs),
        _ => Ok(()),
    }
}

/// Encodes validated arcs as BER content octets.
fn encode_arcs(arcs: &[u32], out: &mut Vec<u8>) {
    let mut it = arcs.iter().copied();
    let first = match (it.next(), it.next()) {
        (None, _) => return,
        (Some(a), None) => u64::from(a) * 40,
        (Some(a), Some(b)) => u64::from(a) * 40 + u64::from(b),
    };
    push_subid(first, out);
    for arc in it {
        push_subid(u64::from(arc), out);
    }
}

fn push_subid(v: u64, out: &mut Vec<u8>) {
    if v < 0x80 {
        out.push(v as u8);
        return;
    }
    let mut groups = [0u8; 10];
    let mut n = 0;
    let mut x = v;
    while x > 0 && n < groups.len() {
        groups[n] = (x & 0x7f) as u8;
        x >>= 7;
        n += 1;
    }
    for i in (0..n).rev() {
        let cont = if i == 0 { 0 } else { 0x80 };
        out.push(groups[i] | cont);
    }
}

fn write_dotted(arcs: impl Iterator<Item = u32>, out: &mut String) {
    for arc in arcs {
        out.push('.');
        push_u32(out, arc);
    }
}

/// Appends a decimal u32 without going through `fmt` (walk output is hot).
pub(crate) fn push_u32(out: &mut String, mut v: u32) {
    let mut digits = [0u8; 10];
    let mut n = 0;
    loop {
        digits[n] = b'0' + (v % 10) as u8;
        v /= 10;
        n += 1;
        if v == 0 || n == digits.len() {
            break;
        }
    }
    for &d in digits[..n].iter().rev() {
        out.push(char::from(d));
    }
}

fn fmt_arcs(arcs: impl Iterator<Item = u32>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for (i, arc) in arcs.enumerate() {
        if i > 0 {
            f.write_str(".")?;
        }
        write!(f, "{arc}")?;
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Repr<'a> {
    /// Validated BER content octets.
    Ber(&'a [u8]),
    /// Validated arcs.
    Arcs(&'a [u32]),
}

/// A borrowed OBJECT IDENTIFIER: either BER content from a packet or the arcs of an
/// [`Oid`]. Compares, hashes and orders by arcs whatever its representation.
#[derive(Clone, Copy)]
pub struct OidRef<'a>(Repr<'a>);

impl<'a> OidRef<'a> {
    /// Validates BER content octets (no tag or length). `lenient` accepts an empty
    /// encoding and sub-identifiers with redundant leading `0x80` bytes.
    pub fn from_ber(content: &'a [u8], lenient: bool) -> Result<Self, OidError> {
        if content.is_empty() {
            return if lenient {
                Ok(Self(Repr::Ber(content)))
            } else {
                Err(OidError::Empty)
            };
        }
        let mut arcs = 0usize;
        let mut value: u64 = 0;
        let mut at_start = true;
        let mut subid_len = 0usize;
        for &b in content {
            if at_start && b == 0x80 && !lenient {
                return Err(OidError::NonMinimal);
            }
            at_start = false;
            subid_len += 1;
            // Five 7-bit groups hold any 32-bit arc; longer encodings are padding
            // attacks (zeek's subidentifier-too-long trace), refused even leniently.
            if subid_len > 5 {
                return Err(OidError::SubidTooLong);
            }
            value = (value << 7) | u64::from(b & 0x7f);
            // The first sub-identifier carries 2.x with x up to u32::MAX.
            let limit = if arcs == 0 {
                u64::from(u32::MAX) + 80
            } else {
                u64::from(u32::MAX)
            };
            if value > limit {
                return Err(OidError::ArcTooLarge);
            }
            if b & 0x80 == 0 {
                arcs += if arcs == 0 { 2 } else { 1 };
                if arcs > MAX_ARCS {
                    return Err(OidError::TooLong);
                }
                value = 0;
                at_start = true;
                subid_len = 0;
            }
        }
        if !at_start {
            return Err(OidError::Truncated);
        }
        Ok(Self(Repr::Ber(content)))
    }

    /// The arcs, decoded on the fly.
    pub fn arcs(&self) -> Arcs<'a> {
        match self.0 {
            Repr::Ber(b) => Arcs::Ber {
                bytes: b,
                pos: 0,
                second: None,
            },
            Repr::Arcs(a) => Arcs::Slice(a.iter()),
        }
    }

    /// Number of arcs.
    pub fn len(&self) -> usize {
        match self.0 {
            Repr::Ber(b) => {
                let subids = b.iter().filter(|&&x| x & 0x80 == 0).count();
                if subids == 0 { 0 } else { subids + 1 }
            }
            Repr::Arcs(a) => a.len(),
        }
    }

    /// True for the empty OID.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An owned copy.
    pub fn to_oid(&self) -> Oid {
        match self.0 {
            Repr::Arcs(a) => Oid {
                arcs: SmallVec::from_slice(a),
            },
            Repr::Ber(_) => Oid {
                arcs: self.arcs().collect(),
            },
        }
    }

    /// True if this OID is `root` or lies below it.
    pub fn is_in_subtree(&self, root: &Oid) -> bool {
        let mut mine = self.arcs();
        root.arcs().iter().all(|&r| mine.next() == Some(r))
    }

    /// Compares with an owned OID by arcs.
    pub fn cmp_oid(&self, other: &Oid) -> Ordering {
        self.arcs().cmp(other.arcs().iter().copied())
    }

    /// Writes the BER content octets.
    pub fn write_ber(&self, out: &mut Vec<u8>) {
        match self.0 {
            Repr::Ber(b) => out.extend_from_slice(b),
            Repr::Arcs(a) => encode_arcs(a, out),
        }
    }

    /// The BER content when this view borrows it from a packet.
    pub fn ber(&self) -> Option<&'a [u8]> {
        match self.0 {
            Repr::Ber(b) => Some(b),
            Repr::Arcs(_) => None,
        }
    }

    /// Writes the net-snmp numeric form, with a leading dot (`.1.3.6.1`).
    pub fn write_dotted(&self, out: &mut String) {
        write_dotted(self.arcs(), out);
    }
}

impl PartialEq for OidRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self.0, other.0) {
            (Repr::Arcs(a), Repr::Arcs(b)) => a == b,
            _ => self.arcs().eq(other.arcs()),
        }
    }
}

impl Eq for OidRef<'_> {}

impl PartialOrd for OidRef<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OidRef<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.arcs().cmp(other.arcs())
    }
}

impl Hash for OidRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for arc in self.arcs() {
            arc.hash(state);
        }
    }
}

impl PartialEq<Oid> for OidRef<'_> {
    fn eq(&self, other: &Oid) -> bool {
        self.cmp_oid(other) == Ordering::Equal
    }
}

impl fmt::Display for OidRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt_arcs(self.arcs(), f)
    }
}

impl fmt::Debug for OidRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OidRef({self})")
    }
}

/// Iterator over the arcs of an [`OidRef`].
#[derive(Debug, Clone)]
pub enum Arcs<'a> {
    /// Decoding BER content.
    #[doc(hidden)]
    Ber {
        /// Validated content.
        bytes: &'a [u8],
        /// Next byte to read.
        pos: usize,
        /// The second arc, pending after the first sub-identifier was split.
        second: Option<u32>,
    },
    /// Walking arcs.
    #[doc(hidden)]
    Slice(std::slice::Iter<'a, u32>),
}

impl Iterator for Arcs<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        match self {
            Arcs::Slice(it) => it.next().copied(),
            Arcs::Ber { bytes, pos, second } => {
                if let Some(s) = second.take() {
                    return Some(s);
                }
                let start = *pos;
                let mut value: u64 = 0;
                loop {
                    let b = *bytes.get(*pos)?;
                    *pos += 1;
                    value = (value << 7) | u64::from(b & 0x7f);
                    if b & 0x80 == 0 {
                        break;
                    }
                }
                if start == 0 {
                    let (first, rest) = match value {
                        0..=39 => (0, value),
                        40..=79 => (1, value - 40),
                        _ => (2, value - 80),
                    };
                    *second = Some(u32::try_from(rest).unwrap_or(u32::MAX));
                    Some(first)
                } else {
                    Some(u32::try_from(value).unwrap_or(u32::MAX))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ber_of(s: &str) -> Vec<u8> {
        s.parse::<Oid>().unwrap().to_ber()
    }

    #[test]
    fn parse_format_round_trip() {
        for s in [
            "1.3.6.1.2.1.1.1.0",
            "0.0",
            "2.999.3",
            "1.3.6.1.4.1.4294967295",
        ] {
            let oid: Oid = s.parse().unwrap();
            assert_eq!(oid.to_string(), s);
            let ber = oid.to_ber();
            let r = OidRef::from_ber(&ber, false).unwrap();
            assert_eq!(r.to_oid(), oid, "{s}");
            assert_eq!(r.len(), oid.len());
        }
        assert_eq!(ber_of("1.3.6.1"), vec![0x2b, 6, 1]);
        assert_eq!(ber_of("2.999.3"), vec![0x88, 0x37, 0x03]);
    }

    #[test]
    fn order_is_by_arcs_not_bytes() {
        let a: Oid = "1.3.6.1.16383".parse().unwrap();
        let b: Oid = "1.3.6.1.16384".parse().unwrap();
        assert!(a.to_ber() > b.to_ber(), "bytes order the other way");
        let (ba, bb) = (a.to_ber(), b.to_ber());
        let ra = OidRef::from_ber(&ba, false).unwrap();
        let rb = OidRef::from_ber(&bb, false).unwrap();
        assert!(ra < rb);
        assert!(a < b);
        let prefix: Oid = "1.3.6.1".parse().unwrap();
        let longer: Oid = "1.3.6.1.0".parse().unwrap();
        assert!(prefix < longer);
    }

    #[test]
    fn subtree() {
        let root: Oid = "1.3.6.1.2.1.2".parse().unwrap();
        let inside = ber_of("1.3.6.1.2.1.2.2.1.1.1");
        let outside = ber_of("1.3.6.1.2.1.20");
        assert!(
            OidRef::from_ber(&inside, false)
                .unwrap()
                .is_in_subtree(&root)
        );
        assert!(
            !OidRef::from_ber(&outside, false)
                .unwrap()
                .is_in_subtree(&root)
        );
    }

    #[test]
    fn invalid_ber() {
        assert_eq!(OidRef::from_ber(&[], false).unwrap_err(), OidError::Empty);
        assert!(OidRef::from_ber(&[], true).unwrap().is_empty());
        assert_eq!(
            OidRef::from_ber(&[0x2b, 0x86], false).unwrap_err(),
            OidError::Truncated
        );
        assert_eq!(
            OidRef::from_ber(&[0x2b, 0x90, 0x80, 0x80, 0x80, 0x00], false).unwrap_err(),
            OidError::ArcTooLarge
        );
        assert_eq!(
            OidRef::from_ber(&[0x2b, 0x80, 0x01], false).unwrap_err(),
            OidError::NonMinimal
        );
        let r = OidRef::from_ber(&[0x2b, 0x80, 0x01], true).unwrap();
        assert_eq!(r.to_string(), "1.3.1");
        let too_long = vec![1u8; 128];
        assert_eq!(
            OidRef::from_ber(&too_long, false).unwrap_err(),
            OidError::TooLong
        );
    }

    #[test]
    fn invalid_text() {
        for s in ["", ".", "1..2", "1.a", "3.1", "1.40", "1.3.99999999999"] {
            assert!(s.parse::<Oid>().is_err(), "{s}");
        }
    }

    #[test]
    fn dotted() {
        let mut s = String::new();
        "1.3.6.1.2.1.1.1.0"
            .parse::<Oid>()
            .unwrap()
            .write_dotted(&mut s);
        assert_eq!(s, ".1.3.6.1.2.1.1.1.0");
    }
}
