//! The trap service's configuration: the `[traps]` section of the service's config
//! file, and what `nocwatch trap listen`'s flags become (one code path).
//!
//! ```toml
//! [traps]
//! listen = ["0.0.0.0:162", "[::]:162"]
//! journal = "/var/lib/nocwatch/traps"       # engine.state is kept there too
//! journal_sync = "10ms"
//! rules = "/etc/nocwatch/trap-rules.toml"
//! communities = ["public", "env:TRAP_COMMUNITY"]
//! users = ['createUser noc SHA "a long phrase" AES "another one"', "file:/run/secrets/trapuser"]
//! users_file = "/etc/snmp/snmptrapd.conf"
//! rate_limit = 5000.0
//! rate_burst = 20000.0
//! dedup_window = "10s"
//! drain_timeout = "5s"
//! ```
//!
//! Durations use the one syntax of nocwatch ([`nocwatch_model::duration`]:
//! `500ms`, `10s`, `2m`; a bare `0` is zero). Communities and users are
//! [`Secret`]s: literal, `env:NAME` or `file:PATH`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use nocwatch_model::Secret;
use nocwatch_model::duration::serde_str;
use nocwatch_snmp::UsmUser;

use super::users;
use crate::error::Error;
use crate::rules::Rules;

/// The `[traps]` section. Every field has a default (written in its doc), so an
/// empty section listens on port 162 with the default rules and accepts any
/// community.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrapsConfig {
    /// Addresses to listen on, `IP:PORT` or `[IPv6]:PORT` (a `udp:`/`udp6:` prefix,
    /// as net-snmp writes them, is accepted). Default: empty, which means every IPv4
    /// and IPv6 address on [`port`](Self::port); on a host without IPv6 that costs
    /// a warning, where a listed address that cannot be bound is an error.
    pub listen: Vec<String>,
    /// The UDP port when `listen` is empty. Default 162.
    pub port: u16,
    /// Sockets per address, sharded with SO_REUSEPORT, each with its reader thread.
    /// Default 0: one per core.
    pub sockets: usize,
    /// Receive buffer requested per socket, bytes. Default 33554432 (32 MiB): a
    /// burst waits there while the readers catch up.
    pub rcvbuf: usize,
    /// Journal directory. Accepted traps are written (CRC-checked) before they are
    /// processed, informs are answered once their record is synced, and after a crash
    /// the unprocessed ones are replayed. Default: none, events live in memory only
    /// (a warning says so).
    pub journal: Option<PathBuf>,
    /// Journal fsync interval; inform acks wait for it. Default `10ms`.
    #[serde(with = "serde_str")]
    pub journal_sync: Duration,
    /// Classification rules file (TOML, see [`Rules`]). Default: the built-in pack.
    pub rules: Option<PathBuf>,
    /// v1/v2c communities accepted (each a secret). Default: empty, any community.
    pub communities: Vec<Secret>,
    /// SNMPv3 users, one `createUser` line each (snmptrapd's syntax, the keyword
    /// optional; each a secret, so a line may come from `env:` or `file:`). Default:
    /// none.
    pub users: Vec<Secret>,
    /// A snmptrapd.conf-style file whose `createUser` lines are read too (other
    /// lines ignored). Default: none.
    pub users_file: Option<PathBuf>,
    /// Our snmpEngineID in hex, for informs. Default: the one in the state file, or
    /// a new random one. Needs a state path (boots must grow).
    pub engine_id: Option<String>,
    /// The engine state file (snmpEngineID and snmpEngineBoots, written atomically).
    /// Default: `engine.state` in the journal directory; without a journal either,
    /// a new random engine ID every start (see [`super::engine`]).
    pub state: Option<PathBuf>,
    /// Attribute a forwarded trap to its snmpTrapAddress.0 instead of its sender.
    /// Default false.
    pub source_from_trap_address: bool,
    /// Per-source sustained rate, traps/s (clears and critical events are never
    /// limited). Default 5000.
    pub rate_limit: f64,
    /// Per-source burst, traps. Default 20000.
    pub rate_burst: f64,
    /// Identical traps inside this window become one event with a count; `0` turns
    /// dedup off. Default `10s`.
    #[serde(with = "serde_str")]
    pub dedup_window: Duration,
    /// On stop, how long to drain queued events to the sinks; what is left stays in
    /// the journal for the next start. Default `5s`.
    #[serde(with = "serde_str")]
    pub drain_timeout: Duration,
    /// Recent events kept in memory by the pipeline. Default 10000.
    pub recent_events: usize,
}

