//! Fleet devices: what a Cisco IOS-XE, Junos, Arista EOS or Linux box answers.
//!
//! A scale benchmark needs 10,000 devices of about 1,000 instances each (10 million
//! values). Building 10,000 separate views would take gigabytes, so every device of
//! one [`Family`] and interface count shares one [`Mib`] (built once, a few hundred
//! kilobytes) and differs only by its [`Device`]: a seed that shifts its counters,
//! waves and uptime, and a few slot values (sysName, MAC addresses, LLDP
//! neighbours). A response therefore costs the same as on a single agent.
//!
//! The view holds what a NOC poller collects, with the real OIDs (checked against
//! the MIBs in `../shared/mibs`): SNMPv2-MIB system and snmp groups, IF-MIB ifTable
//! ifXTable and ifStackTable (Counter32s that wrap, Counter64s that agree with them
//! modulo 2³²), EtherLike-MIB dot3StatsTable, IP-MIB (ip counters, ipAddrTable,
//! ipNetToMediaTable), TCP-MIB and UDP-MIB scalars, HOST-RESOURCES-MIB (system,
//! storage, processors with a moving hrProcessorLoad), ENTITY-MIB physical entities
//! with ENTITY-SENSOR-MIB temperatures, LLDP-MIB local data and remote neighbours,
//! and the vendor's own CPU/memory table: CISCO-PROCESS-MIB cpmCPUTotalTable and
//! CISCO-MEMORY-POOL-MIB for IOS-XE, JUNIPER-MIB jnxOperatingTable for Junos,
//! UCD-SNMP-MIB memory/load/CPU for Linux, HOST-RESOURCES alone for EOS (which is
//! where Arista reports CPU and memory).
//!
//! Neighbours form a ring: device `i`'s interface 1 faces device `i+1`'s interface
//! 2, so if A lists B on port x with B's port y, B lists A on port y with A's port
//! x (a consistent topology, which LLDP-based map builders check).

use nocwatch_snmp::Oid;

use crate::cell::{Cell, Counter, CounterWidth, Device, Wave, mix};
use crate::error::SimError;
use crate::mib::{Mib, MibBuilder};
use crate::value::OwnedValue;

/// Hundredths of a second per day.
const TICKS_PER_DAY: u32 = 8_640_000;

/// Bytes per second of a fully loaded 10 Gb/s interface.
const TEN_GIG_BYTES_PER_SEC: u64 = 1_250_000_000;

/// LLDP neighbours per device when it has at least two interfaces (the ring's two
/// sides).
const NEIGHBOURS: u32 = 2;

/// Slot values per LLDP neighbour: chassis ID, port ID, port description, system
/// name, system description.
const SLOTS_PER_NEIGHBOUR: u32 = 5;

/// A vendor family: its sysObjectID, sysDescr, interface names and CPU/memory MIB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Cisco Catalyst 9300 on IOS-XE (CISCO-PROCESS-MIB, CISCO-MEMORY-POOL-MIB).
    CiscoIosXe,
    /// Juniper MX480 on Junos (JUNIPER-MIB jnxOperatingTable).
    Junos,
    /// Arista 7050SX3 on EOS (HOST-RESOURCES-MIB).
    AristaEos,
    /// A Linux server running net-snmp (UCD-SNMP-MIB).
    Linux,
}

