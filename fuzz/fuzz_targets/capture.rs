//! Fuzz target: any bytes as a pcap or pcapng file (`nocwatch_capture::read_capture`).
//!
//! It must not panic and must end. When the file header is accepted, every packet
//! record yields exactly one item, a datagram or a typed per-frame error, numbered
//! 1, 2, 3, ... in file order, plus at most one last error for a broken tail (numbered
//! as the next frame); the summary counts agree with the items; every payload borrows
//! from the input (zero-copy) and fits in it. When the header is refused nothing is
//! delivered and the error is a file-level one.

#![no_main]

use libfuzzer_sys::fuzz_target;
use nocwatch_capture::{Error, read_capture};

fuzz_target!(|data: &[u8]| {
    let input = data.as_ptr_range();
    let mut numbers = Vec::new();
    let mut datagrams = 0u64;
    let mut errors = 0u64;
    let result = read_capture(data, |item| {
        match item {
            Ok(datagram) => {
                let payload = datagram.payload.as_ptr_range();
                assert!(
                    input.start <= payload.start && payload.end <= input.end,
                    "payload not borrowed from the input"
                );
                numbers.push(datagram.frame);
                datagrams += 1;
            }
            Err((frame, error)) => {
                // Every reason renders (Display never panics on odd values).
                assert!(!error.to_string().is_empty());
                numbers.push(frame);
                errors += 1;
            }
        }
    });
    match result {
        Ok(summary) => {
            assert_eq!(summary.datagrams, datagrams);
            assert_eq!(summary.errors, errors);
            assert_eq!(summary.datagrams + summary.errors, numbers.len() as u64);
            for (expected, frame) in (1u64..).zip(&numbers) {
                assert_eq!(*frame, expected, "frames out of order");
            }
            let last = numbers.last().copied().unwrap_or(0);
            assert!(
                last == summary.frames || last == summary.frames + 1,
                "{last} items for {} frames",
                summary.frames
            );
        }
        Err(error) => {
            assert!(numbers.is_empty(), "items delivered before a file error");
            assert!(
                matches!(
                    error,
                    Error::TooShort(_)
                        | Error::NotCapture(_)
                        | Error::TruncatedHeader
                        | Error::MalformedHeader(_)
                ),
                "not a file-level error: {error}"
            );
        }
    }
});
