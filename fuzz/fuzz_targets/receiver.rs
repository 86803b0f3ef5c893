//! Fuzz target: the notification receiver (`nocwatch_snmp::receiver::Receiver`) takes
//! any datagram without panicking and counts it: every datagram handled is in
//! `stats().datagrams`. One v3 user is configured, so the USM paths (discovery,
//! digest checks, decryption, Reports) are reachable with authentic-looking input.

#![no_main]

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use libfuzzer_sys::fuzz_target;
use nocwatch_snmp::crypto::{AuthProtocol, PrivProtocol};
use nocwatch_snmp::receiver::{AuthoritativeEngine, Receiver, ReceiverConfig};
use nocwatch_snmp::{SecurityLevel, UsmUser};

fn user() -> Arc<UsmUser> {
    static USER: OnceLock<Arc<UsmUser>> = OnceLock::new();
    USER.get_or_init(|| {
        Arc::new(
            UsmUser::new(
                b"fuzz",
                SecurityLevel::AuthPriv,
                Some((AuthProtocol::Sha256, b"fuzz-auth-pass")),
                Some((PrivProtocol::Aes128, b"fuzz-priv-pass")),
            )
            .unwrap(),
        )
    })
    .clone()
}

fuzz_target!(|data: &[u8]| {
    let config = ReceiverConfig {
        users: vec![user()],
        ..ReceiverConfig::default()
    };
    let engine = AuthoritativeEngine::new(
        b"\x80\x00\x00\x00\x05fuzzengine".to_vec(),
        1,
        Instant::now(),
    );
    let mut receiver = Receiver::new(config, engine).unwrap();
    let from = SocketAddr::from(([127, 0, 0, 1], 40000));
    // The input may hold several datagrams, separated by 0xFE bytes.
    let mut handled = 0;
    for datagram in data.split(|&b| b == 0xfe) {
        let _ = receiver.handle(Instant::now(), from, datagram);
        handled += 1;
    }
    assert_eq!(receiver.stats().datagrams, handled);
});
