//! Parser and validator of the fabric CSV matrix.
//!
//! The format is the one the producer writes: a header line
//! `Switch_ID,<metric>,...`, then one line per switch, fields separated by
//! `,`, each line ended by `\n` (a `\r` before it is accepted). Fields are
//! never quoted: identifiers are plain tokens and values are numbers, so a
//! `"` anywhere is a corrupt field rather than the start of an RFC 4180
//! quoted field.
//!
//! Why a hand-written parser rather than the `csv` crate: the whole body is
//! already in memory, so the parser works on borrowed slices (identifiers are
//! `&str` into the body, no per-record allocation), splits lines and fields
//! with `memchr`, and reports *what* is wrong with a typed error carrying the
//! line and column (which the source counts by kind). The `csv` crate's
//! quoting state machine and its owned `StringRecord`s buy nothing for this
//! format. Measured (`cargo bench -p nocwatch-telemetry --bench csv`, the
//! `csv` crate doing the same validation with one reused `ByteRecord`):
//! about 5× faster on the 50-switch body, 1.5× on a 10,000-switch one, on a
//! loaded 2-core machine (see docs/BENCHMARKS.md).
//!
//! Validation is all-or-nothing: one bad field rejects the whole body, so the
//! store is only ever swapped to a complete, well-formed matrix. Checks:
//! header (identifier column first, every metric column present exactly
//! once; unknown extra columns are skipped), field count per line, types
//! (counters are unsigned integers, gauges finite decimals), identifiers
//! (non-empty, printable ASCII without spaces or quotes, at most
//! [`MAX_ID_LEN`] bytes, unique), a final line end (a body cut in the middle
//! of a line is reported as truncated), at least one row.

use std::collections::HashSet;

use crate::schema::{ID_COLUMN, METRIC_COUNT, METRICS, MetricKind, metric_index};

/// Longest accepted switch identifier, in bytes.
pub const MAX_ID_LEN: usize = 64;

/// What is wrong with a CSV body. Lines are 1-based and count the header;
/// columns are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CsvError {
    /// The body has no header line at all (zero bytes or only blank space).
    #[error("empty body")]
    Empty,
    /// A header but no data row.
    #[error("header but no data row")]
    NoRows,
    /// The body does not end with a line end: it was cut short.
    #[error("truncated: line {line} has no line end")]
    Truncated {
        /// The unterminated line.
        line: usize,
    },
    /// The body is not UTF-8 (identifiers and numbers are ASCII).
    #[error("line {line}: not UTF-8")]
    NotUtf8 {
        /// The offending line.
        line: usize,
    },
    /// The first header column is not the identifier column.
    #[error("header: first column is {found:?}, expected {ID_COLUMN:?}")]
    IdColumn {
        /// What the header has instead.
        found: String,
    },
    /// A required metric column is absent (missing or renamed).
    #[error("header: column {name:?} missing")]
    MissingColumn {
        /// The missing column.
        name: &'static str,
    },
    /// A column name appears twice.
    #[error("header: column {name:?} repeated")]
    DuplicateColumn {
        /// The repeated column.
        name: String,
    },
    /// A line with the wrong number of fields.
    #[error("line {line}: {found} fields, expected {expected}")]
    FieldCount {
        /// The offending line.
        line: usize,
        /// Fields found.
        found: usize,
        /// Fields the header announced.
        expected: usize,
    },
    /// An identifier that is empty, too long or has forbidden characters.
    #[error("line {line}: invalid switch identifier")]
    BadId {
        /// The offending line.
        line: usize,
    },
    /// The same identifier on two lines.
    #[error("line {line}: duplicate switch identifier {id:?}")]
    DuplicateId {
        /// The second occurrence.
        line: usize,
        /// The repeated identifier.
        id: String,
    },
    /// A value that does not parse as its column's type.
    #[error("line {line}, column {column} ({metric}): invalid {kind} value")]
    BadValue {
        /// The offending line.
        line: usize,
        /// The offending column (1-based).
        column: usize,
        /// The metric of that column.
        metric: &'static str,
        /// `"counter"` or `"gauge"`.
        kind: &'static str,
    },
}

