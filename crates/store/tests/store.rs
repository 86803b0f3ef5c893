//! Behaviour tests for the RCU store.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, SystemTime};

use nocwatch_store::{
    Batch, MAX_HISTORY_CAPACITY, MemoryEstimate, ResourceId, Sample, Series, Store, StoreError,
    unix_nanos,
};

fn batch(updates: &[(&str, &str, f64, u64)]) -> Batch {
    let mut b = Batch::new();
    for &(r, m, v, at) in updates {
        b.push(r, m, v, at);
    }
    b
}

fn values(samples: impl Iterator<Item = Sample>) -> Vec<f64> {
    samples.map(|s| s.value).collect()
}

#[test]
fn lookup_after_publish() {
    let store = Store::new(4).unwrap();
    assert_eq!(store.load().generation(), 0);
    assert!(store.load().get("SW-05", "Latency_Avg_uSec").is_none());

    let g = store
        .publish(batch(&[
            ("SW-05", "Latency_Avg_uSec", 12.5, 10),
            ("SW-05", "Pkt_Drops", 3.0, 10),
            ("SW-06", "Latency_Avg_uSec", 7.0, 10),
        ]))
        .unwrap();
    assert_eq!(g, 1);

    let snap = store.load();
    assert_eq!(snap.generation(), 1);
    assert_eq!(snap.len(), 3);
    assert_eq!(
        snap.latest("SW-05", "Latency_Avg_uSec"),
        Some(Sample::new(12.5, 10))
    );
    assert_eq!(snap.latest("SW-06", "Latency_Avg_uSec").unwrap().value, 7.0);
    assert!(snap.get("SW-06", "Pkt_Drops").is_none());
    assert!(snap.get("SW-99", "Pkt_Drops").is_none());
    assert!(snap.get("SW-05", "Nope").is_none());
    assert!(snap.get("SW-05", "Pkt_Drops").unwrap().history().is_empty());

    assert_eq!(snap.resources().collect::<Vec<_>>(), ["SW-05", "SW-06"]);
    assert_eq!(
        snap.metrics().collect::<Vec<_>>(),
        ["Latency_Avg_uSec", "Pkt_Drops"]
    );
    let s = snap.get("SW-06", "Latency_Avg_uSec").unwrap();
    assert_eq!(snap.resource_name(s.resource()), Some("SW-06"));
    assert_eq!(snap.metric_name(s.metric()), Some("Latency_Avg_uSec"));
    assert_eq!(snap.get_by_id(s.resource(), s.metric()), Some(s));
}

#[test]
fn history_ring_wraps_at_capacity_and_keeps_order() {
    let store = Store::new(3).unwrap();
    for i in 0..10u32 {
        store
            .publish(batch(&[(
                "r",
                "m",
                f64::from(i),
                u64::from(i) * 1_000_000_000,
            )]))
            .unwrap();
        let snap = store.load();
        let s = snap.get("r", "m").unwrap();
        assert_eq!(s.latest().value, f64::from(i));
        let expected: Vec<f64> = (i.saturating_sub(3)..i).map(f64::from).collect();
        assert_eq!(values(s.history()), expected, "after {i}");
    }
    let snap = store.load();
    let s = snap.get("r", "m").unwrap();
    assert_eq!(s.history().len(), 3);
    assert_eq!(values(s.samples()), [6.0, 7.0, 8.0, 9.0]);
    assert_eq!(s.rate_per_sec(), Some(1.0));

    // Two updates of one series in one batch both count.
    store
        .publish(batch(&[("r", "m", 10.0, 11), ("r", "m", 11.0, 12)]))
        .unwrap();
    assert_eq!(
        values(store.load().get("r", "m").unwrap().samples()),
        [8.0, 9.0, 10.0, 11.0]
    );
}

