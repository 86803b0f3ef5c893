//! Route handlers. Each loads the current snapshot once and answers from it.

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use nocwatch_store::{MetricId, Snapshot};
use nocwatch_telemetry::FailureKind;
use nocwatch_telemetry::stats::{PHASES, SourceState};

use crate::error::ApiError;
use crate::metrics::Route;
use crate::state::ApiState;

const JSON: HeaderValue = HeaderValue::from_static("application/json");
const DATA_AGE: HeaderName = HeaderName::from_static("x-data-age-ms");

/// Data age of a snapshot: `None` before the first publish (generation 0).
/// Only for answers that carry no value (errors, `/metrics`): a value's age is
/// its sample's ([`sample_age`]), which a publish by another source does not
/// refresh.
fn data_age(snap: &Snapshot, now: SystemTime) -> Option<Duration> {
    (snap.generation() > 0).then(|| snap.age(now))
}

/// How old a value is: from its observation to `now`.
fn sample_age(sample: &nocwatch_store::Sample, now: SystemTime) -> Duration {
    now.duration_since(sample.time()).unwrap_or_default()
}

pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn unix_millis(t: SystemTime) -> u64 {
    millis(t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default())
}

thread_local! {
    /// The last data-age header value built on this thread: requests in the
    /// same millisecond share it (a reference count instead of an allocation).
    static AGE_HEADER: RefCell<Option<(u64, HeaderValue)>> = const { RefCell::new(None) };
    /// GetMetric's answer is written here, then copied into an exactly sized
    /// buffer: one allocation per answer.
    static ANSWER_BUF: RefCell<Vec<u8>> = RefCell::new(Vec::with_capacity(256));
}

/// The `X-Data-Age-Ms` value for `ms`.
fn age_header(ms: u64) -> HeaderValue {
    AGE_HEADER.with_borrow_mut(|cached| match cached {
        Some((at, v)) if *at == ms => v.clone(),
        _ => {
            let v = HeaderValue::from(ms);
            *cached = Some((ms, v.clone()));
            v
        }
    })
}

/// A JSON response with the data-age header.
pub(crate) fn json(status: StatusCode, body: impl Into<Bytes>, age: Option<Duration>) -> Response {
    let mut r = Response::new(Body::from(body.into()));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.reserve(2);
    h.insert(header::CONTENT_TYPE, JSON);
    if let Some(age) = age {
        h.insert(DATA_AGE, age_header(millis(age)));
    }
    r
}

fn write_age(out: &mut Vec<u8>, age: Option<Duration>) {
    match age {
        Some(a) => write_u64(out, millis(a)),
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

pub(crate) fn error_response(e: &ApiError, age: Option<Duration>) -> Response {
    Answer::error(e, age).into_response()
}

/// Records the handler time and answer status of `route`.
pub(crate) fn finish(state: &ApiState, route: Route, started: Instant, r: Response) -> Response {
    state
        .metrics
        .record(route, r.status().as_u16(), started.elapsed());
    r
}

/// The `key=value` pairs of a query string, decoded as
/// `application/x-www-form-urlencoded` (what `form_urlencoded::parse`
/// yields), in one pass over the bytes: a pair without `%` or `+` (all of
/// GetMetric's in practice) needs no decoding and is borrowed as it is; any
/// other pair goes through `form_urlencoded`. GetMetric's profile showed the
/// general decoder and `str` splitting as a tenth of the server's work.
pub(crate) struct QueryPairs<'q> {
    rest: &'q str,
}

impl<'q> Iterator for QueryPairs<'q> {
    type Item = (Cow<'q, str>, Cow<'q, str>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let bytes = self.rest.as_bytes();
            let mut end = bytes.len();
            let mut eq = None;
            let mut encoded = false;
            for (i, b) in bytes.iter().enumerate() {
                match b {
                    b'&' => {
                        end = i;
                        break;
                    }
                    b'=' if eq.is_none() => eq = Some(i),
                    b'%' | b'+' => encoded = true,
                    _ => {}
                }
            }
            // '&' and '=' are ASCII: every slice below is on a char boundary.
            let pair = self.rest.get(..end).unwrap_or_default();
            self.rest = self.rest.get(end + 1..).unwrap_or_default();
            if pair.is_empty() {
                continue;
            }
            if encoded {
                return form_urlencoded::parse(pair.as_bytes()).next();
            }
            let (k, v) = match eq {
                Some(i) => (
                    pair.get(..i).unwrap_or_default(),
                    pair.get(i + 1..).unwrap_or_default(),
                ),
                None => (pair, ""),
            };
            return Some((Cow::Borrowed(k), Cow::Borrowed(v)));
        }
    }
}

