//! Agent addresses as net-snmp's tools spell them on a command line: `host`,
//! `host:port`, `udp:host:port`, `udp6:[addr]:port`, `[addr]:port`, a bare IPv6
//! address.
//!
//! Why here and not in each tool: `get`, `walk`, `set` and `trap send` (and scripts
//! written for net-snmp) name agents the same way, and a NOC engineer expects
//! `udp6:` and the bracket forms to work wherever net-snmp's do.

use std::net::{IpAddr, SocketAddr};

use crate::error::NetError;

/// The SNMP port (RFC 3417 §3), the default of [`resolve_agent`] for requests.
pub const SNMP_PORT: u16 = 161;

/// Resolves an agent specification to one socket address: an IP address as it is,
/// a host name through the system resolver, taking its first IPv4 address (its
/// first address of any family when it has none), or its first IPv6 one under
/// `udp6:`, as net-snmp picks. `default_port` applies when the spec has none (161
/// for agents, 162 for notification receivers).
///
/// # Errors
///
/// [`NetError::Address`] for a bad port, an unclosed `[`, text after `]`, or a
/// name that does not resolve (to the asked family).
pub async fn resolve_agent(spec: &str, default_port: u16) -> Result<SocketAddr, NetError> {
    let (v6_only, rest) = if let Some(r) = spec.strip_prefix("udp6:") {
        (true, r)
    } else if let Some(r) = spec.strip_prefix("udp:") {
        (false, r)
    } else {
        (false, spec)
    };
    let bad = |reason: String| NetError::Address {
        spec: spec.to_owned(),
        reason,
    };
    let (host, port) = split_host_port(rest, default_port).map_err(bad)?;
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| bad(format!("Unknown host ({e})")))?
        .collect();
    let pick = if v6_only {
        addrs.iter().find(|a| a.is_ipv6())
    } else {
        addrs.iter().find(|a| a.is_ipv4()).or(addrs.first())
    };
    pick.copied().ok_or_else(|| bad("Unknown host".to_owned()))
}

/// Splits `host[:port]`, `[v6]:port`, `[v6]` or a bare IPv6 address (several
/// colons, so no port).
fn split_host_port(s: &str, default_port: u16) -> Result<(&str, u16), String> {
    let parse_port = |p: &str| p.parse::<u16>().map_err(|_| format!("invalid port {p:?}"));
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or("missing ']'")?;
        return match after.strip_prefix(':') {
            Some(p) => Ok((host, parse_port(p)?)),
            None if after.is_empty() => Ok((host, default_port)),
            None => Err("unexpected text after ']'".to_owned()),
        };
    }
    if s.matches(':').count() > 1 {
        return Ok((s, default_port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) => Ok((h, parse_port(p)?)),
        None => Ok((s, default_port)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[tokio::test]
    async fn forms() {
        let cases = [
            ("127.0.0.1", "127.0.0.1:161"),
            ("127.0.0.1:1161", "127.0.0.1:1161"),
            ("udp:127.0.0.1:9", "127.0.0.1:9"),
            ("udp6:[::1]:9", "[::1]:9"),
            ("[::1]", "[::1]:161"),
            ("::1", "[::1]:161"),
            ("localhost:7", "127.0.0.1:7"),
        ];
        for (spec, want) in cases {
            let got = resolve_agent(spec, SNMP_PORT).await.unwrap();
            assert_eq!(got.to_string(), want, "{spec}");
        }
        assert_eq!(resolve_agent("127.0.0.1", 162).await.unwrap().port(), 162);
        for bad in ["127.0.0.1:notaport", "[::1", "[::1]x", "127.0.0.1:99999"] {
            let e = resolve_agent(bad, SNMP_PORT).await.unwrap_err();
            assert!(e.to_string().starts_with(&format!("{bad}: ")), "{e}");
        }
    }
}
