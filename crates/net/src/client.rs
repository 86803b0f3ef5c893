//! A tokio UDP client over the sans-IO [`RequestTracker`]: one socket, one driver
//! task, any number of requests in flight.
//!
//! Callers hold a cheap, cloneable [`Client`] handle and `await` replies; the driver
//! task owns the socket and the tracker, so the hot path takes no lock. Requests cross
//! to the driver through a bounded channel (when full, callers wait: back-pressure,
//! never a silent drop) with their bindings already encoded, and replies come back as
//! the raw datagram, decoded lazily by the caller.

use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use std::sync::Arc;

use nocwatch_snmp::{
    DecodeOptions, Message, Pdu, PduType, Pdus, Request, RequestHandle, RequestTracker,
    TrackerConfig, TrackerStats, UsmUser, VarBind, VarBinds, Version,
};
use std::collections::HashMap;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

use crate::error::NetError;

/// How a [`Client`] is set up.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Local address to bind (port 0 for an ephemeral one). Its family must match
    /// the targets'.
    pub bind: SocketAddr,
    /// Timeouts, retries, in-flight limit, source checking.
    pub tracker: TrackerConfig,
    /// Requests that may wait for the driver before callers are made to wait.
    pub queue: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([0, 0, 0, 0], 0)),
            tracker: TrackerConfig::default(),
            queue: 1024,
        }
    }
}

impl ClientConfig {
    /// The default configuration, bound to the unspecified address of `target`'s family.
    pub fn for_target(target: SocketAddr) -> Self {
        let bind = if target.is_ipv6() {
            SocketAddr::from(([0u16; 8], 0))
        } else {
            SocketAddr::from(([0, 0, 0, 0], 0))
        };
        Self {
            bind,
            ..Self::default()
        }
    }
}

/// What to ask one agent.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    /// The agent.
    pub target: SocketAddr,
    /// V1 or V2c.
    pub version: Version,
    /// The community (v1, v2c).
    pub community: Vec<u8>,
    /// The USM user (v3).
    pub user: Option<Arc<UsmUser>>,
    /// Get, GetNext, GetBulk, Set.
    pub pdu_type: PduType,
    /// GetBulk non-repeaters.
    pub non_repeaters: i32,
    /// GetBulk max-repetitions.
    pub max_repetitions: i32,
    /// Per-request timeout override.
    pub timeout: Option<Duration>,
    /// Per-request retries override.
    pub retries: Option<u32>,
}

impl RequestSpec {
    /// A request of `pdu_type` with the client's timeout and retries.
    pub fn new(target: SocketAddr, version: Version, community: &[u8], pdu_type: PduType) -> Self {
        Self {
            target,
            version,
            community: community.to_vec(),
            user: None,
            pdu_type,
            non_repeaters: 0,
            max_repetitions: 0,
            timeout: None,
            retries: None,
        }
    }
}

/// A reply, decoded on demand: the datagram as received (v1, v2c), or the Response
/// PDU re-encoded from the verified and decrypted v3 message.
#[derive(Debug, Clone)]
pub struct Reply {
    pub(crate) datagram: Vec<u8>,
    /// True when `datagram` holds a bare PDU (v3), not a whole message.
    pub(crate) bare_pdu: bool,
    /// Where it came from.
    pub from: SocketAddr,
    /// Round-trip time of the answered attempt.
    pub rtt: Duration,
    /// Attempts made.
    pub attempts: u32,
}

impl Reply {
    /// Builds the reply for a matched response.
    pub(crate) fn from_response(
        resp: &nocwatch_snmp::Response<'_>,
        datagram: &[u8],
        from: SocketAddr,
    ) -> Self {
        if resp.version == Version::V3 {
            let mut bytes = Vec::with_capacity(datagram.len());
            Pdus::Pdu(resp.pdu).encode(&mut nocwatch_snmp::ber::Writer::new(&mut bytes));
            Self {
                datagram: bytes,
                bare_pdu: true,
                from,
                rtt: resp.rtt,
                attempts: resp.attempts,
            }
        } else {
            Self {
                datagram: datagram.to_vec(),
                bare_pdu: false,
                from,
                rtt: resp.rtt,
                attempts: resp.attempts,
            }
        }
    }

