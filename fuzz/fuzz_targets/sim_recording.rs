//! Fuzz target: `nocwatch_sim::parse_recording` (snmpwalk -On text → values). Any
//! input must give values or a line-numbered error, never a panic; what parses must
//! survive a write/parse round trip.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(pairs) = nocwatch_sim::parse_recording(&text) {
        let again = nocwatch_sim::parse_recording(&nocwatch_sim::write_recording(&pairs))
            .expect("a written recording parses");
        assert_eq!(again.len(), pairs.len());
    }
});
