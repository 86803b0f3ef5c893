//! The lab dataset: a plausible router with `n` Gigabit interfaces.
//!
//! This is what `nocwatch demo`, the benchmarks and the interop tests talk to, so it
//! aims to look like a real device to a NOC tool: SNMPv2-MIB's system group, IF-MIB's
//! ifTable (all 22 columns) and part of ifXTable, IP-MIB's ipAddrTable, and
//! UCD-SNMP-MIB's laTable with net-snmp's Opaque floats, so every SNMP value type
//! appears at least once (INTEGER, OCTET STRING, OBJECT IDENTIFIER, IpAddress,
//! Counter32, Gauge32, TimeTicks, Opaque, Counter64). Octet and packet counters grow
//! at per-interface rates with jitter, some interfaces are down, and everything is
//! derived deterministically from the device name, so two runs agree.

use nocwatch_snmp::Oid;
use tracing::error;

use crate::agent::{Agent, AgentConfig};
use crate::cell::{Cell, Counter, CounterWidth, mix};
use crate::error::SimError;
use crate::mib::{Mib, MibBuilder};
use crate::value::OwnedValue;

/// sysObjectID of lab devices: under IANA's documentation enterprise number 32473
/// (RFC 5612), so it can never collide with a real vendor's.
pub const LAB_SYS_OBJECT_ID: &str = "1.3.6.1.4.1.32473.1.1";

/// Hundredths of a second per day.
const TICKS_PER_DAY: u32 = 8_640_000;

/// Bytes per second of a fully loaded Gigabit interface.
const GIGABIT_BYTES_PER_SEC: u64 = 125_000_000;

/// A parsed OID from constant text (the caller propagates the impossible error).
fn oid(text: &str) -> Result<Oid, SimError> {
    Ok(text.parse()?)
}

/// FNV-1a: a stable hash of the device name (std's hasher is randomly keyed).
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// One interface's simulated state.
struct Interface {
    admin_up: bool,
    oper_up: bool,
    seed: u64,
}

impl Interface {
    fn new(device: u64, index: u32) -> Self {
        let admin_up = !index.is_multiple_of(8);
        Self {
            admin_up,
            oper_up: admin_up && !index.is_multiple_of(5),
            seed: mix(device, u64::from(index)),
        }
    }

    /// A counter of this interface: `role` picks an independent seed, `rate` is the
    /// mean per-second growth when up (down interfaces are frozen), and the base is
    /// what that rate accumulated over the device's `age_secs` of uptime.
    fn counter(&self, role: u64, rate: u64, age_secs: u64, width: CounterWidth) -> Cell {
        let seed = mix(self.seed, role);
        let rate_now = if self.oper_up { rate } else { 0 };
        // Down interfaces carried traffic before; keep some history.
        let base = rate.wrapping_mul(age_secs / 2 + seed % (age_secs / 2 + 1));
        Cell::Counter(Counter {
            base,
            rate_per_sec: rate_now,
            width,
            seed,
        })
    }
}

/// Rates of one direction of an interface.
struct Traffic {
    octets: u64,
    unicast_pkts: u64,
    non_unicast_pkts: u64,
}

impl Traffic {
    fn new(seed: u64) -> Self {
        // 2–60 % utilisation, 300–1400-byte mean packets, ~0.5 % broadcast.
        let util = 2 + seed % 59;
        let octets = GIGABIT_BYTES_PER_SEC * util / 100;
        let packet = 300 + (seed >> 16) % 1101;
        let unicast_pkts = octets / packet;
        Self {
            octets,
            unicast_pkts,
            non_unicast_pkts: unicast_pkts / 200 + 1,
        }
    }
}

