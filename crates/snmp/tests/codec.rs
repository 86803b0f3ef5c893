//! Integration tests of the SNMP codec, through the public API only.
//!
//! * golden encodings of every PDU type (v1, v2c, v3), hand-derived from the RFC
//!   encoding rules (X.690 BER, RFC 1157, RFC 3416, RFC 3412/3414) and cross-checked
//!   against Wireshark's dissector while they were written;
//! * decoding of every value type, short and long length forms, a 70,000-byte message;
//! * every tolerance switch of [`DecodeOptions`];
//! * hand-made malformed messages, each with the [`DecodeError`] it must give;
//! * properties (proptest): arbitrary and mutated input never panics and round-trips,
//!   OIDs order by arcs whatever their representation;
//! * the Zeek SNMP captures in `../shared`, when present.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hash::{BuildHasher, RandomState};
use std::net::Ipv4Addr;
use std::path::PathBuf;

use nocwatch_snmp::fuzzing::{
    message_round_trip, oid_round_trip, usm_round_trip, varbinds_round_trip,
};
use nocwatch_snmp::{
    Anomalies, CommunityMessage, DecodeError, DecodeOptions, Message, MsgFlags, Oid, OidError,
    OidRef, OpaqueNumber, Pdu, PduType, Pdus, ScopedPdu, ScopedPduData, TrapV1Pdu,
    UsmSecurityParameters, V3Message, Value, VarBind, VarBinds, Version,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

// ---------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------

/// Hex with whitespace; `;` starts a comment that runs to the end of the line.
fn hex(s: &str) -> Vec<u8> {
    s.lines()
        .map(|l| l.split(';').next().unwrap_or(""))
        .flat_map(str::split_whitespace)
        .map(|b| u8::from_str_radix(b, 16).unwrap_or_else(|_| panic!("bad hex byte {b:?}")))
        .collect()
}

fn oid(s: &str) -> Oid {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// Test-side BER writer (independent of the crate's): tag, minimal length, content.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let be = (n as u64).to_be_bytes();
        let skip = be.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (8 - skip) as u8);
        out.extend_from_slice(&be[skip..]);
    }
    out.extend_from_slice(content);
    out
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// INTEGER TLV with a minimal two's complement content.
fn int(v: i64) -> Vec<u8> {
    let be = v.to_be_bytes();
    let mut skip = 0;
    while skip < 7
        && ((be[skip] == 0 && be[skip + 1] & 0x80 == 0)
            || (be[skip] == 0xff && be[skip + 1] & 0x80 != 0))
    {
        skip += 1;
    }
    tlv(0x02, &be[skip..])
}

fn oid_tlv(s: &str) -> Vec<u8> {
    tlv(0x06, &oid(s).to_ber())
}

/// One VarBind SEQUENCE with a raw value TLV.
fn vb(name: &[u8], value: &[u8]) -> Vec<u8> {
    seq(&[name, value])
}

/// A community message around a PDU whose three integers and VarBindList content
/// are given.
fn community_msg(version: i64, pdu_tag: u8, ints: [i64; 3], vbl_content: &[u8]) -> Vec<u8> {
    let pdu = tlv(
        pdu_tag,
        &[
            int(ints[0]),
            int(ints[1]),
            int(ints[2]),
            tlv(0x30, vbl_content),
        ]
        .concat(),
    );
    seq(&[&int(version), &tlv(0x04, b"public"), &pdu])
}

/// A v2c (or v1) Response with one binding `1.3.6.1.2.1.1.1.0 = <value TLV>`.
fn response_with(version: i64, value: &[u8]) -> Vec<u8> {
    community_msg(
        version,
        0xa2,
        [1, 0, 0],
        &vb(&oid_tlv("1.3.6.1.2.1.1.1.0"), value),
    )
}

fn encode_community(version: Version, community: &[u8], pdu: Pdus<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    CommunityMessage {
        version,
        community,
        pdu,
    }
    .encode(&mut out);
    out
}

/// Decodes the bindings of a decoded message (panics on a decode error).
fn bindings<'a>(m: &Message<'a>) -> Vec<VarBind<'a>> {
    m.pdu().expect("plaintext PDU").varbinds().to_vec().unwrap()
}

/// The first error decoding `bytes` gives, the bindings included.
fn first_error(bytes: &[u8], opts: &DecodeOptions) -> Option<DecodeError> {
    let m = match Message::decode(bytes, opts) {
        Ok(m) => m,
        Err(e) => return Some(e),
    };
    m.pdu()?.varbinds().iter().find_map(Result::err)
}

/// The single binding's value and the bindings' anomalies.
fn one_value<'a>(
    bytes: &'a [u8],
    opts: &DecodeOptions,
) -> Result<(Value<'a>, Anomalies), DecodeError> {
    let m = Message::decode(bytes, opts)?;
    let mut it = m.pdu().expect("plaintext").varbinds().iter();
    let v = it.next().expect("one binding")?;
    assert!(it.next().is_none());
    Ok((v.value, it.anomalies()))
}

/// Everything a valid golden message must satisfy besides its exact bytes.
fn check_valid(bytes: &[u8]) {
    let d = Message::decode_with_anomalies(bytes, &DecodeOptions::strict())
        .unwrap_or_else(|e| panic!("strict decode: {e}"));
    assert!(d.anomalies.is_empty());
    if let Some(p) = d.message.pdu() {
        let mut it = p.varbinds().iter();
        for r in it.by_ref() {
            r.unwrap();
        }
        assert!(it.anomalies().is_empty());
    }
    // Forwarding a decoded message re-emits identical bytes.
    let mut again = Vec::new();
    d.message.encode(&mut again);
    assert_eq!(again, bytes, "forwarded encoding differs");
    message_round_trip(bytes);
}

// ---------------------------------------------------------------------------------
// Golden encodings
// ---------------------------------------------------------------------------------

const V1_GET: &str = "
30 26                                  ; Message SEQUENCE, 38 bytes
  02 01 00                             ; version-1 (0)
  04 06 70 75 62 6c 69 63              ; community \"public\"
  a0 19                                ; GetRequest-PDU [0], 25 bytes
    02 01 01                           ; request-id 1
    02 01 00                           ; error-status noError
    02 01 00                           ; error-index 0
    30 0e                              ; VarBindList
      30 0c                            ; VarBind
        06 08 2b 06 01 02 01 01 01 00  ; 1.3.6.1.2.1.1.1.0 (1.3 -> 40*1+3 = 0x2b)
        05 00                          ; NULL
";

const V2C_GETNEXT: &str = "
30 2a
  02 01 01                             ; version-2c (1)
  04 06 70 75 62 6c 69 63
  a1 1d                                ; GetNextRequest-PDU [1]
    02 04 12 34 56 78                  ; request-id 0x12345678
    02 01 00
    02 01 00
    30 0f
      30 0d
        06 09 2b 06 01 02 01 02 02 01 02  ; ifDescr 1.3.6.1.2.1.2.2.1.2
        05 00
";

/// A Response carrying every value type; the lists exceed 127 bytes, so the
/// VarBindList, PDU and message use the long length forms 81 xx and 82 xx xx.
const V2C_RESPONSE: &str = "
30 82 01 04                            ; Message, 260 bytes (long form, 2 length bytes)
  02 01 01
  04 06 70 75 62 6c 69 63
  a2 81 f6                             ; Response-PDU [2], 246 bytes
    02 04 12 34 56 78
    02 01 00
    02 01 00
    30 81 e7                           ; VarBindList, 231 bytes
      30 10
        06 0a 2b 06 01 02 01 02 02 01 02 01     ; ifDescr.1
        04 02 6c 6f                             ; OCTET STRING \"lo\"
      30 0f
        06 08 2b 06 01 02 01 01 03 00           ; sysUpTime.0
        43 03 01 e2 40                          ; TimeTicks 123456
      30 13
        06 0a 2b 06 01 02 01 02 02 01 0a 01     ; ifInOctets.1
        41 05 00 80 00 00 00                    ; Counter32 2^31 (leading 00: top bit set)
      30 16
        06 08 2b 06 01 02 01 01 02 00           ; sysObjectID.0
        06 0a 2b 06 01 04 01 bf 08 03 02 0a     ; OID 1.3.6.1.4.1.8072.3.2.10 (8072 = bf 08)
      30 16
        06 0e 2b 06 01 02 01 04 14 01 01 81 40 00 02 01  ; ipAdEntAddr.192.0.2.1 (192 = 81 40)
        40 04 c0 00 02 01                       ; IpAddress 192.0.2.1
      30 17
        06 0b 2b 06 01 02 01 1f 01 01 01 06 01  ; ifHCInOctets.1
        46 08 01 23 45 67 89 ab cd ef           ; Counter64 0x0123456789abcdef
      30 12
        06 0a 2b 06 01 02 01 02 02 01 05 01     ; ifSpeed.1
        42 04 00 98 96 80                       ; Gauge32 10,000,000
      30 0d
        06 08 2b 06 01 02 01 01 07 00           ; sysServices.0
        02 01 48                                ; INTEGER 72
      30 0b
        06 07 2b 06 01 02 01 63 00              ; 1.3.6.1.2.1.99.0
        80 00                                   ; noSuchObject [0]
      30 0c
        06 08 2b 06 01 02 01 01 01 01           ; sysDescr.1
        81 00                                   ; noSuchInstance [1]
      30 0e
        06 0a 2b 06 01 06 03 01 01 06 01 00     ; 1.3.6.1.6.3.1.1.6.1.0
        82 00                                   ; endOfMibView [2]
      30 16
        06 0b 2b 06 01 04 01 8f 65 0a 01 06 01  ; laLoadFloat.1 (2021 = 8f 65)
        44 07 9f 78 04 3f 80 00 00              ; Opaque(opaqueFloat 1.0)
";

const V1_SET: &str = "
30 3d
  02 01 00
  04 07 70 72 69 76 61 74 65           ; \"private\"
  a3 2f                                ; SetRequest-PDU [3]
    02 01 03
    02 01 00
    02 01 00
    30 24
      30 0f
        06 08 2b 06 01 02 01 01 04 00           ; sysContact.0
        04 03 6e 6f 63                          ; \"noc\"
      30 11
        06 0b 2b 06 01 04 01 bf 08 02 01 01 00  ; netSnmpExampleInteger.0
        02 02 ff 7f                             ; INTEGER -129
";

