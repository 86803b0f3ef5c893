#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]
//! The pipeline end to end on crafted packets: translation, classification,
//! limiter, fairness, dedup, accounting, acks, metrics.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use common::*;
use nocwatch_snmp::{DecodeOptions, Message, PduType, Pdus, Value};
use nocwatch_traps::{Datagram, JournalConfig, Pipeline, PipelineConfig, Severity};

fn vb<'a>(ev: &'a serde_json::Value, oid: &str) -> Option<&'a serde_json::Value> {
    ev["varbinds"].as_array()?.iter().find(|v| v["oid"] == oid)
}

#[test]
fn v2c_link_down_is_classified_with_every_field() {
    let mut p = Pipeline::open(config(), Instant::now()).unwrap();
    feed(&mut p, &[(peer(1), link_down(7))]);
    let evs = json_events(&p);
    assert_eq!(evs.len(), 1);
    let e = &evs[0];
    assert_eq!(e["event"], "linkDown");
    assert_eq!(e["severity"], "major");
    assert_eq!(e["version"], "v2c");
    assert_eq!(e["pdu"], "trap");
    assert_eq!(e["source"], "10.0.0.1");
    assert_eq!(e["peer"], "10.0.0.1:40000");
    assert_eq!(e["security_name"], "public");
    assert_eq!(e["trap_oid"], "1.3.6.1.6.3.1.1.5.3");
    assert_eq!(e["occurrences"], 1);
    assert_eq!(vb(e, "1.3.6.1.2.1.1.3.0").unwrap()["value"], 12345);
    assert_eq!(vb(e, "1.3.6.1.2.1.2.2.1.1.1").unwrap()["value"], 7);
    assert_eq!(p.stats().classified, 1);
    assert_eq!(p.stats().unknown_oid, 0);
}

#[test]
fn v1_generic_trap_is_translated_per_rfc3584() {
    let mut p = Pipeline::open(config(), Instant::now()).unwrap();
    let pkt = v1(
        "1.3.6.1.4.1.8072.3.2.10",
        [192, 0, 2, 5],
        2,
        0,
        &[("1.3.6.1.2.1.2.2.1.1.3", Value::Integer(3))],
    );
    feed(&mut p, &[(peer(2), pkt)]);
    let e = &json_events(&p)[0];
    assert_eq!(e["version"], "v1");
    assert_eq!(e["pdu"], "trap-v1");
    assert_eq!(
        e["trap_oid"], "1.3.6.1.6.3.1.1.5.3",
        "linkDown = snmpTraps.(2+1)"
    );
    assert_eq!(e["event"], "linkDown");
    assert_eq!(e["agent_addr"], "192.0.2.5");
    let names: Vec<&str> = e["varbinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["oid"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "1.3.6.1.2.1.1.3.0",
            "1.3.6.1.6.3.1.1.4.1.0",
            "1.3.6.1.2.1.2.2.1.1.3",
            "1.3.6.1.6.3.18.1.3.0",
            "1.3.6.1.6.3.18.1.4.0",
            "1.3.6.1.6.3.1.1.4.3.0",
        ]
    );
    assert_eq!(vb(e, "1.3.6.1.2.1.1.3.0").unwrap()["value"], 4242);
    assert_eq!(
        vb(e, "1.3.6.1.6.3.1.1.4.1.0").unwrap()["value"],
        "1.3.6.1.6.3.1.1.5.3"
    );
    assert_eq!(vb(e, "1.3.6.1.6.3.18.1.3.0").unwrap()["value"], "192.0.2.5");
    assert_eq!(vb(e, "1.3.6.1.6.3.18.1.4.0").unwrap()["value"], "public");
    assert_eq!(
        vb(e, "1.3.6.1.6.3.1.1.4.3.0").unwrap()["value"],
        "1.3.6.1.4.1.8072.3.2.10"
    );
}

