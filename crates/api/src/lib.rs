//! The nocwatch query API (axum).
//!
//! | route | answer |
//! |---|---|
//! | `GET /telemetry/GetMetric?switch_id=SW-05&metric_name=Latency_Avg_uSec` | one value; 400 (JSON) for a missing parameter, 404 for an unknown switch or metric |
//! | `GET /telemetry/ListMetrics[?switch_id=..][&switch_prefix=..][&metric_prefix=..][&limit=..&offset=..]` | every metric of every (selected) switch |
//! | `GET /health` | source state, data age, last cycle phases; 503 before the first snapshot |
//! | `GET /metrics` | Prometheus text: ingestion phases, failures by kind, data age, request latency |
//! | `GET /events[?resource=..][&severity=..][&name=..][&since=..][&until=..][&limit=..][&after=ID]` | recent events (traps, polling findings), newest first (oldest first after an id) |
//! | `GET /events/stream[?same filters]` | the same, live, as server-sent events; `Last-Event-ID` replays what a reconnecting client missed |
//! | `POST /admin/reload` | with `Authorization: Bearer TOKEN`: reloads rules, users and communities without a restart |
//! | `GET /openapi.json` | the OpenAPI 3.1 description of all of the above |
//!
//! Every data answer says how old its data is: a `data_age_ms` field in the
//! JSON body and an `X-Data-Age-Ms` header (the time since the snapshot was
//! published; absent, and `null` in JSON, before the first one).
//!
//! Reads never block: a handler loads the current snapshot with one
//! lock-free atomic load ([`nocwatch_store::Store::load`]) and answers from
//! that immutable snapshot, whatever the ingestion does meanwhile, so one
//! answer never mixes two snapshots.
//!
//! Request latency is measured inside the handler (snapshot load, lookup,
//! serialisation), not including HTTP parsing and socket writes, which the
//! load generator's figures include.

mod error;
mod event_routes;
pub mod events;
mod handlers;
mod metrics;
mod section;
mod server;
mod state;
pub mod tls;

/// Entry points for the cargo-fuzz targets (feature `fuzzing`).
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;

pub use error::ApiError;
pub use events::EventLog;
pub use section::ApiSection;
pub use state::{ApiConfig, ApiState, ReloadHook, SourceReport};

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{oneshot, watch};

/// The OpenAPI description served at `/openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// The API's routes over `state`.
pub fn router(state: Arc<ApiState>) -> Router {
    Router::new()
        .route("/telemetry/GetMetric", get(handlers::get_metric))
        .route("/telemetry/ListMetrics", get(handlers::list_metrics))
        .route("/health", get(handlers::health))
        .route("/metrics", get(handlers::metrics))
        .route("/openapi.json", get(handlers::openapi))
        .route("/events", get(event_routes::events))
        .route("/events/stream", get(event_routes::events_stream))
        .route("/admin/reload", post(event_routes::reload))
        .fallback(handlers::not_found)
        .with_state(state)
}

/// Serves the API on `listener` until `shutdown` completes, then finishes
/// the requests in flight.
///
/// # Errors
///
/// Socket errors of the server.
pub async fn serve(
    listener: TcpListener,
    state: Arc<ApiState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ApiError> {
    server::serve(listener, router(state), shutdown, None).await
}

/// [`serve`] over TLS with `acceptor` (see [`tls::acceptor`]).
///
/// # Errors
///
/// Socket errors of the server.
pub async fn serve_tls(
    listener: TcpListener,
    state: Arc<ApiState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    acceptor: tokio_rustls::TlsAcceptor,
) -> Result<(), ApiError> {
    server::serve(listener, router(state), shutdown, Some(acceptor)).await
}

/// API servers running on their own threads, one single-threaded runtime
/// and one `SO_REUSEPORT` listener each (see [`serve_sharded`]).
#[derive(Debug)]
pub struct ShardedServer {
    addr: SocketAddr,
    done: Vec<oneshot::Receiver<Result<(), ApiError>>>,
}

impl ShardedServer {
    /// The address all the listeners share.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Waits until every server thread has stopped.
    ///
    /// # Errors
    ///
    /// The first server error, or a thread that died.
    pub async fn wait(self) -> Result<(), ApiError> {
        let mut result = Ok(());
        for d in self.done {
            let r = d
                .await
                .unwrap_or_else(|_| Err(ApiError::Io(std::io::Error::other("API thread died"))));
            if result.is_ok() {
                result = r;
            }
        }
        result
    }
}

fn reuseport_listener(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.set_reuseport(true)?;
    socket.set_nodelay(true)?;
    socket.bind(addr)?;
    socket.listen(1024)
}

/// Serves the API on `threads` threads (at least one), each a
/// single-threaded tokio runtime with its own `SO_REUSEPORT` listener on the
/// same address; the kernel spreads connections over them. Compared with one
/// multi-threaded runtime this avoids cross-thread wake-ups and work
/// stealing per request: on the 2-core bench machine it served 25-50 % more
/// GetMetric requests per second with a lower p99 (docs/BENCHMARKS.md). A
/// connection stays on its thread, so a thread that is descheduled delays
/// its own connections only.
///
/// With port 0 the first listener picks the port and the others join it.
/// The servers stop (finishing requests in flight) once `shutdown` holds
/// `true`.
///
/// # Errors
///
/// Binding failed (address in use, no permission) or a thread could not
/// start; threads already started stop with the shutdown signal.
pub async fn serve_sharded(
    addr: SocketAddr,
    threads: usize,
    state: Arc<ApiState>,
    shutdown: &watch::Receiver<bool>,
) -> Result<ShardedServer, ApiError> {
    serve_sharded_with(addr, threads, state, shutdown, None).await
}

/// [`serve_sharded`], over TLS when `tls` is given.
///
/// # Errors
///
/// As [`serve_sharded`].
pub async fn serve_sharded_with(
    addr: SocketAddr,
    threads: usize,
    state: Arc<ApiState>,
    shutdown: &watch::Receiver<bool>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) -> Result<ShardedServer, ApiError> {
    let mut bound = addr;
    let mut done = Vec::new();
    for i in 0..threads.max(1) {
        let (ready_tx, ready_rx) = oneshot::channel::<std::io::Result<SocketAddr>>();
        let (done_tx, done_rx) = oneshot::channel();
        let state = Arc::clone(&state);
        let mut stop = shutdown.clone();
        let at = bound;
        let tls = tls.clone();
        std::thread::Builder::new()
            .name(format!("nocwatch-api-{i}"))
            .spawn(move || {
                // I/O only: nothing on these threads uses tokio's timer, whose
                // upkeep at every park costs a few % of a GetMetric request.
                let result = tokio::runtime::Builder::new_current_thread()
                    .enable_io()
                    .build()
                    .map_err(ApiError::Io)
                    .and_then(|rt| {
                        rt.block_on(async move {
                            let listener = match reuseport_listener(at) {
                                Ok(l) => l,
                                Err(e) => {
                                    let _ = ready_tx.send(Err(e));
                                    return Ok(());
                                }
                            };
                            let _ = ready_tx.send(listener.local_addr());
                            let stopped = async move {
                                let _ = stop.wait_for(|s| *s).await;
                            };
                            server::serve(listener, router(state), stopped, tls).await
                        })
                    });
                let _ = done_tx.send(result);
            })?;
        bound = ready_rx
            .await
            .map_err(|_| ApiError::Io(std::io::Error::other("API thread died at start")))??;
        done.push(done_rx);
    }
    Ok(ShardedServer { addr: bound, done })
}
