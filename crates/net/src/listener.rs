//! The trap listener's sockets: UDP, sharded with SO_REUSEPORT, read in batches with
//! recvmmsg, with a large receive buffer and the kernel's own drop count.
//!
//! Why it is shaped this way:
//!
//! - **Blocking threads, not tokio.** A storm is a tight loop of one syscall per batch
//!   of datagrams; a reactor adds an epoll round trip and a wake-up per batch and buys
//!   nothing, because each socket has exactly one reader. Each [`ListenSocket`] is read
//!   by one thread ([`Listener::spawn`]) with `MSG_WAITFORONE`: it sleeps until the
//!   first datagram, then takes whatever else is queued (up to the batch size) in the
//!   same call. SO_RCVTIMEO bounds the sleep so the thread sees a stop request.
//! - **SO_REUSEPORT sharding.** N sockets bound to the same address: the kernel spreads
//!   flows (by source address and port hash) over them, so one core per socket reads
//!   in parallel and one source always lands on the same socket (its packets stay in
//!   order).
//! - **The kernel's drop count, two ways.** SO_RXQ_OVFL makes the kernel attach the
//!   socket's cumulative drop counter to each datagram, so the reader learns of drops
//!   for free while traffic flows; `/proc/net/udp{,6}`'s `drops` column (found by the
//!   socket's inode) is read when the counters are looked at, so drops after the last
//!   datagram are not missed. [`ListenSocket::kernel_drops`] reports the larger.
//! - **Receive buffer.** The request is tried with SO_RCVBUFFORCE (works as root or
//!   with CAP_NET_ADMIN, ignores `net.core.rmem_max`), then SO_RCVBUF; the effective
//!   size is read back, and a warning is logged when the kernel gave less.
//! - **Answers from the same socket.** An inform's Response must come from the address
//!   the inform was sent to, so [`ListenSocket::send_to`] sends on the receiving
//!   socket (sharing it across threads is fine for UDP).

use std::fmt;
use std::io;
use std::io::IoSliceMut;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsFd, AsRawFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::socket::{
    AddressFamily, ControlMessageOwned, MsgFlags, MultiHeaders, SockFlag, SockProtocol, SockType,
    SockaddrStorage, bind, getsockopt, recvmmsg, setsockopt, socket, sockopt,
};

use crate::error::NetError;

/// How to open the listener.
#[derive(Debug, Clone)]
pub struct ListenerConfig {
    /// Addresses to listen on (IPv4 and/or IPv6; port 0 picks one free port, shared
    /// by all the shards of that address).
    pub addrs: Vec<SocketAddr>,
    /// Sockets per address, sharded with SO_REUSEPORT; 0 means one per available core.
    pub sockets_per_addr: usize,
    /// Receive buffer to request per socket, in bytes (the kernel doubles it for its
    /// bookkeeping; the figure here is the payload-sized request, as `SO_RCVBUF` takes).
    pub recv_buffer: usize,
    /// Datagrams per recvmmsg call.
    pub batch: usize,
    /// Largest datagram kept whole; longer ones are counted as truncated and dropped.
    pub max_datagram: usize,
    /// How long a reader sleeps at most before checking for a stop request.
    pub poll_interval: Duration,
}

impl Default for ListenerConfig {
    /// Port 162 on every IPv4 address, one socket per core, 32 MiB receive buffers,
    /// batches of 64 datagrams of up to 16 KiB, 100 ms stop latency.
    fn default() -> Self {
        Self {
            addrs: vec![SocketAddr::from(([0, 0, 0, 0], 162))],
            sockets_per_addr: 0,
            recv_buffer: 32 << 20,
            batch: 64,
            max_datagram: 16 << 10,
            poll_interval: Duration::from_millis(100),
        }
    }
}

/// Per-socket counters, updated by the socket's reader thread.
#[derive(Debug, Default)]
struct Counters {
    datagrams: AtomicU64,
    bytes: AtomicU64,
    batches: AtomicU64,
    truncated: AtomicU64,
    recv_errors: AtomicU64,
    /// The last SO_RXQ_OVFL value seen (cumulative in the kernel).
    rxq_ovfl: AtomicU64,
    responses_sent: AtomicU64,
    send_errors: AtomicU64,
}

