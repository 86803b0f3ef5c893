//! The ready line: one machine-readable line on stderr once a long-running
//! command has bound every listener.
//!
//! ```text
//! nocwatch-ready {"command":"run","api":"127.0.0.1:41234","producer":"127.0.0.1:40111","snmp_sim":["127.1.0.1:1161",...]}
//! ```
//!
//! The human banner is for people and may change wording at any time; scripts,
//! supervisors and the tests (through `nocwatch-testkit`'s `Nocwatch` guard)
//! read this line instead. Its promise: printed exactly once, after every
//! address it names is bound (a client may connect at once), as the prefix
//! `nocwatch-ready `, then one JSON object on the same line. Keys are stable:
//!
//! * `"command"`: `"run"` or `"trap listen"`;
//! * addresses are `"IP:PORT"` strings, lists of them arrays; a key is absent
//!   when that component does not run.
//!
//! `run`: `"api"`, `"producer"` (the embedded CSV producer), `"snmp_sim"` (the
//! simulated devices, one address each), `"traps"` (trap listen addresses,
//! when the service takes traps). `trap listen`: `"traps"`, `"metrics"`.

use std::io::Write as _;
use std::net::SocketAddr;

use serde_json::{Map, Value};

/// What starts the line; the JSON object follows.
pub(crate) const PREFIX: &str = "nocwatch-ready";

/// A ready line being assembled.
#[derive(Debug)]
pub(crate) struct Ready {
    fields: Map<String, Value>,
}

impl Ready {
    /// A line for `command` (`"run"`, `"trap listen"`).
    pub(crate) fn new(command: &str) -> Self {
        let mut fields = Map::new();
        fields.insert("command".to_owned(), Value::from(command));
        Self { fields }
    }

    /// Adds one address under `key`.
    pub(crate) fn addr(mut self, key: &str, addr: SocketAddr) -> Self {
        self.fields
            .insert(key.to_owned(), Value::from(addr.to_string()));
        self
    }

    /// Adds a list of addresses under `key` (present even when empty: the
    /// component runs but listens nowhere).
    pub(crate) fn addrs(mut self, key: &str, addrs: impl IntoIterator<Item = SocketAddr>) -> Self {
        let list = addrs
            .into_iter()
            .map(|a| Value::from(a.to_string()))
            .collect();
        self.fields.insert(key.to_owned(), Value::Array(list));
        self
    }

    /// The line, without its newline.
    pub(crate) fn line(&self) -> String {
        format!("{PREFIX} {}", Value::Object(self.fields.clone()))
    }

    /// Writes the line to stderr in one write (stderr is unbuffered, so it is
    /// out before this returns). A closed stderr is not worth failing for.
    pub(crate) fn emit(&self) {
        let mut line = self.line();
        line.push('\n');
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }
}

/// `nocwatch run`'s line: the fields every component of the service reported
/// once started (`nocwatch_service::Service::ready`).
pub(crate) fn run(fields: &Value) {
    let mut ready = Ready::new("run");
    if let Value::Object(m) = fields {
        for (k, v) in m {
            ready.fields.insert(k.clone(), v.clone());
        }
    }
    ready.emit();
}

/// `nocwatch trap listen`'s line: the bound trap addresses and the metrics
/// address. The metrics address is the one given: with port 0 it is left out
/// (the metrics server keeps its bound address to itself), so callers that
/// need it pass a fixed port.
pub(crate) fn trap_listen(traps: &[SocketAddr], metrics: Option<SocketAddr>) {
    let mut ready = Ready::new("trap listen").addrs("traps", traps.iter().copied());
    if let Some(m) = metrics.filter(|m| m.port() != 0) {
        ready = ready.addr("metrics", m);
    }
    ready.emit();
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn line_is_the_prefix_and_one_json_object() {
        let a: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let b: SocketAddr = "[::1]:162".parse().unwrap();
        let line = Ready::new("trap listen")
            .addrs("traps", [a, b])
            .addr("metrics", a)
            .line();
        let json = line.strip_prefix("nocwatch-ready ").unwrap();
        assert!(!json.contains('\n'));
        let v: Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["command"], "trap listen");
        assert_eq!(v["traps"][0], "127.0.0.1:8080");
        assert_eq!(v["traps"][1], "[::1]:162");
        assert_eq!(v["metrics"], "127.0.0.1:8080");
        assert_eq!(
            Ready::new("run").addrs("snmp_sim", []).line(),
            r#"nocwatch-ready {"command":"run","snmp_sim":[]}"#
        );
    }
}
