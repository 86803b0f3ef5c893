//! `nocwatch trap listen`: the listener's sockets feeding the trap pipeline
//! (`nocwatch-traps`), its output and `/metrics`, and the SIGTERM drain.
//!
//! Threads: one reader per socket (recvmmsg batches, see `nocwatch_net::listener`)
//! queues each datagram under its source in the [`intake`]; one pipeline thread
//! takes them round-robin by source into the [`Pipeline`] (decode → journal →
//! classify → limiter → dedup → sinks), sends Reports at once and inform Responses
//! once their journal record is durable, and answers `/metrics` requests. Readers
//! never wait on the pipeline, so a flooding source cannot hold quiet sources' traps
//! in a FIFO (kernel socket queue or hand-off) in front of it; what overflows the
//! intake is dropped and counted by source.
//!
//! SIGTERM: readers stop, the intake is emptied into the pipeline, the pipeline
//! drains to the journal and sinks by `--drain-timeout`; whatever is still queued
//! then stays in the journal and is replayed on the next start. Exit status 0.

mod intake;
mod metrics;
mod output;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Args;
use nocwatch_net::{ListenSocket, Listener, ListenerConfig, RecvBuffers};
use nocwatch_snmp::crypto::{AuthProtocol, PrivProtocol};
use nocwatch_snmp::receiver::{AuthoritativeEngine, ReceiverConfig, generate_engine_id};
use nocwatch_snmp::{SecurityLevel, UsmUser};
use nocwatch_traps::{
    Datagram, DrainReport, JournalConfig, Pipeline, PipelineConfig, Rules, Transmit,
};

use self::intake::Intake;
use crate::mibout::{MibText, TextOpts};
use crate::request::engine_id_hex;

/// `nocwatch trap listen`.
#[derive(Debug, Args)]
pub(crate) struct ListenArgs {
    /// UDP port to listen on (every IPv4 and IPv6 address) when no --listen is given.
    #[arg(long, default_value_t = 162)]
    pub(crate) port: u16,
    /// Address to listen on, `IP:PORT` or `[IPv6]:PORT` (repeatable; overrides --port).
    #[arg(long = "listen", value_name = "ADDR")]
    pub(crate) listen: Vec<String>,
    /// Sockets per address, sharded with SO_REUSEPORT (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub(crate) sockets: usize,
    /// Receive buffer to request per socket, in bytes.
    #[arg(long, default_value_t = 32 << 20)]
    pub(crate) rcvbuf: usize,
    /// Print one JSON object per event per line instead of net-snmp's text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Serve Prometheus metrics at http://ADDR/metrics.
    #[arg(long, value_name = "ADDR")]
    pub(crate) metrics_listen: Option<SocketAddr>,
    /// Journal directory: accepted events are written (CRC-checked, fsynced every
    /// --journal-sync-ms) before they are processed, informs are answered once synced,
    /// and after a crash the unprocessed ones are replayed. Without it events live in
    /// memory only.
    #[arg(long, value_name = "DIR")]
    pub(crate) journal: Option<PathBuf>,
    /// Classification rules file.
    #[arg(long, value_name = "FILE")]
    pub(crate) rules: Option<PathBuf>,
    /// v1/v2c community to accept (repeatable; default: any).
    #[arg(short = 'c', long = "community", value_name = "COMMUNITY")]
    pub(crate) communities: Vec<String>,
    /// An SNMPv3 user, in snmptrapd's createUser syntax:
    /// `[-e ENGINEID] NAME [AUTHPROTO AUTHPASS [PRIVPROTO PRIVPASS]]` (repeatable).
    /// Messages below the level the user has keys for are refused.
    #[arg(long = "user", value_name = "CREATEUSER", allow_hyphen_values = true)]
    pub(crate) users: Vec<String>,
    /// A file of `createUser ...` lines (snmptrapd.conf syntax; other lines ignored).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Our snmpEngineID in hex, for informs (default: derived from the host name).
    #[arg(long, value_name = "HEX")]
    pub(crate) engine_id: Option<String>,
    /// Journal fsync interval in milliseconds (inform acks wait for it).
    #[arg(long, default_value_t = 10.0, value_name = "MS")]
    pub(crate) journal_sync_ms: f64,
    /// Attribute forwarded traps to their snmpTrapAddress.0 instead of the sender.
    #[arg(long)]
    pub(crate) source_from_trap_address: bool,
    /// Per-source sustained rate limit, traps/s (clears and critical events have
    /// reserved capacity and are never limited).
    #[arg(long, default_value_t = 5_000.0, value_name = "PER_S")]
    pub(crate) rate_limit: f64,
    /// Per-source burst allowance, traps.
    #[arg(long, default_value_t = 20_000.0, value_name = "TRAPS")]
    pub(crate) rate_burst: f64,
    /// Dedup window in seconds (identical traps inside it become one event with a
    /// count); 0 turns dedup off.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    pub(crate) dedup_window: f64,
    /// MIB modules to load (net-snmp's `-m`; default $MIBS): `A:B` those with what
    /// they import, `ALL` every module found. Giving it, `-M` or a non-empty $MIBS
    /// prints names, as snmptrapd with the same MIBs (and adds `name` and `text` to
    /// each JSON binding).
    #[arg(short = 'm', value_name = "MODULES")]
    pub(crate) mib_modules: Option<String>,
    /// MIB directories separated by `:` (net-snmp's `-M`; default $MIBDIRS, else
    /// /usr/share/snmp/mibs; `+DIR` adds to the default).
    #[arg(short = 'M', value_name = "DIRS")]
    pub(crate) mib_dirs: Option<String>,
    /// Output options for bindings: `n` numeric OIDs, `f` full OID paths, `s` last
    /// label only, `q` quick, `v` values only (as snmptrapd's `-O`).
    #[arg(short = 'O', value_name = "OPTS", action = clap::ArgAction::Append)]
    pub(crate) output: Vec<String>,
    /// On SIGTERM, how long to drain queued events before exiting.
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    pub(crate) drain_timeout: f64,
}