#[test]
fn v1_enterprise_specific_trap_gets_enterprise_0_specific() {
    let mut p = Pipeline::open(config(), Instant::now()).unwrap();
    // CISCO-SYSLOG-MIB clogMessageGenerated = ciscoSyslogMIBNotificationPrefix.0.1,
    // sent as v1 with enterprise ciscoSyslogMIBNotificationPrefix, specific 1. An
    // snmpTrapAddress.0 already present is not appended twice.
    let pkt = v1(
        "1.3.6.1.4.1.9.9.41.2",
        [192, 0, 2, 6],
        6,
        1,
        &[("1.3.6.1.6.3.18.1.3.0", Value::IpAddress([198, 51, 100, 1]))],
    );
    feed(&mut p, &[(peer(3), pkt)]);
    let e = &json_events(&p)[0];
    assert_eq!(e["trap_oid"], "1.3.6.1.4.1.9.9.41.2.0.1");
    assert_eq!(e["event"], "clogMessageGenerated");
    let addrs = e["varbinds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["oid"] == "1.3.6.1.6.3.18.1.3.0")
        .count();
    assert_eq!(addrs, 1);
    // Large specific-trap values need multi-byte arcs.
    let pkt = v1("1.3.6.1.4.1.99999", [192, 0, 2, 6], 6, 200_000, &[]);
    feed(&mut p, &[(peer(3), pkt)]);
    let e = json_events(&p).pop().unwrap();
    assert_eq!(e["trap_oid"], "1.3.6.1.4.1.99999.0.200000");
}

#[test]
fn source_from_snmp_trap_address_when_configured() {
    let pkt = v2c(
        PduType::SnmpV2Trap,
        "public",
        "1.3.6.1.6.3.1.1.5.1",
        &[("1.3.6.1.6.3.18.1.3.0", Value::IpAddress([192, 0, 2, 77]))],
    );
    for (on, want) in [(false, "10.0.0.9"), (true, "192.0.2.77")] {
        let mut cfg = config();
        cfg.source_from_trap_address = on;
        let mut p = Pipeline::open(cfg, Instant::now()).unwrap();
        feed(&mut p, &[(peer(9), pkt.clone())]);
        let e = &json_events(&p)[0];
        assert_eq!(e["source"], want);
        assert_eq!(e["peer"], "10.0.0.9:40000");
        assert_eq!(e["event"], "coldStart");
        // A v1 Trap's agent-addr becomes snmpTrapAddress.0 in translation.
        let v1pkt = v1("1.3.6.1.4.1.8072.3.2.10", [192, 0, 2, 5], 0, 0, &[]);
        feed(&mut p, &[(peer(9), v1pkt)]);
        let e = json_events(&p).pop().unwrap();
        assert_eq!(e["source"], if on { "192.0.2.5" } else { "10.0.0.9" });
    }
}

#[test]
fn unknown_oids_get_the_default_severity_and_are_counted() {
    let mut p = Pipeline::open(config(), Instant::now()).unwrap();
    let pkt = v2c(PduType::SnmpV2Trap, "public", "1.3.6.1.4.1.424242.1.2", &[]);
    feed(&mut p, &[(peer(4), pkt)]);
    let e = &json_events(&p)[0];
    assert_eq!(e["event"], "unknown");
    assert_eq!(e["severity"], "warning");
    assert_eq!(p.stats().unknown_oid, 1);
    assert_eq!(p.drops().total(), 0);
}

#[test]
fn malformed_datagrams_are_counted_kept_and_do_not_stop_anything() {
    let mut p = Pipeline::open(config(), Instant::now()).unwrap();
    let garbage = vec![0x30, 0x82, 0xff, 0xff, 1, 2, 3];
    let get = {
        let mut out = Vec::new();
        nocwatch_snmp::CommunityMessage {
            version: nocwatch_snmp::Version::V2c,
            community: b"public",
            pdu: Pdus::Pdu(nocwatch_snmp::Pdu::new(
                PduType::GetRequest,
                1,
                nocwatch_snmp::VarBinds::from_slice(&[]),
            )),
        }
        .encode(&mut out);
        out
    };
    feed(
        &mut p,
        &[
            (peer(5), garbage.clone()),
            (peer(5), get),
            (peer(5), link_down(1)),
        ],
    );
    assert_eq!(p.stats().rejected, 2);
    assert_eq!(p.stats().decoded, 1);
    assert_eq!(p.recent().len(), 1);
    assert_eq!(p.drops().by_reason("decode", "malformed"), 1);
    assert_eq!(p.drops().by_reason("decode", "unexpected_pdu"), 1);
    let kept: Vec<_> = p.rejects().iter().collect();
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0].bytes, garbage);
    assert_eq!(kept[0].reason.as_str(), "malformed");
}

