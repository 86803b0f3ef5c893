//! `nocwatch sim telemetry`: the fabric CSV producer as a standalone server.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use nocwatch_sim::{FabricServer, Stopped};
use nocwatch_telemetry::{FailureMode, ProducerConfig};

use crate::duration::parse_duration;

/// Longest wait for requests in flight after SIGTERM/SIGINT.
const DRAIN: Duration = Duration::from_secs(5);

/// `nocwatch sim telemetry` options.
#[derive(Debug, Args)]
pub(crate) struct TelemetryArgs {
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:9001", value_name = "ADDR")]
    pub(crate) listen: SocketAddr,
    /// Switches in the fabric (1..=100000), named SW-01 .. SW-99, SW-100, ...
    #[arg(long, default_value_t = 50)]
    pub(crate) switches: usize,
    /// Time between snapshots.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub(crate) tick: Duration,
    /// Failure mode at start: OK, ERROR_500, CORRUPT, TRUNCATED, SLOW, EMPTY,
    /// WRONG_SCHEMA (per request: ?mode=; at run time: POST /mode?mode=).
    #[arg(long, default_value = "OK")]
    pub(crate) mode: FailureMode,
    /// Delay of the SLOW mode.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub(crate) slow_delay: Duration,
    /// Random seed of the simulation.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
}

pub(crate) async fn telemetry(a: &TelemetryArgs) -> anyhow::Result<ExitCode> {
    let mut shutdown = crate::shutdown::Shutdown::install()?;
    let server = FabricServer::bind(
        &ProducerConfig {
            switches: a.switches,
            tick: a.tick,
            seed: a.seed,
            mode: a.mode,
            slow_delay: a.slow_delay,
        },
        a.listen,
    )
    .await?;
    let addr = server.local_addr();
    println!(
        "nocwatch sim telemetry: {} switches at http://{addr}/counters, new snapshot every {:?}, mode {}",
        a.switches, a.tick, a.mode
    );
    let stop = async move {
        shutdown.wait().await;
    };
    if server.serve_until(stop, DRAIN).await? == Stopped::DrainExpired {
        eprintln!("nocwatch sim telemetry: requests still in flight after {DRAIN:?}; exiting");
    }
    Ok(ExitCode::SUCCESS)
}
