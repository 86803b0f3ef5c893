//! SNMPv3 users in snmptrapd's `createUser` syntax: the one syntax for a v3 user in
//! nocwatch, shared by every CLI flag (`trap listen --user`, `sim agents --user`),
//! the service's `[traps]` section (`users`, `users_file`) and `[snmp]`'s `user`.
//!
//! It lives here, at the bottom of the crate graph, because it is a pure parser of
//! text into a [`UsmUser`]: the trap receiver, the simulator and the poller all take
//! users, and none of them should depend on another to read one.
//!
//! ```text
//! createUser [-e ENGINEID] NAME [AUTHPROTO AUTHPASS [PRIVPROTO [PRIVPASS]]]
//! ```
//!
//! Words are split as net-snmp splits a configuration line (its `copy_nword`), so a
//! line snmptrapd accepts means the same keys here:
//!
//! - a word starting with `"` or `'` runs to the next same quote (the quotes are not
//!   part of it) and may hold spaces: `"a long phrase"`; a missing closing quote
//!   takes the rest of the line, as net-snmp does;
//! - elsewhere a word ends at white space;
//! - a backslash takes the next character literally, inside quotes or not
//!   (`\"`, `\ `, `\\`); a backslash at the very end is kept;
//! - a quote inside a word (`pass"word`) is an ordinary character.
//!
//! Why this matters: splitting on white space instead turns
//! `createUser u SHA "a long phrase" AES "another one"` into the wrong words, and the
//! user silently gets keys no sender has.
//!
//! As snmptrapd: a privacy protocol without its pass phrase reuses the
//! authentication pass phrase; the keyword is case-insensitive; other lines of a
//! snmptrapd.conf are ignored. Unlike snmptrapd, which silently truncates a word at
//! 511 bytes, a longer word is refused; the key forms `-m`/`-l` (a master or
//! localized key in hex instead of a pass phrase) are refused with an error rather
//! than taken as pass phrases. Errors name the user, never a pass phrase.

use crate::crypto::{AuthProtocol, PrivProtocol};
use crate::error::Error;
use crate::security::{SecurityLevel, UsmUser};

/// net-snmp reads each word into a 512-byte buffer (SNMP_MAXBUF_SMALL).
const MAX_WORD: usize = 511;

/// Splits a configuration line into words as net-snmp's `copy_nword` does (see the
/// module docs). Bytes, not text: pass phrases are bytes.
pub fn split_words(line: &[u8]) -> Vec<Vec<u8>> {
    let mut words = Vec::new();
    let mut i = skip_white(line, 0);
    while i < line.len() {
        let mut word = Vec::new();
        match line.get(i) {
            Some(&q) if q == b'"' || q == b'\'' => {
                i += 1;
                while let Some(&c) = line.get(i) {
                    if c == q {
                        break;
                    }
                    i += take(line, i, &mut word);
                }
                // The closing quote, when there is one.
                if i < line.len() {
                    i += 1;
                }
            }
            _ => {
                while let Some(&c) = line.get(i) {
                    if is_white(c) {
                        break;
                    }
                    i += take(line, i, &mut word);
                }
            }
        }
        words.push(word);
        i = skip_white(line, i);
    }
    words
}

/// Appends the character at `i` (the one after it when it is a backslash with
/// something after it) and returns how many bytes it used.
fn take(line: &[u8], i: usize, word: &mut Vec<u8>) -> usize {
    match (line.get(i), line.get(i + 1)) {
        (Some(b'\\'), Some(&next)) => {
            word.push(next);
            2
        }
        (Some(&c), _) => {
            word.push(c);
            1
        }
        (None, _) => 1,
    }
}

