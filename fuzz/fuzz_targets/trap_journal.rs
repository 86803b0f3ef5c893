//! Fuzz target: the trap journal's record reader (`nocwatch_traps::journal`) takes
//! any segment bytes without panicking, reports a valid prefix no longer than the
//! input, and reading that prefix again yields the same records and a clean end
//! (what `Journal::open` relies on when it truncates a damaged tail). The input is
//! tried both as a whole segment and as record bytes behind a valid header.

#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use nocwatch_traps::journal::{Record, Stop, read_records, read_segment};

fn summary(r: &Record) -> (u64, Vec<u8>) {
    match r {
        Record::Event(e) => (e.seq, e.varbinds_ber().to_vec()),
        Record::Commit(c) => (*c, Vec::new()),
    }
}

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let (n, _) = read_segment(data, now, |_| {});
    assert!(n <= data.len());

    let mut first = Vec::new();
    let (valid, stop) = read_records(data, now, |r| first.push(summary(&r)));
    assert!(valid <= data.len());
    if stop == Stop::End {
        assert_eq!(valid, data.len());
    }
    let mut again = Vec::new();
    let (valid2, stop2) = read_records(&data[..valid], now, |r| again.push(summary(&r)));
    assert_eq!((valid2, stop2), (valid, Stop::End));
    assert_eq!(first, again);
});