#[test]
fn dedup_folds_identical_traps_and_reports_the_count() {
    let mut p = Pipeline::open(config(), Instant::now()).unwrap();
    let mut pkts: Vec<(SocketAddr, Vec<u8>)> = (0..5).map(|_| (peer(6), link_down(3))).collect();
    pkts.push((peer(6), link_down(4)));
    pkts.push((peer(7), link_down(3))); // another source: another key
    feed(&mut p, &pkts);
    assert_eq!(p.stats().emitted_first, 3);
    assert_eq!(p.dedup().stats().hits, 4);
    let evs = json_events(&p);
    assert!(evs.iter().all(|e| e["occurrences"] == 1));
    p.drain(Instant::now() + Duration::from_secs(5)).unwrap();
    let evs = json_events(&p);
    assert_eq!(evs.len(), 4, "one summary for the folded window");
    let summary = evs.last().unwrap();
    assert_eq!(summary["occurrences"], 5);
    assert_eq!(summary["source"], "10.0.0.6");
    assert_eq!(vb(summary, "1.3.6.1.2.1.2.2.1.1.1").unwrap()["value"], 3);
}

#[test]
fn dedup_cache_is_capped_and_evictions_keep_counts() {
    let mut cfg = config();
    cfg.dedup.max_entries = 2;
    let mut p = Pipeline::open(cfg, Instant::now()).unwrap();
    // Key A twice (folded), then B and C push A out of the 2-entry cache.
    feed(
        &mut p,
        &[
            (peer(1), link_down(1)),
            (peer(1), link_down(1)),
            (peer(1), link_down(2)),
            (peer(1), link_down(3)),
        ],
    );
    assert_eq!(p.dedup().stats().evictions, 1);
    let evs = json_events(&p);
    assert_eq!(evs.len(), 4, "3 firsts + the evicted window's summary");
    assert_eq!(evs.iter().filter(|e| e["occurrences"] == 2).count(), 1);
    assert_eq!(p.dedup().len(), 2);
}

#[test]
fn limiter_drops_over_rate_but_never_clears_or_criticals() {
    let mut cfg = config();
    cfg.limiter.rate = 1.0;
    cfg.limiter.burst = 10.0;
    let mut p = Pipeline::open(cfg, Instant::now()).unwrap();
    let mut pkts: Vec<(SocketAddr, Vec<u8>)> = (0..100).map(|i| (peer(8), link_down(i))).collect();
    pkts.extend((0..20).map(|i| (peer(8), link_up(i))));
    // bgpBackwardTransNotification: critical in the default pack.
    pkts.extend((0..5).map(|i| {
        (
            peer(8),
            v2c(
                PduType::SnmpV2Trap,
                "public",
                "1.3.6.1.2.1.15.0.2",
                &[(
                    format!("1.3.6.1.2.1.15.3.1.2.192.0.2.{i}").as_str(),
                    Value::Integer(1),
                )],
            ),
        )
    }));
    feed(&mut p, &pkts);
    let rate_limited = p.drops().by_reason("limiter", "rate_limited");
    assert_eq!(
        rate_limited, 90,
        "burst of 10 ordinary traps, the rest refused"
    );
    assert_eq!(p.drops().by_source("10.0.0.8"), 90);
    let evs = json_events(&p);
    assert_eq!(evs.iter().filter(|e| e["severity"] == "clear").count(), 20);
    assert_eq!(
        evs.iter().filter(|e| e["severity"] == "critical").count(),
        5
    );
    assert_eq!(p.limiter().stats().reserved_bypass, 25);
}

