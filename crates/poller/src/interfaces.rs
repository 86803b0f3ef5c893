//! An interface table read with one client (what `nocwatch demo` shows a
//! round of): each interface's name, state, speed and 64-bit octet counters,
//! and the traffic rates of successive reads through [`crate::rate`].

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use nocwatch_net::{NetError, Reply, RequestSpec, Transport, WalkOptions, walk};
use nocwatch_snmp::{Oid, PduType, Value, VarBind, Version, oids};
use nocwatch_store::unix_nanos;

use crate::PollerError;
use crate::column::SYS_UP_TIME;
use crate::rate::{Ceiling, CounterRate, CounterReading, CounterWidth, UptimeTracker};

/// One interface as read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Interface {
    /// ifName.
    pub name: String,
    /// ifOperStatus is up(1).
    pub oper_up: bool,
    /// ifHighSpeed, Mbit/s.
    pub high_speed_mbps: Option<u32>,
    /// ifHCInOctets.
    pub in_octets: Option<u64>,
    /// ifHCOutOctets.
    pub out_octets: Option<u64>,
}

/// One read of a device's interfaces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterfaceTable {
    /// By ifIndex.
    pub interfaces: BTreeMap<u32, Interface>,
    /// sysUpTime, when read.
    pub uptime: Option<u32>,
    /// When the read ended, unix nanoseconds.
    pub at: u64,
    /// Varbinds received.
    pub varbinds: u64,
    /// Requests sent.
    pub requests: u64,
    /// How long the read took.
    pub took: Duration,
}

/// Reads sysUpTime, ifTable and ifXTable of `target` with GetBulk
/// (`opts` gives version, community and repetitions).
///
/// # Errors
///
/// [`PollerError::Net`] when a walk fails.
pub async fn read_interfaces<T: Transport>(
    client: &T,
    target: SocketAddr,
    opts: &WalkOptions,
) -> Result<InterfaceTable, PollerError> {
    let started = Instant::now();
    let mut table = InterfaceTable::default();
    for root in [SYS_UP_TIME, oids::IF_TABLE, oids::IF_X_TABLE] {
        let root_oid = Oid::from_arcs(root).map_err(|_| PollerError::Walk {
            walk: oids::text(root),
        })?;
        let summary = walk(client, target, &root_oid, opts, |vb| {
            if root == SYS_UP_TIME {
                if let Value::TimeTicks(t) = vb.value {
                    table.uptime = Some(t);
                }
                return;
            }
            // column = the arc after table.entry; index = the last arc.
            let arcs: Vec<u32> = vb.name.arcs().collect();
            let (Some(&column), Some(&index)) = (arcs.get(root_oid.len() + 1), arcs.last()) else {
                return;
            };
            let entry = table.interfaces.entry(index).or_default();
            let x = root == oids::IF_X_TABLE;
            match (x, column, vb.value) {
                (false, 8, Value::Integer(s)) => entry.oper_up = s == 1,
                (true, 1, Value::OctetString(n)) => {
                    entry.name = String::from_utf8_lossy(n).into_owned();
                }
                (true, 6, Value::Counter64(v)) => entry.in_octets = Some(v),
                (true, 10, Value::Counter64(v)) => entry.out_octets = Some(v),
                (true, 15, Value::Gauge32(v)) => entry.high_speed_mbps = Some(v),
                _ => {}
            }
        })
        .await?;
        table.varbinds += summary.varbinds;
        table.requests += summary.requests;
    }
    table.took = started.elapsed();
    table.at = unix_nanos(SystemTime::now());
    Ok(table)
}

/// sysName.0, sysDescr.0 and sysUpTime.0: a device's identity, what a poller asks
/// first (and `nocwatch demo` prints).
pub const SYSTEM: [&[u32]; 3] = [oids::SYS_NAME_0, oids::SYS_DESCR_0, oids::SYS_UPTIME_0];

/// GETs [`SYSTEM`] of `target` in one v2c request with `community`; the bindings
/// are read from the returned [`Reply`] (an agent error-status is not an error here).
///
/// # Errors
///
/// [`PollerError::Net`] when the request fails (timeout, socket).
pub async fn read_system<T: Transport>(
    client: &T,
    target: SocketAddr,
    community: &[u8],
) -> Result<Reply, PollerError> {
    let names: Vec<Oid> = SYSTEM
        .iter()
        .map(|a| Oid::from_arcs(a))
        .collect::<Result<_, _>>()
        .map_err(|e| PollerError::Net(NetError::Snmp(e.into())))?;
    let vbs: Vec<VarBind<'_>> = names
        .iter()
        .map(|o| VarBind::null(o.as_oid_ref()))
        .collect();
    let spec = RequestSpec::new(target, Version::V2c, community, PduType::GetRequest);
    Ok(client.request(spec, &vbs).await?)
}

/// A device's traffic in bits per second, summed over the interfaces that
/// have a rate this round.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Traffic {
    /// Inbound; `None` when no interface has a rate (the first round, or the
    /// device restarted).
    pub in_bps: Option<f64>,
    /// Outbound, likewise.
    pub out_bps: Option<f64>,
}

/// The rate state of one device's interfaces across reads.
#[derive(Debug, Clone, Default)]
pub struct InterfaceRates {
    uptime: UptimeTracker,
    counters: HashMap<u32, [CounterRate; 2]>,
}

