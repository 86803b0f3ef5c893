//! Agent addresses as net-snmp spells them: `host`, `host:port`, `udp:host:port`,
//! `udp6:[addr]:port`, `[addr]:port`.

use std::net::{IpAddr, SocketAddr};

/// The SNMP port.
const DEFAULT_PORT: u16 = 161;

/// Resolves an agent specification to one socket address (the first the resolver
/// gives, IPv4 preferred unless `udp6:` is asked for).
pub(crate) async fn resolve(spec: &str) -> anyhow::Result<SocketAddr> {
    resolve_with_port(spec, DEFAULT_PORT).await
}

/// [`resolve`] with another default port (162 for notification receivers).
pub(crate) async fn resolve_with_port(spec: &str, default_port: u16) -> anyhow::Result<SocketAddr> {
    let (v6_only, rest) = if let Some(r) = spec.strip_prefix("udp6:") {
        (true, r)
    } else if let Some(r) = spec.strip_prefix("udp:") {
        (false, r)
    } else {
        (false, spec)
    };
    let (host, port) = split_host_port(rest, default_port)?;
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| anyhow::anyhow!("{spec}: Unknown host ({e})"))?
        .collect();
    let pick = if v6_only {
        addrs.iter().find(|a| a.is_ipv6())
    } else {
        addrs.iter().find(|a| a.is_ipv4()).or(addrs.first())
    };
    pick.copied()
        .ok_or_else(|| anyhow::anyhow!("{spec}: Unknown host"))
}

fn split_host_port(s: &str, default_port: u16) -> anyhow::Result<(&str, u16)> {
    let parse_port = |p: &str| {
        p.parse::<u16>()
            .map_err(|_| anyhow::anyhow!("{s}: invalid port {p:?}"))
    };
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| anyhow::anyhow!("{s}: missing ']'"))?;
        return match after.strip_prefix(':') {
            Some(p) => Ok((host, parse_port(p)?)),
            None if after.is_empty() => Ok((host, default_port)),
            None => Err(anyhow::anyhow!("{s}: unexpected text after ']'")),
        };
    }
    // A bare IPv6 address has several colons and no port.
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
            assert_eq!(resolve(spec).await.unwrap().to_string(), want, "{spec}");
        }
        assert!(resolve("127.0.0.1:notaport").await.is_err());
    }
}
