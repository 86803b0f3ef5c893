//! The read operations: GET, GETNEXT and GETBULK over a [`Mib`] at one instant.
//!
//! Each returns an [`Answer`]; the agent turns it into bytes. The rules follow RFC
//! 3416 §4.2.1–4.2.3 for v2c and RFC 1157 §4.1.2–4.1.3 for v1, with net-snmp's
//! choices where the RFCs leave room: Counter64 instances are invisible to v1 (GET
//! answers noSuchName, GETNEXT skips them, RFC 3584 §4.2.2.1), and GETBULK keeps the
//! first repetition in which every column is endOfMibView and stops there.

use std::collections::HashMap;
use std::sync::RwLockReadGuard;
use std::time::Duration;

use nocwatch_snmp::{ErrorStatus, OidRef, Value, VarBind};

use crate::cell::Device;
use crate::life::Timeline;
use crate::mib::{Entry, Mib};
use crate::response::{Envelope, ResponseBuilder};
use crate::value::OwnedValue;

/// What an operation decided to answer.
#[derive(Debug)]
pub(crate) enum Answer<'a> {
    /// noError with these bindings.
    Bindings(ResponseBuilder<'a>),
    /// The request's own bindings with this error-status and error-index (also a
    /// successful SET, with noError).
    Echo { status: ErrorStatus, index: i32 },
    /// The response would exceed the size limit.
    TooBig,
}

/// A read-only view of the agent at `now`.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    pub mib: &'a Mib,
    pub now: Duration,
    pub v1: bool,
    /// Values written by SET, when there are any.
    pub overrides: Option<RwLockReadGuard<'a, HashMap<usize, OwnedValue>>>,
    /// The answering device (slot values, counter seed).
    pub device: &'a Device,
    /// The non-increasing quirk: when the successor is this entry, answer the entry
    /// before it instead (a name not after the one asked for).
    pub non_increasing: Option<usize>,
    /// The device's life (flaps, restarts), when it has one.
    pub life: Option<arc_swap::Guard<std::sync::Arc<Timeline>>>,
}

/// A GETBULK repeater's position: the next entry to return, and the name to repeat
/// with endOfMibView once the view is exhausted.
struct Cursor<'n> {
    next: usize,
    name: OidRef<'n>,
}

fn one_based(i: usize) -> i32 {
    i32::try_from(i + 1).unwrap_or(i32::MAX)
}

