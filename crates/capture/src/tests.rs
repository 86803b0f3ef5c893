//! Tests of the capture reader: hand-built frames of every link type, broken files,
//! and the real captures in ../shared.

use super::*;

// ------------------------------------------------ packet builders

const SRC4: [u8; 4] = [192, 0, 2, 1];
const DST4: [u8; 4] = [198, 51, 100, 7];
const SRC6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const DST6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
const SNMP: &[u8] = &[0x30, 0x05, 0x02, 0x01, 0x00, 0x04, 0x00];

fn udp(src_port: u16, dst_port: u16, payload: &[u8]) -> Vec<u8> {
    let length = u16::try_from(payload.len() + 8).unwrap();
    let mut out = Vec::new();
    out.extend(src_port.to_be_bytes());
    out.extend(dst_port.to_be_bytes());
    out.extend(length.to_be_bytes());
    out.extend([0, 0]);
    out.extend(payload);
    out
}

fn ipv4_with(protocol: u8, flags_fragment: u16, body: &[u8]) -> Vec<u8> {
    let total = u16::try_from(body.len() + 20).unwrap();
    let mut out = vec![0x45, 0];
    out.extend(total.to_be_bytes());
    out.extend([0x12, 0x34]);
    out.extend(flags_fragment.to_be_bytes());
    out.extend([64, protocol, 0, 0]);
    out.extend(SRC4);
    out.extend(DST4);
    out.extend(body);
    out
}

fn ipv4(body: &[u8]) -> Vec<u8> {
    ipv4_with(17, 0x4000, body)
}

fn ipv6_with(next: u8, body: &[u8]) -> Vec<u8> {
    let length = u16::try_from(body.len()).unwrap();
    let mut out = vec![0x60, 0, 0, 0];
    out.extend(length.to_be_bytes());
    out.extend([next, 64]);
    out.extend(SRC6);
    out.extend(DST6);
    out.extend(body);
    out
}

fn ipv6(body: &[u8]) -> Vec<u8> {
    ipv6_with(17, body)
}

fn ethernet(tags: &[u16], ethertype: u16, body: &[u8]) -> Vec<u8> {
    let mut out = vec![
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
    ];
    for (index, tag) in tags.iter().enumerate() {
        out.extend(tag.to_be_bytes());
        out.extend(u16::try_from(100 + index).unwrap().to_be_bytes());
    }
    out.extend(ethertype.to_be_bytes());
    out.extend(body);
    out
}

fn eth_ipv4_udp(src_port: u16, payload: &[u8]) -> Vec<u8> {
    ethernet(&[], ETHERTYPE_IPV4, &ipv4(&udp(src_port, 161, payload)))
}

/// Little-endian microsecond pcap; frame i is stamped 1_000_000_000 + i
/// seconds and i * 1000 + 7 microseconds.
fn pcap(link: u32, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend(0xa1b2_c3d4u32.to_le_bytes());
    out.extend(2u16.to_le_bytes());
    out.extend(4u16.to_le_bytes());
    out.extend([0; 8]);
    out.extend(65535u32.to_le_bytes());
    out.extend(link.to_le_bytes());
    for (index, frame) in frames.iter().enumerate() {
        let index = u32::try_from(index).unwrap();
        let length = u32::try_from(frame.len()).unwrap();
        out.extend((1_000_000_000 + index).to_le_bytes());
        out.extend((index * 1000 + 7).to_le_bytes());
        out.extend(length.to_le_bytes());
        out.extend(length.to_le_bytes());
        out.extend(frame);
    }
    out
}

fn put_u16(out: &mut Vec<u8>, value: u16, order: Endianness) {
    out.extend(match order {
        Endianness::Big => value.to_be_bytes(),
        Endianness::Little => value.to_le_bytes(),
    });
}

fn put_u32(out: &mut Vec<u8>, value: u32, order: Endianness) {
    out.extend(match order {
        Endianness::Big => value.to_be_bytes(),
        Endianness::Little => value.to_le_bytes(),
    });
}

fn ng_block(kind: u32, body: &[u8], order: Endianness) -> Vec<u8> {
    let mut padded = body.to_vec();
    padded.resize(body.len().next_multiple_of(4), 0);
    let length = u32::try_from(padded.len() + 12).unwrap();
    let mut out = Vec::new();
    put_u32(&mut out, kind, order);
    put_u32(&mut out, length, order);
    out.extend(padded);
    put_u32(&mut out, length, order);
    out
}

fn ng_section(order: Endianness) -> Vec<u8> {
    let mut body = Vec::new();
    put_u32(&mut body, 0x1a2b_3c4d, order);
    put_u16(&mut body, 1, order);
    put_u16(&mut body, 0, order);
    body.extend([0xff; 8]);
    ng_block(PCAPNG_SECTION_HEADER, &body, order)
}

fn ng_interface(link: u16, tsresol: Option<u8>, order: Endianness) -> Vec<u8> {
    let mut body = Vec::new();
    put_u16(&mut body, link, order);
    put_u16(&mut body, 0, order);
    put_u32(&mut body, 0, order);
    // An if_name option first, so the search has to skip one.
    put_u16(&mut body, 2, order);
    put_u16(&mut body, 3, order);
    body.extend(b"lo0\0");
    if let Some(resolution) = tsresol {
        put_u16(&mut body, PCAPNG_OPTION_TSRESOL, order);
        put_u16(&mut body, 1, order);
        body.extend([resolution, 0, 0, 0]);
    }
    put_u32(&mut body, 0, order);
    ng_block(PCAPNG_INTERFACE_DESCRIPTION, &body, order)
}

