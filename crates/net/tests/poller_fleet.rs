#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]
//! The polling engine against the simulator's own quirks (`nocwatch sim agents
//! --device ...`), over v2c and v3 authPriv: a quirk implemented independently of the
//! scripted agents in `poller.rs`. Each quirky device must end as documented, and a
//! device that completes must yield the same OIDs as a plain GetNext walk of it by
//! the existing client (`nocwatch_net::walk`).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use nocwatch_net::{
    Client, ClientConfig, NetError, Poller, PollerConfig, PollerStats, TargetConfig, TargetReport,
    WalkOptions, walk,
};
use nocwatch_sim::{
    DeviceOverride, Fleet, FleetConfig, FleetServer, Layout, QuirksOverride, UsmUsers,
};
use nocwatch_snmp::crypto::{AuthProtocol, PrivProtocol};
use nocwatch_snmp::{Oid, SecurityLevel, UsmUser};

const BASE: Ipv4Addr = Ipv4Addr::new(127, 5, 0, 1);
/// ifDescr.5: where the non-increasing devices go wrong.
const BROKEN_AT: &str = "1.3.6.1.2.1.2.2.1.2.5";

/// Devices 0-3 clean, 4-5 tooBig above 20 bindings, 6-7 drop replies above 800
/// bytes, 8-9 a wrong request-id in every tenth reply, 10-11 non-increasing.
fn fleet() -> (FleetServer, Arc<UsmUser>) {
    let user = UsmUser::new(
        b"fleetpriv",
        SecurityLevel::AuthPriv,
        Some((AuthProtocol::Sha256, b"fleet-auth-pass".as_slice())),
        Some((PrivProtocol::Aes128, b"fleet-priv-pass".as_slice())),
    )
    .unwrap();
    let quirk = |q: QuirksOverride| DeviceOverride {
        quirks: q,
        ..DeviceOverride::default()
    };
    let config = FleetConfig {
        count: 12,
        interfaces: 4,
        users: Some(Arc::new(UsmUsers::new(vec![user.clone()]).unwrap())),
        overrides: vec![
            (
                4..=5,
                quirk(QuirksOverride {
                    too_big_above: Some(20),
                    ..QuirksOverride::default()
                }),
            ),
            (
                6..=7,
                quirk(QuirksOverride {
                    drop_responses_above: Some(800),
                    ..QuirksOverride::default()
                }),
            ),
            (
                8..=9,
                quirk(QuirksOverride {
                    wrong_request_id_every: Some(10),
                    ..QuirksOverride::default()
                }),
            ),
            (
                10..=11,
                quirk(QuirksOverride {
                    non_increasing_at: Some(BROKEN_AT.parse().unwrap()),
                    ..QuirksOverride::default()
                }),
            ),
        ],
        ..FleetConfig::default()
    };
    let fleet = Arc::new(Fleet::build(&config).unwrap());
    // The simulator binds the wildcard address: a port free a moment ago may have
    // been taken since (by another test's ephemeral socket); try a few.
    for _ in 0..20 {
        let port = nocwatch_testkit::free_udp_port().unwrap();
        let layout = Layout::Addresses { base: BASE, port };
        if let Ok(server) = FleetServer::start(fleet.clone(), layout, 1) {
            return (server, Arc::new(user));
        }
    }
    panic!("no free port for the simulator");
}

fn root() -> Oid {
    "1.3.6.1".parse().unwrap()
}

async fn poll(server: &FleetServer, v3: Option<Arc<UsmUser>>) -> (Vec<TargetReport>, PollerStats) {
    let p = Poller::start(PollerConfig {
        shards: 2,
        bind: IpAddr::from([0, 0, 0, 0]),
        ..PollerConfig::default()
    })
    .unwrap();
    let mut ids = Vec::new();
    for i in 0..12 {
        let addr = server.address(i).unwrap();
        let mut t = match &v3 {
            Some(u) => TargetConfig::v3(addr, u.clone(), vec![root()]),
            None => TargetConfig::v2c(addr, b"public", vec![root()]),
        };
        t.timeout = Duration::from_millis(150);
        t.retries = 4;
        ids.push(p.add_target(t).await.unwrap());
    }
    let mut c = p.poll_cycle().await.unwrap();
    let mut reports = Vec::new();
    while let Some(r) = c.next().await {
        reports.push(r);
    }
    c.finish().await.unwrap();
    reports.sort_by_key(|r| r.addr);
    let stats = p.stats().await.unwrap();
    // Removing every target leaves nothing behind, v3 engines included.
    for id in ids {
        assert!(p.remove_target(id).await.unwrap());
    }
    assert_eq!(
        p.stats().await.unwrap().state,
        nocwatch_net::StateSizes::default()
    );
    (reports, stats)
}