impl Family {
    /// Every family, in the order a mixed fleet cycles through them.
    pub const ALL: [Self; 4] = [Self::CiscoIosXe, Self::Junos, Self::AristaEos, Self::Linux];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::CiscoIosXe => "cisco",
            Self::Junos => "junos",
            Self::AristaEos => "arista",
            Self::Linux => "linux",
        }
    }

    /// Parses [`Family::name`] (and a few obvious aliases).
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "cisco" | "ios-xe" | "iosxe" => Self::CiscoIosXe,
            "junos" | "juniper" => Self::Junos,
            "arista" | "eos" => Self::AristaEos,
            "linux" | "net-snmp" => Self::Linux,
            _ => return None,
        })
    }

    fn sys_object_id(self) -> &'static str {
        match self {
            // CISCO-PRODUCTS-MIB ciscoC930048P.
            Self::CiscoIosXe => "1.3.6.1.4.1.9.1.2494",
            // JUNIPER-CHASSIS-DEFINES-MIB jnxProductNameMX480.
            Self::Junos => "1.3.6.1.4.1.2636.1.1.1.2.25",
            // ARISTA-PRODUCTS-MIB under aristaProducts (1.3.6.1.4.1.30065.1).
            Self::AristaEos => "1.3.6.1.4.1.30065.1.3011.7050.3741.56",
            // NET-SNMP-TC linux.
            Self::Linux => "1.3.6.1.4.1.8072.3.2.10",
        }
    }

    fn sys_descr(self) -> &'static str {
        match self {
            Self::CiscoIosXe => {
                "Cisco IOS Software [Cupertino], Catalyst L3 Switch Software (CAT9K_IOSXE), \
                 Version 17.9.4a, RELEASE SOFTWARE (fc3)\r\nTechnical Support: \
                 http://www.cisco.com/techsupport\r\nCopyright (c) 1986-2023 by Cisco Systems, \
                 Inc.\r\nCompiled Fri 20-Oct-23 10:44 by mcpre"
            }
            Self::Junos => {
                "Juniper Networks, Inc. mx480 internet router, kernel JUNOS 22.4R2-S2.6, Build \
                 date: 2023-10-12 05:57:20 UTC Copyright (c) 1996-2023 Juniper Networks, Inc."
            }
            Self::AristaEos => {
                "Arista Networks EOS version 4.30.3M running on an Arista Networks \
                 DCS-7050SX3-48YC8"
            }
            Self::Linux => "Linux 6.1.0-13-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 x86_64",
        }
    }

    /// ifDescr of interface `index` (1-based).
    fn if_descr(self, index: u32) -> String {
        match self {
            Self::CiscoIosXe => format!("GigabitEthernet1/0/{index}"),
            Self::Junos => format!("xe-0/0/{}", index - 1),
            Self::AristaEos => format!("Ethernet{index}"),
            Self::Linux => format!("eth{}", index - 1),
        }
    }

    /// ifName of interface `index` (Cisco abbreviates).
    fn if_name(self, index: u32) -> String {
        match self {
            Self::CiscoIosXe => format!("Gi1/0/{index}"),
            _ => self.if_descr(index),
        }
    }

    /// The host-name prefix of devices of this family.
    fn host_prefix(self) -> &'static str {
        match self {
            Self::CiscoIosXe => "cat",
            Self::Junos => "mx",
            Self::AristaEos => "eos",
            Self::Linux => "srv",
        }
    }

    /// Interface speed in Mb/s.
    fn speed_mbps(self) -> u32 {
        match self {
            Self::CiscoIosXe => 1_000,
            _ => 10_000,
        }
    }
}

/// One device of a fleet: its position, family and interface count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceSpec {
    /// Position in the fleet (0-based): names the device and places it in the ring.
    pub index: u32,
    /// Its vendor family.
    pub family: Family,
    /// Number of interfaces.
    pub interfaces: u32,
}

impl DeviceSpec {
    /// sysName: the family's prefix and the 1-based position, e.g. `cat-00001`.
    pub fn name(&self) -> String {
        format!("{}-{:05}", self.family.host_prefix(), self.index + 1)
    }

    /// The base MAC address (locally administered, derived from the index).
    fn mac(&self, port: u32) -> Vec<u8> {
        let i = self.index;
        vec![
            0x02,
            0x5e,
            (i >> 16) as u8,
            (i >> 8) as u8,
            i as u8,
            port as u8,
        ]
    }

    /// The seed that sets this device's counters and waves apart (never 0).
    pub fn seed(&self) -> u64 {
        mix(0x6e6f_6377_6174_6368, u64::from(self.index)) | 1
    }
}

/// Slot numbers of the per-device values.
mod slot {
    pub const SYS_NAME: u32 = 0;
    pub const CHASSIS_MAC: u32 = 1;
    /// First interface MAC; interface `i` (1-based) is `IF_MAC + i - 1`.
    pub const IF_MAC: u32 = 2;
}

fn neighbour_slot(interfaces: u32, n: u32, field: u32) -> u32 {
    slot::IF_MAC + interfaces + n * SLOTS_PER_NEIGHBOUR + field
}

/// The devices facing `spec`'s LLDP ports in a ring of `count` devices built by
/// `spec_of`: (local port, neighbour, neighbour's port), port 1 facing the next
/// device's port 2 and port 2 the previous device's port 1.
pub fn neighbours(
    spec: &DeviceSpec,
    count: u32,
    spec_of: impl Fn(u32) -> DeviceSpec,
) -> Vec<(u32, DeviceSpec, u32)> {
    if spec.interfaces < 2 || count == 0 {
        return Vec::new();
    }
    let next = spec_of((spec.index + 1) % count);
    let prev = spec_of((spec.index + count - 1) % count);
    // A neighbour without two interfaces has no LLDP port to face us on; the ring
    // still lists it (as a device with a management port would).
    vec![(1, next, 2), (2, prev, 1)]
}

/// The slot values of device `spec` in a fleet of `count` devices whose members
/// are described by `spec_of` (used for the LLDP neighbours).
pub fn device(spec: &DeviceSpec, count: u32, spec_of: impl Fn(u32) -> DeviceSpec) -> Device {
    let mut slots = vec![
        OwnedValue::string(&spec.name()),
        OwnedValue::OctetString(spec.mac(0)),
    ];
    for i in 1..=spec.interfaces {
        slots.push(OwnedValue::OctetString(spec.mac(i)));
    }
    for (_, peer, peer_port) in neighbours(spec, count, spec_of) {
        slots.push(OwnedValue::OctetString(peer.mac(0)));
        slots.push(OwnedValue::string(&peer.family.if_name(peer_port)));
        slots.push(OwnedValue::string(&peer.family.if_descr(peer_port)));
        slots.push(OwnedValue::string(&peer.name()));
        slots.push(OwnedValue::string(peer.family.sys_descr()));
    }
    Device {
        seed: spec.seed(),
        slots,
    }
}

