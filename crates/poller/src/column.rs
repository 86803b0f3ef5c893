//! The columns and scalars the poller knows by name, and what each is to the
//! rate computation. A metric is named after its column and instance
//! (`ifHCInOctets.3`, `sysUpTime.0`); a column not listed here keeps its
//! dotted OID as its name.

use std::fmt::Write as _;

use nocwatch_snmp::OidRef;
use nocwatch_snmp::oids;

/// What a known column is to the poller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A value published as it is.
    Plain,
    /// An IF-MIB octet counter: its ceiling is the interface's line rate.
    Octets,
    /// An IF-MIB packet, error or discard counter: its ceiling is the most
    /// packets the interface's line rate carries.
    Packets,
    /// sysUpTime: tells a device's restart from a counter wrap.
    Uptime,
    /// ifSpeed (bit/s), for the interface's line rate.
    IfSpeed,
    /// ifHighSpeed (Mbit/s), for the interface's line rate.
    IfHighSpeed,
    /// ifCounterDiscontinuityTime: a change voids the interface's rates.
    Discontinuity,
}

impl Role {
    /// Whether the instance of this column is an IF-MIB ifIndex.
    #[must_use]
    pub const fn is_per_interface(self) -> bool {
        !matches!(self, Self::Plain | Self::Uptime)
    }
}

/// A column: OID prefix, name, role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The column's OID arcs (instances follow them).
    pub oid: &'static [u32],
    /// Its name in metric names.
    pub name: &'static str,
    /// What it is to the rate computation.
    pub role: Role,
}

const fn col(oid: &'static [u32], name: &'static str, role: Role) -> Column {
    Column { oid, name, role }
}

/// `arcs` without its last arc: a scalar's object from its instance.
const fn parent(arcs: &'static [u32]) -> &'static [u32] {
    match arcs.split_last() {
        Some((_, parent)) => parent,
        None => arcs,
    }
}

/// sysUpTime (the object; `.0` is the instance), read from every target for
/// the rates (see [`crate::SnmpSource`]).
pub const SYS_UP_TIME: &[u32] = parent(oids::SYS_UPTIME_0);

/// ifEntry and ifXEntry, the prefixes of IF-MIB's columns.
const IF: [u32; 9] = [1, 3, 6, 1, 2, 1, 2, 2, 1];
const IFX: [u32; 10] = [1, 3, 6, 1, 2, 1, 31, 1, 1, 1];

/// A column of ifEntry / ifXEntry.
const fn if_col(n: u32) -> [u32; 10] {
    [
        IF[0], IF[1], IF[2], IF[3], IF[4], IF[5], IF[6], IF[7], IF[8], n,
    ]
}
const fn ifx_col(n: u32) -> [u32; 11] {
    [
        IFX[0], IFX[1], IFX[2], IFX[3], IFX[4], IFX[5], IFX[6], IFX[7], IFX[8], IFX[9], n,
    ]
}

const IF_SPEED: [u32; 10] = if_col(5);
const IF_IN_OCTETS: [u32; 10] = if_col(10);
const IF_IN_UCAST_PKTS: [u32; 10] = if_col(11);
const IF_IN_DISCARDS: [u32; 10] = if_col(13);
const IF_IN_ERRORS: [u32; 10] = if_col(14);
const IF_OUT_OCTETS: [u32; 10] = if_col(16);
const IF_OUT_UCAST_PKTS: [u32; 10] = if_col(17);
const IF_OUT_DISCARDS: [u32; 10] = if_col(19);
const IF_OUT_ERRORS: [u32; 10] = if_col(20);
const IF_HC_IN_OCTETS: [u32; 11] = ifx_col(6);
const IF_HC_IN_UCAST_PKTS: [u32; 11] = ifx_col(7);
const IF_HC_OUT_OCTETS: [u32; 11] = ifx_col(10);
const IF_HC_OUT_UCAST_PKTS: [u32; 11] = ifx_col(11);
const IF_HIGH_SPEED: [u32; 11] = ifx_col(15);
const IF_COUNTER_DISCONTINUITY_TIME: [u32; 11] = ifx_col(19);
const HR_PROCESSOR_LOAD: [u32; 11] = [1, 3, 6, 1, 2, 1, 25, 3, 3, 1, 2];
const SS_CPU_IDLE: [u32; 9] = [1, 3, 6, 1, 4, 1, 2021, 11, 11];

/// The known columns. IF-MIB counters not listed (multicast, broadcast, the
/// 32-bit unicast packets of ifXTable) are per-interface too, but without a
/// role they get no ceiling.
pub const COLUMNS: [Column; 20] = [
    col(SYS_UP_TIME, "sysUpTime", Role::Uptime),
    col(&IF_SPEED, "ifSpeed", Role::IfSpeed),
    col(oids::IF_ADMIN_STATUS, "ifAdminStatus", Role::Plain),
    col(oids::IF_OPER_STATUS, "ifOperStatus", Role::Plain),
    col(&IF_IN_OCTETS, "ifInOctets", Role::Octets),
    col(&IF_IN_UCAST_PKTS, "ifInUcastPkts", Role::Packets),
    col(&IF_IN_DISCARDS, "ifInDiscards", Role::Packets),
    col(&IF_IN_ERRORS, "ifInErrors", Role::Packets),
    col(&IF_OUT_OCTETS, "ifOutOctets", Role::Octets),
    col(&IF_OUT_UCAST_PKTS, "ifOutUcastPkts", Role::Packets),
    col(&IF_OUT_DISCARDS, "ifOutDiscards", Role::Packets),
    col(&IF_OUT_ERRORS, "ifOutErrors", Role::Packets),
    col(&IF_HC_IN_OCTETS, "ifHCInOctets", Role::Octets),
    col(&IF_HC_IN_UCAST_PKTS, "ifHCInUcastPkts", Role::Packets),
    col(&IF_HC_OUT_OCTETS, "ifHCOutOctets", Role::Octets),
    col(&IF_HC_OUT_UCAST_PKTS, "ifHCOutUcastPkts", Role::Packets),
    col(&IF_HIGH_SPEED, "ifHighSpeed", Role::IfHighSpeed),
    col(
        &IF_COUNTER_DISCONTINUITY_TIME,
        "ifCounterDiscontinuityTime",
        Role::Discontinuity,
    ),
    col(&HR_PROCESSOR_LOAD, "hrProcessorLoad", Role::Plain),
    col(&SS_CPU_IDLE, "ssCpuIdle", Role::Plain),
];

/// The known columns, parsed once, matched by OID prefix.
#[derive(Debug, Clone, Copy)]
pub struct Columns {
    columns: &'static [Column],
}

/// A value's OID, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// The metric name: the column's name and the instance, or the dotted OID.
    pub metric: String,
    /// The column, when known.
    pub column: Option<Column>,
    /// The IF-MIB ifIndex of a per-interface column's instance.
    pub if_index: Option<u32>,
}