#[test]
fn zero_capacity_keeps_only_latest_and_capacity_is_bounded() {
    let store = Store::new(0).unwrap();
    store.publish(batch(&[("r", "m", 1.0, 1)])).unwrap();
    store.publish(batch(&[("r", "m", 2.0, 2)])).unwrap();
    let snap = store.load();
    let s = snap.get("r", "m").unwrap();
    assert!(s.history().is_empty());
    assert_eq!(s.rate_per_sec(), None);
    assert_eq!(s.latest().value, 2.0);

    assert_eq!(
        Store::new(MAX_HISTORY_CAPACITY + 1).unwrap_err(),
        StoreError::HistoryCapacityTooLarge {
            requested: MAX_HISTORY_CAPACITY + 1,
            max: MAX_HISTORY_CAPACITY
        }
    );
    assert_eq!(Store::default().load().history_capacity(), 60);
}

#[test]
fn new_names_interned_and_old_ids_stable() {
    let store = Store::new(2).unwrap();
    store
        .publish(batch(&[("a", "x", 1.0, 1), ("b", "y", 2.0, 1)]))
        .unwrap();
    let first = store.snapshot();
    let (a, b) = (
        first.resource_id("a").unwrap(),
        first.resource_id("b").unwrap(),
    );
    let (x, y) = (first.metric_id("x").unwrap(), first.metric_id("y").unwrap());
    assert_ne!(a, b);
    assert_eq!(first.resource_id("c"), None);

    store
        .publish(batch(&[
            ("c", "z", 3.0, 2),
            ("a", "z", 4.0, 2),
            ("b", "x", 5.0, 2),
        ]))
        .unwrap();
    let second = store.snapshot();
    assert_eq!(second.resource_id("a"), Some(a));
    assert_eq!(second.resource_id("b"), Some(b));
    assert_eq!(second.metric_id("x"), Some(x));
    assert_eq!(second.metric_id("y"), Some(y));
    let c = second.resource_id("c").unwrap();
    let z = second.metric_id("z").unwrap();
    assert!(c != a && c != b && z != x && z != y);
    assert_eq!(second.len(), 5);
    assert_eq!(second.get_by_id(a, z).unwrap().latest().value, 4.0);
    assert_eq!(second.get_by_id(b, x).unwrap().latest().value, 5.0);
    // Series not in the batch are kept by publish.
    assert_eq!(second.get_by_id(a, x).unwrap().latest().value, 1.0);
    assert_eq!(second.resource_name(ResourceId(u32::MAX)), None);
}

#[test]
fn replace_keeps_history_of_persisting_series_and_drops_vanished() {
    let store = Store::new(5).unwrap();
    store
        .replace(batch(&[
            ("SW-01", "lat", 1.0, 1),
            ("SW-01", "drops", 10.0, 1),
            ("SW-02", "lat", 2.0, 1),
        ]))
        .unwrap();
    let sw02 = store.load().resource_id("SW-02").unwrap();
    store
        .replace(batch(&[
            ("SW-01", "lat", 1.5, 2),
            ("SW-01", "drops", 11.0, 2),
            ("SW-02", "lat", 2.5, 2),
        ]))
        .unwrap();
    // SW-02 vanishes, SW-03 appears, SW-01 drops its "drops" metric.
    store
        .replace(batch(&[("SW-01", "lat", 1.7, 3), ("SW-03", "lat", 3.0, 3)]))
        .unwrap();

    let snap = store.load();
    assert_eq!(snap.generation(), 3);
    assert_eq!(snap.len(), 2);
    assert_eq!(
        values(snap.get("SW-01", "lat").unwrap().samples()),
        [1.0, 1.5, 1.7]
    );
    assert!(snap.get("SW-03", "lat").unwrap().history().is_empty());
    assert!(snap.get("SW-02", "lat").is_none());
    assert!(snap.get("SW-01", "drops").is_none());
    assert_eq!(snap.resources().collect::<Vec<_>>(), ["SW-01", "SW-03"]);
    assert_eq!(snap.metrics().collect::<Vec<_>>(), ["lat"]);
    // Names stay interned with their ids.
    assert_eq!(snap.resource_id("SW-02"), Some(sw02));
    // Renumbered series ids are consistent with the index.
    for s in snap.series() {
        let id = snap.series_id(s.resource(), s.metric()).unwrap();
        assert_eq!(snap.series_at(id), Some(s));
    }

    // A series coming back starts with empty history.
    store
        .replace(batch(&[("SW-01", "lat", 1.8, 4), ("SW-02", "lat", 9.0, 4)]))
        .unwrap();
    let snap = store.load();
    assert!(snap.get("SW-02", "lat").unwrap().history().is_empty());
    assert_eq!(snap.resource_id("SW-02"), Some(sw02));
    assert_eq!(snap.resources().collect::<Vec<_>>(), ["SW-01", "SW-02"]);
}

