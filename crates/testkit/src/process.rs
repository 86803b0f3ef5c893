//! A child process that is stopped by its PID when its guard goes out of scope.
//!
//! Every peer a test starts (snmpd, snmptrapd, a nocwatch command) is held in a
//! [`Process`]: dropping it, including while a failing test unwinds, sends
//! SIGTERM, waits up to a deadline for the process to exit (so a service can
//! flush and remove its files), then SIGKILLs and reaps it. The PID cannot be
//! reused meanwhile: the child is not reaped before the guard is done with it.

use std::io::{BufRead as _, BufReader, Read};
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use crate::TestkitError;

/// How long a dropped [`Process`] waits after SIGTERM before SIGKILL.
pub const STOP_DEADLINE: Duration = Duration::from_secs(5);

/// Pause between two checks whether a process has exited.
const EXIT_POLL: Duration = Duration::from_millis(10);

/// A running child process, stopped on drop (SIGTERM, then SIGKILL after
/// [`STOP_DEADLINE`]).
#[derive(Debug)]
pub struct Process {
    name: String,
    child: Child,
    /// Set once the child has been reaped (its status is kept for the caller).
    exited: Option<ExitStatus>,
}

impl Process {
    /// Spawns `command`; `name` identifies it in errors (e.g. "snmptrapd").
    pub fn spawn(name: &str, command: &mut Command) -> Result<Self, TestkitError> {
        let child = command
            .spawn()
            .map_err(|e| TestkitError::io(format!("spawning {name}"), e))?;
        Ok(Self {
            name: name.to_owned(),
            child,
            exited: None,
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The name given at spawn.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Takes the child's piped stdout (once), to read it line by line.
    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.child.stdout.take()
    }

    /// Takes the child's piped stderr (once).
    pub fn take_stderr(&mut self) -> Option<ChildStderr> {
        self.child.stderr.take()
    }

    /// The exit status if the process has exited (reaping it), else `None`.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>, TestkitError> {
        if self.exited.is_none() {
            self.exited = self.child.try_wait().map_err(|e| {
                TestkitError::io(format!("checking whether {} is alive", self.name), e)
            })?;
        }
        Ok(self.exited)
    }

    /// Sends a signal by PID with `kill(1)` (the workspace forbids `unsafe`, and
    /// `std` only sends SIGKILL). A process that already exited is not an error.
    pub fn signal(&mut self, signal: &str) -> Result<(), TestkitError> {
        if self.try_wait()?.is_some() {
            return Ok(());
        }
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| TestkitError::io("running kill", e))?;
        // kill fails only when the process is gone (exited, not yet reaped by us:
        // it is a zombie and still has its PID, so that cannot happen) or on a
        // permission problem, which would be a harness bug worth reporting.
        if status.success() || self.try_wait()?.is_some() {
            Ok(())
        } else {
            Err(TestkitError::io(
                format!("kill -{signal} {} ({})", self.pid(), self.name),
                std::io::Error::other(format!("kill exited with {status}")),
            ))
        }
    }

    /// Waits up to `limit` for the process to exit; `None` if it is still running.
    pub fn wait_timeout(&mut self, limit: Duration) -> Result<Option<ExitStatus>, TestkitError> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(Some(status));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            thread::sleep(EXIT_POLL);
        }
    }

    /// SIGTERM, then waits up to `limit` for a clean exit and returns its
    /// status. If it has not exited by then it is SIGKILLed and the error says
    /// so: a service that ignores SIGTERM is a bug the caller wants to see.
    pub fn terminate(&mut self, limit: Duration) -> Result<ExitStatus, TestkitError> {
        self.signal("TERM")?;
        if let Some(status) = self.wait_timeout(limit)? {
            return Ok(status);
        }
        self.kill();
        Err(TestkitError::NotStopped {
            name: self.name.clone(),
            pid: self.pid(),
            waited: limit,
        })
    }

    /// SIGKILL and reap, ignoring errors (the process may be gone already).
    pub fn kill(&mut self) {
        if self.exited.is_none() {
            let _ = self.child.kill();
            self.exited = self.child.wait().ok();
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.exited.is_some() {
            return;
        }
        // Errors here mean the process is already gone, which is the goal.
        if self.signal("TERM").is_ok() && matches!(self.wait_timeout(STOP_DEADLINE), Ok(Some(_))) {
            return;
        }
        self.kill();
    }
}

/// Reads `stream` line by line on a thread of its own and sends each line
/// (without its newline) to the returned channel, which closes at end of file.
///
/// A reader thread keeps the child from blocking on a full pipe, and lets a test
/// wait for a line with a timeout ([`Receiver::recv_timeout`]).
pub fn lines_of<R: Read + Send + 'static>(stream: R) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut buf = Vec::new();
        // Bytes, not `lines()`: one non-UTF-8 byte must not end the stream.
        while matches!(reader.read_until(b'\n', &mut buf), Ok(n) if n > 0) {
            let text = String::from_utf8_lossy(&buf);
            let line = text.strip_suffix('\n').unwrap_or(&text);
            let line = line.strip_suffix('\r').unwrap_or(line).to_owned();
            buf.clear();
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}
