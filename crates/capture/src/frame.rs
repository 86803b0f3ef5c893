//! From a captured frame to its UDP datagram: link layers, IPv4, IPv6 (extension headers), UDP.

use super::*;

pub(super) const LINKTYPE_NULL: u32 = 0;
pub(super) const LINKTYPE_ETHERNET: u32 = 1;
pub(super) const LINKTYPE_RAW: u32 = 101;
pub(super) const LINKTYPE_LOOP: u32 = 108;
pub(super) const LINKTYPE_LINUX_SLL: u32 = 113;
pub(super) const LINKTYPE_IPV4: u32 = 228;
pub(super) const LINKTYPE_IPV6: u32 = 229;
pub(super) const LINKTYPE_LINUX_SLL2: u32 = 276;

pub(super) const ETHERTYPE_IPV4: u16 = 0x0800;
pub(super) const ETHERTYPE_IPV6: u16 = 0x86dd;
pub(super) const ETHERTYPE_VLAN_TAGS: [u16; 3] = [0x8100, 0x88a8, 0x9100];
pub(super) const IP_PROTOCOL_UDP: u8 = 17;

#[derive(Clone, Copy)]
pub(super) enum Network {
    Ipv4,
    Ipv6,
}

pub(super) struct IpPacket<'p> {
    pub(super) src: IpAddr,
    pub(super) dst: IpAddr,
    /// The UDP header and payload, trimmed to the IP length fields.
    pub(super) udp: &'p [u8],
}

pub(super) struct UdpSegment<'p> {
    pub(super) src_port: u16,
    pub(super) dst_port: u16,
    pub(super) payload: &'p [u8],
}

pub(super) fn decode_frame(
    frame: u64,
    timestamp: Duration,
    link: u32,
    data: &[u8],
) -> Result<Datagram<'_>, FrameError> {
    let (network, packet) = strip_link(link, data)?;
    let ip = match network {
        Network::Ipv4 => parse_ipv4(packet)?,
        Network::Ipv6 => parse_ipv6(packet)?,
    };
    let udp = parse_udp(ip.udp)?;
    Ok(Datagram {
        frame,
        timestamp,
        src: SocketAddr::new(ip.src, udp.src_port),
        dst: SocketAddr::new(ip.dst, udp.dst_port),
        payload: udp.payload,
    })
}

/// Removes the link-layer header, saying which IP version follows.
pub(super) fn strip_link(link: u32, frame: &[u8]) -> Result<(Network, &[u8]), FrameError> {
    match link {
        LINKTYPE_ETHERNET => strip_ethernet(frame),
        LINKTYPE_LINUX_SLL => strip_fixed(frame, "Linux cooked (SLL)", 16, 14),
        LINKTYPE_LINUX_SLL2 => strip_fixed(frame, "Linux cooked (SLL2)", 20, 0),
        LINKTYPE_NULL | LINKTYPE_LOOP => strip_loopback(frame, link == LINKTYPE_LOOP),
        LINKTYPE_RAW => Ok((network_from_version(frame)?, frame)),
        LINKTYPE_IPV4 => Ok((Network::Ipv4, frame)),
        LINKTYPE_IPV6 => Ok((Network::Ipv6, frame)),
        other => Err(FrameError::UnsupportedLink(other)),
    }
}

/// Ethernet II with up to two 802.1Q / 802.1ad VLAN tags.
pub(super) fn strip_ethernet(frame: &[u8]) -> Result<(Network, &[u8]), FrameError> {
    let truncated = |link, needed| FrameError::LinkTruncated {
        link,
        needed,
        got: frame.len(),
    };
    let mut ethertype = read_be_u16(frame, 12).ok_or_else(|| truncated("Ethernet", 14))?;
    let mut header = 14;
    // Each tag is 4 bytes and ends with the next ethertype.
    for (tagged_header, ethertype_at) in [(18, 16), (22, 20)] {
        if !ETHERTYPE_VLAN_TAGS.contains(&ethertype) {
            break;
        }
        header = tagged_header;
        ethertype = read_be_u16(frame, ethertype_at)
            .ok_or_else(|| truncated("VLAN-tagged Ethernet", header))?;
    }
    Ok((
        network_from_ethertype(ethertype)?,
        frame.get(header..).unwrap_or_default(),
    ))
}

