//! A nocwatch command (`run`, `trap listen`, `sim ...`) as a child process, ready
//! when it says so.
//!
//! A long-running nocwatch command prints one machine-readable line to stderr
//! once every listener is bound:
//!
//! ```text
//! nocwatch-ready {"command":"run","api":"127.0.0.1:41234","producer":"127.0.0.1:40111",...}
//! ```
//!
//! [`NocwatchBuilder::start`] spawns the command, waits for that line (with a
//! deadline; an exit before it is an error carrying the command's stderr) and
//! hands back a [`Nocwatch`] whose [`Ready`] gives the bound addresses, so a
//! test passes `127.0.0.1:0` everywhere and never parses a banner. The process
//! is stopped by PID on drop (SIGTERM, then SIGKILL), and its private directory
//! (config files written with [`NocwatchBuilder::file`]) removed after.
//!
//! The binary's path comes from the caller (`env!("CARGO_BIN_EXE_nocwatch")`
//! is only defined in the nocwatch crate's own tests).

use std::ffi::{OsStr, OsString};
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::Value;

use crate::TestkitError;
use crate::process::{Process, lines_of};
use crate::tempdir::TempDir;

/// What starts the ready line on stderr; the JSON object follows after a space.
pub const READY_PREFIX: &str = "nocwatch-ready ";

/// Default wait for the ready line. Generous: a debug build on a loaded
/// two-core CI machine can take seconds to bind a fleet of simulated devices.
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// The parsed ready line: the addresses a nocwatch command bound.
#[derive(Debug, Clone)]
pub struct Ready {
    line: String,
    json: Value,
}

impl Ready {
    /// `Some` when `line` is a ready line (then `Err` if its JSON is not an
    /// object), `None` for any other line.
    pub fn parse(line: &str) -> Option<Result<Self, TestkitError>> {
        let json = line.strip_prefix(READY_PREFIX)?;
        Some(match serde_json::from_str::<Value>(json) {
            Ok(v) if v.is_object() => Ok(Self {
                line: line.to_owned(),
                json: v,
            }),
            Ok(_) => Err(TestkitError::ReadyLine {
                line: line.to_owned(),
                detail: "not a JSON object".to_owned(),
            }),
            Err(e) => Err(TestkitError::ReadyLine {
                line: line.to_owned(),
                detail: e.to_string(),
            }),
        })
    }

    /// The whole JSON object.
    pub fn json(&self) -> &Value {
        &self.json
    }

    /// The line as printed.
    pub fn line(&self) -> &str {
        &self.line
    }

    /// The `"command"` field (`"run"`, `"trap listen"`, ...).
    pub fn command(&self) -> Option<&str> {
        self.json.get("command").and_then(Value::as_str)
    }

    /// The address under `key` (a string `"IP:PORT"`), or an error naming the key
    /// and quoting the line.
    pub fn addr(&self, key: &str) -> Result<SocketAddr, TestkitError> {
        self.json
            .get(key)
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| self.lacks(key, "an address"))
    }

    /// The addresses under `key` (an array of `"IP:PORT"` strings).
    pub fn addrs(&self, key: &str) -> Result<Vec<SocketAddr>, TestkitError> {
        let list = self
            .json
            .get(key)
            .and_then(Value::as_array)
            .ok_or_else(|| self.lacks(key, "an array of addresses"))?;
        list.iter()
            .map(|v| v.as_str().and_then(|s| s.parse().ok()))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| self.lacks(key, "an array of addresses"))
    }

    fn lacks(&self, key: &str, what: &str) -> TestkitError {
        TestkitError::ReadyLine {
            line: self.line.clone(),
            detail: format!("no {what} under {key:?}"),
        }
    }
}

/// Builds a nocwatch command: arguments, environment, private files.
#[derive(Debug)]
pub struct NocwatchBuilder {
    bin: PathBuf,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    ready_timeout: Duration,
    dir: TempDir,
}

impl NocwatchBuilder {
    /// A command running the binary at `bin` (pass `env!("CARGO_BIN_EXE_nocwatch")`),
    /// with a fresh private directory for its files.
    pub fn new(bin: impl AsRef<Path>) -> Result<Self, TestkitError> {
        Ok(Self {
            bin: bin.as_ref().to_path_buf(),
            args: Vec::new(),
            env: Vec::new(),
            ready_timeout: READY_TIMEOUT,
            dir: TempDir::new("nocwatch-proc")?,
        })
    }

    /// Appends one argument.
    #[must_use]
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Appends arguments.
    #[must_use]
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable for the command.
    #[must_use]
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Overrides [`READY_TIMEOUT`].
    #[must_use]
    pub fn ready_timeout(mut self, limit: Duration) -> Self {
        self.ready_timeout = limit;
        self
    }

    /// Writes `contents` to `name` in the command's private directory (mode
    /// 0700, removed with the process guard) and returns its path, e.g. for
    /// `--config`.
    pub fn file(&self, name: &str, contents: &str) -> Result<PathBuf, TestkitError> {
        let path = self.dir.path().join(name);
        fs::write(&path, contents)
            .map_err(|e| TestkitError::io(format!("writing {}", path.display()), e))?;
        Ok(path)
    }