const V2C_GETBULK: &str = "
30 37
  02 01 01
  04 06 70 75 62 6c 69 63
  a5 2a                                ; GetBulkRequest-PDU [5]
    02 04 7f ff ff ff                  ; request-id 2^31-1
    02 01 01                           ; non-repeaters 1
    02 01 0a                           ; max-repetitions 10
    30 1c
      30 0b
        06 07 2b 06 01 02 01 01 03     ; sysUpTime
        05 00
      30 0d
        06 09 2b 06 01 02 01 02 02 01 02  ; ifDescr
        05 00
";

/// InformRequest [6] and SNMPv2-Trap [7] share this body (RFC 3416 §4.2.6/§4.2.7).
const V2C_NOTIFICATION: &str = "
30 52
  02 01 01
  04 06 70 75 62 6c 69 63
  TT 45                                ; a6 InformRequest / a7 SNMPv2-Trap
    02 01 RR                           ; request-id 5 / 6
    02 01 00
    02 01 00
    30 3a
      30 0e
        06 08 2b 06 01 02 01 01 03 00           ; sysUpTime.0
        43 02 03 e8                             ; TimeTicks 1000
      30 17
        06 0a 2b 06 01 06 03 01 01 04 01 00     ; snmpTrapOID.0
        06 09 2b 06 01 06 03 01 01 05 03        ; linkDown
      30 0f
        06 0a 2b 06 01 02 01 02 02 01 01 02     ; ifIndex.2
        02 01 02                                ; 2
";

const V2C_REPORT: &str = "
30 29
  02 01 01
  04 06 70 75 62 6c 69 63
  a8 1c                                ; Report-PDU [8]
    02 01 07
    02 01 00
    02 01 00
    30 11
      30 0f
        06 0a 2b 06 01 06 03 0f 01 01 04 00     ; usmStatsUnknownEngineIDs.0
        41 01 01                                ; Counter32 1
";

const V1_TRAP: &str = "
30 3d
  02 01 00
  04 06 70 75 62 6c 69 63
  a4 30                                ; Trap-PDU [4] (RFC 1157)
    06 0a 2b 06 01 04 01 bf 08 03 02 0a         ; enterprise 1.3.6.1.4.1.8072.3.2.10
    40 04 c0 00 02 01                           ; agent-addr 192.0.2.1
    02 01 06                                    ; generic-trap enterpriseSpecific
    02 01 01                                    ; specific-trap 1
    43 02 03 e8                                 ; time-stamp 1000
    30 12
      30 10
        06 0b 2b 06 01 04 01 bf 08 02 03 02 01  ; netSnmpExampleHeartbeatRate
        02 01 2a                                ; 42
";

/// RFC 3414 §4 discovery: noAuthNoPriv, reportable, empty engine ID and user.
const V3_DISCOVERY: &str = "
30 3a
  02 01 03                             ; msgVersion 3
  30 0f                                ; msgGlobalData
    02 02 30 39                        ; msgID 12345
    02 03 00 ff e3                     ; msgMaxSize 65507
    04 01 04                           ; msgFlags reportable
    02 01 03                           ; msgSecurityModel USM
  04 10                                ; msgSecurityParameters
    30 0e
      04 00                            ; msgAuthoritativeEngineID
      02 01 00                         ; boots
      02 01 00                         ; time
      04 00                            ; user
      04 00                            ; auth params
      04 00                            ; priv params
  30 12                                ; ScopedPDU
    04 00                              ; contextEngineID
    04 00                              ; contextName
    a0 0c
      02 02 04 d2                      ; request-id 1234
      02 01 00
      02 01 00
      30 00                            ; no bindings
";

const V3_REPORT: &str = "
30 66
  02 01 03
  30 0f
    02 02 30 39
    02 03 00 ff e3
    04 01 00                           ; msgFlags noAuthNoPriv
    02 01 03
  04 1e
    30 1c
      04 0d 80 00 1f 88 04 6e 6f 63 77 61 74 63 68  ; engine ID: net-snmp, text \"nocwatch\"
      02 01 03                                      ; boots 3
      02 02 04 d2                                   ; time 1234
      04 00
      04 00
      04 00
  30 30
    04 0d 80 00 1f 88 04 6e 6f 63 77 61 74 63 68
    04 00
    a8 1d                              ; Report-PDU
      02 02 04 d2
      02 01 00
      02 01 00
      30 11
        30 0f
          06 0a 2b 06 01 06 03 0f 01 01 04 00       ; usmStatsUnknownEngineIDs.0
          41 01 01
";

const V3_ENCRYPTED: &str = "
30 5d
  02 01 03
  30 0f
    02 02 30 3a                        ; msgID 12346
    02 03 00 ff e3
    04 01 07                           ; msgFlags auth|priv|reportable
    02 01 03
  04 35
    30 33
      04 0d 80 00 1f 88 04 6e 6f 63 77 61 74 63 68
      02 01 03
      02 02 04 d2
      04 03 6e 6f 63                                ; user \"noc\"
      04 0c 5e 1f 0c 9a 3b 77 42 d0 81 66 2c f5     ; 12-byte HMAC
      04 08 00 00 00 03 00 00 00 01                 ; 8-byte salt
  04 10 8f 3c 51 d2 07 6a e4 19 b3 70 2e c8 95 11 f6 4d  ; encryptedPDU
";

const ENGINE_ID: &[u8] = b"\x80\x00\x1f\x88\x04nocwatch";

fn notification_hex(tag: &str, rid: &str) -> Vec<u8> {
    hex(&V2C_NOTIFICATION.replace("TT", tag).replace("RR", rid))
}

fn build_v1_get() -> Vec<u8> {
    let name = oid("1.3.6.1.2.1.1.1.0");
    let vbs = [VarBind::null(name.as_oid_ref())];
    let pdu = Pdu::new(PduType::GetRequest, 1, VarBinds::from_slice(&vbs));
    encode_community(Version::V1, b"public", Pdus::Pdu(pdu))
}

fn build_v2c_getnext() -> Vec<u8> {
    let name = oid("1.3.6.1.2.1.2.2.1.2");
    let vbs = [VarBind::null(name.as_oid_ref())];
    let pdu = Pdu::new(
        PduType::GetNextRequest,
        0x1234_5678,
        VarBinds::from_slice(&vbs),
    );
    encode_community(Version::V2c, b"public", Pdus::Pdu(pdu))
}

fn response_names() -> Vec<Oid> {
    [
        "1.3.6.1.2.1.2.2.1.2.1",
        "1.3.6.1.2.1.1.3.0",
        "1.3.6.1.2.1.2.2.1.10.1",
        "1.3.6.1.2.1.1.2.0",
        "1.3.6.1.2.1.4.20.1.1.192.0.2.1",
        "1.3.6.1.2.1.31.1.1.1.6.1",
        "1.3.6.1.2.1.2.2.1.5.1",
        "1.3.6.1.2.1.1.7.0",
        "1.3.6.1.2.1.99.0",
        "1.3.6.1.2.1.1.1.1",
        "1.3.6.1.6.3.1.1.6.1.0",
        "1.3.6.1.4.1.2021.10.1.6.1",
    ]
    .into_iter()
    .map(oid)
    .collect()
}

const OPAQUE_FLOAT_ONE: &[u8] = &[0x9f, 0x78, 0x04, 0x3f, 0x80, 0x00, 0x00];

fn response_values(sys_object_id: &Oid) -> Vec<Value<'_>> {
    vec![
        Value::OctetString(b"lo"),
        Value::TimeTicks(123_456),
        Value::Counter32(0x8000_0000),
        Value::ObjectIdentifier(sys_object_id.as_oid_ref()),
        Value::IpAddress([192, 0, 2, 1]),
        Value::Counter64(0x0123_4567_89ab_cdef),
        Value::Gauge32(10_000_000),
        Value::Integer(72),
        Value::NoSuchObject,
        Value::NoSuchInstance,
        Value::EndOfMibView,
        Value::Opaque(OPAQUE_FLOAT_ONE),
    ]
}

fn build_v2c_response() -> Vec<u8> {
    let names = response_names();
    let sys_object_id = oid("1.3.6.1.4.1.8072.3.2.10");
    let vbs: Vec<VarBind<'_>> = names
        .iter()
        .zip(response_values(&sys_object_id))
        .map(|(n, value)| VarBind {
            name: n.as_oid_ref(),
            value,
        })
        .collect();
    let pdu = Pdu::new(PduType::Response, 0x1234_5678, VarBinds::from_slice(&vbs));
    encode_community(Version::V2c, b"public", Pdus::Pdu(pdu))
}

fn build_v1_set() -> Vec<u8> {
    let (contact, example) = (oid("1.3.6.1.2.1.1.4.0"), oid("1.3.6.1.4.1.8072.2.1.1.0"));
    let vbs = [
        VarBind {
            name: contact.as_oid_ref(),
            value: Value::OctetString(b"noc"),
        },
        VarBind {
            name: example.as_oid_ref(),
            value: Value::Integer(-129),
        },
    ];
    let pdu = Pdu::new(PduType::SetRequest, 3, VarBinds::from_slice(&vbs));
    encode_community(Version::V1, b"private", Pdus::Pdu(pdu))
}

fn build_v2c_getbulk() -> Vec<u8> {
    let (a, b) = (oid("1.3.6.1.2.1.1.3"), oid("1.3.6.1.2.1.2.2.1.2"));
    let vbs = [VarBind::null(a.as_oid_ref()), VarBind::null(b.as_oid_ref())];
    let pdu = Pdu::get_bulk(i32::MAX, 1, 10, VarBinds::from_slice(&vbs));
    encode_community(Version::V2c, b"public", Pdus::Pdu(pdu))
}

fn build_v2c_notification(pdu_type: PduType, request_id: i32) -> Vec<u8> {
    let names = [
        oid("1.3.6.1.2.1.1.3.0"),
        oid("1.3.6.1.6.3.1.1.4.1.0"),
        oid("1.3.6.1.2.1.2.2.1.1.2"),
    ];
    let link_down = oid("1.3.6.1.6.3.1.1.5.3");
    let vbs = [
        VarBind {
            name: names[0].as_oid_ref(),
            value: Value::TimeTicks(1000),
        },
        VarBind {
            name: names[1].as_oid_ref(),
            value: Value::ObjectIdentifier(link_down.as_oid_ref()),
        },
        VarBind {
            name: names[2].as_oid_ref(),
            value: Value::Integer(2),
        },
    ];
    let pdu = Pdu::new(pdu_type, request_id, VarBinds::from_slice(&vbs));
    encode_community(Version::V2c, b"public", Pdus::Pdu(pdu))
}

fn unknown_engine_ids() -> Oid {
    oid("1.3.6.1.6.3.15.1.1.4.0")
}