/// Parses one `createUser` argument list.
fn parse_user(spec: &str) -> anyhow::Result<UsmUser> {
    let mut words: Vec<&str> = spec.split_whitespace().collect();
    if words.first() == Some(&"createUser") {
        words.remove(0);
    }
    let mut engine_id = None;
    if words.first() == Some(&"-e") {
        let id = words.get(1).context("createUser -e needs an engine ID")?;
        engine_id = Some(engine_id_hex(id)?);
        words.drain(..2);
    }
    let (name, auth, privacy) = match words.as_slice() {
        [name] => (*name, None, None),
        [name, ap, apw] => (*name, Some((*ap, *apw)), None),
        [name, ap, apw, pp, ppw] => (*name, Some((*ap, *apw)), Some((*pp, *ppw))),
        _ => bail!("{spec}: expected [-e ENGINEID] NAME [AUTHPROTO AUTHPASS [PRIVPROTO PRIVPASS]]"),
    };
    let auth = auth
        .map(|(p, pw)| {
            let proto: AuthProtocol = p
                .parse()
                .map_err(|_| anyhow::anyhow!("{p}: unknown authentication protocol"))?;
            anyhow::Ok((proto, pw.as_bytes()))
        })
        .transpose()?;
    let privacy = privacy
        .map(|(p, pw)| {
            let proto: PrivProtocol = p
                .parse()
                .map_err(|_| anyhow::anyhow!("{p}: unknown privacy protocol"))?;
            anyhow::Ok((proto, pw.as_bytes()))
        })
        .transpose()?;
    let level = match (&auth, &privacy) {
        (None, _) => SecurityLevel::NoAuthNoPriv,
        (Some(_), None) => SecurityLevel::AuthNoPriv,
        (Some(_), Some(_)) => SecurityLevel::AuthPriv,
    };
    let mut user = UsmUser::new(name.as_bytes(), level, auth, privacy)
        .with_context(|| format!("createUser {name}"))?;
    user.engine_id = engine_id;
    Ok(user)
}

fn users(args: &ListenArgs) -> anyhow::Result<Vec<Arc<UsmUser>>> {
    let mut specs: Vec<String> = args.users.clone();
    if let Some(path) = &args.config {
        let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
        specs.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| l.starts_with("createUser "))
                .map(str::to_owned),
        );
    }
    specs.iter().map(|s| parse_user(s).map(Arc::new)).collect()
}