/// The lab dataset for a device called `name` with `interfaces` interfaces.
///
/// For 10 interfaces this is 356 instances: 8 system, 1 ifNumber, 220 ifTable,
/// 70 ifXTable, 2 IP scalars, 40 ipAddrTable, 15 laTable. Interfaces beyond 65535
/// get no IP address (ipAddrTable is indexed by a 10.x.y.1 address).
pub fn lab_mib(name: &str, interfaces: u32) -> Result<Mib, SimError> {
    let device = name_hash(name);
    let ticks_at_start = TICKS_PER_DAY * (3 + (device % 27) as u32);
    let age_secs = u64::from(ticks_at_start / 100);
    let mut b = MibBuilder::new();

    // SNMPv2-MIB system group (1.3.6.1.2.1.1).
    let system = |n: &str| oid(&format!("1.3.6.1.2.1.1.{n}"));
    b.scalar(
        &system("1")?,
        OwnedValue::string(&format!(
            "nocwatch simulated router {name} ({interfaces} x GigabitEthernet), nocwatch-sim {}",
            env!("CARGO_PKG_VERSION")
        )),
    );
    b.scalar(
        &system("2")?,
        OwnedValue::ObjectIdentifier(oid(LAB_SYS_OBJECT_ID)?),
    );
    b.scalar(&system("3")?, Cell::Uptime { ticks_at_start });
    b.scalar(&system("4")?, OwnedValue::string("noc@example.net"));
    b.scalar(&system("5")?, OwnedValue::string(name));
    b.scalar(&system("6")?, OwnedValue::string("nocwatch lab, rack 1"));
    // Layers 2 (datalink) and 3 (internet): 2^1 + 2^2.
    b.scalar(&system("7")?, OwnedValue::Integer(6));
    b.scalar(&system("8")?, OwnedValue::TimeTicks(0));

    // IF-MIB ifNumber and ifTable (1.3.6.1.2.1.2).
    b.scalar(
        &oid("1.3.6.1.2.1.2.1")?,
        OwnedValue::Integer(i64::from(interfaces)),
    );
    let if_table = (1..=22)
        .map(|c| oid(&format!("1.3.6.1.2.1.2.2.1.{c}")))
        .collect::<Result<Vec<_>, _>>()?;
    let if_x_table = |c: u32| oid(&format!("1.3.6.1.2.1.31.1.1.1.{c}"));
    let (if_name, hc_in, hc_in_ucast, hc_out, hc_out_ucast, high_speed, if_alias) = (
        if_x_table(1)?,
        if_x_table(6)?,
        if_x_table(7)?,
        if_x_table(10)?,
        if_x_table(11)?,
        if_x_table(15)?,
        if_x_table(18)?,
    );
    let zero_dot_zero = oid("0.0")?;
    for index in 1..=interfaces {
        let ifc = Interface::new(device, index);
        let (rx, tx) = (
            Traffic::new(mix(ifc.seed, 1)),
            Traffic::new(mix(ifc.seed, 2)),
        );
        let c32 = CounterWidth::Bits32;
        let c64 = CounterWidth::Bits64;
        // The roles: the same role gives the 32- and 64-bit views of one counter.
        let in_octets = |w| ifc.counter(10, rx.octets, age_secs, w);
        let in_ucast = |w| ifc.counter(11, rx.unicast_pkts, age_secs, w);
        let out_octets = |w| ifc.counter(16, tx.octets, age_secs, w);
        let out_ucast = |w| ifc.counter(17, tx.unicast_pkts, age_secs, w);
        let flaky = index % 7 == 3;
        let mac = [
            0x02, // locally administered, unicast
            (device >> 8) as u8,
            (device >> 16) as u8,
            (device >> 24) as u8,
            (index >> 8) as u8,
            index as u8,
        ];
        let status = |up: bool| OwnedValue::Integer(if up { 1 } else { 2 });
        let row: [Cell; 22] = [
            OwnedValue::Integer(i64::from(index)).into(),
            OwnedValue::string(&format!("GigabitEthernet0/{}", index - 1)).into(),
            OwnedValue::Integer(6).into(), // ethernetCsmacd
            OwnedValue::Integer(1500).into(),
            OwnedValue::Gauge32(1_000_000_000).into(),
            OwnedValue::OctetString(mac.to_vec()).into(),
            status(ifc.admin_up).into(),
            status(ifc.oper_up).into(),
            OwnedValue::TimeTicks((mix(ifc.seed, 9) % u64::from(ticks_at_start)) as u32).into(),
            in_octets(c32),
            in_ucast(c32),
            ifc.counter(12, rx.non_unicast_pkts, age_secs, c32),
            ifc.counter(13, 0, age_secs, c32),
            ifc.counter(14, u64::from(flaky), age_secs, c32),
            ifc.counter(15, 0, age_secs, c32),
            out_octets(c32),
            out_ucast(c32),
            ifc.counter(18, tx.non_unicast_pkts, age_secs, c32),
            ifc.counter(19, u64::from(flaky), age_secs, c32),
            ifc.counter(20, 0, age_secs, c32),
            OwnedValue::Gauge32(0).into(),
            OwnedValue::ObjectIdentifier(zero_dot_zero.clone()).into(),
        ];
        for (column, cell) in if_table.iter().zip(row) {
            b.column(column, &[index], cell);
        }

        b.column(
            &if_name,
            &[index],
            OwnedValue::string(&format!("Gi0/{}", index - 1)),
        );
        b.column(&hc_in, &[index], in_octets(c64));
        b.column(&hc_in_ucast, &[index], in_ucast(c64));
        b.column(&hc_out, &[index], out_octets(c64));
        b.column(&hc_out_ucast, &[index], out_ucast(c64));
        b.column(&high_speed, &[index], OwnedValue::Gauge32(1000));
        let alias = if ifc.oper_up {
            format!("lab link {index}")
        } else {
            String::new()
        };
        b.column(&if_alias, &[index], OwnedValue::string(&alias));
    }

    // IP-MIB scalars and ipAddrTable (1.3.6.1.2.1.4).
    b.scalar(&oid("1.3.6.1.2.1.4.1")?, OwnedValue::Integer(1)); // forwarding
    b.scalar(&oid("1.3.6.1.2.1.4.2")?, OwnedValue::Integer(64));
    let ip_addr = |c: u32| oid(&format!("1.3.6.1.2.1.4.20.1.{c}"));
    let (ad_addr, ad_if_index, ad_mask, ad_bcast) =
        (ip_addr(1)?, ip_addr(2)?, ip_addr(3)?, ip_addr(4)?);
    for index in 1..=interfaces.min(65_535) {
        let ip = [10, (index >> 8) as u8, index as u8, 1];
        let key = ip.map(u32::from);
        b.column(&ad_addr, &key, OwnedValue::IpAddress(ip));
        b.column(&ad_if_index, &key, OwnedValue::Integer(i64::from(index)));
        b.column(&ad_mask, &key, OwnedValue::IpAddress([255, 255, 255, 0]));
        b.column(&ad_bcast, &key, OwnedValue::Integer(1));
    }

    // UCD-SNMP-MIB laTable (1.3.6.1.4.1.2021.10.1), as net-snmp serves it.
    let la = |c: u32| oid(&format!("1.3.6.1.4.1.2021.10.1.{c}"));
    let (la_index, la_names, la_load, la_load_int, la_load_float) =
        (la(1)?, la(2)?, la(3)?, la(5)?, la(6)?);
    for (i, minutes) in [(1u32, 1u32), (2, 5), (3, 15)] {
        let load = 0.05 + (mix(device, u64::from(100 + i)) % 150) as f32 / 100.0;
        b.column(&la_index, &[i], OwnedValue::Integer(i64::from(i)));
        b.column(
            &la_names,
            &[i],
            OwnedValue::string(&format!("Load-{minutes}")),
        );
        b.column(&la_load, &[i], OwnedValue::string(&format!("{load:.2}")));
        b.column(
            &la_load_int,
            &[i],
            OwnedValue::Integer((load * 100.0).round() as i64),
        );
        b.column(&la_load_float, &[i], OwnedValue::opaque_float(load));
    }

    b.build()
}

/// A ready agent serving [`lab_mib`] with the default configuration (`public`
/// read-only, `private` read-write).
///
/// Every OID of the dataset is a constant under `1.3.6.1` (or `0.0`) with fewer than
/// 20 arcs and no two coincide, so building cannot fail; should a future edit break
/// that, the error is logged and the agent answers from an empty view rather than
/// panicking (the crate's tests would catch it first).
pub fn lab_device(name: &str, interfaces: u32) -> Agent {
    let mib = lab_mib(name, interfaces).unwrap_or_else(|e| {
        error!(error = %e, name, interfaces, "building the lab dataset failed");
        Mib::default()
    });
    Agent::new(mib, AgentConfig::default())
}
