//! `nocwatch trap listen`: the listener's sockets, the receiver, output and
//! `/metrics`, and the SIGTERM drain.

mod metrics;
mod output;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::Args;
use nocwatch_net::{ListenSocket, Listener, ListenerConfig, RecvBuffers};
use nocwatch_snmp::crypto::{AuthProtocol, PrivProtocol};
use nocwatch_snmp::receiver::{
    AuthoritativeEngine, Outcome, Receiver, ReceiverConfig, ReceiverStats, generate_engine_id,
};
use nocwatch_snmp::{SecurityLevel, UsmUser};

use self::output::{Event, Output};
use crate::request::engine_id_hex;

/// `nocwatch trap listen`.
#[derive(Debug, Args)]
pub(crate) struct ListenArgs {
    /// UDP port to listen on (every IPv4 and IPv6 address) when no --listen is given.
    #[arg(long, default_value_t = 162)]
    pub(crate) port: u16,
    /// Address to listen on, `IP:PORT` or `[IPv6]:PORT` (repeatable; overrides --port).
    #[arg(long = "listen", value_name = "ADDR")]
    pub(crate) listen: Vec<String>,
    /// Sockets per address, sharded with SO_REUSEPORT (0: one per core).
    #[arg(long, default_value_t = 0)]
    pub(crate) sockets: usize,
    /// Receive buffer to request per socket, in bytes.
    #[arg(long, default_value_t = 32 << 20)]
    pub(crate) rcvbuf: usize,
    /// Print one JSON object per event per line instead of net-snmp's text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Serve Prometheus metrics at http://ADDR/metrics.
    #[arg(long, value_name = "ADDR")]
    pub(crate) metrics_listen: Option<SocketAddr>,
    /// Journal directory (accepted events are written there before they are processed).
    #[arg(long, value_name = "DIR")]
    pub(crate) journal: Option<PathBuf>,
    /// Classification rules file.
    #[arg(long, value_name = "FILE")]
    pub(crate) rules: Option<PathBuf>,
    /// v1/v2c community to accept (repeatable; default: any).
    #[arg(short = 'c', long = "community", value_name = "COMMUNITY")]
    pub(crate) communities: Vec<String>,
    /// An SNMPv3 user, in snmptrapd's createUser syntax:
    /// `[-e ENGINEID] NAME [AUTHPROTO AUTHPASS [PRIVPROTO PRIVPASS]]` (repeatable).
    /// Messages below the level the user has keys for are refused.
    #[arg(long = "user", value_name = "CREATEUSER", allow_hyphen_values = true)]
    pub(crate) users: Vec<String>,
    /// A file of `createUser ...` lines (snmptrapd.conf syntax; other lines ignored).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Our snmpEngineID in hex, for informs (default: derived from the host name).
    #[arg(long, value_name = "HEX")]
    pub(crate) engine_id: Option<String>,
    /// On SIGTERM, how long to drain queued events before exiting.
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    pub(crate) drain_timeout: f64,
}

/// Parses one `createUser` argument list.
fn parse_user(spec: &str) -> anyhow::Result<UsmUser> {
    let mut words: Vec<&str> = spec.split_whitespace().collect();
    if words.first() == Some(&"createUser") {
        words.remove(0);
    }
    let mut engine_id = None;
    if words.first() == Some(&"-e") {
        let id = words.get(1).context("createUser -e needs an engine ID")?;
        engine_id = Some(engine_id_hex(id)?);
        words.drain(..2);
    }
    let (name, auth, privacy) = match words.as_slice() {
        [name] => (*name, None, None),
        [name, ap, apw] => (*name, Some((*ap, *apw)), None),
        [name, ap, apw, pp, ppw] => (*name, Some((*ap, *apw)), Some((*pp, *ppw))),
        _ => bail!("{spec}: expected [-e ENGINEID] NAME [AUTHPROTO AUTHPASS [PRIVPROTO PRIVPASS]]"),
    };
    let auth = auth
        .map(|(p, pw)| {
            let proto: AuthProtocol = p
                .parse()
                .map_err(|_| anyhow::anyhow!("{p}: unknown authentication protocol"))?;
            anyhow::Ok((proto, pw.as_bytes()))
        })
        .transpose()?;
    let privacy = privacy
        .map(|(p, pw)| {
            let proto: PrivProtocol = p
                .parse()
                .map_err(|_| anyhow::anyhow!("{p}: unknown privacy protocol"))?;
            anyhow::Ok((proto, pw.as_bytes()))
        })
        .transpose()?;
    let level = match (&auth, &privacy) {
        (None, _) => SecurityLevel::NoAuthNoPriv,
        (Some(_), None) => SecurityLevel::AuthNoPriv,
        (Some(_), Some(_)) => SecurityLevel::AuthPriv,
    };
    let mut user = UsmUser::new(name.as_bytes(), level, auth, privacy)
        .with_context(|| format!("createUser {name}"))?;
    user.engine_id = engine_id;
    Ok(user)
}

