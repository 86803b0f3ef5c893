//! The HTTP server: hyper's HTTP/1.1 connections, GetMetric answered
//! directly, every other request handed to the axum [`Router`].
//!
//! GetMetric is the hot path (the bench drives it at 100k+ requests/s on
//! two cores shared with the load generator). Going through the router costs
//! a route match, a boxed service clone, the `RawQuery` extractor's String
//! and a boxed body per request; answering it here, before the router, with
//! the same bytes on the wire (the answer comes from the same function as
//! the axum handler's, [`handlers::get_metric_answer`]), took the server's
//! user-space work per GetMetric request from ~20,000 to ~11,800
//! instructions (callgrind, 50-switch store, with the query parsing, age
//! header and timer changes beside it). An HTTP server that does no work at
//! all (examples/null_http.rs) needs ~2,600 on the same load; most of the
//! difference is hyper's request parsing and response encoding.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, Response};
use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

use crate::error::ApiError;
use crate::handlers;
use crate::state::ApiState;

/// Answer bodies: GetMetric's own bytes, or whatever axum built.
type ResBody = Either<Full<Bytes>, Body>;

const GET_METRIC: &str = "/telemetry/GetMetric";

/// The per-connection service.
#[derive(Clone)]
struct ApiService {
    state: Arc<ApiState>,
    router: TowerToHyperService<Router>,
}

type RouterFuture = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

/// GetMetric is answered at once; other routes run the router's future.
enum ApiFuture {
    Ready(Option<Response<ResBody>>),
    Router(RouterFuture),
}

impl Future for ApiFuture {
    type Output = Result<Response<ResBody>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            // A ready future is polled once; a second poll gets an empty 500
            // rather than a panic (hyper never does that).
            Self::Ready(r) => Poll::Ready(Ok(r.take().unwrap_or_else(|| {
                let mut r = Response::new(Either::Left(Full::default()));
                *r.status_mut() = axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                r
            }))),
            Self::Router(f) => f.as_mut().poll(cx).map(|r| r.map(|r| r.map(Either::Right))),
        }
    }
}

impl hyper::service::Service<Request<Incoming>> for ApiService {
    type Response = Response<ResBody>;
    type Error = Infallible;
    type Future = ApiFuture;

    fn call(&self, req: Request<Incoming>) -> ApiFuture {
        if req.method() == Method::GET && req.uri().path() == GET_METRIC {
            let a = handlers::get_metric_answer(&self.state, req.uri().query());
            ApiFuture::Ready(Some(handlers::json_response(
                a.status,
                Either::Left(Full::new(a.body)),
                a.age,
            )))
        } else {
            ApiFuture::Router(Box::pin(hyper::service::Service::call(&self.router, req)))
        }
    }
}

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

/// Serves `router` (with GetMetric answered directly from `state`) on
/// `listener` until `shutdown` completes; then stops accepting, lets each
/// connection finish the request in flight (idle keep-alive connections
/// close at once) and returns when all are closed.
pub(crate) async fn serve(
    listener: TcpListener,
    state: Arc<ApiState>,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ApiError> {
    let service = ApiService {
        state,
        router: TowerToHyperService::new(router),
    };
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
        let conn = http.serve_connection(TokioIo::new(stream), service.clone());
        // Created before the task starts: a stop signalled from now on reaches it.
        let stopped = Arc::clone(&stop).notified_owned();
        let open = open_rx.clone();
        tokio::spawn(async move {
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
        });
    }
    drop(listener);
    stop.notify_waiters();
    drop(open_rx);
    open_tx.closed().await;
    Ok(())
}
