//! Fuzz target: the trap journal's record reader (`nocwatch_traps::journal`) takes
//! any segment bytes without panicking, reports a valid prefix no longer than the
//! input, and reading that prefix again yields the same records and a clean end
//! (what `Journal::open` relies on when it truncates a damaged tail).
//!
//! Random bytes almost never carry a matching CRC-32C, so the input is also cut
//! into record bodies (at 0xff bytes) that are framed with their correct length and
//! checksum: that drives the body decoder itself, behind a valid frame.

#![no_main]

use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use nocwatch_traps::journal::{Record, Stop, read_records, read_segment};

fn summary(r: &Record) -> (u64, Vec<u8>) {
    match r {
        Record::Event(e) => {
            // Every accessor of a decoded event must be safe to call.
            let _ = (e.security_name(), e.trap_oid().len(), e.varbinds().validate());
            (e.seq, e.varbinds_ber().to_vec())
        }
        Record::Commit(c) => (*c, Vec::new()),
    }
}

fn check(data: &[u8]) {
    let now = Instant::now();
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
}

fuzz_target!(|data: &[u8]| {
    let (n, _) = read_segment(data, Instant::now(), |_| {});
    assert!(n <= data.len());
    check(data);

    let mut framed = Vec::new();
    for body in data.split(|b| *b == 0xff).filter(|b| !b.is_empty()) {
        framed.extend_from_slice(&(body.len() as u32).to_le_bytes());
        framed.extend_from_slice(&crc32c::crc32c(body).to_le_bytes());
        framed.extend_from_slice(body);
    }
    check(&framed);
});
