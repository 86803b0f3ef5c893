//! Fuzz target: hex text (`nocwatch_capture::parse_hex`, the `--hex` input of
//! `nocwatch decode`).
//!
//! Any UTF-8 text: no panic; bytes come out only when there is at least one and at
//! most one per two characters of text; an error is a hex error whose line is inside
//! the text. The bytes read back also survive two writers the parser claims to read:
//! plain `xx xx` text and a `tshark -x` style dump with an offset column and an
//! ASCII column.

#![no_main]

use std::fmt::Write as _;

use libfuzzer_sys::fuzz_target;
use nocwatch_capture::{Error, parse_hex};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.lines().count().max(1);
    match parse_hex(text) {
        Ok(bytes) => {
            assert!(!bytes.is_empty());
            assert!(bytes.len() * 2 <= text.len());
            let plain: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(parse_hex(&plain.join(" ")).unwrap(), bytes);
            assert_eq!(
                parse_hex(&dump(&bytes)).unwrap(),
                bytes,
                "dump of {bytes:02x?}"
            );
        }
        Err(Error::HexEmpty) => {}
        Err(Error::HexInvalidChar { line, column, .. } | Error::HexOddDigits { line, column }) => {
            assert!((1..=lines).contains(&line), "line {line} of {lines}");
            assert!(column >= 1);
        }
        Err(Error::HexOffsetMismatch { line, .. }) => {
            assert!((1..=lines).contains(&line), "line {line} of {lines}");
        }
        Err(other) => panic!("not a hex error: {other}"),
    }
});

/// `tshark -x`: a four-digit hex offset, 16 bytes, then the bytes as ASCII.
fn dump(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (index, row) in bytes.chunks(16).enumerate() {
        let _ = write!(out, "{:04x}  ", index * 16);
        for byte in row {
            let _ = write!(out, "{byte:02x} ");
        }
        for _ in row.len()..16 {
            out.push_str("   ");
        }
        out.push_str("  ");
        for &byte in row {
            out.push(if byte.is_ascii_graphic() {
                char::from(byte)
            } else {
                '.'
            });
        }
        out.push('\n');
    }
    out
}
