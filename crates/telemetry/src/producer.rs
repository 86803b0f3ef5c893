//! The producer: an HTTP server that serves the simulated fabric as a CSV
//! matrix at `GET /counters`, a new snapshot per tick, with failure modes.
//!
//! Endpoints:
//!
//! * `GET /counters[?mode=MODE][&delay_ms=N]`: the matrix (`text/csv`), or the
//!   failure `MODE` asks for (default: the producer's current mode);
//!   `delay_ms` sets the `SLOW` delay for this request. The `x-snapshot`
//!   header carries the number of the snapshot served (see
//!   [`Producer::snapshots`]).
//! * `GET /mode`: the current mode; `POST /mode?mode=MODE`: sets it (how a
//!   lab user, or a test, breaks a running producer).
//!
//! Snapshots are lazy: time is cut into ticks from the producer's start, and
//! the fabric is evolved and rendered only when a request needs the matrix
//! and the snapshot it has is from an earlier tick. Then it moves on by
//! every tick that passed (counters by rate × the whole time, see
//! [`Fabric::advance_ticks`]), renders once into an immutable `Bytes`, and
//! every request of that tick shares it; a request arriving while the render
//! runs waits for it instead of rendering again. A producer nobody polls, or
//! one answering `ERROR_500` or `EMPTY`, costs no CPU at all; before this,
//! a ticker rendered every tick whether or not anyone asked (at 100,000
//! switches and a 1 s tick, 5 % of a core in bursts, on the same cores as
//! the API under test). The price is that the first request of a tick
//! waits for the render: evolving and rendering 100,000 switches take about
//! 15 ms (`cargo run --release -p nocwatch-telemetry --example render`),
//! on the blocking pool, so the async workers keep serving meanwhile.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use tokio::net::TcpListener;
use tokio::time::Instant;

use crate::error::TelemetryError;
use crate::fabric::Fabric;
use crate::mode::FailureMode;

/// Shortest tick: a smaller configured tick is rounded up to it.
const MIN_TICK: Duration = Duration::from_millis(10);

/// Producer settings.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// Number of switches (1..=100,000). Default 50.
    pub switches: usize,
    /// Time between snapshots (at least 10 ms). Default 5 s.
    pub tick: Duration,
    /// Random seed of the simulation. Default 1.
    pub seed: u64,
    /// Mode at start. Default [`FailureMode::Ok`].
    pub mode: FailureMode,
    /// Delay of the `SLOW` mode. Default 30 s.
    pub slow_delay: Duration,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        Self {
            switches: 50,
            tick: Duration::from_secs(5),
            seed: 1,
            mode: FailureMode::Ok,
            slow_delay: Duration::from_secs(30),
        }
    }
}

/// One rendered snapshot.
#[derive(Debug, Clone)]
struct Snapshot {
    csv: Bytes,
    /// 1 for the state at start, then + 1 per tick of simulated time.
    number: u64,
    /// The start of the tick this snapshot shows (on the tick grid).
    at: Instant,
}

#[derive(Debug)]
struct Inner {
    /// Held while evolving and rendering: one render at a time.
    fabric: Mutex<Fabric>,
    /// The latest snapshot; held only to clone or replace it.
    current: Mutex<Snapshot>,
    /// Requests that find the snapshot stale queue here (asynchronously)
    /// rather than each taking a blocking thread to wait on `fabric`.
    refresh: tokio::sync::Mutex<()>,
    mode: Mutex<FailureMode>,
    slow_delay: Duration,
    tick: Duration,
    served: AtomicU64,
    renders: AtomicU64,
}

