//! The nocwatch query API (axum).
//!
//! | route | answer |
//! |---|---|
//! | `GET /telemetry/GetMetric?switch_id=SW-05&metric_name=Latency_Avg_uSec` | one value; 400 (JSON) for a missing parameter, 404 for an unknown switch or metric |
//! | `GET /telemetry/ListMetrics[?switch_id=..][&switch_prefix=..][&metric_prefix=..][&limit=..&offset=..]` | every metric of every (selected) switch |
//! | `GET /health` | source state, data age, last cycle phases; 503 before the first snapshot |
//! | `GET /metrics` | Prometheus text: ingestion phases, failures by kind, data age, request latency |
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
mod handlers;
mod metrics;
mod state;

pub use error::ApiError;
pub use state::{ApiConfig, ApiState};

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;

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
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ApiError::Io)
}
