//! The SNMPv3 users of a simulated fleet, written as snmpd.conf writes them.
//!
//! A user is a `createUser` line, the one syntax of a v3 user in nocwatch (see
//! `nocwatch_snmp::create_user`): `NAME [AUTHPROTO AUTHPASS [PRIVPROTO [PRIVPASS]]]`.
//! An agent also needs the lowest level it accepts from the user, which a
//! `createUser` line does not say; snmpd says it in a separate `rouser NAME LEVEL`
//! line, and so do we. Without one, the lowest level accepted is the one the user's
//! pass phrases give (authPriv with both, authNoPriv with one, else noAuthNoPriv): a
//! user with keys is then never answered without them, the safe default.

use nocwatch_snmp::create_user::{parse_create_user, split_words};
use nocwatch_snmp::security::{SecurityLevel, UsmUser};

use crate::error::SimError;

/// Parses the fleet's users from `createUser` lines (`create_users`, the keyword
/// optional) and `rouser NAME LEVEL` lines (`rousers`, the keyword optional; LEVEL
/// in snmpd's words `noauth`, `auth`, `priv`, or net-snmp's `-l` spellings).
///
/// # Errors
///
/// [`SimError::Config`] for a line that does not parse, a `createUser -e` (each
/// simulated device is its own authoritative engine, with its own engine ID), a
/// name with `:` (the old `NAME:LEVEL:...` form), a `rouser` for an unknown user or one asking for a level above what the user's
/// pass phrases give. Messages never hold a pass phrase.
pub fn agent_users(create_users: &[String], rousers: &[String]) -> Result<Vec<UsmUser>, SimError> {
    let mut users = Vec::with_capacity(create_users.len());
    for line in create_users {
        let user = parse_create_user(line).map_err(|e| SimError::Config(e.to_string()))?;
        if user.engine_id.is_some() {
            return Err(SimError::Config(format!(
                "createUser {}: -e is not for simulated agents (each device is its own \
                 engine, 80000000 05 'sim' and its index)",
                String::from_utf8_lossy(&user.name)
            )));
        }
        if user.name.contains(&b':') {
            // The old `NAME:LEVEL:AUTH:...` form would otherwise become a user
            // without keys named `anon:noAuthNoPriv`: refuse it with the new syntax.
            return Err(SimError::Config(format!(
                "--user {:?}: a name with ':' looks like the old NAME:LEVEL:... form; \
                 write NAME [AUTHPROTO AUTHPASS [PRIVPROTO [PRIVPASS]]] (createUser) and \
                 --rouser 'NAME LEVEL' for a lower level",
                String::from_utf8_lossy(&user.name)
            )));
        }
        users.push(user);
    }
    for line in rousers {
        let words = split_words(line.as_bytes());
        let mut w: &[Vec<u8>] = &words;
        if w.first().is_some_and(|k| k.eq_ignore_ascii_case(b"rouser")) {
            w = w.get(1..).unwrap_or_default();
        }
        let [name, level] = w else {
            return Err(SimError::Config(format!(
                "rouser {line:?}: expected NAME LEVEL (LEVEL: noauth, auth or priv)"
            )));
        };
        let shown = String::from_utf8_lossy(name);
        let level: SecurityLevel = String::from_utf8_lossy(level).parse().map_err(|_| {
            SimError::Config(format!(
                "rouser {shown}: unknown level (noauth, auth or priv)"
            ))
        })?;
        let Some(user) = users.iter_mut().find(|u| u.name == *name) else {
            return Err(SimError::Config(format!(
                "rouser {shown}: no such user (give it with --user first)"
            )));
        };
        if rank(level) > rank(keyed_level(user)) {
            return Err(SimError::Config(format!(
                "rouser {shown}: level {level:?} needs pass phrases the user does not have"
            )));
        }
        user.level = level;
    }
    Ok(users)
}

/// The highest level the user's pass phrases allow.
fn keyed_level(user: &UsmUser) -> SecurityLevel {
    match (&user.auth, &user.privacy) {
        (Some(_), Some(_)) => SecurityLevel::AuthPriv,
        (Some(_), None) => SecurityLevel::AuthNoPriv,
        _ => SecurityLevel::NoAuthNoPriv,
    }
}

fn rank(level: SecurityLevel) -> u8 {
    match level {
        SecurityLevel::NoAuthNoPriv => 0,
        SecurityLevel::AuthNoPriv => 1,
        SecurityLevel::AuthPriv => 2,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn lines(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn level_follows_the_pass_phrases_unless_a_rouser_lowers_it() {
        let users = agent_users(
            &lines(&[
                "ops SHA-256 authpass123 AES privpass123",
                "createUser mon SHA authpass123",
                "anon",
                r#"quoted SHA "a long phrase" AES "another one""#,
            ]),
            &[],
        )
        .unwrap();
        let levels: Vec<_> = users.iter().map(|u| u.level).collect();
        assert_eq!(
            levels,
            [
                SecurityLevel::AuthPriv,
                SecurityLevel::AuthNoPriv,
                SecurityLevel::NoAuthNoPriv,
                SecurityLevel::AuthPriv
            ]
        );
        assert!(users[0].auth.is_some() && users[0].privacy.is_some());
        assert_eq!(
            users[3].auth.as_ref().unwrap().1.as_slice(),
            b"a long phrase"
        );

        let users = agent_users(
            &lines(&["ops SHA-256 authpass123 AES privpass123"]),
            &lines(&["ops auth"]),
        )
        .unwrap();
        assert_eq!(users[0].level, SecurityLevel::AuthNoPriv);
        // The keys stay: authPriv requests are still answered.
        assert!(users[0].privacy.is_some());
        let users = agent_users(
            &lines(&["ops SHA authpass123"]),
            &lines(&["rouser ops noAuthNoPriv"]),
        )
        .unwrap();
        assert_eq!(users[0].level, SecurityLevel::NoAuthNoPriv);
    }

    #[test]
    fn refusals() {
        let err =
            |u: &[&str], r: &[&str]| agent_users(&lines(u), &lines(r)).unwrap_err().to_string();
        assert!(err(&["x SHA"], &[]).contains("pass phrase"));
        assert!(err(&["x SHA short"], &[]).contains("at least 8"));
        assert!(err(&["x ROT13 authpass123"], &[]).contains("unknown authentication"));
        assert!(err(&["-e 0x8000000001020304 x"], &[]).contains("-e is not"));
        // The old NAME:LEVEL:... form is refused, never taken as a user without keys.
        assert!(err(&["x:authPriv:SHA:authpass123:AES:privpass123"], &[]).contains("1 to 32"));
        assert!(err(&["anon:noAuthNoPriv"], &[]).contains("old NAME:LEVEL"));
        assert!(err(&["x SHA authpass123"], &["x priv"]).contains("needs pass phrases"));
        assert!(err(&["x"], &["y auth"]).contains("no such user"));
        assert!(err(&["x"], &["x"]).contains("expected NAME LEVEL"));
        assert!(err(&["x"], &["x bogus"]).contains("unknown level"));
        let e = err(&["x SHA secretphrase1 AES"], &["x bogus"]);
        assert!(!e.contains("secretphrase"), "{e}");
    }
}
