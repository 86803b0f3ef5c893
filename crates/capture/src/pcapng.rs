//! pcapng framing: sections, interfaces (link type, timestamp resolution) and packet blocks, read with our own bounds-checked code (see the parent module for why).

use super::*;

pub(super) const PCAPNG_SECTION_HEADER: u32 = 0x0a0d_0d0a;
pub(super) const PCAPNG_INTERFACE_DESCRIPTION: u32 = 1;
pub(super) const PCAPNG_PACKET: u32 = 2;
pub(super) const PCAPNG_SIMPLE_PACKET: u32 = 3;
pub(super) const PCAPNG_ENHANCED_PACKET: u32 = 6;
/// Interface description option holding the timestamp resolution.
pub(super) const PCAPNG_OPTION_TSRESOL: u16 = 9;
pub(super) const PCAPNG_OPTION_END: u16 = 0;
/// The timestamp resolution when an interface has no `if_tsresol` option.
pub(super) const MICROSECONDS_PER_SECOND: NonZeroU64 = match NonZeroU64::new(1_000_000) {
    Some(ticks) => ticks,
    None => NonZeroU64::MIN,
};

pub(super) fn walk_pcapng<F>(bytes: &[u8], walker: &mut Walker<F>) -> Result<(), Error>
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
pub(super) struct Block<'b> {
    pub(super) kind: u32,
    /// Byte order of the block: the section's, or for a section header
    /// block the order it declares for its new section.
    pub(super) order: Endianness,
    pub(super) body: &'b [u8],
}

/// Why a pcapng block or packet could not be read.
pub(super) enum BlockError {
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

    fn for_file_header(self) -> Error {
        match self {
            Self::Truncated => Error::TruncatedHeader,
            Self::Malformed(reason) => Error::MalformedHeader(reason.to_owned()),
            Self::Interface(error) => Error::MalformedHeader(error.to_string()),
        }
    }
}

/// Splits the next block off `rest`: type, total length, body, total length.
pub(super) fn next_block(rest: &[u8], order: Endianness) -> Result<(Block<'_>, &[u8]), BlockError> {
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
pub(super) fn section_order(block: &[u8]) -> Result<Endianness, BlockError> {
    match bytes_at::<4>(block, 8).ok_or(BlockError::Truncated)? {
        [0x1a, 0x2b, 0x3c, 0x4d] => Ok(Endianness::Big),
        [0x4d, 0x3c, 0x2b, 0x1a] => Ok(Endianness::Little),
        _ => Err(BlockError::Malformed("unknown section byte-order magic")),
    }
}

/// State of the current pcapng section.
pub(super) struct Section {
    pub(super) order: Endianness,
    /// Indexed by interface id; a malformed description keeps its slot so
    /// that later ids stay right.
    pub(super) interfaces: Vec<Result<Interface, FrameError>>,
}

#[derive(Clone, Copy)]
pub(super) struct Interface {
    pub(super) link: u32,
    pub(super) snaplen: u32,
    pub(super) ticks_per_second: NonZeroU64,
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
pub(super) fn parse_interface(body: &[u8], order: Endianness) -> Result<Interface, &'static str> {
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
pub(super) fn find_option(mut options: &[u8], code: u16, order: Endianness) -> Option<&[u8]> {
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
pub(super) fn ticks_per_second(resolution: u8) -> Option<NonZeroU64> {
    let exponent = u32::from(resolution & 0x7f);
    let ticks = if resolution & 0x80 == 0 {
        10u64.checked_pow(exponent)?
    } else {
        1u64.checked_shl(exponent)?
    };
    NonZeroU64::new(ticks)
}

pub(super) fn ticks_to_duration(ticks: u64, ticks_per_second: NonZeroU64) -> Duration {
    let seconds = ticks / ticks_per_second;
    let fraction = ticks % ticks_per_second;
    // fraction < 2^64, so fraction * 10^9 < 2^94 cannot overflow a u128.
    let nanos = u128::from(fraction) * 1_000_000_000 / NonZeroU128::from(ticks_per_second);
    let nanos = Duration::from_nanos(u64::try_from(nanos).unwrap_or(0));
    Duration::from_secs(seconds).saturating_add(nanos)
}
