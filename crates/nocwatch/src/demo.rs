//! `demo`: nocwatch working with no external service.
//!
//! Starts simulated routers (the `sim` crate) on loopback, then does what a poller
//! does: reads each device's identity, bulkwalks its interface tables, all devices
//! at once over a single socket, and turns the 64-bit octet counters of two polls into
//! traffic rates. It grows into the embedded lab of `nocwatch run` as the pipeline
//! arrives.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use nocwatch_net::{Client, ClientConfig, RequestSpec, WalkOptions, walk};
use nocwatch_sim::{AgentServer, lab_device};
use nocwatch_snmp::{Oid, PduType, Value, VarBind, Version};

use crate::cli::DemoArgs;
use crate::format;

/// ifTable and ifXTable: what a poller collects from every interface.
const IF_TABLE: &str = "1.3.6.1.2.1.2.2";
const IF_X_TABLE: &str = "1.3.6.1.2.1.31.1.1";
const SYSTEM: [&str; 3] = [
    "1.3.6.1.2.1.1.5.0",
    "1.3.6.1.2.1.1.1.0",
    "1.3.6.1.2.1.1.3.0",
];

/// One interface's poll.
#[derive(Debug, Clone, Default)]
struct Interface {
    name: String,
    oper_up: bool,
    in_octets: u64,
    out_octets: u64,
}

/// One device's poll.
#[derive(Debug, Clone, Default)]
struct Poll {
    interfaces: BTreeMap<u32, Interface>,
    varbinds: u64,
    requests: u64,
    took: Duration,
}

