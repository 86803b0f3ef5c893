//! `walk` (GetNext) and `bulkwalk` (GetBulk) of a subtree, with net-snmp's semantics:
//! the one walker behind `nocwatch walk` and `nocwatch bulkwalk`.
//!
//! A walk ends on endOfMibView or another exception, on v1's noSuchName, or when the
//! agent's answer leaves the subtree. Bindings are handed to the caller's closure as
//! they arrive, borrowed from the reply datagram, so a walk of 100,000 rows never
//! holds more than one reply.
//!
//! What a misbehaving agent gets, and why:
//!
//! - **Order.** Like net-snmp's snmpwalk and snmpbulkwalk, each binding is compared
//!   with the OID the request asked for, not with the binding before it in the same
//!   reply: only the last binding of a reply becomes the next request, so only an
//!   OID at or before the one asked for could make the walk loop. A table served
//!   slightly out of order inside a GetBulk reply (as some routers serve their route
//!   table) therefore walks completely. A binding at or before the requested OID
//!   ends the walk with [`NetError::NotIncreasing`] once the rest of that reply has
//!   been delivered, as net-snmp prints the rest of the reply before it stops. With
//!   the check off (net-snmp's `-Cc`) a set of seen OIDs still stops a loop
//!   ([`NetError::Loop`]), where net-snmp would ask forever.
//! - **Malformed replies.** A reply that matched the request but does not decode to
//!   the end (cut short, corrupted; a length that runs past its container counts,
//!   where other commands clamp it) is dropped whole before any of its bindings is
//!   delivered, counted in [`WalkSummary::malformed`], and the request is sent again,
//!   as net-snmp drops such a packet and retransmits. Only [`MALFORMED_IN_A_ROW`]
//!   malformed answers to the same request in a row give up, with the timeout
//!   net-snmp would report.
//! - **Size.** A GetBulk's max-repetitions adapts as the poller's does (the same
//!   `AdaptiveBulk`): tooBig and genErr halve it and the request is sent again from
//!   the same OID; so does a timeout or a malformed reply at a size not yet answered
//!   (a large reply dropped on the way). Before the agent has answered anything, a
//!   timeout goes straight to one repetition, so a dead agent costs two timeouts,
//!   not one per halving. Answered requests grow it back slowly, never above the
//!   configured value.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use nocwatch_snmp::{DecodeOptions, ErrorStatus, Oid, PduType, VarBind, Version};

use crate::client::{Reply, RequestSpec};
use crate::error::NetError;
use crate::poller::bulk::{AdaptiveBulk, Shrink};
use crate::transport::Transport;

/// How the walker decodes replies: net-snmp's leniency (the default) except that a
/// length running past the end of its container is an error, not clamped, because
/// that is what a reply cut short looks like (net-snmp's parser drops it too).
const UNCLAMPED: DecodeOptions = DecodeOptions {
    clamp_overrunning_lengths: false,
    ..DecodeOptions::lenient()
};

/// Malformed answers to one request in a row before the walk gives up (net-snmp
/// would drop each one and time out).
pub const MALFORMED_IN_A_ROW: u32 = 4;

/// How to walk.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// V1 or V2c (bulk needs V2c).
    pub version: Version,
    /// The community (v1, v2c).
    pub community: Vec<u8>,
    /// The USM user (v3).
    pub user: Option<std::sync::Arc<nocwatch_snmp::UsmUser>>,
    /// Use GetBulk (bulkwalk) instead of GetNext.
    pub bulk: bool,
    /// GetBulk max-repetitions (net-snmp's `-Cr`, default 10).
    pub max_repetitions: i32,
    /// GetBulk non-repeaters (net-snmp's `-Cn`, default 0).
    pub non_repeaters: i32,
    /// Check that every OID increases (turned off by net-snmp's `-Cc`).
    pub check_increasing: bool,
    /// When the subtree yields nothing, GET the root itself, as net-snmp does unless
    /// `-CI` is given (walking `sysDescr.0` prints `sysDescr.0`).
    pub get_root_if_empty: bool,
    /// Per-request timeout override.
    pub timeout: Option<Duration>,
    /// Per-request retries override.
    pub retries: Option<u32>,
}

impl Default for WalkOptions {
    fn default() -> Self {
        Self {
            version: Version::V2c,
            community: b"public".to_vec(),
            user: None,
            bulk: false,
            max_repetitions: 10,
            non_repeaters: 0,
            check_increasing: true,
            get_root_if_empty: true,
            timeout: None,
            retries: None,
        }
    }
}

