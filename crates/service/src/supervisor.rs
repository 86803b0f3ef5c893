//! The supervisor: starts components in order, stops them in reverse.
//!
//! - **Start order is the list order**: the lab's simulators before the sources
//!   that poll them, the trap intake before anything that sends to it, the API
//!   last, so that when the API answers, everything behind it runs. A component's
//!   `start` returns once it is ready (sockets bound, state loaded). If one fails
//!   to start, the ones already started are stopped again, in reverse, and the
//!   error names the component.
//! - **Readiness**: each running component describes itself for the banner and for
//!   the machine-readable ready line (its bound addresses).
//! - **Faults**: a component that fails while running reports it through
//!   [`Faults`]; the service then stops as on SIGTERM and exits non-zero.
//! - **Reload**: [`Supervisor::reload`] hands a new, already validated
//!   configuration to every component; each applies what it can change live and
//!   says what changed.
//! - **Stop**: reverse order, each within what is left of the drain deadline (the
//!   API stops accepting first, then the sources, then the trap intake drains its
//!   queue into the journal and outputs, then the simulators go).

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::error::ServiceError;

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Faults a running component can report: at most this many wait; more are
/// dropped (the service is stopping by then anyway) and logged.
const FAULTS: usize = 16;

/// Where running components report that they failed.
#[derive(Debug, Clone)]
pub struct Faults {
    tx: mpsc::Sender<(String, String)>,
}

impl Faults {
    /// Reports that `component` failed; the supervisor stops the service.
    pub fn report(&self, component: &str, message: impl std::fmt::Display) {
        let message = message.to_string();
        tracing::error!(component, %message, "component failed");
        let _ = self.tx.try_send((component.to_owned(), message));
    }
}

/// A component of the service, built from its configuration section, not yet
/// started. `C` is the service's configuration type (for reloads).
pub trait Component<C>: Send {
    /// Its name in logs, errors and the ready line.
    fn name(&self) -> String;
    /// Starts it; resolves once it is ready.
    fn start(
        self: Box<Self>,
        faults: Faults,
    ) -> BoxFuture<'static, Result<Box<dyn Running<C>>, ServiceError>>;
}

/// A started component.
pub trait Running<C>: Send {
    /// Its name.
    fn name(&self) -> &str;
    /// Lines for the "where to look" banner.
    fn banner(&self) -> Vec<String> {
        Vec::new()
    }
    /// Fields for the ready line (bound addresses), as JSON.
    fn ready(&self) -> Vec<(String, serde_json::Value)> {
        Vec::new()
    }
    /// Applies what it can change live from `new`; `Ok(None)` when nothing of it
    /// is reloadable. An error leaves it as it was.
    fn reload(&self, _new: &C) -> Result<Option<serde_json::Value>, String> {
        Ok(None)
    }
    /// Stops it, finishing in-flight work by `deadline`.
    fn stop(self: Box<Self>, deadline: Instant) -> BoxFuture<'static, StopReport>;
}

/// How a component stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopReport {
    /// The component.
    pub component: String,
    /// Whether it finished everything in flight in time.
    pub clean: bool,
    /// What it says about its stop (events left in the journal, ...).
    pub detail: String,
}

impl StopReport {
    /// A clean stop with nothing to add.
    pub fn clean(component: &str) -> Self {
        Self {
            component: component.to_owned(),
            clean: true,
            detail: String::new(),
        }
    }
}

/// The running service. See the module docs.
pub struct Supervisor<C> {
    running: Vec<Box<dyn Running<C>>>,
    faults: mpsc::Receiver<(String, String)>,
    drain: Duration,
}

impl<C> std::fmt::Debug for Supervisor<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field(
                "running",
                &self.running.iter().map(|r| r.name()).collect::<Vec<_>>(),
            )
            .field("drain", &self.drain)
            .finish()
    }
}

impl<C> Supervisor<C> {
    /// Starts `components` in order. `drain` bounds the whole stop.
    ///
    /// # Errors
    ///
    /// The first component that fails to start (the others are stopped again).
    pub async fn start(
        components: Vec<Box<dyn Component<C>>>,
        drain: Duration,
    ) -> Result<Self, ServiceError> {
        let (tx, rx) = mpsc::channel(FAULTS);
        let faults = Faults { tx };
        let mut sup = Self {
            running: Vec::with_capacity(components.len()),
            faults: rx,
            drain,
        };
        for c in components {
            let name = c.name();
            tracing::debug!(component = %name, "starting");
            match c.start(faults.clone()).await {
                Ok(r) => sup.running.push(r),
                Err(e) => {
                    tracing::error!(component = %name, error = %e, "start failed; stopping the others");
                    sup.stop().await;
                    return Err(e);
                }
            }
        }
        Ok(sup)
    }

    /// The banner lines of every component, in start order.
    pub fn banner(&self) -> Vec<String> {
        self.running.iter().flat_map(|r| r.banner()).collect()
    }

    /// The ready line's object: every component's fields.
    pub fn ready(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for r in &self.running {
            for (k, v) in r.ready() {
                m.insert(k, v);
            }
        }
        serde_json::Value::Object(m)
    }

