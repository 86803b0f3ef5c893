//! Test support for nocwatch: private net-snmp peers on loopback, runners for
//! the net-snmp command-line tools, and a parser for their output.
//!
//! nocwatch is checked against net-snmp (the reference implementation) rather
//! than only against itself. This crate is the one place that knows how to do
//! that safely in parallel tests:
//!
//! * [`Snmpd`] starts a private `snmpd` on a random 127.0.0.1 port with its own
//!   config and state directory, and kills it on drop;
//! * [`net_snmp_tool`] runs `snmpget`/`snmpwalk`/... with MIB loading off;
//! * [`parse_net_snmp_output`] turns their `-On` output into [`NetSnmpLine`]s;
//! * [`skip_unless_snmp`], [`require_snmp!`] and [`shared_or_skip`] let tests
//!   skip, with a printed reason, when net-snmp or `../shared` is missing, so a
//!   bare `cargo test` works on any machine while `./scripts/test` (which
//!   installs net-snmp) runs everything.
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
mod parse;
mod snmpd;
mod tempdir;
mod tools;

use std::io::Write as _;
use std::net::{Ipv4Addr, UdpSocket};
use std::path::{Path, PathBuf};

pub use error::TestkitError;
pub use parse::{
    END_OF_MIB_VIEW, NO_SUCH_INSTANCE, NO_SUCH_OBJECT, NetSnmpLine, parse_net_snmp_output,
};
pub use snmpd::{READ_COMMUNITY, SYS_CONTACT, SYS_LOCATION, SYS_NAME, Snmpd, WRITE_COMMUNITY};
pub use tempdir::TempDir;
pub use tools::{ToolOutput, find_program, net_snmp_tool, skip_unless_snmp, snmp_available};

/// Returns early from the calling test (which must return `()`) when net-snmp
/// is not installed, after printing why; see [`skip_unless_snmp`].
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

/// The `shared` directory beside the workspace (`<workspace>/../shared`: MIBs,
/// captures, baseline scripts), if present.
///
/// It is not part of this repository: CI checks it out beside the clone, but a
/// repository cloned alone has none, and tests that need it must skip.
pub fn shared_dir() -> Option<PathBuf> {
    // crates/testkit -> crates -> <workspace> -> <workspace's parent>
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(3)?
        .join("shared");
    dir.is_dir().then_some(dir)
}

/// `../shared/<rel>` if it exists; otherwise prints a `skipped:` line to
/// stderr and returns `None`, for `let Some(p) = shared_or_skip("mibs") else {
/// return; };`.
///
/// When `../shared` exists but `rel` does not, the message says so explicitly,
/// because that is more likely a wrong path in the test than a missing checkout.
pub fn shared_or_skip(rel: &str) -> Option<PathBuf> {
    let Some(shared) = shared_dir() else {
        report_skip("../shared not present (repo cloned alone)");
        return None;
    };
    let path = shared.join(rel);
    if path.exists() {
        Some(path)
    } else {
        report_skip(&format!(
            "{} not found, although ../shared is present (wrong path?)",
            path.display()
        ));
        None
    }
}

/// Prints `skipped: <reason> [in <test name>]` to the process's real stderr.
///
/// Written through [`std::io::stderr`] rather than `eprintln!`, because libtest
/// captures `eprintln!` output and shows it only for failing tests: a skipped
/// test passes, and the reason would otherwise never reach the CI log.
/// libtest names each test's thread after the test, which identifies it.
pub(crate) fn report_skip(reason: &str) {
    let test = match std::thread::current().name() {
        Some(name) if name != "main" => format!(" [in {name}]"),
        _ => String::new(),
    };
    // Nothing useful to do if stderr itself is gone.
    let _ = writeln!(std::io::stderr().lock(), "skipped: {reason}{test}");
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
