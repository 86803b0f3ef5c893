//! `[snmp]`: the poll source's section of the service configuration. Every
//! field and default is documented in docs/CONFIG.md.

use std::time::Duration;

use nocwatch_model::Secret;
use nocwatch_model::duration::serde_str;
use nocwatch_net::Credentials;
use nocwatch_snmp::{Oid, UsmUser, Version};
use serde::Deserialize;

use crate::PollerError;

/// Subtrees walked when the configuration names none: sysUpTime,
/// ifHCInOctets, ifHCOutOctets, ifInErrors, ifOutErrors, ifOperStatus,
/// hrProcessorLoad.
pub const DEFAULT_WALKS: [&str; 7] = [
    "1.3.6.1.2.1.1.3",
    "1.3.6.1.2.1.31.1.1.1.6",
    "1.3.6.1.2.1.31.1.1.1.10",
    "1.3.6.1.2.1.2.2.1.14",
    "1.3.6.1.2.1.2.2.1.20",
    "1.3.6.1.2.1.2.2.1.8",
    "1.3.6.1.2.1.25.3.3.1.2",
];

/// The `[snmp]` section.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SnmpConfig {
    /// The `source` label in `/metrics` and the `name` in `/health`
    /// (default `"snmp"`).
    #[serde(default = "default_name")]
    pub name: String,
    /// Agents: addresses, `addr:port`, inclusive IPv4 ranges (default none:
    /// the service then polls its simulated devices).
    #[serde(default)]
    pub targets: Vec<String>,
    /// UDP port of targets given without one (default 161).
    #[serde(default = "default_port")]
    pub port: u16,
    /// `"1"`, `"2c"` (default) or `"3"`.
    #[serde(default = "default_version")]
    pub version: String,
    /// Community for v1/v2c (default `"public"`); a [`Secret`], so
    /// `env:NAME` and `file:PATH` work.
    #[serde(default = "default_community")]
    pub community: Secret,
    /// SNMPv3 user as a `createUser` line, `NAME [AUTHPROTO AUTHPASS [PRIVPROTO
    /// [PRIVPASS]]]` (default none; required with version 3); a [`Secret`] (it holds the pass
    /// phrases). An empty string is none.
    #[serde(default, deserialize_with = "empty_is_none")]
    pub user: Option<Secret>,
    /// Time between the starts of two cycles (default 10 s).
    #[serde(default = "default_interval", with = "serde_str")]
    pub interval: Duration,
    /// Per-request timeout (default 1 s).
    #[serde(default = "default_timeout", with = "serde_str")]
    pub timeout: Duration,
    /// Retries per request (default 1).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// GetBulk max-repetitions to start from; 0 walks with GetNext
    /// (default 25).
    #[serde(default = "default_max_repetitions")]
    pub max_repetitions: u16,
    /// Subtrees walked on every target, dotted (default [`DEFAULT_WALKS`]).
    #[serde(default = "default_walks")]
    pub walks: Vec<String>,
    /// Engine shards, each a thread with its own socket (default 1).
    #[serde(default = "default_shards")]
    pub shards: usize,
}

fn default_name() -> String {
    "snmp".to_owned()
}
const fn default_port() -> u16 {
    161
}
fn default_version() -> String {
    "2c".to_owned()
}
fn default_community() -> Secret {
    Secret::literal("public")
}
const fn default_interval() -> Duration {
    Duration::from_secs(10)
}
const fn default_timeout() -> Duration {
    Duration::from_secs(1)
}
const fn default_retries() -> u32 {
    1
}
const fn default_max_repetitions() -> u16 {
    25
}
fn default_walks() -> Vec<String> {
    DEFAULT_WALKS.iter().map(|w| (*w).to_owned()).collect()
}
const fn default_shards() -> usize {
    1
}

impl Default for SnmpConfig {
    fn default() -> Self {
        Self {
            name: default_name(),
            targets: Vec::new(),
            port: default_port(),
            version: default_version(),
            community: default_community(),
            user: None,
            interval: default_interval(),
            timeout: default_timeout(),
            retries: default_retries(),
            max_repetitions: default_max_repetitions(),
            walks: default_walks(),
            shards: default_shards(),
        }
    }
}

