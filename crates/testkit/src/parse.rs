//! A parser for what net-snmp's tools print with `-On` (numeric OIDs).
//!
//! Interop tests run `snmpget`/`snmpwalk` and compare the results with nocwatch's
//! own; to do that they need net-snmp's text as data. The format is line-based
//! but not one-varbind-per-line:
//!
//! ```text
//! .1.3.6.1.2.1.1.1.0 = STRING: "Linux host 6.1 ..."
//! .1.3.6.1.2.1.1.3.0 = Timeticks: (12345) 0:02:03.45
//! .1.3.6.1.2.1.2.2.1.6.1 = ""
//! .1.3.6.1.2.1.2.2.1.6.2 = Hex-STRING: D6 2D 04 56 3D 31
//! .1.3.6.1.2.1.1.99.0 = No Such Object available on this agent at this OID
//! ```
//!
//! * An empty octet string prints as `= ""` with **no type label**.
//! * Exceptions (`No Such Object ...`, `No Such Instance ...`, `No more
//!   variables left ...`) have no type label either.
//! * A quoted `STRING` keeps embedded newlines verbatim, so its continuation
//!   lines can look like anything, including a complete varbind line
//!   (`.1.3.6... = STRING: \"x\"`). Inside the quotes net-snmp escapes only `"`
//!   and `\` (as `\"` and `\\`), so the parser tracks whether the quote is still
//!   open rather than guessing from the line's shape.
//! * A `Hex-STRING` wraps after every 16 bytes, and every hex line (the first
//!   included) ends with a trailing space.
//!
//! Values are kept as raw text (quotes, escapes, trailing spaces and embedded
//! newlines included) so that [`NetSnmpLine`]'s `Display` reproduces net-snmp's
//! output byte for byte; decoding helpers ([`NetSnmpLine::octets`],
//! [`NetSnmpLine::string`], ...) interpret it on demand.

use std::fmt;

/// Type labels net-snmp prints before `": "` (see `sprint_realloc_by_type` in
/// net-snmp's `snmplib/mib.c`). Anything else is treated as an untyped value.
const TYPE_LABELS: &[&str] = &[
    "STRING",
    "Hex-STRING",
    "INTEGER",
    "OID",
    "Timeticks",
    "Counter32",
    "Gauge32",
    "Counter64",
    "IpAddress",
    "Network Address",
    "Opaque",
    "BITS",
    "UInteger32",
    "NsapAddress",
];

/// The text net-snmp prints instead of a typed value for the three SNMPv2
/// exceptions.
pub const NO_SUCH_OBJECT: &str = "No Such Object available on this agent at this OID";
/// See [`NO_SUCH_OBJECT`].
pub const NO_SUCH_INSTANCE: &str = "No Such Instance currently exists at this OID";
/// See [`NO_SUCH_OBJECT`].
pub const END_OF_MIB_VIEW: &str =
    "No more variables left in this MIB View (It is past the end of the MIB tree)";

/// One varbind as net-snmp printed it with `-On`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetSnmpLine {
    /// The numeric OID with its leading dot, e.g. `.1.3.6.1.2.1.1.1.0`.
    pub oid: String,
    /// The type label: `STRING`, `INTEGER`, `Timeticks`, `OID`, `Counter32`,
    /// `Gauge32`, `Counter64`, `IpAddress`, `Hex-STRING`, `Opaque`, `BITS`,
    /// `NULL`, ...; empty for the unlabelled forms (`""`, exceptions).
    pub ty: String,
    /// The raw value text after `"<ty>: "`, continuation lines joined with `\n`:
    /// quotes, `\"`/`\\` escapes and Hex-STRING trailing spaces are kept.
    /// Empty for `NULL`.
    pub value: String,
}

impl NetSnmpLine {
    /// Whether this is one of the SNMPv2 exceptions (noSuchObject,
    /// noSuchInstance, endOfMibView).
    pub fn is_exception(&self) -> bool {
        self.ty.is_empty()
            && [NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW].contains(&&*self.value)
    }

    /// The first line of the value (the whole value for single-line values).
    pub fn first_line(&self) -> &str {
        self.value.lines().next().unwrap_or("")
    }

