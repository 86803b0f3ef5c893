//! `nocwatch sim ...`: simulators that generate load for the pipeline's tests and
//! benchmarks. Each lives in its own file under `sim/`.

mod storm;

use std::process::ExitCode;

use clap::{Args, Subcommand};

/// `nocwatch sim`.
#[derive(Debug, Args)]
pub(crate) struct SimArgs {
    #[command(subcommand)]
    pub(crate) command: SimCommand,
}

/// The simulators.
#[derive(Debug, Subcommand)]
pub(crate) enum SimCommand {
    /// Send a trap storm: pre-encoded SNMPv2c traps from many loopback source
    /// addresses, batched with sendmmsg, paced to a rate.
    Storm(storm::StormArgs),
}

/// Runs a `sim` subcommand.
pub(crate) async fn run(args: &SimArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        SimCommand::Storm(a) => storm::storm(a).await,
    }
}
