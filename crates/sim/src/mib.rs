//! [`Mib`]: the agent's immutable, sorted view of its objects, and its builder.
//!
//! Entries live in one `Vec` sorted by OID (arc order, as SNMP orders names), found
//! by binary search: GET and GETNEXT are O(log n) and a GETBULK repetition after the
//! first is O(1), because the successor of entry `i` is entry `i + 1`. A sorted `Vec`
//! beats a `BTreeMap` here: the view never changes after it is built, it is
//! contiguous (cache-friendly scans for bulk) and index-addressable (SET overlays and
//! bulk cursors are plain `usize`s).
//!
//! Beside the instances, the view records the *objects* (scalars and table columns)
//! they belong to, so a GET of a missing instance can say noSuchInstance ("the
//! object exists, not this instance") or noSuchObject, as net-snmp does.

use nocwatch_snmp::Oid;

use crate::cell::Cell;
use crate::error::SimError;

/// One instance and its content.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The instance OID (object + index).
    pub oid: Oid,
    /// Its value or value law.
    pub cell: Cell,
}

/// An immutable, sorted MIB view. Build one with [`MibBuilder`].
#[derive(Debug, Clone, Default)]
pub struct Mib {
    entries: Vec<Entry>,
    /// Scalar and column OIDs, sorted and deduplicated.
    objects: Vec<Oid>,
    /// `v1_next[i]`: the first index `>= i` whose cell SNMPv1 can carry (not a
    /// Counter64), or `entries.len()`. Lets a v1 GETNEXT skip Counter64 columns in O(1).
    v1_next: Vec<usize>,
    /// Every instance name's BER content, concatenated: responses copy it instead
    /// of encoding arcs (the view is shared by thousands of devices and never
    /// changes, so it is encoded once).
    names_ber: Vec<u8>,
    /// `names_ber[name_at[i]..name_at[i + 1]]` is entry `i`'s name.
    name_at: Vec<usize>,
}

impl Mib {
    /// Number of instances.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the view holds nothing (every GETNEXT is endOfMibView).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The instances, in OID order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry at `index`.
    pub fn get(&self, index: usize) -> Option<&Entry> {
        self.entries.get(index)
    }

    /// The index of the instance named exactly `arcs`.
    pub fn find(&self, arcs: &[u32]) -> Option<usize> {
        self.entries
            .binary_search_by(|e| e.oid.arcs().cmp(arcs))
            .ok()
    }

    /// The index of the first instance strictly after `arcs` (`len()` if none): the
    /// GETNEXT answer.
    pub fn successor(&self, arcs: &[u32]) -> usize {
        self.entries.partition_point(|e| e.oid.arcs() <= arcs)
    }

    /// Entry `index`'s name as BER content (no tag or length).
    pub fn name_ber(&self, index: usize) -> Option<&[u8]> {
        let start = *self.name_at.get(index)?;
        let end = *self.name_at.get(index + 1)?;
        self.names_ber.get(start..end)
    }

    /// The first index `>= index` visible to SNMPv1 (not Counter64), or `len()`.
    pub fn v1_visible_from(&self, index: usize) -> usize {
        self.v1_next
            .get(index)
            .copied()
            .unwrap_or(self.entries.len())
    }

    /// True when `arcs` names an instance of an object (scalar or column) this view
    /// has, whether or not that instance exists: the line between noSuchInstance and
    /// noSuchObject, and between noCreation and notWritable for SET.
    pub fn object_exists(&self, arcs: &[u32]) -> bool {
        // Objects do not nest, so the only candidate prefix is the greatest object
        // that sorts at or before `arcs`.
        let i = self.objects.partition_point(|o| o.arcs() <= arcs);
        i.checked_sub(1)
            .and_then(|i| self.objects.get(i))
            .is_some_and(|o| arcs.starts_with(o.arcs()))
    }
}

/// Collects instances in any order and sorts them into a [`Mib`].
///
/// Errors (an OID that would exceed 128 arcs) are remembered and reported by
/// [`MibBuilder::build`], so a dataset can be written as a plain sequence of calls.
#[derive(Debug, Default)]
pub struct MibBuilder {
    entries: Vec<Entry>,
    objects: Vec<Oid>,
    error: Option<SimError>,
}

