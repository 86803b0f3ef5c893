//! [`FleetServer`]: serves a [`Fleet`] on consecutive loopback addresses or ports.
//!
//! The scale benchmark polls 10,000 devices on the same two cores as the poller, so
//! the simulator must cost little per request and nothing per idle device:
//!
//! * **Addresses mode** (`127.1.0.1`, `127.1.0.2`, ... one port): one UDP socket per
//!   worker thread, all bound to the wildcard address with `SO_REUSEPORT` (the
//!   kernel spreads managers over them), `IP_PKTINFO` on. Every address of
//!   127.0.0.0/8 is local on Linux, so requests to any device arrive on these
//!   sockets; the destination address (from `IP_PKTINFO`) picks the device and the
//!   reply is sent *from* it (`IP_PKTINFO` on `sendmsg`), as the device itself
//!   would. 10,000 devices cost two sockets, not 10,000. Datagrams to an address
//!   outside the fleet are dropped and counted.
//! * **Ports mode** (one address, ports P, P+1, ...): one socket per device, spread
//!   over the workers; the socket picks the device.
//!
//! Workers wait in `epoll` and drain each ready socket with non-blocking receives,
//! so a busy simulator makes about two syscalls per request and none per idle
//! device. Responses of devices configured with latency wait in a bounded per-worker
//! queue (full → dropped and counted). Each worker only reads the shared, immutable
//! fleet: no lock on the request path.

use std::collections::BinaryHeap;
use std::io::{IoSlice, IoSliceMut};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::socket::{
    AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags, SockFlag, SockType, SockaddrIn,
    bind, recvmsg, sendmsg, setsockopt, socket, sockopt,
};
use tracing::{debug, info, warn};

use crate::clock::{Clock, SystemClock};
use crate::error::SimError;
use crate::fleet::Fleet;
use crate::stats::AgentStats;

/// Where the devices of a fleet listen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Device `i` at `base + i` (IPv4 address arithmetic), all on `port`.
    Addresses {
        /// The first device's address, e.g. 127.1.0.1.
        base: Ipv4Addr,
        /// The port every device listens on.
        port: u16,
    },
    /// Device `i` at `addr:base_port + i`.
    Ports {
        /// The address every device listens on.
        addr: Ipv4Addr,
        /// The first device's port.
        base_port: u16,
    },
}

impl Layout {
    /// Device `index`'s address, if it fits in IPv4 / the port range.
    pub fn address(&self, index: u32) -> Option<SocketAddr> {
        match *self {
            Self::Addresses { base, port } => {
                let ip = u32::from(base).checked_add(index)?;
                Some(SocketAddr::from((Ipv4Addr::from(ip), port)))
            }
            Self::Ports { addr, base_port } => {
                let port = u16::try_from(u32::from(base_port) + index).ok()?;
                Some(SocketAddr::from((addr, port)))
            }
        }
    }
}

/// Most responses one worker holds back for latency; more are dropped and counted.
const MAX_DELAYED: usize = 65_536;

/// Receive buffer: more than the largest UDP payload.
const RECV_BUFFER: usize = 65_536;

/// Receive buffer asked for: room for a burst of about 30,000 requests (the kernel
/// charges about a kilobyte per queued datagram); memory is only used when full.
const RECEIVE_BUFFER: usize = 32 << 20;

/// Send buffer asked for.
const SEND_BUFFER: usize = 8 << 20;

/// Datagrams taken from one socket before the worker looks at its other sockets,
/// the latency queue and the stop flag again (epoll is level-triggered, so the
/// rest is reported at once): a flood on one socket cannot starve them.
const DRAIN_BATCH: usize = 256;

/// How often an idle worker checks for shutdown.
const IDLE_WAKE: Duration = Duration::from_millis(100);

/// What the server itself counted, beside the agents' counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerStats {
    /// Datagrams received.
    pub datagrams_in: u64,
    /// Datagrams sent.
    pub datagrams_out: u64,
    /// Dropped: sent to an address of no device.
    pub dropped_unknown_destination: u64,
    /// Dropped: the latency queue was full.
    pub dropped_delay_queue_full: u64,
    /// Sends that failed (logged).
    pub send_errors: u64,
    /// Receives that failed other than "no more data" (logged).
    pub receive_errors: u64,
    /// Requests the kernel dropped because a socket's receive queue was full
    /// (SO_RXQ_OVFL, summed over the sockets).
    pub dropped_receive_queue_full: u64,
    /// The receive buffer the kernel granted (bytes, as getsockopt reports it).
    pub receive_buffer: u64,
}