    /// The Response PDU, borrowing the reply.
    pub fn pdu(&self) -> Result<Pdu<'_>, NetError> {
        self.pdu_with(&DecodeOptions::default())
    }

    /// The Response PDU decoded with `opts` (bindings decode lazily with the same
    /// options). The walker turns length clamping off: a reply cut short decodes,
    /// clamped, into a shorter last value, and it must not print that as the value.
    pub fn pdu_with(&self, opts: &DecodeOptions) -> Result<Pdu<'_>, NetError> {
        if self.bare_pdu {
            return match Pdus::decode_bytes(&self.datagram, opts)? {
                Pdus::Pdu(p) => Ok(p),
                Pdus::TrapV1(_) => Err(NetError::UnexpectedReply),
            };
        }
        match Message::decode(&self.datagram, opts)? {
            Message::Community(m) => match m.pdu {
                Pdus::Pdu(p) => Ok(p),
                Pdus::TrapV1(_) => Err(NetError::UnexpectedReply),
            },
            Message::V3(_) => Err(NetError::UnexpectedReply),
        }
    }

    /// The raw bytes (the datagram, or the bare PDU of a v3 reply).
    pub fn datagram(&self) -> &[u8] {
        &self.datagram
    }
}

struct Command {
    spec: RequestSpec,
    varbinds: Vec<u8>,
    reply: oneshot::Sender<Result<Reply, NetError>>,
}

enum Control {
    Request(Command),
    Stats(oneshot::Sender<TrackerStats>),
}

/// A handle to a client driver task. Clone it freely; the driver stops when the last
/// handle is dropped and every request in flight has finished.
#[derive(Debug, Clone)]
pub struct Client {
    tx: mpsc::Sender<Control>,
    local: SocketAddr,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Request(_) => "Request",
            Self::Stats(_) => "Stats",
        })
    }
}

impl Client {
    /// Binds the socket and spawns the driver on the current tokio runtime.
    pub async fn bind(config: ClientConfig) -> Result<Self, NetError> {
        let socket = UdpSocket::bind(config.bind)
            .await
            .map_err(|source| NetError::Io { op: "bind", source })?;
        let local = socket.local_addr().map_err(|source| NetError::Io {
            op: "local_addr",
            source,
        })?;
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        let seed = seed_from(local);
        let tracker = RequestTracker::new(config.tracker, seed);
        tokio::spawn(drive(socket, tracker, rx));
        Ok(Self { tx, local })
    }

    /// The local socket address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Sends a request and waits for its reply. An agent error-status is not an error
    /// here: the caller reads it from the [`Reply`].
    pub async fn request(
        &self,
        spec: RequestSpec,
        varbinds: &[VarBind<'_>],
    ) -> Result<Reply, NetError> {
        let mut encoded = Vec::with_capacity(32 * varbinds.len());
        VarBinds::encode_content(varbinds, &mut encoded);
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Control::Request(Command {
                spec,
                varbinds: encoded,
                reply,
            }))
            .await
            .map_err(|_| NetError::Closed)?;
        rx.await.map_err(|_| NetError::Closed)?
    }

    /// The driver's counters (timeouts, late, duplicate, malformed replies...).
    pub async fn stats(&self) -> Result<TrackerStats, NetError> {
        let (tx, rx) = oneshot::channel();
        self.tx
            .send(Control::Stats(tx))
            .await
            .map_err(|_| NetError::Closed)?;
        rx.await.map_err(|_| NetError::Closed)
    }
}

impl crate::transport::Transport for Client {
    fn request(
        &self,
        spec: RequestSpec,
        varbinds: &[VarBind<'_>],
    ) -> impl Future<Output = Result<Reply, NetError>> + Send {
        Self::request(self, spec, varbinds)
    }
}

/// Request-ids must not be predictable across runs; mixing the clock and the bound
/// port is enough (this is no security boundary: v3 authenticates).
pub(crate) fn seed_from(local: SocketAddr) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ (u64::from(local.port()) << 48) ^ u64::from(std::process::id())
}

