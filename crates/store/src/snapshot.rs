//! The immutable snapshot readers see, and the builder writers use to make
//! the next one.

use std::collections::HashMap;
use std::mem::size_of;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::batch::Update;
use crate::error::StoreError;
use crate::matrix::{Frame, Layout, Matrix};
use crate::owners::{Owners, SourceState};
use crate::sample::Sample;

/// Interned resource name; stable for the lifetime of a [`crate::Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceId(pub u32);

/// Interned metric name; stable for the lifetime of a [`crate::Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricId(pub u32);

/// Dense index of a series in one [`Snapshot`]; only meaningful within that
/// snapshot (a [`crate::Store::replace`] that drops series renumbers them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesId(pub u32);

/// A series as the store keeps it when written per series ([`crate::Store::publish`]):
/// its latest sample and a bounded history of the samples before it, oldest
/// first.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stored {
    resource: ResourceId,
    metric: MetricId,
    latest: Sample,
    /// Previous samples, oldest first, at most the snapshot's history
    /// capacity. Every update builds a new `Stored` (the old one may still be
    /// read through an older snapshot), so the copy is written in
    /// chronological order and no wrap-around index is needed: this is a
    /// ring in behaviour (oldest dropped at capacity), linear in layout.
    history: Box<[Sample]>,
}

impl Stored {
    fn first(resource: ResourceId, metric: MetricId, latest: Sample) -> Self {
        Self {
            resource,
            metric,
            latest,
            history: Box::default(),
        }
    }

    /// This series after observing `sample`: the current latest sample moves
    /// into the history, dropping the oldest one at `capacity`.
    fn advanced(&self, sample: Sample, capacity: usize) -> Self {
        let history = if capacity == 0 {
            Box::default()
        } else {
            let keep = self.history.len().min(capacity - 1);
            let old = self
                .history
                .get(self.history.len() - keep..)
                .unwrap_or_default();
            let mut h = Vec::with_capacity(keep + 1);
            h.extend_from_slice(old);
            h.push(self.latest);
            h.into_boxed_slice()
        };
        Self {
            resource: self.resource,
            metric: self.metric,
            latest: sample,
            history,
        }
    }
}

/// Where a series' samples live.
#[derive(Debug, Clone, Copy)]
enum Place<'a> {
    /// Its own value ([`crate::Store::publish`]).
    Own(&'a Stored),
    /// A cell of the matrix ([`crate::Store::replace_matrix`]).
    Cell(&'a Matrix, usize),
}

/// One series of a [`Snapshot`]: its latest sample and a bounded history of
/// the samples before it, oldest first. A cheap view (two words and a
/// pointer) borrowed from the snapshot, whichever way the series is stored.
#[derive(Debug, Clone, Copy)]
pub struct Series<'a> {
    resource: ResourceId,
    metric: MetricId,
    latest: Sample,
    place: Place<'a>,
}

impl<'a> Series<'a> {
    fn own(s: &'a Stored) -> Self {
        Self {
            resource: s.resource,
            metric: s.metric,
            latest: s.latest,
            place: Place::Own(s),
        }
    }

    fn cell(m: &'a Matrix, cell: usize) -> Option<Self> {
        let (resource, metric) = m.layout().ids(cell)?;
        Some(Self {
            resource,
            metric,
            latest: m.latest(cell)?,
            place: Place::Cell(m, cell),
        })
    }

    /// The resource this series belongs to.
    #[must_use]
    pub fn resource(&self) -> ResourceId {
        self.resource
    }

    /// The metric this series measures.
    #[must_use]
    pub fn metric(&self) -> MetricId {
        self.metric
    }

    /// The most recent sample.
    #[must_use]
    pub fn latest(&self) -> Sample {
        self.latest
    }

