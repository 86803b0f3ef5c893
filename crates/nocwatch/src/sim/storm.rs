//! `nocwatch sim storm`: a paced trap storm from many loopback sources (the sender
//! is `nocwatch_sim::storm`); this file holds the flags and the summary.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::bail;
use clap::{Args, ValueEnum};
use nocwatch_sim::storm::{Mix as StormMix, StormConfig};

/// The notifications a storm is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Mix {
    /// IF-MIB linkDown only.
    LinkDown,
    /// linkDown and linkUp, alternating (a flapping port).
    Flap,
    /// BGP4-MIB bgpBackwardTransition and bgpEstablished, alternating.
    Bgp,
    /// 45 % linkDown, 45 % linkUp, 10 % BGP.
    Mixed,
}

/// `nocwatch sim storm`.
#[derive(Debug, Args)]
pub(crate) struct StormArgs {
    /// Where to send (loopback or any address).
    #[arg(long, default_value = "127.0.0.1:162")]
    pub(crate) target: SocketAddr,
    /// Traps per second from the regular sources together (0: as fast as possible).
    #[arg(long, default_value_t = 10_000.0)]
    pub(crate) rate: f64,
    /// How long to send, in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub(crate) duration: f64,
    /// Stop after this many regular traps (the duration still bounds the run).
    #[arg(long)]
    pub(crate) count: Option<u64>,
    /// Regular source addresses (127.1.x.y), sending round-robin.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=60_000))]
    pub(crate) sources: u32,
    /// Which traps.
    #[arg(long, value_enum, default_value_t = Mix::Mixed)]
    pub(crate) mix: Mix,
    /// Add one noisy source (127.2.0.1) sending this many traps per second.
    #[arg(long, value_name = "RATE")]
    pub(crate) noisy_rate: Option<f64>,
    /// Community.
    #[arg(short = 'c', long, default_value = "public")]
    pub(crate) community: String,
    /// Put the send time (µs since the UNIX epoch, a Counter64 under
    /// NET-SNMP-MIB's netSnmpPlaypen .1.3.6.1.4.1.8072.9999.9999.1.0) in every trap,
    /// for latency measurements.
    #[arg(long)]
    pub(crate) stamp: bool,
    /// Datagrams per sendmmsg.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub(crate) batch: u32,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub(crate) json: bool,
}

pub(crate) async fn storm(args: &StormArgs) -> anyhow::Result<ExitCode> {
    if !(args.duration.is_finite() && args.duration > 0.0) {
        bail!("--duration must be positive");
    }
    let config = StormConfig {
        target: args.target,
        rate: args.rate,
        duration: Duration::from_secs_f64(args.duration),
        count: args.count,
        sources: args.sources,
        mix: match args.mix {
            Mix::LinkDown => StormMix::LinkDown,
            Mix::Flap => StormMix::Flap,
            Mix::Bgp => StormMix::Bgp,
            Mix::Mixed => StormMix::Mixed,
        },
        noisy_rate: args.noisy_rate,
        community: args.community.clone(),
        stamp: args.stamp,
        batch: args.batch,
    };
    // The sender paces with sleeps: off the async runtime.
    let r = tokio::task::spawn_blocking(move || nocwatch_sim::storm::storm(&config)).await??;
    let seconds = r.elapsed.as_secs_f64();
    if args.json {
        let summary = serde_json::json!({
            "sent": r.sent,
            "send_errors": r.send_errors,
            "seconds": (seconds * 1e4).round() / 1e4,
            "rate": r.rate().round(),
            "regular_sent": r.regular_sent,
            "regular_rate_target": args.rate,
            "sources": args.sources,
            "noisy_sent": r.noisy_sent,
            "noisy_rate_target": args.noisy_rate,
            "pkt_bytes": r.pkt_bytes,
        });
        println!("{summary}");
    } else {
        println!(
            "sent {} traps in {:.3} s ({:.0}/s) from {} source(s){}; {} send errors",
            r.sent,
            seconds,
            r.rate(),
            args.sources,
            if args.noisy_rate.is_some() {
                format!(" + 1 noisy source ({} traps)", r.noisy_sent)
            } else {
                String::new()
            },
            r.send_errors
        );
    }
    Ok(ExitCode::SUCCESS)
}
