//! nocwatch's SNMP agent simulator.
//!
//! nocwatch needs agents it can start anywhere: `nocwatch demo` must show live data
//! with zero setup, benchmarks need agents that answer faster than the code under
//! test, and tests need exact, repeatable answers. This crate provides them.
//!
//! # Design
//!
//! * **Sans-IO core.** [`Agent::respond_at`] takes a request datagram and `now` (time
//!   since the agent started) and appends the Response to a caller's buffer. It reads
//!   no clock and owns no socket; [`serve`] and [`AgentServer`] are a thin tokio
//!   shell around it. Encoding and decoding are `nocwatch-snmp`'s, never our own.
//! * **Immutable sorted view.** A [`Mib`] is a `Vec` of instances sorted by OID:
//!   GET/GETNEXT are a binary search, a GETBULK repetition is the next slot. Values
//!   that change with time are [`Cell`]s evaluated at `now` (sysUpTime, traffic
//!   counters with deterministic jitter), so the view itself never changes.
//! * **Real-agent semantics.** v1 and v2c errors and exceptions follow RFC 1157 /
//!   RFC 3416 with net-snmp's choices where they leave room (see `operation.rs` and
//!   [`Agent`]); bad communities and malformed packets are dropped silently and
//!   counted ([`AgentStats`]).
//! * **Datasets.** [`lab_device`] builds a plausible router (system group, IF-MIB,
//!   IP-MIB, UCD load averages) where every SNMP type appears. [`family_mib`] builds
//!   what a Cisco IOS-XE, Junos, Arista EOS or Linux device answers (about 1,000
//!   instances with 10 interfaces), shared by every device of a [`Fleet`]; each
//!   device differs by a small [`Device`] (counter seed, sysName, MACs, LLDP
//!   neighbours). [`recording_mib`] replays an `snmpwalk -On` capture instead.
//! * **SNMPv3.** Each agent can be an authoritative engine ([`AgentUsm`]) with the
//!   users of a [`UsmUsers`]: discovery, time synchronisation, every USM
//!   combination, with `nocwatch-snmp`'s crypto and sealing.
//! * **Quirks.** Per-agent misbehaviours a poller must survive ([`Quirks`]): tooBig
//!   above N bindings, a non-increasing OID, a wrong request-id, responses dropped
//!   above a size, loss and latency.
//! * **Fleets.** [`FleetServer`] serves thousands of devices on consecutive loopback
//!   addresses (one wildcard socket per worker, `IP_PKTINFO` to learn and answer
//!   from each device's address) or consecutive ports; it is what
//!   `nocwatch sim agents` runs.
//!
//! * **Life.** Fleet devices can live ([`LifeConfig`], [`Dynamics`]): now and then
//!   an interface flaps (down, then up) and a device restarts (sysUpTime and the
//!   counters from zero). Changes are drawn ahead from a seeded per-device stream
//!   and published in the device's [`Timeline`], which the responder evaluates at
//!   `now`: ifOperStatus, the interface's counters, ifLastChange and sysUpTime
//!   agree with the changes at every instant, with no lock on the request path.
//! * **Traps.** Each change is a notification (linkDown, linkUp, coldStart) sent
//!   as an SNMPv2-Trap ([`TrapSender`]) from the device's own address, its
//!   sysUpTime.0 what a GET read at that instant.
//! * **One clock.** Server and life driver read the same [`Clock`]: real time in a
//!   service, a [`ManualClock`] in tests (no sleep).
//! * **Components.** [`SnmpSim`] runs a fleet with its life and traps (the
//!   service's `[snmp_sim]` section is [`SnmpSimConfig`]; `nocwatch sim agents`
//!   describes its fleet as a [`FleetSpec`]); [`storm`] is the trap storm sender
//!   and [`FabricServer`] the simulated CSV fabric.
//!
//! A restart reboots the SNMPv3 engine too (boots up by one, time from zero).
//!
//! Not here: SNMPv3 users are read-only (as net-snmp's `rouser`; there is no VACM);
//! a restarting device answers at once (no unreachable period).
//!
//! ```
//! use std::time::Duration;
//! use nocwatch_sim::lab_device;
//!
//! let agent = lab_device("lab-r1", 4);
//! // snmpget -v2c -c public ... sysDescr.0
//! let request = [0x30, 0x29, 0x02, 0x01, 0x01, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c',
//!     0xa0, 0x1c, 0x02, 0x04, 0x12, 0x34, 0x56, 0x78, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00,
//!     0x30, 0x0e, 0x30, 0x0c, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00,
//!     0x05, 0x00];
//! let mut out = Vec::new();
//! assert!(agent.respond_at(Duration::from_secs(1), &request, &mut out).replied());
//! assert_eq!(agent.stats().responses, 1);
//! ```

#![deny(missing_docs)]

mod agent;
mod cell;
mod clock;
mod dataset;
mod error;
mod fabric;
mod fleet;
mod fleet_server;
mod lab;
mod life;
mod mib;
mod notify;
mod operation;
mod recording;
mod response;
mod server;
mod service;
mod settings;
mod stats;
pub mod storm;
mod users;
mod usm;
mod value;

#[cfg(test)]
mod tests;

pub use agent::{
    Access, Agent, AgentConfig, Community, DropReason, MAX_UDP_PAYLOAD, Outcome, Quirks, Versions,
};
pub use cell::{Cell, Counter, CounterWidth, Device, Wave};
pub use clock::{Clock, ManualClock, SystemClock};
pub use dataset::{DeviceSpec, Family, family_mib};
pub use error::SimError;
pub use fabric::{FabricServer, Stopped};
pub use fleet::{DeviceOverride, Fleet, FleetConfig, QuirksOverride, engine_id};
pub use fleet_server::{FleetServer, Layout, ServerStats};
pub use lab::{LAB_SYS_OBJECT_ID, lab_device, lab_mib};
pub use life::{Change, ChangeKind, Dynamics, LifeConfig, LifeStats, Notification, Timeline};
pub use mib::{Entry, Mib, MibBuilder};
pub use notify::{TrapSender, TrapStats, encode_trap};
pub use recording::{parse_recording, recording_mib, write_recording};
pub use server::{AgentServer, serve};
pub use service::{SimStats, SnmpSim, SnmpSimConfig, TrapTargets};
pub use settings::{
    FleetSpec, Recordings, device_file_lines, parse_loss, parse_selector, parse_settings,
    parse_versions,
};
pub use stats::AgentStats;
pub use users::agent_users;
pub use usm::{AgentUsm, UsmUsers};
pub use value::OwnedValue;
