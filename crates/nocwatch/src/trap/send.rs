//! `nocwatch trap send`: one v1 Trap, SNMPv2-Trap or InformRequest, v1/v2c/v3.
//!
//! Traps are encoded here and sent once from an ephemeral socket. Informs go through
//! the request tracker (the same retries, timeouts and v3 discovery as `get`), since
//! an inform is a confirmed request whose Response must be matched by request-id.
//! For a v3 Trap we are the authoritative engine: keys are localized with our engine
//! ID (`-e`, else one generated for this run), as snmptrap does.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, bail};
use nocwatch_net::{BlockingClient, ClientConfig, NetError, RequestSpec};
use nocwatch_snmp::crypto::KeyCache;
use nocwatch_snmp::oids;
use nocwatch_snmp::receiver::generate_engine_id;
use nocwatch_snmp::{
    CommunityMessage, EngineInfo, Oid, Pdu, PduType, Pdus, TrapV1Pdu, Value, VarBind, VarBinds,
    Version, security,
};

use super::SendArgs;
use crate::request::{SetValue, usm_user};

/// net-snmp's default v1 enterprise (`.1.3.6.1.4.1.3.1.1`, ucdavis netSnmpAgentOIDs).
const DEFAULT_ENTERPRISE: &str = "1.3.6.1.4.1.3.1.1";
/// The notification port.
const TRAP_PORT: u16 = 162;

/// `OID TYPE VALUE` triples, parsed.
fn parse_triples(words: &[String]) -> anyhow::Result<Vec<(Oid, SetValue)>> {
    if !words.len().is_multiple_of(3) {
        bail!("variables come in triples: OID TYPE VALUE");
    }
    words
        .chunks(3)
        .map(|t| {
            let [oid, ty, value] = t else {
                bail!("variables come in triples: OID TYPE VALUE")
            };
            let oid: Oid = parse_oid(oid)?;
            Ok((oid, SetValue::parse(ty, value)?))
        })
        .collect()
}

fn parse_oid(text: &str) -> anyhow::Result<Oid> {
    text.parse::<Oid>()
        .with_context(|| format!("{text}: Unknown Object Identifier"))
}

/// The host's uptime in hundredths of a second (what snmptrap sends for `''`).
fn host_uptime() -> u32 {
    let secs = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|t| t.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0);
    // TimeTicks wrap at 2^32 hundredths (497 days).
    ((secs * 100.0) as u64 % (1u64 << 32)) as u32
}

fn parse_uptime(text: &str) -> anyhow::Result<u32> {
    if text.is_empty() {
        Ok(host_uptime())
    } else {
        text.parse()
            .with_context(|| format!("{text}: bad uptime (hundredths of a second)"))
    }
}

/// A request-id / msgID that differs between runs.
fn fresh_id() -> i32 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    i32::try_from((nanos ^ std::process::id().rotate_left(16)) & 0x7fff_ffff).unwrap_or(1)
}

fn version_of(text: &str) -> anyhow::Result<Version> {
    Ok(match text {
        "1" => Version::V1,
        "2c" | "2" => Version::V2c,
        "3" => Version::V3,
        v => bail!("Invalid version specified after -v flag: {v}"),
    })
}

pub(crate) async fn send(args: &SendArgs) -> anyhow::Result<ExitCode> {
    let version = version_of(&args.snmp.version)?;
    let inform = args.inform || args.app.iter().any(|o| o.contains('i'));
    let target = crate::agent::resolve_with_port(&args.agent, TRAP_PORT).await?;
    if version == Version::V1 {
        if inform {
            bail!("SNMPv1 has no InformRequest (use -v 2c or -v 3)");
        }
        return send_v1(args, target);
    }
    let [uptime, trap_oid, rest @ ..] = args.rest.as_slice() else {
        bail!("usage: trap send [OPTIONS] AGENT UPTIME TRAP-OID [OID TYPE VALUE]...");
    };
    let uptime = parse_uptime(uptime)?;
    let trap_oid = parse_oid(trap_oid)?;
    let items = parse_triples(rest)?;
    let (up_oid, trap_oid_oid) = (
        Oid::from_arcs(oids::SYS_UPTIME_0)?,
        Oid::from_arcs(oids::SNMP_TRAP_OID_0)?,
    );
    let mut vbs = vec![
        VarBind {
            name: up_oid.as_oid_ref(),
            value: Value::TimeTicks(uptime),
        },
        VarBind {
            name: trap_oid_oid.as_oid_ref(),
            value: Value::ObjectIdentifier(trap_oid.as_oid_ref()),
        },
    ];
    for (oid, value) in &items {
        vbs.push(VarBind {
            name: oid.as_oid_ref(),
            value: value.as_value()?,
        });
    }
    if inform {
        return send_inform(args, version, target, &vbs);
    }
    let pdu = Pdu::new(PduType::SnmpV2Trap, fresh_id(), VarBinds::from_slice(&vbs));
    let mut out = Vec::new();
    if version == Version::V3 {
        encode_v3_trap(args, &pdu, &mut out)?;
    } else {
        CommunityMessage {
            version,
            community: args.snmp.community.as_bytes(),
            pdu: Pdus::Pdu(pdu),
        }
        .encode(&mut out);
    }
    send_once(target, &out)?;
    Ok(ExitCode::SUCCESS)
}

