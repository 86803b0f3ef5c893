//! Hand-written lexer for SMI text.
//!
//! Tokens borrow from the source text, so lexing allocates only the token
//! vector. The lexer never fails: anything it does not recognise becomes an
//! [`Kind::Other`] token that the parser skips or reports.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Identifier or keyword (`ifDescr`, `OBJECT-TYPE`, `INTEGER`).
    Ident,
    /// Unsigned decimal number (saturated to `u64::MAX`).
    Num(u64),
    /// Negative decimal number.
    Neg(i64),
    /// Double-quoted string; `text` excludes the quotes.
    Str,
    /// `'0A'H` / `'0101'B` literal.
    Quoted,
    /// `::=`
    Assign,
    LBrace,
    RBrace,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Semi,
    /// `..`
    DotDot,
    Dot,
    Pipe,
    /// Any other character.
    Other,
}

/// One token with its 1-based line number.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token<'a> {
    pub(crate) kind: Kind,
    pub(crate) text: &'a str,
    pub(crate) line: u32,
}

/// A problem found while lexing (unterminated string), with its line.
#[derive(Debug, Clone)]
pub(crate) struct LexProblem {
    pub(crate) line: u32,
    pub(crate) message: String,
}

/// Splits `src` into tokens, dropping whitespace and `--` comments.
pub(crate) fn lex(src: &str) -> (Vec<Token<'_>>, Vec<LexProblem>) {
    let bytes = src.as_bytes();
    let mut tokens = Vec::with_capacity(src.len() / 6);
    let mut problems = Vec::new();
    let mut i = 0usize;
    let mut line = 1u32;
    let at = |j: usize| bytes.get(j).copied().unwrap_or(0);
    let slice = |a: usize, b: usize| src.get(a..b).unwrap_or("");
    while i < bytes.len() {
        let c = at(i);
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' | 0x0b | 0x0c => i += 1,
            b'-' if at(i + 1) == b'-' => {
                // Comment: to end of line or to the next `--`.
                i += 2;
                while i < bytes.len() {
                    if at(i) == b'\n' {
                        break;
                    }
                    if at(i) == b'-' && at(i + 1) == b'-' {
                        i += 2;
                        break;
                    }
                    i += 1;
                }
            }
            b'"' => {
                let start_line = line;
                let start = i + 1;
                i += 1;
                while i < bytes.len() && at(i) != b'"' {
                    if at(i) == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
                if i >= bytes.len() {
                    problems.push(LexProblem {
                        line: start_line,
                        message: "unterminated string".to_owned(),
                    });
                }
                tokens.push(Token {
                    kind: Kind::Str,
                    text: slice(start, i.min(bytes.len())),
                    line: start_line,
                });
                i += 1;
            }
            b'\'' => {
                let start = i;
                let start_line = line;
                i += 1;
                while i < bytes.len() && at(i) != b'\'' && at(i) != b'\n' {
                    i += 1;
                }
                i += 1;
                if at(i).is_ascii_alphabetic() {
                    i += 1;
                }
                let end = i.min(bytes.len());
                tokens.push(Token {
                    kind: Kind::Quoted,
                    text: slice(start, end),
                    line: start_line,
                });
            }
            b':' if at(i + 1) == b':' && at(i + 2) == b'=' => {
                tokens.push(Token {
                    kind: Kind::Assign,
                    text: slice(i, i + 3),
                    line,
                });
                i += 3;
            }
            b'.' if at(i + 1) == b'.' => {
                tokens.push(Token {
                    kind: Kind::DotDot,
                    text: slice(i, i + 2),
                    line,
                });
                i += 2;
            }
            b'0'..=b'9' => {
                let start = i;
                while at(i).is_ascii_digit() {
                    i += 1;
                }
                let text = slice(start, i);
                let n = text.parse::<u64>().unwrap_or(u64::MAX);
                tokens.push(Token {
                    kind: Kind::Num(n),
                    text,
                    line,
                });
            }
            b'-' if at(i + 1).is_ascii_digit() => {
                let start = i;
                i += 1;
                while at(i).is_ascii_digit() {
                    i += 1;
                }
                let text = slice(start, i);
                let n = text.parse::<i64>().unwrap_or(i64::MIN);
                tokens.push(Token {
                    kind: Kind::Neg(n),
                    text,
                    line,
                });
            }
            c if c.is_ascii_alphabetic() => {
                let start = i;
                i += 1;
                loop {
                    let d = at(i);
                    let hyphen = d == b'-' && at(i + 1) != b'-' && is_ident_char(at(i + 1));
                    if is_ident_char(d) || hyphen {
                        i += 1;
                    } else {
                        break;
                    }
                }
                tokens.push(Token {
                    kind: Kind::Ident,
                    text: slice(start, i),
                    line,
                });
            }
            _ => {
                let kind = match c {
                    b'{' => Kind::LBrace,
                    b'}' => Kind::RBrace,
                    b'(' => Kind::LParen,
                    b')' => Kind::RParen,
                    b'[' => Kind::LBracket,
                    b']' => Kind::RBracket,
                    b',' => Kind::Comma,
                    b';' => Kind::Semi,
                    b'.' => Kind::Dot,
                    b'|' => Kind::Pipe,
                    _ => Kind::Other,
                };
                // Advance over one whole UTF-8 character.
                let len = src
                    .get(i..)
                    .and_then(|s| s.chars().next())
                    .map_or(1, char::len_utf8);
                tokens.push(Token {
                    kind,
                    text: slice(i, i + len),
                    line,
                });
                i += len;
            }
        }
    }
    (tokens, problems)
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Kind, String)> {
        lex(src)
            .0
            .into_iter()
            .map(|t| (t.kind, t.text.to_owned()))
            .collect()
    }

    #[test]
    fn comments_end_at_newline_or_double_dash() {
        let k = kinds("a -- one\nb -- two -- c\n-- x -- d");
        let texts: Vec<_> = k.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["a", "b", "c", "d"]);
    }

    #[test]
    fn strings_span_lines_and_keep_line_numbers() {
        let (toks, problems) = lex("x \"a\nb\nc\" y");
        assert!(problems.is_empty());
        assert_eq!(toks.len(), 3);
        assert_eq!(toks.get(1).map(|t| (t.kind, t.line)), Some((Kind::Str, 1)));
        assert_eq!(toks.get(2).map(|t| t.line), Some(3));
    }

    #[test]
    fn unterminated_string_is_reported() {
        let (_, problems) = lex("x \"abc\n");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems.first().map(|p| p.line), Some(1));
    }

    #[test]
    fn punctuation_numbers_and_identifiers() {
        let k = kinds("OBJECT-TYPE ::= { a_b-c 3 } (-1..10) 'ff'H");
        let got: Vec<Kind> = k.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            got,
            [
                Kind::Ident,
                Kind::Assign,
                Kind::LBrace,
                Kind::Ident,
                Kind::Num(3),
                Kind::RBrace,
                Kind::LParen,
                Kind::Neg(-1),
                Kind::DotDot,
                Kind::Num(10),
                Kind::RParen,
                Kind::Quoted,
            ]
        );
        assert_eq!(k.get(3).map(|(_, t)| t.as_str()), Some("a_b-c"));
    }

    #[test]
    fn identifier_does_not_swallow_comment() {
        let k = kinds("foo--comment\nbar");
        let texts: Vec<_> = k.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["foo", "bar"]);
    }
}
