//! Self-metrics: counters, drop accounting and latency histograms, rendered in the
//! Prometheus text exposition format (names start with `nocwatch_`).
//!
//! Drops are counted by (stage, reason, source). Sources are an unbounded set, so
//! the source label is bounded: the first [`SourceLabels`] `cap` sources that have a
//! drop get their own label value for the life of the process, every later one is
//! `"other"`. Labels never move between series, so every series stays a monotonic
//! counter (a top-N by current count would shift counts between series, which
//! Prometheus reads as resets).

use std::collections::HashMap;
use std::fmt::Write;
use std::net::IpAddr;

/// Histogram bucket bounds in seconds: 1 µs to 10 s.
pub const LATENCY_BOUNDS: [f64; 22] = [
    1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2,
    5e-2, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A fixed-bucket histogram of seconds.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: [u64; LATENCY_BOUNDS.len() + 1],
    sum: f64,
    count: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            counts: [0; LATENCY_BOUNDS.len() + 1],
            sum: 0.0,
            count: 0,
        }
    }
}

impl Histogram {
    /// Records one observation.
    pub fn observe(&mut self, secs: f64) {
        self.observe_n(secs, 1);
    }

    /// Records `n` observations of the same value (a batch's per-item mean).
    pub fn observe_n(&mut self, secs: f64, n: u64) {
        let i = LATENCY_BOUNDS.partition_point(|b| *b < secs);
        if let Some(c) = self.counts.get_mut(i) {
            *c += n;
        }
        self.sum += secs * n as f64;
        self.count += n;
    }

    /// Observations.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The value below which `q` (0..=1) of observations fall, as a bucket bound
    /// (upper estimate); `None` if empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let want = (q * self.count as f64).ceil().max(1.0) as u64;
        let mut acc = 0;
        for (i, c) in self.counts.iter().enumerate() {
            acc += c;
            if acc >= want {
                return Some(LATENCY_BOUNDS.get(i).copied().unwrap_or(f64::INFINITY));
            }
        }
        None
    }

    /// Appends the series `name{labels,le=..}`, `_sum`, `_count`.
    pub fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut acc = 0;
        for (i, c) in self.counts.iter().enumerate() {
            acc += c;
            match LATENCY_BOUNDS.get(i) {
                Some(b) => {
                    let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {acc}");
                }
                None => {
                    let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {acc}");
                }
            }
        }
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

/// The bounded source label set. See the module docs.
#[derive(Debug)]
pub struct SourceLabels {
    ids: HashMap<IpAddr, u16, foldhash::quality::RandomState>,
    names: Vec<String>,
    cap: usize,
}

/// The label index of `"other"`.
pub const OTHER: u16 = u16::MAX;

impl SourceLabels {
    /// At most `cap` named sources (capped at 65,534).
    pub fn new(cap: usize) -> Self {
        Self {
            ids: HashMap::default(),
            names: Vec::new(),
            cap: cap.min(usize::from(u16::MAX - 1)),
        }
    }

    /// The label index for `ip`, assigning one if there is room.
    pub fn label(&mut self, ip: IpAddr) -> u16 {
        if let Some(&i) = self.ids.get(&ip) {
            return i;
        }
        if self.names.len() >= self.cap {
            return OTHER;
        }
        let i = u16::try_from(self.names.len()).unwrap_or(OTHER);
        self.ids.insert(ip, i);
        self.names.push(ip.to_string());
        i
    }

    /// The label value of an index.
    pub fn name(&self, i: u16) -> &str {
        self.names
            .get(usize::from(i))
            .map_or("other", String::as_str)
    }
}

/// Drops by (stage, reason, source label).
#[derive(Debug)]
pub struct Drops {
    counts: HashMap<(&'static str, &'static str, u16), u64, foldhash::quality::RandomState>,
    labels: SourceLabels,
    total: u64,
}

impl Drops {
    /// With at most `source_labels` named sources.
    pub fn new(source_labels: usize) -> Self {
        Self {
            counts: HashMap::default(),
            labels: SourceLabels::new(source_labels),
            total: 0,
        }
    }

    /// Counts one drop.
    pub fn count(&mut self, stage: &'static str, reason: &'static str, source: IpAddr) {
        let l = self.labels.label(source);
        *self.counts.entry((stage, reason, l)).or_insert(0) += 1;
        self.total += 1;
    }

    /// All drops.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Drops at `stage` for `reason`, all sources.
    pub fn by_reason(&self, stage: &str, reason: &str) -> u64 {
        self.counts
            .iter()
            .filter(|((s, r, _), _)| *s == stage && *r == reason)
            .map(|(_, n)| n)
            .sum()
    }

    /// Drops of `source` (its label; `"other"` sums all unnamed ones).
    pub fn by_source(&self, source: &str) -> u64 {
        self.counts
            .iter()
            .filter(|((_, _, l), _)| self.labels.name(*l) == source)
            .map(|(_, n)| n)
            .sum()
    }

    /// Appends `nocwatch_trap_drops_total{stage,reason,source}`.
    pub fn render(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP nocwatch_trap_drops_total Notifications dropped, by stage, reason and source (first sources named, the rest \"other\")."
        );
        let _ = writeln!(out, "# TYPE nocwatch_trap_drops_total counter");
        let mut rows: Vec<_> = self.counts.iter().collect();
        rows.sort_by(|a, b| a.0.cmp(b.0));
        for ((stage, reason, l), n) in rows {
            let _ = writeln!(
                out,
                "nocwatch_trap_drops_total{{stage=\"{stage}\",reason=\"{reason}\",source=\"{}\"}} {n}",
                self.labels.name(*l)
            );
        }
    }
}

/// Writes a HELP/TYPE header.
pub(crate) fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Writes one sample.
pub(crate) fn sample(out: &mut String, name: &str, labels: &str, v: impl std::fmt::Display) {
    if labels.is_empty() {
        let _ = writeln!(out, "{name} {v}");
    } else {
        let _ = writeln!(out, "{name}{{{labels}}} {v}");
    }
}
