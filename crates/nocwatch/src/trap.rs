//! `nocwatch trap listen` and `nocwatch trap send`: the notification receiver and
//! sender, with net-snmp's flag names (`snmptrapd -f -Lo`, `snmptrap`).

mod listen;
mod send;

use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::cli::SnmpOpts;

pub(crate) use listen::ListenArgs;

/// `nocwatch trap ...`.
#[derive(Debug, Args)]
pub(crate) struct TrapArgs {
    #[command(subcommand)]
    pub(crate) command: TrapCommand,
}

/// The trap subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum TrapCommand {
    /// Receive traps and informs and print them (like `snmptrapd -f -Lo`).
    Listen(ListenArgs),
    /// Send a trap or an inform (like `snmptrap` / `snmpinform`).
    ///
    /// v2c/v3: `AGENT UPTIME TRAP-OID [OID TYPE VALUE]...`;
    /// v1: `AGENT ENTERPRISE AGENT-ADDR GENERIC SPECIFIC UPTIME [OID TYPE VALUE]...`.
    /// An empty UPTIME (`''`) sends the host's uptime; an empty ENTERPRISE or
    /// AGENT-ADDR sends net-snmp's defaults.
    Send(SendArgs),
}

/// `nocwatch trap send`.
#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    #[command(flatten)]
    pub(crate) snmp: SnmpOpts,
    /// Application options: `i` sends an InformRequest and waits for its Response
    /// (snmptrap's `-Ci`).
    #[arg(short = 'C', value_name = "OPTS", action = clap::ArgAction::Append)]
    pub(crate) app: Vec<String>,
    /// Send an InformRequest and wait for the Response (same as `-Ci`).
    #[arg(long)]
    pub(crate) inform: bool,
    /// SNMPv3 traps: our snmpEngineBoots (we are the authoritative engine).
    #[arg(long, default_value_t = 1)]
    pub(crate) engine_boots: u32,
    /// The receiver: `host`, `host:port` (default port 162), `udp6:[addr]:port`.
    pub(crate) agent: String,
    /// The rest, as snmptrap takes it (see above).
    #[arg(required = true, allow_hyphen_values = true)]
    pub(crate) rest: Vec<String>,
}

/// Runs a `trap` subcommand.
pub(crate) async fn run(args: &TrapArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        TrapCommand::Listen(a) => listen::listen(a).await,
        TrapCommand::Send(a) => send::send(a).await,
    }
}
