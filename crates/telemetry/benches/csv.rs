//! The fabric CSV validator against the `csv` crate doing the same work
//! (header mapping, field count, typed values, duplicate ids) on the same
//! bodies: why the source uses a hand-written parser.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "bench")]

use std::collections::HashSet;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use nocwatch_telemetry::fabric::Fabric;
use nocwatch_telemetry::schema::{METRIC_COUNT, METRICS, MetricKind};

/// The same validation with the `csv` crate, reusing one `ByteRecord`.
fn with_csv_crate(body: &[u8]) -> Option<(Vec<String>, Vec<f64>)> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(body);
    let header = rdr.byte_headers().ok()?.clone();
    let slots: Vec<Option<usize>> = header
        .iter()
        .map(|h| METRICS.iter().position(|m| m.name.as_bytes() == h))
        .collect();
    let mut ids = Vec::new();
    let mut values = Vec::new();
    let mut seen = HashSet::new();
    let mut rec = csv::ByteRecord::new();
    while rdr.read_byte_record(&mut rec).ok()? {
        let mut row = [0.0; METRIC_COUNT];
        for (field, slot) in rec.iter().zip(&slots).skip(1) {
            if let Some(m) = slot {
                let s = std::str::from_utf8(field).ok()?;
                row[*m] = match METRICS[*m].kind {
                    #[allow(clippy::cast_precision_loss)]
                    MetricKind::Counter => s.parse::<u64>().ok()? as f64,
                    MetricKind::Gauge => s.parse::<f64>().ok()?,
                };
            }
        }
        let id = std::str::from_utf8(rec.get(0)?).ok()?.to_owned();
        if !seen.insert(id.clone()) {
            return None;
        }
        ids.push(id);
        values.extend_from_slice(&row);
    }
    Some((ids, values))
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("csv");
    g.measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(20);
    for n in [50usize, 10_000] {
        let body = Fabric::new(n, 1).unwrap().render_csv();
        let ours = nocwatch_telemetry::csv::parse(body.as_bytes()).unwrap();
        let theirs = with_csv_crate(body.as_bytes()).unwrap();
        assert_eq!(ours.values(), theirs.1.as_slice());
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function(format!("nocwatch_{n}"), |b| {
            b.iter(|| {
                nocwatch_telemetry::csv::parse(black_box(body.as_bytes()))
                    .unwrap()
                    .len()
            });
        });
        g.bench_function(format!("csv_crate_{n}"), |b| {
            b.iter(|| with_csv_crate(black_box(body.as_bytes())).unwrap().0.len());
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
