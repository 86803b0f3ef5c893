//! Where the poller's samples go. Every store write of the poller passes
//! through [`StoreSink::write`], so that giving each source ownership of its
//! series (and data age per source and resource) changes this file only.

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

    /// Publishes one cycle's samples: the series in `batch` are updated, the
    /// others stay as they are.
    ///
    /// # Errors
    ///
    /// [`PollerError::Store`] when the store refuses the batch (an id space
    /// is exhausted); nothing is published then.
    pub fn write(&self, batch: Batch) -> Result<(), PollerError> {
        if !batch.is_empty() {
            self.store.publish(batch)?;
        }
        Ok(())
    }
}