impl MibBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the scalar `object` as instance `object.0`.
    pub fn scalar(&mut self, object: &Oid, cell: impl Into<Cell>) -> &mut Self {
        self.column(object, &[0], cell)
    }

    /// Adds instance `column.index` of a table column.
    pub fn column(&mut self, column: &Oid, index: &[u32], cell: impl Into<Cell>) -> &mut Self {
        let mut oid = column.clone();
        for &arc in index {
            if let Err(e) = oid.push(arc) {
                self.error.get_or_insert(SimError::Oid(e));
                return self;
            }
        }
        self.objects.push(column.clone());
        self.entries.push(Entry {
            oid,
            cell: cell.into(),
        });
        self
    }

    /// Adds an instance whose object is taken to be its OID minus the last arc (right
    /// for scalars and single-index tables; use [`MibBuilder::column`] otherwise).
    pub fn insert(&mut self, instance: Oid, cell: impl Into<Cell>) -> &mut Self {
        if let Some((_, parent)) = instance.arcs().split_last()
            && let Ok(object) = Oid::from_arcs(parent)
        {
            self.objects.push(object);
        }
        self.entries.push(Entry {
            oid: instance,
            cell: cell.into(),
        });
        self
    }

    /// Number of instances added so far.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sorts the instances into a view; fails on the first remembered error or on an
    /// instance added twice.
    pub fn build(self) -> Result<Mib, SimError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut entries = self.entries;
        entries.sort_by(|a, b| a.oid.cmp(&b.oid));
        if let Some(pair) = entries.windows(2).find(|w| w[0].oid == w[1].oid) {
            return Err(SimError::DuplicateOid(pair[0].oid.clone()));
        }
        let mut objects = self.objects;
        objects.sort();
        objects.dedup();
        let mut v1_next = vec![entries.len(); entries.len()];
        let mut next = entries.len();
        for (i, e) in entries.iter().enumerate().rev() {
            if !e.cell.is_counter64() {
                next = i;
            }
            v1_next[i] = next;
        }
        let mut names_ber = Vec::with_capacity(entries.len() * 12);
        let mut name_at = Vec::with_capacity(entries.len() + 1);
        for e in &entries {
            name_at.push(names_ber.len());
            e.oid.as_oid_ref().write_ber(&mut names_ber);
        }
        name_at.push(names_ber.len());
        Ok(Mib {
            entries,
            objects,
            v1_next,
            names_ber,
            name_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::OwnedValue;

    fn oid(s: &str) -> Oid {
        s.parse().unwrap()
    }

    fn sample() -> Mib {
        let mut b = MibBuilder::new();
        let descr = oid("1.3.6.1.2.1.2.2.1.2");
        b.scalar(&oid("1.3.6.1.2.1.1.1"), OwnedValue::string("d"));
        b.column(&descr, &[2], OwnedValue::string("eth1"));
        b.column(&descr, &[1], OwnedValue::string("eth0"));
        b.column(
            &oid("1.3.6.1.2.1.31.1.1.1.6"),
            &[1],
            OwnedValue::Counter64(5),
        );
        b.insert(oid("1.3.6.1.2.1.4.1.0"), OwnedValue::Integer(1));
        b.build().unwrap()
    }

    #[test]
    fn sorted_and_searchable() {
        let mib = sample();
        let names: Vec<String> = mib.entries().iter().map(|e| e.oid.to_string()).collect();
        assert_eq!(
            names,
            [
                "1.3.6.1.2.1.1.1.0",
                "1.3.6.1.2.1.2.2.1.2.1",
                "1.3.6.1.2.1.2.2.1.2.2",
                "1.3.6.1.2.1.4.1.0",
                "1.3.6.1.2.1.31.1.1.1.6.1",
            ]
        );
        assert_eq!(mib.find(oid("1.3.6.1.2.1.2.2.1.2.2").arcs()), Some(2));
        assert_eq!(mib.find(oid("1.3.6.1.2.1.2.2.1.2").arcs()), None);
        assert_eq!(mib.successor(oid("1.3.6.1.2.1.2.2.1.2").arcs()), 1);
        assert_eq!(mib.successor(oid("1.3.6.1.2.1.2.2.1.2.1").arcs()), 2);
        assert_eq!(mib.successor(oid("1.3.6.1.2.1.31.1.1.1.6.1").arcs()), 5);
        assert_eq!(mib.successor(oid("0.0").arcs()), 0);
        // The Counter64 is invisible to v1.
        assert_eq!(mib.v1_visible_from(4), 5);
        assert_eq!(mib.v1_visible_from(3), 3);
        assert_eq!(mib.v1_visible_from(99), 5);
    }

    #[test]
    fn objects_decide_instance_versus_object() {
        let mib = sample();
        assert!(mib.object_exists(oid("1.3.6.1.2.1.1.1.5").arcs()));
        assert!(mib.object_exists(oid("1.3.6.1.2.1.1.1.0.5").arcs()));
        assert!(mib.object_exists(oid("1.3.6.1.2.1.2.2.1.2.99").arcs()));
        assert!(mib.object_exists(oid("1.3.6.1.2.1.4.1.7").arcs()));
        assert!(!mib.object_exists(oid("1.3.6.1.2.1.1").arcs()));
        assert!(!mib.object_exists(oid("1.3.6.1.2.1.1.99.0").arcs()));
        assert!(!mib.object_exists(oid("1.3.6.1.2.1.2.2.1.3.1").arcs()));
    }

    #[test]
    fn pre_encoded_names_are_the_oids() {
        let mib = crate::dataset::family_mib(crate::dataset::Family::Junos, 4).unwrap();
        for (i, e) in mib.entries().iter().enumerate() {
            let mut ber = Vec::new();
            e.oid.as_oid_ref().write_ber(&mut ber);
            assert_eq!(mib.name_ber(i), Some(&ber[..]), "{}", e.oid);
        }
        assert_eq!(mib.name_ber(mib.len()), None);
    }

    #[test]
    fn duplicates_and_bad_oids_are_errors() {
        let mut b = MibBuilder::new();
        b.insert(oid("1.3.6.1.1.0"), OwnedValue::Null);
        b.insert(oid("1.3.6.1.1.0"), OwnedValue::Null);
        assert!(matches!(b.build(), Err(SimError::DuplicateOid(_))));

        let mut b = MibBuilder::new();
        b.column(&oid("1.3.6.1"), &[1; 130], OwnedValue::Null);
        assert!(matches!(b.build(), Err(SimError::Oid(_))));
    }
}