/// A validated matrix borrowing its identifiers from the body it was parsed
/// from. Values are row-major in [`METRICS`] order, whatever the column order
/// on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct Table<'a> {
    ids: Vec<&'a str>,
    values: Vec<f64>,
}

impl<'a> Table<'a> {
    /// Number of rows (switches).
    #[must_use]
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether there is no row (never true for a parsed table).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Switch identifiers in row order.
    #[must_use]
    pub fn ids(&self) -> &[&'a str] {
        &self.ids
    }

    /// All values, row-major, [`METRICS`] order within a row.
    #[must_use]
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Rows: identifier and values in [`METRICS`] order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = (&'a str, &[f64])> + '_ {
        self.ids
            .iter()
            .copied()
            .zip(self.values.chunks_exact(METRIC_COUNT))
    }

    /// Writes the table back as CSV in the producer's column order (what a
    /// round trip through [`parse`] must reproduce).
    #[must_use]
    pub fn to_csv(&self) -> String {
        let mut out = crate::schema::header_line();
        out.push('\n');
        for (id, values) in self.rows() {
            out.push_str(id);
            for (v, m) in values.iter().zip(METRICS) {
                out.push(',');
                match m.kind {
                    // Counters came from u64 and are below 2^64: exact as integers.
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    MetricKind::Counter => out.push_str(&(*v as u64).to_string()),
                    MetricKind::Gauge => out.push_str(&v.to_string()),
                }
            }
            out.push('\n');
        }
        out
    }
}

/// Where each wire column goes: the identifier, a metric slot, or nowhere.
#[derive(Debug, Clone, Copy)]
enum Slot {
    Id,
    Metric(usize),
    Skip,
}

/// Splits `body` into lines; each item is (1-based line number, content
/// without the line end). A final piece without `\n` is returned as `Err`.
fn lines(body: &[u8]) -> impl Iterator<Item = Result<(usize, &[u8]), CsvError>> {
    let mut rest = body;
    let mut n = 0usize;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        n += 1;
        let Some(end) = memchr::memchr(b'\n', rest) else {
            rest = &[];
            return Some(Err(CsvError::Truncated { line: n }));
        };
        let (line, tail) = rest.split_at(end);
        rest = tail.get(1..).unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        Some(Ok((n, line)))
    })
}

fn fields(line: &[u8]) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| b == b',')
}

fn valid_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .iter()
            .all(|&b| b.is_ascii_graphic() && b != b'"' && b != b',')
}

