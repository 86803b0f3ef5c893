//! Route handlers. Each loads the current snapshot once and answers from it.

use std::borrow::Cow;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use nocwatch_store::{MetricId, Snapshot};
use nocwatch_telemetry::FailureKind;
use nocwatch_telemetry::stats::{PHASES, SourceState};

use crate::error::ApiError;
use crate::metrics::Route;
use crate::state::ApiState;

const JSON: HeaderValue = HeaderValue::from_static("application/json");
const DATA_AGE: &str = "x-data-age-ms";

/// Data age of a snapshot: `None` before the first publish (generation 0).
fn data_age(snap: &Snapshot, now: SystemTime) -> Option<Duration> {
    (snap.generation() > 0).then(|| snap.age(now))
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn unix_millis(t: SystemTime) -> u64 {
    millis(t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default())
}

/// A JSON response with the data-age header.
fn json(status: StatusCode, body: Vec<u8>, age: Option<Duration>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, JSON);
    if let Some(age) = age {
        h.insert(DATA_AGE, HeaderValue::from(millis(age)));
    }
    r
}

fn write_age(out: &mut Vec<u8>, age: Option<Duration>) {
    match age {
        Some(a) => {
            let _ = write!(out, "{}", millis(a));
        }
        None => out.extend_from_slice(b"null"),
    }
}

fn write_str(out: &mut Vec<u8>, s: &str) {
    // Serialising a &str to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

fn write_f64(out: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        let _ = serde_json::to_writer(&mut *out, &v);
    } else {
        out.extend_from_slice(b"null");
    }
}

fn error_response(e: &ApiError, age: Option<Duration>) -> Response {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(b"{\"error\":");
    write_str(&mut out, e.code());
    out.extend_from_slice(b",\"message\":");
    write_str(&mut out, &e.to_string());
    out.extend_from_slice(b",\"data_age_ms\":");
    write_age(&mut out, age);
    out.push(b'}');
    json(e.status(), out, age)
}

/// Records the handler time and answer status of `route`.
fn finish(state: &ApiState, route: Route, started: Instant, r: Response) -> Response {
    state
        .metrics
        .record(route, r.status().as_u16(), started.elapsed());
    r
}

fn query_pairs(q: Option<&str>) -> form_urlencoded::Parse<'_> {
    form_urlencoded::parse(q.unwrap_or_default().as_bytes())
}

/// `GET /telemetry/GetMetric?switch_id=..&metric_name=..`
pub(crate) async fn get_metric(
    State(state): State<Arc<ApiState>>,
    RawQuery(q): RawQuery,
) -> Response {
    let started = Instant::now();
    let snap = state.store.load();
    let age = data_age(&snap, SystemTime::now());
    let r = match lookup(&snap, q.as_deref()) {
        Ok((switch, metric, sample)) => {
            let mut out = Vec::with_capacity(192);
            out.extend_from_slice(b"{\"switch_id\":");
            write_str(&mut out, &switch);
            out.extend_from_slice(b",\"metric_name\":");
            write_str(&mut out, &metric);
            out.extend_from_slice(b",\"value\":");
            write_f64(&mut out, sample.value);
            let _ = write!(
                out,
                ",\"observed_at_unix_ms\":{},\"generation\":{},\"data_age_ms\":",
                sample.at / 1_000_000,
                snap.generation()
            );
            write_age(&mut out, age);
            out.push(b'}');
            json(StatusCode::OK, out, age)
        }
        Err(e) => error_response(&e, age),
    };
    finish(&state, Route::GetMetric, started, r)
}

fn lookup<'q>(
    snap: &Snapshot,
    q: Option<&'q str>,
) -> Result<(Cow<'q, str>, Cow<'q, str>, nocwatch_store::Sample), ApiError> {
    let mut switch = None;
    let mut metric = None;
    for (k, v) in query_pairs(q) {
        match &*k {
            "switch_id" => switch = Some(v),
            "metric_name" => metric = Some(v),
            _ => {}
        }
    }
    let switch = switch
        .filter(|s| !s.is_empty())
        .ok_or(ApiError::MissingParameter("switch_id"))?;
    let metric = metric
        .filter(|s| !s.is_empty())
        .ok_or(ApiError::MissingParameter("metric_name"))?;
    if snap.generation() == 0 {
        return Err(ApiError::NoData);
    }
    match snap.latest(&switch, &metric) {
        Some(sample) => Ok((switch, metric, sample)),
        None if !snap.has_resource(&switch) => Err(ApiError::UnknownSwitch(switch.into_owned())),
        None => Err(ApiError::UnknownMetric {
            switch: switch.into_owned(),
            metric: metric.into_owned(),
        }),
    }
}