/// A snapshot of one socket's (or the sum of all sockets') counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SocketStats {
    /// Datagrams read (including truncated ones).
    pub datagrams: u64,
    /// Payload bytes read.
    pub bytes: u64,
    /// recvmmsg calls that returned at least one datagram.
    pub batches: u64,
    /// Datagrams longer than [`ListenerConfig::max_datagram`], dropped.
    pub truncated: u64,
    /// recvmmsg failures other than the poll timeout.
    pub recv_errors: u64,
    /// Datagrams the kernel dropped for this socket (receive buffer full, etc.).
    pub kernel_drops: u64,
    /// Responses (inform acks, Reports) sent.
    pub responses_sent: u64,
    /// Responses that failed to send.
    pub send_errors: u64,
}

impl SocketStats {
    fn add(&mut self, o: &Self) {
        self.datagrams += o.datagrams;
        self.bytes += o.bytes;
        self.batches += o.batches;
        self.truncated += o.truncated;
        self.recv_errors += o.recv_errors;
        self.kernel_drops += o.kernel_drops;
        self.responses_sent += o.responses_sent;
        self.send_errors += o.send_errors;
    }
}

/// One bound UDP socket of the listener.
pub struct ListenSocket {
    socket: UdpSocket,
    local: SocketAddr,
    shard: usize,
    inode: u64,
    recv_buffer: usize,
    counters: Counters,
}

impl fmt::Debug for ListenSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ListenSocket")
            .field("local", &self.local)
            .field("shard", &self.shard)
            .field("inode", &self.inode)
            .field("recv_buffer", &self.recv_buffer)
            .finish_non_exhaustive()
    }
}

fn io_err(op: &'static str) -> impl FnOnce(Errno) -> NetError {
    move |e| NetError::Io {
        op,
        source: io::Error::from(e),
    }
}

impl ListenSocket {
    /// Opens one socket on `addr` with SO_REUSEPORT (so more can share the address),
    /// the requested receive buffer, SO_RXQ_OVFL and the poll timeout. `shard` is only
    /// a label for logs and metrics.
    pub fn bind(addr: SocketAddr, shard: usize, config: &ListenerConfig) -> Result<Self, NetError> {
        let family = if addr.is_ipv4() {
            AddressFamily::Inet
        } else {
            AddressFamily::Inet6
        };
        let fd = socket(
            family,
            SockType::Datagram,
            SockFlag::SOCK_CLOEXEC,
            SockProtocol::Udp,
        )
        .map_err(io_err("socket"))?;
        setsockopt(&fd, sockopt::ReusePort, &true).map_err(io_err("SO_REUSEPORT"))?;
        if addr.is_ipv6() {
            // Separate v4 and v6 sockets: an explicit `[::]` does not swallow IPv4.
            setsockopt(&fd, sockopt::Ipv6V6Only, &true).map_err(io_err("IPV6_V6ONLY"))?;
        }
        setsockopt(&fd, sockopt::RxqOvfl, &1).map_err(io_err("SO_RXQ_OVFL"))?;
        let timeout = nix::sys::time::TimeVal::new(
            i64::try_from(config.poll_interval.as_secs()).unwrap_or(1),
            i64::from(config.poll_interval.subsec_micros()),
        );
        setsockopt(&fd, sockopt::ReceiveTimeout, &timeout).map_err(io_err("SO_RCVTIMEO"))?;
        let recv_buffer = set_recv_buffer(&fd, config.recv_buffer)?;
        if recv_buffer < config.recv_buffer {
            tracing::warn!(
                %addr,
                requested = config.recv_buffer,
                effective = recv_buffer,
                "the kernel capped the trap socket's receive buffer (raise net.core.rmem_max \
                 or run with CAP_NET_ADMIN); bursts larger than the buffer will be dropped \
                 and counted as kernel drops"
            );
        }
        bind(fd.as_raw_fd(), &SockaddrStorage::from(addr)).map_err(|e| NetError::Io {
            op: "bind",
            source: io::Error::other(format!("{addr}: {e}")),
        })?;
        let inode = nix::sys::stat::fstat(&fd).map_err(io_err("fstat"))?.st_ino;
        let socket = UdpSocket::from(fd);
        let local = socket.local_addr().map_err(|source| NetError::Io {
            op: "getsockname",
            source,
        })?;
        tracing::debug!(%local, shard, recv_buffer, inode, "trap socket bound");
        Ok(Self {
            socket,
            local,
            shard,
            inode,
            recv_buffer,
            counters: Counters::default(),
        })
    }

