//! The nocwatch telemetry store: the latest value of every series
//! (resource × metric, e.g. switch `"SW-05"` × `"Latency_Avg_uSec"`) plus a
//! short, bounded history per series for rates and sparklines.
//!
//! ```
//! use nocwatch_store::{Batch, Store};
//!
//! let store = Store::new(60)?;
//! let mut batch = Batch::new();
//! batch.push("SW-05", "Latency_Avg_uSec", 12.5, 1_000);
//! batch.push("SW-05", "Pkt_Drops", 0.0, 1_000);
//! store.publish(batch)?;
//!
//! let snap = store.load(); // lock-free, never waits for a writer
//! let series = snap.get("SW-05", "Latency_Avg_uSec").ok_or("missing")?;
//! assert_eq!(series.latest().value, 12.5);
//! assert_eq!(snap.metrics().collect::<Vec<_>>(), ["Latency_Avg_uSec", "Pkt_Drops"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Design: read-copy-update
//!
//! The whole store state is one immutable [`Snapshot`] behind an
//! [`arc_swap::ArcSwap`]. Readers ([`Store::load`], [`Store::snapshot`]) do a
//! lock-free atomic load and then work on a snapshot nobody will ever mutate,
//! so a reader **never blocks and never waits for a writer**, however slow the
//! writer is. Name lookups are lock-free too: the name → id maps are part of
//! the snapshot.
//!
//! Writers ([`Store::publish`], [`Store::replace`]) build the next snapshot off
//! to the side from the current one and install it with one atomic store.
//! Building is clone-on-write at series granularity: the series table is a
//! `Vec<Arc<Series>>`, so the next snapshot copies only the pointer table and
//! allocates new [`Series`] values (latest sample + history) for the series a
//! batch touches; untouched series, and the name index when no new name
//! appears, are shared between the old and the new snapshot. Concurrent
//! writers are serialized by a `Mutex<()>` that only writers take; readers
//! never touch it.
//!
//! Costs of this choice:
//!
//! * **Memory**: during a swap, and for as long as some reader still holds
//!   it, the previous snapshot stays alive. The shared parts are not
//!   duplicated, but every series a batch touched exists twice, so the worst
//!   case (a full-matrix publish) is about two snapshots' worth of memory.
//! * **Staleness**: a reader sees the state as of the last publish; data is at
//!   most `now - published_at` old ([`Snapshot::age`]), plus however long the
//!   reader keeps its snapshot. [`Snapshot::generation`] increases by one per
//!   publish so consumers can tell snapshots apart.
//! * **Write cost**: each publish is O(number of series) pointer copies plus
//!   O(updates × history capacity) sample copies and one allocation per
//!   updated series; this suits poll-driven producers publishing batches
//!   every few seconds, not per-sample writes. A producer that publishes the
//!   same matrix in the same order every time ([`Store::replace_matrix`], the
//!   CSV source) skips the hash lookups: each update is matched to the next
//!   series in order by comparing names.
//!
//! # Identifiers
//!
//! Resource and metric names are interned to [`ResourceId`] and [`MetricId`];
//! these ids are stable for the lifetime of a [`Store`] (names are never
//! forgotten, even when their series vanish in a [`Store::replace`]). A
//! [`SeriesId`] is a dense index into one snapshot's series table and is only
//! meaningful within that snapshot.
//!
//! # Not here (later work)
//!
//! The HTTP API (`GetMetric`, `ListMetrics`) and the producers (the CSV
//! poller, the SNMP poller) live elsewhere; this crate only stores and serves
//! samples. Nothing is persisted to disk.

#![deny(missing_docs)]

mod batch;
mod error;
mod sample;
mod snapshot;
mod store;

pub use batch::{Batch, Update};
pub use error::StoreError;
pub use sample::{Sample, unix_nanos};
pub use snapshot::{MemoryEstimate, MetricId, ResourceId, Series, SeriesId, Snapshot};
pub use store::{DEFAULT_HISTORY_CAPACITY, MAX_HISTORY_CAPACITY, Store};
