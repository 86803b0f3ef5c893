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
use std::net::{IpAddr, SocketAddr};

use nocwatch_snmp::ber::{Reader, TAG_OID, TAG_SEQUENCE};
use nocwatch_snmp::{Anomalies, DecodeOptions, OidRef, Value, VarBind, push_i64, push_u64};

use crate::event::{Event, version_str};

/// Appends `ev` as one JSON object and a newline.
///
/// The bindings are walked as raw TLVs (they were checked when the event was
/// decoded): names are formatted straight from their BER, values decoded only for
/// their type. This is the storm path; [`write_json_with`] decodes each binding
/// fully for its `extra` callback and writes the same bytes.
pub fn write_json(ev: &Event, out: &mut String) {
    write_head(ev, out);
    let opts = DecodeOptions::lenient();
    let mut anomalies = Anomalies::default();
    // Clamping as the lenient decoder does, so both paths read the same bindings.
    let mut list = Reader::new(ev.varbinds_ber(), 0).with_clamp(true);
    let mut first = true;
    while !list.is_empty() {
        if !first {
            out.push(',');
        }
        first = false;
        let mark = out.len();
        let ok = list.read_tlv().is_ok_and(|vb| {
            let mut inner = Reader::new(vb.content, 0).with_clamp(true);
            let (Ok(name), Ok(value)) = (inner.expect(TAG_OID, "name"), inner.read_tlv()) else {
                return false;
            };
            if !inner.is_empty() || vb.tag != TAG_SEQUENCE {
                return false;
            }
            out.push_str("{\"oid\":\"");
            if !dotted_ber(name.content, out) {
                return false;
            }
            if value.tag == TAG_OID {
                out.push_str("\",\"type\":\"OBJECT IDENTIFIER\",\"value\":\"");
                if !dotted_ber(value.content, out) {
                    return false;
                }
                out.push_str("\"}");
                return true;
            }
            let Ok(value) = Value::decode(value, &opts, false, &mut anomalies) else {
                return false;
            };
            push_typed_value(&value, out);
            out.push('}');
            true
        });
        if !ok {
            out.truncate(mark);
            out.push_str("{\"error\":\"malformed binding\"}");
            break;
        }
    }
    out.push_str("]}\n");
}

/// [`write_json`] with extra fields in each binding's object: `extra` is called
/// after a binding's `"value"` and appends `,"key":value` pairs (the CLI adds the
/// MIB name and text there). With a no-op `extra` the output is [`write_json`]'s.
pub fn write_json_with<F>(ev: &Event, out: &mut String, mut extra: F)
where
    F: FnMut(&VarBind<'_>, &mut String),
{
    write_head(ev, out);
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
        push_typed_value(&vb.value, out);
        extra(&vb, out);
        out.push('}');
    }
    out.push_str("]}\n");
}

/// The event's fields up to the opening of `"varbinds"`.
fn write_head(ev: &Event, out: &mut String) {
    out.push_str("{\"seq\":");
    push_u64(out, ev.seq);
    out.push_str(",\"time\":\"");
    rfc3339(ev.received_unix_ns, out);
    out.push_str("\",\"last_time\":\"");
    rfc3339(ev.last_unix_ns, out);
    out.push_str("\",\"source\":\"");
    push_ip(out, ev.source);
    out.push_str("\",\"peer\":\"");
    match ev.peer {
        SocketAddr::V4(a) => {
            push_ip(out, IpAddr::V4(*a.ip()));
            out.push(':');
            push_u64(out, u64::from(a.port()));
        }
        SocketAddr::V6(a) => {
            let _ = write!(out, "{a}");
        }
    }
    out.push_str("\",\"version\":\"");
    out.push_str(version_str(ev.version));
    out.push_str("\",\"pdu\":\"");
    out.push_str(ev.kind.as_str());
    out.push_str("\",\"security_name\":");
    json_str(&String::from_utf8_lossy(ev.security_name()), out);
    match ev.agent_addr {
        Some(a) => {
            out.push_str(",\"agent_addr\":\"");
            push_ip(out, IpAddr::V4(a));
            out.push('"');
        }
        None => out.push_str(",\"agent_addr\":null"),
    }
    out.push_str(",\"trap_oid\":\"");
    dotted_ber(ev.trap_oid_ber(), out);
    out.push_str("\",\"event\":");
    json_str(&ev.class.name, out);
    out.push_str(",\"severity\":\"");
    out.push_str(ev.class.severity.as_str());
    out.push_str("\",\"occurrences\":");
    push_u64(out, u64::from(ev.occurrences));
    out.push_str(",\"varbinds\":[");
}

