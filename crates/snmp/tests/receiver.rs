//! Interop: net-snmp's `snmptrap` and `snmpinform` against the sans-IO receiver.
//!
//! Each test binds a UDP socket on 127.0.0.1, runs the net-snmp tool in a thread
//! aimed at it, and serves datagrams in the test thread: `Receiver::handle`, then
//! the Report or the inform's ack goes back to the sender (the ack after the
//! notification is recorded, as a listener would after journaling it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use nocwatch_snmp::crypto::{AuthProtocol, PrivProtocol};
use nocwatch_snmp::receiver::{
    AuthoritativeEngine, DropReason, NotificationKind, Outcome, Receiver, ReceiverConfig, Security,
    generate_engine_id,
};
use nocwatch_snmp::{Pdus, SecurityLevel, UsmUser, Value, Version};
use nocwatch_testkit::{TempDir, ToolOutput, net_snmp_tool, skip_unless_snmp};

const AUTH_PW: &str = "trap-auth-pass";
const PRIV_PW: &str = "trap-priv-pass";
const LINK_DOWN: &str = "1.3.6.1.6.3.1.1.5.3";
const COLD_START: &str = "1.3.6.1.6.3.1.1.5.1";

/// What the test keeps of a notification.
#[derive(Debug, Clone)]
struct Got {
    kind: NotificationKind,
    version: Version,
    name: String,
    engine_id: Vec<u8>,
    level: Option<SecurityLevel>,
    trap_oid: Option<String>,
    /// (OID, value) for every binding, values as `Debug`.
    bindings: Vec<(String, String)>,
    /// v1 Traps: (enterprise, agent-addr, generic, specific).
    v1: Option<(String, Ipv4Addr, i32, i32)>,
}

struct Harness {
    socket: UdpSocket,
    rx: Receiver,
    target: String,
    drops: Vec<DropReason>,
}

impl Harness {
    fn new(users: Vec<Arc<UsmUser>>) -> Self {
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let port = socket.local_addr().unwrap().port();
        let config = ReceiverConfig {
            communities: Some(vec![b"public".to_vec()]),
            users,
            salt_seed: u64::from(port) << 32,
            ..ReceiverConfig::default()
        };
        let engine = AuthoritativeEngine::new(
            generate_engine_id(u64::from(port) ^ 0x6e6f_6377),
            1,
            Instant::now(),
        );
        Self {
            socket,
            rx: Receiver::new(config, engine).unwrap(),
            target: format!("127.0.0.1:{port}"),
            drops: Vec::new(),
        }
    }

    /// Runs `tool` with `args` (the target is substituted for `{target}`), serving
    /// the receiver until the tool exits and the socket goes quiet.
    fn run(&mut self, tool: &'static str, args: &[&str]) -> (ToolOutput, Vec<Got>) {
        // net-snmp tools keep engineBoots, their engine ID and users in a persistent
        // file shared by every run on the host (/var/lib/snmp/snmpapp.conf). With it,
        // snmpinform intermittently rejected the discovery Report ("Unknown User()",
        // after a warning while reading that file) when other runs used it at the
        // same time; a private directory per run keeps each tool's state fresh and
        // leaves the host's alone.
        let state = TempDir::new("nocwatch-receiver-tool").unwrap();
        let mut args: Vec<String> = args
            .iter()
            .map(|a| a.replace("{target}", &self.target))
            .collect();
        args.insert(0, format!("--persistentDir={}", state.path().display()));
        let tool_thread = thread::spawn(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            net_snmp_tool(tool, &args).unwrap()
        });
        let mut got = Vec::new();
        let mut buf = vec![0u8; 65_536];
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.socket.recv_from(&mut buf) {
                Ok((n, from)) => self.serve(from, &buf[..n], &mut got),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    if tool_thread.is_finished() || Instant::now() > deadline {
                        break;
                    }
                }
                Err(e) => panic!("recv_from: {e}"),
            }
        }
        let out = tool_thread.join().unwrap();
        drop(state);
        (out, got)
    }

    fn serve(&mut self, from: SocketAddr, datagram: &[u8], got: &mut Vec<Got>) {
        match self.rx.handle(Instant::now(), from, datagram) {
            Outcome::Notification(n) => {
                let (engine_id, level) = match n.security {
                    Security::Usm(u) => (u.engine_id.to_vec(), Some(u.level)),
                    Security::Community(_) => (Vec::new(), None),
                };
                let bindings = n
                    .pdu
                    .varbinds()
                    .iter()
                    .map(|vb| {
                        let vb = vb.unwrap();
                        (vb.name.to_string(), format!("{:?}", vb.value))
                    })
                    .collect();
                let v1 = match n.pdu {
                    Pdus::TrapV1(t) => Some((
                        t.enterprise.to_string(),
                        t.agent_addr,
                        t.generic_trap,
                        t.specific_trap,
                    )),
                    Pdus::Pdu(_) => None,
                };
                // "Journal" the event first, then acknowledge.
                got.push(Got {
                    kind: n.kind,
                    version: n.version,
                    name: String::from_utf8_lossy(n.security_name()).into_owned(),
                    engine_id,
                    level,
                    trap_oid: n.trap_oid().map(|o| o.to_string()),
                    bindings,
                    v1,
                });
                if let Some(ack) = n.ack {
                    self.socket.send_to(ack.datagram(), ack.peer()).unwrap();
                }
            }
            Outcome::Report { datagram, .. } => {
                self.socket.send_to(datagram, from).unwrap();
            }
            Outcome::Dropped(reason) => self.drops.push(reason),
        }
    }
}

