//! [`SnmpSim`]: simulated devices as a running component: a served fleet whose
//! devices live (flaps, restarts) and send traps about it.
//!
//! This is what `nocwatch run`'s lab starts from its `[snmp_sim]` section
//! ([`SnmpSimConfig`], [`SnmpSim::start`]) and what `nocwatch sim agents` runs
//! ([`SnmpSim::serve`]). It puts together the pieces that must share one clock:
//! the [`FleetServer`] answering requests at `clock.now()`, and the driver moving
//! the devices' life ([`Dynamics`]) to the same `now` and sending each change as a
//! trap ([`TrapSender`]) from the device's own address. With a real-time clock a
//! driver thread does that on its own, waking at the next change (at least every
//! 100 ms); with a [`crate::ManualClock`] nothing moves until the caller sets the
//! clock and calls [`SnmpSim::step`], so tests need no sleep.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Deserialize;
use tracing::{debug, info, warn};

use crate::agent::{Access, Community};
use crate::clock::{Clock, SystemClock};
use crate::error::SimError;
use crate::fleet::{Fleet, FleetConfig};
use crate::fleet_server::{FleetServer, Layout, ServerStats};
use crate::life::{ChangeKind, Dynamics, LifeConfig, LifeStats, Notification};
use crate::notify::{TrapSender, TrapStats};
use crate::stats::AgentStats;

/// The longest the driver sleeps between two looks at the clock.
const DRIVER_TICK: Duration = Duration::from_millis(100);

/// Attempts at a free port when `port = 0` (probed, then bound by the server; a
/// port taken in between is retried with another).
const PORT_ATTEMPTS: usize = 5;

/// The `[snmp_sim]` section: the lab's simulated SNMP devices. Every field is
/// optional; the defaults make a lab of 20 routers on 127.1.0.1-20 in which an
/// event happens every few seconds.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SnmpSimConfig {
    /// Number of devices (default 20), at consecutive addresses from `base`.
    #[serde(default = "default_devices")]
    pub devices: u32,
    /// The first device's address (default 127.1.0.1: every 127/8 address is
    /// local on Linux, so no setup and no root are needed).
    #[serde(default = "default_base")]
    pub base: Ipv4Addr,
    /// The UDP port every device answers on; 0 (the default) picks a free one.
    #[serde(default)]
    pub port: u16,
    /// Interfaces per device (default 8).
    #[serde(default = "default_interfaces")]
    pub interfaces: u32,
    /// The read-only v2c community the devices answer (default "public").
    #[serde(default = "default_community")]
    pub community: String,
    /// Mean time between two flaps of one device: one of its interfaces goes down
    /// (linkDown) and comes back after `down_for` (linkUp). Default 60s, so 20
    /// devices flap about every 3 seconds; "0s": never.
    #[serde(
        default = "default_flap_interval",
        with = "nocwatch_model::duration::serde_str"
    )]
    pub flap_interval: Duration,
    /// How long a flapped interface stays down (each flap draws 0.5 to 1.5 times
    /// this; default 15s, so a 10 s poll sees most flaps).
    #[serde(
        default = "default_down_for",
        with = "nocwatch_model::duration::serde_str"
    )]
    pub down_for: Duration,
    /// Mean time between two restarts of one device (coldStart, sysUpTime and the
    /// counters from zero). Default 30m (20 devices: one restart every 90 s or
    /// so); "0s": never.
    #[serde(
        default = "default_restart_interval",
        with = "nocwatch_model::duration::serde_str"
    )]
    pub restart_interval: Duration,
    /// Where the devices send their traps (SNMPv2-Trap, v2c), e.g.
    /// `["127.0.0.1:1162"]`; empty (the default): the devices change but send
    /// nothing. IPv4 only; with devices on 127/8 the targets must be on loopback.
    #[serde(default)]
    pub trap_targets: Vec<SocketAddr>,
    /// The community of the traps (default "public").
    #[serde(default = "default_community")]
    pub trap_community: String,
    /// Seeds the changes (default 1): the same seed gives the same flaps and
    /// restarts at the same times.
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn default_devices() -> u32 {
    20
}
fn default_base() -> Ipv4Addr {
    Ipv4Addr::new(127, 1, 0, 1)
}
fn default_interfaces() -> u32 {
    8
}
fn default_community() -> String {
    "public".to_owned()
}
fn default_flap_interval() -> Duration {
    Duration::from_secs(60)
}
fn default_down_for() -> Duration {
    Duration::from_secs(15)
}
fn default_restart_interval() -> Duration {
    Duration::from_secs(30 * 60)
}
fn default_seed() -> u64 {
    1
}

impl Default for SnmpSimConfig {
    fn default() -> Self {
        Self {
            devices: default_devices(),
            base: default_base(),
            port: 0,
            interfaces: default_interfaces(),
            community: default_community(),
            flap_interval: default_flap_interval(),
            down_for: default_down_for(),
            restart_interval: default_restart_interval(),
            trap_targets: Vec::new(),
            trap_community: default_community(),
            seed: default_seed(),
        }
    }
}

