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
//! Writers build the next snapshot off to the side from the current one and
//! install it with one atomic store. Concurrent writers are serialized by a
//! `Mutex<()>` that only writers take; readers never touch it.
//!
//! # Two ways to store a series
//!
//! * **Per series** ([`Store::publish`], [`Store::replace`]: the SNMP poller,
//!   anything that writes a few series at a time). The series table is a
//!   `Vec<Arc<_>>`, so the next snapshot copies only the pointer table and
//!   allocates a new value (latest sample + history) for each series a batch
//!   touches; untouched series, and the name index when no new name appears,
//!   are shared between the old and the new snapshot.
//! * **As a matrix** ([`Store::replace_matrix`]: the CSV fabric source, a row
//!   per switch and a column per metric, every poll). One publish is one
//!   frame, a flat array of every cell; the history is the last few frames,
//!   shared between snapshots by `Arc`, and the row and column names are
//!   kept in flat tables reused for as long as the producer sends the same
//!   rows in the same order. A 100,000 × 11 publish (1.1M series) costs one
//!   8.8 MB array and about 1.5 ms, where per-series storage cost 1.1M
//!   allocations and about a second of CPU; a lookup by name is one probe in
//!   the row table and one load from the frame (docs/BENCHMARKS.md).
//!
//! A resource belongs to one of the two: the matrix owns every series of its
//! rows. A per-series write to a matrix row first moves the matrix's cells
//! into per-series storage, history included (correct but as costly as
//! per-series storage, so meant for rare mixes of writers); a matrix publish
//! drops the per-series values of its rows.
//!
//! Costs of this choice:
//!
//! * **Memory**: during a swap, and for as long as some reader still holds
//!   it, the previous snapshot stays alive. The shared parts are not
//!   duplicated, but every per-series value a batch touched exists twice;
//!   for the matrix only the new frame is new.
//! * **Staleness**: a reader sees the state as of the last publish; data is at
//!   most `now - published_at` old ([`Snapshot::age`]), plus however long the
//!   reader keeps its snapshot. [`Snapshot::generation`] increases by one per
//!   publish so consumers can tell snapshots apart.
//! * **Write cost**: a per-series publish is O(number of per-series values)
//!   pointer copies plus O(updates × history capacity) sample copies and one
//!   allocation per updated series; a matrix publish is O(cells) for the new
//!   frame plus O(rows) name comparisons (O(cells × history) when the rows
//!   change, to carry the history over).
//!
//! # Identifiers
//!
//! Resource and metric names are interned to [`ResourceId`] and [`MetricId`];
//! these ids are stable for the lifetime of a [`Store`] (names are never
//! forgotten, even when their series vanish in a [`Store::replace`]). A
//! [`SeriesId`] is a dense index into one snapshot's series table and is only
//! meaningful within that snapshot (per-series values first, then the
//! matrix's cells row by row).
//!
//! # Not here (later work)
//!
//! The HTTP API (`GetMetric`, `ListMetrics`) and the producers (the CSV
//! poller, the SNMP poller) live elsewhere; this crate only stores and serves
//! samples. Nothing is persisted to disk.

#![deny(missing_docs)]

mod batch;
mod error;
mod matrix;
mod owners;
mod sample;
mod snapshot;
mod store;

pub use batch::{Batch, Update};
pub use error::StoreError;
pub use owners::{MAX_SOURCES, SourceState};
pub use sample::{Sample, unix_nanos};
pub use snapshot::{History, MemoryEstimate, MetricId, ResourceId, Series, SeriesId, Snapshot};
pub use store::{DEFAULT_HISTORY_CAPACITY, MAX_HISTORY_CAPACITY, Store};
