//! What the handlers share.

use std::sync::Arc;
use std::time::Duration;

use nocwatch_store::Store;
use nocwatch_telemetry::stats::IngestStats;

use crate::metrics::ApiMetrics;

/// API settings.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Name of the source feeding the store, the `source` label in
    /// `/metrics`. Default `"fabric"`.
    pub source: String,
    /// Data older than this makes `/health` say `"stale"` (still 200: the
    /// API keeps serving the last good snapshot). Default 30 s (three polls).
    pub stale_after: Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            source: "fabric".to_owned(),
            stale_after: Duration::from_secs(30),
        }
    }
}

/// The store the API reads, the statistics of the source that fills it, and
/// the API's own request metrics.
#[derive(Debug)]
pub struct ApiState {
    pub(crate) store: Arc<Store>,
    pub(crate) ingest: Arc<IngestStats>,
    pub(crate) config: ApiConfig,
    pub(crate) metrics: ApiMetrics,
}

impl ApiState {
    /// State over `store`, fed by a source reporting into `ingest`.
    #[must_use]
    pub fn new(store: Arc<Store>, ingest: Arc<IngestStats>, config: ApiConfig) -> Arc<Self> {
        Arc::new(Self {
            store,
            ingest,
            config,
            metrics: ApiMetrics::default(),
        })
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The source statistics.
    #[must_use]
    pub fn ingest(&self) -> &Arc<IngestStats> {
        &self.ingest
    }
}