fn parse_value(field: &[u8], kind: MetricKind) -> Option<f64> {
    let s = std::str::from_utf8(field).ok()?;
    match kind {
        // Only digits: `u64::from_str` would also take a leading `+`.
        #[allow(clippy::cast_precision_loss)] // documented: exact up to 2^53
        MetricKind::Counter => (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
            .map(|v| v as f64),
        MetricKind::Gauge => {
            // Plain decimals only: no `inf`, `NaN`, or Rust's other spellings.
            let plain = !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'));
            plain
                .then(|| s.parse::<f64>().ok())
                .flatten()
                .filter(|v| v.is_finite())
        }
    }
}

/// Parses and validates a whole CSV body. See the module docs for the rules.
///
/// # Errors
///
/// The first problem found, as a [`CsvError`].
pub fn parse(body: &[u8]) -> Result<Table<'_>, CsvError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(CsvError::Empty);
    }
    let mut lines = lines(body);
    let (_, header) = lines.next().ok_or(CsvError::Empty)??;
    let slots = header_slots(header)?;
    let expected = slots.len();

    // A rough row count from the body size sizes the vectors once.
    let estimate = body.len() / (header.len().max(16) * 2 / 3 + 1);
    let mut ids: Vec<&str> = Vec::with_capacity(estimate);
    let mut values: Vec<f64> = Vec::with_capacity(estimate * METRIC_COUNT);
    let mut seen: HashSet<&str> = HashSet::with_capacity(estimate);
    let mut row = [0.0f64; METRIC_COUNT];

    for item in lines {
        let (n, line) = item?;
        if line.is_empty() {
            // A blank line (e.g. a trailing one) carries nothing.
            continue;
        }
        let mut id: &str = "";
        let mut count = 0usize;
        for (i, field) in fields(line).enumerate() {
            count += 1;
            match slots.get(i) {
                Some(Slot::Id) => {
                    if !valid_id(field) {
                        return Err(CsvError::BadId { line: n });
                    }
                    id = std::str::from_utf8(field).map_err(|_| CsvError::BadId { line: n })?;
                }
                Some(Slot::Metric(m)) => {
                    let (metric, slot) =
                        METRICS
                            .get(*m)
                            .zip(row.get_mut(*m))
                            .ok_or(CsvError::FieldCount {
                                line: n,
                                found: count,
                                expected,
                            })?;
                    *slot = parse_value(field, metric.kind).ok_or(CsvError::BadValue {
                        line: n,
                        column: i + 1,
                        metric: metric.name,
                        kind: match metric.kind {
                            MetricKind::Counter => "counter",
                            MetricKind::Gauge => "gauge",
                        },
                    })?;
                }
                Some(Slot::Skip) => {}
                None => {}
            }
        }
        if count != expected {
            return Err(CsvError::FieldCount {
                line: n,
                found: count,
                expected,
            });
        }
        if !seen.insert(id) {
            return Err(CsvError::DuplicateId {
                line: n,
                id: id.to_owned(),
            });
        }
        ids.push(id);
        values.extend_from_slice(&row);
    }
    if ids.is_empty() {
        return Err(CsvError::NoRows);
    }
    Ok(Table { ids, values })
}

