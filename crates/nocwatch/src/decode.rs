//! `decode`: every SNMP message in hex or in a capture, printed; a bad frame is reported
//! and decoding goes on with the next one.

use std::fmt::Write as _;
use std::io::Read as _;
use std::process::ExitCode;

use anyhow::Context as _;
use nocwatch_snmp::{Anomalies, DecodeOptions, Message, Pdus, ScopedPduData, VarBinds, Version};
use serde_json::json;

use crate::cli::DecodeArgs;
use crate::format;
use nocwatch_capture::{self as capture, Datagram};

pub(crate) fn decode(args: &DecodeArgs) -> anyhow::Result<ExitCode> {
    let opts = if args.strict {
        DecodeOptions::strict()
    } else {
        DecodeOptions::lenient()
    };
    let mib = crate::mibout::MibText::from_options(
        args.mib_modules.as_deref(),
        args.mib_dirs.as_deref(),
        &args.output,
    )?;
    let mib = mib.as_ref();
    let mut failures = 0u64;
    let mut out = String::new();
    if let Some(hex) = &args.hex {
        let text = if hex == "-" {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            s
        } else {
            hex.clone()
        };
        let bytes = capture::parse_hex(&text).context("invalid hex")?;
        if !render_message(&mut out, &bytes, &opts, None, args.json, mib) {
            failures += 1;
        }
        print!("{out}");
    } else if let Some(path) = &args.file {
        let bytes = capture::load_file(path)?;
        let summary = capture::read_capture(&bytes, |item| {
            match item {
                Ok(d) => {
                    if !render_message(&mut out, d.payload, &opts, Some(&d), args.json, mib) {
                        failures += 1;
                    }
                }
                Err((frame, error)) => {
                    failures += 1;
                    if args.json {
                        let _ = writeln!(
                            out,
                            "{}",
                            json!({"frame": frame, "error": error.to_string()})
                        );
                    } else {
                        let _ = writeln!(out, "frame {frame}: error: {error}");
                    }
                }
            }
            if out.len() > 32 * 1024 {
                print!("{out}");
                out.clear();
            }
        })?;
        print!("{out}");
        if !args.json {
            println!(
                "{} frame(s), {} UDP datagram(s), {} error(s)",
                summary.frames, summary.datagrams, failures
            );
        }
    } else {
        anyhow::bail!("give a capture file or --hex");
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Appends one message; returns false when it did not decode.
fn render_message(
    out: &mut String,
    bytes: &[u8],
    opts: &DecodeOptions,
    frame: Option<&Datagram<'_>>,
    json_out: bool,
    mib: Option<&crate::mibout::MibText>,
) -> bool {
    let decoded = Message::decode_with_anomalies(bytes, opts);
    let mut vb_anomalies = Anomalies::default();
    let result = decoded.and_then(|d| {
        let mut lines = Vec::new();
        let varbinds = d.message.pdu().map(Pdus::varbinds);
        if let Some(vbs) = varbinds {
            collect(vbs, &mut lines, &mut vb_anomalies, json_out, mib)?;
        }
        Ok((d, lines))
    });
    let prefix = frame.map_or_else(String::new, |d| {
        format!("frame {} {} -> {}: ", d.frame, d.src, d.dst)
    });
    match result {
        Err(error) => {
            if json_out {
                let mut obj = json!({"error": error.to_string(), "hex": format::hex(bytes)});
                add_frame(&mut obj, frame);
                let _ = writeln!(out, "{obj}");
            } else {
                let _ = writeln!(out, "{prefix}error: {error}");
            }
            false
        }
        Ok((d, lines)) => {
            let mut anomalies = d.anomalies;
            anomalies.insert(vb_anomalies);
            if json_out {
                let mut obj = header_json(&d.message);
                add_frame(&mut obj, frame);
                if !anomalies.is_empty() {
                    obj["anomalies"] = json!(anomalies.names().collect::<Vec<_>>());
                }
                obj["varbinds"] = serde_json::Value::Array(
                    lines
                        .iter()
                        .filter_map(|l| serde_json::from_str(l).ok())
                        .collect(),
                );
                let _ = writeln!(out, "{obj}");
            } else {
                let _ = write!(out, "{prefix}");
                header_text(out, &d.message);
                if !anomalies.is_empty() {
                    let names: Vec<_> = anomalies.names().collect();
                    let _ = write!(out, " [tolerated: {}]", names.join(", "));
                }
                out.push('\n');
                for l in &lines {
                    out.push_str("  ");
                    out.push_str(l);
                }
            }
            true
        }
    }
}

fn collect(
    vbs: &VarBinds<'_>,
    lines: &mut Vec<String>,
    anomalies: &mut Anomalies,
    json_out: bool,
    mib: Option<&crate::mibout::MibText>,
) -> Result<(), nocwatch_snmp::DecodeError> {
    let mut it = vbs.iter();
    for vb in it.by_ref() {
        let vb = vb?;
        let mut s = String::new();
        match (json_out, mib) {
            (true, Some(m)) => m.push_varbind_json(&mut s, &vb),
            (true, None) => format::push_varbind_json(&mut s, &vb),
            (false, Some(m)) => m.push_varbind(&mut s, &vb),
            (false, None) => format::push_varbind(&mut s, &vb),
        }
        lines.push(s);
    }
    anomalies.insert(it.anomalies());
    Ok(())
}

fn add_frame(obj: &mut serde_json::Value, frame: Option<&Datagram<'_>>) {
    if let Some(d) = frame {
        obj["frame"] = json!(d.frame);
        obj["src"] = json!(d.src.to_string());
        obj["dst"] = json!(d.dst.to_string());
        obj["time"] = json!(d.timestamp.as_secs_f64());
    }
}

fn text_or_hex(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) if s.chars().all(|c| !c.is_control()) => format!("{s:?}"),
        _ => format!("0x{}", format::hex(b)),
    }
}