impl Default for Columns {
    fn default() -> Self {
        Self::new()
    }
}

impl Columns {
    /// The table of [`COLUMNS`].
    #[must_use]
    pub fn new() -> Self {
        Self { columns: &COLUMNS }
    }

    /// Names `oid`.
    #[must_use]
    pub fn name(&self, oid: &OidRef<'_>) -> Named {
        let arcs: Vec<u32> = oid.arcs().collect();
        let mut metric = String::new();
        let (rest, column) = match self.columns.iter().find(|c| arcs.starts_with(c.oid)) {
            Some(c) => {
                metric.push_str(c.name);
                (&arcs[c.oid.len()..], Some(*c))
            }
            None => (&arcs[..], None),
        };
        for (i, a) in rest.iter().enumerate() {
            if i > 0 || !metric.is_empty() {
                metric.push('.');
            }
            let _ = write!(metric, "{a}");
        }
        let if_index = match (column, rest) {
            (Some(c), [i]) if c.role.is_per_interface() => Some(*i),
            _ => None,
        };
        Named {
            metric,
            column,
            if_index,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use nocwatch_snmp::Oid;

    use super::*;

    #[test]
    fn metric_names_use_known_columns_and_instances() {
        let columns = Columns::new();
        // No column is a prefix of another (the first match is the only one).
        for a in &COLUMNS {
            for b in &COLUMNS {
                assert!(
                    a == b || !b.oid.starts_with(a.oid),
                    "{} / {}",
                    a.name,
                    b.name
                );
            }
        }
        let name = |s: &str| columns.name(&s.parse::<Oid>().unwrap().as_oid_ref());
        assert_eq!(name("1.3.6.1.2.1.31.1.1.1.6.3").metric, "ifHCInOctets.3");
        assert_eq!(name("1.3.6.1.2.1.31.1.1.1.6.3").if_index, Some(3));
        assert_eq!(name("1.3.6.1.2.1.1.3.0").metric, "sysUpTime.0");
        assert_eq!(name("1.3.6.1.2.1.1.3.0").if_index, None);
        // ifInOctets (…2.2.1.10) must not be taken for ifInDiscards' prefix, and
        // column 1 must not match column 10.
        assert_eq!(name("1.3.6.1.2.1.2.2.1.10.12").metric, "ifInOctets.12");
        let n = name("1.3.6.1.2.1.2.2.1.1.12");
        assert_eq!(n.metric, "1.3.6.1.2.1.2.2.1.1.12");
        assert_eq!((n.column, n.if_index), (None, None));
        assert_eq!(name("1.3.6.1.4.1.9.9").metric, "1.3.6.1.4.1.9.9");
        let n = name("1.3.6.1.2.1.25.3.3.1.2.768");
        assert_eq!(n.metric, "hrProcessorLoad.768");
        assert_eq!(n.if_index, None, "hrProcessorLoad is not per interface");
        // A column with no instance names the column alone.
        assert_eq!(name("1.3.6.1.2.1.31.1.1.1.15").metric, "ifHighSpeed");
    }
}
