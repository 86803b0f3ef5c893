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
//! `&str` into the body, no per-record allocation), finds lines with
//! `memchr`, reads each value in the same pass that finds the end of its
//! field (counters eight digits at a time, gauges through an exact fast path
//! with the standard reading as fallback, see `value_at`), and reports *what*
//! is wrong with a typed error carrying the line and column (which the
//! source counts by kind). The `csv` crate's quoting state machine and its
//! owned records buy nothing for this format. Measured on a quiet moment of
//! the 2-core machine (load 1.1): 100,000 switches (9.1 MB, 1.1M values) in
//! about 16 ms, 2.2× faster than the previous split-then-`str::parse`
//! version (35 ms) (`cargo run --release -p nocwatch-telemetry --example
//! render -- 100000 20 parse`); against the `csv` crate doing the same
//! validation with one reused `ByteRecord` (`cargo bench -p
//! nocwatch-telemetry --bench csv`): 5.4× faster on the 50-switch body, 3.3×
//! on a 10,000-switch one.
//!
//! Duplicate identifiers are found with a set of the borrowed `&str`s under
//! the standard, randomly keyed hasher (SipHash): about a fifth of the parse
//! at 100,000 switches, kept because the identifiers come off the network
//! and an unkeyed fast hash would let a hostile producer make the set
//! quadratic.
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

/// The identifiers seen so far, borrowed from the body.
type IdSet<'a> = HashSet<&'a str>;

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

/// End of the field that starts at `start`: the index of its `,`, or the
/// line's length for the last field.
fn field_end(line: &[u8], start: usize) -> usize {
    line.get(start..)
        .and_then(|rest| memchr::memchr(b',', rest))
        .map_or(line.len(), |i| start + i)
}

fn valid_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .iter()
            .all(|&b| b.is_ascii_graphic() && b != b'"' && b != b',')
}

/// The reference reading of one value, field already cut out: what the
/// fast paths of [`value_at`] must agree with, and what they defer to for
/// any spelling they do not handle themselves.
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

/// Reads the value whose field starts at `start` in one pass over its
/// bytes; returns it with the field's end (see [`field_end`]), or `None`
/// when the field is not a valid value of `kind`.
///
/// Counters are accumulated digit by digit with an overflow check, which is
/// exactly `u64::from_str` on a digits-only field. Gauges in the producer's
/// spelling (`[-]digits[.digits]`, at most 19 digits worth at most 2^53, at
/// most 22 after the point) are `mantissa / 10^fraction_digits`: both
/// operands are exact in `f64` and IEEE division rounds correctly, so the
/// result is the correctly rounded value `f64::from_str` returns (Clinger's
/// fast path). Every other spelling (exponents, long mantissas, `+`, `.5`)
/// goes to [`parse_value`]. This replaced a split-then-`from_utf8`-then-
/// `from_str` per field, which cost about three times as much.
fn value_at(line: &[u8], start: usize, kind: MetricKind) -> Option<(f64, usize)> {
    let rest = line.get(start..)?;
    match kind {
        MetricKind::Counter => {
            let mut v: u64 = 0;
            let mut len = 0;
            // Eight digits at a time while there are eight, then one by one.
            while let Some(eight) = rest.get(len..len + 8).and_then(eight_digits) {
                v = v.checked_mul(100_000_000)?.checked_add(eight)?;
                len += 8;
            }
            for &b in rest.get(len..).unwrap_or_default() {
                match b {
                    b'0'..=b'9' => {
                        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
                    }
                    b',' => break,
                    _ => return None,
                }
                len += 1;
            }
            #[allow(clippy::cast_precision_loss)] // documented: exact up to 2^53
            (len > 0).then_some((v as f64, start + len))
        }
        MetricKind::Gauge => match plain_decimal(rest) {
            Some((v, len)) => Some((v, start + len)),
            None => {
                let end = field_end(line, start);
                let v = parse_value(line.get(start..end)?, kind)?;
                Some((v, end))
            }
        },
    }
}