    /// Samples before the latest one, oldest first (at most the history
    /// capacity).
    #[must_use]
    pub fn history(&self) -> History<'a> {
        History {
            inner: match self.place {
                Place::Own(s) => HistoryInner::Own(s.history.iter()),
                Place::Cell(m, cell) => HistoryInner::Frames(m.older_frames(), cell),
            },
        }
    }

    /// History followed by the latest sample: everything known, oldest first.
    pub fn samples(&self) -> impl DoubleEndedIterator<Item = Sample> + 'a {
        self.history().chain(std::iter::once(self.latest))
    }

    /// Change per second between the previous and the latest sample, or
    /// `None` without a previous sample or when the two share a timestamp
    /// (or go back in time).
    #[must_use]
    pub fn rate_per_sec(&self) -> Option<f64> {
        let prev = self.history().next_back()?;
        let dt = self.latest.at.checked_sub(prev.at).filter(|&d| d > 0)?;
        #[allow(clippy::cast_precision_loss)] // nanoseconds → seconds as f64
        let secs = dt as f64 / 1e9;
        Some((self.latest.value - prev.value) / secs)
    }
}

impl PartialEq for Series<'_> {
    /// Same resource, metric and samples, however stored.
    fn eq(&self, other: &Self) -> bool {
        self.resource == other.resource
            && self.metric == other.metric
            && self.samples().eq(other.samples())
    }
}

/// The history of a [`Series`], oldest first (see [`Series::history`]).
#[derive(Debug, Clone)]
pub struct History<'a> {
    inner: HistoryInner<'a>,
}

