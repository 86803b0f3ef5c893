//! `nocwatch run`: the service. With `--config FILE` it runs what the file
//! says; without, an embedded lab on loopback (a simulated fabric producer,
//! the `http_csv` source polling it, the store and the API) so a new user
//! sees live data at once.
//!
//! Lifecycle: listeners are bound and signal handlers installed before the
//! "where to look" banner is printed, so anything that reads the banner can
//! use the addresses and signal the process at once. SIGTERM or SIGINT
//! stops the source, lets the servers finish the requests in flight (at most
//! [`DRAIN`]), and exits 0.

mod config;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use nocwatch_api::{ApiConfig, ApiState};
use nocwatch_store::Store;
use nocwatch_telemetry::stats::IngestStats;
use nocwatch_telemetry::{HttpCsvConfig, HttpCsvSource, Producer, ProducerConfig};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::duration::parse_duration;
pub(crate) use config::Config;
use config::HttpCsvSection;

/// Longest wait for servers to drain after a shutdown signal.
const DRAIN: Duration = Duration::from_secs(10);

/// `nocwatch run` options; each flag overrides the matching config field.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// Service configuration (TOML, see docs/CONFIG.md). Without it, the
    /// embedded lab runs on loopback.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// API listen address [config: api.listen; default 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    pub(crate) api: Option<SocketAddr>,
    /// Embedded producer listen address [config: producer.listen; default
    /// 127.0.0.1:9001].
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
}

impl RunArgs {
    fn config(&self) -> anyhow::Result<Config> {
        let mut c = match &self.config {
            Some(path) => Config::load(path).map_err(anyhow::Error::msg)?,
            None => Config::lab(),
        };
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
            match &mut c.http_csv {
                Some(s) => s.interval = i,
                None => {
                    // Lab: the URL is filled in once the producer is bound.
                    let mut s = HttpCsvSection::polling(String::new());
                    s.interval = i;
                    c.http_csv = Some(s);
                }
            }
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
        if let Some(h) = self.history {
            c.store.history = h;
        }
        if let Some(w) = self.workers {
            c.runtime.worker_threads = w;
        }
        if let Some(t) = self.api_threads {
            c.api.threads = t;
        }
        c.validate().map_err(anyhow::Error::msg)?;
        Ok(c)
    }
}

/// Runs the service on its own multi-threaded runtime (the CLI's runtime is
/// single-threaded) until a shutdown signal.
pub(crate) async fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let config = args.config()?;
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
                .and_then(|rt| rt.block_on(service(config)));
            let _ = tx.send(result);
        })
        .context("cannot start the service thread")?;
    rx.await.context("service thread died")??;
    Ok(ExitCode::SUCCESS)
}

/// A future that completes when shutdown is requested.
fn stopped(rx: &watch::Receiver<bool>) -> impl Future<Output = ()> + Send + 'static {
    let mut rx = rx.clone();
    async move {
        let _ = rx.wait_for(|stop| *stop).await;
    }
}