fn user(name: &str, auth: AuthProtocol, privacy: PrivProtocol) -> Arc<UsmUser> {
    Arc::new(
        UsmUser::new(
            name.as_bytes(),
            SecurityLevel::AuthPriv,
            Some((auth, AUTH_PW.as_bytes())),
            Some((privacy, PRIV_PW.as_bytes())),
        )
        .unwrap(),
    )
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::from("0x");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn assert_link_down(g: &Got) {
    assert_eq!(g.trap_oid.as_deref(), Some(LINK_DOWN), "{g:?}");
    assert_eq!(g.bindings.len(), 3, "{g:?}");
    assert_eq!(
        g.bindings[0].0, "1.3.6.1.2.1.1.3.0",
        "sysUpTime.0 first: {g:?}"
    );
    assert!(g.bindings[0].1.starts_with("TimeTicks"), "{g:?}");
    assert_eq!(g.bindings[1].0, "1.3.6.1.6.3.1.1.4.1.0", "{g:?}");
    assert_eq!(
        g.bindings[2],
        (
            "1.3.6.1.2.1.2.2.1.1.1".to_string(),
            "Integer(1)".to_string()
        )
    );
}

/// `snmptrap -v3` at authPriv from `engine_id` (`-e`), user `name`.
fn v3_trap(h: &mut Harness, name: &str, auth: &str, privacy: &str, engine_id: &[u8]) -> Vec<Got> {
    let engine = hex(engine_id);
    let (out, got) = h.run(
        "snmptrap",
        &[
            "-v3",
            "-u",
            name,
            "-l",
            "authPriv",
            "-a",
            auth,
            "-A",
            AUTH_PW,
            "-x",
            privacy,
            "-X",
            PRIV_PW,
            "-e",
            &engine,
            "{target}",
            "",
            LINK_DOWN,
            "1.3.6.1.2.1.2.2.1.1.1",
            "i",
            "1",
        ],
    );
    assert!(out.success(), "{out:?}");
    got
}

#[test]
fn v3_traps_from_two_engines_with_one_user() {
    if !skip_unless_snmp() {
        return;
    }
    let mut h = Harness::new(vec![user(
        "trapper",
        AuthProtocol::Sha1,
        PrivProtocol::Aes128,
    )]);
    let a = b"\x80\x00\x1f\x88\x04engine-a".to_vec();
    let b = generate_engine_id(0x5eed);
    for id in [&a, &b, &a] {
        let got = v3_trap(&mut h, "trapper", "SHA", "AES", id);
        assert_eq!(got.len(), 1, "{got:?} drops {:?}", h.drops);
        let g = &got[0];
        assert_eq!((g.kind, g.version), (NotificationKind::Trap, Version::V3));
        assert_eq!(g.name, "trapper");
        assert_eq!(&g.engine_id, id);
        assert_eq!(g.level, Some(SecurityLevel::AuthPriv));
        assert_link_down(g);
    }
    let ks = h.rx.key_cache_stats();
    assert_eq!(ks.ku_misses, 2, "one derivation per password: {ks:?}");
    assert_eq!(ks.kul_misses, 4, "two localizations per engine: {ks:?}");
    assert_eq!(ks.priv_misses, 2, "{ks:?}");
    assert_eq!(h.rx.stats().traps, 3);
    assert!(h.drops.is_empty(), "{:?}", h.drops);
}

#[test]
fn v3_traps_with_every_auth_protocol_and_aes_or_des() {
    if !skip_unless_snmp() {
        return;
    }
    let auths = [
        (AuthProtocol::Md5, "MD5"),
        (AuthProtocol::Sha1, "SHA"),
        (AuthProtocol::Sha224, "SHA-224"),
        (AuthProtocol::Sha256, "SHA-256"),
        (AuthProtocol::Sha384, "SHA-384"),
        (AuthProtocol::Sha512, "SHA-512"),
    ];
    let privs = [(PrivProtocol::Aes128, "AES"), (PrivProtocol::Des, "DES")];
    let mut users = Vec::new();
    for (a, an) in auths {
        for (p, pn) in privs {
            users.push(user(&format!("u-{an}-{pn}"), a, p));
        }
    }
    let mut h = Harness::new(users);
    let sender = generate_engine_id(77);
    for (_, an) in auths {
        for (_, pn) in privs {
            let name = format!("u-{an}-{pn}");
            let got = v3_trap(&mut h, &name, an, pn, &sender);
            assert_eq!(got.len(), 1, "{name}: {got:?} drops {:?}", h.drops);
            assert_eq!(got[0].name, name);
            assert_link_down(&got[0]);
        }
    }
    assert_eq!(h.rx.stats().traps, 12);
    assert!(h.drops.is_empty(), "{:?}", h.drops);
}

#[test]
fn v3_inform_discovers_our_engine_and_gets_a_response() {
    if !skip_unless_snmp() {
        return;
    }
    let mut h = Harness::new(vec![user(
        "informer",
        AuthProtocol::Sha256,
        PrivProtocol::Aes128,
    )]);
    let (out, got) = h.run(
        "snmpinform",
        &[
            "-v3", "-u", "informer", "-l", "authPriv", "-a", "SHA-256", "-A", AUTH_PW, "-x", "AES",
            "-X", PRIV_PW, "-r", "0", "-t", "2", "{target}", "", COLD_START,
        ],
    );
    assert!(
        out.success(),
        "{out:?} drops {:?} stats {:?} got {got:?}",
        h.drops,
        h.rx.stats()
    );
    assert_eq!(got.len(), 1, "{got:?}");
    let g = &got[0];
    assert_eq!((g.kind, g.version), (NotificationKind::Inform, Version::V3));
    assert_eq!(g.engine_id, h.rx.engine().engine_id, "keyed for our engine");
    assert_eq!(g.trap_oid.as_deref(), Some(COLD_START));
    let s = h.rx.stats();
    assert!(s.discoveries >= 1, "{s:?}");
    assert_eq!(s.informs, 1, "{s:?}");
}

#[test]
fn v3_inform_with_a_wrong_password_fails_and_is_counted() {
    if !skip_unless_snmp() {
        return;
    }
    let mut h = Harness::new(vec![user(
        "informer",
        AuthProtocol::Sha256,
        PrivProtocol::Aes128,
    )]);
    let (out, got) = h.run(
        "snmpinform",
        &[
            "-v3",
            "-u",
            "informer",
            "-l",
            "authPriv",
            "-a",
            "SHA-256",
            "-A",
            "not-the-password",
            "-x",
            "AES",
            "-X",
            PRIV_PW,
            "-r",
            "0",
            "-t",
            "2",
            "{target}",
            "",
            COLD_START,
        ],
    );
    assert!(!out.success(), "{out:?}");
    assert!(got.is_empty(), "{got:?}");
    let s = h.rx.stats();
    assert!(s.wrong_digests >= 1, "{s:?}");
    assert_eq!(s.informs, 0);
    // The tool saw our wrongDigests Report (rather than timing out).
    assert!(
        out.stderr.contains("Authentication failure"),
        "stderr: {}",
        out.stderr
    );
}

#[test]
fn v2c_trap_and_inform() {
    if !skip_unless_snmp() {
        return;
    }
    let mut h = Harness::new(Vec::new());
    let (out, got) = h.run(
        "snmptrap",
        &[
            "-v2c",
            "-c",
            "public",
            "{target}",
            "",
            LINK_DOWN,
            "1.3.6.1.2.1.2.2.1.1.1",
            "i",
            "1",
        ],
    );
    assert!(out.success(), "{out:?}");
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        (got[0].kind, got[0].version),
        (NotificationKind::Trap, Version::V2c)
    );
    assert_eq!(got[0].name, "public");
    assert_link_down(&got[0]);

    let (out, got) = h.run(
        "snmpinform",
        &[
            "-v2c", "-c", "public", "-r", "0", "-t", "2", "{target}", "", COLD_START,
        ],
    );
    assert!(out.success(), "{out:?}");
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].kind, NotificationKind::Inform);
    assert_eq!(got[0].trap_oid.as_deref(), Some(COLD_START));

    // A community outside the configured set is dropped (the inform times out).
    let (out, got) = h.run(
        "snmpinform",
        &[
            "-v2c", "-c", "private", "-r", "0", "-t", "1", "{target}", "", COLD_START,
        ],
    );
    assert!(!out.success(), "{out:?}");
    assert!(got.is_empty());
    assert_eq!(h.rx.stats().bad_community_names, 1);
}

#[test]
fn v1_trap() {
    if !skip_unless_snmp() {
        return;
    }
    let mut h = Harness::new(Vec::new());
    let (out, got) = h.run(
        "snmptrap",
        &[
            "-v1",
            "-c",
            "public",
            "{target}",
            "1.3.6.1.4.1.8072",
            "127.0.0.1",
            "6",
            "17",
            "",
            "1.3.6.1.2.1.1.5.0",
            "s",
            "hello",
        ],
    );
    assert!(out.success(), "{out:?}");
    assert_eq!(got.len(), 1, "{got:?}");
    let g = &got[0];
    assert_eq!((g.kind, g.version), (NotificationKind::TrapV1, Version::V1));
    assert_eq!(
        g.v1,
        Some(("1.3.6.1.4.1.8072".to_string(), Ipv4Addr::LOCALHOST, 6, 17))
    );
    assert_eq!(
        g.bindings,
        vec![(
            "1.3.6.1.2.1.1.5.0".to_string(),
            format!("{:?}", Value::OctetString(b"hello"))
        )]
    );
}
