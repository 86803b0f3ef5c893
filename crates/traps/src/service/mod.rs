//! The trap service: sockets, intake, the pipeline thread and the engine identity
//! around a [`Pipeline`], as one component that `nocwatch run` hosts beside the
//! others and that `nocwatch trap listen` runs alone.
//!
//! ```no_run
//! use nocwatch_traps::service::{TrapService, TrapsConfig};
//! use nocwatch_traps::sink::{FanOut, JsonLines};
//!
//! # fn main() -> Result<(), nocwatch_traps::Error> {
//! let config: TrapsConfig = toml::from_str("listen = [\"127.0.0.1:1162\"]").unwrap();
//! let sink = FanOut::new(vec![Box::new(JsonLines::new(Box::new(std::io::stdout())))]);
//! let service = TrapService::start(&config, Box::new(sink))?;
//! println!("{:?}", service.local_addrs());
//! let text = service.metrics_text()?;            // Prometheus, nocwatch_trap_*
//! let health = service.stats();                  // counters, queue depths
//! service.reload(&config)?;                      // rules, users, communities
//! let report = service.stop()?;                  // drains by drain_timeout
//! # let _ = (text, health, report); Ok(()) }
//! ```
//!
//! # Threads
//!
//! - One **reader** per socket (`trap-rx-N`, [`nocwatch_net::Listener`]):
//!   recvmmsg batches, each datagram queued under its source in the intake. Readers
//!   never wait on the pipeline.
//! - One **pipeline thread** (`trap-pipeline`): takes datagrams
//!   round-robin by source, runs the [`Pipeline`] (decode → journal → classify →
//!   limiter → dedup → sink), sends Reports and inform Responses, and runs the
//!   handle's commands (metrics, reload, stop) between passes.
//! - One **sink thread** (`trap-sink`): formats and writes the outputs (JSON
//!   lines, text, the API's event log) from copies of the events, in order (see
//!   [`crate::SinkThread`]).
//! - The journal's own **fsync thread** (see [`crate::journal`]).
//! - The caller's threads only talk to the pipeline thread through a channel and
//!   read a published copy of the counters: nothing they do blocks intake.
//!
//! # When full
//!
//! - Kernel socket buffer (`rcvbuf`): the kernel drops; counted per socket
//!   (`nocwatch_trap_socket_kernel_drops_total`).
//! - Intake (16,384 datagrams per source, 262,144 in all): the new datagram is
//!   dropped and counted by reason and source (`nocwatch_trap_intake_drops_total`);
//!   only a source that outruns the whole pipeline loses datagrams there.
//! - Fair queue, dedup cache, journal, pending acks: see [`crate::limiter`],
//!   [`crate::dedup`], [`crate::journal`] and [`crate::PipelineConfig`].
//! - Sinks: called on the sink thread, behind at most 16 passes' batches; a sink
//!   that blocks then holds the pipeline (and then the intake fills). A sink towards a slower consumer (the API's event
//!   log, a network) must hold its own bounded buffer and drop there, counted.
//!
//! # Reload
//!
//! [`TrapService::reload`] reads the rules file, the users and the communities on
//! the caller's thread (a mistake is an error and changes nothing), then the
//! pipeline thread swaps them between two passes. Readers keep queueing
//! meanwhile, so no datagram is lost; datagrams ingested after the swap are
//! decoded and classified with the new ones. Other fields need a restart: the
//! report names those that differ.

pub mod config;
mod driver;
pub mod engine;
mod intake;
mod sockets;
pub mod users;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use nocwatch_net::{ListenSocket, Listener, ListenerConfig, RecvBuffers, SocketStats};
use nocwatch_snmp::receiver::ReceiverConfig;

pub use self::config::TrapsConfig;
use self::driver::{Command, Driver, Published, Swap};
pub use self::engine::EngineIdentity;
use self::intake::Intake;
pub use self::intake::IntakeStats;
pub use self::users::{parse_create_user, parse_engine_id, parse_users_file, split_words};
use crate::error::Error;
use crate::journal::JournalConfig;
use crate::pipeline::{DrainReport, Pipeline, PipelineConfig, PipelineStats};
use crate::sink::EventSink;
use crate::writer::SinkThread;