/// A running producer's shared state; cheap to clone. The server is started
/// by [`Producer::serve`].
#[derive(Debug, Clone)]
pub struct Producer {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Whole ticks from `from` to `to` (0 if `to` is not later).
fn ticks_between(from: Instant, to: Instant, tick: Duration) -> u64 {
    let elapsed = to.saturating_duration_since(from).as_nanos();
    u64::try_from(elapsed / tick.as_nanos().max(1)).unwrap_or(u64::MAX)
}

impl Producer {
    /// A producer with its first snapshot (number 1) rendered.
    ///
    /// # Errors
    ///
    /// [`TelemetryError::FabricSize`] for a bad switch count.
    pub fn new(config: &ProducerConfig) -> Result<Self, TelemetryError> {
        let fabric = Fabric::new(config.switches, config.seed)?;
        let csv = Bytes::from(fabric.render_csv());
        Ok(Self {
            inner: Arc::new(Inner {
                fabric: Mutex::new(fabric),
                current: Mutex::new(Snapshot {
                    csv,
                    number: 1,
                    at: Instant::now(),
                }),
                refresh: tokio::sync::Mutex::new(()),
                mode: Mutex::new(config.mode),
                slow_delay: config.slow_delay,
                tick: config.tick.max(MIN_TICK),
                served: AtomicU64::new(0),
                renders: AtomicU64::new(1),
            }),
        })
    }

    /// The current default mode.
    #[must_use]
    pub fn mode(&self) -> FailureMode {
        *lock(&self.inner.mode)
    }

    /// Sets the default mode for the following requests.
    pub fn set_mode(&self, mode: FailureMode) {
        *lock(&self.inner.mode) = mode;
    }

    /// Number of the latest rendered snapshot: 1 at start, then + 1 per tick
    /// of simulated time, including the ticks nobody asked for (a snapshot
    /// rendered after k silent ticks is k numbers after the previous one).
    #[must_use]
    pub fn snapshots(&self) -> u64 {
        lock(&self.inner.current).number
    }

    /// Renders done so far (1 after [`Producer::new`]): at most one per
    /// tick, none for ticks nobody asked about.
    #[must_use]
    pub fn renders(&self) -> u64 {
        self.inner.renders.load(Relaxed)
    }

    /// `GET /counters` answers started.
    #[must_use]
    pub fn served(&self) -> u64 {
        self.inner.served.load(Relaxed)
    }

    /// The current CSV body (what `mode=OK` serves now), rendering it first
    /// if the latest snapshot is from an earlier tick. Blocking (CPU-bound
    /// for big fabrics).
    #[must_use]
    pub fn csv(&self) -> Bytes {
        self.refresh_at(Instant::now(), false).csv
    }

    /// Moves on to the next snapshot now, even within the current tick:
    /// the fabric advances by one tick (or by every tick that passed, if
    /// more did) and is rendered. For tests and lab users that want new data
    /// without waiting. Blocking (CPU-bound for big fabrics).
    pub fn tick(&self) {
        let _ = self.refresh_at(Instant::now(), true);
    }

    /// The snapshot for a request arriving at `now`: the latest one if it is
    /// from `now`'s tick, else a new one (rendered by this call, under the
    /// fabric's lock, so that two callers never render the same tick).
    /// `force` moves on by at least one tick.
    fn refresh_at(&self, now: Instant, force: bool) -> Snapshot {
        let tick = self.inner.tick;
        let mut fabric = lock(&self.inner.fabric);
        let latest = lock(&self.inner.current).clone();
        let mut ticks = ticks_between(latest.at, now, tick);
        if force {
            ticks = ticks.max(1);
        }
        if ticks == 0 {
            return latest;
        }
        fabric.advance_ticks(tick.as_secs_f64(), ticks);
        let csv = Bytes::from(fabric.render_csv());
        let span = u64::try_from(tick.as_nanos().saturating_mul(u128::from(ticks)))
            .map_or(Duration::MAX, Duration::from_nanos);
        let next = Snapshot {
            csv,
            number: latest.number.saturating_add(ticks),
            at: latest.at.checked_add(span).unwrap_or(now),
        };
        *lock(&self.inner.current) = next.clone();
        self.inner.renders.fetch_add(1, Relaxed);
        next
    }

    /// The latest snapshot if it is from `now`'s tick.
    fn fresh(&self, now: Instant) -> Option<Snapshot> {
        let latest = lock(&self.inner.current);
        (ticks_between(latest.at, now, self.inner.tick) == 0).then(|| latest.clone())
    }

