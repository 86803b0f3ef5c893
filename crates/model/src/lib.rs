//! The types every nocwatch stage shares, and nothing that does I/O.
//!
//! A NOC speaks of *resources* (a router, a switch, an interface of it), of *metrics*
//! sampled from them (bits in per second on core1 xe-0/0/3), of *events* (a linkDown
//! trap, a device that stopped answering polls) and of their *severity*. The trap
//! pipeline, the pollers, the CSV source, the store, the API and the stages still to
//! come (incidents, routing, sinks) exchange exactly these types, so each can be
//! built, tested and replaced alone.
//!
//! What is here:
//! - [`Severity`]: critical to clear, ordered by urgency.
//! - [`ResourceId`] and [`Resource`]: what a sample or an event is about, with its kind,
//!   site and metadata. The fabric CSV source names its resources by `switch_id`, the
//!   SNMP sources by device name or address.
//! - [`Sample`]: one metric value of a resource at a time, with dimensions.
//! - [`Event`]: something that happened to a resource, from a trap, from polling, or
//!   from nocwatch itself ([`Origin`]).
//! - [`duration`]: the one duration syntax of the CLI and the config (`500ms`, `10s`).
//! - [`Secret`]: a community, pass phrase or token given literally, from an
//!   environment variable or from a file, never printed.
//!
//! The crate depends on serde only: events and samples serialise to the JSON the
//! API serves.

#![deny(missing_docs)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod duration;
mod error;
mod event;
mod publish;
mod resource;
mod sample;
mod secret;
mod severity;

pub use error::ModelError;
pub use event::{Binding, Event, EventFilter, Origin};
pub use publish::Publish;
pub use resource::{Resource, ResourceId, ResourceKind};
pub use sample::Sample;
pub use secret::Secret;
pub use severity::Severity;
