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
///
/// An OID of one arc encodes as `x.0` (as net-snmp sends `.1` for a walk of the whole
/// tree) and the empty OID as zero bytes: both only round-trip as what they encode.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
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

impl Hash for Oid {
    /// Hashes like [`OidRef`], so equal OIDs hash equally in either form.
    fn hash<H: Hasher>(&self, state: &mut H) {
        for arc in &self.arcs {
            arc.hash(state);
        }
        self.arcs.len().hash(state);
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
    // Digits go to a stack buffer and reach the String in one validated copy per
    // chunk: per-arc pushes were a third of a walk's user time.
    let mut buf = [0u8; 256];
    let mut n = 0;
    for arc in arcs {
        if n + 11 > buf.len() {
            out.push_str(std::str::from_utf8(&buf[..n]).unwrap_or_default());
            n = 0;
        }
        buf[n] = b'.';
        n += 1;
        n += write_decimal(arc, &mut buf[n..n + 10]);
    }
    out.push_str(std::str::from_utf8(&buf[..n]).unwrap_or_default());
}

/// [`write_dotted`] straight from validated BER, without the arc iterator.
fn write_dotted_ber(ber: &[u8], out: &mut String) {
    let mut buf = [0u8; 256];
    let mut n = 0;
    let mut value: u64 = 0;
    let mut first = true;
    for &b in ber {
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 != 0 {
            continue;
        }
        if n + 24 > buf.len() {
            out.push_str(std::str::from_utf8(&buf[..n]).unwrap_or_default());
            n = 0;
        }
        if first {
            let (x, y) = match value {
                0..=39 => (0, value),
                40..=79 => (1, value - 40),
                _ => (2, value - 80),
            };
            buf[n] = b'.';
            buf[n + 1] = b'0' + x as u8;
            buf[n + 2] = b'.';
            n += 3;
            n += write_decimal(u32::try_from(y).unwrap_or(u32::MAX), &mut buf[n..n + 10]);
            first = false;
        } else {
            buf[n] = b'.';
            n += 1;
            n += write_decimal(
                u32::try_from(value).unwrap_or(u32::MAX),
                &mut buf[n..n + 10],
            );
        }
        value = 0;
    }
    out.push_str(std::str::from_utf8(&buf[..n]).unwrap_or_default());
}

/// "00" to "99", for two digits per division.
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Writes `v` in decimal at the start of `out` (10 bytes suffice); returns the length.
/// Digits are placed directly (no temporary and no `memcpy` call): most arcs are
/// one to three digits and this runs for every arc a walk prints.
fn write_decimal(v: u32, out: &mut [u8]) -> usize {
    let len = match v {
        0..=9 => 1,
        10..=99 => 2,
        100..=999 => 3,
        1_000..=9_999 => 4,
        10_000..=99_999 => 5,
        100_000..=999_999 => 6,
        1_000_000..=9_999_999 => 7,
        10_000_000..=99_999_999 => 8,
        100_000_000..=999_999_999 => 9,
        _ => 10,
    };
    let Some(dst) = out.get_mut(..len) else {
        return 0;
    };
    let mut v = v;
    let mut i = len;
    while i >= 2 {
        let r = (v % 100) as usize * 2;
        v /= 100;
        dst[i - 1] = PAIRS[r + 1];
        dst[i - 2] = PAIRS[r];
        i -= 2;
    }
    if i == 1 {
        dst[0] = b'0' + (v % 10) as u8;
    }
    len
}

/// Appends a decimal u64 without going through `fmt` (walk output is hot).
pub fn push_u64(out: &mut String, v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut v = v;
    while v >= 100 {
        let r = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[r..r + 2]);
    }
    if v >= 10 {
        let r = v as usize * 2;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&PAIRS[r..r + 2]);
    } else {
        i -= 1;
        buf[i] = b'0' + v as u8;
    }
    // ASCII digits: pushed as chars, no UTF-8 validation of the buffer (which cost
    // more than the digits themselves on a trap storm's JSON path).
    for &d in &buf[i..] {
        out.push(char::from(d));
    }
}