fn header_slots(header: &[u8]) -> Result<Vec<Slot>, CsvError> {
    let header = std::str::from_utf8(header).map_err(|_| CsvError::NotUtf8 { line: 1 })?;
    let mut names = header.split(',');
    let first = names.next().unwrap_or_default();
    // Tolerate a UTF-8 byte-order mark before the first column name.
    let first = first.strip_prefix('\u{feff}').unwrap_or(first);
    if first != ID_COLUMN {
        return Err(CsvError::IdColumn {
            found: first.chars().take(MAX_ID_LEN).collect(),
        });
    }
    let mut slots = vec![Slot::Id];
    let mut present = [false; METRIC_COUNT];
    let mut extra: HashSet<&str> = HashSet::new();
    for name in names {
        let slot = match metric_index(name) {
            Some(m) => {
                let seen = present
                    .get_mut(m)
                    .ok_or(CsvError::MissingColumn { name: ID_COLUMN })?;
                if *seen {
                    return Err(CsvError::DuplicateColumn {
                        name: name.to_owned(),
                    });
                }
                *seen = true;
                Slot::Metric(m)
            }
            None if name == ID_COLUMN || !extra.insert(name) => {
                return Err(CsvError::DuplicateColumn {
                    name: name.chars().take(MAX_ID_LEN).collect(),
                });
            }
            None => Slot::Skip,
        };
        slots.push(slot);
    }
    if let Some((m, _)) = METRICS.iter().zip(present).find(|(_, p)| !p) {
        return Err(CsvError::MissingColumn { name: m.name });
    }
    Ok(slots)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;
    use crate::schema::header_line;

    fn body(rows: &[&str]) -> String {
        let mut s = header_line();
        s.push('\n');
        for r in rows {
            s.push_str(r);
            s.push('\n');
        }
        s
    }

    const ROW1: &str = "SW-01,100,200,3,4,0,1,12.5,40.25,33.3,10,45.5";
    const ROW2: &str = "SW-02,1,2,3,4,5,6,1.5,2.5,3.5,4.5,5.5";

    #[test]
    fn parses_rows_in_schema_order() {
        let b = body(&[ROW1, ROW2]);
        let t = parse(b.as_bytes()).unwrap();
        assert_eq!(t.ids(), ["SW-01", "SW-02"]);
        let rows: Vec<_> = t.rows().collect();
        assert_eq!(rows[0].1[0], 100.0);
        assert_eq!(rows[0].1[6], 12.5);
        assert_eq!(rows[1].1[10], 5.5);
        assert_eq!(parse(t.to_csv().as_bytes()).unwrap(), t);
    }

    #[test]
    fn maps_reordered_columns_and_skips_unknown_ones() {
        let mut names: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
        names.reverse();
        let mut b = format!("{ID_COLUMN},Vendor,{}\n", names.join(","));
        b.push_str("SW-07,acme,11,10,9,8,7,6,5,4,3,2,1\r\n");
        let t = parse(b.as_bytes()).unwrap();
        let (id, v) = t.rows().next().unwrap();
        assert_eq!(id, "SW-07");
        assert_eq!(v, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0]);
    }

    #[test]
    fn rejects_each_kind_of_bad_body() {
        assert_eq!(parse(b""), Err(CsvError::Empty));
        assert_eq!(parse(b" \n"), Err(CsvError::Empty));
        assert_eq!(parse(body(&[]).as_bytes()), Err(CsvError::NoRows));
        let cut = body(&[ROW1, ROW2]);
        assert_eq!(
            parse(&cut.as_bytes()[..cut.len() - 5]),
            Err(CsvError::Truncated { line: 3 })
        );
        let renamed = body(&[ROW1]).replace("Latency_Avg_uSec", "Latency_Avg_ms");
        assert_eq!(
            parse(renamed.as_bytes()),
            Err(CsvError::MissingColumn {
                name: "Latency_Avg_uSec"
            })
        );
        let no_id = body(&[ROW1]).replacen("Switch_ID", "Device", 1);
        assert!(matches!(
            parse(no_id.as_bytes()),
            Err(CsvError::IdColumn { .. })
        ));
        let dup_col = body(&[ROW1]).replacen("Bytes_Out", "Bytes_In", 1);
        assert!(matches!(
            parse(dup_col.as_bytes()),
            Err(CsvError::DuplicateColumn { .. })
        ));
        assert!(matches!(
            parse(body(&[ROW1, ROW1]).as_bytes()),
            Err(CsvError::DuplicateId { line: 3, .. })
        ));
        assert!(matches!(
            parse(body(&["SW-01,1,2"]).as_bytes()),
            Err(CsvError::FieldCount {
                line: 2,
                found: 3,
                ..
            })
        ));
        let bad = ROW1.replace(",200,", ",2#0,");
        assert!(matches!(
            parse(body(&[&bad]).as_bytes()),
            Err(CsvError::BadValue {
                column: 3,
                metric: "Bytes_Out",
                ..
            })
        ));
        let negative_counter = ROW1.replace(",200,", ",-200,");
        assert!(matches!(
            parse(body(&[&negative_counter]).as_bytes()),
            Err(CsvError::BadValue { .. })
        ));
        let nan = ROW1.replace(",12.5,", ",NaN,");
        assert!(matches!(
            parse(body(&[&nan]).as_bytes()),
            Err(CsvError::BadValue { .. })
        ));
        let quoted = ROW1.replace("SW-01", "\"SW-01\"");
        assert_eq!(
            parse(body(&[&quoted]).as_bytes()),
            Err(CsvError::BadId { line: 2 })
        );
        let mut latin1 = body(&[ROW1]).into_bytes();
        latin1[0] = 0xff;
        assert_eq!(parse(&latin1), Err(CsvError::NotUtf8 { line: 1 }));
    }

    #[test]
    fn blank_lines_are_skipped() {
        let b = format!("{}\n{ROW1}\n\n{ROW2}\n\n", header_line());
        assert_eq!(parse(b.as_bytes()).unwrap().len(), 2);
    }
}