fn build_v2c_report() -> Vec<u8> {
    let name = unknown_engine_ids();
    let vbs = [VarBind {
        name: name.as_oid_ref(),
        value: Value::Counter32(1),
    }];
    let pdu = Pdu::new(PduType::Report, 7, VarBinds::from_slice(&vbs));
    encode_community(Version::V2c, b"public", Pdus::Pdu(pdu))
}

fn build_v1_trap() -> Vec<u8> {
    let enterprise = oid("1.3.6.1.4.1.8072.3.2.10");
    let name = oid("1.3.6.1.4.1.8072.2.3.2.1");
    let vbs = [VarBind {
        name: name.as_oid_ref(),
        value: Value::Integer(42),
    }];
    let trap = TrapV1Pdu {
        enterprise: enterprise.as_oid_ref(),
        agent_addr: Ipv4Addr::new(192, 0, 2, 1),
        generic_trap: 6,
        specific_trap: 1,
        time_stamp: 1000,
        varbinds: VarBinds::from_slice(&vbs),
    };
    encode_community(Version::V1, b"public", Pdus::TrapV1(trap))
}

fn encode_v3(
    msg_id: i32,
    flags: u8,
    usm: &UsmSecurityParameters<'_>,
    data: ScopedPduData<'_>,
) -> Vec<u8> {
    let params = usm.to_vec();
    let mut out = Vec::new();
    V3Message {
        msg_id,
        max_size: 65507,
        flags: MsgFlags(flags),
        security_model: 3,
        security_params: &params,
        security_params_offset: 0,
        data,
    }
    .encode(&mut out);
    out
}

fn build_v3_discovery() -> Vec<u8> {
    let pdu = Pdu::new(PduType::GetRequest, 1234, VarBinds::from_slice(&[]));
    encode_v3(
        12345,
        MsgFlags::REPORTABLE,
        &UsmSecurityParameters::default(),
        ScopedPduData::Plaintext(ScopedPdu {
            context_engine_id: b"",
            context_name: b"",
            pdu: Pdus::Pdu(pdu),
        }),
    )
}

fn report_usm() -> UsmSecurityParameters<'static> {
    UsmSecurityParameters {
        engine_id: ENGINE_ID,
        engine_boots: 3,
        engine_time: 1234,
        ..UsmSecurityParameters::default()
    }
}

fn build_v3_report() -> Vec<u8> {
    let name = unknown_engine_ids();
    let vbs = [VarBind {
        name: name.as_oid_ref(),
        value: Value::Counter32(1),
    }];
    let pdu = Pdu::new(PduType::Report, 1234, VarBinds::from_slice(&vbs));
    encode_v3(
        12345,
        0,
        &report_usm(),
        ScopedPduData::Plaintext(ScopedPdu {
            context_engine_id: ENGINE_ID,
            context_name: b"",
            pdu: Pdus::Pdu(pdu),
        }),
    )
}

const AUTH_PARAMS: &[u8] = &[
    0x5e, 0x1f, 0x0c, 0x9a, 0x3b, 0x77, 0x42, 0xd0, 0x81, 0x66, 0x2c, 0xf5,
];
const PRIV_PARAMS: &[u8] = &[0, 0, 0, 3, 0, 0, 0, 1];
const ENCRYPTED: &[u8] = &[
    0x8f, 0x3c, 0x51, 0xd2, 0x07, 0x6a, 0xe4, 0x19, 0xb3, 0x70, 0x2e, 0xc8, 0x95, 0x11, 0xf6, 0x4d,
];

fn encrypted_usm() -> UsmSecurityParameters<'static> {
    UsmSecurityParameters {
        engine_id: ENGINE_ID,
        engine_boots: 3,
        engine_time: 1234,
        user_name: b"noc",
        auth_params: AUTH_PARAMS,
        priv_params: PRIV_PARAMS,
    }
}

fn build_v3_encrypted() -> Vec<u8> {
    encode_v3(
        12346,
        MsgFlags::AUTH | MsgFlags::PRIV | MsgFlags::REPORTABLE,
        &encrypted_usm(),
        ScopedPduData::Encrypted(ENCRYPTED),
    )
}

/// Every golden message: (name, hand-written bytes, bytes the encoder produces).
fn goldens() -> Vec<(&'static str, Vec<u8>, Vec<u8>)> {
    vec![
        ("v1 get", hex(V1_GET), build_v1_get()),
        ("v2c getnext", hex(V2C_GETNEXT), build_v2c_getnext()),
        ("v2c response", hex(V2C_RESPONSE), build_v2c_response()),
        ("v1 set", hex(V1_SET), build_v1_set()),
        ("v2c getbulk", hex(V2C_GETBULK), build_v2c_getbulk()),
        (
            "v2c inform",
            notification_hex("a6", "05"),
            build_v2c_notification(PduType::InformRequest, 5),
        ),
        (
            "v2c trap",
            notification_hex("a7", "06"),
            build_v2c_notification(PduType::SnmpV2Trap, 6),
        ),
        ("v2c report", hex(V2C_REPORT), build_v2c_report()),
        ("v1 trap", hex(V1_TRAP), build_v1_trap()),
        ("v3 discovery", hex(V3_DISCOVERY), build_v3_discovery()),
        ("v3 report", hex(V3_REPORT), build_v3_report()),
        ("v3 encrypted", hex(V3_ENCRYPTED), build_v3_encrypted()),
    ]
}

#[test]
fn golden_encodings_are_exact() {
    for (name, want, got) in goldens() {
        assert_eq!(
            got, want,
            "{name}: encoder output differs from the hand-derived bytes"
        );
        check_valid(&want);
    }
}

#[test]
fn golden_lengths_use_the_expected_forms() {
    let r = hex(V2C_RESPONSE);
    assert_eq!(r.len(), 264);
    assert_eq!(&r[..4], &[0x30, 0x82, 0x01, 0x04]);
    assert_eq!(hex(V1_GET).len(), 40);
    assert_eq!(hex(V3_ENCRYPTED).len(), 95);
}

fn pdu_of<'a>(m: &Message<'a>) -> Pdu<'a> {
    *m.pdu().and_then(Pdus::as_pdu).expect("RFC 3416 PDU")
}

/// (name, bytes, version, PDU type, request-id, community)
type HeaderCase = (&'static str, Vec<u8>, Version, PduType, i32, &'static [u8]);

#[test]
fn golden_headers_decode() {
    let cases: [HeaderCase; 10] = [
        (
            "get",
            hex(V1_GET),
            Version::V1,
            PduType::GetRequest,
            1,
            b"public",
        ),
        (
            "getnext",
            hex(V2C_GETNEXT),
            Version::V2c,
            PduType::GetNextRequest,
            0x1234_5678,
            b"public",
        ),
        (
            "response",
            hex(V2C_RESPONSE),
            Version::V2c,
            PduType::Response,
            0x1234_5678,
            b"public",
        ),
        (
            "set",
            hex(V1_SET),
            Version::V1,
            PduType::SetRequest,
            3,
            b"private",
        ),
        (
            "getbulk",
            hex(V2C_GETBULK),
            Version::V2c,
            PduType::GetBulkRequest,
            i32::MAX,
            b"public",
        ),
        (
            "inform",
            notification_hex("a6", "05"),
            Version::V2c,
            PduType::InformRequest,
            5,
            b"public",
        ),
        (
            "trap2",
            notification_hex("a7", "06"),
            Version::V2c,
            PduType::SnmpV2Trap,
            6,
            b"public",
        ),
        (
            "report",
            hex(V2C_REPORT),
            Version::V2c,
            PduType::Report,
            7,
            b"public",
        ),
        (
            "v3 get",
            hex(V3_DISCOVERY),
            Version::V3,
            PduType::GetRequest,
            1234,
            b"",
        ),
        (
            "v3 report",
            hex(V3_REPORT),
            Version::V3,
            PduType::Report,
            1234,
            b"",
        ),
    ];
    for (name, bytes, version, pdu_type, request_id, community) in cases {
        let m = Message::decode(&bytes, &DecodeOptions::strict()).unwrap();
        assert_eq!(m.version(), version, "{name}");
        let p = pdu_of(&m);
        assert_eq!(p.pdu_type, pdu_type, "{name}");
        assert_eq!(p.request_id, request_id, "{name}");
        if let Message::Community(c) = m {
            assert_eq!(c.community, community, "{name}");
        }
    }
    let bulk = hex(V2C_GETBULK);
    let p = pdu_of(&Message::decode(&bulk, &DecodeOptions::strict()).unwrap());
    assert_eq!((p.non_repeaters(), p.max_repetitions()), (1, 10));
}

#[test]
fn golden_response_values_decode() {
    let bytes = hex(V2C_RESPONSE);
    let m = Message::decode(&bytes, &DecodeOptions::strict()).unwrap();
    let vbs = bindings(&m);
    let names = response_names();
    let sys_object_id = oid("1.3.6.1.4.1.8072.3.2.10");
    let want = response_values(&sys_object_id);
    assert_eq!(vbs.len(), want.len());
    for ((vb, name), value) in vbs.iter().zip(&names).zip(&want) {
        assert_eq!(vb.name, *name);
        assert_eq!(vb.value, *value, "{name}");
        assert_eq!(vb.value.tag(), value.tag());
    }
    assert_eq!(
        vbs[11].value.opaque_number(),
        Some(OpaqueNumber::Float(1.0))
    );
    assert!(vbs[8].value.is_exception() && vbs[10].value.is_exception());
    assert_eq!(vbs[3].value.type_name(), "OBJECT IDENTIFIER");
}

#[test]
fn golden_v1_trap_decodes() {
    let bytes = hex(V1_TRAP);
    let m = Message::decode(&bytes, &DecodeOptions::strict()).unwrap();
    let Some(Pdus::TrapV1(t)) = m.pdu() else {
        panic!("not a v1 trap")
    };
    assert_eq!(t.enterprise, oid("1.3.6.1.4.1.8072.3.2.10"));
    assert_eq!(t.agent_addr, Ipv4Addr::new(192, 0, 2, 1));
    assert_eq!(t.generic(), nocwatch_snmp::GenericTrap::EnterpriseSpecific);
    assert_eq!((t.specific_trap, t.time_stamp), (1, 1000));
    let vbs = t.varbinds.to_vec().unwrap();
    assert_eq!(vbs.len(), 1);
    assert_eq!(vbs[0].value, Value::Integer(42));
}