#[derive(Debug, Clone)]
enum HistoryInner<'a> {
    Own(std::slice::Iter<'a, Sample>),
    /// The matrix's older frames; a frame written before the cell's row or
    /// column existed has no sample for it and is skipped.
    Frames(std::collections::vec_deque::Iter<'a, Arc<Frame>>, usize),
}

impl History<'_> {
    /// Number of samples left.
    #[must_use]
    pub fn len(&self) -> usize {
        match &self.inner {
            HistoryInner::Own(it) => it.len(),
            HistoryInner::Frames(..) => self.clone().count(),
        }
    }

    /// Whether no sample is left.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Iterator for History<'_> {
    type Item = Sample;

    fn next(&mut self) -> Option<Sample> {
        match &mut self.inner {
            HistoryInner::Own(it) => it.next().copied(),
            HistoryInner::Frames(frames, cell) => frames.find_map(|f| f.sample(*cell)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.inner {
            HistoryInner::Own(it) => it.size_hint(),
            HistoryInner::Frames(frames, _) => (0, Some(frames.len())),
        }
    }
}

impl DoubleEndedIterator for History<'_> {
    fn next_back(&mut self) -> Option<Sample> {
        match &mut self.inner {
            HistoryInner::Own(it) => it.next_back().copied(),
            HistoryInner::Frames(frames, cell) => {
                frames.by_ref().rev().find_map(|f| f.sample(*cell))
            }
        }
    }
}

/// Append-only name ⇄ id table.
#[derive(Debug, Clone, Default)]
struct Interner {
    names: Vec<Arc<str>>,
    ids: HashMap<Arc<str>, u32>,
}

impl Interner {
    fn get(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    fn name(&self, id: u32) -> Option<&str> {
        self.names.get(usize::try_from(id).ok()?).map(|n| &**n)
    }

    fn intern(&mut self, name: &Arc<str>, kind: &'static str) -> Result<u32, StoreError> {
        if let Some(id) = self.get(name) {
            return Ok(id);
        }
        let id = u32::try_from(self.names.len()).map_err(|_| StoreError::TooManyNames { kind })?;
        self.names.push(Arc::clone(name));
        self.ids.insert(Arc::clone(name), id);
        Ok(id)
    }

    fn approx_bytes(&self) -> usize {
        let strings: usize = self
            .names
            .iter()
            // Arc<str> heap block: strong + weak counts, then the bytes.
            .map(|n| n.len() + 2 * size_of::<usize>())
            .sum();
        self.names.capacity() * size_of::<Arc<str>>()
            + strings
            + hash_table_bytes::<Arc<str>, u32>(self.ids.capacity())
    }
}

/// Approximate heap bytes of a `HashMap<K, V>` with `capacity` usable slots
/// (hashbrown: one control byte per bucket, buckets ≈ capacity × 8/7).
fn hash_table_bytes<K, V>(capacity: usize) -> usize {
    let buckets = capacity * 8 / 7;
    buckets * (size_of::<(K, V)>() + 1)
}

/// Names and the (resource, metric) → series map. Shared between snapshots
/// until a publish adds a name or a series, or a replace drops series.
#[derive(Debug, Clone, Default)]
struct Index {
    resources: Interner,
    metrics: Interner,
    series: HashMap<(ResourceId, MetricId), SeriesId>,
    /// Live series per resource id (names outlive their series).
    resource_live: Vec<u32>,
    /// Live series per metric id.
    metric_live: Vec<u32>,
}

impl Index {
    fn add_live(&mut self, r: ResourceId, m: MetricId) {
        bump(&mut self.resource_live, r.0);
        bump(&mut self.metric_live, m.0);
    }
}

fn bump(counts: &mut Vec<u32>, id: u32) {
    let Ok(i) = usize::try_from(id) else { return };
    if counts.len() <= i {
        counts.resize(i + 1, 0);
    }
    if let Some(c) = counts.get_mut(i) {
        *c = c.saturating_add(1);
    }
}

/// Names of `interner` whose id `live` says has a series, in first-seen order.
fn live_names<'a>(
    interner: &'a Interner,
    live: impl Fn(u32) -> bool + 'a,
) -> impl Iterator<Item = &'a str> + 'a {
    (0u32..)
        .zip(&interner.names)
        .filter(move |(id, _)| live(*id))
        .map(|(_, name)| &**name)
}

fn count_at(counts: &[u32], id: u32) -> u32 {
    usize::try_from(id)
        .ok()
        .and_then(|i| counts.get(i))
        .copied()
        .unwrap_or(0)
}

/// An immutable view of the whole store at one publish. Cheap to hold: it
/// shares series, frames and names with neighbouring snapshots.
///
/// Series live in one of two places: their own value (written by
/// [`crate::Store::publish`] and [`crate::Store::replace`]), or a cell of the
/// matrix (written by [`crate::Store::replace_matrix`]). A resource that is a
/// row of the matrix has all its series there: a per-series write to such a
/// resource first moves the matrix's cells into per-series storage.
#[derive(Debug, Clone)]
pub struct Snapshot {
    generation: u64,
    published_at: SystemTime,
    history_capacity: usize,
    index: Arc<Index>,
    series: Vec<Arc<Stored>>,
    matrix: Option<Arc<Matrix>>,
    owners: Owners,
}

impl Snapshot {
    /// The empty generation-0 snapshot.
    pub(crate) fn empty(history_capacity: usize, now: SystemTime) -> Self {
        Self {
            generation: 0,
            published_at: now,
            history_capacity,
            index: Arc::default(),
            series: Vec::new(),
            matrix: None,
            owners: Owners::default(),
        }
    }

    /// Publish counter: 0 for the empty initial snapshot, +1 per publish.
    #[must_use]
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// When this snapshot was installed (or the store created, generation 0).
    #[must_use]
    pub fn published_at(&self) -> SystemTime {
        self.published_at
    }

    /// Time between the publish and `now`: the staleness bound of anything
    /// read from this snapshot. Zero if `now` is before the publish.
    #[must_use]
    pub fn age(&self, now: SystemTime) -> Duration {
        now.duration_since(self.published_at).unwrap_or_default()
    }

    /// Every source that has written this store, with its last publish time, in
    /// the order they first wrote. Writes that name no source are not listed.
    #[must_use]
    pub fn sources(&self) -> &[SourceState] {
        self.owners.sources()
    }

    /// The state of source `name`, if it has written this store.
    #[must_use]
    pub fn source(&self, name: &str) -> Option<&SourceState> {
        self.owners.sources().iter().find(|s| &*s.name == name)
    }

    /// The name of the source that owns `resource`, if a source wrote it.
    #[must_use]
    pub fn owner(&self, resource: &str) -> Option<&str> {
        let rid = self.resource_id(resource)?;
        self.owners.owner(rid.0).map(|o| self.owners.name(o))
    }

    /// History capacity (previous samples kept per series).
    #[must_use]
    pub fn history_capacity(&self) -> usize {
        self.history_capacity
    }

    fn matrix_cells(&self) -> usize {
        self.matrix.as_ref().map_or(0, |m| m.cells())
    }

    /// Number of series.
    #[must_use]
    pub fn len(&self) -> usize {
        self.series.len() + self.matrix_cells()
    }

    /// Whether there is no series.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The series (`resource`, `metric`) by name. Takes no lock. For a matrix
    /// row this is one probe in the row table, one in the column table and
    /// one load from the latest frame; otherwise three hash lookups.
    #[must_use]
    pub fn get(&self, resource: &str, metric: &str) -> Option<Series<'_>> {
        if let Some(m) = &self.matrix
            && let Some(row) = m.layout().row_by_name(resource)
        {
            // The matrix owns every series of its rows.
            let col = m.layout().col_by_name(metric)?;
            return Series::cell(m, m.cell(row, col)?);
        }
        self.get_by_id(self.resource_id(resource)?, self.metric_id(metric)?)
    }

    /// The latest sample of (`resource`, `metric`).
    #[must_use]
    pub fn latest(&self, resource: &str, metric: &str) -> Option<Sample> {
        self.get(resource, metric).map(|s| s.latest())
    }

    /// The series for an id pair.
    #[must_use]
    pub fn get_by_id(&self, resource: ResourceId, metric: MetricId) -> Option<Series<'_>> {
        let id = self.series_id(resource, metric)?;
        self.series_at(id)
    }

    /// The dense id of the series for an id pair, valid in this snapshot:
    /// per-series storage first, then the matrix's cells, row by row.
    #[must_use]
    pub fn series_id(&self, resource: ResourceId, metric: MetricId) -> Option<SeriesId> {
        if let Some(m) = &self.matrix
            && let Some(row) = m.layout().row_of(resource)
        {
            let cell = m.cell(row, m.layout().col_of(metric)?)?;
            return u32::try_from(self.series.len() + cell).ok().map(SeriesId);
        }
        self.index.series.get(&(resource, metric)).copied()
    }

    /// The series at a dense id of this snapshot.
    #[must_use]
    pub fn series_at(&self, id: SeriesId) -> Option<Series<'_>> {
        let i = usize::try_from(id.0).ok()?;
        match self.series.get(i) {
            Some(s) => Some(Series::own(s)),
            None => Series::cell(self.matrix.as_deref()?, i - self.series.len()),
        }
    }

    /// All series, in series-id order.
    pub fn series(&self) -> impl Iterator<Item = Series<'_>> + '_ {
        let own = self.series.iter().map(|s| Series::own(s));
        let cells = self
            .matrix
            .as_deref()
            .into_iter()
            .flat_map(|m| (0..m.cells()).filter_map(move |c| Series::cell(m, c)));
        own.chain(cells)
    }

    /// Id of a resource name, if it was ever interned.
    #[must_use]
    pub fn resource_id(&self, name: &str) -> Option<ResourceId> {
        self.index.resources.get(name).map(ResourceId)
    }

    /// Id of a metric name, if it was ever interned.
    #[must_use]
    pub fn metric_id(&self, name: &str) -> Option<MetricId> {
        self.index.metrics.get(name).map(MetricId)
    }

    /// Name of a resource id.
    #[must_use]
    pub fn resource_name(&self, id: ResourceId) -> Option<&str> {
        self.index.resources.name(id.0)
    }

    /// Name of a metric id.
    #[must_use]
    pub fn metric_name(&self, id: MetricId) -> Option<&str> {
        self.index.metrics.name(id.0)
    }

    fn layout(&self) -> Option<&Layout> {
        self.matrix.as_deref().map(Matrix::layout)
    }

    /// Whether `name` has at least one series in this snapshot (a name that
    /// was interned once but lost its series in a replace does not count).
    #[must_use]
    pub fn has_resource(&self, name: &str) -> bool {
        self.layout().is_some_and(|l| l.row_by_name(name).is_some())
            || self
                .index
                .resources
                .get(name)
                .is_some_and(|id| count_at(&self.index.resource_live, id) > 0)
    }

    /// Whether metric `name` has at least one series in this snapshot.
    #[must_use]
    pub fn has_metric(&self, name: &str) -> bool {
        self.layout().is_some_and(|l| l.col_by_name(name).is_some())
            || self
                .index
                .metrics
                .get(name)
                .is_some_and(|id| count_at(&self.index.metric_live, id) > 0)
    }

    /// Names of the resources with at least one series, in first-seen order.
    pub fn resources(&self) -> impl Iterator<Item = &str> + '_ {
        let layout = self.layout();
        let live = &self.index.resource_live;
        live_names(&self.index.resources, move |id| {
            count_at(live, id) > 0 || layout.is_some_and(|l| l.row_of(ResourceId(id)).is_some())
        })
    }

    /// Names of the metrics with at least one series, in first-seen order.
    pub fn metrics(&self) -> impl Iterator<Item = &str> + '_ {
        let layout = self.layout();
        let live = &self.index.metric_live;
        live_names(&self.index.metrics, move |id| {
            count_at(live, id) > 0 || layout.is_some_and(|l| l.col_of(MetricId(id)).is_some())
        })
    }

    /// Approximate heap and inline bytes held by this snapshot, computed from
    /// type sizes and capacities (allocator overhead not included). Memory
    /// shared with other snapshots is counted in full.
    #[must_use]
    pub fn memory_estimate(&self) -> MemoryEstimate {
        let arc_header = 2 * size_of::<usize>();
        let idx = &self.index;
        let (frame, older, layout) = self.matrix.as_ref().map_or((0, 0, 0), |m| m.bytes());
        let own_history: usize = self
            .series
            .iter()
            .map(|s| s.history.len() * size_of::<Sample>())
            .sum();
        let cap = self.history_capacity;
        MemoryEstimate {
            series: self.len(),
            history_capacity: cap,
            series_bytes: self.series.capacity() * size_of::<Arc<Stored>>()
                + self.series.len() * (size_of::<Stored>() + arc_header)
                + frame,
            history_bytes: own_history + older,
            full_history_bytes: self.series.len() * cap * size_of::<Sample>() + frame * cap,
            name_bytes: idx.resources.approx_bytes() + idx.metrics.approx_bytes(),
            index_bytes: hash_table_bytes::<(ResourceId, MetricId), SeriesId>(
                idx.series.capacity(),
            ) + (idx.resource_live.capacity() + idx.metric_live.capacity())
                * size_of::<u32>()
                + layout
                + self.owners.bytes(),
        }
    }
}

