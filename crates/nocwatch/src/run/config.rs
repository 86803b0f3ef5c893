//! `nocwatch.toml`: the service configuration. Every field is documented,
//! with its default, in docs/CONFIG.md; unknown fields are an error, so a
//! typo never silently falls back to a default.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use nocwatch_poller::SnmpConfig;
use serde::Deserialize;

use crate::duration::serde_str;

/// The whole file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Config {
    #[serde(default)]
    pub(crate) api: ApiSection,
    #[serde(default)]
    pub(crate) runtime: RuntimeSection,
    #[serde(default)]
    pub(crate) store: StoreSection,
    /// The fabric CSV source. Required unless `[producer]` is set, in which
    /// case it defaults to polling that producer.
    pub(crate) http_csv: Option<HttpCsvSection>,
    /// An embedded simulated producer (what the lab runs).
    pub(crate) producer: Option<ProducerSection>,
    /// The SNMP source: devices polled with the polling engine.
    pub(crate) snmp: Option<SnmpConfig>,
    /// Embedded simulated SNMP devices (what the lab runs); `[snmp]` polls
    /// them when its `targets` is empty.
    pub(crate) snmp_sim: Option<SnmpSimSection>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct SnmpSimSection {
    #[serde(default = "default_sim_devices")]
    pub(crate) devices: u32,
    #[serde(default = "default_sim_base")]
    pub(crate) base: std::net::Ipv4Addr,
    #[serde(default)]
    pub(crate) port: u16,
    #[serde(default = "default_sim_interfaces")]
    pub(crate) interfaces: u32,
    #[serde(default = "default_community")]
    pub(crate) community: String,
}

fn default_community() -> String {
    "public".to_owned()
}
fn default_sim_devices() -> u32 {
    20
}
fn default_sim_base() -> std::net::Ipv4Addr {
    std::net::Ipv4Addr::new(127, 1, 0, 1)
}
fn default_sim_interfaces() -> u32 {
    8
}