    /// Hands `new` to every component (see [`Running::reload`]); the report names
    /// what each changed. Components after a failing one are still reloaded; the
    /// error lists every failure.
    ///
    /// # Errors
    ///
    /// Each component that refused, with its reason.
    pub fn reload(&self, new: &C) -> Result<serde_json::Value, String> {
        let mut report = serde_json::Map::new();
        let mut errors = Vec::new();
        for r in &self.running {
            match r.reload(new) {
                Ok(Some(v)) => {
                    report.insert(r.name().to_owned(), v);
                }
                Ok(None) => {}
                Err(e) => errors.push(format!("{}: {e}", r.name())),
            }
        }
        if errors.is_empty() {
            Ok(serde_json::Value::Object(report))
        } else {
            Err(errors.join("; "))
        }
    }

    /// Resolves when a component reports a fault.
    pub async fn fault(&mut self) -> ServiceError {
        match self.faults.recv().await {
            Some((component, message)) => ServiceError::Failed { component, message },
            // Every sender is a component's: all dropped means none can fail any more.
            None => std::future::pending().await,
        }
    }

    /// Stops every component in reverse start order within the drain period.
    pub async fn stop(&mut self) -> Vec<StopReport> {
        let deadline = Instant::now() + self.drain;
        let mut reports = Vec::new();
        while let Some(r) = self.running.pop() {
            let name = r.name().to_owned();
            let left = deadline.saturating_duration_since(Instant::now());
            // A component that overruns the deadline is abandoned (its threads end
            // with the process); the report says so.
            let stopping = r.stop(deadline);
            match tokio::time::timeout(left + Duration::from_secs(1), stopping).await {
                Ok(rep) => reports.push(rep),
                Err(_) => reports.push(StopReport {
                    component: name,
                    clean: false,
                    detail: "did not stop by the drain deadline".to_owned(),
                }),
            }
        }
        reports
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]

    use std::sync::{Arc, Mutex};

    use super::*;

    type Log = Arc<Mutex<Vec<String>>>;

    struct Fake {
        name: &'static str,
        fail_start: bool,
        log: Log,
    }

    struct FakeRunning {
        name: &'static str,
        log: Log,
        faults: Faults,
    }

    impl Component<u32> for Fake {
        fn name(&self) -> String {
            self.name.to_owned()
        }
        fn start(
            self: Box<Self>,
            faults: Faults,
        ) -> BoxFuture<'static, Result<Box<dyn Running<u32>>, ServiceError>> {
            Box::pin(async move {
                if self.fail_start {
                    return Err(ServiceError::start(self.name, "port in use"));
                }
                self.log
                    .lock()
                    .unwrap()
                    .push(format!("start {}", self.name));
                Ok(Box::new(FakeRunning {
                    name: self.name,
                    log: self.log,
                    faults,
                }) as Box<dyn Running<u32>>)
            })
        }
    }

    impl Running<u32> for FakeRunning {
        fn name(&self) -> &str {
            self.name
        }
        fn ready(&self) -> Vec<(String, serde_json::Value)> {
            vec![(self.name.to_owned(), serde_json::json!("127.0.0.1:1"))]
        }
        fn reload(&self, new: &u32) -> Result<Option<serde_json::Value>, String> {
            match (self.name, *new) {
                (_, 99) => {
                    // Stands for a task of the component failing on its own.
                    self.faults.report(self.name, "listener closed");
                    Ok(None)
                }
                ("traps", 0) => Err("bad rules".to_owned()),
                ("traps", n) => Ok(Some(serde_json::json!({ "rules": n }))),
                _ => Ok(None),
            }
        }
        fn stop(self: Box<Self>, _deadline: Instant) -> BoxFuture<'static, StopReport> {
            Box::pin(async move {
                self.log.lock().unwrap().push(format!("stop {}", self.name));
                StopReport::clean(self.name)
            })
        }
    }

    fn fake(name: &'static str, fail_start: bool, log: &Log) -> Box<dyn Component<u32>> {
        Box::new(Fake {
            name,
            fail_start,
            log: Arc::clone(log),
        })
    }

    #[tokio::test]
    async fn starts_in_order_stops_in_reverse() {
        let log = Log::default();
        let mut sup = Supervisor::start(
            vec![
                fake("sim", false, &log),
                fake("traps", false, &log),
                fake("api", false, &log),
            ],
            Duration::from_secs(5),
        )
        .await
        .unwrap();
        assert_eq!(sup.ready()["traps"], "127.0.0.1:1");
        assert_eq!(
            sup.reload(&7).unwrap(),
            serde_json::json!({"traps": {"rules": 7}})
        );
        assert_eq!(sup.reload(&0).unwrap_err(), "traps: bad rules");
        let reports = sup.stop().await;
        assert!(reports.iter().all(|r| r.clean));
        assert_eq!(
            *log.lock().unwrap(),
            [
                "start sim",
                "start traps",
                "start api",
                "stop api",
                "stop traps",
                "stop sim"
            ]
        );
    }

    #[tokio::test]
    async fn a_start_failure_stops_what_started() {
        let log = Log::default();
        let err = Supervisor::start(
            vec![
                fake("sim", false, &log),
                fake("traps", true, &log),
                fake("api", false, &log),
            ],
            Duration::from_secs(5),
        )
        .await
        .unwrap_err();
        assert_eq!(err.to_string(), "traps: port in use");
        assert_eq!(*log.lock().unwrap(), ["start sim", "stop sim"]);
    }

    #[tokio::test]
    async fn a_fault_is_reported() {
        let log = Log::default();
        let mut sup = Supervisor::start(vec![fake("api", false, &log)], Duration::from_secs(5))
            .await
            .unwrap();
        sup.reload(&99).unwrap();
        let e = sup.fault().await;
        assert_eq!(e.to_string(), "api failed: listener closed");
    }
}