#[test]
fn golden_v3_frames_decode() {
    let bytes = hex(V3_REPORT);
    let Message::V3(m) = Message::decode(&bytes, &DecodeOptions::strict()).unwrap() else {
        panic!("not v3")
    };
    assert_eq!((m.msg_id, m.max_size, m.security_model), (12345, 65507, 3));
    assert!(!m.flags.auth() && !m.flags.privacy() && !m.flags.reportable());
    // 30 66 | 02 01 03 | 30 0f <15> | 04 1e -> content at 2 + 3 + 17 + 2
    assert_eq!(m.security_params_offset, 24);
    assert_eq!(m.usm().unwrap(), report_usm());
    let ScopedPduData::Plaintext(s) = m.data else {
        panic!("encrypted?")
    };
    assert_eq!(s.context_engine_id, ENGINE_ID);
    assert_eq!(s.context_name, b"");
    let vbs = s.pdu.varbinds().to_vec().unwrap();
    assert_eq!(vbs[0].name, unknown_engine_ids());
    assert_eq!(vbs[0].value, Value::Counter32(1));

    let bytes = hex(V3_ENCRYPTED);
    let Message::V3(m) = Message::decode(&bytes, &DecodeOptions::strict()).unwrap() else {
        panic!("not v3")
    };
    assert!(m.flags.auth() && m.flags.privacy() && m.flags.reportable());
    assert_eq!(m.usm().unwrap(), encrypted_usm());
    let ScopedPduData::Encrypted(e) = m.data else {
        panic!("plaintext?")
    };
    assert_eq!(e, ENCRYPTED);
    assert!(Message::V3(m).pdu().is_none());

    let bytes = hex(V3_DISCOVERY);
    let Message::V3(m) = Message::decode(&bytes, &DecodeOptions::strict()).unwrap() else {
        panic!("not v3")
    };
    assert!(m.flags.reportable() && !m.flags.auth());
    assert_eq!(m.usm().unwrap(), UsmSecurityParameters::default());
    assert_eq!(Message::V3(m).pdu().unwrap().varbinds().validate(), Ok(0));
}

#[test]
fn usm_parameters_round_trip() {
    for usm in [
        UsmSecurityParameters::default(),
        report_usm(),
        encrypted_usm(),
    ] {
        let bytes = usm.to_vec();
        assert_eq!(UsmSecurityParameters::decode(&bytes, 0).unwrap(), usm);
        usm_round_trip(&bytes);
    }
    // The encrypted frame's parameters, exactly as the golden bytes carry them.
    let frame = hex(V3_ENCRYPTED);
    assert_eq!(encrypted_usm().to_vec(), &frame[24..24 + 0x35]);
    // Trailing bytes after the SEQUENCE are refused.
    let mut bytes = report_usm().to_vec();
    bytes.push(0);
    assert!(matches!(
        UsmSecurityParameters::decode(&bytes, 0),
        Err(DecodeError::TrailingBytes { count: 1, .. })
    ));
}

// ---------------------------------------------------------------------------------
// Values, lengths, integers
// ---------------------------------------------------------------------------------

#[test]
fn every_value_type_decodes() {
    let cases: Vec<(Vec<u8>, Value<'static>)> = vec![
        (hex("02 01 00"), Value::Integer(0)),
        (hex("02 01 7f"), Value::Integer(127)),
        (hex("02 02 00 80"), Value::Integer(128)),
        (hex("02 01 ff"), Value::Integer(-1)),
        (hex("02 01 80"), Value::Integer(-128)),
        (hex("02 02 ff 7f"), Value::Integer(-129)),
        (
            hex("02 04 80 00 00 00"),
            Value::Integer(i64::from(i32::MIN)),
        ),
        (
            hex("02 04 7f ff ff ff"),
            Value::Integer(i64::from(i32::MAX)),
        ),
        (
            hex("02 08 80 00 00 00 00 00 00 00"),
            Value::Integer(i64::MIN),
        ),
        (
            hex("02 08 7f ff ff ff ff ff ff ff"),
            Value::Integer(i64::MAX),
        ),
        (hex("04 00"), Value::OctetString(b"")),
        (hex("04 03 00 ff 41"), Value::OctetString(&[0, 0xff, 0x41])),
        (hex("05 00"), Value::Null),
        (hex("40 04 0a 00 00 01"), Value::IpAddress([10, 0, 0, 1])),
        (hex("41 01 00"), Value::Counter32(0)),
        (hex("41 05 00 ff ff ff ff"), Value::Counter32(u32::MAX)),
        (hex("42 02 01 00"), Value::Gauge32(256)),
        (hex("43 04 7f ff ff ff"), Value::TimeTicks(0x7fff_ffff)),
        (hex("44 00"), Value::Opaque(b"")),
        (hex("46 01 00"), Value::Counter64(0)),
        (
            hex("46 09 00 ff ff ff ff ff ff ff ff"),
            Value::Counter64(u64::MAX),
        ),
        (hex("80 00"), Value::NoSuchObject),
        (hex("81 00"), Value::NoSuchInstance),
        (hex("82 00"), Value::EndOfMibView),
    ];
    for (value_tlv, want) in &cases {
        let bytes = response_with(1, value_tlv);
        let (got, anomalies) = one_value(&bytes, &DecodeOptions::strict())
            .unwrap_or_else(|e| panic!("{value_tlv:02x?}: {e}"));
        assert_eq!(got, *want, "{value_tlv:02x?}");
        assert!(anomalies.is_empty());
        // The crate's encoder writes the same bytes back.
        let name = oid("1.3.6.1.2.1.1.1.0");
        let vbs = [VarBind {
            name: name.as_oid_ref(),
            value: *want,
        }];
        let pdu = Pdu::new(PduType::Response, 1, VarBinds::from_slice(&vbs));
        assert_eq!(
            encode_community(Version::V2c, b"public", Pdus::Pdu(pdu)),
            bytes
        );
        message_round_trip(&bytes);
    }
    // OBJECT IDENTIFIER values, and the opaque double.
    let bytes = response_with(1, &hex("06 03 88 37 03"));
    let (v, _) = one_value(&bytes, &DecodeOptions::strict()).unwrap();
    assert_eq!(v, Value::ObjectIdentifier(oid("2.999.3").as_oid_ref()));
    let double = hex("9f 79 08 3f f8 00 00 00 00 00 00");
    assert_eq!(
        Value::Opaque(&double).opaque_number(),
        Some(OpaqueNumber::Double(1.5))
    );
}

#[test]
fn octet_string_of_200_bytes_uses_the_long_length_form() {
    let text = vec![b'x'; 200];
    let value = tlv(0x04, &text);
    assert_eq!(&value[..3], &[0x04, 0x81, 0xc8]);
    let bytes = response_with(1, &value);
    let (v, _) = one_value(&bytes, &DecodeOptions::strict()).unwrap();
    assert_eq!(v, Value::OctetString(&text));
    let name = oid("1.3.6.1.2.1.1.1.0");
    let vbs = [VarBind {
        name: name.as_oid_ref(),
        value: Value::OctetString(&text),
    }];
    let pdu = Pdu::new(PduType::Response, 1, VarBinds::from_slice(&vbs));
    assert_eq!(
        encode_community(Version::V2c, b"public", Pdus::Pdu(pdu)),
        bytes
    );
    check_valid(&bytes);
}

#[test]
fn message_of_70000_bytes() {
    // 55 bytes of headers (every length above 65535 takes 83 xx xx xx) + the string.
    let text: Vec<u8> = (0..69_945u32).map(|i| (i % 251) as u8).collect();
    let bytes = response_with(1, &tlv(0x04, &text));
    assert_eq!(bytes.len(), 70_000);
    assert_eq!(&bytes[..5], &[0x30, 0x83, 0x01, 0x11, 0x6b]);
    let m = Message::decode(&bytes, &DecodeOptions::strict()).unwrap();
    let vbs = bindings(&m);
    assert_eq!(vbs[0].value, Value::OctetString(&text));
    let name = oid("1.3.6.1.2.1.1.1.0");
    let list = [VarBind {
        name: name.as_oid_ref(),
        value: Value::OctetString(&text),
    }];
    let pdu = Pdu::new(PduType::Response, 1, VarBinds::from_slice(&list));
    assert_eq!(
        encode_community(Version::V2c, b"public", Pdus::Pdu(pdu)),
        bytes
    );
    check_valid(&bytes);
}

#[test]
fn request_ids_at_the_edges() {
    for id in [
        0,
        1,
        127,
        128,
        0x7fff,
        0x8000,
        0x1234_5678,
        i32::MAX,
        -1,
        -128,
        i32::MIN,
    ] {
        let name = oid("1.3.6.1.2.1.1.5.0");
        let vbs = [VarBind::null(name.as_oid_ref())];
        let bytes = encode_community(
            Version::V2c,
            b"public",
            Pdus::Pdu(Pdu::new(
                PduType::GetRequest,
                id,
                VarBinds::from_slice(&vbs),
            )),
        );
        // Same bytes as the test-side encoder.
        let expected = community_msg(
            1,
            0xa0,
            [i64::from(id), 0, 0],
            &vb(&oid_tlv("1.3.6.1.2.1.1.5.0"), &[5, 0]),
        );
        assert_eq!(bytes, expected, "{id}");
        let m = Message::decode(&bytes, &DecodeOptions::strict()).unwrap();
        assert_eq!(pdu_of(&m).request_id, id);
    }
    // 2^31 does not fit the request-id's INTEGER (-2^31..2^31-1).
    let bytes = community_msg(1, 0xa2, [1 << 31, 0, 0], &[]);
    assert!(matches!(
        Message::decode(&bytes, &DecodeOptions::lenient()),
        Err(DecodeError::IntegerRange {
            ty: "request-id",
            ..
        })
    ));
}

#[test]
fn negative_integers_encode_minimally() {
    let cases: [(i64, &str); 8] = [
        (-1, "02 01 ff"),
        (-128, "02 01 80"),
        (-129, "02 02 ff 7f"),
        (-256, "02 02 ff 00"),
        (-32768, "02 02 80 00"),
        (-32769, "02 03 ff 7f ff"),
        (i64::from(i32::MIN), "02 04 80 00 00 00"),
        (i64::MIN, "02 08 80 00 00 00 00 00 00 00"),
    ];
    for (v, want) in cases {
        let name = oid("1.3.6.1.2.1.1.7.0");
        let vbs = [VarBind {
            name: name.as_oid_ref(),
            value: Value::Integer(v),
        }];
        let mut content = Vec::new();
        VarBinds::encode_content(&vbs, &mut content);
        assert!(content.ends_with(&hex(want)), "{v}: {content:02x?}");
        let list = VarBinds::encoded(&content).to_vec().unwrap();
        assert_eq!(list[0].value, Value::Integer(v));
    }
}

// ---------------------------------------------------------------------------------
// Tolerance switches
// ---------------------------------------------------------------------------------

type Switch = fn(&mut DecodeOptions, bool);