fn ng_enhanced(interface: u32, ticks: u64, data: &[u8], order: Endianness) -> Vec<u8> {
    let length = u32::try_from(data.len()).unwrap();
    let mut body = Vec::new();
    put_u32(&mut body, interface, order);
    put_u32(&mut body, u32::try_from(ticks >> 32).unwrap(), order);
    put_u32(
        &mut body,
        u32::try_from(ticks & 0xffff_ffff).unwrap(),
        order,
    );
    put_u32(&mut body, length, order);
    put_u32(&mut body, length, order);
    body.extend(data);
    ng_block(PCAPNG_ENHANCED_PACKET, &body, order)
}

fn ng_obsolete_packet(interface: u16, ticks: u64, data: &[u8], order: Endianness) -> Vec<u8> {
    let length = u32::try_from(data.len()).unwrap();
    let mut body = Vec::new();
    put_u16(&mut body, interface, order);
    put_u16(&mut body, 0, order);
    put_u32(&mut body, u32::try_from(ticks >> 32).unwrap(), order);
    put_u32(
        &mut body,
        u32::try_from(ticks & 0xffff_ffff).unwrap(),
        order,
    );
    put_u32(&mut body, length, order);
    put_u32(&mut body, length, order);
    body.extend(data);
    ng_block(PCAPNG_PACKET, &body, order)
}

fn ng_simple(data: &[u8], order: Endianness) -> Vec<u8> {
    let mut body = Vec::new();
    put_u32(&mut body, u32::try_from(data.len()).unwrap(), order);
    body.extend(data);
    ng_block(PCAPNG_SIMPLE_PACKET, &body, order)
}

const LE: Endianness = Endianness::Little;
const BE: Endianness = Endianness::Big;

// ------------------------------------------------ result helpers

#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    frame: u64,
    timestamp: Duration,
    src: SocketAddr,
    dst: SocketAddr,
    payload: Vec<u8>,
}

type Item = Result<Seen, (u64, FrameError)>;

fn run(bytes: &[u8]) -> (Vec<Item>, CaptureSummary) {
    let mut items = Vec::new();
    let summary = read_capture(bytes, |item| {
        items.push(item.map(|d| Seen {
            frame: d.frame,
            timestamp: d.timestamp,
            src: d.src,
            dst: d.dst,
            payload: d.payload.to_vec(),
        }));
    })
    .unwrap();
    (items, summary)
}

/// Decodes a single frame on `link` and returns its one item.
fn one(link: u32, frame: Vec<u8>) -> Item {
    let (mut items, summary) = run(&pcap(link, &[frame]));
    assert_eq!(summary.frames, 1);
    assert_eq!(items.len(), 1);
    items.remove(0)
}

fn payload_of(item: Item) -> Vec<u8> {
    item.unwrap().payload
}

fn error_of(item: Item) -> FrameError {
    item.unwrap_err().1
}

fn addr(ip: impl Into<IpAddr>, port: u16) -> SocketAddr {
    SocketAddr::new(ip.into(), port)
}

// ------------------------------------------------ pcap and links

#[test]
fn pcap_ethernet_ipv4_udp_fields() {
    let (items, summary) = run(&pcap(1, &[eth_ipv4_udp(40000, SNMP)]));
    assert_eq!(
        summary,
        CaptureSummary {
            frames: 1,
            datagrams: 1,
            errors: 0
        }
    );
    let expected = Seen {
        frame: 1,
        timestamp: Duration::new(1_000_000_000, 7_000),
        src: addr(Ipv4Addr::from(SRC4), 40000),
        dst: addr(Ipv4Addr::from(DST4), 161),
        payload: SNMP.to_vec(),
    };
    assert_eq!(items, vec![Ok(expected)]);
}

#[test]
fn pcap_big_endian_nanosecond() {
    let frame = eth_ipv4_udp(1024, SNMP);
    let length = u32::try_from(frame.len()).unwrap();
    let mut bytes = Vec::new();
    bytes.extend(0xa1b2_3c4du32.to_be_bytes());
    bytes.extend([0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0]);
    bytes.extend(65535u32.to_be_bytes());
    bytes.extend(1u32.to_be_bytes());
    bytes.extend(1_700_000_000u32.to_be_bytes());
    bytes.extend(123_456_789u32.to_be_bytes());
    bytes.extend(length.to_be_bytes());
    bytes.extend(length.to_be_bytes());
    bytes.extend(&frame);
    let (items, _) = run(&bytes);
    let seen = items.into_iter().next().unwrap().unwrap();
    assert_eq!(seen.timestamp, Duration::new(1_700_000_000, 123_456_789));
    assert_eq!(seen.payload, SNMP);
}

#[test]
fn pcap_accepts_original_length_beyond_snaplen() {
    let mut bytes = pcap(1, &[eth_ipv4_udp(1024, SNMP)]);
    // snaplen 64 at offset 16, original length 1500 in the record header.
    bytes.splice(16..20, 64u32.to_le_bytes());
    bytes.splice(36..40, 1500u32.to_le_bytes());
    let (items, _) = run(&bytes);
    assert_eq!(payload_of(items.into_iter().next().unwrap()), SNMP);
}

#[test]
fn frames_are_numbered_from_one_in_file_order() {
    let frames: Vec<_> = (0..3).map(|i| eth_ipv4_udp(1000 + i, SNMP)).collect();
    let (items, _) = run(&pcap(1, &frames));
    let numbers: Vec<_> = items.iter().map(|i| i.as_ref().unwrap().frame).collect();
    let ports: Vec<_> = items
        .iter()
        .map(|i| i.as_ref().unwrap().src.port())
        .collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert_eq!(ports, [1000, 1001, 1002]);
}

#[test]
fn ethernet_single_vlan_tag() {
    let frame = ethernet(&[0x8100], ETHERTYPE_IPV4, &ipv4(&udp(1, 161, SNMP)));
    assert_eq!(payload_of(one(1, frame)), SNMP);
}

