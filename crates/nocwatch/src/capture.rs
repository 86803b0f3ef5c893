//! Capture input for `nocwatch decode`: turns the bytes of a pcap or pcapng
//! file into the UDP datagrams it carries, and hex text into bytes.
//!
//! [`read_capture`] detects the format by its magic number, walks every
//! record, strips the link layer (Ethernet with up to two VLAN tags, Linux
//! cooked SLL/SLL2, raw IP, BSD loopback), then the IPv4 or IPv6 header
//! (skipping IPv6 extension headers) and the UDP header, and hands each
//! [`Datagram`] to a callback. The payload borrows from the caller's buffer,
//! so a whole capture is decoded without copying packet data. Frames are
//! numbered from 1 in file order, exactly like tshark's `frame.number`, so a
//! message printed by `nocwatch` can be found again in Wireshark.
//!
//! A capture is untrusted input and `decode` exists to look at odd traffic,
//! so nothing here panics and one bad frame never hides the others:
//!
//! * problems with the file as a whole (unreadable, not a capture, broken
//!   file header) are a [`CaptureError`] and nothing is decoded;
//! * problems with one frame (truncated header, not IP, not UDP, fragment,
//!   inconsistent lengths, ...) are reported as a [`FrameError`] together with
//!   the frame number, and decoding goes on with the next frame;
//! * a truncated or corrupt file tail cannot be resynchronised, so it is
//!   reported as one last error item after all good frames were delivered.
//!
//! # Why pcap-file plus our own parsing
//!
//! The `pcap-file` crate reads the classic pcap file header (byte order,
//! microsecond or nanosecond magic, link type) and frames its records over a
//! borrowed slice; we use it for that ([`PcapParser::next_raw_packet`]). Its
//! validated `next_packet` is avoided because pcap-file 2.0 rejects records
//! whose original length exceeds the snapshot length, which is what every
//! capture taken with a small `-s` looks like.
//!
//! pcapng blocks are framed and read here instead of with pcap-file's
//! `PcapNgParser`, because in version 2.0 that parser rejects valid files
//! (an `if_tzone` option or a non-UTF-8 comment in an interface description
//! block aborts the whole file, with no way to skip the block), ignores
//! `if_tsresol` (Enhanced Packet Block timestamps are always taken as
//! nanoseconds) and swaps the timestamp halves of the obsolete Packet Block
//! in little-endian files. The framing is three length fields and the
//! packet blocks are fixed layouts, so reading them with bounds-checked
//! accessors is short and keeps every malformation a typed error that only
//! costs the one block.
//!
//! Link, IP and UDP headers are parsed here as well: only a handful of fields
//! are needed, and owning the code means every malformation becomes a precise
//! [`FrameError`] rather than a skipped packet. IP fragments are reported, not
//! reassembled; SNMP messages rarely exceed one datagram on a sane network.
//!
//! # Hex input
//!
//! [`parse_hex`] reads the other input form of `decode`: bytes written as hex
//! digits, either plain (separated by whitespace, colons or commas, with
//! optional `0x` prefixes, or contiguous) or as a hex dump with an offset
//! column (`tshark -x`, `xxd`, `hexdump -C`, net-snmp `-d`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::num::{NonZeroU64, NonZeroU128};
use std::path::{Path, PathBuf};
use std::time::Duration;

use pcap_file::pcap::PcapParser;
use pcap_file::{Endianness, PcapError, TsResolution};

/// A problem with a capture file as a whole; nothing could be decoded.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CaptureError {
    #[error("cannot read capture file {}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("not a pcap or pcapng file: only {0} bytes long")]
    TooShort(usize),
    #[error("not a pcap or pcapng file: unknown magic number {0:#010x}")]
    NotCapture(u32),
    #[error("capture file ends inside its file header")]
    TruncatedHeader,
    #[error("malformed capture file header: {0}")]
    MalformedHeader(String),
}

