//! `nocwatch.toml`: the service configuration. Each section's type belongs to the
//! crate of the component it configures; this file assembles them, fills the
//! lab's defaults and checks what spans sections. Every field, with its default,
//! is in docs/CONFIG.md; unknown fields are an error, so a typo never falls back
//! to a default silently.

use std::path::Path;
use std::time::Duration;

use nocwatch_api::ApiSection;
use nocwatch_model::duration::serde_str;
use nocwatch_poller::SnmpConfig;
use nocwatch_sim::SnmpSimConfig;
use nocwatch_telemetry::{HttpCsvSection, ProducerSection};
use nocwatch_traps::TrapsConfig;
use serde::Deserialize;

/// The whole file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `[api]`.
    #[serde(default)]
    pub api: ApiSection,
    /// `[runtime]`.
    #[serde(default)]
    pub runtime: RuntimeSection,
    /// `[store]`.
    #[serde(default)]
    pub store: StoreSection,
    /// `[service]`: the supervisor's own settings.
    #[serde(default)]
    pub service: ServiceSection,
    /// `[http_csv]`: the fabric CSV source. Defaults to polling `[producer]`
    /// when that is set.
    pub http_csv: Option<HttpCsvSection>,
    /// `[producer]`: an embedded simulated fabric (the lab).
    pub producer: Option<ProducerSection>,
    /// `[snmp]`: the SNMP poll source.
    pub snmp: Option<SnmpConfig>,
    /// `[snmp_sim]`: embedded simulated SNMP devices (the lab); `[snmp]` polls
    /// them when its `targets` is empty, and they send their traps to `[traps]`
    /// when their `trap_targets` is empty.
    pub snmp_sim: Option<SnmpSimConfig>,
    /// `[traps]`: the trap and inform intake.
    pub traps: Option<TrapsConfig>,
}

/// `[runtime]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RuntimeSection {
    /// Worker threads of the service runtime (1..=64). Default 2.
    #[serde(default = "default_workers")]
    pub worker_threads: usize,
}

fn default_workers() -> usize {
    2
}

impl Default for RuntimeSection {
    fn default() -> Self {
        Self {
            worker_threads: default_workers(),
        }
    }
}

/// `[store]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StoreSection {
    /// Samples of history kept per series. Default 60.
    #[serde(default = "default_history")]
    pub history: usize,
}

fn default_history() -> usize {
    nocwatch_store::DEFAULT_HISTORY_CAPACITY
}

impl Default for StoreSection {
    fn default() -> Self {
        Self {
            history: default_history(),
        }
    }
}

/// `[service]`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceSection {
    /// How long SIGTERM waits for the components to finish what is in flight
    /// (API requests, queued traps) before exiting anyway. Default `10s`.
    #[serde(default = "default_drain", with = "serde_str")]
    pub drain: Duration,
}

fn default_drain() -> Duration {
    Duration::from_secs(10)
}

impl Default for ServiceSection {
    fn default() -> Self {
        Self {
            drain: default_drain(),
        }
    }
}

impl Config {
    /// Parses TOML text and checks what serde cannot.
    ///
    /// # Errors
    ///
    /// Every problem, one per line.
    pub fn parse(text: &str) -> Result<Self, String> {
        let config: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        config.check()?;
        Ok(config)
    }

    /// Reads and parses a file.
    ///
    /// # Errors
    ///
    /// The file cannot be read, or as [`Config::parse`], prefixed by its path.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// All problems at once, one per line.
    ///
    /// # Errors
    ///
    /// The problems found.
    pub fn check(&self) -> Result<(), String> {
        let mut p = self.api.problems();
        if !(1..=64).contains(&self.runtime.worker_threads) {
            p.push("runtime.worker_threads must be in 1..=64".to_owned());
        }
        if self.store.history > nocwatch_store::MAX_HISTORY_CAPACITY {
            p.push(format!(
                "store.history must be at most {}",
                nocwatch_store::MAX_HISTORY_CAPACITY
            ));
        }
        if let Some(s) = &self.http_csv {
            p.extend(s.problems());
            if s.url.is_empty() && self.producer.is_none() {
                p.push("http_csv.url is required (or set [producer])".to_owned());
            }
        }
        if let Some(s) = &self.producer {
            p.extend(s.problems());
        }
        if let Some(s) = &self.snmp {
            p.extend(s.problems());
            if s.targets.is_empty() && self.snmp_sim.is_none() {
                p.push("snmp.targets is empty (and no [snmp_sim] to poll)".to_owned());
            }
            if let Err(e) = s.credentials(nocwatch_snmp::parse_create_user) {
                p.push(format!("snmp: {e}"));
            }
        }
        if let Some(s) = &self.snmp_sim {
            p.extend(s.problems());
        }
        if let Some(t) = &self.traps {
            // Reads the rules file and the users file, parses every user: what a
            // start would refuse, `check` refuses.
            if let Err(e) = t.check() {
                p.push(format!("traps: {e}"));
            }
        }
        if !self.has_source() {
            p.push("no source: set [http_csv] url (or [producer]), [snmp] or [traps]".to_owned());
        }
        if p.is_empty() {
            Ok(())
        } else {
            Err(p.join("\n"))
        }
    }

    /// Whether anything feeds the service.
    fn has_source(&self) -> bool {
        self.http_csv.is_some()
            || self.producer.is_some()
            || self.snmp.is_some()
            || self.traps.is_some()
    }

    /// The embedded lab: a simulated fabric and its CSV source, 20 simulated SNMP
    /// devices that flap and restart, the SNMP source polling them, the trap intake
    /// their traps go to (on 127.0.0.1, a free port), and the API on
    /// 127.0.0.1:8080.
    pub fn lab() -> Self {
        Self {
            api: ApiSection::default(),
            runtime: RuntimeSection::default(),
            store: StoreSection::default(),
            service: ServiceSection::default(),
            http_csv: None,
            producer: Some(ProducerSection::default()),
            snmp: Some(SnmpConfig::default()),
            snmp_sim: Some(SnmpSimConfig::default()),
            traps: Some(TrapsConfig {
                listen: vec!["127.0.0.1:0".to_owned()],
                ..TrapsConfig::default()
            }),
        }
    }
}
