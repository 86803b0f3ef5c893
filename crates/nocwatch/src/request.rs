//! `get`, `getnext` and `set`: one request, net-snmp's output and exit statuses.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use nocwatch_net::{BlockingClient, ClientConfig, NetError, Reply, RequestSpec};
use nocwatch_snmp::{ErrorStatus, Oid, PduType, UsmUser, VarBind, Version};

use crate::cli::{RequestArgs, SetArgs, SnmpOpts};
use crate::format::{self, OutputMode};

/// Settings shared by every command that talks to an agent.
///
/// A command has one request in flight at a time, so it uses the blocking client:
/// two syscalls per round trip (see `nocwatch_net::BlockingClient`).
pub(crate) struct Session {
    pub(crate) client: BlockingClient,
    pub(crate) user: Option<std::sync::Arc<UsmUser>>,
    pub(crate) target: std::net::SocketAddr,
    pub(crate) version: Version,
    pub(crate) community: Vec<u8>,
    pub(crate) mode: OutputMode,
    /// MIB-aware text (names, enumerations, hints); `None` prints net-snmp's `-On`
    /// text without MIBs, the fast path.
    pub(crate) mib: Option<crate::mibout::MibText>,
}

impl Session {
    pub(crate) async fn open(opts: &SnmpOpts, agent: &str) -> anyhow::Result<Self> {
        let version = version_of(&opts.version)?;
        let user = if version == Version::V3 {
            Some(std::sync::Arc::new(usm_user(opts)?))
        } else {
            None
        };
        let text_opts = crate::mibout::TextOpts::parse(&opts.output)?;
        let mibs = crate::mibout::load(opts.mib_modules.as_deref(), opts.mib_dirs.as_deref());
        let mib = match mibs {
            Some(m) => Some(crate::mibout::MibText::new(
                std::sync::Arc::new(m),
                text_opts,
            )),
            // without MIBs, OIDs are numeric whatever -O says; -Oq / -Ov still apply
            None if text_opts.quick || text_opts.value_only => Some(crate::mibout::MibText::new(
                std::sync::Arc::default(),
                crate::mibout::TextOpts {
                    oid: nocwatch_mib::OidStyle::Numeric,
                    ..text_opts
                },
            )),
            None => None,
        };
        let tracker = tracker_config(opts)?;
        let target = nocwatch_net::resolve_agent(agent, nocwatch_net::SNMP_PORT).await?;
        let mut config = ClientConfig::for_target(target);
        config.tracker = tracker;
        let client = BlockingClient::bind(config)?;
        Ok(Self {
            client,
            target,
            version,
            user,
            community: opts.community.as_bytes().to_vec(),
            mode: if opts.json {
                OutputMode::Json
            } else {
                OutputMode::Text
            },
            mib,
        })
    }

    /// Appends an OID as this session names OIDs (MIB names, or dotted numbers).
    pub(crate) fn push_name(&self, out: &mut String, arcs: &[u32]) {
        push_oid_name(self.mib.as_ref(), out, arcs);
    }

    /// Appends one binding in this session's output format.
    pub(crate) fn push(&self, out: &mut String, vb: &VarBind<'_>) {
        match (&self.mib, self.mode) {
            (Some(m), OutputMode::Text) => m.push_varbind(out, vb),
            (Some(m), OutputMode::Json) if !m.mibs.objects().is_empty() => {
                m.push_varbind_json(out, vb);
            }
            _ => format::push(out, vb, self.mode),
        }
    }

    pub(crate) fn spec(&self, pdu_type: PduType) -> RequestSpec {
        let mut spec = RequestSpec::new(self.target, self.version, &self.community, pdu_type);
        spec.user.clone_from(&self.user);
        spec
    }

