//! Simulated devices that live: a flap and a restart on a driven clock, seen as a
//! manager sees them, through UDP. Traps arrive on a test socket and are decoded
//! with `nocwatch-snmp`; GETs go to the served device. The clock is a
//! `ManualClock` moved by the test, so a flap that takes seconds takes none and
//! nothing sleeps; every wait is on a datagram with a generous deadline.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::Duration;

use nocwatch_sim::{ChangeKind, Clock as _, ManualClock, Notification, SnmpSim, SnmpSimConfig};
use nocwatch_snmp::{
    CommunityMessage, DecodeOptions, Message, Oid, Pdu, PduType, Pdus, Value, VarBind, VarBinds,
    Version,
};

use nocwatch_snmp::oids::{
    COLD_START, IF_ADMIN_STATUS, IF_INDEX, IF_LAST_CHANGE, IF_OPER_STATUS, LINK_DOWN, LINK_UP,
    SNMP_TRAP_OID_0, SYS_UPTIME_0,
};

/// IF-MIB::ifHCInOctets (column).
const IF_HC_IN_OCTETS: &[u32] = &[1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6];
/// SNMPv2-MIB::snmpInPkts.0.
const SNMP_IN_PKTS: &[u32] = &[1, 3, 6, 1, 2, 1, 11, 1, 0];

/// Longest wait for a datagram that must come.
const DEADLINE: Duration = Duration::from_secs(10);

fn oid(arcs: &[u32]) -> Oid {
    Oid::from_arcs(arcs).unwrap()
}

fn column(c: &[u32], index: u32) -> Oid {
    let mut arcs = c.to_vec();
    arcs.push(index);
    oid(&arcs)
}

/// An owned binding value, for comparisons.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Int(i64),
    Ticks(u32),
    Counter(u64),
    Oid(Oid),
    Other(String),
}

fn seen(v: &Value<'_>) -> Seen {
    match v {
        Value::Integer(i) => Seen::Int(*i),
        Value::TimeTicks(t) => Seen::Ticks(*t),
        Value::Counter32(c) => Seen::Counter(u64::from(*c)),
        Value::Counter64(c) => Seen::Counter(*c),
        Value::ObjectIdentifier(o) => Seen::Oid(o.to_oid()),
        other => Seen::Other(format!("{other:?}")),
    }
}

/// A decoded v2c trap: its bindings and where it came from.
#[derive(Debug)]
struct Trap {
    from: SocketAddr,
    community: Vec<u8>,
    bindings: Vec<(Oid, Seen)>,
}

impl Trap {
    fn value(&self, name: &Oid) -> Option<&Seen> {
        self.bindings.iter().find(|(n, _)| n == name).map(|b| &b.1)
    }

    fn uptime(&self) -> u32 {
        match self.bindings.first() {
            Some((n, Seen::Ticks(t))) if *n == oid(SYS_UPTIME_0) => *t,
            other => panic!("first binding is not sysUpTime.0: {other:?}"),
        }
    }

    fn trap_oid(&self) -> Oid {
        match self.bindings.get(1) {
            Some((n, Seen::Oid(o))) if *n == oid(SNMP_TRAP_OID_0) => o.clone(),
            other => panic!("second binding is not snmpTrapOID.0: {other:?}"),
        }
    }
}

/// Receives and decodes the next trap on `socket`.
fn next_trap(socket: &UdpSocket) -> Trap {
    socket.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut buf = [0u8; 65_536];
    let (n, from) = socket.recv_from(&mut buf).expect("a trap");
    let Message::Community(m) = Message::decode(&buf[..n], &DecodeOptions::strict()).unwrap()
    else {
        panic!("not a community message")
    };
    assert_eq!(m.version, Version::V2c);
    let Pdus::Pdu(pdu) = m.pdu else {
        panic!("a v1 trap")
    };
    assert_eq!(pdu.pdu_type, PduType::SnmpV2Trap);
    let bindings = pdu
        .varbinds
        .iter()
        .map(|vb| {
            let vb = vb.unwrap();
            (vb.name.to_oid(), seen(&vb.value))
        })
        .collect();
    Trap {
        from,
        community: m.community.to_vec(),
        bindings,
    }
}