    /// The bound address (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The shard number given at bind time.
    pub fn shard(&self) -> usize {
        self.shard
    }

    /// The effective receive buffer (payload bytes, i.e. half what the kernel reports).
    pub fn recv_buffer(&self) -> usize {
        self.recv_buffer
    }

    /// Sends a datagram (an inform's Response, a Report) from this socket.
    pub fn send_to(&self, datagram: &[u8], peer: SocketAddr) -> io::Result<usize> {
        let r = self.socket.send_to(datagram, peer);
        match r {
            Ok(_) => self.counters.responses_sent.fetch_add(1, Ordering::Relaxed),
            Err(_) => self.counters.send_errors.fetch_add(1, Ordering::Relaxed),
        };
        r
    }

    /// Reads one batch into `bufs`: waits up to the poll interval for the first
    /// datagram, then takes what else is queued. Returns how many were read (0 on
    /// timeout). Truncated datagrams are counted and left out of `bufs`.
    pub fn recv_batch(&self, bufs: &mut RecvBuffers) -> Result<usize, NetError> {
        bufs.meta.clear();
        let slot = bufs.slot;
        let mut iovs: Vec<[IoSliceMut<'_>; 1]> = bufs
            .data
            .chunks_exact_mut(slot)
            .map(|c| [IoSliceMut::new(c)])
            .collect();
        let result = recvmmsg(
            self.socket.as_raw_fd(),
            &mut bufs.headers,
            iovs.iter_mut(),
            MsgFlags::MSG_WAITFORONE,
            None,
        );
        let results = match result {
            Ok(r) => r,
            Err(Errno::EAGAIN | Errno::EINTR) => return Ok(0),
            Err(e) => {
                self.counters.recv_errors.fetch_add(1, Ordering::Relaxed);
                return Err(io_err("recvmmsg")(e));
            }
        };
        let mut bytes = 0u64;
        let mut truncated = 0u64;
        let mut ovfl = None;
        for (i, msg) in results.enumerate() {
            if let Ok(cmsgs) = msg.cmsgs() {
                for c in cmsgs {
                    if let ControlMessageOwned::RxqOvfl(n) = c {
                        ovfl = Some(n);
                    }
                }
            }
            bytes += msg.bytes as u64;
            if msg.flags.contains(MsgFlags::MSG_TRUNC) {
                truncated += 1;
                continue;
            }
            let Some(peer) = msg.address.as_ref().and_then(to_std) else {
                continue;
            };
            bufs.meta.push(Meta {
                index: i,
                len: msg.bytes,
                peer,
            });
        }
        let n = bufs.meta.len() as u64 + truncated;
        let c = &self.counters;
        if n > 0 {
            c.batches.fetch_add(1, Ordering::Relaxed);
        }
        c.datagrams.fetch_add(n, Ordering::Relaxed);
        c.bytes.fetch_add(bytes, Ordering::Relaxed);
        c.truncated.fetch_add(truncated, Ordering::Relaxed);
        if let Some(v) = ovfl {
            c.rxq_ovfl.fetch_max(u64::from(v), Ordering::Relaxed);
        }
        Ok(bufs.meta.len())
    }

    /// The kernel's drop count for this socket: the larger of the last SO_RXQ_OVFL
    /// value and `/proc/net/udp{,6}`'s `drops` column.
    pub fn kernel_drops(&self) -> u64 {
        let cmsg = self.counters.rxq_ovfl.load(Ordering::Relaxed);
        let proc = proc_drops(self.inode, self.local.is_ipv6()).unwrap_or(0);
        cmsg.max(proc)
    }

    /// This socket's counters.
    pub fn stats(&self) -> SocketStats {
        let c = &self.counters;
        SocketStats {
            datagrams: c.datagrams.load(Ordering::Relaxed),
            bytes: c.bytes.load(Ordering::Relaxed),
            batches: c.batches.load(Ordering::Relaxed),
            truncated: c.truncated.load(Ordering::Relaxed),
            recv_errors: c.recv_errors.load(Ordering::Relaxed),
            kernel_drops: self.kernel_drops(),
            responses_sent: c.responses_sent.load(Ordering::Relaxed),
            send_errors: c.send_errors.load(Ordering::Relaxed),
        }
    }
}

/// Requests `want` bytes of receive buffer (forced first, then within rmem_max) and
/// returns what the kernel gave, in the same units (the kernel reports double).
fn set_recv_buffer(fd: &impl AsFd, want: usize) -> Result<usize, NetError> {
    if want > 0
        && setsockopt(fd, sockopt::RcvBufForce, &want).is_err()
        && let Err(e) = setsockopt(fd, sockopt::RcvBuf, &want)
    {
        tracing::warn!(requested = want, error = %e, "SO_RCVBUF refused");
    }
    let got = getsockopt(fd, sockopt::RcvBuf).map_err(io_err("getsockopt SO_RCVBUF"))?;
    Ok(got / 2)
}

fn to_std(s: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = s.as_sockaddr_in() {
        return Some(SocketAddr::from(*v4));
    }
    s.as_sockaddr_in6().map(|v6| SocketAddr::from(*v6))
}

/// Binds port 0 to a port no other socket uses. With SO_REUSEPORT the kernel may
/// hand out a port another SO_REUSEPORT socket of the same user already holds, which
/// would silently join its group and split its traffic with ours; so the port is
/// checked in `/proc/net/udp{,6}` and another one taken if it is shared.
fn bind_unshared(
    addr: SocketAddr,
    shard: usize,
    config: &ListenerConfig,
) -> Result<ListenSocket, NetError> {
    let mut last = None;
    for _ in 0..32 {
        let s = ListenSocket::bind(addr, shard, config)?;
        let users = port_users(s.local_addr().port(), addr.is_ipv6());
        if users.is_none_or(|n| n <= 1) {
            return Ok(s);
        }
        tracing::debug!(
            port = s.local_addr().port(),
            "port 0 gave a shared port; retrying"
        );
        last = Some(s);
    }
    // Holding on to `last` until here made each retry pick another port.
    drop(last);
    Err(NetError::Io {
        op: "bind",
        source: io::Error::other(format!("{addr}: no unshared port found")),
    })
}

/// `/proc/net/udp` or `/proc/net/udp6` (None if unreadable).
fn proc_table(ipv6: bool) -> Option<String> {
    let path = if ipv6 {
        "/proc/net/udp6"
    } else {
        "/proc/net/udp"
    };
    std::fs::read_to_string(path).ok()
}

/// How many sockets of one family are bound to local `port` (None if unreadable).
fn port_users(port: u16, ipv6: bool) -> Option<usize> {
    Some(count_port(&proc_table(ipv6)?, port))
}

/// How many sockets in a `/proc/net/udp{,6}` table hold `addr`: the same port on the
/// same address, or where either side is the wildcard.
fn holders(text: &str, addr: SocketAddr) -> usize {
    let want = addr.ip();
    text.lines()
        .skip(1)
        .filter_map(|line| line.split_whitespace().nth(1))
        .filter_map(|local| {
            let (ip, port) = local.split_once(':')?;
            (u16::from_str_radix(port, 16).ok()? == addr.port()).then_some(ip)
        })
        .filter(|ip| {
            // The kernel prints the address as native-endian 32-bit words.
            let bytes: Option<Vec<u8>> = (0..ip.len() / 8)
                .map(|w| {
                    let word = u32::from_str_radix(ip.get(w * 8..w * 8 + 8)?, 16).ok()?;
                    Some(word.to_ne_bytes())
                })
                .collect::<Option<Vec<[u8; 4]>>>()
                .map(|v| v.concat());
            let Some(bytes) = bytes else { return true };
            let held: Option<std::net::IpAddr> = match bytes.len() {
                4 => <[u8; 4]>::try_from(bytes.as_slice())
                    .ok()
                    .map(std::net::IpAddr::from),
                16 => <[u8; 16]>::try_from(bytes.as_slice())
                    .ok()
                    .map(std::net::IpAddr::from),
                _ => None,
            };
            held.is_none_or(|h| h == want || h.is_unspecified() || want.is_unspecified())
        })
        .count()
}

fn count_port(text: &str, port: u16) -> usize {
    text.lines()
        .skip(1)
        .filter(|line| {
            line.split_whitespace()
                .nth(1)
                .and_then(|local| local.rsplit(':').next())
                .and_then(|p| u16::from_str_radix(p, 16).ok())
                == Some(port)
        })
        .count()
}

/// The `drops` column of the `/proc/net/udp` (or `udp6`) row whose inode is `inode`.
pub fn proc_drops(inode: u64, ipv6: bool) -> Option<u64> {
    let path = if ipv6 {
        "/proc/net/udp6"
    } else {
        "/proc/net/udp"
    };
    // The table is read in pages, and sockets opened or closed meanwhile (by
    // this process's other threads, or anyone's) shift the rows between two
    // pages, so one read can miss a socket that exists: read again before
    // saying it is not there.
    (0..PROC_READS).find_map(|_| {
        let text = std::fs::read_to_string(path).ok()?;
        parse_proc_drops(&text, inode)
    })
}

/// Reads of `/proc/net/udp{,6}` before a socket counts as absent.
const PROC_READS: usize = 5;

/// Finds `inode` in a `/proc/net/udp` table and returns its `drops` (last column).
fn parse_proc_drops(text: &str, inode: u64) -> Option<u64> {
    text.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // sl local rem st tx:rx tr:tm retrnsmt uid timeout inode ref pointer drops
        let ino: u64 = fields.get(9)?.parse().ok()?;
        if ino != inode {
            return None;
        }
        fields.last()?.parse().ok()
    })
}