/// A parsed OID from constant text.
fn oid(text: &str) -> Result<Oid, SimError> {
    Ok(text.parse()?)
}

/// Adds rows to a builder with a little less ceremony.
struct Rows<'b> {
    b: &'b mut MibBuilder,
}

impl Rows<'_> {
    /// Instance `table.column.index` (`table` is the entry OID, e.g. ifEntry).
    fn put(
        &mut self,
        entry: &str,
        column: u32,
        index: &[u32],
        cell: impl Into<Cell>,
    ) -> Result<(), SimError> {
        let col = oid(&format!("{entry}.{column}"))?;
        self.b.column(&col, index, cell);
        Ok(())
    }

    fn scalar(&mut self, object: &str, cell: impl Into<Cell>) -> Result<(), SimError> {
        self.b.scalar(&oid(object)?, cell);
        Ok(())
    }
}

fn int(v: i64) -> Cell {
    OwnedValue::Integer(v).into()
}

fn gauge(v: u32) -> Cell {
    OwnedValue::Gauge32(v).into()
}

fn text(s: &str) -> Cell {
    OwnedValue::string(s).into()
}

fn oid_value(s: &str) -> Result<Cell, SimError> {
    Ok(OwnedValue::ObjectIdentifier(oid(s)?).into())
}

fn counter(seed: u64, rate: u64, base: u64, width: CounterWidth) -> Cell {
    Cell::Counter(Counter {
        base,
        rate_per_sec: rate,
        width,
        seed,
    })
}

fn wave(seed: u64, min: u32, max: u32, period_secs: u32, integer: bool) -> Cell {
    Cell::Wave(Wave {
        min,
        max,
        period_secs,
        seed,
        integer,
    })
}

