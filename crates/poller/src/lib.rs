//! The nocwatch poller: everything that reads devices by SNMP on a schedule.
//!
//! - [`SnmpSource`]: the poll source of `nocwatch run` (`[snmp]`,
//!   [`SnmpConfig`]): cycles of the polling engine over a target list, each
//!   value and each counter's rate written through a [`StoreSink`], figures in
//!   [`SnmpStats`].
//! - [`rate`]: the one counter-rate computation (wraps unwrapped only when
//!   plausible, no rate across a restart or a discontinuity, time from the
//!   readings' own timestamps), used by the source and by `nocwatch demo`
//!   ([`interfaces`]).
//! - [`AdHocPoll`]: what `nocwatch poll` runs.
//! - [`parse_targets`]: the target lists both take.
//!
//! It sits on the engine (`nocwatch-net`) and writes into `nocwatch-store`;
//! the service wires it to the API.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod adhoc;
pub mod column;
mod config;
mod device;
mod error;
pub mod interfaces;
pub mod rate;
mod sink;
mod source;
mod stats;
mod target;

pub use adhoc::{ADHOC_DEFAULT_WALKS, AdHocConfig, AdHocPoll, ProcessUsage, process_usage};
pub use config::{DEFAULT_WALKS, SnmpConfig};
pub use device::{Device, Tally};
pub use error::PollerError;
pub use sink::StoreSink;
pub use source::{SnmpReloader, SnmpSource, SnmpTargets};
pub use stats::SnmpStats;
pub use target::{MAX_TARGETS, parse_targets, resource_name};
