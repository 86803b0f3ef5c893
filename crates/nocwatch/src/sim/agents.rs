//! `nocwatch sim agents`: a fleet of simulated SNMP agents (crates/sim) on loopback.

use std::net::Ipv4Addr;
use std::ops::RangeInclusive;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use clap::Args;
use nocwatch_sim::{
    Access, Community, DeviceOverride, Family, Fleet, FleetConfig, FleetServer, Layout,
    QuirksOverride, UsmUsers, Versions,
};
use nocwatch_snmp::Oid;
use nocwatch_snmp::crypto::{AuthProtocol, PrivProtocol};
use nocwatch_snmp::security::{SecurityLevel, UsmUser};

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
  --user NAME:LEVEL[:AUTH:AUTHPASS[:PRIV:PRIVPASS]], repeatable, e.g.
  --user simuser:authPriv:SHA-256:authpass123:AES:privpass123. LEVEL is the lowest
  level accepted (noAuthNoPriv, authNoPriv, authPriv). AUTH: MD5, SHA, SHA-224,
  SHA-256, SHA-384, SHA-512; PRIV: DES, AES, AES-192, AES-256, AES-192-C, AES-256-C,
  3DES. Each device is its own authoritative engine (engine ID 80000000 05 'sim' and
  the device index), so managers discover it as they would a real device.

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
    /// SNMPv3 user NAME:LEVEL[:AUTH:AUTHPASS[:PRIV:PRIVPASS]] (repeatable).
    #[arg(long = "user", value_name = "SPEC")]
    users: Vec<String>,
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
}

