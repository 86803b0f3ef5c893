//! `nocwatch sim agents`: a fleet of simulated SNMP agents (crates/sim) on loopback.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use clap::Args;
use nocwatch_sim::{
    Fleet, FleetServer, FleetSpec, LifeConfig, SimStats, SnmpSim, SystemClock, TrapTargets,
    agent_users,
};

use crate::duration::parse_duration;

const AFTER_HELP: &str = "\
DEVICES
  Device i (0-based) answers at BASE+i on PORT (addresses mode, the default: all of
  127.0.0.0/8 is local on Linux, so 127.1.0.1 ... 127.1.39.16 need no setup), or at
  BASE:PORT+i with --ports. In addresses mode the simulator binds 0.0.0.0:PORT (one
  socket per --threads) and answers only datagrams addressed to one of its devices,
  from that device's address. Families cycle through --families; each device has the
  system group (vendor sysObjectID/sysDescr), IF-MIB ifTable+ifXTable, EtherLike-MIB,
  IP-MIB ipAddrTable, HOST-RESOURCES (CPU load, storage), ENTITY-SENSOR temperatures,
  LLDP-MIB neighbours (a ring: port 1 faces the next device's port 2) and the vendor
  CPU/memory table (CISCO-PROCESS-MIB, JUNIPER-MIB jnxOperatingTable, UCD-SNMP-MIB).
  With 10 interfaces a device has about 1,000 instances.

SNMPv3
  --user 'NAME [AUTHPROTO AUTHPASS [PRIVPROTO [PRIVPASS]]]', repeatable: snmptrapd's
  and snmpd's createUser line (the keyword optional; quote a pass phrase holding
  spaces inside the argument), the one v3 user syntax of nocwatch, e.g.
  --user 'simuser SHA-256 authpass123 AES privpass123'. AUTHPROTO: MD5, SHA,
  SHA-224, SHA-256, SHA-384, SHA-512; PRIVPROTO: DES, AES, AES-192, AES-256,
  AES-192-C, AES-256-C, 3DES; a PRIVPROTO without PRIVPASS reuses AUTHPASS.
  The lowest level accepted from a user is what its pass phrases give (authPriv
  with both, authNoPriv with one, noAuthNoPriv with none); --rouser 'NAME LEVEL'
  (snmpd's rouser line; LEVEL noauth, auth or priv) lowers it, e.g.
  --rouser 'simuser auth' also answers simuser's authNoPriv requests. -e is
  refused: each device is its own authoritative engine (engine ID 80000000 05
  'sim' and the device index), so managers discover it as they would a real device.

PER-DEVICE SETTINGS AND QUIRKS
  --device SELECTOR=SETTING[,SETTING...] (alias --quirk), repeatable, later ones win;
  or --device-file FILE with one SELECTOR=SETTINGS per line (`# ` starts a comment).
  SELECTOR: an address (127.1.0.5), a range (127.1.0.5-127.1.0.9), a port or port
  range in --ports mode (:16105, :16105-16109), #INDEX or #FIRST-LAST, or all.
  SETTING:
    versions:1+2c+3        answer only these versions (others dropped, counted)
    family:NAME            cisco, junos, arista or linux
    loss:FRACTION          drop this fraction of requests (deterministic hash)
    latency:DURATION       hold responses this long (e.g. 20ms, 1s)
    toobig:N               tooBig for any response of more than N bindings
    nonincreasing:OID      when the next instance would be OID, answer the one
                           before it (GETNEXT/GETBULK return a name that does not
                           increase: net-snmp's snmpwalk stops with \"OID not
                           increasing\")
    badid[:N]              every Nth response (default every one) carries the
                           request-id plus one (managers must discard it)
    dropabove:BYTES        silently drop responses larger than BYTES
    recording:FILE         answer from a recording instead of the generated data

RECORDINGS
  --recording FILE (all devices) or --device SEL=recording:FILE replays a device
  recorded with `MIBS= snmpwalk -v2c -c public -On -Ob HOST .1 > FILE` (snmpsim
  style; every net-snmp value type, hex and multi-line strings). A bad line stops the
  simulator with its line number. Recorded values are replayed as they are.

  Example: --device 127.1.0.5=toobig:20 --device #10-19=latency:50ms,loss:0.1

LIFE
  --flap-interval D: now and then (mean D per device, random gaps) one interface of a
  device that is up by design goes down for about --down-for (0.5 to 1.5 times it)
  and comes back; --restart-interval D: now and then a device restarts (sysUpTime and
  every counter from zero). While down, ifOperStatus reads down(2), the interface's
  counters stand still and ifLastChange is the sysUpTime of the change. With
  --trap-target ADDR each change is sent as an SNMPv2-Trap (v2c, --trap-community)
  from the device's own address: linkDown/linkUp with ifIndex, ifAdminStatus,
  ifOperStatus, coldStart after a restart; sysUpTime.0 is what a GET read at that
  instant. --seed sets the changes (same seed, same changes). Devices answering from
  a recording never change. Without these flags nothing changes.

On SIGINT or SIGTERM the simulator stops and prints its counters (requests,
responses, drops by reason).";

/// `nocwatch sim agents`.
#[derive(Debug, Args)]
#[command(after_long_help = AFTER_HELP)]
pub(crate) struct AgentsArgs {
    /// Number of devices.
    #[arg(long, default_value_t = 1)]
    count: u32,
    /// First device's address.
    #[arg(long, default_value = "127.1.0.1")]
    base: Ipv4Addr,
    /// UDP port (the first device's port with --ports).
    #[arg(long, default_value_t = 1161)]
    port: u16,
    /// One address (--base), consecutive ports, instead of consecutive addresses.
    #[arg(long)]
    ports: bool,
    /// Interfaces per device.
    #[arg(long, default_value_t = 10)]
    interfaces: u32,
    /// Families, assigned round-robin: cisco, junos, arista, linux.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "cisco,junos,arista,linux"
    )]
    families: Vec<String>,
    /// Read-only community.
    #[arg(long, short = 'c', default_value = "public")]
    community: String,
    /// Versions answered by default: any of 1, 2c, 3.
    #[arg(long, value_delimiter = ',', default_value = "1,2c,3")]
    versions: Vec<String>,
    /// SNMPv3 user as a createUser line: 'NAME [AUTHPROTO AUTHPASS [PRIVPROTO
    /// [PRIVPASS]]]' (repeatable; see SNMPv3 below).
    #[arg(long = "user", value_name = "CREATEUSER")]
    users: Vec<String>,
    /// The lowest level accepted from a user, as snmpd's rouser line: 'NAME LEVEL'
    /// (noauth, auth, priv; repeatable). Default: what the user's pass phrases give.
    #[arg(long = "rouser", value_name = "NAME LEVEL")]
    rousers: Vec<String>,
    /// Latency of every device (e.g. 2ms).
    #[arg(long, value_parser = parse_duration)]
    latency: Option<Duration>,
    /// Fraction of requests every device drops (0 to 1).
    #[arg(long)]
    loss: Option<f64>,
    /// Per-device settings and quirks: SELECTOR=SETTING[,SETTING...] (see below).
    #[arg(
        long = "device",
        visible_alias = "quirk",
        value_name = "SELECTOR=SETTINGS"
    )]
    devices: Vec<String>,
    /// Per-device settings from a file: one SELECTOR=SETTINGS per line, applied
    /// before the --device flags.
    #[arg(long = "device-file", value_name = "FILE")]
    device_file: Option<std::path::PathBuf>,
    /// Every device answers from this recording (`snmpwalk -On` output).
    #[arg(long, value_name = "FILE")]
    recording: Option<std::path::PathBuf>,
    /// Worker threads (each with its own socket in addresses mode).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Print every device's address, family and name (default: only when at most
    /// 16 devices).
    #[arg(long)]
    list: bool,
    /// Mean time between two flaps of one device (an interface goes down, linkDown,
    /// and back up after --down-for, linkUp); default: never.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    flap_interval: Option<Duration>,
    /// How long a flapped interface stays down (each flap 0.5 to 1.5 times this).
    #[arg(long, value_parser = parse_duration, default_value = "15s", value_name = "DURATION")]
    down_for: Duration,
    /// Mean time between two restarts of one device (coldStart; sysUpTime and
    /// counters from zero); default: never.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    restart_interval: Option<Duration>,
    /// Send each device's linkDown/linkUp/coldStart traps (v2c) here, from the
    /// device's own address (repeatable).
    #[arg(long = "trap-target", value_name = "ADDR")]
    trap_targets: Vec<SocketAddr>,
    /// Community of the traps.
    #[arg(long, default_value = "public")]
    trap_community: String,
    /// Seed of the flaps and restarts (the same seed, the same changes).
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// The fleet the arguments describe.
pub(crate) fn fleet_spec(args: &AgentsArgs) -> anyhow::Result<FleetSpec> {
    let users = agent_users(&args.users, &args.rousers)?;
    let life =
        (args.flap_interval.is_some() || args.restart_interval.is_some()).then(|| LifeConfig {
            flap_interval: args.flap_interval.unwrap_or_default(),
            down_for: args.down_for,
            restart_interval: args.restart_interval.unwrap_or_default(),
            seed: args.seed,
        });
    Ok(FleetSpec {
        count: args.count,
        base: args.base,
        port: args.port,
        ports: args.ports,
        interfaces: args.interfaces,
        families: args.families.clone(),
        community: args.community.clone(),
        versions: args.versions.clone(),
        users,
        latency: args.latency,
        loss: args.loss,
        devices: args.devices.clone(),
        device_file: args.device_file.clone(),
        recording: args.recording.clone(),
        life,
    })
}

