//! `nocwatch poll`: walk a set of subtrees on many agents at once with the polling
//! engine, and print what a cycle cost.
//!
//! This is the command `scripts/bench-scale` drives and the seed of `nocwatch run`'s
//! poller: targets are addresses or inclusive IPv4 ranges
//! (`--targets 127.1.0.1-127.1.39.16`), credentials are net-snmp's flags (`-v -c -u
//! -l -a -A -x -X -t -r`), and each `--walk` subtree is walked with adaptive GetBulk.
//! It prints one summary line per cycle (values, cycle time, timeouts, ...), or one
//! JSON object per cycle with `--json`; `--print` also prints every value as
//! `ADDRESS OID = TYPE: VALUE`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Args;
use nocwatch_net::{
    Credentials, CycleSummary, GroupLimit, Poller, PollerConfig, PollerStats, TargetConfig,
};
use nocwatch_snmp::Version;

use crate::cli::SnmpOpts;
use crate::format::{self, OutputMode};
use crate::request::{parse_oids, usm_user};

/// IF-MIB's ifTable and ifXTable: the default subtrees.
const DEFAULT_WALKS: [&str; 2] = ["1.3.6.1.2.1.2.2", "1.3.6.1.2.1.31.1.1"];

/// The most targets one command takes (a mistyped range should not eat the box).
const MAX_TARGETS: u64 = 1 << 20;

#[derive(Debug, Args)]
pub(crate) struct PollArgs {
    #[command(flatten)]
    pub(crate) snmp: SnmpOpts,
    /// Agents: addresses, `addr:port`, or inclusive IPv4 ranges `A-B`; repeat the
    /// flag or separate with commas.
    #[arg(long, required = true, value_delimiter = ',')]
    pub(crate) targets: Vec<String>,
    /// UDP port of targets given without one.
    #[arg(long, default_value_t = 161)]
    pub(crate) port: u16,
    /// Subtree to walk on every target (repeatable; default ifTable and ifXTable).
    #[arg(long = "walk", value_name = "OID")]
    pub(crate) walks: Vec<String>,
    /// GetBulk max-repetitions to start from (adapted per target); 0 walks with
    /// GetNext.
    #[arg(long, default_value_t = 50)]
    pub(crate) max_repetitions: u16,
    /// Requests in flight per target (parallel subtree walks).
    #[arg(long, default_value_t = 1)]
    pub(crate) per_target: usize,
    /// Each retry waits this many times longer than the previous attempt.
    #[arg(long, default_value_t = 1.5)]
    pub(crate) backoff: f64,
    /// Shards (sockets and threads); default: one per core.
    #[arg(long)]
    pub(crate) shards: Option<usize>,
    /// Targets polled at once per shard.
    #[arg(long, default_value_t = 512)]
    pub(crate) window: usize,
    /// Targets polled at once in total (one group holding every target); default
    /// no limit but the window.
    #[arg(long)]
    pub(crate) max_sessions: Option<usize>,
    /// Cycles to run.
    #[arg(long, default_value_t = 1)]
    pub(crate) cycles: u32,
    /// Seconds from the start of one cycle to the start of the next.
    #[arg(long, default_value_t = 0.0)]
    pub(crate) interval: f64,
    /// Print every value (`ADDRESS OID = TYPE: VALUE`).
    #[arg(long)]
    pub(crate) print: bool,
}