/// Result of [`Snapshot::memory_estimate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryEstimate {
    /// Number of series.
    pub series: usize,
    /// History capacity of the snapshot.
    pub history_capacity: usize,
    /// Latest samples: the per-series table and values (without their
    /// history) and the matrix's latest frame.
    pub series_bytes: usize,
    /// History samples currently held.
    pub history_bytes: usize,
    /// What `history_bytes` becomes once every history ring is full.
    pub full_history_bytes: usize,
    /// Interned names and their hash maps.
    pub name_bytes: usize,
    /// The (resource, metric) → series map, live counters and the matrix's
    /// row and column tables.
    pub index_bytes: usize,
}

impl MemoryEstimate {
    /// Sum of all parts.
    #[must_use]
    pub fn total(&self) -> usize {
        self.series_bytes + self.history_bytes + self.name_bytes + self.index_bytes
    }

    /// Bytes per series as held now (0 with no series).
    #[must_use]
    pub fn bytes_per_series(&self) -> f64 {
        per(self.total(), self.series)
    }

    /// Bytes per series once every history ring is full.
    #[must_use]
    pub fn bytes_per_series_full_history(&self) -> f64 {
        per(
            self.total() - self.history_bytes + self.full_history_bytes,
            self.series,
        )
    }
}

#[allow(clippy::cast_precision_loss)] // byte counts far below 2^52
fn per(bytes: usize, n: usize) -> f64 {
    if n == 0 { 0.0 } else { bytes as f64 / n as f64 }
}

