//! `walk` and `bulkwalk`.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::bail;
use nocwatch_net::{NetError, WalkEnd, WalkOptions, walk as net_walk};
use nocwatch_snmp::{Oid, Version};

use crate::cli::WalkArgs;
use crate::format;
use crate::request::{Session, parse_oids, print_agent_error_status};

/// mib-2, net-snmp's default walk root.
const MIB2: &[u32] = &[1, 3, 6, 1, 2, 1];

pub(crate) async fn walk(args: &WalkArgs, bulk: bool) -> anyhow::Result<ExitCode> {
    let session = Session::open(&args.snmp, &args.agent).await?;
    let root = match &args.oid {
        Some(t) => parse_oids(session.mib.as_ref(), std::slice::from_ref(t))?.remove(0),
        None => Oid::from_arcs(MIB2).map_err(anyhow::Error::msg)?,
    };
    if bulk && session.version == Version::V1 {
        bail!("bulkwalk needs SNMPv2c (GETBULK does not exist in SNMPv1)");
    }
    let mut opts = WalkOptions {
        version: session.version,
        community: session.community.clone(),
        user: session.user.clone(),
        bulk,
        ..WalkOptions::default()
    };
    let mut print_count = false;
    for c in &args.app {
        print_count |= opts.apply_app_options(c)?;
    }

    // The root GET is done here, after "End of MIB", to print in net-snmp's order.
    let get_root = std::mem::replace(&mut opts.get_root_if_empty, false);
    let mode = session.mode;
    let stdout = std::io::stdout();
    let mut lock = stdout;
    let mut buf = String::with_capacity(64 * 1024);
    let mut write_error = None;
    // Counted here too: a walk that fails still reports what it printed (-Cp).
    let mut printed = 0u64;
    let result = net_walk(&session.client, session.target, &root, &opts, |vb| {
        printed += 1;
        session.push(&mut buf, vb);
        if buf.len() >= 48 * 1024 {
            if let Err(e) = lock.write_all(buf.as_bytes()) {
                write_error.get_or_insert(e);
            }
            buf.clear();
        }
    })
    .await;
    lock.write_all(buf.as_bytes())?;
    if let Some(e) = write_error {
        return Err(e.into());
    }
    match result {
        Ok(summary) => {
            if summary.end == WalkEnd::EndOfMib && mode == format::OutputMode::Text {
                writeln!(lock, "End of MIB")?;
            }
            let mut found = summary.varbinds;
            if found == 0 && get_root {
                lock.flush()?;
                found += get_root_and_print(&session, &root).await?;
            }
            if print_count {
                writeln!(lock, "Variables found: {found}")?;
            }
            lock.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            lock.flush()?;
            let code = report_walk_error(error, &session)?;
            if print_count {
                writeln!(lock, "Variables found: {printed}")?;
                lock.flush()?;
            }
            Ok(code)
        }
    }
}

/// Prints why a walk stopped, as net-snmp does, and returns the exit status.
fn report_walk_error(error: NetError, session: &Session) -> anyhow::Result<ExitCode> {
    match error {
        NetError::Timeout { target } => {
            eprintln!("Timeout: No Response from {target}");
            Ok(ExitCode::from(1))
        }
        NetError::Failed { reason, .. } => {
            eprintln!("nocwatch: {reason}");
            Ok(ExitCode::from(1))
        }
        NetError::NotIncreasing {
            previous,
            got,
            more,
        } => {
            // net-snmp reports every binding of the reply that was not after the
            // requested OID; fprint_objid ends each OID with a newline.
            let mut p = String::new();
            session.push_name(&mut p, previous.arcs());
            let mut report = String::new();
            for oid in std::iter::once(&*got).chain(&more) {
                report.push_str("Error: OID not increasing: ");
                report.push_str(&p);
                report.push_str("\n >= ");
                session.push_name(&mut report, oid.arcs());
                report.push_str("\n\n");
            }
            eprint!("{report}");
            Ok(ExitCode::from(1))
        }
        NetError::Agent { status, index, oid } => {
            print_agent_error_status(status, index, oid.as_deref(), session);
            Ok(ExitCode::from(2))
        }
        e => Err(e.into()),
    }
}

/// GETs the walk root and prints what comes back (exceptions too) unless the agent
/// answers with an error, as net-snmp's `snmp_get_and_print`.
async fn get_root_and_print(session: &Session, root: &Oid) -> anyhow::Result<u64> {
    let vbs = [nocwatch_snmp::VarBind::null(root.as_oid_ref())];
    let Some(reply) = session.exchange(nocwatch_snmp::PduType::GetRequest, &vbs, "")? else {
        return Ok(0);
    };
    let pdu = reply.pdu()?;
    if pdu.status() != nocwatch_snmp::ErrorStatus::NoError {
        return Ok(0);
    }
    let mut out = String::new();
    let mut n = 0;
    for vb in pdu.varbinds.iter() {
        session.push(&mut out, &vb.map_err(NetError::from)?);
        n += 1;
    }
    print!("{out}");
    Ok(n)
}