fn listen_addrs(args: &ListenArgs) -> anyhow::Result<Vec<SocketAddr>> {
    if args.listen.is_empty() {
        return Ok(vec![
            SocketAddr::from(([0, 0, 0, 0], args.port)),
            SocketAddr::from(([0u16; 8], args.port)),
        ]);
    }
    args.listen
        .iter()
        .map(|a| {
            let t = a
                .strip_prefix("udp6:")
                .or_else(|| a.strip_prefix("udp:"))
                .unwrap_or(a);
            t.parse::<SocketAddr>()
                .with_context(|| format!("{a}: expected IP:PORT or [IPv6]:PORT"))
        })
        .collect()
}

/// Binds every address; without --listen, a missing IPv6 stack only costs a warning.
fn bind(args: &ListenArgs) -> anyhow::Result<Listener> {
    let addrs = listen_addrs(args)?;
    let mut config = ListenerConfig {
        addrs: addrs.clone(),
        sockets_per_addr: args.sockets,
        recv_buffer: args.rcvbuf,
        ..ListenerConfig::default()
    };
    match Listener::bind(config.clone()) {
        Ok(l) => Ok(l),
        Err(e) if args.listen.is_empty() => {
            tracing::warn!(error = %e, "cannot listen on IPv6; IPv4 only");
            config.addrs.retain(SocketAddr::is_ipv4);
            Ok(Listener::bind(config)?)
        }
        Err(e) => Err(e.into()),
    }
}

/// Datagrams handed to one [`Pipeline::ingest`] call at most.
const TAKE: usize = 256;

/// Datagrams of one source per [`Pipeline::ingest`] call at most (see
/// [`Intake::take`]): a quiet source's trap waits behind this many of a flooding
/// source's, not behind a whole [`TAKE`].
const TAKE_PER_SOURCE: usize = 32;

/// Intake bounds: per source, and in total (see [`intake`]).
const INTAKE_PER_SOURCE: usize = 16_384;
const INTAKE_TOTAL: usize = 262_144;

/// Events processed per [`Pipeline::poll`] between two intakes.
const PROCESS_BUDGET: usize = 1024;

/// How long the pipeline thread sleeps at most when idle.
const IDLE_POLL: Duration = Duration::from_millis(20);

/// A request for the pipeline's metrics text, answered by the pipeline thread.
type MetricsRequest = tokio::sync::oneshot::Sender<String>;

/// Sends answers from the address their request arrived at (senders check); the
/// pipeline hands that address back in each [`Transmit`]. Without it (never, from
/// this listener) any socket of the peer's family.
fn transmit(listener: &Listener, out: &mut Vec<Transmit>) {
    let sockets = listener.sockets();
    for t in out.drain(..) {
        let socket = t
            .local
            .and_then(|l| sockets.iter().find(|s| s.local_addr() == l))
            .or_else(|| {
                sockets
                    .iter()
                    .find(|s| s.local_addr().is_ipv4() == t.peer.is_ipv4())
            });
        match socket {
            Some(s) => {
                if let Err(e) = s.send_to(&t.datagram, t.peer) {
                    tracing::debug!(peer = %t.peer, error = %e, "response not sent");
                }
            }
            None => tracing::debug!(peer = %t.peer, "no socket of that family for a response"),
        }
    }
}

/// The pipeline thread: takes datagrams from the intake (round-robin by source),
/// ingests and polls, sends Reports at once and inform acks once durable, answers
/// metrics requests; once the intake is closed and empty, drains by the deadline.
fn drive(
    mut p: Pipeline,
    intake: &Intake,
    metrics: &Receiver<MetricsRequest>,
    listener: &Listener,
    drain: Duration,
) -> anyhow::Result<DrainReport> {
    let mut out = Vec::new();
    let mut taken = Vec::with_capacity(TAKE);
    loop {
        let now = Instant::now();
        let wait = if p.queued() > 0 {
            Duration::ZERO
        } else {
            p.poll_timeout()
                .map_or(IDLE_POLL, |t| t.saturating_duration_since(now))
                .min(IDLE_POLL)
        };
        taken.clear();
        let open = intake.take(TAKE, TAKE_PER_SOURCE, wait, &mut taken);
        if !taken.is_empty() {
            let dgrams: Vec<Datagram<'_>> = taken
                .iter()
                .map(|(peer, data, local)| Datagram {
                    peer: *peer,
                    data,
                    local: Some(*local),
                })
                .collect();
            p.ingest(Instant::now(), &dgrams, &mut out);
        }
        transmit(listener, &mut out);
        if let Err(e) = p.poll(Instant::now()) {
            tracing::error!(error = %e, "trap pipeline poll failed");
        }
        p.take_acks(&mut out);
        transmit(listener, &mut out);
        for reply in metrics.try_iter() {
            let mut text = String::new();
            p.render_metrics(&mut text);
            let _ = reply.send(text);
        }
        if !open {
            break;
        }
    }
    let report = p.drain(Instant::now() + drain)?;
    p.take_acks(&mut out);
    transmit(listener, &mut out);
    Ok(report)
}

