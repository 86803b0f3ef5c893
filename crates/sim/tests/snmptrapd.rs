//! The simulated devices' traps received by net-snmp's `snmptrapd`, the reference
//! receiver: it must accept them, attribute them to the device's own address, and
//! log linkDown with the interface's objects.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::sync::Arc;
use std::time::Duration;

use nocwatch_sim::{ChangeKind, ManualClock, SnmpSim, SnmpSimConfig};

use receiver::Snmptrapd;

#[test]
fn snmptrapd_logs_the_simulated_link_down_from_the_device() {
    let Some(trapd) = Snmptrapd::start("authCommunity log labtraps\n") else {
        return;
    };
    let clock = Arc::new(ManualClock::new(Duration::ZERO));
    let sim = SnmpSim::start_with_clock(
        &SnmpSimConfig {
            devices: 4,
            interfaces: 6,
            flap_interval: Duration::from_secs(30),
            restart_interval: Duration::ZERO,
            trap_targets: vec![trapd.addr()],
            trap_community: "labtraps".into(),
            seed: 5,
            ..SnmpSimConfig::default()
        },
        clock.clone(),
    )
    .unwrap();
    // Step a second at a time until some device's interface goes down: the first
    // changes of a lab without restarts are link-downs.
    let (notes, down) = (0..100_000)
        .find_map(|_| {
            clock.advance(Duration::from_secs(1));
            let notes = sim.step();
            let down = notes
                .iter()
                .position(|n| matches!(n.change.kind, ChangeKind::LinkDown { .. }))?;
            Some((notes, down))
        })
        .expect("a flap");
    let n = &notes[down];
    let ChangeKind::LinkDown { if_index } = n.change.kind else {
        unreachable!()
    };
    let device = sim.address(n.device).unwrap().ip().to_string();
    // snmptrapd logs them in the order sent; this one is number `down`.
    let (mut header, mut body) = (String::new(), String::new());
    for _ in 0..=down {
        (header, body) = trapd.next_notification();
    }
    assert!(
        header.contains(&format!("[UDP: [{device}]:")),
        "attributed to the device's address {device}: {header}"
    );
    assert!(
        body.contains(".1.3.6.1.6.3.1.1.4.1.0 = OID: .1.3.6.1.6.3.1.1.5.3"),
        "linkDown: {body}"
    );
    assert!(
        body.starts_with(".1.3.6.1.2.1.1.3.0 = Timeticks: "),
        "{body}"
    );
    for expected in [
        format!(".1.3.6.1.2.1.2.2.1.1.{if_index} = INTEGER: {if_index}"),
        format!(".1.3.6.1.2.1.2.2.1.7.{if_index} = INTEGER: 1"),
        format!(".1.3.6.1.2.1.2.2.1.8.{if_index} = INTEGER: 2"),
    ] {
        assert!(body.contains(&expected), "{expected} in {body}");
    }
    let stats = sim.stop();
    assert_eq!(stats.traps.send_errors, 0);
}

/// A private snmptrapd on a free loopback port, stopped by PID on drop.
///
/// The testkit gains the same guard (`nocwatch_testkit::Snmptrapd`) on the
/// test-harness branch of issue 12; once both are merged this module goes and the
/// test uses that one (same calls: `start`, `addr`, `next_notification`).
mod receiver {
    use std::io::{BufRead as _, BufReader};
    use std::net::{Ipv4Addr, SocketAddr};
    use std::process::{Child, Command, Stdio};
    use std::sync::mpsc::{self, Receiver};
    use std::time::{Duration, Instant};

    use nocwatch_testkit::{TempDir, find_program, free_udp_port};

    pub(super) struct Snmptrapd {
        child: Child,
        out: Receiver<String>,
        port: u16,
        _dir: TempDir,
    }

    impl Snmptrapd {
        /// Starts one with `config` as its snmptrapd.conf and numeric output;
        /// `None` (after saying why) when snmptrapd is not installed, unless
        /// `NOCWATCH_REQUIRE_PEERS=1` (CI), where that fails the test.
        pub(super) fn start(config: &str) -> Option<Self> {
            let Some(program) = find_program("snmptrapd") else {
                assert!(
                    std::env::var("NOCWATCH_REQUIRE_PEERS").as_deref() != Ok("1"),
                    "snmptrapd is required (NOCWATCH_REQUIRE_PEERS=1) but not installed"
                );
                eprintln!("skipped: snmptrapd not installed (run ./scripts/test)");
                return None;
            };
            let dir = TempDir::new("nocwatch-sim-snmptrapd").unwrap();
            std::fs::create_dir(dir.path().join("cert_indexes")).unwrap();
            let conf = dir.path().join("snmptrapd.conf");
            std::fs::write(&conf, config).unwrap();
            for _ in 0..5 {
                let port = free_udp_port().unwrap();
                let mut child = Command::new(&program)
                    .env("MIBS", "")
                    .env("SNMP_PERSISTENT_DIR", dir.path())
                    .args(["-f", "-Lo", "-n", "-On", "-m", "", "-C", "-c"])
                    .arg(&conf)
                    .arg(format!("udp:127.0.0.1:{port}"))
                    .stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
                let stdout = child.stdout.take().unwrap();
                let (tx, out) = mpsc::channel();
                std::thread::spawn(move || {
                    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                        if tx.send(line).is_err() {
                            break;
                        }
                    }
                });
                // It announces itself once its socket is open.
                let deadline = Instant::now() + Duration::from_secs(10);
                let mut ready = false;
                while let Ok(line) =
                    out.recv_timeout(deadline.saturating_duration_since(Instant::now()))
                {
                    if line.contains("NET-SNMP version") {
                        ready = true;
                        break;
                    }
                }
                if ready && child.try_wait().unwrap().is_none() {
                    return Some(Self {
                        child,
                        out,
                        port,
                        _dir: dir,
                    });
                }
                let _ = child.kill();
                let _ = child.wait();
            }
            panic!("snmptrapd did not start");
        }

        pub(super) fn addr(&self) -> SocketAddr {
            SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
        }

        /// The next notification: its header line and its bindings line.
        pub(super) fn next_notification(&self) -> (String, String) {
            let header = self
                .out
                .recv_timeout(Duration::from_secs(10))
                .expect("no notification logged within 10 s");
            let body = self
                .out
                .recv_timeout(Duration::from_secs(5))
                .expect("a header without a bindings line");
            (header, body)
        }
    }

    impl Drop for Snmptrapd {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
