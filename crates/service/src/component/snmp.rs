//! The SNMP side: the lab's simulated devices (`[snmp_sim]`) and the SNMP poll
//! source (`[snmp]`).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use nocwatch_api::SourceReport;
use nocwatch_poller::{SnmpConfig, SnmpReloader, SnmpSource, SnmpStats, SnmpTargets, StoreSink};
use nocwatch_sim::{SnmpSim, SnmpSimConfig};
use tokio::sync::watch;

use crate::ServiceError;
use crate::config::Config;
use crate::shared::Shared;
use crate::supervisor::{BoxFuture, Component, Faults, Running, StopReport};

/// The lab's devices, built from `[snmp_sim]`. With no `trap_targets`, they
/// send their traps to the service's own trap intake.
#[derive(Debug)]
pub struct SimComponent {
    section: SnmpSimConfig,
    shared: Arc<Shared>,
}

impl SimComponent {
    /// Builds it.
    pub fn new(section: &SnmpSimConfig, shared: &Arc<Shared>) -> Self {
        Self {
            section: section.clone(),
            shared: Arc::clone(shared),
        }
    }
}

/// A listener's address as a sender reaches it (a wildcard becomes loopback).
fn reachable(a: SocketAddr) -> Option<SocketAddr> {
    match a {
        SocketAddr::V4(v4) if v4.ip().is_unspecified() => {
            Some(SocketAddr::from((Ipv4Addr::LOCALHOST, v4.port())))
        }
        SocketAddr::V4(_) => Some(a),
        SocketAddr::V6(_) => None,
    }
}

struct SimRunning {
    sim: Option<SnmpSim>,
    section: SnmpSimConfig,
    addrs: Vec<SocketAddr>,
}

impl Component<Config> for SimComponent {
    fn name(&self) -> String {
        "snmp_sim".to_owned()
    }

    fn start(
        self: Box<Self>,
        _faults: Faults,
    ) -> BoxFuture<'static, Result<Box<dyn Running<Config>>, ServiceError>> {
        Box::pin(async move {
            let mut section = self.section.clone();
            if section.trap_targets.is_empty() {
                section.trap_targets = self
                    .shared
                    .addrs()
                    .traps
                    .into_iter()
                    .filter_map(reachable)
                    .take(1)
                    .collect();
            }
            let s2 = section.clone();
            let sim = tokio::task::spawn_blocking(move || SnmpSim::start(&s2))
                .await
                .map_err(|e| ServiceError::start("snmp_sim", e))?
                .map_err(|e| ServiceError::start("snmp_sim", e))?;
            let addrs = sim.addresses();
            self.shared.set_addrs(|a| a.devices.clone_from(&addrs));
            Ok(Box::new(SimRunning {
                sim: Some(sim),
                section,
                addrs,
            }) as Box<dyn Running<Config>>)
        })
    }
}

impl Running<Config> for SimRunning {
    fn name(&self) -> &str {
        "snmp_sim"
    }

    fn banner(&self) -> Vec<String> {
        let s = &self.section;
        let fmt = nocwatch_model::duration::format_duration;
        let first = self
            .addrs
            .first()
            .map(|a| a.ip().to_string())
            .unwrap_or_default();
        let last = self
            .addrs
            .last()
            .map(|a| a.ip().to_string())
            .unwrap_or_default();
        let port = self.addrs.first().map_or(0, SocketAddr::port);
        vec![
            format!(
                "  devices   {} simulated SNMP devices {first}-{last} port {port} (v2c community {:?}, {} interfaces each)",
                s.devices, s.community, s.interfaces
            ),
            format!(
                "            each flaps an interface every {} and restarts every {} on average; traps to {}",
                fmt(s.flap_interval),
                fmt(s.restart_interval),
                if s.trap_targets.is_empty() {
                    "nowhere".to_owned()
                } else {
                    s.trap_targets
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        ]
    }

    fn ready(&self) -> Vec<(String, serde_json::Value)> {
        vec![(
            "snmp_sim".to_owned(),
            self.addrs
                .iter()
                .map(|a| serde_json::Value::from(a.to_string()))
                .collect::<Vec<_>>()
                .into(),
        )]
    }

    fn stop(mut self: Box<Self>, _deadline: Instant) -> BoxFuture<'static, StopReport> {
        let sim = self.sim.take();
        Box::pin(async move {
            if let Some(sim) = sim {
                let _ = tokio::task::spawn_blocking(move || sim.stop()).await;
            }
            StopReport::clean("snmp_sim")
        })
    }
}

/// The SNMP poll source, built from `[snmp]` (with no targets: the lab's
/// devices).
#[derive(Debug)]
pub struct SnmpComponent {
    section: SnmpConfig,
    shared: Arc<Shared>,
}

impl SnmpComponent {
    /// Builds it.
    pub fn new(section: &SnmpConfig, shared: &Arc<Shared>) -> Self {
        Self {
            section: section.clone(),
            shared: Arc::clone(shared),
        }
    }
}

/// The targets a section names (or the lab's devices when it names none), and
/// the port resources are named with.
fn targets(section: &SnmpConfig, shared: &Shared) -> Result<(SnmpConfig, Vec<SocketAddr>), String> {
    let mut section = section.clone();
    if section.targets.is_empty() {
        let devices = shared.addrs().devices;
        if let Some(first) = devices.first() {
            section.port = first.port();
        }
        Ok((section, devices))
    } else {
        let t = nocwatch_poller::parse_targets(&section.targets, section.port)
            .map_err(|e| e.to_string())?;
        Ok((section, t))
    }
}

/// The poller's figures in `/health` and `/metrics`.
#[derive(Debug)]
struct SnmpReport(Arc<SnmpStats>);

impl SourceReport for SnmpReport {
    fn health(&self) -> serde_json::Value {
        self.0.health()
    }