impl SnmpSimConfig {
    /// Every problem serde cannot see, one message each (empty: valid).
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !(1..=65_536).contains(&self.devices) {
            p.push("snmp_sim.devices must be in 1..=65536".to_owned());
        } else if u32::from(self.base).checked_add(self.devices - 1).is_none() {
            p.push("snmp_sim.devices do not fit after snmp_sim.base".to_owned());
        }
        if !(1..=1024).contains(&self.interfaces) {
            p.push("snmp_sim.interfaces must be in 1..=1024".to_owned());
        }
        if !self.flap_interval.is_zero() && self.flap_interval < Duration::from_millis(100) {
            p.push("snmp_sim.flap_interval must be 0s (never) or at least 100ms".to_owned());
        }
        if !self.restart_interval.is_zero() && self.restart_interval < Duration::from_secs(1) {
            p.push("snmp_sim.restart_interval must be 0s (never) or at least 1s".to_owned());
        }
        if self.down_for.is_zero() && !self.flap_interval.is_zero() {
            p.push("snmp_sim.down_for must be positive".to_owned());
        }
        for t in &self.trap_targets {
            if !t.is_ipv4() {
                p.push(format!("snmp_sim.trap_targets: {t} is not IPv4"));
            } else if t.port() == 0 {
                p.push(format!("snmp_sim.trap_targets: {t} has no port"));
            }
        }
        p
    }

    /// The devices' life as this section sets it.
    pub fn life(&self) -> LifeConfig {
        LifeConfig {
            flap_interval: self.flap_interval,
            down_for: self.down_for,
            restart_interval: self.restart_interval,
            seed: self.seed,
        }
    }

    /// The fleet this section describes: every family, `community` read-only.
    pub fn fleet_config(&self) -> FleetConfig {
        let mut fc = FleetConfig {
            count: self.devices,
            interfaces: self.interfaces,
            life: Some(self.life()),
            ..FleetConfig::default()
        };
        fc.agent.communities = vec![Community::new(self.community.as_bytes(), Access::ReadOnly)];
        fc
    }
}

/// Where traps go, for [`SnmpSim::serve`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrapTargets {
    /// Targets (IPv4); empty: no trap is sent.
    pub targets: Vec<SocketAddr>,
    /// Community of the traps.
    pub community: String,
}

/// Counters of a running simulation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SimStats {
    /// The devices' request counters, summed.
    pub agents: AgentStats,
    /// The server's own counters.
    pub server: ServerStats,
    /// Changes so far.
    pub life: LifeStats,
    /// Traps sent.
    pub traps: TrapStats,
}

/// The driver's state, shared by its thread and [`SnmpSim::step`].
#[derive(Debug)]
struct Driver {
    dynamics: Dynamics,
    sender: Option<TrapSender>,
    layout: Layout,
}

impl Driver {
    /// Moves every device to `now` and sends the traps due.
    fn step(&mut self, now: Duration) -> Vec<Notification> {
        let notes = self.dynamics.advance(now);
        for n in &notes {
            debug!(device = n.device, at = ?n.change.at, change = ?n.change.kind, "device changed");
            if let Some(sender) = &mut self.sender {
                let from = match self.layout.address(n.device).map(|a| a.ip()) {
                    Some(IpAddr::V4(ip)) if !ip.is_unspecified() => Some(ip),
                    _ => None,
                };
                sender.send(n, from);
            }
        }
        notes
    }
}

/// A served fleet with its life driver; [`SnmpSim::stop`] ends both.
#[derive(Debug)]
pub struct SnmpSim {
    server: Option<FleetServer>,
    driver: Arc<Mutex<Driver>>,
    clock: Arc<dyn Clock>,
    thread: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

impl SnmpSim {
    /// Starts the devices of an `[snmp_sim]` section on real time (a driver
    /// thread moves them).
    pub fn start(config: &SnmpSimConfig) -> Result<Self, SimError> {
        Self::start_with_clock(config, Arc::new(SystemClock::new()))
    }

