//! The one error type of the testkit.
//!
//! Written by hand (no `thiserror`) so the testkit keeps zero dependencies: it is a
//! dev-dependency of every other crate, and anything it pulls in slows down every
//! test build. Every variant carries enough text (paths, exit statuses, the agent's
//! log) that a failing test explains itself without a rerun.

use std::fmt;
use std::io;
use std::process::ExitStatus;
use std::time::Duration;

/// Everything that can go wrong while setting up or driving a test peer.
#[derive(Debug)]
#[non_exhaustive]
pub enum TestkitError {
    /// An I/O operation failed; `context` says which one (and on which path).
    Io {
        /// What the testkit was doing, e.g. "writing /tmp/x/snmpd.conf".
        context: String,
        /// The underlying OS error.
        source: io::Error,
    },
    /// A program (snmpd, snmpget, ...) is neither on `PATH` nor in the sbin/bin
    /// directories where Debian installs it.
    ProgramNotFound {
        /// The program name that was looked up.
        program: String,
    },
    /// `snmpd` exited before it answered a single request.
    SnmpdExited {
        /// The exit status, as `std` renders it.
        status: ExitStatus,
        /// Everything snmpd wrote to stdout/stderr (its `-Lo` log).
        log: String,
    },
    /// `snmpd` kept running but never answered `snmpget` within the deadline.
    SnmpdNotAnswering {
        /// How long the testkit polled.
        waited: Duration,
        /// The UDP port the agent was configured for.
        port: u16,
        /// Everything snmpd wrote so far.
        log: String,
    },
    /// A net-snmp tool ran but exited unsuccessfully (only from
    /// [`ToolOutput::success_or_err`](crate::ToolOutput::success_or_err)).
    ToolFailed {
        /// The tool name, e.g. `snmpwalk`.
        tool: String,
        /// The arguments it was given.
        args: Vec<String>,
        /// Its exit status.
        status: ExitStatus,
        /// Its standard error.
        stderr: String,
    },
}

impl TestkitError {
    /// Wraps an [`io::Error`] with a description of what was being attempted.
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

impl fmt::Display for TestkitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { context, source } => write!(f, "{context}: {source}"),
            Self::ProgramNotFound { program } => write!(
                f,
                "program `{program}` not found on PATH or in /usr/sbin, /usr/bin, /sbin, \
                 /usr/local/sbin, /usr/local/bin (install net-snmp with ./scripts/test)"
            ),
            Self::SnmpdExited { status, log } => {
                write!(
                    f,
                    "snmpd exited before answering ({status}); its log:\n{log}"
                )
            }
            Self::SnmpdNotAnswering { waited, port, log } => write!(
                f,
                "snmpd on 127.0.0.1:{port} did not answer snmpget within {waited:?}; its log:\n{log}"
            ),
            Self::ToolFailed {
                tool,
                args,
                status,
                stderr,
            } => write!(
                f,
                "`{tool} {}` failed ({status}); stderr:\n{stderr}",
                args.join(" ")
            ),
        }
    }
}

impl std::error::Error for TestkitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
