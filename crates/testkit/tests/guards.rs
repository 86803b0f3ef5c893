#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]
//! The testkit's own guards and policies: processes stop by PID on drop
//! (SIGTERM, then SIGKILL), the nocwatch guard waits for the ready line, the
//! snmptrapd guard logs what it receives, and the skip policy fails under
//! `NOCWATCH_REQUIRE_PEERS=1` and prints `SKIP` otherwise.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nocwatch_testkit::{
    NocwatchBuilder, Process, REQUIRE_PEERS_ENV, Snmptrapd, TestkitError, lines_of, net_snmp_tool,
};

/// True while the process exists (zombies included: not reaped yet).
fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

#[test]
fn a_dropped_process_gets_sigterm_and_is_reaped() {
    let mut cmd = Command::new("sleep");
    cmd.arg("600");
    let p = Process::spawn("sleep", &mut cmd).unwrap();
    let pid = p.pid();
    assert!(alive(pid));
    let t0 = Instant::now();
    drop(p);
    // `sleep` dies of SIGTERM at once: no wait for the SIGKILL deadline.
    assert!(t0.elapsed() < Duration::from_secs(4), "{:?}", t0.elapsed());
    assert!(!alive(pid), "pid {pid} still there after drop");
}

#[test]
fn a_process_ignoring_sigterm_is_killed_and_reported() {
    let mut cmd = Command::new("sh");
    // The shell ignores TERM, says so, and becomes a `sleep` that inherits the
    // ignored TERM; the signal is sent only once it is ignored.
    cmd.args(["-c", "trap '' TERM; echo ignoring; exec sleep 600"])
        .stdout(Stdio::piped());
    let mut p = Process::spawn("stubborn", &mut cmd).unwrap();
    let out = lines_of(p.take_stdout().unwrap());
    assert_eq!(
        out.recv_timeout(Duration::from_secs(30)).as_deref(),
        Ok("ignoring")
    );
    let pid = p.pid();
    let err = p.terminate(Duration::from_millis(300)).unwrap_err();
    assert!(
        matches!(err, TestkitError::NotStopped { .. }),
        "{err}: {err:?}"
    );
    assert!(err.to_string().contains("stubborn"), "{err}");
    assert!(!alive(pid));
}

#[test]
fn the_nocwatch_guard_waits_for_the_ready_line() {
    // A stand-in for the binary: noise, then the ready line, then stdout.
    let script = r#"echo starting >&2; sleep 0.2;
        echo 'nocwatch-ready {"command":"run","api":"127.0.0.1:8080","traps":["127.0.0.1:1162","[::1]:1162"]}' >&2;
        echo first; exec sleep 600"#;
    let builder = NocwatchBuilder::new("sh").unwrap();
    let conf = builder.file("x.toml", "a = 1\n").unwrap();
    assert_eq!(std::fs::read_to_string(&conf).unwrap(), "a = 1\n");
    let mut p = builder.args(["-c", script]).start().unwrap();
    assert_eq!(p.ready().command(), Some("run"));
    assert_eq!(p.addr("api").to_string(), "127.0.0.1:8080");
    assert_eq!(p.base_url("api"), "http://127.0.0.1:8080");
    assert_eq!(p.addrs("traps").len(), 2);
    assert!(p.ready().addr("metrics").is_err());
    assert_eq!(
        p.next_stdout_line(Duration::from_secs(10)).as_deref(),
        Some("first")
    );
    assert!(p.stderr().starts_with("starting\n"), "{}", p.stderr());
    let dir = p.dir().to_path_buf();
    let status = p.terminate(Duration::from_secs(10)).unwrap();
    assert!(!status.success());
    drop(p);
    assert!(!dir.exists(), "private directory left behind");
}

#[test]
fn a_command_that_exits_before_ready_is_an_error_with_its_stderr() {
    let err = NocwatchBuilder::new("sh")
        .unwrap()
        .args(["-c", "echo 'cannot bind: address in use' >&2; exit 3"])
        .start()
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, TestkitError::Exited { .. }), "{text}");
    assert!(text.contains("cannot bind: address in use"), "{text}");
    let err = NocwatchBuilder::new("sh")
        .unwrap()
        .args(["-c", "sleep 600"])
        .ready_timeout(Duration::from_millis(200))
        .start()
        .unwrap_err();
    assert!(matches!(err, TestkitError::NotReady { .. }), "{err}");
}

#[test]
fn snmptrapd_guard_logs_a_trap_from_snmptrap() {
    if !nocwatch_testkit::programs_or_skip(&["snmptrapd", "snmptrap"]) {
        return;
    }
    let d = Snmptrapd::start("authCommunity log public\ndisableAuthorization yes\n").unwrap();
    let pid = d.pid();
    let out = net_snmp_tool(
        "snmptrap",
        &[
            "-v",
            "2c",
            "-c",
            "public",
            &d.target(),
            "42",
            ".1.3.6.1.6.3.1.1.5.3",
            ".1.3.6.1.2.1.2.2.1.1.7",
            "i",
            "7",
        ],
    )
    .unwrap()
    .success_or_err()
    .unwrap();
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    let (header, body) = d.next_notification().unwrap();
    assert!(header.contains("[UDP: [127.0.0.1]:"), "{header}");
    assert!(
        body.contains(".1.3.6.1.2.1.2.2.1.1.7 = INTEGER: 7"),
        "{body}"
    );
    drop(d);
    assert!(!alive(pid));
}

/// Runs this test binary's `skip_policy_child` test with `require` as
/// `NOCWATCH_REQUIRE_PEERS`; its exit success and its output.
fn run_skip_child(require: &str) -> (bool, String) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "skip_policy_child", "--test-threads=1"])
        .env("NOCWATCH_TESTKIT_SKIP_CHILD", "1")
        .env(REQUIRE_PEERS_ENV, require)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Asks for a program that does not exist; only when run by
/// [`missing_peers_fail_under_require_and_skip_visibly_otherwise`].
#[test]
fn skip_policy_child() {
    if std::env::var_os("NOCWATCH_TESTKIT_SKIP_CHILD").is_none() {
        return;
    }
    if nocwatch_testkit::program_or_skip("nocwatch-no-such-peer").is_none() {
        return;
    }
    panic!("a program that does not exist was found");
}

#[test]
fn missing_peers_fail_under_require_and_skip_visibly_otherwise() {
    let (ok, text) = run_skip_child("1");
    assert!(!ok, "passed under NOCWATCH_REQUIRE_PEERS=1:\n{text}");
    assert!(
        text.contains("skip_policy_child: nocwatch-no-such-peer not installed")
            && text.contains("NOCWATCH_REQUIRE_PEERS=1 makes this a failure"),
        "{text}"
    );
    let (ok, text) = run_skip_child("0");
    assert!(ok, "failed without NOCWATCH_REQUIRE_PEERS=1:\n{text}");
    assert!(
        text.contains("SKIP skip_policy_child: nocwatch-no-such-peer not installed"),
        "{text}"
    );
}
