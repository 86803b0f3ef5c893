//! `nocwatch run`: the service (`nocwatch-service`). With `--config FILE` it runs
//! what the file says; without, the embedded lab on loopback (a simulated fabric
//! and its CSV source, simulated SNMP devices that flap and restart, the SNMP
//! source polling them, the trap intake their traps go to, the store and the
//! API), so a new user sees metrics and live events at once.
//!
//! This module holds the command line only: flags override the file's fields
//! (again at every reload), the banner and the ready line are printed once every
//! component runs. SIGTERM or SIGINT drains and exits 0; SIGHUP reloads; a
//! component that fails stops the service with exit status 1.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use nocwatch_service::{Config, ConfigSource, Service};

use crate::duration::parse_duration;

/// `nocwatch run` options; each flag overrides the matching config field.
#[derive(Debug, Args, Clone)]
pub(crate) struct RunArgs {
    /// Service configuration (TOML, see docs/CONFIG.md). Without it, the
    /// embedded lab runs on loopback.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// API listen address [config: api.listen; default 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    pub(crate) api: Option<SocketAddr>,
    /// Embedded producer listen address [producer.listen; default 127.0.0.1:9001].
    #[arg(long, value_name = "ADDR")]
    pub(crate) producer: Option<SocketAddr>,
    /// Switches of the embedded producer [producer.switches; default 50].
    #[arg(long)]
    pub(crate) switches: Option<usize>,
    /// Embedded producer snapshot period [producer.tick; default 5s].
    #[arg(long, value_parser = parse_duration)]
    pub(crate) tick: Option<Duration>,
    /// Source poll interval [http_csv.interval; default 10s].
    #[arg(long, value_parser = parse_duration)]
    pub(crate) poll_interval: Option<Duration>,
    /// History samples kept per series [store.history; default 60].
    #[arg(long)]
    pub(crate) history: Option<usize>,
    /// Runtime worker threads [runtime.worker_threads; default 2].
    #[arg(long)]
    pub(crate) workers: Option<usize>,
    /// API threads, each with its own SO_REUSEPORT listener; 0 serves on the
    /// runtime's workers [api.threads; default 2].
    #[arg(long)]
    pub(crate) api_threads: Option<usize>,
    /// Simulated SNMP devices of the embedded lab, polled by the SNMP source;
    /// 0 runs neither [snmp_sim.devices; lab default 20].
    #[arg(long, value_name = "N")]
    pub(crate) snmp_devices: Option<u32>,
    /// SNMP poll interval [snmp.interval; default 10s].
    #[arg(long, value_parser = parse_duration)]
    pub(crate) snmp_interval: Option<Duration>,
    /// Mean time between interface flaps of each simulated device; 0s: never
    /// [snmp_sim.flap_interval; default 60s].
    #[arg(long, value_parser = parse_duration)]
    pub(crate) flap_interval: Option<Duration>,
    /// Trap listen address, `IP:PORT` [traps.listen; lab default 127.0.0.1:0, a
    /// free port, shown in the banner].
    #[arg(long, value_name = "ADDR")]
    pub(crate) traps: Option<SocketAddr>,
}

impl RunArgs {
    /// Applies the flags to `c` (at start and after every reload).
    fn apply(&self, c: &mut Config) {
        if let Some(a) = self.api {
            c.api.listen = a;
        }
        if self.producer.is_some() || self.switches.is_some() || self.tick.is_some() {
            let p = c.producer.get_or_insert_with(Default::default);
            if let Some(a) = self.producer {
                p.listen = a;
            }
            if let Some(n) = self.switches {
                p.switches = n;
            }
            if let Some(t) = self.tick {
                p.tick = t;
            }
        }
        if let Some(i) = self.poll_interval {
            c.http_csv
                .get_or_insert_with(|| nocwatch_telemetry::HttpCsvSection::polling(String::new()))
                .interval = i;
        }
        match self.snmp_devices {
            Some(0) => {
                c.snmp_sim = None;
                if c.snmp.as_ref().is_some_and(|s| s.targets.is_empty()) {
                    c.snmp = None;
                }
            }
            Some(n) => {
                c.snmp_sim.get_or_insert_with(Default::default).devices = n;
                c.snmp.get_or_insert_with(Default::default);
            }
            None => {}
        }
        if let Some(i) = self.snmp_interval
            && let Some(s) = &mut c.snmp
        {
            s.interval = i;
        }
        if let Some(f) = self.flap_interval
            && let Some(s) = &mut c.snmp_sim
        {
            s.flap_interval = f;
        }
        if let Some(a) = self.traps {
            c.traps.get_or_insert_with(Default::default).listen = vec![a.to_string()];
        }
        if let Some(h) = self.history {
            c.store.history = h;
        }
        if let Some(w) = self.workers {
            c.runtime.worker_threads = w;
        }
        if let Some(t) = self.api_threads {
            c.api.threads = t;
        }
    }

    fn source(&self) -> ConfigSource {
        let args = self.clone();
        ConfigSource {
            path: self.config.clone(),
            overrides: Box::new(move |c| args.apply(c)),
            fallback: Config::lab(),
        }
    }
}

/// Runs the service on its own multi-threaded runtime (the CLI's runtime is
/// single-threaded) until a stop signal or a component's fault.
pub(crate) async fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let source = args.source();
    let config = source.read().map_err(anyhow::Error::msg)?;
    let lab = args.config.is_none();
    let workers = config.runtime.worker_threads;
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("nocwatch-run".into())
        .spawn(move || {
            let result = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .thread_name("nocwatch-worker")
                .enable_all()
                .build()
                .context("cannot start the service runtime")
                .and_then(|rt| rt.block_on(service(config, source, lab)));
            let _ = tx.send(result);
        })
        .context("cannot start the service thread")?;
    rx.await.context("service thread died")?
}

async fn service(config: Config, source: ConfigSource, lab: bool) -> anyhow::Result<ExitCode> {
    let service = Service::start(config, source).await?;
    println!(
        "nocwatch {} (Ctrl-C to stop, SIGHUP to reload)",
        if lab { "lab running" } else { "running" }
    );
    for line in service.banner() {
        println!("{line}");
    }
    crate::ready::run(&service.ready());
    let ended = service.run().await;
    eprintln!("nocwatch: {}, shutting down", ended.reason);
    for r in ended
        .reports
        .iter()
        .filter(|r| !r.clean || !r.detail.is_empty())
    {
        eprintln!(
            "nocwatch: {}: {}",
            r.component,
            if r.detail.is_empty() {
                "did not finish in time"
            } else {
                &r.detail
            }
        );
    }
    Ok(match ended.fault {
        Some(e) => {
            eprintln!("nocwatch: {e}");
            ExitCode::from(1)
        }
        None => ExitCode::SUCCESS,
    })
}
