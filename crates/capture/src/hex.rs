//! Hex text, as typed or as dumped by tshark -x, xxd, hexdump -C and net-snmp -d.

use crate::Error;

/// Parses hex text into bytes.
///
/// Plain form: hex digits in groups of any even length, separated by
/// whitespace, newlines, colons or commas, each group optionally prefixed
/// with `0x` (`30 26 02`, `30:26:02`, `0x30, 0x26`, `302602`).
///
/// Dump form, recognised when every non-blank line starts with a 4 to 8
/// digit offset (optionally followed by `:`) and the first offset is zero:
/// the offset column is checked against the bytes read so far (hex or
/// decimal, for net-snmp) and the ASCII column is dropped. The hex part of a
/// line ends at a `|`, at a gap of three or more blanks, or at the first
/// group that is not all hex digits; this covers `tshark -x`, `xxd`,
/// `hexdump -C` and net-snmp's `-d` output.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, Error> {
    let bytes = if is_hex_dump(text) {
        parse_hex_dump(text)?
    } else {
        parse_plain_hex(text)?
    };
    if bytes.is_empty() {
        return Err(Error::HexEmpty);
    }
    Ok(bytes)
}

/// A run of non-separator characters on one line.
pub(super) struct Token<'t> {
    /// 1-based character column of the first character.
    pub(super) column: usize,
    /// Number of separator characters just before the token.
    pub(super) gap: usize,
    pub(super) text: &'t str,
}

pub(super) fn tokens(line: &str, is_separator: fn(char) -> bool) -> Vec<Token<'_>> {
    let mut found = Vec::new();
    let mut gap = 0;
    let mut start: Option<(usize, usize)> = None;
    for (column, (index, ch)) in (1..).zip(line.char_indices()) {
        if !is_separator(ch) {
            start.get_or_insert((index, column));
            continue;
        }
        if let Some((begin, first_column)) = start.take() {
            let text = line.get(begin..index).unwrap_or_default();
            found.push(Token {
                column: first_column,
                gap,
                text,
            });
            gap = 0;
        }
        gap = gap.saturating_add(1);
    }
    if let Some((begin, column)) = start {
        let text = line.get(begin..).unwrap_or_default();
        found.push(Token { column, gap, text });
    }
    found
}

pub(super) fn is_plain_separator(ch: char) -> bool {
    ch.is_whitespace() || ch == ':' || ch == ','
}

pub(super) fn parse_plain_hex(text: &str) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    for (line, content) in (1..).zip(text.lines()) {
        for token in tokens(content, is_plain_separator) {
            decode_group(&token, line, &mut bytes)?;
        }
    }
    Ok(bytes)
}

/// Appends the bytes of one group of hex digits, after an optional `0x`.
pub(super) fn decode_group(
    token: &Token<'_>,
    line: usize,
    bytes: &mut Vec<u8>,
) -> Result<(), Error> {
    let (digits, column) = match token.text.get(..2) {
        Some("0x" | "0X") if token.text.len() > 2 => (
            token.text.get(2..).unwrap_or_default(),
            token.column.saturating_add(2),
        ),
        _ => (token.text, token.column),
    };
    if let Some((position, ch)) = (column..)
        .zip(digits.chars())
        .find(|(_, ch)| !ch.is_ascii_hexdigit())
    {
        return Err(Error::HexInvalidChar {
            line,
            column: position,
            ch,
        });
    }
    let pairs = digits.as_bytes().chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(Error::HexOddDigits { line, column });
    }
    for pair in pairs {
        if let [high, low] = pair {
            bytes.push((hex_value(*high) << 4) | hex_value(*low));
        }
    }
    Ok(())
}

/// Value of an ASCII hex digit (already validated).
pub(super) fn hex_value(digit: u8) -> u8 {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
        .unwrap_or(0)
}

/// The offset at the start of a dump line, without its `:`.
pub(super) fn dump_offset<'t>(first: &Token<'t>) -> Option<&'t str> {
    let offset = first.text.strip_suffix(':').unwrap_or(first.text);
    let is_offset =
        (4..=8).contains(&offset.len()) && offset.chars().all(|ch| ch.is_ascii_hexdigit());
    is_offset.then_some(offset)
}

pub(super) fn is_hex_dump(text: &str) -> bool {
    let mut lines = text
        .lines()
        .map(|line| tokens(line, char::is_whitespace))
        .filter(|line| !line.is_empty());
    let starts_at_zero = lines.next().is_some_and(|first| {
        let offset = first.first().and_then(dump_offset);
        first.len() > 1 && offset.is_some_and(|offset| offset.bytes().all(|digit| digit == b'0'))
    });
    starts_at_zero && lines.all(|line| line.first().and_then(dump_offset).is_some())
}

pub(super) fn parse_hex_dump(text: &str) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    for (line, content) in (1..).zip(text.lines()) {
        let hex_part = content.split('|').next().unwrap_or_default();
        let line_tokens = tokens(hex_part, char::is_whitespace);
        let Some((first, data)) = line_tokens.split_first() else {
            continue;
        };
        let offset = dump_offset(first).unwrap_or(first.text);
        if !offset_matches(offset, bytes.len()) {
            return Err(Error::HexOffsetMismatch {
                line,
                offset: offset.to_owned(),
                expected: bytes.len(),
            });
        }
        for (index, token) in data.iter().enumerate() {
            let ends_hex = (index > 0 && token.gap >= 3)
                || !token.text.chars().all(|ch| ch.is_ascii_hexdigit());
            if ends_hex {
                break;
            }
            decode_group(token, line, &mut bytes)?;
        }
    }
    Ok(bytes)
}

/// Whether a dump offset equals `count`, read as hex or as decimal.
pub(super) fn offset_matches(offset: &str, count: usize) -> bool {
    let count = u64::try_from(count).ok();
    let hex = u64::from_str_radix(offset, 16).ok();
    let decimal = offset.parse::<u64>().ok();
    count.is_some() && (hex == count || decimal == count)
}
