//! A batch of updates handed to a writer.

use std::sync::Arc;

/// One update: set series (`resource`, `metric`) to `value` observed at `at`
/// (unix nanoseconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// Resource name, e.g. a switch name.
    pub resource: Arc<str>,
    /// Metric name.
    pub metric: Arc<str>,
    /// The observed value.
    pub value: f64,
    /// Observation time, unix nanoseconds.
    pub at: u64,
}

/// An ordered list of updates, applied in order by [`crate::Store::publish`]
/// or [`crate::Store::replace`]. Names are `Arc<str>` so a producer that
/// publishes the same names every poll can keep them and clone cheaply; a name
/// seen for the first time is interned by sharing the batch's `Arc`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    updates: Vec<Update>,
}

impl Batch {
    /// An empty batch.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty batch with room for `n` updates.
    #[must_use]
    pub fn with_capacity(n: usize) -> Self {
        Self {
            updates: Vec::with_capacity(n),
        }
    }

    /// Appends an update of series (`resource`, `metric`).
    pub fn push(
        &mut self,
        resource: impl Into<Arc<str>>,
        metric: impl Into<Arc<str>>,
        value: f64,
        at: u64,
    ) {
        self.updates.push(Update {
            resource: resource.into(),
            metric: metric.into(),
            value,
            at,
        });
    }

    /// Number of updates.
    #[must_use]
    pub fn len(&self) -> usize {
        self.updates.len()
    }

    /// Whether the batch holds no update.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.updates.is_empty()
    }

    /// The updates, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Update> {
        self.updates.iter()
    }
}

impl From<Vec<Update>> for Batch {
    fn from(updates: Vec<Update>) -> Self {
        Self { updates }
    }
}

impl FromIterator<Update> for Batch {
    fn from_iter<I: IntoIterator<Item = Update>>(iter: I) -> Self {
        Self {
            updates: iter.into_iter().collect(),
        }
    }
}

impl Extend<Update> for Batch {
    fn extend<I: IntoIterator<Item = Update>>(&mut self, iter: I) {
        self.updates.extend(iter);
    }
}

impl IntoIterator for Batch {
    type Item = Update;
    type IntoIter = std::vec::IntoIter<Update>;
    fn into_iter(self) -> Self::IntoIter {
        self.updates.into_iter()
    }
}

impl<'a> IntoIterator for &'a Batch {
    type Item = &'a Update;
    type IntoIter = std::slice::Iter<'a, Update>;
    fn into_iter(self) -> Self::IntoIter {
        self.updates.iter()
    }
}
