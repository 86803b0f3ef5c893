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
    /// Dropped: the version is disabled on this agent (snmpInBadVersions).
    pub dropped_bad_version: u64,
    /// Dropped on purpose: simulated loss.
    pub dropped_lost: u64,
    /// Dropped on purpose: the drop-responses-above-a-size quirk.
    pub dropped_quirk_too_large: u64,
    /// Dropped by SNMPv3 security processing with no Report due.
    pub dropped_usm: u64,
    /// SNMPv3 Reports sent (discovery, unknown user, time window...).
    pub reports: u64,
}

impl AgentStats {
    /// Every drop, whatever the reason.
    pub fn dropped(&self) -> u64 {
        self.dropped_malformed
            + self.dropped_bad_community
            + self.dropped_unsupported
            + self.dropped_too_big
            + self.dropped_bad_version
            + self.dropped_lost
            + self.dropped_quirk_too_large
            + self.dropped_usm
    }

    /// Adds another agent's counters to these (a fleet's totals).
    pub fn accumulate(&mut self, o: &Self) {
        self.requests += o.requests;
        self.responses += o.responses;
        self.error_responses += o.error_responses;
        self.gets += o.gets;
        self.get_nexts += o.get_nexts;
        self.get_bulks += o.get_bulks;
        self.sets += o.sets;
        self.varbinds_out += o.varbinds_out;
        self.dropped_malformed += o.dropped_malformed;
        self.dropped_bad_community += o.dropped_bad_community;
        self.dropped_unsupported += o.dropped_unsupported;
        self.dropped_too_big += o.dropped_too_big;
        self.dropped_bad_version += o.dropped_bad_version;
        self.dropped_lost += o.dropped_lost;
        self.dropped_quirk_too_large += o.dropped_quirk_too_large;
        self.dropped_usm += o.dropped_usm;
        self.reports += o.reports;
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
    pub dropped_bad_version: AtomicU64,
    pub dropped_lost: AtomicU64,
    pub dropped_quirk_too_large: AtomicU64,
    pub dropped_usm: AtomicU64,
    pub reports: AtomicU64,
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
            dropped_bad_version: get(&self.dropped_bad_version),
            dropped_lost: get(&self.dropped_lost),
            dropped_quirk_too_large: get(&self.dropped_quirk_too_large),
            dropped_usm: get(&self.dropped_usm),
            reports: get(&self.reports),
        }
    }
}
