//! Round-trip properties shared by the fuzz targets and the tests.
//!
//! Each function decodes arbitrary bytes; when they decode, it re-encodes the decoded
//! structure (bindings included, one by one), decodes that again and checks that the
//! two decodings are equal and that encoding is stable. A violation panics, which is
//! what a fuzz target reports.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use crate::ber::{Reader, TAG_OID, Writer};
use crate::message::{CommunityMessage, Message, ScopedPdu, ScopedPduData, V3Message};
use crate::oid::OidRef;
use crate::options::DecodeOptions;
use crate::pdu::{Pdu, Pdus, TrapV1Pdu};
use crate::usm::UsmSecurityParameters;
use crate::varbind::{VarBind, VarBinds};

/// decode → encode → decode for a whole message, with both option sets.
pub fn message_round_trip(bytes: &[u8]) {
    for opts in [DecodeOptions::strict(), DecodeOptions::lenient()] {
        let Ok(msg) = Message::decode(bytes, &opts) else {
            continue;
        };
        let Some(first) = encode_structurally(&msg) else {
            continue; // bindings did not decode: nothing to compare
        };
        let again = Message::decode(&first, &DecodeOptions::lenient())
            .unwrap_or_else(|e| panic!("re-encoded message does not decode: {e}"));
        assert_messages_eq(&msg, &again);
        let second = encode_structurally(&again).expect("re-encoded bindings decode");
        assert_eq!(first, second, "encoding is not stable");
    }
}

/// decode → encode → decode for a bare VarBindList SEQUENCE.
pub fn varbinds_round_trip(bytes: &[u8]) {
    let mut r = Reader::new(bytes, 0);
    let Ok(seq) = r.expect(crate::ber::TAG_SEQUENCE, "VarBindList") else {
        return;
    };
    let list = VarBinds::from_ber(
        seq.content,
        seq.content_offset,
        DecodeOptions::lenient(),
        false,
    );
    let Ok(vbs) = list.to_vec() else {
        return;
    };
    let mut out = Vec::new();
    VarBinds::from_slice(&vbs).encode(&mut Writer::new(&mut out));
    let mut r2 = Reader::new(&out, 0);
    let seq2 = r2.expect(crate::ber::TAG_SEQUENCE, "VarBindList").unwrap();
    let back = VarBinds::from_ber(seq2.content, 0, DecodeOptions::lenient(), false)
        .to_vec()
        .unwrap_or_else(|e| panic!("re-encoded bindings do not decode: {e}"));
    assert_eq!(vbs, back);
}

/// decode → encode → decode for an OID's content octets, plus text round trip.
pub fn oid_round_trip(bytes: &[u8]) {
    for lenient in [false, true] {
        let Ok(oid) = OidRef::from_ber(bytes, lenient) else {
            continue;
        };
        let owned = oid.to_oid();
        assert_eq!(oid, owned, "OidRef and Oid disagree");
        assert_eq!(oid.len(), owned.len());
        let mut out = Vec::new();
        Writer::new(&mut out).nested(TAG_OID, |w| oid.write_ber(w.buf()));
        let tlv = Reader::new(&out, 0).read_tlv().unwrap();
        let back = OidRef::from_ber(tlv.content, true).unwrap();
        assert_eq!(back, oid);
        if !owned.is_empty() {
            let text = owned.to_string();
            let parsed: crate::Oid = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(parsed, owned);
        }
    }
}

/// decode → encode → decode for USM security parameters (the content of
/// `msgSecurityParameters`): the re-encoding decodes to equal fields and is stable.
pub fn usm_round_trip(bytes: &[u8]) {
    let Ok(usm) = UsmSecurityParameters::decode(bytes, 0) else {
        return;
    };
    let first = usm.to_vec();
    let back = UsmSecurityParameters::decode(&first, 0)
        .unwrap_or_else(|e| panic!("re-encoded USM parameters do not decode: {e}"));
    assert_eq!(usm, back);
    assert_eq!(first, back.to_vec(), "encoding is not stable");
}

/// Re-encodes a message with its bindings decoded and re-encoded one by one.
fn encode_structurally(msg: &Message<'_>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    match msg {
        Message::Community(m) => {
            let vbs = m.pdu.varbinds().to_vec().ok()?;
            let pdu = with_list(&m.pdu, &vbs);
            CommunityMessage { pdu, ..*m }.encode(&mut out);
        }
        Message::V3(m) => match &m.data {
            ScopedPduData::Encrypted(_) => m.encode(&mut out),
            ScopedPduData::Plaintext(s) => {
                let vbs = s.pdu.varbinds().to_vec().ok()?;
                let pdu = with_list(&s.pdu, &vbs);
                V3Message {
                    data: ScopedPduData::Plaintext(ScopedPdu { pdu, ..*s }),
                    ..*m
                }
                .encode(&mut out);
            }
        },
    }
    Some(out)
}

fn with_list<'a>(pdu: &Pdus<'a>, vbs: &'a [VarBind<'a>]) -> Pdus<'a> {
    let list = VarBinds::from_slice(vbs);
    match pdu {
        Pdus::Pdu(p) => Pdus::Pdu(Pdu {
            varbinds: list,
            ..*p
        }),
        Pdus::TrapV1(t) => Pdus::TrapV1(TrapV1Pdu {
            varbinds: list,
            ..*t
        }),
    }
}

fn assert_messages_eq(a: &Message<'_>, b: &Message<'_>) {
    match (a, b) {
        (Message::Community(x), Message::Community(y)) => {
            assert_eq!(x.version, y.version);
            assert_eq!(x.community, y.community);
            assert_pdus_eq(&x.pdu, &y.pdu);
        }
        (Message::V3(x), Message::V3(y)) => {
            assert_eq!(
                (
                    x.msg_id,
                    x.max_size,
                    x.flags,
                    x.security_model,
                    x.security_params
                ),
                (
                    y.msg_id,
                    y.max_size,
                    y.flags,
                    y.security_model,
                    y.security_params
                )
            );
            match (&x.data, &y.data) {
                (ScopedPduData::Encrypted(p), ScopedPduData::Encrypted(q)) => assert_eq!(p, q),
                (ScopedPduData::Plaintext(p), ScopedPduData::Plaintext(q)) => {
                    assert_eq!(p.context_engine_id, q.context_engine_id);
                    assert_eq!(p.context_name, q.context_name);
                    assert_pdus_eq(&p.pdu, &q.pdu);
                }
                _ => panic!("scoped PDU kind changed"),
            }
        }
        _ => panic!("message version changed"),
    }
}

fn assert_pdus_eq(a: &Pdus<'_>, b: &Pdus<'_>) {
    match (a, b) {
        (Pdus::Pdu(x), Pdus::Pdu(y)) => {
            assert_eq!(
                (x.pdu_type, x.request_id, x.error_status, x.error_index),
                (y.pdu_type, y.request_id, y.error_status, y.error_index)
            );
        }
        (Pdus::TrapV1(x), Pdus::TrapV1(y)) => {
            assert_eq!(x.enterprise, y.enterprise);
            assert_eq!(
                (x.agent_addr, x.generic_trap, x.specific_trap, x.time_stamp),
                (y.agent_addr, y.generic_trap, y.specific_trap, y.time_stamp)
            );
        }
        _ => panic!("PDU kind changed"),
    }
    let va = a
        .varbinds()
        .to_vec()
        .expect("bindings decoded once already");
    let vb = b
        .varbinds()
        .to_vec()
        .unwrap_or_else(|e| panic!("re-encoded bindings do not decode: {e}"));
    assert_eq!(va, vb);
}
