//! The command line, with net-snmp's flag names so NOC engineers' fingers just work.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// nocwatch: SNMP polling, traps and telemetry for network operations centres.
#[derive(Debug, Parser)]
#[command(name = "nocwatch", version, about, long_about = None)]
pub(crate) struct Cli {
    /// Log level filter (also RUST_LOG), e.g. `debug` or `nocwatch_net=trace`.
    #[arg(long, global = true, default_value = "warn")]
    pub(crate) log: String,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// GET one or more OIDs (like snmpget).
    Get(RequestArgs),
    /// GETNEXT one or more OIDs (like snmpgetnext).
    Getnext(RequestArgs),
    /// Walk a subtree with GETNEXT (like snmpwalk).
    Walk(WalkArgs),
    /// Walk a subtree with GETBULK (like snmpbulkwalk).
    Bulkwalk(WalkArgs),
    /// SET one or more OIDs: `OID TYPE VALUE ...` (like snmpset).
    Set(SetArgs),
    /// Decode SNMP messages from hex or from a pcap/pcapng file.
    Decode(DecodeArgs),
    /// Translate between MIB names and OIDs (like snmptranslate).
    Translate(TranslateArgs),
    /// Show nocwatch working with no external service: simulated devices on loopback,
    /// polled concurrently over one socket, traffic rates from their counters.
    Demo(DemoArgs),
    /// Poll many agents at once with the polling engine (walks per target, summary
    /// per cycle).
    Poll(crate::poll::PollArgs),
    /// Simulators for labs, tests and benchmarks (`nocwatch sim agents`, `telemetry`, `storm`).
    Sim(crate::sim::SimArgs),
    /// Run the service: with no --config, an embedded lab on loopback (fabric
    /// producer, CSV source, store, query API on 127.0.0.1:8080).
    Run(crate::run::RunArgs),
    /// Validate a service configuration without starting it (`--config FILE`):
    /// every problem at once, exit status 1 if any.
    Check(crate::check::CheckArgs),
    /// Receive (`listen`) or send (`send`) traps and informs.
    Trap(crate::trap::TrapArgs),
}