#[test]
fn rate_overrides_by_cidr() {
    let mut cfg = config();
    cfg.limiter.rate = 1.0;
    cfg.limiter.burst = 5.0;
    cfg.limiter.overrides.push(nocwatch_traps::RateOverride {
        cidr: nocwatch_traps::Cidr::parse("10.0.0.0/30").unwrap(),
        rate: 1.0,
        burst: 50.0,
    });
    let mut p = Pipeline::open(cfg, Instant::now()).unwrap();
    let mut pkts: Vec<(SocketAddr, Vec<u8>)> = (0..40).map(|i| (peer(2), link_down(i))).collect();
    pkts.extend((0..40).map(|i| (peer(9), link_down(i))));
    feed(&mut p, &pkts);
    assert_eq!(p.drops().by_source("10.0.0.2"), 0);
    assert_eq!(p.drops().by_source("10.0.0.9"), 35);
}

#[test]
fn quiet_sources_are_not_delayed_by_a_noisy_one() {
    let mut cfg = config();
    cfg.process_budget = 16;
    cfg.dedup.window = Duration::ZERO;
    let mut p = Pipeline::open(cfg, Instant::now()).unwrap();
    // The noisy source's 4,000 traps arrive first, then one from each of 10 quiet ones.
    let mut pkts: Vec<(SocketAddr, Vec<u8>)> =
        (0..4000).map(|i| (peer(200), link_down(i))).collect();
    pkts.extend((1..=10).map(|q| (peer(q), link_down(1))));
    let batch: Vec<Datagram<'_>> = pkts
        .iter()
        .map(|(peer, data)| Datagram {
            peer: *peer,
            data,
            local: None,
        })
        .collect();
    p.ingest(Instant::now(), &batch, &mut Vec::new());
    p.poll(Instant::now()).unwrap();
    let evs = json_events(&p);
    assert_eq!(evs.len(), 16);
    let quiet = evs.iter().filter(|e| e["source"] != "10.0.0.200").count();
    assert_eq!(quiet, 10, "every quiet source served in the first round");
    while p.queued() > 0 {
        p.poll(Instant::now()).unwrap();
    }
    assert_eq!(p.stats().emitted_first, 4010);
}

#[test]
fn every_datagram_is_accounted_for() {
    let mut cfg = config();
    cfg.limiter.rate = 1.0;
    cfg.limiter.burst = 50.0;
    cfg.limiter.per_source_queue = 30;
    cfg.process_budget = 1_000_000;
    let mut p = Pipeline::open(cfg, Instant::now()).unwrap();
    let mut pkts: Vec<(SocketAddr, Vec<u8>)> = Vec::new();
    for i in 0..200 {
        pkts.push((peer((i % 4) as u8), link_down(i % 7)));
        if i % 13 == 0 {
            pkts.push((peer(1), vec![1, 2, 3]));
        }
    }
    let batch: Vec<Datagram<'_>> = pkts
        .iter()
        .map(|(peer, data)| Datagram {
            peer: *peer,
            data,
            local: None,
        })
        .collect();
    p.ingest(Instant::now(), &batch, &mut Vec::new());
    let s = *p.stats();
    let folded = p.dedup().stats().hits;
    let lhs = s.received;
    // received + replayed = reports + drops (decode refusals included) + queued
    //                      + emitted first occurrences + folded duplicates
    let rhs = s.reports + p.drops().total() + p.queued() as u64 + s.emitted_first + folded;
    assert_eq!(lhs + s.replayed, rhs, "{s:?}");
    assert_eq!(p.drops().by_reason("decode", "malformed"), s.rejected);
    p.drain(Instant::now() + Duration::from_secs(5)).unwrap();
    let s = *p.stats();
    let folded = p.dedup().stats().hits;
    assert_eq!(
        s.received,
        p.drops().total() + s.reports + s.emitted_first + folded
    );
    assert!(p.drops().by_reason("limiter", "queue_full") > 0);
}

