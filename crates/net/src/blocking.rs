//! A client for one request at a time on a blocking socket.
//!
//! A command-line `walk` has exactly one request in flight: the next one needs the
//! last OID of the reply. On the multiplexed [`Client`](crate::Client) each round trip
//! costs a channel hop to the driver task, a speculative `recvfrom` that fails, and
//! an `epoll_wait` or two; here it is one `sendto` and one blocking `recvfrom`, with
//! the same sans-IO [`RequestTracker`] deciding retries, timeouts and matching. Its
//! `request` blocks the calling thread, so it is for single-task tools only.

use std::future::Future;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nocwatch_snmp::{Request, RequestTracker, VarBind, VarBinds};

use crate::client::{ClientConfig, Reply, RequestSpec, seed_from};
use crate::error::NetError;
use crate::transport::Transport;

/// State that `request` mutates; behind an (always uncontended) mutex so that the
/// client is `Sync` and a walk over it can run in a spawned task.
#[derive(Debug)]
struct State {
    tracker: RequestTracker,
    out: Vec<u8>,
    inbuf: Vec<u8>,
    /// The receive timeout currently set on the socket.
    read_timeout: Option<Duration>,
}

/// One socket, one request at a time, blocking. See the module docs.
#[derive(Debug)]
pub struct BlockingClient {
    socket: UdpSocket,
    state: Mutex<State>,
}

impl BlockingClient {
    /// Binds the socket.
    pub fn bind(config: ClientConfig) -> Result<Self, NetError> {
        let socket =
            UdpSocket::bind(config.bind).map_err(|source| NetError::Io { op: "bind", source })?;
        let local = socket.local_addr().map_err(|source| NetError::Io {
            op: "local_addr",
            source,
        })?;
        let tracker = RequestTracker::new(config.tracker, seed_from(local));
        Ok(Self {
            socket,
            state: Mutex::new(State {
                tracker,
                out: Vec::with_capacity(1500),
                inbuf: vec![0u8; 65536],
                read_timeout: None,
            }),
        })
    }

    /// The local socket address.
    pub fn local_addr(&self) -> Result<SocketAddr, NetError> {
        self.socket.local_addr().map_err(|source| NetError::Io {
            op: "local_addr",
            source,
        })
    }

    /// The tracker's counters.
    pub fn stats(&self) -> nocwatch_snmp::TrackerStats {
        self.state
            .lock()
            .map_or_else(|p| *p.into_inner().tracker.stats(), |s| *s.tracker.stats())
    }

    /// Sends a request and blocks until its reply, or until every retry timed out.
    pub fn request_blocking(
        &self,
        spec: &RequestSpec,
        varbinds: &[VarBind<'_>],
    ) -> Result<Reply, NetError> {
        let mut guard = self.state.lock().map_err(|_| NetError::Closed)?;
        let st = &mut *guard;
        let req = Request {
            target: spec.target,
            version: spec.version,
            community: &spec.community,
            user: spec.user.clone(),
            pdu_type: spec.pdu_type,
            varbinds: VarBinds::from_slice(varbinds),
            non_repeaters: spec.non_repeaters,
            max_repetitions: spec.max_repetitions,
            timeout: spec.timeout,
            retries: spec.retries,
        };
        let handle = st.tracker.start(&req)?;
        loop {
            let now = Instant::now();
            while let Some(t) = st.tracker.poll_transmit(now, &mut st.out) {
                if let Err(source) = self.socket.send_to(&st.out, t.destination) {
                    st.tracker.cancel(t.handle);
                    return Err(NetError::Io { op: "send", source });
                }
            }
            if let Some(e) = take_event(&mut st.tracker, handle) {
                return Err(e);
            }
            let Some(deadline) = st.tracker.poll_timeout() else {
                return Err(NetError::Closed);
            };
            let wait = deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1));
            // Each attempt waits the same time, so the option rarely changes: set it
            // only when it must shrink or has never been set (a syscall saved per
            // round trip). handle_timeout below keeps the real deadlines exact.
            if st
                .read_timeout
                .is_none_or(|t| t > wait + Duration::from_millis(5) || t < wait)
            {
                self.socket
                    .set_read_timeout(Some(wait))
                    .map_err(|source| NetError::Io {
                        op: "set_read_timeout",
                        source,
                    })?;
                st.read_timeout = Some(wait);
            }
            match self.socket.recv_from(&mut st.inbuf) {
                Ok((n, from)) => {
                    let datagram = st.inbuf.get(..n).unwrap_or(&[]);
                    let reply = st
                        .tracker
                        .handle(Instant::now(), from, datagram)
                        .filter(|resp| resp.handle == handle)
                        .map(|resp| Reply::from_response(&resp, datagram, from));
                    if let Some(reply) = reply {
                        return Ok(reply);
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // ICMP errors surface as ECONNREFUSED on some kernels: the agent may
                // still answer a retry, so keep waiting until the tracker gives up.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {}
                Err(source) => {
                    st.tracker.cancel(handle);
                    return Err(NetError::Io { op: "recv", source });
                }
            }
            st.tracker.handle_timeout(Instant::now());
            if let Some(e) = take_event(&mut st.tracker, handle) {
                return Err(e);
            }
        }
    }
}

/// The error ending `handle`, if the tracker has one; other requests' events (there
/// are none: one request at a time) are dropped.
fn take_event(
    tracker: &mut RequestTracker,
    handle: nocwatch_snmp::RequestHandle,
) -> Option<NetError> {
    while let Some(event) = tracker.poll_event() {
        let (h, error) = crate::error::from_event(event);
        if h == handle {
            return Some(error);
        }
    }
    None
}

impl Transport for BlockingClient {
    fn request(
        &self,
        spec: RequestSpec,
        varbinds: &[VarBind<'_>],
    ) -> impl Future<Output = Result<Reply, NetError>> + Send {
        let result = self.request_blocking(&spec, varbinds);
        std::future::ready(result)
    }
}