fn send_v1(args: &SendArgs, target: SocketAddr) -> anyhow::Result<ExitCode> {
    let [enterprise, agent_addr, generic, specific, uptime, rest @ ..] = args.rest.as_slice()
    else {
        bail!(
            "usage: trap send -v 1 [OPTIONS] AGENT ENTERPRISE AGENT-ADDR GENERIC SPECIFIC UPTIME [OID TYPE VALUE]..."
        );
    };
    let enterprise = parse_oid(if enterprise.is_empty() {
        DEFAULT_ENTERPRISE
    } else {
        enterprise
    })?;
    let generic_trap: i32 = generic
        .parse()
        .with_context(|| format!("{generic}: bad generic-trap"))?;
    if !(0..=6).contains(&generic_trap) {
        bail!("{generic}: generic-trap is 0 to 6");
    }
    let specific_trap: i32 = specific
        .parse()
        .with_context(|| format!("{specific}: bad specific-trap"))?;
    let time_stamp = parse_uptime(uptime)?;
    let items = parse_triples(rest)?;
    let vbs = items
        .iter()
        .map(|(oid, value)| {
            Ok(VarBind {
                name: oid.as_oid_ref(),
                value: value.as_value()?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let socket = connected(target)?;
    let agent_addr: Ipv4Addr = if agent_addr.is_empty() {
        // net-snmp sends the address it sends from.
        match socket.local_addr() {
            Ok(SocketAddr::V4(a)) => *a.ip(),
            _ => Ipv4Addr::UNSPECIFIED,
        }
    } else {
        agent_addr
            .parse()
            .with_context(|| format!("{agent_addr}: bad agent-addr"))?
    };
    let mut out = Vec::new();
    CommunityMessage {
        version: Version::V1,
        community: args.snmp.community.as_bytes(),
        pdu: Pdus::TrapV1(TrapV1Pdu {
            enterprise: enterprise.as_oid_ref(),
            agent_addr,
            generic_trap,
            specific_trap,
            time_stamp,
            varbinds: VarBinds::from_slice(&vbs),
        }),
    }
    .encode(&mut out);
    socket.send(&out).context("send")?;
    Ok(ExitCode::SUCCESS)
}

/// A v3 SNMPv2-Trap, authoritative as ourselves.
fn encode_v3_trap(args: &SendArgs, pdu: &Pdu<'_>, out: &mut Vec<u8>) -> anyhow::Result<()> {
    let user = usm_user(&args.snmp)?;
    let engine_id = match &user.engine_id {
        Some(id) => id.clone(),
        None => generate_engine_id(u64::from(std::process::id()) << 32 | u64::from(host_uptime())),
    };
    let mut cache = KeyCache::new(4);
    let keys = security::user_keys(&mut cache, &user, &engine_id)?;
    let now = Instant::now();
    let engine = EngineInfo {
        id: engine_id,
        boots: args.engine_boots,
        time: host_uptime() / 100,
        learned_at: now,
    };
    let salt = u64::from(fresh_id().unsigned_abs()) << 20 ^ u64::from(std::process::id());
    let mut scratch = Vec::new();
    security::encode_request(
        &user,
        &keys,
        &engine,
        now,
        fresh_id(),
        pdu,
        salt,
        &mut scratch,
        out,
    )?;
    Ok(())
}

fn connected(target: SocketAddr) -> anyhow::Result<UdpSocket> {
    let bind: SocketAddr = if target.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(bind).context("bind")?;
    socket
        .connect(target)
        .with_context(|| format!("{target}: connect"))?;
    Ok(socket)
}

fn send_once(target: SocketAddr, datagram: &[u8]) -> anyhow::Result<()> {
    connected(target)?
        .send(datagram)
        .with_context(|| format!("{target}: send"))?;
    Ok(())
}

/// An InformRequest, retried until the Response or the last timeout.
fn send_inform(
    args: &SendArgs,
    version: Version,
    target: SocketAddr,
    vbs: &[VarBind<'_>],
) -> anyhow::Result<ExitCode> {
    let opts = &args.snmp;
    if !(opts.timeout.is_finite() && opts.timeout > 0.0) {
        bail!(
            "-t {}: timeout must be a positive number of seconds",
            opts.timeout
        );
    }
    let mut config = ClientConfig::for_target(target);
    config.tracker.retries = opts.retries;
    config.tracker.timeout = std::time::Duration::from_secs_f64(opts.timeout);
    config.tracker.check_source = !opts.any_source;
    let client = BlockingClient::bind(config)?;
    let mut spec = RequestSpec::new(
        target,
        version,
        opts.community.as_bytes(),
        PduType::InformRequest,
    );
    if version == Version::V3 {
        spec.user = Some(Arc::new(usm_user(opts)?));
    }
    match client.request_blocking(&spec, vbs) {
        Ok(reply) => {
            let pdu = reply.pdu()?;
            if pdu.status() != nocwatch_snmp::ErrorStatus::NoError {
                crate::request::print_agent_error(&pdu, ".", None);
                return Ok(ExitCode::from(2));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(NetError::Timeout { target }) => {
            eprintln!("Timeout: No Response from {target}.");
            Ok(ExitCode::from(1))
        }
        Err(NetError::Failed { reason, .. }) => {
            eprintln!("nocwatch: {reason}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}