/// Parses `250us`, `20ms`, `1.5s`, or a bare number of milliseconds.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => s.split_at(i),
        None => (s, "ms"),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("invalid duration {s:?}: expected e.g. 20ms"))?;
    let secs = match unit {
        "us" | "µs" => v / 1e6,
        "ms" => v / 1e3,
        "s" => v,
        _ => return Err(format!("invalid duration unit {unit:?}: use us, ms or s")),
    };
    if !(0.0..=3600.0).contains(&secs) {
        return Err(format!("duration {s:?} out of range (0 to 1 hour)"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn parse_versions(list: impl IntoIterator<Item = impl AsRef<str>>) -> anyhow::Result<Versions> {
    let mut v = Versions {
        v1: false,
        v2c: false,
        v3: false,
    };
    for item in list {
        match item.as_ref().trim() {
            "1" | "v1" => v.v1 = true,
            "2c" | "v2c" | "2" => v.v2c = true,
            "3" | "v3" => v.v3 = true,
            other => bail!("unknown SNMP version {other:?} (use 1, 2c, 3)"),
        }
    }
    Ok(v)
}

/// Parses `NAME:LEVEL[:AUTH:AUTHPASS[:PRIV:PRIVPASS]]`: the user gets keys for every
/// pass phrase given, and LEVEL is the lowest level accepted from it.
pub(crate) fn parse_user(spec: &str) -> anyhow::Result<UsmUser> {
    let parts: Vec<&str> = spec.split(':').collect();
    let usage = || anyhow!("--user {spec:?}: expected NAME:LEVEL[:AUTH:AUTHPASS[:PRIV:PRIVPASS]]");
    let (name, floor) = match parts.as_slice() {
        [name, level, ..] if matches!(parts.len(), 2 | 4 | 6) => {
            (*name, level.parse::<SecurityLevel>()?)
        }
        _ => return Err(usage()),
    };
    let auth = match parts.get(2..4) {
        Some([p, pw]) => Some((p.parse::<AuthProtocol>()?, pw.as_bytes())),
        _ => None,
    };
    let privacy = match parts.get(4..6) {
        Some([p, pw]) => Some((p.parse::<PrivProtocol>()?, pw.as_bytes())),
        _ => None,
    };
    let pass_phrases = auth.map(|a| a.1).into_iter().chain(privacy.map(|p| p.1));
    if pass_phrases.into_iter().any(|pw| pw.len() < 8) {
        bail!("--user {spec:?}: pass phrases are at least 8 characters");
    }
    let keys_for = match (auth, privacy) {
        (Some(_), Some(_)) => SecurityLevel::AuthPriv,
        (Some(_), None) => SecurityLevel::AuthNoPriv,
        _ => SecurityLevel::NoAuthNoPriv,
    };
    let rank = |l| match l {
        SecurityLevel::NoAuthNoPriv => 0,
        SecurityLevel::AuthNoPriv => 1,
        SecurityLevel::AuthPriv => 2,
    };
    if rank(floor) > rank(keys_for) {
        bail!("--user {spec:?}: level {floor:?} needs more pass phrases");
    }
    let mut user = UsmUser::new(name.as_bytes(), keys_for, auth, privacy)
        .with_context(|| format!("--user {spec:?}"))?;
    user.level = floor;
    Ok(user)
}

/// A device selector resolved to an index range.
fn parse_selector(sel: &str, layout: &Layout, count: u32) -> anyhow::Result<RangeInclusive<u32>> {
    let sel = sel.trim();
    if sel == "all" || sel == "*" {
        return Ok(0..=count.saturating_sub(1));
    }
    let (a, b) = match sel.split_once('-') {
        Some((a, b)) if !a.is_empty() => (a, Some(b)),
        _ => (sel, None),
    };
    let index_of = |s: &str| -> anyhow::Result<u32> {
        if let Some(n) = s.strip_prefix('#') {
            return n.parse().with_context(|| format!("bad device index {s:?}"));
        }
        match *layout {
            Layout::Ports { base_port, .. } => {
                let p: u16 = s
                    .trim_start_matches(':')
                    .parse()
                    .with_context(|| format!("bad port {s:?} (--ports mode selects by port)"))?;
                p.checked_sub(base_port)
                    .map(u32::from)
                    .ok_or_else(|| anyhow!("port {p} is below the first device's"))
            }
            Layout::Addresses { base, .. } => {
                let ip: Ipv4Addr = s.parse().with_context(|| format!("bad address {s:?}"))?;
                u32::from(ip)
                    .checked_sub(u32::from(base))
                    .ok_or_else(|| anyhow!("address {ip} is below the first device's"))
            }
        }
    };
    let first = index_of(a)?;
    let last = match b {
        Some(b) => {
            // `#3-7` and `:16103-16107` carry the prefix once.
            let b = if a.starts_with('#') && !b.starts_with('#') {
                format!("#{b}")
            } else {
                b.to_string()
            };
            index_of(&b)?
        }
        None => first,
    };
    if first > last || last >= count {
        bail!("selector {sel:?} is outside the {count} devices");
    }
    Ok(first..=last)
}

/// Loads recordings once per path.
#[derive(Debug, Default)]
struct Recordings(std::collections::HashMap<std::path::PathBuf, Arc<nocwatch_sim::Mib>>);

impl Recordings {
    fn load(&mut self, path: &std::path::Path) -> anyhow::Result<Arc<nocwatch_sim::Mib>> {
        if let Some(m) = self.0.get(path) {
            return Ok(Arc::clone(m));
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading recording {}", path.display()))?;
        let mib = Arc::new(
            nocwatch_sim::recording_mib(&text)
                .with_context(|| format!("recording {}", path.display()))?,
        );
        self.0.insert(path.to_path_buf(), Arc::clone(&mib));
        Ok(mib)
    }
}

fn parse_settings(spec: &str, recordings: &mut Recordings) -> anyhow::Result<DeviceOverride> {
    let mut o = DeviceOverride::default();
    let mut q = QuirksOverride::default();
    for setting in spec.split(',').filter(|s| !s.is_empty()) {
        let (key, value) = match setting.split_once(':') {
            Some((k, v)) => (k, Some(v)),
            None => (setting, None),
        };
        let need = |what: &str| value.ok_or_else(|| anyhow!("{key} needs a value: {key}:{what}"));
        match key {
            "versions" => o.versions = Some(parse_versions(need("1+2c+3")?.split('+'))?),
            "family" => {
                let name = need("NAME")?;
                o.family = Some(
                    Family::from_name(name).ok_or_else(|| anyhow!("unknown family {name:?}"))?,
                );
            }
            "loss" => q.loss = Some(parse_loss(need("FRACTION")?)?),
            "latency" => {
                q.latency = Some(parse_duration(need("DURATION")?).map_err(|e| anyhow!(e))?)
            }
            "toobig" => q.too_big_above = Some(need("N")?.parse().context("toobig:N")?),
            "nonincreasing" => {
                let oid: Oid = need("OID")?
                    .trim_start_matches('.')
                    .parse()
                    .context("nonincreasing:OID")?;
                q.non_increasing_at = Some(oid);
            }
            "badid" => {
                q.wrong_request_id_every = Some(match value {
                    Some(n) => n.parse().context("badid:N")?,
                    None => 1,
                });
            }
            "dropabove" => {
                q.drop_responses_above = Some(need("BYTES")?.parse().context("dropabove:BYTES")?);
            }
            "recording" => {
                o.mib = Some(recordings.load(std::path::Path::new(need("FILE")?))?);
            }
            other => bail!("unknown device setting {other:?} (see nocwatch sim agents --help)"),
        }
    }
    o.quirks = q;
    Ok(o)
}

fn parse_loss(s: &str) -> anyhow::Result<f64> {
    let v: f64 = s.parse().with_context(|| format!("bad loss {s:?}"))?;
    if !(0.0..=1.0).contains(&v) {
        bail!("loss {v} is not between 0 and 1");
    }
    Ok(v)
}

/// Builds the fleet configuration and layout from the arguments.
pub(crate) fn fleet_config(args: &AgentsArgs) -> anyhow::Result<(FleetConfig, Layout)> {
    if args.count == 0 {
        bail!("--count must be at least 1");
    }
    let layout = if args.ports {
        Layout::Ports {
            addr: args.base,
            base_port: args.port,
        }
    } else {
        Layout::Addresses {
            base: args.base,
            port: args.port,
        }
    };
    let families = args
        .families
        .iter()
        .map(|f| Family::from_name(f).ok_or_else(|| anyhow!("unknown family {f:?}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut config = FleetConfig {
        count: args.count,
        interfaces: args.interfaces,
        families,
        ..FleetConfig::default()
    };
    config.agent.communities = vec![Community::new(args.community.as_bytes(), Access::ReadOnly)];
    config.agent.versions = parse_versions(&args.versions)?;
    if let Some(l) = args.latency {
        config.agent.quirks.latency = l;
    }
    if let Some(l) = args.loss {
        config.agent.quirks.loss = parse_loss(&l.to_string())?;
    }
    if !args.users.is_empty() {
        let users = args
            .users
            .iter()
            .map(|u| parse_user(u))
            .collect::<anyhow::Result<Vec<_>>>()?;
        config.users = Some(Arc::new(UsmUsers::new(users)?));
    }
    let mut recordings = Recordings::default();
    if let Some(path) = &args.recording {
        let all = DeviceOverride {
            mib: Some(recordings.load(path)?),
            ..DeviceOverride::default()
        };
        config.overrides.push((0..=args.count - 1, all));
    }
    let mut lines: Vec<(String, String)> = Vec::new();
    if let Some(path) = &args.device_file {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        for (n, line) in text.lines().enumerate() {
            // `# ` (hash, space) starts a comment; `#12=...` is an index selector.
            let line = line.trim();
            let line = if line == "#" || line.starts_with("# ") {
                ""
            } else {
                line.split(" # ").next().unwrap_or("").trim()
            };
            if !line.is_empty() {
                lines.push((
                    format!("{} line {}", path.display(), n + 1),
                    line.to_string(),
                ));
            }
        }
    }
    lines.extend(
        args.devices
            .iter()
            .map(|d| (format!("--device {d:?}"), d.clone())),
    );
    for (origin, d) in &lines {
        let (sel, settings) = d
            .split_once('=')
            .ok_or_else(|| anyhow!("{origin}: expected SELECTOR=SETTING[,SETTING...]"))?;
        let range = parse_selector(sel, &layout, args.count).with_context(|| origin.clone())?;
        let o = parse_settings(settings, &mut recordings).with_context(|| origin.clone())?;
        config.overrides.push((range, o));
    }
    Ok((config, layout))
}

/// Runs the simulator until SIGINT or SIGTERM.
pub(crate) async fn run(args: &AgentsArgs) -> anyhow::Result<ExitCode> {
    let (config, layout) = fleet_config(args)?;
    let built = Instant::now();
    let fleet = Arc::new(Fleet::build(&config)?);
    let build_time = built.elapsed();
    let server = FleetServer::start(Arc::clone(&fleet), layout, args.threads)?;
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
    println!("ready; SIGINT or SIGTERM stops");
    use std::io::Write as _;
    let _ = std::io::stdout().flush();
    crate::shutdown::Shutdown::install()?.wait().await;
    let (agents, server) = server.stop();
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
    println!(
        "cpu: user {:.2} s, system {:.2} s",
        user.as_secs_f64(),
        system.as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("20ms"), Ok(Duration::from_millis(20)));
        assert_eq!(parse_duration("250us"), Ok(Duration::from_micros(250)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_millis(7)));
        assert!(parse_duration("5min").is_err());
        assert!(parse_duration("-1ms").is_err());
        assert!(parse_duration("fast").is_err());
    }

    #[test]
    fn users() {
        let u = parse_user("ops:authNoPriv:SHA-256:authpass123:AES:privpass123").unwrap();
        assert_eq!(u.level, SecurityLevel::AuthNoPriv);
        assert!(u.auth.is_some() && u.privacy.is_some());
        let u = parse_user("anon:noAuthNoPriv").unwrap();
        assert!(u.auth.is_none());
        assert!(
            parse_user("x:authPriv:SHA:authpass123").is_err(),
            "level above keys"
        );
        assert!(
            parse_user("x:authNoPriv:SHA:short").is_err(),
            "short pass phrase"
        );
        assert!(parse_user("x:authNoPriv:SHA").is_err(), "unpaired");
        assert!(parse_user("x:authNoPriv:ROT13:authpass123").is_err());
        assert!(parse_user("x").is_err());
    }

    #[test]
    fn selectors() {
        let addrs = Layout::Addresses {
            base: Ipv4Addr::new(127, 1, 0, 1),
            port: 1161,
        };
        assert_eq!(parse_selector("127.1.0.5", &addrs, 10).unwrap(), 4..=4);
        assert_eq!(
            parse_selector("127.1.0.5-127.1.0.7", &addrs, 10).unwrap(),
            4..=6
        );
        assert_eq!(parse_selector("#2-3", &addrs, 10).unwrap(), 2..=3);
        assert_eq!(parse_selector("all", &addrs, 10).unwrap(), 0..=9);
        assert!(
            parse_selector("127.1.0.11", &addrs, 10).is_err(),
            "past the end"
        );
        assert!(
            parse_selector("127.0.0.1", &addrs, 10).is_err(),
            "before the base"
        );
        let ports = Layout::Ports {
            addr: Ipv4Addr::LOCALHOST,
            base_port: 16100,
        };
        assert_eq!(parse_selector(":16102", &ports, 5).unwrap(), 2..=2);
        assert_eq!(parse_selector("16101-16104", &ports, 5).unwrap(), 1..=4);
    }

    #[test]
    fn settings() {
        let mut r = Recordings::default();
        let o = parse_settings(
            "toobig:20,nonincreasing:.1.3.6.1.2.1.2.2.1.2.3,badid:3,dropabove:1400,loss:0.25,latency:5ms,versions:1+3,family:junos",
            &mut r,
        )
        .unwrap();
        assert_eq!(o.quirks.too_big_above, Some(20));
        assert_eq!(
            o.quirks.non_increasing_at,
            Some("1.3.6.1.2.1.2.2.1.2.3".parse().unwrap())
        );
        assert_eq!(o.quirks.wrong_request_id_every, Some(3));
        assert_eq!(o.quirks.drop_responses_above, Some(1400));
        assert_eq!(o.quirks.loss, Some(0.25));
        assert_eq!(o.quirks.latency, Some(Duration::from_millis(5)));
        assert_eq!(
            o.versions,
            Some(Versions {
                v1: true,
                v2c: false,
                v3: true
            })
        );
        assert_eq!(o.family, Some(Family::Junos));
        assert_eq!(
            parse_settings("badid", &mut r)
                .unwrap()
                .quirks
                .wrong_request_id_every,
            Some(1)
        );
        for bad in [
            "loss:2",
            "toobig",
            "frobnicate:1",
            "versions:4",
            "recording:/nonexistent",
        ] {
            assert!(parse_settings(bad, &mut r).is_err(), "{bad}");
        }
    }
}
