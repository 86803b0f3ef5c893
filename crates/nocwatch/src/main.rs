//! The `nocwatch` binary: net-snmp-compatible tools today, the whole pipeline later.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod check;
mod cli;
mod decode;
mod demo;
mod duration;
mod format;
mod mibout;
mod poll;
mod ready;
mod request;
mod run;
mod shutdown;
mod sim;
mod translate;
mod trap;
mod walk;

use std::process::ExitCode;

use clap::Parser as _;
use nocwatch_snmp::PduType;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(&cli.log))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("nocwatch: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    // The command runs as a spawned task, not as the block_on future itself, so that
    // its wake-ups by the client driver stay inside the scheduler (no eventfd write
    // per reply).
    let result = runtime.block_on(async move {
        let task = tokio::spawn(async move {
            match &cli.command {
                Command::Get(a) => request::get(a, PduType::GetRequest).await,
                Command::Getnext(a) => request::get(a, PduType::GetNextRequest).await,
                Command::Walk(a) => walk::walk(a, false).await,
                Command::Bulkwalk(a) => walk::walk(a, true).await,
                Command::Set(a) => request::set(a).await,
                Command::Decode(a) => decode::decode(a),
                Command::Translate(a) => translate::translate(a),
                Command::Demo(a) => demo::demo(a).await,
                Command::Poll(a) => poll::poll(a).await,
                Command::Sim(a) => sim::run(a).await,
                Command::Run(a) => run::run(a).await,
                Command::Check(a) => Ok(check::check(a)),
                Command::Trap(a) => trap::run(a).await,
            }
        });
        task.await
            .unwrap_or_else(|e| Err(anyhow::anyhow!("command task failed: {e}")))
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("nocwatch: {e:#}");
            ExitCode::from(1)
        }
    }
}