/// Builds the next snapshot from the current one, sharing what it does not
/// change.
pub(crate) struct Builder {
    index: Arc<Index>,
    series: Vec<Arc<Stored>>,
    matrix: Option<Arc<Matrix>>,
    history_capacity: usize,
    /// Per series id, whether this build updated it (only for `replace`).
    touched: Option<Vec<bool>>,
    /// The series after the last one updated: where the next update most
    /// likely goes when a producer sends the same batch in the same order
    /// every time. Checked by comparing names, which skips three hash
    /// lookups (and their cache misses on big stores).
    cursor: usize,
    owners: Owners,
    /// The source writing, when the write names one (ownership is claimed and
    /// checked only then).
    source: Option<u16>,
}

/// A name as an update carries it: shared (interned by sharing the `Arc`
/// when new) or borrowed (copied into a new `Arc` only when new).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Name<'a> {
    Shared(&'a Arc<str>),
    Borrowed(&'a str),
}

impl Name<'_> {
    fn as_str(&self) -> &str {
        match self {
            Self::Shared(a) => a,
            Self::Borrowed(s) => s,
        }
    }

    fn to_arc(self) -> Arc<str> {
        match self {
            Self::Shared(a) => Arc::clone(a),
            Self::Borrowed(s) => Arc::from(s),
        }
    }
}

