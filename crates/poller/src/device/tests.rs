#![allow(clippy::unwrap_used, reason = "tests")]

use nocwatch_snmp::{Oid, Value, VarBind};
use nocwatch_store::Batch;

use super::*;

const SEC: u64 = 1_000_000_000;
const T0: u64 = 1_700_000_000 * SEC;
const UPTIME: &str = "1.3.6.1.2.1.1.3.0";
const IN_OCTETS_1: &str = "1.3.6.1.2.1.2.2.1.10.1";
const HC_IN_OCTETS_1: &str = "1.3.6.1.2.1.31.1.1.1.6.1";

/// One value of a poll: published or not, OID, value.
type Item = (bool, &'static str, Value<'static>);

fn poll(device: &mut Device, items: &[Item], complete: bool, at: u64) -> (Batch, Tally) {
    let oids: Vec<Oid> = items.iter().map(|(_, o, _)| o.parse().unwrap()).collect();
    let varbinds = items.iter().zip(&oids).map(|((publish, _, value), oid)| {
        let vb = VarBind {
            name: oid.as_oid_ref(),
            value: *value,
        };
        (*publish, Some(vb))
    });
    let mut batch = Batch::new();
    let tally = device.poll(varbinds, complete, at, &Columns::new(), &mut batch);
    (batch, tally)
}

fn value(batch: &Batch, metric: &str) -> Option<f64> {
    batch.iter().find(|u| &*u.metric == metric).map(|u| u.value)
}

#[test]
fn values_are_published_and_counters_get_rates_from_the_second_poll() {
    let mut d = Device::new("10.0.0.7".into());
    let (b, t) = poll(
        &mut d,
        &[
            (true, UPTIME, Value::TimeTicks(100_000)),
            (true, HC_IN_OCTETS_1, Value::Counter64(1_000)),
            (true, "1.3.6.1.2.1.2.2.1.8.1", Value::Integer(1)),
            (true, "1.3.6.1.2.1.1.5.0", Value::OctetString(b"core1")),
        ],
        true,
        T0,
    );
    assert_eq!(value(&b, "sysUpTime.0"), Some(100_000.0));
    assert_eq!(value(&b, "ifHCInOctets.1"), Some(1_000.0));
    assert_eq!(value(&b, "ifOperStatus.1"), Some(1.0));
    assert_eq!(value(&b, "ifHCInOctets.1.per_second"), None);
    assert_eq!(b.iter().next().unwrap().resource.as_ref(), "10.0.0.7");
    assert!(b.iter().all(|u| u.at == T0));
    assert_eq!((t.published, t.non_numeric, t.rates), (3, 1, 0));
    assert_eq!(t.withheld[NoRate::First.index()], 1);

    let (b, t) = poll(
        &mut d,
        &[
            (true, UPTIME, Value::TimeTicks(101_000)),
            (true, HC_IN_OCTETS_1, Value::Counter64(21_000)),
        ],
        true,
        T0 + 10 * SEC,
    );
    assert_eq!(value(&b, "ifHCInOctets.1.per_second"), Some(2_000.0));
    assert_eq!((t.published, t.rates, t.restarts), (3, 1, 0));
}

#[test]
fn a_walk_read_for_the_rates_only_is_not_published() {
    let mut d = Device::new("r".into());
    let (b, t) = poll(
        &mut d,
        &[
            (true, IN_OCTETS_1, Value::Counter32(5)),
            (false, UPTIME, Value::TimeTicks(100_000)),
        ],
        true,
        T0,
    );
    assert_eq!(value(&b, "sysUpTime.0"), None);
    assert_eq!(t.published, 1);
    // ... but it vouches for a Counter32 wrap.
    let (b, _) = poll(
        &mut d,
        &[
            (true, IN_OCTETS_1, Value::Counter32(3)),
            (false, UPTIME, Value::TimeTicks(101_000)),
        ],
        true,
        T0 + 10 * SEC,
    );
    let wrapped = (u64::from(u32::MAX) + 1 - 5 + 3) as f64 / 10.0;
    assert_eq!(value(&b, "ifInOctets.1.per_second"), Some(wrapped));
}