impl Default for TrapsConfig {
    fn default() -> Self {
        Self {
            listen: Vec::new(),
            port: 162,
            sockets: 0,
            rcvbuf: 32 << 20,
            journal: None,
            journal_sync: Duration::from_millis(10),
            rules: None,
            communities: Vec::new(),
            users: Vec::new(),
            users_file: None,
            engine_id: None,
            state: None,
            source_from_trap_address: false,
            rate_limit: 5_000.0,
            rate_burst: 20_000.0,
            dedup_window: Duration::from_secs(10),
            drain_timeout: Duration::from_secs(5),
            recent_events: 10_000,
        }
    }
}

/// What a reload can change (files read, secrets resolved).
#[derive(Debug)]
pub(crate) struct Credentials {
    pub(crate) rules: Arc<Rules>,
    pub(crate) communities: Option<Vec<Vec<u8>>>,
    pub(crate) users: Vec<Arc<UsmUser>>,
}

impl TrapsConfig {
    /// Checks everything that can be checked without binding or opening anything:
    /// addresses, numbers, the engine ID, the rules file, the users (lines and
    /// file). What `nocwatch check` runs.
    pub fn check(&self) -> Result<(), Error> {
        self.listen_addrs()?;
        self.engine_id()?;
        self.limits()?;
        self.credentials()?;
        Ok(())
    }

