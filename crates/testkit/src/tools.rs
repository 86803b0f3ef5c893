//! Locating and running the net-snmp command-line tools.
//!
//! net-snmp is the project's interop oracle: tests compare nocwatch against what
//! `snmpget`/`snmpwalk` print and run against a real `snmpd`. The tools are run
//! with `MIBS=""` so no MIB is loaded: output stays numeric and free of
//! "Cannot find module" noise, whatever MIBs happen to be installed on the host.

use std::env;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use crate::TestkitError;
use crate::parse::{NetSnmpLine, parse_net_snmp_output};
use crate::tempdir::TempDir;

/// Directories searched after `PATH`. Debian installs `snmpd` in `/usr/sbin`,
/// which is not on a non-root user's `PATH`.
const FALLBACK_DIRS: &[&str] = &[
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/usr/local/sbin",
    "/usr/local/bin",
];

/// Finds an executable by name on `PATH`, then in the usual sbin/bin directories.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let on_path = env::var_os("PATH")
        .map(|p| env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain(FALLBACK_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// Like [`find_program`], but an error naming the program when it is missing.
pub(crate) fn require_program(name: &str) -> Result<PathBuf, TestkitError> {
    find_program(name).ok_or_else(|| TestkitError::ProgramNotFound {
        program: name.to_owned(),
    })
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// True when both the agent (`snmpd`) and the tools (`snmpget`) are installed.
///
/// Tests that need net-snmp check this through [`skip_unless_snmp`], which
/// applies the one skip policy ([`missing`](crate::missing)).
pub fn snmp_available() -> bool {
    find_program("snmpd").is_some() && find_program("snmpget").is_some()
}

/// Returns true when net-snmp is installed; otherwise goes through
/// [`missing`](crate::missing): prints `SKIP <test>: <why>` and returns false,
/// or fails the test under `NOCWATCH_REQUIRE_PEERS=1`.
///
/// Meant for `if !nocwatch_testkit::skip_unless_snmp() { return; }` at the top
/// of a test (or the [`require_snmp!`](crate::require_snmp) macro).
pub fn skip_unless_snmp() -> bool {
    crate::programs_or_skip(&["snmpd", "snmpget"])
}

/// What a net-snmp tool printed, and how it exited.
#[derive(Debug, Clone)]
pub struct ToolOutput {
    /// The tool name as passed to [`net_snmp_tool`].
    pub tool: String,
    /// The arguments as passed to [`net_snmp_tool`].
    pub args: Vec<String>,
    /// Exit status. net-snmp tools exit 0 even when a varbind is an exception
    /// (`No Such Object ...`); v1 errors (`noSuchName`) exit non-zero.
    pub status: ExitStatus,
    /// Standard output, decoded lossily as UTF-8 (net-snmp prints bytes it
    /// considers printable; non-UTF-8 is rare but possible).
    pub stdout: String,
    /// Standard error, decoded the same way. Timeouts and v1 errors land here.
    pub stderr: String,
}

impl ToolOutput {
    /// Whether the tool exited with status 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// `Ok(self)` when the tool succeeded, otherwise [`TestkitError::ToolFailed`]
    /// carrying its stderr, so tests can use `?` and still see why it failed.
    pub fn success_or_err(self) -> Result<Self, TestkitError> {
        if self.success() {
            Ok(self)
        } else {
            Err(TestkitError::ToolFailed {
                tool: self.tool,
                args: self.args,
                status: self.status,
                stderr: self.stderr,
            })
        }
    }

    /// Parses [`stdout`](Self::stdout) with [`parse_net_snmp_output`]; the tool
    /// must have been run with `-On`.
    pub fn varbinds(&self) -> Vec<NetSnmpLine> {
        parse_net_snmp_output(&self.stdout)
    }
}

/// Runs a net-snmp tool (`snmpget`, `snmpwalk`, `snmpbulkwalk`, `snmpset`, ...)
/// with `MIBS=""` and returns its output.
///
/// A non-zero exit is *not* an error here, because tests often assert on
/// failures (timeouts, `noSuchName`); use [`ToolOutput::success_or_err`] when
/// success is expected. The only errors are "tool not installed" and "could not
/// be spawned".
pub fn net_snmp_tool(tool: &str, args: &[&str]) -> Result<ToolOutput, TestkitError> {
    let program = require_program(tool)?;
    // net-snmp's tools keep state (snmpapp.conf: engine boots, cached engine IDs) in
    // one host-wide directory; concurrent tests racing on it made snmpinform fail at
    // random. Each run gets its own.
    let state = TempDir::new("nocwatch-netsnmp-state")?;
    // Made beforehand, or the tool announces creating it on stderr.
    let certs = state.path().join("cert_indexes");
    std::fs::create_dir(&certs)
        .map_err(|e| TestkitError::io(format!("creating {}", certs.display()), e))?;
    let output = snmp_command(&program)
        .env("SNMP_PERSISTENT_DIR", state.path())
        .args(args)
        .output()
        .map_err(|e| TestkitError::io(format!("running {}", program.display()), e))?;
    Ok(ToolOutput {
        tool: tool.to_owned(),
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// A [`Command`] for a net-snmp program with MIB loading turned off.
///
/// Setting `MIBS` to the empty string (rather than passing `-m ""`) is what the
/// baseline scripts in `../shared/bench` do, and it works for `snmpd` too.
/// `MIBDIRS` is left alone.
pub(crate) fn snmp_command(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("MIBS", "");
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sh_and_not_nonsense() {
        assert!(find_program("sh").is_some());
        assert!(find_program("nocwatch-no-such-program-xyz").is_none());
    }

    #[test]
    fn missing_tool_is_a_clear_error() {
        let err = net_snmp_tool("nocwatch-no-such-program-xyz", &[]).unwrap_err();
        assert!(matches!(err, TestkitError::ProgramNotFound { .. }));
        assert!(err.to_string().contains("nocwatch-no-such-program-xyz"));
    }

    #[test]
    fn tool_output_is_captured_with_empty_mibs() {
        // `sh` stands in for a net-snmp tool: it proves the env and capture wiring.
        let out = net_snmp_tool(
            "sh",
            &["-c", "printf '%s' \"[$MIBS]\"; echo err >&2; exit 3"],
        )
        .unwrap();
        assert_eq!(out.stdout, "[]");
        assert_eq!(out.stderr, "err\n");
        assert_eq!(out.status.code(), Some(3));
        let err = out.success_or_err().unwrap_err();
        assert!(err.to_string().contains("err"), "{err}");
    }
}