#[test]
fn reader_holding_old_snapshot_sees_it_unchanged() {
    let store = Store::new(4).unwrap();
    store.publish(batch(&[("r", "m", 1.0, 1)])).unwrap();
    let old = store.snapshot();
    let guard = store.load();
    let before = old.get("r", "m").unwrap();

    store
        .publish(batch(&[("r", "m", 2.0, 2), ("r2", "m2", 5.0, 2)]))
        .unwrap();
    store.replace(batch(&[("r2", "m2", 6.0, 3)])).unwrap();

    assert_eq!(old.generation(), 1);
    assert_eq!(old.len(), 1);
    assert_eq!(old.get("r", "m"), Some(before));
    assert!(old.get("r2", "m2").is_none());
    assert_eq!(old.resource_id("r2"), None);
    assert_eq!(guard.generation(), 1);
    assert_eq!(guard.latest("r", "m").unwrap().value, 1.0);

    let new = store.load();
    assert_eq!(new.generation(), 3);
    assert!(new.get("r", "m").is_none());
    assert_eq!(values(new.get("r2", "m2").unwrap().samples()), [5.0, 6.0]);
}

#[test]
fn generation_and_age() {
    let store = Store::new(1).unwrap();
    let g0 = store.snapshot();
    assert_eq!(store.publish(Batch::new()).unwrap(), 1);
    let snap = store.snapshot();
    assert_eq!(snap.generation(), 1);
    assert!(snap.published_at() >= g0.published_at());
    let at = snap.published_at();
    assert_eq!(
        snap.age(at + Duration::from_secs(7)),
        Duration::from_secs(7)
    );
    assert_eq!(snap.age(at - Duration::from_secs(7)), Duration::ZERO);

    let t = SystemTime::UNIX_EPOCH + Duration::from_nanos(1_234);
    assert_eq!(unix_nanos(t), 1_234);
    assert_eq!(Sample::new(0.0, 1_234).time(), t);
    assert_eq!(
        unix_nanos(SystemTime::UNIX_EPOCH - Duration::from_secs(1)),
        0
    );
}

