//! `GET /events`, `GET /events/stream` and `POST /admin/reload`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use bytes::Bytes;
use nocwatch_model::{EventFilter, Severity};
use tokio::sync::broadcast::error::RecvError;

use crate::error::ApiError;
use crate::events::{EventLog, StreamItem, sse_event};
use crate::handlers::{error_response, finish, json, query_pairs};
use crate::metrics::Route;
use crate::state::ApiState;

/// Default and largest `limit` of `GET /events`.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 10_000;

/// A time parameter: unix milliseconds (`1767225600000`), or a duration before
/// now in the config's syntax (`15m`, `2h`).
fn time_param(v: &str, name: &'static str, now: SystemTime) -> Result<u64, ApiError> {
    let unix_ns = |t: SystemTime| {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
    };
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        let ms: u64 = v.parse().map_err(|_| ApiError::InvalidParameter(name))?;
        return Ok(ms.saturating_mul(1_000_000));
    }
    let ago = nocwatch_model::duration::parse_duration(v)
        .map_err(|_| ApiError::InvalidParameter(name))?;
    Ok(unix_ns(
        now.checked_sub(ago).unwrap_or(SystemTime::UNIX_EPOCH),
    ))
}

/// The filter and limit of an events query. Unknown parameters are refused so a
/// typo (`severty=major`) does not silently return everything.
pub(crate) fn event_query(
    q: Option<&str>,
    now: SystemTime,
) -> Result<(EventFilter, usize, Option<u64>), ApiError> {
    let mut f = EventFilter::default();
    let mut limit = DEFAULT_LIMIT;
    let mut after = None;
    for (k, v) in query_pairs(q) {
        match &*k {
            "resource" => f.resource = Some(v.into_owned()),
            "severity" => {
                f.severity = Some(
                    v.parse::<Severity>()
                        .map_err(|_| ApiError::InvalidParameter("severity"))?,
                );
            }
            "name" | "event" => f.name = Some(v.into_owned()),
            "since" => f.since_unix_ns = Some(time_param(&v, "since", now)?),
            "until" => f.until_unix_ns = Some(time_param(&v, "until", now)?),
            "limit" => {
                limit = v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or(ApiError::InvalidParameter("limit"))?;
            }
            "after" => {
                after = Some(
                    v.parse::<u64>()
                        .map_err(|_| ApiError::InvalidParameter("after"))?,
                );
            }
            _ => return Err(ApiError::UnknownParameter(k.into_owned())),
        }
    }
    Ok((f, limit, after))
}

/// `GET /events`: the newest events first.
pub(crate) async fn events(State(state): State<Arc<ApiState>>, RawQuery(q): RawQuery) -> Response {
    let started = Instant::now();
    let r = match event_query(q.as_deref(), SystemTime::now()) {
        Ok((filter, limit, after)) => {
            let log = state.events();
            let list = match after {
                // Oldest first from a known id: what a poller of this route wants.
                Some(a) => {
                    let mut v = log.since(a, &filter);
                    v.truncate(limit);
                    v
                }
                None => log.recent(&filter, limit),
            };
            let mut out = Vec::with_capacity(64 + list.len() * 256);
            out.extend_from_slice(b"{\"events\":[");
            for (i, l) in list.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(&l.to_json());
            }
            out.extend_from_slice(
                format!(
                    "],\"count\":{},\"held\":{},\"capacity\":{}}}",
                    list.len(),
                    log.len(),
                    log.capacity()
                )
                .as_bytes(),
            );
            json(StatusCode::OK, out, None)
        }
        Err(e) => error_response(&e, None),
    };
    finish(&state, Route::Events, started, r)
}

struct StreamState {
    rx: tokio::sync::broadcast::Receiver<StreamItem>,
    filter: EventFilter,
    last_id: u64,
    pending: std::collections::VecDeque<Bytes>,
    log: Arc<EventLog>,
    done: bool,
}

