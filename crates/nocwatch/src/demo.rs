//! `demo`: nocwatch working with no external service (filled in with the simulator).

use std::process::ExitCode;

use crate::cli::DemoArgs;

pub(crate) async fn demo(_args: &DemoArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("demo needs the simulator")
}
