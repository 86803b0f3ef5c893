//! `nocwatch sim ...`: simulators for tests, demos and benchmarks.

pub(crate) mod agents;

use clap::{Args, Subcommand};

/// `nocwatch sim` and its subcommands.
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
    Agents(agents::AgentsArgs),
}

/// Runs a `nocwatch sim` subcommand.
pub(crate) async fn run(args: &SimArgs) -> anyhow::Result<std::process::ExitCode> {
    match &args.command {
        SimCommand::Agents(a) => agents::run(a).await,
    }
}