/// GET of one instance from the device at `device`, as a manager does it.
fn get(device: SocketAddr, name: &Oid) -> Seen {
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    socket.set_read_timeout(Some(DEADLINE)).unwrap();
    let vbs = [VarBind {
        name: name.as_oid_ref(),
        value: Value::Null,
    }];
    let mut request = Vec::new();
    CommunityMessage {
        version: Version::V2c,
        community: b"public",
        pdu: Pdus::Pdu(Pdu::new(
            PduType::GetRequest,
            77,
            VarBinds::from_slice(&vbs),
        )),
    }
    .encode(&mut request);
    socket.send_to(&request, device).unwrap();
    let mut buf = [0u8; 65_536];
    let (n, from) = socket.recv_from(&mut buf).expect("a response");
    assert_eq!(from, device, "answered from the device's address");
    let Message::Community(m) = Message::decode(&buf[..n], &DecodeOptions::strict()).unwrap()
    else {
        panic!("not a community message")
    };
    let Pdus::Pdu(pdu) = m.pdu else {
        panic!("not a response")
    };
    let vb = pdu.varbinds.iter().next().unwrap().unwrap();
    assert_eq!(vb.name.to_oid(), *name);
    seen(&vb.value)
}

/// A lab of `devices` on a driven clock, sending its traps to a test socket.
fn lab(config: SnmpSimConfig) -> (SnmpSim, Arc<ManualClock>, UdpSocket) {
    let receiver = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let config = SnmpSimConfig {
        trap_targets: vec![receiver.local_addr().unwrap()],
        trap_community: "labtraps".into(),
        ..config
    };
    let clock = Arc::new(ManualClock::new(Duration::ZERO));
    let sim = SnmpSim::start_with_clock(&config, clock.clone()).unwrap();
    (sim, clock, receiver)
}

/// Moves the clock a second at a time until a change matching `pick` happens,
/// receiving the trap of every change on the way (they arrive in order); returns
/// the change and its trap.
fn run_until(
    sim: &SnmpSim,
    clock: &ManualClock,
    receiver: &UdpSocket,
    pick: impl Fn(&Notification) -> bool,
) -> (Notification, Trap) {
    for _ in 0..100_000 {
        clock.advance(Duration::from_secs(1));
        let mut found = None;
        for n in sim.step() {
            let trap = next_trap(receiver);
            if found.is_none() && pick(&n) {
                found = Some((n, trap));
            }
        }
        if let Some(f) = found {
            return f;
        }
    }
    panic!("no such change in 100,000 simulated seconds");
}

