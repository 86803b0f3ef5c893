//! `walk` (GetNext) and `bulkwalk` (GetBulk) of a subtree, with net-snmp's semantics.
//!
//! A walk ends on endOfMibView or another exception, on v1's noSuchName, or when the
//! agent's answer leaves the subtree. An OID that does not increase stops it with
//! [`NetError::NotIncreasing`] (agents with broken tables would otherwise loop
//! forever); with the check off (net-snmp's `-Cc`) a set of seen OIDs still stops a
//! loop. Bindings are handed to the caller's closure as they arrive, borrowed from the
//! reply datagram, so a walk of 100,000 rows never holds more than one reply.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use nocwatch_snmp::{ErrorStatus, Oid, PduType, VarBind, Version};

use crate::client::{Reply, RequestSpec};
use crate::error::NetError;
use crate::transport::Transport;

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
    /// Requests sent (not counting retransmissions).
    pub requests: u64,
    /// How it ended.
    pub end: WalkEnd,
}

/// Walks `root` on `target`, calling `each` for every binding in the subtree in
/// the agent's order. See the module docs for when it stops.
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
        end: WalkEnd::Empty,
    };
    loop {
        let pdu_type = if opts.bulk {
            PduType::GetBulkRequest
        } else {
            PduType::GetNextRequest
        };
        let reply = send(client, target, opts, pdu_type, &last).await?;
        summary.requests += 1;
        let pdu = reply.pdu()?;
        let status = pdu.status();
        if status != ErrorStatus::NoError {
            if opts.version == Version::V1 && status == ErrorStatus::NoSuchName {
                summary.end = WalkEnd::EndOfMib;
                break;
            }
            return Err(agent_error(&pdu));
        }
        // Track the last OID as a view into the reply; copy it once per reply.
        let mut next: Option<nocwatch_snmp::OidRef<'_>> = None;
        let mut end = None;
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
            let increasing = match next {
                Some(prev) => vb.name > prev,
                None => vb.name.cmp_oid(&last).is_gt(),
            };
            if !increasing {
                if opts.check_increasing {
                    let previous = next.map_or_else(|| last.clone(), |p| p.to_oid());
                    return Err(NetError::NotIncreasing {
                        previous: Box::new(previous),
                        got: Box::new(vb.name.to_oid()),
                    });
                }
                if !seen.insert(vb.name.to_oid()) {
                    return Err(NetError::Loop {
                        oid: Box::new(vb.name.to_oid()),
                    });
                }
            } else if !opts.check_increasing {
                seen.insert(vb.name.to_oid());
            }
            next = Some(vb.name);
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
        let reply = send(client, target, opts, PduType::GetRequest, root).await?;
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
) -> Result<Reply, NetError> {
    let mut spec = RequestSpec::new(target, opts.version, &opts.community, pdu_type);
    spec.user.clone_from(&opts.user);
    spec.timeout = opts.timeout;
    spec.retries = opts.retries;
    if pdu_type == PduType::GetBulkRequest {
        spec.non_repeaters = opts.non_repeaters;
        spec.max_repetitions = opts.max_repetitions;
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
