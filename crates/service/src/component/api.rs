//! The query API as a component: plain or TLS, on its own threads or on the
//! runtime's workers; its stop also ends the event streams, and it keeps the
//! streams' keep-alive ticking from the service runtime (the API threads have
//! no timer).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nocwatch_api::{ApiConfig, ApiSection, ApiState, ReloadHook};
use tokio::sync::watch;

use crate::ServiceError;
use crate::config::Config;
use crate::shared::Shared;
use crate::supervisor::{BoxFuture, Component, Faults, Running, StopReport};

/// Time between two keep-alive comments on every event stream.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// The API, built from `[api]`.
pub struct ApiComponent {
    section: ApiSection,
    shared: Arc<Shared>,
    csv_name: Option<String>,
    reload: Option<ReloadHook>,
}

impl std::fmt::Debug for ApiComponent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiComponent")
            .field("listen", &self.section.listen)
            .finish_non_exhaustive()
    }
}

impl ApiComponent {
    /// Builds it; `csv_name` names the CSV source whose statistics `/health`
    /// shows; `reload` backs `POST /admin/reload` (with `api.token`).
    pub fn new(
        section: &ApiSection,
        shared: &Arc<Shared>,
        csv_name: Option<String>,
        reload: Option<ReloadHook>,
    ) -> Self {
        Self {
            section: section.clone(),
            shared: Arc::clone(shared),
            csv_name,
            reload,
        }
    }
}

struct ApiRunning {
    addr: SocketAddr,
    snmp_example: Option<String>,
    scheme: &'static str,
    csv: bool,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<Result<(), nocwatch_api::ApiError>>,
    heartbeat: tokio::task::JoinHandle<()>,
    shared: Arc<Shared>,
}

impl Component<Config> for ApiComponent {
    fn name(&self) -> String {
        "api".to_owned()
    }

    fn start(
        self: Box<Self>,
        faults: Faults,
    ) -> BoxFuture<'static, Result<Box<dyn Running<Config>>, ServiceError>> {
        Box::pin(async move {
            let err = |e: &dyn std::fmt::Display| ServiceError::start("api", e);
            let s = &self.section;
            let config = ApiConfig {
                source: self.csv_name.clone().unwrap_or_default(),
                stale_after: s.stale_after,
            };
            let shared = &self.shared;
            let state = match &shared.ingest {
                Some(ingest) => ApiState::with_others(
                    Arc::clone(&shared.store),
                    Arc::clone(ingest),
                    config,
                    shared.reports(),
                ),
                None => ApiState::others_only(Arc::clone(&shared.store), config, shared.reports()),
            };
            state.set_events(Arc::clone(&shared.events));
            if let (Some(token), Some(hook)) = (&s.token, &self.reload) {
                state.enable_admin(token.expose(), Arc::clone(hook));
            }
            let tls = match (&s.tls_cert, &s.tls_key) {
                (Some(c), Some(k)) => Some(nocwatch_api::tls::acceptor(c, k).map_err(|e| err(&e))?),
                _ => None,
            };
            let scheme = if tls.is_some() { "https" } else { "http" };
            let (stop, stop_rx) = watch::channel(false);
            let (addr, server) = if s.threads > 0 {
                let server =
                    nocwatch_api::serve_sharded_with(s.listen, s.threads, state, &stop_rx, tls)
                        .await
                        .map_err(|e| err(&format!("cannot listen on {}: {e}", s.listen)))?;
                let addr = server.local_addr();
                (addr, tokio::spawn(server.wait()))
            } else {
                let listener = tokio::net::TcpListener::bind(s.listen)
                    .await
                    .map_err(|e| err(&format!("cannot listen on {}: {e}", s.listen)))?;
                let addr = listener.local_addr().map_err(|e| err(&e))?;
                let mut rx = stop_rx.clone();
                let stopped = async move {
                    let _ = rx.wait_for(|s| *s).await;
                };
                let task = match tls {
                    Some(t) => tokio::spawn(nocwatch_api::serve_tls(listener, state, stopped, t)),
                    None => tokio::spawn(nocwatch_api::serve(listener, state, stopped)),
                };
                (addr, task)
            };
            let events = Arc::clone(&shared.events);
            let mut hb_stop = stop_rx.clone();
            let heartbeat = tokio::spawn(async move {
                let mut tick = tokio::time::interval(HEARTBEAT);
                tick.tick().await;
                loop {
                    tokio::select! {
                        _ = tick.tick() => events.heartbeat(),
                        _ = hb_stop.wait_for(|s| *s) => break,
                    }
                }
            });
            // A server that ends before the stop is a fault.
            let mut watch_stop = stop_rx;
            let server = tokio::spawn(async move {
                let r = server.await;
                if !*watch_stop.borrow_and_update() {
                    match &r {
                        Ok(Ok(())) => faults.report("api", "the server stopped"),
                        Ok(Err(e)) => faults.report("api", e),
                        Err(e) => faults.report("api", e),
                    }
                }
                r.unwrap_or_else(|e| Err(nocwatch_api::ApiError::Io(std::io::Error::other(e))))
            });
            Ok(Box::new(ApiRunning {
                addr,
                snmp_example: shared.addrs().snmp_example,
                scheme,
                csv: shared.ingest.is_some(),
                stop,
                server,
                heartbeat,
                shared: Arc::clone(shared),
            }) as Box<dyn Running<Config>>)
        })
    }
}

impl Running<Config> for ApiRunning {
    fn name(&self) -> &str {
        "api"
    }

    fn banner(&self) -> Vec<String> {
        let (s, a) = (self.scheme, self.addr);
        let mut v = Vec::new();
        if self.csv {
            v.push(format!(
                "  API       {s}://{a}/telemetry/GetMetric?switch_id=SW-05&metric_name=Latency_Avg_uSec"
            ));
        } else {
            v.push(format!(
                "  API       {s}://{a}/telemetry/GetMetric?switch_id=..&metric_name=.."
            ));
        }
        v.push(format!(
            "            {s}://{a}/telemetry/ListMetrics   {s}://{a}/health   {s}://{a}/metrics   {s}://{a}/openapi.json"
        ));
        v.push(format!(
            "  events    {s}://{a}/events?severity=warning   live: curl -N {s}://{a}/events/stream"
        ));
        if let Some(r) = &self.snmp_example {
            v.push(format!(
                "  try       curl '{s}://{a}/telemetry/GetMetric?switch_id={r}&metric_name=ifHCInOctets.1'"
            ));
            v.push(format!(
                "            curl '{s}://{a}/telemetry/ListMetrics?switch_id={r}'   (rates: ifHCInOctets.1.per_second, from the second cycle)"
            ));
        }
        v
    }

    fn ready(&self) -> Vec<(String, serde_json::Value)> {
        vec![
            ("api".to_owned(), self.addr.to_string().into()),
            (
                "api_url".to_owned(),
                format!("{}://{}", self.scheme, self.addr).into(),
            ),
        ]
    }

    fn stop(self: Box<Self>, deadline: Instant) -> BoxFuture<'static, StopReport> {
        Box::pin(async move {
            let _ = self.stop.send(true);
            // Event streams never end by themselves: end them so the server drains.
            self.shared.events.close();
            let left = deadline.saturating_duration_since(Instant::now());
            let clean = matches!(
                tokio::time::timeout(left, self.server).await,
                Ok(Ok(Ok(())))
            );
            let _ = self.heartbeat.await;
            StopReport {
                component: "api".to_owned(),
                clean,
                detail: if clean {
                    String::new()
                } else {
                    "requests still in flight at the deadline".to_owned()
                },
            }
        })
    }
}