    /// Sends one request. On a timeout, prints net-snmp's message (snmpget ends it
    /// with `period`, the others do not) and returns `None`.
    pub(crate) fn exchange(
        &self,
        pdu_type: PduType,
        vbs: &[VarBind<'_>],
        period: &str,
    ) -> anyhow::Result<Option<Reply>> {
        match self.client.request_blocking(&self.spec(pdu_type), vbs) {
            Ok(r) => Ok(Some(r)),
            Err(NetError::Timeout { target }) => {
                eprintln!("Timeout: No Response from {target}{period}");
                Ok(None)
            }
            Err(NetError::Failed { reason, .. }) => {
                eprintln!("nocwatch: {reason}");
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// OIDs from the command line: dotted decimal, or names (`IF-MIB::ifDescr.1`,
/// `sysDescr.0`, `vacmGroupName.1."comm1"`) when MIBs are loaded.
pub(crate) fn parse_oids(
    mib: Option<&crate::mibout::MibText>,
    texts: &[String],
) -> anyhow::Result<Vec<Oid>> {
    texts
        .iter()
        .map(|t| {
            let unknown = || format!("{t}: Unknown Object Identifier");
            match mib.filter(|m| !m.mibs.objects().is_empty()) {
                Some(m) => {
                    let arcs = m.mibs.resolve(t).ok().with_context(unknown)?;
                    Oid::from_arcs(&arcs)
                        .map_err(anyhow::Error::msg)
                        .with_context(unknown)
                }
                None => t.parse::<Oid>().with_context(unknown),
            }
        })
        .collect()
}

/// `get` and `getnext`. In v1, a noSuchName drops the failing binding and asks again
/// for the rest, as net-snmp does unless `-Cf`.
pub(crate) async fn get(args: &RequestArgs, pdu_type: PduType) -> anyhow::Result<ExitCode> {
    let session = Session::open(&args.snmp, &args.agent).await?;
    let mut oids = parse_oids(session.mib.as_ref(), &args.oids)?;
    let mut status = ExitCode::SUCCESS;
    let period = if pdu_type == PduType::GetRequest {
        ""
    } else {
        "."
    };
    while !oids.is_empty() {
        let vbs: Vec<VarBind<'_>> = oids.iter().map(|o| VarBind::null(o.as_oid_ref())).collect();
        let Some(reply) = session.exchange(pdu_type, &vbs, ".")? else {
            return Ok(ExitCode::from(1));
        };
        let pdu = reply.pdu()?;
        if pdu.status() == ErrorStatus::NoError {
            print_varbinds(&pdu.varbinds, &session)?;
            break;
        }
        print_agent_error(&pdu, period, session.mib.as_ref());
        status = ExitCode::from(2);
        // Retry without the failing binding (v1 and v2c alike, like net-snmp's fix).
        let index = usize::try_from(pdu.error_index).unwrap_or(0);
        if index == 0 || index > oids.len() || pdu.status() != ErrorStatus::NoSuchName {
            break;
        }
        oids.remove(index - 1);
    }
    Ok(status)
}

pub(crate) fn print_varbinds(
    vbs: &nocwatch_snmp::VarBinds<'_>,
    session: &Session,
) -> anyhow::Result<()> {
    let mut out = String::new();
    for vb in vbs.iter() {
        // Said as the walker says it: "malformed reply: <why>", once.
        session.push(&mut out, &vb.map_err(NetError::from)?);
    }
    print!("{out}");
    Ok(())
}

/// An OID as the output options print it: by name with MIBs, else dotted decimal.
pub(crate) fn push_oid_name(mib: Option<&crate::mibout::MibText>, out: &mut String, arcs: &[u32]) {
    match mib {
        Some(m) => m.mibs.push_oid(out, arcs, m.opts.oid),
        None => {
            for a in arcs {
                out.push('.');
                nocwatch_snmp::push_u64(out, u64::from(*a));
            }
        }
    }
}

/// net-snmp's three-line error report on standard error.
/// `mib` names the failed object when MIBs are loaded; `None` prints it numerically.
pub(crate) fn print_agent_error(
    pdu: &nocwatch_snmp::Pdu<'_>,
    period: &str,
    mib: Option<&crate::mibout::MibText>,
) {
    let mut msg = format!(
        "Error in packet{period}\nReason: {}\n",
        pdu.status().reason()
    );
    if pdu.error_index > 0 {
        let failed = usize::try_from(pdu.error_index - 1)
            .ok()
            .and_then(|i| pdu.varbinds.iter().nth(i))
            .and_then(Result::ok);
        if let Some(vb) = failed {
            // net-snmp's fprint_objid ends the line and the caller adds another.
            msg.push_str("Failed object: ");
            let arcs: Vec<u32> = vb.name.arcs().collect();
            push_oid_name(mib, &mut msg, &arcs);
            msg.push_str("\n\n");
        }
    }
    eprint!("{msg}");
}

/// `set OID TYPE VALUE ...`.
pub(crate) async fn set(args: &SetArgs) -> anyhow::Result<ExitCode> {
    if !args.triples.len().is_multiple_of(3) {
        bail!("set takes triples: OID TYPE VALUE [OID TYPE VALUE ...]");
    }
    let session = Session::open(&args.snmp, &args.agent).await?;
    // A name the MIBs do not know is net-snmp's "Unknown Object Identifier".
    let items = nocwatch_snmp::parse_triples(&args.triples, |t| {
        parse_oids(session.mib.as_ref(), &[t.to_owned()])
            .ok()
            .and_then(|mut v| v.pop())
            .ok_or_else(|| {
                nocwatch_snmp::Error::Notation(format!("{t}: Unknown Object Identifier"))
            })
    })?;
    let vbs = items
        .iter()
        .map(|(o, v)| {
            Ok(VarBind {
                name: o.as_oid_ref(),
                value: v.as_value()?,
            })
        })
        .collect::<Result<Vec<_>, nocwatch_snmp::Error>>()?;
    let Some(reply) = session.exchange(PduType::SetRequest, &vbs, "")? else {
        return Ok(ExitCode::from(1));
    };
    let pdu = reply.pdu()?;
    if pdu.status() == ErrorStatus::NoError {
        print_varbinds(&pdu.varbinds, &session)?;
        Ok(ExitCode::SUCCESS)
    } else {
        print_agent_error(&pdu, ".", session.mib.as_ref());
        Ok(ExitCode::from(2))
    }
}

/// net-snmp's error report for a walk that met an agent error.
pub(crate) fn print_agent_error_status(
    status: ErrorStatus,
    index: i32,
    oid: Option<&Oid>,
    session: &Session,
) {
    let mut msg = format!("Error in packet.\nReason: {}\n", status.reason());
    if let Some(oid) = oid.filter(|_| index > 0) {
        msg.push_str("Failed object: ");
        session.push_name(&mut msg, oid.arcs());
        msg.push_str("\n\n");
    }
    eprint!("{msg}");
}

/// The SNMPv3 user from net-snmp's `-u -l -a -A -x -X -n -E -e`.
pub(crate) fn usm_user(opts: &SnmpOpts) -> anyhow::Result<UsmUser> {
    Ok(nocwatch_snmp::UsmFlags {
        sec_name: opts.sec_name.clone(),
        sec_level: opts.sec_level.clone(),
        auth_protocol: opts.auth_protocol.clone(),
        auth_password: opts.auth_password.clone(),
        priv_protocol: opts.priv_protocol.clone(),
        priv_password: opts.priv_password.clone(),
        context: opts.context.clone(),
        context_engine_id: opts.context_engine_id.clone(),
        security_engine_id: opts.security_engine_id.clone(),
    }
    .user()?)
}

/// `-v`: net-snmp's version names.
pub(crate) fn version_of(text: &str) -> anyhow::Result<Version> {
    Ok(match text {
        "1" => Version::V1,
        "2c" | "2" => Version::V2c,
        "3" => Version::V3,
        v => bail!("Invalid version specified after -v flag: {v}"),
    })
}

/// `-t`, `-r` and `--any-source` as the request tracker takes them.
pub(crate) fn tracker_config(opts: &SnmpOpts) -> anyhow::Result<nocwatch_snmp::TrackerConfig> {
    if !(opts.timeout.is_finite() && opts.timeout > 0.0) {
        bail!(
            "-t {}: timeout must be a positive number of seconds",
            opts.timeout
        );
    }
    Ok(nocwatch_snmp::TrackerConfig {
        retries: opts.retries,
        timeout: std::time::Duration::from_secs_f64(opts.timeout),
        check_source: !opts.any_source,
        ..nocwatch_snmp::TrackerConfig::default()
    })
}
