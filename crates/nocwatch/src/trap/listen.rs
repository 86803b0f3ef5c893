//! `nocwatch trap listen`: the trap service of `nocwatch-traps`
//! ([`TrapService`]: sockets, intake, pipeline thread, engine identity) run alone,
//! with net-snmp's flags, its text or JSON output and `/metrics`.
//!
//! The flags become a [`TrapsConfig`], the `[traps]` section `nocwatch run` takes,
//! so both run one code path. What stays here is the command line, the output
//! formats ([`output`]) and the HTTP endpoint for `--metrics-listen`.
//!
//! SIGHUP re-reads the rules file, the users (`--user`, `--config`) and the
//! communities and swaps them without dropping a trap, as snmptrapd re-reads its
//! configuration. SIGTERM: readers stop, the intake is emptied into the pipeline,
//! the pipeline drains to the journal and sinks by `--drain-timeout`; whatever is
//! still queued then stays in the journal and is replayed on the next start. Exit
//! status 0.

mod output;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use nocwatch_model::Secret;
use nocwatch_traps::service::{MetricsHandle, TrapService, TrapsConfig};
use nocwatch_traps::{EventSink, JsonLines};

use crate::mibout::{MibText, TextOpts};

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
    /// v1/v2c community to accept (repeatable; default: any). `env:NAME` or
    /// `file:PATH` reads it from there (kept off the command line).
    #[arg(short = 'c', long = "community", value_name = "COMMUNITY")]
    pub(crate) communities: Vec<String>,
    /// An SNMPv3 user, in snmptrapd's createUser syntax:
    /// `[-e ENGINEID] NAME [AUTHPROTO AUTHPASS [PRIVPROTO [PRIVPASS]]]` (repeatable;
    /// quote a pass phrase with spaces inside the argument, as in snmptrapd.conf:
    /// `--user 'u SHA "a long phrase"'`; `env:NAME` or `file:PATH` reads the line
    /// from there). Messages below the level the user has keys for are refused.
    #[arg(long = "user", value_name = "CREATEUSER", allow_hyphen_values = true)]
    pub(crate) users: Vec<String>,
    /// A file of `createUser ...` lines (snmptrapd.conf syntax; other lines ignored).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Our snmpEngineID in hex, for informs (default: the one kept in the state
    /// file, else a new random one). Needs a state file (--state or --journal).
    #[arg(long, value_name = "HEX")]
    pub(crate) engine_id: Option<String>,
    /// Engine state file: snmpEngineID and snmpEngineBoots, which must grow at every
    /// start (RFC 3414); written atomically. Default: engine.state in the --journal
    /// directory; without either, a new random engine ID at every start.
    #[arg(long, value_name = "FILE")]
    pub(crate) state: Option<PathBuf>,
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

/// The flags as the service's configuration.
fn traps_config(args: &ListenArgs) -> anyhow::Result<TrapsConfig> {
    let secrets = |list: &[String], what: &str| -> anyhow::Result<Vec<Secret>> {
        list.iter()
            .map(|s| Secret::resolve(s).with_context(|| format!("--{what}")))
            .collect()
    };
    let seconds = |v: f64, flag: &str| {
        Duration::try_from_secs_f64(v).with_context(|| format!("--{flag}: seconds, 0 or more"))
    };
    Ok(TrapsConfig {
        listen: args.listen.clone(),
        port: args.port,
        sockets: args.sockets,
        rcvbuf: args.rcvbuf,
        journal: args.journal.clone(),
        journal_sync: seconds(args.journal_sync_ms.max(0.0) / 1000.0, "journal-sync-ms")?,
        rules: args.rules.clone(),
        communities: secrets(&args.communities, "community")?,
        users: secrets(&args.users, "user")?,
        users_file: args.config.clone(),
        engine_id: args.engine_id.clone(),
        state: args.state.clone(),
        source_from_trap_address: args.source_from_trap_address,
        rate_limit: args.rate_limit,
        rate_burst: args.rate_burst,
        dedup_window: seconds(args.dedup_window, "dedup-window")?,
        drain_timeout: seconds(args.drain_timeout.max(0.0), "drain-timeout")?,
        ..TrapsConfig::default()
    })
}

