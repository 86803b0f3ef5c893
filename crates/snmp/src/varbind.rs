//! Variable bindings: `(name, value)` pairs, iterated lazily from the packet.

use crate::ber::{Reader, TAG_OID, TAG_SEQUENCE, Writer};
use crate::error::DecodeError;
use crate::oid::OidRef;
use crate::options::{Anomalies, DecodeOptions};
use crate::value::Value;

/// One variable binding.
///
/// ```text
/// VarBind ::= SEQUENCE { name ObjectName,
///                        CHOICE { value ObjectSyntax, unSpecified NULL,
///                                 noSuchObject [0] IMPLICIT NULL,
///                                 noSuchInstance [1] IMPLICIT NULL,
///                                 endOfMibView [2] IMPLICIT NULL } }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VarBind<'a> {
    /// The object instance.
    pub name: OidRef<'a>,
    /// Its value (NULL in requests).
    pub value: Value<'a>,
}

impl<'a> VarBind<'a> {
    /// A binding with a NULL value, as requests carry.
    pub fn null(name: OidRef<'a>) -> Self {
        Self {
            name,
            value: Value::Null,
        }
    }

    /// Appends the binding's BER encoding.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.nested(TAG_SEQUENCE, |w| {
            w.nested(TAG_OID, |w| self.name.write_ber(w.buf()));
            self.value.encode(w);
        });
    }
}

#[derive(Debug, Clone, Copy)]
enum Repr<'a> {
    Ber {
        content: &'a [u8],
        offset: usize,
        opts: DecodeOptions,
        v1: bool,
    },
    List(&'a [VarBind<'a>]),
}

/// A VarBindList: either still encoded (from a packet, decoded on iteration) or a
/// slice of bindings to encode.
///
/// Decoding a message does not touch the bindings: a dispatcher that only needs the
/// request-id never pays for them, and a walk decodes each binding once, in place.
#[derive(Debug, Clone, Copy)]
pub struct VarBinds<'a>(Repr<'a>);

impl<'a> VarBinds<'a> {
    /// Bindings to encode.
    pub fn from_slice(list: &'a [VarBind<'a>]) -> Self {
        Self(Repr::List(list))
    }

    /// Bindings already encoded by the caller: `content` is the inside of a
    /// VarBindList SEQUENCE (the concatenated VarBind SEQUENCEs). It is not validated
    /// here; iterating decodes it leniently. Lets a request cross a channel as one
    /// byte vector instead of owned values.
    pub fn encoded(content: &'a [u8]) -> Self {
        Self::from_ber(content, 0, DecodeOptions::lenient(), false)
    }

    /// Encodes `list` as VarBindList content, for [`VarBinds::encoded`].
    pub fn encode_content(list: &[VarBind<'_>], out: &mut Vec<u8>) {
        let mut w = Writer::new(out);
        for vb in list {
            vb.encode(&mut w);
        }
    }

    pub(crate) fn from_ber(
        content: &'a [u8],
        offset: usize,
        opts: DecodeOptions,
        v1: bool,
    ) -> Self {
        Self(Repr::Ber {
            content,
            offset,
            opts,
            v1,
        })
    }

    /// Iterates the bindings; a malformed binding yields one error and ends the iteration.
    pub fn iter(&self) -> VarBindIter<'a> {
        match self.0 {
            Repr::Ber {
                content,
                offset,
                opts,
                v1,
            } => VarBindIter(IterRepr::Ber {
                reader: Reader::new(content, offset).with_clamp(opts.clamp_overrunning_lengths),
                opts,
                v1,
                anomalies: Anomalies::default(),
                failed: false,
            }),
            Repr::List(l) => VarBindIter(IterRepr::List(l.iter())),
        }
    }

    /// Decodes every binding, returning the first error.
    pub fn validate(&self) -> Result<usize, DecodeError> {
        let mut n = 0;
        for vb in self.iter() {
            vb?;
            n += 1;
        }
        Ok(n)
    }

    /// Decodes every binding into a vector.
    pub fn to_vec(&self) -> Result<Vec<VarBind<'a>>, DecodeError> {
        self.iter().collect()
    }

    /// The raw encoded list content, when this came from a packet.
    pub fn raw(&self) -> Option<&'a [u8]> {
        match self.0 {
            Repr::Ber { content, .. } => Some(content),
            Repr::List(_) => None,
        }
    }

    /// Appends the VarBindList SEQUENCE.
    pub fn encode(&self, w: &mut Writer<'_>) {
        w.nested(TAG_SEQUENCE, |w| match self.0 {
            // Forwarding a decoded list re-emits the agent's bytes untouched.
            Repr::Ber { content, .. } => w.raw(content),
            Repr::List(l) => {
                for vb in l {
                    vb.encode(w);
                }
            }
        });
    }
}

impl<'a> IntoIterator for &VarBinds<'a> {
    type Item = Result<VarBind<'a>, DecodeError>;
    type IntoIter = VarBindIter<'a>;

    fn into_iter(self) -> VarBindIter<'a> {
        self.iter()
    }
}

#[derive(Debug, Clone)]
enum IterRepr<'a> {
    Ber {
        reader: Reader<'a>,
        opts: DecodeOptions,
        v1: bool,
        anomalies: Anomalies,
        failed: bool,
    },
    List(std::slice::Iter<'a, VarBind<'a>>),
}

/// Iterator over a [`VarBinds`].
#[derive(Debug, Clone)]
pub struct VarBindIter<'a>(IterRepr<'a>);

impl VarBindIter<'_> {
    /// Deviations tolerated so far while decoding.
    pub fn anomalies(&self) -> Anomalies {
        match &self.0 {
            IterRepr::Ber { anomalies, .. } => *anomalies,
            IterRepr::List(_) => Anomalies::default(),
        }
    }
}

impl<'a> Iterator for VarBindIter<'a> {
    type Item = Result<VarBind<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IterRepr::List(it) => it.next().copied().map(Ok),
            IterRepr::Ber {
                reader,
                opts,
                v1,
                anomalies,
                failed,
            } => {
                if *failed || reader.is_empty() {
                    return None;
                }
                let r = decode_one(reader, opts, *v1, anomalies);
                if r.is_err() {
                    *failed = true;
                }
                Some(r)
            }
        }
    }
}

fn decode_one<'a>(
    reader: &mut Reader<'a>,
    opts: &DecodeOptions,
    v1: bool,
    anomalies: &mut Anomalies,
) -> Result<VarBind<'a>, DecodeError> {
    let mut seq = reader.enter(TAG_SEQUENCE, "VarBind SEQUENCE")?;
    let name_tlv = seq.expect(TAG_OID, "VarBind name (OBJECT IDENTIFIER)")?;
    let name = OidRef::from_ber(name_tlv.content, opts.lenient_oids).map_err(|reason| {
        DecodeError::BadOid {
            offset: name_tlv.offset,
            reason,
        }
    })?;
    // Record what leniency let through in the name and the lengths, as values do.
    if name_tlv.content.is_empty()
        || name_tlv.content.contains(&0x80) && OidRef::from_ber(name_tlv.content, false).is_err()
    {
        anomalies.insert(Anomalies::BAD_OID);
    }
    let value_tlv = seq.read_tlv()?;
    if name_tlv.clamped || value_tlv.clamped {
        anomalies.insert(Anomalies::CLAMPED_LENGTH);
    }
    let value = Value::decode(value_tlv, opts, v1, anomalies)?;
    if !seq.is_empty() {
        return Err(DecodeError::TrailingBytes {
            offset: seq.offset(),
            count: seq.remaining().len(),
        });
    }
    Ok(VarBind { name, value })
}