fn engine_id(args: &ListenArgs) -> anyhow::Result<Vec<u8>> {
    Ok(match &args.engine_id {
        Some(h) => engine_id_hex(h)?,
        None => {
            // Stable across restarts (senders cache it): derived from the host name.
            let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
            let seed = host.trim().bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
            generate_engine_id(seed)
        }
    })
}

/// snmpEngineBoots, kept in the journal directory and incremented at every start
/// (RFC 3414: an engine whose ID is stable must never reuse a boots value). Without a
/// journal there is nowhere to keep it: 1.
fn engine_boots(journal: Option<&std::path::Path>) -> anyhow::Result<u32> {
    let Some(dir) = journal else { return Ok(1) };
    std::fs::create_dir_all(dir).with_context(|| format!("{}", dir.display()))?;
    let path = dir.join("engine-boots");
    let last: u32 = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(0);
    let boots = last.saturating_add(1).min(2_147_483_647);
    std::fs::write(&path, format!("{boots}\n")).with_context(|| format!("{}", path.display()))?;
    Ok(boots)
}

/// The MIBs and `-O` options of the text output, as the request commands: without
/// MIBs OIDs are numeric whatever `-O` says, but `-Oq` / `-Ov` still apply.
fn mib_text(args: &ListenArgs) -> anyhow::Result<Option<MibText>> {
    let opts = TextOpts::parse(&args.output)?;
    Ok(
        match crate::mibout::load(args.mib_modules.as_deref(), args.mib_dirs.as_deref()) {
            Some(m) => Some(MibText::new(Arc::new(m), opts)),
            None if opts.quick || opts.value_only => Some(MibText::new(
                Arc::default(),
                TextOpts {
                    oid: nocwatch_mib::OidStyle::Numeric,
                    ..opts
                },
            )),
            None => None,
        },
    )
}