/// Appends a decimal i64 without going through `fmt`.
pub fn push_i64(out: &mut String, v: i64) {
    if v < 0 {
        out.push('-');
    }
    push_u64(out, v.unsigned_abs());
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
    /// Validated, minimally encoded BER content octets: sub-identifiers compare by
    /// (length, bytes), so ordering and prefix tests work on the bytes directly.
    Ber(&'a [u8]),
    /// Validated BER with redundant leading bytes (accepted leniently): arcs only.
    Loose(&'a [u8]),
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
        // One pass, a few operations per byte: every binding's name goes through here.
        let mut subids = 0usize;
        let mut run = 0usize;
        let mut minimal = true;
        for (i, &b) in content.iter().enumerate() {
            if run == 0 && b == 0x80 {
                if !lenient {
                    return Err(OidError::NonMinimal);
                }
                minimal = false;
            }
            run += 1;
            if b & 0x80 != 0 {
                // Five 7-bit groups hold any 32-bit arc; longer encodings are padding
                // attacks (zeek's subidentifier-too-long trace), refused even leniently.
                if run >= 5 {
                    // Only redundant 0x80 padding makes a small arc this long.
                    return Err(if content[i + 1 - run] == 0x80 {
                        OidError::SubidTooLong
                    } else {
                        OidError::ArcTooLarge
                    });
                }
                continue;
            }
            if run == 5 {
                let value = content[i + 1 - run..=i]
                    .iter()
                    .fold(0u64, |acc, &x| (acc << 7) | u64::from(x & 0x7f));
                // The first sub-identifier carries 2.x with x up to u32::MAX.
                let limit = u64::from(u32::MAX) + if subids == 0 { 80 } else { 0 };
                if value > limit {
                    return Err(OidError::ArcTooLarge);
                }
            }
            subids += 1;
            run = 0;
        }
        if run != 0 {
            return Err(OidError::Truncated);
        }
        if subids + 1 > MAX_ARCS {
            return Err(OidError::TooLong);
        }
        Ok(Self(if minimal {
            Repr::Ber(content)
        } else {
            Repr::Loose(content)
        }))
    }

    /// The arcs, decoded on the fly.
    pub fn arcs(&self) -> Arcs<'a> {
        match self.0 {
            Repr::Ber(b) | Repr::Loose(b) => Arcs::Ber {
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
            Repr::Ber(b) | Repr::Loose(b) => {
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
            Repr::Ber(_) | Repr::Loose(_) => Oid {
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
            Repr::Loose(_) => {
                let arcs: SmallVec<[u32; 16]> = self.arcs().collect();
                encode_arcs(&arcs, out);
            }
            Repr::Arcs(a) => encode_arcs(a, out),
        }
    }

    /// The BER content when this view borrows it from a packet.
    pub fn ber(&self) -> Option<&'a [u8]> {
        match self.0 {
            Repr::Ber(b) | Repr::Loose(b) => Some(b),
            Repr::Arcs(_) => None,
        }
    }

    /// Writes the net-snmp numeric form, with a leading dot (`.1.3.6.1`).
    pub fn write_dotted(&self, out: &mut String) {
        match self.0 {
            Repr::Ber(b) | Repr::Loose(b) => write_dotted_ber(b, out),
            Repr::Arcs(a) => write_dotted(a.iter().copied(), out),
        }
    }

    /// True if this OID starts with the BER content `prefix` of an OID of at least
    /// two arcs: a byte comparison when both are minimally encoded (walks test every
    /// binding against their root this way).
    pub fn starts_with_ber(&self, prefix: &[u8]) -> bool {
        match self.0 {
            // Equal bytes mean equal sub-identifier boundaries, so a byte prefix
            // is an arc prefix.
            Repr::Ber(b) => b.starts_with(prefix),
            _ => OidRef::from_ber(prefix, false).is_ok_and(|p| self.is_in_subtree(&p.to_oid())),
        }
    }
}

/// Compares minimal BER encodings sub-identifier by sub-identifier: a longer
/// minimal sub-identifier is a larger number, equal lengths compare as bytes. The
/// first sub-identifier (40·x + y) orders like the pair (x, y).
fn cmp_minimal_ber(a: &[u8], b: &[u8]) -> Ordering {
    let k = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (Some(&xa), Some(&xb)) = (a.get(k), b.get(k)) else {
        // One is a byte prefix of the other, hence an arc prefix: shorter first.
        return a.len().cmp(&b.len());
    };
    // The sub-identifier holding byte k starts after the last terminator before k.
    let start = a[..k]
        .iter()
        .rposition(|&x| x & 0x80 == 0)
        .map_or(0, |p| p + 1);
    let end = |s: &[u8]| {
        s[k..]
            .iter()
            .position(|&x| x & 0x80 == 0)
            .map_or(s.len(), |p| k + p + 1)
    };
    (end(a) - start).cmp(&(end(b) - start)).then(xa.cmp(&xb))
}

impl PartialEq for OidRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self.0, other.0) {
            (Repr::Arcs(a), Repr::Arcs(b)) => a == b,
            (Repr::Ber(a), Repr::Ber(b)) => a == b,
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
        match (self.0, other.0) {
            (Repr::Ber(a), Repr::Ber(b)) => cmp_minimal_ber(a, b),
            (Repr::Arcs(a), Repr::Arcs(b)) => a.cmp(b),
            _ => self.arcs().cmp(other.arcs()),
        }
    }
}

