//! Protocol data units (RFC 3416 §3, RFC 1157 §4.1.6 for the v1 Trap).

use std::fmt;
use std::net::Ipv4Addr;

use crate::ber::{Reader, TAG_OID, TAG_SEQUENCE, Writer};
use crate::error::DecodeError;
use crate::oid::OidRef;
use crate::options::{Anomalies, DecodeOptions};
use crate::value::{TAG_IP_ADDRESS, TAG_TIMETICKS};
use crate::varbind::VarBinds;

/// The PDU types, by their context tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PduType {
    /// GetRequest-PDU `[0]`.
    GetRequest,
    /// GetNextRequest-PDU `[1]`.
    GetNextRequest,
    /// Response-PDU `[2]` (GetResponse in v1).
    Response,
    /// SetRequest-PDU `[3]`.
    SetRequest,
    /// v1 Trap-PDU `[4]`.
    TrapV1,
    /// GetBulkRequest-PDU `[5]`.
    GetBulkRequest,
    /// InformRequest-PDU `[6]`.
    InformRequest,
    /// SNMPv2-Trap-PDU `[7]`.
    SnmpV2Trap,
    /// Report-PDU `[8]`.
    Report,
}

impl PduType {
    /// The BER tag.
    pub fn tag(self) -> u8 {
        0xa0 | match self {
            Self::GetRequest => 0,
            Self::GetNextRequest => 1,
            Self::Response => 2,
            Self::SetRequest => 3,
            Self::TrapV1 => 4,
            Self::GetBulkRequest => 5,
            Self::InformRequest => 6,
            Self::SnmpV2Trap => 7,
            Self::Report => 8,
        }
    }

    /// The type for a BER tag.
    pub fn from_tag(tag: u8) -> Option<Self> {
        Some(match tag {
            0xa0 => Self::GetRequest,
            0xa1 => Self::GetNextRequest,
            0xa2 => Self::Response,
            0xa3 => Self::SetRequest,
            0xa4 => Self::TrapV1,
            0xa5 => Self::GetBulkRequest,
            0xa6 => Self::InformRequest,
            0xa7 => Self::SnmpV2Trap,
            0xa8 => Self::Report,
            _ => return None,
        })
    }

    /// The name tshark and the RFCs use.
    pub fn name(self) -> &'static str {
        match self {
            Self::GetRequest => "get-request",
            Self::GetNextRequest => "get-next-request",
            Self::Response => "get-response",
            Self::SetRequest => "set-request",
            Self::TrapV1 => "trap",
            Self::GetBulkRequest => "getBulkRequest",
            Self::InformRequest => "informRequest",
            Self::SnmpV2Trap => "snmpV2-trap",
            Self::Report => "report",
        }
    }

    /// True for the PDUs a manager sends and expects a Response to.
    pub fn is_request(self) -> bool {
        matches!(
            self,
            Self::GetRequest
                | Self::GetNextRequest
                | Self::SetRequest
                | Self::GetBulkRequest
                | Self::InformRequest
        )
    }
}

impl fmt::Display for PduType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error-status values of RFC 3416 (0–5 are also v1's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorStatus {
    /// noError(0)
    NoError,
    /// tooBig(1)
    TooBig,
    /// noSuchName(2), v1 only
    NoSuchName,
    /// badValue(3), v1 only
    BadValue,
    /// readOnly(4), v1 only
    ReadOnly,
    /// genErr(5)
    GenErr,
    /// noAccess(6)
    NoAccess,
    /// wrongType(7)
    WrongType,
    /// wrongLength(8)
    WrongLength,
    /// wrongEncoding(9)
    WrongEncoding,
    /// wrongValue(10)
    WrongValue,
    /// noCreation(11)
    NoCreation,
    /// inconsistentValue(12)
    InconsistentValue,
    /// resourceUnavailable(13)
    ResourceUnavailable,
    /// commitFailed(14)
    CommitFailed,
    /// undoFailed(15)
    UndoFailed,
    /// authorizationError(16)
    AuthorizationError,
    /// notWritable(17)
    NotWritable,
    /// inconsistentName(18)
    InconsistentName,
    /// A value outside the RFC's list.
    Other(i32),
}

