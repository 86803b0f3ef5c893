//! `nocwatch sim ...`: simulators for labs, tests and benchmarks. Each subcommand
//! lives in its own file under `sim/`.

pub(crate) mod agents;
mod storm;
mod telemetry;

use std::process::ExitCode;

use clap::{Args, Subcommand};

/// `nocwatch sim` options.
#[derive(Debug, Args)]
pub(crate) struct SimArgs {
    #[command(subcommand)]
    pub(crate) command: SimCommand,
}

/// The simulators.
#[derive(Debug, Subcommand)]
pub(crate) enum SimCommand {
    /// Simulate SNMP agents: thousands of devices on consecutive loopback addresses
    /// (or ports), each with a realistic view, until SIGINT/SIGTERM.
    Agents(Box<agents::AgentsArgs>),
    /// Simulated switch fabric serving a CSV counter matrix at GET /counters,
    /// with failure modes.
    Telemetry(telemetry::TelemetryArgs),
    /// Send a trap storm: pre-encoded SNMPv2c traps from many loopback source
    /// addresses, batched with sendmmsg, paced to a rate.
    Storm(storm::StormArgs),
}

/// Runs a `sim` subcommand.
pub(crate) async fn run(args: &SimArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        SimCommand::Agents(a) => agents::run(a).await,
        SimCommand::Telemetry(a) => telemetry::telemetry(a).await,
        SimCommand::Storm(a) => storm::storm(a).await,
    }
}
