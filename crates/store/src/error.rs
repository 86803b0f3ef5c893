//! The store's error type.

/// Why a publish could not be applied. On error nothing is published: the
/// current snapshot stays in place, unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The requested history capacity exceeds [`crate::MAX_HISTORY_CAPACITY`].
    #[error("history capacity {requested} exceeds the maximum of {max}")]
    HistoryCapacityTooLarge {
        /// The capacity asked for.
        requested: usize,
        /// The largest capacity accepted.
        max: usize,
    },
    /// More distinct names of one kind than a 32-bit id can number.
    #[error("too many distinct {kind} names (id space of u32 exhausted)")]
    TooManyNames {
        /// `"resource"` or `"metric"`.
        kind: &'static str,
    },
    /// A matrix whose value count is not rows × columns.
    #[error("matrix of {resources} × {metrics} needs that many values, got {values}")]
    MatrixShape {
        /// Rows (resources).
        resources: usize,
        /// Columns (metrics).
        metrics: usize,
        /// Values given.
        values: usize,
    },
    /// A matrix naming the same row or column twice.
    #[error("the matrix names {kind} {name:?} twice")]
    DuplicateName {
        /// `"resource"` or `"metric"`.
        kind: &'static str,
        /// The repeated name.
        name: String,
    },
    /// More series than a 32-bit [`crate::SeriesId`] can number.
    #[error("too many series (id space of u32 exhausted)")]
    TooManySeries,
    /// A source wrote a resource another source owns (see [`crate::Store::publish_from`]).
    #[error("resource {resource:?} belongs to source {owner:?}; {writer:?} may not write it")]
    ForeignResource {
        /// The resource's name.
        resource: String,
        /// The source that owns it.
        owner: String,
        /// The source that tried to write it.
        writer: String,
    },
    /// More sources than [`crate::MAX_SOURCES`].
    #[error("too many sources (at most {})", crate::MAX_SOURCES)]
    TooManySources,
}