impl ErrorStatus {
    const TABLE: [(Self, &'static str, &'static str); 19] = [
        (Self::NoError, "noError", "(noError) No Error"),
        (
            Self::TooBig,
            "tooBig",
            "(tooBig) Response message would have been too large.",
        ),
        (
            Self::NoSuchName,
            "noSuchName",
            "(noSuchName) There is no such variable name in this MIB.",
        ),
        (
            Self::BadValue,
            "badValue",
            "(badValue) The value given has the wrong type or length.",
        ),
        (
            Self::ReadOnly,
            "readOnly",
            "(readOnly) The two parties used do not have access to use the specified SNMP PDU.",
        ),
        (
            Self::GenErr,
            "genErr",
            "(genError) A general failure occured",
        ),
        (Self::NoAccess, "noAccess", "noAccess"),
        (
            Self::WrongType,
            "wrongType",
            "wrongType (The set datatype does not match the data type the agent expects)",
        ),
        (
            Self::WrongLength,
            "wrongLength",
            "wrongLength (The set value has an illegal length from what the agent expects)",
        ),
        (Self::WrongEncoding, "wrongEncoding", "wrongEncoding"),
        (
            Self::WrongValue,
            "wrongValue",
            "wrongValue (The set value is illegal or unsupported in some way)",
        ),
        (
            Self::NoCreation,
            "noCreation",
            "noCreation (That table does not support row creation or that object can not ever be created)",
        ),
        (
            Self::InconsistentValue,
            "inconsistentValue",
            "inconsistentValue (The set value is illegal or unsupported in some way)",
        ),
        (
            Self::ResourceUnavailable,
            "resourceUnavailable",
            "resourceUnavailable (This is likely a out-of-memory failure within the agent)",
        ),
        (Self::CommitFailed, "commitFailed", "commitFailed"),
        (Self::UndoFailed, "undoFailed", "undoFailed"),
        (
            Self::AuthorizationError,
            "authorizationError",
            "authorizationError (access denied to that object)",
        ),
        (
            Self::NotWritable,
            "notWritable",
            "notWritable (That object does not support modification)",
        ),
        (
            Self::InconsistentName,
            "inconsistentName",
            "inconsistentName (That object can not currently be created)",
        ),
    ];

    /// The status for a wire value.
    pub fn from_i32(v: i32) -> Self {
        usize::try_from(v)
            .ok()
            .and_then(|i| Self::TABLE.get(i))
            .map_or(Self::Other(v), |e| e.0)
    }

    /// The wire value.
    pub fn to_i32(self) -> i32 {
        match self {
            Self::Other(v) => v,
            s => Self::TABLE
                .iter()
                .position(|e| e.0 == s)
                .and_then(|i| i32::try_from(i).ok())
                .unwrap_or(-1),
        }
    }

    /// The RFC name (`noSuchName`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Other(_) => "unknown",
            s => Self::TABLE
                .iter()
                .find(|e| e.0 == s)
                .map_or("unknown", |e| e.1),
        }
    }

    /// net-snmp's `Reason:` text, so our error output reads like snmpget's.
    pub fn reason(self) -> String {
        match self {
            Self::Other(v) => format!("Unknown Error {v}"),
            s => Self::TABLE
                .iter()
                .find(|e| e.0 == s)
                .map_or_else(String::new, |e| e.2.to_string()),
        }
    }
}

impl fmt::Display for ErrorStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Other(v) => write!(f, "error-status {v}"),
            s => f.write_str(s.name()),
        }
    }
}

/// Every PDU of RFC 3416: Get, GetNext, Response, Set, GetBulk, Inform, SNMPv2-Trap
/// and Report share one shape.
///
/// ```text
/// PDU ::= SEQUENCE { request-id INTEGER (-214783648..214783647),
///                    error-status INTEGER { noError(0), tooBig(1), ... },
///                    error-index INTEGER (0..max-bindings),
///                    variable-bindings VarBindList }
/// BulkPDU ::= SEQUENCE { request-id, non-repeaters INTEGER (0..max-bindings),
///                        max-repetitions INTEGER (0..max-bindings), variable-bindings }
/// ```
///
/// For GetBulk, `error_status` and `error_index` hold non-repeaters and
/// max-repetitions, exactly where the wire has them; use the named accessors.
#[derive(Debug, Clone, Copy)]
pub struct Pdu<'a> {
    /// Which PDU.
    pub pdu_type: PduType,
    /// Matches a Response to its request.
    pub request_id: i32,
    /// error-status (non-repeaters in a GetBulk).
    pub error_status: i32,
    /// error-index (max-repetitions in a GetBulk).
    pub error_index: i32,
    /// The bindings.
    pub varbinds: VarBinds<'a>,
}

impl<'a> Pdu<'a> {
    /// A request or notification with zero error fields.
    pub fn new(pdu_type: PduType, request_id: i32, varbinds: VarBinds<'a>) -> Self {
        Self {
            pdu_type,
            request_id,
            error_status: 0,
            error_index: 0,
            varbinds,
        }
    }

    /// A GetBulkRequest.
    pub fn get_bulk(
        request_id: i32,
        non_repeaters: i32,
        max_repetitions: i32,
        varbinds: VarBinds<'a>,
    ) -> Self {
        Self {
            pdu_type: PduType::GetBulkRequest,
            request_id,
            error_status: non_repeaters,
            error_index: max_repetitions,
            varbinds,
        }
    }