pub(crate) fn query_pairs(q: Option<&str>) -> QueryPairs<'_> {
    QueryPairs {
        rest: q.unwrap_or_default(),
    }
}

/// Appends the decimal digits of `n` (what `write!` does, without the
/// formatting machinery, which showed in GetMetric's profile).
pub(crate) fn write_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    for d in digits.iter_mut().rev() {
        // n % 10 < 10: the cast cannot truncate.
        *d = b'0' + (n % 10) as u8;
        n /= 10;
        start -= 1;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(start..).unwrap_or_default());
}

/// One answer before it becomes an HTTP response: status, JSON body and data
/// age (for the `X-Data-Age-Ms` header).
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
    pub(crate) age: Option<Duration>,
}

impl Answer {
    fn error(e: &ApiError, age: Option<Duration>) -> Self {
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(b"{\"error\":");
        write_str(&mut out, e.code());
        out.extend_from_slice(b",\"message\":");
        write_str(&mut out, &e.to_string());
        out.extend_from_slice(b",\"data_age_ms\":");
        write_age(&mut out, age);
        out.push(b'}');
        Self {
            status: e.status(),
            body: out.into(),
            age,
        }
    }

    fn into_response(self) -> Response {
        json(self.status, self.body, self.age)
    }
}

/// GetMetric's answer to the query string `q`, recorded in the request
/// latency metric.
pub(crate) fn get_metric_answer(state: &ApiState, q: Option<&str>) -> Answer {
    let started = Instant::now();
    let snap = state.store.load();
    let now = SystemTime::now();
    let age = data_age(&snap, now);
    let answer = match lookup(&snap, q) {
        Ok((switch, metric, sample)) => ANSWER_BUF.with_borrow_mut(|out| {
            let age = Some(sample_age(&sample, now));
            out.clear();
            out.extend_from_slice(b"{\"switch_id\":");
            write_str(out, &switch);
            out.extend_from_slice(b",\"metric_name\":");
            write_str(out, &metric);
            out.extend_from_slice(b",\"value\":");
            write_f64(out, sample.value);
            out.extend_from_slice(b",\"observed_at_unix_ms\":");
            write_u64(out, sample.at / 1_000_000);
            out.extend_from_slice(b",\"generation\":");
            write_u64(out, snap.generation());
            out.extend_from_slice(b",\"data_age_ms\":");
            write_age(out, age);
            out.push(b'}');
            Answer {
                status: StatusCode::OK,
                body: Bytes::copy_from_slice(out),
                age,
            }
        }),
        Err(e) => Answer::error(&e, age),
    };
    state
        .metrics
        .record(Route::GetMetric, answer.status.as_u16(), started.elapsed());
    answer
}

/// `GET /telemetry/GetMetric?switch_id=..&metric_name=..`
pub(crate) async fn get_metric(
    State(state): State<Arc<ApiState>>,
    RawQuery(q): RawQuery,
) -> Response {
    get_metric_answer(&state, q.as_deref()).into_response()
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

/// ListMetrics' filter parser, for the fuzz target.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn list_filter_for_fuzzing(q: &str) -> Result<(), ApiError> {
    list_filter(Some(q)).map(|_| ())
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
    let now = SystemTime::now();
    let age = data_age(&snap, now);
    let r = match list_filter(q.as_deref()).and_then(|f| render_list(&snap, &f, now)) {
        Ok((body, oldest)) => json(StatusCode::OK, body, oldest.or(age)),
        Err(e) => error_response(&e, age),
    };
    finish(&state, Route::ListMetrics, started, r)
}

/// The ListMetrics body and the age of its oldest value. Each switch says its
/// own `data_age_ms` (the age of its newest listed value) and `source` (the
/// source that owns it); the top-level `data_age_ms` is the oldest switch's,
/// the staleness bound of the whole answer.
fn render_list(
    snap: &Snapshot,
    f: &ListFilter,
    now: SystemTime,
) -> Result<(Vec<u8>, Option<Duration>), ApiError> {
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
    out.extend_from_slice(b",\"switches\":[");
    let mut count = 0usize;
    let mut oldest: Option<Duration> = None;
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
        let mut newest_at: Option<u64> = None;
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
            let latest = series.latest();
            write_f64(&mut out, latest.value);
            newest_at = Some(newest_at.map_or(latest.at, |n| n.max(latest.at)));
        }
        out.extend_from_slice(b"},\"source\":");
        match snap.owner(name) {
            Some(o) => write_str(&mut out, o),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"data_age_ms\":");
        let age = newest_at.map(|at| sample_age(&nocwatch_store::Sample::new(0.0, at), now));
        write_age(&mut out, age);
        if let Some(a) = age {
            oldest = Some(oldest.map_or(a, |o| o.max(a)));
        }
        out.push(b'}');
    }
    let _ = write!(out, "],\"count\":{count},\"data_age_ms\":");
    write_age(&mut out, oldest);
    out.push(b'}');
    Ok((out, oldest))
}

