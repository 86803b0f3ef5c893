//! A load generator for `nocwatch sim agents`: keeps a window of 50-repetition
//! GETBULKs of ifTable in flight over one socket, spread over the devices, and
//! reports responses/s and varbinds/s (and, given the simulator's PID, its CPU time
//! and varbinds per CPU-second, read from /proc).
//!
//! ```text
//! nocwatch sim agents --count 1000 --port 1161 &
//! cargo run --release -p nocwatch-sim --example load -- 127.1.0.1 1161 1000 5 256 $!
//! ```
//! Arguments: first address, port, devices, seconds, window, simulator PID (optional).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "example"
)]

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use nocwatch_snmp::{
    CommunityMessage, DecodeOptions, Message, Oid, Pdu, PduType, Pdus, VarBind, VarBinds, Version,
};

/// utime + stime of `pid`, in seconds (Linux /proc, 100 ticks per second).
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let base: Ipv4Addr = args
        .first()
        .map_or("127.1.0.1", String::as_str)
        .parse()
        .unwrap();
    let port: u16 = args.get(1).map_or("1161", String::as_str).parse().unwrap();
    let count: u32 = args.get(2).map_or("1000", String::as_str).parse().unwrap();
    let seconds: u64 = args.get(3).map_or("5", String::as_str).parse().unwrap();
    let window: u32 = args.get(4).map_or("256", String::as_str).parse().unwrap();
    let pid = args.get(5).cloned();

    let start_oid: Oid = "1.3.6.1.2.1.2.2".parse().unwrap();
    let vbs = [VarBind::null(start_oid.as_oid_ref())];
    let mut pdu = Pdu::new(PduType::GetBulkRequest, 0, VarBinds::from_slice(&vbs));
    pdu.error_index = 50; // max-repetitions
    let encode = |id: i32| {
        let mut out = Vec::new();
        let mut p = pdu;
        p.request_id = id;
        CommunityMessage {
            version: Version::V2c,
            community: b"public",
            pdu: Pdus::Pdu(p),
        }
        .encode(&mut out);
        out
    };
    let socket = UdpSocket::bind("0.0.0.0:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let target = |i: u32| SocketAddr::from((Ipv4Addr::from(u32::from(base) + i % count), port));
    let mut next = 0u32;
    for _ in 0..window {
        socket.send_to(&encode(next as i32), target(next)).unwrap();
        next += 1;
    }
    let cpu0 = pid.as_deref().and_then(cpu_seconds);
    let started = Instant::now();
    let (mut responses, mut varbinds, mut timeouts) = (0u64, 0u64, 0u64);
    let mut buf = vec![0u8; 65_536];
    while started.elapsed() < Duration::from_secs(seconds) {
        match socket.recv_from(&mut buf) {
            Ok((n, _)) => {
                let Ok(Message::Community(m)) =
                    Message::decode(&buf[..n], &DecodeOptions::default())
                else {
                    continue;
                };
                responses += 1;
                varbinds += m
                    .pdu
                    .as_pdu()
                    .map_or(0, |p| p.varbinds.iter().count() as u64);
                socket.send_to(&encode(next as i32), target(next)).unwrap();
                next += 1;
            }
            Err(_) => {
                // Refill the window after a loss.
                timeouts += 1;
                for _ in 0..window {
                    socket.send_to(&encode(next as i32), target(next)).unwrap();
                    next += 1;
                }
            }
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = match (cpu0, pid.as_deref().and_then(cpu_seconds)) {
        (Some(a), Some(b)) => Some(b - a),
        _ => None,
    };
    println!(
        "{responses} responses, {varbinds} varbinds in {wall:.1} s: {:.0} responses/s, {:.0} varbinds/s; {timeouts} receive timeouts",
        responses as f64 / wall,
        varbinds as f64 / wall
    );
    if let Some(cpu) = cpu {
        println!(
            "simulator CPU {cpu:.2} s ({:.0}% of one core): {:.0} responses and {:.0} varbinds per CPU-second, {:.1} us per response",
            100.0 * cpu / wall,
            responses as f64 / cpu,
            varbinds as f64 / cpu,
            1e6 * cpu / responses as f64
        );
    }
}