#[derive(Debug, Default)]
struct Shared {
    datagrams_in: AtomicU64,
    datagrams_out: AtomicU64,
    dropped_unknown_destination: AtomicU64,
    dropped_delay_queue_full: AtomicU64,
    send_errors: AtomicU64,
    receive_errors: AtomicU64,
    /// Per-socket SO_RXQ_OVFL readings are cumulative; each worker adds its
    /// increments here.
    dropped_receive_queue_full: AtomicU64,
    receive_buffer: AtomicU64,
}

impl Shared {
    fn snapshot(&self) -> ServerStats {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ServerStats {
            datagrams_in: g(&self.datagrams_in),
            datagrams_out: g(&self.datagrams_out),
            dropped_unknown_destination: g(&self.dropped_unknown_destination),
            dropped_delay_queue_full: g(&self.dropped_delay_queue_full),
            send_errors: g(&self.send_errors),
            receive_errors: g(&self.receive_errors),
            dropped_receive_queue_full: g(&self.dropped_receive_queue_full),
            receive_buffer: g(&self.receive_buffer),
        }
    }
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// A fleet being served by worker threads; [`FleetServer::stop`] ends them.
#[derive(Debug)]
pub struct FleetServer {
    fleet: Arc<Fleet>,
    layout: Layout,
    stop: Arc<AtomicBool>,
    shared: Arc<Shared>,
    workers: Vec<JoinHandle<()>>,
}

/// One socket a worker serves: in addresses mode it learns the device from the
/// destination address, in ports mode it *is* one device.
#[derive(Debug)]
struct Endpoint {
    socket: UdpSocket,
    /// `Some(i)`: ports mode, device `i`.
    device: Option<usize>,
}

fn io_err(op: &'static str, e: Errno) -> SimError {
    SimError::Io {
        op,
        source: std::io::Error::from(e),
    }
}

/// A non-blocking UDP socket bound to `addr`, with large buffers, optionally with
/// `SO_REUSEPORT` and `IP_PKTINFO`.
fn udp_socket(addr: SocketAddrV4, reuse_port: bool, pktinfo: bool) -> Result<UdpSocket, SimError> {
    let fd: OwnedFd = socket(
        AddressFamily::Inet,
        SockType::Datagram,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )
    .map_err(|e| io_err("creating a UDP socket", e))?;
    if reuse_port {
        setsockopt(&fd, sockopt::ReusePort, &true)
            .map_err(|e| io_err("setting SO_REUSEPORT", e))?;
    }
    if pktinfo {
        setsockopt(&fd, sockopt::Ipv4PacketInfo, &true)
            .map_err(|e| io_err("setting IP_PKTINFO", e))?;
    }
    // A poller with 10,000 requests in flight fills the default 208 KiB receive
    // buffer (a few hundred datagrams) at once. The *Force variants pass
    // net.core.[rw]mem_max when we may (CAP_NET_ADMIN); otherwise the plain ones
    // give what the limit allows. Overflows are counted (SO_RXQ_OVFL).
    if setsockopt(&fd, sockopt::RcvBufForce, &RECEIVE_BUFFER).is_err() {
        let _ = setsockopt(&fd, sockopt::RcvBuf, &RECEIVE_BUFFER);
    }
    if setsockopt(&fd, sockopt::SndBufForce, &SEND_BUFFER).is_err() {
        let _ = setsockopt(&fd, sockopt::SndBuf, &SEND_BUFFER);
    }
    let _ = setsockopt(&fd, sockopt::RxqOvfl, &1);
    bind(fd.as_raw_fd(), &SockaddrIn::from(addr)).map_err(|e| SimError::Io {
        op: "binding a simulator socket",
        source: std::io::Error::other(format!("{addr}: {e}")),
    })?;
    Ok(UdpSocket::from(fd))
}

impl FleetServer {
    /// Binds the sockets `layout` needs and starts `threads` workers (at least 1);
    /// `now` is real time since this call.
    pub fn start(fleet: Arc<Fleet>, layout: Layout, threads: usize) -> Result<Self, SimError> {
        Self::start_with_clock(fleet, layout, threads, Arc::new(SystemClock::new()))
    }