/// The CSV source's `/health` object.
fn source_health(name: &str, stats: &nocwatch_telemetry::stats::IngestStats) -> serde_json::Value {
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
    serde_json::json!({
        "name": name,
        "state": source_state,
        "last_failure_kind": last_failure.map(FailureKind::as_str),
        "consecutive_failures": stats.consecutive_failures(),
        "cycles_ok": stats.cycles_ok(),
        "failures_total": stats.failures_total(),
        "failures": failures,
        "last_cycle": last_cycle,
    })
}

/// `GET /health`
pub(crate) async fn health(State(state): State<Arc<ApiState>>) -> Response {
    let started = Instant::now();
    let snap = state.store.load();
    let now = SystemTime::now();
    let age = data_age(&snap, now);
    // Each source's own age: a source that stopped publishing is stale even
    // while others publish (the whole snapshot's age would hide it).
    let sources: Vec<serde_json::Value> = snap
        .sources()
        .iter()
        .map(|s| {
            let a = s.age(now);
            serde_json::json!({
                "name": &*s.name,
                "data_age_ms": millis(a),
                "publishes": s.publishes,
                "state": if s.publishes == 0 { "starting" } else if a > state.config.stale_after { "stale" } else { "ok" },
            })
        })
        .collect();
    let oldest_source = snap
        .sources()
        .iter()
        .filter(|s| s.publishes > 0)
        .map(|s| s.age(now))
        .max();
    let status = match (age, oldest_source) {
        (None, _) => "starting",
        (Some(_), Some(a)) if a > state.config.stale_after => "stale",
        (Some(a), None) if a > state.config.stale_after => "stale",
        (Some(_), _) => "ok",
    };
    let source = state
        .ingest
        .as_deref()
        .map_or(serde_json::Value::Null, |stats| {
            source_health(&state.config.source, stats)
        });
    let body = serde_json::json!({
        "status": status,
        "data_age_ms": oldest_source.or(age).map(millis),
        "generation": snap.generation(),
        "store_sources": sources,
        "events": {
            "held": state.events().len(),
            "capacity": state.events().capacity(),
        },
        "series": snap.len(),
        "switches": snap.resources().count(),
        "source": source,
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
    if let Some(ingest) = &state.ingest {
        ingest.write_prometheus(&mut out, &state.config.source, now);
    }
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
    out.push_str("# HELP nocwatch_source_data_age_seconds Time since each source's last successful publish.\n# TYPE nocwatch_source_data_age_seconds gauge\n");
    for s in snap.sources() {
        out.push_str(&format!(
            "nocwatch_source_data_age_seconds{{source=\"{}\"}} {}\n",
            s.name.replace(['\\', '"', '\n'], "_"),
            s.age(now).as_secs_f64()
        ));
    }
    for o in &state.others {
        o.write_prometheus(&mut out);
    }
    state.events().write_prometheus(&mut out);
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn query_pairs_decode_as_form_urlencoded_does() {
        for q in [
            "",
            "&",
            "&&a=1&&",
            "switch_id=SW-05&metric_name=Latency_Avg_uSec",
            "a",
            "a=",
            "=b",
            "a=b=c",
            "a=1&a=2",
            "sw%2Ditch_id=SW%2D05&x=a+b",
            "switch_id=SW-05&metric_name=Bytes%5FIn",
            "k=%zz&m=%e2%82%ac&n=%ff",
            "é=ü&plain=1",
        ] {
            let ours: Vec<(String, String)> = query_pairs(Some(q))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let reference: Vec<(String, String)> = form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            assert_eq!(ours, reference, "query {q:?}");
        }
        assert_eq!(query_pairs(None).count(), 0);
    }

    #[test]
    fn write_u64_prints_decimal() {
        for n in [0, 7, 10, 99, 1_000, 1_795_333_879_811, u64::MAX] {
            let mut out = Vec::new();
            write_u64(&mut out, n);
            assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
        }
    }

    #[test]
    fn age_header_follows_the_value() {
        for ms in [5, 5, 6, 0, 6, 123_456] {
            assert_eq!(age_header(ms).to_str().unwrap(), ms.to_string());
        }
    }
}
