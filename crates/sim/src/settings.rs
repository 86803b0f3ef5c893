//! [`FleetSpec`]: a fleet described as `nocwatch sim agents` takes it (counts,
//! families, versions, per-device `SELECTOR=SETTING,...` lines and device files),
//! turned into a [`FleetConfig`] and a [`Layout`].
//!
//! The syntax lives here rather than in the binary because a device file is a file
//! format of the simulator, read the same way wherever a fleet is described; the
//! binary keeps only its flags. Every error names its origin (`--device "..."` or
//! `FILE line N`) so a typo in a 10,000-line file is found at once.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use nocwatch_snmp::Oid;
use nocwatch_snmp::security::UsmUser;

use crate::agent::{Access, Community, Versions};
use crate::dataset::Family;
use crate::error::SimError;
use crate::fleet::{DeviceOverride, FleetConfig, QuirksOverride};
use crate::fleet_server::Layout;
use crate::life::LifeConfig;
use crate::mib::Mib;
use crate::usm::UsmUsers;

fn bad(msg: impl Into<String>) -> SimError {
    SimError::Config(msg.into())
}

/// A fleet as `nocwatch sim agents` describes it.
#[derive(Debug, Clone)]
pub struct FleetSpec {
    /// Number of devices (at least 1).
    pub count: u32,
    /// The first device's address.
    pub base: Ipv4Addr,
    /// The UDP port (the first device's with `ports`).
    pub port: u16,
    /// One address, consecutive ports, instead of consecutive addresses.
    pub ports: bool,
    /// Interfaces per device.
    pub interfaces: u32,
    /// Family names, assigned round-robin (see [`Family::from_name`]).
    pub families: Vec<String>,
    /// The read-only community.
    pub community: String,
    /// Versions answered: `1`, `2c`, `3`.
    pub versions: Vec<String>,
    /// SNMPv3 users every device accepts.
    pub users: Vec<UsmUser>,
    /// Latency of every device.
    pub latency: Option<Duration>,
    /// Fraction of requests every device drops.
    pub loss: Option<f64>,
    /// `SELECTOR=SETTING[,SETTING...]` lines, applied after the device file.
    pub devices: Vec<String>,
    /// A file of `SELECTOR=SETTINGS` lines.
    pub device_file: Option<PathBuf>,
    /// Every device answers from this recording.
    pub recording: Option<PathBuf>,
    /// Flaps and restarts (generated devices only).
    pub life: Option<LifeConfig>,
}

/// Parses SNMP version names (`1`, `2c`, `3`, with or without a `v`).
pub fn parse_versions(
    list: impl IntoIterator<Item = impl AsRef<str>>,
) -> Result<Versions, SimError> {
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
            other => {
                return Err(bad(format!(
                    "unknown SNMP version {other:?} (use 1, 2c, 3)"
                )));
            }
        }
    }
    Ok(v)
}