    /// Like [`FleetServer::start`], with `now` read from `clock`: the clock the
    /// devices' life is driven by (see [`crate::Dynamics`]), so what a GET reads
    /// and what a trap says agree; a [`crate::ManualClock`] in tests.
    pub fn start_with_clock(
        fleet: Arc<Fleet>,
        layout: Layout,
        threads: usize,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, SimError> {
        let threads = threads.max(1);
        let count = u32::try_from(fleet.len()).unwrap_or(u32::MAX);
        if count > 0 && layout.address(count - 1).is_none() {
            return Err(SimError::Config(format!(
                "{count} devices do not fit after {layout:?}"
            )));
        }
        let mut per_worker: Vec<Vec<Endpoint>> = (0..threads).map(|_| Vec::new()).collect();
        match layout {
            Layout::Addresses { port, .. } => {
                for (w, eps) in per_worker.iter_mut().enumerate() {
                    let socket =
                        udp_socket(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port), true, true)?;
                    debug!(worker = w, port, "wildcard socket bound");
                    eps.push(Endpoint {
                        socket,
                        device: None,
                    });
                }
            }
            Layout::Ports { addr, base_port } => {
                for i in 0..count {
                    let port = u16::try_from(u32::from(base_port) + i).unwrap_or(0);
                    let socket = udp_socket(SocketAddrV4::new(addr, port), false, false)?;
                    per_worker[i as usize % threads].push(Endpoint {
                        socket,
                        device: Some(i as usize),
                    });
                }
            }
        }
        let stop = Arc::new(AtomicBool::new(false));
        let shared = Arc::new(Shared::default());
        let mut workers = Vec::with_capacity(threads);
        for (w, endpoints) in per_worker.into_iter().enumerate() {
            let worker = Worker {
                fleet: Arc::clone(&fleet),
                layout,
                endpoints,
                stop: Arc::clone(&stop),
                shared: Arc::clone(&shared),
                clock: Arc::clone(&clock),
                delayed: BinaryHeap::new(),
                delay_seq: 0,
            };
            let handle = std::thread::Builder::new()
                .name(format!("sim-worker-{w}"))
                .spawn(move || worker.run())
                .map_err(|source| SimError::Io {
                    op: "starting a simulator worker",
                    source,
                })?;
            workers.push(handle);
        }
        info!(devices = count, ?layout, threads, "fleet serving");
        Ok(Self {
            fleet,
            layout,
            stop,
            shared,
            workers,
        })
    }

    /// The fleet served.
    pub fn fleet(&self) -> &Arc<Fleet> {
        &self.fleet
    }

    /// Where device `index` answers.
    pub fn address(&self, index: u32) -> Option<SocketAddr> {
        self.layout.address(index)
    }

    /// The layout.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The server's own counters so far.
    pub fn server_stats(&self) -> ServerStats {
        self.shared.snapshot()
    }

    /// CPU time this process has used so far (user, system): the simulator's own
    /// cost, for benchmarks that run it beside the poller.
    pub fn process_cpu() -> (Duration, Duration) {
        use nix::sys::resource::{UsageWho, getrusage};
        match getrusage(UsageWho::RUSAGE_SELF) {
            Ok(u) => {
                let d = |t: nix::sys::time::TimeVal| {
                    Duration::from_secs(t.tv_sec().max(0) as u64)
                        + Duration::from_micros(t.tv_usec().max(0) as u64)
                };
                (d(u.user_time()), d(u.system_time()))
            }
            Err(_) => (Duration::ZERO, Duration::ZERO),
        }
    }

    /// Stops the workers (within about 100 ms) and returns the agents' totals and
    /// the server's counters.
    pub fn stop(mut self) -> (AgentStats, ServerStats) {
        self.shutdown();
        (self.fleet.stats(), self.shared.snapshot())
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Release);
        for w in self.workers.drain(..) {
            if w.join().is_err() {
                warn!("a simulator worker panicked");
            }
        }
    }
}