#[test]
fn ethernet_double_vlan_tag() {
    let frame = ethernet(&[0x88a8, 0x8100], ETHERTYPE_IPV6, &ipv6(&udp(1, 161, SNMP)));
    let seen = one(1, frame).unwrap();
    assert_eq!(seen.src, addr(Ipv6Addr::from(SRC6), 1));
    assert_eq!(seen.payload, SNMP);
}

#[test]
fn ethernet_triple_vlan_tag_is_not_ip() {
    let frame = ethernet(
        &[0x88a8, 0x8100, 0x8100],
        ETHERTYPE_IPV4,
        &ipv4(&udp(1, 161, SNMP)),
    );
    assert_eq!(error_of(one(1, frame)), FrameError::NotIpEthertype(0x8100));
}

#[test]
fn ethernet_padding_is_trimmed_by_ip_length() {
    let mut frame = eth_ipv4_udp(1, &[0x30, 0x00]);
    frame.resize(60, 0xee);
    assert_eq!(payload_of(one(1, frame)), [0x30, 0x00]);
}

#[test]
fn truncated_link_headers() {
    assert_eq!(
        error_of(one(1, vec![0; 10])),
        FrameError::LinkTruncated {
            link: "Ethernet",
            needed: 14,
            got: 10
        }
    );
    let tagged = ethernet(&[0x8100], ETHERTYPE_IPV4, &[]);
    assert_eq!(
        error_of(one(1, tagged.get(..16).unwrap().to_vec())),
        FrameError::LinkTruncated {
            link: "VLAN-tagged Ethernet",
            needed: 18,
            got: 16
        }
    );
    assert!(matches!(
        error_of(one(113, vec![0; 15])),
        FrameError::LinkTruncated { needed: 16, .. }
    ));
    assert!(matches!(
        error_of(one(276, vec![0; 19])),
        FrameError::LinkTruncated { needed: 20, .. }
    ));
    assert!(matches!(
        error_of(one(0, vec![2, 0])),
        FrameError::LinkTruncated { needed: 4, .. }
    ));
    assert!(matches!(
        error_of(one(101, vec![])),
        FrameError::LinkTruncated { needed: 1, .. }
    ));
}

#[test]
fn linux_cooked_sll() {
    let mut frame = vec![0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0];
    frame.extend(ETHERTYPE_IPV4.to_be_bytes());
    frame.extend(ipv4(&udp(5000, 162, SNMP)));
    let seen = one(113, frame).unwrap();
    assert_eq!(seen.dst, addr(Ipv4Addr::from(DST4), 162));
    assert_eq!(seen.payload, SNMP);
}

#[test]
fn linux_cooked_sll2() {
    let mut frame = ETHERTYPE_IPV6.to_be_bytes().to_vec();
    frame.extend([0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0]);
    frame.extend(ipv6(&udp(5000, 161, SNMP)));
    let seen = one(276, frame).unwrap();
    assert_eq!(seen.src, addr(Ipv6Addr::from(SRC6), 5000));
    assert_eq!(seen.payload, SNMP);
}

#[test]
fn raw_ip_link_types() {
    assert_eq!(payload_of(one(101, ipv4(&udp(1, 161, SNMP)))), SNMP);
    assert_eq!(payload_of(one(101, ipv6(&udp(1, 161, SNMP)))), SNMP);
    assert_eq!(payload_of(one(228, ipv4(&udp(1, 161, SNMP)))), SNMP);
    assert_eq!(payload_of(one(229, ipv6(&udp(1, 161, SNMP)))), SNMP);
    assert_eq!(
        error_of(one(101, vec![0x55; 30])),
        FrameError::NotIpVersion(5)
    );
    assert_eq!(
        error_of(one(228, ipv6(&udp(1, 161, SNMP)))),
        FrameError::IpVersionMismatch {
            expected: 4,
            found: 6
        }
    );
    assert_eq!(
        error_of(one(229, ipv4(&udp(1, 161, SNMP)))),
        FrameError::IpVersionMismatch {
            expected: 6,
            found: 4
        }
    );
}

#[test]
fn bsd_loopback_families_in_either_byte_order() {
    let framed = |family: [u8; 4], packet: Vec<u8>| [family.to_vec(), packet].concat();
    let v4 = ipv4(&udp(1, 161, SNMP));
    let v6 = ipv6(&udp(1, 161, SNMP));
    assert_eq!(
        payload_of(one(0, framed(2u32.to_le_bytes(), v4.clone()))),
        SNMP
    );
    assert_eq!(
        payload_of(one(0, framed(2u32.to_be_bytes(), v4.clone()))),
        SNMP
    );
    for family in [24u32, 28, 30] {
        assert_eq!(
            payload_of(one(0, framed(family.to_le_bytes(), v6.clone()))),
            SNMP
        );
    }
    assert_eq!(payload_of(one(108, framed(30u32.to_be_bytes(), v6))), SNMP);
    assert_eq!(
        error_of(one(108, framed(2u32.to_le_bytes(), v4.clone()))),
        FrameError::NotIpFamily(2 << 24)
    );
    assert_eq!(
        error_of(one(0, framed(7u32.to_le_bytes(), v4))),
        FrameError::NotIpFamily(7)
    );
}

#[test]
fn unsupported_link_type_is_named() {
    let item = one(105, vec![0; 40]);
    assert_eq!(error_of(item), FrameError::UnsupportedLink(105));
    assert_eq!(
        FrameError::UnsupportedLink(105).to_string(),
        "unsupported link type 105"
    );
}