    /// The error-status, typed.
    pub fn status(&self) -> ErrorStatus {
        ErrorStatus::from_i32(self.error_status)
    }

    /// GetBulk non-repeaters.
    pub fn non_repeaters(&self) -> i32 {
        self.error_status
    }

    /// GetBulk max-repetitions.
    pub fn max_repetitions(&self) -> i32 {
        self.error_index
    }

    fn decode_body(
        pdu_type: PduType,
        mut r: Reader<'a>,
        opts: &DecodeOptions,
        v1: bool,
        anomalies: &mut Anomalies,
    ) -> Result<Self, DecodeError> {
        let request_id = r.read_i32("request-id")?;
        let error_status = r.read_i32("error-status")?;
        let error_index = r.read_i32("error-index")?;
        let vbl = r.expect(TAG_SEQUENCE, "VarBindList SEQUENCE")?;
        if vbl.clamped {
            anomalies.insert(Anomalies::CLAMPED_LENGTH);
        }
        trailing(&r)?;
        Ok(Self {
            pdu_type,
            request_id,
            error_status,
            error_index,
            varbinds: VarBinds::from_ber(vbl.content, vbl.content_offset, *opts, v1),
        })
    }

    fn encode(&self, w: &mut Writer<'_>) {
        w.nested(self.pdu_type.tag(), |w| {
            w.integer(i64::from(self.request_id));
            w.integer(i64::from(self.error_status));
            w.integer(i64::from(self.error_index));
            self.varbinds.encode(w);
        });
    }
}

/// The generic-trap values of a v1 Trap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenericTrap {
    /// coldStart(0)
    ColdStart,
    /// warmStart(1)
    WarmStart,
    /// linkDown(2)
    LinkDown,
    /// linkUp(3)
    LinkUp,
    /// authenticationFailure(4)
    AuthenticationFailure,
    /// egpNeighborLoss(5)
    EgpNeighborLoss,
    /// enterpriseSpecific(6)
    EnterpriseSpecific,
    /// Out of range.
    Other(i32),
}

impl GenericTrap {
    /// From the wire value.
    pub fn from_i32(v: i32) -> Self {
        match v {
            0 => Self::ColdStart,
            1 => Self::WarmStart,
            2 => Self::LinkDown,
            3 => Self::LinkUp,
            4 => Self::AuthenticationFailure,
            5 => Self::EgpNeighborLoss,
            6 => Self::EnterpriseSpecific,
            v => Self::Other(v),
        }
    }
}

/// The SNMPv1 Trap-PDU.
///
/// ```text
/// Trap-PDU ::= [4] IMPLICIT SEQUENCE { enterprise OBJECT IDENTIFIER,
///     agent-addr NetworkAddress, generic-trap INTEGER { coldStart(0), ... },
///     specific-trap INTEGER, time-stamp TimeTicks, variable-bindings VarBindList }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct TrapV1Pdu<'a> {
    /// The sending entity's sysObjectID or the trap's enterprise.
    pub enterprise: OidRef<'a>,
    /// The agent's address as it claims it.
    pub agent_addr: Ipv4Addr,
    /// generic-trap.
    pub generic_trap: i32,
    /// specific-trap.
    pub specific_trap: i32,
    /// sysUpTime at the event.
    pub time_stamp: u32,
    /// The bindings.
    pub varbinds: VarBinds<'a>,
}

impl<'a> TrapV1Pdu<'a> {
    fn decode_body(
        mut r: Reader<'a>,
        opts: &DecodeOptions,
        anomalies: &mut Anomalies,
    ) -> Result<Self, DecodeError> {
        let ent = r.expect(TAG_OID, "enterprise OBJECT IDENTIFIER")?;
        let enterprise = OidRef::from_ber(ent.content, opts.lenient_oids).map_err(|reason| {
            DecodeError::BadOid {
                offset: ent.offset,
                reason,
            }
        })?;
        let addr = r.expect(TAG_IP_ADDRESS, "agent-addr IpAddress")?;
        let mut ip = [0u8; 4];
        if addr.content.len() != 4 {
            if !opts.lenient_ip_address {
                return Err(DecodeError::BadValueLength {
                    offset: addr.offset,
                    ty: "IpAddress",
                    len: addr.content.len(),
                });
            }
            anomalies.insert(Anomalies::BAD_IP_ADDRESS);
        }
        for (d, s) in ip.iter_mut().zip(addr.content) {
            *d = *s;
        }
        let generic_trap = r.read_i32("generic-trap")?;
        let specific_trap = r.read_i32("specific-trap")?;
        let ts = r.expect(TAG_TIMETICKS, "time-stamp TimeTicks")?;
        let time_stamp = crate::ber::decode_unsigned(
            ts.content,
            ts.offset,
            "TimeTicks",
            32,
            opts.lenient_integers,
        )?;
        if ts.content.first().is_none_or(|b| b & 0x80 != 0) {
            anomalies.insert(Anomalies::BAD_INTEGER);
        }
        let vbl = r.expect(TAG_SEQUENCE, "VarBindList SEQUENCE")?;
        if vbl.clamped {
            anomalies.insert(Anomalies::CLAMPED_LENGTH);
        }
        trailing(&r)?;
        Ok(Self {
            enterprise,
            agent_addr: Ipv4Addr::from(ip),
            generic_trap,
            specific_trap,
            time_stamp: u32::try_from(time_stamp).unwrap_or(u32::MAX),
            varbinds: VarBinds::from_ber(vbl.content, vbl.content_offset, *opts, true),
        })
    }

