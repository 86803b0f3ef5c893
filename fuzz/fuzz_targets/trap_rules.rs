//! Fuzz target: the trap rules parser (`nocwatch_traps::Rules::parse`) takes any
//! text without panicking; an error always names a line inside the text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use nocwatch_traps::{Error, Rules};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Rules::parse(text, "fuzz.toml") {
        Ok(rules) => assert!(rules.len() <= text.len()),
        Err(Error::Rules { line, .. }) => assert!(line <= text.lines().count() + 1),
        Err(e) => panic!("unexpected error kind: {e}"),
    }
});