/// Filters of ListMetrics.
#[derive(Debug, Default)]
struct ListFilter {
    switches: Vec<String>,
    switch_prefix: Option<String>,
    metric_prefix: Option<String>,
    limit: Option<usize>,
    offset: usize,
}

fn list_filter(q: Option<&str>) -> Result<ListFilter, ApiError> {
    let mut f = ListFilter::default();
    for (k, v) in query_pairs(q) {
        match &*k {
            "switch_id" => f
                .switches
                .extend(v.split(',').filter(|s| !s.is_empty()).map(str::to_owned)),
            "switch_prefix" => f.switch_prefix = Some(v.into_owned()),
            "metric_prefix" | "metric_name" => f.metric_prefix = Some(v.into_owned()),
            "limit" => {
                f.limit = Some(v.parse().map_err(|_| ApiError::InvalidParameter("limit"))?);
            }
            "offset" => {
                f.offset = v
                    .parse()
                    .map_err(|_| ApiError::InvalidParameter("offset"))?
            }
            _ => {}
        }
    }
    Ok(f)
}

/// `GET /telemetry/ListMetrics`
pub(crate) async fn list_metrics(
    State(state): State<Arc<ApiState>>,
    RawQuery(q): RawQuery,
) -> Response {
    let started = Instant::now();
    let snap = state.store.load();
    let age = data_age(&snap, SystemTime::now());
    let r = match list_filter(q.as_deref()).and_then(|f| render_list(&snap, &f, age)) {
        Ok(body) => json(StatusCode::OK, body, age),
        Err(e) => error_response(&e, age),
    };
    finish(&state, Route::ListMetrics, started, r)
}

fn render_list(
    snap: &Snapshot,
    f: &ListFilter,
    age: Option<Duration>,
) -> Result<Vec<u8>, ApiError> {
    if let Some(unknown) = f.switches.iter().find(|s| !snap.has_resource(s)) {
        return Err(ApiError::UnknownSwitch(unknown.clone()));
    }
    let metrics: Vec<(&str, MetricId)> = snap
        .metrics()
        .filter(|m| f.metric_prefix.as_deref().is_none_or(|p| m.starts_with(p)))
        .filter_map(|m| Some((m, snap.metric_id(m)?)))
        .collect();
    let selected: Box<dyn Iterator<Item = &str>> = if f.switches.is_empty() {
        Box::new(snap.resources())
    } else {
        Box::new(f.switches.iter().map(String::as_str))
    };
    let selected = selected
        .filter(|s| f.switch_prefix.as_deref().is_none_or(|p| s.starts_with(p)))
        .skip(f.offset)
        .take(f.limit.unwrap_or(usize::MAX));
    let mut out = Vec::with_capacity(256 + 64 * snap.len());
    let _ = write!(
        out,
        "{{\"generation\":{},\"published_at_unix_ms\":",
        snap.generation()
    );
    if snap.generation() > 0 {
        let _ = write!(out, "{}", unix_millis(snap.published_at()));
    } else {
        out.extend_from_slice(b"null");
    }
    out.extend_from_slice(b",\"data_age_ms\":");
    write_age(&mut out, age);
    out.extend_from_slice(b",\"switches\":[");
    let mut count = 0usize;
    for name in selected {
        let Some(rid) = snap.resource_id(name) else {
            continue;
        };
        if count > 0 {
            out.push(b',');
        }
        count += 1;
        out.extend_from_slice(b"{\"switch_id\":");
        write_str(&mut out, name);
        out.extend_from_slice(b",\"metrics\":{");
        let mut first = true;
        for (m, mid) in &metrics {
            let Some(series) = snap.get_by_id(rid, *mid) else {
                continue;
            };
            if !first {
                out.push(b',');
            }
            first = false;
            write_str(&mut out, m);
            out.push(b':');
            write_f64(&mut out, series.latest().value);
        }
        out.extend_from_slice(b"}}");
    }
    let _ = write!(out, "],\"count\":{count}}}");
    Ok(out)
}