impl Builder {
    /// Starts from `base`; `track_touched` records which series the updates
    /// hit, for [`Builder::retain_touched`].
    pub(crate) fn new(base: &Snapshot, track_touched: bool) -> Self {
        Self {
            index: Arc::clone(&base.index),
            series: base.series.clone(),
            matrix: base.matrix.clone(),
            history_capacity: base.history_capacity,
            touched: track_touched.then(|| vec![false; base.series.len()]),
            cursor: 0,
            owners: base.owners.clone(),
            source: None,
        }
    }

    /// Makes this build a write by source `name` (registered if new): every
    /// resource it writes is claimed for it, and a resource another source owns
    /// is refused.
    pub(crate) fn as_source(&mut self, name: &str, now: SystemTime) -> Result<(), StoreError> {
        self.source = Some(self.owners.source_id(name, now)?);
        Ok(())
    }

    /// Claims resource `r` for the writing source, if any.
    fn claim(&mut self, r: ResourceId) -> Result<(), StoreError> {
        let Some(source) = self.source else {
            return Ok(());
        };
        let index = &self.index;
        self.owners.claim(r.0, source, &|| {
            index.resources.name(r.0).unwrap_or_default().to_owned()
        })
    }

    /// Applies one update: interns new names, creates or advances the series.
    pub(crate) fn apply(&mut self, u: &Update) -> Result<(), StoreError> {
        self.apply_parts(
            Name::Shared(&u.resource),
            Name::Shared(&u.metric),
            Sample::new(u.value, u.at),
        )
    }

    /// The series at the cursor if it is (`resource`, `metric`).
    fn at_cursor(&self, resource: &str, metric: &str) -> Option<usize> {
        let s = self.series.get(self.cursor)?;
        let same = self.index.resources.name(s.resource.0)? == resource
            && self.index.metrics.name(s.metric.0)? == metric;
        same.then_some(self.cursor)
    }

