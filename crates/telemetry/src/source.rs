//! The `http_csv` source: polls the producer's CSV matrix and publishes it
//! into the store.
//!
//! One cycle is: **fetch** (GET with a timeout covering headers and body,
//! body size bounded), **parse** (validate the whole body and build the
//! store batch) and **swap** (build the next snapshot copy-on-write and
//! install it with one atomic pointer store, [`Store::replace`]). Parse and
//! swap run on the blocking pool, so a 100,000-switch matrix never occupies
//! an async worker that serves queries, and no lock readers could wait on is
//! held at any point: readers keep loading the previous snapshot until the
//! swap.
//!
//! On any failure nothing is published: the last good snapshot stays served
//! and its age keeps growing ([`nocwatch_store::Snapshot::age`]); the failure
//! is counted by [`crate::FailureKind`] in [`IngestStats`] and logged once
//! per state change (first failure, change of kind, recovery), never once
//! per cycle.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt as _, Empty};
use hyper::Uri;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use nocwatch_store::{Batch, Store};

use crate::error::TelemetryError;
use crate::schema::METRICS;
use crate::stats::{IngestStats, PhaseTimes, SourceState};

/// Settings of one `http_csv` source.
#[derive(Debug, Clone)]
pub struct HttpCsvConfig {
    /// Nice value of the thread that parses and swaps (Linux; 0 keeps the
    /// process's priority). Default 10: under CPU contention the threads
    /// serving reads win over ingestion, which only runs later.
    pub ingest_nice: i32,
    /// `http://host:port/path` of the producer's matrix.
    pub url: String,
    /// Time between the starts of two cycles. Default 10 s.
    pub interval: Duration,
    /// Limit for the whole fetch, headers and body. Default 5 s.
    pub timeout: Duration,
    /// Largest accepted body. Default 256 MiB (100,000 switches are ~11 MB).
    pub max_body_bytes: usize,
}

impl HttpCsvConfig {
    /// Defaults for `url`.
    #[must_use]
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            ingest_nice: 10,
            url: url.into(),
            interval: Duration::from_secs(10),
            timeout: Duration::from_secs(5),
            max_body_bytes: 256 << 20,
        }
    }
}

/// What one successful cycle did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycleReport {
    /// Rows (switches) published.
    pub rows: usize,
    /// Store generation installed.
    pub generation: u64,
    /// Phase durations.
    pub phases: PhaseTimes,
}

/// The poller. Holds a keep-alive HTTP client, the target store and the
/// statistics it updates.
#[derive(Debug, Clone)]
pub struct HttpCsvSource {
    config: HttpCsvConfig,
    uri: Uri,
    client: Client<HttpConnector, Empty<Bytes>>,
    store: Arc<Store>,
    stats: Arc<IngestStats>,
    ingest: Arc<IngestThread>,
}

type IngestJob = (
    Bytes,
    tokio::sync::oneshot::Sender<Result<CycleReport, TelemetryError>>,
);

/// The thread that parses and swaps, off the async runtime, at a lower
/// scheduling priority than the threads that serve reads (so on a busy
/// machine a big swap delays itself rather than the queries). It ends when
/// the last source clone is dropped.
#[derive(Debug)]
struct IngestThread {
    jobs: std::sync::mpsc::SyncSender<IngestJob>,
}

impl IngestThread {
    fn start(
        store: Arc<Store>,
        nice: i32,
        source: Option<Arc<str>>,
    ) -> Result<Self, TelemetryError> {
        // One cycle at a time: the source awaits each one.
        let (jobs, rx) = std::sync::mpsc::sync_channel::<IngestJob>(1);
        std::thread::Builder::new()
            .name("nocwatch-ingest".into())
            .spawn(move || {
                lower_priority(nice);
                while let Ok((body, reply)) = rx.recv() {
                    let _ = reply.send(ingest_from(&body, &store, source.as_deref()));
                }
            })?;
        Ok(Self { jobs })
    }

    async fn run(&self, body: Bytes) -> Result<CycleReport, TelemetryError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.jobs
            .try_send((body, tx))
            .map_err(|e| TelemetryError::Task(format!("ingest thread: {e}")))?;
        rx.await
            .map_err(|_| TelemetryError::Task("ingest thread stopped".into()))?
    }
}