impl SnmpConfig {
    /// What is wrong with the section taken alone, one line each (prefixed
    /// `snmp.`). Whether `targets` may be empty depends on the rest of the
    /// file; the v3 `user` is checked by [`SnmpConfig::credentials`].
    #[must_use]
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !matches!(self.version.as_str(), "1" | "2c" | "3") {
            problems.push(format!(
                "snmp.{}",
                PollerError::Version(self.version.clone())
            ));
        }
        if self.interval < Duration::from_millis(100) {
            problems.push("snmp.interval must be at least 100ms".to_owned());
        }
        if self.timeout.is_zero() {
            problems.push("snmp.timeout must be positive".to_owned());
        }
        if !(1..=64).contains(&self.shards) {
            problems.push("snmp.shards must be in 1..=64".to_owned());
        }
        if self.walks.is_empty() {
            problems.push("snmp.walks is empty".to_owned());
        }
        for w in &self.walks {
            if w.parse::<Oid>().is_err() {
                problems.push(format!("snmp.walks: {w:?} is not a dotted OID"));
            }
        }
        if !self.targets.is_empty()
            && let Err(e) = crate::parse_targets(&self.targets, self.port)
        {
            problems.push(format!("snmp.targets: {e}"));
        }
        if self.name.is_empty() || self.name.contains(['"', '\\', '\n']) {
            problems.push("snmp.name must be non-empty, without quotes or backslashes".to_owned());
        }
        problems
    }

    /// The walk roots.
    ///
    /// # Errors
    ///
    /// [`PollerError::Walk`] for a root that is not a dotted OID.
    pub fn walk_oids(&self) -> Result<Vec<Oid>, PollerError> {
        self.walks
            .iter()
            .map(|w| {
                w.parse::<Oid>()
                    .map_err(|_| PollerError::Walk { walk: w.clone() })
            })
            .collect()
    }

    /// The credentials of every target. `parse_user` turns the v3 `user`
    /// field into a user: the service passes `nocwatch_snmp::parse_create_user`
    /// (snmptrapd's `createUser` syntax, the one syntax of a v3 user everywhere).
    ///
    /// # Errors
    ///
    /// [`PollerError::Version`] for an unknown version, [`PollerError::User`]
    /// when `parse_user` fails.
    pub fn credentials<E: std::fmt::Display>(
        &self,
        parse_user: impl FnOnce(&str) -> Result<UsmUser, E>,
    ) -> Result<Credentials, PollerError> {
        let community = || self.community.expose().as_bytes().to_vec();
        Ok(match self.version.as_str() {
            "1" => Credentials::Community {
                version: Version::V1,
                community: community(),
            },
            "2c" => Credentials::Community {
                version: Version::V2c,
                community: community(),
            },
            "3" => {
                let spec = self.user.as_ref().map_or("", Secret::expose);
                let user = parse_user(spec).map_err(|e| PollerError::User(e.to_string()))?;
                Credentials::Usm(std::sync::Arc::new(user))
            }
            v => return Err(PollerError::Version(v.to_owned())),
        })
    }
}

/// An empty string is no secret (a config may write `user = ""`).
fn empty_is_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
    let text = String::deserialize(d)?;
    if text.is_empty() {
        return Ok(None);
    }
    Secret::resolve(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn parse(text: &str) -> Result<SnmpConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_fill_every_field() {
        let c = parse("targets = [\"10.0.0.1\"]\n").unwrap();
        assert_eq!(
            c,
            SnmpConfig {
                targets: vec!["10.0.0.1".into()],
                ..SnmpConfig::default()
            }
        );
        assert_eq!(c.name, "snmp");
        assert_eq!((c.port, c.version.as_str()), (161, "2c"));
        assert_eq!(c.community.expose(), "public");
        assert_eq!(c.user, None);
        assert_eq!(parse("user = \"\"\n").unwrap().user, None);
        assert_eq!(
            (c.interval, c.timeout, c.retries),
            (Duration::from_secs(10), Duration::from_secs(1), 1)
        );
        assert_eq!((c.max_repetitions, c.shards), (25, 1));
        assert_eq!(c.walks, DEFAULT_WALKS);
        assert!(c.problems().is_empty(), "{:?}", c.problems());
    }

    #[test]
    fn unknown_fields_and_bad_values_are_reported() {
        let e = parse("comunity = \"x\"\n").unwrap_err();
        assert!(e.contains("unknown field `comunity`"), "{e}");
        let e = parse("interval = \"10 parsecs\"\n").unwrap_err();
        assert!(e.contains("duration"), "{e}");
        let c = parse(
            "targets = [\"nonsense\"]\nversion = \"4\"\nwalks = [\"ifTable\"]\n\
             interval = \"10ms\"\ntimeout = \"0s\"\nshards = 0\nname = \"a\\\"b\"\n",
        )
        .unwrap();
        let p = c.problems().join("\n");
        for want in [
            "snmp.targets",
            "snmp.version",
            "snmp.walks",
            "snmp.interval",
            "snmp.timeout",
            "snmp.shards",
            "snmp.name",
        ] {
            assert!(p.contains(want), "{want} in {p}");
        }
    }

    #[test]
    fn secrets_come_from_the_environment_or_files() {
        // PATH is set in every test environment.
        let c = parse("community = \"env:PATH\"\n").unwrap();
        assert_eq!(c.community.expose(), std::env::var("PATH").unwrap());
        let e = parse("user = \"env:NOCWATCH_SURELY_UNSET_4711\"\n").unwrap_err();
        assert!(e.contains("NOCWATCH_SURELY_UNSET_4711"), "{e}");
        assert!(!format!("{c:?}").contains(&std::env::var("PATH").unwrap()));
    }

    #[test]
    fn credentials_follow_the_version() {
        let c = SnmpConfig {
            version: "1".into(),
            community: Secret::literal("s3cret"),
            ..SnmpConfig::default()
        };
        let never = |_: &str| -> Result<UsmUser, String> { Err("not v3".into()) };
        match c.credentials(never).unwrap() {
            Credentials::Community { version, community } => {
                assert_eq!(
                    (version, community.as_slice()),
                    (Version::V1, &b"s3cret"[..])
                );
            }
            other => panic!("{other:?}"),
        }
        let c = SnmpConfig {
            version: "3".into(),
            user: Some(Secret::literal("bad")),
            ..SnmpConfig::default()
        };
        let e = c.credentials(never).unwrap_err();
        assert!(e.to_string().contains("user: not v3"), "{e}");
        let seen = std::cell::RefCell::new(String::new());
        let _ = c.credentials(|spec: &str| -> Result<UsmUser, String> {
            seen.replace(spec.to_owned());
            Err("x".into())
        });
        assert_eq!(*seen.borrow(), "bad");
    }
}
