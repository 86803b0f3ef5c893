//! SNMPv3 users of the trap service: `createUser` lines (`--user`, `users`) and
//! files (`--config FILE`, `users_file`).
//!
//! The parser is `nocwatch_snmp::create_user` (snmptrapd's word splitting, quoted
//! pass phrases, errors that never show a phrase), re-exported here: it is the one
//! v3 user syntax of nocwatch, shared with the simulator and the poller, which must
//! not depend on this crate to read a user.

use std::sync::Arc;

use nocwatch_snmp::UsmUser;

use crate::error::Error;

pub use nocwatch_snmp::create_user::{
    parse_create_user, parse_engine_id, parse_users_file, split_words,
};

/// Users from `createUser` lines and files, shared as the receiver takes them.
pub(crate) fn collect(
    lines: &[String],
    files: &[(String, String)],
) -> Result<Vec<Arc<UsmUser>>, Error> {
    let mut users = Vec::new();
    for line in lines {
        users.push(Arc::new(parse_create_user(line)?));
    }
    for (origin, text) in files {
        users.extend(parse_users_file(text, origin)?.into_iter().map(Arc::new));
    }
    Ok(users)
}