    /// The value of a `STRING` (or of the untyped empty string `""`), with the
    /// surrounding quotes removed and `\"`/`\\` unescaped. `None` for other
    /// types.
    ///
    /// An unquoted `STRING` (what net-snmp prints when a MIB DISPLAY-HINT
    /// applies) is returned as is; a quoted one whose closing quote is missing
    /// (truncated output) gives `None`.
    pub fn string(&self) -> Option<String> {
        match self.ty.as_str() {
            "STRING" if !self.value.starts_with('"') => Some(self.value.clone()),
            "STRING" | "" => unquote(&self.value),
            _ => None,
        }
    }

    /// The bytes of an octet string, whichever way net-snmp chose to print it:
    /// `STRING` (printable), `Hex-STRING` (anything else) or `""` (empty).
    /// `None` for other types or malformed hex.
    pub fn octets(&self) -> Option<Vec<u8>> {
        match self.ty.as_str() {
            "Hex-STRING" => parse_hex(&self.value),
            _ => self.string().map(String::into_bytes),
        }
    }

    /// The tick count of a `Timeticks` value, `(12345) 0:02:03.45` → 12345.
    pub fn timeticks(&self) -> Option<u32> {
        if self.ty != "Timeticks" {
            return None;
        }
        let inner = self.value.strip_prefix('(')?;
        let (ticks, _) = inner.split_once(')')?;
        ticks.parse().ok()
    }

    /// The number of an `INTEGER`, `Counter32`, `Gauge32`, `Counter64` or
    /// `UInteger32` value. An enum label from a MIB (`up(1)`) yields its number.
    pub fn integer(&self) -> Option<i128> {
        if !matches!(
            self.ty.as_str(),
            "INTEGER" | "Counter32" | "Gauge32" | "Counter64" | "UInteger32"
        ) {
            return None;
        }
        let v = self.value.trim();
        let v = match (v.find('('), v.strip_suffix(')')) {
            (Some(open), Some(rest)) => &rest[open + 1..],
            _ => v,
        };
        v.parse().ok()
    }
}

impl fmt::Display for NetSnmpLine {
    /// Renders the varbind exactly as net-snmp printed it (multi-line values
    /// included), so `parse` → `to_string` round-trips the tool's output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ty.is_empty() {
            write!(f, "{} = {}", self.oid, self.value)
        } else if self.ty == "NULL" && self.value.is_empty() {
            write!(f, "{} = NULL", self.oid)
        } else {
            write!(f, "{} = {}: {}", self.oid, self.ty, self.value)
        }
    }
}

/// Parses the standard output of a net-snmp tool run with `-On`.
///
/// Lines that are neither a varbind nor a continuation of one (for instance
/// `Variables found: 5` from `snmpwalk -Cp`, or blank lines between varbinds)
/// are skipped. Continuation lines are attached to the previous varbind when:
///
/// * it is a quoted string whose closing quote has not been seen yet (any line,
///   even one that looks like a varbind);
/// * it is a `Hex-STRING` or `Opaque` and the line is hex bytes;
/// * it is an unquoted `STRING`, a `BITS` or an unrecognised value, and the line
///   does not start a new varbind.
///
/// Values of fixed single-line types (`INTEGER`, `OID`, `Timeticks`, counters,
/// `IpAddress`, `NULL`, exceptions) never take continuation lines.
pub fn parse_net_snmp_output(text: &str) -> Vec<NetSnmpLine> {
    let mut out = Vec::new();
    let mut current: Option<(NetSnmpLine, Continuation)> = None;
    for line in text.lines() {
        if let Some((vb, cont)) = &mut current {
            let take = match *cont {
                Continuation::Quoted => {
                    *cont = scan_quoted(line);
                    true
                }
                Continuation::Hex => is_hex_line(line),
                Continuation::Any => !line.is_empty() && split_varbind(line).is_none(),
                Continuation::None => false,
            };
            if take {
                vb.value.push('\n');
                vb.value.push_str(line);
                continue;
            }
        }
        if let Some(vb) = split_varbind(line) {
            let cont = continuation_after_first_line(&vb);
            if let Some((done, _)) = current.replace((vb, cont)) {
                out.push(done);
            }
        }
    }
    out.extend(current.map(|(vb, _)| vb));
    out
}

