//! Fuzz target: the fabric CSV validator (`nocwatch_telemetry::csv::parse`)
//! takes any bytes without panicking, and whatever it accepts keeps its
//! promises: at least one row, unique switch ids, finite values, and a round
//! trip through `Table::to_csv` that parses back to the same table.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _accepted = nocwatch_telemetry::fuzzing::csv_round_trip(data);
});