#[derive(Debug, Clone, Copy)]
struct Meta {
    index: usize,
    len: usize,
    peer: SocketAddr,
}

/// One datagram of a batch.
#[derive(Debug, Clone, Copy)]
pub struct Datagram<'a> {
    /// Who sent it.
    pub peer: SocketAddr,
    /// Its payload.
    pub data: &'a [u8],
}

/// Preallocated buffers for one reader: `batch` slots of `max_datagram` bytes.
pub struct RecvBuffers {
    data: Vec<u8>,
    slot: usize,
    headers: MultiHeaders<SockaddrStorage>,
    meta: Vec<Meta>,
}

impl fmt::Debug for RecvBuffers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvBuffers")
            .field("slots", &(self.data.len() / self.slot.max(1)))
            .field("slot", &self.slot)
            .field("filled", &self.meta.len())
            .finish_non_exhaustive()
    }
}

impl RecvBuffers {
    /// Buffers for `batch` datagrams of up to `max_datagram` bytes.
    pub fn new(batch: usize, max_datagram: usize) -> Self {
        let batch = batch.max(1);
        // One extra byte per slot: a datagram that fills the slot exactly is whole.
        let slot = max_datagram.max(1) + 1;
        Self {
            data: vec![0; batch * slot],
            slot,
            headers: MultiHeaders::preallocate(batch, Some(nix::cmsg_space!(u32))),
            meta: Vec::with_capacity(batch),
        }
    }

