//! One polled device between cycles: its sysUpTime history, the rate state
//! of each of its counters and what is known of its interfaces, and how one
//! poll of it becomes samples.

use std::collections::HashMap;
use std::sync::Arc;

use nocwatch_snmp::{Value, VarBind};
use nocwatch_store::Batch;

use crate::column::{Columns, Role};
use crate::rate::{
    Ceiling, CounterRate, CounterReading, CounterWidth, NoRate, UptimeTracker, line_rate_bps,
};

/// What polls gave, counted (summed over devices for a cycle).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Samples (values and rates) written.
    pub published: u64,
    /// Values skipped because they are not numbers.
    pub non_numeric: u64,
    /// Varbinds that could not be decoded.
    pub undecodable: u64,
    /// Rates written.
    pub rates: u64,
    /// Rates not written, by [`NoRate::index`].
    pub withheld: [u64; NoRate::ALL.len()],
    /// Device restarts detected from sysUpTime.
    pub restarts: u64,
}

impl Tally {
    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &Self) {
        self.published += other.published;
        self.non_numeric += other.non_numeric;
        self.undecodable += other.undecodable;
        self.rates += other.rates;
        for (a, b) in self.withheld.iter_mut().zip(other.withheld) {
            *a += b;
        }
        self.restarts += other.restarts;
    }
}

/// A counter series' state.
#[derive(Debug)]
struct Counter {
    metric: Arc<str>,
    rate: CounterRate,
    /// `<metric>.per_second`, kept so that a cycle does not format it again.
    rate_metric: Arc<str>,
    /// The poll that last read it.
    seen: u64,
}

impl Counter {
    fn new(metric: &str) -> Self {
        Self {
            metric: Arc::from(metric),
            rate: CounterRate::new(),
            rate_metric: Arc::from(format!("{metric}.per_second")),
            seen: 0,
        }
    }
}

/// What is known of one interface.
#[derive(Debug, Default)]
struct Interface {
    speed: Option<u32>,
    high_speed: Option<u32>,
    seen: u64,
}

/// A numeric value of one poll, named.
#[derive(Debug)]
struct Reading {
    metric: String,
    role: Option<Role>,
    if_index: Option<u32>,
    value: Number,
    publish: bool,
}

#[derive(Debug, Clone, Copy)]
enum Number {
    Plain(f64),
    Counter(u64, CounterWidth),
}

/// One device's state.
#[derive(Debug)]
pub struct Device {
    resource: Arc<str>,
    uptime: UptimeTracker,
    counters: HashMap<Arc<str>, Counter>,
    interfaces: HashMap<u32, Interface>,
    polls: u64,
}

impl Device {
    /// A device whose samples are stored under `resource`.
    #[must_use]
    pub fn new(resource: Arc<str>) -> Self {
        Self {
            resource,
            uptime: UptimeTracker::new(),
            counters: HashMap::new(),
            interfaces: HashMap::new(),
            polls: 0,
        }
    }

    /// The resource its samples are stored under.
    #[must_use]
    pub fn resource(&self) -> &Arc<str> {
        &self.resource
    }

    /// Counter series with rate state (for tests and memory accounting).
    #[must_use]
    pub fn counters(&self) -> usize {
        self.counters.len()
    }

