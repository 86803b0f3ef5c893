#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]
//! The poll source against a simulated device on loopback: values and rates
//! land in the store under the target's address, sysUpTime read only for the
//! rates is not stored, the resource is the source's own, and the figures for
//! `/health` add up.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use nocwatch_poller::{SnmpConfig, SnmpSource, StoreSink, resource_name};
use nocwatch_sim::{AgentServer, lab_device};
use nocwatch_snmp::UsmUser;
use nocwatch_store::Store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_source_stores_values_and_rates_of_a_simulated_device() {
    let agent = Arc::new(lab_device("lab-router-01", 2));
    let server = AgentServer::spawn(agent, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let addr = server.local_addr();
    let store = Arc::new(Store::new(8).unwrap());
    let config = SnmpConfig {
        name: "lab".into(),
        // ifHCInOctets and ifHighSpeed; no sysUpTime.
        walks: vec![
            "1.3.6.1.2.1.31.1.1.1.6".into(),
            "1.3.6.1.2.1.31.1.1.1.15".into(),
        ],
        timeout: Duration::from_millis(500),
        ..SnmpConfig::default()
    };
    let credentials = config
        .credentials(|_| Err::<UsmUser, _>("no v3 here"))
        .unwrap();
    let sink = StoreSink::new(Arc::clone(&store), "lab");
    let mut source = SnmpSource::start(&config, credentials, &[addr], sink)
        .await
        .unwrap();
    let resource = resource_name(addr, config.port);
    assert_eq!(resource, addr.to_string());

    source.cycle().await.unwrap();
    let snap = store.snapshot();
    let first = snap.latest(&resource, "ifHCInOctets.1").expect("a value");
    assert_eq!(
        snap.latest(&resource, "ifHighSpeed.1").unwrap().value,
        1_000.0
    );
    assert!(
        snap.latest(&resource, "sysUpTime.0").is_none(),
        "read for the rates only"
    );
    assert!(
        snap.latest(&resource, "ifHCInOctets.1.per_second")
            .is_none()
    );
    let h = source.stats().health();
    assert_eq!(h["rates_withheld_total"]["first"], 2, "{h}");
    assert_eq!(h["last_cycle"]["published"], 4, "{h}");

    // Cycle until the device's counters have moved on (it is a clock).
    let deadline = Instant::now() + Duration::from_secs(10);
    let rate = loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        source.cycle().await.unwrap();
        let snap = store.snapshot();
        if let Some(r) = snap.latest(&resource, "ifHCInOctets.1.per_second")
            && snap.latest(&resource, "ifHCInOctets.1").unwrap().value > first.value
        {
            break r;
        }
        assert!(
            Instant::now() < deadline,
            "no rate: {}",
            source.stats().health()
        );
    };
    // Within the line rate (1 Gbit/s) and its headroom.
    assert!(
        rate.value > 0.0 && rate.value <= 1e9 / 8.0 * 1.25,
        "{rate:?}"
    );
    let h = source.stats().health();
    assert!(h["rates_total"].as_u64().unwrap() >= 1, "{h}");
    assert_eq!(h["restarts_total"], 0, "{h}");
    assert_eq!(h["targets"], 1, "{h}");
    let mut prom = String::new();
    source.stats().write_prometheus(&mut prom);
    assert!(
        prom.contains("nocwatch_snmp_rates_withheld_total{source=\"lab\",reason=\"first\"} 2"),
        "{prom}"
    );
    server.stop().await.unwrap();
}

/// A reload between cycles adds and removes targets; a target that stays
/// keeps its rate state (its next reading has a rate at once).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_replaces_the_targets_between_cycles() {
    let mut servers = Vec::new();
    for name in ["lab-router-01", "lab-router-02"] {
        let agent = Arc::new(lab_device(name, 1));
        servers.push(
            AgentServer::spawn(agent, SocketAddr::from(([127, 0, 0, 1], 0)))
                .await
                .unwrap(),
        );
    }
    let (a, b) = (servers[0].local_addr(), servers[1].local_addr());
    let store = Arc::new(Store::new(8).unwrap());
    let config = SnmpConfig {
        walks: vec!["1.3.6.1.2.1.31.1.1.1.6".into()],
        timeout: Duration::from_millis(500),
        ..SnmpConfig::default()
    };
    let credentials = config
        .credentials(|_| Err::<UsmUser, _>("no v3 here"))
        .unwrap();
    let sink = StoreSink::new(Arc::clone(&store), "snmp");
    let mut source = SnmpSource::start(&config, credentials.clone(), &[a], sink)
        .await
        .unwrap();
    let reloader = source.reloader();
    assert!(!source.reload_now().await, "nothing to reload yet");
    source.cycle().await.unwrap();
    let name = |addr: SocketAddr| resource_name(addr, config.port);
    let value = |addr: SocketAddr, metric: &str| store.snapshot().latest(&name(addr), metric);
    assert!(value(a, "ifHCInOctets.1").is_some());
    assert!(value(b, "ifHCInOctets.1").is_none());

    let mut both = vec![a, b];
    both.sort_unstable();
    reloader.reload(nocwatch_poller::SnmpTargets {
        config: config.clone(),
        credentials: credentials.clone(),
        targets: both.clone(),
    });
    assert!(source.reload_now().await);
    assert_eq!(source.targets(), both);
    source.cycle().await.unwrap();
    assert!(value(b, "ifHCInOctets.1").is_some());
    assert!(
        value(a, "ifHCInOctets.1.per_second").is_some(),
        "a's baseline survived the reload"
    );
    assert!(value(b, "ifHCInOctets.1.per_second").is_none(), "b is new");
    assert_eq!(source.stats().health()["targets"], 2);

    reloader.reload(nocwatch_poller::SnmpTargets {
        config: config.clone(),
        credentials,
        targets: vec![b],
    });
    assert!(source.reload_now().await);
    assert_eq!(source.targets(), vec![b]);
    source.cycle().await.unwrap();
    let h = source.stats().health();
    assert_eq!(h["targets"], 1, "{h}");
    assert_eq!(h["last_cycle"]["complete"], 1, "{h}");
    for s in servers {
        s.stop().await.unwrap();
    }
}
