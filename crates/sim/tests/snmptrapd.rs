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

use nocwatch_testkit::Snmptrapd;

#[test]
fn snmptrapd_logs_the_simulated_link_down_from_the_device() {
    // The testkit's skip policy: a visible skip, a failure in CI.
    if nocwatch_testkit::program_or_skip("snmptrapd").is_none() {
        return;
    }
    let trapd = Snmptrapd::start("authCommunity log labtraps\n").unwrap();
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
        (header, body) = trapd.next_notification().unwrap();
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