#[test]
fn inform_is_acked_only_after_its_record_is_durable() {
    let dir = nocwatch_testkit::TempDir::new("nocwatch-traps-ack").unwrap();
    let mut cfg = config();
    let mut j = JournalConfig::new(dir.path());
    j.sync_interval = Duration::from_secs(3600);
    cfg.journal = Some(j);
    let mut p = Pipeline::open(cfg, Instant::now()).unwrap();
    let inform = v2c(
        PduType::InformRequest,
        "public",
        "1.3.6.1.6.3.1.1.5.3",
        &[("1.3.6.1.2.1.2.2.1.1.1", Value::Integer(1))],
    );
    // Received at one of several local addresses: the ack must leave from it.
    let local: SocketAddr = "192.0.2.53:162".parse().unwrap();
    p.ingest(
        Instant::now(),
        &[Datagram {
            peer: peer(1),
            data: &inform,
            local: Some(local),
        }],
        &mut Vec::new(),
    );
    p.poll(Instant::now()).unwrap();
    assert_eq!(p.recent().len(), 1, "processed before the sync");
    let mut acks = Vec::new();
    p.take_acks(&mut acks);
    assert!(acks.is_empty(), "no ack before fsync");
    assert_eq!(p.pending_acks(), 1);
    let durable_before = p.journal().unwrap().durable_seq();
    assert!(durable_before < 1);
    p.sync().unwrap();
    assert!(p.journal().unwrap().durable_seq() >= 1);
    p.take_acks(&mut acks);
    assert_eq!(acks.len(), 1);
    assert_eq!(acks[0].peer, peer(1));
    assert_eq!(acks[0].local, Some(local));
    let Message::Community(m) =
        Message::decode(&acks[0].datagram, &DecodeOptions::default()).unwrap()
    else {
        panic!("not a community message");
    };
    let Pdus::Pdu(pdu) = m.pdu else {
        panic!("v1 PDU")
    };
    assert_eq!(pdu.pdu_type, PduType::Response);
    assert_eq!(pdu.request_id, 77);
    assert_eq!(pdu.varbinds.validate().unwrap(), 3);
    assert_eq!(p.stats().acks_released, 1);
}

#[test]
fn metrics_render_in_prometheus_text_format() {
    let mut p = Pipeline::open(config(), Instant::now()).unwrap();
    feed(&mut p, &[(peer(1), link_down(1)), (peer(1), vec![0])]);
    let mut text = String::new();
    p.render_metrics(&mut text);
    for name in [
        "nocwatch_trap_received_total 2",
        "nocwatch_trap_decoded_total 1",
        "nocwatch_trap_failed_total 1",
        "nocwatch_trap_journaled_total 1",
        "nocwatch_trap_classified_total 1",
        "nocwatch_trap_decode_failures_total{reason=\"malformed\"} 1",
        "nocwatch_trap_drops_total{stage=\"decode\",reason=\"malformed\",source=\"10.0.0.1\"} 1",
        "nocwatch_trap_queue_depth_ratio{queue=\"fair_queue\"} 0",
        "nocwatch_trap_dedup_hit_ratio 0",
        "nocwatch_trap_stage_latency_seconds_count{stage=\"end_to_end\"} 1",
        "nocwatch_trap_classified_by_severity_total{severity=\"major\"} 1",
    ] {
        assert!(
            text.lines().any(|l| l == name),
            "missing {name:?} in\n{text}"
        );
    }
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap();
        assert!(series.starts_with("nocwatch_"), "{line}");
        assert!(value.parse::<f64>().is_ok(), "{line}");
    }
    let sev: Vec<_> = Severity::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        sev,
        ["critical", "major", "minor", "warning", "info", "clear"]
    );
}