pub(crate) async fn demo(args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let mut servers = Vec::new();
    for i in 0..args.devices {
        let agent = Arc::new(lab_device(
            &format!("lab-router-{:02}", i + 1),
            args.interfaces,
        ));
        let server = AgentServer::spawn(agent, SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .context("starting a simulated device")?;
        servers.push(server);
    }
    let targets: Vec<SocketAddr> = servers.iter().map(AgentServer::local_addr).collect();
    println!(
        "nocwatch demo: {} simulated devices with {} interfaces each on 127.0.0.1 (ports {}), polled over one UDP socket.",
        targets.len(),
        args.interfaces,
        targets
            .iter()
            .map(|t| t.port().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut config = ClientConfig::default();
    config.tracker.timeout = Duration::from_millis(500);
    config.tracker.retries = 2;
    let client = Client::bind(config).await?;

    // 1. Identity: one GET of three objects per device, all devices at once.
    println!("\n== system (GET sysName.0 sysDescr.0 sysUpTime.0)");
    let mut tasks = Vec::new();
    for &t in &targets {
        let client = client.clone();
        tasks.push(tokio::spawn(async move { identity(&client, t).await }));
    }
    for task in tasks {
        print!("{}", task.await??);
    }

    // 2. Interface tables, then rates from successive polls.
    let mut previous: Vec<Option<(Instant, Poll)>> = vec![None; targets.len()];
    for round in 0..args.rounds {
        if round > 0 {
            tokio::time::sleep(Duration::from_secs_f64(args.interval.max(0.05))).await;
        }
        let started = Instant::now();
        let mut tasks = Vec::new();
        for &t in &targets {
            let client = client.clone();
            tasks.push(tokio::spawn(
                async move { poll_interfaces(&client, t).await },
            ));
        }
        let mut polls = Vec::new();
        for task in tasks {
            polls.push(task.await??);
        }
        let wall = started.elapsed();
        let total: u64 = polls.iter().map(|p| p.varbinds).sum();
        println!(
            "\n== round {}: bulkwalked ifTable + ifXTable of {} devices: {} varbinds in {:.1} ms",
            round + 1,
            polls.len(),
            total,
            wall.as_secs_f64() * 1e3
        );
        println!(
            "{:<22} {:>5} {:>5} {:>9} {:>9} {:>14} {:>14}",
            "device", "up", "down", "varbinds", "walk ms", "in Mbit/s", "out Mbit/s"
        );
        let now = Instant::now();
        for (i, poll) in polls.into_iter().enumerate() {
            let up = poll.interfaces.values().filter(|x| x.oper_up).count();
            let down = poll.interfaces.len() - up;
            let (rin, rout) = match &previous[i] {
                Some((then, prev)) => rates(prev, &poll, now.duration_since(*then)),
                None => (f64::NAN, f64::NAN),
            };
            let show = |r: f64| {
                if r.is_nan() {
                    "(next round)".to_string()
                } else {
                    format!("{r:.2}")
                }
            };
            println!(
                "{:<22} {:>5} {:>5} {:>9} {:>9.2} {:>14} {:>14}",
                format!("lab-router-{:02}", i + 1),
                up,
                down,
                poll.varbinds,
                poll.took.as_secs_f64() * 1e3,
                show(rin),
                show(rout)
            );
            previous[i] = Some((now, poll));
        }
    }

    let stats = client.stats().await?;
    println!(
        "\n== client: {} requests, {} responses, {} retransmits, {} timeouts, {} late, {} duplicates, {} malformed",
        stats.requests,
        stats.responses,
        stats.retransmits,
        stats.timeouts,
        stats.late,
        stats.duplicates,
        stats.malformed
    );
    let mut answered = 0;
    for s in servers {
        answered += s.stop().await?.responses;
    }
    println!("== simulated devices answered {answered} requests; all stopped.");
    println!(
        "Next: `nocwatch bulkwalk -v2c -c public HOST` against a real agent, or `nocwatch decode FILE.pcap`."
    );
    Ok(ExitCode::SUCCESS)
}

async fn identity(client: &Client, target: SocketAddr) -> anyhow::Result<String> {
    let oids: Vec<Oid> = SYSTEM.iter().map(|s| s.parse()).collect::<Result<_, _>>()?;
    let vbs: Vec<VarBind<'_>> = oids.iter().map(|o| VarBind::null(o.as_oid_ref())).collect();
    let spec = RequestSpec::new(target, Version::V2c, b"public", PduType::GetRequest);
    let reply = client.request(spec, &vbs).await?;
    let pdu = reply.pdu()?;
    let mut out = String::new();
    for vb in pdu.varbinds.iter() {
        format::push_varbind(&mut out, &vb?);
    }
    Ok(out)
}

async fn poll_interfaces(client: &Client, target: SocketAddr) -> anyhow::Result<Poll> {
    let started = Instant::now();
    let mut poll = Poll::default();
    let opts = WalkOptions {
        bulk: true,
        max_repetitions: 25,
        get_root_if_empty: false,
        ..WalkOptions::default()
    };
    for table in [IF_TABLE, IF_X_TABLE] {
        let root: Oid = table.parse()?;
        let summary = walk(client, target, &root, &opts, |vb| {
            // column = arc after table.entry; index = last arc
            let arcs: Vec<u32> = vb.name.arcs().collect();
            let (Some(&column), Some(&index)) = (arcs.get(root.len() + 1), arcs.last()) else {
                return;
            };
            let entry = poll.interfaces.entry(index).or_default();
            match (table, column, vb.value) {
                (IF_TABLE, 8, Value::Integer(s)) => entry.oper_up = s == 1,
                (IF_X_TABLE, 1, Value::OctetString(n)) => {
                    entry.name = String::from_utf8_lossy(n).into_owned();
                }
                (IF_X_TABLE, 6, Value::Counter64(v)) => entry.in_octets = v,
                (IF_X_TABLE, 10, Value::Counter64(v)) => entry.out_octets = v,
                _ => {}
            }
        })
        .await?;
        poll.varbinds += summary.varbinds;
        poll.requests += summary.requests;
    }
    poll.took = started.elapsed();
    Ok(poll)
}

/// Sum of interface rates in Mbit/s. Counters are 64-bit, so a decrease is a reset
/// (the device restarted), not a wrap: that interface is skipped this round.
fn rates(prev: &Poll, cur: &Poll, dt: Duration) -> (f64, f64) {
    let secs = dt.as_secs_f64();
    if secs <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let mut rin = 0.0;
    let mut rout = 0.0;
    for (idx, now) in &cur.interfaces {
        let Some(before) = prev.interfaces.get(idx) else {
            continue;
        };
        if let Some(d) = now.in_octets.checked_sub(before.in_octets) {
            rin += d as f64 * 8.0 / secs / 1e6;
        }
        if let Some(d) = now.out_octets.checked_sub(before.out_octets) {
            rout += d as f64 * 8.0 / secs / 1e6;
        }
    }
    (rin, rout)
}
