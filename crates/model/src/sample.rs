//! Metric samples.

use std::sync::Arc;

use crate::ResourceId;

/// One value of one metric of one resource at one time: what every source produces
/// and the store keeps. `dimensions` say which part of the resource it is about
/// (`interface = "xe-0/0/3"`), sorted by name so equal samples compare equal.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Sample {
    /// Whose value.
    pub resource: ResourceId,
    /// The metric's name as NOC people say it (`ifHCInOctets.3`,
    /// `Latency_Avg_uSec`, `bits_in_per_second`).
    pub metric: Arc<str>,
    /// Which part of the resource, if any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<(Arc<str>, Arc<str>)>,
    /// The value.
    pub value: f64,
    /// When it was measured, milliseconds since the Unix epoch.
    pub unix_ms: u64,
}

impl Sample {
    /// A sample without dimensions.
    pub fn new(resource: ResourceId, metric: &str, value: f64, unix_ms: u64) -> Self {
        Self {
            resource,
            metric: Arc::from(metric),
            dimensions: Vec::new(),
            value,
            unix_ms,
        }
    }

    /// Adds a dimension, keeping them sorted by name (a repeated name replaces).
    #[must_use]
    pub fn with(mut self, name: &str, value: &str) -> Self {
        match self
            .dimensions
            .binary_search_by(|(n, _)| n.as_ref().cmp(name))
        {
            Ok(i) => self.dimensions[i].1 = Arc::from(value),
            Err(i) => self
                .dimensions
                .insert(i, (Arc::from(name), Arc::from(value))),
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_sorted_and_replaced() {
        let s = Sample::new(ResourceId::new("core1"), "ifHCInOctets", 1.0, 0)
            .with("interface", "xe-0/0/3")
            .with("direction", "in")
            .with("interface", "xe-0/0/4");
        let names: Vec<&str> = s.dimensions.iter().map(|(n, _)| n.as_ref()).collect();
        assert_eq!(names, ["direction", "interface"]);
        assert_eq!(s.dimensions[1].1.as_ref(), "xe-0/0/4");
    }
}