#[test]
fn json_output_goes_to_the_writer() {
    #[derive(Clone, Default)]
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let out = Shared::default();
    let mut p = Pipeline::open(config(), Instant::now()).unwrap();
    p.set_json_output(Box::new(out.clone()));
    feed(&mut p, &[(peer(1), link_down(1)), (peer(2), link_up(1))]);
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["event"], "linkUp");
    assert_eq!(lines[1]["severity"], "clear");
    let _: IpAddr = lines[0]["source"].as_str().unwrap().parse().unwrap();
}

#[test]
fn pipeline_config_is_send() {
    fn is_send<T: Send>() {}
    is_send::<Pipeline>();
    is_send::<PipelineConfig>();
}

#[test]
fn key_index_folds_state_changes_of_one_peer() {
    let mut p = Pipeline::open(config(), Instant::now()).unwrap();
    // bgpBackwardTransNotification keys on bgpPeerState's instance (the peer), so
    // two transitions of one peer with different states fold; another peer does not.
    let bgp = |peer_ip: &str, state: i64| {
        v2c(
            PduType::SnmpV2Trap,
            "public",
            "1.3.6.1.2.1.15.0.2",
            &[
                (
                    format!("1.3.6.1.2.1.15.3.1.14.{peer_ip}").as_str(),
                    Value::OctetString(&[6, 2]),
                ),
                (
                    format!("1.3.6.1.2.1.15.3.1.2.{peer_ip}").as_str(),
                    Value::Integer(state),
                ),
            ],
        )
    };
    feed(
        &mut p,
        &[
            (peer(1), bgp("192.0.2.1", 1)),
            (peer(1), bgp("192.0.2.1", 3)),
            (peer(1), bgp("192.0.2.2", 1)),
        ],
    );
    assert_eq!(p.stats().emitted_first, 2);
    assert_eq!(p.dedup().stats().hits, 1);
}

#[test]
fn drop_labels_are_bounded() {
    let mut cfg = config();
    cfg.source_labels = 3;
    let mut p = Pipeline::open(cfg, Instant::now()).unwrap();
    let pkts: Vec<(SocketAddr, Vec<u8>)> = (1..=10).map(|i| (peer(i), vec![0u8])).collect();
    feed(&mut p, &pkts);
    assert_eq!(p.drops().total(), 10);
    assert_eq!(p.drops().by_source("10.0.0.1"), 1);
    assert_eq!(p.drops().by_source("other"), 7);
    let mut text = String::new();
    p.render_metrics(&mut text);
    let series = text
        .lines()
        .filter(|l| l.starts_with("nocwatch_trap_drops_total{"))
        .count();
    assert_eq!(series, 4, "3 named sources + other:\n{text}");
}

#[test]
fn drain_by_a_deadline_leaves_the_rest_in_the_journal() {
    let dir = nocwatch_testkit::TempDir::new("nocwatch-traps-drain").unwrap();
    let mut cfg = config();
    cfg.journal = Some(JournalConfig::new(dir.path()));
    cfg.dedup.window = Duration::ZERO;
    let mut p = Pipeline::open(cfg.clone(), Instant::now()).unwrap();
    let pkts: Vec<Vec<u8>> = (0..50).map(link_down).collect();
    let batch: Vec<Datagram<'_>> = pkts
        .iter()
        .map(|d| Datagram {
            peer: peer(1),
            data: d,
            local: None,
        })
        .collect();
    p.ingest(Instant::now(), &batch, &mut Vec::new());
    // A deadline already past: nothing is processed, everything stays journaled.
    let r = p.drain(Instant::now()).unwrap();
    assert_eq!((r.processed, r.left), (0, 50));
    drop(p);
    let mut p = Pipeline::open(cfg, Instant::now()).unwrap();
    assert_eq!(p.stats().replayed, 50);
    let r = p.drain(Instant::now() + Duration::from_secs(10)).unwrap();
    assert_eq!((r.processed, r.left), (50, 0));
    assert_eq!(p.recent().len(), 50);
}

