//! The trap storm sender behind `nocwatch sim storm`: paced SNMPv2c traps from many
//! loopback sources, for benchmarks of trap receivers.
//!
//! Every trap is encoded once, before the clock starts; sending only copies a
//! template into a batch slot and patches its request-id (and, with `stamp`, the
//! send time) in place, so the sender is bound by the syscall, not by encoding. Each
//! source address (127.1.x.y, 127.2.0.1 for the noisy one) has its own socket,
//! connected to the target, and a batch goes out in one sendmmsg.
//!
//! Pacing: at every turn of the loop each lane (the regular sources, the noisy
//! source) sends what it owes by now (`rate × elapsed − sent`) once that is at least
//! 100 µs worth, in batches; then the loop sleeps until a lane next owes that much,
//! so the offered rate is exact over any window longer than 100 µs.

use std::io::IoSlice;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::errno::Errno;
use nix::sys::socket::{
    ControlMessage, MsgFlags, MultiHeaders, SockaddrStorage, sendmmsg, setsockopt, sockopt,
};
use nocwatch_snmp::oids;
use nocwatch_snmp::{CommunityMessage, Oid, Pdu, PduType, Pdus, Value, VarBind, VarBinds, Version};

use crate::error::SimError;

/// The notifications a storm is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mix {
    /// IF-MIB linkDown only.
    LinkDown,
    /// linkDown and linkUp, alternating (a flapping port).
    Flap,
    /// BGP4-MIB bgpBackwardTransition and bgpEstablished, alternating.
    Bgp,
    /// 45 % linkDown, 45 % linkUp, 10 % BGP.
    Mixed,
}

/// What to send.
#[derive(Debug, Clone, PartialEq)]
pub struct StormConfig {
    /// Where to send (IPv4).
    pub target: SocketAddr,
    /// Traps per second from the regular sources together (0: as fast as possible).
    pub rate: f64,
    /// How long to send.
    pub duration: Duration,
    /// Stop after this many regular traps (the duration still bounds the run).
    pub count: Option<u64>,
    /// Regular source addresses (127.1.x.y), sending round-robin (1 to 60,000).
    pub sources: u32,
    /// Which traps.
    pub mix: Mix,
    /// One noisy source (127.2.0.1) sending this many traps per second.
    pub noisy_rate: Option<f64>,
    /// Community.
    pub community: String,
    /// Put the send time (µs since the UNIX epoch, a Counter64 under
    /// NET-SNMP-MIB's netSnmpPlaypen .1.3.6.1.4.1.8072.9999.9999.1.0) in every trap.
    pub stamp: bool,
    /// Datagrams per sendmmsg (1 to 1024).
    pub batch: u32,
}

/// What a storm sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StormReport {
    /// Traps the kernel took (regular and noisy).
    pub sent: u64,
    /// Sends refused (ECONNREFUSED, ENOBUFS...), counted, not retried.
    pub send_errors: u64,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Regular traps the kernel took.
    pub regular_sent: u64,
    /// Noisy traps the kernel took.
    pub noisy_sent: u64,
    /// Size of one trap (the first template).
    pub pkt_bytes: usize,
}

