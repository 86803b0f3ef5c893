//! The service configuration's `[api]` section (this crate owns its type).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use nocwatch_model::Secret;
use nocwatch_model::duration::serde_str;
use serde::Deserialize;

/// `[api]`: where and how the query API listens.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ApiSection {
    /// Listen address. Default `127.0.0.1:8080`.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Data older than this makes `/health` say `stale`. Default `30s`.
    #[serde(default = "default_stale_after", with = "serde_str")]
    pub stale_after: Duration,
    /// Server threads, each with its own `SO_REUSEPORT` listener; 0 serves on
    /// the runtime's workers. Default 2.
    #[serde(default = "default_threads")]
    pub threads: usize,
    /// Bearer token of the admin routes (`POST /admin/reload`): a secret
    /// (literal, `env:NAME` or `file:PATH`). Without it the admin routes answer 403.
    #[serde(default)]
    pub token: Option<Secret>,
    /// PEM certificate chain: with `tls_key`, the API serves HTTPS only.
    #[serde(default)]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `tls_cert`.
    #[serde(default)]
    pub tls_key: Option<PathBuf>,
    /// Recent events kept for `GET /events` and stream replays. Default 10000.
    #[serde(default = "default_events")]
    pub events: usize,
}

fn default_threads() -> usize {
    2
}
fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}
fn default_stale_after() -> Duration {
    Duration::from_secs(30)
}
fn default_events() -> usize {
    crate::events::DEFAULT_CAPACITY
}

impl Default for ApiSection {
    fn default() -> Self {
        Self {
            listen: default_listen(),
            stale_after: default_stale_after(),
            threads: default_threads(),
            token: None,
            tls_cert: None,
            tls_key: None,
            events: default_events(),
        }
    }
}

impl ApiSection {
    /// What serde cannot check, one problem per entry (the TLS files are read).
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if self.threads > 64 {
            p.push("api.threads must be in 0..=64".to_owned());
        }
        if !(1..=1_000_000).contains(&self.events) {
            p.push("api.events must be in 1..=1000000".to_owned());
        }
        match (&self.tls_cert, &self.tls_key) {
            (Some(c), Some(k)) => {
                if let Err(e) = crate::tls::acceptor(c, k) {
                    p.push(format!("api.tls_cert/tls_key: {e}"));
                }
            }
            (None, None) => {}
            _ => p.push("api.tls_cert and api.tls_key go together".to_owned()),
        }
        if self.token.as_ref().is_some_and(|t| t.expose().len() < 16) {
            p.push("api.token must be at least 16 characters".to_owned());
        }
        p
    }

    /// Whether the API serves HTTPS.
    pub fn tls(&self) -> bool {
        self.tls_cert.is_some()
    }
}