#[test]
fn ipv6_peers_and_binary_strings_render_as_json() {
    let mut p = Pipeline::open(config(), Instant::now()).unwrap();
    let from: SocketAddr = "[2001:db8::7]:50162".parse().unwrap();
    let pkt = v2c(
        PduType::SnmpV2Trap,
        "public",
        "1.3.6.1.4.1.9.9.41.2.0.1",
        &[
            (
                "1.3.6.1.4.1.9.9.41.1.2.3.1.5.1",
                Value::OctetString(b"say \"hi\"\n"),
            ),
            (
                "1.3.6.1.4.1.9.9.41.1.2.3.1.6.1",
                Value::OctetString(&[0, 0xff, 0x10]),
            ),
            ("1.3.6.1.2.1.4.20.1.1.1", Value::IpAddress([192, 0, 2, 1])),
            ("1.3.6.1.2.1.31.1.1.1.6.1", Value::Counter64(u64::MAX)),
            (
                "1.3.6.1.2.1.1.2.0",
                Value::ObjectIdentifier(nocwatch_snmp::OidRef::from(&oid("1.3.6.1.4.1.9.1.1"))),
            ),
        ],
    );
    feed(&mut p, &[(from, pkt)]);
    let e = &json_events(&p)[0];
    assert_eq!(e["peer"], "[2001:db8::7]:50162");
    assert_eq!(e["source"], "2001:db8::7");
    assert_eq!(
        vb(e, "1.3.6.1.4.1.9.9.41.1.2.3.1.5.1").unwrap()["value"],
        "say \"hi\"\n"
    );
    assert_eq!(
        vb(e, "1.3.6.1.4.1.9.9.41.1.2.3.1.6.1").unwrap()["value"],
        "0x00ff10"
    );
    assert_eq!(
        vb(e, "1.3.6.1.2.1.4.20.1.1.1").unwrap()["value"],
        "192.0.2.1"
    );
    assert_eq!(
        vb(e, "1.3.6.1.2.1.4.20.1.1.1").unwrap()["type"],
        "IpAddress"
    );
    assert_eq!(
        vb(e, "1.3.6.1.2.1.31.1.1.1.6.1").unwrap()["value"],
        u64::MAX
    );
    assert_eq!(
        vb(e, "1.3.6.1.2.1.1.2.0").unwrap()["value"],
        "1.3.6.1.4.1.9.1.1"
    );
}

#[test]
fn an_event_converts_to_the_shared_model() {
    let mut p = Pipeline::open(config(), Instant::now()).unwrap();
    feed(&mut p, &[(peer(1), link_down(7))]);
    let ev = p.recent().iter().next().unwrap().to_model();
    assert_eq!(ev.resource.as_str(), "10.0.0.1");
    assert_eq!(&*ev.name, "linkDown");
    assert_eq!(ev.severity, Severity::Major);
    assert_eq!(ev.occurrences, 1);
    match &ev.origin {
        nocwatch_model::Origin::Trap {
            version,
            pdu,
            peer,
            trap_oid,
        } => {
            assert_eq!((*version, *pdu), ("v2c", "trap"));
            assert_eq!(peer.to_string(), "10.0.0.1:40000");
            assert_eq!(trap_oid, "1.3.6.1.6.3.1.1.5.3");
        }
        other => panic!("{other:?}"),
    }
    let up = &ev.bindings[0];
    assert_eq!(
        (up.oid.as_str(), up.kind.as_str(), up.value.as_str()),
        ("1.3.6.1.2.1.1.3.0", "TimeTicks", "12345")
    );
    assert!(
        ev.bindings
            .iter()
            .any(|b| b.oid == "1.3.6.1.2.1.2.2.1.1.1" && b.value == "7")
    );
}
