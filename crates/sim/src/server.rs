//! The tokio UDP front end: every datagram in goes through [`Agent::respond_at`].
//!
//! This is the only place the simulator touches a socket or a clock. `now` is the
//! time since [`serve`] started (tokio's clock, so tests with a paused runtime stay
//! deterministic). One task per socket is plenty for a simulator: a response costs
//! microseconds, far less than the two syscalls around it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::UdpSocket;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use crate::agent::Agent;
use crate::error::SimError;
use crate::stats::AgentStats;

/// Consecutive receive errors after which the socket is considered broken. Single
/// errors are normal on UDP (an ICMP port-unreachable from an earlier reply surfaces
/// as ECONNREFUSED on Linux) and must not stop the agent.
const MAX_CONSECUTIVE_RECV_ERRORS: u32 = 100;

/// Receive buffer size: more than the largest UDP payload, so nothing is truncated.
const RECV_BUFFER: usize = 65_536;

/// Answers every datagram arriving on `socket` until `shutdown` completes, then
/// returns the agent's counters.
///
/// Fails only when the socket keeps failing to receive (see
/// `MAX_CONSECUTIVE_RECV_ERRORS`); a failed send is logged and the next request
/// served.
pub async fn serve(
    socket: UdpSocket,
    agent: Arc<Agent>,
    shutdown: impl Future<Output = ()>,
) -> Result<AgentStats, SimError> {
    let start = Instant::now();
    let local = socket.local_addr().ok();
    info!(addr = ?local, instances = agent.mib().len(), "simulated agent serving");
    let mut buf = vec![0u8; RECV_BUFFER];
    let mut out = Vec::with_capacity(RECV_BUFFER);
    let mut errors = 0u32;
    tokio::pin!(shutdown);
    loop {
        let received = tokio::select! {
            biased;
            () = &mut shutdown => break,
            r = socket.recv_from(&mut buf) => r,
        };
        let (len, peer) = match received {
            Ok(r) => {
                errors = 0;
                r
            }
            Err(e) => {
                errors += 1;
                if errors >= MAX_CONSECUTIVE_RECV_ERRORS {
                    return Err(SimError::Io {
                        op: "receiving a request",
                        source: e,
                    });
                }
                debug!(error = %e, "receive failed; continuing");
                continue;
            }
        };
        out.clear();
        let request = buf.get(..len).unwrap_or_default();
        if agent
            .respond_at(start.elapsed(), request, &mut out)
            .replied()
            && let Err(e) = socket.send_to(&out, peer).await
        {
            warn!(error = %e, %peer, len = out.len(), "sending a response failed");
        }
    }
    let stats = agent.stats();
    info!(addr = ?local, ?stats, "simulated agent stopped");
    Ok(stats)
}

/// A simulated agent running on its own task; dropping the handle stops it too.
#[derive(Debug)]
pub struct AgentServer {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<AgentStats, SimError>>,
}

impl AgentServer {
    /// Binds `addr` (port 0 picks a free port) and serves `agent` there on a new
    /// task of the current tokio runtime.
    pub async fn spawn(agent: Arc<Agent>, addr: SocketAddr) -> Result<Self, SimError> {
        let socket = UdpSocket::bind(addr).await.map_err(|source| SimError::Io {
            op: "binding the agent socket",
            source,
        })?;
        let local_addr = socket.local_addr().map_err(|source| SimError::Io {
            op: "reading the agent socket's address",
            source,
        })?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(socket, agent, async move {
            // A dropped sender (the handle was dropped) also means stop.
            let _ = stopped.await;
        }));
        Ok(Self {
            local_addr,
            stop: Some(stop),
            task,
        })
    }

    /// The address the agent answers on, e.g. for `snmpget ... 127.0.0.1:PORT`.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops serving and returns the agent's counters.
    pub async fn stop(mut self) -> Result<AgentStats, SimError> {
        if let Some(stop) = self.stop.take() {
            // The task may already have ended (socket failure); join reports it.
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(e) => Err(SimError::Task(e.to_string())),
        }
    }
}