async fn service(config: Config) -> anyhow::Result<()> {
    // Signals first: from the banner on, SIGTERM means a clean stop.
    let mut shutdown = crate::shutdown::Shutdown::install()?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    let mut banner = Vec::new();

    let store = Arc::new(Store::new(config.store.history)?);
    let stats = Arc::new(IngestStats::default());

    let mut producer_url = None;
    if let Some(p) = &config.producer {
        let producer = Producer::new(&ProducerConfig {
            switches: p.switches,
            tick: p.tick,
            seed: p.seed,
            mode: p.mode.parse()?,
            slow_delay: p.slow_delay,
        })?;
        let listener = TcpListener::bind(p.listen)
            .await
            .with_context(|| format!("producer: cannot listen on {}", p.listen))?;
        let addr = listener.local_addr()?;
        let url = format!("http://{addr}/counters");
        banner.push(format!(
            "  producer  {url}  ({} switches, new snapshot every {:?})",
            p.switches, p.tick
        ));
        banner.push(format!(
            "            break it:  curl -X POST 'http://{addr}/mode?mode=ERROR_500'   (CORRUPT, TRUNCATED, SLOW, EMPTY, WRONG_SCHEMA, OK)"
        ));
        producer_url = Some(url);
        let stop = stopped(&stop_rx);
        tasks.push(tokio::spawn(async move {
            producer.serve(listener, stop).await.context("producer")
        }));
    }

    // Simulated SNMP devices, then the SNMP source polling them (or the
    // configured targets).
    let mut fleet = None;
    let mut snmp_addrs = Vec::new();
    if let Some(sim) = &config.snmp_sim {
        let server = start_fleet(sim).context("simulated SNMP devices")?;
        let port = match server.layout() {
            nocwatch_sim::Layout::Addresses { port, .. } => port,
            nocwatch_sim::Layout::Ports { base_port, .. } => base_port,
        };
        let last = server.address(sim.devices - 1);
        banner.push(format!(
            "  devices   {} simulated SNMP devices {}-{} port {port} (v2c community {:?}, {} interfaces each)",
            sim.devices,
            sim.base,
            last.map(|a| a.ip().to_string()).unwrap_or_default(),
            sim.community,
            sim.interfaces
        ));
        snmp_addrs = (0..sim.devices).filter_map(|i| server.address(i)).collect();
        fleet = Some(server);
    }
    let mut snmp_source = None;
    let mut others: Vec<Arc<dyn nocwatch_api::SourceReport>> = Vec::new();
    let mut snmp_example = None;
    if let Some(section) = &config.snmp {
        let mut section = section.clone();
        if section.targets.is_empty() {
            // The lab: poll the simulated devices, named by address.
            if let Some(first) = snmp_addrs.first() {
                section.port = first.port();
            }
        } else {
            snmp_addrs = nocwatch_poller::parse_targets(&section.targets, section.port)?;
        }
        let credentials = section.credentials(crate::sim::agents::parse_user)?;
        let sink = nocwatch_poller::StoreSink::new(Arc::clone(&store), section.name.as_str());
        let source =
            nocwatch_poller::SnmpSource::start(&section, credentials, &snmp_addrs, sink).await?;
        others.push(Arc::new(SnmpReport(Arc::clone(source.stats()))));
        banner.push(format!(
            "  snmp      {} polls {} targets every {:?} (timeout {:?}, {} retries, {} subtrees)",
            section.name,
            snmp_addrs.len(),
            section.interval,
            section.timeout,
            section.retries,
            section.walks.len()
        ));
        snmp_example = snmp_addrs
            .first()
            .map(|a| nocwatch_poller::resource_name(*a, section.port));
        snmp_source = Some((source, snmp_addrs.clone(), section.port));
    }
    let source_section = match (config.http_csv.clone(), producer_url) {
        (Some(s), Some(url)) if s.url.is_empty() => Some(HttpCsvSection { url, ..s }),
        (Some(s), _) => Some(s),
        (None, Some(url)) => Some(HttpCsvSection::polling(url)),
        (None, None) if snmp_source.is_some() => None,
        (None, None) => anyhow::bail!("no source configured"),
    };
    let source = match &source_section {
        Some(section) => {
            banner.push(format!(
                "  source    {} polls {} every {:?} (timeout {:?})",
                section.name, section.url, section.interval, section.timeout
            ));
            Some(HttpCsvSource::sharing(
                HttpCsvConfig {
                    url: section.url.clone(),
                    interval: section.interval,
                    timeout: section.timeout,
                    max_body_bytes: section.max_body_bytes,
                    ingest_nice: section.ingest_nice,
                },
                Arc::clone(&store),
                Arc::clone(&stats),
                Some(&section.name),
            )?)
        }
        None => None,
    };

    let api_config = ApiConfig {
        source: source_section
            .as_ref()
            .map_or_else(String::new, |s| s.name.clone()),
        stale_after: config.api.stale_after,
    };
    let state = if source.is_some() {
        ApiState::with_others(Arc::clone(&store), Arc::clone(&stats), api_config, others)
    } else {
        ApiState::others_only(Arc::clone(&store), api_config, others)
    };
    let (api, mut api_task) = if config.api.threads > 0 {
        let server =
            nocwatch_api::serve_sharded(config.api.listen, config.api.threads, state, &stop_rx)
                .await
                .with_context(|| format!("API: cannot listen on {}", config.api.listen))?;
        let api = server.local_addr();
        (
            api,
            tokio::spawn(async move { server.wait().await.context("API") }),
        )
    } else {
        let listener = TcpListener::bind(config.api.listen)
            .await
            .with_context(|| format!("API: cannot listen on {}", config.api.listen))?;
        let api = listener.local_addr()?;
        let stop = stopped(&stop_rx);
        (
            api,
            tokio::spawn(async move {
                nocwatch_api::serve(listener, state, stop)
                    .await
                    .context("API")
            }),
        )
    };
    let source_task = source.map(|s| tokio::spawn(s.run(stopped(&stop_rx))));
    let snmp_task = snmp_source.map(|(s, _, _)| tokio::spawn(s.run(stopped(&stop_rx))));

    println!(
        "nocwatch {} (Ctrl-C to stop)",
        if config.producer.is_some() {
            "lab running"
        } else {
            "running"
        }
    );
    if source_section.is_some() {
        println!(
            "  API       http://{api}/telemetry/GetMetric?switch_id=SW-05&metric_name=Latency_Avg_uSec"
        );
    } else {
        println!("  API       http://{api}/telemetry/GetMetric?switch_id=..&metric_name=..");
    }
    println!(
        "            http://{api}/telemetry/ListMetrics   http://{api}/health   http://{api}/metrics   http://{api}/openapi.json"
    );
    for line in &banner {
        println!("{line}");
    }
    if let Some(r) = snmp_example {
        println!(
            "  try       curl 'http://{api}/telemetry/GetMetric?switch_id={r}&metric_name=ifHCInOctets.1'"
        );
        println!(
            "            curl 'http://{api}/telemetry/ListMetrics?switch_id={r}'   (rates: ifHCInOctets.1.per_second, from the second cycle)"
        );
    }
    crate::ready::emit_run!(api, config, source_section, fleet);

    let reason = tokio::select! {
        s = shutdown.wait() => s.to_owned(),
        r = &mut api_task => format!("API stopped: {}", match r {
            Ok(Ok(())) => "no error".to_owned(),
            Ok(Err(e)) => format!("{e:#}"),
            Err(e) => e.to_string(),
        }),
    };
    tracing::info!(message = "Shutting down.", %reason);
    eprintln!("nocwatch: {reason}, shutting down");
    let _ = stop_tx.send(true);
    let drain = async {
        if let Some(t) = source_task {
            let _ = t.await;
        }
        if let Some(t) = snmp_task {
            let _ = t.await;
        }
        // When the API task ended the select above it was already awaited.
        if !api_task.is_finished()
            && let Ok(Err(e)) = (&mut api_task).await
        {
            tracing::warn!(message = "API error at shutdown.", error = %e);
        }
        for t in tasks {
            if let Ok(Err(e)) = t.await {
                tracing::warn!(message = "Producer error at shutdown.", error = %e);
            }
        }
    };
    if let Some(f) = fleet {
        // Joins the simulator's workers (they wake every 100 ms).
        let _ = tokio::task::spawn_blocking(move || f.stop()).await;
    }
    if tokio::time::timeout(DRAIN, drain).await.is_err() {
        tracing::warn!(
            message = "Requests still in flight after the drain period; exiting anyway."
        );
    }
    if reason.starts_with("API stopped") {
        anyhow::bail!("{reason}");
    }
    Ok(())
}