/// One value-level anomaly: the raw value TLV, the switch that allows it, the value it
/// reads as, the anomaly bit and the strict error.
struct ValueAnomaly {
    what: &'static str,
    version: i64,
    value_tlv: Vec<u8>,
    switch: Switch,
    lenient: Value<'static>,
    bit: Anomalies,
    strict: fn(&DecodeError) -> bool,
}

fn value_anomalies() -> Vec<ValueAnomaly> {
    vec![
        ValueAnomaly {
            what: "negative Counter32 (H3C)",
            version: 1,
            value_tlv: hex("41 04 ff ff ff ff"),
            switch: |o, on| o.lenient_integers = on,
            lenient: Value::Counter32(u32::MAX),
            bit: Anomalies::BAD_INTEGER,
            strict: |e| {
                matches!(
                    e,
                    DecodeError::IntegerRange {
                        ty: "Counter32",
                        ..
                    }
                )
            },
        },
        ValueAnomaly {
            what: "negative Counter64",
            version: 1,
            value_tlv: hex("46 01 ff"),
            switch: |o, on| o.lenient_integers = on,
            lenient: Value::Counter64(u64::MAX),
            bit: Anomalies::BAD_INTEGER,
            strict: |e| {
                matches!(
                    e,
                    DecodeError::IntegerRange {
                        ty: "Counter64",
                        ..
                    }
                )
            },
        },
        ValueAnomaly {
            what: "empty Gauge32",
            version: 1,
            value_tlv: hex("42 00"),
            switch: |o, on| o.lenient_integers = on,
            lenient: Value::Gauge32(0),
            bit: Anomalies::BAD_INTEGER,
            strict: |e| matches!(e, DecodeError::EmptyInteger { ty: "Gauge32", .. }),
        },
        ValueAnomaly {
            what: "empty Counter64",
            version: 1,
            value_tlv: hex("46 00"),
            switch: |o, on| o.lenient_integers = on,
            lenient: Value::Counter64(0),
            bit: Anomalies::BAD_INTEGER,
            strict: |e| {
                matches!(
                    e,
                    DecodeError::EmptyInteger {
                        ty: "Counter64",
                        ..
                    }
                )
            },
        },
        ValueAnomaly {
            what: "empty INTEGER",
            version: 1,
            value_tlv: hex("02 00"),
            switch: |o, on| o.lenient_integers = on,
            lenient: Value::Integer(0),
            bit: Anomalies::BAD_INTEGER,
            strict: |e| matches!(e, DecodeError::EmptyInteger { ty: "INTEGER", .. }),
        },
        ValueAnomaly {
            what: "INTEGER with redundant sign bytes beyond 8 bytes",
            version: 1,
            value_tlv: hex("02 0a ff ff ff ff ff ff ff ff ff 80"),
            switch: |o, on| o.lenient_integers = on,
            lenient: Value::Integer(-128),
            bit: Anomalies::BAD_INTEGER,
            strict: |e| {
                matches!(
                    e,
                    DecodeError::IntegerRange {
                        ty: "INTEGER",
                        len: 10,
                        ..
                    }
                )
            },
        },
        ValueAnomaly {
            what: "negative TimeTicks",
            version: 1,
            value_tlv: hex("43 01 80"),
            switch: |o, on| o.lenient_integers = on,
            lenient: Value::TimeTicks(0xffff_ff80),
            bit: Anomalies::BAD_INTEGER,
            strict: |e| {
                matches!(
                    e,
                    DecodeError::IntegerRange {
                        ty: "TimeTicks",
                        ..
                    }
                )
            },
        },
        ValueAnomaly {
            what: "empty OID value",
            version: 1,
            value_tlv: hex("06 00"),
            switch: |o, on| o.lenient_oids = on,
            lenient: Value::ObjectIdentifier(OidRef::from_ber(&[], true).unwrap()),
            bit: Anomalies::BAD_OID,
            strict: |e| {
                matches!(
                    e,
                    DecodeError::BadOid {
                        reason: OidError::Empty,
                        ..
                    }
                )
            },
        },
        ValueAnomaly {
            what: "non-minimal OID value",
            version: 1,
            value_tlv: hex("06 04 2b 06 80 01"),
            switch: |o, on| o.lenient_oids = on,
            lenient: Value::ObjectIdentifier(OidRef::from_ber(&[0x2b, 6, 1], false).unwrap()),
            bit: Anomalies::BAD_OID,
            strict: |e| {
                matches!(
                    e,
                    DecodeError::BadOid {
                        reason: OidError::NonMinimal,
                        ..
                    }
                )
            },
        },
        ValueAnomaly {
            what: "3-byte IpAddress",
            version: 1,
            value_tlv: hex("40 03 c0 00 02"),
            switch: |o, on| o.lenient_ip_address = on,
            lenient: Value::IpAddress([192, 0, 2, 0]),
            bit: Anomalies::BAD_IP_ADDRESS,
            strict: |e| {
                matches!(
                    e,
                    DecodeError::BadValueLength {
                        ty: "IpAddress",
                        len: 3,
                        ..
                    }
                )
            },
        },
        ValueAnomaly {
            what: "5-byte IpAddress",
            version: 1,
            value_tlv: hex("40 05 c0 00 02 01 09"),
            switch: |o, on| o.lenient_ip_address = on,
            lenient: Value::IpAddress([192, 0, 2, 1]),
            bit: Anomalies::BAD_IP_ADDRESS,
            strict: |e| {
                matches!(
                    e,
                    DecodeError::BadValueLength {
                        ty: "IpAddress",
                        len: 5,
                        ..
                    }
                )
            },
        },
        ValueAnomaly {
            what: "NULL with content",
            version: 1,
            value_tlv: hex("05 01 00"),
            switch: |o, on| o.allow_null_content = on,
            lenient: Value::Null,
            bit: Anomalies::NULL_CONTENT,
            strict: |e| {
                matches!(
                    e,
                    DecodeError::BadValueLength {
                        ty: "NULL",
                        len: 1,
                        ..
                    }
                )
            },
        },
        ValueAnomaly {
            what: "endOfMibView with content",
            version: 1,
            value_tlv: hex("82 02 00 00"),
            switch: |o, on| o.allow_null_content = on,
            lenient: Value::EndOfMibView,
            bit: Anomalies::NULL_CONTENT,
            strict: |e| {
                matches!(
                    e,
                    DecodeError::BadValueLength {
                        ty: "endOfMibView",
                        len: 2,
                        ..
                    }
                )
            },
        },
        ValueAnomaly {
            what: "Counter64 in SNMPv1",
            version: 0,
            value_tlv: hex("46 01 05"),
            switch: |o, on| o.allow_counter64_in_v1 = on,
            lenient: Value::Counter64(5),
            bit: Anomalies::COUNTER64_IN_V1,
            strict: |e| matches!(e, DecodeError::UnknownValueType { tag: 0x46, .. }),
        },
        ValueAnomaly {
            what: "OCTET STRING overrunning the packet",
            version: 1,
            value_tlv: hex("04 05 61 62 63"),
            switch: |o, on| o.clamp_overrunning_lengths = on,
            lenient: Value::OctetString(b"abc"),
            bit: Anomalies::CLAMPED_LENGTH,
            strict: |e| {
                matches!(
                    e,
                    DecodeError::LengthOverrun {
                        declared: 5,
                        available: 3,
                        ..
                    }
                )
            },
        },
    ]
}

#[test]
fn each_value_switch_accepts_its_anomaly_and_strict_refuses_it() {
    for a in value_anomalies() {
        let bytes = response_with(a.version, &a.value_tlv);
        // lenient() accepts it and records the bit.
        let (v, anomalies) = one_value(&bytes, &DecodeOptions::lenient())
            .unwrap_or_else(|e| panic!("{}: lenient refused: {e}", a.what));
        assert_eq!(v, a.lenient, "{}", a.what);
        assert!(anomalies.contains(a.bit), "{}: {anomalies:?}", a.what);
        assert!(
            anomalies.names().count() >= 1,
            "{}: no anomaly name",
            a.what
        );
        // strict() refuses it with the expected error.
        let e = first_error(&bytes, &DecodeOptions::strict())
            .unwrap_or_else(|| panic!("{}: strict accepted it", a.what));
        assert!((a.strict)(&e), "{}: unexpected error {e:?}", a.what);
        // The one switch alone is enough, and lenient() without it refuses.
        let mut only = DecodeOptions::strict();
        (a.switch)(&mut only, true);
        let (v, anomalies) = one_value(&bytes, &only)
            .unwrap_or_else(|e| panic!("{}: its switch alone refused: {e}", a.what));
        assert_eq!(v, a.lenient, "{}", a.what);
        assert!(anomalies.contains(a.bit));
        let mut all_but = DecodeOptions::lenient();
        (a.switch)(&mut all_but, false);
        assert!(
            first_error(&bytes, &all_but).is_some(),
            "{}: accepted without its switch",
            a.what
        );
        message_round_trip(&bytes);
    }
}

#[test]
fn trailing_bytes_switch() {
    let mut bytes = hex(V1_GET);
    bytes.extend_from_slice(&[0, 0]);
    assert_eq!(
        Message::decode(&bytes, &DecodeOptions::strict()).unwrap_err(),
        DecodeError::TrailingBytes {
            offset: 40,
            count: 2
        }
    );
    let d = Message::decode_with_anomalies(&bytes, &DecodeOptions::lenient()).unwrap();
    assert!(d.anomalies.contains(Anomalies::TRAILING_BYTES));
    assert_eq!(d.anomalies.names().collect::<Vec<_>>(), ["trailing-bytes"]);
    assert_eq!(pdu_of(&d.message).request_id, 1);
    let mut only = DecodeOptions::strict();
    only.allow_trailing_bytes = true;
    assert!(Message::decode(&bytes, &only).is_ok());
    let mut all_but = DecodeOptions::lenient();
    all_but.allow_trailing_bytes = false;
    assert!(Message::decode(&bytes, &all_but).is_err());
}

#[test]
fn clamp_switch_at_message_level() {
    // The message SEQUENCE claims 2 bytes more than the datagram has.
    let mut bytes = hex(V1_GET);
    bytes[1] += 2;
    assert_eq!(
        Message::decode(&bytes, &DecodeOptions::strict()).unwrap_err(),
        DecodeError::LengthOverrun {
            offset: 0,
            declared: 40,
            available: 38
        }
    );
    let d = Message::decode_with_anomalies(&bytes, &DecodeOptions::lenient()).unwrap();
    assert!(d.anomalies.contains(Anomalies::CLAMPED_LENGTH));
    assert!(!d.anomalies.contains(Anomalies::TRAILING_BYTES));
    assert_eq!(bindings(&d.message).len(), 1);
    let mut only = DecodeOptions::strict();
    only.clamp_overrunning_lengths = true;
    assert!(Message::decode(&bytes, &only).is_ok());
    let mut all_but = DecodeOptions::lenient();
    all_but.clamp_overrunning_lengths = false;
    assert!(Message::decode(&bytes, &all_but).is_err());
}