pub(crate) async fn poll(args: &PollArgs) -> anyhow::Result<ExitCode> {
    let opts = &args.snmp;
    let credentials = match opts.version.as_str() {
        "1" => Credentials::Community {
            version: Version::V1,
            community: opts.community.as_bytes().to_vec(),
        },
        "2c" | "2" => Credentials::Community {
            version: Version::V2c,
            community: opts.community.as_bytes().to_vec(),
        },
        "3" => Credentials::Usm(Arc::new(usm_user(opts)?)),
        v => bail!("Invalid version specified after -v flag: {v}"),
    };
    if !(opts.timeout.is_finite() && opts.timeout > 0.0) {
        bail!(
            "-t {}: timeout must be a positive number of seconds",
            opts.timeout
        );
    }
    // With `-m`/`-M` (or $MIBS/$MIBDIRS) walk roots may be names and `--print` shows
    // what net-snmp would print with the same MIBs and `-O` options.
    let mib = crate::mibout::MibText::from_options(
        opts.mib_modules.as_deref(),
        opts.mib_dirs.as_deref(),
        &opts.output,
    )?;
    let walks = if args.walks.is_empty() {
        let d: Vec<String> = DEFAULT_WALKS.iter().map(|s| (*s).to_owned()).collect();
        parse_oids(None, &d)?
    } else {
        parse_oids(mib.as_ref(), &args.walks)?
    };
    let addrs = parse_targets(&args.targets, args.port)?;
    let bind = if addrs.first().is_some_and(SocketAddr::is_ipv6) {
        IpAddr::from([0u16; 8])
    } else {
        IpAddr::from([0, 0, 0, 0])
    };
    let group = if args.max_sessions.is_some() {
        "all"
    } else {
        ""
    };
    let mut config = PollerConfig {
        bind,
        window: args.window,
        groups: args
            .max_sessions
            .map(|n| GroupLimit {
                name: group.to_owned(),
                max_sessions: n,
            })
            .into_iter()
            .collect(),
        ..PollerConfig::default()
    };
    if let Some(s) = args.shards {
        config.shards = s;
    }
    let poller = Poller::start(config)?;
    for addr in &addrs {
        let mut t = TargetConfig::v2c(*addr, b"", walks.clone());
        t.credentials = credentials.clone();
        t.group = group.to_owned();
        t.max_repetitions = args.max_repetitions;
        t.max_in_flight = args.per_target;
        t.timeout = Duration::from_secs_f64(opts.timeout);
        t.retries = opts.retries;
        t.backoff = args.backoff;
        t.any_source = opts.any_source;
        poller.add_target(t).await?;
    }
    let mode = if opts.json {
        OutputMode::Json
    } else {
        OutputMode::Text
    };
    let mut failures = 0;
    for n in 0..args.cycles.max(1) {
        let started = Instant::now();
        let mut cycle = poller.poll_cycle().await?;
        let mut out = String::new();
        while let Some(report) = cycle.next().await {
            if args.print {
                for w in &report.walks {
                    for vb in w.varbinds().iter() {
                        out.push_str(&report.addr.to_string());
                        out.push(' ');
                        let vb = vb?;
                        match (&mib, mode) {
                            (Some(m), OutputMode::Text) => m.push_varbind(&mut out, &vb),
                            (Some(m), OutputMode::Json) => m.push_varbind_json(&mut out, &vb),
                            (None, _) => format::push(&mut out, &vb, mode),
                        }
                    }
                }
                // A closed pipe (`| head`) ends the command with an error, not a panic.
                emit(&out)?;
                out.clear();
            }
        }
        let summary = cycle.finish().await?;
        let stats = poller.stats().await?;
        failures += summary.timed_out + summary.failed;
        emit(&report_cycle(
            n + 1,
            addrs.len(),
            &summary,
            &stats,
            opts.json,
        ))?;
        if n + 1 < args.cycles && args.interval > 0.0 {
            let next = started + Duration::from_secs_f64(args.interval);
            tokio::time::sleep_until(tokio::time::Instant::from_std(next)).await;
        }
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// Writes to standard output, returning the error a `print!` would panic with.
fn emit(text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// One cycle's summary line (or JSON object), newline included.
fn report_cycle(n: u32, targets: usize, s: &CycleSummary, st: &PollerStats, json: bool) -> String {
    let secs = s.elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        s.values as f64 / secs
    } else {
        0.0
    };
    let (cpu_s, rss_mb) = self_usage();
    let shrinks = st.engine.shrinks_too_big + st.engine.shrinks_gen_err + st.engine.shrinks_silent;
    if json {
        let v = serde_json::json!({
            "cycle": n,
            "targets": targets,
            "reported": s.targets,
            "complete": s.complete,
            "values": s.values,
            "cycle_s": secs,
            "values_per_s": rate,
            "timeouts": s.timed_out,
            "failed": s.failed,
            "requests": s.requests,
            "retries": s.retries,
            "slot_wait_max_s": s.slot_wait_max.as_secs_f64(),
            "late": st.tracker.late,
            "duplicates": st.tracker.duplicates,
            "unknown_id": st.tracker.unknown_id,
            "malformed": st.tracker.malformed,
            "discoveries": st.tracker.discoveries,
            "key_derivations": st.keys.ku_misses,
            "key_localisations": st.keys.kul_misses,
            "bulk_shrinks": shrinks,
            "bulk_grows": st.engine.grows,
            "datagrams_sent": st.engine.datagrams_sent,
            "send_calls": st.engine.send_calls,
            "datagrams_received": st.engine.datagrams_received,
            "recv_calls": st.engine.recv_calls,
            "peak_in_flight_targets": st.engine.peak_sessions,
            "cpu_s": cpu_s,
            "rss_mb": rss_mb,
        });
        format!("{v}\n")
    } else {
        format!(
            "cycle {n}: {} of {targets} targets, {} values in {secs:.3} s ({rate:.0} values/s); \
             {} timed out, {} failed; {} requests, {} retries; late {}, duplicates {}, \
             bulk shrinks {shrinks}; datagrams {}/{} sent/received in {}/{} syscalls; \
             CPU {cpu_s:.2} s, peak RSS {rss_mb:.1} MB\n",
            s.targets,
            s.values,
            s.timed_out,
            s.failed,
            s.requests,
            s.retries,
            st.tracker.late,
            st.tracker.duplicates,
            st.engine.datagrams_sent,
            st.engine.datagrams_received,
            st.engine.send_calls,
            st.engine.recv_calls,
        )
    }
}

/// This process's CPU seconds (user + system) and peak RSS in MB, from /proc (0
/// where /proc is missing).
fn self_usage() -> (f64, f64) {
    let cpu = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name (which may hold spaces) in parentheses.
            let rest = s.rsplit_once(')')?.1;
            let f: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = f.get(11)?.parse().ok()?;
            let stime: f64 = f.get(12)?.parse().ok()?;
            // USER_HZ is 100 on every Linux ABI nocwatch targets.
            Some((utime + stime) / 100.0)
        })
        .unwrap_or(0.0);
    let rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let kb: f64 = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))?
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .ok()?;
            Some(kb / 1024.0)
        })
        .unwrap_or(0.0);
    (cpu, rss)
}

