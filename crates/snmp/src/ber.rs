//! The BER subset SNMP uses: single-byte tags, definite lengths, over borrowed slices.
//!
//! The reader never copies: every item it returns is a sub-slice of the input, and every
//! length is checked against what is left before slicing, so no input can make it panic.
//! The writer emits minimal (DER-style) lengths, which every agent accepts, by writing a
//! one-byte length placeholder and shifting the content in the rare case (≥ 128 bytes)
//! where a longer length form is needed.

use crate::error::DecodeError;

/// Universal INTEGER.
pub const TAG_INTEGER: u8 = 0x02;
/// Universal OCTET STRING.
pub const TAG_OCTET_STRING: u8 = 0x04;
/// Universal NULL.
pub const TAG_NULL: u8 = 0x05;
/// Universal OBJECT IDENTIFIER.
pub const TAG_OID: u8 = 0x06;
/// Universal constructed SEQUENCE.
pub const TAG_SEQUENCE: u8 = 0x30;

/// One decoded tag-length-value item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag byte.
    pub tag: u8,
    /// Offset of the tag byte in the original buffer.
    pub offset: usize,
    /// The content octets.
    pub content: &'a [u8],
    /// Offset of the first content byte in the original buffer.
    pub content_offset: usize,
    /// True if the declared length overran the input and was clamped.
    pub clamped: bool,
}