    /// Datagrams read by the last [`ListenSocket::recv_batch`].
    pub fn len(&self) -> usize {
        self.meta.len()
    }

    /// True when the last read returned nothing.
    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }

    /// The datagrams read by the last [`ListenSocket::recv_batch`].
    pub fn iter(&self) -> impl Iterator<Item = Datagram<'_>> + '_ {
        self.meta.iter().filter_map(|m| {
            let start = m.index * self.slot;
            let data = self.data.get(start..start + m.len)?;
            Some(Datagram { peer: m.peer, data })
        })
    }
}

/// All the listener's sockets.
#[derive(Debug)]
pub struct Listener {
    sockets: Vec<Arc<ListenSocket>>,
    config: ListenerConfig,
}

impl Listener {
    /// Binds `sockets_per_addr` sockets on every configured address. With port 0 the
    /// first shard picks the port and the others join it.
    pub fn bind(config: ListenerConfig) -> Result<Self, NetError> {
        let per_addr = if config.sockets_per_addr == 0 {
            std::thread::available_parallelism().map_or(1, usize::from)
        } else {
            config.sockets_per_addr
        };
        let mut sockets = Vec::new();
        for &addr in &config.addrs {
            let first = if addr.port() == 0 {
                bind_unshared(addr, sockets.len(), &config)?
            } else {
                // SO_REUSEPORT would let us join another process's socket on this
                // address and split its traffic (or it ours): refuse like a plain bind.
                if proc_table(addr.is_ipv6()).is_some_and(|t| holders(&t, addr) > 0) {
                    return Err(NetError::Io {
                        op: "bind",
                        source: io::Error::new(
                            io::ErrorKind::AddrInUse,
                            format!("{addr}: address already in use by another socket"),
                        ),
                    });
                }
                ListenSocket::bind(addr, sockets.len(), &config)?
            };
            let bound = first.local_addr();
            sockets.push(Arc::new(first));
            for _ in 1..per_addr {
                let s = ListenSocket::bind(bound, sockets.len(), &config)?;
                sockets.push(Arc::new(s));
            }
        }
        Ok(Self { sockets, config })
    }