    /// The private directory (for a journal, for instance).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Spawns the command and waits for its ready line.
    pub fn start(self) -> Result<Nocwatch, TestkitError> {
        let name = format!(
            "nocwatch {}",
            self.args
                .iter()
                .take(2)
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" ")
        );
        let mut command = Command::new(&self.bin);
        command
            .args(&self.args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            command.env(k, v);
        }
        let mut process = Process::spawn(&name, &mut command)?;
        let stdout = process
            .take_stdout()
            .map(lines_of)
            .ok_or_else(|| TestkitError::io("taking stdout", std::io::Error::other("not piped")))?;
        let stderr = process
            .take_stderr()
            .ok_or_else(|| TestkitError::io("taking stderr", std::io::Error::other("not piped")))?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = mpsc::channel();
        let reader = {
            let log = Arc::clone(&log);
            let lines = lines_of(stderr);
            thread::spawn(move || {
                let mut ready_tx = Some(ready_tx);
                for line in lines {
                    let parsed = Ready::parse(&line);
                    // Logged before the ready line is announced, so that
                    // `stderr()` after `start` holds everything up to it.
                    log.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(line);
                    if let Some(parsed) = parsed
                        && let Some(tx) = ready_tx.take()
                    {
                        let _ = tx.send(parsed);
                    }
                }
            })
        };
        let mut guard = Nocwatch {
            process,
            ready: None,
            stdout,
            stderr: log,
            reader: Mutex::new(Some(reader)),
            dir: self.dir,
        };
        match ready_rx.recv_timeout(self.ready_timeout) {
            Ok(Ok(ready)) => {
                guard.ready = Some(ready);
                Ok(guard)
            }
            Ok(Err(e)) => Err(e),
            Err(RecvTimeoutError::Disconnected) => {
                // Stderr closed without a ready line: the command exited.
                let status = guard.process.wait_timeout(Duration::from_secs(5))?;
                guard.join_reader();
                match status {
                    Some(status) => Err(TestkitError::Exited {
                        name,
                        status,
                        log: guard.stderr(),
                    }),
                    None => Err(TestkitError::NotReady {
                        name,
                        waited: self.ready_timeout,
                        log: guard.stderr(),
                    }),
                }
            }
            Err(RecvTimeoutError::Timeout) => Err(TestkitError::NotReady {
                name,
                waited: self.ready_timeout,
                log: guard.stderr(),
            }),
        }
    }
}

/// A running nocwatch command, ready; stopped by PID on drop.
#[derive(Debug)]
pub struct Nocwatch {
    process: Process,
    /// Always `Some` once [`NocwatchBuilder::start`] returned it.
    ready: Option<Ready>,
    stdout: Receiver<String>,
    stderr: Arc<Mutex<Vec<String>>>,
    reader: Mutex<Option<JoinHandle<()>>>,
    // Declared last: removed after the process is stopped.
    dir: TempDir,
}

impl Nocwatch {
    /// Shorthand for `NocwatchBuilder::new(bin)?.args(args).start()`.
    pub fn start<I, S>(bin: impl AsRef<Path>, args: I) -> Result<Self, TestkitError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        NocwatchBuilder::new(bin)?.args(args).start()
    }

    /// The ready line.
    #[allow(clippy::panic, reason = "unreachable: start() sets it")]
    pub fn ready(&self) -> &Ready {
        match &self.ready {
            Some(r) => r,
            None => panic!("Nocwatch without a ready line"),
        }
    }

    /// The address under `key` in the ready line; panics (failing the test) with
    /// the line and the stderr so far when it is missing.
    #[allow(clippy::panic, reason = "test harness: failing the test is the point")]
    pub fn addr(&self, key: &str) -> SocketAddr {
        self.ready()
            .addr(key)
            .unwrap_or_else(|e| panic!("{e}\nstderr:\n{}", self.stderr()))
    }

    /// The addresses under `key` in the ready line; panics like [`addr`](Self::addr).
    #[allow(clippy::panic, reason = "test harness: failing the test is the point")]
    pub fn addrs(&self, key: &str) -> Vec<SocketAddr> {
        self.ready()
            .addrs(key)
            .unwrap_or_else(|e| panic!("{e}\nstderr:\n{}", self.stderr()))
    }

    /// `http://ADDR` for the address under `key`, e.g. `base_url("api")`.
    pub fn base_url(&self, key: &str) -> String {
        format!("http://{}", self.addr(key))
    }

    /// Its stdout, line by line.
    pub fn stdout(&self) -> &Receiver<String> {
        &self.stdout
    }

    /// The next stdout line, waiting at most `timeout`.
    pub fn next_stdout_line(&self, timeout: Duration) -> Option<String> {
        self.stdout.recv_timeout(timeout).ok()
    }

    /// Everything it wrote to stderr so far, one line per line (complete after
    /// [`terminate`](Self::terminate)).
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .join("\n")
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Its private directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Sends a signal by PID (`"HUP"`, `"TERM"`, ...).
    pub fn signal(&mut self, signal: &str) -> Result<(), TestkitError> {
        self.process.signal(signal)
    }

    /// SIGKILL and reap at once (a crash test's kill -9); stdout and stderr
    /// keep what was written before.
    pub fn kill(&mut self) {
        self.process.kill();
        self.join_reader();
    }

    /// The exit status if it has exited.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>, TestkitError> {
        self.process.try_wait()
    }

    /// SIGTERM and the exit status, which must come within `limit` (else it is
    /// killed and this is an error). Afterwards [`stderr`](Self::stderr) holds
    /// all it wrote.
    pub fn terminate(&mut self, limit: Duration) -> Result<ExitStatus, TestkitError> {
        let status = self.process.terminate(limit);
        if status.is_ok() {
            self.join_reader();
        }
        status
    }

    /// Waits for the stderr reader to reach end of file (the process has exited).
    fn join_reader(&self) {
        let handle = self
            .reader
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}
