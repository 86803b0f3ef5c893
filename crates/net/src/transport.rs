//! What a walk needs from a client: one request, one reply.

use std::future::Future;

use nocwatch_snmp::VarBind;

use crate::client::{Reply, RequestSpec};
use crate::error::NetError;

/// Sends one request and waits for its reply. Implemented by the multiplexed
/// [`Client`](crate::Client) (any number of requests in flight, for pollers) and by
/// [`BlockingClient`](crate::BlockingClient) (one at a time, for command-line tools).
pub trait Transport {
    /// Sends `varbinds` as `spec` says and returns the matching Response. An agent
    /// error-status is not an error here: the caller reads it from the [`Reply`].
    fn request(
        &self,
        spec: RequestSpec,
        varbinds: &[VarBind<'_>],
    ) -> impl Future<Output = Result<Reply, NetError>> + Send;
}