/// The value of eight ASCII digits, or `None` unless all eight bytes are
/// digits (and `bytes` is eight long). SWAR: one load, one test, three
/// multiplications instead of eight dependent multiply-adds; the first
/// digit is the most significant.
fn eight_digits(bytes: &[u8]) -> Option<u64> {
    let chunk = u64::from_le_bytes(bytes.try_into().ok()?);
    // Every byte 0x30..=0x39: high nibble 3, and adding 6 keeps it 3.
    let high = chunk & 0xF0F0_F0F0_F0F0_F0F0;
    let carried = (chunk.wrapping_add(0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0) >> 4;
    if high | carried != 0x3333_3333_3333_3333 {
        return None;
    }
    let d = chunk - 0x3030_3030_3030_3030;
    // Pairs of digits, then groups of four, then the eight.
    let pairs = d.wrapping_mul(10).wrapping_add(d >> 8);
    let low = (pairs & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32));
    let high = ((pairs >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32));
    Some(low.wrapping_add(high) >> 32)
}

/// Powers of ten exactly representable as `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The fast path of gauges (see [`value_at`]): `Some((value, field
/// length))` for `[-]digits[.digits]` within the exact range, `None` for
/// anything else, valid or not.
fn plain_decimal(field: &[u8]) -> Option<(f64, usize)> {
    let negative = field.first() == Some(&b'-');
    let mut i = usize::from(negative);
    let mut mantissa: u64 = 0;
    let mut digits = 0usize;
    let mut fraction = 0usize;
    let mut point = false;
    while let Some(&b) = field.get(i) {
        match b {
            b'0'..=b'9' => {
                // 19 digits cannot overflow a u64; longer ones are refused below.
                if digits < 19 {
                    mantissa = mantissa * 10 + u64::from(b - b'0');
                }
                digits += 1;
                fraction += usize::from(point);
            }
            b'.' if !point => point = true,
            b',' => break,
            _ => return None,
        }
        i += 1;
    }
    let integer = digits - fraction;
    let exact = digits <= 19 && mantissa <= 1 << 53 && fraction < POW10.len();
    if integer == 0 || (point && fraction == 0) || !exact {
        return None;
    }
    #[allow(clippy::cast_precision_loss)] // mantissa <= 2^53: exact
    let v = mantissa as f64 / POW10.get(fraction).copied()?;
    Some((if negative { -v } else { v }, i))
}

