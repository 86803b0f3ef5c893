//! Resources: what samples and events are about.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// A resource's stable name: the fabric's `switch_id` (`SW-05`), a device's name
/// (`core1`) or, until the poller knows its name, its address (`10.0.0.7`). Cheap to
/// clone (shared text), compared and hashed by its text.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ResourceId(Arc<str>);

impl ResourceId {
    /// A resource id from its text.
    pub fn new(id: &str) -> Self {
        Self(Arc::from(id))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&str> for ResourceId {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

impl From<String> for ResourceId {
    fn from(s: String) -> Self {
        Self(Arc::from(s))
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What kind of thing a resource is, Panoptes' class / subclass / type:
/// `network` / `router` / `juniper`. Empty parts are unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct ResourceKind {
    /// Broadest: `network`, `server`, ...
    pub class: String,
    /// `router`, `switch`, `firewall`, `fabric-switch`, ...
    pub subclass: String,
    /// Vendor or product line: `juniper`, `cisco`, `arista`, ...
    #[serde(rename = "type")]
    pub kind: String,
}

impl ResourceKind {
    /// A kind from its three parts.
    pub fn new(class: &str, subclass: &str, kind: &str) -> Self {
        Self {
            class: class.to_owned(),
            subclass: subclass.to_owned(),
            kind: kind.to_owned(),
        }
    }
}

/// A resource: a device, or a part of one, with what is known about it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Resource {
    /// Its stable name.
    pub id: ResourceId,
    /// What it is.
    pub kind: ResourceKind,
    /// Where it is (a site or POP name), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// The address it is polled at / sends traps from, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<std::net::SocketAddr>,
    /// Everything else known: vendor, model, os_version, sysObjectID, sysName,
    /// serial... Sorted, so two renderings of the same resource are identical.
    pub metadata: BTreeMap<String, String>,
}

impl Resource {
    /// A resource with an id and a kind, nothing else known yet.
    pub fn new(id: impl Into<ResourceId>, kind: ResourceKind) -> Self {
        Self {
            id: id.into(),
            kind,
            site: None,
            endpoint: None,
            metadata: BTreeMap::new(),
        }
    }
}
