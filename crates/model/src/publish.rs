//! Where events go next: the seam between a stage that makes events (the trap
//! pipeline today; the poller and the incident engine next) and what consumes them
//! (the API's recent-events log and live stream, later the incident engine).

use crate::Event;

/// Takes events. Called on the producing stage's own thread, so it must not block:
/// an implementation buffers into a bounded structure with an explicit when-full
/// policy and counts what it drops.
pub trait Publish: Send + Sync {
    /// One event.
    fn publish(&self, ev: Event);
}

impl std::fmt::Debug for dyn Publish {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Publish")
    }
}
