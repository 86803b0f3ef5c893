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
        Some(t) => parse_oids(std::slice::from_ref(t))?.remove(0),
        None => Oid::from_arcs(MIB2).map_err(anyhow::Error::msg)?,
    };
    if bulk && session.version == Version::V1 {
        bail!("bulkwalk needs SNMPv2c (GETBULK does not exist in SNMPv1)");
    }
    let mut opts = WalkOptions {
        version: session.version,
        community: session.community.clone(),
        bulk,
        ..WalkOptions::default()
    };
    let mut print_count = false;
    for c in &args.app {
        let mut chars = c.chars();
        while let Some(ch) = chars.next() {
            match ch {
                'c' => opts.check_increasing = false,
                'I' => opts.get_root_if_empty = false,
                'p' => print_count = true,
                'i' => {}
                'r' | 'n' => {
                    let num: String = chars.by_ref().take_while(char::is_ascii_digit).collect();
                    let n: i32 = num
                        .parse()
                        .map_err(|_| anyhow::anyhow!("-C{ch} needs a number"))?;
                    if ch == 'r' {
                        opts.max_repetitions = n;
                    } else {
                        opts.non_repeaters = n;
                    }
                }
                other => bail!("-C{other}: unknown application option"),
            }
        }
    }

    let mode = session.mode;
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    let mut buf = String::with_capacity(64 * 1024);
    let mut write_error = None;
    let result = net_walk(&session.client, session.target, &root, &opts, |vb| {
        format::push(&mut buf, vb, mode);
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
                // net-snmp prints this before its GET of the root; the order only
                // matters when the subtree was empty, where it comes first.
                writeln!(lock, "End of MIB")?;
            }
            if print_count {
                writeln!(lock, "Variables found: {}", summary.varbinds)?;
            }
            lock.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Err(NetError::Timeout { target }) => {
            lock.flush()?;
            eprintln!("Timeout: No Response from {target}");
            Ok(ExitCode::from(1))
        }
        Err(NetError::NotIncreasing { previous, got }) => {
            lock.flush()?;
            let (mut p, mut g) = (String::new(), String::new());
            previous.write_dotted(&mut p);
            got.write_dotted(&mut g);
            eprintln!("Error: OID not increasing: {p}\n >= {g}");
            Ok(ExitCode::from(1))
        }
        Err(NetError::Agent { status, index, oid }) => {
            lock.flush()?;
            print_agent_error_status(status, index, oid.as_ref());
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(e.into()),
    }
}
