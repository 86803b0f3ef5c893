//! The trap pipeline's events as the rest of nocwatch sees them: each event
//! leaving the pipeline becomes a [`nocwatch_model::Event`] handed to a
//! [`Publish`] (the service's recent-events log and live stream).
//!
//! The conversion ([`Event::to_model`]) copies (text bindings, owned strings), on
//! the pipeline thread, paid only where a service asks for model events
//! (`nocwatch run`), never by `nocwatch trap listen`'s JSON or text output.

use std::sync::Arc;

use nocwatch_model::Publish;

use crate::event::Event;
use crate::sink::EventSink;

/// An [`EventSink`] that publishes each event as a model event.
pub struct ModelSink {
    to: Arc<dyn Publish>,
}

impl std::fmt::Debug for ModelSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ModelSink")
    }
}

impl ModelSink {
    /// Publishes into `to`.
    pub fn new(to: Arc<dyn Publish>) -> Self {
        Self { to }
    }
}

impl EventSink for ModelSink {
    fn event(&mut self, ev: &Event) {
        self.to.publish(ev.to_model());
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
