//! `trap listen`'s outputs, as [`EventSink`]s fed by the pipeline with each event
//! and its raw bindings:
//!
//! - [`Text`] (default): snmptrapd's text (`snmptrapd -f -Lo -n`): numeric OIDs
//!   (`-On`) without MIBs; with MIBs (`-m`/`-M`, `$MIBS`) names and values as
//!   snmptrapd prints them with the same MIBs and `-O` options. A dedup summary gets
//!   its occurrence count appended.
//! - [`MibJson`] (`--json` with MIBs): the pipeline's JSON lines, unchanged, plus
//!   `name` and `text` in each binding. Without MIBs `--json` is the pipeline's own
//!   [`nocwatch_traps::sink::JsonLines`].
//!
//! Both format from the event's BER bindings (no JSON in between), buffer a pass's
//! events and write them with one `write` per pass.

use std::fmt::Write as _;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};

use nocwatch_snmp::{Value, VarBind, oids};
use nocwatch_traps::sink::{json_str, rfc3339, write_json_with};
use nocwatch_traps::{Event, EventSink, PduKind};

use crate::format;
use crate::mibout::MibText;
use crate::request::push_oid_name;

/// net-snmp's names of the generic traps (snmptrapd's `%W`).
const GENERIC: [&str; 7] = [
    "Cold Start",
    "Warm Start",
    "Link Down",
    "Link Up",
    "Authentication Failure",
    "EGP Neighbor Loss",
    "Enterprise Specific",
];

/// snmptrapd's text, written to `out` once per pipeline pass.
pub(crate) struct Text<W: Write + Send> {
    out: W,
    local: Option<SocketAddr>,
    mib: Option<MibText>,
    buf: String,
}

impl<W: Write + Send> Text<W> {
    /// `local` is the listening address shown in the transport; `mib` the MIBs and
    /// `-O` options (`None`: numeric, as `snmptrapd -On`).
    pub(crate) fn new(out: W, local: Option<SocketAddr>, mib: Option<MibText>) -> Self {
        Self {
            out,
            local,
            mib,
            buf: String::with_capacity(1 << 16),
        }
    }
}

impl<W: Write + Send> EventSink for Text<W> {
    fn event(&mut self, ev: &Event) {
        push_event(&mut self.buf, ev, self.local, self.mib.as_ref());
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            let r = self.out.write_all(self.buf.as_bytes());
            self.buf.clear();
            r?;
        }
        self.out.flush()
    }
}

/// The pipeline's JSON lines plus each binding's MIB `name` and `text`.
pub(crate) struct MibJson<W: Write + Send> {
    out: W,
    mib: MibText,
    buf: String,
}

impl<W: Write + Send> MibJson<W> {
    pub(crate) fn new(out: W, mib: MibText) -> Self {
        Self {
            out,
            mib,
            buf: String::with_capacity(1 << 16),
        }
    }
}

impl<W: Write + Send> EventSink for MibJson<W> {
    fn event(&mut self, ev: &Event) {
        let mib = &self.mib;
        let mut scratch = String::new();
        write_json_with(ev, &mut self.buf, |vb, out| {
            let arcs: Vec<u32> = vb.name.arcs().collect();
            scratch.clear();
            mib.push_json_name(&mut scratch, &arcs);
            out.push_str(",\"name\":");
            json_str(&scratch, out);
            scratch.clear();
            mib.push_value(&mut scratch, &arcs, &vb.value);
            out.push_str(",\"text\":");
            json_str(&scratch, out);
        });
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            let r = self.out.write_all(self.buf.as_bytes());
            self.buf.clear();
            r?;
        }
        self.out.flush()
    }
}

/// `YYYY-MM-DD hh:mm:ss` (UTC) of the event's receive time.
fn push_when(out: &mut String, ev: &Event) {
    let mut t = String::with_capacity(24);
    rfc3339(ev.received_unix_ns, &mut t);
    out.push_str(&t.get(..19).unwrap_or(&t).replacen('T', " ", 1));
}

/// One binding as net-snmp prints it, without a line end.
fn push_binding(out: &mut String, vb: &VarBind<'_>, mib: Option<&MibText>) {
    match mib {
        Some(m) => {
            m.push_varbind(out, vb);
            if out.ends_with('\n') {
                out.pop();
            }
        }
        None => {
            vb.name.write_dotted(out);
            out.push_str(" = ");
            format::push_value(out, &vb.value);
        }
    }
}