impl StormReport {
    /// Traps per second actually sent.
    pub fn rate(&self) -> f64 {
        self.sent as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

fn bad(msg: impl Into<String>) -> SimError {
    SimError::Config(msg.into())
}

fn io(op: &'static str) -> impl FnOnce(std::io::Error) -> SimError {
    move |source| SimError::Io { op, source }
}

/// The stamp's OID (netSnmpPlaypen.1.0).
const STAMP_OID: &str = "1.3.6.1.4.1.8072.9999.9999.1.0";
/// A request-id placeholder that encodes in 4 bytes, found again after encoding.
const RID_MARK: i32 = 0x0123_4567;
/// A stamp placeholder whose Counter64 encodes in 7 content bytes, like every
/// µs-since-epoch value until the year 3000.
const STAMP_MARK: u64 = 0x0001_2345_6789_abcd;

/// One pre-encoded trap and where to patch it.
#[derive(Debug, Clone)]
struct Template {
    bytes: Vec<u8>,
    rid_at: usize,
    stamp_at: Option<usize>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn oid(text: &str) -> Result<Oid, SimError> {
    Ok(text.parse::<Oid>()?)
}

/// Encodes trap number `k` of a source (`k` picks the kind per the mix and the
/// interface / peer it is about).
fn template(mix: Mix, k: u32, community: &[u8], stamp: bool) -> Result<Template, SimError> {
    let kind = match mix {
        Mix::LinkDown => 0,
        Mix::Flap => k % 2,
        Mix::Bgp => 2 + k % 2,
        Mix::Mixed => match k % 20 {
            0 => 2,
            1 => 3,
            n => n % 2,
        },
    };
    let if_index = 1 + k % 48;
    let peer = [10, 0, u8::try_from(k % 200).unwrap_or(0), 1];
    let up = oid(&oids::text(oids::SYS_UPTIME_0))?;
    let trap_oid_name = oid(&oids::text(oids::SNMP_TRAP_OID_0))?;
    let trap_oid = oid(match kind {
        0 => "1.3.6.1.6.3.1.1.5.3",
        1 => "1.3.6.1.6.3.1.1.5.4",
        2 => "1.3.6.1.2.1.15.7.2",
        _ => "1.3.6.1.2.1.15.7.1",
    })?;
    // (name, Ok(integer) | Err(octets))
    let mut owned: Vec<(Oid, Result<i64, Vec<u8>>)> = Vec::new();
    if kind < 2 {
        let status = if kind == 0 { 2 } else { 1 };
        let column = |c: u32| oid(&format!("1.3.6.1.2.1.2.2.1.{c}.{if_index}"));
        owned.push((column(1)?, Ok(i64::from(if_index))));
        owned.push((column(7)?, Ok(1)));
        owned.push((column(8)?, Ok(status)));
        owned.push((
            column(2)?,
            Err(format!("GigabitEthernet0/{if_index}").into_bytes()),
        ));
    } else {
        let idx = format!("{}.{}.{}.{}", peer[0], peer[1], peer[2], peer[3]);
        // bgpPeerLastError, bgpPeerState (idle after a backward transition).
        owned.push((
            oid(&format!("1.3.6.1.2.1.15.3.1.14.{idx}"))?,
            Err(vec![6, 4]),
        ));
        owned.push((
            oid(&format!("1.3.6.1.2.1.15.3.1.2.{idx}"))?,
            Ok(if kind == 2 { 1 } else { 6 }),
        ));
    }
    let stamp_oid = oid(STAMP_OID)?;
    let mut vbs = vec![
        VarBind {
            name: up.as_oid_ref(),
            value: Value::TimeTicks(123_456),
        },
        VarBind {
            name: trap_oid_name.as_oid_ref(),
            value: Value::ObjectIdentifier(trap_oid.as_oid_ref()),
        },
    ];
    for (name, value) in &owned {
        vbs.push(VarBind {
            name: name.as_oid_ref(),
            value: match value {
                Ok(i) => Value::Integer(*i),
                Err(b) => Value::OctetString(b),
            },
        });
    }
    if stamp {
        vbs.push(VarBind {
            name: stamp_oid.as_oid_ref(),
            value: Value::Counter64(STAMP_MARK),
        });
    }
    let mut bytes = Vec::new();
    CommunityMessage {
        version: Version::V2c,
        community,
        pdu: Pdus::Pdu(Pdu::new(
            PduType::SnmpV2Trap,
            RID_MARK,
            VarBinds::from_slice(&vbs),
        )),
    }
    .encode(&mut bytes);
    let rid_at = find(&bytes, &[0x02, 0x04, 0x01, 0x23, 0x45, 0x67])
        .ok_or_else(|| bad("request-id not found in the template"))?
        + 2;
    let stamp_at = if stamp {
        let mut mark = vec![0x46, 0x07];
        mark.extend_from_slice(&STAMP_MARK.to_be_bytes()[1..]);
        Some(find(&bytes, &mark).ok_or_else(|| bad("stamp not found in the template"))? + 2)
    } else {
        None
    };
    Ok(Template {
        bytes,
        rid_at,
        stamp_at,
    })
}

/// Traps per source template set: distinct interfaces/peers per source.
const TEMPLATES_PER_SOURCE: u32 = 20;

/// A group of sources sending at one rate.
struct Lane {
    sockets: Vec<UdpSocket>,
    rate: f64,
    limit: u64,
    sent: u64,
    errors: u64,
    next_socket: usize,
    /// Per source: the next template, so each source's traps differ from each other.
    next_template: Vec<u32>,
    templates: Vec<Template>,
    slots: Vec<Vec<u8>>,
    headers: MultiHeaders<SockaddrStorage>,
}

impl Lane {
    /// Traps sent per turn: 100 µs worth of the rate, 1 to `batch`.
    fn step(&self, batch: usize) -> usize {
        if self.rate <= 0.0 {
            batch
        } else {
            ((self.rate * 1e-4) as usize).clamp(1, batch)
        }
    }

    fn owed(&self, elapsed: f64) -> u64 {
        let due = if self.rate <= 0.0 {
            u64::MAX
        } else {
            (self.rate * elapsed) as u64
        };
        due.min(self.limit).saturating_sub(self.sent)
    }

    /// Sends up to `n` traps from the next source, in one sendmmsg.
    fn send_batch(&mut self, n: usize, rid: &mut u32) {
        let Some(socket) = self.sockets.get(self.next_socket) else {
            return;
        };
        let n = n.min(self.slots.len());
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(0));
        let Some(next) = self.next_template.get_mut(self.next_socket) else {
            return;
        };
        for slot in self.slots.iter_mut().take(n) {
            let t = &self.templates[(*next as usize) % self.templates.len()];
            *next = next.wrapping_add(1);
            slot.clear();
            slot.extend_from_slice(&t.bytes);
            *rid = if *rid >= 0x7fff_fff0 {
                0x0100_0000
            } else {
                *rid + 1
            };
            if let Some(p) = slot.get_mut(t.rid_at..t.rid_at + 4) {
                p.copy_from_slice(&rid.to_be_bytes());
            }
            if let Some(at) = t.stamp_at
                && let Some(p) = slot.get_mut(at..at + 7)
            {
                p.copy_from_slice(&stamp.to_be_bytes()[1..]);
            }
        }
        let iovs: Vec<[IoSlice<'_>; 1]> = self
            .slots
            .iter()
            .take(n)
            .map(|s| [IoSlice::new(s)])
            .collect();
        let addrs: Vec<Option<SockaddrStorage>> = vec![None; n];
        let cmsgs: [ControlMessage<'_>; 0] = [];
        match sendmmsg(
            socket.as_raw_fd(),
            &mut self.headers,
            &iovs,
            &addrs,
            cmsgs,
            MsgFlags::empty(),
        ) {
            Ok(r) => {
                // `sent` counts attempts (it paces the lane); `errors` the refused.
                let k = r.count() as u64;
                self.sent += n as u64;
                self.errors += n as u64 - k;
            }
            Err(Errno::EINTR) => {}
            Err(_) => {
                // ECONNREFUSED (nobody listening yet), ENOBUFS: counted, not retried.
                self.sent += n as u64;
                self.errors += n as u64;
            }
        }
        self.next_socket = (self.next_socket + 1) % self.sockets.len();
    }
}

fn source_socket(ip: Ipv4Addr, target: SocketAddr) -> Result<UdpSocket, SimError> {
    let bind_ip = if target.ip().is_loopback() {
        IpAddr::V4(ip)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    };
    let s = UdpSocket::bind((bind_ip, 0)).map_err(io("binding a storm source"))?;
    let _ = setsockopt(&s, sockopt::SndBuf, &(4 << 20));
    s.connect(target).map_err(io("connecting a storm source"))?;
    Ok(s)
}

fn regular_ip(i: u32) -> Ipv4Addr {
    Ipv4Addr::new(
        127,
        1,
        u8::try_from(i / 250).unwrap_or(255),
        u8::try_from(i % 250 + 1).unwrap_or(1),
    )
}

/// Sends the storm `args` describes (blocking: it paces with sleeps) and reports
/// what went out.
pub fn storm(args: &StormConfig) -> Result<StormReport, SimError> {
    if args.duration.is_zero() {
        return Err(bad("the duration must be positive"));
    }
    if !args.target.is_ipv4() {
        return Err(bad(
            "the target must be an IPv4 address (sources are 127.x.y.z)",
        ));
    }
    if !(1..=60_000).contains(&args.sources) || !(1..=1024).contains(&args.batch) {
        return Err(bad("sources must be in 1..=60000 and batch in 1..=1024"));
    }
    let batch = args.batch as usize;
    let community = args.community.as_bytes();
    let make_lane =
        |ips: Vec<Ipv4Addr>, rate: f64, limit: u64, seed: u32| -> Result<Lane, SimError> {
            let sockets = ips
                .into_iter()
                .map(|ip| source_socket(ip, args.target))
                .collect::<Result<Vec<_>, SimError>>()?;
            let templates = (0..TEMPLATES_PER_SOURCE)
                .map(|k| template(args.mix, k + seed, community, args.stamp))
                .collect::<Result<Vec<_>, SimError>>()?;
            let next_template = (0..sockets.len())
                .map(|i| u32::try_from(i).unwrap_or(0))
                .collect();
            Ok(Lane {
                sockets,
                rate,
                limit,
                sent: 0,
                errors: 0,
                next_socket: 0,
                next_template,
                templates,
                slots: vec![Vec::with_capacity(512); batch],
                headers: MultiHeaders::preallocate(batch, None),
            })
        };
    let mut lanes = vec![make_lane(
        (0..args.sources).map(regular_ip).collect(),
        args.rate,
        args.count.unwrap_or(u64::MAX),
        0,
    )?];
    if let Some(r) = args.noisy_rate {
        lanes.push(make_lane(
            vec![Ipv4Addr::new(127, 2, 0, 1)],
            r,
            u64::MAX,
            7,
        )?);
    }

    let total = args.duration;
    let mut rid = 0x0100_0000u32;
    let t0 = Instant::now();
    loop {
        let elapsed = t0.elapsed();
        if elapsed >= total || lanes.iter().all(|l| l.sent >= l.limit) {
            break;
        }
        let secs = elapsed.as_secs_f64();
        for lane in &mut lanes {
            let mut owed = lane.owed(secs);
            // At max rate, one batch per lane per turn keeps the lanes interleaved.
            if lane.rate <= 0.0 {
                owed = owed.min(batch as u64);
            }
            // A lane waits until it owes a step's worth, so high rates go out in
            // full sendmmsg batches and low rates trap by trap; each batch comes
            // from the next source.
            let step = lane.step(batch);
            if owed < step as u64 {
                continue;
            }
            // At most a step per source in a row: at low rates every trap comes from
            // the next source, so N sources at R/N each really send R/N each.
            while owed > 0 {
                let k = step.min(usize::try_from(owed).unwrap_or(step));
                lane.send_batch(k, &mut rid);
                owed -= k as u64;
            }
        }
        // Sleep until a lane next owes a step.
        let next_due = lanes
            .iter()
            .filter(|l| l.rate > 0.0 && l.sent < l.limit)
            .map(|l| (l.sent + l.step(batch) as u64) as f64 / l.rate)
            .fold(f64::INFINITY, f64::min);
        if lanes.iter().all(|l| l.sent >= l.limit) {
            break;
        }
        if lanes.iter().any(|l| l.rate <= 0.0 && l.sent < l.limit) {
            continue;
        }
        // Sleep, never spin: on a small machine a spinning sender takes a core from
        // the receiver it measures (a 100k/s lane owes a step every 100 µs, so
        // spinning until then kept one core busy). A sleep overshoots by tens of µs;
        // `owed` catches up at the next turn, so the rate stays exact.
        let wait = next_due.min(total.as_secs_f64()) - t0.elapsed().as_secs_f64();
        if wait > 0.0 {
            std::thread::sleep(Duration::from_secs_f64(wait));
        }
    }
    let elapsed = t0.elapsed();
    let regular = &lanes[0];
    let noisy = lanes.get(1);
    let sent = regular.sent + noisy.map_or(0, |l| l.sent);
    let errors = regular.errors + noisy.map_or(0, |l| l.errors);
    Ok(StormReport {
        sent: sent - errors,
        send_errors: errors,
        elapsed,
        regular_sent: regular.sent - regular.errors,
        noisy_sent: noisy.map_or(0, |l| l.sent - l.errors),
        pkt_bytes: regular.templates.first().map_or(0, |t| t.bytes.len()),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use nocwatch_snmp::{DecodeOptions, Message};

    #[test]
    fn templates_decode_and_patch_in_place() {
        for mix in [Mix::LinkDown, Mix::Flap, Mix::Bgp, Mix::Mixed] {
            for k in 0..TEMPLATES_PER_SOURCE {
                let t = template(mix, k, b"public", true).unwrap();
                let mut b = t.bytes.clone();
                b[t.rid_at..t.rid_at + 4].copy_from_slice(&0x0765_4321u32.to_be_bytes());
                let at = t.stamp_at.unwrap();
                let stamp = 1_795_321_234_000_000u64;
                b[at..at + 7].copy_from_slice(&stamp.to_be_bytes()[1..]);
                let Message::Community(m) = Message::decode(&b, &DecodeOptions::strict()).unwrap()
                else {
                    panic!("not v2c")
                };
                let Pdus::Pdu(p) = m.pdu else { panic!("v1") };
                assert_eq!(p.pdu_type, PduType::SnmpV2Trap);
                assert_eq!(p.request_id, 0x0765_4321);
                let last = p.varbinds.iter().last().unwrap().unwrap();
                assert_eq!(last.value, Value::Counter64(stamp));
            }
        }
    }
}
