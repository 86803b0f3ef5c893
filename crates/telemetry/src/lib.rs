//! Fabric telemetry over HTTP/CSV: the simulated switch-fabric producer and
//! the `http_csv` source that polls it into the store.
//!
//! * [`schema`]: the columns both sides agree on, and switch naming.
//! * [`fabric`]: the sans-IO fabric simulation (deterministic per seed).
//! * [`producer`]: the HTTP server (`GET /counters`) with its failure modes
//!   ([`FailureMode`]).
//! * [`csv`]: the zero-copy parser and validator of the matrix.
//! * [`source`]: the poller: fetch, parse outside any lock, publish by one
//!   atomic swap into [`nocwatch_store::Store`], keep the last good snapshot
//!   on failure, count failures by kind, time each phase.
//! * [`stats`]: lock-free histograms and ingest statistics with their
//!   Prometheus exposition.
//!
//! Not here: the query API (`nocwatch-api`) and the binary's wiring.

pub mod csv;
mod error;
pub mod fabric;
mod mode;
pub mod producer;
pub mod schema;
mod section;
pub mod source;
pub mod stats;

pub use error::{FailureKind, TelemetryError};
pub use mode::FailureMode;
pub use producer::{Producer, ProducerConfig};
pub use section::{HttpCsvSection, ProducerSection};
pub use source::{HttpCsvConfig, HttpCsvSource};

/// Entry points for the cargo-fuzz targets (feature `fuzzing`).
#[cfg(feature = "fuzzing")]
pub mod fuzzing {
    /// Parses `data` as a fabric CSV body and checks the validator's
    /// promises on success: at least one row, unique identifiers, finite
    /// values, and a round trip through [`crate::csv::Table::to_csv`] that
    /// parses back to the same table. Also checks that the parser's fast
    /// number readers agree with the reference reading on every field of
    /// `data`, accepted or not. Returns whether `data` was accepted.
    ///
    /// # Panics
    ///
    /// When a promise is broken (that is the fuzzer's finding).
    #[allow(
        clippy::panic,
        reason = "the fuzzer reports broken properties as panics"
    )]
    #[must_use]
    pub fn csv_round_trip(data: &[u8]) -> bool {
        crate::csv::check_fast_paths(data);
        let Ok(table) = crate::csv::parse(data) else {
            return false;
        };
        assert!(!table.is_empty(), "accepted a table without rows");
        let mut ids: Vec<&str> = table.ids().to_vec();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), table.len(), "duplicate identifiers accepted");
        for (_, values) in table.rows() {
            assert!(values.iter().all(|v| v.is_finite()), "non-finite value");
        }
        let again = table.to_csv();
        match crate::csv::parse(again.as_bytes()) {
            Ok(t) => assert_eq!(t, table, "round trip changed the table"),
            Err(e) => panic!("re-rendered table rejected: {e}"),
        }
        true
    }
}
