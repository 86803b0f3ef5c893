//! The one skip policy: a test that lacks a peer (net-snmp, snmptrapd, tshark) or
//! the `../shared` checkout either skips with a visible reason or fails.
//!
//! A bare `cargo test` on a laptop without net-snmp should still pass, so such a
//! test may skip there. But a skip that passes silently is how an interop test
//! stops running in CI without anyone noticing. So every skip goes through
//! [`missing`]:
//!
//! * with `NOCWATCH_REQUIRE_PEERS=1` (set by `scripts/test`, which installs the
//!   peers and which CI runs with `../shared` beside the clone) the missing thing
//!   is a test failure naming what is missing;
//! * otherwise the test prints `SKIP <test>: <why>` to the real stderr (past
//!   libtest's capture, so it shows in plain `cargo test` output) and returns.

use std::io::Write as _;
use std::path::PathBuf;

use crate::tools::find_program;

/// The environment variable that turns every skip into a failure.
pub const REQUIRE_PEERS_ENV: &str = "NOCWATCH_REQUIRE_PEERS";

/// True when `NOCWATCH_REQUIRE_PEERS=1`: a missing peer fails the test.
pub fn peers_required() -> bool {
    std::env::var_os(REQUIRE_PEERS_ENV).is_some_and(|v| v == "1")
}

/// The running test's name: libtest names each test's thread after the test.
fn test_name() -> String {
    match std::thread::current().name() {
        Some(name) if name != "main" => name.to_owned(),
        _ => "<test>".to_owned(),
    }
}

/// Reports that the calling test cannot run because `why` (e.g. "snmptrapd not
/// installed"), and returns so the caller can `return`.
///
/// Under `NOCWATCH_REQUIRE_PEERS=1` it panics instead, failing the test with a
/// message naming the test, what is missing and how to get it.
///
/// # Panics
/// When `NOCWATCH_REQUIRE_PEERS=1` is set: that is its purpose.
#[allow(clippy::panic, reason = "failing the calling test is the point")]
pub fn missing(why: &str) {
    let test = test_name();
    if peers_required() {
        panic!(
            "{test}: {why}; {REQUIRE_PEERS_ENV}=1 makes this a failure \
             (scripts/test installs the peers; CI needs ../shared beside the clone)"
        );
    }
    // Written through `std::io::stderr` rather than `eprintln!`: libtest captures
    // `eprintln!` and shows it only for failing tests, and a skip passes.
    let _ = writeln!(std::io::stderr().lock(), "SKIP {test}: {why}");
}

/// The path of `program` if installed (on `PATH` or in the sbin/bin directories,
/// see [`find_program`]); otherwise [`missing`] and `None`.
pub fn program_or_skip(program: &str) -> Option<PathBuf> {
    let found = find_program(program);
    if found.is_none() {
        missing(&format!(
            "{program} not installed (./scripts/test installs it)"
        ));
    }
    found
}

/// True when every program in `programs` is installed; otherwise reports the
/// missing ones through [`missing`] and returns false.
pub fn programs_or_skip(programs: &[&str]) -> bool {
    let absent: Vec<&str> = programs
        .iter()
        .copied()
        .filter(|p| find_program(p).is_none())
        .collect();
    if absent.is_empty() {
        return true;
    }
    missing(&format!(
        "{} not installed (./scripts/test installs them)",
        absent.join(", ")
    ));
    false
}

/// `../shared/<rel>` if it exists; otherwise [`missing`] and `None`, for
/// `let Some(p) = shared_or_skip("mibs") else { return; };`.
///
/// When `../shared` exists but `rel` does not, the message says so explicitly,
/// because that is more likely a wrong path in the test than a missing checkout.
pub fn shared_or_skip(rel: &str) -> Option<PathBuf> {
    let Some(shared) = crate::shared_dir() else {
        missing("../shared not present beside the workspace (repo cloned alone)");
        return None;
    };
    let path = shared.join(rel);
    if path.exists() {
        Some(path)
    } else {
        missing(&format!(
            "{} not found, although ../shared is present (wrong path?)",
            path.display()
        ));
        None
    }
}
