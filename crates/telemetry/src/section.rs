//! The service configuration's `[http_csv]` and `[producer]` sections: this
//! crate owns their types, so the service builds its components from them
//! without knowing their fields. Every field, with its default, is in
//! docs/CONFIG.md; unknown fields are an error.

use std::net::SocketAddr;
use std::time::Duration;

use nocwatch_model::duration::serde_str;
use serde::Deserialize;

use crate::{FailureMode, HttpCsvConfig, ProducerConfig};

/// `[http_csv]`: one fabric CSV source.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HttpCsvSection {
    /// The source's name: its store source, its `/health` entry and the
    /// `source` label of its metrics. Default `fabric`.
    #[serde(default = "default_source_name")]
    pub name: String,
    /// `http://host:port/path` of the producer's matrix (empty in the lab: the
    /// embedded producer's URL is filled in).
    #[serde(default)]
    pub url: String,
    /// Time between the starts of two cycles. Default `10s`.
    #[serde(default = "default_interval", with = "serde_str")]
    pub interval: Duration,
    /// Limit for the whole fetch. Default `5s`.
    #[serde(default = "default_timeout", with = "serde_str")]
    pub timeout: Duration,
    /// Largest body accepted. Default 256 MiB.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// Nice value of the parse-and-swap thread (0..=19). Default 10.
    #[serde(default = "default_ingest_nice")]
    pub ingest_nice: i32,
}

fn default_ingest_nice() -> i32 {
    10
}
fn default_source_name() -> String {
    "fabric".to_owned()
}
fn default_interval() -> Duration {
    Duration::from_secs(10)
}
fn default_timeout() -> Duration {
    Duration::from_secs(5)
}
fn default_max_body() -> usize {
    256 << 20
}

impl HttpCsvSection {
    /// Defaults, polling `url`.
    pub fn polling(url: String) -> Self {
        Self {
            name: default_source_name(),
            url,
            interval: default_interval(),
            timeout: default_timeout(),
            max_body_bytes: default_max_body(),
            ingest_nice: default_ingest_nice(),
        }
    }

    /// What serde cannot check, one problem per entry.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.interval < Duration::from_millis(10) {
            p.push("http_csv.interval must be at least 10ms".to_owned());
        }
        if !(0..=19).contains(&self.ingest_nice) {
            p.push("http_csv.ingest_nice must be in 0..=19".to_owned());
        }
        if self.timeout.is_zero() {
            p.push("http_csv.timeout must be positive".to_owned());
        }
        if self.name.is_empty()
            || !self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            p.push("http_csv.name must be non-empty [A-Za-z0-9_-]".to_owned());
        }
        p
    }

    /// The source's settings.
    pub fn source_config(&self) -> HttpCsvConfig {
        HttpCsvConfig {
            url: self.url.clone(),
            interval: self.interval,
            timeout: self.timeout,
            max_body_bytes: self.max_body_bytes,
            ingest_nice: self.ingest_nice,
        }
    }
}

/// `[producer]`: an embedded simulated fabric serving its CSV matrix (the lab).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProducerSection {
    /// Listen address. Default `127.0.0.1:9001`.
    #[serde(default = "default_producer_listen")]
    pub listen: SocketAddr,
    /// Switches (1..=100,000). Default 50.
    #[serde(default = "default_switches")]
    pub switches: usize,
    /// Time between snapshots. Default `5s`.
    #[serde(default = "default_tick", with = "serde_str")]
    pub tick: Duration,
    /// Failure mode at start (`OK`, `ERROR_500`, `CORRUPT`, ...). Default `OK`.
    #[serde(default = "default_mode")]
    pub mode: String,
    /// Delay of the `SLOW` mode. Default `30s`.
    #[serde(default = "default_slow_delay", with = "serde_str")]
    pub slow_delay: Duration,
    /// Simulation seed. Default 1.
    #[serde(default = "default_seed")]
    pub seed: u64,
}

fn default_producer_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 9001))
}
fn default_switches() -> usize {
    50
}
fn default_tick() -> Duration {
    Duration::from_secs(5)
}
fn default_mode() -> String {
    "OK".to_owned()
}
fn default_slow_delay() -> Duration {
    Duration::from_secs(30)
}
fn default_seed() -> u64 {
    1
}

impl Default for ProducerSection {
    fn default() -> Self {
        Self {
            listen: default_producer_listen(),
            switches: default_switches(),
            tick: default_tick(),
            mode: default_mode(),
            slow_delay: default_slow_delay(),
            seed: default_seed(),
        }
    }
}

impl ProducerSection {
    /// What serde cannot check.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if !(1..=100_000).contains(&self.switches) {
            p.push("producer.switches must be in 1..=100000".to_owned());
        }
        if self.tick < Duration::from_millis(10) {
            p.push("producer.tick must be at least 10ms".to_owned());
        }
        if let Err(e) = self.mode.parse::<FailureMode>() {
            p.push(format!("producer.mode: {e}"));
        }
        p
    }

    /// The producer's settings.
    ///
    /// # Errors
    ///
    /// An unknown mode.
    pub fn producer_config(&self) -> Result<ProducerConfig, crate::TelemetryError> {
        Ok(ProducerConfig {
            switches: self.switches,
            tick: self.tick,
            seed: self.seed,
            mode: self.mode.parse()?,
            slow_delay: self.slow_delay,
        })
    }
}