/// `","type":"...","value":...` of one binding (after its OID string).
fn push_typed_value(value: &Value<'_>, out: &mut String) {
    out.push_str("\",\"type\":\"");
    out.push_str(value.type_name());
    out.push_str("\",\"value\":");
    match *value {
        Value::Integer(n) => push_i64(out, n),
        Value::Counter32(n) | Value::Gauge32(n) | Value::TimeTicks(n) => {
            push_u64(out, u64::from(n));
        }
        Value::Counter64(n) => push_u64(out, n),
        Value::Null => out.push_str("null"),
        Value::OctetString(s) => match std::str::from_utf8(s) {
            Ok(t) if t.chars().all(|c| !c.is_control() || c == '\n' || c == '\t') => {
                json_str(t, out);
            }
            _ => {
                out.push('"');
                crate::rules::value_text(value, out);
                out.push('"');
            }
        },
        ref v => {
            // OIDs, addresses, hex and exception names need no escaping.
            out.push('"');
            crate::rules::value_text(v, out);
            out.push('"');
        }
    }
}

/// Appends an OID as dotted decimal without a leading dot (`1.3.6.1...`).
pub fn dotted(oid: &OidRef<'_>, out: &mut String) {
    match oid.ber() {
        Some(ber) => {
            dotted_ber(ber, out);
        }
        None => {
            for (i, arc) in oid.arcs().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_arc(out, u64::from(arc));
            }
        }
    }
}

/// Formats straight from BER sub-identifiers (every OID on an event is BER from
/// the packet): no arc iterator, one pass. False if the last sub-identifier is cut
/// short (what is formatted stays in `out`).
fn dotted_ber(ber: &[u8], out: &mut String) -> bool {
    let mut v: u64 = 0;
    let mut first = true;
    let mut run = 0;
    for &b in ber {
        v = (v << 7) | u64::from(b & 0x7f);
        run += 1;
        if b & 0x80 != 0 {
            // Five 7-bit groups hold any 32-bit arc (the decoder refuses more).
            if run >= 5 {
                return false;
            }
            continue;
        }
        // An arc of five groups may still exceed 32 bits (2.x: 32 bits plus 80).
        let limit = u64::from(u32::MAX) + if first { 80 } else { 0 };
        if run == 5 && v > limit {
            return false;
        }
        run = 0;
        if first {
            let (x, y) = match v {
                0..40 => (0, v),
                40..80 => (1, v - 40),
                _ => (2, v - 80),
            };
            push_arc(out, x);
            out.push('.');
            push_arc(out, y);
            first = false;
        } else {
            out.push('.');
            push_arc(out, v);
        }
        v = 0;
    }
    run == 0
}

fn push_arc(out: &mut String, v: u64) {
    if v < 10 {
        out.push(char::from(b'0' + v as u8));
    } else {
        push_u64(out, v);
    }
}

/// Appends an address (IPv4 without the `fmt` machinery; it is on every event).
fn push_ip(out: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(a) => {
            for (i, o) in a.octets().iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                push_u64(out, u64::from(*o));
            }
        }
        IpAddr::V6(a) => {
            let _ = write!(out, "{a}");
        }
    }
}

/// Appends `s` as a JSON string literal.
pub fn json_str(s: &str, out: &mut String) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        // `b` is ASCII, so `i` is a char boundary.
        out.push_str(s.get(start..i).unwrap_or_default());
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ => {
                let _ = write!(out, "\\u{:04x}", b);
            }
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}

/// Appends nanoseconds since the epoch as RFC 3339 UTC with milliseconds.
///
/// The date-and-seconds part is cached per thread: a storm's events fall in the
/// same second, so the calendar arithmetic runs once a second, not once per event.
pub fn rfc3339(unix_ns: u64, out: &mut String) {
    thread_local! {
        static LAST: std::cell::RefCell<(u64, String)> =
            const { std::cell::RefCell::new((u64::MAX, String::new())) };
    }
    let secs = unix_ns / 1_000_000_000;
    let ms = (unix_ns / 1_000_000) % 1000;
    LAST.with_borrow_mut(|(at, text)| {
        if *at != secs {
            text.clear();
            civil(secs, text);
            *at = secs;
        }
        out.push_str(text);
    });
    out.push('.');
    out.push(char::from(b'0' + (ms / 100) as u8));
    out.push(char::from(b'0' + (ms / 10 % 10) as u8));
    out.push(char::from(b'0' + (ms % 10) as u8));
    out.push('Z');
}

