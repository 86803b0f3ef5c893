//! [`ResponseBuilder`]: a Response's varbind list, kept within the size limit.
//!
//! GETBULK must stop adding bindings just before the message would exceed the limit
//! (RFC 3416 §4.2.3), and every other request must turn into tooBig past it. Both
//! need the size of the *whole message* after each binding, without re-encoding it:
//! bindings are encoded once into a buffer, and the envelope around them (three
//! nested SEQUENCE headers, request-id, error fields, version, community) is
//! computed arithmetically with BER's minimal-length rules, the ones the codec's
//! `ber::Writer` follows. The finished list is handed to the codec as
//! already-encoded content ([`VarBinds::encoded`]), so the message encoder is the
//! codec's own and the bindings are copied once.

use nocwatch_snmp::Value;
use nocwatch_snmp::ber::{TAG_OID, TAG_SEQUENCE, Writer};
use nocwatch_snmp::{
    CommunityMessage, ErrorStatus, Pdu, PduType, Pdus, VarBind, VarBinds, Version,
};

/// What the response echoes from the request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Envelope<'a> {
    pub version: Version,
    pub community: &'a [u8],
    pub request_id: i32,
}

impl Envelope<'_> {
    /// The encoded size of a Response carrying `error_status`/`error_index` and a
    /// varbind list whose content (the concatenated VarBind SEQUENCEs) is
    /// `varbinds_len` bytes.
    pub fn message_len(&self, error_status: i32, error_index: i32, varbinds_len: usize) -> usize {
        let list = tlv_len(varbinds_len);
        let pdu = tlv_len(
            integer_tlv_len(i64::from(self.request_id))
                + integer_tlv_len(i64::from(error_status))
                + integer_tlv_len(i64::from(error_index))
                + list,
        );
        tlv_len(integer_tlv_len(self.version.to_i64()) + tlv_len(self.community.len()) + pdu)
    }

    /// Appends the Response message to `out`.
    pub fn encode(
        &self,
        error_status: ErrorStatus,
        error_index: i32,
        varbinds: VarBinds<'_>,
        out: &mut Vec<u8>,
    ) {
        let pdu = Pdu {
            pdu_type: PduType::Response,
            request_id: self.request_id,
            error_status: error_status.to_i32(),
            error_index,
            varbinds,
        };
        CommunityMessage {
            version: self.version,
            community: self.community,
            pdu: Pdus::Pdu(pdu),
        }
        .encode(out);
    }
}

/// Encoded bindings of a successful Response, added one at a time under a size limit.
#[derive(Debug)]
pub(crate) struct ResponseBuilder<'a> {
    envelope: Envelope<'a>,
    max_message_size: usize,
    buf: Vec<u8>,
    count: usize,
}

impl<'a> ResponseBuilder<'a> {
    pub fn new(envelope: Envelope<'a>, max_message_size: usize) -> Self {
        Self {
            envelope,
            max_message_size,
            buf: Vec::with_capacity(512),
            count: 0,
        }
    }

    /// Adds `vb` if the noError message still fits; otherwise leaves the list as it
    /// was and returns false.
    pub fn try_push(&mut self, vb: &VarBind<'_>) -> bool {
        let before = self.buf.len();
        vb.encode(&mut Writer::new(&mut self.buf));
        if self.envelope.message_len(0, 0, self.buf.len()) > self.max_message_size {
            self.buf.truncate(before);
            return false;
        }
        self.count += 1;
        true
    }

    /// Adds a binding whose name is already BER content (see
    /// [`crate::Mib::name_ber`]), like [`ResponseBuilder::try_push`].
    pub fn try_push_named(&mut self, name_ber: &[u8], value: &Value<'_>) -> bool {
        let before = self.buf.len();
        Writer::new(&mut self.buf).nested(TAG_SEQUENCE, |w| {
            w.primitive(TAG_OID, name_ber);
            value.encode(w);
        });
        if self.envelope.message_len(0, 0, self.buf.len()) > self.max_message_size {
            self.buf.truncate(before);
            return false;
        }
        self.count += 1;
        true
    }

    /// The encoded bindings (the VarBindList's content).
    pub fn encoded(&self) -> &[u8] {
        &self.buf
    }

    /// Bindings added so far.
    pub fn count(&self) -> usize {
        self.count
    }

    /// Appends the noError Response with the bindings added.
    #[cfg(test)]
    pub fn finish(self, out: &mut Vec<u8>) {
        let start = out.len();
        self.envelope
            .encode(ErrorStatus::NoError, 0, VarBinds::encoded(&self.buf), out);
        debug_assert_eq!(
            out.len() - start,
            self.envelope.message_len(0, 0, self.buf.len()),
            "size arithmetic disagrees with the encoder"
        );
    }
}

/// Size of a TLV with `content` bytes of content, minimal definite length.
pub(crate) fn tlv_len(content: usize) -> usize {
    let header = if content < 0x80 {
        1
    } else {
        1 + (usize::BITS - content.leading_zeros()).div_ceil(8) as usize
    };
    1 + header + content
}

/// Size of an INTEGER TLV holding `v` in minimal two's complement.
pub(crate) fn integer_tlv_len(v: i64) -> usize {
    // Bits needed including the sign bit, rounded up to whole bytes.
    let significant = if v < 0 {
        64 - v.leading_ones()
    } else {
        64 - v.leading_zeros()
    };
    2 + (significant as usize + 1).div_ceil(8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nocwatch_snmp::{Oid, Value};

    #[test]
    fn integer_sizes_match_the_writer() {
        for v in [
            0i64,
            1,
            127,
            128,
            255,
            256,
            -1,
            -128,
            -129,
            32767,
            32768,
            i64::from(i32::MAX),
            i64::from(i32::MIN),
            i64::MAX,
            i64::MIN,
        ] {
            let mut buf = Vec::new();
            Writer::new(&mut buf).integer(v);
            assert_eq!(integer_tlv_len(v), buf.len(), "{v}");
        }
    }

    #[test]
    fn tlv_sizes_match_the_writer() {
        for n in [0usize, 1, 127, 128, 255, 256, 65535, 65536, 70_000] {
            let mut buf = Vec::new();
            Writer::new(&mut buf).octets(&vec![0; n]);
            assert_eq!(tlv_len(n), buf.len(), "{n}");
        }
    }

    #[test]
    fn builder_stops_exactly_at_the_limit() {
        let env = Envelope {
            version: Version::V2c,
            community: b"public",
            request_id: 0x1234_5678,
        };
        let oid: Oid = "1.3.6.1.2.1.1.1.0".parse().unwrap();
        let payload = vec![b'x'; 100];
        let vb = VarBind {
            name: oid.as_oid_ref(),
            value: Value::OctetString(&payload),
        };
        for limit in [0usize, 130, 200, 484, 1000, 1472, 65_507] {
            let mut b = ResponseBuilder::new(env, limit);
            while b.try_push(&vb) {}
            let n = b.count();
            let mut out = Vec::new();
            b.finish(&mut out);
            assert!(out.len() <= limit || n == 0, "{limit}: {}", out.len());
            // One more binding would not have fit.
            let mut one_more = ResponseBuilder::new(env, usize::MAX);
            for _ in 0..=n {
                assert!(one_more.try_push(&vb));
            }
            let mut bigger = Vec::new();
            one_more.finish(&mut bigger);
            assert!(bigger.len() > limit, "{limit}");
        }
    }
}