#[test]
fn lenient_name_oids_are_recorded() {
    // A binding name with a redundant leading 0x80 in a sub-identifier.
    let bytes = community_msg(
        1,
        0xa2,
        [1, 0, 0],
        &vb(&hex("06 04 2b 06 80 01"), &hex("05 00")),
    );
    let m = Message::decode(&bytes, &DecodeOptions::lenient()).unwrap();
    let mut it = m.pdu().unwrap().varbinds().iter();
    let vb = it.next().unwrap().unwrap();
    assert_eq!(vb.name, oid("1.3.6.1"));
    assert!(it.anomalies().contains(Anomalies::BAD_OID));
    assert!(matches!(
        first_error(&bytes, &DecodeOptions::strict()),
        Some(DecodeError::BadOid {
            reason: OidError::NonMinimal,
            ..
        })
    ));
}

#[test]
fn defaults_are_lenient() {
    assert_eq!(DecodeOptions::default(), DecodeOptions::lenient());
    assert_ne!(DecodeOptions::strict(), DecodeOptions::lenient());
    assert!(Anomalies::default().is_empty());
    let mut a = Anomalies::default();
    a.insert(Anomalies::BAD_OID);
    a.insert(Anomalies::COUNTER64_IN_V1);
    assert_eq!(
        a.names().collect::<Vec<_>>(),
        ["bad-oid", "counter64-in-v1"]
    );
}

// ---------------------------------------------------------------------------------
// Malformed input
// ---------------------------------------------------------------------------------

type Expect = fn(&DecodeError) -> bool;

fn v3_frame(header: &[u8], scoped: &[u8]) -> Vec<u8> {
    let usm = tlv(0x04, &UsmSecurityParameters::default().to_vec());
    seq(&[&int(3), header, &usm, scoped])
}

fn v3_header(flags: &[u8]) -> Vec<u8> {
    seq(&[&int(1), &int(65507), &tlv(0x04, flags), &int(3)])
}

fn malformed() -> Vec<(&'static str, Vec<u8>, Expect)> {
    let get_vb = vb(&oid_tlv("1.3.6.1.2.1.1.1.0"), &hex("05 00"));
    let valid_pdu = |tag: u8| tlv(tag, &[int(1), int(0), int(0), tlv(0x30, &get_vb)].concat());
    let v2c = |pdu: &[u8]| seq(&[&int(1), &tlv(0x04, b"public"), pdu]);
    let long_oid = {
        let mut c = vec![0x2b];
        c.extend(std::iter::repeat_n(0x01, 127)); // 2 + 127 = 129 arcs
        tlv(0x06, &c)
    };
    let scoped_get = seq(&[&tlv(0x04, b""), &tlv(0x04, b""), &valid_pdu(0xa0)]);
    vec![
        ("empty datagram", vec![], |e| {
            matches!(e, DecodeError::Truncated { offset: 0, .. })
        }),
        ("tag only", hex("30"), |e| {
            matches!(e, DecodeError::Truncated { .. })
        }),
        ("not a SEQUENCE", hex("31 00"), |e| {
            matches!(e, DecodeError::UnexpectedTag { found: 0x31, .. })
        }),
        ("indefinite length", hex("30 80 02 01 01 00 00"), |e| {
            matches!(e, DecodeError::IndefiniteLength { offset: 1 })
        }),
        (
            "length of 5 bytes",
            hex("30 85 00 00 00 00 03 02 01 01"),
            |e| matches!(e, DecodeError::BadLength { offset: 1 }),
        ),
        ("length bytes missing", hex("30 82 01"), |e| {
            matches!(
                e,
                DecodeError::Truncated {
                    offset: 1,
                    needed: 2,
                    available: 1
                }
            )
        }),
        ("outer length overruns", hex("30 10 02 01 01"), |e| {
            matches!(
                e,
                DecodeError::LengthOverrun {
                    offset: 0,
                    declared: 16,
                    available: 3
                }
            )
        }),
        ("high tag number", hex("3f 01 00"), |e| {
            matches!(e, DecodeError::HighTagNumber { offset: 0 })
        }),
        ("version 2", seq(&[&int(2)]), |e| {
            matches!(e, DecodeError::UnsupportedVersion(2))
        }),
        (
            "version -1",
            seq(&[&int(-1), &tlv(0x04, b"public"), &valid_pdu(0xa0)]),
            |e| matches!(e, DecodeError::UnsupportedVersion(-1)),
        ),
        ("empty version", hex("30 02 02 00"), |e| {
            matches!(e, DecodeError::EmptyInteger { ty: "version", .. })
        }),
        ("version of 9 bytes", seq(&[&tlv(0x02, &[1; 9])]), |e| {
            matches!(
                e,
                DecodeError::IntegerRange {
                    ty: "version",
                    len: 9,
                    ..
                }
            )
        }),
        ("version is an OCTET STRING", hex("30 03 04 01 01"), |e| {
            matches!(
                e,
                DecodeError::UnexpectedTag {
                    offset: 2,
                    found: 0x04,
                    ..
                }
            )
        }),
        ("community missing", seq(&[&int(1)]), |e| {
            matches!(e, DecodeError::Truncated { .. })
        }),
        (
            "community is an INTEGER",
            seq(&[&int(1), &int(5), &valid_pdu(0xa0)]),
            |e| matches!(e, DecodeError::UnexpectedTag { found: 0x02, .. }),
        ),
        ("unknown PDU tag", v2c(&valid_pdu(0xa9)), |e| {
            matches!(e, DecodeError::UnknownPduType { tag: 0xa9, .. })
        }),
        (
            "GetBulk in v1",
            seq(&[&int(0), &tlv(0x04, b"public"), &valid_pdu(0xa5)]),
            |e| {
                matches!(
                    e,
                    DecodeError::PduNotAllowed {
                        version: "SNMPv1",
                        ..
                    }
                )
            },
        ),
        (
            "Inform in v1",
            seq(&[&int(0), &tlv(0x04, b"public"), &valid_pdu(0xa6)]),
            |e| matches!(e, DecodeError::PduNotAllowed { .. }),
        ),
        (
            "v1 Trap in v2c",
            {
                let mut b = hex(V1_TRAP);
                b[4] = 1;
                b
            },
            |e| {
                matches!(
                    e,
                    DecodeError::PduNotAllowed {
                        pdu: "trap",
                        version: "SNMPv2c"
                    }
                )
            },
        ),
        (
            "request-id of 5 bytes",
            v2c(&tlv(
                0xa0,
                &[tlv(0x02, &[1, 0, 0, 0, 0]), int(0), int(0), tlv(0x30, &[])].concat(),
            )),
            |e| {
                matches!(
                    e,
                    DecodeError::IntegerRange {
                        ty: "request-id",
                        len: 5,
                        ..
                    }
                )
            },
        ),
        (
            "VarBindList missing",
            v2c(&tlv(0xa0, &[int(1), int(0), int(0)].concat())),
            |e| matches!(e, DecodeError::Truncated { .. }),
        ),
        (
            "VarBindList is an OCTET STRING",
            v2c(&tlv(
                0xa0,
                &[int(1), int(0), int(0), tlv(0x04, &[])].concat(),
            )),
            |e| matches!(e, DecodeError::UnexpectedTag { found: 0x04, .. }),
        ),
        (
            "bytes after the VarBindList",
            v2c(&tlv(
                0xa0,
                &[int(1), int(0), int(0), tlv(0x30, &[]), int(0)].concat(),
            )),
            |e| matches!(e, DecodeError::TrailingBytes { count: 3, .. }),
        ),
        (
            "bytes after the PDU inside the message",
            seq(&[
                &int(1),
                &tlv(0x04, b"public"),
                &valid_pdu(0xa0),
                &hex("05 00"),
            ]),
            |e| matches!(e, DecodeError::TrailingBytes { count: 2, .. }),
        ),
        (
            "bytes after the message (strict)",
            [hex(V1_GET), vec![0]].concat(),
            |e| {
                matches!(
                    e,
                    DecodeError::TrailingBytes {
                        offset: 40,
                        count: 1
                    }
                )
            },
        ),
        (
            "v3 msgFlags of 2 bytes",
            v3_frame(&v3_header(&[4, 0]), &scoped_get),
            |e| matches!(e, DecodeError::BadMsgFlags(_)),
        ),
        (
            "v3 privacy without authentication",
            v3_frame(&v3_header(&[2]), &scoped_get),
            |e| {
                matches!(
                    e,
                    DecodeError::BadMsgFlags("privacy without authentication")
                )
            },
        ),
        (
            "v3 bytes after msgGlobalData fields",
            v3_frame(
                &seq(&[&int(1), &int(65507), &tlv(0x04, &[4]), &int(3), &int(0)]),
                &scoped_get,
            ),
            |e| matches!(e, DecodeError::TrailingBytes { .. }),
        ),
        (
            "v3 v1 Trap in the ScopedPDU",
            v3_frame(
                &v3_header(&[4]),
                &seq(&[&tlv(0x04, b""), &tlv(0x04, b""), &hex(V1_TRAP)[13..]]),
            ),
            |e| {
                matches!(
                    e,
                    DecodeError::PduNotAllowed {
                        version: "SNMPv3",
                        ..
                    }
                )
            },
        ),
        (
            "v3 msgData is an INTEGER",
            v3_frame(&v3_header(&[4]), &int(7)),
            |e| matches!(e, DecodeError::UnexpectedTag { found: 0x02, .. }),
        ),
        (
            "VarBind is not a SEQUENCE",
            v2c(&tlv(
                0xa2,
                &[int(1), int(0), int(0), tlv(0x30, &int(5))].concat(),
            )),
            |e| {
                matches!(
                    e,
                    DecodeError::UnexpectedTag {
                        expected: "VarBind SEQUENCE",
                        ..
                    }
                )
            },
        ),
        (
            "VarBind name is an OCTET STRING",
            response_with_name(&tlv(0x04, b"sysDescr")),
            |e| matches!(e, DecodeError::UnexpectedTag { found: 0x04, .. }),
        ),
        (
            "VarBind value missing",
            v2c(&tlv(
                0xa2,
                &[
                    int(1),
                    int(0),
                    int(0),
                    tlv(0x30, &seq(&[&oid_tlv("1.3.6.1")])),
                ]
                .concat(),
            )),
            |e| matches!(e, DecodeError::Truncated { .. }),
        ),
        (
            "OID sub-identifier over 32 bits",
            response_with_name(&hex("06 07 2b 90 80 80 80 80 00")),
            |e| {
                matches!(
                    e,
                    DecodeError::BadOid {
                        reason: OidError::ArcTooLarge,
                        ..
                    }
                )
            },
        ),
        (
            "OID truncated sub-identifier",
            response_with_name(&hex("06 03 2b 06 81")),
            |e| {
                matches!(
                    e,
                    DecodeError::BadOid {
                        reason: OidError::Truncated,
                        ..
                    }
                )
            },
        ),
        ("OID of 129 arcs", response_with_name(&long_oid), |e| {
            matches!(
                e,
                DecodeError::BadOid {
                    reason: OidError::TooLong,
                    ..
                }
            )
        }),
        (
            "unknown value type",
            response_with(1, &hex("47 01 00")),
            |e| matches!(e, DecodeError::UnknownValueType { tag: 0x47, .. }),
        ),
        (
            "Counter32 of 5 significant bytes",
            response_with(1, &hex("41 05 01 00 00 00 00")),
            |e| {
                matches!(
                    e,
                    DecodeError::IntegerRange {
                        ty: "Counter32",
                        ..
                    }
                )
            },
        ),
        (
            "Counter64 of 9 significant bytes",
            response_with(1, &hex("46 09 01 00 00 00 00 00 00 00 00")),
            |e| {
                matches!(
                    e,
                    DecodeError::IntegerRange {
                        ty: "Counter64",
                        ..
                    }
                )
            },
        ),
        (
            "extra TLV inside a VarBind",
            v2c(&tlv(
                0xa2,
                &[
                    int(1),
                    int(0),
                    int(0),
                    tlv(
                        0x30,
                        &seq(&[&oid_tlv("1.3.6.1"), &hex("05 00"), &hex("05 00")]),
                    ),
                ]
                .concat(),
            )),
            |e| matches!(e, DecodeError::TrailingBytes { count: 2, .. }),
        ),
    ]
}

