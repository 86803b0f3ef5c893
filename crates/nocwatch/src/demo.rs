//! `demo`: nocwatch working with no external service.
//!
//! Starts simulated routers (the `sim` crate) on loopback, then does what a poller
//! does: reads each device's identity, bulkwalks its interface tables, all devices
//! at once over a single socket, and turns the 64-bit octet counters of two polls into
//! traffic rates. The reads and the rates are `nocwatch_poller::interfaces` (the same
//! rate computation as `nocwatch run`'s); this module starts the devices and prints.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use nocwatch_net::{Client, ClientConfig, WalkOptions};
use nocwatch_poller::interfaces::{InterfaceRates, InterfaceTable, read_interfaces, read_system};
use nocwatch_sim::{AgentServer, lab_device};

use crate::cli::DemoArgs;
use crate::format;

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
    let mut rates: Vec<InterfaceRates> = vec![InterfaceRates::new(); targets.len()];
    let opts = WalkOptions {
        bulk: true,
        max_repetitions: 25,
        get_root_if_empty: false,
        ..WalkOptions::default()
    };
    for round in 0..args.rounds {
        if round > 0 {
            tokio::time::sleep(Duration::from_secs_f64(args.interval.max(0.05))).await;
        }
        let started = Instant::now();
        let mut tasks = Vec::new();
        for &t in &targets {
            let client = client.clone();
            let opts = opts.clone();
            tasks.push(tokio::spawn(async move {
                read_interfaces(&client, t, &opts).await
            }));
        }
        let mut polls: Vec<InterfaceTable> = Vec::new();
        for task in tasks {
            polls.push(task.await??);
        }
        let wall = started.elapsed();
        let total: u64 = polls.iter().map(|p| p.varbinds).sum();
        println!(
            "\n== round {}: bulkwalked sysUpTime, ifTable and ifXTable of {} devices: {} varbinds in {:.1} ms",
            round + 1,
            polls.len(),
            total,
            wall.as_secs_f64() * 1e3
        );
        println!(
            "{:<22} {:>5} {:>5} {:>9} {:>9} {:>14} {:>14}",
            "device", "up", "down", "varbinds", "walk ms", "in Mbit/s", "out Mbit/s"
        );
        for (i, poll) in polls.into_iter().enumerate() {
            let up = poll.interfaces.values().filter(|x| x.oper_up).count();
            let down = poll.interfaces.len() - up;
            // Mbit/s from each interface's own readings; none on the first
            // round, nor across a restart.
            let traffic = rates[i].update(&poll);
            let show = |r: Option<f64>| match r {
                Some(bps) => format!("{:.2}", bps / 1e6),
                None if round == 0 => "(next round)".to_string(),
                None => "(no rate)".to_string(),
            };
            println!(
                "{:<22} {:>5} {:>5} {:>9} {:>9.2} {:>14} {:>14}",
                format!("lab-router-{:02}", i + 1),
                up,
                down,
                poll.varbinds,
                poll.took.as_secs_f64() * 1e3,
                show(traffic.in_bps),
                show(traffic.out_bps)
            );
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
    let reply = read_system(client, target, b"public").await?;
    let mut out = String::new();
    for vb in reply.pdu()?.varbinds.iter() {
        format::push_varbind(&mut out, &vb?);
    }
    Ok(out)
}
