//! A private net-snmp agent (`snmpd`) on a random loopback port.
//!
//! Interop tests need a real, independent SNMP agent to talk to. Each [`Snmpd`]
//! gets its own temp dir, config, persistent-state dir and port, so any number
//! can run in parallel (cargo runs tests on many threads) and none touches the
//! system's `/etc/snmp` or `/var/lib/snmp`. The agent is stopped and its files
//! removed when the handle is dropped, including when a test panics.

use std::fs::{self, File};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::thread;
use std::time::{Duration, Instant};

use crate::process::Process;
use crate::tempdir::TempDir;
use crate::tools::{require_program, snmp_command};
use crate::{TestkitError, free_udp_port};

/// How long [`Snmpd::start`] waits for the agent's first answer. snmpd is
/// usually up in well under a second; the margin is for loaded CI machines.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// Pause between two readiness probes.
const PROBE_INTERVAL: Duration = Duration::from_millis(50);

/// How many ports to try. [`free_udp_port`] releases the port before snmpd
/// binds it, so another process can take it in between; snmpd then exits with
/// `Error opening specified endpoint` and a new port is tried.
const PORT_ATTEMPTS: u32 = 5;

/// What snmpd logs when its `agentAddress` cannot be bound.
const BIND_FAILURE: &str = "Error opening specified endpoint";

/// The OID probed for readiness: `sysDescr.0`, which every agent serves.
const SYS_DESCR: &str = "1.3.6.1.2.1.1.1.0";

/// Community with read access from 127.0.0.1.
pub const READ_COMMUNITY: &str = "public";
/// Community with read-write access from 127.0.0.1, for set tests.
pub const WRITE_COMMUNITY: &str = "private";
/// The agent's `sysLocation.0`.
pub const SYS_LOCATION: &str = "nocwatch-test";
/// The agent's `sysContact.0`.
pub const SYS_CONTACT: &str = "test@localhost";
/// The agent's `sysName.0`.
pub const SYS_NAME: &str = "nocwatch-testkit";

/// A running `snmpd` listening on `127.0.0.1:<random port>` (SNMPv1/v2c,
/// communities [`READ_COMMUNITY`] and [`WRITE_COMMUNITY`]).
///
/// Dropping it stops the process by PID (SIGTERM, then SIGKILL) and deletes its
/// directory.
#[derive(Debug)]
pub struct Snmpd {
    process: Process,
    port: u16,
    log_path: PathBuf,
    // Declared last so it is removed after `Drop::drop` has killed the agent.
    dir: TempDir,
}

impl Snmpd {
    /// Starts an agent with the default test config and waits until it answers.
    pub fn start() -> Result<Self, TestkitError> {
        Self::start_with("")
    }