/// Why one frame of a capture yielded no UDP datagram.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FrameError {
    #[error("truncated {link} header: {got} of {needed} bytes")]
    LinkTruncated {
        link: &'static str,
        needed: usize,
        got: usize,
    },
    #[error("unsupported link type {0}")]
    UnsupportedLink(u32),
    #[error("not IPv4/IPv6 (ethertype {0:#06x})")]
    NotIpEthertype(u16),
    #[error("not IPv4/IPv6 (loopback address family {0})")]
    NotIpFamily(u32),
    #[error("not IPv4/IPv6 (IP version field {0})")]
    NotIpVersion(u8),
    #[error("link layer says IPv{expected} but the IP version field is {found}")]
    IpVersionMismatch { expected: u8, found: u8 },
    #[error("truncated IPv{version} header: {got} of {needed} bytes")]
    IpHeaderTruncated {
        version: u8,
        needed: usize,
        got: usize,
    },
    #[error("malformed IPv4 header: header length field {0} is below the minimum of 5")]
    Ipv4HeaderLength(u8),
    #[error("malformed IPv4 header: total length {total} is shorter than the {header}-byte header")]
    Ipv4TotalLength { total: usize, header: usize },
    #[error("IP datagram truncated: length field says {declared} bytes, {captured} captured")]
    IpTruncated { declared: usize, captured: usize },
    #[error("IP fragment, reassembly not supported")]
    Fragment,
    #[error("not UDP (protocol {0})")]
    NotUdp(u8),
    #[error("truncated UDP header: {0} of 8 bytes")]
    UdpHeaderTruncated(usize),
    #[error("UDP length field {0} is shorter than the 8-byte header")]
    UdpLengthTooShort(u16),
    #[error("UDP length field says {declared} bytes but only {available} are present")]
    UdpTruncated { declared: u16, available: usize },
    #[error("no interface description block for interface {0}")]
    UnknownInterface(u32),
    #[error("interface {id} has a malformed description block: {reason}")]
    BadInterface { id: usize, reason: &'static str },
    #[error("capture file truncated: incomplete record at byte offset {offset}")]
    TruncatedFile { offset: usize },
    #[error("malformed capture record at byte offset {offset}: {reason}")]
    MalformedRecord { offset: usize, reason: String },
}

/// One UDP datagram found in a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Datagram<'a> {
    /// Frame number in the file, counting from 1 like tshark.
    pub frame: u64,
    /// Capture time since the Unix epoch (zero for pcapng Simple Packet
    /// Blocks, which carry no timestamp).
    pub timestamp: Duration,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// The UDP payload, trimmed to the UDP length field.
    pub payload: &'a [u8],
}

/// Counts of what [`read_capture`] delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct CaptureSummary {
    /// Packet records found in the file.
    pub frames: u64,
    /// Frames delivered as a [`Datagram`].
    pub datagrams: u64,
    /// Error items delivered: bad frames plus a corrupt or truncated tail.
    pub errors: u64,
}