    /// [`Producer::refresh_at`] for the async handlers: the render runs on
    /// the blocking pool, and requests of the same tick wait for it (on an
    /// async lock) and share its result.
    async fn snapshot(&self) -> Snapshot {
        let now = Instant::now();
        if let Some(s) = self.fresh(now) {
            return s;
        }
        let _turn = self.inner.refresh.lock().await;
        // Whoever held the turn before may have rendered this tick already.
        if let Some(s) = self.fresh(now) {
            return s;
        }
        let p = self.clone();
        match tokio::task::spawn_blocking(move || p.refresh_at(now, false)).await {
            Ok(s) => s,
            Err(error) => {
                // The render panicked: serve the previous snapshot.
                tracing::error!(message = "Producer render failed.", %error);
                lock(&self.inner.current).clone()
            }
        }
    }

    /// The HTTP routes.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/counters", get(counters))
            .route("/mode", get(get_mode).post(post_mode))
            .with_state(self.clone())
    }

    /// Serves on `listener` until `shutdown` completes. Snapshots are
    /// rendered on demand (see the module docs); there is no background
    /// task.
    ///
    /// # Errors
    ///
    /// Socket errors of the server.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), TelemetryError> {
        axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(TelemetryError::from)
    }
}

struct Query {
    mode: Option<FailureMode>,
    delay: Option<Duration>,
}

fn parse_query(q: Option<&str>) -> Result<Query, String> {
    let mut out = Query {
        mode: None,
        delay: None,
    };
    for (k, v) in form_pairs(q.unwrap_or_default()) {
        match k.as_str() {
            "mode" => out.mode = Some(v.parse().map_err(|e: TelemetryError| e.to_string())?),
            "delay_ms" => {
                let ms: u64 = v.parse().map_err(|_| format!("bad delay_ms {v:?}"))?;
                out.delay = Some(Duration::from_millis(ms));
            }
            _ => {}
        }
    }
    Ok(out)
}

/// `k=v&k=v` pairs; values are plain tokens here, so only `%XX`-free input
/// is expected, but `+` and percent escapes are decoded anyway.
fn form_pairs(q: &str) -> impl Iterator<Item = (String, String)> + '_ {
    q.split('&').filter(|p| !p.is_empty()).map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        (unescape(k), unescape(v))
    })
}

fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = b
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                if let Some(v) = hex {
                    out.push(v);
                    i += 2;
                } else {
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn get_mode(State(p): State<Producer>) -> String {
    format!("{}\n", p.mode())
}

async fn post_mode(State(p): State<Producer>, RawQuery(q): RawQuery) -> Response {
    match parse_query(q.as_deref()) {
        Ok(Query { mode: Some(m), .. }) => {
            p.set_mode(m);
            tracing::info!(message = "Producer mode set.", mode = %m);
            format!("{m}\n").into_response()
        }
        Ok(_) => (StatusCode::BAD_REQUEST, "missing ?mode=\n").into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    }
}

fn csv_response(body: impl Into<Body>, snapshot: u64) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::HeaderName::from_static("x-snapshot"),
                HeaderValue::from(snapshot),
            ),
        ],
        body.into(),
    )
        .into_response()
}

async fn counters(State(p): State<Producer>, RawQuery(q): RawQuery) -> Response {
    p.inner.served.fetch_add(1, Relaxed);
    let query = match parse_query(q.as_deref()) {
        Ok(q) => q,
        Err(e) => return (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    };
    let mode = query.mode.unwrap_or_else(|| p.mode());
    // Only the modes that show the matrix pay for a render.
    match mode {
        FailureMode::Error500 => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "simulated internal error\n",
            )
                .into_response();
        }
        FailureMode::Empty => return csv_response(Bytes::new(), p.snapshots()),
        FailureMode::Slow => {
            // The answer is the matrix of when it is sent.
            tokio::time::sleep(query.delay.unwrap_or(p.inner.slow_delay)).await;
        }
        FailureMode::Ok
        | FailureMode::Corrupt
        | FailureMode::WrongSchema
        | FailureMode::Truncated => {}
    }
    let Snapshot { csv, number, .. } = p.snapshot().await;
    match mode {
        FailureMode::Corrupt => csv_response(corrupt(&csv, number), number),
        FailureMode::WrongSchema => csv_response(wrong_schema(&csv), number),
        FailureMode::Truncated => {
            // Half the body, cut mid-line, then an error: hyper ends the
            // connection without the final chunk, as a crashed producer would.
            let half = csv.len() / 2;
            let first = csv.slice(..half);
            let stream = failing_stream(first);
            csv_response(Body::from_stream(stream), number)
        }
        // (`ERROR_500` and `EMPTY` were answered above.)
        FailureMode::Ok | FailureMode::Slow | FailureMode::Error500 | FailureMode::Empty => {
            csv_response(csv, number)
        }
    }
}

