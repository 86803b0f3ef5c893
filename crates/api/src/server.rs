//! The HTTP server: hyper's HTTP/1.1 connections over the axum [`Router`],
//! with a stop that is cheap to watch on every wake-up of a busy connection.
//!
//! GetMetric is the hot path (the bench drives it at 100k+ requests/s on
//! two cores shared with the load generator). The query parsing, the age
//! header and the request metrics were made cheap in the handlers
//! (callgrind: ~20,000 → ~12,000 user-space instructions per GetMetric on
//! a 50-switch store; examples/null_http.rs, a server that does no work,
//! needs ~2,600). Answering GetMetric here, before the router, saved a
//! little more, but it was measured and dropped: with 16 wrk connections
//! its latencies split in two (p50 0.03 ms, p90 1.5-2 ms, p99 ~4 ms, where
//! the router path gives p50 0.08, p90 0.2, p99 0.5 ms on the same store),
//! and a yield before each answer did not cure it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio_rustls::TlsAcceptor;

use crate::error::ApiError;

/// Accept errors that concern one connection only (the next accept may
/// succeed at once); others (out of file descriptors) pause accepting.
fn per_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset, Interrupted};
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset | Interrupted
    )
}

/// Waits `d` without tokio's timer: the sharded servers' runtimes run
/// without one (its bookkeeping at every park showed in GetMetric's profile),
/// and this pause is only taken when accepting fails for lack of resources.
async fn pause(d: Duration) {
    let _ = tokio::task::spawn_blocking(move || std::thread::sleep(d)).await;
}

/// Serves `router` on `listener` until `shutdown` completes; then stops accepting, lets each
/// connection finish the request in flight (idle keep-alive connections
/// close at once) and returns when all are closed.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    tls: Option<TlsAcceptor>,
) -> Result<(), ApiError> {
    let service = TowerToHyperService::new(router);
    let mut http = http1::Builder::new();
    http.keep_alive(true);
    // `stop` tells the connections to finish (a `Notify`: its future costs
    // little to poll again at every wake-up of a busy connection, unlike a
    // watch channel's); every connection task holds an `open` receiver, so
    // `open_tx.closed()` completes once all have ended.
    let stop = Arc::new(Notify::new());
    let (open_tx, open_rx) = watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) if per_connection(&e) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "API accept failed; retrying in 100 ms");
                    pause(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        // Small answers go out at once (wrk and browsers wait for them).
        let _ = stream.set_nodelay(true);
        // Created before the task starts: a stop signalled from now on reaches it.
        let stopped = Arc::clone(&stop).notified_owned();
        let open = open_rx.clone();
        let service = service.clone();
        let http = http.clone();
        match &tls {
            None => {
                tokio::spawn(connection(
                    http,
                    TokioIo::new(stream),
                    service,
                    stopped,
                    open,
                ));
            }
            Some(acceptor) => {
                let accept = acceptor.accept(stream);
                tokio::spawn(async move {
                    // A client that never finishes its handshake holds only this
                    // task, until the stop.
                    let mut stopped = std::pin::pin!(stopped);
                    let tls = tokio::select! {
                        biased;
                        () = &mut stopped => return,
                        r = accept => match r {
                            Ok(s) => s,
                            Err(e) => {
                                tracing::debug!(error = %e, "API TLS handshake failed");
                                return;
                            }
                        },
                    };
                    connection(http, TokioIo::new(tls), service, stopped, open).await;
                });
            }
        }
    }
    drop(listener);
    stop.notify_waiters();
    drop(open_rx);
    open_tx.closed().await;
    Ok(())
}

/// One HTTP/1.1 connection over `io` (plain TCP or TLS) until it ends or the
/// stop asks it to finish its request in flight.
async fn connection<I>(
    http: http1::Builder,
    io: TokioIo<I>,
    service: TowerToHyperService<Router>,
    stopped: impl Future<Output = ()>,
    open: watch::Receiver<()>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let conn = http.serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    let result = tokio::select! {
        biased;
        r = conn.as_mut() => r,
        () = stopped => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        tracing::trace!(error = %e, "API connection ended with an error");
    }
    drop(open);
}