/// Reads a capture file into memory for [`read_capture`].
pub(crate) fn load_file(path: &Path) -> Result<Vec<u8>, CaptureError> {
    std::fs::read(path).map_err(|source| CaptureError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Walks a pcap or pcapng file held in `bytes` and calls `deliver` once per
/// frame, in file order: `Ok` with the UDP datagram, or `Err` with the frame
/// number and why the frame has none. A truncated or corrupt tail is one
/// last `Err` item, numbered as the frame that would have come next.
pub(crate) fn read_capture(
    bytes: &[u8],
    deliver: impl FnMut(Result<Datagram<'_>, (u64, FrameError)>),
) -> Result<CaptureSummary, CaptureError> {
    let mut walker = Walker {
        deliver,
        summary: CaptureSummary::default(),
    };
    match detect_format(bytes)? {
        Format::Pcap => walk_pcap(bytes, &mut walker)?,
        Format::PcapNg => walk_pcapng(bytes, &mut walker)?,
    }
    Ok(walker.summary)
}

enum Format {
    Pcap,
    PcapNg,
}

fn detect_format(bytes: &[u8]) -> Result<Format, CaptureError> {
    let magic = bytes_at::<4>(bytes, 0).ok_or(CaptureError::TooShort(bytes.len()))?;
    match u32::from_be_bytes(magic) {
        0xa1b2_c3d4 | 0xd4c3_b2a1 | 0xa1b2_3c4d | 0x4d3c_b2a1 => Ok(Format::Pcap),
        PCAPNG_SECTION_HEADER => Ok(Format::PcapNg),
        other => Err(CaptureError::NotCapture(other)),
    }
}

/// Numbers frames, decodes them and keeps the summary.
struct Walker<F> {
    deliver: F,
    summary: CaptureSummary,
}

impl<F: FnMut(Result<Datagram<'_>, (u64, FrameError)>)> Walker<F> {
    /// A packet record with `data` captured on a link of type `link`.
    fn packet(&mut self, timestamp: Duration, link: u32, data: &[u8]) {
        let frame = self.next_frame();
        match decode_frame(frame, timestamp, link, data) {
            Ok(datagram) => {
                self.summary.datagrams = self.summary.datagrams.saturating_add(1);
                (self.deliver)(Ok(datagram));
            }
            Err(error) => self.fail(frame, error),
        }
    }

    /// A packet record that could not be read.
    fn bad_packet(&mut self, error: FrameError) {
        let frame = self.next_frame();
        self.fail(frame, error);
    }

    fn next_frame(&mut self) -> u64 {
        self.summary.frames = self.summary.frames.saturating_add(1);
        self.summary.frames
    }

    /// The rest of the file cannot be framed; reported as the next frame.
    fn bad_tail(&mut self, error: FrameError) {
        self.fail(self.summary.frames.saturating_add(1), error);
    }

    fn fail(&mut self, frame: u64, error: FrameError) {
        self.summary.errors = self.summary.errors.saturating_add(1);
        (self.deliver)(Err((frame, error)));
    }
}

// ---------------------------------------------------------------- pcap

/// Bits of the pcap header's link-type field that hold the link type; the
/// upper bits describe a frame check sequence, which IP lengths trim anyway.
const PCAP_LINKTYPE_MASK: u32 = 0xffff;

fn walk_pcap<F>(bytes: &[u8], walker: &mut Walker<F>) -> Result<(), CaptureError>
where
    F: FnMut(Result<Datagram<'_>, (u64, FrameError)>),
{
    let (mut rest, parser) = PcapParser::new(bytes).map_err(|error| match error {
        PcapError::IncompleteBuffer => CaptureError::TruncatedHeader,
        other => CaptureError::MalformedHeader(other.to_string()),
    })?;
    let header = parser.header();
    let link = u32::from(header.datalink) & PCAP_LINKTYPE_MASK;
    while !rest.is_empty() {
        let offset = bytes.len().saturating_sub(rest.len());
        match parser.next_raw_packet(rest) {
            Ok((next, record)) => {
                rest = next;
                let timestamp = pcap_timestamp(record.ts_sec, record.ts_frac, header.ts_resolution);
                walker.packet(timestamp, link, &record.data);
            }
            Err(PcapError::IncompleteBuffer) => {
                walker.bad_tail(FrameError::TruncatedFile { offset });
                break;
            }
            Err(other) => {
                let reason = other.to_string();
                walker.bad_tail(FrameError::MalformedRecord { offset, reason });
                break;
            }
        }
    }
    Ok(())
}

/// Converts a pcap record timestamp; an out-of-range fraction is carried
/// into the seconds rather than rejected, as the payload is still good.
fn pcap_timestamp(seconds: u32, fraction: u32, resolution: TsResolution) -> Duration {
    let fraction = match resolution {
        TsResolution::MicroSecond => Duration::from_micros(u64::from(fraction)),
        TsResolution::NanoSecond => Duration::from_nanos(u64::from(fraction)),
    };
    Duration::from_secs(u64::from(seconds)).saturating_add(fraction)
}

// -------------------------------------------------------------- pcapng

const PCAPNG_SECTION_HEADER: u32 = 0x0a0d_0d0a;
const PCAPNG_INTERFACE_DESCRIPTION: u32 = 1;
const PCAPNG_PACKET: u32 = 2;
const PCAPNG_SIMPLE_PACKET: u32 = 3;
const PCAPNG_ENHANCED_PACKET: u32 = 6;
/// Interface description option holding the timestamp resolution.
const PCAPNG_OPTION_TSRESOL: u16 = 9;
const PCAPNG_OPTION_END: u16 = 0;
/// The timestamp resolution when an interface has no `if_tsresol` option.
const MICROSECONDS_PER_SECOND: NonZeroU64 = match NonZeroU64::new(1_000_000) {
    Some(ticks) => ticks,
    None => NonZeroU64::MIN,
};

fn walk_pcapng<F>(bytes: &[u8], walker: &mut Walker<F>) -> Result<(), CaptureError>
where
    F: FnMut(Result<Datagram<'_>, (u64, FrameError)>),
{
    // The first block is a section header, which sets the real byte order.
    let mut section = Section::start(Endianness::Big);
    let mut rest = bytes;
    while !rest.is_empty() {
        let offset = bytes.len().saturating_sub(rest.len());
        let (block, next) = match next_block(rest, section.order) {
            Ok(found) => found,
            Err(error) if offset == 0 => return Err(error.for_file_header()),
            Err(error) => {
                walker.bad_tail(error.at(offset));
                break;
            }
        };
        rest = next;
        match block.kind {
            PCAPNG_SECTION_HEADER => section = Section::start(block.order),
            PCAPNG_INTERFACE_DESCRIPTION => section.describe_interface(block.body),
            PCAPNG_ENHANCED_PACKET | PCAPNG_PACKET => {
                match section.timed_packet(block.kind, block.body) {
                    Ok((timestamp, link, data)) => walker.packet(timestamp, link, data),
                    Err(error) => walker.bad_packet(error.at(offset)),
                }
            }
            PCAPNG_SIMPLE_PACKET => match section.simple_packet(block.body) {
                Ok((link, data)) => walker.packet(Duration::ZERO, link, data),
                Err(error) => walker.bad_packet(error.at(offset)),
            },
            _ => {}
        }
    }
    Ok(())
}

/// One framed pcapng block.
struct Block<'b> {
    kind: u32,
    /// Byte order of the block: the section's, or for a section header
    /// block the order it declares for its new section.
    order: Endianness,
    body: &'b [u8],
}

/// Why a pcapng block or packet could not be read.
enum BlockError {
    /// The file ends inside the block.
    Truncated,
    Malformed(&'static str),
    /// A packet block refers to an unusable interface.
    Interface(FrameError),
}

impl BlockError {
    fn at(self, offset: usize) -> FrameError {
        match self {
            Self::Truncated => FrameError::TruncatedFile { offset },
            Self::Malformed(reason) => FrameError::MalformedRecord {
                offset,
                reason: reason.to_owned(),
            },
            Self::Interface(error) => error,
        }
    }

    fn for_file_header(self) -> CaptureError {
        match self {
            Self::Truncated => CaptureError::TruncatedHeader,
            Self::Malformed(reason) => CaptureError::MalformedHeader(reason.to_owned()),
            Self::Interface(error) => CaptureError::MalformedHeader(error.to_string()),
        }
    }
}

/// Splits the next block off `rest`: type, total length, body, total length.
fn next_block(rest: &[u8], order: Endianness) -> Result<(Block<'_>, &[u8]), BlockError> {
    let kind = read_u32(rest, 0, order).ok_or(BlockError::Truncated)?;
    let order = if kind == PCAPNG_SECTION_HEADER {
        section_order(rest)?
    } else {
        order
    };
    let declared = read_u32(rest, 4, order).ok_or(BlockError::Truncated)?;
    let length =
        usize::try_from(declared).map_err(|_| BlockError::Malformed("block length too large"))?;
    if length < 12 || length % 4 != 0 {
        return Err(BlockError::Malformed("invalid block length"));
    }
    let block = rest.get(..length).ok_or(BlockError::Truncated)?;
    let trailer_at = length.saturating_sub(4);
    if read_u32(block, trailer_at, order) != Some(declared) {
        return Err(BlockError::Malformed("block length trailer does not match"));
    }
    let body = block
        .get(8..trailer_at)
        .ok_or(BlockError::Malformed("invalid block length"))?;
    let next = rest.get(length..).unwrap_or_default();
    Ok((Block { kind, order, body }, next))
}

/// Reads a section header block's byte-order magic.
fn section_order(block: &[u8]) -> Result<Endianness, BlockError> {
    match bytes_at::<4>(block, 8).ok_or(BlockError::Truncated)? {
        [0x1a, 0x2b, 0x3c, 0x4d] => Ok(Endianness::Big),
        [0x4d, 0x3c, 0x2b, 0x1a] => Ok(Endianness::Little),
        _ => Err(BlockError::Malformed("unknown section byte-order magic")),
    }
}

/// State of the current pcapng section.
struct Section {
    order: Endianness,
    /// Indexed by interface id; a malformed description keeps its slot so
    /// that later ids stay right.
    interfaces: Vec<Result<Interface, FrameError>>,
}

#[derive(Clone, Copy)]
struct Interface {
    link: u32,
    snaplen: u32,
    ticks_per_second: NonZeroU64,
}

impl Section {
    fn start(order: Endianness) -> Self {
        Self {
            order,
            interfaces: Vec::new(),
        }
    }

    fn describe_interface(&mut self, body: &[u8]) {
        let id = self.interfaces.len();
        let interface = parse_interface(body, self.order)
            .map_err(|reason| FrameError::BadInterface { id, reason });
        self.interfaces.push(interface);
    }

    fn interface(&self, id: u32) -> Result<Interface, BlockError> {
        let slot = usize::try_from(id)
            .ok()
            .and_then(|index| self.interfaces.get(index));
        match slot {
            Some(Ok(interface)) => Ok(*interface),
            Some(Err(error)) => Err(BlockError::Interface(error.clone())),
            None => Err(BlockError::Interface(FrameError::UnknownInterface(id))),
        }
    }

    /// Reads an Enhanced Packet Block or an obsolete Packet Block; both have
    /// the timestamp, captured length and data at the same place and differ
    /// in the width of the interface id.
    fn timed_packet<'b>(
        &self,
        kind: u32,
        body: &'b [u8],
    ) -> Result<(Duration, u32, &'b [u8]), BlockError> {
        let too_short = BlockError::Malformed("packet block too short");
        let id = if kind == PCAPNG_PACKET {
            read_u16(body, 0, self.order).map(u32::from)
        } else {
            read_u32(body, 0, self.order)
        };
        let (Some(id), Some(high), Some(low), Some(captured)) = (
            id,
            read_u32(body, 4, self.order),
            read_u32(body, 8, self.order),
            read_u32(body, 12, self.order),
        ) else {
            return Err(too_short);
        };
        let data = usize::try_from(captured)
            .ok()
            .and_then(|captured| body.get(20..captured.checked_add(20)?))
            .ok_or(BlockError::Malformed("captured length exceeds the block"))?;
        let interface = self.interface(id)?;
        let ticks = (u64::from(high) << 32) | u64::from(low);
        Ok((
            ticks_to_duration(ticks, interface.ticks_per_second),
            interface.link,
            data,
        ))
    }

    /// Reads a Simple Packet Block: interface 0, no timestamp, and the
    /// captured length is implied by the original length and the snaplen.
    fn simple_packet<'b>(&self, body: &'b [u8]) -> Result<(u32, &'b [u8]), BlockError> {
        let original =
            read_u32(body, 0, self.order).ok_or(BlockError::Malformed("packet block too short"))?;
        let interface = self.interface(0)?;
        let data = body.get(4..).unwrap_or_default();
        let mut captured = usize::try_from(original).unwrap_or(usize::MAX);
        if interface.snaplen != 0 {
            captured = captured.min(usize::try_from(interface.snaplen).unwrap_or(usize::MAX));
        }
        Ok((interface.link, data.get(..captured).unwrap_or(data)))
    }
}

/// Reads an Interface Description Block: link type, snaplen and options.
/// Options other than `if_tsresol` are ignored, and a malformed option list
/// only loses the options after the damage.
fn parse_interface(body: &[u8], order: Endianness) -> Result<Interface, &'static str> {
    let (Some(link), Some(snaplen)) = (read_u16(body, 0, order), read_u32(body, 4, order)) else {
        return Err("block too short");
    };
    let options = body.get(8..).unwrap_or_default();
    let ticks_per_second = match find_option(options, PCAPNG_OPTION_TSRESOL, order) {
        Some(&[resolution, ..]) => {
            ticks_per_second(resolution).ok_or("unsupported timestamp resolution")?
        }
        Some(_) => return Err("empty if_tsresol option"),
        None => MICROSECONDS_PER_SECOND,
    };
    Ok(Interface {
        link: u32::from(link),
        snaplen,
        ticks_per_second,
    })
}

/// Finds the value of option `code` in a pcapng option list.
fn find_option(mut options: &[u8], code: u16, order: Endianness) -> Option<&[u8]> {
    loop {
        let here = read_u16(options, 0, order)?;
        let length = usize::from(read_u16(options, 2, order)?);
        if here == PCAPNG_OPTION_END {
            return None;
        }
        let value = options.get(4..length.checked_add(4)?)?;
        if here == code {
            return Some(value);
        }
        let padded = length.checked_next_multiple_of(4)?.checked_add(4)?;
        options = options.get(padded..)?;
    }
}

/// Decodes `if_tsresol`: a power of ten, or of two when the top bit is set.
fn ticks_per_second(resolution: u8) -> Option<NonZeroU64> {
    let exponent = u32::from(resolution & 0x7f);
    let ticks = if resolution & 0x80 == 0 {
        10u64.checked_pow(exponent)?
    } else {
        1u64.checked_shl(exponent)?
    };
    NonZeroU64::new(ticks)
}

fn ticks_to_duration(ticks: u64, ticks_per_second: NonZeroU64) -> Duration {
    let seconds = ticks / ticks_per_second;
    let fraction = ticks % ticks_per_second;
    // fraction < 2^64, so fraction * 10^9 < 2^94 cannot overflow a u128.
    let nanos = u128::from(fraction) * 1_000_000_000 / NonZeroU128::from(ticks_per_second);
    let nanos = Duration::from_nanos(u64::try_from(nanos).unwrap_or(0));
    Duration::from_secs(seconds).saturating_add(nanos)
}

// --------------------------------------------------- link, IP and UDP

const LINKTYPE_NULL: u32 = 0;
const LINKTYPE_ETHERNET: u32 = 1;
const LINKTYPE_RAW: u32 = 101;
const LINKTYPE_LOOP: u32 = 108;
const LINKTYPE_LINUX_SLL: u32 = 113;
const LINKTYPE_IPV4: u32 = 228;
const LINKTYPE_IPV6: u32 = 229;
const LINKTYPE_LINUX_SLL2: u32 = 276;

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN_TAGS: [u16; 3] = [0x8100, 0x88a8, 0x9100];
const IP_PROTOCOL_UDP: u8 = 17;

#[derive(Clone, Copy)]
enum Network {
    Ipv4,
    Ipv6,
}

struct IpPacket<'p> {
    src: IpAddr,
    dst: IpAddr,
    /// The UDP header and payload, trimmed to the IP length fields.
    udp: &'p [u8],
}

struct UdpSegment<'p> {
    src_port: u16,
    dst_port: u16,
    payload: &'p [u8],
}

