//! The one error type of the testkit.
//!
//! Written by hand (no `thiserror`) so the testkit keeps its dependencies to
//! `serde_json` (which the workspace builds anyway): it is a dev-dependency of
//! every other crate, and anything it pulls in slows down every test build.
//! Every variant carries enough text (paths, exit statuses, the agent's
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
    /// A peer or nocwatch command exited before it was ready.
    Exited {
        /// What was started, e.g. `snmptrapd` or `nocwatch trap listen`.
        name: String,
        /// Its exit status.
        status: ExitStatus,
        /// What it wrote (stderr, or its log).
        log: String,
    },
    /// A peer or nocwatch command kept running but did not say it was ready
    /// within the deadline.
    NotReady {
        /// What was started.
        name: String,
        /// How long the testkit waited.
        waited: Duration,
        /// What it wrote meanwhile.
        log: String,
    },
    /// A process ignored SIGTERM for the whole deadline (it was then killed).
    NotStopped {
        /// What was started.
        name: String,
        /// Its process id.
        pid: u32,
        /// How long it was given after SIGTERM.
        waited: Duration,
    },
    /// A peer did not print what was expected within its deadline.
    NoOutput {
        /// The peer.
        name: String,
        /// What was missing.
        what: String,
    },
    /// A `nocwatch-ready` line that does not parse, or lacks a field.
    ReadyLine {
        /// The line as printed.
        line: String,
        /// What is wrong with it.
        detail: String,
    },
    /// An HTTP request failed (no response: a response with any status is not
    /// an error).
    Http {
        /// The URL requested.
        url: String,
        /// What went wrong.
        detail: String,
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
            Self::Exited { name, status, log } => {
                write!(
                    f,
                    "{name} exited before it was ready ({status}); it wrote:\n{log}"
                )
            }
            Self::NotReady { name, waited, log } => write!(
                f,
                "{name} was not ready within {waited:?}; it wrote:\n{log}"
            ),
            Self::NotStopped { name, pid, waited } => write!(
                f,
                "{name} (pid {pid}) did not exit within {waited:?} of SIGTERM; killed"
            ),
            Self::NoOutput { name, what } => write!(f, "{name}: {what}"),
            Self::ReadyLine { line, detail } => write!(f, "ready line {line:?}: {detail}"),
            Self::Http { url, detail } => write!(f, "HTTP {url}: {detail}"),
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
