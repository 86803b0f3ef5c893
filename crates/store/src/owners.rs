//! Which source owns which resource, and when each source last published.
//!
//! Why: several sources write one store (the fabric CSV source, the SNMP pollers,
//! later more). Before ownership, a source that replaced its whole content had to be
//! told by a closure which other resources to keep, and the only age the API could
//! give was the age of the whole snapshot, so the SNMP poller's publishes every 10 s
//! made a CSV source that had been failing for minutes look fresh. Now a resource
//! belongs to the first source that writes it; a write by another source is refused
//! ([`crate::StoreError::ForeignResource`]); a source's replace drops only its own
//! resources' series; and each source's last publish time is kept, so data age is
//! per source (this table) and per resource (its series' sample times).
//!
//! Writers that name no source (`Store::publish`, `Store::replace`,
//! `Store::replace_matrix`: tests, benchmarks, single-source tools) neither claim
//! nor check ownership.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::error::StoreError;

/// "No owner" in [`Owners::by_resource`].
const NONE: u16 = u16::MAX;

/// Most sources one store can have (one id is reserved for "none").
pub const MAX_SOURCES: usize = NONE as usize;

/// One source's state, as the snapshot published by its last write saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceState {
    /// The source's name (its config section's `name`).
    pub name: Arc<str>,
    /// When its last successful publish was installed.
    pub last_publish: SystemTime,
    /// Successful publishes so far.
    pub publishes: u64,
}

impl SourceState {
    /// Time from its last publish to `now` (zero if `now` is earlier).
    #[must_use]
    pub fn age(&self, now: SystemTime) -> Duration {
        now.duration_since(self.last_publish).unwrap_or_default()
    }
}

/// The ownership table of one snapshot. Both parts are shared between snapshots and
/// copied only when they change (a new source, a new resource claimed).
#[derive(Debug, Clone, Default)]
pub(crate) struct Owners {
    sources: Arc<Vec<SourceState>>,
    /// Owner of each resource id, [`NONE`] when unowned.
    by_resource: Arc<Vec<u16>>,
}

impl Owners {
    /// The id of `name`, registering it (published at `now`, 0 publishes) if new.
    pub(crate) fn source_id(&mut self, name: &str, now: SystemTime) -> Result<u16, StoreError> {
        if let Some(i) = self.sources.iter().position(|s| &*s.name == name) {
            return u16::try_from(i).map_err(|_| StoreError::TooManySources);
        }
        if self.sources.len() >= MAX_SOURCES {
            return Err(StoreError::TooManySources);
        }
        let id = u16::try_from(self.sources.len()).map_err(|_| StoreError::TooManySources)?;
        Arc::make_mut(&mut self.sources).push(SourceState {
            name: Arc::from(name),
            last_publish: now,
            publishes: 0,
        });
        Ok(id)
    }

    /// The owner of resource `rid`.
    pub(crate) fn owner(&self, rid: u32) -> Option<u16> {
        let o = *self.by_resource.get(usize::try_from(rid).ok()?)?;
        (o != NONE).then_some(o)
    }

    /// Makes `source` the owner of `rid`, or says who owns it. `name` is only for
    /// the error.
    pub(crate) fn claim(
        &mut self,
        rid: u32,
        source: u16,
        name: &dyn Fn() -> String,
    ) -> Result<(), StoreError> {
        match self.owner(rid) {
            Some(o) if o == source => Ok(()),
            Some(o) => Err(StoreError::ForeignResource {
                resource: name(),
                owner: self.name(o).to_owned(),
                writer: self.name(source).to_owned(),
            }),
            None => {
                let i = usize::try_from(rid).map_err(|_| StoreError::TooManySeries)?;
                let v = Arc::make_mut(&mut self.by_resource);
                if v.len() <= i {
                    v.resize(i + 1, NONE);
                }
                if let Some(slot) = v.get_mut(i) {
                    *slot = source;
                }
                Ok(())
            }
        }
    }

    /// Records a successful publish by `source` at `now`.
    pub(crate) fn published(&mut self, source: u16, now: SystemTime) {
        if let Some(s) = Arc::make_mut(&mut self.sources).get_mut(usize::from(source)) {
            s.last_publish = now;
            s.publishes += 1;
        }
    }

    /// The name of source `id` (empty if unknown).
    pub(crate) fn name(&self, id: u16) -> &str {
        self.sources.get(usize::from(id)).map_or("", |s| &s.name)
    }

    /// Every source, in registration order.
    pub(crate) fn sources(&self) -> &[SourceState] {
        &self.sources
    }

    /// Bytes held (for the memory estimate).
    pub(crate) fn bytes(&self) -> usize {
        self.by_resource.len() * 2 + self.sources.len() * size_of::<SourceState>()
    }
}
