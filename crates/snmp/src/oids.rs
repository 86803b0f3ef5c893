//! Well-known object identifiers, defined once for every crate.
//!
//! Why here: the protocol core needs some of them itself (snmpTrapOID.0 for the
//! notification receiver, usmStats for Reports), and the trap pipeline, the CLI's
//! trap sender and printer, the simulator and the poller need the rest. Before this
//! module the same arcs were written out in five places, in three forms. Each is a
//! `&[u32]` of arcs; [`text`] gives the dotted form, and [`is`] compares an
//! [`OidRef`](crate::OidRef) without allocating.

use crate::OidRef;

/// SNMPv2-MIB::sysDescr.0 (RFC 3418).
pub const SYS_DESCR_0: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 1, 0];
/// SNMPv2-MIB::sysObjectID.0.
pub const SYS_OBJECT_ID_0: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 2, 0];
/// SNMPv2-MIB::sysUpTime.0: first binding of every SNMPv2 notification (RFC 3416 §4.2.6).
pub const SYS_UPTIME_0: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
/// SNMPv2-MIB::sysName.0.
pub const SYS_NAME_0: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 5, 0];
/// SNMPv2-MIB::snmpTrapOID.0: second binding of every SNMPv2 notification.
pub const SNMP_TRAP_OID_0: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];
/// SNMPv2-MIB::snmpTrapEnterprise.0 (added by RFC 3584 v1 translation).
pub const SNMP_TRAP_ENTERPRISE_0: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 4, 3, 0];
/// SNMPv2-MIB::snmpTraps: the generic traps' prefix (coldStart is `.1`).
pub const SNMP_TRAPS: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5];
/// SNMPv2-MIB::coldStart.
pub const COLD_START: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5, 1];
/// SNMPv2-MIB::warmStart.
pub const WARM_START: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5, 2];
/// IF-MIB::linkDown.
pub const LINK_DOWN: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5, 3];
/// IF-MIB::linkUp.
pub const LINK_UP: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5, 4];
/// SNMPv2-MIB::authenticationFailure.
pub const AUTHENTICATION_FAILURE: &[u32] = &[1, 3, 6, 1, 6, 3, 1, 1, 5, 5];
/// SNMP-COMMUNITY-MIB::snmpTrapAddress.0 (RFC 3584: a proxy's original sender).
pub const SNMP_TRAP_ADDRESS_0: &[u32] = &[1, 3, 6, 1, 6, 3, 18, 1, 3, 0];
/// SNMP-COMMUNITY-MIB::snmpTrapCommunity.0.
pub const SNMP_TRAP_COMMUNITY_0: &[u32] = &[1, 3, 6, 1, 6, 3, 18, 1, 4, 0];
/// SNMP-USER-BASED-SM-MIB::usmStats: the prefix of the counters sent in Reports.
pub const USM_STATS: &[u32] = &[1, 3, 6, 1, 6, 3, 15, 1, 1];
/// usmStatsNotInTimeWindows.0.
pub const USM_STATS_NOT_IN_TIME_WINDOWS_0: &[u32] = &[1, 3, 6, 1, 6, 3, 15, 1, 1, 2, 0];
/// usmStatsUnknownUserNames.0.
pub const USM_STATS_UNKNOWN_USER_NAMES_0: &[u32] = &[1, 3, 6, 1, 6, 3, 15, 1, 1, 3, 0];
/// usmStatsUnknownEngineIDs.0.
pub const USM_STATS_UNKNOWN_ENGINE_IDS_0: &[u32] = &[1, 3, 6, 1, 6, 3, 15, 1, 1, 4, 0];
/// mib-2: the default root of a walk.
pub const MIB_2: &[u32] = &[1, 3, 6, 1, 2, 1];
/// IF-MIB::ifTable.
pub const IF_TABLE: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2];
/// IF-MIB::ifIndex (column).
pub const IF_INDEX: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 1];
/// IF-MIB::ifDescr (column).
pub const IF_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 2];
/// IF-MIB::ifAdminStatus (column).
pub const IF_ADMIN_STATUS: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 7];
/// IF-MIB::ifOperStatus (column).
pub const IF_OPER_STATUS: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 8];
/// IF-MIB::ifLastChange (column).
pub const IF_LAST_CHANGE: &[u32] = &[1, 3, 6, 1, 2, 1, 2, 2, 1, 9];
/// IF-MIB::ifXTable.
pub const IF_X_TABLE: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1];
/// IF-MIB::ifName (column).
pub const IF_NAME: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1];

/// Whether `oid` is exactly `arcs`.
pub fn is(oid: &OidRef<'_>, arcs: &[u32]) -> bool {
    let mut it = oid.arcs();
    for &a in arcs {
        match it.next() {
            Some(b) if b == a => {}
            _ => return false,
        }
    }
    it.next().is_none()
}

/// The dotted text of `arcs` (`1.3.6.1.2.1.1.3.0`), for places that parse text.
pub fn text(arcs: &[u32]) -> String {
    let mut s = String::with_capacity(arcs.len() * 3);
    for (i, a) in arcs.iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        s.push_str(&a.to_string());
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::Oid;

    #[test]
    fn compares_and_prints() {
        let oid: Oid = "1.3.6.1.2.1.1.3.0".parse().unwrap();
        assert!(is(&oid.as_oid_ref(), SYS_UPTIME_0));
        assert!(!is(&oid.as_oid_ref(), SYS_NAME_0));
        assert!(!is(&oid.as_oid_ref(), &SYS_UPTIME_0[..8]));
        assert_eq!(text(SNMP_TRAP_OID_0), "1.3.6.1.6.3.1.1.4.1.0");
        assert!(LINK_DOWN.starts_with(SNMP_TRAPS) && COLD_START.starts_with(SNMP_TRAPS));
    }
}
