//! nocwatch-capture: the input side of `nocwatch decode`. Turns the bytes of a pcap or
//! pcapng file into the UDP datagrams it carries, and hex text into bytes. No SNMP and
//! no output here: the caller decodes and prints the payloads.
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
//!   file header) are an [`Error`] and nothing is decoded;
//! * problems with one frame (truncated header, not IP, not UDP, fragment,
//!   inconsistent lengths, ...) are reported as a [`FrameError`] together with
//!   the frame number, and decoding goes on with the next frame;
//! * a truncated or corrupt file tail cannot be resynchronised, so it is
//!   reported as one last error item after all good frames were delivered.
//!
//! [`FrameError`] is not an error of the call: it is the typed reason carried by a
//! frame that has no datagram, and [`read_capture`] keeps going after it. [`Error`] is
//! the crate's one error type (file-level and hex problems).
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

mod frame;
mod hex;
mod pcapng;

use frame::*;
pub use hex::parse_hex;
use pcapng::*;

/// The crate's error: a capture file that cannot be read as a whole (nothing was
/// decoded), or hex text that is not hex. Lines and columns count from 1; columns
/// count characters.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
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
    #[error("no hex digits found")]
    HexEmpty,
    #[error("invalid hex character {ch:?} at line {line}, column {column}")]
    HexInvalidChar {
        line: usize,
        column: usize,
        ch: char,
    },
    #[error("odd number of hex digits in the group at line {line}, column {column}")]
    HexOddDigits { line: usize, column: usize },
    #[error(
        "hex dump line {line} starts at offset {offset}, but {expected} bytes were read before it"
    )]
    HexOffsetMismatch {
        line: usize,
        offset: String,
        expected: usize,
    },
}

/// Why one frame of a capture yielded no UDP datagram (delivered with the frame
/// number; the walk goes on).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
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
pub struct Datagram<'a> {
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
pub struct CaptureSummary {
    /// Packet records found in the file.
    pub frames: u64,
    /// Frames delivered as a [`Datagram`].
    pub datagrams: u64,
    /// Error items delivered: bad frames plus a corrupt or truncated tail.
    pub errors: u64,
}

/// Reads a capture file into memory for [`read_capture`].
pub fn load_file(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Walks a pcap or pcapng file held in `bytes` and calls `deliver` once per
/// frame, in file order: `Ok` with the UDP datagram, or `Err` with the frame
/// number and why the frame has none. A truncated or corrupt tail is one
/// last `Err` item, numbered as the frame that would have come next.
pub fn read_capture(
    bytes: &[u8],
    deliver: impl FnMut(Result<Datagram<'_>, (u64, FrameError)>),
) -> Result<CaptureSummary, Error> {
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

fn detect_format(bytes: &[u8]) -> Result<Format, Error> {
    let magic = bytes_at::<4>(bytes, 0).ok_or(Error::TooShort(bytes.len()))?;
    match u32::from_be_bytes(magic) {
        0xa1b2_c3d4 | 0xd4c3_b2a1 | 0xa1b2_3c4d | 0x4d3c_b2a1 => Ok(Format::Pcap),
        PCAPNG_SECTION_HEADER => Ok(Format::PcapNg),
        other => Err(Error::NotCapture(other)),
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

fn walk_pcap<F>(bytes: &[u8], walker: &mut Walker<F>) -> Result<(), Error>
where
    F: FnMut(Result<Datagram<'_>, (u64, FrameError)>),
{
    let (mut rest, parser) = PcapParser::new(bytes).map_err(|error| match error {
        PcapError::IncompleteBuffer => Error::TruncatedHeader,
        other => Error::MalformedHeader(other.to_string()),
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

#[cfg(test)]
mod tests;
