//! One subtree walk of one target, advanced reply by reply (sans-IO).
//!
//! The rules are [`crate::walk()`]'s (net-snmp's): a walk ends when the agent leaves
//! the subtree, on an exception (endOfMibView, noSuchObject, noSuchInstance), or on an
//! empty reply; an OID that does not increase stops it with
//! [`NetError::NotIncreasing`], because an agent with a broken table would otherwise
//! be walked forever. Unlike `walk`, the cursor keeps values, not exceptions: the
//! bindings inside the subtree are copied, still encoded, into one buffer per walk,
//! so a cycle allocates per walk rather than per value, and the consumer decodes
//! them lazily ([`VarBinds::encoded`]).

use nocwatch_snmp::ber::Writer;
use nocwatch_snmp::{Oid, OidRef, Pdu, VarBinds};

use crate::error::NetError;
use crate::walk::WalkEnd;

/// What the walk does after a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Ask again from the last OID received.
    More,
    /// The walk is over.
    End(WalkEnd),
}

/// The state of one walk.
#[derive(Debug)]
pub(crate) struct Cursor {
    root: Oid,
    root_ber: Option<Vec<u8>>,
    last: Oid,
    values: Vec<u8>,
    count: u64,
}

impl Cursor {
    pub(crate) fn new(root: Oid) -> Self {
        let root_ber = (root.len() >= 2).then(|| root.to_ber());
        Self {
            last: root.clone(),
            root,
            root_ber,
            values: Vec::new(),
            count: 0,
        }
    }

    /// The OID to ask for next.
    pub(crate) fn last(&self) -> &Oid {
        &self.last
    }

    /// The root of the subtree.
    pub(crate) fn root(&self) -> &Oid {
        &self.root
    }

    /// Values collected so far.
    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// Hands the collected values over (encoded VarBindList content).
    pub(crate) fn take_values(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.values)
    }

    fn in_subtree(&self, name: &OidRef<'_>) -> bool {
        match &self.root_ber {
            Some(prefix) => name.starts_with_ber(prefix),
            None => name.is_in_subtree(&self.root),
        }
    }

    /// Consumes the bindings of an error-free Response.
    pub(crate) fn step(&mut self, pdu: &Pdu<'_>) -> Result<Step, NetError> {
        let mut next: Option<OidRef<'_>> = None;
        let mut end = None;
        for vb in pdu.varbinds.iter() {
            let vb = vb?;
            if !self.in_subtree(&vb.name) {
                end = Some(WalkEnd::LeftSubtree);
                continue;
            }
            if vb.value.is_exception() {
                end = Some(WalkEnd::Exception);
                continue;
            }
            let increasing = match next {
                Some(prev) => vb.name > prev,
                None => vb.name.cmp_oid(&self.last).is_gt(),
            };
            if !increasing {
                let previous = next.map_or_else(|| self.last.clone(), |p| p.to_oid());
                return Err(NetError::NotIncreasing {
                    previous: Box::new(previous),
                    got: Box::new(vb.name.to_oid()),
                    more: Vec::new(),
                });
            }
            vb.encode(&mut Writer::new(&mut self.values));
            self.count += 1;
            next = Some(vb.name);
        }
        if let Some(e) = end {
            return Ok(Step::End(e));
        }
        match next {
            Some(n) => {
                self.last = n.to_oid();
                Ok(Step::More)
            }
            None => Ok(Step::End(WalkEnd::Empty)),
        }
    }
}

/// The values a walk collected, decoded on demand.
pub(crate) fn varbinds(encoded: &[u8]) -> VarBinds<'_> {
    VarBinds::encoded(encoded)
}