/// Intake bounds: per source, and in total (see [`intake`]).
const INTAKE_PER_SOURCE: usize = 16_384;
const INTAKE_TOTAL: usize = 262_144;

/// Events processed per [`Pipeline::poll`] between two intakes: the thread that
/// processes also ingests, so one long poll (65,536 events by default) would hold
/// every new datagram, quiet sources' included, in the intake meanwhile.
const PROCESS_BUDGET: usize = 1024;
/// Passes' batches of events waiting for the sink thread at most (up to
/// [`PROCESS_BUDGET`] events each); then the pipeline thread waits for it.
const SINK_DEPTH: usize = 16;

/// How long a caller waits for the pipeline thread to answer a command.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// The service's health: a copy of the counters as of the last pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceStats {
    /// The pipeline's counters.
    pub pipeline: PipelineStats,
    /// Events waiting in the pipeline (fair queue and replay backlog).
    pub queued: usize,
    /// Inform acks waiting for their journal sync.
    pub pending_acks: usize,
    /// The intake between readers and pipeline thread.
    pub intake: IntakeStats,
    /// Every socket's counters summed.
    pub sockets: SocketStats,
    /// Passes the pipeline thread has made (grows while it is alive).
    pub passes: u64,
    /// Whether the pipeline thread is running.
    pub running: bool,
}

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReloadReport {
    /// Rules now in use.
    pub rules: usize,
    /// SNMPv3 users now accepted.
    pub users: usize,
    /// Communities now accepted (`None`: any).
    pub communities: Option<usize>,
    /// Changed fields a reload does not apply (they need a restart).
    pub restart_needed: Vec<&'static str>,
}

/// Renders the service's Prometheus text from any thread (cheap to clone; an HTTP
/// handler keeps one).
#[derive(Debug, Clone)]
pub struct MetricsHandle {
    commands: Sender<Command>,
    listener: Arc<Listener>,
    intake: Arc<Intake>,
}

impl MetricsHandle {
    /// The pipeline's metrics (asked of the pipeline thread, blocking up to 10 s),
    /// then the sockets' and the intake's. If the pipeline thread does not answer,
    /// the sockets' and intake's alone, and an error is logged.
    pub fn render(&self) -> String {
        let mut text = ask(&self.commands, &self.intake, Command::Metrics).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "trap pipeline metrics unavailable");
            String::new()
        });
        sockets::render(&mut text, &self.listener, &self.intake);
        text
    }
}

/// Sends a command built around a reply channel, wakes the thread, waits.
fn ask<T>(
    commands: &Sender<Command>,
    intake: &Intake,
    make: impl FnOnce(std::sync::mpsc::SyncSender<T>) -> Command,
) -> Result<T, Error> {
    let (tx, rx) = sync_channel(1);
    commands.send(make(tx)).map_err(|_| Error::Stopped)?;
    intake.wake();
    rx.recv_timeout(COMMAND_TIMEOUT).map_err(|_| Error::Stopped)
}

/// The running trap service. See the module docs. `Send + Sync`: a supervisor and
/// API handlers can share it in an `Arc` (every method takes `&self`). Dropping it
/// stops it as [`TrapService::stop`] does.
///
/// [`TrapService::reload`], [`TrapService::metrics_text`] and
/// [`TrapService::stop`] block (on the pipeline thread's answer, on the drain):
/// from async code call them through `spawn_blocking`.
#[derive(Debug)]
pub struct TrapService {
    listener: Arc<Listener>,
    intake: Arc<Intake>,
    stop: Arc<AtomicBool>,
    readers: Mutex<Vec<JoinHandle<()>>>,
    pipeline: Mutex<Option<JoinHandle<Result<DrainReport, Error>>>>,
    commands: Sender<Command>,
    published: Arc<Mutex<Published>>,
    identity: EngineIdentity,
    config: Mutex<TrapsConfig>,
}

impl TrapService {
    /// Starts the service: loads the engine identity (one more boot), opens the
    /// pipeline (replaying what the journal holds unprocessed), binds the sockets
    /// and starts the threads. Events leave through `sink`.
    pub fn start(config: &TrapsConfig, sink: Box<dyn EventSink>) -> Result<Self, Error> {
        Self::start_with(config, |_| sink)
    }

