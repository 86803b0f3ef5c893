//! Dense storage for writers that publish a whole matrix at a time (the CSV
//! fabric source: one row per switch, one column per metric, every poll).
//!
//! Per-series storage ([`crate::Series`] behind an `Arc` each) costs one
//! allocation per series per publish and scatters the values over the heap:
//! for 1.1 million series a swap took about a second of CPU and a lookup
//! paid six cache misses. A [`Matrix`] instead keeps one [`Frame`] per
//! publish, a single `Box<[f64]>` of all cells, and the history is the last
//! few frames, shared between snapshots by `Arc`: a publish allocates one
//! frame and clones a handful of pointers, and a lookup is one probe in a
//! flat name table plus one load from the frame.

use std::collections::VecDeque;
use std::fmt;
use std::hash::BuildHasher;
use std::mem::size_of;
use std::sync::Arc;

use crate::error::StoreError;
use crate::sample::Sample;
use crate::snapshot::{MetricId, ResourceId};

/// Bit pattern of a cell without a sample in a frame (a row or column that
/// did not exist when the frame was written). It is a NaN payload no write
/// can store: [`Frame::new`] turns every NaN it is given into `f64::NAN`, so
/// this pattern only ever means "absent".
const ABSENT: u64 = 0x7ff4_0000_0000_0abc;

/// Marks "no row/column" in the id → position tables.
const NONE: u32 = u32::MAX;

/// One publish of the whole matrix: every cell observed at `at`.
pub(crate) struct Frame {
    at: u64,
    values: Box<[f64]>,
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Frame")
            .field("at", &self.at)
            .field("cells", &self.values.len())
            .finish()
    }
}

impl Frame {
    /// A frame of `values` (row-major), NaNs canonicalised so that no value
    /// can be mistaken for [`ABSENT`].
    fn new(at: u64, values: &[f64]) -> Self {
        let values = values
            .iter()
            .map(|v| if v.is_nan() { f64::NAN } else { *v })
            .collect();
        Self { at, values }
    }

    /// The sample of `cell`, if the frame has one.
    pub(crate) fn sample(&self, cell: usize) -> Option<Sample> {
        let v = *self.values.get(cell)?;
        (v.to_bits() != ABSENT).then_some(Sample::new(v, self.at))
    }
}

/// A name → position table: the names in one contiguous arena and an
/// open-addressing table of (hash tag, position), at most half full. A
/// lookup hashes the name, reads one slot (usually one cache line) and
/// compares the name once, where a `HashMap<Arc<str>, u32>` with SipHash
/// also chases a pointer to each candidate key.
pub(crate) struct NameTable {
    arena: String,
    /// End of each name in `arena`; name `i` starts where `i - 1` ends.
    ends: Box<[u32]>,
    /// `(tag << 32) | (position + 1)`, 0 for an empty slot.
    slots: Box<[u64]>,
    mask: usize,
    seed: u64,
}

