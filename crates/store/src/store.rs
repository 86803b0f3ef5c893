//! The store: one atomically swapped snapshot pointer and a writer lock.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use arc_swap::{ArcSwap, Guard};

use crate::batch::Batch;
use crate::error::StoreError;
use crate::snapshot::{Builder, Snapshot};

/// History capacity of [`Store::default`]: one minute at one sample a second.
pub const DEFAULT_HISTORY_CAPACITY: usize = 60;

/// Largest history capacity [`Store::new`] accepts.
pub const MAX_HISTORY_CAPACITY: usize = 1 << 16;

/// The read-copy-update telemetry store. See the crate docs for the design.
///
/// `Store` is `Sync`: share it by reference or in an `Arc` between any number
/// of reader threads and writer threads.
#[derive(Debug)]
pub struct Store {
    current: ArcSwap<Snapshot>,
    /// Serializes writers so each builds on the latest snapshot and no publish
    /// is lost. **Only writers take it; readers never touch it**, so a slow
    /// writer can delay other writers but never a reader.
    writer: Mutex<()>,
}

impl Default for Store {
    fn default() -> Self {
        Self::with_capacity_unchecked(DEFAULT_HISTORY_CAPACITY)
    }
}

impl Store {
    /// An empty store (generation 0) keeping `history_capacity` previous
    /// samples per series (0 keeps only the latest).
    ///
    /// # Errors
    ///
    /// [`StoreError::HistoryCapacityTooLarge`] above [`MAX_HISTORY_CAPACITY`].
    pub fn new(history_capacity: usize) -> Result<Self, StoreError> {
        if history_capacity > MAX_HISTORY_CAPACITY {
            return Err(StoreError::HistoryCapacityTooLarge {
                requested: history_capacity,
                max: MAX_HISTORY_CAPACITY,
            });
        }
        Ok(Self::with_capacity_unchecked(history_capacity))
    }

    fn with_capacity_unchecked(history_capacity: usize) -> Self {
        Self {
            current: ArcSwap::from_pointee(Snapshot::empty(history_capacity, SystemTime::now())),
            writer: Mutex::new(()),
        }
    }

    /// The current snapshot, lock-free and wait-free for practical purposes.
    /// The guard is meant to be short-lived (one request); use
    /// [`Store::snapshot`] to keep a snapshot for longer.
    #[must_use]
    pub fn load(&self) -> Guard<Arc<Snapshot>> {
        self.current.load()
    }

    /// The current snapshot as an owned `Arc`, to keep as long as needed; it
    /// never changes, whatever writers do meanwhile.
    #[must_use]
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Applies `batch` on top of the current snapshot, in order: each update
    /// moves its series' latest sample into the history and sets the new one;
    /// unknown names are interned and unknown series created. Series the
    /// batch does not mention are kept as they are. Installs the result as
    /// the next generation and returns that generation.
    ///
    /// An empty batch still publishes (a new generation and publish time),
    /// which a producer can use as a heartbeat.
    ///
    /// # Errors
    ///
    /// [`StoreError::TooManyNames`] / [`StoreError::TooManySeries`] when an id
    /// space is exhausted; nothing is published then.
    pub fn publish(&self, batch: Batch) -> Result<u64, StoreError> {
        self.write(&batch, false)
    }

    /// Replaces the whole content with `matrix`, a complete set of current
    /// values (what the CSV source produces every poll): series in `matrix`
    /// are updated as by [`Store::publish`], keeping their history; series
    /// not in `matrix` are dropped. Resource and metric ids stay stable;
    /// series ids of the survivors may change. Returns the new generation.
    ///
    /// # Errors
    ///
    /// As [`Store::publish`]; nothing is published on error.
    pub fn replace(&self, matrix: Batch) -> Result<u64, StoreError> {
        self.write(&matrix, true)
    }