/// C's `isspace` in the "C" locale.
fn is_white(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn skip_white(line: &[u8], mut i: usize) -> usize {
    while line.get(i).is_some_and(|&c| is_white(c)) {
        i += 1;
    }
    i
}

/// Parses one `createUser` line (the keyword itself is optional, so `--user NAME
/// SHA ...` works too).
pub fn parse_create_user(line: &str) -> Result<UsmUser, Error> {
    let words = split_words(line.as_bytes());
    let mut w: &[Vec<u8>] = &words;
    if w.first()
        .is_some_and(|k| k.eq_ignore_ascii_case(b"createUser"))
    {
        w = w.get(1..).unwrap_or_default();
    }
    let bad = |user: &[u8], message: String| Error::CreateUser {
        user: String::from_utf8_lossy(user).into_owned(),
        message,
    };
    if let Some(long) = w.iter().find(|x| x.len() > MAX_WORD) {
        // Never echo the word: it may be a pass phrase.
        let _ = long;
        return Err(bad(
            w.first().map_or(&[][..], Vec::as_slice),
            format!("a word is longer than {MAX_WORD} bytes"),
        ));
    }
    let mut engine_id = None;
    if w.first().is_some_and(|x| x == b"-e") {
        let Some(id) = w.get(1) else {
            return Err(bad(b"", "-e needs an engine ID".into()));
        };
        let text = String::from_utf8_lossy(id);
        engine_id = Some(
            parse_engine_id(&text)
                .ok_or_else(|| bad(b"", format!("{text}: bad engine ID (hex, 5 to 32 bytes)")))?,
        );
        w = w.get(2..).unwrap_or_default();
    }
    let Some((name, rest)) = w.split_first() else {
        return Err(bad(
            b"",
            "expected [-e ENGINEID] NAME [AUTHPROTO AUTHPASS [PRIVPROTO [PRIVPASS]]]".into(),
        ));
    };
    // RFC 3414 usmUserName: SnmpAdminString (SIZE(1..32)).
    if name.is_empty() || name.len() > 32 {
        return Err(bad(name, "a user name is 1 to 32 bytes".into()));
    }
    if rest.iter().any(|x| x == b"-m" || x == b"-l") {
        return Err(bad(
            name,
            "keys given with -m/-l are not supported; give pass phrases".into(),
        ));
    }
    let (auth, privacy) = match rest {
        [] => (None, None),
        [ap, apw] => (Some((ap, apw)), None),
        [ap, apw, pp] => (Some((ap, apw)), Some((pp, apw))),
        [ap, apw, pp, ppw] => (Some((ap, apw)), Some((pp, ppw))),
        [_] => {
            return Err(bad(
                name,
                "the authentication protocol needs a pass phrase".into(),
            ));
        }
        _ => {
            return Err(bad(
                name,
                format!(
                    "{} words after the name; expected [AUTHPROTO AUTHPASS [PRIVPROTO [PRIVPASS]]] \
                     (quote a pass phrase that holds spaces)",
                    rest.len()
                ),
            ));
        }
    };
    // RFC 3414 §11.2 and net-snmp: pass phrases of at least 8 bytes.
    if auth
        .iter()
        .chain(privacy.iter())
        .any(|(_, pw)| pw.len() < 8)
    {
        return Err(bad(name, "pass phrases are at least 8 bytes".into()));
    }
    let auth = match auth {
        Some((p, pw)) => {
            let p = String::from_utf8_lossy(p);
            let proto: AuthProtocol = p
                .parse()
                .map_err(|_| bad(name, format!("{p}: unknown authentication protocol")))?;
            Some((proto, pw.as_slice()))
        }
        None => None,
    };
    let privacy = match privacy {
        Some((p, pw)) => {
            let p = String::from_utf8_lossy(p);
            let proto: PrivProtocol = p
                .parse()
                .map_err(|_| bad(name, format!("{p}: unknown privacy protocol")))?;
            Some((proto, pw.as_slice()))
        }
        None => None,
    };
    let level = match (&auth, &privacy) {
        (None, _) => SecurityLevel::NoAuthNoPriv,
        (Some(_), None) => SecurityLevel::AuthNoPriv,
        (Some(_), Some(_)) => SecurityLevel::AuthPriv,
    };
    let mut user =
        UsmUser::new(name, level, auth, privacy).map_err(|e| bad(name, e.to_string()))?;
    user.engine_id = engine_id;
    Ok(user)
}

/// The `createUser` lines of a snmptrapd.conf-style text (other lines, comments
/// included, are ignored), parsed; `origin` names the text in errors.
pub fn parse_users_file(text: &str, origin: &str) -> Result<Vec<UsmUser>, Error> {
    let mut users = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let is_create = t
            .get(..10)
            .is_some_and(|k| k.eq_ignore_ascii_case("createUser"))
            && t.as_bytes().get(10).is_some_and(|&c| is_white(c));
        if !is_create {
            continue;
        }
        let user = parse_create_user(t).map_err(|e| match e {
            Error::CreateUser { user, message } => Error::CreateUser {
                user,
                message: format!("{origin}:{}: {message}", n + 1),
            },
            other => other,
        })?;
        users.push(user);
    }
    Ok(users)
}