/// The OIDs of a GetNext walk of device `i` by the plain client.
async fn reference(server: &FleetServer, i: u32) -> Vec<String> {
    let addr = server.address(i).unwrap();
    let client = Client::bind(ClientConfig::for_target(addr)).await.unwrap();
    let mut out = Vec::new();
    let opts = WalkOptions {
        timeout: Some(Duration::from_millis(300)),
        retries: Some(5),
        ..WalkOptions::default()
    };
    walk(&client, addr, &root(), &opts, |vb| {
        if !vb.value.is_exception() {
            out.push(vb.name.to_oid().to_string());
        }
    })
    .await
    .unwrap();
    out
}

fn oids(r: &TargetReport) -> Vec<String> {
    r.walks[0]
        .varbinds()
        .iter()
        .map(|vb| vb.unwrap().name.to_oid().to_string())
        .collect()
}

async fn check(server: &FleetServer, reports: &[TargetReport], stats: &PollerStats) {
    assert_eq!(reports.len(), 12);
    for r in reports {
        eprintln!(
            "{}: {} values, {} requests, {} retries, {:?}",
            r.addr,
            r.values(),
            r.requests,
            r.retries,
            r.walks[0].outcome.as_ref().map_err(ToString::to_string)
        );
    }
    for (i, r) in reports.iter().enumerate() {
        assert_eq!(r.addr, server.address(i as u32).unwrap());
        if (10..=11).contains(&i) {
            assert!(
                matches!(r.walks[0].outcome, Err(NetError::NotIncreasing { .. })),
                "device {i}: {:?}",
                r.walks[0].outcome
            );
            // The values before the broken row are kept.
            assert!(r.walks[0].count > 0);
            continue;
        }
        assert!(r.is_ok(), "device {i}: {:?}", r.walks[0].outcome);
        if (8..=9).contains(&i) {
            // The client's walk of a device that garbles every tenth reply still
            // ends: it retries too. Compare with a clean device of the same family.
            assert_eq!(oids(r), oids(&reports[i % 4]), "device {i}");
        } else {
            assert_eq!(oids(r), reference(server, i as u32).await, "device {i}");
        }
        assert!(r.values() > 500, "device {i}: {}", r.values());
    }
    // Each tooBig device shrinks at least once on tooBig (over v3 the simulator
    // then went silent at 25 repetitions, which the engine met by shrinking on the
    // timeout); each drop-above device at least once on silence.
    assert!(stats.engine.shrinks_too_big >= 2, "{:?}", stats.engine);
    assert!(
        stats.engine.shrinks_too_big + stats.engine.shrinks_silent >= 2 * 2 + 2,
        "{:?}",
        stats.engine
    );
    assert!(stats.engine.shrinks_silent >= 2, "{:?}", stats.engine);
    assert!(stats.tracker.unknown_id >= 2, "{:?}", stats.tracker);
    assert_eq!(stats.engine.not_increasing, 2);
    assert_eq!(stats.state.sessions, 0);
    assert_eq!(stats.state.requests, 0);
}

#[tokio::test]
async fn v2c_quirks_of_the_simulator() {
    let (server, _) = fleet();
    let (reports, stats) = poll(&server, None).await;
    check(&server, &reports, &stats).await;
    server.stop();
}

#[tokio::test]
async fn v3_auth_priv_quirks_of_the_simulator() {
    let (server, user) = fleet();
    let (reports, stats) = poll(&server, Some(user)).await;
    check(&server, &reports, &stats).await;
    assert_eq!(stats.tracker.discoveries, 12, "{:?}", stats.tracker);
    assert_eq!(stats.state.engines, 12);
    // Keys: one 1 MiB password-to-key per password per shard at most, one
    // localisation per password per engine, never more.
    let k = stats.keys;
    eprintln!("{k:?}");
    assert!(k.ku_misses <= 2 * 2, "{k:?}");
    assert_eq!(k.kul_misses, 12 * 2, "{k:?}");
    server.stop();
}