    /// Starts an agent whose `snmpd.conf` is the default test config followed by
    /// `extra_config_lines` (e.g. `createUser ...`/`rouser ...` for SNMPv3, or
    /// `extend ...`), and waits until it answers.
    ///
    /// On failure the error carries snmpd's log (it logs config errors there).
    pub fn start_with(extra_config_lines: &str) -> Result<Self, TestkitError> {
        let snmpd = require_program("snmpd")?;
        let snmpget = require_program("snmpget")?;
        let mut attempt = 1;
        loop {
            match Self::try_start(&snmpd, &snmpget, extra_config_lines) {
                Err(TestkitError::SnmpdExited { log, .. })
                    if attempt < PORT_ATTEMPTS && log.contains(BIND_FAILURE) =>
                {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// One start attempt on a fresh port and a fresh directory.
    fn try_start(snmpd: &Path, snmpget: &Path, extra: &str) -> Result<Self, TestkitError> {
        let dir = TempDir::new("nocwatch-snmpd")?;
        let port = free_udp_port()?;
        let conf = dir.path().join("snmpd.conf");
        let persist = dir.path().join("persist");
        let pidfile = dir.path().join("snmpd.pid");
        let log_path = dir.path().join("snmpd.log");

        fs::write(&conf, config_text(port, extra))
            .map_err(|e| TestkitError::io(format!("writing {}", conf.display()), e))?;
        fs::create_dir(&persist)
            .map_err(|e| TestkitError::io(format!("creating {}", persist.display()), e))?;
        let log = File::create(&log_path)
            .map_err(|e| TestkitError::io(format!("creating {}", log_path.display()), e))?;
        let log_err = log
            .try_clone()
            .map_err(|e| TestkitError::io("duplicating the snmpd log handle", e))?;

        // -f: stay in the foreground so `Child` is the agent itself (its PID is
        //     the one we kill);
        // -Lo: log to stdout, which goes to snmpd.log;
        // -I -smux: no SMUX, so nothing listens on TCP 199;
        // -C: read only our config, never /etc/snmp/snmpd.conf.
        let process = Process::spawn(
            "snmpd",
            snmp_command(snmpd)
                .arg("-f")
                .arg("-Lo")
                .args(["-I", "-smux"])
                .arg("-C")
                .arg("-c")
                .arg(&conf)
                .arg("-p")
                .arg(&pidfile)
                .env("SNMP_PERSISTENT_DIR", &persist)
                .stdin(Stdio::null())
                .stdout(log)
                .stderr(log_err),
        )?;

        // From here on, any early return drops `agent`, which stops the child.
        let mut agent = Self {
            process,
            port,
            log_path,
            dir,
        };
        agent.wait_ready(snmpget)?;
        Ok(agent)
    }

    /// Polls with `snmpget` until the agent answers, it exits, or the deadline.
    fn wait_ready(&mut self, snmpget: &Path) -> Result<(), TestkitError> {
        let started = Instant::now();
        let target = self.target();
        loop {
            if let Some(status) = self.process.try_wait()? {
                return Err(TestkitError::SnmpdExited {
                    status,
                    log: self.log(),
                });
            }
            let probe = snmp_command(snmpget)
                .args(["-v2c", "-c", READ_COMMUNITY, "-t", "0.2", "-r", "0", "-On"])
                .arg(&target)
                .arg(SYS_DESCR)
                .output()
                .map_err(|e| TestkitError::io(format!("running {}", snmpget.display()), e))?;
            if probe.status.success()
                && String::from_utf8_lossy(&probe.stdout).starts_with(&format!(".{SYS_DESCR} = "))
            {
                return Ok(());
            }
            if started.elapsed() >= READY_TIMEOUT {
                return Err(TestkitError::SnmpdNotAnswering {
                    waited: started.elapsed(),
                    port: self.port,
                    log: self.log(),
                });
            }
            thread::sleep(PROBE_INTERVAL);
        }
    }

    /// The agent's UDP address, always on 127.0.0.1.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    /// The agent's UDP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The agent as a net-snmp target argument, `127.0.0.1:PORT`.
    pub fn target(&self) -> String {
        self.addr().to_string()
    }

    /// The agent's process id.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Everything the agent has logged so far (empty if the log is unreadable).
    pub fn log(&self) -> String {
        fs::read(&self.log_path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// The agent's private directory: `snmpd.conf`, `snmpd.log`, `snmpd.pid`
    /// and `persist/`. Tests may put files here (e.g. for `extend` commands);
    /// they are deleted with the agent.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// The agent's `snmpd.conf`.
fn config_text(port: u16, extra: &str) -> String {
    format!(
        "# Written by nocwatch-testkit: a private agent on loopback.\n\
         agentAddress udp:127.0.0.1:{port}\n\
         rocommunity {READ_COMMUNITY} 127.0.0.1\n\
         rwcommunity {WRITE_COMMUNITY} 127.0.0.1\n\
         sysLocation {SYS_LOCATION}\n\
         sysContact {SYS_CONTACT}\n\
         sysName {SYS_NAME}\n\
         # One log line per request would bury startup errors in the log.\n\
         dontLogTCPWrappersConnects yes\n\
         {extra}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_has_port_communities_and_extra_lines() {
        let text = config_text(16123, "extend x /bin/true");
        assert!(text.contains("agentAddress udp:127.0.0.1:16123\n"));
        assert!(text.contains("rocommunity public 127.0.0.1\n"));
        assert!(text.contains("rwcommunity private 127.0.0.1\n"));
        assert!(text.contains("sysLocation nocwatch-test\n"));
        assert!(text.ends_with("extend x /bin/true\n"));
    }
}