/// An snmpEngineID in hex (`0x` prefix optional), 5 to 32 bytes.
pub fn parse_engine_id(text: &str) -> Option<Vec<u8>> {
    let t = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))
        .unwrap_or(text);
    if t.is_empty() || !t.len().is_multiple_of(2) || !t.is_ascii() {
        return None;
    }
    let id: Vec<u8> = (0..t.len())
        .step_by(2)
        .map(|i| t.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<_>>()?;
    crate::receiver::is_valid_engine_id(&id).then_some(id)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn words(s: &str) -> Vec<String> {
        split_words(s.as_bytes())
            .into_iter()
            .map(|w| String::from_utf8(w).unwrap())
            .collect()
    }

    #[test]
    fn words_split_as_net_snmp_does() {
        assert_eq!(
            words(r#"createUser u SHA "a long phrase" AES "another one""#),
            [
                "createUser",
                "u",
                "SHA",
                "a long phrase",
                "AES",
                "another one"
            ]
        );
        assert_eq!(words("  a\t b  "), ["a", "b"]);
        assert_eq!(words("'single quoted' x"), ["single quoted", "x"]);
        // Escapes inside and outside quotes.
        assert_eq!(
            words(r#""say \"hi\"" a\ b c\\d"#),
            [r#"say "hi""#, "a b", r"c\d"]
        );
        // A quote only opens a word at its start.
        assert_eq!(words(r#"pass"word x"#), [r#"pass"word"#, "x"]);
        // The word after a closing quote starts at once.
        assert_eq!(words(r#""ab"cd e"#), ["ab", "cd", "e"]);
        // A missing closing quote takes the rest.
        assert_eq!(words(r#"a "b c"#), ["a", "b c"]);
        // An empty quoted word is a word.
        assert_eq!(words(r#"a "" b"#), ["a", "", "b"]);
        // A trailing backslash is kept.
        assert_eq!(words(r"a\"), [r"a\"]);
        assert_eq!(words(""), Vec::<String>::new());
        // The other quote is an ordinary character inside quotes.
        assert_eq!(words(r#""it's" 'a "b"'"#), ["it's", r#"a "b""#]);
    }

    #[test]
    fn create_user_syntax() {
        let u = parse_create_user(
            "createUser -e 0x8000000001020304 alice SHA alicepass1 AES alicepriv1",
        )
        .unwrap();
        assert_eq!(u.name, b"alice");
        assert_eq!(u.level, SecurityLevel::AuthPriv);
        assert_eq!(
            u.engine_id.as_deref(),
            Some(&[0x80, 0, 0, 0, 1, 2, 3, 4][..])
        );
        let u = parse_create_user("bob MD5 bobpass12").unwrap();
        assert_eq!(u.level, SecurityLevel::AuthNoPriv);
        assert!(u.engine_id.is_none());
        assert_eq!(
            parse_create_user("carol").unwrap().level,
            SecurityLevel::NoAuthNoPriv
        );
        assert!(parse_create_user("dave SHA").is_err());
        assert!(parse_create_user("erin FOO erinpass1").is_err());
        assert!(parse_create_user("erin SHA erinpass1 FOO x1234567").is_err());
        assert!(parse_create_user("-e zz erin").is_err());
        assert!(parse_create_user("-e").is_err());
        assert!(parse_create_user("").is_err());
        assert!(parse_create_user(r#""""#).is_err());
        assert!(parse_create_user(&"n".repeat(33)).is_err());
        assert!(parse_create_user("f SHA -m 0x0102 AES -m 0x0304").is_err());
        // Too many words: the old whitespace split of an unquoted phrase.
        let e = parse_create_user("u SHA a long phrase AES another one").unwrap_err();
        assert!(e.to_string().contains("quote"), "{e}");
        // Case-insensitive keyword, as snmptrapd.
        assert_eq!(parse_create_user("CREATEUSER gus").unwrap().name, b"gus");
    }

    #[test]
    fn quoted_phrases_give_the_keys_of_the_phrases() {
        let quoted =
            parse_create_user(r#"createUser u SHA "a long phrase" AES "another one""#).unwrap();
        let direct = UsmUser::new(
            b"u",
            SecurityLevel::AuthPriv,
            Some((AuthProtocol::Sha1, b"a long phrase")),
            Some((PrivProtocol::Aes128, b"another one")),
        )
        .unwrap();
        assert_eq!(phrases(&quoted), phrases(&direct));
        assert_eq!(
            phrases(&quoted),
            (b"a long phrase".to_vec(), b"another one".to_vec())
        );
    }

    fn phrases(u: &UsmUser) -> (Vec<u8>, Vec<u8>) {
        let a = u.auth.as_ref().map(|(_, s)| s.to_vec()).unwrap_or_default();
        let p = u
            .privacy
            .as_ref()
            .map(|(_, s)| s.to_vec())
            .unwrap_or_default();
        (a, p)
    }

    #[test]
    fn privacy_without_its_phrase_reuses_the_auth_phrase() {
        let u = parse_create_user("u SHA authphrase1 AES").unwrap();
        assert_eq!(u.level, SecurityLevel::AuthPriv);
        let direct = UsmUser::new(
            b"u",
            SecurityLevel::AuthPriv,
            Some((AuthProtocol::Sha1, b"authphrase1")),
            Some((PrivProtocol::Aes128, b"authphrase1")),
        )
        .unwrap();
        assert_eq!(phrases(&u), phrases(&direct));
    }

    #[test]
    fn errors_never_show_pass_phrases() {
        for line in [
            "u SHA short",
            "u SHA secretphrase1 FOO secretphrase2",
            "u SHA secretphrase1 AES secretphrase2 extra",
        ] {
            let e = parse_create_user(line).unwrap_err().to_string();
            assert!(!e.contains("secretphrase") && !e.contains("short"), "{e}");
        }
        let long = format!("u SHA {}", "x".repeat(600));
        let e = parse_create_user(&long).unwrap_err().to_string();
        assert!(!e.contains("xxxx"), "{e}");
    }

    #[test]
    fn users_file_takes_create_user_lines_only() {
        let text = "# comment createUser x\nauthCommunity log public\n  createUser a SHA \"pass phrase 1\"\n\
                    createUserX b\ncreateuser\tc\n";
        let users = parse_users_file(text, "t.conf").unwrap();
        let names: Vec<_> = users.iter().map(|u| u.name.clone()).collect();
        assert_eq!(names, [b"a".to_vec(), b"c".to_vec()]);
        let e = parse_users_file("\ncreateUser d SHA\n", "t.conf").unwrap_err();
        assert!(e.to_string().contains("t.conf:2"), "{e}");
    }
}