/// A cursor over BER bytes that remembers its absolute offset for error messages.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
    offset: usize,
    /// Clamp a length that overruns the input to what is there, instead of failing.
    clamp: bool,
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`, whose first byte is at absolute offset `offset`.
    pub fn new(bytes: &'a [u8], offset: usize) -> Self {
        Self {
            rest: bytes,
            offset,
            clamp: false,
        }
    }

    /// Let overrunning lengths be clamped to the bytes that are left (broken agents
    /// that miscount an OCTET STRING at the end of a packet).
    pub fn with_clamp(mut self, clamp: bool) -> Self {
        self.clamp = clamp;
        self
    }

    /// True when every byte has been consumed.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> &'a [u8] {
        self.rest
    }

    /// Absolute offset of the next byte.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The next tag byte without consuming it.
    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// Reads one TLV item.
    pub fn read_tlv(&mut self) -> Result<Tlv<'a>, DecodeError> {
        let start = self.offset;
        let (&tag, after_tag) = self.rest.split_first().ok_or(DecodeError::Truncated {
            offset: start,
            needed: 2,
            available: 0,
        })?;
        if tag & 0x1f == 0x1f {
            return Err(DecodeError::HighTagNumber { offset: start });
        }
        let (&first, after_len0) = after_tag.split_first().ok_or(DecodeError::Truncated {
            offset: start,
            needed: 1,
            available: 0,
        })?;
        let (len, after_len) = if first < 0x80 {
            (usize::from(first), after_len0)
        } else if first == 0x80 {
            return Err(DecodeError::IndefiniteLength { offset: start + 1 });
        } else {
            let n = usize::from(first & 0x7f);
            if n > 4 {
                return Err(DecodeError::BadLength { offset: start + 1 });
            }
            let bytes = after_len0.get(..n).ok_or(DecodeError::Truncated {
                offset: start + 1,
                needed: n,
                available: after_len0.len(),
            })?;
            let len = bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            (len, &after_len0[n..])
        };
        let header = self.rest.len() - after_len.len();
        let content_offset = start + header;
        let clamped = len > after_len.len();
        let (content, rest) = if !clamped {
            after_len.split_at(len)
        } else if self.clamp {
            (after_len, &after_len[after_len.len()..])
        } else {
            return Err(DecodeError::LengthOverrun {
                offset: start,
                declared: len,
                available: after_len.len(),
            });
        };
        self.rest = rest;
        self.offset = content_offset + content.len();
        Ok(Tlv {
            tag,
            offset: start,
            content,
            content_offset,
            clamped,
        })
    }

    /// Reads one TLV item that must carry `tag`.
    pub fn expect(&mut self, tag: u8, expected: &'static str) -> Result<Tlv<'a>, DecodeError> {
        let offset = self.offset;
        let tlv = self.read_tlv()?;
        if tlv.tag == tag {
            Ok(tlv)
        } else {
            Err(DecodeError::UnexpectedTag {
                offset,
                expected,
                found: tlv.tag,
            })
        }
    }

    /// Reads a constructed item with `tag` and returns a reader over its content.
    pub fn enter(&mut self, tag: u8, expected: &'static str) -> Result<Self, DecodeError> {
        let tlv = self.expect(tag, expected)?;
        Ok(Reader::new(tlv.content, tlv.content_offset).with_clamp(self.clamp))
    }

    /// Reads an INTEGER that must fit in an `i32` (request-id, error-status, ...).
    pub fn read_i32(&mut self, what: &'static str) -> Result<i32, DecodeError> {
        let tlv = self.expect(TAG_INTEGER, what)?;
        let v = decode_signed(tlv.content, tlv.offset, what, false)?;
        i32::try_from(v).map_err(|_| DecodeError::IntegerRange {
            offset: tlv.offset,
            ty: what,
            len: tlv.content.len(),
        })
    }

    /// Reads an INTEGER of up to 64 bits.
    pub fn read_i64(&mut self, what: &'static str) -> Result<i64, DecodeError> {
        let tlv = self.expect(TAG_INTEGER, what)?;
        decode_signed(tlv.content, tlv.offset, what, false)
    }

    /// Reads an OCTET STRING, returning its content.
    pub fn read_octets(&mut self, what: &'static str) -> Result<&'a [u8], DecodeError> {
        Ok(self.expect(TAG_OCTET_STRING, what)?.content)
    }
}

/// Decodes a two's-complement INTEGER of at most 8 content bytes (9 would need a
/// leading sign byte that a lenient decoder may strip).
pub fn decode_signed(
    content: &[u8],
    offset: usize,
    ty: &'static str,
    lenient: bool,
) -> Result<i64, DecodeError> {
    let Some(&first) = content.first() else {
        return if lenient {
            Ok(0)
        } else {
            Err(DecodeError::EmptyInteger { offset, ty })
        };
    };
    let mut bytes = content;
    if lenient {
        // Strip redundant sign bytes: 00 00 05 or FF FF 80.
        while bytes.len() > 8 {
            let (b0, b1) = (bytes[0], bytes[1]);
            if (b0 == 0 && b1 & 0x80 == 0) || (b0 == 0xff && b1 & 0x80 != 0) {
                bytes = &bytes[1..];
            } else {
                break;
            }
        }
    }
    if bytes.len() > 8 {
        return Err(DecodeError::IntegerRange {
            offset,
            ty,
            len: content.len(),
        });
    }
    let init: i64 = if first & 0x80 != 0 { -1 } else { 0 };
    Ok(bytes.iter().fold(init, |acc, &b| (acc << 8) | i64::from(b)))
}

/// Decodes an unsigned value of at most `bits` bits (32 or 64).
///
/// Strictly, the encoding is non-negative two's complement (a leading 0x00 when the top
/// bit is set). Leniently, a negative encoding is read as the unsigned bit pattern of
/// its width (H3C's Counter32 `FF FF FF FF`), redundant leading bytes are stripped and
/// an empty value reads as zero.
pub fn decode_unsigned(
    content: &[u8],
    offset: usize,
    ty: &'static str,
    bits: u32,
    lenient: bool,
) -> Result<u64, DecodeError> {
    let max_bytes = (bits / 8) as usize;
    let range = || DecodeError::IntegerRange {
        offset,
        ty,
        len: content.len(),
    };
    let Some(&first) = content.first() else {
        return if lenient {
            Ok(0)
        } else {
            Err(DecodeError::EmptyInteger { offset, ty })
        };
    };
    if first & 0x80 != 0 {
        if !lenient {
            return Err(range());
        }
        let v = decode_signed(content, offset, ty, true)?;
        let mask = if bits >= 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        };
        return Ok((v as u64) & mask);
    }
    let zeros = content
        .iter()
        .take(content.len() - 1)
        .take_while(|&&b| b == 0)
        .count();
    let bytes = &content[zeros..];
    if bytes.len() > max_bytes {
        return Err(range());
    }
    Ok(bytes.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// An encoder that appends BER to a caller-owned `Vec<u8>`.
#[derive(Debug)]
pub struct Writer<'b> {
    buf: &'b mut Vec<u8>,
}

impl<'b> Writer<'b> {
    /// A writer appending to `buf`.
    pub fn new(buf: &'b mut Vec<u8>) -> Self {
        Self { buf }
    }

    /// Bytes written so far (the whole buffer, including anything before this writer).
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True if the underlying buffer is empty.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Writes a constructed (or any) item whose content is produced by `f`.
    pub fn nested(&mut self, tag: u8, f: impl FnOnce(&mut Writer<'_>)) {
        self.buf.push(tag);
        let len_at = self.buf.len();
        self.buf.push(0);
        let start = self.buf.len();
        f(&mut Writer { buf: self.buf });
        let len = self.buf.len() - start;
        fix_length(self.buf, len_at, len);
    }

    /// Writes a primitive item with the given content.
    pub fn primitive(&mut self, tag: u8, content: &[u8]) {
        self.buf.push(tag);
        push_length(self.buf, content.len());
        self.buf.extend_from_slice(content);
    }

    /// Writes a signed INTEGER-encoded value (minimal two's complement) under `tag`.
    pub fn signed(&mut self, tag: u8, v: i64) {
        let bytes = v.to_be_bytes();
        let mut skip = 0;
        while skip < 7 {
            let (b, next) = (bytes[skip], bytes[skip + 1]);
            if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
                skip += 1;
            } else {
                break;
            }
        }
        self.primitive(tag, &bytes[skip..]);
    }

    /// Writes an unsigned value (with a leading zero byte when the top bit is set).
    pub fn unsigned(&mut self, tag: u8, v: u64) {
        let bytes = v.to_be_bytes();
        let skip = bytes.iter().take(7).take_while(|&&b| b == 0).count();
        let body = &bytes[skip..];
        self.buf.push(tag);
        if body.first().is_some_and(|b| b & 0x80 != 0) {
            push_length(self.buf, body.len() + 1);
            self.buf.push(0);
        } else {
            push_length(self.buf, body.len());
        }
        self.buf.extend_from_slice(body);
    }

    /// Writes an INTEGER.
    pub fn integer(&mut self, v: i64) {
        self.signed(TAG_INTEGER, v);
    }

    /// Writes an OCTET STRING.
    pub fn octets(&mut self, v: &[u8]) {
        self.primitive(TAG_OCTET_STRING, v);
    }

    /// Appends raw, already-encoded bytes.
    pub fn raw(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Direct access for encoders of this crate that write content themselves.
    pub(crate) fn buf(&mut self) -> &mut Vec<u8> {
        self.buf
    }
}

fn push_length(buf: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        buf.push(len as u8);
    } else {
        let bytes = (len as u64).to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        buf.push(0x80 | (8 - skip) as u8);
        buf.extend_from_slice(&bytes[skip..]);
    }
}

/// Replaces the one-byte placeholder at `at` with the real length of `len` content
/// bytes, shifting the content right when the long form is needed.
fn fix_length(buf: &mut Vec<u8>, at: usize, len: usize) {
    if len < 0x80 {
        buf[at] = len as u8;
        return;
    }
    let bytes = (len as u64).to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    let n = 8 - skip;
    let old_end = buf.len();
    buf.resize(old_end + n, 0);
    buf.copy_within(at + 1..old_end, at + 1 + n);
    buf[at] = 0x80 | n as u8;
    buf[at + 1..at + 1 + n].copy_from_slice(&bytes[skip..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_lengths_round_trip() {
        for len in [0usize, 1, 127, 128, 255, 256, 65535, 70000] {
            let content = vec![0xab; len];
            let mut buf = Vec::new();
            Writer::new(&mut buf).nested(TAG_SEQUENCE, |w| w.raw(&content));
            let mut r = Reader::new(&buf, 0);
            let tlv = r.read_tlv().unwrap();
            assert_eq!(tlv.tag, TAG_SEQUENCE);
            assert_eq!(tlv.content.len(), len);
            assert!(r.is_empty());
        }
    }

    #[test]
    fn integers_are_minimal() {
        let cases: &[(i64, &[u8])] = &[
            (0, &[0]),
            (127, &[0x7f]),
            (128, &[0, 0x80]),
            (-1, &[0xff]),
            (-128, &[0x80]),
            (-129, &[0xff, 0x7f]),
            (i64::MIN, &[0x80, 0, 0, 0, 0, 0, 0, 0]),
        ];
        for &(v, want) in cases {
            let mut buf = Vec::new();
            Writer::new(&mut buf).integer(v);
            assert_eq!(&buf[2..], want, "{v}");
            assert_eq!(decode_signed(&buf[2..], 0, "INTEGER", false).unwrap(), v);
        }
    }

    #[test]
    fn unsigned_edges() {
        for v in [0u64, 1, 0x7f, 0x80, 0xffff_ffff, u64::MAX] {
            let mut buf = Vec::new();
            Writer::new(&mut buf).unsigned(0x46, v);
            assert_eq!(
                decode_unsigned(&buf[2..], 0, "Counter64", 64, false).unwrap(),
                v
            );
        }
        // H3C-style negative Counter32
        assert!(decode_unsigned(&[0xff, 0xff, 0xff, 0xff], 0, "Counter32", 32, false).is_err());
        assert_eq!(
            decode_unsigned(&[0xff, 0xff, 0xff, 0xff], 0, "Counter32", 32, true).unwrap(),
            0xffff_ffff
        );
        assert!(decode_unsigned(&[1, 0, 0, 0, 0], 0, "Counter32", 32, true).is_err());
        assert_eq!(
            decode_unsigned(&[0, 0, 5], 0, "Gauge32", 32, true).unwrap(),
            5
        );
    }

    #[test]
    fn malformed_lengths_are_errors() {
        let cases: &[&[u8]] = &[
            &[],
            &[0x30],
            &[0x30, 0x80],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
            &[0x30, 0x82, 0x01],
            &[0x30, 0x05, 1, 2],
            &[0x1f, 0x01, 0x00],
        ];
        for c in cases {
            assert!(Reader::new(c, 0).read_tlv().is_err(), "{c:02x?}");
        }
        let mut r = Reader::new(&[0x04, 0x05, 1, 2], 0).with_clamp(true);
        assert_eq!(r.read_tlv().unwrap().content, &[1, 2]);
    }
}
