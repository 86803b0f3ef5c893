//! Walk semantics against scripted agents: every end condition and every way an agent
//! can misbehave, over real loopback sockets.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail by panicking"
)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use nocwatch_net::{Client, ClientConfig, NetError, RequestSpec, WalkEnd, WalkOptions, walk};
use nocwatch_snmp::{
    CommunityMessage, DecodeOptions, ErrorStatus, Message, Oid, Pdu, PduType, Pdus, Value, VarBind,
    VarBinds, Version,
};
use tokio::net::UdpSocket;

/// What the scripted agent answers for one requested OID: the OID and value to return,
/// or an error-status for the whole PDU.
type Script =
    dyn Fn(PduType, &Oid) -> Result<Vec<(Oid, Value<'static>)>, ErrorStatus> + Send + Sync;

/// Serves `script` on a loopback port; counts requests.
async fn agent(script: Arc<Script>) -> (SocketAddr, Arc<AtomicU64>) {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let count = Arc::new(AtomicU64::new(0));
    let c = count.clone();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65536];
        loop {
            let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                return;
            };
            c.fetch_add(1, Ordering::Relaxed);
            let Ok(Message::Community(m)) = Message::decode(&buf[..n], &DecodeOptions::strict())
            else {
                continue;
            };
            let Pdus::Pdu(p) = m.pdu else { continue };
            let asked: Vec<Oid> = p
                .varbinds
                .iter()
                .map(|v| v.unwrap().name.to_oid())
                .collect();
            let mut answer: Vec<(Oid, Value<'static>)> = Vec::new();
            let mut status = ErrorStatus::NoError;
            for oid in &asked {
                match script(p.pdu_type, oid) {
                    Ok(mut v) => answer.append(&mut v),
                    Err(s) => status = s,
                }
            }
            let vbs: Vec<VarBind<'_>> = if status == ErrorStatus::NoError {
                answer
                    .iter()
                    .map(|(o, v)| VarBind {
                        name: o.as_oid_ref(),
                        value: *v,
                    })
                    .collect()
            } else {
                asked
                    .iter()
                    .map(|o| VarBind::null(o.as_oid_ref()))
                    .collect()
            };
            let mut pdu = Pdu::new(PduType::Response, p.request_id, VarBinds::from_slice(&vbs));
            pdu.error_status = status.to_i32();
            pdu.error_index = i32::from(status != ErrorStatus::NoError);
            let mut out = Vec::new();
            CommunityMessage {
                version: m.version,
                community: m.community,
                pdu: Pdus::Pdu(pdu),
            }
            .encode(&mut out);
            let _ = socket.send_to(&out, from).await;
        }
    });
    (addr, count)
}

fn oid(s: &str) -> Oid {
    s.parse().unwrap()
}

/// A table of `n` rows under 1.3.6.1.2.1.2.2.1.1, then 1.3.6.1.2.1.3.0, then the end.
fn table(n: u32) -> Vec<Oid> {
    let mut v: Vec<Oid> = (1..=n)
        .map(|i| oid(&format!("1.3.6.1.2.1.2.2.1.1.{i}")))
        .collect();
    v.push(oid("1.3.6.1.2.1.3.0"));
    v
}

/// A well-behaved agent over `oids` (sorted): GETNEXT/GETBULK with endOfMibView (v2c)
/// or noSuchName (v1, signalled by the caller's script).
fn well_behaved(oids: Vec<Oid>, v1: bool) -> Arc<Script> {
    Arc::new(move |ty, asked| {
        let reps = if ty == PduType::GetBulkRequest { 7 } else { 1 };
        let mut out = Vec::new();
        let mut cur = asked.clone();
        for _ in 0..reps {
            match oids.iter().find(|o| **o > cur) {
                Some(next) => {
                    out.push((
                        next.clone(),
                        Value::Integer(i64::from(next.arcs()[next.len() - 1])),
                    ));
                    cur = next.clone();
                }
                None if v1 => return Err(ErrorStatus::NoSuchName),
                None => {
                    out.push((cur.clone(), Value::EndOfMibView));
                    break;
                }
            }
        }
        Ok(out)
    })
}

async fn client() -> Client {
    let mut config = ClientConfig::default();
    config.tracker.timeout = Duration::from_millis(200);
    config.tracker.retries = 1;
    Client::bind(config).await.unwrap()
}

async fn run(
    addr: SocketAddr,
    root: &str,
    opts: &WalkOptions,
) -> (Result<nocwatch_net::WalkSummary, NetError>, Vec<String>) {
    let c = client().await;
    let mut seen = Vec::new();
    let r = walk(&c, addr, &oid(root), opts, |vb| {
        seen.push(vb.name.to_string())
    })
    .await;
    (r, seen)
}