    /// Starts the devices of an `[snmp_sim]` section on `clock`.
    pub fn start_with_clock(
        config: &SnmpSimConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SimError> {
        let problems = config.problems();
        if !problems.is_empty() {
            return Err(SimError::Config(problems.join("; ")));
        }
        let fleet = Arc::new(Fleet::build(&config.fleet_config())?);
        let traps = TrapTargets {
            targets: config.trap_targets.clone(),
            community: config.trap_community.clone(),
        };
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            let port = match config.port {
                0 => free_udp_port()?,
                p => p,
            };
            let layout = Layout::Addresses {
                base: config.base,
                port,
            };
            match Self::serve(
                Arc::clone(&fleet),
                layout,
                1,
                &traps,
                config.seed,
                Arc::clone(&clock),
            ) {
                Ok(s) => return Ok(s),
                Err(e) if config.port == 0 => last_error = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last_error.unwrap_or_else(|| SimError::Config("no free UDP port".into())))
    }

    /// Serves `fleet` on `layout` with `threads` workers, drives the life of its
    /// devices (those built with one) on `clock`, and sends their traps to `traps`.
    pub fn serve(
        fleet: Arc<Fleet>,
        layout: Layout,
        threads: usize,
        traps: &TrapTargets,
        seed: u64,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SimError> {
        let sender = if traps.targets.is_empty() {
            None
        } else {
            Some(TrapSender::new(
                &traps.targets,
                traps.community.as_bytes(),
                seed,
            )?)
        };
        let server =
            FleetServer::start_with_clock(Arc::clone(&fleet), layout, threads, Arc::clone(&clock))?;
        let mut dynamics = Dynamics::new(fleet);
        // Publish the first changes before anyone can ask.
        let first = dynamics.advance(clock.now());
        let driver = Arc::new(Mutex::new(Driver {
            dynamics,
            sender,
            layout,
        }));
        if !first.is_empty() {
            warn!(
                count = first.len(),
                "changes due before the start were not sent"
            );
        }
        let thread = if clock.is_real_time() {
            let (tx, rx) = mpsc::channel::<()>();
            let d = Arc::clone(&driver);
            let c = Arc::clone(&clock);
            let handle = std::thread::Builder::new()
                .name("sim-life".into())
                .spawn(move || drive(&d, c.as_ref(), &rx))
                .map_err(|source| SimError::Io {
                    op: "starting the device-life thread",
                    source,
                })?;
            Some((tx, handle))
        } else {
            None
        };
        info!(
            ?layout,
            traps = traps.targets.len(),
            "simulated devices live"
        );
        Ok(Self {
            server: Some(server),
            driver,
            clock,
            thread,
        })
    }

    /// Moves the devices to the clock's `now` and sends the traps due; returns
    /// the changes. A driver thread does this on a real-time clock; call it after
    /// moving a [`crate::ManualClock`].
    pub fn step(&self) -> Vec<Notification> {
        let now = self.clock.now();
        self.driver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .step(now)
    }

    /// The fleet served.
    pub fn fleet(&self) -> Option<&Arc<Fleet>> {
        self.server.as_ref().map(FleetServer::fleet)
    }

    /// Where device `index` answers (and sends its traps from).
    pub fn address(&self, index: u32) -> Option<SocketAddr> {
        self.server.as_ref().and_then(|s| s.address(index))
    }

    /// Every device's address, by index.
    pub fn addresses(&self) -> Vec<SocketAddr> {
        let n = self.fleet().map_or(0, |f| f.len());
        (0..u32::try_from(n).unwrap_or(u32::MAX))
            .filter_map(|i| self.address(i))
            .collect()
    }

    /// The layout served.
    pub fn layout(&self) -> Option<Layout> {
        self.server.as_ref().map(FleetServer::layout)
    }

    /// The port the devices answer on (the first device's, with consecutive ports).
    pub fn port(&self) -> u16 {
        self.address(0).map_or(0, |a| a.port())
    }

    /// The clock the devices live on.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// Counters so far.
    pub fn stats(&self) -> SimStats {
        let d = self.driver.lock().unwrap_or_else(PoisonError::into_inner);
        SimStats {
            agents: self.fleet().map(|f| f.stats()).unwrap_or_default(),
            server: self
                .server
                .as_ref()
                .map(FleetServer::server_stats)
                .unwrap_or_default(),
            life: d.dynamics.stats(),
            traps: d.sender.as_ref().map(TrapSender::stats).unwrap_or_default(),
        }
    }

    /// Stops the driver and the server (within about 100 ms) and returns the
    /// final counters.
    pub fn stop(mut self) -> SimStats {
        self.shutdown()
    }

    fn shutdown(&mut self) -> SimStats {
        if let Some((tx, handle)) = self.thread.take() {
            drop(tx);
            if handle.join().is_err() {
                warn!("the device-life thread panicked");
            }
        }
        let stats = self.stats();
        if let Some(server) = self.server.take() {
            let (agents, server) = server.stop();
            return SimStats {
                agents,
                server,
                ..stats
            };
        }
        stats
    }
}

impl Drop for SnmpSim {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The driver thread: steps at each change (at least every [`DRIVER_TICK`]) until
/// the sender side of `stop` is dropped.
fn drive(driver: &Mutex<Driver>, clock: &dyn Clock, stop: &mpsc::Receiver<()>) {
    loop {
        let now = clock.now();
        let next = {
            let mut d = driver.lock().unwrap_or_else(PoisonError::into_inner);
            for n in d.step(now) {
                if matches!(n.change.kind, ChangeKind::Restart) {
                    info!(device = n.device, "simulated device restarted");
                }
            }
            d.dynamics.next_due()
        };
        let wait = next.map_or(DRIVER_TICK, |t| {
            t.saturating_sub(clock.now()).min(DRIVER_TICK)
        });
        match stop.recv_timeout(wait) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// A UDP port free on the wildcard address a moment ago.
fn free_udp_port() -> Result<u16, SimError> {
    let probe =
        std::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).map_err(|source| SimError::Io {
            op: "probing for a free UDP port",
            source,
        })?;
    probe
        .local_addr()
        .map(|a| a.port())
        .map_err(|source| SimError::Io {
            op: "reading the probed port",
            source,
        })
}