/// 4 readers look up in a loop while one writer publishes 1,000 batches that
/// each write the batch number into every series. Every snapshot a reader
/// sees must be internally consistent, and generations never go backwards.
#[test]
fn concurrent_readers_see_consistent_snapshots() {
    const BATCHES: u64 = 1_000;
    const RESOURCES: usize = 10;
    const METRICS: usize = 5;
    // Each reader does at most this many snapshot checks: bounded, not timed.
    const MAX_READS: u64 = 2_000_000;

    let resources: Vec<Arc<str>> = (0..RESOURCES)
        .map(|i| format!("SW-{i:02}").into())
        .collect();
    let metrics: Vec<Arc<str>> = (0..METRICS).map(|i| format!("metric_{i}").into()).collect();
    let store = Store::new(8).unwrap();

    thread::scope(|scope| {
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let (store, resources, metrics) = (&store, &resources, &metrics);
                scope.spawn(move || {
                    let mut last_gen = 0;
                    let mut reads = 0;
                    while last_gen < BATCHES && reads < MAX_READS {
                        reads += 1;
                        let snap = store.load();
                        let g = snap.generation();
                        assert!(g >= last_gen, "generation went back {last_gen} -> {g}");
                        last_gen = g;
                        if g == 0 {
                            assert!(snap.is_empty());
                            continue;
                        }
                        assert_eq!(snap.len(), RESOURCES * METRICS);
                        #[allow(clippy::cast_precision_loss)]
                        let want = g as f64;
                        for r in resources {
                            for m in metrics {
                                let s = snap.get(r, m).unwrap();
                                assert_eq!(s.latest().value, want);
                                assert_eq!(s.latest().at, g);
                                // History holds the preceding batches in order.
                                let h = values(s.history());
                                let n = h.len() as u64;
                                assert_eq!(n, (g - 1).min(8));
                                #[allow(clippy::cast_precision_loss)]
                                let expected: Vec<f64> = (g - n..g).map(|v| v as f64).collect();
                                assert_eq!(h, expected);
                            }
                        }
                    }
                    (last_gen, reads)
                })
            })
            .collect();

        for g in 1..=BATCHES {
            let mut b = Batch::with_capacity(RESOURCES * METRICS);
            for r in &resources {
                for m in &metrics {
                    #[allow(clippy::cast_precision_loss)]
                    b.push(Arc::clone(r), Arc::clone(m), g as f64, g);
                }
            }
            assert_eq!(store.publish(b).unwrap(), g);
        }

        for reader in readers {
            let (last_gen, reads) = reader.join().unwrap();
            assert!(reads > 0);
            assert_eq!(last_gen, BATCHES, "reader stopped after {reads} reads");
        }
    });
}

/// Concurrent writers are serialized: no publish is lost.
#[test]
fn concurrent_writers_lose_nothing() {
    let store = Store::new(1_000).unwrap();
    thread::scope(|scope| {
        for w in 0..4u64 {
            let store = &store;
            scope.spawn(move || {
                for i in 0..100u64 {
                    store
                        .publish(batch(&[("r", "m", 1.0, w * 1000 + i)]))
                        .unwrap();
                }
            });
        }
    });
    let snap = store.load();
    assert_eq!(snap.generation(), 400);
    assert_eq!(snap.get("r", "m").unwrap().samples().count(), 400);
}

/// Prints what `cargo test -p nocwatch-store memory -- --nocapture` reports.
fn print_estimate(label: &str, est: &MemoryEstimate) {
    println!(
        "{label}, history cap {}: total ≈ {:.1} MiB now ({:.1} B/series); ≈ {:.0} B/series with \
         full history (latest {} B, names {} B, index {} B, history now {} B)",
        est.history_capacity,
        est.total() as f64 / (1 << 20) as f64,
        est.bytes_per_series(),
        est.bytes_per_series_full_history(),
        est.series_bytes,
        est.name_bytes,
        est.index_bytes,
        est.history_bytes,
    );
}

/// 100,000 series (10,000 resources × 10 metrics), history capacity 60:
/// approximate bytes per series.
#[test]
fn memory_per_series_100k() {
    let store = Store::new(60).unwrap();
    let resources: Vec<Arc<str>> = (0..10_000).map(|i| format!("SW-{i:05}").into()).collect();
    let metrics: Vec<Arc<str>> = (0..10).map(|i| format!("Metric_{i:02}").into()).collect();
    for round in 0..2u64 {
        let mut b = Batch::with_capacity(100_000);
        for r in &resources {
            for m in &metrics {
                b.push(Arc::clone(r), Arc::clone(m), 1.0, round);
            }
        }
        store.replace(b).unwrap();
    }
    let snap = store.load();
    assert_eq!(snap.len(), 100_000);
    let est = snap.memory_estimate();
    print_estimate("100k series (1 history sample held)", &est);
    // Full history dominates: 60 × 16-byte samples = 960 B, plus overheads.
    let full = est.bytes_per_series_full_history();
    assert!((960.0..1_200.0).contains(&full), "{full}");
    assert_eq!(est.history_bytes, 100_000 * 16);
}