    /// [`TrapService::start`] with the sink built once the sockets are bound, from
    /// their addresses (net-snmp's text output names the receiving address).
    pub fn start_with<F>(config: &TrapsConfig, make_sink: F) -> Result<Self, Error>
    where
        F: FnOnce(&[SocketAddr]) -> Box<dyn EventSink>,
    {
        config.limits()?;
        let (addrs, optional_v6) = config.listen_addrs()?;
        let creds = config.credentials()?;
        let configured_id = config.engine_id()?;
        let identity = EngineIdentity::load(
            config.state_path().as_deref(),
            configured_id.as_deref(),
            config.journal.as_deref(),
        )?;
        let now = Instant::now();
        let mut pc = PipelineConfig::new(identity.engine(now), creds.rules);
        pc.receiver = ReceiverConfig {
            communities: creds.communities,
            users: creds.users,
            salt_seed: u64::from(std::process::id()) << 32
                ^ SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64),
            ..ReceiverConfig::default()
        };
        pc.source_from_trap_address = config.source_from_trap_address;
        pc.process_budget = PROCESS_BUDGET;
        pc.limiter.rate = config.rate_limit;
        pc.limiter.burst = config.rate_burst;
        pc.dedup.window = config.dedup_window;
        pc.ring_capacity = config.recent_events;
        match &config.journal {
            Some(dir) => {
                let mut j = JournalConfig::new(dir);
                j.sync_interval = config.journal_sync;
                pc.journal = Some(j);
            }
            None => tracing::warn!(
                "no trap journal: events are held in memory only (a crash loses what is \
                 queued) and informs are answered without waiting for disk"
            ),
        }
        // Opening replays what a previous run accepted but did not finish.
        let mut pipeline = Pipeline::open(pc, now)?;
        let listener = Arc::new(bind(config, addrs, optional_v6)?);
        // The outputs format and write on their own thread (see crate::writer).
        pipeline.set_event_sink(Box::new(SinkThread::spawn(
            make_sink(&listener.local_addrs()),
            SINK_DEPTH,
            "trap-sink",
        )?));

