//! Waiting on a condition, and running one test in a process of its own.

use std::process::Command;
use std::time::{Duration, Instant};

/// The environment variable naming the test that [`isolated`] runs alone.
const ISOLATED_ENV: &str = "NOCWATCH_TESTKIT_ISOLATED";

/// Polls `check` until it returns `Some`, at most `limit`; the value, or a
/// panic naming `what` (failing the test). The pause between tries is short
/// (10 ms): this waits on a condition, it does not sleep as synchronisation.
///
/// # Panics
/// When `limit` passes first.
#[allow(clippy::panic, reason = "test harness: failing the test is the point")]
pub fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check() {
            return v;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {limit:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs the calling test again, alone, in a child process of the same test
/// binary, for measurements that other tests running beside it would disturb
/// (process-wide memory, CPU time).
///
/// Returns `true` in the child, where the caller runs its body; in the parent it
/// runs the child (`<test binary> --exact <test> --test-threads=1`), fails the
/// test unless the child ran exactly that test and it passed, and returns
/// `false`, so the caller returns:
///
/// ```no_run
/// #[test]
/// fn memory_stays_flat() {
///     if !nocwatch_testkit::isolated("memory_stays_flat") {
///         return;
///     }
///     // measured alone
/// }
/// ```
///
/// `test` is the test's full name as libtest lists it (`module::name` for a
/// test in a module).
///
/// # Panics
/// In the parent, when the child cannot run or does not pass.
#[allow(clippy::panic, reason = "test harness: failing the test is the point")]
pub fn isolated(test: &str) -> bool {
    if std::env::var(ISOLATED_ENV).is_ok_and(|t| t == test) {
        return true;
    }
    let exe = std::env::current_exe()
        .unwrap_or_else(|e| panic!("isolated({test}): cannot find the test binary: {e}"));
    let out = Command::new(&exe)
        .args(["--exact", test, "--test-threads=1", "--nocapture"])
        .env(ISOLATED_ENV, test)
        .output()
        .unwrap_or_else(|e| panic!("isolated({test}): cannot run {}: {e}", exe.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A name that matches nothing runs zero tests and exits 0: insist on one.
    if !out.status.success() || !stdout.contains("test result: ok. 1 passed;") {
        panic!(
            "isolated run of {test} failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
            out.status
        );
    }
    false
}