/// The output chosen by `--json` and the MIB flags.
fn sink(json: bool, mib: Option<MibText>, local: Option<SocketAddr>) -> Box<dyn EventSink> {
    match (json, mib) {
        (true, Some(m)) if !m.mibs.objects().is_empty() => {
            Box::new(output::MibJson::new(std::io::stdout(), m))
        }
        (true, _) => Box::new(JsonLines::new(Box::new(std::io::stdout()))),
        (false, mib) => Box::new(output::Text::new(std::io::stdout(), local, mib)),
    }
}

/// Serves `/metrics` on `addr`; the task runs until aborted. Returns it and the
/// bound address.
async fn serve_metrics(
    addr: SocketAddr,
    metrics: MetricsHandle,
) -> anyhow::Result<(tokio::task::JoinHandle<()>, SocketAddr)> {
    let tcp = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("--metrics-listen {addr}"))?;
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let metrics = metrics.clone();
            async move {
                let body = tokio::task::spawn_blocking(move || metrics.render())
                    .await
                    .unwrap_or_default();
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    body,
                )
            }
        }),
    );
    let bound = tcp.local_addr().unwrap_or(addr);
    eprintln!("nocwatch trap listen: metrics on http://{bound}/metrics");
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(tcp, app).await {
            tracing::warn!(error = %e, "metrics server stopped");
        }
    });
    Ok((task, bound))
}

pub(crate) async fn listen(args: &ListenArgs) -> anyhow::Result<ExitCode> {
    let config = traps_config(args)?;
    let mib = mib_text(args)?;
    // Installed before the banner: from then on a signal is a clean stop.
    let mut shutdown = crate::shutdown::Shutdown::install()?;
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .context("installing the SIGHUP handler")?;
    let json = args.json;
    let service =
        TrapService::start_with(&config, |addrs| sink(json, mib, addrs.first().copied()))?;
    let addrs: Vec<String> = service
        .local_addrs()
        .iter()
        .map(ToString::to_string)
        .collect();
    eprintln!(
        "nocwatch trap listen: listening on {} ({} sockets)",
        addrs.join(", "),
        service.socket_count()
    );
    let (metrics_task, metrics_addr) = match args.metrics_listen {
        Some(addr) => {
            let (task, bound) = serve_metrics(addr, service.metrics()).await?;
            (Some(task), Some(bound))
        }
        None => (None, None),
    };
    crate::ready::trap_listen(&service.local_addrs(), metrics_addr);

    loop {
        tokio::select! {
            _ = shutdown.wait() => break,
            _ = hup.recv() => {
                let reloaded = traps_config(args)
                    .and_then(|c| service.reload(&c).map_err(anyhow::Error::from));
                match reloaded {
                    Ok(r) => eprintln!(
                        "nocwatch trap listen: reloaded {} rules, {} users",
                        r.rules, r.users
                    ),
                    Err(e) => eprintln!("nocwatch trap listen: reload failed, nothing changed: {e:#}"),
                }
            }
        }
    }
    let drain = config.drain_timeout;
    let joined = tokio::task::spawn_blocking(move || service.stop());
    match tokio::time::timeout(drain + Duration::from_secs(1), joined).await {
        Ok(Ok(Ok(report))) => {
            if report.left > 0 {
                eprintln!(
                    "nocwatch trap listen: drain deadline passed with {} events queued; they stay in the journal and are replayed on the next start",
                    report.left
                );
            }
        }
        Ok(Ok(Err(e))) => eprintln!("nocwatch trap listen: drain failed: {e:#}"),
        _ => eprintln!("nocwatch trap listen: drain did not finish in time"),
    }
    if let Some(t) = metrics_task {
        t.abort();
    }
    Ok(ExitCode::SUCCESS)
}