pub(crate) async fn listen(args: &ListenArgs) -> anyhow::Result<ExitCode> {
    let users = users(args)?;
    let rules = match &args.rules {
        Some(path) => Rules::load(path)?,
        None => Rules::default_pack()?,
    };
    let engine = AuthoritativeEngine::new(
        engine_id(args)?,
        engine_boots(args.journal.as_deref())?,
        Instant::now(),
    );
    let mut config = PipelineConfig::new(engine, Arc::new(rules));
    config.receiver = ReceiverConfig {
        communities: if args.communities.is_empty() {
            None
        } else {
            Some(
                args.communities
                    .iter()
                    .map(|c| c.as_bytes().to_vec())
                    .collect(),
            )
        },
        users,
        salt_seed: u64::from(std::process::id()) << 32
            ^ std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64),
        ..ReceiverConfig::default()
    };
    config.source_from_trap_address = args.source_from_trap_address;
    if !(args.rate_limit > 0.0 && args.rate_burst >= 1.0) {
        bail!("--rate-limit must be positive and --rate-burst at least 1");
    }
    // Small poll budgets: the thread that processes also ingests, so one long poll
    // (up to 65,536 events by default) would hold every new datagram, quiet
    // sources' included, in the intake meanwhile.
    config.process_budget = PROCESS_BUDGET;
    config.limiter.rate = args.rate_limit;
    config.limiter.burst = args.rate_burst;
    config.dedup.window = Duration::try_from_secs_f64(args.dedup_window)
        .context("--dedup-window: seconds, 0 or more")?;
    if args.journal.is_none() {
        tracing::warn!(
            "no --journal: events are held in memory only (a crash loses what is queued) \
             and informs are answered without waiting for disk"
        );
    }
    if let Some(dir) = &args.journal {
        let mut j = JournalConfig::new(dir);
        j.sync_interval = Duration::from_secs_f64(args.journal_sync_ms.max(0.0) / 1000.0);
        config.journal = Some(j);
    }
    // Opening replays what a previous run accepted but did not finish.
    let mut pipeline = Pipeline::open(config, Instant::now())?;
    let listener = Arc::new(bind(args)?);
    let local = listener.local_addrs().first().copied();
    let mib = mib_text(args)?;
    match (args.json, mib) {
        (true, Some(m)) if !m.mibs.objects().is_empty() => {
            pipeline.set_event_sink(Box::new(output::MibJson::new(std::io::stdout(), m)));
        }
        (true, _) => pipeline.set_json_output(Box::new(std::io::stdout())),
        (false, mib) => {
            pipeline.set_event_sink(Box::new(output::Text::new(std::io::stdout(), local, mib)));
        }
    }

    let stop = Arc::new(AtomicBool::new(false));
    let intake = Arc::new(Intake::new(INTAKE_PER_SOURCE, INTAKE_TOTAL));
    let (mtx, mrx) = std::sync::mpsc::channel::<MetricsRequest>();
    let drain = Duration::from_secs_f64(args.drain_timeout.max(0.0));
    let pipeline_thread = {
        let listener = Arc::clone(&listener);
        let intake = Arc::clone(&intake);
        std::thread::Builder::new()
            .name("trap-pipeline".into())
            .spawn(move || drive(pipeline, &intake, &mrx, &listener, drain))?
    };
    // Readers never wait on the pipeline: they drain their socket and queue each
    // datagram under its source (see `intake`).
    let readers = listener.spawn(&stop, |_socket| {
        let intake = Arc::clone(&intake);
        move |s: &ListenSocket, bufs: &RecvBuffers| intake.push(bufs, s.local_addr())
    })?;
    let addrs: Vec<String> = listener
        .local_addrs()
        .iter()
        .map(ToString::to_string)
        .collect();
    eprintln!(
        "nocwatch trap listen: listening on {} ({} sockets)",
        addrs.join(", "),
        listener.sockets().len()
    );
    let metrics_task = match args.metrics_listen {
        Some(addr) => {
            Some(metrics::serve(addr, Arc::clone(&listener), Arc::clone(&intake), mtx).await?)
        }
        None => None,
    };
    crate::ready::trap_listen(&listener.local_addrs(), args.metrics_listen);

    crate::shutdown::Shutdown::install()?.wait().await;
    // Stop reading, then let the pipeline thread drain what was accepted.
    stop.store(true, Ordering::Relaxed);
    let joined = tokio::task::spawn_blocking(move || {
        for r in readers {
            let _ = r.join();
        }
        intake.close();
        pipeline_thread.join()
    });
    match tokio::time::timeout(drain + Duration::from_secs(1), joined).await {
        Ok(Ok(Ok(Ok(report)))) => {
            if report.left > 0 {
                eprintln!(
                    "nocwatch trap listen: drain deadline passed with {} events queued; they stay in the journal and are replayed on the next start",
                    report.left
                );
            }
        }
        Ok(Ok(Ok(Err(e)))) => eprintln!("nocwatch trap listen: drain failed: {e:#}"),
        _ => eprintln!("nocwatch trap listen: drain did not finish in time"),
    }
    if let Some(t) = metrics_task {
        t.abort();
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn create_user_syntax() {
        let u = parse_user("createUser -e 0x8000000001020304 alice SHA alicepass1 AES alicepriv1")
            .unwrap();
        assert_eq!(u.name, b"alice");
        assert_eq!(u.level, SecurityLevel::AuthPriv);
        assert_eq!(
            u.engine_id.as_deref(),
            Some(&[0x80, 0, 0, 0, 1, 2, 3, 4][..])
        );
        let u = parse_user("bob MD5 bobpass12").unwrap();
        assert_eq!(u.level, SecurityLevel::AuthNoPriv);
        assert!(u.engine_id.is_none());
        assert_eq!(
            parse_user("carol").unwrap().level,
            SecurityLevel::NoAuthNoPriv
        );
        assert!(parse_user("dave SHA").is_err());
        assert!(parse_user("erin FOO erinpass1").is_err());
    }
}