    /// The addresses to bind, and whether IPv6 is optional (the default addresses).
    pub fn listen_addrs(&self) -> Result<(Vec<SocketAddr>, bool), Error> {
        if self.listen.is_empty() {
            return Ok((
                vec![
                    SocketAddr::from(([0, 0, 0, 0], self.port)),
                    SocketAddr::from(([0u16; 8], self.port)),
                ],
                true,
            ));
        }
        let addrs = self
            .listen
            .iter()
            .map(|a| {
                let t = a
                    .strip_prefix("udp6:")
                    .or_else(|| a.strip_prefix("udp:"))
                    .unwrap_or(a);
                t.parse::<SocketAddr>().map_err(|_| {
                    Error::Config(format!("listen {a:?}: expected IP:PORT or [IPv6]:PORT"))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok((addrs, false))
    }

    /// The configured engine ID, parsed.
    pub fn engine_id(&self) -> Result<Option<Vec<u8>>, Error> {
        self.engine_id
            .as_deref()
            .map(|h| {
                users::parse_engine_id(h)
                    .ok_or_else(|| Error::Config(format!("engine_id {h:?}: hex, 5 to 32 bytes")))
            })
            .transpose()
    }

    /// The engine state file: `state`, else `engine.state` in the journal directory.
    pub fn state_path(&self) -> Option<PathBuf> {
        self.state.clone().or_else(|| {
            self.journal
                .as_ref()
                .map(|j| j.join(super::engine::DEFAULT_STATE_FILE))
        })
    }

    pub(crate) fn limits(&self) -> Result<(), Error> {
        if !(self.rate_limit.is_finite() && self.rate_limit > 0.0) {
            return Err(Error::Config("rate_limit must be positive".into()));
        }
        if !(self.rate_burst.is_finite() && self.rate_burst >= 1.0) {
            return Err(Error::Config("rate_burst must be at least 1".into()));
        }
        Ok(())
    }

    /// Reads the rules file and the users file and parses every user.
    pub(crate) fn credentials(&self) -> Result<Credentials, Error> {
        let rules = match &self.rules {
            Some(path) => Rules::load(path)?,
            None => Rules::default_pack()?,
        };
        let lines: Vec<String> = self.users.iter().map(|s| s.expose().to_owned()).collect();
        let mut files = Vec::new();
        if let Some(path) = &self.users_file {
            let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
                what: format!("reading {}", path.display()),
                source,
            })?;
            files.push((path.display().to_string(), text));
        }
        let users = users::collect(&lines, &files)?;
        let communities = (!self.communities.is_empty()).then(|| {
            self.communities
                .iter()
                .map(|c| c.expose().as_bytes().to_vec())
                .collect()
        });
        Ok(Credentials {
            rules: Arc::new(rules),
            communities,
            users,
        })
    }

    /// The fields that differ from `new` and that only a restart applies (a reload
    /// swaps rules, users and communities only).
    pub fn restart_needed(&self, new: &Self) -> Vec<&'static str> {
        let mut v = Vec::new();
        let mut diff = |name, differs: bool| {
            if differs {
                v.push(name);
            }
        };
        diff("listen", self.listen != new.listen);
        diff("port", self.port != new.port);
        diff("sockets", self.sockets != new.sockets);
        diff("rcvbuf", self.rcvbuf != new.rcvbuf);
        diff("journal", self.journal != new.journal);
        diff("journal_sync", self.journal_sync != new.journal_sync);
        diff("engine_id", self.engine_id != new.engine_id);
        diff("state", self.state != new.state);
        diff(
            "source_from_trap_address",
            self.source_from_trap_address != new.source_from_trap_address,
        );
        diff("rate_limit", self.rate_limit != new.rate_limit);
        diff("rate_burst", self.rate_burst != new.rate_burst);
        diff("dedup_window", self.dedup_window != new.dedup_window);
        diff("drain_timeout", self.drain_timeout != new.drain_timeout);
        diff("recent_events", self.recent_events != new.recent_events);
        v
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn an_empty_section_is_the_defaults() {
        let c: TrapsConfig = toml::from_str("").unwrap();
        assert_eq!(c, TrapsConfig::default());
        let (addrs, optional_v6) = c.listen_addrs().unwrap();
        assert_eq!(addrs.len(), 2);
        assert!(optional_v6);
        assert!(c.state_path().is_none());
        c.check().unwrap();
    }

    #[test]
    fn every_field_parses() {
        let c: TrapsConfig = toml::from_str(
            r#"
            listen = ["udp:127.0.0.1:1162", "[::1]:1162"]
            port = 1
            sockets = 2
            rcvbuf = 1048576
            journal = "/tmp/j"
            journal_sync = "20ms"
            communities = ["public", "literal:env:x"]
            users = ['createUser u SHA "a long phrase" AES "another one"']
            engine_id = "0x8000000001020304"
            source_from_trap_address = true
            rate_limit = 10.0
            rate_burst = 100.0
            dedup_window = "0"
            drain_timeout = "1s"
            recent_events = 5
            "#,
        )
        .unwrap();
        assert_eq!(c.journal_sync, Duration::from_millis(20));
        assert_eq!(c.dedup_window, Duration::ZERO);
        assert_eq!(c.listen_addrs().unwrap().0[0].port(), 1162);
        assert_eq!(
            c.state_path().unwrap(),
            PathBuf::from("/tmp/j/engine.state")
        );
        assert_eq!(c.engine_id().unwrap().unwrap().len(), 8);
        let cred = c.credentials().unwrap();
        assert_eq!(cred.users.len(), 1);
        assert_eq!(
            cred.communities.unwrap(),
            [b"public".to_vec(), b"env:x".to_vec()]
        );
    }

    #[test]
    fn mistakes_are_errors() {
        for text in [
            "colour = 1",
            "dedup_window = 10",
            "journal_sync = \"10 parsecs\"",
            "communities = [\"env:NOCWATCH_SURELY_UNSET_4711\"]",
        ] {
            assert!(toml::from_str::<TrapsConfig>(text).is_err(), "{text}");
        }
        for text in [
            "listen = [\"nowhere\"]",
            "engine_id = \"12\"",
            "rate_limit = 0.0",
            "rate_burst = 0.5",
            "users = [\"u SHA short\"]",
            "users_file = \"/nonexistent/snmptrapd.conf\"",
            "rules = \"/nonexistent/rules.toml\"",
        ] {
            let c: TrapsConfig = toml::from_str(text).unwrap();
            assert!(c.check().is_err(), "{text}");
        }
    }

    #[test]
    fn restart_needed_names_fields() {
        let a = TrapsConfig::default();
        let mut b = a.clone();
        b.communities = vec![Secret::literal("x")];
        b.rules = Some("/r".into());
        assert!(a.restart_needed(&b).is_empty());
        b.port = 1162;
        b.dedup_window = Duration::ZERO;
        assert_eq!(a.restart_needed(&b), ["port", "dedup_window"]);
    }
}