    /// Moves series `i` on to `sample`.
    fn advance(&mut self, i: usize, sample: Sample) {
        if let Some(slot) = self.series.get_mut(i) {
            *slot = Arc::new(slot.advanced(sample, self.history_capacity));
        }
        if let Some(t) = self.touched.as_mut().and_then(|t| t.get_mut(i)) {
            *t = true;
        }
        self.cursor = i + 1;
    }

    fn resource_id(&mut self, name: Name<'_>) -> Result<ResourceId, StoreError> {
        Ok(ResourceId(match self.index.resources.get(name.as_str()) {
            Some(id) => id,
            None => Arc::make_mut(&mut self.index)
                .resources
                .intern(&name.to_arc(), "resource")?,
        }))
    }

    fn metric_id(&mut self, name: Name<'_>) -> Result<MetricId, StoreError> {
        Ok(MetricId(match self.index.metrics.get(name.as_str()) {
            Some(id) => id,
            None => Arc::make_mut(&mut self.index)
                .metrics
                .intern(&name.to_arc(), "metric")?,
        }))
    }

    fn matrix_cells(&self) -> usize {
        self.matrix.as_ref().map_or(0, |m| m.cells())
    }

    /// [`Builder::apply`] on names and a sample.
    pub(crate) fn apply_parts(
        &mut self,
        resource: Name<'_>,
        metric: Name<'_>,
        sample: Sample,
    ) -> Result<(), StoreError> {
        if let Some(i) = self.at_cursor(resource.as_str(), metric.as_str()) {
            if let Some(r) = self.series.get(i).map(|s| s.resource) {
                self.claim(r)?;
            }
            self.advance(i, sample);
            return Ok(());
        }
        if self
            .matrix
            .as_ref()
            .is_some_and(|m| m.layout().row_by_name(resource.as_str()).is_some())
        {
            if let Some(r) = self.index.resources.get(resource.as_str()) {
                // A source may not dissolve another source's matrix.
                self.claim(ResourceId(r))?;
            }
            self.dissolve_matrix()?;
        }
        let r = self.resource_id(resource)?;
        self.claim(r)?;
        let m = self.metric_id(metric)?;
        let existing = self
            .index
            .series
            .get(&(r, m))
            .and_then(|id| usize::try_from(id.0).ok());
        if let Some(i) = existing
            && i < self.series.len()
        {
            self.advance(i, sample);
            return Ok(());
        }
        self.push(Stored::first(r, m, sample), true)?;
        self.cursor = self.series.len();
        Ok(())
    }

    /// Appends a new per-series value.
    fn push(&mut self, s: Stored, touched: bool) -> Result<(), StoreError> {
        let id = u32::try_from(self.series.len())
            .ok()
            .filter(|_| u32::try_from(self.series.len() + 1 + self.matrix_cells()).is_ok())
            .ok_or(StoreError::TooManySeries)?;
        let index = Arc::make_mut(&mut self.index);
        index.series.insert((s.resource, s.metric), SeriesId(id));
        index.add_live(s.resource, s.metric);
        self.series.push(Arc::new(s));
        if let Some(t) = self.touched.as_mut() {
            t.push(touched);
        }
        Ok(())
    }

    /// Moves every cell of the matrix into per-series storage, history
    /// included: what a per-series write to a matrix row needs. Costs what
    /// the matrix saves (one allocation per series), so it is meant for the
    /// rare mix of writers on one resource, not for every poll.
    fn dissolve_matrix(&mut self) -> Result<(), StoreError> {
        let Some(matrix) = self.matrix.take() else {
            return Ok(());
        };
        let cap = self.history_capacity;
        for cell in 0..matrix.cells() {
            let Some(s) = Series::cell(&matrix, cell) else {
                continue;
            };
            let history: Vec<Sample> = s.history().collect();
            let skip = history.len().saturating_sub(cap);
            let stored = Stored {
                resource: s.resource,
                metric: s.metric,
                latest: s.latest,
                history: history.get(skip..).unwrap_or_default().into(),
            };
            self.push(stored, false)?;
        }
        Ok(())
    }