impl InterfaceRates {
    /// A device not read yet.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes a read; returns the traffic since the previous one.
    pub fn update(&mut self, table: &InterfaceTable) -> Traffic {
        let continuity = match table.uptime {
            Some(t) => self.uptime.observe(t, table.at).0,
            None => self.uptime.unobserved(),
        };
        self.counters
            .retain(|index, _| table.interfaces.contains_key(index));
        let mut traffic = Traffic::default();
        for (index, i) in &table.interfaces {
            let ceiling = i
                .high_speed_mbps
                .and_then(|m| Ceiling::for_octets(f64::from(m) * 1e6));
            let [rx, tx] = self.counters.entry(*index).or_default();
            let rate = |state: &mut CounterRate, value: Option<u64>| {
                let reading = CounterReading {
                    value: value?,
                    width: CounterWidth::Bits64,
                    at: table.at,
                };
                let r = state.update(reading, continuity, None, ceiling).ok()?;
                Some(r.per_second * 8.0)
            };
            if let Some(r) = rate(rx, i.in_octets) {
                traffic.in_bps = Some(traffic.in_bps.unwrap_or(0.0) + r);
            }
            if let Some(r) = rate(tx, i.out_octets) {
                traffic.out_bps = Some(traffic.out_bps.unwrap_or(0.0) + r);
            }
        }
        traffic
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    const SEC: u64 = 1_000_000_000;

    fn table(at_s: u64, uptime: u32, octets: &[(u32, u64, u64)]) -> InterfaceTable {
        InterfaceTable {
            interfaces: octets
                .iter()
                .map(|&(i, rx, tx)| {
                    let iface = Interface {
                        name: format!("eth{i}"),
                        oper_up: true,
                        high_speed_mbps: Some(1_000),
                        in_octets: Some(rx),
                        out_octets: Some(tx),
                    };
                    (i, iface)
                })
                .collect(),
            uptime: Some(uptime),
            at: 1_700_000_000 * SEC + at_s * SEC,
            ..InterfaceTable::default()
        }
    }

    #[test]
    fn traffic_sums_the_interfaces_from_the_second_read() {
        let mut r = InterfaceRates::new();
        let t = r.update(&table(0, 100_000, &[(1, 0, 0), (2, 0, 0)]));
        assert_eq!(t, Traffic::default());
        let t = r.update(&table(10, 101_000, &[(1, 1_000, 500), (2, 250, 0)]));
        assert_eq!(t.in_bps, Some(1_000.0));
        assert_eq!(t.out_bps, Some(400.0));
    }

    #[test]
    fn a_restart_gives_no_traffic_for_one_round_then_traffic_again() {
        let mut r = InterfaceRates::new();
        let _ = r.update(&table(0, 100_000, &[(1, 5_000_000, 0)]));
        // Rebooted: counters back near 0, sysUpTime too.
        let t = r.update(&table(10, 500, &[(1, 1_000, 0)]));
        assert_eq!(t.in_bps, None);
        let t = r.update(&table(20, 1_500, &[(1, 2_000, 0)]));
        assert_eq!(t.in_bps, Some(800.0));
    }

    /// Against a simulated device: two reads a little apart give a rate, from
    /// the reads' own timestamps.
    #[tokio::test]
    async fn reads_a_simulated_device() {
        use std::sync::Arc;
        let agent = Arc::new(nocwatch_sim::lab_device("lab-router-01", 4));
        let server = nocwatch_sim::AgentServer::spawn(agent, SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let client = nocwatch_net::Client::bind(nocwatch_net::ClientConfig::default())
            .await
            .unwrap();
        let opts = WalkOptions {
            bulk: true,
            max_repetitions: 25,
            get_root_if_empty: false,
            ..WalkOptions::default()
        };
        let first = read_interfaces(&client, server.local_addr(), &opts)
            .await
            .unwrap();
        assert_eq!(first.interfaces.len(), 4, "{first:?}");
        assert!(first.uptime.is_some());
        assert!(
            first
                .interfaces
                .values()
                .all(|i| !i.name.is_empty() && i.in_octets.is_some())
        );
        let mut rates = InterfaceRates::new();
        assert_eq!(rates.update(&first), Traffic::default());
        // Wait until the device's clock has moved on (its counters follow it).
        let deadline = Instant::now() + Duration::from_secs(10);
        let second = loop {
            let t = read_interfaces(&client, server.local_addr(), &opts)
                .await
                .unwrap();
            if t.uptime > first.uptime.map(|u| u + 10) || Instant::now() > deadline {
                break t;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let traffic = rates.update(&second);
        assert!(traffic.in_bps.is_some_and(|r| r >= 0.0), "{traffic:?}");

        // The identity: the three system objects, in the order asked.
        let reply = read_system(&client, server.local_addr(), b"public")
            .await
            .unwrap();
        let pdu = reply.pdu().unwrap();
        let vbs: Vec<_> = pdu.varbinds.iter().map(Result::unwrap).collect();
        let names: Vec<Vec<u32>> = vbs.iter().map(|vb| vb.name.arcs().collect()).collect();
        assert_eq!(names, SYSTEM.map(<[u32]>::to_vec));
        assert_eq!(vbs[0].value, Value::OctetString(b"lab-router-01"));
        assert!(matches!(vbs[2].value, Value::TimeTicks(_)));
        server.stop().await.unwrap();
    }
}