/// A device selector (`127.1.0.5`, `127.1.0.5-127.1.0.9`, `:16105`, `#3`, `#3-7`,
/// `all`) resolved to an index range within `count` devices laid out as `layout`.
pub fn parse_selector(
    sel: &str,
    layout: &Layout,
    count: u32,
) -> Result<RangeInclusive<u32>, SimError> {
    let sel = sel.trim();
    if sel == "all" || sel == "*" {
        return Ok(0..=count.saturating_sub(1));
    }
    let (a, b) = match sel.split_once('-') {
        Some((a, b)) if !a.is_empty() => (a, Some(b)),
        _ => (sel, None),
    };
    let index_of = |s: &str| -> Result<u32, SimError> {
        if let Some(n) = s.strip_prefix('#') {
            return n
                .parse()
                .map_err(|_| bad(format!("bad device index {s:?}")));
        }
        match *layout {
            Layout::Ports { base_port, .. } => {
                let p: u16 = s
                    .trim_start_matches(':')
                    .parse()
                    .map_err(|_| bad(format!("bad port {s:?} (--ports mode selects by port)")))?;
                p.checked_sub(base_port)
                    .map(u32::from)
                    .ok_or_else(|| bad(format!("port {p} is below the first device's")))
            }
            Layout::Addresses { base, .. } => {
                let ip: Ipv4Addr = s.parse().map_err(|_| bad(format!("bad address {s:?}")))?;
                u32::from(ip)
                    .checked_sub(u32::from(base))
                    .ok_or_else(|| bad(format!("address {ip} is below the first device's")))
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
        return Err(bad(format!(
            "selector {sel:?} is outside the {count} devices"
        )));
    }
    Ok(first..=last)
}

/// Recordings loaded once per path, shared by every device that answers from one.
#[derive(Debug, Default)]
pub struct Recordings(HashMap<PathBuf, Arc<Mib>>);

impl Recordings {
    /// The view of the recording at `path` (read and parsed on first use).
    pub fn load(&mut self, path: &Path) -> Result<Arc<Mib>, SimError> {
        if let Some(m) = self.0.get(path) {
            return Ok(Arc::clone(m));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| bad(format!("reading recording {}: {e}", path.display())))?;
        let mib = Arc::new(
            crate::recording::recording_mib(&text)
                .map_err(|e| bad(format!("recording {}: {e}", path.display())))?,
        );
        self.0.insert(path.to_path_buf(), Arc::clone(&mib));
        Ok(mib)
    }
}

/// Parses `SETTING[,SETTING...]` (`versions:1+2c`, `family:junos`, `loss:0.1`,
/// `latency:20ms`, `toobig:N`, `nonincreasing:OID`, `badid[:N]`, `dropabove:BYTES`,
/// `recording:FILE`).
pub fn parse_settings(spec: &str, recordings: &mut Recordings) -> Result<DeviceOverride, SimError> {
    let mut o = DeviceOverride::default();
    let mut q = QuirksOverride::default();
    for setting in spec.split(',').filter(|s| !s.is_empty()) {
        let (key, value) = match setting.split_once(':') {
            Some((k, v)) => (k, Some(v)),
            None => (setting, None),
        };
        let need =
            |what: &str| value.ok_or_else(|| bad(format!("{key} needs a value: {key}:{what}")));
        let number = |what: &str| {
            let v = need(what)?;
            v.parse::<u64>()
                .map_err(|_| bad(format!("{key}:{what}: {v:?} is not a number")))
        };
        match key {
            "versions" => o.versions = Some(parse_versions(need("1+2c+3")?.split('+'))?),
            "family" => {
                let name = need("NAME")?;
                o.family = Some(
                    Family::from_name(name)
                        .ok_or_else(|| bad(format!("unknown family {name:?}")))?,
                );
            }
            "loss" => q.loss = Some(parse_loss(need("FRACTION")?)?),
            "latency" => {
                let v = need("DURATION")?;
                q.latency = Some(
                    nocwatch_model::duration::parse_duration(v)
                        .map_err(|e| bad(format!("latency: {e}")))?,
                );
            }
            "toobig" => {
                q.too_big_above = Some(usize::try_from(number("N")?).unwrap_or(usize::MAX));
            }
            "nonincreasing" => {
                let oid: Oid = need("OID")?
                    .trim_start_matches('.')
                    .parse()
                    .map_err(|e| bad(format!("nonincreasing:OID: {e}")))?;
                q.non_increasing_at = Some(oid);
            }
            "badid" => {
                q.wrong_request_id_every = Some(match value {
                    Some(_) => u32::try_from(number("N")?).unwrap_or(u32::MAX),
                    None => 1,
                });
            }
            "dropabove" => {
                q.drop_responses_above =
                    Some(usize::try_from(number("BYTES")?).unwrap_or(usize::MAX));
            }
            "recording" => {
                o.mib = Some(recordings.load(Path::new(need("FILE")?))?);
            }
            other => {
                return Err(bad(format!(
                    "unknown device setting {other:?} (see nocwatch sim agents --help)"
                )));
            }
        }
    }
    o.quirks = q;
    Ok(o)
}

/// Parses a loss fraction (0 to 1).
pub fn parse_loss(s: &str) -> Result<f64, SimError> {
    let v: f64 = s.parse().map_err(|_| bad(format!("bad loss {s:?}")))?;
    if !(0.0..=1.0).contains(&v) {
        return Err(bad(format!("loss {v} is not between 0 and 1")));
    }
    Ok(v)
}

/// The `SELECTOR=SETTINGS` lines of a device file, each with its origin
/// (`FILE line N`). `# ` (hash, space) starts a comment; `#12=...` is an index
/// selector.
pub fn device_file_lines(text: &str, name: &str) -> Vec<(String, String)> {
    let mut lines = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        let line = if line == "#" || line.starts_with("# ") {
            ""
        } else {
            line.split(" # ").next().unwrap_or("").trim()
        };
        if !line.is_empty() {
            lines.push((format!("{name} line {}", n + 1), line.to_string()));
        }
    }
    lines
}

impl FleetSpec {
    /// Where the devices answer.
    pub fn layout(&self) -> Layout {
        if self.ports {
            Layout::Ports {
                addr: self.base,
                base_port: self.port,
            }
        } else {
            Layout::Addresses {
                base: self.base,
                port: self.port,
            }
        }
    }

    /// The fleet configuration and layout this spec describes.
    pub fn fleet_config(&self) -> Result<(FleetConfig, Layout), SimError> {
        if self.count == 0 {
            return Err(bad("--count must be at least 1"));
        }
        let layout = self.layout();
        let families = self
            .families
            .iter()
            .map(|f| Family::from_name(f).ok_or_else(|| bad(format!("unknown family {f:?}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let mut config = FleetConfig {
            count: self.count,
            interfaces: self.interfaces,
            families,
            life: self.life,
            ..FleetConfig::default()
        };
        config.agent.communities =
            vec![Community::new(self.community.as_bytes(), Access::ReadOnly)];
        config.agent.versions = parse_versions(&self.versions)?;
        if let Some(l) = self.latency {
            config.agent.quirks.latency = l;
        }
        if let Some(l) = self.loss {
            config.agent.quirks.loss = parse_loss(&l.to_string())?;
        }
        if !self.users.is_empty() {
            config.users = Some(Arc::new(UsmUsers::new(self.users.clone())?));
        }
        let mut recordings = Recordings::default();
        if let Some(path) = &self.recording {
            let all = DeviceOverride {
                mib: Some(recordings.load(path)?),
                ..DeviceOverride::default()
            };
            config.overrides.push((0..=self.count - 1, all));
        }
        let mut lines: Vec<(String, String)> = Vec::new();
        if let Some(path) = &self.device_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| bad(format!("reading {}: {e}", path.display())))?;
            lines.extend(device_file_lines(&text, &path.display().to_string()));
        }
        lines.extend(
            self.devices
                .iter()
                .map(|d| (format!("--device {d:?}"), d.clone())),
        );
        for (origin, d) in &lines {
            let (sel, settings) = d
                .split_once('=')
                .ok_or_else(|| bad(format!("{origin}: expected SELECTOR=SETTING[,SETTING...]")))?;
            let range = parse_selector(sel, &layout, self.count)
                .map_err(|e| bad(format!("{origin}: {e}")))?;
            let o = parse_settings(settings, &mut recordings)
                .map_err(|e| bad(format!("{origin}: {e}")))?;
            config.overrides.push((range, o));
        }
        Ok((config, layout))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

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
            "latency:7",
            "recording:/nonexistent",
        ] {
            assert!(parse_settings(bad, &mut r).is_err(), "{bad}");
        }
    }

    #[test]
    fn device_files_skip_comments_and_name_lines() {
        let lines = device_file_lines(
            "# a comment\n\n#3=toobig:5  # trailing\nall=loss:0.1\n#\n",
            "f.txt",
        );
        assert_eq!(
            lines,
            vec![
                ("f.txt line 3".to_owned(), "#3=toobig:5".to_owned()),
                ("f.txt line 4".to_owned(), "all=loss:0.1".to_owned()),
            ]
        );
    }
}