#[test]
fn a_flap_sends_link_down_then_link_up_and_the_polled_state_agrees() {
    let (sim, clock, receiver) = lab(SnmpSimConfig {
        devices: 3,
        interfaces: 4,
        flap_interval: Duration::from_secs(60),
        down_for: Duration::from_secs(20),
        restart_interval: Duration::ZERO,
        seed: 42,
        ..SnmpSimConfig::default()
    });
    let (down, trap) = run_until(&sim, &clock, &receiver, |n| {
        matches!(n.change.kind, ChangeKind::LinkDown { .. })
    });
    let ChangeKind::LinkDown { if_index } = down.change.kind else {
        unreachable!()
    };
    let device = sim.address(down.device).unwrap();

    // The trap: from the device's own address, the configured community, IF-MIB
    // linkDown with its objects.
    assert_eq!(
        trap.from.ip(),
        device.ip(),
        "trap from the device's address"
    );
    assert_eq!(trap.community, b"labtraps");
    assert_eq!(trap.trap_oid(), oid(LINK_DOWN));
    assert_eq!(
        trap.value(&column(IF_INDEX, if_index)),
        Some(&Seen::Int(i64::from(if_index)))
    );
    assert_eq!(
        trap.value(&column(IF_ADMIN_STATUS, if_index)),
        Some(&Seen::Int(1))
    );
    assert_eq!(
        trap.value(&column(IF_OPER_STATUS, if_index)),
        Some(&Seen::Int(2))
    );
    assert_eq!(trap.bindings.len(), 5);

    // Polled while down: oper down, ifLastChange is the trap's sysUpTime.0, the
    // counters stand still, sysUpTime moves on with the clock.
    assert_eq!(get(device, &column(IF_OPER_STATUS, if_index)), Seen::Int(2));
    assert_eq!(
        get(device, &column(IF_LAST_CHANGE, if_index)),
        Seen::Ticks(trap.uptime())
    );
    let octets = get(device, &column(IF_HC_IN_OCTETS, if_index));
    let Seen::Ticks(up) = get(device, &oid(SYS_UPTIME_0)) else {
        panic!("sysUpTime")
    };
    // Hundredths since the change (each reading is rounded down: one apart at most).
    let since_change = (clock.now() - down.change.at).as_millis() / 10;
    assert!(u128::from(up - trap.uptime()).abs_diff(since_change) <= 1);
    // Down for at least 10 s (half of down_for), and it went down within the
    // last second: still down 300 ms later.
    clock.advance(Duration::from_millis(300));
    for _ in sim.step() {
        next_trap(&receiver);
    }
    assert_eq!(get(device, &column(IF_OPER_STATUS, if_index)), Seen::Int(2));
    assert_eq!(get(device, &column(IF_HC_IN_OCTETS, if_index)), octets);

    // Then linkUp for the same interface, and the interface is up again.
    let (up_note, up_trap) = run_until(&sim, &clock, &receiver, |n| {
        n.device == down.device && n.change.kind == ChangeKind::LinkUp { if_index }
    });
    assert_eq!(up_trap.from.ip(), device.ip());
    assert_eq!(up_trap.trap_oid(), oid(LINK_UP));
    assert_eq!(
        up_trap.value(&column(IF_OPER_STATUS, if_index)),
        Some(&Seen::Int(1))
    );
    let down_for = up_note.change.at - down.change.at;
    assert!(
        (Duration::from_secs(10)..=Duration::from_secs(30)).contains(&down_for),
        "{down_for:?}"
    );
    assert!(
        u128::from(up_trap.uptime() - trap.uptime()).abs_diff(down_for.as_millis() / 10) <= 1,
        "sysUpTime.0 of the two traps differ by the time down"
    );
    assert_eq!(get(device, &column(IF_OPER_STATUS, if_index)), Seen::Int(1));
    assert_eq!(
        get(device, &column(IF_LAST_CHANGE, if_index)),
        Seen::Ticks(up_trap.uptime())
    );
    let Seen::Counter(before) = get(device, &column(IF_HC_IN_OCTETS, if_index)) else {
        panic!("counter")
    };
    let Seen::Counter(frozen) = octets else {
        panic!("counter")
    };
    assert!(before >= frozen, "counters resume where they stopped");
    clock.advance(Duration::from_secs(2));
    let Seen::Counter(after) = get(device, &column(IF_HC_IN_OCTETS, if_index)) else {
        panic!("counter")
    };
    assert!(after > before, "an interface that is up counts again");
    let stats = sim.stop();
    assert!(stats.life.link_downs >= 1 && stats.life.link_ups >= 1);
    assert_eq!(stats.traps.send_errors, 0);
    assert_eq!(
        stats.traps.sent,
        stats.life.link_downs + stats.life.link_ups
    );
}

#[test]
fn a_restart_sends_cold_start_and_uptime_and_counters_start_again() {
    let (sim, clock, receiver) = lab(SnmpSimConfig {
        devices: 2,
        interfaces: 2,
        flap_interval: Duration::ZERO,
        restart_interval: Duration::from_secs(600),
        seed: 9,
        ..SnmpSimConfig::default()
    });
    let device0 = sim.address(0).unwrap();
    let Seen::Ticks(booted_long_ago) = get(device0, &oid(SYS_UPTIME_0)) else {
        panic!("sysUpTime")
    };
    assert!(
        booted_long_ago > 8_640_000,
        "a device starts days into its uptime"
    );
    let (restart, trap) = run_until(&sim, &clock, &receiver, |n| {
        n.change.kind == ChangeKind::Restart
    });
    let device = sim.address(restart.device).unwrap();
    let Seen::Counter(high) = get(device, &oid(SNMP_IN_PKTS)) else {
        panic!("snmpInPkts")
    };
    assert_eq!(
        trap.from.ip(),
        device.ip(),
        "trap from the device's address"
    );
    assert_eq!(trap.trap_oid(), oid(COLD_START));
    assert_eq!(trap.bindings.len(), 2);
    assert_eq!(trap.uptime(), 0, "coldStart at the instant of the restart");

    // sysUpTime reads the time since the restart; counters count from zero.
    let Seen::Ticks(up) = get(device, &oid(SYS_UPTIME_0)) else {
        panic!("sysUpTime")
    };
    assert_eq!(
        u128::from(up),
        (clock.now() - restart.change.at).as_millis() / 10
    );
    assert!(up < 100, "restarted less than a second ago: {up}");
    let Seen::Counter(octets) = get(device, &column(IF_HC_IN_OCTETS, 1)) else {
        panic!("counter")
    };
    // 10 Gb/s at most, for at most a second (jitter 1.5x).
    assert!(octets < 1_875_000_000, "{octets}");
    assert!(high < 1_000_000, "snmpInPkts from zero: {high}");
    assert_eq!(get(device, &column(IF_LAST_CHANGE, 1)), Seen::Ticks(0));
    sim.stop();
}