#[cfg(target_os = "linux")]
fn lower_priority(nice: i32) {
    if nice != 0 {
        let tid = rustix::thread::gettid();
        if let Err(error) = rustix::process::setpriority_process(Some(tid), nice) {
            tracing::debug!(message = "Cannot lower the ingest thread's priority.", %error);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority(_nice: i32) {}

impl HttpCsvSource {
    /// A source publishing into `store` and counting into `stats`.
    ///
    /// # Errors
    ///
    /// [`TelemetryError::BadUrl`] unless `config.url` is an `http://` URL
    /// with a host (TLS is not supported: producers sit on the management
    /// network or loopback).
    pub fn new(
        config: HttpCsvConfig,
        store: Arc<Store>,
        stats: Arc<IngestStats>,
    ) -> Result<Self, TelemetryError> {
        Self::sharing(config, store, stats, None)
    }

    /// [`HttpCsvSource::new`] for a store other sources publish into too (the
    /// SNMP pollers of `nocwatch run`): each cycle replaces the content of
    /// source `source` only ([`Store::replace_matrix_from`]): other sources'
    /// resources are left alone, a row naming one of them is refused, and the
    /// store keeps this source's own publish time (its data age).
    ///
    /// # Errors
    ///
    /// As [`HttpCsvSource::new`].
    pub fn sharing(
        config: HttpCsvConfig,
        store: Arc<Store>,
        stats: Arc<IngestStats>,
        source: Option<&str>,
    ) -> Result<Self, TelemetryError> {
        let bad = |reason: &str| TelemetryError::BadUrl {
            url: config.url.clone(),
            reason: reason.to_owned(),
        };
        let uri: Uri = config
            .url
            .parse()
            .map_err(|e: hyper::http::uri::InvalidUri| bad(&e.to_string()))?;
        if uri.scheme_str() != Some("http") {
            return Err(bad("only http:// is supported"));
        }
        if uri.host().is_none() {
            return Err(bad("no host"));
        }
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(config.timeout));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        let ingest = Arc::new(IngestThread::start(
            Arc::clone(&store),
            config.ingest_nice,
            source.map(Arc::from),
        )?);
        Ok(Self {
            config,
            uri,
            client,
            store,
            stats,
            ingest,
        })
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &HttpCsvConfig {
        &self.config
    }

    /// The store this source publishes into.
    #[must_use]
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The statistics this source updates.
    #[must_use]
    pub fn stats(&self) -> &Arc<IngestStats> {
        &self.stats
    }

    /// Runs one cycle and records its outcome in the statistics (and the log,
    /// on a state change).
    ///
    /// # Errors
    ///
    /// Why the cycle failed; the store is unchanged then.
    pub async fn poll_once(&self) -> Result<CycleReport, TelemetryError> {
        let result = self.cycle().await;
        match &result {
            Ok(report) => {
                let prev = self
                    .stats
                    .record_success(report.phases, report.rows, SystemTime::now());
                match prev {
                    SourceState::Ok => {}
                    // Warn level like the failure it ends, so both show with
                    // the default `warn` filter.
                    SourceState::Failing(kind) => tracing::warn!(
                        message = "Source recovered; publishing again.",
                        url = %self.config.url,
                        rows = report.rows,
                        after = %kind,
                    ),
                    SourceState::Starting => tracing::info!(
                        message = "Source publishing.",
                        url = %self.config.url,
                        rows = report.rows,
                    ),
                }
            }
            Err(error) => {
                let kind = error.kind();
                let prev = self.stats.record_failure(kind);
                if prev != SourceState::Failing(kind) {
                    tracing::warn!(
                        message = "Source failing; serving the last good snapshot.",
                        url = %self.config.url,
                        kind = %kind,
                        %error,
                    );
                } else {
                    tracing::debug!(message = "Source still failing.", kind = %kind, %error);
                }
            }
        }
        result
    }

    async fn fetch(&self) -> Result<Bytes, TelemetryError> {
        let response = self.client.get(self.uri.clone()).await.map_err(|e| {
            if e.is_connect() {
                TelemetryError::Connect(error_chain(&e))
            } else {
                TelemetryError::Http(error_chain(&e))
            }
        })?;
        if response.status() != hyper::StatusCode::OK {
            return Err(TelemetryError::Status(response.status().as_u16()));
        }
        read_body(response, self.config.max_body_bytes).await
    }

    async fn cycle(&self) -> Result<CycleReport, TelemetryError> {
        let t0 = Instant::now();
        let body = tokio::time::timeout(self.config.timeout, self.fetch())
            .await
            .map_err(|_| TelemetryError::Timeout(self.config.timeout))??;
        let fetch = t0.elapsed();
        let mut report = self.ingest.run(body).await?;
        report.phases.fetch = fetch;
        Ok(report)
    }

    /// Polls every [`HttpCsvConfig::interval`] (first cycle at once) until
    /// `shutdown` completes. A cycle slower than the interval delays the next
    /// one rather than overlapping it.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let mut interval =
            tokio::time::interval(self.config.interval.max(Duration::from_millis(10)));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                _ = interval.tick() => {
                    tokio::select! {
                        () = &mut shutdown => break,
                        _ = self.poll_once() => {}
                    }
                }
            }
        }
        tracing::debug!(message = "Source stopped.", url = %self.config.url);
    }
}

