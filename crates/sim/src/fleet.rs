//! [`Fleet`]: thousands of simulated devices, built once and shared by the server.
//!
//! Devices of the same family and interface count share one [`Mib`] (see
//! `dataset.rs`), so a fleet of 10,000 devices costs a few views plus a small
//! [`Device`] per device. Each device is an ordinary [`Agent`] with its own
//! configuration: versions, quirks, loss, latency and SNMPv3 engine can differ per
//! device ([`DeviceOverride`]), and a device can answer from a recording instead of
//! the generated dataset.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::sync::Arc;

use crate::agent::{Agent, AgentConfig, Quirks, Versions};
use crate::cell::Device;
use crate::dataset::{self, DeviceSpec, Family};
use crate::error::SimError;
use crate::life::LifeConfig;
use crate::mib::Mib;
use crate::stats::AgentStats;
use crate::usm::UsmUsers;

/// What to change on some devices of a fleet (unset fields keep the fleet's).
#[derive(Debug, Clone, Default)]
pub struct DeviceOverride {
    /// The versions answered.
    pub versions: Option<Versions>,
    /// Replaces the fleet's quirks field by field (see [`QuirksOverride`]).
    pub quirks: QuirksOverride,
    /// Answer from this view (a recording) instead of the generated dataset.
    pub mib: Option<Arc<Mib>>,
    /// The family (for generated datasets).
    pub family: Option<Family>,
}

/// Per-device quirk settings; `None` keeps the fleet's value.
#[derive(Debug, Clone, Default)]
pub struct QuirksOverride {
    /// See [`Quirks::too_big_above`].
    pub too_big_above: Option<usize>,
    /// See [`Quirks::non_increasing_at`].
    pub non_increasing_at: Option<nocwatch_snmp::Oid>,
    /// See [`Quirks::wrong_request_id_every`].
    pub wrong_request_id_every: Option<u32>,
    /// See [`Quirks::drop_responses_above`].
    pub drop_responses_above: Option<usize>,
    /// See [`Quirks::loss`].
    pub loss: Option<f64>,
    /// See [`Quirks::latency`].
    pub latency: Option<std::time::Duration>,
}

impl QuirksOverride {
    fn apply(&self, q: &mut Quirks) {
        if let Some(v) = self.too_big_above {
            q.too_big_above = Some(v);
        }
        if let Some(v) = &self.non_increasing_at {
            q.non_increasing_at = Some(v.clone());
        }
        if let Some(v) = self.wrong_request_id_every {
            q.wrong_request_id_every = Some(v);
        }
        if let Some(v) = self.drop_responses_above {
            q.drop_responses_above = Some(v);
        }
        if let Some(v) = self.loss {
            q.loss = v;
        }
        if let Some(v) = self.latency {
            q.latency = v;
        }
    }

    /// Merges `other` over `self` (later settings win).
    pub fn merge(&mut self, other: &Self) {
        macro_rules! take {
            ($($f:ident),*) => {$(if other.$f.is_some() { self.$f = other.$f.clone(); })*};
        }
        take!(
            too_big_above,
            non_increasing_at,
            wrong_request_id_every,
            drop_responses_above,
            loss,
            latency
        );
    }
}

/// How to build a fleet.
#[derive(Debug, Clone)]
pub struct FleetConfig {
    /// Number of devices.
    pub count: u32,
    /// Interfaces per generated device.
    pub interfaces: u32,
    /// Families, assigned round-robin by device index.
    pub families: Vec<Family>,
    /// The configuration every device starts from (communities, versions, quirks).
    pub agent: AgentConfig,
    /// SNMPv3 users every device accepts (each device is its own engine, with an
    /// engine ID derived from its index).
    pub users: Option<Arc<UsmUsers>>,
    /// Per-device changes: devices whose index is in the range get the override
    /// (applied in order, later ones win).
    pub overrides: Vec<(RangeInclusive<u32>, DeviceOverride)>,
    /// Flaps and restarts of the generated devices (devices answering from a
    /// recording never change); `None`, or a static config: devices never change.
    /// A [`crate::Dynamics`] drives them.
    pub life: Option<LifeConfig>,
}

impl Default for FleetConfig {
    fn default() -> Self {
        Self {
            count: 1,
            interfaces: 10,
            families: Family::ALL.to_vec(),
            agent: AgentConfig::default(),
            users: None,
            overrides: Vec::new(),
            life: None,
        }
    }
}

