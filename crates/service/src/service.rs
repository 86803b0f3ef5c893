//! The service's life: build every component from the configuration, start them
//! under the [`Supervisor`], then wait for SIGTERM / SIGINT (drain and stop),
//! SIGHUP or `POST /admin/reload` (re-read the configuration file and hand it to
//! every component), or a component's fault (stop, exit non-zero).
//!
//! Signal handlers are installed before the components start, so from the ready
//! line on, SIGTERM means a clean stop.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, oneshot};

use crate::config::Config;
use crate::shared::Shared;
use crate::supervisor::{StopReport, Supervisor};
use crate::{ServiceError, build};

/// Where a reload reads the configuration from: the file it was started with
/// (then `overrides`, the command line's, are applied again), or the lab's
/// built-in one.
pub struct ConfigSource {
    /// The file, if any.
    pub path: Option<PathBuf>,
    /// Applied after every read (command-line overrides).
    pub overrides: Box<dyn Fn(&mut Config) + Send + Sync>,
    /// The configuration without a file (the lab).
    pub fallback: Config,
}

impl std::fmt::Debug for ConfigSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigSource")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl ConfigSource {
    /// Reads, overrides and checks the configuration.
    ///
    /// # Errors
    ///
    /// The problems found; nothing is applied then.
    pub fn read(&self) -> Result<Config, String> {
        let mut c = match &self.path {
            Some(p) => Config::load(p)?,
            None => self.fallback.clone(),
        };
        (self.overrides)(&mut c);
        c.check()?;
        Ok(c)
    }
}

type ReloadRequest = oneshot::Sender<Result<serde_json::Value, String>>;

/// Reload requests from the API wait here (the API thread blocks on the answer).
const RELOAD_QUEUE: usize = 4;

/// A started service.
#[derive(Debug)]
pub struct Service {
    supervisor: Supervisor<Config>,
    reloads: mpsc::Receiver<ReloadRequest>,
    source: ConfigSource,
    shared: Arc<Shared>,
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
    hup: tokio::signal::unix::Signal,
}

/// How the service ended.
#[derive(Debug)]
pub struct Ended {
    /// Why it stopped (`SIGTERM`, `SIGINT`, or the fault).
    pub reason: String,
    /// A component's fault, if that was the reason.
    pub fault: Option<ServiceError>,
    /// How each component stopped, in stop order.
    pub reports: Vec<StopReport>,
}

impl Service {
    /// Builds and starts everything `config` describes.
    ///
    /// # Errors
    ///
    /// A signal handler could not be installed, or a component failed to start
    /// (the others are stopped again).
    pub async fn start(config: Config, source: ConfigSource) -> Result<Self, ServiceError> {
        let term = signal(SignalKind::terminate())?;
        let int = signal(SignalKind::interrupt())?;
        let hup = signal(SignalKind::hangup())?;
        let (tx, reloads) = mpsc::channel::<ReloadRequest>(RELOAD_QUEUE);
        let hook: nocwatch_api::ReloadHook = Arc::new(move || {
            let (reply, answer) = oneshot::channel();
            tx.try_send(reply)
                .map_err(|_| "a reload is already queued".to_owned())?;
            answer
                .blocking_recv()
                .map_err(|_| "the service is stopping".to_owned())?
        });
        let (shared, components) = build::components(&config, Some(hook))?;
        let supervisor = Supervisor::start(components, config.service.drain).await?;
        Ok(Self {
            supervisor,
            reloads,
            source,
            shared,
            term,
            int,
            hup,
        })
    }

    /// The "where to look" lines.
    pub fn banner(&self) -> Vec<String> {
        self.supervisor.banner()
    }

    /// The ready line's fields (bound addresses).
    pub fn ready(&self) -> serde_json::Value {
        self.supervisor.ready()
    }

    /// What the components share (the store, the event log).
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Re-reads the configuration and hands it to every component.
    ///
    /// # Errors
    ///
    /// The configuration is invalid (nothing changed), or components refused.
    pub fn reload(&self) -> Result<serde_json::Value, String> {
        let new = self.source.read()?;
        self.supervisor.reload(&new)
    }

    /// Stops every component now (what a stop signal does), for embedding and
    /// tests.
    pub async fn stop(mut self) -> Ended {
        let reports = self.supervisor.stop().await;
        Ended {
            reason: "stop requested".to_owned(),
            fault: None,
            reports,
        }
    }

    /// Runs until a stop signal or a fault, then stops every component.
    pub async fn run(mut self) -> Ended {
        let (reason, fault) = loop {
            tokio::select! {
                _ = self.term.recv() => break ("SIGTERM".to_owned(), None),
                _ = self.int.recv() => break ("SIGINT".to_owned(), None),
                _ = self.hup.recv() => match self.reload() {
                    Ok(report) => tracing::info!(%report, "reloaded on SIGHUP"),
                    Err(e) => tracing::error!(error = %e, "reload on SIGHUP refused; running configuration unchanged"),
                },
                Some(reply) = self.reloads.recv() => {
                    let r = self.reload();
                    if let Err(e) = &r {
                        tracing::error!(error = %e, "reload through the API refused");
                    }
                    let _ = reply.send(r);
                }
                e = self.supervisor.fault() => break (e.to_string(), Some(e)),
            }
        };
        tracing::info!(%reason, "shutting down");
        let reports = self.supervisor.stop().await;
        Ended {
            reason,
            fault,
            reports,
        }
    }
}