fn response_with_name(name_tlv: &[u8]) -> Vec<u8> {
    community_msg(1, 0xa2, [1, 0, 0], &vb(name_tlv, &hex("05 00")))
}

#[test]
fn malformed_messages_give_the_expected_error() {
    let cases = malformed();
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    for (what, bytes, expect) in cases {
        let e = first_error(&bytes, &DecodeOptions::strict())
            .unwrap_or_else(|| panic!("{what}: decoded under strict options: {bytes:02x?}"));
        assert!(expect(&e), "{what}: unexpected {e:?}");
        // The message names an offset inside the input (or its end).
        assert!(!e.to_string().is_empty());
        // Lenient decoding and the round-trip properties never panic on it either.
        let _ = first_error(&bytes, &DecodeOptions::lenient());
        message_round_trip(&bytes);
        varbinds_round_trip(&bytes);
    }
}

// ---------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------

fn golden_bytes() -> Vec<Vec<u8>> {
    goldens().into_iter().map(|(_, want, _)| want).collect()
}

/// Decodes with both option sets and walks everything; must never panic.
fn exercise(bytes: &[u8]) {
    for opts in [DecodeOptions::strict(), DecodeOptions::lenient()] {
        if let Ok(m) = Message::decode(bytes, &opts) {
            if let Some(p) = m.pdu() {
                for vb in p.varbinds() {
                    let Ok(vb) = vb else { break };
                    let _ = vb.name.to_string();
                    let _ = vb.value.opaque_number();
                }
            }
            if let Message::V3(v3) = m {
                let _ = v3.usm();
            }
        }
    }
    message_round_trip(bytes);
}

fn arc() -> impl Strategy<Value = u32> {
    prop_oneof![
        0u32..4,
        0u32..300,
        prop::sample::select(vec![127, 128, 16383, 16384, 2_097_151, 2_097_152, u32::MAX]),
        any::<u32>(),
    ]
}

/// Valid arcs: first 0..=2, second < 40 under 0 and 1, 2 to 24 arcs.
fn arcs() -> impl Strategy<Value = Vec<u32>> {
    (0u32..=2, arc(), vec(arc(), 0..22)).prop_map(|(first, second, rest)| {
        let second = if first < 2 { second % 40 } else { second };
        let mut v = vec![first, second];
        v.extend(rest);
        v
    })
}

/// A pair of arc vectors, often related (prefix, extension, one arc changed).
fn arc_pair() -> impl Strategy<Value = (Vec<u32>, Vec<u32>)> {
    (arcs(), arcs(), 0u8..5, any::<prop::sample::Index>(), arc()).prop_map(|(a, b, how, at, x)| {
        let b = match how {
            0 => b,
            1 => a[..at.index(a.len() - 1) + 2].to_vec(),
            2 => [a.as_slice(), &b[2..]].concat(),
            3 => {
                let mut c = a.clone();
                let i = 2 + at.index(a.len() - 1);
                if i < c.len() {
                    c[i] = x;
                }
                c
            }
            _ => a.clone(),
        };
        (a, b)
    })
}

fn hash_of(r: &OidRef<'_>, s: &RandomState) -> u64 {
    s.hash_one(r)
}

#[derive(Debug, Clone)]
enum OwnedValue {
    Integer(i64),
    Octets(Vec<u8>),
    Null,
    Oid(Oid),
    Ip([u8; 4]),
    Counter32(u32),
    Gauge32(u32),
    TimeTicks(u32),
    Opaque(Vec<u8>),
    Counter64(u64),
    NoSuchObject,
    NoSuchInstance,
    EndOfMibView,
}

impl OwnedValue {
    fn as_value(&self) -> Value<'_> {
        match self {
            Self::Integer(v) => Value::Integer(*v),
            Self::Octets(b) => Value::OctetString(b),
            Self::Null => Value::Null,
            Self::Oid(o) => Value::ObjectIdentifier(o.as_oid_ref()),
            Self::Ip(ip) => Value::IpAddress(*ip),
            Self::Counter32(v) => Value::Counter32(*v),
            Self::Gauge32(v) => Value::Gauge32(*v),
            Self::TimeTicks(v) => Value::TimeTicks(*v),
            Self::Opaque(b) => Value::Opaque(b),
            Self::Counter64(v) => Value::Counter64(*v),
            Self::NoSuchObject => Value::NoSuchObject,
            Self::NoSuchInstance => Value::NoSuchInstance,
            Self::EndOfMibView => Value::EndOfMibView,
        }
    }
}

