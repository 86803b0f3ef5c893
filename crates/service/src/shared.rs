//! What components share: the store, the recent-events log, the reports other
//! sources give `/health` and `/metrics`, and the addresses one component binds
//! that another needs (the lab's producer URL for the CSV source, the trap
//! listener for the simulated devices' traps, the devices for the poller).
//! Filled as components start, in the supervisor's order.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use nocwatch_api::{EventLog, SourceReport};
use nocwatch_store::Store;
use nocwatch_telemetry::stats::IngestStats;

/// See the module docs.
#[derive(Debug)]
pub struct Shared {
    /// The store every source writes and the API reads.
    pub store: Arc<Store>,
    /// The recent-events log (traps today).
    pub events: Arc<EventLog>,
    /// The CSV source's statistics, when there is one.
    pub ingest: Option<Arc<IngestStats>>,
    reports: Mutex<Vec<Arc<dyn SourceReport>>>,
    addrs: Mutex<Addrs>,
}

/// Addresses bound at start that later components need.
#[derive(Debug, Default, Clone)]
pub struct Addrs {
    /// The embedded producer's matrix URL.
    pub producer_url: Option<String>,
    /// Where the trap intake listens.
    pub traps: Vec<SocketAddr>,
    /// The simulated devices' addresses (lab).
    pub devices: Vec<SocketAddr>,
    /// A resource the SNMP source polls, for the banner's example.
    pub snmp_example: Option<String>,
}

impl Shared {
    /// Shared state over `store`, with an events ring of `events` entries.
    pub fn new(store: Arc<Store>, events: usize, csv: bool) -> Self {
        Self {
            store,
            events: Arc::new(EventLog::new(events)),
            ingest: csv.then(|| Arc::new(IngestStats::default())),
            reports: Mutex::new(Vec::new()),
            addrs: Mutex::new(Addrs::default()),
        }
    }

    /// Adds a source's report for `/health` and `/metrics`.
    pub fn add_report(&self, r: Arc<dyn SourceReport>) {
        self.reports
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(r);
    }

    /// Every report so far.
    pub fn reports(&self) -> Vec<Arc<dyn SourceReport>> {
        self.reports
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The addresses bound so far.
    pub fn addrs(&self) -> Addrs {
        self.addrs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Records addresses.
    pub fn set_addrs(&self, f: impl FnOnce(&mut Addrs)) {
        f(&mut self.addrs.lock().unwrap_or_else(PoisonError::into_inner));
    }
}