fn header_text(out: &mut String, msg: &Message<'_>) {
    match msg {
        Message::Community(m) => {
            let _ = write!(out, "{} community {}", m.version, text_or_hex(m.community));
            pdu_text(out, &m.pdu);
        }
        Message::V3(m) => {
            let _ = write!(
                out,
                "SNMPv3 msgID {} maxSize {} flags {}{}{} securityModel {}",
                m.msg_id,
                m.max_size,
                if m.flags.auth() { "auth" } else { "noAuth" },
                if m.flags.privacy() { "Priv" } else { "NoPriv" },
                if m.flags.reportable() {
                    ",reportable"
                } else {
                    ""
                },
                m.security_model
            );
            if let Ok(usm) = m.usm() {
                let _ = write!(
                    out,
                    " engineID 0x{} boots {} time {} user {}",
                    format::hex(usm.engine_id),
                    usm.engine_boots,
                    usm.engine_time,
                    text_or_hex(usm.user_name)
                );
            }
            match &m.data {
                ScopedPduData::Encrypted(e) => {
                    let _ = write!(out, " encryptedPDU ({} bytes)", e.len());
                }
                ScopedPduData::Plaintext(s) => {
                    let _ = write!(
                        out,
                        " contextEngineID 0x{} contextName {}",
                        format::hex(s.context_engine_id),
                        text_or_hex(s.context_name)
                    );
                    pdu_text(out, &s.pdu);
                }
            }
        }
    }
}

fn pdu_text(out: &mut String, pdu: &Pdus<'_>) {
    match pdu {
        Pdus::Pdu(p) => {
            if p.pdu_type == nocwatch_snmp::PduType::GetBulkRequest {
                let _ = write!(
                    out,
                    " {} request-id {} non-repeaters {} max-repetitions {}",
                    p.pdu_type,
                    p.request_id,
                    p.non_repeaters(),
                    p.max_repetitions()
                );
            } else {
                let _ = write!(
                    out,
                    " {} request-id {} error-status {}({}) error-index {}",
                    p.pdu_type,
                    p.request_id,
                    p.status().name(),
                    p.error_status,
                    p.error_index
                );
            }
        }
        Pdus::TrapV1(t) => {
            let mut ent = String::new();
            t.enterprise.write_dotted(&mut ent);
            let _ = write!(
                out,
                " trap enterprise {ent} agent-addr {} generic-trap {} specific-trap {} time-stamp {}",
                t.agent_addr, t.generic_trap, t.specific_trap, t.time_stamp
            );
        }
    }
}

fn header_json(msg: &Message<'_>) -> serde_json::Value {
    match msg {
        Message::Community(m) => {
            let mut obj = json!({
                "version": version_name(m.version),
                "community": text_or_hex(m.community).trim_matches('"'),
            });
            pdu_json(&mut obj, &m.pdu);
            obj
        }
        Message::V3(m) => {
            let mut obj = json!({
                "version": "3",
                "msg_id": m.msg_id,
                "max_size": m.max_size,
                "flags": m.flags.0,
                "security_model": m.security_model,
            });
            if let Ok(usm) = m.usm() {
                obj["engine_id"] = json!(format::hex(usm.engine_id));
                obj["engine_boots"] = json!(usm.engine_boots);
                obj["engine_time"] = json!(usm.engine_time);
                obj["user"] = json!(String::from_utf8_lossy(usm.user_name));
            }
            match &m.data {
                ScopedPduData::Encrypted(e) => obj["encrypted_bytes"] = json!(e.len()),
                ScopedPduData::Plaintext(s) => {
                    obj["context_engine_id"] = json!(format::hex(s.context_engine_id));
                    obj["context_name"] = json!(String::from_utf8_lossy(s.context_name));
                    pdu_json(&mut obj, &s.pdu);
                }
            }
            obj
        }
    }
}

fn pdu_json(obj: &mut serde_json::Value, pdu: &Pdus<'_>) {
    obj["pdu"] = json!(pdu.pdu_type().name());
    match pdu {
        Pdus::Pdu(p) => {
            obj["request_id"] = json!(p.request_id);
            obj["error_status"] = json!(p.error_status);
            obj["error_index"] = json!(p.error_index);
        }
        Pdus::TrapV1(t) => {
            let mut ent = String::new();
            t.enterprise.write_dotted(&mut ent);
            obj["enterprise"] = json!(ent);
            obj["agent_addr"] = json!(t.agent_addr.to_string());
            obj["generic_trap"] = json!(t.generic_trap);
            obj["specific_trap"] = json!(t.specific_trap);
            obj["time_stamp"] = json!(t.time_stamp);
        }
    }
}

fn version_name(v: Version) -> &'static str {
    v.name()
}