/// Options every SNMP request command shares (net-snmp's names).
#[derive(Debug, Args, Clone)]
pub(crate) struct SnmpOpts {
    /// SNMP version: 1, 2c or 3.
    #[arg(
        short = 'v',
        long = "version",
        default_value = "2c",
        value_name = "1|2c|3"
    )]
    pub(crate) version: String,
    /// SNMPv3 security name (user).
    #[arg(short = 'u', value_name = "USER")]
    pub(crate) sec_name: Option<String>,
    /// SNMPv3 security level: noAuthNoPriv, authNoPriv or authPriv.
    #[arg(short = 'l', value_name = "LEVEL")]
    pub(crate) sec_level: Option<String>,
    /// SNMPv3 authentication protocol: MD5, SHA, SHA-224, SHA-256, SHA-384, SHA-512.
    #[arg(short = 'a', value_name = "PROTOCOL")]
    pub(crate) auth_protocol: Option<String>,
    /// SNMPv3 authentication pass phrase.
    #[arg(short = 'A', value_name = "PASSPHRASE")]
    pub(crate) auth_password: Option<String>,
    /// SNMPv3 privacy protocol: DES, AES, AES-192, AES-256, AES-192-C, AES-256-C, 3DES.
    #[arg(short = 'x', value_name = "PROTOCOL")]
    pub(crate) priv_protocol: Option<String>,
    /// SNMPv3 privacy pass phrase.
    #[arg(short = 'X', value_name = "PASSPHRASE")]
    pub(crate) priv_password: Option<String>,
    /// SNMPv3 context name.
    #[arg(short = 'n', value_name = "CONTEXT")]
    pub(crate) context: Option<String>,
    /// SNMPv3 context engine ID, in hex (default: the agent's engine ID).
    #[arg(short = 'E', value_name = "HEX")]
    pub(crate) context_engine_id: Option<String>,
    /// SNMPv3 security (authoritative) engine ID, in hex: skips discovery.
    #[arg(short = 'e', value_name = "HEX")]
    pub(crate) security_engine_id: Option<String>,
    /// Community string.
    #[arg(short = 'c', long = "community", default_value = "public")]
    pub(crate) community: String,
    /// Retries after the first attempt.
    #[arg(short = 'r', long = "retries", default_value_t = 5)]
    pub(crate) retries: u32,
    /// Timeout per attempt, in seconds (fractions allowed).
    #[arg(short = 't', long = "timeout", default_value_t = 1.0)]
    pub(crate) timeout: f64,
    /// Output options: `n` numeric OIDs, `f` full OID paths, `s` last label only,
    /// `q` quick (`name value`), `v` values only. OIDs are numeric without MIBs.
    #[arg(short = 'O', value_name = "OPTS", action = clap::ArgAction::Append)]
    pub(crate) output: Vec<String>,
    /// MIB modules to load (net-snmp's `-m`; default $MIBS): `A:B` those with what
    /// they import, `ALL` every module found. Giving it, `-M` or a non-empty $MIBS
    /// loads MIBs and prints names.
    #[arg(short = 'm', value_name = "MODULES")]
    pub(crate) mib_modules: Option<String>,
    /// MIB directories separated by `:` (net-snmp's `-M`; default $MIBDIRS, else
    /// /usr/share/snmp/mibs; `+DIR` adds to the default).
    #[arg(short = 'M', value_name = "DIRS")]
    pub(crate) mib_dirs: Option<String>,
    /// Print one JSON object per binding per line instead of net-snmp's text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Accept replies from another address than the agent's (multi-homed agents).
    #[arg(long)]
    pub(crate) any_source: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RequestArgs {
    #[command(flatten)]
    pub(crate) snmp: SnmpOpts,
    /// The agent: `host`, `host:port`, `udp:host:port`, `udp6:[addr]:port`.
    pub(crate) agent: String,
    /// OIDs, dotted decimal.
    #[arg(required = true)]
    pub(crate) oids: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct WalkArgs {
    #[command(flatten)]
    pub(crate) snmp: SnmpOpts,
    /// Application options: `c` do not check that OIDs increase, `I` do not GET the
    /// root when the subtree is empty, `rN` max-repetitions (bulkwalk, default 10),
    /// `nN` non-repeaters (bulkwalk), `p` print the number of variables found.
    #[arg(short = 'C', value_name = "OPTS", action = clap::ArgAction::Append)]
    pub(crate) app: Vec<String>,
    /// The agent: `host`, `host:port`, `udp:host:port`, `udp6:[addr]:port`.
    pub(crate) agent: String,
    /// The subtree to walk (default: mib-2, .1.3.6.1.2.1).
    pub(crate) oid: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct SetArgs {
    #[command(flatten)]
    pub(crate) snmp: SnmpOpts,
    /// The agent.
    pub(crate) agent: String,
    /// Triples `OID TYPE VALUE`; TYPE is one of i u c t a o s x d n U C (as snmpset).
    #[arg(required = true, num_args = 3.., allow_hyphen_values = true)]
    pub(crate) triples: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct DecodeArgs {
    /// Hex bytes of one message (spaces, colons and newlines allowed); `-` reads hex
    /// from standard input.
    #[arg(long, conflicts_with = "file")]
    pub(crate) hex: Option<String>,
    /// A pcap or pcapng capture: every UDP datagram in it is decoded.
    pub(crate) file: Option<PathBuf>,
    /// Decode strictly (no tolerance for agents' encoding bugs).
    #[arg(long)]
    pub(crate) strict: bool,
    /// Print JSON (one object per message per line).
    #[arg(long)]
    pub(crate) json: bool,
    /// MIB modules (net-snmp's `-m`): with `-M` or $MIBS, bindings print with names.
    #[arg(short = 'm', value_name = "MODULES")]
    pub(crate) mib_modules: Option<String>,
    /// MIB directories separated by `:` (net-snmp's `-M`).
    #[arg(short = 'M', value_name = "DIRS")]
    pub(crate) mib_dirs: Option<String>,
    /// Output options for bindings with MIBs: `n`, `f`, `s`, `q`, `v` as net-snmp.
    #[arg(short = 'O', value_name = "OPTS", action = clap::ArgAction::Append)]
    pub(crate) output: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct TranslateArgs {
    /// MIB directories, separated by `:` (default: $MIBDIRS, else
    /// /usr/share/snmp/mibs).
    #[arg(short = 'M', value_name = "DIRS")]
    pub(crate) mib_dirs: Option<String>,
    /// Modules to load (net-snmp's `-m`, default $MIBS): `A:B` reads A and B with
    /// what they import, in that order; `ALL` (the default here) or `+LIST` every
    /// module found in the directories.
    #[arg(short = 'm', value_name = "MODULES")]
    pub(crate) modules: Option<String>,
    /// Input options (net-snmp's `-I`). Bare names are always looked up in every
    /// module (net-snmp's `-IR`), so this is accepted for compatibility only.
    #[arg(short = 'I', value_name = "OPTS")]
    pub(crate) input: Option<String>,
    /// Output: `n` numeric OID, `f` full path of labels, `s` the last label with its
    /// index. Default: `MODULE::name.index`.
    #[arg(short = 'O', value_name = "OPTS")]
    pub(crate) output: Option<String>,
    /// Translation options: `d` prints the definition of each item as net-snmp's
    /// `-Td` (FROM, TEXTUAL CONVENTION, SYNTAX, clauses, DESCRIPTION, DEFVAL, OID
    /// path), a blank line between items.
    #[arg(short = 'T', value_name = "OPTS")]
    pub(crate) translate_opts: Option<String>,
    /// Names (`IF-MIB::ifDescr.3`, `ifDescr`) or OIDs (`.1.3.6.1.2.1.2.2.1.2`); `-`
    /// reads one per line from standard input.
    #[arg(required = true)]
    pub(crate) items: Vec<String>,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Simulated devices to start on loopback.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub(crate) devices: u32,
    /// Interfaces per device.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub(crate) interfaces: u32,
    /// Rate-polling rounds (one second apart).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub(crate) rounds: u32,
    /// Seconds between polls.
    #[arg(long, default_value_t = 1.0)]
    pub(crate) interval: f64,
}