fn decode_frame(
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
fn strip_link(link: u32, frame: &[u8]) -> Result<(Network, &[u8]), FrameError> {
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
fn strip_ethernet(frame: &[u8]) -> Result<(Network, &[u8]), FrameError> {
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
fn strip_fixed<'f>(
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
fn strip_loopback(frame: &[u8], big_endian_only: bool) -> Result<(Network, &[u8]), FrameError> {
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
fn network_from_family(family: u32) -> Option<Network> {
    match family {
        2 => Some(Network::Ipv4),
        24 | 28 | 30 => Some(Network::Ipv6),
        _ => None,
    }
}

fn network_from_ethertype(ethertype: u16) -> Result<Network, FrameError> {
    match ethertype {
        ETHERTYPE_IPV4 => Ok(Network::Ipv4),
        ETHERTYPE_IPV6 => Ok(Network::Ipv6),
        other => Err(FrameError::NotIpEthertype(other)),
    }
}

/// For raw IP links that may carry either version.
fn network_from_version(packet: &[u8]) -> Result<Network, FrameError> {
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
fn expect_ip_version(packet: &[u8], expected: u8) -> Result<(), FrameError> {
    match packet.first().map(|first| first >> 4) {
        Some(found) if found != expected => Err(FrameError::IpVersionMismatch { expected, found }),
        _ => Ok(()),
    }
}

fn parse_ipv4(packet: &[u8]) -> Result<IpPacket<'_>, FrameError> {
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

const IPV6_HOP_BY_HOP: u8 = 0;
const IPV6_ROUTING: u8 = 43;
const IPV6_FRAGMENT: u8 = 44;
const IPV6_DESTINATION_OPTIONS: u8 = 60;

fn parse_ipv6(packet: &[u8]) -> Result<IpPacket<'_>, FrameError> {
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
fn skip_extension_headers(packet: &[u8], mut next: u8) -> Result<&[u8], FrameError> {
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

fn parse_udp(segment: &[u8]) -> Result<UdpSegment<'_>, FrameError> {
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

// ------------------------------------------------------ byte accessors

fn bytes_at<const N: usize>(data: &[u8], offset: usize) -> Option<[u8; N]> {
    data.get(offset..offset.checked_add(N)?)?.try_into().ok()
}

fn read_be_u16(data: &[u8], offset: usize) -> Option<u16> {
    bytes_at(data, offset).map(u16::from_be_bytes)
}

fn read_u16(data: &[u8], offset: usize, order: Endianness) -> Option<u16> {
    let bytes = bytes_at(data, offset)?;
    Some(match order {
        Endianness::Big => u16::from_be_bytes(bytes),
        Endianness::Little => u16::from_le_bytes(bytes),
    })
}

fn read_u32(data: &[u8], offset: usize, order: Endianness) -> Option<u32> {
    let bytes = bytes_at(data, offset)?;
    Some(match order {
        Endianness::Big => u32::from_be_bytes(bytes),
        Endianness::Little => u32::from_le_bytes(bytes),
    })
}

// ------------------------------------------------------------ hex text

/// Why hex text could not be turned into bytes. Lines and columns count
/// from 1; columns count characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HexError {
    #[error("no hex digits found")]
    Empty,
    #[error("invalid hex character {ch:?} at line {line}, column {column}")]
    InvalidChar {
        line: usize,
        column: usize,
        ch: char,
    },
    #[error("odd number of hex digits in the group at line {line}, column {column}")]
    OddDigits { line: usize, column: usize },
    #[error(
        "hex dump line {line} starts at offset {offset}, but {expected} bytes were read before it"
    )]
    OffsetMismatch {
        line: usize,
        offset: String,
        expected: usize,
    },
}

/// Parses hex text into bytes.
///
/// Plain form: hex digits in groups of any even length, separated by
/// whitespace, newlines, colons or commas, each group optionally prefixed
/// with `0x` (`30 26 02`, `30:26:02`, `0x30, 0x26`, `302602`).
///
/// Dump form, recognised when every non-blank line starts with a 4 to 8
/// digit offset (optionally followed by `:`) and the first offset is zero:
/// the offset column is checked against the bytes read so far (hex or
/// decimal, for net-snmp) and the ASCII column is dropped. The hex part of a
/// line ends at a `|`, at a gap of three or more blanks, or at the first
/// group that is not all hex digits; this covers `tshark -x`, `xxd`,
/// `hexdump -C` and net-snmp's `-d` output.
pub(crate) fn parse_hex(text: &str) -> Result<Vec<u8>, HexError> {
    let bytes = if is_hex_dump(text) {
        parse_hex_dump(text)?
    } else {
        parse_plain_hex(text)?
    };
    if bytes.is_empty() {
        return Err(HexError::Empty);
    }
    Ok(bytes)
}

/// A run of non-separator characters on one line.
struct Token<'t> {
    /// 1-based character column of the first character.
    column: usize,
    /// Number of separator characters just before the token.
    gap: usize,
    text: &'t str,
}

fn tokens(line: &str, is_separator: fn(char) -> bool) -> Vec<Token<'_>> {
    let mut found = Vec::new();
    let mut gap = 0;
    let mut start: Option<(usize, usize)> = None;
    for (column, (index, ch)) in (1..).zip(line.char_indices()) {
        if !is_separator(ch) {
            start.get_or_insert((index, column));
            continue;
        }
        if let Some((begin, first_column)) = start.take() {
            let text = line.get(begin..index).unwrap_or_default();
            found.push(Token {
                column: first_column,
                gap,
                text,
            });
            gap = 0;
        }
        gap = gap.saturating_add(1);
    }
    if let Some((begin, column)) = start {
        let text = line.get(begin..).unwrap_or_default();
        found.push(Token { column, gap, text });
    }
    found
}

fn is_plain_separator(ch: char) -> bool {
    ch.is_whitespace() || ch == ':' || ch == ','
}

fn parse_plain_hex(text: &str) -> Result<Vec<u8>, HexError> {
    let mut bytes = Vec::new();
    for (line, content) in (1..).zip(text.lines()) {
        for token in tokens(content, is_plain_separator) {
            decode_group(&token, line, &mut bytes)?;
        }
    }
    Ok(bytes)
}

/// Appends the bytes of one group of hex digits, after an optional `0x`.
fn decode_group(token: &Token<'_>, line: usize, bytes: &mut Vec<u8>) -> Result<(), HexError> {
    let (digits, column) = match token.text.get(..2) {
        Some("0x" | "0X") if token.text.len() > 2 => (
            token.text.get(2..).unwrap_or_default(),
            token.column.saturating_add(2),
        ),
        _ => (token.text, token.column),
    };
    if let Some((position, ch)) = (column..)
        .zip(digits.chars())
        .find(|(_, ch)| !ch.is_ascii_hexdigit())
    {
        return Err(HexError::InvalidChar {
            line,
            column: position,
            ch,
        });
    }
    let pairs = digits.as_bytes().chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(HexError::OddDigits { line, column });
    }
    for pair in pairs {
        if let [high, low] = pair {
            bytes.push((hex_value(*high) << 4) | hex_value(*low));
        }
    }
    Ok(())
}