/// `GET /events/stream`: server-sent events, `Last-Event-ID` honoured.
pub(crate) async fn events_stream(
    State(state): State<Arc<ApiState>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let started = Instant::now();
    let (filter, _, after) = match event_query(q.as_deref(), SystemTime::now()) {
        Ok(x) => x,
        Err(e) => {
            return finish(
                &state,
                Route::EventStream,
                started,
                error_response(&e, None),
            );
        }
    };
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .or(after);
    let log = Arc::clone(state.events());
    // Subscribe first, then read the ring: nothing published in between is lost,
    // and the live copies of replayed events are skipped by id.
    let rx = log.subscribe();
    let mut pending = std::collections::VecDeque::new();
    pending.push_back(Bytes::from_static(
        b": nocwatch event stream\nretry: 2000\n\n",
    ));
    let mut last_id = 0;
    if let Some(after) = last_event_id {
        last_id = after;
        for l in log.since(after, &filter) {
            last_id = l.id;
            pending.push_back(sse_event(&l));
        }
    }
    let st = StreamState {
        rx,
        filter,
        last_id,
        pending,
        log,
        done: false,
    };
    let stream = futures_util::stream::unfold(st, |mut st| async move {
        loop {
            if let Some(b) = st.pending.pop_front() {
                return Some((Ok::<Bytes, Infallible>(b), st));
            }
            if st.done {
                return None;
            }
            match st.rx.recv().await {
                Ok(StreamItem::Event(l)) => {
                    if l.id > st.last_id && st.filter.matches(&l.event) {
                        st.last_id = l.id;
                        st.pending.push_back(sse_event(&l));
                    }
                }
                Ok(StreamItem::Heartbeat) => st
                    .pending
                    .push_back(Bytes::from_static(b": keep-alive\n\n")),
                Ok(StreamItem::Closed) | Err(RecvError::Closed) => {
                    st.pending
                        .push_back(Bytes::from_static(b"event: closed\ndata: {}\n\n"));
                    st.done = true;
                }
                Err(RecvError::Lagged(n)) => {
                    st.log.count_lagged(n);
                    st.pending.push_back(Bytes::from(format!(
                        "event: lagged\ndata: {{\"missed\":{n}}}\n\n"
                    )));
                }
            }
        }
    });
    let mut r = Response::new(Body::from_stream(stream));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    finish(&state, Route::EventStream, started, r)
}

/// `POST /admin/reload` with `Authorization: Bearer TOKEN`: re-reads what the
/// service can change without a restart (rules, users, communities).
pub(crate) async fn reload(State(state): State<Arc<ApiState>>, headers: HeaderMap) -> Response {
    let started = Instant::now();
    let r = match state.admin.get() {
        None => error_response(&ApiError::AdminDisabled, None),
        Some(admin) => {
            let given = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or("");
            if !admin.token_matches(given) {
                error_response(&ApiError::Unauthorized, None)
            } else {
                let hook = Arc::clone(&admin.reload);
                match tokio::task::spawn_blocking(move || hook()).await {
                    Ok(Ok(report)) => json(
                        StatusCode::OK,
                        serde_json::to_vec(
                            &serde_json::json!({"reloaded": true, "report": report}),
                        )
                        .unwrap_or_default(),
                        None,
                    ),
                    Ok(Err(why)) => error_response(&ApiError::ReloadRefused(why), None),
                    Err(e) => error_response(&ApiError::ReloadRefused(e.to_string()), None),
                }
            }
        }
    };
    finish(&state, Route::Admin, started, r)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use std::time::Duration;

    use super::*;

    #[test]
    fn query_parameters() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(10_000);
        let (f, limit, after) = event_query(
            Some("resource=127.1.0.1&severity=major&name=linkDown&since=15m&until=9000000&limit=5&after=7"),
            now,
        )
        .unwrap();
        assert_eq!(f.resource.as_deref(), Some("127.1.0.1"));
        assert_eq!(f.severity, Some(Severity::Major));
        assert_eq!(f.name.as_deref(), Some("linkDown"));
        assert_eq!(f.since_unix_ns, Some(9_100 * 1_000_000_000));
        assert_eq!(f.until_unix_ns, Some(9_000_000 * 1_000_000));
        assert_eq!((limit, after), (5, Some(7)));
        for bad in [
            "severity=urgent",
            "limit=0",
            "limit=x",
            "since=yesterday",
            "severty=major",
            "after=-1",
        ] {
            assert!(event_query(Some(bad), now).is_err(), "{bad}");
        }
        assert_eq!(event_query(None, now).unwrap().1, DEFAULT_LIMIT);
    }
}