/// What may follow a varbind's last line as part of its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Continuation {
    /// Inside a quoted string whose closing quote has not been seen yet.
    Quoted,
    /// Wrapped hex bytes.
    Hex,
    /// Anything that is not a new varbind.
    Any,
    /// Nothing: the value is complete.
    None,
}

/// Splits `.1.3.6 = TYPE: value` into a [`NetSnmpLine`] (first line only), or
/// `None` if the line does not start with a numeric OID followed by ` = `.
fn split_varbind(line: &str) -> Option<NetSnmpLine> {
    let (oid, rest) = line.split_once(" = ")?;
    let digits = oid.strip_prefix('.')?;
    let numeric = !digits.is_empty()
        && digits
            .split('.')
            .all(|arc| !arc.is_empty() && arc.bytes().all(|b| b.is_ascii_digit()));
    if !numeric {
        return None;
    }
    let (ty, value) = if rest == "NULL" {
        ("NULL", "")
    } else {
        TYPE_LABELS
            .iter()
            .find_map(|label| {
                rest.strip_prefix(label)
                    .and_then(|r| r.strip_prefix(": "))
                    .map(|value| (*label, value))
            })
            .unwrap_or(("", rest))
    };
    Some(NetSnmpLine {
        oid: oid.to_owned(),
        ty: ty.to_owned(),
        value: value.to_owned(),
    })
}

fn continuation_after_first_line(vb: &NetSnmpLine) -> Continuation {
    let quotable = matches!(vb.ty.as_str(), "STRING" | "");
    if quotable && let Some(inner) = vb.value.strip_prefix('"') {
        return scan_quoted(inner);
    }
    match vb.ty.as_str() {
        "Hex-STRING" | "Opaque" => Continuation::Hex,
        "STRING" | "BITS" => Continuation::Any,
        "" if vb.is_exception() => Continuation::None,
        "" => Continuation::Any,
        _ => Continuation::None,
    }
}

/// Scans quoted-string content (after the opening quote, or a whole
/// continuation line) and reports whether the quote is still open at its end.
///
/// Each line starts unescaped: net-snmp never escapes a newline, so a backslash
/// cannot be pending across a line break.
fn scan_quoted(s: &str) -> Continuation {
    let mut escaped = false;
    for c in s.chars() {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '"') => return Continuation::None,
            (false, _) => {}
        }
    }
    Continuation::Quoted
}