/// Value of an ASCII hex digit (already validated).
fn hex_value(digit: u8) -> u8 {
    char::from(digit)
        .to_digit(16)
        .and_then(|value| u8::try_from(value).ok())
        .unwrap_or(0)
}

/// The offset at the start of a dump line, without its `:`.
fn dump_offset<'t>(first: &Token<'t>) -> Option<&'t str> {
    let offset = first.text.strip_suffix(':').unwrap_or(first.text);
    let is_offset =
        (4..=8).contains(&offset.len()) && offset.chars().all(|ch| ch.is_ascii_hexdigit());
    is_offset.then_some(offset)
}

fn is_hex_dump(text: &str) -> bool {
    let mut lines = text
        .lines()
        .map(|line| tokens(line, char::is_whitespace))
        .filter(|line| !line.is_empty());
    let starts_at_zero = lines.next().is_some_and(|first| {
        let offset = first.first().and_then(dump_offset);
        first.len() > 1 && offset.is_some_and(|offset| offset.bytes().all(|digit| digit == b'0'))
    });
    starts_at_zero && lines.all(|line| line.first().and_then(dump_offset).is_some())
}

fn parse_hex_dump(text: &str) -> Result<Vec<u8>, HexError> {
    let mut bytes = Vec::new();
    for (line, content) in (1..).zip(text.lines()) {
        let hex_part = content.split('|').next().unwrap_or_default();
        let line_tokens = tokens(hex_part, char::is_whitespace);
        let Some((first, data)) = line_tokens.split_first() else {
            continue;
        };
        let offset = dump_offset(first).unwrap_or(first.text);
        if !offset_matches(offset, bytes.len()) {
            return Err(HexError::OffsetMismatch {
                line,
                offset: offset.to_owned(),
                expected: bytes.len(),
            });
        }
        for (index, token) in data.iter().enumerate() {
            let ends_hex = (index > 0 && token.gap >= 3)
                || !token.text.chars().all(|ch| ch.is_ascii_hexdigit());
            if ends_hex {
                break;
            }
            decode_group(token, line, &mut bytes)?;
        }
    }
    Ok(bytes)
}