#[test]
fn has_resource_and_metric_follow_live_series() {
    let store = Store::new(2).unwrap();
    store
        .replace(batch(&[
            ("SW-01", "Bytes_In", 1.0, 1),
            ("SW-02", "CPU", 2.0, 1),
        ]))
        .unwrap();
    let snap = store.snapshot();
    assert!(snap.has_resource("SW-01") && snap.has_resource("SW-02"));
    assert!(snap.has_metric("Bytes_In") && snap.has_metric("CPU"));
    assert!(!snap.has_resource("SW-03") && !snap.has_metric("Temp"));
    // A replace without SW-02 drops its series; its name stays interned but
    // no longer counts as present.
    store
        .replace(batch(&[("SW-01", "Bytes_In", 3.0, 2)]))
        .unwrap();
    let snap = store.snapshot();
    assert!(snap.resource_id("SW-02").is_some());
    assert!(!snap.has_resource("SW-02") && !snap.has_metric("CPU"));
    assert!(snap.has_resource("SW-01"));
}

#[test]
fn replace_matrix_matches_replace_whatever_the_row_order() {
    let metrics = ["a", "b"];
    let via_matrix = Store::new(3).unwrap();
    let via_batch = Store::new(3).unwrap();
    let rounds: [(&[&str], &[f64]); 5] = [
        (&["r1", "r2", "r3"], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]),
        // Same shape: the layout and the frames are shared.
        (&["r1", "r2", "r3"], &[7.0, 8.0, 9.0, 10.0, 11.0, 12.0]),
        // Reordered, one row gone, one new: the frames are rewritten.
        (&["r3", "r4", "r1"], &[13.0, 14.0, 15.0, 16.0, 17.0, 18.0]),
        (&["r4", "r1"], &[19.0, 20.0, 21.0, 22.0]),
        // Beyond the capacity of 3 previous samples.
        (&["r4", "r1"], &[23.0, 24.0, 25.0, 26.0]),
    ];
    for (at, (rows, values)) in (1u64..).zip(rounds) {
        via_matrix
            .replace_matrix(rows, &metrics, values, at)
            .unwrap();
        let mut b = Batch::new();
        for (r, row) in rows.iter().zip(values.chunks(2)) {
            for (m, v) in metrics.iter().zip(row) {
                b.push(*r, *m, *v, at);
            }
        }
        via_batch.replace(b).unwrap();
        let (x, y) = (via_matrix.snapshot(), via_batch.snapshot());
        assert_eq!(x.generation(), y.generation());
        assert_eq!(x.len(), y.len(), "round {at}");
        for s in y.series() {
            let r = y.resource_name(s.resource()).unwrap();
            let m = y.metric_name(s.metric()).unwrap();
            let t = x.get(r, m).unwrap();
            assert_eq!(values_of(t), values_of(s), "round {at}: {r}/{m}");
        }
    }
    let snap = via_matrix.snapshot();
    assert!(!snap.has_resource("r2") && !snap.has_resource("r3"));
    assert_eq!(values_of(snap.get("r4", "b").unwrap()), [16.0, 20.0, 24.0]);
    assert_eq!(
        values_of(snap.get("r1", "a").unwrap()),
        [7.0, 17.0, 21.0, 25.0]
    );
    assert_eq!(snap.resources().collect::<Vec<_>>(), ["r1", "r4"]);

    // A matrix names each row once; a repeated row is refused.
    let err = via_matrix
        .replace_matrix(&["r4", "r4"], &metrics, &[1.0, 2.0, 3.0, 4.0], 9)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::DuplicateName { kind: "resource", ref name } if name == "r4")
    );
    let err = via_matrix
        .replace_matrix(&["r4"], &["a", "a"], &[1.0, 2.0], 9)
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::DuplicateName { kind: "metric", .. }
    ));

    let err = via_matrix
        .replace_matrix(&["r1"], &metrics, &[1.0], 9)
        .unwrap_err();
    assert!(matches!(err, StoreError::MatrixShape { values: 1, .. }));
    assert_eq!(
        via_matrix.snapshot().generation(),
        5,
        "nothing published on error"
    );
}