impl Reader<'_> {
    /// The value of entry `idx` now: a SET's value if there is one, else the cell's.
    fn value<'s>(&'s self, idx: usize, entry: &'s Entry) -> Value<'s> {
        if let Some(v) = self.overrides.as_ref().and_then(|o| o.get(&idx)) {
            return v.as_value();
        }
        let life = self.life.as_ref().map(|g| &***g);
        entry.cell.value_live(self.now, self.device, life)
    }

    /// Adds entry `idx` with its value now, its name copied pre-encoded.
    fn push_entry(&self, builder: &mut ResponseBuilder<'_>, idx: usize, entry: &Entry) -> bool {
        let value = self.value(idx, entry);
        match self.mib.name_ber(idx) {
            Some(name) => builder.try_push_named(name, &value),
            None => builder.try_push(&VarBind {
                name: entry.oid.as_oid_ref(),
                value,
            }),
        }
    }

    /// `idx`, or in v1 the first index from `idx` on that v1 can carry; with the
    /// non-increasing quirk, the entry before the configured one in its place.
    fn visible_from(&self, idx: usize) -> usize {
        let idx = if self.v1 {
            self.mib.v1_visible_from(idx)
        } else {
            idx
        };
        match self.non_increasing {
            Some(k) if k == idx && k > 0 => k - 1,
            _ => idx,
        }
    }

    /// The entry named exactly `arcs`, if this request may see it.
    fn lookup(&self, arcs: &[u32]) -> Option<(usize, &Entry)> {
        let idx = self.mib.find(arcs)?;
        let entry = self.mib.get(idx)?;
        (!(self.v1 && entry.cell.is_counter64())).then_some((idx, entry))
    }

    /// GET: each binding's value, or an exception (v2c) / noSuchName (v1).
    pub fn get<'e>(&self, envelope: Envelope<'e>, max: usize, vbs: &[VarBind<'_>]) -> Answer<'e> {
        let mut builder = ResponseBuilder::new(envelope, max);
        let mut too_big = false;
        for (i, vb) in vbs.iter().enumerate() {
            let name = vb.name.to_oid();
            let value = match self.lookup(name.arcs()) {
                Some((idx, entry)) => self.value(idx, entry),
                None if self.v1 => {
                    return Answer::Echo {
                        status: ErrorStatus::NoSuchName,
                        index: one_based(i),
                    };
                }
                None if self.mib.object_exists(name.arcs()) => Value::NoSuchInstance,
                None => Value::NoSuchObject,
            };
            // Past the limit, keep going only to find a v1 noSuchName, which takes
            // precedence over tooBig.
            too_big = too_big
                || !builder.try_push(&VarBind {
                    name: vb.name,
                    value,
                });
        }
        if too_big {
            Answer::TooBig
        } else {
            Answer::Bindings(builder)
        }
    }

    /// GETNEXT: each binding's successor, or endOfMibView (v2c) / noSuchName (v1).
    pub fn get_next<'e>(
        &self,
        envelope: Envelope<'e>,
        max: usize,
        vbs: &[VarBind<'_>],
    ) -> Answer<'e> {
        let mut builder = ResponseBuilder::new(envelope, max);
        let mut too_big = false;
        for (i, vb) in vbs.iter().enumerate() {
            let idx = self.visible_from(self.mib.successor(vb.name.to_oid().arcs()));
            let pushed = match self.mib.get(idx) {
                Some(entry) => self.push_entry(&mut builder, idx, entry),
                None if self.v1 => {
                    return Answer::Echo {
                        status: ErrorStatus::NoSuchName,
                        index: one_based(i),
                    };
                }
                None => builder.try_push(&VarBind {
                    name: vb.name,
                    value: Value::EndOfMibView,
                }),
            };
            too_big = too_big || !pushed;
        }
        if too_big {
            Answer::TooBig
        } else {
            Answer::Bindings(builder)
        }
    }

    /// GETBULK (RFC 3416 §4.2.3): one successor for each of the first
    /// `non_repeaters` bindings, then up to `max_repetitions` rows of successors of
    /// the rest. Rows are cut where the message would exceed `max` (tooBig only when
    /// not even the non-repeaters fit), and the rows end after the first one in which
    /// every column is endOfMibView.
    pub fn get_bulk<'e>(
        &self,
        envelope: Envelope<'e>,
        max: usize,
        non_repeaters: i32,
        max_repetitions: i32,
        vbs: &[VarBind<'_>],
    ) -> Answer<'e> {
        let n = usize::try_from(non_repeaters).unwrap_or(0).min(vbs.len());
        let m = usize::try_from(max_repetitions).unwrap_or(0);
        let (singles, repeaters) = vbs.split_at(n);
        let mut builder = ResponseBuilder::new(envelope, max);
        for vb in singles {
            let idx = self.visible_from(self.mib.successor(vb.name.to_oid().arcs()));
            let pushed = match self.mib.get(idx) {
                Some(entry) => self.push_entry(&mut builder, idx, entry),
                None => builder.try_push(&VarBind {
                    name: vb.name,
                    value: Value::EndOfMibView,
                }),
            };
            if !pushed {
                return Answer::TooBig;
            }
        }
        if repeaters.is_empty() {
            return Answer::Bindings(builder);
        }
        let mut cursors: Vec<Cursor<'_>> = repeaters
            .iter()
            .map(|vb| Cursor {
                next: self.visible_from(self.mib.successor(vb.name.to_oid().arcs())),
                name: vb.name,
            })
            .collect();
        'rows: for _ in 0..m {
            let mut all_end = true;
            for cursor in &mut cursors {
                let pushed = match self.mib.get(cursor.next) {
                    Some(entry) => {
                        all_end = false;
                        let pushed = self.push_entry(&mut builder, cursor.next, entry);
                        cursor.name = entry.oid.as_oid_ref();
                        cursor.next = self.visible_from(cursor.next + 1);
                        pushed
                    }
                    None => builder.try_push(&VarBind {
                        name: cursor.name,
                        value: Value::EndOfMibView,
                    }),
                };
                if !pushed {
                    break 'rows;
                }
            }
            if all_end {
                break;
            }
        }
        Answer::Bindings(builder)
    }
}
