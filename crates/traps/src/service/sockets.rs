//! The service's own metrics beside the pipeline's: the sockets' (datagrams,
//! kernel drops, buffer sizes, read from the listener's atomics) and the intake
//! queues'. Every name is prefixed `nocwatch_trap_`.

use std::fmt::Write as _;

use nocwatch_net::Listener;

use super::intake::Intake;

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// Appends the sockets' and the intake's metrics.
pub(crate) fn render(out: &mut String, listener: &Listener, intake: &Intake) {
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
        out,
        "nocwatch_trap_socket_datagrams_total",
        "counter",
        "Datagrams read from the trap sockets.",
        &|s| s.datagrams,
    );
    per_socket(
        out,
        "nocwatch_trap_socket_bytes_total",
        "counter",
        "Payload bytes read from the trap sockets.",
        &|s| s.bytes,
    );
    per_socket(
        out,
        "nocwatch_trap_socket_kernel_drops_total",
        "counter",
        "Datagrams the kernel dropped for a trap socket (receive buffer full): SO_RXQ_OVFL and /proc/net/udp.",
        &|s| s.kernel_drops,
    );
    per_socket(
        out,
        "nocwatch_trap_socket_truncated_total",
        "counter",
        "Datagrams longer than the receive slot, dropped.",
        &|s| s.truncated,
    );
    per_socket(
        out,
        "nocwatch_trap_socket_recv_batches_total",
        "counter",
        "recvmmsg calls that returned datagrams.",
        &|s| s.batches,
    );
    per_socket(
        out,
        "nocwatch_trap_socket_responses_sent_total",
        "counter",
        "Inform Responses and Reports sent.",
        &|s| s.responses_sent,
    );
    per_socket(
        out,
        "nocwatch_trap_socket_send_errors_total",
        "counter",
        "Responses that failed to send.",
        &|s| s.send_errors,
    );
    family(
        out,
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

    intake.render(out);
}
