//! The trap pipeline's events as the rest of nocwatch sees them: each event
//! leaving the pipeline becomes a [`nocwatch_model::Event`] handed to a
//! [`Publish`] (the service's recent-events log and live stream).
//!
//! The conversion copies (text bindings, owned strings): about a microsecond per
//! event, on the pipeline thread, paid only where a service asks for model events
//! (`nocwatch run`), never by `nocwatch trap listen`'s JSON or text output.

use std::sync::Arc;

use nocwatch_model::{Binding, Event as ModelEvent, Origin, Publish, ResourceId};
use nocwatch_snmp::Value;

use crate::event::{Event, version_str};
use crate::sink::{EventSink, dotted};

/// The resource an event is about: its source address as text, the name SNMP
/// resources have until the poller knows device names.
pub fn resource_of(ev: &Event) -> ResourceId {
    ResourceId::from(ev.source.to_string())
}

/// Converts one pipeline event.
pub fn to_model(ev: &Event) -> ModelEvent {
    let mut trap_oid = String::new();
    dotted(&ev.trap_oid(), &mut trap_oid);
    let mut bindings = Vec::new();
    for vb in ev.varbinds().iter() {
        let Ok(vb) = vb else { break };
        let mut oid = String::new();
        dotted(&vb.name, &mut oid);
        let mut value = String::new();
        match vb.value {
            Value::OctetString(s) => match std::str::from_utf8(s) {
                Ok(t) if t.chars().all(|c| !c.is_control() || c == '\n' || c == '\t') => {
                    value.push_str(t);
                }
                _ => crate::rules::value_text(&vb.value, &mut value),
            },
            ref v => crate::rules::value_text(v, &mut value),
        }
        bindings.push(Binding {
            oid,
            name: None,
            kind: vb.value.type_name().to_owned(),
            value,
        });
    }
    ModelEvent {
        seq: ev.seq,
        unix_ns: ev.received_unix_ns,
        last_unix_ns: ev.last_unix_ns,
        resource: resource_of(ev),
        origin: Origin::Trap {
            version: version_str(ev.version),
            pdu: ev.kind.as_str(),
            peer: ev.peer,
            trap_oid,
        },
        name: Arc::clone(&ev.class.name),
        severity: ev.class.severity,
        occurrences: ev.occurrences,
        bindings,
    }
}

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
        self.to.publish(to_model(ev));
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
