//! `nocwatch trap send`: snmptrap's arguments parsed into a `nocwatch_traps::send`
//! notification, sent, and the outcome printed as snmptrap/snmpinform print it.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use nocwatch_net::{ClientConfig, NetError};
use nocwatch_snmp::typed::{parse_numeric_oid, parse_triples};
use nocwatch_snmp::{Oid, Version};
use nocwatch_traps::send::{
    self as sender, Credentials, DEFAULT_ENTERPRISE, Notification, TRAP_PORT, TrapV1,
};

use super::SendArgs;
use crate::request::usm_user;

/// `''` is the host's uptime, as snmptrap takes it.
fn parse_uptime(text: &str) -> anyhow::Result<u32> {
    if text.is_empty() {
        Ok(sender::host_uptime())
    } else {
        text.parse()
            .with_context(|| format!("{text}: bad uptime (hundredths of a second)"))
    }
}

pub(crate) async fn send(args: &SendArgs) -> anyhow::Result<ExitCode> {
    let version = crate::request::version_of(&args.snmp.version)?;
    let inform = args.inform || args.app.iter().any(|o| o.contains('i'));
    let target = nocwatch_net::resolve_agent(&args.agent, TRAP_PORT).await?;
    let credentials = if version == Version::V3 {
        Credentials::Usm {
            user: Arc::new(usm_user(&args.snmp)?),
            engine_boots: args.engine_boots,
        }
    } else {
        Credentials::Community {
            version,
            community: args.snmp.community.as_bytes().to_vec(),
        }
    };
    if version == Version::V1 {
        if inform {
            bail!("SNMPv1 has no InformRequest (use -v 2c or -v 3)");
        }
        let [enterprise, agent_addr, generic, specific, uptime, rest @ ..] = args.rest.as_slice()
        else {
            bail!(
                "usage: trap send -v 1 [OPTIONS] AGENT ENTERPRISE AGENT-ADDR GENERIC SPECIFIC UPTIME [OID TYPE VALUE]..."
            );
        };
        let trap = TrapV1 {
            enterprise: if enterprise.is_empty() {
                Oid::from_arcs(DEFAULT_ENTERPRISE)?
            } else {
                parse_numeric_oid(enterprise)?
            },
            agent_addr: (!agent_addr.is_empty())
                .then(|| agent_addr.parse())
                .transpose()
                .with_context(|| format!("{agent_addr}: bad agent-addr"))?,
            generic_trap: generic
                .parse()
                .with_context(|| format!("{generic}: bad generic-trap"))?,
            specific_trap: specific
                .parse()
                .with_context(|| format!("{specific}: bad specific-trap"))?,
            time_stamp: parse_uptime(uptime)?,
            varbinds: parse_triples(rest, parse_numeric_oid)?,
        };
        sender::send_trap_v1(target, args.snmp.community.as_bytes(), &trap)?;
        return Ok(ExitCode::SUCCESS);
    }
    let [uptime, trap_oid, rest @ ..] = args.rest.as_slice() else {
        bail!("usage: trap send [OPTIONS] AGENT UPTIME TRAP-OID [OID TYPE VALUE]...");
    };
    let notification = Notification {
        uptime: parse_uptime(uptime)?,
        trap_oid: parse_numeric_oid(trap_oid)?,
        varbinds: parse_triples(rest, parse_numeric_oid)?,
    };
    if !inform {
        sender::send_trap(target, &credentials, &notification)?;
        return Ok(ExitCode::SUCCESS);
    }
    let opts = &args.snmp;
    let mut config = ClientConfig::for_target(target);
    config.tracker = crate::request::tracker_config(opts)?;
    match sender::send_inform(config, target, &credentials, &notification) {
        Ok(reply) => {
            let pdu = reply.pdu()?;
            if pdu.status() != nocwatch_snmp::ErrorStatus::NoError {
                crate::request::print_agent_error(&pdu, ".", None);
                return Ok(ExitCode::from(2));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(nocwatch_traps::Error::Inform(NetError::Timeout { target })) => {
            eprintln!("Timeout: No Response from {target}.");
            Ok(ExitCode::from(1))
        }
        Err(nocwatch_traps::Error::Inform(NetError::Failed { reason, .. })) => {
            eprintln!("nocwatch: {reason}");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}
