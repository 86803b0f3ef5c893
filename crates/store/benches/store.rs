//! Store benchmarks: lookups by name, publish and replace of the 50 × 11
//! fabric matrix, and the 100,000 × 11 matrix (1.1M series) that the CSV
//! source swaps in every poll. Each measurement is short; the whole run is
//! about a minute.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use nocwatch_store::{Batch, Store};

fn names(prefix: &str, n: usize) -> Vec<Arc<str>> {
    (0..n).map(|i| format!("{prefix}{i:05}").into()).collect()
}

fn matrix(resources: &[Arc<str>], metrics: &[Arc<str>], value: f64, at: u64) -> Batch {
    let mut b = Batch::with_capacity(resources.len() * metrics.len());
    for r in resources {
        for m in metrics {
            b.push(Arc::clone(r), Arc::clone(m), value, at);
        }
    }
    b
}

/// A store holding `resources × metrics` series with full history rings.
fn filled(resources: &[Arc<str>], metrics: &[Arc<str>], rounds: u64) -> Store {
    let store = Store::new(60).unwrap_or_default();
    for at in 0..rounds {
        #[allow(clippy::cast_precision_loss)]
        let _ = store.replace(matrix(resources, metrics, at as f64, at));
    }
    store
}

fn bench(c: &mut Criterion) {
    let fabric_r = names("SW-", 50);
    let fabric_m = names("Metric_", 11);
    let big_r = names("SW-", 10_000);
    let big_m = names("Metric_", 10);

    let mut g = c.benchmark_group("get");
    g.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(30);
    for (label, r, m) in [
        ("fabric_550", &fabric_r, &fabric_m),
        ("series_100k", &big_r, &big_m),
    ] {
        let store = filled(r, m, 2);
        let snap = store.snapshot();
        // Walk a fixed pseudo-random sequence of keys so lookups are not all
        // the same cache-hot entry.
        let keys: Vec<(Arc<str>, Arc<str>)> = (0..1024usize)
            .map(|i| {
                let k = i.wrapping_mul(2_654_435_761);
                let rr = r.get(k % r.len()).cloned().unwrap_or_else(|| "x".into());
                let mm = m.get(k % m.len()).cloned().unwrap_or_else(|| "x".into());
                (rr, mm)
            })
            .collect();
        let mut i = 0usize;
        g.bench_function(label, |b| {
            b.iter(|| {
                i = (i + 1) & 1023;
                let (rr, mm) = keys.get(i).map_or(("", ""), |(a, b)| (&**a, &**b));
                black_box(snap.get(black_box(rr), black_box(mm)).map(|s| s.latest()))
            });
        });
        g.bench_function(format!("{label}_load_and_get"), |b| {
            b.iter(|| {
                i = (i + 1) & 1023;
                let (rr, mm) = keys.get(i).map_or(("", ""), |(a, b)| (&**a, &**b));
                black_box(store.load().latest(black_box(rr), black_box(mm)))
            });
        });
    }
    g.finish();

    let mut g = c.benchmark_group("write");
    g.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(30);
    // Steady state: history rings already full, so every update drops one.
    let store = filled(&fabric_r, &fabric_m, 61);
    let batch = matrix(&fabric_r, &fabric_m, 1.0, 1_000);
    g.bench_function("publish_550", |b| {
        b.iter_batched(
            || batch.clone(),
            |b| store.publish(b),
            criterion::BatchSize::SmallInput,
        );
    });
    g.bench_function("replace_550", |b| {
        b.iter_batched(
            || batch.clone(),
            |b| store.replace(b),
            criterion::BatchSize::SmallInput,
        );
    });
    g.finish();

    let mut g = c.benchmark_group("write_100k");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(10);
    let store = filled(&big_r, &big_m, 2);
    let small = matrix(&fabric_r, &fabric_m, 1.0, 1_000);
    g.bench_function("publish_550_into_100k", |b| {
        b.iter_batched(
            || small.clone(),
            |b| store.publish(b),
            criterion::BatchSize::SmallInput,
        );
    });
    g.finish();

    matrix_bench(c);

    let est = filled(&big_r, &big_m, 61).snapshot().memory_estimate();
    #[allow(clippy::cast_precision_loss)]
    let mib = est.total() as f64 / f64::from(1 << 20);
    println!(
        "memory: 100k series, full history (60): {mib:.1} MiB total, {:.0} B/series",
        est.bytes_per_series()
    );
}

/// The CSV source's shape: `replace_matrix` of 100,000 switches × 11
/// metrics, and lookups by name in it.
fn matrix_bench(c: &mut Criterion) {
    let rows: Vec<String> = (1..=100_000).map(|i| format!("SW-{i:02}")).collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let cols: Vec<String> = (0..11).map(|i| format!("Metric_{i:02}")).collect();
    let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
    #[allow(clippy::cast_precision_loss)]
    let values: Vec<f64> = (0..rows.len() * cols.len()).map(|i| i as f64).collect();

    let mut g = c.benchmark_group("matrix_1m");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(10);
    for cap in [4, 60] {
        let store = Store::new(cap).unwrap_or_default();
        for at in 0..=cap as u64 {
            let _ = store.replace_matrix(&rows, &cols, &values, at);
        }
        let mut at = 1_000;
        g.bench_function(format!("replace_matrix_history_{cap}"), |b| {
            b.iter(|| {
                at += 1;
                store.replace_matrix(&rows, &cols, black_box(&values), at)
            });
        });
    }
    g.finish();

    let store = Store::new(4).unwrap_or_default();
    for at in 0..5 {
        let _ = store.replace_matrix(&rows, &cols, &values, at);
    }
    let keys: Vec<(&str, &str)> = (0..4096usize)
        .map(|i| {
            let k = i.wrapping_mul(2_654_435_761);
            (
                rows.get(k % rows.len()).copied().unwrap_or("x"),
                cols.get(k % cols.len()).copied().unwrap_or("x"),
            )
        })
        .collect();
    let mut g = c.benchmark_group("matrix_1m_get");
    g.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(30);
    let mut i = 0usize;
    g.bench_function("load_and_latest", |b| {
        b.iter(|| {
            i = (i + 1) & 4095;
            let (r, m) = keys.get(i).copied().unwrap_or(("", ""));
            black_box(store.load().latest(black_box(r), black_box(m)))
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