/// The shared view of every `family` device with `interfaces` interfaces.
///
/// Per-device values are [`Cell::Slot`]s filled by [`device`]. With 10 interfaces a
/// view holds about a thousand instances (see the crate's tests for the exact
/// count per family).
pub fn family_mib(family: Family, interfaces: u32) -> Result<Mib, SimError> {
    let fam = mix(family as u64 + 1, u64::from(interfaces));
    let ticks_at_start = TICKS_PER_DAY * (5 + (fam % 40) as u32);
    let age_secs = u64::from(ticks_at_start / 100);
    let mut b = MibBuilder::new();
    let mut r = Rows { b: &mut b };

    // SNMPv2-MIB system group.
    r.scalar("1.3.6.1.2.1.1.1", text(family.sys_descr()))?;
    r.scalar("1.3.6.1.2.1.1.2", oid_value(family.sys_object_id())?)?;
    r.scalar("1.3.6.1.2.1.1.3", Cell::Uptime { ticks_at_start })?;
    r.scalar("1.3.6.1.2.1.1.4", text("noc@example.net"))?;
    r.scalar("1.3.6.1.2.1.1.5", Cell::Slot(slot::SYS_NAME))?;
    r.scalar("1.3.6.1.2.1.1.6", text("DC1, hall 2, row C"))?;
    r.scalar(
        "1.3.6.1.2.1.1.7",
        int(if family == Family::Linux { 72 } else { 6 }),
    )?;
    r.scalar("1.3.6.1.2.1.1.8", OwnedValue::TimeTicks(0))?;

    // IF-MIB ifNumber, ifTable, ifXTable; EtherLike-MIB dot3StatsTable.
    r.scalar("1.3.6.1.2.1.2.1", int(i64::from(interfaces)))?;
    let speed = family.speed_mbps();
    let line_rate = TEN_GIG_BYTES_PER_SEC * u64::from(speed) / 10_000;
    for i in 1..=interfaces {
        let seed = mix(fam, u64::from(i));
        let admin_up = !i.is_multiple_of(9);
        let oper_up = admin_up && !i.is_multiple_of(7);
        let util = if oper_up { 1 + seed % 40 } else { 0 };
        let pkt = 200 + (seed >> 20) % 1200;
        let in_octets = line_rate * util / 100;
        let out_octets = line_rate * ((util * 7) % 41) / 100;
        let (in_pkts, out_pkts) = (in_octets / pkt, out_octets / pkt);
        // Interface counters stand still while the interface is down (see
        // `life.rs`); a flap needs an interface that is up by design.
        let c = |role: u64, rate: u64, width| {
            let s = mix(seed, role);
            Cell::IfCounter {
                counter: Counter {
                    base: rate.wrapping_mul(age_secs / 2 + s % (age_secs / 2 + 1)),
                    rate_per_sec: rate,
                    width,
                    seed: s,
                },
                if_index: i,
            }
        };
        let (c32, c64) = (CounterWidth::Bits32, CounterWidth::Bits64);
        let ix = [i];
        let e = "1.3.6.1.2.1.2.2.1";
        r.put(e, 1, &ix, int(i64::from(i)))?;
        r.put(e, 2, &ix, text(&family.if_descr(i)))?;
        r.put(e, 3, &ix, int(6))?;
        r.put(
            e,
            4,
            &ix,
            int(if family == Family::Junos { 1514 } else { 1500 }),
        )?;
        r.put(e, 5, &ix, gauge(speed.saturating_mul(1_000_000)))?;
        r.put(e, 6, &ix, Cell::Slot(slot::IF_MAC + i - 1))?;
        r.put(e, 7, &ix, int(if admin_up { 1 } else { 2 }))?;
        if oper_up {
            r.put(e, 8, &ix, Cell::IfOperStatus { if_index: i })?;
        } else {
            r.put(e, 8, &ix, int(2))?;
        }
        r.put(
            e,
            9,
            &ix,
            Cell::IfLastChange {
                if_index: i,
                initial: (seed % u64::from(ticks_at_start)) as u32,
                ticks_at_start,
            },
        )?;
        r.put(e, 10, &ix, c(10, in_octets, c32))?;
        r.put(e, 11, &ix, c(11, in_pkts, c32))?;
        r.put(e, 12, &ix, c(12, in_pkts / 100, c32))?;
        r.put(e, 13, &ix, c(13, u64::from(util > 30), c32))?;
        r.put(e, 14, &ix, c(14, u64::from(i % 5 == 3), c32))?;
        r.put(e, 15, &ix, c(15, 0, c32))?;
        r.put(e, 16, &ix, c(16, out_octets, c32))?;
        r.put(e, 17, &ix, c(17, out_pkts, c32))?;
        r.put(e, 18, &ix, c(18, out_pkts / 100, c32))?;
        r.put(e, 19, &ix, c(19, 0, c32))?;
        r.put(e, 20, &ix, c(20, u64::from(i % 6 == 4), c32))?;
        r.put(e, 21, &ix, gauge(0))?;
        r.put(e, 22, &ix, oid_value("0.0")?)?;

        let x = "1.3.6.1.2.1.31.1.1.1";
        r.put(x, 1, &ix, text(&family.if_name(i)))?;
        r.put(x, 2, &ix, c(30, in_pkts / 200, c32))?;
        r.put(x, 3, &ix, c(12, in_pkts / 100, c32))?;
        r.put(x, 4, &ix, c(31, out_pkts / 200, c32))?;
        r.put(x, 5, &ix, c(18, out_pkts / 100, c32))?;
        r.put(x, 6, &ix, c(10, in_octets, c64))?;
        r.put(x, 7, &ix, c(11, in_pkts, c64))?;
        r.put(x, 8, &ix, c(30, in_pkts / 200, c64))?;
        r.put(x, 9, &ix, c(12, in_pkts / 100, c64))?;
        r.put(x, 10, &ix, c(16, out_octets, c64))?;
        r.put(x, 11, &ix, c(17, out_pkts, c64))?;
        r.put(x, 12, &ix, c(31, out_pkts / 200, c64))?;
        r.put(x, 13, &ix, c(18, out_pkts / 100, c64))?;
        r.put(x, 14, &ix, int(1))?;
        r.put(x, 15, &ix, gauge(speed))?;
        r.put(x, 16, &ix, int(2))?;
        r.put(x, 17, &ix, int(1))?;
        let alias = if oper_up {
            format!("uplink {i}")
        } else {
            String::new()
        };
        r.put(x, 18, &ix, text(&alias))?;
        r.put(x, 19, &ix, OwnedValue::TimeTicks(0))?;

        let d = "1.3.6.1.2.1.10.7.2.1";
        r.put(d, 1, &ix, int(i64::from(i)))?;
        for (col, rate) in [
            (2, 0),
            (3, u64::from(i % 4 == 1)),
            (4, 0),
            (5, 0),
            (6, 0),
            (7, 0),
            (8, 0),
            (9, 0),
            (10, 0),
            (11, 0),
            (13, 0),
            (16, 0),
            (18, u64::from(i % 8 == 5)),
        ] {
            r.put(d, col, &ix, c(40 + u64::from(col), rate, c32))?;
        }
        r.put(d, 19, &ix, int(3))?; // fullDuplex
    }

    // IF-MIB ifStackTable: every interface is a bottom and top layer (0 = none).
    for i in 1..=interfaces {
        r.put("1.3.6.1.2.1.31.1.2.1", 3, &[0, i], int(1))?;
        r.put("1.3.6.1.2.1.31.1.2.1", 3, &[i, 0], int(1))?;
    }

    // SNMPv2-MIB snmp group: counters of the agent's own traffic.
    for (arc, rate) in [
        (1u32, 40u64),
        (2, 40),
        (3, 0),
        (4, 1),
        (5, 0),
        (6, 0),
        (8, 0),
        (9, 0),
        (10, 0),
        (11, 0),
        (12, 0),
        (13, 900),
        (14, 0),
        (15, 2),
        (16, 3),
        (17, 0),
        (18, 0),
        (19, 0),
        (20, 0),
        (21, 1),
        (22, 0),
        (24, 0),
        (25, 0),
        (26, 0),
        (27, 0),
        (28, 38),
        (29, 0),
    ] {
        let s = mix(fam, 1000 + u64::from(arc));
        r.scalar(
            &format!("1.3.6.1.2.1.11.{arc}"),
            counter(s, rate, rate * age_secs, CounterWidth::Bits32),
        )?;
    }
    r.scalar("1.3.6.1.2.1.11.30", int(2))?;
    r.scalar("1.3.6.1.2.1.11.31", counter(0, 0, 0, CounterWidth::Bits32))?;
    r.scalar("1.3.6.1.2.1.11.32", counter(0, 0, 0, CounterWidth::Bits32))?;

    // IP-MIB: forwarding, TTL, ipAddrTable.
    r.scalar(
        "1.3.6.1.2.1.4.1",
        int(if family == Family::Linux { 2 } else { 1 }),
    )?;
    r.scalar("1.3.6.1.2.1.4.2", int(64))?;
    for i in 1..=interfaces.min(65_535) {
        let ip = [10, (i >> 8) as u8, i as u8, 1];
        let key = ip.map(u32::from);
        let e = "1.3.6.1.2.1.4.20.1";
        r.put(e, 1, &key, OwnedValue::IpAddress(ip))?;
        r.put(e, 2, &key, int(i64::from(i)))?;
        r.put(e, 3, &key, OwnedValue::IpAddress([255, 255, 255, 0]))?;
        r.put(e, 4, &key, int(1))?;
        r.put(e, 5, &key, int(18_024))?;
    }

    // IP-MIB ipNetToMediaTable: the next hop on each interface's subnet.
    for i in 1..=interfaces.min(65_535) {
        let ip = [10, (i >> 8) as u8, i as u8, 2];
        let key = [i, 10, (i >> 8) & 0xff, i & 0xff, 2];
        let e = "1.3.6.1.2.1.4.22.1";
        r.put(e, 1, &key, int(i64::from(i)))?;
        let mac = vec![0x00, 0x1c, 0x73, (i >> 16) as u8, (i >> 8) as u8, i as u8];
        r.put(e, 2, &key, OwnedValue::OctetString(mac))?;
        r.put(e, 3, &key, OwnedValue::IpAddress(ip))?;
        r.put(e, 4, &key, int(3))?; // dynamic
    }
    // IP-MIB ip group counters, TCP-MIB and UDP-MIB scalars.
    let pps = u64::from(interfaces) * 2_000;
    for (arc, rate) in [
        (3u32, pps),
        (4, 0),
        (5, 1),
        (6, pps * 9 / 10),
        (7, 0),
        (8, 2),
        (9, pps / 10),
        (10, pps / 10),
        (11, 0),
        (12, 1),
        (14, 0),
        (15, 0),
        (16, 0),
        (17, 0),
        (18, 0),
        (19, 0),
    ] {
        let s = mix(fam, 1100 + u64::from(arc));
        r.scalar(
            &format!("1.3.6.1.2.1.4.{arc}"),
            counter(s, rate, rate * age_secs, CounterWidth::Bits32),
        )?;
    }
    r.scalar("1.3.6.1.2.1.4.13", int(60))?;
    for (arc, cell) in [
        (1u32, int(4)),
        (2, int(200)),
        (3, int(120_000)),
        (4, int(-1)),
        (9, wave(fam ^ 9, 20, 60, 1_200, false)),
    ] {
        r.scalar(&format!("1.3.6.1.2.1.6.{arc}"), cell)?;
    }
    for (arc, rate) in [
        (5u32, 1u64),
        (6, 2),
        (7, 0),
        (8, 0),
        (10, 400),
        (11, 420),
        (12, 1),
        (14, 0),
        (15, 1),
    ] {
        let s = mix(fam, 1200 + u64::from(arc));
        r.scalar(
            &format!("1.3.6.1.2.1.6.{arc}"),
            counter(s, rate, rate * age_secs, CounterWidth::Bits32),
        )?;
    }
    for (arc, rate) in [(1u32, 90u64), (2, 1), (3, 0), (4, 95)] {
        let s = mix(fam, 1300 + u64::from(arc));
        r.scalar(
            &format!("1.3.6.1.2.1.7.{arc}"),
            counter(s, rate, rate * age_secs, CounterWidth::Bits32),
        )?;
    }

    // HOST-RESOURCES-MIB: system, storage, processors.
    let cpus: u32 = match family {
        Family::CiscoIosXe => 2,
        Family::Junos | Family::AristaEos => 4,
        Family::Linux => 8,
    };
    r.scalar("1.3.6.1.2.1.25.1.1", Cell::Uptime { ticks_at_start })?;
    r.scalar("1.3.6.1.2.1.25.1.5", gauge(1 + (fam % 4) as u32))?;
    r.scalar("1.3.6.1.2.1.25.1.6", wave(fam ^ 6, 180, 260, 600, false))?;
    r.scalar("1.3.6.1.2.1.25.1.7", int(4_194_304))?;
    let mem_kb: u32 = match family {
        Family::CiscoIosXe => 8 * 1024 * 1024,
        Family::Junos => 32 * 1024 * 1024,
        Family::AristaEos => 8 * 1024 * 1024,
        Family::Linux => 64 * 1024 * 1024,
    };
    r.scalar("1.3.6.1.2.1.25.2.2", int(i64::from(mem_kb)))?;
    let storage_types = "1.3.6.1.2.1.25.2.1";
    let storages: [(&str, u32, u32, u32); 5] = [
        ("Physical memory", 2, 1024, mem_kb),
        ("Virtual memory", 3, 1024, mem_kb + mem_kb / 4),
        ("Memory buffers", 1, 1024, mem_kb / 16),
        ("Cached memory", 1, 1024, mem_kb / 4),
        ("/", 4, 4096, 32 * 1024 * 1024 / 4),
    ];
    for (n, (descr, kind, unit, size)) in storages.iter().enumerate() {
        let ix = [n as u32 + 1];
        let e = "1.3.6.1.2.1.25.2.3.1";
        r.put(e, 1, &ix, int(n as i64 + 1))?;
        r.put(e, 2, &ix, oid_value(&format!("{storage_types}.{kind}"))?)?;
        r.put(e, 3, &ix, text(descr))?;
        r.put(e, 4, &ix, int(i64::from(*unit)))?;
        let blocks = size / (unit / 1024).max(1);
        r.put(e, 5, &ix, int(i64::from(blocks)))?;
        let s = mix(fam, 2000 + n as u64);
        r.put(e, 6, &ix, wave(s, blocks / 3, blocks / 10 * 8, 3_600, true))?;
        r.put(e, 7, &ix, counter(0, 0, 0, CounterWidth::Bits32))?;
    }
    for cpu in 0..cpus {
        let ix = [768 + cpu];
        let e = "1.3.6.1.2.1.25.3.2.1";
        r.put(e, 1, &ix, int(i64::from(768 + cpu)))?;
        r.put(e, 2, &ix, oid_value("1.3.6.1.2.1.25.3.1.3")?)?;
        r.put(e, 3, &ix, text(&format!("CPU {cpu}")))?;
        r.put(e, 4, &ix, oid_value("0.0")?)?;
        r.put(e, 5, &ix, int(2))?; // running
        r.put(e, 6, &ix, counter(0, 0, 0, CounterWidth::Bits32))?;
        let p = "1.3.6.1.2.1.25.3.3.1";
        r.put(p, 1, &ix, oid_value("0.0")?)?;
        let s = mix(fam, 3000 + u64::from(cpu));
        r.put(p, 2, &ix, wave(s, 3, 35 + (s % 50) as u32, 900, true))?;
    }

    // ENTITY-MIB chassis and sensors; ENTITY-SENSOR-MIB temperatures.
    let sensors = ["Inlet", "Outlet", "CPU", "ASIC", "PSU1", "PSU2"];
    let phys = "1.3.6.1.2.1.47.1.1.1.1";
    r.put(phys, 2, &[1], text("Chassis"))?;
    r.put(phys, 3, &[1], oid_value("0.0")?)?;
    r.put(phys, 4, &[1], int(0))?;
    r.put(phys, 5, &[1], int(3))?; // chassis
    r.put(phys, 6, &[1], int(-1))?;
    r.put(phys, 7, &[1], text("Chassis"))?;
    for (n, name) in sensors.iter().enumerate() {
        let ix = [100 + n as u32];
        r.put(phys, 2, &ix, text(&format!("{name} temperature sensor")))?;
        r.put(phys, 3, &ix, oid_value("0.0")?)?;
        r.put(phys, 4, &ix, int(1))?;
        r.put(phys, 5, &ix, int(8))?; // sensor
        r.put(phys, 6, &ix, int(n as i64 + 1))?;
        r.put(phys, 7, &ix, text(&format!("Temp {name}")))?;
        let e = "1.3.6.1.2.1.99.1.1.1";
        r.put(e, 1, &ix, int(8))?; // celsius
        r.put(e, 2, &ix, int(9))?; // units
        r.put(e, 3, &ix, int(0))?;
        let s = mix(fam, 4000 + n as u64);
        let low = 25 + (s % 15) as u32;
        r.put(e, 4, &ix, wave(s, low, low + 12, 1_800, true))?;
        r.put(e, 5, &ix, int(1))?; // ok
        r.put(e, 6, &ix, text("celsius"))?;
        r.put(e, 7, &ix, OwnedValue::TimeTicks(0))?;
        r.put(e, 8, &ix, gauge(60_000))?;
    }

    // LLDP-MIB: local system, local ports, remote neighbours.
    let loc = "1.0.8802.1.1.2.1.3";
    r.scalar(&format!("{loc}.1"), int(4))?; // macAddress
    r.scalar(&format!("{loc}.2"), Cell::Slot(slot::CHASSIS_MAC))?;
    r.scalar(&format!("{loc}.3"), Cell::Slot(slot::SYS_NAME))?;
    r.scalar(&format!("{loc}.4"), text(family.sys_descr()))?;
    for i in 1..=interfaces {
        let e = "1.0.8802.1.1.2.1.3.7.1";
        r.put(e, 2, &[i], int(5))?; // interfaceName
        r.put(e, 3, &[i], text(&family.if_name(i)))?;
        r.put(e, 4, &[i], text(&family.if_descr(i)))?;
    }
    if interfaces >= 2 {
        for n in 0..NEIGHBOURS {
            // lldpRemTimeMark 0, lldpRemLocalPortNum n+1, lldpRemIndex 1.
            let ix = [0, n + 1, 1];
            let e = "1.0.8802.1.1.2.1.4.1.1";
            let field = |f| Cell::Slot(neighbour_slot(interfaces, n, f));
            r.put(e, 4, &ix, int(4))?;
            r.put(e, 5, &ix, field(0))?;
            r.put(e, 6, &ix, int(5))?;
            r.put(e, 7, &ix, field(1))?;
            r.put(e, 8, &ix, field(2))?;
            r.put(e, 9, &ix, field(3))?;
            r.put(e, 10, &ix, field(4))?;
            r.put(e, 11, &ix, OwnedValue::OctetString(vec![0x28]))?; // bridge, router
            r.put(e, 12, &ix, OwnedValue::OctetString(vec![0x28]))?;
        }
    }

    vendor_tables(&mut r, family, fam, mem_kb, ticks_at_start)?;
    b.build()
}