fn users(args: &ListenArgs) -> anyhow::Result<Vec<Arc<UsmUser>>> {
    let mut specs: Vec<String> = args.users.clone();
    if let Some(path) = &args.config {
        let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
        specs.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| l.starts_with("createUser "))
                .map(str::to_owned),
        );
    }
    specs.iter().map(|s| parse_user(s).map(Arc::new)).collect()
}

fn listen_addrs(args: &ListenArgs) -> anyhow::Result<Vec<SocketAddr>> {
    if args.listen.is_empty() {
        return Ok(vec![
            SocketAddr::from(([0, 0, 0, 0], args.port)),
            SocketAddr::from(([0u16; 8], args.port)),
        ]);
    }
    args.listen
        .iter()
        .map(|a| {
            let t = a
                .strip_prefix("udp6:")
                .or_else(|| a.strip_prefix("udp:"))
                .unwrap_or(a);
            t.parse::<SocketAddr>()
                .with_context(|| format!("{a}: expected IP:PORT or [IPv6]:PORT"))
        })
        .collect()
}

/// Binds every address; without --listen, a missing IPv6 stack only costs a warning.
fn bind(args: &ListenArgs) -> anyhow::Result<Listener> {
    let addrs = listen_addrs(args)?;
    let mut config = ListenerConfig {
        addrs: addrs.clone(),
        sockets_per_addr: args.sockets,
        recv_buffer: args.rcvbuf,
        ..ListenerConfig::default()
    };
    match Listener::bind(config.clone()) {
        Ok(l) => Ok(l),
        Err(e) if args.listen.is_empty() => {
            tracing::warn!(error = %e, "cannot listen on IPv6; IPv4 only");
            config.addrs.retain(SocketAddr::is_ipv4);
            Ok(Listener::bind(config)?)
        }
        Err(e) => Err(e.into()),
    }
}

/// Shared counters for /metrics: the receivers' stats, summed over reader threads.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    receivers: Mutex<Vec<ReceiverStats>>,
}

impl Shared {
    fn receiver_totals(&self) -> ReceiverStats {
        let mut t = ReceiverStats::default();
        if let Ok(all) = self.receivers.lock() {
            for s in all.iter() {
                t.datagrams += s.datagrams;
                t.traps += s.traps;
                t.v1_traps += s.v1_traps;
                t.informs += s.informs;
                t.reports += s.reports;
                t.discoveries += s.discoveries;
                t.unknown_engine_ids += s.unknown_engine_ids;
                t.unknown_user_names += s.unknown_user_names;
                t.unsupported_sec_levels += s.unsupported_sec_levels;
                t.wrong_digests += s.wrong_digests;
                t.not_in_time_windows += s.not_in_time_windows;
                t.decryption_errors += s.decryption_errors;
                t.bad_community_names += s.bad_community_names;
                t.unknown_security_models += s.unknown_security_models;
                t.malformed += s.malformed;
                t.unexpected_pdus += s.unexpected_pdus;
                t.ack_failures += s.ack_failures;
            }
        }
        t
    }
}

