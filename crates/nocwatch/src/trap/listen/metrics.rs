//! `/metrics` for `trap listen`: Prometheus text, every name prefixed `nocwatch_`.
//!
//! Rendered on each scrape from the listener's atomics and the receivers' last
//! published stats; the server is a small axum router on the command's runtime.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use nocwatch_net::Listener;

use super::Shared;

/// Starts serving `/metrics` on `addr`; the task runs until aborted.
pub(crate) async fn serve(
    addr: SocketAddr,
    listener: Arc<Listener>,
    shared: Arc<Shared>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let tcp = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("--metrics-listen {addr}"))?;
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let body = render(&listener, &shared);
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    body,
                )
            }
        }),
    );
    eprintln!(
        "nocwatch trap listen: metrics on http://{}/metrics",
        tcp.local_addr().unwrap_or(addr)
    );
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(tcp, app).await {
            tracing::warn!(error = %e, "metrics server stopped");
        }
    }))
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// The whole exposition.
pub(crate) fn render(listener: &Listener, shared: &Shared) -> String {
    let mut out = String::new();
    let sockets: Vec<_> = listener
        .sockets()
        .iter()
        .map(|s| (s.local_addr(), s.shard(), s.recv_buffer(), s.stats()))
        .collect();
    let per_socket = |out: &mut String,
                      name: &str,
                      kind: &str,
                      help: &str,
                      f: &dyn Fn(&nocwatch_net::SocketStats) -> u64| {
        family(out, name, kind, help);
        for (addr, shard, _, st) in &sockets {
            let _ = writeln!(
                out,
                "{name}{{listen=\"{addr}\",shard=\"{shard}\"}} {}",
                f(st)
            );
        }
    };
    per_socket(
        &mut out,
        "nocwatch_trap_datagrams_received_total",
        "counter",
        "Datagrams read from the trap sockets.",
        &|s| s.datagrams,
    );
    per_socket(
        &mut out,
        "nocwatch_trap_bytes_received_total",
        "counter",
        "Payload bytes read from the trap sockets.",
        &|s| s.bytes,
    );
    per_socket(
        &mut out,
        "nocwatch_trap_kernel_drops_total",
        "counter",
        "Datagrams the kernel dropped for a trap socket (receive buffer full): SO_RXQ_OVFL and /proc/net/udp.",
        &|s| s.kernel_drops,
    );
    per_socket(
        &mut out,
        "nocwatch_trap_truncated_total",
        "counter",
        "Datagrams longer than the receive slot, dropped.",
        &|s| s.truncated,
    );
    per_socket(
        &mut out,
        "nocwatch_trap_recv_batches_total",
        "counter",
        "recvmmsg calls that returned datagrams.",
        &|s| s.batches,
    );
    per_socket(
        &mut out,
        "nocwatch_trap_responses_sent_total",
        "counter",
        "Inform Responses and Reports sent.",
        &|s| s.responses_sent,
    );
    per_socket(
        &mut out,
        "nocwatch_trap_send_errors_total",
        "counter",
        "Responses that failed to send.",
        &|s| s.send_errors,
    );
    family(
        &mut out,
        "nocwatch_trap_socket_receive_buffer_bytes",
        "gauge",
        "Effective SO_RCVBUF of each trap socket.",
    );
    for (addr, shard, rcvbuf, _) in &sockets {
        let _ = writeln!(
            out,
            "nocwatch_trap_socket_receive_buffer_bytes{{listen=\"{addr}\",shard=\"{shard}\"}} {rcvbuf}"
        );
    }

    let r = shared.receiver_totals();
    family(
        &mut out,
        "nocwatch_trap_decoded_total",
        "counter",
        "Notifications accepted by the receiver, by kind.",
    );
    for (kind, n) in [
        ("trap_v1", r.v1_traps),
        ("trap", r.traps),
        ("inform", r.informs),
    ] {
        let _ = writeln!(out, "nocwatch_trap_decoded_total{{kind=\"{kind}\"}} {n}");
    }
    family(
        &mut out,
        "nocwatch_trap_decode_failed_total",
        "counter",
        "Datagrams the receiver refused, by reason.",
    );
    for (reason, n) in [
        ("malformed", r.malformed),
        ("bad_community", r.bad_community_names),
        ("unexpected_pdu", r.unexpected_pdus),
        ("unknown_security_model", r.unknown_security_models),
        ("unknown_engine_id", r.unknown_engine_ids),
        ("unknown_user_name", r.unknown_user_names),
        ("unsupported_sec_level", r.unsupported_sec_levels),
        ("wrong_digest", r.wrong_digests),
        ("not_in_time_window", r.not_in_time_windows),
        ("decryption_error", r.decryption_errors),
    ] {
        let _ = writeln!(
            out,
            "nocwatch_trap_decode_failed_total{{reason=\"{reason}\"}} {n}"
        );
    }
    family(
        &mut out,
        "nocwatch_trap_reports_sent_total",
        "counter",
        "USM Reports returned (discovery, time window, errors).",
    );
    let _ = writeln!(out, "nocwatch_trap_reports_sent_total {}", r.reports);
    out
}
