//! SIGTERM and SIGINT as one "stop cleanly" request, for the long-running commands
//! (`run`, `trap listen`, `sim agents`, `sim telemetry`).
//!
//! The handlers are installed when [`Shutdown::install`] is called, not when the
//! command starts waiting: from then on a signal is queued instead of killing the
//! process with tokio's default disposition, so a command installs it before it
//! prints the banner a supervisor (or a test) reacts to.

use anyhow::Context as _;
use tokio::signal::unix::{Signal, SignalKind, signal};

/// The installed SIGTERM and SIGINT handlers.
#[derive(Debug)]
pub(crate) struct Shutdown {
    term: Signal,
    int: Signal,
}

impl Shutdown {
    pub(crate) fn install() -> anyhow::Result<Self> {
        Ok(Self {
            term: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
            int: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
        })
    }

    /// Waits for the first of the two signals and names it.
    pub(crate) async fn wait(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}
