#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]
//! The polling engine against net-snmp's snmpd, checked by net-snmp's snmpbulkwalk:
//! the same subtrees walked over v2c and v3 authPriv give the same OIDs, v3
//! discovery happens once per target, and a GetBulk asking for far more than fits in
//! one reply still walks the whole table. (With the msgMaxSize of 65507 the engine
//! advertises, snmpd 5.9 trims such replies to fit rather than answering genErr; the
//! genErr and tooBig paths are exercised with scripted agents in `poller.rs`.)

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use nocwatch_net::{Poller, PollerConfig, TargetConfig, TargetReport};
use nocwatch_snmp::crypto::{AuthProtocol, PrivProtocol};
use nocwatch_snmp::{Oid, SecurityLevel, UsmUser};
use nocwatch_testkit::{Snmpd, net_snmp_tool, require_snmp};

const USER: &str = "pollpriv";
const AUTH_PASS: &str = "authpass-123";
const PRIV_PASS: &str = "privpass-456";

/// Subtrees whose OIDs do not change between two walks a second apart: system,
/// interfaces, snmpModules (USM/VACM tables), hrSWInstalled (packages, large).
const SUBTREES: [&str; 4] = [
    "1.3.6.1.2.1.1",
    "1.3.6.1.2.1.2",
    "1.3.6.1.6.3",
    "1.3.6.1.2.1.25.6.3",
];

fn snmpd() -> Snmpd {
    Snmpd::start_with(&format!(
        "createUser {USER} SHA \"{AUTH_PASS}\" AES \"{PRIV_PASS}\"\nrouser {USER} priv\n"
    ))
    .unwrap()
}

fn v3_flags() -> Vec<&'static str> {
    vec![
        "-v3", "-u", USER, "-l", "authPriv", "-a", "SHA", "-A", AUTH_PASS, "-x", "AES", "-X",
        PRIV_PASS,
    ]
}

fn user() -> Arc<UsmUser> {
    Arc::new(
        UsmUser::new(
            USER.as_bytes(),
            SecurityLevel::AuthPriv,
            Some((AuthProtocol::Sha1, AUTH_PASS.as_bytes())),
            Some((PrivProtocol::Aes128, PRIV_PASS.as_bytes())),
        )
        .unwrap(),
    )
}

/// snmpbulkwalk's OIDs for `root` (without the leading dot).
fn bulkwalk(agent: &Snmpd, flags: &[&str], root: &str) -> Vec<String> {
    let target = agent.target();
    let mut args: Vec<&str> = flags.to_vec();
    args.extend(["-On", "-Cr25", "-t", "2", "-r", "2", &target, root]);
    let out = net_snmp_tool("snmpbulkwalk", &args)
        .unwrap()
        .success_or_err()
        .unwrap();
    out.varbinds()
        .into_iter()
        .filter(|l| !l.is_exception())
        .map(|l| l.oid.trim_start_matches('.').to_owned())
        .collect()
}

fn walks() -> Vec<Oid> {
    SUBTREES.iter().map(|s| s.parse().unwrap()).collect()
}

fn poller() -> Poller {
    Poller::start(PollerConfig {
        shards: 2,
        bind: IpAddr::from([127, 0, 0, 1]),
        ..PollerConfig::default()
    })
    .unwrap()
}

async fn cycle(p: &Poller) -> Vec<TargetReport> {
    let mut c = p.poll_cycle().await.unwrap();
    let mut v = Vec::new();
    while let Some(r) = c.next().await {
        v.push(r);
    }
    c.finish().await.unwrap();
    v
}

fn oids_of(r: &TargetReport, walk: usize) -> Vec<String> {
    let w = &r.walks[walk];
    assert!(w.outcome.is_ok(), "{}: {:?}", w.root, w.outcome);
    w.varbinds()
        .iter()
        .map(|vb| {
            vb.unwrap()
                .name
                .to_oid()
                .to_string()
                .trim_start_matches('.')
                .to_owned()
        })
        .collect()
}

fn check_against_net_snmp(agent: &Snmpd, flags: &[&str], reports: &[TargetReport]) {
    for (i, root) in SUBTREES.iter().enumerate() {
        let want = bulkwalk(agent, flags, root);
        assert!(!want.is_empty(), "{root}");
        for r in reports {
            assert_eq!(oids_of(r, i), want, "{root} from {}", r.addr);
        }
    }
}

#[tokio::test]
async fn v2c_walks_equal_snmpbulkwalk() {
    require_snmp!();
    let agent = snmpd();
    let p = poller();
    for _ in 0..3 {
        let mut t = TargetConfig::v2c(agent.addr(), b"public", walks());
        t.timeout = Duration::from_secs(2);
        t.max_in_flight = 2;
        p.add_target(t).await.unwrap();
    }
    let reports = cycle(&p).await;
    assert_eq!(reports.len(), 3);
    check_against_net_snmp(&agent, &["-v2c", "-c", "public"], &reports);
}

#[tokio::test]
async fn v3_auth_priv_walks_equal_snmpbulkwalk_with_one_discovery() {
    require_snmp!();
    let agent = snmpd();
    let p = poller();
    let user = user();
    let mut t = TargetConfig::v3(agent.addr(), user, walks());
    t.timeout = Duration::from_secs(2);
    t.max_in_flight = 4;
    p.add_target(t).await.unwrap();
    let first = cycle(&p).await;
    let keys_after_first = p.stats().await.unwrap().keys;
    let second = cycle(&p).await;
    check_against_net_snmp(&agent, &v3_flags(), &first);
    check_against_net_snmp(&agent, &v3_flags(), &second);
    let s = p.stats().await.unwrap();
    // Two cycles, 4 parallel walks each: one discovery in all.
    assert_eq!(s.tracker.discoveries, 1, "{:?}", s.tracker);
    assert_eq!(s.state.engines, 1);
    assert_eq!(s.tracker.timeouts, 0);
    // Keys derived and localised during the first cycle only (auth and priv
    // passwords: two localisations), then reused for every request.
    assert_eq!(s.keys, keys_after_first);
    assert_eq!(s.keys.kul_misses, 2, "{:?}", s.keys);
}

#[tokio::test]
async fn v3_bulk_asking_for_more_than_fits_walks_the_whole_table() {
    require_snmp!();
    let agent = snmpd();
    let p = poller();
    // hrSWInstalled has thousands of rows: 4000 repetitions cannot fit in 65507
    // bytes.
    let mut t = TargetConfig::v3(agent.addr(), user(), vec![SUBTREES[3].parse().unwrap()]);
    t.max_repetitions = 4000;
    t.timeout = Duration::from_secs(3);
    p.add_target(t).await.unwrap();
    let reports = cycle(&p).await;
    let want = bulkwalk(&agent, &v3_flags(), SUBTREES[3]);
    assert_eq!(oids_of(&reports[0], 0), want);
    let s = p.stats().await.unwrap();
    assert_eq!(s.tracker.timeouts, 0);
    assert_eq!(s.engine.agent_errors, 0);
    // Each reply carried hundreds of values: far fewer requests than rows.
    assert!(
        u64::from(reports[0].requests) * 50 < want.len() as u64,
        "{:?}",
        s.engine
    );
}