/// A stream of `first`, then (after a pause that lets hyper flush the head
/// and the first chunk) an I/O error.
fn failing_stream(
    first: Bytes,
) -> impl futures_core::Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    tokio::spawn(async move {
        if tx.send(Ok(first)).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let _ = tx
                .send(Err(std::io::Error::other("simulated producer crash")))
                .await;
        }
    });
    ChannelStream(rx)
}

struct ChannelStream(tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl futures_core::Stream for ChannelStream {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

/// Garbles every 7th data row (at least one), cycling through three kinds of
/// damage: a non-numeric value, a missing field, an extra field.
fn corrupt(csv: &[u8], salt: u64) -> Bytes {
    let text = String::from_utf8_lossy(csv);
    let mut out = String::with_capacity(csv.len() + 64);
    let start = usize::try_from(salt % 7).unwrap_or(0);
    let rows = text.lines().count().saturating_sub(1);
    // Row `start` and every 7th after it; row 0 when the body has fewer rows.
    let hit = |row: usize| row % 7 == start || (rows <= start && row == 0);
    for (i, line) in text.lines().enumerate() {
        if i > 0 && hit(i - 1) {
            let row = i - 1;
            match (row / 7) % 3 {
                0 => {
                    let mut fields: Vec<&str> = line.split(',').collect();
                    if let Some(f) = fields.get_mut(3) {
                        *f = "#3!x";
                    }
                    out.push_str(&fields.join(","));
                }
                1 => out.push_str(line.rsplit_once(',').map_or(line, |(head, _)| head)),
                _ => {
                    out.push_str(line);
                    out.push_str(",???");
                }
            }
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    Bytes::from(out)
}

/// Renames `Latency_Avg_uSec` and drops the last column (`Temperature_C`).
fn wrong_schema(csv: &[u8]) -> Bytes {
    let text = String::from_utf8_lossy(csv);
    let mut out = String::with_capacity(csv.len());
    for (i, line) in text.lines().enumerate() {
        let line = line.rsplit_once(',').map_or(line, |(head, _)| head);
        if i == 0 {
            out.push_str(&line.replace("Latency_Avg_uSec", "Latency_Avg_mSec"));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use crate::csv::{CsvError, parse};

    #[test]
    fn damaged_bodies_fail_validation_as_intended() {
        for n in [1, 2, 6, 7, 8, 50, 1000] {
            let f = Fabric::new(n, 3).unwrap();
            let csv = f.render_csv();
            assert!(parse(csv.as_bytes()).is_ok());
            for salt in 0..7 {
                let bad = corrupt(csv.as_bytes(), salt);
                let err = parse(&bad).unwrap_err();
                assert!(
                    matches!(err, CsvError::BadValue { .. } | CsvError::FieldCount { .. }),
                    "{n} switches, salt {salt}: {err:?}"
                );
            }
            assert!(matches!(
                parse(&wrong_schema(csv.as_bytes())),
                Err(CsvError::MissingColumn { .. })
            ));
        }
    }

    fn producer(switches: usize, tick: Duration) -> Producer {
        Producer::new(&ProducerConfig {
            switches,
            tick,
            ..ProducerConfig::default()
        })
        .unwrap()
    }

    fn bytes_in(csv: &[u8], row: usize) -> f64 {
        parse(csv).unwrap().rows().nth(row).unwrap().1[0]
    }

    #[tokio::test(start_paused = true)]
    async fn snapshots_are_rendered_on_demand_at_most_once_per_tick() {
        let p = producer(50, Duration::from_secs(1));
        let first = p.snapshot().await;
        assert_eq!((first.number, p.renders()), (1, 1));

        // Nobody asks for ten ticks: nothing is rendered.
        tokio::time::advance(Duration::from_millis(10_300)).await;
        assert_eq!((p.snapshots(), p.renders()), (1, 1));

        // The next request gets the snapshot ten ticks later, in one render,
        // with the counters grown by rate x ten seconds.
        let later = p.snapshot().await;
        assert_eq!((later.number, p.renders()), (11, 2));
        let grown = bytes_in(&later.csv, 4) - bytes_in(&first.csv, 4);
        let line = 100e9 / 8.0 * 10.0;
        assert!(
            grown >= 0.01 * line * 0.9 && grown <= line * 1.05,
            "{grown}"
        );

        // Within the same tick: the same snapshot, shared.
        tokio::time::advance(Duration::from_millis(600)).await;
        let same = p.snapshot().await;
        assert_eq!((same.number, p.renders()), (11, 2));
        assert_eq!(same.csv, later.csv);
        // The tick grid runs from the start: 10.9 s is in tick 10, 11.0 s in 11.
        tokio::time::advance(Duration::from_millis(100)).await;
        assert_eq!(p.snapshot().await.number, 12);
        assert_eq!(p.renders(), 3);

        // `tick()` moves on at once; the blocking `csv()` agrees.
        p.tick();
        assert_eq!((p.snapshots(), p.renders()), (13, 4));
        assert_eq!(p.csv(), p.snapshot().await.csv);
        assert_eq!(p.renders(), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_requests_of_a_tick_share_one_render() {
        let p = producer(5_000, Duration::from_secs(5));
        tokio::time::advance(Duration::from_secs(12)).await;
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let p = p.clone();
                tokio::spawn(async move { p.snapshot().await })
            })
            .collect();
        let mut numbers = Vec::new();
        for t in tasks {
            let s = t.await.unwrap();
            numbers.push((s.number, s.csv.len()));
        }
        assert!(numbers.iter().all(|n| *n == numbers[0]), "{numbers:?}");
        assert_eq!(numbers[0].0, 3);
        assert_eq!(p.renders(), 2);
    }

    async fn get(url: &str) -> (u16, Option<u64>, Bytes) {
        use http_body_util::BodyExt as _;
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http::<http_body_util::Empty<Bytes>>();
        let r = client.get(url.parse().unwrap()).await.unwrap();
        let status = r.status().as_u16();
        let snapshot = r
            .headers()
            .get("x-snapshot")
            .map(|v| v.to_str().unwrap().parse().unwrap());
        let body = r.into_body().collect().await.map(|c| c.to_bytes());
        (status, snapshot, body.unwrap_or_default())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn failing_modes_without_a_matrix_render_nothing() {
        let p = producer(200, Duration::from_millis(20));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(p.clone().serve(listener, std::future::pending()));

        p.set_mode(FailureMode::Error500);
        for _ in 0..5 {
            tokio::time::sleep(Duration::from_millis(25)).await;
            assert_eq!(get(&format!("{base}/counters")).await.0, 500);
            let (status, _, body) = get(&format!("{base}/counters?mode=EMPTY")).await;
            assert_eq!((status, body.len()), (200, 0));
        }
        assert_eq!(p.renders(), 1, "no render for ERROR_500 or EMPTY");

        // The next matrix is several ticks on, in one render.
        let (status, number, body) = get(&format!("{base}/counters?mode=OK")).await;
        assert_eq!(status, 200);
        assert!(number.unwrap() >= 6, "{number:?}");
        assert_eq!(p.renders(), 2);
        assert_eq!(parse(&body).unwrap().len(), 200);
        assert_eq!(p.served(), 11);
    }

    #[test]
    fn query_parsing() {
        let q = parse_query(Some("mode=slow&delay_ms=250&x=1")).unwrap();
        assert_eq!(q.mode, Some(FailureMode::Slow));
        assert_eq!(q.delay, Some(Duration::from_millis(250)));
        assert!(parse_query(Some("mode=nope")).is_err());
        assert_eq!(unescape("WRONG%5FSCHEMA"), "WRONG_SCHEMA");
    }
}