pub(crate) async fn listen(args: &ListenArgs) -> anyhow::Result<ExitCode> {
    if args.journal.is_some() || args.rules.is_some() {
        bail!("--journal and --rules need the trap pipeline, not built into this binary yet");
    }
    let users = users(args)?;
    let listener = bind(args)?;
    let engine_id = match &args.engine_id {
        Some(h) => engine_id_hex(h)?,
        None => {
            let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
            let seed = host.trim().bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
            generate_engine_id(seed)
        }
    };
    let started = Instant::now();
    let receiver_config = ReceiverConfig {
        communities: if args.communities.is_empty() {
            None
        } else {
            Some(
                args.communities
                    .iter()
                    .map(|c| c.as_bytes().to_vec())
                    .collect(),
            )
        },
        users,
        salt_seed: u64::from(std::process::id()) << 32
            ^ std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64),
        ..ReceiverConfig::default()
    };
    let output = Arc::new(Output::stdout(args.json));
    let shared = Arc::new(Shared::default());
    let listener = Arc::new(listener);
    let stop = Arc::new(AtomicBool::new(false));

    // Each reader thread owns a receiver; they share the engine identity.
    let mut receivers = Vec::new();
    for _ in listener.sockets() {
        let engine = AuthoritativeEngine::new(engine_id.clone(), 1, started);
        receivers.push(Receiver::new(receiver_config.clone(), engine)?);
    }
    if let Ok(mut r) = shared.receivers.lock() {
        r.resize(receivers.len(), ReceiverStats::default());
    }
    let mut next = 0usize;
    let threads = listener.spawn(&stop, |_socket| {
        let index = next;
        next += 1;
        let mut receiver = receivers.pop();
        let output = Arc::clone(&output);
        let shared = Arc::clone(&shared);
        let mut events: Vec<Event> = Vec::new();
        let mut acks: Vec<(SocketAddr, Vec<u8>)> = Vec::new();
        move |socket: &ListenSocket, bufs: &RecvBuffers| {
            let Some(receiver) = receiver.as_mut() else {
                return;
            };
            let now = Instant::now();
            for d in bufs.iter() {
                match receiver.handle(now, d.peer, d.data) {
                    Outcome::Notification(n) => {
                        let local = socket.local_addr();
                        events.push(Event::from_notification(&n, local));
                        if let Some(ack) = n.ack {
                            acks.push((ack.peer(), ack.into_datagram()));
                        }
                    }
                    Outcome::Report { datagram, .. } => {
                        let _ = socket.send_to(datagram, d.peer);
                    }
                    Outcome::Dropped(reason) => {
                        tracing::debug!(peer = %d.peer, %reason, "datagram dropped");
                    }
                }
            }
            // Informs are answered only once their event is written out.
            if output.write(&events).is_ok() {
                for (peer, datagram) in acks.drain(..) {
                    let _ = socket.send_to(&datagram, peer);
                }
            }
            acks.clear();
            events.clear();
            if let Ok(mut all) = shared.receivers.lock()
                && let Some(slot) = all.get_mut(index)
            {
                *slot = *receiver.stats();
            }
        }
    })?;
    let addrs: Vec<String> = listener
        .local_addrs()
        .iter()
        .map(ToString::to_string)
        .collect();
    eprintln!(
        "nocwatch trap listen: listening on {} ({} sockets)",
        addrs.join(", "),
        listener.sockets().len()
    );

    let metrics_task = match args.metrics_listen {
        Some(addr) => Some(metrics::serve(addr, Arc::clone(&listener), Arc::clone(&shared)).await?),
        None => None,
    };

    wait_for_signal().await?;
    stop.store(true, Ordering::Relaxed);
    let deadline = Duration::from_secs_f64(args.drain_timeout.max(0.0));
    let drained = tokio::task::spawn_blocking(move || {
        for t in threads {
            let _ = t.join();
        }
    });
    if tokio::time::timeout(deadline, drained).await.is_err() {
        tracing::warn!("drain deadline passed; exiting with readers still busy");
    }
    output.flush();
    if let Some(t) = metrics_task {
        t.abort();
    }
    Ok(ExitCode::SUCCESS)
}

/// Waits for SIGTERM or SIGINT.
async fn wait_for_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("SIGINT handler")?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn create_user_syntax() {
        let u = parse_user("createUser -e 0x8000000001020304 alice SHA alicepass1 AES alicepriv1")
            .unwrap();
        assert_eq!(u.name, b"alice");
        assert_eq!(u.level, SecurityLevel::AuthPriv);
        assert_eq!(
            u.engine_id.as_deref(),
            Some(&[0x80, 0, 0, 0, 1, 2, 3, 4][..])
        );
        let u = parse_user("bob MD5 bobpass12").unwrap();
        assert_eq!(u.level, SecurityLevel::AuthNoPriv);
        assert!(u.engine_id.is_none());
        assert_eq!(
            parse_user("carol").unwrap().level,
            SecurityLevel::NoAuthNoPriv
        );
        assert!(parse_user("dave SHA").is_err());
        assert!(parse_user("erin FOO erinpass1").is_err());
    }
}