/// Runs the simulator until SIGINT or SIGTERM.
pub(crate) async fn run(args: &AgentsArgs) -> anyhow::Result<ExitCode> {
    let (config, layout) = fleet_spec(args)?.fleet_config()?;
    let built = Instant::now();
    let fleet = Arc::new(Fleet::build(&config)?);
    let build_time = built.elapsed();
    let server = SnmpSim::serve(
        Arc::clone(&fleet),
        layout,
        args.threads,
        &TrapTargets {
            targets: args.trap_targets.clone(),
            community: args.trap_community.clone(),
        },
        args.seed,
        Arc::new(SystemClock::new()),
    )?;
    let first = server
        .address(0)
        .ok_or_else(|| anyhow!("no device address"))?;
    let last = server
        .address(args.count - 1)
        .ok_or_else(|| anyhow!("no device address"))?;
    let instances: usize = fleet
        .agents()
        .iter()
        .map(|a| a.mib().len())
        .max()
        .unwrap_or(0);
    println!(
        "nocwatch sim agents: {} devices, {} to {} ({} interfaces, up to {} instances each, built in {:.0?})",
        args.count, first, last, args.interfaces, instances, build_time
    );
    if args.list || args.count <= 16 {
        for i in 0..args.count {
            if let (Some(addr), Some(spec)) = (server.address(i), fleet.spec(i as usize)) {
                println!("{addr} {} {}", spec.family.name(), spec.name());
            }
        }
    }
    if let Some(life) = &config.life {
        println!(
            "life: a flap every {} and a restart every {} per device on average (seed {}); traps to {}",
            life_text(life.flap_interval),
            life_text(life.restart_interval),
            life.seed,
            if args.trap_targets.is_empty() {
                "nowhere (--trap-target)".to_owned()
            } else {
                args.trap_targets
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
    }
    println!("ready; SIGINT or SIGTERM stops");
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    crate::shutdown::Shutdown::install()?.wait().await;
    let SimStats {
        agents,
        server,
        life,
        traps,
    } = server.stop();
    let (user, system) = FleetServer::process_cpu();
    println!(
        "stopped: {} requests, {} responses ({} errors, {} reports), {} varbinds, {} dropped",
        agents.requests,
        agents.responses,
        agents.error_responses,
        agents.reports,
        agents.varbinds_out,
        agents.dropped()
            + server.dropped_unknown_destination
            + server.dropped_delay_queue_full
            + server.dropped_receive_queue_full,
    );
    println!(
        "drops: malformed {}, bad community {}, unsupported {}, too big {}, bad version {}, loss {}, size quirk {}, usm {}, unknown destination {}, latency queue full {}, receive queue full {} (receive buffer {} bytes); send errors {}",
        agents.dropped_malformed,
        agents.dropped_bad_community,
        agents.dropped_unsupported,
        agents.dropped_too_big,
        agents.dropped_bad_version,
        agents.dropped_lost,
        agents.dropped_quirk_too_large,
        agents.dropped_usm,
        server.dropped_unknown_destination,
        server.dropped_delay_queue_full,
        server.dropped_receive_queue_full,
        server.receive_buffer,
        server.send_errors,
    );
    if config.life.is_some() {
        println!(
            "life: {} link downs, {} link ups, {} restarts; {} traps sent, {} send errors",
            life.link_downs, life.link_ups, life.restarts, traps.sent, traps.send_errors
        );
    }
    println!(
        "cpu: user {:.2} s, system {:.2} s",
        user.as_secs_f64(),
        system.as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// A mean interval as printed: "never" for zero.
fn life_text(d: Duration) -> String {
    if d.is_zero() {
        "never".to_owned()
    } else {
        nocwatch_model::duration::format_duration(d)
    }
}