fn push_bindings<'a>(
    out: &mut String,
    vbs: impl Iterator<Item = VarBind<'a>>,
    mib: Option<&MibText>,
) {
    for (i, vb) in vbs.enumerate() {
        if i > 0 {
            out.push('\t');
        }
        push_binding(out, &vb, mib);
    }
}

/// Whether `vb` names `oid` (the RFC 3584 proxy bindings a translated v1 Trap
/// carries after its own are left out of the text).
fn is(vb: &VarBind<'_>, oid: &[u32]) -> bool {
    oids::is(&vb.name, oid)
}

fn push_event(out: &mut String, ev: &Event, local: Option<SocketAddr>, mib: Option<&MibText>) {
    let mut transport = String::from("UDP: ");
    match local {
        Some(l) => {
            let _ = write!(
                transport,
                "[{}]:{}->[{}]:{}",
                ev.peer.ip(),
                ev.peer.port(),
                l.ip(),
                l.port()
            );
        }
        None => {
            let _ = write!(transport, "{}", ev.peer);
        }
    }
    // Bindings that do not decode end the list (counted by the decoder already:
    // events only carry bindings that decoded when they were accepted).
    let vbs: Vec<VarBind<'_>> = ev.varbinds().iter().map_while(Result::ok).collect();
    push_when(out, ev);
    out.push(' ');
    if ev.kind == PduKind::TrapV1 {
        // snmptrapd's v1 form: agent-addr, enterprise, generic/specific, uptime.
        let agent = ev.agent_addr.map_or(ev.source, IpAddr::V4);
        let enterprise = vbs
            .iter()
            .find(|vb| is(vb, oids::SNMP_TRAP_ENTERPRISE_0))
            .and_then(|vb| match &vb.value {
                Value::ObjectIdentifier(o) => Some(o.arcs().collect::<Vec<u32>>()),
                _ => None,
            });
        let arcs: Vec<u32> = ev.trap_oid().arcs().collect();
        let (generic, specific) = match arcs.strip_prefix(oids::SNMP_TRAPS) {
            Some([g]) => (g.saturating_sub(1) as usize, 0),
            _ => (6, arcs.last().copied().unwrap_or(0)),
        };
        let uptime = vbs
            .iter()
            .find(|vb| is(vb, oids::SYS_UPTIME_0))
            .and_then(|vb| match vb.value {
                Value::TimeTicks(t) => Some(t),
                _ => None,
            })
            .unwrap_or(0);
        let mut up = String::new();
        // `-Oq` prints TimeTicks as `d:h:mm:ss.cc`, the uptime included
        match mib.filter(|m| m.opts.quick) {
            Some(m) => m.push_value(&mut up, &[], &Value::TimeTicks(uptime)),
            None => format::push_value(&mut up, &Value::TimeTicks(uptime)),
        }
        let up = up.split_once(") ").map_or(up.as_str(), |(_, u)| u);
        let _ = write!(
            out,
            "{agent} [{agent}] (via {transport}) TRAP, SNMP v1, community {}\n\t",
            String::from_utf8_lossy(ev.security_name()),
        );
        if let Some(e) = &enterprise {
            push_oid_name(mib, out, e);
        }
        let _ = write!(
            out,
            " {} Trap ({specific}) Uptime: {up}\n\t",
            GENERIC.get(generic).copied().unwrap_or("Unknown"),
        );
        let own = vbs.into_iter().skip(2).filter(|vb| {
            !is(vb, oids::SNMP_TRAP_ADDRESS_0)
                && !is(vb, oids::SNMP_TRAP_COMMUNITY_0)
                && !is(vb, oids::SNMP_TRAP_ENTERPRISE_0)
        });
        push_bindings(out, own, mib);
    } else {
        let _ = writeln!(out, "{transport} [{transport}]:");
        push_bindings(out, vbs.into_iter(), mib);
    }
    if ev.occurrences > 1 {
        let _ = write!(out, "\t(repeated {} times)", ev.occurrences);
    }
    out.push('\n');
}
