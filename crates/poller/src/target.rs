//! Target lists: what `--targets` and `[snmp] targets` accept, and the
//! resource name a target's samples are stored under.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};

use crate::PollerError;

/// The most targets one list expands to (a mistyped range should not eat the
/// box).
pub const MAX_TARGETS: u64 = 1 << 20;

/// Expands target specifications into socket addresses: addresses
/// (`10.0.0.1`, `::1`, `[::1]`), `addr:port`, and inclusive IPv4 ranges
/// (`10.1.0.1-10.1.0.200`, `10.1.0.1:1161-10.1.0.9:1161`); `port` applies to
/// those given without one. Empty specifications are skipped; an empty result
/// is an error.
///
/// # Errors
///
/// [`PollerError::Target`] for a specification that is none of these, a
/// range that ends before it starts, has two ports, or would pass
/// [`MAX_TARGETS`]; [`PollerError::NoTargets`] when nothing is left.
pub fn parse_targets(specs: &[String], port: u16) -> Result<Vec<SocketAddr>, PollerError> {
    let mut out = Vec::new();
    for spec in specs.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let bad = |reason: String| PollerError::Target {
            spec: spec.to_owned(),
            reason,
        };
        if let Some((a, b)) = spec.split_once('-') {
            let (first, p1) = v4_with_port(a, port).map_err(bad)?;
            let (last, p2) = v4_with_port(b, p1).map_err(bad)?;
            if p1 != p2 {
                return Err(bad("a range has one port".to_owned()));
            }
            let (lo, hi) = (u32::from(first), u32::from(last));
            if hi < lo {
                return Err(bad("the range ends before it starts".to_owned()));
            }
            if u64::from(hi - lo) + 1 + out.len() as u64 > MAX_TARGETS {
                return Err(bad(format!("more than {MAX_TARGETS} targets")));
            }
            out.extend((lo..=hi).map(|ip| SocketAddr::new(Ipv4Addr::from(ip).into(), p1)));
        } else if let Ok(sa) = spec.parse::<SocketAddr>() {
            out.push(sa);
        } else {
            let ip: IpAddr = spec
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .map_err(|_| bad("not an address, addr:port or range".to_owned()))?;
            out.push(SocketAddr::new(ip, port));
        }
        if out.len() as u64 > MAX_TARGETS {
            return Err(bad(format!("more than {MAX_TARGETS} targets")));
        }
    }
    if out.is_empty() {
        return Err(PollerError::NoTargets);
    }
    Ok(out)
}

fn v4_with_port(text: &str, port: u16) -> Result<(Ipv4Addr, u16), String> {
    let text = text.trim();
    if let Ok(sa) = text.parse::<SocketAddrV4>() {
        return Ok((*sa.ip(), sa.port()));
    }
    let ip = text
        .parse()
        .map_err(|_| format!("{text}: not an IPv4 address"))?;
    Ok((ip, port))
}

/// The resource a target's samples are stored under: its address, with the
/// port only when it is not `port` (the section's), so that a fleet on the
/// standard port reads `10.0.0.7` and a lab on one odd port too.
#[must_use]
pub fn resource_name(addr: SocketAddr, port: u16) -> String {
    if addr.port() == port {
        addr.ip().to_string()
    } else {
        addr.to_string()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn ranges_expand_inclusively_across_octets() {
        let t = parse_targets(&["127.1.0.254-127.1.1.1".into()], 1161).unwrap();
        let got: Vec<String> = t.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "127.1.0.254:1161",
                "127.1.0.255:1161",
                "127.1.1.0:1161",
                "127.1.1.1:1161"
            ]
        );
        let t = parse_targets(&["127.0.0.1:99".into(), "::1".into()], 161).unwrap();
        assert_eq!(t[0].to_string(), "127.0.0.1:99");
        assert_eq!(t[1].to_string(), "[::1]:161");
        let t = parse_targets(&["[::1]".into(), " ".into()], 161).unwrap();
        assert_eq!(t[0].to_string(), "[::1]:161");
        assert!(parse_targets(&["127.0.0.9-127.0.0.1".into()], 161).is_err());
        assert!(parse_targets(&["nonsense".into()], 161).is_err());
        assert!(parse_targets(&["10.0.0.1:1-10.0.0.2:2".into()], 161).is_err());
        assert!(matches!(
            parse_targets(&[String::new()], 161),
            Err(PollerError::NoTargets)
        ));
    }

    #[test]
    fn target_lists_are_bounded() {
        let e = parse_targets(&["10.0.0.0-10.255.255.255".into()], 161).unwrap_err();
        assert!(e.to_string().contains("more than"), "{e}");
        let e =
            parse_targets(&["10.0.0.0-10.15.255.255".into(), "10.16.0.0".into()], 161).unwrap_err();
        assert!(e.to_string().contains("more than"), "{e}");
    }

    #[test]
    fn resources_carry_the_port_only_when_it_differs() {
        let a: SocketAddr = "127.1.0.7:161".parse().unwrap();
        assert_eq!(resource_name(a, 161), "127.1.0.7");
        assert_eq!(resource_name(a, 1161), "127.1.0.7:161");
    }
}
