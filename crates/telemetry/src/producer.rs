//! The producer: an HTTP server that serves the simulated fabric as a CSV
//! matrix at `GET /counters`, re-rendered every tick, with failure modes.
//!
//! Endpoints:
//!
//! * `GET /counters[?mode=MODE][&delay_ms=N]`: the matrix (`text/csv`), or the
//!   failure `MODE` asks for (default: the producer's current mode);
//!   `delay_ms` sets the `SLOW` delay for this request.
//! * `GET /mode`: the current mode; `POST /mode?mode=MODE`: sets it (how a
//!   lab user, or a test, breaks a running producer).
//!
//! The matrix is rendered once per tick into an immutable `Bytes` and every
//! request shares it, so serving costs no formatting. Rendering runs on the
//! blocking pool (100,000 switches take tens of milliseconds).

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use tokio::net::TcpListener;

use crate::error::TelemetryError;
use crate::fabric::Fabric;
use crate::mode::FailureMode;

/// Producer settings.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// Number of switches (1..=100,000). Default 50.
    pub switches: usize,
    /// Time between snapshots. Default 5 s.
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

#[derive(Debug)]
struct Inner {
    fabric: Mutex<Fabric>,
    csv: Mutex<Bytes>,
    mode: Mutex<FailureMode>,
    slow_delay: Duration,
    tick: Duration,
    last_tick: Mutex<Instant>,
    served: AtomicU64,
    snapshots: AtomicU64,
}

/// A running producer's shared state; cheap to clone. The server and the
/// ticker are started by [`Producer::serve`].
#[derive(Debug, Clone)]
pub struct Producer {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Producer {
    /// A producer with its first snapshot rendered.
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
                csv: Mutex::new(csv),
                mode: Mutex::new(config.mode),
                slow_delay: config.slow_delay,
                tick: config.tick,
                last_tick: Mutex::new(Instant::now()),
                served: AtomicU64::new(0),
                snapshots: AtomicU64::new(1),
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

    /// Snapshots rendered so far (1 after [`Producer::new`]).
    #[must_use]
    pub fn snapshots(&self) -> u64 {
        self.inner.snapshots.load(Relaxed)
    }

    /// `GET /counters` answers started.
    #[must_use]
    pub fn served(&self) -> u64 {
        self.inner.served.load(Relaxed)
    }

    /// The current CSV body (what `mode=OK` serves).
    #[must_use]
    pub fn csv(&self) -> Bytes {
        lock(&self.inner.csv).clone()
    }

    /// Advances the fabric by the time since the last tick and renders the
    /// next snapshot. Blocking (CPU-bound): call it off the async runtime for
    /// big fabrics, as the ticker does.
    pub fn tick(&self) {
        let now = Instant::now();
        let dt = {
            let mut last = lock(&self.inner.last_tick);
            let dt = now.duration_since(*last);
            *last = now;
            dt
        };
        let csv = {
            let mut fabric = lock(&self.inner.fabric);
            fabric.advance(dt.as_secs_f64());
            fabric.render_csv()
        };
        *lock(&self.inner.csv) = Bytes::from(csv);
        self.inner.snapshots.fetch_add(1, Relaxed);
    }

    /// The HTTP routes (without the ticker; see [`Producer::serve`]).
    pub fn router(&self) -> Router {
        Router::new()
            .route("/counters", get(counters))
            .route("/mode", get(get_mode).post(post_mode))
            .with_state(self.clone())
    }

    /// Serves on `listener` and renders a snapshot every tick until
    /// `shutdown` completes.
    ///
    /// # Errors
    ///
    /// Socket errors of the server.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), TelemetryError> {
        let ticker = {
            let p = self.clone();
            let period = self.inner.tick.max(Duration::from_millis(10));
            tokio::spawn(async move {
                let mut interval =
                    tokio::time::interval_at(tokio::time::Instant::now() + period, period);
                interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    interval.tick().await;
                    let p = p.clone();
                    if tokio::task::spawn_blocking(move || p.tick()).await.is_err() {
                        tracing::error!(message = "Producer tick task failed.");
                    }
                }
            })
        };
        let result = axum::serve(listener, self.router())
            .with_graceful_shutdown(shutdown)
            .await;
        ticker.abort();
        result.map_err(TelemetryError::from)
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

fn csv_response(body: impl Into<Body>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8")],
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
    let csv = p.csv();
    match mode {
        FailureMode::Ok => csv_response(csv),
        FailureMode::Error500 => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "simulated internal error\n",
        )
            .into_response(),
        FailureMode::Empty => csv_response(Bytes::new()),
        FailureMode::Corrupt => csv_response(corrupt(&csv, p.snapshots())),
        FailureMode::WrongSchema => csv_response(wrong_schema(&csv)),
        FailureMode::Slow => {
            tokio::time::sleep(query.delay.unwrap_or(p.inner.slow_delay)).await;
            csv_response(csv)
        }
        FailureMode::Truncated => {
            // Half the body, cut mid-line, then an error: hyper ends the
            // connection without the final chunk, as a crashed producer would.
            let half = csv.len() / 2;
            let first = csv.slice(..half);
            let stream = failing_stream(first);
            csv_response(Body::from_stream(stream))
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

    #[test]
    fn query_parsing() {
        let q = parse_query(Some("mode=slow&delay_ms=250&x=1")).unwrap();
        assert_eq!(q.mode, Some(FailureMode::Slow));
        assert_eq!(q.delay, Some(Duration::from_millis(250)));
        assert!(parse_query(Some("mode=nope")).is_err());
        assert_eq!(unescape("WRONG%5FSCHEMA"), "WRONG_SCHEMA");
    }
}
