//! Where classified events go: JSON lines (stdout or a file) and an in-memory ring
//! of recent events for the API.
//!
//! JSON is written by hand into a reused `String` (no per-event allocation, no
//! intermediate `serde_json::Value`); the format is one object per line:
//!
//! ```json
//! {"seq":7,"time":"2026-11-22T05:30:00.123Z","last_time":"2026-11-22T05:30:00.123Z",
//!  "source":"192.0.2.1","peer":"192.0.2.1:40000","version":"v2c","pdu":"trap",
//!  "security_name":"public","agent_addr":null,"trap_oid":"1.3.6.1.6.3.1.1.5.3",
//!  "event":"linkDown","severity":"major","occurrences":1,
//!  "varbinds":[{"oid":"1.3.6.1.2.1.1.3.0","type":"TimeTicks","value":1234}, ...]}
//! ```
//!
//! Numbers (INTEGER, Counter32/64, Gauge32, TimeTicks) are JSON numbers; OCTET
//! STRINGs are text when printable UTF-8, else `0x`-prefixed hex (see
//! [`crate::rules::value_text`]); OIDs and addresses are dotted strings.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::Write;

use nocwatch_snmp::{OidRef, Value};

use crate::event::{Event, version_str};
use crate::rules::value_text;

/// Appends `ev` as one JSON object and a newline.
pub fn write_json(ev: &Event, out: &mut String) {
    out.push_str("{\"seq\":");
    let _ = write!(out, "{}", ev.seq);
    out.push_str(",\"time\":\"");
    rfc3339(ev.received_unix_ns, out);
    out.push_str("\",\"last_time\":\"");
    rfc3339(ev.last_unix_ns, out);
    let _ = write!(
        out,
        "\",\"source\":\"{}\",\"peer\":\"{}\",\"version\":\"{}\",\"pdu\":\"{}\",\"security_name\":",
        ev.source,
        ev.peer,
        version_str(ev.version),
        ev.kind.as_str()
    );
    json_str(&String::from_utf8_lossy(ev.security_name()), out);
    match ev.agent_addr {
        Some(a) => {
            let _ = write!(out, ",\"agent_addr\":\"{a}\"");
        }
        None => out.push_str(",\"agent_addr\":null"),
    }
    out.push_str(",\"trap_oid\":\"");
    dotted(&ev.trap_oid(), out);
    out.push_str("\",\"event\":");
    json_str(&ev.class.name, out);
    let _ = write!(
        out,
        ",\"severity\":\"{}\",\"occurrences\":{},\"varbinds\":[",
        ev.class.severity.as_str(),
        ev.occurrences
    );
    let mut text = String::new();
    for (i, vb) in ev.varbinds().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let Ok(vb) = vb else {
            out.push_str("{\"error\":\"malformed binding\"}");
            break;
        };
        out.push_str("{\"oid\":\"");
        dotted(&vb.name, out);
        let _ = write!(out, "\",\"type\":\"{}\",\"value\":", vb.value.type_name());
        match vb.value {
            Value::Integer(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Counter32(n) | Value::Gauge32(n) | Value::TimeTicks(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Counter64(n) => {
                let _ = write!(out, "{n}");
            }
            Value::Null => out.push_str("null"),
            ref v => {
                text.clear();
                value_text(v, &mut text);
                json_str(&text, out);
            }
        }
        out.push('}');
    }
    out.push_str("]}\n");
}

/// Appends an OID as dotted decimal without a leading dot (`1.3.6.1...`).
pub fn dotted(oid: &OidRef<'_>, out: &mut String) {
    for (i, arc) in oid.arcs().enumerate() {
        if i > 0 {
            out.push('.');
        }
        nocwatch_snmp::push_u64(out, u64::from(arc));
    }
}

/// Appends `s` as a JSON string literal.
pub fn json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends nanoseconds since the epoch as RFC 3339 UTC with milliseconds.
pub fn rfc3339(unix_ns: u64, out: &mut String) {
    let secs = unix_ns / 1_000_000_000;
    let ms = (unix_ns / 1_000_000) % 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    );
}

/// The recent events, bounded; the oldest is handed back when full.
#[derive(Debug)]
pub struct EventRing {
    events: VecDeque<Event>,
    cap: usize,
}

impl EventRing {
    /// A ring of `cap` events.
    pub fn new(cap: usize) -> Self {
        Self {
            events: VecDeque::with_capacity(cap.min(1 << 16)),
            cap,
        }
    }

    /// Adds `ev`; returns the event that fell out, if any.
    pub fn push(&mut self, ev: Event) -> Option<Event> {
        if self.cap == 0 {
            return Some(ev);
        }
        let old = if self.events.len() >= self.cap {
            self.events.pop_front()
        } else {
            None
        };
        self.events.push_back(ev);
        old
    }

    /// Oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Event> {
        self.events.iter()
    }

    /// How many are kept.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether none.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

/// The JSON lines output: a buffered writer flushed at the end of each
/// processing round (one `write` per round, not per event).
pub struct JsonLines {
    out: Box<dyn Write + Send>,
    buf: String,
    /// Bytes written.
    pub bytes: u64,
}

impl std::fmt::Debug for JsonLines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonLines")
            .field("buffered", &self.buf.len())
            .finish_non_exhaustive()
    }
}

impl JsonLines {
    /// Writes to `out` (stdout, a file, a `Vec<u8>` in tests...).
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        Self {
            out,
            buf: String::with_capacity(1 << 16),
            bytes: 0,
        }
    }

    /// Buffers one event.
    pub fn push(&mut self, ev: &Event) {
        write_json(ev, &mut self.buf);
    }

    /// Bytes buffered.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Writes the buffer out.
    pub fn flush(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            self.out.write_all(self.buf.as_bytes())?;
            self.bytes += self.buf.len() as u64;
            self.buf.clear();
        }
        self.out.flush()
    }
}