impl NameTable {
    /// A table of `names`, positions in order.
    ///
    /// # Errors
    ///
    /// [`StoreError::DuplicateName`] when a name appears twice,
    /// [`StoreError::TooManyNames`] beyond what 32-bit offsets hold.
    fn build<'n>(
        names: impl ExactSizeIterator<Item = &'n str>,
        kind: &'static str,
    ) -> Result<Self, StoreError> {
        let n = names.len();
        let too_many = || StoreError::TooManyNames { kind };
        if u32::try_from(n).map_or(true, |n| n == u32::MAX) {
            return Err(too_many());
        }
        let size = (n * 2).next_power_of_two().max(8);
        let mut table = Self {
            arena: String::new(),
            ends: Box::default(),
            slots: vec![0; size].into_boxed_slice(),
            mask: size - 1,
            // A per-table random seed: names come from a producer, and a
            // fixed hash would let one craft names that all collide.
            seed: std::collections::hash_map::RandomState::new().hash_one(0x6e6f_6377_u64),
        };
        let mut ends = Vec::with_capacity(n);
        for (pos, name) in names.enumerate() {
            if table.find(name, &ends).is_some() {
                return Err(StoreError::DuplicateName {
                    kind,
                    name: name.to_owned(),
                });
            }
            table.arena.push_str(name);
            ends.push(u32::try_from(table.arena.len()).map_err(|_| too_many())?);
            let h = table.hash(name);
            let mut i = slot_index(h, table.mask);
            while table.slots.get(i).is_some_and(|s| *s != 0) {
                i = (i + 1) & table.mask;
            }
            if let Some(slot) = table.slots.get_mut(i) {
                // pos < u32::MAX, checked above.
                *slot = (h & 0xffff_ffff_0000_0000) | (pos as u64 + 1);
            }
        }
        table.ends = ends.into_boxed_slice();
        Ok(table)
    }

    fn hash(&self, name: &str) -> u64 {
        hash(self.seed, name.as_bytes())
    }

    fn name_in<'a>(arena: &'a str, ends: &[u32], pos: usize) -> Option<&'a str> {
        let start = match pos.checked_sub(1) {
            Some(p) => *ends.get(p)? as usize,
            None => 0,
        };
        let end = *ends.get(pos)? as usize;
        arena.get(start..end)
    }

    /// Name at `pos`.
    pub(crate) fn name(&self, pos: usize) -> Option<&str> {
        Self::name_in(&self.arena, &self.ends, pos)
    }

    /// Position of `name`.
    pub(crate) fn get(&self, name: &str) -> Option<usize> {
        self.find(name, &self.ends)
    }

    fn find(&self, name: &str, ends: &[u32]) -> Option<usize> {
        let h = self.hash(name);
        let tag = h & 0xffff_ffff_0000_0000;
        let mut i = slot_index(h, self.mask);
        // The table is at most half full, so an empty slot ends every probe.
        loop {
            let slot = *self.slots.get(i)?;
            if slot == 0 {
                return None;
            }
            if slot & 0xffff_ffff_0000_0000 == tag {
                let pos = (slot & 0xffff_ffff) as usize - 1;
                if Self::name_in(&self.arena, ends, pos) == Some(name) {
                    return Some(pos);
                }
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Number of names.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the names are exactly `names`, in order.
    fn same<'n>(&self, mut names: impl ExactSizeIterator<Item = &'n str>) -> bool {
        names.len() == self.len() && (0..self.len()).all(|i| self.name(i) == names.next())
    }

    fn bytes(&self) -> usize {
        self.arena.capacity() + self.ends.len() * size_of::<u32>() + self.slots.len() * 8
    }
}

fn slot_index(h: u64, mask: usize) -> usize {
    // Truncation is the point: the low bits pick the slot.
    #[allow(clippy::cast_possible_truncation)]
    let low = h as usize;
    low & mask
}

/// A fast seeded hash for short names (switch ids, metric names): 8 bytes
/// per multiply, then a murmur3 finaliser.
fn hash(seed: u64, bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = seed ^ (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(b)).wrapping_mul(K).rotate_left(29);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut b = [0u8; 8];
        if let Some(dst) = b.get_mut(..rest.len()) {
            dst.copy_from_slice(rest);
        }
        h = (h ^ u64::from_le_bytes(b)).wrapping_mul(K).rotate_left(29);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Rows and columns of a matrix: names, interned ids and the tables that
/// map either to a position. Shared between snapshots for as long as the
/// producer sends the same rows and columns in the same order.
pub(crate) struct Layout {
    rows: NameTable,
    cols: NameTable,
    resources: Box<[ResourceId]>,
    metrics: Box<[MetricId]>,
    /// Row of each resource id (`NONE` when not a row).
    row_of: Box<[u32]>,
    /// Column of each metric id (`NONE` when not a column).
    col_of: Box<[u32]>,
}

impl Layout {
    /// A layout of `resources` × `metrics` whose names were interned as
    /// `resource_ids` and `metric_ids`.
    pub(crate) fn build(
        resources: &[&str],
        metrics: &[&str],
        resource_ids: Vec<ResourceId>,
        metric_ids: Vec<MetricId>,
    ) -> Result<Self, StoreError> {
        let rows = NameTable::build(resources.iter().copied(), "resource")?;
        let cols = NameTable::build(metrics.iter().copied(), "metric")?;
        Ok(Self {
            row_of: positions(resource_ids.iter().map(|r| r.0)),
            col_of: positions(metric_ids.iter().map(|m| m.0)),
            rows,
            cols,
            resources: resource_ids.into_boxed_slice(),
            metrics: metric_ids.into_boxed_slice(),
        })
    }

    /// Whether this layout has exactly these rows and columns, in order.
    pub(crate) fn same(&self, resources: &[&str], metrics: &[&str]) -> bool {
        self.cols.same(metrics.iter().copied()) && self.rows.same(resources.iter().copied())
    }

    pub(crate) fn rows(&self) -> usize {
        self.resources.len()
    }

    pub(crate) fn cols(&self) -> usize {
        self.metrics.len()
    }

    pub(crate) fn row_by_name(&self, name: &str) -> Option<usize> {
        self.rows.get(name)
    }

    pub(crate) fn col_by_name(&self, name: &str) -> Option<usize> {
        self.cols.get(name)
    }

    pub(crate) fn row_of(&self, r: ResourceId) -> Option<usize> {
        let p = *self.row_of.get(r.0 as usize)?;
        (p != NONE).then_some(p as usize)
    }

    pub(crate) fn col_of(&self, m: MetricId) -> Option<usize> {
        let p = *self.col_of.get(m.0 as usize)?;
        (p != NONE).then_some(p as usize)
    }

    /// Resource and metric ids of `cell`.
    pub(crate) fn ids(&self, cell: usize) -> Option<(ResourceId, MetricId)> {
        let cols = self.cols();
        let r = *self.resources.get(cell.checked_div(cols)?)?;
        let m = *self.metrics.get(cell % cols)?;
        Some((r, m))
    }

    pub(crate) fn resource_ids(&self) -> &[ResourceId] {
        &self.resources
    }

    pub(crate) fn metric_ids(&self) -> &[MetricId] {
        &self.metrics
    }

    fn bytes(&self) -> usize {
        self.rows.bytes()
            + self.cols.bytes()
            + (self.resources.len() + self.metrics.len() + self.row_of.len() + self.col_of.len())
                * size_of::<u32>()
    }
}

/// `table[id] = position` for ids in position order, `NONE` elsewhere.
fn positions(ids: impl Iterator<Item = u32> + Clone) -> Box<[u32]> {
    let len = ids.clone().max().map_or(0, |m| m as usize + 1);
    let mut table = vec![NONE; len];
    for (pos, id) in ids.enumerate() {
        if let Some(t) = table.get_mut(id as usize) {
            // Positions fit: NameTable::build refused more than u32::MAX - 1.
            *t = u32::try_from(pos).unwrap_or(NONE);
        }
    }
    table.into_boxed_slice()
}

/// A matrix: its layout and its frames, oldest first, the last being the
/// latest publish. At most history capacity + 1 frames.
pub(crate) struct Matrix {
    layout: Arc<Layout>,
    frames: VecDeque<Arc<Frame>>,
}

impl Matrix {
    /// The next matrix after publishing `values` at `at` on `layout`, from
    /// `prev` (the current matrix, if any), keeping `capacity` older frames.
    /// Frames of a previous layout are rewritten cell by cell onto the new
    /// one (rows or columns new to the layout have no sample in them); with
    /// the same layout they are shared.
    pub(crate) fn next(
        prev: Option<&Self>,
        layout: Arc<Layout>,
        values: &[f64],
        at: u64,
        capacity: usize,
    ) -> Self {
        let mut frames = match prev {
            Some(p) if Arc::ptr_eq(&p.layout, &layout) => p.frames.clone(),
            Some(p) if capacity > 0 => p.remap(&layout),
            _ => VecDeque::new(),
        };
        while frames.len() > capacity {
            frames.pop_front();
        }
        frames.push_back(Arc::new(Frame::new(at, values)));
        Self { layout, frames }
    }

    /// This matrix's frames rewritten onto `layout`.
    fn remap(&self, layout: &Layout) -> VecDeque<Arc<Frame>> {
        let old = &self.layout;
        let rows: Vec<Option<usize>> = layout
            .resource_ids()
            .iter()
            .map(|r| old.row_of(*r))
            .collect();
        let cols: Vec<Option<usize>> = layout.metric_ids().iter().map(|m| old.col_of(*m)).collect();
        let absent = f64::from_bits(ABSENT);
        self.frames
            .iter()
            .map(|f| {
                let mut values = vec![absent; layout.rows() * layout.cols()];
                for (new_row, old_row) in rows.iter().enumerate() {
                    let Some(old_row) = old_row else { continue };
                    for (new_col, old_col) in cols.iter().enumerate() {
                        let Some(old_col) = old_col else { continue };
                        let from = old_row * old.cols() + old_col;
                        let to = new_row * layout.cols() + new_col;
                        if let (Some(v), Some(dst)) = (f.values.get(from), values.get_mut(to)) {
                            *dst = *v;
                        }
                    }
                }
                Arc::new(Frame {
                    at: f.at,
                    values: values.into_boxed_slice(),
                })
            })
            .collect()
    }

    pub(crate) fn layout(&self) -> &Layout {
        &self.layout
    }

    pub(crate) fn layout_arc(&self) -> &Arc<Layout> {
        &self.layout
    }

    /// Number of cells.
    pub(crate) fn cells(&self) -> usize {
        self.layout.rows() * self.layout.cols()
    }

    /// The cell of (`row`, `col`).
    pub(crate) fn cell(&self, row: usize, col: usize) -> Option<usize> {
        (row < self.layout.rows() && col < self.layout.cols())
            .then(|| row * self.layout.cols() + col)
    }

    /// The latest sample of `cell`.
    pub(crate) fn latest(&self, cell: usize) -> Option<Sample> {
        self.frames.back()?.sample(cell)
    }

    /// The frames before the latest one, oldest first.
    pub(crate) fn older_frames(&self) -> std::collections::vec_deque::Iter<'_, Arc<Frame>> {
        self.frames.range(..self.frames.len().saturating_sub(1))
    }

    /// Bytes of the latest frame and of the older ones, and of the layout.
    pub(crate) fn bytes(&self) -> (usize, usize, usize) {
        let frame = self.cells() * size_of::<f64>() + size_of::<Frame>() + 2 * size_of::<usize>();
        let older = frame * self.frames.len().saturating_sub(1);
        (frame, older, self.layout.bytes())
    }
}

impl fmt::Debug for Matrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Matrix")
            .field("rows", &self.layout.rows())
            .field("cols", &self.layout.cols())
            .field("frames", &self.frames.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_table_finds_every_name_and_refuses_duplicates() {
        let names: Vec<String> = (0..10_000).map(|i| format!("SW-{i:05}")).collect();
        let t = NameTable::build(names.iter().map(String::as_str), "resource").unwrap();
        for (i, n) in names.iter().enumerate() {
            assert_eq!(t.get(n), Some(i));
            assert_eq!(t.name(i), Some(n.as_str()));
        }
        assert_eq!(t.get("SW-10000"), None);
        assert_eq!(t.get(""), None);
        let dup = NameTable::build(["a", "b", "a"].into_iter(), "metric");
        assert!(
            matches!(dup, Err(StoreError::DuplicateName { kind: "metric", ref name }) if name == "a")
        );
        let empty = NameTable::build(std::iter::empty(), "resource").unwrap();
        assert_eq!(empty.get("x"), None);
    }

    #[test]
    fn nan_is_stored_but_never_absent() {
        let sentinel = f64::from_bits(ABSENT);
        let f = Frame::new(5, &[1.0, f64::NAN, sentinel]);
        assert_eq!(f.sample(0), Some(Sample::new(1.0, 5)));
        assert!(f.sample(1).is_some_and(|s| s.value.is_nan()));
        assert!(f.sample(2).is_some_and(|s| s.value.is_nan()));
        assert_eq!(f.sample(3), None);
    }
}
