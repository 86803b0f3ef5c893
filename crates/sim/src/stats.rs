//! [`AgentStats`]: what the responder did, for tests, benchmarks and the demo.
//!
//! The responder takes `&self` so one agent can answer from many tasks, so the
//! counters are relaxed atomics (each is an independent tally; no ordering between
//! them is promised) and [`AgentStats`] is a plain snapshot of them.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of an agent's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgentStats {
    /// Datagrams handed to the responder.
    pub requests: u64,
    /// Responses written (including error responses).
    pub responses: u64,
    /// Responses with a non-zero error-status.
    pub error_responses: u64,
    /// GetRequests answered.
    pub gets: u64,
    /// GetNextRequests answered.
    pub get_nexts: u64,
    /// GetBulkRequests answered.
    pub get_bulks: u64,
    /// SetRequests answered (whether or not the set was accepted).
    pub sets: u64,
    /// Variable bindings sent in responses.
    pub varbinds_out: u64,
    /// Dropped: not decodable (snmpInASNParseErrs).
    pub dropped_malformed: u64,
    /// Dropped: unknown community (snmpInBadCommunityNames).
    pub dropped_bad_community: u64,
    /// Dropped: decodable but not a v1/v2c request this agent answers (SNMPv3, traps,
    /// responses, informs, reports).
    pub dropped_unsupported: u64,
    /// Dropped: even the tooBig response would exceed the size limit
    /// (snmpSilentDrops).
    pub dropped_too_big: u64,
}

impl AgentStats {
    /// Every drop, whatever the reason.
    pub fn dropped(&self) -> u64 {
        self.dropped_malformed
            + self.dropped_bad_community
            + self.dropped_unsupported
            + self.dropped_too_big
    }
}

/// The live counters behind [`AgentStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub responses: AtomicU64,
    pub error_responses: AtomicU64,
    pub gets: AtomicU64,
    pub get_nexts: AtomicU64,
    pub get_bulks: AtomicU64,
    pub sets: AtomicU64,
    pub varbinds_out: AtomicU64,
    pub dropped_malformed: AtomicU64,
    pub dropped_bad_community: AtomicU64,
    pub dropped_unsupported: AtomicU64,
    pub dropped_too_big: AtomicU64,
}

/// Adds `n` to a counter.
pub(crate) fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

impl Counters {
    pub fn snapshot(&self) -> AgentStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        AgentStats {
            requests: get(&self.requests),
            responses: get(&self.responses),
            error_responses: get(&self.error_responses),
            gets: get(&self.gets),
            get_nexts: get(&self.get_nexts),
            get_bulks: get(&self.get_bulks),
            sets: get(&self.sets),
            varbinds_out: get(&self.varbinds_out),
            dropped_malformed: get(&self.dropped_malformed),
            dropped_bad_community: get(&self.dropped_bad_community),
            dropped_unsupported: get(&self.dropped_unsupported),
            dropped_too_big: get(&self.dropped_too_big),
        }
    }
}
