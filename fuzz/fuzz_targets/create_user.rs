//! Fuzz target: snmptrapd `createUser` lines (`nocwatch_snmp::create_user`), the
//! one syntax of a v3 user (trap listen, sim agents, the service config).
//!
//! - `split_words` takes any bytes without panicking, and what it returns survives
//!   a round trip: each word double-quoted with `\` and `"` escaped, joined by
//!   spaces, splits back into the same words (the quoting rules agree with
//!   themselves).
//! - `parse_create_user` and `parse_users_file` take any text without panicking;
//!   a user they accept has a name and a level its pass phrases support, and every
//!   pass phrase is at least 8 bytes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use nocwatch_snmp::SecurityLevel;
use nocwatch_snmp::create_user::{parse_create_user, parse_users_file, split_words};

fuzz_target!(|data: &[u8]| {
    let words = split_words(data);
    assert!(words.iter().map(Vec::len).sum::<usize>() <= data.len());
    let mut quoted = Vec::new();
    for w in &words {
        quoted.push(b'"');
        for &c in w {
            if c == b'"' || c == b'\\' {
                quoted.push(b'\\');
            }
            quoted.push(c);
        }
        quoted.extend_from_slice(b"\" ");
    }
    assert_eq!(split_words(&quoted), words);

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(u) = parse_create_user(text) {
        assert!(!u.name.is_empty());
        let phrases = u.auth.iter().map(|a| &a.1).chain(u.privacy.iter().map(|p| &p.1));
        assert!(phrases.into_iter().all(|p| p.len() >= 8));
        match u.level {
            SecurityLevel::NoAuthNoPriv => assert!(u.auth.is_none() && u.privacy.is_none()),
            SecurityLevel::AuthNoPriv => assert!(u.auth.is_some() && u.privacy.is_none()),
            SecurityLevel::AuthPriv => assert!(u.auth.is_some() && u.privacy.is_some()),
        }
    }
    let _ = parse_users_file(text, "fuzz.conf");
});
