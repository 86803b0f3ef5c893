//! The API's parsers of outside bytes, for the `api_query` fuzz target: any
//! query string through the one-pass pair decoder (which must agree with
//! `form_urlencoded`, the reference), ListMetrics' filter and the events
//! routes' filter. None may panic; each either accepts or answers a typed
//! error.

use std::time::{Duration, SystemTime};

/// Runs every query parser on `data` (as a query string when UTF-8) and checks
/// the pair decoder against `form_urlencoded`.
///
/// # Panics
///
/// When the fast decoder and the reference disagree (a fuzzing finding).
#[allow(clippy::panic, reason = "a property violation is a fuzzing finding")]
pub fn query(data: &[u8]) {
    let Ok(q) = std::str::from_utf8(data) else {
        return;
    };
    let ours: Vec<(String, String)> = crate::handlers::query_pairs(Some(q))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let reference: Vec<(String, String)> = form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if ours != reference {
        panic!("query {q:?}: decoded {ours:?}, reference {reference:?}");
    }
    let _ = crate::handlers::list_filter_for_fuzzing(q);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let _ = crate::event_routes::event_query(Some(q), now);
}

#[cfg(test)]
mod tests {
    #[test]
    fn samples() {
        for q in [
            "",
            "switch_id=SW-05&metric_name=Latency_Avg_uSec",
            "since=15m&severity=major&limit=5",
            "since=99999999999999999999999ms",
            "until=18446744073709551615",
            "%zz=%ff&+=+",
        ] {
            super::query(q.as_bytes());
        }
    }
}