#[tokio::test]
async fn getnext_walk_stops_leaving_the_subtree() {
    let (addr, _) = agent(well_behaved(table(25), false)).await;
    let (r, seen) = run(addr, "1.3.6.1.2.1.2", &WalkOptions::default()).await;
    let s = r.unwrap();
    assert_eq!(seen.len(), 25);
    assert_eq!(s.end, WalkEnd::LeftSubtree);
    assert_eq!(s.requests, 26);
}

#[tokio::test]
async fn bulkwalk_ends_on_end_of_mib_view_and_prints_it() {
    let (addr, _) = agent(well_behaved(table(25), false)).await;
    let opts = WalkOptions {
        bulk: true,
        ..WalkOptions::default()
    };
    let (r, seen) = run(addr, "1.3", &opts).await;
    let s = r.unwrap();
    assert_eq!(s.end, WalkEnd::Exception);
    assert_eq!(
        seen.len(),
        27,
        "25 rows, 1.3.6.1.2.1.3.0 and the endOfMibView binding"
    );
    assert_eq!(s.requests, 4, "26 bindings at 7 per GetBulk");
}

#[tokio::test]
async fn v1_walk_ends_on_no_such_name() {
    let (addr, _) = agent(well_behaved(table(3), true)).await;
    let opts = WalkOptions {
        version: Version::V1,
        get_root_if_empty: false,
        ..WalkOptions::default()
    };
    let (r, seen) = run(addr, "1.3", &opts).await;
    assert_eq!(r.unwrap().end, WalkEnd::EndOfMib);
    assert_eq!(seen.len(), 4);
}

/// An agent that answers GETNEXT of X.5 with X.3: the classic broken table.
fn going_backwards() -> Arc<Script> {
    Arc::new(|_, asked| {
        let last = asked.arcs()[asked.len() - 1];
        let next = if asked.len() == 10 && last == 5 {
            oid("1.3.6.1.2.1.2.2.1.3")
        } else if asked.len() == 10 {
            oid(&format!("1.3.6.1.2.1.2.2.1.{}", last + 1))
        } else {
            oid("1.3.6.1.2.1.2.2.1.1")
        };
        Ok(vec![(next, Value::Integer(1))])
    })
}

#[tokio::test]
async fn non_increasing_oid_is_an_error_not_a_loop() {
    let (addr, count) = agent(going_backwards()).await;
    let (r, seen) = run(addr, "1.3.6.1.2.1.2", &WalkOptions::default()).await;
    match r {
        Err(NetError::NotIncreasing { previous, got, .. }) => {
            assert_eq!(previous.to_string(), "1.3.6.1.2.1.2.2.1.5");
            assert_eq!(got.to_string(), "1.3.6.1.2.1.2.2.1.3");
        }
        other => panic!("expected NotIncreasing, got {other:?}"),
    }
    assert_eq!(
        seen.len(),
        6,
        "five good bindings, then the bad one is printed, as net-snmp does"
    );
    assert_eq!(count.load(Ordering::Relaxed), 6);
}

#[tokio::test]
async fn with_the_check_off_a_loop_is_still_caught() {
    let (addr, count) = agent(going_backwards()).await;
    let opts = WalkOptions {
        check_increasing: false,
        ..WalkOptions::default()
    };
    let (r, seen) = run(addr, "1.3.6.1.2.1.2", &opts).await;
    assert!(matches!(r, Err(NetError::Loop { .. })), "{r:?}");
    assert!(seen.len() < 10);
    assert!(count.load(Ordering::Relaxed) < 10);
}