/// The devices of a fleet, by index.
#[derive(Debug)]
pub struct Fleet {
    agents: Vec<Arc<Agent>>,
    specs: Vec<DeviceSpec>,
}

impl Fleet {
    /// Builds every device. Views are built once per (family, interface count).
    pub fn build(config: &FleetConfig) -> Result<Self, SimError> {
        if config.families.is_empty() {
            return Err(SimError::Config("a fleet needs at least one family".into()));
        }
        let count = config.count;
        let family_of = |i: u32| {
            let mut family = config.families[i as usize % config.families.len()];
            for (range, o) in &config.overrides {
                if range.contains(&i)
                    && let Some(f) = o.family
                {
                    family = f;
                }
            }
            family
        };
        let spec_of = |i: u32| DeviceSpec {
            index: i,
            family: family_of(i),
            interfaces: config.interfaces,
        };
        let mut views: HashMap<Family, Arc<Mib>> = HashMap::new();
        let mut agents = Vec::with_capacity(count as usize);
        let mut specs = Vec::with_capacity(count as usize);
        for i in 0..count {
            let spec = spec_of(i);
            let mut agent_config = config.agent.clone();
            let mut quirks = QuirksOverride::default();
            let mut recording = None;
            for (range, o) in &config.overrides {
                if range.contains(&i) {
                    if let Some(v) = o.versions {
                        agent_config.versions = v;
                    }
                    quirks.merge(&o.quirks);
                    if let Some(m) = &o.mib {
                        recording = Some(Arc::clone(m));
                    }
                }
            }
            quirks.apply(&mut agent_config.quirks);
            if let Some(users) = &config.users {
                agent_config.usm = Some(crate::usm::AgentUsm::new(
                    Arc::clone(users),
                    engine_id(i),
                    1,
                )?);
            }
            let live = config
                .life
                .filter(|l| !l.is_static() && recording.is_none());
            let (mib, device) = match recording {
                Some(m) => (m, Device::default()),
                None => {
                    let mib = match views.get(&spec.family) {
                        Some(m) => Arc::clone(m),
                        None => {
                            let m = Arc::new(dataset::family_mib(spec.family, config.interfaces)?);
                            views.insert(spec.family, Arc::clone(&m));
                            m
                        }
                    };
                    (mib, dataset::device(&spec, count, spec_of))
                }
            };
            let mut agent = Agent::with_device(mib, agent_config, device);
            if let Some(life) = live {
                agent = agent.with_life(life, config.interfaces);
            }
            agents.push(Arc::new(agent));
            specs.push(spec);
        }
        Ok(Self { agents, specs })
    }

    /// Number of devices.
    pub fn len(&self) -> usize {
        self.agents.len()
    }

    /// True for an empty fleet.
    pub fn is_empty(&self) -> bool {
        self.agents.is_empty()
    }

    /// Device `index`.
    pub fn agent(&self, index: usize) -> Option<&Arc<Agent>> {
        self.agents.get(index)
    }

    /// Every device, by index.
    pub fn agents(&self) -> &[Arc<Agent>] {
        &self.agents
    }

    /// What device `index` was generated as (family, interfaces).
    pub fn spec(&self, index: usize) -> Option<&DeviceSpec> {
        self.specs.get(index)
    }

    /// The sum of every device's counters.
    pub fn stats(&self) -> AgentStats {
        let mut total = AgentStats::default();
        for a in &self.agents {
            total.accumulate(&a.stats());
        }
        total
    }
}

/// The snmpEngineID of fleet device `index`: RFC 3411 format 5 (octets) under
/// nocwatch's enterprise number (see `nocwatch_snmp::receiver`), then "sim" and the
/// index, so IDs are stable across runs and distinct per device.
pub fn engine_id(index: u32) -> Vec<u8> {
    let mut id = Vec::with_capacity(12);
    id.extend_from_slice(&nocwatch_snmp::receiver::ENGINE_ID_ENTERPRISE.to_be_bytes());
    if let Some(first) = id.first_mut() {
        *first |= 0x80;
    }
    id.push(nocwatch_snmp::receiver::ENGINE_ID_FORMAT_OCTETS);
    id.extend_from_slice(b"sim");
    id.extend_from_slice(&index.to_be_bytes());
    id
}
