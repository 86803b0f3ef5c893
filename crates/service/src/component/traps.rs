//! The trap intake as a component (`[traps]`): the trap service of
//! `nocwatch-traps`, its events published as model events into the API's log
//! (and, with `json_output`, as JSON lines into a file), its metrics and
//! health in `/metrics` and `/health`, its rules, users and communities
//! reloadable.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use nocwatch_api::SourceReport;
use nocwatch_traps::{EventSink, ModelSink, TrapService, TrapsConfig};

use crate::ServiceError;
use crate::config::Config;
use crate::shared::Shared;
use crate::supervisor::{BoxFuture, Component, Faults, Running, StopReport};

/// The trap intake, built from `[traps]`.
#[derive(Debug)]
pub struct TrapsComponent {
    section: TrapsConfig,
    shared: Arc<Shared>,
}

impl TrapsComponent {
    /// Builds it.
    pub fn new(section: &TrapsConfig, shared: &Arc<Shared>) -> Self {
        Self {
            section: section.clone(),
            shared: Arc::clone(shared),
        }
    }
}

/// `/health` and `/metrics` of the trap intake (the API asks from its threads).
#[derive(Debug)]
struct TrapsReport {
    service: Arc<Mutex<Option<TrapService>>>,
    metrics: nocwatch_traps::MetricsHandle,
}

impl SourceReport for TrapsReport {
    fn health(&self) -> serde_json::Value {
        let guard = self.service.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(s) = guard.as_ref() else {
            return serde_json::json!({"name": "traps", "state": "stopped"});
        };
        let st = s.stats();
        serde_json::json!({
            "name": "traps",
            "state": if st.running { "ok" } else { "failed" },
            "listen": s.local_addrs().iter().map(ToString::to_string).collect::<Vec<_>>(),
            "queued": st.queued,
            "pending_acks": st.pending_acks,
            "passes": st.passes,
            "engine_boots": s.engine().boots,
        })
    }

    fn write_prometheus(&self, out: &mut String) {
        out.push_str(&self.metrics.render());
    }
}

struct TrapsRunning {
    service: Arc<Mutex<Option<TrapService>>>,
    addrs: Vec<std::net::SocketAddr>,
    journal: Option<std::path::PathBuf>,
}

impl Component<Config> for TrapsComponent {
    fn name(&self) -> String {
        "traps".to_owned()
    }

    fn start(
        self: Box<Self>,
        _faults: Faults,
    ) -> BoxFuture<'static, Result<Box<dyn Running<Config>>, ServiceError>> {
        Box::pin(async move {
            let events: Arc<dyn nocwatch_model::Publish> = self.shared.events.clone();
            let section = self.section.clone();
            // Binding, the journal's replay and the engine store are blocking work.
            let service = tokio::task::spawn_blocking(move || {
                TrapService::start(
                    &section,
                    Box::new(ModelSink::new(events)) as Box<dyn EventSink>,
                )
            })
            .await
            .map_err(|e| ServiceError::start("traps", e))?
            .map_err(|e| ServiceError::start("traps", e))?;
            let addrs = service.local_addrs();
            self.shared.set_addrs(|a| a.traps.clone_from(&addrs));
            let metrics = service.metrics();
            let service = Arc::new(Mutex::new(Some(service)));
            self.shared.add_report(Arc::new(TrapsReport {
                service: Arc::clone(&service),
                metrics,
            }));
            Ok(Box::new(TrapsRunning {
                service,
                addrs,
                journal: self.section.journal.clone(),
            }) as Box<dyn Running<Config>>)
        })
    }
}

impl Running<Config> for TrapsRunning {
    fn name(&self) -> &str {
        "traps"
    }

    fn banner(&self) -> Vec<String> {
        let list: Vec<String> = self.addrs.iter().map(ToString::to_string).collect();
        let first = self
            .addrs
            .first()
            .map(ToString::to_string)
            .unwrap_or_default();
        vec![
            format!(
                "  traps     listening on {} ({})",
                list.join(", "),
                match &self.journal {
                    Some(j) => format!("journal {}", j.display()),
                    None => "no journal: events in memory only".to_owned(),
                }
            ),
            format!(
                "            send one:  snmptrap -v 2c -c public {first} '' IF-MIB::linkDown IF-MIB::ifIndex.3 i 3"
            ),
        ]
    }

    fn ready(&self) -> Vec<(String, serde_json::Value)> {
        vec![(
            "traps".to_owned(),
            self.addrs
                .iter()
                .map(|a| serde_json::Value::from(a.to_string()))
                .collect::<Vec<_>>()
                .into(),
        )]
    }

    fn reload(&self, new: &Config) -> Result<Option<serde_json::Value>, String> {
        let Some(section) = &new.traps else {
            return Err("[traps] was removed: a restart is needed".to_owned());
        };
        let guard = self.service.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(s) = guard.as_ref() else {
            return Err("stopped".to_owned());
        };
        let r = s.reload(section).map_err(|e| e.to_string())?;
        Ok(Some(serde_json::json!({
            "rules": r.rules,
            "users": r.users,
            "communities": r.communities,
            "restart_needed": r.restart_needed,
        })))
    }

    fn stop(self: Box<Self>, _deadline: Instant) -> BoxFuture<'static, StopReport> {
        Box::pin(async move {
            let service = self
                .service
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            let Some(service) = service else {
                return StopReport::clean("traps");
            };
            // The service drains by its own drain_timeout.
            match tokio::task::spawn_blocking(move || service.stop()).await {
                Ok(Ok(report)) => StopReport {
                    component: "traps".to_owned(),
                    clean: report.left == 0,
                    detail: if report.left == 0 {
                        String::new()
                    } else {
                        format!(
                            "{} events still queued at the deadline stay in the journal and are replayed at the next start",
                            report.left
                        )
                    },
                },
                Ok(Err(e)) => StopReport {
                    component: "traps".to_owned(),
                    clean: false,
                    detail: e.to_string(),
                },
                Err(e) => StopReport {
                    component: "traps".to_owned(),
                    clean: false,
                    detail: e.to_string(),
                },
            }
        })
    }
}
