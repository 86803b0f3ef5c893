//! Fuzz target: the simulator's responder (`nocwatch_sim::Agent::respond_at`). Any
//! request bytes, at any instant of a living device (flaps and restarts published),
//! through a plain agent, one with quirks and one with SNMPv3 users, must never
//! panic; a response, when one is produced, must decode with the strict decoder and
//! stay within the agent's size limit.
//!
//! Input: byte 0 picks the agent, bytes 1..3 the instant (seconds into the device's
//! life), the rest is the datagram.

#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use nocwatch_sim::{Dynamics, Fleet, FleetConfig, LifeConfig, UsmUsers};
use nocwatch_snmp::crypto::{AuthProtocol, PrivProtocol};
use nocwatch_snmp::security::{SecurityLevel, UsmUser};
use nocwatch_snmp::{DecodeOptions, Message};

/// Three devices: plain; quirks (tooBig above 5 bindings, a non-increasing OID,
/// every other request-id wrong); SNMPv3 users. All with a life, driven an hour in.
fn fleet() -> &'static Arc<Fleet> {
    static FLEET: OnceLock<Arc<Fleet>> = OnceLock::new();
    FLEET.get_or_init(|| {
        let user = UsmUser::new(
            b"fuzz",
            SecurityLevel::AuthPriv,
            Some((AuthProtocol::Sha1, b"fuzzauth123")),
            Some((PrivProtocol::Aes128, b"fuzzpriv123")),
        )
        .unwrap();
        let mut config = FleetConfig {
            count: 3,
            interfaces: 4,
            users: Some(Arc::new(UsmUsers::new(vec![user]).unwrap())),
            life: Some(LifeConfig {
                flap_interval: Duration::from_secs(20),
                down_for: Duration::from_secs(10),
                restart_interval: Duration::from_secs(900),
                seed: 1,
            }),
            ..FleetConfig::default()
        };
        let quirks = nocwatch_sim::DeviceOverride {
            quirks: nocwatch_sim::QuirksOverride {
                too_big_above: Some(5),
                non_increasing_at: Some("1.3.6.1.2.1.2.2.1.8.2".parse().unwrap()),
                wrong_request_id_every: Some(2),
                ..Default::default()
            },
            ..Default::default()
        };
        config.overrides.push((1..=1, quirks));
        let fleet = Arc::new(Fleet::build(&config).unwrap());
        let mut life = Dynamics::new(Arc::clone(&fleet));
        life.advance(Duration::from_secs(3600));
        fleet
    })
}

fuzz_target!(|data: &[u8]| {
    let [pick, hi, lo, request @ ..] = data else {
        return;
    };
    let fleet = fleet();
    let Some(agent) = fleet.agent(usize::from(*pick) % fleet.len()) else {
        return;
    };
    // From an hour in (the published changes) to 18 hours later.
    let now = Duration::from_secs(3600 + u64::from(u16::from_be_bytes([*hi, *lo])));
    let mut out = Vec::new();
    if agent.respond_at(now, request, &mut out).replied() {
        assert!(out.len() <= agent.config().max_message_size);
        Message::decode(&out, &DecodeOptions::strict()).expect("a response decodes");
    }
});