    /// generic-trap, typed.
    pub fn generic(&self) -> GenericTrap {
        GenericTrap::from_i32(self.generic_trap)
    }

    fn encode(&self, w: &mut Writer<'_>) {
        w.nested(PduType::TrapV1.tag(), |w| {
            w.nested(TAG_OID, |w| self.enterprise.write_ber(w.buf()));
            w.primitive(TAG_IP_ADDRESS, &self.agent_addr.octets());
            w.integer(i64::from(self.generic_trap));
            w.integer(i64::from(self.specific_trap));
            w.unsigned(TAG_TIMETICKS, u64::from(self.time_stamp));
            self.varbinds.encode(w);
        });
    }
}

/// Any PDU: the RFC 3416 shape or the v1 Trap (`PDUs ::= CHOICE {...}`).
#[derive(Debug, Clone, Copy)]
pub enum Pdus<'a> {
    /// Get, GetNext, Response, Set, GetBulk, Inform, SNMPv2-Trap, Report.
    Pdu(Pdu<'a>),
    /// The v1 Trap.
    TrapV1(TrapV1Pdu<'a>),
}

impl<'a> Pdus<'a> {
    /// The PDU type.
    pub fn pdu_type(&self) -> PduType {
        match self {
            Self::Pdu(p) => p.pdu_type,
            Self::TrapV1(_) => PduType::TrapV1,
        }
    }

    /// The bindings.
    pub fn varbinds(&self) -> &VarBinds<'a> {
        match self {
            Self::Pdu(p) => &p.varbinds,
            Self::TrapV1(t) => &t.varbinds,
        }
    }

    /// The RFC 3416-shaped PDU, if this is one.
    pub fn as_pdu(&self) -> Option<&Pdu<'a>> {
        match self {
            Self::Pdu(p) => Some(p),
            Self::TrapV1(_) => None,
        }
    }

    /// Decodes a bare PDU (tag included) that fills `bytes`, such as one re-encoded
    /// from a decrypted SNMPv3 reply.
    pub fn decode_bytes(bytes: &'a [u8], opts: &DecodeOptions) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes, 0).with_clamp(opts.clamp_overrunning_lengths);
        let pdu = Self::decode(&mut r, opts, false, &mut Anomalies::default())?;
        trailing(&r)?;
        Ok(pdu)
    }

    /// Decodes one PDU (tag included) from `r`.
    pub(crate) fn decode(
        r: &mut Reader<'a>,
        opts: &DecodeOptions,
        v1: bool,
        anomalies: &mut Anomalies,
    ) -> Result<Self, DecodeError> {
        let offset = r.offset();
        let tlv = r.read_tlv()?;
        if tlv.clamped {
            anomalies.insert(Anomalies::CLAMPED_LENGTH);
        }
        let pdu_type = PduType::from_tag(tlv.tag).ok_or(DecodeError::UnknownPduType {
            offset,
            tag: tlv.tag,
        })?;
        let body =
            Reader::new(tlv.content, tlv.content_offset).with_clamp(opts.clamp_overrunning_lengths);
        Ok(match pdu_type {
            PduType::TrapV1 => Self::TrapV1(TrapV1Pdu::decode_body(body, opts, anomalies)?),
            t => Self::Pdu(Pdu::decode_body(t, body, opts, v1, anomalies)?),
        })
    }

    /// Appends the PDU's encoding.
    pub fn encode(&self, w: &mut Writer<'_>) {
        match self {
            Self::Pdu(p) => p.encode(w),
            Self::TrapV1(t) => t.encode(w),
        }
    }
}

fn trailing(r: &Reader<'_>) -> Result<(), DecodeError> {
    if r.is_empty() {
        Ok(())
    } else {
        Err(DecodeError::TrailingBytes {
            offset: r.offset(),
            count: r.remaining().len(),
        })
    }
}
