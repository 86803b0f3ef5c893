//! The fabric CSV schema: one identifier column, then one column per metric.
//!
//! Producer and source share this table, so a renamed column on either side is
//! a compile-time change here, and a renamed column on the wire (the
//! producer's `WRONG_SCHEMA` mode, or a real producer that drifted) is a
//! validation failure of the source.

/// Name of the first column: the switch identifier (`SW-01`, ...).
pub const ID_COLUMN: &str = "Switch_ID";

/// How a metric behaves over time, which also fixes its type on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Monotonic counter: a non-negative integer that never decreases (except
    /// on a device reset). Parsed as `u64`, stored as `f64` (exact up to 2^53).
    Counter,
    /// Gauge: a finite decimal that moves both ways within bounds.
    Gauge,
}

/// One metric column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// Column name, also the metric name in the store and the API.
    pub name: &'static str,
    /// Counter or gauge.
    pub kind: MetricKind,
}

const fn counter(name: &'static str) -> Metric {
    Metric {
        name,
        kind: MetricKind::Counter,
    }
}

const fn gauge(name: &'static str) -> Metric {
    Metric {
        name,
        kind: MetricKind::Gauge,
    }
}

/// The metric columns, in the order the producer writes them. The source
/// accepts them in any order (it maps the header) but requires all of them.
pub const METRICS: [Metric; 11] = [
    counter("Bytes_In"),
    counter("Bytes_Out"),
    counter("Packets_In"),
    counter("Packets_Out"),
    counter("Errors_In"),
    counter("Drops_In"),
    gauge("Latency_Avg_uSec"),
    gauge("Latency_P99_uSec"),
    gauge("Link_Util_Pct"),
    gauge("CPU_Util_Pct"),
    gauge("Temperature_C"),
];

/// Number of metric columns.
pub const METRIC_COUNT: usize = METRICS.len();

/// Index of a metric column by name.
#[must_use]
pub fn metric_index(name: &str) -> Option<usize> {
    METRICS.iter().position(|m| m.name == name)
}

/// The header line the producer writes, without the line end.
#[must_use]
pub fn header_line() -> String {
    let mut s = String::from(ID_COLUMN);
    for m in METRICS {
        s.push(',');
        s.push_str(m.name);
    }
    s
}

/// The name of switch `n` (1-based): `SW-01` .. `SW-99`, then `SW-100`,
/// `SW-1000`, ... up to `SW-100000`. The number is zero-padded to two digits
/// and never more, so a switch keeps its name when the fabric grows (`SW-05`
/// is `SW-05` in a 50-switch and in a 100,000-switch fabric); the price is
/// that names past 99 do not sort in numeric order as plain strings.
#[must_use]
pub fn switch_name(n: usize) -> String {
    format!("SW-{n:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_two_digit_padding_only() {
        assert_eq!(switch_name(1), "SW-01");
        assert_eq!(switch_name(50), "SW-50");
        assert_eq!(switch_name(99), "SW-99");
        assert_eq!(switch_name(100), "SW-100");
        assert_eq!(switch_name(100_000), "SW-100000");
    }

    #[test]
    fn header_lists_every_metric_once() {
        let h = header_line();
        assert!(h.starts_with("Switch_ID,Bytes_In,"));
        assert_eq!(h.split(',').count(), 1 + METRIC_COUNT);
        assert_eq!(metric_index("Temperature_C"), Some(10));
        assert_eq!(metric_index("temperature_c"), None);
    }
}