#[tokio::test]
async fn agent_errors_are_typed() {
    let (addr, _) = agent(Arc::new(|_, _| Err(ErrorStatus::GenErr))).await;
    let (r, _) = run(addr, "1.3.6.1.2.1.2", &WalkOptions::default()).await;
    match r {
        Err(NetError::Agent { status, index, oid }) => {
            assert_eq!(status, ErrorStatus::GenErr);
            assert_eq!(index, 1);
            assert_eq!(oid.unwrap().to_string(), "1.3.6.1.2.1.2");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn silence_is_a_timeout_after_the_retries() {
    let (addr, count) = agent(Arc::new(|_, _| Ok(vec![]))).await;
    // an agent that never answers: a socket nobody reads
    let dead = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let start = std::time::Instant::now();
    let (r, _) = run(dead.local_addr().unwrap(), "1.3", &WalkOptions::default()).await;
    assert!(matches!(r, Err(NetError::Timeout { .. })), "{r:?}");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(3),
        "{took:?}"
    );
    drop((addr, count));
}

#[tokio::test]
async fn empty_subtree_gets_the_root() {
    let script: Arc<Script> = Arc::new(|ty, asked| {
        Ok(match ty {
            PduType::GetRequest => vec![(asked.clone(), Value::Integer(42))],
            _ => vec![(oid("1.3.6.1.9"), Value::Integer(0))],
        })
    });
    let (addr, _) = agent(script).await;
    let (r, seen) = run(addr, "1.3.6.1.2.1.1.1.0", &WalkOptions::default()).await;
    assert_eq!(r.unwrap().varbinds, 1);
    assert_eq!(seen, vec!["1.3.6.1.2.1.1.1.0".to_string()]);
}

#[tokio::test]
async fn thousands_in_flight_on_one_socket() {
    let (addr, count) = agent(Arc::new(|_, asked| {
        Ok(vec![(asked.clone(), Value::Integer(1))])
    }))
    .await;
    // 2,000 requests land at once on an agent with the kernel's default receive
    // buffer, which holds a few hundred: the rest are dropped by the kernel and must
    // be retried. The timeout and retries leave room for a loaded CI machine (the
    // 200 ms / 1 retry of the other tests failed here under load).
    let mut config = ClientConfig::default();
    config.tracker.timeout = Duration::from_secs(1);
    config.tracker.retries = 5;
    let c = Client::bind(config).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..2000u32 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let o = oid(&format!("1.3.6.1.4.1.{i}"));
            let spec = RequestSpec::new(addr, Version::V2c, b"public", PduType::GetRequest);
            let reply = c.request(spec, &[VarBind::null(o.as_oid_ref())]).await?;
            let pdu = reply.pdu()?;
            let vb = pdu.varbinds.iter().next().unwrap()?;
            assert_eq!(vb.name, o);
            Ok::<_, NetError>(())
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let stats = c.stats().await.unwrap();
    assert_eq!(stats.responses, 2000);
    assert!(count.load(Ordering::Relaxed) >= 2000);
}

/// The same walks over the blocking client, which the command-line tools use.
mod blocking {
    use super::*;
    use nocwatch_net::BlockingClient;

    fn client() -> BlockingClient {
        let mut config = ClientConfig::default();
        config.tracker.timeout = Duration::from_millis(200);
        config.tracker.retries = 1;
        BlockingClient::bind(config).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bulkwalk_and_getnext_walk() {
        let (addr, _) = agent(well_behaved(table(25), false)).await;
        let c = client();
        let mut seen = 0;
        let opts = WalkOptions {
            bulk: true,
            ..WalkOptions::default()
        };
        let s = walk(&c, addr, &oid("1.3"), &opts, |_| seen += 1)
            .await
            .unwrap();
        assert_eq!((s.end, seen, s.requests), (WalkEnd::Exception, 27, 4));
        let mut seen = 0;
        let s = walk(
            &c,
            addr,
            &oid("1.3.6.1.2.1.2"),
            &WalkOptions::default(),
            |_| seen += 1,
        )
        .await
        .unwrap();
        assert_eq!((s.end, seen), (WalkEnd::LeftSubtree, 25));
        assert_eq!(c.stats().responses, 4 + 26);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn non_increasing_and_timeout() {
        let (addr, _) = agent(going_backwards()).await;
        let c = client();
        let r = walk(
            &c,
            addr,
            &oid("1.3.6.1.2.1.2"),
            &WalkOptions::default(),
            |_| {},
        )
        .await;
        assert!(matches!(r, Err(NetError::NotIncreasing { .. })), "{r:?}");
        let dead = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let start = std::time::Instant::now();
        let r = walk(
            &c,
            dead.local_addr().unwrap(),
            &oid("1.3"),
            &WalkOptions::default(),
            |_| {},
        )
        .await;
        assert!(matches!(r, Err(NetError::Timeout { .. })), "{r:?}");
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(400) && took < Duration::from_secs(2),
            "{took:?}"
        );
        let s = c.stats();
        assert_eq!((s.timeouts, s.retransmits), (1, 1));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stray_and_late_datagrams_do_not_confuse_it() {
        let (addr, _) = agent(well_behaved(table(3), false)).await;
        let c = client();
        // a stranger sends garbage to the client's port
        let stranger = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        stranger
            .send_to(b"\x30\x03\x02\x01\x01", c.local_addr().unwrap())
            .unwrap();
        let mut seen = 0;
        let s = walk(&c, addr, &oid("1.3"), &WalkOptions::default(), |_| {
            seen += 1
        })
        .await
        .unwrap();
        assert_eq!(seen, 5, "3 rows, 1.3.6.1.2.1.3.0 and endOfMibView");
        assert_eq!(s.end, WalkEnd::Exception);
        assert_eq!(c.stats().malformed + c.stats().wrong_source, 1);
    }
}

/// GetBulk replies that serve rows 1..=9 of a column slightly out of order inside each
/// reply (2, 1, 3 / 5, 4, 6 / 8, 7, 9), as some routers serve their route table: every
/// binding is after the OID asked for, so net-snmp walks them all, and so must we.
#[tokio::test]
async fn rows_out_of_order_inside_a_reply_still_walk_completely() {
    let column = "1.3.6.1.2.1.4.21.1.1";
    let script: Arc<Script> = Arc::new(move |_, asked| {
        let next = match asked.arcs().get(10) {
            None => 0,
            Some(i) => *i,
        };
        if next >= 9 {
            return Ok(vec![(oid("1.3.6.1.2.1.4.22.1.1.1"), Value::Integer(0))]);
        }
        Ok([2, 1, 3]
            .iter()
            .map(|k| {
                let row = oid(&format!("{column}.{}", next + k));
                (row, Value::Integer(1))
            })
            .collect())
    });
    let (addr, _) = agent(script).await;
    let opts = WalkOptions {
        bulk: true,
        ..WalkOptions::default()
    };
    let (r, seen) = run(addr, column, &opts).await;
    let s = r.unwrap();
    assert_eq!(s.end, WalkEnd::LeftSubtree);
    let rows: Vec<u32> = seen
        .iter()
        .map(|n| n.rsplit('.').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(rows, [2, 1, 3, 5, 4, 6, 8, 7, 9]);
}

/// A genErr to a GetBulk (net-snmp 5.9 over v3 when the reply would not fit) halves
/// max-repetitions and asks again from the same OID, as the poller does.
#[tokio::test]
async fn gen_err_to_a_getbulk_shrinks_and_the_walk_goes_on() {
    let refused = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let inner = well_behaved(table(12), false);
    let flag = refused.clone();
    let script: Arc<Script> = Arc::new(move |ty, asked| {
        if ty == PduType::GetBulkRequest && !flag.swap(true, Ordering::SeqCst) {
            return Err(ErrorStatus::GenErr);
        }
        inner(ty, asked)
    });
    let (addr, _) = agent(script).await;
    let opts = WalkOptions {
        bulk: true,
        ..WalkOptions::default()
    };
    let (r, seen) = run(addr, "1.3.6.1.2.1.2", &opts).await;
    let s = r.unwrap();
    assert_eq!(seen.len(), 12);
    assert_eq!(s.shrinks, 1);
    assert!(refused.load(Ordering::SeqCst));
}

/// A reply whose last binding is cut short is dropped whole (none of its bindings
/// delivered), counted, and the request is asked again.
#[tokio::test]
async fn a_reply_cut_short_is_dropped_whole_and_asked_again() {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let script = well_behaved(table(5), false);
    tokio::spawn(async move {
        let mut buf = vec![0u8; 65536];
        let mut n_reply = 0u32;
        loop {
            let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                return;
            };
            let Ok(Message::Community(m)) = Message::decode(&buf[..n], &DecodeOptions::strict())
            else {
                continue;
            };
            let Pdus::Pdu(p) = m.pdu else { continue };
            let asked = p.varbinds.iter().next().unwrap().unwrap().name.to_oid();
            let answer = script(p.pdu_type, &asked).unwrap();
            let vbs: Vec<VarBind<'_>> = answer
                .iter()
                .map(|(o, v)| VarBind {
                    name: o.as_oid_ref(),
                    value: *v,
                })
                .collect();
            let mut out = Vec::new();
            CommunityMessage {
                version: m.version,
                community: m.community,
                pdu: Pdus::Pdu(Pdu::new(
                    PduType::Response,
                    p.request_id,
                    VarBinds::from_slice(&vbs),
                )),
            }
            .encode(&mut out);
            n_reply += 1;
            if n_reply == 1 {
                out.truncate(out.len() - 2); // the first reply loses its last value
            }
            let _ = socket.send_to(&out, from).await;
        }
    });
    let opts = WalkOptions {
        bulk: true,
        ..WalkOptions::default()
    };
    let (r, seen) = run(addr, "1.3.6.1.2.1.2", &opts).await;
    let s = r.unwrap();
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert_eq!(s.malformed, 1);
    assert_eq!(
        s.requests, 2,
        "the dropped reply's request, then its repeat"
    );
}