/// `GET /health`
pub(crate) async fn health(State(state): State<Arc<ApiState>>) -> Response {
    let started = Instant::now();
    let snap = state.store.load();
    let age = data_age(&snap, SystemTime::now());
    let stats = &state.ingest;
    let status = match age {
        None => "starting",
        Some(a) if a > state.config.stale_after => "stale",
        Some(_) => "ok",
    };
    let (source_state, last_failure) = match stats.state() {
        SourceState::Starting => ("starting", None),
        SourceState::Ok => ("ok", None),
        SourceState::Failing(k) => ("failing", Some(k)),
    };
    let failures: serde_json::Map<String, serde_json::Value> = FailureKind::ALL
        .iter()
        .map(|k| (k.as_str().to_owned(), stats.failures(*k).into()))
        .collect();
    let last = stats.last_phases();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mut last_cycle = serde_json::Map::new();
    for (p, d) in PHASES.iter().zip([last.fetch, last.parse, last.swap]) {
        last_cycle.insert(format!("{p}_ms"), ms(d).into());
    }
    last_cycle.insert("total_ms".into(), ms(last.total()).into());
    let body = serde_json::json!({
        "status": status,
        "data_age_ms": age.map(millis),
        "generation": snap.generation(),
        "series": snap.len(),
        "switches": snap.resources().count(),
        "source": {
            "name": state.config.source,
            "state": source_state,
            "last_failure_kind": last_failure.map(FailureKind::as_str),
            "consecutive_failures": stats.consecutive_failures(),
            "cycles_ok": stats.cycles_ok(),
            "failures_total": stats.failures_total(),
            "failures": failures,
            "last_cycle": last_cycle,
        },
        "other_sources": state.others.iter().map(|o| o.health()).collect::<Vec<_>>(),
    });
    let code = if age.is_some() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let r = json(code, serde_json::to_vec(&body).unwrap_or_default(), age);
    finish(&state, Route::Health, started, r)
}

/// `GET /metrics`
pub(crate) async fn metrics(State(state): State<Arc<ApiState>>) -> Response {
    let started = Instant::now();
    let snap = state.store.load();
    let now = SystemTime::now();
    let age = data_age(&snap, now);
    let mut out = String::with_capacity(8 * 1024);
    state
        .ingest
        .write_prometheus(&mut out, &state.config.source, now);
    out.push_str("# HELP nocwatch_store_series Series in the current snapshot.\n# TYPE nocwatch_store_series gauge\n");
    out.push_str(&format!("nocwatch_store_series {}\n", snap.len()));
    out.push_str("# HELP nocwatch_store_generation Publishes since start.\n# TYPE nocwatch_store_generation counter\n");
    out.push_str(&format!(
        "nocwatch_store_generation {}\n",
        snap.generation()
    ));
    out.push_str("# HELP nocwatch_store_data_age_seconds Time since the current snapshot was published.\n# TYPE nocwatch_store_data_age_seconds gauge\n");
    if let Some(a) = age {
        out.push_str(&format!(
            "nocwatch_store_data_age_seconds {}\n",
            a.as_secs_f64()
        ));
    }
    for o in &state.others {
        o.write_prometheus(&mut out);
    }
    state.metrics.write_prometheus(&mut out);
    let mut r = (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response();
    if let Some(a) = age {
        r.headers_mut()
            .insert(DATA_AGE, HeaderValue::from(millis(a)));
    }
    finish(&state, Route::Metrics, started, r)
}

/// `GET /openapi.json`
pub(crate) async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, JSON)], crate::OPENAPI_JSON).into_response()
}

/// Any other route.
pub(crate) async fn not_found(State(state): State<Arc<ApiState>>) -> Response {
    let started = Instant::now();
    let snap = state.store.load();
    let age = data_age(&snap, SystemTime::now());
    let r = error_response(&ApiError::NotFound, age);
    finish(&state, Route::Other, started, r)
}