/// Expands `--targets` into socket addresses.
pub(crate) fn parse_targets(specs: &[String], port: u16) -> anyhow::Result<Vec<SocketAddr>> {
    let mut out = Vec::new();
    for spec in specs.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if let Some((a, b)) = spec.split_once('-') {
            let (first, p1) = v4_with_port(a, port)?;
            let (last, p2) = v4_with_port(b, p1)?;
            if p1 != p2 {
                bail!("{spec}: a range has one port");
            }
            let (lo, hi) = (u32::from(first), u32::from(last));
            if hi < lo {
                bail!("{spec}: the range ends before it starts");
            }
            if u64::from(hi - lo) + 1 + out.len() as u64 > MAX_TARGETS {
                bail!("{spec}: more than {MAX_TARGETS} targets");
            }
            out.extend((lo..=hi).map(|ip| SocketAddr::new(Ipv4Addr::from(ip).into(), p1)));
        } else if let Ok(sa) = spec.parse::<SocketAddr>() {
            out.push(sa);
        } else {
            let ip: IpAddr = spec
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .with_context(|| format!("{spec}: not an address, addr:port or range"))?;
            out.push(SocketAddr::new(ip, port));
        }
    }
    if out.is_empty() {
        bail!("--targets: no target given");
    }
    Ok(out)
}

fn v4_with_port(text: &str, port: u16) -> anyhow::Result<(Ipv4Addr, u16)> {
    let text = text.trim();
    if let Ok(sa) = text.parse::<std::net::SocketAddrV4>() {
        return Ok((*sa.ip(), sa.port()));
    }
    let ip = text
        .parse()
        .with_context(|| format!("{text}: not an IPv4 address"))?;
    Ok((ip, port))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn ranges_expand_inclusively_across_octets() {
        let t = parse_targets(&["127.1.0.254-127.1.1.1".into()], 1161).unwrap();
        let got: Vec<String> = t.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "127.1.0.254:1161",
                "127.1.0.255:1161",
                "127.1.1.0:1161",
                "127.1.1.1:1161"
            ]
        );
        let t = parse_targets(&["127.0.0.1:99".into(), "::1".into()], 161).unwrap();
        assert_eq!(t[0].to_string(), "127.0.0.1:99");
        assert_eq!(t[1].to_string(), "[::1]:161");
        assert!(parse_targets(&["127.0.0.9-127.0.0.1".into()], 161).is_err());
        assert!(parse_targets(&["nonsense".into()], 161).is_err());
    }
}