    /// The sockets, one per shard per address.
    pub fn sockets(&self) -> &[Arc<ListenSocket>] {
        &self.sockets
    }

    /// The distinct bound addresses (real ports).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        let mut v: Vec<SocketAddr> = self.sockets.iter().map(|s| s.local_addr()).collect();
        v.dedup();
        v
    }

    /// The sum of every socket's counters.
    pub fn stats(&self) -> SocketStats {
        let mut total = SocketStats::default();
        for s in &self.sockets {
            total.add(&s.stats());
        }
        total
    }

    /// Starts one reader thread per socket. `make` builds each socket's handler; the
    /// handler is called with every non-empty batch. The threads end (after the batch
    /// in hand) once `stop` is set; join them to know reading has stopped.
    pub fn spawn<F, H>(
        &self,
        stop: &Arc<AtomicBool>,
        mut make: F,
    ) -> io::Result<Vec<JoinHandle<()>>>
    where
        F: FnMut(&Arc<ListenSocket>) -> H,
        H: FnMut(&ListenSocket, &RecvBuffers) + Send + 'static,
    {
        let mut handles = Vec::with_capacity(self.sockets.len());
        for socket in &self.sockets {
            let mut handler = make(socket);
            let socket = Arc::clone(socket);
            let stop = Arc::clone(stop);
            let (batch, max) = (self.config.batch, self.config.max_datagram);
            let h = std::thread::Builder::new()
                .name(format!("trap-rx-{}", socket.shard()))
                .spawn(move || {
                    let mut bufs = RecvBuffers::new(batch, max);
                    while !stop.load(Ordering::Relaxed) {
                        match socket.recv_batch(&mut bufs) {
                            Ok(0) => {}
                            Ok(_) => handler(&socket, &bufs),
                            Err(e) => {
                                tracing::warn!(local = %socket.local_addr(), error = %e, "trap socket read failed");
                                std::thread::sleep(Duration::from_millis(10));
                            }
                        }
                    }
                })?;
            handles.push(h);
        }
        Ok(handles)
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        reason = "tests"
    )]

    use super::*;

    fn config(addr: &str, shards: usize) -> ListenerConfig {
        ListenerConfig {
            addrs: vec![addr.parse().unwrap()],
            sockets_per_addr: shards,
            recv_buffer: 1 << 20,
            batch: 16,
            max_datagram: 64,
            poll_interval: Duration::from_millis(20),
        }
    }

    #[test]
    fn proc_table_is_parsed_by_inode() {
        let text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
          1: 0100007F:00A2 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4242 2 0000000000000000 17\n\
          2: 0100007F:00A3 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 99 2 0000000000000000 3\n";
        assert_eq!(parse_proc_drops(text, 4242), Some(17));
        assert_eq!(parse_proc_drops(text, 99), Some(3));
        assert_eq!(parse_proc_drops(text, 1), None);
        assert_eq!(count_port(text, 162), 1);
        assert_eq!(count_port(text, 163), 1);
        assert_eq!(count_port(text, 164), 0);
    }

    #[test]
    fn a_fixed_port_already_held_is_refused() {
        let l = Listener::bind(config("127.0.0.1:0", 2)).unwrap();
        let held = l.local_addrs()[0];
        let err = Listener::bind(config(&held.to_string(), 1)).unwrap_err();
        assert!(err.to_string().contains("already in use"), "{err}");
        let wildcard = format!("0.0.0.0:{}", held.port());
        assert!(Listener::bind(config(&wildcard, 1)).is_err());
        // Another address with the same port is free.
        let other = format!("127.0.0.2:{}", held.port());
        assert!(Listener::bind(config(&other, 1)).is_ok());
    }

    #[test]
    fn port_zero_never_joins_another_reuseport_group() {
        // Many listeners on port 0 at once: every one gets a port of its own.
        let all: Vec<Listener> = (0..40)
            .map(|_| Listener::bind(config("127.0.0.1:0", 2)).unwrap())
            .collect();
        let mut ports: Vec<u16> = all.iter().map(|l| l.local_addrs()[0].port()).collect();
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), 40);
        for l in &all {
            assert_eq!(port_users(l.local_addrs()[0].port(), false), Some(2));
        }
    }

    #[test]
    fn shards_share_a_port_and_batches_arrive_whole() {
        let l = Listener::bind(config("127.0.0.1:0", 3)).unwrap();
        assert_eq!(l.sockets().len(), 3);
        let addrs = l.local_addrs();
        assert_eq!(addrs.len(), 1);
        let port = addrs[0].port();
        assert!(l.sockets().iter().all(|s| s.local_addr().port() == port));
        // Each socket's own drop count is found in /proc by its inode.
        for s in l.sockets() {
            assert_eq!(proc_drops(s.inode, false), Some(0));
        }

        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = std::sync::mpsc::channel::<(SocketAddr, Vec<u8>)>();
        let threads = l
            .spawn(&stop, |_| {
                let tx = tx.clone();
                move |_s: &ListenSocket, b: &RecvBuffers| {
                    for d in b.iter() {
                        tx.send((d.peer, d.data.to_vec())).unwrap();
                    }
                }
            })
            .unwrap();
        let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
        for i in 0u8..50 {
            sender.send_to(&[i; 10], addrs[0]).unwrap();
        }
        // A too-long datagram is counted as truncated, not delivered.
        sender.send_to(&[7; 100], addrs[0]).unwrap();
        // Exactly max_datagram bytes is whole.
        sender.send_to(&[8; 64], addrs[0]).unwrap();
        let mut got = Vec::new();
        while got.len() < 51 {
            got.push(rx.recv_timeout(Duration::from_secs(5)).unwrap());
        }
        stop.store(true, Ordering::Relaxed);
        for t in threads {
            t.join().unwrap();
        }
        assert!(got.iter().all(|(p, _)| *p == sender.local_addr().unwrap()));
        for i in 0u8..50 {
            assert!(got.iter().any(|(_, d)| d == &vec![i; 10]));
        }
        assert!(got.iter().any(|(_, d)| d == &vec![8; 64]));
        let st = l.stats();
        assert_eq!(st.datagrams, 52);
        assert_eq!(st.truncated, 1);
        assert_eq!(st.kernel_drops, 0);
    }

    #[test]
    fn kernel_drops_are_counted_when_the_buffer_overflows() {
        let mut c = config("127.0.0.1:0", 1);
        c.recv_buffer = 4096; // the kernel's minimum; a few datagrams fill it
        let l = Listener::bind(c).unwrap();
        let s = &l.sockets()[0];
        let sender = UdpSocket::bind("127.0.0.1:0").unwrap();
        for _ in 0..2000 {
            sender.send_to(&[1; 60], s.local_addr()).unwrap();
        }
        // Nothing read yet: /proc already knows.
        let before_read = s.kernel_drops();
        assert!(before_read > 0, "no drops recorded");
        let mut bufs = RecvBuffers::new(16, 64);
        let mut read = 0;
        while s.recv_batch(&mut bufs).unwrap() > 0 {
            read += bufs.len();
        }
        assert_eq!(read as u64 + s.kernel_drops(), 2000);
    }

    #[test]
    fn ipv6_and_responses_from_the_same_socket() {
        let l = match Listener::bind(config("[::1]:0", 1)) {
            Ok(l) => l,
            Err(e) => {
                // Under NOCWATCH_REQUIRE_PEERS (CI) a missing IPv6 loopback fails.
                nocwatch_testkit::missing(&format!("no IPv6 loopback here ({e})"));
                return;
            }
        };
        let s = &l.sockets()[0];
        let client = UdpSocket::bind("[::1]:0").unwrap();
        client.send_to(b"inform", s.local_addr()).unwrap();
        let mut bufs = RecvBuffers::new(4, 64);
        let mut n = 0;
        for _ in 0..50 {
            n = s.recv_batch(&mut bufs).unwrap();
            if n > 0 {
                break;
            }
        }
        assert_eq!(n, 1);
        let d = bufs.iter().next().unwrap();
        assert_eq!(d.data, b"inform");
        s.send_to(b"response", d.peer).unwrap();
        let mut buf = [0u8; 16];
        client
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let (len, from) = client.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"response");
        assert_eq!(from, s.local_addr());
        assert_eq!(s.stats().responses_sent, 1);
    }
}
