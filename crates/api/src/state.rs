//! What the handlers share.

use std::sync::Arc;
use std::time::Duration;

use nocwatch_store::Store;
use nocwatch_telemetry::stats::IngestStats;

use crate::events::EventLog;
use crate::metrics::ApiMetrics;

/// What `POST /admin/reload` runs: re-reads the reloadable parts of the
/// configuration and says what changed, or why nothing did.
pub type ReloadHook = Arc<dyn Fn() -> Result<serde_json::Value, String> + Send + Sync>;

/// The admin routes' token and hooks (see [`ApiState::enable_admin`]).
pub(crate) struct Admin {
    token: String,
    pub(crate) reload: ReloadHook,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Admin { token: <redacted>, .. }")
    }
}

impl Admin {
    /// Compares in time independent of where the first difference is.
    pub(crate) fn token_matches(&self, given: &str) -> bool {
        let (a, b) = (self.token.as_bytes(), given.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

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

/// Another source writing into the same store (the SNMP poller beside the
/// CSV source), reporting its own figures in `/health` and `/metrics`.
pub trait SourceReport: Send + Sync + std::fmt::Debug {
    /// Its `/health` object, listed under `"other_sources"`.
    fn health(&self) -> serde_json::Value;
    /// Appends its Prometheus lines (with `# HELP` / `# TYPE`) to `out`.
    fn write_prometheus(&self, out: &mut String);
}

/// The store the API reads, the statistics of the source that fills it, and
/// the API's own request metrics.
#[derive(Debug)]
pub struct ApiState {
    pub(crate) store: Arc<Store>,
    /// The CSV source's statistics; `None` for a store filled only by
    /// other sources (an SNMP-only service).
    pub(crate) ingest: Option<Arc<IngestStats>>,
    pub(crate) config: ApiConfig,
    pub(crate) metrics: ApiMetrics,
    pub(crate) others: Vec<Arc<dyn SourceReport>>,
    events: std::sync::OnceLock<Arc<EventLog>>,
    pub(crate) admin: std::sync::OnceLock<Admin>,
}

impl ApiState {
    /// State over `store`, fed by a source reporting into `ingest`.
    #[must_use]
    pub fn new(store: Arc<Store>, ingest: Arc<IngestStats>, config: ApiConfig) -> Arc<Self> {
        Arc::new(Self {
            store,
            ingest: Some(ingest),
            config,
            metrics: ApiMetrics::default(),
            others: Vec::new(),
            events: std::sync::OnceLock::new(),
            admin: std::sync::OnceLock::new(),
        })
    }

    /// [`ApiState::new`] with other sources writing into `store` too, whose
    /// figures `/health` and `/metrics` add to the main source's.
    #[must_use]
    pub fn with_others(
        store: Arc<Store>,
        ingest: Arc<IngestStats>,
        config: ApiConfig,
        others: Vec<Arc<dyn SourceReport>>,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            ingest: Some(ingest),
            config,
            metrics: ApiMetrics::default(),
            others,
            events: std::sync::OnceLock::new(),
            admin: std::sync::OnceLock::new(),
        })
    }

    /// State over a store that only `others` fill (no CSV source, e.g. an
    /// SNMP-only service): `/health` says `"source": null` and `/metrics`
    /// has no CSV ingestion lines; `config.source` is unused.
    #[must_use]
    pub fn others_only(
        store: Arc<Store>,
        config: ApiConfig,
        others: Vec<Arc<dyn SourceReport>>,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            ingest: None,
            config,
            metrics: ApiMetrics::default(),
            others,
            events: std::sync::OnceLock::new(),
            admin: std::sync::OnceLock::new(),
        })
    }

    /// The store.
    #[must_use]
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The recent-events log behind `/events` and `/events/stream`: the service
    /// hands it to the stages that make events.
    #[must_use]
    pub fn events(&self) -> &Arc<EventLog> {
        self.events.get_or_init(Arc::default)
    }

    /// Serves `log` instead of the state's own (a service whose stages were
    /// given the log before the API started). Only before the first use of
    /// [`ApiState::events`]; later calls return false.
    pub fn set_events(&self, log: Arc<EventLog>) -> bool {
        self.events.set(log).is_ok()
    }

    /// Turns on the admin routes (`POST /admin/reload`), guarded by `token`
    /// (`Authorization: Bearer TOKEN`). Once only; later calls return false.
    pub fn enable_admin(&self, token: &str, reload: ReloadHook) -> bool {
        self.admin
            .set(Admin {
                token: token.to_owned(),
                reload,
            })
            .is_ok()
    }

    /// The CSV source's statistics, if there is one.
    #[must_use]
    pub fn ingest(&self) -> Option<&Arc<IngestStats>> {
        self.ingest.as_ref()
    }
}