#[test]
fn a_restart_withholds_one_poll_of_rates() {
    let mut d = Device::new("r".into());
    let items = |uptime: u32, octets: u64| {
        [
            (true, UPTIME, Value::TimeTicks(uptime)),
            (true, HC_IN_OCTETS_1, Value::Counter64(octets)),
        ]
    };
    let _ = poll(&mut d, &items(360_000, 9_000_000), true, T0);
    let (b, t) = poll(&mut d, &items(300, 10_000), true, T0 + 60 * SEC);
    assert_eq!(value(&b, "ifHCInOctets.1.per_second"), None);
    assert_eq!(t.restarts, 1);
    assert_eq!(t.withheld[NoRate::Restart.index()], 1);
    let (b, _) = poll(&mut d, &items(6_300, 70_000), true, T0 + 120 * SEC);
    assert_eq!(value(&b, "ifHCInOctets.1.per_second"), Some(1_000.0));
}

#[test]
fn the_interface_speed_bounds_its_counters() {
    // ifSpeed 10 Mbit/s: a Counter32 "wrap" of 4 GB in 10 s is a reset.
    let mut d = Device::new("r".into());
    let items = |octets: u32| {
        [
            (true, "1.3.6.1.2.1.2.2.1.5.1", Value::Gauge32(10_000_000)),
            (true, IN_OCTETS_1, Value::Counter32(octets)),
        ]
    };
    let _ = poll(&mut d, &items(4_000_000_000), true, T0);
    let (b, t) = poll(&mut d, &items(3_000_000_000), true, T0 + 10 * SEC);
    assert_eq!(value(&b, "ifInOctets.1.per_second"), None);
    assert_eq!(t.withheld[NoRate::Reset.index()], 1);
    // ifHighSpeed 1000 Mbit/s, no sysUpTime: a wrap within the line rate is
    // unwrapped on the ceiling's word alone.
    let mut d = Device::new("r".into());
    let items = |octets: u32| {
        [
            (true, "1.3.6.1.2.1.31.1.1.1.15.1", Value::Gauge32(1_000)),
            (true, IN_OCTETS_1, Value::Counter32(octets)),
        ]
    };
    let _ = poll(&mut d, &items(u32::MAX - 999), true, T0);
    let (b, _) = poll(&mut d, &items(9_000), true, T0 + SEC);
    assert_eq!(value(&b, "ifInOctets.1.per_second"), Some(10_000.0));
}

#[test]
fn a_moved_counter_discontinuity_time_voids_that_interface_only() {
    let mut d = Device::new("r".into());
    let items = |marker: u32, octets: u64| {
        [
            (true, "1.3.6.1.2.1.31.1.1.1.19.1", Value::TimeTicks(marker)),
            (true, HC_IN_OCTETS_1, Value::Counter64(octets)),
            (true, "1.3.6.1.2.1.31.1.1.1.6.2", Value::Counter64(octets)),
        ]
    };
    let _ = poll(&mut d, &items(0, 100), true, T0);
    let (b, t) = poll(&mut d, &items(4_000, 200), true, T0 + SEC);
    assert_eq!(value(&b, "ifHCInOctets.1.per_second"), None);
    assert_eq!(value(&b, "ifHCInOctets.2.per_second"), Some(100.0));
    assert_eq!(t.withheld[NoRate::Discontinuity.index()], 1);
}

#[test]
fn state_of_vanished_counters_is_dropped_after_a_complete_poll_only() {
    let mut d = Device::new("r".into());
    let both = [
        (true, HC_IN_OCTETS_1, Value::Counter64(1)),
        (true, "1.3.6.1.2.1.31.1.1.1.6.2", Value::Counter64(1)),
    ];
    let _ = poll(&mut d, &both, true, T0);
    assert_eq!(d.counters(), 2);
    let _ = poll(&mut d, &both[..1], false, T0 + SEC);
    assert_eq!(d.counters(), 2, "a partial poll proves nothing");
    let _ = poll(&mut d, &both[..1], true, T0 + 2 * SEC);
    assert_eq!(d.counters(), 1);
}
