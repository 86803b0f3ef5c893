//! A private net-snmp trap receiver (`snmptrapd`) on a random loopback port.
//!
//! The trap tests send with nocwatch and check what net-snmp's receiver logged,
//! and compare nocwatch's text with snmptrapd's for the same notification. Each
//! [`Snmptrapd`] has its own config file, persistent-state directory (engine
//! boots, `cert_indexes`) and port, logs to stdout (read line by line here), and
//! is stopped by PID when dropped.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::Stdio;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use crate::process::{Process, lines_of};
use crate::tempdir::TempDir;
use crate::tools::{require_program, snmp_command};
use crate::{TestkitError, free_udp_port};

/// How long [`Snmptrapd::start`] waits for the receiver's start-up line.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// How many ports to try: [`free_udp_port`] releases its port before
/// snmptrapd binds it, so another process may take it in between.
const PORT_ATTEMPTS: u32 = 5;

/// What snmptrapd logs once its sockets are open.
const STARTED: &str = "NET-SNMP version";

/// The output options of [`Snmptrapd::start`]: numeric OIDs, no MIBs.
pub const NUMERIC_OUTPUT: &[&str] = &["-On", "-m", ""];

/// A running `snmptrapd` on `127.0.0.1:<random port>`, logging each
/// notification to stdout (`-Lo`), with the config given at start.
#[derive(Debug)]
pub struct Snmptrapd {
    process: Process,
    out: Receiver<String>,
    port: u16,
    // Declared last: removed after the process is stopped.
    dir: TempDir,
}

impl Snmptrapd {
    /// Starts a receiver with `config` as its `snmptrapd.conf` (e.g.
    /// `authCommunity log public` and `createUser` lines) and numeric output.
    pub fn start(config: &str) -> Result<Self, TestkitError> {
        Self::start_with(config, NUMERIC_OUTPUT)
    }

    /// Like [`start`](Self::start), with `output` as its MIB and output options
    /// (e.g. `-M DIRS -m ALL -Of`).
    pub fn start_with(config: &str, output: &[&str]) -> Result<Self, TestkitError> {
        let program = require_program("snmptrapd")?;
        let dir = TempDir::new("nocwatch-snmptrapd")?;
        // Made beforehand, or snmptrapd announces creating it.
        let certs = dir.path().join("cert_indexes");
        fs::create_dir(&certs)
            .map_err(|e| TestkitError::io(format!("creating {}", certs.display()), e))?;
        let conf = dir.path().join("snmptrapd.conf");
        fs::write(&conf, config)
            .map_err(|e| TestkitError::io(format!("writing {}", conf.display()), e))?;
        let mut last = None;
        for _ in 0..PORT_ATTEMPTS {
            match Self::try_start(&program, &dir, &conf, output)? {
                Ok((process, out, port)) => {
                    return Ok(Self {
                        process,
                        out,
                        port,
                        dir,
                    });
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| TestkitError::NotReady {
            name: "snmptrapd".to_owned(),
            waited: READY_TIMEOUT,
            log: String::new(),
        }))
    }

    /// One attempt on a fresh port: the outer error is fatal, the inner one is
    /// worth a retry on another port.
    #[allow(clippy::type_complexity, reason = "private, used once")]
    fn try_start(
        program: &Path,
        dir: &TempDir,
        conf: &Path,
        output: &[&str],
    ) -> Result<Result<(Process, Receiver<String>, u16), TestkitError>, TestkitError> {
        let port = free_udp_port()?;
        // -f: foreground, so the PID is snmptrapd's own; -Lo: log to stdout;
        // -n: no reverse DNS; -C: only our config file.
        let mut process = Process::spawn(
            "snmptrapd",
            snmp_command(program)
                .env("SNMP_PERSISTENT_DIR", dir.path())
                .args(["-f", "-Lo", "-n"])
                .args(output)
                .args(["-C", "-c"])
                .arg(conf)
                .arg(format!("udp:127.0.0.1:{port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        )?;
        let out = lines_of(process.take_stdout().ok_or_else(|| no_pipe("stdout"))?);
        let err = lines_of(process.take_stderr().ok_or_else(|| no_pipe("stderr"))?);
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut log = Vec::new();
        while let Ok(line) = out.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            if line.contains(STARTED) {
                if process.try_wait()?.is_none() {
                    return Ok(Ok((process, out, port)));
                }
                break;
            }
            log.push(line);
        }
        process.kill();
        log.extend(err.try_iter());
        let log = log.join("\n");
        Ok(Err(match process.try_wait()? {
            Some(status) => TestkitError::Exited {
                name: "snmptrapd".to_owned(),
                status,
                log,
            },
            None => TestkitError::NotReady {
                name: "snmptrapd".to_owned(),
                waited: READY_TIMEOUT,
                log,
            },
        }))
    }

    /// The receiver's UDP address, on 127.0.0.1.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// The receiver's UDP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The receiver as a net-snmp target argument, `127.0.0.1:PORT`.
    pub fn target(&self) -> String {
        self.addr().to_string()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Its private directory (config and persistent state).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// What it logged, line by line, from after its start-up line.
    pub fn lines(&self) -> &Receiver<String> {
        &self.out
    }

    /// The next logged line, waiting at most `timeout`.
    pub fn next_line(&self, timeout: Duration) -> Option<String> {
        self.out.recv_timeout(timeout).ok()
    }

    /// The next notification as snmptrapd logs it with its default format: the
    /// header line and the bindings line (tab-separated), each within 10 s.
    pub fn next_notification(&self) -> Result<(String, String), TestkitError> {
        let header = self
            .next_line(Duration::from_secs(10))
            .ok_or_else(|| self.nothing("no notification logged within 10 s"))?;
        let body = self
            .next_line(Duration::from_secs(5))
            .ok_or_else(|| self.nothing("header without a bindings line"))?;
        Ok((header, body))
    }

    fn nothing(&self, what: &str) -> TestkitError {
        TestkitError::NoOutput {
            name: format!("snmptrapd on {}", self.target()),
            what: what.to_owned(),
        }
    }
}

fn no_pipe(which: &str) -> TestkitError {
    TestkitError::io(
        format!("taking a child's {which}"),
        std::io::Error::other("not piped"),
    )
}