fn values_of(s: Series<'_>) -> Vec<f64> {
    s.samples().map(|x| x.value).collect()
}

#[test]
fn replace_matrix_keeping_spares_other_writers_series() {
    let store = Store::new(4).unwrap();
    let mut snmp = Batch::new();
    snmp.push("10.0.0.1", "ifHCInOctets.1", 5.0, 1);
    store.publish(snmp).unwrap();
    let keep = |r: &str| r == "10.0.0.1";
    store
        .replace_matrix_keeping(&["SW-1", "SW-2"], &["m"], &[1.0, 2.0], 2, Some(&keep))
        .unwrap();
    store
        .replace_matrix_keeping(&["SW-1"], &["m"], &[3.0], 3, Some(&keep))
        .unwrap();
    let snap = store.snapshot();
    assert_eq!(
        snap.latest("10.0.0.1", "ifHCInOctets.1").unwrap().value,
        5.0
    );
    assert_eq!(snap.latest("SW-1", "m").unwrap().value, 3.0);
    assert!(snap.latest("SW-2", "m").is_none(), "unkept series dropped");
    // Without a keep predicate the other writer's series go too.
    store.replace_matrix(&["SW-1"], &["m"], &[4.0], 4).unwrap();
    assert!(
        store
            .snapshot()
            .latest("10.0.0.1", "ifHCInOctets.1")
            .is_none()
    );
}

#[test]
fn per_series_write_to_a_matrix_row_keeps_its_history() {
    let store = Store::new(3).unwrap();
    let metrics = ["a", "b"];
    store
        .replace_matrix(&["SW-1", "SW-2"], &metrics, &[1.0, 2.0, 3.0, 4.0], 1)
        .unwrap();
    store
        .replace_matrix(&["SW-1", "SW-2"], &metrics, &[5.0, 6.0, 7.0, 8.0], 2)
        .unwrap();
    // Another writer updates one cell of the matrix and adds a metric to a
    // matrix row: every series keeps its samples.
    store
        .publish(batch(&[("SW-1", "a", 9.0, 3), ("SW-2", "c", 1.0, 3)]))
        .unwrap();
    let snap = store.snapshot();
    assert_eq!(snap.len(), 5);
    assert_eq!(values_of(snap.get("SW-1", "a").unwrap()), [1.0, 5.0, 9.0]);
    assert_eq!(values_of(snap.get("SW-2", "b").unwrap()), [4.0, 8.0]);
    assert_eq!(values_of(snap.get("SW-2", "c").unwrap()), [1.0]);
    // The matrix writer takes over again: its rows start a new matrix, the
    // per-series values of its rows go.
    store
        .replace_matrix(&["SW-1", "SW-2"], &metrics, &[10.0, 11.0, 12.0, 13.0], 4)
        .unwrap();
    let snap = store.snapshot();
    assert_eq!(snap.len(), 4);
    assert!(snap.get("SW-2", "c").is_none() && snap.has_metric("a") && !snap.has_metric("c"));
    assert_eq!(values_of(snap.get("SW-1", "b").unwrap()), [11.0]);
}