    /// Replaces the matrix with `values` (`resources` × `metrics`, row-major,
    /// shape already checked) observed at `at`. Per-series values survive
    /// when `keep` says so of their resource and it is not a row of the new
    /// matrix; the rest are dropped.
    pub(crate) fn replace_matrix(
        &mut self,
        resources: &[&str],
        metrics: &[&str],
        values: &[f64],
        at: u64,
        keep: Option<&dyn Fn(&str) -> bool>,
    ) -> Result<(), StoreError> {
        let layout = match &self.matrix {
            Some(m) if m.layout().same(resources, metrics) => Arc::clone(m.layout_arc()),
            _ => {
                let rids = resources
                    .iter()
                    .map(|r| {
                        let id = self.resource_id(Name::Borrowed(r))?;
                        self.claim(id)?;
                        Ok(id)
                    })
                    .collect::<Result<Vec<_>, StoreError>>()?;
                let mids = metrics
                    .iter()
                    .map(|m| self.metric_id(Name::Borrowed(m)))
                    .collect::<Result<Vec<_>, _>>()?;
                Arc::new(Layout::build(resources, metrics, rids, mids)?)
            }
        };
        let next = Matrix::next(
            self.matrix.as_deref(),
            layout,
            values,
            at,
            self.history_capacity,
        );
        let flags: Vec<bool> = match (self.source, keep) {
            // A source's replace drops only its own resources' series.
            (Some(src), _) => self
                .series
                .iter()
                .map(|s| {
                    next.layout().row_of(s.resource).is_none()
                        && self.owners.owner(s.resource.0) != Some(src)
                })
                .collect(),
            (None, None) => vec![false; self.series.len()],
            (None, Some(keep)) => self
                .series
                .iter()
                .map(|s| {
                    next.layout().row_of(s.resource).is_none()
                        && self.index.resources.name(s.resource.0).is_some_and(keep)
                })
                .collect(),
        };
        self.retain(&flags);
        if u32::try_from(self.series.len() + next.cells()).is_err() {
            return Err(StoreError::TooManySeries);
        }
        self.matrix = Some(Arc::new(next));
        Ok(())
    }

    /// Drops the series no update touched (the `replace` semantics), and the
    /// matrix (a per-series replace that wrote to it has dissolved it),
    /// renumbering the survivors. Names stay interned.
    pub(crate) fn retain_touched(&mut self) {
        let Some(touched) = self.touched.take() else {
            return;
        };
        self.matrix = None;
        self.retain(&touched);
    }

    /// Keeps the per-series values whose flag is set, renumbering them.
    fn retain(&mut self, flags: &[bool]) {
        if flags.iter().all(|&t| t) {
            return;
        }
        let old = std::mem::take(&mut self.series);
        let index = Arc::make_mut(&mut self.index);
        index.series.clear();
        index.resource_live.iter_mut().for_each(|c| *c = 0);
        index.metric_live.iter_mut().for_each(|c| *c = 0);
        for (s, _) in old.into_iter().zip(flags).filter(|(_, t)| **t) {
            // Cannot exceed u32: survivors are a subset of numbered series.
            let id = SeriesId(u32::try_from(self.series.len()).unwrap_or(u32::MAX));
            index.series.insert((s.resource, s.metric), id);
            index.add_live(s.resource, s.metric);
            self.series.push(s);
        }
        index.series.shrink_to_fit();
    }

    /// The finished snapshot.
    pub(crate) fn finish(mut self, generation: u64, published_at: SystemTime) -> Snapshot {
        if let Some(src) = self.source {
            self.owners.published(src, published_at);
        }
        Snapshot {
            generation,
            published_at,
            history_capacity: self.history_capacity,
            index: self.index,
            series: self.series,
            matrix: self.matrix,
            owners: self.owners,
        }
    }
}
