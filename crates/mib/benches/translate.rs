//! Translation throughput, index load time and index memory, against net-snmp's
//! snmptranslate in the same run. Run it with `scripts/bench-mib` (release build,
//! ../shared/mibs, net-snmp installed); `cargo bench --no-run` only builds it.
//!
//! What is measured:
//! - load: `Mibs::load_dirs` of every ../shared/mibs directory, median of N runs;
//! - memory: `Mibs::heap_bytes` and the process's resident-set growth over one load;
//! - translations/s in-process: every OBJECT-TYPE / NOTIFICATION-TYPE name with an
//!   instance `.1` → OID (`resolve`) and that OID → `MODULE::name.index`
//!   (`format_oid`), on one thread and on every core sharing one `&Mibs`;
//! - the same list through the CLIs: `nocwatch translate -On -` (one process, stdin)
//!   and `snmptranslate -On` (many names per process, as the agreement test does),
//!   wall time including each tool's MIB load.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_precision_loss,
    reason = "a benchmark program, not library code"
)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nocwatch_mib::{Mibs, NodeKind};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// This process's user + system CPU time (all threads), from /proc/self/stat.
fn cpu_time() -> Duration {
    let ticks = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // fields after the parenthesised command name; utime and stime are 14, 15
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0);
    Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn mib_dirs(root: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![root.join("ietf"), root.join("net-snmp")];
    let mut vendors: Vec<PathBuf> = std::fs::read_dir(root.join("vendor"))
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    vendors.sort();
    dirs.extend(vendors);
    dirs
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// Which direction to translate.
#[derive(Clone, Copy)]
enum Dir {
    NameToOid,
    OidToName,
}

/// Translates `names` (or their `oids`) round-robin on `threads` threads sharing
/// one `&Mibs` for about `secs`; returns translations per second.
fn rate(
    mibs: &Mibs,
    names: &[String],
    oids: &[Vec<u32>],
    dir: Dir,
    threads: usize,
    secs: f64,
) -> f64 {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let total: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let mut done = 0u64;
                    let mut i = t * 997;
                    let mut sink = 0usize;
                    while Instant::now() < deadline {
                        for _ in 0..256 {
                            let k = i % names.len();
                            sink = sink.wrapping_add(match dir {
                                Dir::NameToOid => mibs.resolve(&names[k]).map_or(0, |o| o.len()),
                                Dir::OidToName => mibs.format_oid(&oids[k]).len(),
                            });
                            i += 1;
                            done += 1;
                        }
                    }
                    std::hint::black_box(sink);
                    done
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    total as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    // The MIBs from --shared, else ../shared/mibs by the testkit's skip policy
    // (a visible SKIP; a failure under NOCWATCH_REQUIRE_PEERS).
    let shared = arg("--shared")
        .map(PathBuf::from)
        .or_else(|| nocwatch_testkit::shared_or_skip("mibs"));
    let Some(root) = shared else {
        return;
    };
    let dirs = mib_dirs(&root);
    let seconds: f64 = arg("--seconds").and_then(|s| s.parse().ok()).unwrap_or(3.0);
    let loads: usize = arg("--loads").and_then(|s| s.parse().ok()).unwrap_or(15);

    let before = rss_kib();
    let (mibs, diags) = Mibs::load_dirs(&dirs);
    let grown = rss_kib().saturating_sub(before);
    assert!(diags.is_empty(), "{} diagnostics", diags.len());
    let cpu_before = cpu_time();
    let load = median(
        (0..loads)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(Mibs::load_dirs(&dirs));
                t.elapsed()
            })
            .collect(),
    );
    let load_cpu = cpu_time().saturating_sub(cpu_before) / u32::try_from(loads).unwrap_or(1);
    let names: Vec<String> = mibs
        .objects()
        .iter()
        .filter(|o| matches!(o.kind, NodeKind::ObjectType | NodeKind::NotificationType))
        .map(|o| format!("{}::{}.1", o.module, o.name))
        .collect();
    let oids: Vec<Vec<u32>> = names.iter().map(|n| mibs.resolve(n).unwrap()).collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let n2o_1 = rate(&mibs, &names, &oids, Dir::NameToOid, 1, seconds);
    let n2o_all = rate(&mibs, &names, &oids, Dir::NameToOid, cores, seconds);
    let o2n_1 = rate(&mibs, &names, &oids, Dir::OidToName, 1, seconds);
    let o2n_all = rate(&mibs, &names, &oids, Dir::OidToName, cores, seconds);

    // the CLIs on the same names (without the instance: snmptranslate checks
    // index ranges and would stop at the first out-of-range `.1`)
    let bare: Vec<String> = names
        .iter()
        .map(|n| n.trim_end_matches(".1").to_owned())
        .collect();
    let dir_list = dirs
        .iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join(":");
    let state = std::env::temp_dir().join(format!("nocwatch-bench-mib-{}", std::process::id()));
    std::fs::create_dir_all(state.join("cert_indexes")).unwrap();
    // one snmptranslate process for `items` (numeric OIDs are translated to names,
    // names to numeric OIDs), wall time
    let snmptranslate = |items: &[String]| {
        let numeric = items.first().is_some_and(|i| i.starts_with('.'));
        let t = Instant::now();
        let out = Command::new("snmptranslate")
            .env("MIBS", "")
            .env("SNMP_PERSISTENT_DIR", &state)
            .args(["-M", &dir_list, "-m", "ALL"])
            .args(if numeric { &[][..] } else { &["-On"][..] })
            .args(items)
            .output()
            .expect("snmptranslate (install net-snmp's snmp package)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        t.elapsed()
    };
    // Its marginal cost per item: (4 copies of the list) - (1 item), per item,
    // so its own MIB load (once per process) is left out.
    let numeric: Vec<String> = oids
        .iter()
        .map(|o| o.iter().map(|a| format!(".{a}")).collect())
        .collect();
    let marginal = |list: &[String]| {
        let many: Vec<String> = list.iter().cycle().take(list.len() * 4).cloned().collect();
        let t_many = median((0..3).map(|_| snmptranslate(&many)).collect());
        let t_one = median((0..5).map(|_| snmptranslate(&list[..1])).collect());
        (
            many.len() as f64 / t_many.saturating_sub(t_one).as_secs_f64(),
            t_one,
        )
    };
    let (their_n2o, their_load) = marginal(&bare);
    let (their_o2n, _) = marginal(&numeric);
    let theirs = median(
        (0..3)
            .map(|_| bare.chunks(2000).map(snmptranslate).sum::<Duration>())
            .collect(),
    );
    let ours_cli = arg("--nocwatch").map(|bin| {
        let run = |items: &[String]| {
            let t = Instant::now();
            let mut child = Command::new(&bin)
                .args(["translate", "-M", &dir_list, "-m", "ALL", "-On", "-"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let input = items.join("\n");
            let mut stdin = child.stdin.take().unwrap();
            let w = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
            let out = child.wait_with_output().unwrap();
            w.join().unwrap().unwrap();
            assert!(out.status.success());
            t.elapsed()
        };
        (
            median((0..3).map(|_| run(&bare)).collect()),
            median((0..5).map(|_| run(&bare[..1])).collect()),
        )
    });
    let _ = std::fs::remove_dir_all(&state);

    let n = bare.len() as f64;
    let per_s = |d: Duration| n / d.as_secs_f64();
    println!(
        "MIB index: {} modules, {} named nodes, {} OBJECT-TYPE/NOTIFICATION-TYPE; {cores} cores",
        mibs.modules().len(),
        mibs.objects().len(),
        names.len()
    );
    println!(
        "load (median of {loads}): {:.1} ms wall, {:.1} ms CPU (all threads, mean); snmptranslate's whole run for 1 name: {:.1} ms wall",
        load.as_secs_f64() * 1e3,
        load_cpu.as_secs_f64() * 1e3,
        their_load.as_secs_f64() * 1e3
    );
    println!(
        "index memory: {:.1} MiB by heap_bytes, resident set grew {:.1} MiB over the first load",
        mibs.heap_bytes() as f64 / 1048576.0,
        grown as f64 / 1024.0
    );
    println!(
        "translations/s           nocwatch 1 thread   nocwatch {cores} threads   snmptranslate (marginal, 1 process)"
    );
    println!(
        "name -> OID (with .1)    {n2o_1:>17.0}   {n2o_all:>18.0}   {their_n2o:>10.0}   ratio 1 thread {:.1}x",
        n2o_1 / their_n2o
    );
    println!(
        "OID -> MODULE::name.idx  {o2n_1:>17.0}   {o2n_all:>18.0}   {their_o2n:>10.0}   ratio 1 thread {:.1}x",
        o2n_1 / their_o2n
    );
    println!(
        "snmptranslate -On, {} names in batches of 2000 (its load each batch): {:.0} ms",
        bare.len(),
        theirs.as_secs_f64() * 1e3
    );
    if let Some((ours, ours_load)) = ours_cli {
        println!(
            "nocwatch translate -On -, the same names in one call: {:.0} ms ({:.0} names/s incl. its load; load alone {:.0} ms); {:.1}x faster",
            ours.as_secs_f64() * 1e3,
            per_s(ours),
            ours_load.as_secs_f64() * 1e3,
            theirs.as_secs_f64() / ours.as_secs_f64()
        );
    }
    println!(
        "{{\"load_ms\":{:.2},\"load_cpu_ms\":{:.1},\"heap_bytes\":{},\"rss_growth_kib\":{grown},\"cores\":{cores},\"n2o_1\":{n2o_1:.0},\"n2o_all\":{n2o_all:.0},\"o2n_1\":{o2n_1:.0},\"o2n_all\":{o2n_all:.0},\"snmptranslate_n2o\":{their_n2o:.0},\"snmptranslate_o2n\":{their_o2n:.0},\"snmptranslate_load_ms\":{:.1},\"snmptranslate_batches_ms\":{:.1},\"nocwatch_cli_ms\":{}}}",
        load.as_secs_f64() * 1e3,
        load_cpu.as_secs_f64() * 1e3,
        mibs.heap_bytes(),
        their_load.as_secs_f64() * 1e3,
        theirs.as_secs_f64() * 1e3,
        ours_cli.map_or("null".to_owned(), |(o, _)| format!(
            "{:.1}",
            o.as_secs_f64() * 1e3
        ))
    );
}