fn is_hex_line(line: &str) -> bool {
    !line.trim().is_empty()
        && line
            .split_whitespace()
            .all(|tok| tok.len() == 2 && tok.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn parse_hex(value: &str) -> Option<Vec<u8>> {
    value
        .split_whitespace()
        .map(|tok| {
            if tok.len() == 2 {
                u8::from_str_radix(tok, 16).ok()
            } else {
                None
            }
        })
        .collect()
}

/// Removes the surrounding quotes of a net-snmp quoted string and undoes its
/// `\"` / `\\` escapes. `None` if `raw` is not a closed quoted string.
fn unquote(raw: &str) -> Option<String> {
    let inner = raw.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(next @ ('"' | '\\')) => out.push(next),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                // The closing quote was escaped: not a closed string after all.
                None => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    //! Samples in `tests/data/` are real output of net-snmp 5.9.3 tools run
    //! against an agent started by [`crate::Snmpd`] (see `tests/harness.rs`
    //! for the same checks against live output).

    use super::*;

    const WALK: &str = include_str!("../tests/data/walk-system-interfaces.txt");
    const GET_MIXED: &str = include_str!("../tests/data/get-mixed.txt");
    const HR_SW: &str = include_str!("../tests/data/walk-hr-sw-installed.txt");
    const EXTEND_FULL: &str = include_str!("../tests/data/extend-output-full.txt");
    const EXTEND_LINES: &str = include_str!("../tests/data/extend-output-lines.txt");

    fn render(lines: &[NetSnmpLine]) -> String {
        lines.iter().map(|l| format!("{l}\n")).collect()
    }

    fn find<'a>(lines: &'a [NetSnmpLine], oid: &str) -> &'a NetSnmpLine {
        lines
            .iter()
            .find(|l| l.oid == oid)
            .unwrap_or_else(|| panic!("{oid} not in output"))
    }

    #[test]
    fn every_sample_round_trips_through_display() {
        for sample in [WALK, GET_MIXED, HR_SW, EXTEND_FULL, EXTEND_LINES] {
            assert_eq!(render(&parse_net_snmp_output(sample)), sample);
        }
    }

    #[test]
    fn walk_of_system_and_interfaces() {
        let lines = parse_net_snmp_output(WALK);
        // One varbind per line in this sample: nothing multi-line.
        assert_eq!(lines.len(), WALK.lines().count());
        assert!(lines.iter().all(|l| l.oid.starts_with(".1.3.6.1.2.1.")));

        let descr = find(&lines, ".1.3.6.1.2.1.1.1.0");
        assert_eq!(descr.ty, "STRING");
        assert!(descr.value.starts_with("\"Linux "), "{descr}");
        assert!(descr.string().unwrap().starts_with("Linux "));

        let object_id = find(&lines, ".1.3.6.1.2.1.1.2.0");
        assert_eq!(object_id.ty, "OID");
        assert_eq!(object_id.value, ".1.3.6.1.4.1.8072.3.2.10");
        assert_eq!(object_id.string(), None);

        let uptime = find(&lines, ".1.3.6.1.2.1.1.3.0");
        assert_eq!(uptime.ty, "Timeticks");
        assert!(uptime.timeticks().is_some());

        assert_eq!(
            find(&lines, ".1.3.6.1.2.1.1.4.0").string().as_deref(),
            Some("test@localhost")
        );
        assert_eq!(
            find(&lines, ".1.3.6.1.2.1.1.5.0").string().as_deref(),
            Some("nocwatch-testkit")
        );
        assert_eq!(
            find(&lines, ".1.3.6.1.2.1.1.6.0").string().as_deref(),
            Some("nocwatch-test")
        );

        let if_number = find(&lines, ".1.3.6.1.2.1.2.1.0");
        assert_eq!(
            (if_number.ty.as_str(), if_number.integer()),
            ("INTEGER", Some(4))
        );
        let if_speed = find(&lines, ".1.3.6.1.2.1.2.2.1.5.1");
        assert_eq!(
            (if_speed.ty.as_str(), if_speed.integer()),
            ("Gauge32", Some(10_000_000))
        );
        assert_eq!(
            find(&lines, ".1.3.6.1.2.1.2.2.1.2.1").string().as_deref(),
            Some("lo")
        );
    }

    #[test]
    fn empty_octet_string_has_no_type_label() {
        let lines = parse_net_snmp_output(WALK);
        // ifPhysAddress of `lo`: zero-length, printed as `= ""`.
        let lo_mac = find(&lines, ".1.3.6.1.2.1.2.2.1.6.1");
        assert_eq!(lo_mac.ty, "");
        assert_eq!(lo_mac.value, "\"\"");
        assert!(!lo_mac.is_exception());
        assert_eq!(lo_mac.string().as_deref(), Some(""));
        assert_eq!(lo_mac.octets(), Some(vec![]));
        assert_eq!(lo_mac.to_string(), ".1.3.6.1.2.1.2.2.1.6.1 = \"\"");
    }

    #[test]
    fn hex_string_keeps_trailing_space_and_decodes() {
        let lines = parse_net_snmp_output(WALK);
        let mac = find(&lines, ".1.3.6.1.2.1.2.2.1.6.2");
        assert_eq!(mac.ty, "Hex-STRING");
        assert!(mac.value.ends_with(' '), "{:?}", mac.value);
        assert_eq!(mac.octets().map(|o| o.len()), Some(6));
        assert_eq!(mac.string(), None);
    }

    #[test]
    fn exceptions_and_other_types_from_get() {
        let lines = parse_net_snmp_output(GET_MIXED);
        assert_eq!(lines.len(), 9);

        let no_object = &lines[0];
        assert_eq!(
            (
                no_object.oid.as_str(),
                no_object.ty.as_str(),
                no_object.value.as_str()
            ),
            (".1.3.6.1.2.1.1.99.0", "", NO_SUCH_OBJECT)
        );
        assert!(no_object.is_exception());
        assert_eq!(no_object.string(), None);
        assert_eq!(
            (lines[1].ty.as_str(), lines[1].value.as_str()),
            ("", NO_SUCH_INSTANCE)
        );
        assert!(lines[1].is_exception());
        assert_eq!(
            (lines[8].ty.as_str(), lines[8].value.as_str()),
            ("", END_OF_MIB_VIEW)
        );
        assert!(lines[8].is_exception());

        // laLoad float: the Opaque wrapper's inner type stays in the value.
        let load = &lines[3];
        assert_eq!(load.ty, "Opaque");
        assert!(load.value.starts_with("Float: "), "{load}");

        assert_eq!(lines[4].ty, "Counter64");
        assert!(lines[4].integer().is_some());
        assert_eq!(
            (lines[5].ty.as_str(), lines[5].value.as_str()),
            ("IpAddress", "127.0.0.1")
        );
        assert_eq!(lines[6].octets(), Some(vec![]));
        assert_eq!(lines[7].octets().map(|o| o.len()), Some(6));
    }

    #[test]
    fn hr_sw_installed_names_and_dates() {
        let lines = parse_net_snmp_output(HR_SW);
        assert_eq!(lines.len(), 18);
        let name = find(&lines, ".1.3.6.1.2.1.25.6.3.1.2.10");
        assert_eq!(
            name.string().as_deref(),
            Some("base-files_12.4+deb12u11_amd64")
        );
        // hrSWInstalledDate: an 11-byte DateAndTime, printed as hex.
        let date = find(&lines, ".1.3.6.1.2.1.25.6.3.1.5.1");
        assert_eq!(
            date.octets(),
            Some(vec![0x07, 0xE9, 0x05, 0x14, 0, 0, 0, 0, 0x2B, 0, 0])
        );
    }

    #[test]
    fn multi_line_strings_and_wrapped_hex() {
        let lines = parse_net_snmp_output(EXTEND_FULL);
        assert_eq!(lines.len(), 4, "{lines:#?}");

        // Content `ends with quote "` NL `"`: the first line ends in an escaped
        // quote, which must not close the string.
        assert_eq!(lines[0].string().as_deref(), Some("ends with quote \"\n\""));
        // Content ending a line with a backslash: `\\` at the end of a line is a
        // complete escape, not a line continuation.
        assert_eq!(
            lines[1].string().as_deref(),
            Some("trailing backslash \\\nnext")
        );

        // 40 bytes: wrapped after 16 and 32, each line with a trailing space.
        let hex = &lines[2];
        assert_eq!(hex.ty, "Hex-STRING");
        assert_eq!(hex.value.lines().count(), 3);
        assert_eq!(
            hex.first_line(),
            "01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F 10 "
        );
        assert_eq!(hex.octets(), Some((1u8..=40).collect()));

        // A continuation line that is itself a well-formed varbind line, a blank
        // line, and an indented one: all part of the string.
        let multi = &lines[3];
        assert_eq!(
            multi.oid,
            ".1.3.6.1.4.1.8072.1.3.2.3.1.2.5.109.117.108.116.105"
        );
        assert_eq!(multi.first_line(), "\"line one");
        assert_eq!(
            multi.string().as_deref(),
            Some(
                "line one\nline \"two\" with \\ backslash\n\
                 .1.3.6.1.2.1.1.1.0 = STRING: \"fake\"\n\n  indented \"\nend"
            )
        );
        assert!(!lines.iter().any(|l| l.oid == ".1.3.6.1.2.1.1.1.0"));
    }

    #[test]
    fn single_line_extend_rows() {
        let lines = parse_net_snmp_output(EXTEND_LINES);
        assert_eq!(lines.len(), 12);
        assert_eq!(lines[1].string().as_deref(), Some("\""));
        assert_eq!(lines[2].string().as_deref(), Some("trailing backslash \\"));
        assert_eq!(
            lines[8].string().as_deref(),
            Some(".1.3.6.1.2.1.1.1.0 = STRING: \"fake\"")
        );
        assert_eq!(lines[9].string().as_deref(), Some(""));
        assert_eq!(lines[5].octets().map(|o| o.len()), Some(30));
    }

    #[test]
    fn null_and_unquoted_and_unknown_forms() {
        let text = ".1.3.6.1.2.1.1.1.0 = NULL\n\
                    .1.3.6.1.2.1.2.2.1.2.1 = STRING: eth0\n\
                    .1.3.6.1.2.1.2.2.1.2.2 = STRING: wraps\n\
                    over two lines\n\
                    .1.3.6.1.2.1.2.2.1.7.1 = INTEGER: up(1)\n\
                    .1.3.6.1.2.1.99.1 = Wrong Type (should be INTEGER): STRING: \"x\"\n\
                    .1.3.6.1.2.1.4.1.0 = Network Address: 7F:00:00:01\n";
        let lines = parse_net_snmp_output(text);
        assert_eq!(lines.len(), 6);
        assert_eq!(
            (lines[0].ty.as_str(), lines[0].value.as_str()),
            ("NULL", "")
        );
        assert_eq!(lines[0].to_string(), ".1.3.6.1.2.1.1.1.0 = NULL");
        assert_eq!(lines[1].string().as_deref(), Some("eth0"));
        assert_eq!(lines[2].value, "wraps\nover two lines");
        assert_eq!(
            (lines[3].ty.as_str(), lines[3].integer()),
            ("INTEGER", Some(1))
        );
        assert_eq!(lines[4].ty, "");
        assert_eq!(lines[5].ty, "Network Address");
        assert_eq!(render(&lines), text);
    }

    #[test]
    fn stray_lines_are_skipped_not_glued_to_fixed_types() {
        let text = "\n\
                    .1.3.6.1.2.1.1.7.0 = INTEGER: 72\n\
                    Variables found: 1\n\
                    .1.3.6.1.2.1.2.2.1.6.2 = Hex-STRING: D6 2D 04 56 3D 31 \n\
                    Total traffic: 1\n\
                    \n\
                    .1.3.6.1.2.1.1.99.0 = No Such Object available on this agent at this OID\n\
                    trailing junk\n";
        let lines = parse_net_snmp_output(text);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].value, "72");
        assert_eq!(lines[1].value, "D6 2D 04 56 3D 31 ");
        assert_eq!(lines[2].value, NO_SUCH_OBJECT);
    }

    #[test]
    fn only_numeric_oids_start_a_varbind() {
        let text = "SNMPv2-MIB::sysDescr.0 = STRING: x\n\
                    iso.3.6.1.2.1.1.1.0 = STRING: x\n\
                    .1.3..6 = INTEGER: 1\n\
                    . = INTEGER: 1\n\
                    .1.3.6.1 = INTEGER: 1\n";
        let lines = parse_net_snmp_output(text);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].oid, ".1.3.6.1");
    }

    #[test]
    fn unterminated_quote_swallows_the_rest() {
        // Truncated output: better one visibly wrong value than invented varbinds.
        let text = ".1.3.6.1.2.1.1.1.0 = STRING: \"open\n.1.3.6.1.2.1.1.2.0 = OID: .1.3\n";
        let lines = parse_net_snmp_output(text);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].string(), None);
        assert_eq!(lines[0].value, "\"open\n.1.3.6.1.2.1.1.2.0 = OID: .1.3");
    }

    #[test]
    fn crlf_and_empty_input() {
        assert!(parse_net_snmp_output("").is_empty());
        let lines = parse_net_snmp_output(".1.3.6.1.2.1.1.5.0 = STRING: \"a\"\r\n");
        assert_eq!(lines[0].string().as_deref(), Some("a"));
    }

    #[test]
    fn accessors_reject_other_types() {
        let lines = parse_net_snmp_output(GET_MIXED);
        assert_eq!(lines[2].integer(), None);
        assert_eq!(lines[3].timeticks(), None);
        assert_eq!(lines[5].octets(), None);
        let bad_hex = NetSnmpLine {
            oid: ".1".into(),
            ty: "Hex-STRING".into(),
            value: "0G ".into(),
        };
        assert_eq!(bad_hex.octets(), None);
    }
}
