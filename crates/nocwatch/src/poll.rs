//! `nocwatch poll`: walk a set of subtrees on many agents at once with the polling
//! engine, and print what a cycle cost.
//!
//! This is the command `scripts/bench-scale` drives; the engine work is
//! `nocwatch_poller::AdHocPoll`, the same crate as `nocwatch run`'s poller, and this
//! module parses flags and prints. Targets are addresses or inclusive IPv4 ranges
//! (`--targets 127.1.0.1-127.1.39.16`), credentials are net-snmp's flags (`-v -c -u
//! -l -a -A -x -X -t -r`), and each `--walk` subtree is walked with adaptive GetBulk.
//! It prints one summary line per cycle (values, cycle time, timeouts, ...), or one
//! JSON object per cycle with `--json`; `--print` also prints every value as
//! `ADDRESS OID = TYPE: VALUE`.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use nocwatch_net::{Credentials, CycleSummary, PollerStats};
use nocwatch_poller::{ADHOC_DEFAULT_WALKS, AdHocConfig, AdHocPoll, parse_targets, process_usage};
use nocwatch_snmp::Version;

use crate::cli::SnmpOpts;
use crate::format::{self, OutputMode};
use crate::request::{parse_oids, tracker_config, usm_user, version_of};

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
    let credentials = match version_of(&opts.version)? {
        Version::V3 => Credentials::Usm(Arc::new(usm_user(opts)?)),
        version => Credentials::Community {
            version,
            community: opts.community.as_bytes().to_vec(),
        },
    };
    let tracker = tracker_config(opts)?;
    // With `-m`/`-M` (or $MIBS/$MIBDIRS) walk roots may be names and `--print` shows
    // what net-snmp would print with the same MIBs and `-O` options.
    let mib = crate::mibout::MibText::from_options(
        opts.mib_modules.as_deref(),
        opts.mib_dirs.as_deref(),
        &opts.output,
    )?;
    let walks = if args.walks.is_empty() {
        let d: Vec<String> = ADHOC_DEFAULT_WALKS
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        parse_oids(None, &d)?
    } else {
        parse_oids(mib.as_ref(), &args.walks)?
    };
    let targets =
        parse_targets(&args.targets, args.port).map_err(|e| anyhow::anyhow!("--targets: {e}"))?;
    let count = targets.len();
    let poll = AdHocPoll::start(AdHocConfig {
        targets,
        walks,
        credentials,
        max_repetitions: args.max_repetitions,
        per_target: args.per_target,
        timeout: tracker.timeout,
        retries: tracker.retries,
        backoff: args.backoff,
        any_source: !tracker.check_source,
        shards: args.shards,
        window: args.window,
        max_sessions: args.max_sessions,
    })
    .await?;
    let mode = if opts.json {
        OutputMode::Json
    } else {
        OutputMode::Text
    };
    let interval = Duration::try_from_secs_f64(args.interval.max(0.0)).unwrap_or(Duration::ZERO);
    let mut out = String::new();
    let failures = poll
        .run(
            args.cycles,
            interval,
            |report| -> anyhow::Result<()> {
                if !args.print {
                    return Ok(());
                }
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
                Ok(())
            },
            |n, summary, stats| {
                emit(&report_cycle(n, count, summary, stats, opts.json))?;
                Ok(())
            },
        )
        .await?;
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
    let usage = process_usage();
    let (cpu_s, rss_mb) = (usage.cpu_s, usage.peak_rss_mb);
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