impl WalkOptions {
    /// Applies one `-C` argument of snmpwalk / snmpbulkwalk: `c` (no increasing
    /// check), `I` (no GET of an empty walk's root), `i` (include the root: what
    /// this walker does anyway), `rN` (max-repetitions), `nN` (non-repeaters) and
    /// `p`, whose answer is the return value: whether to print "Variables found".
    /// Here, not in each tool, so every walker takes net-snmp's letters alike.
    ///
    /// # Errors
    ///
    /// [`NetError::AppOption`] for an unknown letter, or `r`/`n` without a number.
    pub fn apply_app_options(&mut self, letters: &str) -> Result<bool, NetError> {
        let mut print_count = false;
        let mut chars = letters.chars().peekable();
        while let Some(ch) = chars.next() {
            match ch {
                'c' => self.check_increasing = false,
                'I' => self.get_root_if_empty = false,
                'p' => print_count = true,
                'i' => {}
                'r' | 'n' => {
                    let mut num = String::new();
                    while let Some(d) = chars.next_if(char::is_ascii_digit) {
                        num.push(d);
                    }
                    let n: i32 = num
                        .parse()
                        .map_err(|_| NetError::AppOption(format!("-C{ch} needs a number")))?;
                    if ch == 'r' {
                        self.max_repetitions = n;
                    } else {
                        self.non_repeaters = n;
                    }
                }
                other => {
                    return Err(NetError::AppOption(format!(
                        "-C{other}: unknown application option"
                    )));
                }
            }
        }
        Ok(print_count)
    }
}

/// How a walk ended (when it did not fail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkEnd {
    /// The agent's next OID left the subtree.
    LeftSubtree,
    /// endOfMibView, noSuchObject or noSuchInstance (printed, as net-snmp does).
    Exception,
    /// SNMPv1 noSuchName: the v1 way of saying end of view (net-snmp prints
    /// "End of MIB").
    EndOfMib,
    /// The agent returned an empty binding list.
    Empty,
}

/// What a walk did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkSummary {
    /// Bindings handed to the closure.
    pub varbinds: u64,
    /// Requests sent (not counting the client's retransmissions).
    pub requests: u64,
    /// Replies dropped because they did not decode (each one asked again).
    pub malformed: u64,
    /// Times GetBulk max-repetitions shrank (tooBig, genErr, silence, malformed).
    pub shrinks: u64,
    /// How it ended.
    pub end: WalkEnd,
}

/// Walks `root` on `target`, calling `each` for every binding in the subtree in
/// the agent's order. See the module docs for when it stops and what it survives.
pub async fn walk<T, F>(
    client: &T,
    target: SocketAddr,
    root: &Oid,
    opts: &WalkOptions,
    mut each: F,
) -> Result<WalkSummary, NetError>
where
    T: Transport,
    F: FnMut(&VarBind<'_>),
{
    let mut last = root.clone();
    // Subtree tests by byte prefix (roots of two or more arcs).
    let root_ber = (root.len() >= 2).then(|| root.to_ber());
    let in_subtree = |name: &nocwatch_snmp::OidRef<'_>| match &root_ber {
        Some(prefix) => name.starts_with_ber(prefix),
        None => name.is_in_subtree(root),
    };
    let mut seen: HashSet<Oid> = HashSet::new();
    let mut summary = WalkSummary {
        varbinds: 0,
        requests: 0,
        malformed: 0,
        shrinks: 0,
        end: WalkEnd::Empty,
    };
    let max = u16::try_from(opts.max_repetitions.max(1)).unwrap_or(u16::MAX);
    let mut bulk = AdaptiveBulk::new(max);
    // Whether the agent answered anything yet, and how the last attempt at the
    // current request failed (for the silent-drop rules).
    let mut answered_once = false;
    let mut silent_in_a_row = 0u32;
    let mut malformed_in_a_row = 0u32;
    loop {
        let pdu_type = if opts.bulk {
            PduType::GetBulkRequest
        } else {
            PduType::GetNextRequest
        };
        let reps = i32::from(bulk.current());
        summary.requests += 1;
        let reply = match send(client, target, opts, pdu_type, &last, reps).await {
            Ok(reply) => reply,
            Err(NetError::Timeout { .. }) if opts.bulk && silent_in_a_row < 2 => {
                silent_in_a_row += 1;
                let shrank = if answered_once {
                    let why = if silent_in_a_row >= 2 {
                        Shrink::SilentAgain
                    } else {
                        Shrink::Silent
                    };
                    // A size answered before: plain loss, asked again as it is.
                    bulk.shrink(why) || why == Shrink::Silent
                } else {
                    // Nothing answered yet: one repetition or a dead agent.
                    let mut any = false;
                    while bulk.shrink(Shrink::Silent) {
                        any = true;
                    }
                    any
                };
                if !shrank {
                    return Err(NetError::Timeout { target });
                }
                if i32::from(bulk.current()) < reps {
                    summary.shrinks += 1;
                }
                continue;
            }
            Err(e) => return Err(e),
        };
        answered_once = true;
        silent_in_a_row = 0;
        // The whole reply must decode before any binding is delivered: a reply cut
        // short is dropped whole and asked again.
        let pdu = match reply.pdu_with(&UNCLAMPED).and_then(|pdu| {
            pdu.varbinds.iter().try_for_each(|vb| vb.map(drop))?;
            Ok(pdu)
        }) {
            Ok(pdu) => pdu,
            Err(NetError::Decode(error)) => {
                summary.malformed += 1;
                malformed_in_a_row += 1;
                tracing::debug!(%target, %error, "Dropped a malformed reply; asking again.");
                if malformed_in_a_row >= MALFORMED_IN_A_ROW {
                    return Err(NetError::Timeout { target });
                }
                if opts.bulk && bulk.shrink(Shrink::Silent) {
                    summary.shrinks += 1;
                }
                continue;
            }
            Err(e) => return Err(e),
        };
        malformed_in_a_row = 0;
        let status = pdu.status();
        if status != ErrorStatus::NoError {
            if opts.version == Version::V1 && status == ErrorStatus::NoSuchName {
                summary.end = WalkEnd::EndOfMib;
                break;
            }
            let why = match status {
                ErrorStatus::TooBig => Some(Shrink::TooBig),
                ErrorStatus::GenErr => Some(Shrink::GenErr),
                _ => None,
            };
            if let Some(why) = why.filter(|_| opts.bulk)
                && bulk.shrink(why)
            {
                summary.shrinks += 1;
                continue;
            }
            return Err(agent_error(&pdu));
        }
        if opts.bulk {
            bulk.answered();
        }
        let mut next: Option<nocwatch_snmp::OidRef<'_>> = None;
        let mut end = None;
        let mut not_increasing: Option<NetError> = None;
        for vb in pdu.varbinds.iter() {
            let vb = vb?;
            if !in_subtree(&vb.name) {
                end = Some(WalkEnd::LeftSubtree);
                continue;
            }
            each(&vb);
            summary.varbinds += 1;
            if vb.value.is_exception() {
                end = Some(WalkEnd::Exception);
                continue;
            }
            if opts.check_increasing {
                if vb.name.cmp_oid(&last).is_le() {
                    match &mut not_increasing {
                        Some(NetError::NotIncreasing { more, .. }) => more.push(vb.name.to_oid()),
                        _ => {
                            not_increasing = Some(NetError::NotIncreasing {
                                previous: Box::new(last.clone()),
                                got: Box::new(vb.name.to_oid()),
                                more: Vec::new(),
                            });
                        }
                    }
                }
            } else if !seen.insert(vb.name.to_oid()) {
                return Err(NetError::Loop {
                    oid: Box::new(vb.name.to_oid()),
                });
            }
            next = Some(vb.name);
        }
        if let Some(error) = not_increasing {
            return Err(error);
        }
        let next = next.map(|n| n.to_oid());
        if let Some(e) = end {
            summary.end = e;
            break;
        }
        match next {
            Some(n) => last = n,
            None => {
                summary.end = WalkEnd::Empty;
                break;
            }
        }
    }
    if summary.varbinds == 0 && opts.get_root_if_empty {
        let reply = send(client, target, opts, PduType::GetRequest, root, 0).await?;
        summary.requests += 1;
        let pdu = reply.pdu()?;
        // Like net-snmp, print whatever the GET returns, exceptions included.
        if pdu.status() == ErrorStatus::NoError {
            for vb in pdu.varbinds.iter() {
                each(&vb?);
                summary.varbinds += 1;
            }
        }
    }
    Ok(summary)
}

