//! The pipeline thread: the one thread that owns the [`Pipeline`].
//!
//! It takes datagrams from the [`Intake`] round-robin by source, ingests them,
//! sends Reports at once and inform Responses once their journal record is durable
//! (from the socket the request arrived at), polls the pipeline, and between two
//! passes runs the commands of the [`super::TrapService`] handle: a metrics render,
//! a reload (rules, users, communities swapped with no datagram lost: the readers
//! keep queueing in the intake meanwhile), the stop deadline. After every pass it
//! publishes a copy of the counters for `stats()`. Once the intake is closed and
//! empty it drains the pipeline by the deadline.

use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nocwatch_net::Listener;
use nocwatch_snmp::UsmUser;

use super::intake::{Intake, Item};
use crate::error::Error;
use crate::pipeline::{Datagram, DrainReport, Pipeline, PipelineStats, Transmit};
use crate::rules::Rules;

/// Datagrams handed to one [`Pipeline::ingest`] call at most.
const TAKE: usize = 256;

/// Datagrams of one source per [`Pipeline::ingest`] call at most (see
/// [`Intake::take`]): a quiet source's trap waits behind this many of a flooding
/// source's, not behind a whole [`TAKE`].
const TAKE_PER_SOURCE: usize = 32;

/// How long the pipeline thread sleeps at most when idle.
const IDLE_POLL: Duration = Duration::from_millis(20);

/// What a reload swaps, resolved (files read, secrets looked up) on the caller's
/// thread so the pipeline thread only swaps.
#[derive(Debug)]
pub(crate) struct Swap {
    pub(crate) rules: Arc<Rules>,
    pub(crate) communities: Option<Vec<Vec<u8>>>,
    pub(crate) users: Vec<Arc<UsmUser>>,
}

/// A request to the pipeline thread.
#[derive(Debug)]
pub(crate) enum Command {
    /// Render the pipeline's metrics.
    Metrics(SyncSender<String>),
    /// Swap rules, users and communities; the reply says whether it took.
    Reload(Box<Swap>, SyncSender<Result<(), Error>>),
    /// The drain deadline of the coming stop (the intake is closed next).
    Deadline(Instant),
}

/// Counters published after every pass.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Published {
    pub(crate) pipeline: PipelineStats,
    pub(crate) queued: usize,
    pub(crate) pending_acks: usize,
    pub(crate) passes: u64,
}

/// Sends answers from the address their request arrived at (senders check); the
/// pipeline hands that address back in each [`Transmit`]. Without it, any socket
/// of the peer's family.
fn transmit(listener: &Listener, out: &mut Vec<Transmit>) {
    let sockets = listener.sockets();
    for t in out.drain(..) {
        let socket = t
            .local
            .and_then(|l| sockets.iter().find(|s| s.local_addr() == l))
            .or_else(|| {
                sockets
                    .iter()
                    .find(|s| s.local_addr().is_ipv4() == t.peer.is_ipv4())
            });
        match socket {
            Some(s) => {
                if let Err(e) = s.send_to(&t.datagram, t.peer) {
                    tracing::debug!(peer = %t.peer, error = %e, "response not sent");
                }
            }
            None => tracing::debug!(peer = %t.peer, "no socket of that family for a response"),
        }
    }
}

/// Everything the thread works with besides the pipeline.
pub(crate) struct Driver {
    pub(crate) intake: Arc<Intake>,
    pub(crate) commands: Receiver<Command>,
    pub(crate) listener: Arc<Listener>,
    pub(crate) published: Arc<Mutex<Published>>,
    /// Used when no [`Command::Deadline`] came (the handle was dropped).
    pub(crate) drain: Duration,
}

impl Driver {
    /// Runs until the intake is closed and empty, then drains by the deadline.
    pub(crate) fn run(self, mut p: Pipeline) -> Result<DrainReport, Error> {
        let mut out = Vec::new();
        let mut taken: Vec<Item> = Vec::with_capacity(TAKE);
        let mut deadline = None;
        let mut passes = 0u64;
        loop {
            let now = Instant::now();
            let wait = if p.queued() > 0 {
                Duration::ZERO
            } else {
                p.poll_timeout()
                    .map_or(IDLE_POLL, |t| t.saturating_duration_since(now))
                    .min(IDLE_POLL)
            };
            // `take` recycles the previous pass's buffers and clears `taken`.
            let open = self.intake.take(TAKE, TAKE_PER_SOURCE, wait, &mut taken);
            if !taken.is_empty() {
                let dgrams: Vec<Datagram<'_>> = taken
                    .iter()
                    .map(|(peer, data, local)| Datagram {
                        peer: *peer,
                        data,
                        local: Some(*local),
                    })
                    .collect();
                p.ingest(Instant::now(), &dgrams, &mut out);
            }
            transmit(&self.listener, &mut out);
            if let Err(e) = p.poll(Instant::now()) {
                tracing::error!(error = %e, "trap pipeline poll failed");
            }
            p.take_acks(&mut out);
            transmit(&self.listener, &mut out);
            for cmd in self.commands.try_iter() {
                match cmd {
                    Command::Metrics(reply) => {
                        let mut text = String::new();
                        p.render_metrics(&mut text);
                        let _ = reply.send(text);
                    }
                    Command::Reload(swap, reply) => {
                        let Swap {
                            rules,
                            communities,
                            users,
                        } = *swap;
                        let done = p.set_credentials(communities, users).map(|()| {
                            p.set_rules(rules);
                        });
                        let _ = reply.send(done);
                    }
                    Command::Deadline(at) => deadline = Some(at),
                }
            }
            passes += 1;
            self.publish(&p, passes);
            if !open {
                break;
            }
        }
        let report = p.drain(deadline.unwrap_or_else(|| Instant::now() + self.drain));
        p.take_acks(&mut out);
        transmit(&self.listener, &mut out);
        self.publish(&p, passes + 1);
        report
    }

    fn publish(&self, p: &Pipeline, passes: u64) {
        let snapshot = Published {
            pipeline: *p.stats(),
            queued: p.queued(),
            pending_acks: p.pending_acks(),
            passes,
        };
        *self
            .published
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = snapshot;
    }
}
