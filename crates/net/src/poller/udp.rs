//! Batched UDP for the poller: `recvmmsg` and `sendmmsg`, tens of datagrams per
//! system call.
//!
//! Receiving goes through `nix`'s safe `recvmmsg`. Sending is the one place in the
//! workspace with `unsafe`: `nix`'s `sendmmsg` can only report how many datagrams the
//! kernel took by iterating results that read socket-address slots it never
//! initialised for a send, so we call `libc::sendmmsg` ourselves over headers we
//! build and own for the duration of the call. The crate relaxes `unsafe_code` from
//! `forbid` to `deny` for this module alone.

#![allow(unsafe_code)]

use std::io;
use std::io::IoSliceMut;
use std::net::SocketAddr;
use std::os::fd::RawFd;

use nix::sys::socket::{MsgFlags, MultiHeaders, SockaddrLike, SockaddrStorage, recvmmsg};

/// Datagrams per system call, both ways.
pub(crate) const BATCH: usize = 32;

/// The receive side: a ring of full-size buffers and their headers.
#[derive(Debug)]
pub(crate) struct RecvBatch {
    bufs: Vec<Vec<u8>>,
    headers: MultiHeaders<SockaddrStorage>,
    /// Length and source of each datagram of the last batch.
    pub(crate) got: Vec<(usize, Option<SocketAddr>)>,
}

impl RecvBatch {
    pub(crate) fn new() -> Self {
        Self {
            // The largest UDP payload fits, so nothing is ever truncated.
            bufs: (0..BATCH).map(|_| vec![0u8; 65_536]).collect(),
            headers: MultiHeaders::preallocate(BATCH, None),
            got: Vec::with_capacity(BATCH),
        }
    }

    /// Receives up to [`BATCH`] datagrams without blocking. `Ok(0)` never happens on
    /// UDP; `WouldBlock` means the socket is drained.
    pub(crate) fn recv(&mut self, fd: RawFd) -> io::Result<usize> {
        self.got.clear();
        let mut slices: Vec<[IoSliceMut<'_>; 1]> = self
            .bufs
            .iter_mut()
            .map(|b| [IoSliceMut::new(b.as_mut_slice())])
            .collect();
        let results = recvmmsg(
            fd,
            &mut self.headers,
            slices.iter_mut(),
            MsgFlags::MSG_DONTWAIT,
            None,
        )
        .map_err(io::Error::from)?;
        for msg in results {
            self.got.push((msg.bytes, msg.address.and_then(to_std)));
        }
        Ok(self.got.len())
    }

    /// The bytes of datagram `i` of the last batch.
    pub(crate) fn datagram(&self, i: usize) -> &[u8] {
        match (self.got.get(i), self.bufs.get(i)) {
            (Some((len, _)), Some(buf)) => buf.get(..*len).unwrap_or(&[]),
            _ => &[],
        }
    }
}

fn to_std(a: SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = a.as_sockaddr_in() {
        return Some(SocketAddr::from(*v4));
    }
    a.as_sockaddr_in6().map(|v6| SocketAddr::from(*v6))
}

/// Sends `datagrams[i]` to `dests[i]` (at most [`BATCH`] of them) in one
/// `sendmmsg`. Returns how many the kernel accepted (all but the tail on a full
/// send buffer); an error is about the first datagram.
pub(crate) fn send_batch(
    fd: RawFd,
    datagrams: &[Vec<u8>],
    dests: &[SocketAddr],
) -> io::Result<usize> {
    let n = datagrams.len().min(dests.len()).min(BATCH);
    if n == 0 {
        return Ok(0);
    }
    let addrs: Vec<SockaddrStorage> = dests
        .iter()
        .take(n)
        .map(|a| SockaddrStorage::from(*a))
        .collect();
    let mut iovs: Vec<libc::iovec> = datagrams
        .iter()
        .take(n)
        .map(|d| libc::iovec {
            iov_base: d.as_ptr().cast_mut().cast(),
            iov_len: d.len(),
        })
        .collect();
    let mut headers: Vec<libc::mmsghdr> = Vec::with_capacity(n);
    for (iov, addr) in iovs.iter_mut().zip(&addrs) {
        // SAFETY: mmsghdr is a plain C struct for which all-zero bytes are a valid
        // value (null pointers, zero lengths); every field the kernel reads is set
        // below.
        let mut h: libc::mmsghdr = unsafe { std::mem::zeroed() };
        h.msg_hdr.msg_name = addr.as_ptr().cast_mut().cast();
        h.msg_hdr.msg_namelen = addr.len();
        h.msg_hdr.msg_iov = std::ptr::from_mut(iov);
        h.msg_hdr.msg_iovlen = 1;
        headers.push(h);
    }
    let count = u32::try_from(headers.len()).unwrap_or(0);
    // SAFETY: `headers` holds `count` initialised mmsghdr; each points at one iovec
    // in `iovs` and one address in `addrs`, and each iovec at a datagram in
    // `datagrams`: all live, unmoved and unaliased until this call returns. The
    // kernel only reads the buffers and writes `msg_len` in `headers`.
    let sent = unsafe { libc::sendmmsg(fd, headers.as_mut_ptr(), count, libc::MSG_DONTWAIT) };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(usize::try_from(sent).unwrap_or(0))
}
