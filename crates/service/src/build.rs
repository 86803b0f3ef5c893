//! From configuration to components, in start order.

use std::sync::Arc;

use nocwatch_store::Store;

use crate::ServiceError;
use crate::component::api::ApiComponent;
use crate::component::fabric::{CsvComponent, ProducerComponent};
use crate::component::snmp::{SimComponent, SnmpComponent};
use crate::component::traps::TrapsComponent;
use crate::config::Config;
use crate::shared::Shared;
use crate::supervisor::Component;

/// The service's components in start order.
pub type Components = Vec<Box<dyn Component<Config>>>;

/// The components `config` describes, in start order, and what they share:
/// the trap intake first (the lab's devices send to it), then the simulators,
/// the sources that poll them, and the API last.
///
/// # Errors
///
/// The store cannot be made (history too large).
pub fn components(
    config: &Config,
    reload: Option<nocwatch_api::ReloadHook>,
) -> Result<(Arc<Shared>, Components), ServiceError> {
    let store = Arc::new(
        Store::new(config.store.history).map_err(|e| ServiceError::Config(e.to_string()))?,
    );
    let csv = config.http_csv.clone().or_else(|| {
        config
            .producer
            .as_ref()
            .map(|_| nocwatch_telemetry::HttpCsvSection::polling(String::new()))
    });
    let shared = Arc::new(Shared::new(store, config.api.events, csv.is_some()));
    let mut list: Components = Vec::new();
    if let Some(t) = &config.traps {
        list.push(Box::new(TrapsComponent::new(t, &shared)));
    }
    if let Some(s) = &config.snmp_sim {
        list.push(Box::new(SimComponent::new(s, &shared)));
    }
    if let Some(p) = &config.producer {
        list.push(Box::new(ProducerComponent::new(p, &shared)));
    }
    if let Some(s) = &config.snmp {
        list.push(Box::new(SnmpComponent::new(s, &shared)));
    }
    if let Some(c) = &csv {
        list.push(Box::new(CsvComponent::new(c, &shared)));
    }
    list.push(Box::new(ApiComponent::new(
        &config.api,
        &shared,
        csv.map(|c| c.name),
        reload,
    )));
    Ok((shared, list))
}
