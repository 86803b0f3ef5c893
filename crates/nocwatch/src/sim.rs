//! `nocwatch sim ...`: simulators for labs, tests and benchmarks. Each
//! subcommand lives in its own file under `sim/`.

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
    /// Simulated switch fabric serving a CSV counter matrix at GET /counters,
    /// with failure modes.
    Telemetry(telemetry::TelemetryArgs),
}

pub(crate) async fn sim(args: &SimArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        SimCommand::Telemetry(a) => telemetry::telemetry(a).await,
    }
}