/// Whether a dump offset equals `count`, read as hex or as decimal.
fn offset_matches(offset: &str, count: usize) -> bool {
    let count = u64::try_from(count).ok();
    let hex = u64::from_str_radix(offset, 16).ok();
    let decimal = offset.parse::<u64>().ok();
    count.is_some() && (hex == count || decimal == count)
}

#[cfg(test)]
mod tests {
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
        assert!(matches!(error, CaptureError::NotCapture(0x7468_6973)));
        assert_eq!(
            error.to_string(),
            "not a pcap or pcapng file: unknown magic number 0x74686973"
        );
        assert!(matches!(
            read_capture(&[0xd4, 0xc3], |_| {}),
            Err(CaptureError::TooShort(2))
        ));
        assert!(matches!(
            read_capture(&[], |_| {}),
            Err(CaptureError::TooShort(0))
        ));
        let header_only = pcap(1, &[]);
        assert!(matches!(
            read_capture(header_only.get(..20).unwrap(), |_| {}),
            Err(CaptureError::TruncatedHeader)
        ));
        let (items, summary) = run(&header_only);
        assert!(items.is_empty());
        assert_eq!(summary, CaptureSummary::default());
    }

    #[test]
    fn load_file_reports_the_path() {
        let error = load_file(Path::new("/nonexistent/nocwatch/capture.pcap")).unwrap_err();
        assert!(matches!(error, CaptureError::Io { .. }));
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
            Err(CaptureError::TruncatedHeader)
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

    fn zeek_dir() -> Option<PathBuf> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/captures/zeek");
        if dir.is_dir() {
            Some(dir)
        } else {
            println!("skipped: ../shared not present");
            None
        }
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
            assert_eq!(parse_hex(text), Ok(expected.clone()), "{text:?}");
        }
    }

    #[test]
    fn hex_errors_have_positions() {
        assert_eq!(
            parse_hex("30 26 0"),
            Err(HexError::OddDigits { line: 1, column: 7 })
        );
        assert_eq!(
            parse_hex("30 26\n02 0g"),
            Err(HexError::InvalidChar {
                line: 2,
                column: 5,
                ch: 'g'
            })
        );
        assert_eq!(
            parse_hex("0x"),
            Err(HexError::InvalidChar {
                line: 1,
                column: 2,
                ch: 'x'
            })
        );
        assert_eq!(
            parse_hex("é1"),
            Err(HexError::InvalidChar {
                line: 1,
                column: 1,
                ch: 'é'
            })
        );
        assert_eq!(parse_hex(" \n : , "), Err(HexError::Empty));
        assert_eq!(
            HexError::OddDigits { line: 1, column: 7 }.to_string(),
            "odd number of hex digits in the group at line 1, column 7"
        );
    }

    const SNMP_GET: [u8; 24] = [
        0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06, 0x70, 0x75, 0x62, 0x6c, 0x69, 0x63, 0xa0, 0x19,
        0x02, 0x04, 0x7e, 0x4b, 0x2c, 0x11, 0x02, 0x01, 0x00,
    ];

    #[test]
    fn hex_dump_from_tshark() {
        let text = "\
0000  30 26 02 01 01 04 06 70 75 62 6c 69 63 a0 19 02   0&.....public...
0010  04 7e 4b 2c 11 02 01 00                           .~K,....
";
        assert_eq!(parse_hex(text), Ok(SNMP_GET.to_vec()));
    }

    #[test]
    fn hex_dump_from_xxd() {
        let text = "\
00000000: 3026 0201 0104 0670 7562 6c69 63a0 1902  0&.....public...
00000010: 047e 4b2c 1102 0100                      .~K,....
";
        assert_eq!(parse_hex(text), Ok(SNMP_GET.to_vec()));
    }

    #[test]
    fn hex_dump_from_hexdump_canonical() {
        let text = "\
00000000  30 26 02 01 01 04 06 70  75 62 6c 69 63 a0 19 02  |0&.....public...|
00000010  04 7e 4b 2c 11 02 01 00                           |.~K,....|
00000018
";
        assert_eq!(parse_hex(text), Ok(SNMP_GET.to_vec()));
    }

    #[test]
    fn hex_dump_from_net_snmp_with_decimal_offsets() {
        let text = "\
0000: 30 26 02 01  01 04 06 70  75 62 6C 69  63 A0 19 02    0&.....public...
0016: 04 7E 4B 2C  11 02 01 00                              .~K,....
";
        assert_eq!(parse_hex(text), Ok(SNMP_GET.to_vec()));
    }

    #[test]
    fn hex_dump_ascii_column_that_looks_like_hex_is_ignored() {
        let text = "0000  61 62 63 64                                       abcd\n";
        assert_eq!(parse_hex(text), Ok(b"abcd".to_vec()));
    }

    #[test]
    fn hex_dump_offset_mismatch() {
        let text = "0000  30 26 02 01\n0010  04 7e\n";
        assert_eq!(
            parse_hex(text),
            Err(HexError::OffsetMismatch {
                line: 2,
                offset: "0010".to_owned(),
                expected: 4
            })
        );
    }

    #[test]
    fn hex_dump_odd_group_is_an_error() {
        assert_eq!(
            parse_hex("0000  30 2 02\n"),
            Err(HexError::OddDigits {
                line: 1,
                column: 10
            })
        );
    }
}