#[test]
fn pcap_link_type_fcs_bits_are_ignored() {
    // Ethernet with the "FCS present, 4 bytes" bits of the link-type field.
    let mut frame = eth_ipv4_udp(1, SNMP);
    frame.extend([0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(payload_of(one(0x1400_0001, frame)), SNMP);
}

#[test]
fn non_ip_ethertype() {
    let arp = ethernet(&[], 0x0806, &[0; 28]);
    let item = one(1, arp);
    assert_eq!(error_of(item), FrameError::NotIpEthertype(0x0806));
    assert_eq!(
        FrameError::NotIpEthertype(0x0806).to_string(),
        "not IPv4/IPv6 (ethertype 0x0806)"
    );
}

// ------------------------------------------------ IP and UDP

#[test]
fn non_udp_frame_is_reported_and_decoding_goes_on() {
    let tcp = ethernet(&[], ETHERTYPE_IPV4, &ipv4_with(6, 0x4000, &[0; 20]));
    let (items, summary) = run(&pcap(1, &[tcp, eth_ipv4_udp(7, SNMP)]));
    assert_eq!(
        items.first().cloned().map(|i| i.unwrap_err()),
        Some((1, FrameError::NotUdp(6)))
    );
    assert_eq!(items.get(1).map(|i| i.as_ref().unwrap().frame), Some(2));
    assert_eq!(
        summary,
        CaptureSummary {
            frames: 2,
            datagrams: 1,
            errors: 1
        }
    );
}

#[test]
fn ipv4_fragments_are_rejected() {
    let more_fragments = ethernet(
        &[],
        ETHERTYPE_IPV4,
        &ipv4_with(17, 0x2000, &udp(1, 161, SNMP)),
    );
    let later_fragment = ethernet(&[], ETHERTYPE_IPV4, &ipv4_with(17, 0x00b9, SNMP));
    assert_eq!(error_of(one(1, more_fragments)), FrameError::Fragment);
    assert_eq!(error_of(one(1, later_fragment)), FrameError::Fragment);
    assert_eq!(
        FrameError::Fragment.to_string(),
        "IP fragment, reassembly not supported"
    );
}

#[test]
fn ipv4_header_checks() {
    let mut short_ihl = ipv4(&udp(1, 161, SNMP));
    short_ihl[0] = 0x44;
    assert_eq!(
        error_of(one(228, short_ihl)),
        FrameError::Ipv4HeaderLength(4)
    );

    let mut short_total = ipv4(&udp(1, 161, SNMP));
    short_total[2..4].copy_from_slice(&19u16.to_be_bytes());
    assert_eq!(
        error_of(one(228, short_total)),
        FrameError::Ipv4TotalLength {
            total: 19,
            header: 20
        }
    );

    let mut long_ihl = ipv4(&udp(1, 161, SNMP));
    long_ihl[0] = 0x4f;
    assert_eq!(
        error_of(one(228, long_ihl)),
        FrameError::Ipv4TotalLength {
            total: 35,
            header: 60
        }
    );

    let snapped = ipv4(&udp(1, 161, SNMP)).get(..30).unwrap().to_vec();
    assert_eq!(
        error_of(one(228, snapped)),
        FrameError::IpTruncated {
            declared: 35,
            captured: 30
        }
    );

    assert_eq!(
        error_of(one(228, vec![0x45; 12])),
        FrameError::IpHeaderTruncated {
            version: 4,
            needed: 20,
            got: 12
        }
    );
}

#[test]
fn ipv4_options_are_skipped() {
    let mut packet = ipv4(&udp(1, 161, SNMP));
    packet[0] = 0x46;
    packet.splice(20..20, [1, 1, 1, 0]);
    let total = u16::try_from(packet.len()).unwrap();
    packet[2..4].copy_from_slice(&total.to_be_bytes());
    assert_eq!(payload_of(one(228, packet)), SNMP);
}

fn extension(next: u8, units: u8) -> Vec<u8> {
    let mut out = vec![next, units];
    out.resize((usize::from(units) + 1) * 8, 0);
    out
}

#[test]
fn ipv6_extension_headers_are_skipped() {
    let body = [
        extension(IPV6_ROUTING, 0),
        extension(IPV6_DESTINATION_OPTIONS, 1),
        extension(17, 0),
        udp(1, 161, SNMP),
    ]
    .concat();
    let seen = one(229, ipv6_with(IPV6_HOP_BY_HOP, &body)).unwrap();
    assert_eq!(seen.dst, addr(Ipv6Addr::from(DST6), 161));
    assert_eq!(seen.payload, SNMP);
}

#[test]
fn ipv6_fragment_header() {
    let fragment = |offset_flags: u16| {
        let mut header = vec![17, 0];
        header.extend(offset_flags.to_be_bytes());
        header.extend([0, 0, 0, 9]);
        ipv6_with(IPV6_FRAGMENT, &[header, udp(1, 161, SNMP)].concat())
    };
    assert_eq!(error_of(one(229, fragment(0x0001))), FrameError::Fragment);
    assert_eq!(error_of(one(229, fragment(0x00b8))), FrameError::Fragment);
    // An atomic fragment (offset 0, no more fragments) is a whole datagram.
    assert_eq!(payload_of(one(229, fragment(0))), SNMP);
}

#[test]
fn ipv6_malformed_chains() {
    assert_eq!(
        error_of(one(229, ipv6_with(6, &[0; 20]))),
        FrameError::NotUdp(6)
    );
    assert_eq!(
        error_of(one(229, ipv6_with(59, &[]))),
        FrameError::NotUdp(59)
    );
    let overlong = ipv6_with(IPV6_HOP_BY_HOP, &[17, 3, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        error_of(one(229, overlong)),
        FrameError::IpHeaderTruncated {
            version: 6,
            needed: 72,
            got: 48
        }
    );
    assert_eq!(
        error_of(one(229, ipv6_with(IPV6_ROUTING, &[]))),
        FrameError::IpHeaderTruncated {
            version: 6,
            needed: 42,
            got: 40
        }
    );
    let snapped = ipv6(&udp(1, 161, SNMP)).get(..50).unwrap().to_vec();
    assert_eq!(
        error_of(one(229, snapped)),
        FrameError::IpTruncated {
            declared: 55,
            captured: 50
        }
    );
    assert!(matches!(
        error_of(one(229, vec![0x60; 39])),
        FrameError::IpHeaderTruncated {
            version: 6,
            needed: 40,
            ..
        }
    ));
}

#[test]
fn udp_length_checks() {
    let mut padded = udp(1, 161, SNMP);
    padded.extend([0; 5]);
    assert_eq!(payload_of(one(228, ipv4(&padded))), SNMP);

    let mut claims_more = udp(1, 161, SNMP);
    claims_more[4..6].copy_from_slice(&40u16.to_be_bytes());
    assert_eq!(
        error_of(one(228, ipv4(&claims_more))),
        FrameError::UdpTruncated {
            declared: 40,
            available: 15
        }
    );

    let mut too_short = udp(1, 161, SNMP);
    too_short[4..6].copy_from_slice(&7u16.to_be_bytes());
    assert_eq!(
        error_of(one(228, ipv4(&too_short))),
        FrameError::UdpLengthTooShort(7)
    );

    assert_eq!(
        error_of(one(228, ipv4(&[0; 5]))),
        FrameError::UdpHeaderTruncated(5)
    );
    assert_eq!(
        payload_of(one(228, ipv4(&udp(1, 161, &[])))),
        Vec::<u8>::new()
    );
}

// ------------------------------------------------ file-level errors

#[test]
fn truncated_frame_then_good_frame() {
    let mut short = eth_ipv4_udp(1, SNMP);
    short.truncate(40);
    let (items, summary) = run(&pcap(1, &[short, eth_ipv4_udp(2, SNMP)]));
    assert!(matches!(
        items.first(),
        Some(Err((1, FrameError::IpTruncated { .. })))
    ));
    assert_eq!(
        items.get(1).map(|i| i.as_ref().unwrap().src.port()),
        Some(2)
    );
    assert_eq!(summary.errors, 1);
}

#[test]
fn truncated_file_tail_comes_after_the_good_frames() {
    let mut bytes = pcap(1, &[eth_ipv4_udp(1, SNMP), eth_ipv4_udp(2, SNMP)]);
    let second_record = 24 + 16 + eth_ipv4_udp(1, SNMP).len();
    bytes.truncate(bytes.len() - 3);
    let (items, summary) = run(&bytes);
    assert_eq!(items.len(), 2);
    assert!(items.first().unwrap().is_ok());
    assert_eq!(
        items.get(1).cloned().unwrap().unwrap_err(),
        (
            2,
            FrameError::TruncatedFile {
                offset: second_record
            }
        )
    );
    assert_eq!(
        summary,
        CaptureSummary {
            frames: 1,
            datagrams: 1,
            errors: 1
        }
    );
    // A tail too short for even a record header.
    let mut bytes = pcap(1, &[eth_ipv4_udp(1, SNMP)]);
    bytes.extend([0; 5]);
    let (items, _) = run(&bytes);
    assert!(matches!(
        items.last(),
        Some(Err((2, FrameError::TruncatedFile { .. })))
    ));
}

#[test]
fn garbage_and_short_files_are_not_captures() {
    let garbage = b"this is not a capture file at all";
    let error = read_capture(garbage, |_| {}).unwrap_err();
    assert!(matches!(error, Error::NotCapture(0x7468_6973)));
    assert_eq!(
        error.to_string(),
        "not a pcap or pcapng file: unknown magic number 0x74686973"
    );
    assert!(matches!(
        read_capture(&[0xd4, 0xc3], |_| {}),
        Err(Error::TooShort(2))
    ));
    assert!(matches!(read_capture(&[], |_| {}), Err(Error::TooShort(0))));
    let header_only = pcap(1, &[]);
    assert!(matches!(
        read_capture(header_only.get(..20).unwrap(), |_| {}),
        Err(Error::TruncatedHeader)
    ));
    let (items, summary) = run(&header_only);
    assert!(items.is_empty());
    assert_eq!(summary, CaptureSummary::default());
}

#[test]
fn load_file_reports_the_path() {
    let error = load_file(Path::new("/nonexistent/nocwatch/capture.pcap")).unwrap_err();
    assert!(matches!(error, Error::Io { .. }));
    assert_eq!(
        error.to_string(),
        "cannot read capture file /nonexistent/nocwatch/capture.pcap"
    );
    assert!(std::error::Error::source(&error).is_some());
}

// ------------------------------------------------ pcapng

#[test]
fn pcapng_enhanced_packets_default_to_microseconds() {
    let bytes = [
        ng_section(LE),
        ng_interface(1, None, LE),
        ng_enhanced(0, 1_126_208_078_562_375, &eth_ipv4_udp(15916, SNMP), LE),
    ]
    .concat();
    let (items, summary) = run(&bytes);
    let seen = items.into_iter().next().unwrap().unwrap();
    assert_eq!(seen.frame, 1);
    assert_eq!(seen.timestamp, Duration::new(1_126_208_078, 562_375_000));
    assert_eq!(seen.src.port(), 15916);
    assert_eq!(seen.payload, SNMP);
    assert_eq!(summary.datagrams, 1);
}

#[test]
fn pcapng_timestamp_resolutions() {
    let stamped = |tsresol, ticks| {
        let bytes = [
            ng_section(BE),
            ng_interface(1, Some(tsresol), BE),
            ng_enhanced(0, ticks, &eth_ipv4_udp(1, SNMP), BE),
        ]
        .concat();
        let (items, _) = run(&bytes);
        items.into_iter().next().unwrap().unwrap().timestamp
    };
    assert_eq!(stamped(9, 1_500_000_000_123), Duration::new(1500, 123));
    assert_eq!(stamped(3, 2_500), Duration::new(2, 500_000_000));
    assert_eq!(stamped(0, 42), Duration::from_secs(42));
    // 2^-10 seconds: 1536 ticks is 1.5 s.
    assert_eq!(stamped(0x80 | 10, 1536), Duration::new(1, 500_000_000));
}

#[test]
fn pcapng_unsupported_timestamp_resolution_is_a_frame_error() {
    let bytes = [
        ng_section(LE),
        ng_interface(1, Some(20), LE),
        ng_enhanced(0, 1, &eth_ipv4_udp(1, SNMP), LE),
    ]
    .concat();
    let (items, _) = run(&bytes);
    assert_eq!(
        items,
        vec![Err((
            1,
            FrameError::BadInterface {
                id: 0,
                reason: "unsupported timestamp resolution"
            }
        ))]
    );
}

#[test]
fn pcapng_interfaces_keep_their_own_link_types() {
    let bytes = [
        ng_section(LE),
        ng_interface(1, None, LE),
        ng_interface(101, Some(9), LE),
        ng_enhanced(1, 5_000_000_000, &ipv6(&udp(9, 161, SNMP)), LE),
        ng_enhanced(0, 6_000_000, &eth_ipv4_udp(8, SNMP), LE),
        ng_enhanced(2, 0, &eth_ipv4_udp(7, SNMP), LE),
    ]
    .concat();
    let (items, summary) = run(&bytes);
    let first = items.first().unwrap().as_ref().unwrap();
    assert_eq!((first.frame, first.src.port()), (1, 9));
    assert_eq!(first.timestamp, Duration::from_secs(5));
    let second = items.get(1).unwrap().as_ref().unwrap();
    assert_eq!((second.frame, second.src.port()), (2, 8));
    assert_eq!(second.timestamp, Duration::from_secs(6));
    assert_eq!(
        items.get(2).cloned().unwrap().unwrap_err(),
        (3, FrameError::UnknownInterface(2))
    );
    assert_eq!(summary.frames, 3);
}

#[test]
fn pcapng_simple_and_obsolete_packet_blocks() {
    let frame = eth_ipv4_udp(3, SNMP);
    let bytes = [
        ng_section(LE),
        ng_interface(1, None, LE),
        ng_simple(&frame, LE),
        ng_obsolete_packet(0, 0x0000_0001_0000_0002, &frame, LE),
    ]
    .concat();
    let (items, _) = run(&bytes);
    let simple = items.first().unwrap().as_ref().unwrap();
    assert_eq!(simple.timestamp, Duration::ZERO);
    assert_eq!(simple.payload, SNMP);
    let obsolete = items.get(1).unwrap().as_ref().unwrap();
    assert_eq!(obsolete.frame, 2);
    assert_eq!(obsolete.timestamp, Duration::from_micros((1 << 32) + 2));
}

#[test]
fn pcapng_simple_packet_without_interface() {
    let bytes = [ng_section(BE), ng_simple(&eth_ipv4_udp(3, SNMP), BE)].concat();
    let (items, _) = run(&bytes);
    assert_eq!(items, vec![Err((1, FrameError::UnknownInterface(0)))]);
}

#[test]
fn pcapng_other_blocks_are_skipped_and_new_sections_reset_interfaces() {
    let statistics = ng_block(5, &[0; 12], LE);
    let custom = ng_block(0x0000_0bad, &[1, 2, 3], LE);
    let bytes = [
        ng_section(LE),
        ng_interface(1, None, LE),
        statistics,
        custom,
        ng_enhanced(0, 0, &eth_ipv4_udp(1, SNMP), LE),
        ng_section(BE),
        ng_enhanced(0, 0, &eth_ipv4_udp(2, SNMP), BE),
        ng_interface(229, None, BE),
        ng_enhanced(0, 0, &ipv6(&udp(3, 161, SNMP)), BE),
    ]
    .concat();
    let (items, summary) = run(&bytes);
    assert!(items.first().unwrap().is_ok());
    assert_eq!(
        items.get(1).cloned().unwrap().unwrap_err(),
        (2, FrameError::UnknownInterface(0))
    );
    assert_eq!(items.get(2).unwrap().as_ref().unwrap().src.port(), 3);
    assert_eq!(
        summary,
        CaptureSummary {
            frames: 3,
            datagrams: 2,
            errors: 1
        }
    );
}

#[test]
fn pcapng_bad_packet_block_then_good_one() {
    let mut bad = ng_enhanced(0, 0, &eth_ipv4_udp(1, SNMP), LE);
    // Captured length beyond the block.
    bad.splice(20..24, 4000u32.to_le_bytes());
    let start = [ng_section(LE), ng_interface(1, None, LE)].concat();
    let bad_offset = start.len();
    let bytes = [start, bad, ng_enhanced(0, 0, &eth_ipv4_udp(2, SNMP), LE)].concat();
    let (items, _) = run(&bytes);
    assert_eq!(
        items.first().cloned().unwrap().unwrap_err(),
        (
            1,
            FrameError::MalformedRecord {
                offset: bad_offset,
                reason: "captured length exceeds the block".to_owned()
            }
        )
    );
    assert_eq!(items.get(1).unwrap().as_ref().unwrap().frame, 2);
}

#[test]
fn pcapng_corrupt_and_truncated_tails() {
    let good = [
        ng_section(LE),
        ng_interface(1, None, LE),
        ng_enhanced(0, 0, &eth_ipv4_udp(1, SNMP), LE),
    ]
    .concat();
    let tail_at = good.len();

    let mut mismatched = ng_enhanced(0, 0, &eth_ipv4_udp(2, SNMP), LE);
    let end = mismatched.len();
    mismatched.splice(end - 4..end, 0u32.to_le_bytes());
    let (items, summary) = run(&[good.clone(), mismatched].concat());
    assert!(items.first().unwrap().is_ok());
    assert_eq!(
        items.get(1).cloned().unwrap().unwrap_err(),
        (
            2,
            FrameError::MalformedRecord {
                offset: tail_at,
                reason: "block length trailer does not match".to_owned()
            }
        )
    );
    assert_eq!(summary.frames, 1);

    let mut odd_length = ng_enhanced(0, 0, &eth_ipv4_udp(2, SNMP), LE);
    odd_length.splice(4..8, 13u32.to_le_bytes());
    let (items, _) = run(&[good.clone(), odd_length].concat());
    assert!(matches!(
        items.last(),
        Some(Err((2, FrameError::MalformedRecord { reason, .. }))) if reason == "invalid block length"
    ));

    let mut cut = [good, ng_enhanced(0, 0, &eth_ipv4_udp(2, SNMP), LE)].concat();
    cut.truncate(cut.len() - 10);
    let (items, _) = run(&cut);
    assert_eq!(
        items.last().cloned().unwrap().unwrap_err(),
        (2, FrameError::TruncatedFile { offset: tail_at })
    );
}

#[test]
fn pcapng_broken_section_header_is_a_capture_error() {
    let section = ng_section(LE);
    assert!(matches!(
        read_capture(section.get(..10).unwrap(), |_| {}),
        Err(Error::TruncatedHeader)
    ));
    let mut bad_magic = section.clone();
    bad_magic.splice(8..12, [1, 2, 3, 4]);
    let error = read_capture(&bad_magic, |_| {}).unwrap_err();
    assert_eq!(
        error.to_string(),
        "malformed capture file header: unknown section byte-order magic"
    );
}

#[test]
fn pcapng_interface_options_are_parsed_leniently() {
    let order = LE;
    let mut body = Vec::new();
    put_u16(&mut body, 1, order);
    put_u16(&mut body, 0, order);
    put_u32(&mut body, 0, order);
    // if_tzone (rejected by pcap-file 2.0), then an option that overruns.
    put_u16(&mut body, 10, order);
    put_u16(&mut body, 4, order);
    body.extend([0; 4]);
    put_u16(&mut body, 2, order);
    put_u16(&mut body, 200, order);
    let bytes = [
        ng_section(order),
        ng_block(PCAPNG_INTERFACE_DESCRIPTION, &body, order),
        ng_enhanced(0, 2_000_000, &eth_ipv4_udp(1, SNMP), order),
    ]
    .concat();
    let (items, _) = run(&bytes);
    assert_eq!(
        items.first().unwrap().as_ref().unwrap().timestamp,
        Duration::from_secs(2)
    );

    let tiny = [
        ng_section(order),
        ng_block(PCAPNG_INTERFACE_DESCRIPTION, &[1, 0, 0, 0], order),
        ng_enhanced(0, 0, &eth_ipv4_udp(1, SNMP), order),
    ]
    .concat();
    let (items, _) = run(&tiny);
    assert_eq!(
        items,
        vec![Err((
            1,
            FrameError::BadInterface {
                id: 0,
                reason: "block too short"
            }
        ))]
    );
}

#[test]
fn arbitrary_bytes_never_panic() {
    let seeds = [
        pcap(
            1,
            &[
                eth_ipv4_udp(1, SNMP),
                ethernet(&[0x8100], ETHERTYPE_IPV6, &ipv6(&udp(1, 2, SNMP))),
            ],
        ),
        [
            ng_section(LE),
            ng_interface(1, Some(6), LE),
            ng_enhanced(0, 9, &eth_ipv4_udp(1, SNMP), LE),
            ng_simple(&eth_ipv4_udp(1, SNMP), LE),
        ]
        .concat(),
    ];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for seed in seeds {
        for round in 0..2000 {
            let mut bytes = seed.clone();
            for _ in 0..1 + round % 4 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let at = usize::try_from(state % u64::try_from(bytes.len()).unwrap()).unwrap();
                bytes[at] = u8::try_from(state >> 56).unwrap();
            }
            if round % 3 == 0 {
                bytes.truncate(usize::try_from(state % 200).unwrap());
            }
            let _ = read_capture(&bytes, |_| {});
        }
    }
}

// ------------------------------------------------ real captures

/// Frames per capture in ../shared/captures/zeek; every one is SNMP
/// over UDP.
const ZEEK_CAPTURES: [(&str, u64); 12] = [
    ("leak_test.pcapng", 79),
    ("snmp-crash-62790.pcap", 3),
    ("snmp-oid-subidentifier-too-long.pcap", 1),
    ("snmpv1_get.pcap", 58),
    ("snmpv1_get_short.pcap", 2),
    ("snmpv1_set.pcap", 2),
    ("snmpv1_trap.pcap", 1),
    ("snmpv2_get.pcap", 2),
    ("snmpv2_get_bulk.pcap", 2),
    ("snmpv2_get_next.pcap", 8),
    ("snmpv3_get_next.pcap", 4),
    ("snmpwalk-short.pcap", 400),
];

/// The zeek captures in ../shared; prints why on the real stderr when absent.
fn zeek_dir() -> Option<PathBuf> {
    nocwatch_testkit::shared_or_skip("captures/zeek")
}

fn read_zeek(dir: &Path, name: &str) -> (Vec<Item>, CaptureSummary) {
    run(&load_file(&dir.join(name)).unwrap())
}

#[test]
fn zeek_captures_yield_one_snmp_datagram_per_frame() {
    let Some(dir) = zeek_dir() else { return };
    for (name, count) in ZEEK_CAPTURES {
        let (items, summary) = read_zeek(&dir, name);
        assert_eq!(
            summary,
            CaptureSummary {
                frames: count,
                datagrams: count,
                errors: 0
            },
            "{name}"
        );
        for (expected, item) in (1..).zip(&items) {
            let seen = item.as_ref().unwrap();
            assert_eq!(seen.frame, expected, "{name}");
            // Every SNMP message is a BER SEQUENCE.
            assert_eq!(seen.payload.first(), Some(&0x30), "{name} frame {expected}");
            assert!(seen.src.port() == 161 || seen.dst.port() == 161 || seen.dst.port() == 162);
        }
    }
}

#[test]
fn zeek_captures_match_tshark_fields() {
    let Some(dir) = zeek_dir() else { return };
    // Values from `tshark -T fields -e frame.time_epoch -e ip.src
    // -e udp.srcport -e ip.dst -e udp.dstport -e udp.length`.
    let (items, _) = read_zeek(&dir, "leak_test.pcapng");
    let first = items.first().unwrap().as_ref().unwrap();
    assert_eq!(first.timestamp, Duration::new(1_126_208_078, 562_375_000));
    assert_eq!(first.src, addr(Ipv4Addr::new(172, 31, 19, 54), 15916));
    assert_eq!(first.dst, addr(Ipv4Addr::new(172, 31, 19, 73), 161));
    assert_eq!(first.payload.len() + 8, 48);

    let (items, _) = read_zeek(&dir, "snmpv1_get_short.pcap");
    let request = items.first().unwrap().as_ref().unwrap();
    assert_eq!(request.timestamp, Duration::new(1_141_625_215, 715_949_000));
    assert_eq!(request.src, addr(Ipv4Addr::new(203, 143, 168, 235), 1026));
    assert_eq!(request.dst, addr(Ipv4Addr::new(129, 94, 135, 39), 161));
    assert_eq!(request.payload.len() + 8, 86);
    let response = items.get(1).unwrap().as_ref().unwrap();
    assert_eq!(response.src, addr(Ipv4Addr::new(129, 94, 135, 39), 161));
    assert_eq!(response.payload.len() + 8, 89);
}

// ------------------------------------------------ hex text

#[test]
fn hex_plain_forms() {
    let expected = vec![0x30, 0x26, 0x02, 0xab];
    for text in [
        "30 26 02 ab",
        "30:26:02:AB",
        "0x30, 0x26, 0x02, 0xab",
        "3026\n  02ab\n",
        "302602ab",
        "0x302602ab",
        "30\t26\r\n02 ab",
    ] {
        assert_eq!(parse_hex(text).unwrap(), expected, "{text:?}");
    }
}

#[test]
fn hex_errors_have_positions() {
    assert!(matches!(
        parse_hex("30 26 0"),
        Err(Error::HexOddDigits { line: 1, column: 7 })
    ));
    assert!(matches!(
        parse_hex("30 26\n02 0g"),
        Err(Error::HexInvalidChar {
            line: 2,
            column: 5,
            ch: 'g'
        })
    ));
    assert!(matches!(
        parse_hex("0x"),
        Err(Error::HexInvalidChar {
            line: 1,
            column: 2,
            ch: 'x'
        })
    ));
    assert!(matches!(
        parse_hex("é1"),
        Err(Error::HexInvalidChar {
            line: 1,
            column: 1,
            ch: 'é'
        })
    ));
    assert!(matches!(parse_hex(" \n : , "), Err(Error::HexEmpty)));
    assert_eq!(
        Error::HexOddDigits { line: 1, column: 7 }.to_string(),
        "odd number of hex digits in the group at line 1, column 7"
    );
}

const SNMP_GET: [u8; 24] = [
    0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06, 0x70, 0x75, 0x62, 0x6c, 0x69, 0x63, 0xa0, 0x19, 0x02,
    0x04, 0x7e, 0x4b, 0x2c, 0x11, 0x02, 0x01, 0x00,
];

#[test]
fn hex_dump_from_tshark() {
    let text = "\
0000  30 26 02 01 01 04 06 70 75 62 6c 69 63 a0 19 02   0&.....public...
0010  04 7e 4b 2c 11 02 01 00                           .~K,....
";
    assert_eq!(parse_hex(text).unwrap(), SNMP_GET.to_vec());
}

#[test]
fn hex_dump_from_xxd() {
    let text = "\
00000000: 3026 0201 0104 0670 7562 6c69 63a0 1902  0&.....public...
00000010: 047e 4b2c 1102 0100                      .~K,....
";
    assert_eq!(parse_hex(text).unwrap(), SNMP_GET.to_vec());
}

#[test]
fn hex_dump_from_hexdump_canonical() {
    let text = "\
00000000  30 26 02 01 01 04 06 70  75 62 6c 69 63 a0 19 02  |0&.....public...|
00000010  04 7e 4b 2c 11 02 01 00                           |.~K,....|
00000018
";
    assert_eq!(parse_hex(text).unwrap(), SNMP_GET.to_vec());
}

#[test]
fn hex_dump_from_net_snmp_with_decimal_offsets() {
    let text = "\
0000: 30 26 02 01  01 04 06 70  75 62 6C 69  63 A0 19 02    0&.....public...
0016: 04 7E 4B 2C  11 02 01 00                              .~K,....
";
    assert_eq!(parse_hex(text).unwrap(), SNMP_GET.to_vec());
}

#[test]
fn hex_dump_ascii_column_that_looks_like_hex_is_ignored() {
    let text = "0000  61 62 63 64                                       abcd\n";
    assert_eq!(parse_hex(text).unwrap(), b"abcd".to_vec());
}

#[test]
fn hex_dump_offset_mismatch() {
    let text = "0000  30 26 02 01\n0010  04 7e\n";
    match parse_hex(text) {
        Err(Error::HexOffsetMismatch {
            line,
            offset,
            expected,
        }) => assert_eq!((line, offset.as_str(), expected), (2, "0010", 4)),
        other => panic!("expected an offset mismatch, got {other:?}"),
    }
}

#[test]
fn hex_dump_odd_group_is_an_error() {
    assert!(matches!(
        parse_hex("0000  30 2 02\n"),
        Err(Error::HexOddDigits {
            line: 1,
            column: 10
        })
    ));
}