impl Default for SnmpSimSection {
    fn default() -> Self {
        Self {
            devices: default_sim_devices(),
            base: default_sim_base(),
            port: 0,
            interfaces: default_sim_interfaces(),
            community: default_community(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApiSection {
    #[serde(default = "default_api_listen")]
    pub(crate) listen: SocketAddr,
    #[serde(default = "default_stale_after", with = "serde_str")]
    pub(crate) stale_after: Duration,
    #[serde(default = "default_api_threads")]
    pub(crate) threads: usize,
}

fn default_api_threads() -> usize {
    2
}

fn default_api_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}
fn default_stale_after() -> Duration {
    Duration::from_secs(30)
}

impl Default for ApiSection {
    fn default() -> Self {
        Self {
            listen: default_api_listen(),
            stale_after: default_stale_after(),
            threads: default_api_threads(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuntimeSection {
    #[serde(default = "default_workers")]
    pub(crate) worker_threads: usize,
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

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoreSection {
    #[serde(default = "default_history")]
    pub(crate) history: usize,
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

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct HttpCsvSection {
    #[serde(default = "default_source_name")]
    pub(crate) name: String,
    pub(crate) url: String,
    #[serde(default = "default_interval", with = "serde_str")]
    pub(crate) interval: Duration,
    #[serde(default = "default_timeout", with = "serde_str")]
    pub(crate) timeout: Duration,
    #[serde(default = "default_max_body")]
    pub(crate) max_body_bytes: usize,
    #[serde(default = "default_ingest_nice")]
    pub(crate) ingest_nice: i32,
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
    pub(crate) fn polling(url: String) -> Self {
        Self {
            name: default_source_name(),
            url,
            interval: default_interval(),
            timeout: default_timeout(),
            max_body_bytes: default_max_body(),
            ingest_nice: default_ingest_nice(),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProducerSection {
    #[serde(default = "default_producer_listen")]
    pub(crate) listen: SocketAddr,
    #[serde(default = "default_switches")]
    pub(crate) switches: usize,
    #[serde(default = "default_tick", with = "serde_str")]
    pub(crate) tick: Duration,
    #[serde(default = "default_mode")]
    pub(crate) mode: String,
    #[serde(default = "default_slow_delay", with = "serde_str")]
    pub(crate) slow_delay: Duration,
    #[serde(default = "default_seed")]
    pub(crate) seed: u64,
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

impl Config {
    /// The embedded lab: a producer on loopback and a source polling it.
    pub(crate) fn lab() -> Self {
        Self {
            api: ApiSection::default(),
            runtime: RuntimeSection::default(),
            store: StoreSection::default(),
            http_csv: None,
            producer: Some(ProducerSection::default()),
            snmp: Some(SnmpConfig::default()),
            snmp_sim: Some(SnmpSimSection::default()),
        }
    }

    /// Parses TOML text and checks what serde cannot.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let config: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        config.validate()?;
        Ok(config)
    }

    /// Reads and parses a file.
    pub(crate) fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// All problems at once, one per line.
    pub(crate) fn validate(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        if self.http_csv.is_none() && self.producer.is_none() && self.snmp.is_none() {
            problems.push(
                "no source: set [http_csv] url (or [producer] for a simulated one), or [snmp]"
                    .to_owned(),
            );
        }
        if self.api.threads > 64 {
            problems.push("api.threads must be in 0..=64".to_owned());
        }
        if !(1..=64).contains(&self.runtime.worker_threads) {
            problems.push("runtime.worker_threads must be in 1..=64".to_owned());
        }
        if self.store.history > nocwatch_store::MAX_HISTORY_CAPACITY {
            problems.push(format!(
                "store.history must be at most {}",
                nocwatch_store::MAX_HISTORY_CAPACITY
            ));
        }
        if let Some(s) = &self.http_csv {
            if s.interval < Duration::from_millis(10) {
                problems.push("http_csv.interval must be at least 10ms".to_owned());
            }
            if !(0..=19).contains(&s.ingest_nice) {
                problems.push("http_csv.ingest_nice must be in 0..=19".to_owned());
            }
            if s.timeout.is_zero() {
                problems.push("http_csv.timeout must be positive".to_owned());
            }
            if s.name.is_empty()
                || !s
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                problems.push("http_csv.name must be non-empty [A-Za-z0-9_-]".to_owned());
            }
        }
        if let Some(s) = &self.snmp {
            if s.targets.is_empty() && self.snmp_sim.is_none() {
                problems.push("snmp.targets is empty (and no [snmp_sim] to poll)".to_owned());
            }
            problems.extend(s.problems());
            if s.version == "3"
                && let Err(e) = s.credentials(crate::sim::agents::parse_user)
            {
                problems.push(format!("snmp.{e}"));
            }
        }
        if let Some(p) = &self.snmp_sim {
            if !(1..=65_536).contains(&p.devices) {
                problems.push("snmp_sim.devices must be in 1..=65536".to_owned());
            }
            if !(1..=1024).contains(&p.interfaces) {
                problems.push("snmp_sim.interfaces must be in 1..=1024".to_owned());
            }
        }
        if let Some(p) = &self.producer {
            if !(1..=nocwatch_telemetry::fabric::MAX_SWITCHES).contains(&p.switches) {
                problems.push(format!(
                    "producer.switches must be in 1..={}",
                    nocwatch_telemetry::fabric::MAX_SWITCHES
                ));
            }
            if let Err(e) = p.mode.parse::<nocwatch_telemetry::FailureMode>() {
                problems.push(format!("producer.mode: {e}"));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn example_file_parses_with_documented_values() {
        let c = Config::load(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../nocwatch.example.toml"
        )))
        .unwrap();
        assert_eq!(c.api.listen, "0.0.0.0:8080".parse().unwrap());
        let s = c.http_csv.unwrap();
        assert_eq!(s.url, "http://127.0.0.1:9001/counters");
        assert_eq!(s.interval, Duration::from_secs(10));
        assert!(c.producer.is_none());
        let snmp = c.snmp.unwrap();
        assert_eq!(snmp.targets.len(), 2);
        assert_eq!(snmp.walks, SnmpConfig::default().walks);
        assert_eq!(
            (snmp.interval, snmp.timeout, snmp.retries),
            (Duration::from_secs(10), Duration::from_secs(1), 1)
        );
        assert!(c.snmp_sim.is_none());
    }

    #[test]
    fn snmp_alone_is_a_source_and_nothing_is_not() {
        let c = Config::parse("[snmp]\ntargets = [\"10.0.0.1\"]\n").unwrap();
        assert!(c.http_csv.is_none() && c.producer.is_none() && c.snmp.is_some());
        let e = Config::parse("[api]\nthreads = 1\n").unwrap_err();
        assert!(e.contains("no source"), "{e}");
    }

    #[test]
    fn snmp_section_defaults_and_checks() {
        const CSV: &str = "[http_csv]\nurl = \"http://x/c\"\n";
        let c = Config::parse(&format!("{CSV}[snmp]\ntargets = [\"10.0.0.1\"]\n")).unwrap();
        assert_eq!(
            c.snmp.unwrap(),
            SnmpConfig {
                targets: vec!["10.0.0.1".into()],
                ..SnmpConfig::default()
            }
        );
        let e = Config::parse(&format!(
            "{CSV}[snmp]\ntargets = [\"10.0.0.1\"]\ncomunity = \"x\"\n"
        ))
        .unwrap_err();
        assert!(e.contains("unknown field `comunity`"), "{e}");
        let e = Config::parse(&format!("{CSV}[snmp]\n")).unwrap_err();
        assert!(e.contains("snmp.targets is empty"), "{e}");
        let e = Config::parse(&format!(
            "{CSV}[snmp]\ntargets = [\"nonsense\"]\nversion = \"3\"\nwalks = [\"ifTable\"]\n"
        ))
        .unwrap_err();
        assert!(
            e.contains("snmp.targets") && e.contains("snmp.user") && e.contains("snmp.walks"),
            "{e}"
        );
        let c = Config::parse("[snmp]\n[snmp_sim]\ndevices = 3\n[producer]\n").unwrap();
        assert_eq!(c.snmp_sim.unwrap().devices, 3);
        let e = Config::parse("[snmp_sim]\ndevice = 3\n[producer]\n").unwrap_err();
        assert!(e.contains("unknown field `device`"), "{e}");
    }

    #[test]
    fn defaults_fill_everything_but_the_url() {
        let c = Config::parse("[http_csv]\nurl = \"http://10.1.2.3:9001/counters\"\n").unwrap();
        assert_eq!(c.api, ApiSection::default());
        assert_eq!(c.api.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(c.runtime.worker_threads, 2);
        assert_eq!(c.store.history, 60);
        let s = c.http_csv.unwrap();
        assert_eq!(
            (s.interval, s.timeout, s.name.as_str()),
            (Duration::from_secs(10), Duration::from_secs(5), "fabric")
        );
    }

    #[test]
    fn unknown_fields_are_errors() {
        let e =
            Config::parse("[http_csv]\nurl = \"http://x/c\"\nintervall = \"5s\"\n").unwrap_err();
        assert!(e.contains("unknown field `intervall`"), "{e}");
        let e = Config::parse("[apii]\n").unwrap_err();
        assert!(e.contains("unknown field `apii`"), "{e}");
        let e =
            Config::parse("[api]\nlisten = \"127.0.0.1:1\"\nport = 3\n[producer]\n").unwrap_err();
        assert!(e.contains("unknown field `port`"), "{e}");
    }

    #[test]
    fn bad_values_are_all_reported() {
        let e = Config::parse("[runtime]\nworker_threads = 0\n").unwrap_err();
        assert!(
            e.contains("no source") && e.contains("worker_threads"),
            "{e}"
        );
        let e = Config::parse("[producer]\nswitches = 100001\nmode = \"BROKEN\"\n").unwrap_err();
        assert!(
            e.contains("producer.switches") && e.contains("producer.mode"),
            "{e}"
        );
        let e = Config::parse("[http_csv]\nurl = \"http://x/c\"\ninterval = \"10 parsecs\"\n")
            .unwrap_err();
        assert!(e.contains("invalid duration"), "{e}");
    }
}
