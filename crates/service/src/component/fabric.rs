//! The fabric side: the embedded simulated producer (`[producer]`, the lab) and
//! the `http_csv` source that polls a producer's matrix into the store.

use std::sync::Arc;
use std::time::Instant;

use nocwatch_telemetry::{HttpCsvSection, HttpCsvSource, Producer, ProducerSection};
use tokio::sync::watch;

use crate::ServiceError;
use crate::config::Config;
use crate::shared::Shared;
use crate::supervisor::{BoxFuture, Component, Faults, Running, StopReport};

async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// The embedded producer, built from `[producer]`.
#[derive(Debug)]
pub struct ProducerComponent {
    section: ProducerSection,
    shared: Arc<Shared>,
}

impl ProducerComponent {
    /// Builds it.
    pub fn new(section: &ProducerSection, shared: &Arc<Shared>) -> Self {
        Self {
            section: section.clone(),
            shared: Arc::clone(shared),
        }
    }
}

struct TaskRunning {
    name: &'static str,
    banner: Vec<String>,
    ready: Vec<(String, serde_json::Value)>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Component<Config> for ProducerComponent {
    fn name(&self) -> String {
        "producer".to_owned()
    }

    fn start(
        self: Box<Self>,
        faults: Faults,
    ) -> BoxFuture<'static, Result<Box<dyn Running<Config>>, ServiceError>> {
        Box::pin(async move {
            let err = |e: &dyn std::fmt::Display| ServiceError::start("producer", e);
            let p = &self.section;
            let producer =
                Producer::new(&p.producer_config().map_err(|e| err(&e))?).map_err(|e| err(&e))?;
            let listener = tokio::net::TcpListener::bind(p.listen)
                .await
                .map_err(|e| err(&format!("cannot listen on {}: {e}", p.listen)))?;
            let addr = listener.local_addr().map_err(|e| err(&e))?;
            let url = format!("http://{addr}/counters");
            self.shared
                .set_addrs(|a| a.producer_url = Some(url.clone()));
            let (stop, rx) = watch::channel(false);
            let task = tokio::spawn(async move {
                if let Err(e) = producer.serve(listener, stopped(rx)).await {
                    faults.report("producer", e);
                }
            });
            Ok(Box::new(TaskRunning {
                name: "producer",
                banner: vec![
                    format!(
                        "  producer  {url}  ({} switches, new snapshot every {:?})",
                        p.switches, p.tick
                    ),
                    format!(
                        "            break it:  curl -X POST 'http://{addr}/mode?mode=ERROR_500'   (CORRUPT, TRUNCATED, SLOW, EMPTY, WRONG_SCHEMA, OK)"
                    ),
                ],
                ready: vec![("producer".to_owned(), addr.to_string().into())],
                stop,
                task,
            }) as Box<dyn Running<Config>>)
        })
    }
}

/// The `http_csv` source, built from `[http_csv]` (its URL filled from the
/// embedded producer when empty).
#[derive(Debug)]
pub struct CsvComponent {
    section: HttpCsvSection,
    shared: Arc<Shared>,
}

impl CsvComponent {
    /// Builds it.
    pub fn new(section: &HttpCsvSection, shared: &Arc<Shared>) -> Self {
        Self {
            section: section.clone(),
            shared: Arc::clone(shared),
        }
    }
}

impl Component<Config> for CsvComponent {
    fn name(&self) -> String {
        format!("http_csv {}", self.section.name)
    }

    fn start(
        self: Box<Self>,
        _faults: Faults,
    ) -> BoxFuture<'static, Result<Box<dyn Running<Config>>, ServiceError>> {
        Box::pin(async move {
            let mut s = self.section.clone();
            if s.url.is_empty() {
                s.url = self.shared.addrs().producer_url.ok_or_else(|| {
                    ServiceError::start("http_csv", "http_csv.url is empty and no [producer] runs")
                })?;
            }
            let stats = self
                .shared
                .ingest
                .clone()
                .ok_or_else(|| ServiceError::start("http_csv", "no statistics slot"))?;
            let source = HttpCsvSource::sharing(
                s.source_config(),
                Arc::clone(&self.shared.store),
                stats,
                Some(&s.name),
            )
            .map_err(|e| ServiceError::start("http_csv", e))?;
            let (stop, rx) = watch::channel(false);
            // A failing producer is not a fault: the source counts and reports it.
            let task = tokio::spawn(source.run(stopped(rx)));
            Ok(Box::new(TaskRunning {
                name: "http_csv",
                banner: vec![format!(
                    "  source    {} polls {} every {:?} (timeout {:?})",
                    s.name, s.url, s.interval, s.timeout
                )],
                ready: Vec::new(),
                stop,
                task,
            }) as Box<dyn Running<Config>>)
        })
    }
}

impl Running<Config> for TaskRunning {
    fn name(&self) -> &str {
        self.name
    }

    fn banner(&self) -> Vec<String> {
        self.banner.clone()
    }

    fn ready(&self) -> Vec<(String, serde_json::Value)> {
        self.ready.clone()
    }

    fn stop(self: Box<Self>, deadline: Instant) -> BoxFuture<'static, StopReport> {
        Box::pin(async move {
            let _ = self.stop.send(true);
            let left = deadline.saturating_duration_since(Instant::now());
            let clean = matches!(tokio::time::timeout(left, self.task).await, Ok(Ok(())));
            StopReport {
                component: self.name.to_owned(),
                clean,
                detail: String::new(),
            }
        })
    }
}
