//! Fuzz target: the API's query-string parsers (`nocwatch_api::fuzzing::query`):
//! the one-pass pair decoder agrees with `form_urlencoded` on every input, and
//! ListMetrics' and the events routes' filters never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nocwatch_api::fuzzing::query(data);
});