impl Drop for FleetServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A response held back for the device's latency.
#[derive(Debug)]
struct Delayed {
    due: Instant,
    seq: u64,
    endpoint: usize,
    peer: SockaddrIn,
    from: Option<Ipv4Addr>,
    bytes: Vec<u8>,
}

impl PartialEq for Delayed {
    fn eq(&self, o: &Self) -> bool {
        (self.due, self.seq) == (o.due, o.seq)
    }
}
impl Eq for Delayed {}
impl PartialOrd for Delayed {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Delayed {
    /// Reversed: the earliest due is the heap's maximum.
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (o.due, o.seq).cmp(&(self.due, self.seq))
    }
}

struct Worker {
    fleet: Arc<Fleet>,
    layout: Layout,
    endpoints: Vec<Endpoint>,
    stop: Arc<AtomicBool>,
    shared: Arc<Shared>,
    clock: Arc<dyn Clock>,
    delayed: BinaryHeap<Delayed>,
    delay_seq: u64,
}

impl Worker {
    fn run(mut self) {
        let epoll = match Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC) {
            Ok(e) => e,
            Err(e) => {
                warn!(error = %e, "epoll_create failed; worker stops");
                return;
            }
        };
        for (i, ep) in self.endpoints.iter().enumerate() {
            let event = EpollEvent::new(EpollFlags::EPOLLIN, i as u64);
            if let Err(e) = epoll.add(ep.socket.as_fd(), event) {
                warn!(error = %e, "epoll_ctl failed; worker stops");
                return;
            }
        }
        let mut events = vec![EpollEvent::empty(); 256.min(self.endpoints.len().max(1))];
        let mut buf = vec![0u8; RECV_BUFFER];
        let mut out = Vec::with_capacity(RECV_BUFFER);
        let mut cmsg = nix::cmsg_space!(libc::in_pktinfo, u32);
        if let Some(ep) = self.endpoints.first()
            && let Ok(n) = nix::sys::socket::getsockopt(&ep.socket, sockopt::RcvBuf)
        {
            self.shared
                .receive_buffer
                .fetch_max(n as u64, Ordering::Relaxed);
        }
        // Last SO_RXQ_OVFL reading per endpoint.
        let mut overflows = vec![0u32; self.endpoints.len()];
        while !self.stop.load(Ordering::Acquire) {
            let wait = self.delayed.peek().map_or(IDLE_WAKE, |d| {
                d.due
                    .saturating_duration_since(Instant::now())
                    .min(IDLE_WAKE)
            });
            // Rounded up, so a response due in 0.3 ms does not spin the loop.
            let millis = wait.as_micros().div_ceil(1000).min(100) as u16;
            let timeout = EpollTimeout::from(millis);
            let n = match epoll.wait(&mut events, timeout) {
                Ok(n) => n,
                Err(Errno::EINTR) => 0,
                Err(e) => {
                    warn!(error = %e, "epoll_wait failed; worker stops");
                    return;
                }
            };
            for ev in events.iter().take(n) {
                let idx = ev.data() as usize;
                self.drain(idx, &mut buf, &mut out, &mut cmsg, &mut overflows);
            }
            self.flush_delayed();
        }
    }

    /// Answers every datagram waiting on endpoint `idx`.
    fn drain(
        &mut self,
        idx: usize,
        buf: &mut [u8],
        out: &mut Vec<u8>,
        cmsg: &mut Vec<u8>,
        overflows: &mut [u32],
    ) {
        let Some(ep) = self.endpoints.get(idx) else {
            return;
        };
        let fd = ep.socket.as_raw_fd();
        let fixed_device = ep.device;
        for _ in 0..DRAIN_BATCH {
            let (len, peer, dst) = {
                let mut iov = [IoSliceMut::new(buf)];
                let msg = match recvmsg::<SockaddrIn>(
                    fd,
                    &mut iov,
                    Some(&mut *cmsg),
                    MsgFlags::MSG_DONTWAIT,
                ) {
                    Ok(m) => m,
                    Err(Errno::EAGAIN) => return,
                    Err(Errno::EINTR) => continue,
                    Err(e) => {
                        // ECONNREFUSED from an earlier reply's ICMP and the like.
                        bump(&self.shared.receive_errors);
                        debug!(error = %e, "receive failed");
                        return;
                    }
                };
                let mut dst = None;
                if let Ok(cmsgs) = msg.cmsgs() {
                    for c in cmsgs {
                        match c {
                            ControlMessageOwned::Ipv4PacketInfo(pi) => {
                                dst = Some(Ipv4Addr::from(u32::from_be(pi.ipi_addr.s_addr)));
                            }
                            ControlMessageOwned::RxqOvfl(n) => {
                                if let Some(last) = overflows.get_mut(idx) {
                                    let new = n.wrapping_sub(*last);
                                    *last = n;
                                    self.shared
                                        .dropped_receive_queue_full
                                        .fetch_add(u64::from(new), Ordering::Relaxed);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                let Some(peer) = msg.address else {
                    continue;
                };
                (msg.bytes, peer, dst)
            };
            bump(&self.shared.datagrams_in);
            let device = match (fixed_device, self.layout, dst) {
                (Some(d), _, _) => Some(d),
                (None, Layout::Addresses { base, .. }, Some(dst)) => u32::from(dst)
                    .checked_sub(u32::from(base))
                    .map(|i| i as usize),
                _ => None,
            };
            let Some(agent) = device.and_then(|d| self.fleet.agent(d)) else {
                bump(&self.shared.dropped_unknown_destination);
                continue;
            };
            out.clear();
            let request = buf.get(..len).unwrap_or_default();
            let now = self.clock.now();
            if !agent.respond_at(now, request, out).replied() {
                continue;
            }
            let from = if fixed_device.is_some() { None } else { dst };
            let latency = agent.config().quirks.latency;
            if latency.is_zero() {
                self.send(idx, &peer, from, out);
            } else if self.delayed.len() >= MAX_DELAYED {
                bump(&self.shared.dropped_delay_queue_full);
            } else {
                self.delay_seq += 1;
                self.delayed.push(Delayed {
                    due: Instant::now() + latency,
                    seq: self.delay_seq,
                    endpoint: idx,
                    peer,
                    from,
                    bytes: out.clone(),
                });
            }
        }
    }

    /// Sends what is due from the latency queue.
    fn flush_delayed(&mut self) {
        if self.delayed.is_empty() {
            return;
        }
        let now = Instant::now();
        while self.delayed.peek().is_some_and(|d| d.due <= now) {
            if let Some(d) = self.delayed.pop() {
                self.send(d.endpoint, &d.peer, d.from, &d.bytes);
            }
        }
    }

    /// Sends `bytes` to `peer` from endpoint `idx`, from source address `from` when
    /// given (`IP_PKTINFO`).
    fn send(&self, idx: usize, peer: &SockaddrIn, from: Option<Ipv4Addr>, bytes: &[u8]) {
        let Some(ep) = self.endpoints.get(idx) else {
            return;
        };
        match send_from(&ep.socket, peer, from, bytes) {
            Ok(_) => bump(&self.shared.datagrams_out),
            Err(e) => {
                bump(&self.shared.send_errors);
                debug!(error = %e, %peer, "send failed");
            }
        }
    }
}

/// Sends `bytes` to `peer` on `socket`, from source address `from` when given
/// (`IP_PKTINFO`: a socket bound to the wildcard address speaks for any local
/// address, which is how one socket answers, and traps, for thousands of devices).
pub(crate) fn send_from(
    socket: &UdpSocket,
    peer: &SockaddrIn,
    from: Option<Ipv4Addr>,
    bytes: &[u8],
) -> nix::Result<usize> {
    let iov = [IoSlice::new(bytes)];
    match from {
        Some(src) => {
            let info = libc::in_pktinfo {
                ipi_ifindex: 0,
                ipi_spec_dst: libc::in_addr {
                    s_addr: u32::from(src).to_be(),
                },
                ipi_addr: libc::in_addr { s_addr: 0 },
            };
            let cmsgs = [ControlMessage::Ipv4PacketInfo(&info)];
            sendmsg(
                socket.as_raw_fd(),
                &iov,
                &cmsgs,
                MsgFlags::empty(),
                Some(peer),
            )
        }
        None => sendmsg(socket.as_raw_fd(), &iov, &[], MsgFlags::empty(), Some(peer)),
    }
}