fn owned_value() -> impl Strategy<Value = OwnedValue> {
    prop_oneof![
        any::<i64>().prop_map(OwnedValue::Integer),
        vec(any::<u8>(), 0..300).prop_map(OwnedValue::Octets),
        Just(OwnedValue::Null),
        arcs().prop_map(|a| OwnedValue::Oid(Oid::from_arcs(&a).unwrap())),
        any::<[u8; 4]>().prop_map(OwnedValue::Ip),
        any::<u32>().prop_map(OwnedValue::Counter32),
        any::<u32>().prop_map(OwnedValue::Gauge32),
        any::<u32>().prop_map(OwnedValue::TimeTicks),
        vec(any::<u8>(), 0..16).prop_map(OwnedValue::Opaque),
        any::<u64>().prop_map(OwnedValue::Counter64),
        Just(OwnedValue::NoSuchObject),
        Just(OwnedValue::NoSuchInstance),
        Just(OwnedValue::EndOfMibView),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        // Integration tests have no lib.rs beside them to store regressions next to.
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..400)) {
        exercise(&bytes);
        varbinds_round_trip(&bytes);
        oid_round_trip(&bytes);
        usm_round_trip(&bytes);
    }

    #[test]
    fn sequence_shaped_bytes_never_panic(body in vec(any::<u8>(), 0..300)) {
        // Starts like a message, so the decoder gets past the outer SEQUENCE.
        let bytes = seq(&[&int(1), &tlv(0x04, b"public"), &body]);
        exercise(&bytes);
        let bytes = seq(&[&body]);
        varbinds_round_trip(&bytes);
        usm_round_trip(&bytes);
    }

    #[test]
    fn mutated_goldens_never_panic_and_round_trip(
        which in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let goldens = golden_bytes();
        let mut bytes = goldens[which.index(goldens.len())].clone();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        exercise(&bytes);
    }

    #[test]
    fn xor_mutated_goldens_never_panic(
        which in any::<prop::sample::Index>(),
        flips in vec((any::<prop::sample::Index>(), 1u8..), 1..4),
    ) {
        let goldens = golden_bytes();
        let mut bytes = goldens[which.index(goldens.len())].clone();
        for (at, x) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= x;
        }
        exercise(&bytes);
    }

    #[test]
    fn truncated_goldens_are_refused_strictly(
        which in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let goldens = golden_bytes();
        let full = &goldens[which.index(goldens.len())];
        let bytes = &full[..cut.index(full.len())];
        prop_assert!(Message::decode(bytes, &DecodeOptions::strict()).is_err());
        exercise(bytes);
    }

    #[test]
    fn generated_messages_round_trip_exactly(
        values in vec((arcs(), owned_value()), 0..12),
        request_id in any::<i32>(),
        community in vec(any::<u8>(), 0..20),
        pdu_tag in 0u8..9,
        v1 in any::<bool>(),
    ) {
        let names: Vec<Oid> = values.iter().map(|(a, _)| Oid::from_arcs(a).unwrap()).collect();
        let vbs: Vec<VarBind<'_>> = names
            .iter()
            .zip(&values)
            .map(|(n, (_, v))| VarBind { name: n.as_oid_ref(), value: v.as_value() })
            .collect();
        let pdu_type = PduType::from_tag(0xa0 | pdu_tag).unwrap();
        let enterprise = names.first().cloned().unwrap_or_else(|| oid("1.3.6.1"));
        let pdus = if pdu_type == PduType::TrapV1 {
            Pdus::TrapV1(TrapV1Pdu {
                enterprise: enterprise.as_oid_ref(),
                agent_addr: Ipv4Addr::new(10, 0, 0, 1),
                generic_trap: 6,
                specific_trap: request_id,
                time_stamp: request_id.unsigned_abs(),
                varbinds: VarBinds::from_slice(&vbs),
            })
        } else {
            Pdus::Pdu(Pdu::new(pdu_type, request_id, VarBinds::from_slice(&vbs)))
        };
        // v1 carries no GetBulk, Inform, SNMPv2-Trap, Report nor Counter64; v2c no v1 Trap.
        let v1_ok = matches!(
            pdu_type,
            PduType::GetRequest
                | PduType::GetNextRequest
                | PduType::Response
                | PduType::SetRequest
                | PduType::TrapV1
        ) && !vbs.iter().any(|vb| matches!(vb.value, Value::Counter64(_)));
        let version = if pdu_type == PduType::TrapV1 || (v1 && v1_ok) {
            Version::V1
        } else {
            Version::V2c
        };
        let bytes = encode_community(version, &community, pdus);
        // A v1 Trap is always v1; let it carry Counter64 (the one switch needed).
        let mut opts = DecodeOptions::strict();
        opts.allow_counter64_in_v1 = version == Version::V1;
        let m = Message::decode(&bytes, &opts)
            .unwrap_or_else(|e| panic!("{e}: {bytes:02x?}"));
        prop_assert_eq!(m.version(), version);
        let back = m.pdu().unwrap().varbinds().to_vec();
        prop_assert_eq!(back.as_ref(), Ok(&vbs));
        let mut again = Vec::new();
        m.encode(&mut again);
        prop_assert_eq!(&again, &bytes);
        message_round_trip(&bytes);
        let mut list = Vec::new();
        VarBinds::from_slice(&vbs).encode(&mut nocwatch_snmp::ber::Writer::new(&mut list));
        varbinds_round_trip(&list);
    }

    #[test]
    fn oid_order_is_arc_order(pair in arc_pair()) {
        let (a, b) = pair;
        let (oa, ob) = (Oid::from_arcs(&a).unwrap(), Oid::from_arcs(&b).unwrap());
        let want = a.cmp(&b);
        prop_assert_eq!(oa.cmp(&ob), want);
        let (ba, bb) = (oa.to_ber(), ob.to_ber());
        let ra = OidRef::from_ber(&ba, false).unwrap();
        let rb = OidRef::from_ber(&bb, false).unwrap();
        // BER-backed, arcs-backed and mixed comparisons all agree with the arcs.
        prop_assert_eq!(ra.cmp(&rb), want);
        prop_assert_eq!(ra.cmp(&ob.as_oid_ref()), want);
        prop_assert_eq!(oa.as_oid_ref().cmp(&rb), want);
        prop_assert_eq!(ra.cmp_oid(&ob), want);
        prop_assert_eq!(ra == rb, a == b);
        prop_assert_eq!(ra == ob, a == b);
        // Subtrees agree with prefixes on arcs.
        prop_assert_eq!(ra.is_in_subtree(&ob), a.starts_with(&b));
        prop_assert_eq!(rb.is_in_subtree(&oa), b.starts_with(&a));
        prop_assert_eq!(oa.is_in_subtree(&ob), a.starts_with(&b));
        // Representations agree.
        prop_assert_eq!(ra.to_oid(), oa.clone());
        prop_assert_eq!(ra.len(), a.len());
        prop_assert_eq!(ra.arcs().collect::<Vec<_>>(), a.clone());
        prop_assert_eq!(ra.to_string(), oa.to_string());
        prop_assert_eq!(oa.to_string().parse::<Oid>().unwrap(), oa.clone());
        let s = RandomState::new();
        prop_assert_eq!(hash_of(&ra, &s), hash_of(&oa.as_oid_ref(), &s));
        if a == b {
            prop_assert_eq!(hash_of(&ra, &s), hash_of(&rb, &s));
        }
        oid_round_trip(&ba);
    }

    #[test]
    fn sorting_by_oid_ref_sorts_by_arcs(list in vec(arcs(), 0..20)) {
        let owned: Vec<Oid> = list.iter().map(|a| Oid::from_arcs(a).unwrap()).collect();
        let bers: Vec<Vec<u8>> = owned.iter().map(Oid::to_ber).collect();
        let mut refs: Vec<OidRef<'_>> =
            bers.iter().map(|b| OidRef::from_ber(b, false).unwrap()).collect();
        refs.sort();
        let mut by_arcs = list.clone();
        by_arcs.sort();
        let sorted: Vec<Vec<u32>> = refs.iter().map(|r| r.arcs().collect()).collect();
        prop_assert_eq!(sorted, by_arcs);
    }
}

// ---------------------------------------------------------------------------------
// Real captures (Zeek's SNMP test traces in ../shared)
// ---------------------------------------------------------------------------------

/// UDP payloads of a classic pcap (Ethernet, optional 802.1Q tag, IPv4, UDP).
fn udp_payloads(pcap: &[u8]) -> Vec<Vec<u8>> {
    let u16be = |b: &[u8], i: usize| u16::from_be_bytes([b[i], b[i + 1]]);
    let magic = u32::from_le_bytes(pcap[..4].try_into().unwrap());
    let le = match magic {
        0xa1b2_c3d4 | 0xa1b2_3c4d => true,
        0xd4c3_b2a1 | 0x4d3c_b2a1 => false,
        _ => panic!("not a classic pcap (magic {magic:08x})"),
    };
    let u32at = |b: &[u8], i: usize| {
        let a: [u8; 4] = b[i..i + 4].try_into().unwrap();
        if le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    assert_eq!(
        u32at(pcap, 20) & 0xffff,
        1,
        "only Ethernet captures are read"
    );
    let mut out = Vec::new();
    let mut at = 24;
    while at + 16 <= pcap.len() {
        let incl = u32at(pcap, at + 8) as usize;
        let frame = &pcap[at + 16..(at + 16 + incl).min(pcap.len())];
        at += 16 + incl;
        if frame.len() < 14 {
            continue;
        }
        let (mut ethertype, mut l3) = (u16be(frame, 12), 14);
        if ethertype == 0x8100 && frame.len() >= 18 {
            (ethertype, l3) = (u16be(frame, 16), 18);
        }
        if ethertype != 0x0800 || frame.len() < l3 + 20 {
            continue;
        }
        let ip = &frame[l3..];
        let ihl = usize::from(ip[0] & 0x0f) * 4;
        let fragment = u16be(ip, 6) & 0x3fff != 0;
        if ip[9] != 17 || fragment || ip.len() < ihl + 8 {
            continue;
        }
        let udp = &ip[ihl..];
        let len = usize::from(u16be(udp, 4)).clamp(8, udp.len());
        out.push(udp[8..len].to_vec());
    }
    out
}

/// The zeek captures in ../shared; prints why on the real stderr when absent.
fn captures_dir() -> Option<PathBuf> {
    nocwatch_testkit::shared_or_skip("captures/zeek")
}

#[test]
fn zeek_captures_decode_and_round_trip() {
    let Some(dir) = captures_dir() else { return };
    let files = [
        "snmpv1_get",
        "snmpv1_get_short",
        "snmpv1_set",
        "snmpv1_trap",
        "snmpv2_get",
        "snmpv2_get_bulk",
        "snmpv2_get_next",
        "snmpv3_get_next",
        "snmpwalk-short",
        "snmp-crash-62790",
    ];
    let mut total = 0;
    for name in files {
        let pcap = std::fs::read(dir.join(format!("{name}.pcap"))).unwrap();
        let payloads = udp_payloads(&pcap);
        assert!(!payloads.is_empty(), "{name}: no UDP payloads");
        let mut strict_ok = 0;
        for (i, p) in payloads.iter().enumerate() {
            let d = Message::decode_with_anomalies(p, &DecodeOptions::default())
                .unwrap_or_else(|e| panic!("{name} #{i}: {e}"));
            if let Some(pdu) = d.message.pdu() {
                pdu.varbinds()
                    .validate()
                    .unwrap_or_else(|e| panic!("{name} #{i}: bindings: {e}"));
            }
            if first_error(p, &DecodeOptions::strict()).is_none() {
                strict_ok += 1;
            }
            message_round_trip(p);
        }
        eprintln!(
            "{name}: {} payload(s) decode and round-trip ({strict_ok} also strictly)",
            payloads.len()
        );
        total += payloads.len();
    }
    assert!(total >= 480, "only {total} payloads");
}

#[test]
fn zeek_oid_subidentifier_too_long() {
    let Some(dir) = captures_dir() else { return };
    let pcap = std::fs::read(dir.join("snmp-oid-subidentifier-too-long.pcap")).unwrap();
    let payloads = udp_payloads(&pcap);
    assert_eq!(payloads.len(), 1);
    let p = &payloads[0];
    // The binding name is 2b 80 80 80 80 80 80 80 80 80 80 00: ten redundant 0x80
    // bytes in front of the sub-identifier 0. Strictly, the first redundant byte is
    // the error; leniently (the default) a sub-identifier longer than the five bytes
    // any 32-bit arc needs is refused (Wireshark would read it as 1.3.0).
    assert_eq!(
        first_error(p, &DecodeOptions::strict()),
        Some(DecodeError::BadOid {
            offset: 28,
            reason: OidError::NonMinimal
        })
    );
    let m = Message::decode(p, &DecodeOptions::default()).unwrap();
    assert_eq!(
        m.pdu().unwrap().varbinds().validate(),
        Err(DecodeError::BadOid {
            offset: 28,
            reason: OidError::SubidTooLong
        })
    );
    // Two redundant bytes (2b 80 80 00) are still tolerated, and recorded.
    let mut short = p.clone();
    short.drain(32..40); // 2b 80 80 00: length 0x0c -> 0x04, and every enclosing length
    for at in [1, 14, 25, 27, 29] {
        short[at] -= 8;
    }
    let m = Message::decode(&short, &DecodeOptions::default()).unwrap();
    let mut it = m.pdu().unwrap().varbinds().iter();
    assert_eq!(it.next().unwrap().unwrap().name, oid("1.3.0"));
    assert!(it.anomalies().contains(Anomalies::BAD_OID));
    message_round_trip(p);
}

/// PDU-level anomalies reach `decode_with_anomalies`: a v1 Trap whose agent-addr is
/// three bytes long.
#[test]
fn v1_trap_with_short_agent_addr_is_reported() {
    let bytes = hex(
        "30 22 02 01 00 04 06 70 75 62 6c 69 63 a4 15 06 03 2b 06 01 40 03 0a 00 00 \
         02 01 06 02 01 01 43 01 05 30 00",
    );
    let d = Message::decode_with_anomalies(&bytes, &DecodeOptions::lenient()).unwrap();
    assert!(d.anomalies.contains(Anomalies::BAD_IP_ADDRESS));
    let Some(Pdus::TrapV1(t)) = d.message.pdu().copied() else {
        panic!("not a v1 trap")
    };
    assert_eq!(t.agent_addr, Ipv4Addr::new(10, 0, 0, 0));
    assert!(Message::decode(&bytes, &DecodeOptions::strict()).is_err());
}
