//! Fuzz target: `nocwatch_snmp::fuzzing::varbinds_round_trip` (decode → encode → decode).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    nocwatch_snmp::fuzzing::varbinds_round_trip(data);
});