async fn send<T: Transport>(
    client: &T,
    target: SocketAddr,
    opts: &WalkOptions,
    pdu_type: PduType,
    oid: &Oid,
    max_repetitions: i32,
) -> Result<Reply, NetError> {
    let mut spec = RequestSpec::new(target, opts.version, &opts.community, pdu_type);
    spec.user.clone_from(&opts.user);
    spec.timeout = opts.timeout;
    spec.retries = opts.retries;
    if pdu_type == PduType::GetBulkRequest {
        spec.non_repeaters = opts.non_repeaters;
        spec.max_repetitions = max_repetitions;
    }
    client
        .request(spec, &[VarBind::null(oid.as_oid_ref())])
        .await
}

/// The typed error for a Response with a non-zero error-status.
pub fn agent_error(pdu: &nocwatch_snmp::Pdu<'_>) -> NetError {
    let index = pdu.error_index;
    let oid = usize::try_from(index)
        .ok()
        .and_then(|i| i.checked_sub(1))
        .and_then(|i| pdu.varbinds.iter().nth(i))
        .and_then(Result::ok)
        .map(|vb| Box::new(vb.name.to_oid()));
    NetError::Agent {
        status: pdu.status(),
        index,
        oid,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn app_options_are_net_snmps_letters() {
        let mut o = WalkOptions::default();
        assert!(!o.apply_app_options("i").unwrap());
        assert!(o.check_increasing && o.get_root_if_empty);
        assert!(o.apply_app_options("cIpr25n2").unwrap());
        assert!(!o.check_increasing && !o.get_root_if_empty);
        assert_eq!((o.max_repetitions, o.non_repeaters), (25, 2));
        // A letter right after a number is a letter of its own.
        let mut o = WalkOptions::default();
        o.apply_app_options("r5c").unwrap();
        assert_eq!(o.max_repetitions, 5);
        assert!(!o.check_increasing);
        let err = |l: &str| {
            WalkOptions::default()
                .apply_app_options(l)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(err("r"), "-Cr needs a number");
        assert_eq!(err("nx"), "-Cn needs a number");
        assert_eq!(err("z"), "-Cz: unknown application option");
    }
}