/// `YYYY-MM-DDTHH:MM:SS` for seconds since the epoch.
fn civil(secs: u64, out: &mut String) {
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
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
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

/// Where the pipeline hands each event leaving it (first occurrences and dedup
/// summaries, in order), for outputs other than [`JsonLines`]: the `nocwatch` CLI
/// prints net-snmp's text (with MIB names) from the event and its raw bindings,
/// with no JSON in between. Set with [`crate::Pipeline::set_event_sink`].
///
/// Called on the pipeline thread: an implementation should buffer in
/// [`event`](Self::event) and write in [`flush`](Self::flush), which the pipeline
/// calls once at the end of every processing pass.
pub trait EventSink: Send {
    /// One event leaving the pipeline.
    fn event(&mut self, ev: &Event);
    /// Writes out what is buffered (end of a pass). An error is counted as a sink
    /// error; the events stay in the journal and the recent ring.
    fn flush(&mut self) -> std::io::Result<()>;

    /// The smallest journal sequence number among the events this sink holds but
    /// has not written out yet (a sink that writes in [`flush`](Self::flush) holds
    /// none after it). The journal's commit point stays before it, so a crash
    /// replays what was never written.
    fn min_pending_seq(&self) -> Option<u64> {
        None
    }

    /// Writes out everything, waiting until it is written (the pipeline's drain
    /// calls it once, before its last commit).
    fn finish(&mut self) -> std::io::Result<()> {
        self.flush()
    }
}

impl std::fmt::Debug for dyn EventSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventSink")
    }
}

/// Hands every event to several sinks in order (the service gives it the JSON lines
/// output and the API's event log). A sink's flush error does not stop the others;
/// the first error is returned (and counted once by the pipeline).
///
/// Threads and when full: everything runs on the pipeline thread, so each sink must
/// not block; one that feeds a slower consumer keeps a bounded buffer of its own and
/// drops there (counted), or it holds the whole pipeline.
#[derive(Debug, Default)]
pub struct FanOut {
    sinks: Vec<Box<dyn EventSink>>,
}

impl FanOut {
    /// Forwards to `sinks`, in that order.
    pub fn new(sinks: Vec<Box<dyn EventSink>>) -> Self {
        Self { sinks }
    }

    /// Adds a sink after the others.
    pub fn push(&mut self, sink: Box<dyn EventSink>) {
        self.sinks.push(sink);
    }

    /// How many sinks.
    pub fn len(&self) -> usize {
        self.sinks.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }
}

impl EventSink for FanOut {
    fn event(&mut self, ev: &Event) {
        for s in &mut self.sinks {
            s.event(ev);
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.each(|s| s.flush())
    }

    fn min_pending_seq(&self) -> Option<u64> {
        self.sinks.iter().filter_map(|s| s.min_pending_seq()).min()
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.each(|s| s.finish())
    }
}

impl FanOut {
    /// Runs `f` on every sink; the first error is returned.
    fn each<F>(&mut self, mut f: F) -> std::io::Result<()>
    where
        F: FnMut(&mut Box<dyn EventSink>) -> std::io::Result<()>,
    {
        let mut first = Ok(());
        for s in &mut self.sinks {
            if let Err(e) = f(s)
                && first.is_ok()
            {
                first = Err(e);
            }
        }
        first
    }
}

impl EventSink for JsonLines {
    fn event(&mut self, ev: &Event) {
        self.push(ev);
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Self::flush(self)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        for (ns, want) in [
            (0u64, "1970-01-01T00:00:00.000Z"),
            (951_782_400_123_000_000, "2000-02-29T00:00:00.123Z"),
            (1_795_321_845_999_999_999, "2026-11-22T04:30:45.999Z"),
            (4_107_542_399_000_000_000, "2100-02-28T23:59:59.000Z"),
        ] {
            let mut s = String::new();
            rfc3339(ns, &mut s);
            assert_eq!(s, want);
        }
    }

    #[test]
    fn oids_format_from_ber_like_the_arcs() {
        for text in [
            "0.0",
            "1.39.5",
            "1.3.6.1.6.3.1.1.4.1.0",
            "2.100.3",
            "2.999.4294967295.16384.128.127",
        ] {
            let oid: nocwatch_snmp::Oid = text.parse().unwrap_or_default();
            let ber = oid.to_ber();
            let r = OidRef::from_ber(&ber, false).unwrap_or_else(|_| OidRef::from(&oid));
            let (mut a, mut b) = (String::new(), String::new());
            dotted(&r, &mut a);
            dotted(&OidRef::from(&oid), &mut b);
            assert_eq!(a, text);
            assert_eq!(b, text);
        }
    }

