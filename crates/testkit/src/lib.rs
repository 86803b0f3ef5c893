//! Test support for nocwatch: the one harness every crate's tests use.
//!
//! nocwatch is checked against net-snmp (the reference implementation) and
//! tshark rather than only against itself, and its long-running commands are
//! tested as a user runs them. This crate is the one place that knows how to do
//! that safely in parallel tests:
//!
//! * process guards, each on random free loopback ports with private config
//!   files, stopped by PID on drop (SIGTERM, then SIGKILL after a deadline):
//!   [`Snmpd`] (a private agent), [`Snmptrapd`] (a private trap receiver) and
//!   [`Nocwatch`] (a nocwatch command, ready when it prints its
//!   `nocwatch-ready {JSON}` line, whose addresses [`Ready`] parses);
//! * [`http`]: GET/POST to a local server with a timeout;
//! * [`net_snmp_tool`] runs `snmpget`/`snmpwalk`/... with MIB loading off, and
//!   [`parse_net_snmp_output`] turns their `-On` output into [`NetSnmpLine`]s;
//! * the MIB directories of `../shared/mibs` ([`all_mib_dirs`], [`mib_path`]);
//! * the one skip policy ([`missing`], [`skip_unless_snmp`], [`require_snmp!`],
//!   [`program_or_skip`], [`shared_or_skip`]): a test that lacks a peer or
//!   `../shared` prints `SKIP <test>: <why>` and returns, or fails when
//!   `NOCWATCH_REQUIRE_PEERS=1` (as `scripts/test` sets);
//! * [`wait_for`] (wait on a condition with a deadline) and [`isolated`] (run a
//!   test alone in a process of its own, for memory measurements).
//!
//! ```no_run
//! # fn main() -> Result<(), nocwatch_testkit::TestkitError> {
//! if !nocwatch_testkit::skip_unless_snmp() {
//!     return Ok(());
//! }
//! let agent = nocwatch_testkit::Snmpd::start()?;
//! let out = nocwatch_testkit::net_snmp_tool(
//!     "snmpget",
//!     &["-v2c", "-c", "public", "-On", &agent.target(), "1.3.6.1.2.1.1.6.0"],
//! )?
//! .success_or_err()?;
//! assert_eq!(out.varbinds()[0].string().as_deref(), Some("nocwatch-test"));
//! # Ok(())
//! # }
//! ```

mod error;
pub mod http;
mod mibs;
mod nocwatch;
mod parse;
mod peers;
mod process;
mod snmpd;
mod snmptrapd;
mod tempdir;
mod tools;
mod wait;

use std::net::{Ipv4Addr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};

pub use error::TestkitError;
pub use http::HttpResponse;
pub use mibs::{
    all_mib_dirs, mib_path, shared_mib_path_or_skip, shared_mibs_or_skip, standard_mib_dirs,
};
pub use nocwatch::{Nocwatch, NocwatchBuilder, READY_PREFIX, READY_TIMEOUT, Ready};
pub use parse::{
    END_OF_MIB_VIEW, NO_SUCH_INSTANCE, NO_SUCH_OBJECT, NetSnmpLine, parse_net_snmp_output,
};
pub use peers::{
    REQUIRE_PEERS_ENV, missing, peers_required, program_or_skip, programs_or_skip, shared_or_skip,
};
pub use process::{Process, STOP_DEADLINE, lines_of};
pub use snmpd::{READ_COMMUNITY, SYS_CONTACT, SYS_LOCATION, SYS_NAME, Snmpd, WRITE_COMMUNITY};
pub use snmptrapd::{NUMERIC_OUTPUT, Snmptrapd};
pub use tempdir::TempDir;
pub use tools::{ToolOutput, find_program, net_snmp_tool, skip_unless_snmp, snmp_available};
pub use wait::{isolated, wait_for};

/// Returns early from the calling test (which must return `()`) when net-snmp
/// is not installed, after printing why (or fails it under
/// `NOCWATCH_REQUIRE_PEERS=1`); see [`skip_unless_snmp`].
#[macro_export]
macro_rules! require_snmp {
    () => {
        if !$crate::skip_unless_snmp() {
            return;
        }
    };
}

/// A UDP port on 127.0.0.1 that was free a moment ago.
///
/// The port is bound with port 0 (the kernel picks), read back, and released, so
/// it can be handed to a peer that binds it itself. Another process may grab it
/// in between; callers that can detect a bind failure should retry (as
/// [`Snmpd::start`] does).
pub fn free_udp_port() -> Result<u16, TestkitError> {
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| TestkitError::io("binding 127.0.0.1:0/udp", e))?;
    let addr = socket
        .local_addr()
        .map_err(|e| TestkitError::io("reading the bound UDP port", e))?;
    Ok(addr.port())
}

/// A TCP port on 127.0.0.1 that was free a moment ago (same caveat as
/// [`free_udp_port`]), for a command that needs a fixed port to report.
pub fn free_tcp_port() -> Result<u16, TestkitError> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| TestkitError::io("binding 127.0.0.1:0/tcp", e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| TestkitError::io("reading the bound TCP port", e))?;
    Ok(addr.port())
}

/// The `shared` directory beside the workspace (`<workspace>/../shared`: MIBs,
/// captures, baseline scripts), if present.
///
/// It is not part of this repository: CI checks it out beside the clone, but a
/// repository cloned alone has none; tests that need it go through
/// [`shared_or_skip`].
pub fn shared_dir() -> Option<PathBuf> {
    // crates/testkit -> crates -> <workspace> -> <workspace's parent>
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(3)?
        .join("shared");
    dir.is_dir().then_some(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_udp_port_is_bindable() {
        let port = free_udp_port().unwrap();
        assert_ne!(port, 0);
        UdpSocket::bind((Ipv4Addr::LOCALHOST, port)).unwrap();
    }

    #[test]
    fn shared_dir_is_beside_the_workspace() {
        let expected = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
        match shared_dir() {
            Some(dir) => {
                assert_eq!(
                    dir.canonicalize().unwrap(),
                    expected.canonicalize().unwrap()
                );
                assert!(shared_or_skip(".").is_some());
            }
            None => assert!(!expected.exists()),
        }
    }
}
