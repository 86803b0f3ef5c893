//! Fuzz target: the service configuration (`nocwatch_service::Config::parse`), the
//! TOML a NOC writes for `nocwatch run` and `nocwatch check`: any text gives a
//! configuration that passed every check, or an error message; never a panic.
//! An accepted configuration parses again to the same value (the checks depend
//! on nothing but the text and the files it names).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match nocwatch_service::Config::parse(text) {
        Ok(c) => {
            let again =
                nocwatch_service::Config::parse(text).expect("accepted once, accepted again");
            assert_eq!(c, again);
        }
        Err(e) => assert!(!e.is_empty(), "an empty error for {text:?}"),
    }
});
