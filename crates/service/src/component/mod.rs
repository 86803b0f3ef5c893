//! Each component of the service as the supervisor sees it: built from its
//! configuration section, started, described, reloaded, stopped.

pub mod api;
pub mod fabric;
pub mod snmp;
pub mod traps;