        let stop = Arc::new(AtomicBool::new(false));
        let intake = Arc::new(Intake::new(INTAKE_PER_SOURCE, INTAKE_TOTAL));
        let (commands, rx) = std::sync::mpsc::channel();
        let published = Arc::new(Mutex::new(Published::default()));
        let driver = Driver {
            intake: Arc::clone(&intake),
            commands: rx,
            listener: Arc::clone(&listener),
            published: Arc::clone(&published),
            drain: config.drain_timeout,
        };
        let pipeline = std::thread::Builder::new()
            .name("trap-pipeline".into())
            .spawn(move || driver.run(pipeline))
            .map_err(|source| Error::Io {
                what: "starting the trap pipeline thread".into(),
                source,
            })?;
        let readers = listener.spawn(&stop, |_socket| {
            let intake = Arc::clone(&intake);
            move |s: &ListenSocket, bufs: &RecvBuffers| intake.push(bufs, s.local_addr())
        });
        let readers = match readers {
            Ok(r) => r,
            Err(source) => {
                intake.close();
                let _ = pipeline.join();
                return Err(Error::Io {
                    what: "starting the trap socket readers".into(),
                    source,
                });
            }
        };
        tracing::info!(
            addrs = ?listener.local_addrs(),
            sockets = listener.sockets().len(),
            boots = identity.boots,
            "trap service started"
        );
        Ok(Self {
            listener,
            intake,
            stop,
            readers: Mutex::new(readers),
            pipeline: Mutex::new(Some(pipeline)),
            commands,
            published,
            identity,
            config: Mutex::new(config.clone()),
        })
    }

    /// The bound addresses (a port 0 in the config resolved).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listener.local_addrs()
    }

    /// How many sockets (addresses × shards).
    pub fn socket_count(&self) -> usize {
        self.listener.sockets().len()
    }

    /// The engine identity of this run.
    pub fn engine(&self) -> &EngineIdentity {
        &self.identity
    }

    /// A handle that renders the metrics from any thread.
    pub fn metrics(&self) -> MetricsHandle {
        MetricsHandle {
            commands: self.commands.clone(),
            listener: Arc::clone(&self.listener),
            intake: Arc::clone(&self.intake),
        }
    }

    /// The Prometheus text now (see [`MetricsHandle::render`]); an error if the
    /// pipeline thread does not answer.
    pub fn metrics_text(&self) -> Result<String, Error> {
        let mut text = ask(&self.commands, &self.intake, Command::Metrics)?;
        sockets::render(&mut text, &self.listener, &self.intake);
        Ok(text)
    }

    /// The counters as of the pipeline thread's last pass (never blocks on it).
    pub fn stats(&self) -> ServiceStats {
        let p = *self
            .published
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        ServiceStats {
            pipeline: p.pipeline,
            queued: p.queued,
            pending_acks: p.pending_acks,
            intake: self.intake.stats(),
            sockets: self.listener.stats(),
            passes: p.passes,
            running: lock(&self.pipeline)
                .as_ref()
                .is_some_and(|h| !h.is_finished()),
        }
    }

    /// Swaps rules, users and communities for those of `config` without dropping a
    /// datagram (see the module docs). On an error nothing changes.
    pub fn reload(&self, config: &TrapsConfig) -> Result<ReloadReport, Error> {
        let creds = config.credentials()?;
        let report = ReloadReport {
            rules: creds.rules.len(),
            users: creds.users.len(),
            communities: creds.communities.as_ref().map(Vec::len),
            restart_needed: self.current_config().restart_needed(config),
        };
        let swap = Box::new(Swap {
            rules: creds.rules,
            communities: creds.communities,
            users: creds.users,
        });
        ask(&self.commands, &self.intake, |tx| Command::Reload(swap, tx))??;
        let mut current = self
            .config
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        current.rules.clone_from(&config.rules);
        current.users.clone_from(&config.users);
        current.users_file.clone_from(&config.users_file);
        current.communities.clone_from(&config.communities);
        drop(current);
        if !report.restart_needed.is_empty() {
            tracing::warn!(
                fields = ?report.restart_needed,
                "trap settings changed that only a restart applies"
            );
        }
        tracing::info!(
            rules = report.rules,
            users = report.users,
            "trap rules, users and communities reloaded"
        );
        Ok(report)
    }

    fn current_config(&self) -> TrapsConfig {
        self.config
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Stops reading, hands what the intake holds to the pipeline and drains it to
    /// the journal and the sink by the drain timeout (blocking). Events not
    /// processed by then stay in the journal and are replayed on the next start.
    /// A second call returns [`Error::Stopped`].
    pub fn stop(&self) -> Result<DrainReport, Error> {
        let Some(pipeline) = lock(&self.pipeline).take() else {
            return Err(Error::Stopped);
        };
        let drain = self.current_config().drain_timeout;
        let _ = self
            .commands
            .send(Command::Deadline(Instant::now() + drain));
        self.stop.store(true, Ordering::Relaxed);
        let readers = std::mem::take(&mut *lock(&self.readers));
        for r in readers {
            let _ = r.join();
        }
        self.intake.close();
        match pipeline.join() {
            Ok(report) => report,
            Err(_) => Err(Error::Stopped),
        }
    }
}

impl Drop for TrapService {
    fn drop(&mut self) {
        // The guard must be gone before `stop` locks again.
        let running = lock(&self.pipeline).is_some();
        if running && let Err(e) = self.stop() {
            tracing::error!(error = %e, "trap service drain failed");
        }
    }
}

/// A poisoned lock only means a thread panicked holding it; the value is whole.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Binds every address; with the default addresses, a missing IPv6 stack only
/// costs a warning.
fn bind(
    config: &TrapsConfig,
    addrs: Vec<SocketAddr>,
    optional_v6: bool,
) -> Result<Listener, Error> {
    let mut lc = ListenerConfig {
        addrs,
        sockets_per_addr: config.sockets,
        recv_buffer: config.rcvbuf,
        ..ListenerConfig::default()
    };
    match Listener::bind(lc.clone()) {
        Ok(l) => Ok(l),
        Err(e) if optional_v6 => {
            tracing::warn!(error = %e, "cannot listen on IPv6; IPv4 only");
            lc.addrs.retain(SocketAddr::is_ipv4);
            Ok(Listener::bind(lc)?)
        }
        Err(e) => Err(e.into()),
    }
}
