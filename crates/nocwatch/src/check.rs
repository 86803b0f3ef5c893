//! `nocwatch check --config FILE`: validates a service configuration without
//! starting anything. It reads what a start would read (secrets from the
//! environment or their files, the rules file, the users file, TLS certificate
//! and key) and lists every problem at once, so a change can be checked before a
//! reload or a deploy.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use nocwatch_service::Config;

/// `nocwatch check` options.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The configuration file to check.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: PathBuf,
}

/// Prints what the file would run, or every problem; exit status 0 or 1.
pub(crate) fn check(args: &CheckArgs) -> ExitCode {
    match Config::load(&args.config) {
        Ok(c) => {
            let mut parts = vec![format!("api on {}", c.api.listen)];
            if c.api.tls() {
                parts.push("TLS".to_owned());
            }
            if let Some(p) = &c.producer {
                parts.push(format!("producer on {}", p.listen));
            }
            if let Some(s) = &c.http_csv {
                parts.push(format!("http_csv {}", s.name));
            }
            if let Some(s) = &c.snmp {
                parts.push(format!(
                    "snmp {} ({} target specs)",
                    s.name,
                    s.targets.len()
                ));
            }
            if let Some(s) = &c.snmp_sim {
                parts.push(format!("snmp_sim {} devices", s.devices));
            }
            if let Some(t) = &c.traps {
                parts.push(format!(
                    "traps on {}",
                    if t.listen.is_empty() {
                        format!("port {}", t.port)
                    } else {
                        t.listen.join(", ")
                    }
                ));
            }
            println!("{}: valid: {}", args.config.display(), parts.join("; "));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("nocwatch check: {e}");
            ExitCode::from(1)
        }
    }
}
