//! Times the producer's work per snapshot for a fabric of N switches: one
//! evolution step ([`Fabric::advance`]) and one render of the CSV matrix
//! ([`Fabric::render_csv`]), and the source's parse of that matrix
//! ([`nocwatch_telemetry::csv::parse`]), as medians over a few rounds.
//!
//! `cargo run --release -p nocwatch-telemetry --example render -- 100000 [rounds] [only]`
//!
//! `only` (`parse` or `render`) repeats just that phase on one matrix, for
//! `perf stat` / `perf record` of one phase (instruction counts are stable
//! on a loaded machine where times are not).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "example"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use nocwatch_telemetry::fabric::Fabric;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(100_000, |a| a.parse().unwrap());
    let rounds: usize = args.next().map_or(20, |a| a.parse().unwrap());
    let only = args.next();
    let mut fabric = Fabric::new(n, 1).unwrap();
    fabric.advance(1.0);
    match only.as_deref() {
        Some("parse") => {
            let csv = fabric.render_csv();
            let t = Instant::now();
            for _ in 0..rounds {
                black_box(nocwatch_telemetry::csv::parse(black_box(csv.as_bytes())).unwrap());
            }
            let per = t.elapsed().as_secs_f64() * 1e3 / rounds as f64;
            println!("{n} switches: parse {per:.2} ms (mean of {rounds})");
            return;
        }
        Some("render") => {
            let t = Instant::now();
            for _ in 0..rounds {
                black_box(fabric.render_csv());
            }
            let per = t.elapsed().as_secs_f64() * 1e3 / rounds as f64;
            println!("{n} switches: render {per:.2} ms (mean of {rounds})");
            return;
        }
        Some(other) => panic!("unknown phase {other:?} (parse or render)"),
        None => {}
    }
    let (mut advance, mut render, mut parse) = (Vec::new(), Vec::new(), Vec::new());
    let mut bytes = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        fabric.advance(1.0);
        advance.push(t.elapsed());
        let t = Instant::now();
        let csv = black_box(fabric.render_csv());
        render.push(t.elapsed());
        bytes = csv.len();
        let t = Instant::now();
        let rows = nocwatch_telemetry::csv::parse(csv.as_bytes())
            .unwrap()
            .len();
        parse.push(t.elapsed());
        assert_eq!(rows, n);
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2].as_secs_f64() * 1e3
    };
    println!(
        "{n} switches, {bytes} bytes of CSV: advance {:.2} ms, render {:.2} ms, parse {:.2} ms (medians of {rounds})",
        median(&mut advance),
        median(&mut render),
        median(&mut parse),
    );
}
