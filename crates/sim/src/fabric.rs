//! [`FabricServer`]: the simulated switch fabric (`nocwatch_telemetry::Producer`,
//! the CSV counter matrix at `GET /counters` with failure modes) as a server that
//! stops cleanly: what `nocwatch sim telemetry` runs.
//!
//! A request in the SLOW mode waits for minutes on purpose, so a graceful stop
//! cannot simply wait for requests in flight: [`FabricServer::serve_until`] gives
//! them a drain period after the stop signal, then returns anyway and says so.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use nocwatch_telemetry::{Producer, ProducerConfig};
use tokio::net::TcpListener;

use crate::error::SimError;

/// How a [`FabricServer`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Every request in flight finished within the drain period.
    Drained,
    /// Requests were still in flight when the drain period ended.
    DrainExpired,
}

/// A bound fabric producer, not yet serving.
#[derive(Debug)]
pub struct FabricServer {
    producer: Producer,
    listener: TcpListener,
    addr: SocketAddr,
}

fn fabric_err(e: impl std::fmt::Display) -> SimError {
    SimError::Config(format!("fabric: {e}"))
}

impl FabricServer {
    /// Builds the producer and binds `listen` (port 0: a free port).
    pub async fn bind(config: &ProducerConfig, listen: SocketAddr) -> Result<Self, SimError> {
        let producer = Producer::new(config).map_err(fabric_err)?;
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|e| fabric_err(format!("cannot listen on {listen}: {e}")))?;
        let addr = listener.local_addr().map_err(|source| SimError::Io {
            op: "reading the fabric's address",
            source,
        })?;
        Ok(Self {
            producer,
            listener,
            addr,
        })
    }

    /// The address bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `stop` completes, then lets requests in flight finish for at
    /// most `drain`.
    pub async fn serve_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
        drain: Duration,
    ) -> Result<Stopped, SimError> {
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let stop = async move {
            stop.await;
            let _ = stopping_tx.send(());
        };
        let serve = self.producer.serve(self.listener, stop);
        let drain_over = async {
            if stopping_rx.await.is_ok() {
                tokio::time::sleep(drain).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            r = serve => r.map(|()| Stopped::Drained).map_err(fabric_err),
            () = drain_over => Ok(Stopped::DrainExpired),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]

    use super::*;

    #[tokio::test]
    async fn serves_then_stops_and_a_slow_request_cannot_hold_the_stop() {
        let config = ProducerConfig {
            switches: 3,
            ..ProducerConfig::default()
        };
        let server = FabricServer::bind(&config, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let addr = server.local_addr();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.serve_until(
            async move {
                let _ = rx.await;
            },
            Duration::from_millis(200),
        ));
        // A request that would wait 60 s (SLOW), in flight when the stop comes;
        // an ordinary one answered first (blocking sockets, off the runtime).
        let (slow, body) = tokio::task::spawn_blocking(move || {
            use std::io::{Read as _, Write as _};
            let mut slow = std::net::TcpStream::connect(addr).unwrap();
            slow.write_all(b"GET /counters?mode=SLOW&delay_ms=60000 HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            let mut s = std::net::TcpStream::connect(addr).unwrap();
            s.write_all(b"GET /counters HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut body = Vec::new();
            s.read_to_end(&mut body).unwrap();
            (slow, body)
        })
        .await
        .unwrap();
        assert!(String::from_utf8_lossy(&body).starts_with("HTTP/1.1 200"));
        tx.send(()).unwrap();
        let stopped = tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(stopped, Stopped::DrainExpired, "the SLOW request was cut");
        drop(slow);
    }
}