#[test]
fn the_same_seed_gives_the_same_changes() {
    let run = |seed| {
        let clock = Arc::new(ManualClock::new(Duration::ZERO));
        let sim = SnmpSim::start_with_clock(
            &SnmpSimConfig {
                devices: 5,
                flap_interval: Duration::from_secs(30),
                restart_interval: Duration::from_secs(300),
                seed,
                ..SnmpSimConfig::default()
            },
            clock.clone(),
        )
        .unwrap();
        let mut all = Vec::new();
        for _ in 0..120 {
            clock.advance(Duration::from_secs(5));
            all.extend(sim.step().into_iter().map(|n| (n.device, n.change)));
        }
        all
    };
    let a = run(3);
    assert!(
        a.len() > 20,
        "ten minutes of five devices: {} changes",
        a.len()
    );
    assert_eq!(a, run(3));
    assert_ne!(a, run(4));
}

#[test]
fn without_trap_targets_devices_change_and_send_nothing() {
    let clock = Arc::new(ManualClock::new(Duration::ZERO));
    let sim = SnmpSim::start_with_clock(
        &SnmpSimConfig {
            devices: 4,
            flap_interval: Duration::from_secs(10),
            ..SnmpSimConfig::default()
        },
        clock.clone(),
    )
    .unwrap();
    clock.advance(Duration::from_secs(600));
    assert!(!sim.step().is_empty());
    let stats = sim.stop();
    assert!(stats.life.link_downs > 0);
    assert_eq!(stats.traps.sent, 0);
}

/// A restart is a reboot of the SNMPv3 engine too: snmpEngineBoots goes up by one
/// and snmpEngineTime starts again, as a discovery Report shows.
#[test]
fn a_restart_bumps_the_engine_boots_and_resets_its_time() {
    use nocwatch_sim::{Dynamics, Fleet, FleetConfig, LifeConfig, UsmUsers};
    use nocwatch_snmp::crypto::{AuthProtocol, PrivProtocol};
    use nocwatch_snmp::security::{SecurityLevel, UsmUser, encode_discovery};

    let user = UsmUser::new(
        b"ops",
        SecurityLevel::AuthPriv,
        Some((AuthProtocol::Sha1, b"authpass123")),
        Some((PrivProtocol::Aes128, b"privpass123")),
    )
    .unwrap();
    let fleet = Arc::new(
        Fleet::build(&FleetConfig {
            count: 1,
            interfaces: 2,
            users: Some(Arc::new(UsmUsers::new(vec![user]).unwrap())),
            life: Some(LifeConfig {
                flap_interval: Duration::ZERO,
                down_for: Duration::from_secs(10),
                restart_interval: Duration::from_secs(300),
                seed: 2,
            }),
            ..FleetConfig::default()
        })
        .unwrap(),
    );
    let agent = fleet.agent(0).unwrap().clone();
    let discover = |now: Duration| {
        let mut probe = Vec::new();
        encode_discovery(1, &mut probe);
        let mut out = Vec::new();
        assert!(agent.respond_at(now, &probe, &mut out).replied());
        let Message::V3(m) = Message::decode(&out, &DecodeOptions::strict()).unwrap() else {
            panic!("not v3")
        };
        let usm = m.usm().unwrap();
        (usm.engine_boots, usm.engine_time)
    };
    assert_eq!(
        discover(Duration::from_secs(5)),
        (1, 5),
        "before any restart"
    );
    let mut dynamics = Dynamics::new(Arc::clone(&fleet));
    let mut now = Duration::from_secs(5);
    let restart = loop {
        now += Duration::from_secs(1);
        let notes = dynamics.advance(now);
        if let Some(n) = notes.iter().find(|n| n.change.kind == ChangeKind::Restart) {
            break n.change.at;
        }
        assert!(now < Duration::from_secs(100_000), "no restart");
    };
    let later = now + Duration::from_secs(42);
    let (boots, time) = discover(later);
    assert_eq!(boots, 2, "one more boot");
    assert_eq!(
        i64::from(time),
        i64::try_from((later - restart).as_secs()).unwrap()
    );
}