/// A link header of fixed `length` with a big-endian ethertype at `ethertype_at`.
pub(super) fn strip_fixed<'f>(
    frame: &'f [u8],
    link: &'static str,
    length: usize,
    ethertype_at: usize,
) -> Result<(Network, &'f [u8]), FrameError> {
    let truncated = FrameError::LinkTruncated {
        link,
        needed: length,
        got: frame.len(),
    };
    let (Some(ethertype), Some(packet)) = (read_be_u16(frame, ethertype_at), frame.get(length..))
    else {
        return Err(truncated);
    };
    Ok((network_from_ethertype(ethertype)?, packet))
}

/// BSD loopback: a 4-byte address family, in the capturing host's byte
/// order for `NULL` (so both orders are tried) and big-endian for `LOOP`.
pub(super) fn strip_loopback(
    frame: &[u8],
    big_endian_only: bool,
) -> Result<(Network, &[u8]), FrameError> {
    let (Some(family), Some(packet)) = (bytes_at::<4>(frame, 0), frame.get(4..)) else {
        return Err(FrameError::LinkTruncated {
            link: "loopback",
            needed: 4,
            got: frame.len(),
        });
    };
    let big = u32::from_be_bytes(family);
    let little = u32::from_le_bytes(family);
    let (network, reported) = if big_endian_only {
        (network_from_family(big), big)
    } else {
        let network = network_from_family(little).or_else(|| network_from_family(big));
        (network, little.min(big))
    };
    let network = network.ok_or(FrameError::NotIpFamily(reported))?;
    Ok((network, packet))
}

/// BSD address families: `AF_INET` is 2 everywhere, `AF_INET6` is 24
/// (NetBSD, OpenBSD), 28 (FreeBSD) or 30 (macOS).
pub(super) fn network_from_family(family: u32) -> Option<Network> {
    match family {
        2 => Some(Network::Ipv4),
        24 | 28 | 30 => Some(Network::Ipv6),
        _ => None,
    }
}

pub(super) fn network_from_ethertype(ethertype: u16) -> Result<Network, FrameError> {
    match ethertype {
        ETHERTYPE_IPV4 => Ok(Network::Ipv4),
        ETHERTYPE_IPV6 => Ok(Network::Ipv6),
        other => Err(FrameError::NotIpEthertype(other)),
    }
}

/// For raw IP links that may carry either version.
pub(super) fn network_from_version(packet: &[u8]) -> Result<Network, FrameError> {
    let first = packet.first().ok_or(FrameError::LinkTruncated {
        link: "raw IP",
        needed: 1,
        got: 0,
    })?;
    match first >> 4 {
        4 => Ok(Network::Ipv4),
        6 => Ok(Network::Ipv6),
        other => Err(FrameError::NotIpVersion(other)),
    }
}

/// Checks the version field, before any length, so that a mislabelled
/// packet is reported as such rather than as a short header.
pub(super) fn expect_ip_version(packet: &[u8], expected: u8) -> Result<(), FrameError> {
    match packet.first().map(|first| first >> 4) {
        Some(found) if found != expected => Err(FrameError::IpVersionMismatch { expected, found }),
        _ => Ok(()),
    }
}

pub(super) fn parse_ipv4(packet: &[u8]) -> Result<IpPacket<'_>, FrameError> {
    expect_ip_version(packet, 4)?;
    let header = bytes_at::<20>(packet, 0).ok_or(FrameError::IpHeaderTruncated {
        version: 4,
        needed: 20,
        got: packet.len(),
    })?;
    let [
        version_ihl,
        _,
        total_high,
        total_low,
        _,
        _,
        flags_high,
        flags_low,
        _,
        protocol,
        ..,
    ] = header;
    let ihl = version_ihl & 0x0f;
    if ihl < 5 {
        return Err(FrameError::Ipv4HeaderLength(ihl));
    }
    let header_length = usize::from(ihl) * 4;
    let total = usize::from(u16::from_be_bytes([total_high, total_low]));
    if total < header_length {
        return Err(FrameError::Ipv4TotalLength {
            total,
            header: header_length,
        });
    }
    // Anything past the total length is link-layer padding.
    let udp = packet
        .get(header_length..total)
        .ok_or(FrameError::IpTruncated {
            declared: total,
            captured: packet.len(),
        })?;
    // More-fragments flag or a non-zero fragment offset.
    if u16::from_be_bytes([flags_high, flags_low]) & 0x3fff != 0 {
        return Err(FrameError::Fragment);
    }
    if protocol != IP_PROTOCOL_UDP {
        return Err(FrameError::NotUdp(protocol));
    }
    let (Some(src), Some(dst)) = (bytes_at::<4>(packet, 12), bytes_at::<4>(packet, 16)) else {
        return Err(FrameError::IpHeaderTruncated {
            version: 4,
            needed: 20,
            got: packet.len(),
        });
    };
    Ok(IpPacket {
        src: IpAddr::V4(Ipv4Addr::from(src)),
        dst: IpAddr::V4(Ipv4Addr::from(dst)),
        udp,
    })
}