/// The vendor's CPU and memory MIB.
fn vendor_tables(
    r: &mut Rows<'_>,
    family: Family,
    fam: u64,
    mem_kb: u32,
    ticks_at_start: u32,
) -> Result<(), SimError> {
    match family {
        Family::CiscoIosXe => {
            // CISCO-PROCESS-MIB cpmCPUTotalTable, one CPU on chassis entity 1.
            let e = "1.3.6.1.4.1.9.9.109.1.1.1.1";
            let ix = [1];
            let s = mix(fam, 5000);
            let peak = 20 + (s % 60) as u32;
            r.put(e, 2, &ix, int(1))?;
            for (col, period) in [(3, 60), (4, 300), (5, 1_500), (6, 60), (7, 300), (8, 1_500)] {
                r.put(e, col, &ix, wave(s, 2, peak, period, false))?;
            }
            r.put(
                e,
                12,
                &ix,
                wave(s ^ 12, mem_kb / 3, mem_kb / 2, 7_200, false),
            )?;
            r.put(
                e,
                13,
                &ix,
                wave(s ^ 13, mem_kb / 3, mem_kb / 2, 7_200, false),
            )?;
            // CISCO-MEMORY-POOL-MIB ciscoMemoryPoolTable: Processor and I/O pools.
            let e = "1.3.6.1.4.1.9.9.48.1.1.1";
            for (n, (name, size)) in [("Processor", 1_600_000_000u32), ("I/O", 80_000_000)]
                .iter()
                .enumerate()
            {
                let ix = [n as u32 + 1];
                let s = mix(fam, 5100 + n as u64);
                r.put(e, 2, &ix, text(name))?;
                r.put(e, 3, &ix, int(0))?;
                r.put(e, 4, &ix, int(1))?; // true
                r.put(e, 5, &ix, wave(s, size / 4, size / 10 * 7, 7_200, false))?;
                r.put(e, 6, &ix, wave(s ^ 1, size / 4, size / 2, 7_200, false))?;
                r.put(e, 7, &ix, gauge(size / 5))?;
            }
        }
        Family::Junos => {
            // JUNIPER-MIB jnxOperatingTable: chassis, two FPCs, routing engine.
            let e = "1.3.6.1.4.1.2636.3.1.13.1";
            for (n, (ix, descr, dram)) in [
                ([1u32, 1, 0, 0], "midplane", 0i64),
                ([7, 1, 0, 0], "FPC: MPC7E 3D 40XGE @ 0/*/*", 4096),
                ([7, 2, 0, 0], "FPC: MPC7E 3D 40XGE @ 1/*/*", 4096),
                ([9, 1, 0, 0], "Routing Engine 0", 32_768),
            ]
            .iter()
            .enumerate()
            {
                let s = mix(fam, 6000 + n as u64);
                r.put(e, 5, ix, text(descr))?;
                r.put(e, 6, ix, int(2))?; // running
                r.put(e, 7, ix, wave(s, 30, 48, 1_800, false))?;
                r.put(e, 8, ix, wave(s ^ 8, 1, 20 + (s % 50) as u32, 600, false))?;
                r.put(e, 9, ix, wave(s ^ 9, 0, 5, 600, false))?;
                r.put(e, 10, ix, int(*dram))?;
                r.put(e, 11, ix, wave(s ^ 11, 20, 60, 3_600, false))?;
                r.put(e, 12, ix, wave(s ^ 12, 10, 40, 3_600, false))?;
                r.put(e, 13, ix, int(i64::from(ticks_at_start / 100)))?;
                r.put(e, 14, ix, OwnedValue::TimeTicks(0))?;
                r.put(e, 15, ix, int(*dram))?;
            }
        }
        // EOS reports CPU and memory through HOST-RESOURCES-MIB, already there.
        Family::AristaEos => {}
        Family::Linux => {
            // UCD-SNMP-MIB memory group (kB), load averages and CPU statistics.
            let m = "1.3.6.1.4.1.2021.4";
            let total = i64::from(mem_kb);
            r.scalar(&format!("{m}.1"), int(0))?;
            r.scalar(&format!("{m}.2"), text("swap"))?;
            r.scalar(&format!("{m}.3"), int(8_388_604))?;
            r.scalar(&format!("{m}.4"), int(8_000_000))?;
            r.scalar(&format!("{m}.5"), int(total))?;
            let s = mix(fam, 7000);
            r.scalar(
                &format!("{m}.6"),
                wave(s, mem_kb / 5, mem_kb / 2, 3_600, true),
            )?;
            r.scalar(
                &format!("{m}.11"),
                wave(s ^ 1, mem_kb / 4, mem_kb / 2, 3_600, true),
            )?;
            r.scalar(&format!("{m}.12"), int(16_000))?;
            r.scalar(&format!("{m}.13"), int(total / 50))?;
            r.scalar(&format!("{m}.14"), int(total / 40))?;
            r.scalar(&format!("{m}.15"), int(total / 4))?;
            let la = "1.3.6.1.4.1.2021.10.1";
            for (i, minutes) in [(1u32, 1u32), (2, 5), (3, 15)] {
                let ix = [i];
                r.put(la, 1, &ix, int(i64::from(i)))?;
                r.put(la, 2, &ix, text(&format!("Load-{minutes}")))?;
                let load = 5 + (mix(fam, 7100 + u64::from(i)) % 300) as u32;
                r.put(
                    la,
                    3,
                    &ix,
                    text(&format!("{}.{:02}", load / 100, load % 100)),
                )?;
                r.put(la, 4, &ix, text("12.00"))?;
                r.put(
                    la,
                    5,
                    &ix,
                    wave(s ^ u64::from(i), load / 2, load, 900, true),
                )?;
                r.put(la, 6, &ix, OwnedValue::opaque_float(load as f32 / 100.0))?;
            }
            let ss = "1.3.6.1.4.1.2021.11";
            r.scalar(&format!("{ss}.9"), wave(s ^ 9, 1, 40, 600, true))?;
            r.scalar(&format!("{ss}.10"), wave(s ^ 10, 1, 10, 600, true))?;
            r.scalar(&format!("{ss}.11"), wave(s ^ 11, 50, 97, 600, true))?;
            let ticks = 100 * u64::from(8u32);
            r.scalar(
                &format!("{ss}.50"),
                counter(s ^ 50, ticks / 5, 0, CounterWidth::Bits32),
            )?;
            r.scalar(
                &format!("{ss}.52"),
                counter(s ^ 52, ticks / 20, 0, CounterWidth::Bits32),
            )?;
            r.scalar(
                &format!("{ss}.53"),
                counter(s ^ 53, ticks * 3 / 4, 0, CounterWidth::Bits32),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scale benchmark's target: about 1,000 instances with 10 interfaces.
    #[test]
    fn about_a_thousand_instances_with_ten_interfaces() {
        for f in Family::ALL {
            let n = family_mib(f, 10).unwrap().len();
            assert!((950..=1050).contains(&n), "{}: {n}", f.name());
        }
        // Interfaces scale the view.
        let small = family_mib(Family::Linux, 1).unwrap().len();
        let big = family_mib(Family::Linux, 48).unwrap().len();
        assert!(small < 400 && big > 3_000, "{small} {big}");
    }

    #[test]
    fn lldp_ring_is_symmetric() {
        for count in [1u32, 2, 3, 7] {
            let spec_of = |i: u32| DeviceSpec {
                index: i,
                family: Family::ALL[i as usize % 4],
                interfaces: 4,
            };
            for i in 0..count {
                let me = spec_of(i);
                for (port, peer, peer_port) in neighbours(&me, count, spec_of) {
                    let back = neighbours(&peer, count, spec_of);
                    assert!(
                        back.iter()
                            .any(|(p, d, pp)| *p == peer_port && d.index == i && *pp == port),
                        "{count} devices: {i} port {port} -> {} port {peer_port} not mirrored",
                        peer.index
                    );
                }
            }
        }
    }

    #[test]
    fn slots_cover_every_slot_cell() {
        let spec_of = |i: u32| DeviceSpec {
            index: i,
            family: Family::CiscoIosXe,
            interfaces: 10,
        };
        let dev = device(&spec_of(3), 10, spec_of);
        let mib = family_mib(Family::CiscoIosXe, 10).unwrap();
        for e in mib.entries() {
            if let Cell::Slot(n) = e.cell {
                assert!((n as usize) < dev.slots.len(), "slot {n} of {}", e.oid);
            }
        }
        assert_eq!(dev.slots[0], OwnedValue::string("cat-00004"));
    }
}
