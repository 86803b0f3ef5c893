#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]
//! A larger run of the polling engine against in-process simulated agents: every
//! agent is its own socket on its own loopback address. CI runs 200 agents; set
//! `NOCWATCH_SCALE_AGENTS` for more (the full-scale benchmark is
//! `scripts/bench-scale`, with `nocwatch sim agents` in another process).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nocwatch_net::{Poller, PollerConfig, TargetConfig};
use nocwatch_sim::{AgentServer, lab_device};
use nocwatch_snmp::Oid;

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn polls_every_agent_completely() {
    let n: u32 = std::env::var("NOCWATCH_SCALE_AGENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let agent = Arc::new(lab_device("scale", 10));
    let mut servers = Vec::new();
    for i in 0..n {
        let ip = [127, 3, (i >> 8) as u8, i as u8];
        servers.push(
            AgentServer::spawn(agent.clone(), SocketAddr::from((ip, 0)))
                .await
                .unwrap(),
        );
    }
    let walks: Vec<Oid> = ["1.3.6.1.2.1.2.2", "1.3.6.1.2.1.31.1.1"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let p = Poller::start(PollerConfig {
        shards: 2,
        bind: IpAddr::from([0, 0, 0, 0]),
        // Every target in flight at once.
        window: 8192,
        ..PollerConfig::default()
    })
    .unwrap();
    for s in &servers {
        let mut t = TargetConfig::v2c(s.local_addr(), b"public", walks.clone());
        t.timeout = Duration::from_secs(2);
        p.add_target(t).await.unwrap();
    }
    let started = Instant::now();
    let mut cycle = p.poll_cycle().await.unwrap();
    let mut per_target = None;
    while let Some(r) = cycle.next().await {
        assert!(
            r.is_ok(),
            "{:?}",
            r.walks.iter().map(|w| &w.outcome).collect::<Vec<_>>()
        );
        let v = r.values();
        assert_eq!(*per_target.get_or_insert(v), v);
    }
    let sum = cycle.finish().await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    let stats = p.stats().await.unwrap();
    eprintln!(
        "{n} agents: {} values in {secs:.3} s = {:.0} values/s; {} requests; {:?}",
        sum.values,
        sum.values as f64 / secs,
        sum.requests,
        stats.engine
    );
    assert_eq!(sum.complete, u64::from(n));
    assert_eq!(sum.values, u64::from(n) * per_target.unwrap());
    assert_eq!(sum.timed_out, 0);
    // Every target was in flight at once (the window is larger than the fleet).
    assert_eq!(stats.engine.peak_sessions, u64::from(n));
}