    /// [`Store::replace`] for a dense matrix, without building a [`Batch`]:
    /// `values` holds one row per resource, one column per metric
    /// (row-major, `resources.len() × metrics.len()` values), all observed
    /// at `at`. Names are borrowed and copied only when first seen, so a
    /// producer that sends the same matrix every poll (the CSV source)
    /// allocates nothing per cell but the new series values.
    ///
    /// # Errors
    ///
    /// [`StoreError::MatrixShape`] when `values` does not have that length;
    /// otherwise as [`Store::replace`]. Nothing is published on error.
    pub fn replace_matrix(
        &self,
        resources: &[&str],
        metrics: &[&str],
        values: &[f64],
        at: u64,
    ) -> Result<u64, StoreError> {
        self.replace_matrix_keeping(resources, metrics, values, at, None)
    }

    /// [`Store::replace_matrix`] for a writer that shares the store with
    /// others: series not in the matrix whose resource name satisfies `keep`
    /// (the other writers' resources, e.g. SNMP devices beside the CSV
    /// fabric) survive; the rest are dropped as by `replace_matrix`. `keep`
    /// is only asked about series the matrix did not update.
    ///
    /// # Errors
    ///
    /// As [`Store::replace_matrix`].
    pub fn replace_matrix_keeping(
        &self,
        resources: &[&str],
        metrics: &[&str],
        values: &[f64],
        at: u64,
        keep: Option<&dyn Fn(&str) -> bool>,
    ) -> Result<u64, StoreError> {
        self.write_matrix(None, resources, metrics, values, at, keep)
    }

    /// The matrix writes: shape check, then one build as `source` (if any).
    fn write_matrix(
        &self,
        source: Option<&str>,
        resources: &[&str],
        metrics: &[&str],
        values: &[f64],
        at: u64,
        keep: Option<&dyn Fn(&str) -> bool>,
    ) -> Result<u64, StoreError> {
        if resources.len().checked_mul(metrics.len()) != Some(values.len()) {
            return Err(StoreError::MatrixShape {
                resources: resources.len(),
                metrics: metrics.len(),
                values: values.len(),
            });
        }
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let base = self.current.load_full();
        let mut builder = Builder::new(&base, false);
        if let Some(src) = source {
            builder.as_source(src, SystemTime::now())?;
        }
        builder.replace_matrix(resources, metrics, values, at, keep)?;
        self.install(builder, base)
    }

    /// [`Store::publish`] by source `source`: the resources it writes become its
    /// own, a resource another source owns is refused, and the source's publish
    /// time (its data age, [`Snapshot::source`]) is updated.
    ///
    /// # Errors
    ///
    /// [`StoreError::ForeignResource`] when the batch writes another source's
    /// resource (nothing is published); otherwise as [`Store::publish`].
    pub fn publish_from(&self, source: &str, batch: Batch) -> Result<u64, StoreError> {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let base = self.current.load_full();
        let mut builder = Builder::new(&base, false);
        builder.as_source(source, SystemTime::now())?;
        for update in &batch {
            builder.apply(update)?;
        }
        self.install(builder, base)
    }

    /// [`Store::replace_matrix`] by source `source`: replaces that source's whole
    /// content (its resources that are not rows of the matrix lose their series;
    /// other sources' resources are untouched), with ownership as
    /// [`Store::publish_from`].
    ///
    /// # Errors
    ///
    /// [`StoreError::ForeignResource`] when a row is another source's resource;
    /// otherwise as [`Store::replace_matrix`]. Nothing is published on error.
    pub fn replace_matrix_from(
        &self,
        source: &str,
        resources: &[&str],
        metrics: &[&str],
        values: &[f64],
        at: u64,
    ) -> Result<u64, StoreError> {
        self.write_matrix(Some(source), resources, metrics, values, at, None)
    }

    fn install(&self, builder: Builder, base: Arc<Snapshot>) -> Result<u64, StoreError> {
        let generation = base.generation().saturating_add(1);
        let next = builder.finish(generation, SystemTime::now());
        // Drop our reference to the old snapshot before the swap; the last
        // holder (the swap itself, or a reader still using it) frees it.
        drop(base);
        self.current.store(Arc::new(next));
        Ok(generation)
    }

    fn write(&self, batch: &Batch, replace: bool) -> Result<u64, StoreError> {
        // A poisoned lock only means another writer panicked mid-build; the
        // published state is untouched (builds happen off to the side).
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let base = self.current.load_full();
        let mut builder = Builder::new(&base, replace);
        for update in batch {
            builder.apply(update)?;
        }
        builder.retain_touched();
        self.install(builder, base)
    }
}