    /// Takes one poll read at `at` (unix nanoseconds): every numeric value
    /// goes into `out` as a sample, each counter also as a rate
    /// (`<metric>.per_second`) when [`CounterRate`] gives one. `varbinds`
    /// pairs each varbind (`None`: undecodable) with whether it is published
    /// (`false` for walks read only for the rates). `complete` says every
    /// walk ended normally: only then is the state of counters and
    /// interfaces the poll did not see dropped (they are gone from the
    /// device).
    pub fn poll<'a>(
        &mut self,
        varbinds: impl IntoIterator<Item = (bool, Option<VarBind<'a>>)>,
        complete: bool,
        at: u64,
        columns: &Columns,
        out: &mut Batch,
    ) -> Tally {
        self.polls += 1;
        let poll = self.polls;
        let mut tally = Tally::default();
        let mut uptime = None;
        let mut markers: HashMap<u32, u32> = HashMap::new();
        let mut readings = Vec::new();
        for (publish, vb) in varbinds {
            let Some(vb) = vb else {
                tally.undecodable += 1;
                continue;
            };
            let value = match vb.value {
                Value::Integer(v) => Number::Plain(v as f64),
                Value::Gauge32(v) | Value::TimeTicks(v) => Number::Plain(f64::from(v)),
                Value::Counter32(v) => Number::Counter(u64::from(v), CounterWidth::Bits32),
                Value::Counter64(v) => Number::Counter(v, CounterWidth::Bits64),
                _ => {
                    tally.non_numeric += u64::from(publish);
                    continue;
                }
            };
            let named = columns.name(&vb.name);
            let role = named.column.map(|c| c.role);
            match (role, named.if_index, vb.value) {
                (Some(Role::Uptime), _, Value::TimeTicks(t)) => uptime = Some(t),
                (Some(Role::IfSpeed), Some(i), Value::Gauge32(s)) => {
                    let f = self.interfaces.entry(i).or_default();
                    (f.speed, f.seen) = (Some(s), poll);
                }
                (Some(Role::IfHighSpeed), Some(i), Value::Gauge32(s)) => {
                    let f = self.interfaces.entry(i).or_default();
                    (f.high_speed, f.seen) = (Some(s), poll);
                }
                (Some(Role::Discontinuity), Some(i), Value::TimeTicks(t)) => {
                    markers.insert(i, t);
                }
                _ => {}
            }
            readings.push(Reading {
                metric: named.metric,
                role,
                if_index: named.if_index,
                value,
                publish,
            });
        }
        let continuity = match uptime {
            Some(ticks) => {
                let (c, restarted) = self.uptime.observe(ticks, at);
                tally.restarts += u64::from(restarted);
                c
            }
            None => self.uptime.unobserved(),
        };
        for r in readings {
            if !r.publish {
                continue;
            }
            match r.value {
                Number::Plain(v) => {
                    out.push(Arc::clone(&self.resource), r.metric, v, at);
                    tally.published += 1;
                }
                Number::Counter(value, width) => {
                    let ceiling = self.ceiling(r.role, r.if_index);
                    let marker = r.if_index.and_then(|i| markers.get(&i).copied());
                    if !self.counters.contains_key(r.metric.as_str()) {
                        let counter = Counter::new(&r.metric);
                        self.counters.insert(Arc::clone(&counter.metric), counter);
                    }
                    let Some(counter) = self.counters.get_mut(r.metric.as_str()) else {
                        continue;
                    };
                    counter.seen = poll;
                    out.push(
                        Arc::clone(&self.resource),
                        Arc::clone(&counter.metric),
                        value as f64,
                        at,
                    );
                    tally.published += 1;
                    let reading = CounterReading { value, width, at };
                    match counter.rate.update(reading, continuity, marker, ceiling) {
                        Ok(rate) => {
                            out.push(
                                Arc::clone(&self.resource),
                                Arc::clone(&counter.rate_metric),
                                rate.per_second,
                                at,
                            );
                            tally.rates += 1;
                            tally.published += 1;
                        }
                        Err(why) => tally.withheld[why.index()] += 1,
                    }
                }
            }
        }
        if complete {
            self.counters.retain(|_, c| c.seen == poll);
            self.interfaces.retain(|_, f| f.seen == poll);
        }
        tally
    }

    /// The ceiling of an interface counter from its interface's line rate.
    fn ceiling(&self, role: Option<Role>, if_index: Option<u32>) -> Option<Ceiling> {
        let f = self.interfaces.get(&if_index?)?;
        let bps = line_rate_bps(f.speed, f.high_speed)?;
        match role? {
            Role::Octets => Ceiling::for_octets(bps),
            Role::Packets => Ceiling::for_packets(bps),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