/// The driver: owns the socket and the tracker until every handle is gone and no
/// request is in flight.
async fn drive(socket: UdpSocket, mut tracker: RequestTracker, mut rx: mpsc::Receiver<Control>) {
    let mut waiters: HashMap<RequestHandle, oneshot::Sender<Result<Reply, NetError>>> =
        HashMap::new();
    let mut out = Vec::with_capacity(1500);
    let mut inbuf = vec![0u8; 65536];
    let mut open = true;
    loop {
        flush(&socket, &mut tracker, &mut out, &mut waiters).await;
        // Timeouts and failures, from the timers or from securing a request.
        while let Some(event) = tracker.poll_event() {
            let (handle, error) = crate::error::from_event(event);
            if let Some(w) = waiters.remove(&handle) {
                let _ = w.send(Err(error));
            }
        }
        if !open && waiters.is_empty() {
            break;
        }
        let deadline = tracker.poll_timeout();
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(tokio::time::Instant::from_std(d)).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            biased;
            r = socket.recv_from(&mut inbuf) => {
                match r {
                    Ok((n, from)) => {
                        on_datagram(&mut tracker, &mut waiters, from, inbuf.get(..n).unwrap_or(&[]));
                        // Drain what else is queued without going back to the reactor
                        // (only worth a syscall while replies are still expected).
                        while tracker.in_flight() > 0 {
                            match socket.try_recv_from(&mut inbuf) {
                                Ok((n, from)) => on_datagram(&mut tracker, &mut waiters, from, inbuf.get(..n).unwrap_or(&[])),
                                Err(_) => break,
                            }
                        }
                    }
                    Err(error) => {
                        tracing::debug!(%error, "UDP receive failed.");
                    }
                }
            }
            () = sleep => {
                tracker.handle_timeout(Instant::now());
            }
            c = rx.recv(), if open => {
                match c {
                    None => open = false,
                    Some(Control::Stats(tx)) => { let _ = tx.send(*tracker.stats()); }
                    Some(Control::Request(cmd)) => start(&mut tracker, &mut waiters, cmd),
                }
            }
        }
    }
}

fn start(
    tracker: &mut RequestTracker,
    waiters: &mut HashMap<RequestHandle, oneshot::Sender<Result<Reply, NetError>>>,
    cmd: Command,
) {
    let s = &cmd.spec;
    let req = Request {
        target: s.target,
        version: s.version,
        community: &s.community,
        user: s.user.clone(),
        pdu_type: s.pdu_type,
        varbinds: VarBinds::encoded(&cmd.varbinds),
        non_repeaters: s.non_repeaters,
        max_repetitions: s.max_repetitions,
        timeout: s.timeout,
        retries: s.retries,
    };
    match tracker.start(&req) {
        Ok(handle) => {
            waiters.insert(handle, cmd.reply);
        }
        Err(e) => {
            let _ = cmd.reply.send(Err(e.into()));
        }
    }
}

/// Sends every datagram the tracker has ready. Awaits socket writability rather
/// than dropping on a full buffer: back-pressure instead of a silent retry delay.
async fn flush(
    socket: &UdpSocket,
    tracker: &mut RequestTracker,
    out: &mut Vec<u8>,
    waiters: &mut HashMap<RequestHandle, oneshot::Sender<Result<Reply, NetError>>>,
) {
    while let Some(t) = tracker.poll_transmit(Instant::now(), out) {
        let sent = match socket.try_send_to(out, t.destination) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                socket.send_to(out, t.destination).await
            }
            other => other,
        };
        if let Err(source) = sent {
            tracker.cancel(t.handle);
            if let Some(w) = waiters.remove(&t.handle) {
                let _ = w.send(Err(NetError::Io { op: "send", source }));
            }
        }
    }
}

fn on_datagram(
    tracker: &mut RequestTracker,
    waiters: &mut HashMap<RequestHandle, oneshot::Sender<Result<Reply, NetError>>>,
    from: SocketAddr,
    datagram: &[u8],
) {
    let Some(resp) = tracker.handle(Instant::now(), from, datagram) else {
        return;
    };
    let handle = resp.handle;
    let reply = Reply::from_response(&resp, datagram, from);
    if let Some(w) = waiters.remove(&handle) {
        let _ = w.send(Ok(reply));
    }
}
