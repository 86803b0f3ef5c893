//! Series ownership by source: each source owns the resources it writes, replaces
//! only its own content, and has its own data age.

#![allow(clippy::unwrap_used, reason = "tests")]

use std::time::{Duration, SystemTime};

use nocwatch_store::{Batch, Store, StoreError, unix_nanos};

fn snmp_batch(at: u64) -> Batch {
    let mut b = Batch::new();
    b.push("127.1.0.1", "ifHCInOctets.1", 10.0, at);
    b.push("127.1.0.1", "sysUpTime.0", 5.0, at);
    b
}

#[test]
fn a_source_replace_keeps_other_sources_series() {
    let store = Store::new(4).unwrap();
    let now = unix_nanos(SystemTime::now());
    store.publish_from("snmp", snmp_batch(now)).unwrap();
    store
        .replace_matrix_from(
            "fabric",
            &["SW-01", "SW-02"],
            &["Latency"],
            &[1.0, 2.0],
            now,
        )
        .unwrap();
    // The fabric replaces its matrix without SW-02: SW-02 goes, the SNMP device stays.
    store
        .replace_matrix_from("fabric", &["SW-01"], &["Latency"], &[3.0], now)
        .unwrap();
    let snap = store.snapshot();
    assert_eq!(snap.latest("SW-01", "Latency").unwrap().value, 3.0);
    assert!(snap.latest("SW-02", "Latency").is_none());
    assert_eq!(
        snap.latest("127.1.0.1", "ifHCInOctets.1").unwrap().value,
        10.0
    );
    assert_eq!(snap.owner("SW-01"), Some("fabric"));
    assert_eq!(snap.owner("127.1.0.1"), Some("snmp"));
    let names: Vec<&str> = snap.sources().iter().map(|s| &*s.name).collect();
    assert_eq!(names, ["snmp", "fabric"]);
    assert_eq!(snap.source("fabric").unwrap().publishes, 2);
}

#[test]
fn a_source_may_not_write_another_sources_resource() {
    let store = Store::new(4).unwrap();
    store
        .replace_matrix_from("fabric", &["SW-01"], &["Latency"], &[1.0], 1)
        .unwrap();
    let mut b = Batch::new();
    b.push("SW-01", "ifHCInOctets.1", 1.0, 2);
    let before = store.snapshot().generation();
    let err = store.publish_from("snmp", b).unwrap_err();
    assert_eq!(
        err,
        StoreError::ForeignResource {
            resource: "SW-01".to_owned(),
            owner: "fabric".to_owned(),
            writer: "snmp".to_owned(),
        }
    );
    // Nothing was published, and the matrix was not dissolved.
    assert_eq!(store.snapshot().generation(), before);
    assert_eq!(
        store.snapshot().latest("SW-01", "Latency").unwrap().value,
        1.0
    );
    // The same the other way round.
    store.publish_from("snmp", snmp_batch(3)).unwrap();
    let err = store
        .replace_matrix_from("fabric", &["127.1.0.1"], &["Latency"], &[1.0], 4)
        .unwrap_err();
    assert!(matches!(err, StoreError::ForeignResource { .. }), "{err}");
}

/// The defect this module fixes: the SNMP poller's publishes made a failing CSV
/// source's values look fresh, because the only age was the snapshot's.
#[test]
fn a_failing_source_ages_while_another_publishes() {
    let store = Store::new(4).unwrap();
    let t0 = SystemTime::now() - Duration::from_secs(60);
    store
        .replace_matrix_from("fabric", &["SW-05"], &["Latency"], &[7.0], unix_nanos(t0))
        .unwrap();
    // The fabric source now fails; the SNMP source keeps publishing.
    for _ in 0..3 {
        store
            .publish_from("snmp", snmp_batch(unix_nanos(SystemTime::now())))
            .unwrap();
    }
    let snap = store.snapshot();
    let now = SystemTime::now();
    // The snapshot is fresh...
    assert!(snap.age(now) < Duration::from_secs(30));
    // ...but the fabric's value is as old as its sample, and the SNMP one is fresh.
    let fabric = snap.latest("SW-05", "Latency").unwrap();
    assert!(now.duration_since(fabric.time()).unwrap() >= Duration::from_secs(60));
    let snmp = snap.latest("127.1.0.1", "sysUpTime.0").unwrap();
    assert!(now.duration_since(snmp.time()).unwrap() < Duration::from_secs(30));
    // Per source: SNMP published 3 times, the fabric once (its publish time is its
    // last success, whatever the others do).
    assert_eq!(snap.source("snmp").unwrap().publishes, 3);
    let fabric_src = snap.source("fabric").unwrap();
    assert_eq!(fabric_src.publishes, 1);
    assert!(snap.source("snmp").unwrap().last_publish >= fabric_src.last_publish);
}

#[test]
fn unattributed_writes_neither_claim_nor_check() {
    let store = Store::new(4).unwrap();
    store.publish(snmp_batch(1)).unwrap();
    assert_eq!(store.snapshot().owner("127.1.0.1"), None);
    // A source may then claim it.
    store.publish_from("snmp", snmp_batch(2)).unwrap();
    assert_eq!(store.snapshot().owner("127.1.0.1"), Some("snmp"));
    assert!(store.snapshot().sources().len() == 1);
}