pub(super) const IPV6_HOP_BY_HOP: u8 = 0;
pub(super) const IPV6_ROUTING: u8 = 43;
pub(super) const IPV6_FRAGMENT: u8 = 44;
pub(super) const IPV6_DESTINATION_OPTIONS: u8 = 60;

pub(super) fn parse_ipv6(packet: &[u8]) -> Result<IpPacket<'_>, FrameError> {
    expect_ip_version(packet, 6)?;
    let truncated_header = |needed| FrameError::IpHeaderTruncated {
        version: 6,
        needed,
        got: packet.len(),
    };
    let (Some(fixed), Some(src), Some(dst)) = (
        bytes_at::<8>(packet, 0),
        bytes_at::<16>(packet, 8),
        bytes_at::<16>(packet, 24),
    ) else {
        return Err(truncated_header(40));
    };
    let [_, _, _, _, length_high, length_low, first_header, _] = fixed;
    let total = usize::from(u16::from_be_bytes([length_high, length_low])) + 40;
    // Anything past the payload length is link-layer padding.
    let packet = packet.get(..total).ok_or(FrameError::IpTruncated {
        declared: total,
        captured: packet.len(),
    })?;
    let upper_layer = skip_extension_headers(packet, first_header)?;
    Ok(IpPacket {
        src: IpAddr::V6(Ipv6Addr::from(src)),
        dst: IpAddr::V6(Ipv6Addr::from(dst)),
        udp: upper_layer,
    })
}

/// Follows the IPv6 next-header chain from `next` to a UDP header.
/// An atomic fragment header (offset 0, no more fragments, RFC 6946) is a
/// whole datagram and is skipped like the other extension headers.
pub(super) fn skip_extension_headers(packet: &[u8], mut next: u8) -> Result<&[u8], FrameError> {
    let mut offset: usize = 40;
    loop {
        let truncated = |length: usize| FrameError::IpHeaderTruncated {
            version: 6,
            needed: offset.saturating_add(length),
            got: packet.len(),
        };
        let length = match next {
            IP_PROTOCOL_UDP => return Ok(packet.get(offset..).unwrap_or_default()),
            IPV6_HOP_BY_HOP | IPV6_ROUTING | IPV6_DESTINATION_OPTIONS => {
                let [following, units] =
                    bytes_at::<2>(packet, offset).ok_or_else(|| truncated(2))?;
                next = following;
                // The length is in 8-byte units, not counting the first 8.
                usize::from(units).saturating_add(1).saturating_mul(8)
            }
            IPV6_FRAGMENT => {
                let [following, _, offset_high, offset_low, ..] =
                    bytes_at::<8>(packet, offset).ok_or_else(|| truncated(8))?;
                if u16::from_be_bytes([offset_high, offset_low]) & 0xfff9 != 0 {
                    return Err(FrameError::Fragment);
                }
                next = following;
                8
            }
            other => return Err(FrameError::NotUdp(other)),
        };
        if offset.saturating_add(length) > packet.len() {
            return Err(truncated(length));
        }
        offset = offset.saturating_add(length);
    }
}

pub(super) fn parse_udp(segment: &[u8]) -> Result<UdpSegment<'_>, FrameError> {
    let [
        src_high,
        src_low,
        dst_high,
        dst_low,
        length_high,
        length_low,
        _,
        _,
    ] = bytes_at::<8>(segment, 0).ok_or(FrameError::UdpHeaderTruncated(segment.len()))?;
    let length = u16::from_be_bytes([length_high, length_low]);
    if length < 8 {
        return Err(FrameError::UdpLengthTooShort(length));
    }
    let payload = segment
        .get(8..usize::from(length))
        .ok_or(FrameError::UdpTruncated {
            declared: length,
            available: segment.len(),
        })?;
    Ok(UdpSegment {
        src_port: u16::from_be_bytes([src_high, src_low]),
        dst_port: u16::from_be_bytes([dst_high, dst_low]),
        payload,
    })
}