impl Hash for OidRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut n = 0usize;
        for arc in self.arcs() {
            arc.hash(state);
            n += 1;
        }
        n.hash(state);
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
    fn decimal() {
        for v in [
            0u64,
            9,
            10,
            99,
            100,
            101,
            12345,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut s = String::new();
            push_u64(&mut s, v);
            assert_eq!(s, v.to_string());
        }
        for v in [0i64, -1, -100, i64::MIN, i64::MAX] {
            let mut s = String::new();
            push_i64(&mut s, v);
            assert_eq!(s, v.to_string());
        }
    }

    #[test]
    fn owned_and_borrowed_hash_alike() {
        use std::collections::hash_map::DefaultHasher;
        let h = |x: &dyn Fn(&mut DefaultHasher)| {
            let mut s = DefaultHasher::new();
            x(&mut s);
            s.finish()
        };
        let oid: Oid = "1.3.6.1.2.1".parse().unwrap();
        let ber = oid.to_ber();
        let r = OidRef::from_ber(&ber, false).unwrap();
        assert_eq!(h(&|s| oid.hash(s)), h(&|s| r.hash(s)));
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

#[cfg(test)]
mod order_tests {
    use super::*;

    /// The byte fast paths agree with arc order on awkward arcs.
    #[test]
    fn ber_fast_paths_agree_with_arcs() {
        let texts = [
            "0.0",
            "0.39",
            "1.0",
            "1.39",
            "2.0",
            "2.39",
            "2.40",
            "2.1000",
            "1.3.6",
            "1.3.6.1",
            "1.3.6.1.127",
            "1.3.6.1.128",
            "1.3.6.1.16383",
            "1.3.6.1.16384",
            "1.3.6.1.4294967295",
            "1.3.6.1.2.1.2",
            "1.3.6.1.2.1.2.2.1.1.1",
            "1.3.6.1.2.1.20",
        ];
        let oids: Vec<Oid> = texts.iter().map(|t| t.parse().unwrap()).collect();
        let bers: Vec<Vec<u8>> = oids.iter().map(Oid::to_ber).collect();
        for (a, ba) in oids.iter().zip(&bers) {
            let ra = OidRef::from_ber(ba, false).unwrap();
            for (b, bb) in oids.iter().zip(&bers) {
                let rb = OidRef::from_ber(bb, false).unwrap();
                assert_eq!(ra.cmp(&rb), a.cmp(b), "{a} vs {b}");
                assert_eq!(ra == rb, a == b);
                if b.len() >= 2 {
                    assert_eq!(ra.starts_with_ber(bb), a.is_in_subtree(b), "{a} under {b}");
                }
            }
        }
        // a loose (non-minimal) encoding still compares by arcs
        let loose = OidRef::from_ber(&[0x2b, 0x80, 0x06], true).unwrap();
        let tight = "1.3.6".parse::<Oid>().unwrap().to_ber();
        assert_eq!(
            loose.cmp(&OidRef::from_ber(&tight, false).unwrap()),
            Ordering::Equal
        );
        assert!(loose.starts_with_ber(&[0x2b]));
    }
}