/// For the fuzzer: every `,`-separated piece of `data` (cut at line ends),
/// read by the fast paths of [`value_at`] and by [`parse_value`], must give
/// the same value (bit for bit) and the same field end, for both kinds.
///
/// # Panics
///
/// On a disagreement (the fuzzer's finding).
#[cfg(feature = "fuzzing")]
#[allow(
    clippy::panic,
    reason = "the fuzzer reports broken properties as panics"
)]
pub(crate) fn check_fast_paths(data: &[u8]) {
    for line in data.split(|&b| b == b'\n') {
        let mut start = 0;
        loop {
            let end = field_end(line, start);
            let field = line.get(start..end).unwrap_or_default();
            for kind in [MetricKind::Counter, MetricKind::Gauge] {
                let fast = value_at(line, start, kind).map(|(v, e)| (v.to_bits(), e));
                let reference = parse_value(field, kind).map(|v| (v.to_bits(), end));
                assert!(
                    fast == reference,
                    "{kind:?} {field:?}: fast {fast:?}, reference {reference:?}"
                );
            }
            if end >= line.len() {
                break;
            }
            start = end + 1;
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

    // Counting line ends (memchr, a fraction of a millisecond for 10 MB)
    // sizes the vectors once, for the exact row count of a clean body.
    let estimate = memchr::memchr_iter(b'\n', body).count();
    let mut ids: Vec<&str> = Vec::with_capacity(estimate);
    let mut values: Vec<f64> = Vec::with_capacity(estimate * METRIC_COUNT);
    let mut seen = IdSet::with_capacity(estimate);
    let mut row = [0.0f64; METRIC_COUNT];

    for item in lines {
        let (n, line) = item?;
        if line.is_empty() {
            // A blank line (e.g. a trailing one) carries nothing.
            continue;
        }
        let mut id: &str = "";
        let mut count = 0usize;
        let mut start = 0usize;
        loop {
            let end = match slots.get(count) {
                Some(Slot::Metric(m)) => {
                    let (metric, slot) = METRICS.get(*m).zip(row.get_mut(*m)).ok_or_else(|| {
                        CsvError::FieldCount {
                            line: n,
                            found: count + 1,
                            expected,
                        }
                    })?;
                    let (v, end) =
                        value_at(line, start, metric.kind).ok_or_else(|| CsvError::BadValue {
                            line: n,
                            column: count + 1,
                            metric: metric.name,
                            kind: match metric.kind {
                                MetricKind::Counter => "counter",
                                MetricKind::Gauge => "gauge",
                            },
                        })?;
                    *slot = v;
                    end
                }
                Some(Slot::Id) => {
                    let end = field_end(line, start);
                    let field = line.get(start..end).unwrap_or_default();
                    if !valid_id(field) {
                        return Err(CsvError::BadId { line: n });
                    }
                    id = std::str::from_utf8(field).map_err(|_| CsvError::BadId { line: n })?;
                    end
                }
                Some(Slot::Skip) => field_end(line, start),
                None => {
                    // Past the header's columns: only the count matters.
                    let rest = line.get(start..).unwrap_or_default();
                    count += 1 + memchr::memchr_iter(b',', rest).count();
                    break;
                }
            };
            count += 1;
            if end >= line.len() {
                break;
            }
            start = end + 1;
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
    fn fast_paths_agree_with_the_reference_reading() {
        let counters = [
            "0",
            "7",
            "12345678",
            "123456789",
            "0000000000000000000000012",
            "18446744073709551615",
            "18446744073709551616",
            "99999999999999999999",
            "1234567a",
            "12345678a",
            "1234567/",
            "1234567:",
            "",
            "+1",
            "-1",
            "1 2",
            "\u{e9}1234567",
        ];
        let gauges = [
            "0",
            "-0",
            "1.5",
            "12.25",
            "-3.75",
            "0.1",
            "1.",
            ".5",
            "+1.5",
            "1e3",
            "1.5E-2",
            "9007199254740993",
            "9007199254740992",
            "0.30000000000000004",
            "123456789012345678901234",
            "1.0000000000000000000001",
            "1..2",
            "--1",
            "-",
            ".",
            "NaN",
            "inf",
            "1e400",
            "",
            "4.2x",
        ];
        for (kind, fields) in [
            (MetricKind::Counter, &counters[..]),
            (MetricKind::Gauge, &gauges[..]),
        ] {
            for f in fields {
                let line = format!("{f},9");
                let fast = value_at(line.as_bytes(), 0, kind);
                let reference = parse_value(f.as_bytes(), kind);
                assert_eq!(
                    fast.map(|(v, end)| (v.to_bits(), end)),
                    reference.map(|v| (v.to_bits(), f.len())),
                    "{kind:?} {f:?}"
                );
            }
        }
        for n in 0..100_000_000u64 / 99_991 {
            let v = n * 99_991;
            let s = format!("{v:08}");
            assert_eq!(eight_digits(s.as_bytes()), Some(v), "{s}");
        }
        assert_eq!(eight_digits(b"1234567"), None);
    }

    #[test]
    fn blank_lines_are_skipped() {
        let b = format!("{}\n{ROW1}\n\n{ROW2}\n\n", header_line());
        assert_eq!(parse(b.as_bytes()).unwrap().len(), 2);
    }
}
