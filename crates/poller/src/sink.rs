//! Where the poller's samples go. Every store write of the poller passes
//! through [`StoreSink::write`], the one place that says how the poller
//! meets the store: as its own source, owning the resources it writes (the
//! store refuses another source's) and keeping its own data age.

use std::sync::Arc;

use nocwatch_store::{Batch, Store};

use crate::PollerError;

/// The store, as the poll source `source` writes to it.
#[derive(Debug, Clone)]
pub struct StoreSink {
    store: Arc<Store>,
    source: Arc<str>,
}

impl StoreSink {
    /// Writes of the source named `source` into `store`.
    #[must_use]
    pub fn new(store: Arc<Store>, source: impl Into<Arc<str>>) -> Self {
        Self {
            store,
            source: source.into(),
        }
    }

    /// The source's name.
    #[must_use]
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Publishes one cycle's samples as the source: the series in `batch` are
    /// updated, the others stay as they are, and the source's publish time
    /// (its data age) moves on. A cycle with nothing to write (every target
    /// timed out) writes nothing, so the source's data ages as it should.
    ///
    /// # Errors
    ///
    /// [`PollerError::Store`] when the store refuses the batch (a resource of
    /// another source, an id space exhausted); nothing is published then.
    pub fn write(&self, batch: Batch) -> Result<(), PollerError> {
        if !batch.is_empty() {
            self.store.publish_from(&self.source, batch)?;
        }
        Ok(())
    }
}
