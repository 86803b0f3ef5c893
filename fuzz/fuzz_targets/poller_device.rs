//! Fuzz target: what agents send, through the poller's per-device state and
//! rate computation (`nocwatch_poller::Device::poll`). Input: a sequence of
//! polls, each a header (VarBindList content length, clock step in 0.1 s, and
//! whether the poll was complete) then that many bytes of VarBindList content.
//! Properties: no panic; every rate written is finite and never negative.

#![no_main]

use libfuzzer_sys::fuzz_target;
use nocwatch_poller::Device;
use nocwatch_poller::column::Columns;
use nocwatch_snmp::VarBinds;
use nocwatch_store::Batch;

fuzz_target!(|data: &[u8]| {
    let mut device = Device::new("fuzz".into());
    let columns = Columns::new();
    let mut at: u64 = 1_700_000_000_000_000_000;
    let mut rest = data;
    while let [len, step, flags, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (content, next) = tail.split_at(n);
        rest = next;
        // A clock step of 0 or backwards (flag bit 1) is allowed too.
        let dt = u64::from(*step) * 100_000_000;
        at = if flags & 2 == 0 { at + dt } else { at.saturating_sub(dt) };
        let list = VarBinds::encoded(content);
        let varbinds = list.iter().map(|vb| (true, vb.ok()));
        let mut batch = Batch::new();
        let tally = device.poll(varbinds, flags & 1 == 1, at, &columns, &mut batch);
        assert!(tally.published as usize == batch.len());
        for u in batch.iter() {
            if u.metric.ends_with(".per_second") {
                assert!(u.value.is_finite() && u.value >= 0.0, "{u:?}");
            }
        }
    }
});