/// The CPU part of a cycle, blocking: parses and validates `body` (the
/// parse phase), then replaces the store's content with it in one publish
/// ([`Store::replace_matrix`], the swap phase). The report's fetch time is
/// zero.
///
/// # Errors
///
/// [`TelemetryError::Csv`] for an invalid body, [`TelemetryError::Store`]
/// if the store refuses it; nothing is published then.
pub fn ingest(body: &[u8], store: &Store) -> Result<CycleReport, TelemetryError> {
    ingest_from(body, store, None)
}

/// [`ingest`] as source `source` when given ([`Store::replace_matrix_from`]:
/// only that source's content is replaced).
///
/// # Errors
///
/// As [`ingest`]; [`TelemetryError::Store`] with
/// [`nocwatch_store::StoreError::ForeignResource`] when a row names another
/// source's resource.
pub fn ingest_from(
    body: &[u8],
    store: &Store,
    source: Option<&str>,
) -> Result<CycleReport, TelemetryError> {
    let t1 = Instant::now();
    let table = crate::csv::parse(body)?;
    let at = nocwatch_store::unix_nanos(SystemTime::now());
    let t2 = Instant::now();
    let generation = match source {
        Some(src) => {
            store.replace_matrix_from(src, table.ids(), &METRIC_NAMES, table.values(), at)?
        }
        None => store.replace_matrix(table.ids(), &METRIC_NAMES, table.values(), at)?,
    };
    Ok(CycleReport {
        rows: table.len(),
        generation,
        phases: PhaseTimes {
            fetch: Duration::ZERO,
            parse: t2 - t1,
            swap: t2.elapsed(),
        },
    })
}

/// Metric names in [`METRICS`] order.
const METRIC_NAMES: [&str; METRICS.len()] = {
    let mut names = [""; METRICS.len()];
    let mut i = 0;
    while i < METRICS.len() {
        names[i] = METRICS[i].name;
        i += 1;
    }
    names
};

/// Parses `body` and turns it into the batch [`Store::replace`] takes: one
/// update per (switch, metric), all stamped with the same time.
///
/// # Errors
///
/// [`TelemetryError::Csv`] for an invalid body.
pub fn parse_batch(body: &[u8], metric_names: &[Arc<str>]) -> Result<Batch, TelemetryError> {
    let table = crate::csv::parse(body)?;
    let at = nocwatch_store::unix_nanos(SystemTime::now());
    let mut batch = Batch::with_capacity(table.len() * METRICS.len());
    for (id, values) in table.rows() {
        let resource: Arc<str> = Arc::from(id);
        for (name, v) in metric_names.iter().zip(values) {
            batch.push(Arc::clone(&resource), Arc::clone(name), *v, at);
        }
    }
    Ok(batch)
}

/// Reads the whole body into one buffer, refusing more than `limit` bytes.
///
/// The buffer is allocated once at the announced `Content-Length` (the
/// producer always sends one), and each frame is copied into it as it
/// arrives and then dropped: one copy of the body in all, made while the
/// rest is still on the wire, and never two full copies alive at once.
/// (`BodyExt::collect` kept every frame until the end and then copied them
/// all into a new buffer.) A body that arrives in a single frame is used as
/// it is, without a copy. Without a length, or with a wrong one, the buffer
/// grows as needed; hyper itself fails a body shorter than announced.
async fn read_body(
    response: hyper::Response<hyper::body::Incoming>,
    limit: usize,
) -> Result<Bytes, TelemetryError> {
    let announced = response
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return Err(TelemetryError::TooLarge { limit });
    }
    let capacity = announced
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(64 << 10)
        .min(limit);
    let mut body = response.into_body();
    let mut single: Option<Bytes> = None;
    let mut buf = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| TelemetryError::Body(error_chain(&e)))?;
        let Ok(data) = frame.into_data() else {
            // Trailers carry no data.
            continue;
        };
        let held = single.as_ref().map_or(buf.len(), Bytes::len);
        if data.len() > limit.saturating_sub(held) {
            return Err(TelemetryError::TooLarge { limit });
        }
        if buf.is_empty() && single.is_none() {
            single = Some(data);
            continue;
        }
        if let Some(first) = single.take() {
            buf.reserve(capacity.max(first.len() + data.len()));
            buf.extend_from_slice(&first);
        }
        buf.extend_from_slice(&data);
    }
    Ok(single.unwrap_or_else(|| buf.freeze()))
}

/// An error and its sources on one line (hyper's top-level messages alone
/// say little).
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        cur = inner.source();
    }
    s
}