    fn write_prometheus(&self, out: &mut String) {
        self.0.write_prometheus(out);
    }
}

struct SnmpRunning {
    name: String,
    banner: Vec<String>,
    reloader: SnmpReloader,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Component<Config> for SnmpComponent {
    fn name(&self) -> String {
        format!("snmp {}", self.section.name)
    }

    fn start(
        self: Box<Self>,
        _faults: Faults,
    ) -> BoxFuture<'static, Result<Box<dyn Running<Config>>, ServiceError>> {
        Box::pin(async move {
            let err = |e: &dyn std::fmt::Display| ServiceError::start("snmp", e);
            let (section, targets) = targets(&self.section, &self.shared).map_err(|e| err(&e))?;
            if targets.is_empty() {
                return Err(err(&"no targets (and no [snmp_sim] devices)"));
            }
            let credentials = section
                .credentials(nocwatch_snmp::parse_create_user)
                .map_err(|e| err(&e))?;
            let sink = StoreSink::new(Arc::clone(&self.shared.store), section.name.as_str());
            let source = SnmpSource::start(&section, credentials, &targets, sink)
                .await
                .map_err(|e| err(&e))?;
            self.shared
                .add_report(Arc::new(SnmpReport(Arc::clone(source.stats()))));
            let reloader = source.reloader();
            if let Some(r) = targets
                .first()
                .map(|a| nocwatch_poller::resource_name(*a, section.port))
            {
                self.shared.set_addrs(|a| a.snmp_example = Some(r));
            }
            let banner = vec![format!(
                "  snmp      {} polls {} targets every {:?} (timeout {:?}, {} retries, {} subtrees)",
                section.name,
                targets.len(),
                section.interval,
                section.timeout,
                section.retries,
                section.walks.len()
            )];
            let (stop, mut rx) = watch::channel(false);
            let task = tokio::spawn(source.run(async move {
                let _ = rx.wait_for(|s| *s).await;
            }));
            Ok(Box::new(SnmpRunning {
                name: section.name.clone(),
                banner,
                reloader,
                shared: Arc::clone(&self.shared),
                stop,
                task: Mutex::new(Some(task)),
            }) as Box<dyn Running<Config>>)
        })
    }
}

impl Running<Config> for SnmpRunning {
    fn name(&self) -> &str {
        "snmp"
    }

    fn banner(&self) -> Vec<String> {
        self.banner.clone()
    }

    fn reload(&self, new: &Config) -> Result<Option<serde_json::Value>, String> {
        let Some(section) = &new.snmp else {
            return Err("[snmp] was removed: a restart is needed".to_owned());
        };
        if section.name != self.name {
            return Err("snmp.name changed: a restart is needed".to_owned());
        }
        let (section, targets) = targets(section, &self.shared)?;
        let credentials = section
            .credentials(nocwatch_snmp::parse_create_user)
            .map_err(|e| e.to_string())?;
        let n = targets.len();
        self.reloader.reload(SnmpTargets {
            config: section,
            credentials,
            targets,
        });
        Ok(Some(serde_json::json!({ "targets": n })))
    }

    fn stop(self: Box<Self>, deadline: Instant) -> BoxFuture<'static, StopReport> {
        Box::pin(async move {
            let _ = self.stop.send(true);
            let task = self
                .task
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            let left = deadline.saturating_duration_since(Instant::now());
            let clean = match task {
                Some(t) => matches!(tokio::time::timeout(left, t).await, Ok(Ok(()))),
                None => true,
            };
            StopReport {
                component: "snmp".to_owned(),
                clean,
                detail: String::new(),
            }
        })
    }
}