/// The SNMP poller's figures in `/health` and `/metrics`, beside the CSV
/// source's.
#[derive(Debug)]
struct SnmpReport(Arc<nocwatch_poller::SnmpStats>);

impl nocwatch_api::SourceReport for SnmpReport {
    fn health(&self) -> serde_json::Value {
        self.0.health()
    }

    fn write_prometheus(&self, out: &mut String) {
        self.0.write_prometheus(out);
    }
}

/// Serves the lab's simulated SNMP devices on consecutive loopback addresses
/// (every 127/8 address is local on Linux, so no root is needed). Port 0 picks
/// a free UDP port: probed on the wildcard address, then bound by the server; a
/// port taken in between is retried with another.
fn start_fleet(sim: &config::SnmpSimSection) -> anyhow::Result<nocwatch_sim::FleetServer> {
    use nocwatch_sim::{Access, Community, Fleet, FleetConfig, FleetServer, Layout};
    let mut fc = FleetConfig {
        count: sim.devices,
        interfaces: sim.interfaces,
        ..FleetConfig::default()
    };
    fc.agent.communities = vec![Community::new(sim.community.as_bytes(), Access::ReadOnly)];
    let fleet = Arc::new(Fleet::build(&fc)?);
    let mut last_error = None;
    for _ in 0..5 {
        let port = if sim.port == 0 {
            std::net::UdpSocket::bind(("0.0.0.0", 0))?
                .local_addr()?
                .port()
        } else {
            sim.port
        };
        let layout = Layout::Addresses {
            base: sim.base,
            port,
        };
        match FleetServer::start(Arc::clone(&fleet), layout, 1) {
            Ok(s) => return Ok(s),
            Err(e) if sim.port == 0 => last_error = Some(e),
            Err(e) => return Err(e).with_context(|| format!("port {port}")),
        }
    }
    Err(last_error.map_or_else(|| anyhow::anyhow!("no free port"), anyhow::Error::from))
}