#[test]
fn replace_after_a_matrix_drops_what_it_does_not_name() {
    let store = Store::new(2).unwrap();
    store
        .replace_matrix(&["SW-1", "SW-2"], &["a"], &[1.0, 2.0], 1)
        .unwrap();
    store.replace(batch(&[("SW-2", "a", 3.0, 2)])).unwrap();
    let snap = store.snapshot();
    assert_eq!(snap.len(), 1);
    assert!(!snap.has_resource("SW-1"));
    assert_eq!(values_of(snap.get("SW-2", "a").unwrap()), [2.0, 3.0]);
    store.replace(batch(&[("x", "y", 1.0, 3)])).unwrap();
    let snap = store.snapshot();
    assert_eq!(snap.resources().collect::<Vec<_>>(), ["x"]);
}

#[test]
fn matrix_series_by_id_and_in_order() {
    let store = Store::new(2).unwrap();
    store
        .publish(batch(&[("10.0.0.1", "ifInOctets", 7.0, 1)]))
        .unwrap();
    let keep = |r: &str| r.starts_with("10.");
    for at in 1..=3u32 {
        let v = f64::from(at);
        store
            .replace_matrix_keeping(
                &["SW-1", "SW-2", "SW-3"],
                &["a", "b"],
                &[v, v + 0.1, v + 0.2, v + 0.3, v + 0.4, v + 0.5],
                u64::from(at) * 1_000_000_000,
                Some(&keep),
            )
            .unwrap();
    }
    let snap = store.snapshot();
    assert_eq!(snap.len(), 7);
    let all: Vec<_> = snap.series().collect();
    assert_eq!(all.len(), 7);
    for (i, s) in all.iter().enumerate() {
        let id = snap.series_id(s.resource(), s.metric()).unwrap();
        assert_eq!(id.0 as usize, i);
        assert_eq!(snap.series_at(id), Some(*s));
        assert_eq!(snap.get_by_id(s.resource(), s.metric()), Some(*s));
        let (r, m) = (
            snap.resource_name(s.resource()).unwrap(),
            snap.metric_name(s.metric()).unwrap(),
        );
        assert_eq!(snap.get(r, m), Some(*s));
    }
    let s = snap.get("SW-3", "b").unwrap();
    assert_eq!(values_of(s), [1.5, 2.5, 3.5]);
    assert_eq!(s.history().len(), 2);
    assert!((s.rate_per_sec().unwrap() - 1.0).abs() < 1e-9);
    assert_eq!(
        snap.resources().collect::<Vec<_>>(),
        ["10.0.0.1", "SW-1", "SW-2", "SW-3"]
    );
    assert_eq!(snap.metrics().collect::<Vec<_>>(), ["ifInOctets", "a", "b"]);
    assert!(snap.get("SW-1", "ifInOctets").is_none());
    assert!(snap.get("10.0.0.1", "a").is_none());
}

/// 1.1 million series as one matrix (100,000 resources × 11 metrics),
/// history capacity 60: bytes per series, and what a publish shares.
#[test]
fn matrix_memory_per_series_1m() {
    let store = Store::new(60).unwrap();
    let names: Vec<String> = (0..100_000).map(|i| format!("SW-{i:06}")).collect();
    let rows: Vec<&str> = names.iter().map(String::as_str).collect();
    let metrics: Vec<String> = (0..11).map(|i| format!("Metric_{i:02}")).collect();
    let cols: Vec<&str> = metrics.iter().map(String::as_str).collect();
    let values = vec![1.0; rows.len() * cols.len()];
    for at in 0..2 {
        store.replace_matrix(&rows, &cols, &values, at).unwrap();
    }
    let snap = store.load();
    assert_eq!(snap.len(), 1_100_000);
    let est = snap.memory_estimate();
    print_estimate("1.1M matrix series (2 frames held)", &est);
    // 8 bytes per sample: 61 samples = 488 B, plus names and tables.
    let full = est.bytes_per_series_full_history();
    assert!((488.0..560.0).contains(&full), "{full}");
    assert_eq!(est.history_bytes, est.series_bytes);
}