    /// Counts events and fails its flushes when told to.
    struct Probe {
        seen: std::sync::Arc<std::sync::atomic::AtomicUsize>,
        flushed: std::sync::Arc<std::sync::atomic::AtomicUsize>,
        fail: bool,
    }

    impl EventSink for Probe {
        fn event(&mut self, _ev: &Event) {
            self.seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }

        fn flush(&mut self) -> std::io::Result<()> {
            self.flushed
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if self.fail {
                Err(std::io::Error::other("probe"))
            } else {
                Ok(())
            }
        }
    }

    #[test]
    fn fan_out_feeds_every_sink_and_flushes_all_despite_an_error() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let counters: Vec<(Arc<AtomicUsize>, Arc<AtomicUsize>)> =
            (0..3).map(|_| (Arc::default(), Arc::default())).collect();
        let mut fan = FanOut::default();
        for (i, (seen, flushed)) in counters.iter().enumerate() {
            fan.push(Box::new(Probe {
                seen: Arc::clone(seen),
                flushed: Arc::clone(flushed),
                fail: i == 0,
            }));
        }
        assert_eq!(fan.len(), 3);
        let ev = Event::for_test(1, &[]);
        fan.event(&ev);
        fan.event(&ev);
        assert!(fan.flush().is_err());
        for (seen, flushed) in &counters {
            assert_eq!(seen.load(Ordering::Relaxed), 2);
            assert_eq!(flushed.load(Ordering::Relaxed), 1);
        }
    }

    fn both(varbinds: &[u8]) -> (String, String) {
        let ev = Event::for_test(0, varbinds);
        let (mut fast, mut full) = (String::new(), String::new());
        write_json(&ev, &mut fast);
        write_json_with(&ev, &mut full, |_, _| {});
        (fast, full)
    }

    #[test]
    fn the_storm_path_writes_what_the_decoding_path_writes() {
        use nocwatch_snmp::{Oid, VarBind, VarBinds};
        let oid = |t: &str| t.parse::<Oid>().unwrap_or_default();
        let (a, b, c) = (
            oid("1.3.6.1.2.1.2.2.1.1.7"),
            oid("1.3.6.1.6.3.1.1.5.3"),
            oid("2.999.4294967295"),
        );
        let values = [
            Value::Integer(-42),
            Value::Integer(i64::from(i32::MAX)),
            Value::OctetString(b"eth0 \"up\"\n"),
            Value::OctetString(&[0, 0xff, 0x10]),
            Value::Null,
            Value::ObjectIdentifier(OidRef::from(&b)),
            Value::ObjectIdentifier(OidRef::from(&c)),
            Value::IpAddress([10, 0, 0, 1]),
            Value::Counter32(u32::MAX),
            Value::Gauge32(7),
            Value::TimeTicks(123_456),
            Value::Opaque(&[1, 2, 3]),
            Value::Counter64(u64::MAX),
            Value::NoSuchObject,
            Value::NoSuchInstance,
            Value::EndOfMibView,
        ];
        let list: Vec<VarBind<'_>> = values
            .iter()
            .map(|v| VarBind {
                name: OidRef::from(&a),
                value: *v,
            })
            .collect();
        let mut ber = Vec::new();
        VarBinds::encode_content(&list, &mut ber);
        let (fast, full) = both(&ber);
        assert_eq!(fast, full);
        assert!(
            serde_json::from_str::<serde_json::Value>(&fast).is_ok(),
            "{fast}"
        );
        // Cut anywhere, or with a byte changed, both still agree.
        for cut in 0..ber.len() {
            let (fast, full) = both(&ber[..cut]);
            assert_eq!(fast, full, "cut at {cut}");
        }
        for at in 0..ber.len() {
            for byte in [0x00, 0x06, 0x30, 0x80, 0x81, 0xff] {
                let mut bad = ber.clone();
                bad[at] = byte;
                let (fast, full) = both(&bad);
                assert_eq!(fast, full, "byte {at} set to {byte:#x}");
            }
        }
    }

    #[test]
    fn json_strings_are_escaped() {
        let mut s = String::new();
        json_str("a\"b\\c\nd\u{1}", &mut s);
        assert_eq!(s, r#""a\"b\\c\nd\u0001""#);
    }
}
