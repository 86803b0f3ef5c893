//! Device life: interfaces that go down and come back, devices that restart.
//!
//! A NOC tool is judged on how it handles change, so the simulated devices change:
//! now and then an interface of a device goes down and comes back up after a while
//! (a flap), and now and then a device restarts (sysUpTime back to zero, every
//! counter from zero). Each change has a notification (linkDown, linkUp, coldStart)
//! that the lab sends as a trap, and what a poller reads agrees with it at every
//! moment: ifOperStatus is down(2) while the interface is down, its counters stand
//! still, ifLastChange is the sysUpTime of the change, and the trap's sysUpTime.0 is
//! what a GET of sysUpTime.0 read at that instant.
//!
//! # How agreement is kept without locks on the request path
//!
//! Every change is drawn ahead of time from a per-device random stream
//! ([`Schedule`], deterministic from the lab's seed and the device's index) and
//! published in the device's [`Timeline`] *before* its time comes: the timeline is
//! "the state as of the last fold, plus the changes due next". The responder
//! evaluates it at the request's `now`, applying the pending changes that are due,
//! so a GET never depends on whether the driver has run yet. The driver
//! ([`Dynamics::advance`]) extends each timeline a horizon ahead, folds the changes
//! whose time has passed, and returns them as [`Notification`]s with the values
//! the device reported at that instant (evaluated on the same timeline, so the trap
//! and the polled state are the same numbers).
//!
//! Timelines are swapped whole (`ArcSwap`): a request loads one pointer.

use std::sync::Arc;
use std::time::Duration;

use nocwatch_snmp::Oid;

use crate::cell::mix;
use crate::fleet::Fleet;
use crate::value::OwnedValue;

/// How simulated devices change over time. Zero intervals disable that change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LifeConfig {
    /// Mean time between two flaps of one device (any of its interfaces that are
    /// up by design); zero: interfaces never flap. Flaps are a Poisson process:
    /// gaps vary widely around the mean.
    pub flap_interval: Duration,
    /// How long a flapped interface stays down: each flap draws between half and
    /// one and a half times this.
    pub down_for: Duration,
    /// Mean time between two restarts of one device; zero: never.
    pub restart_interval: Duration,
    /// Seeds every device's random stream: the same seed gives the same changes at
    /// the same times.
    pub seed: u64,
}

impl LifeConfig {
    /// True when nothing ever changes.
    pub fn is_static(&self) -> bool {
        self.flap_interval.is_zero() && self.restart_interval.is_zero()
    }
}

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// The interface went down (IF-MIB linkDown).
    LinkDown {
        /// ifIndex.
        if_index: u32,
    },
    /// The interface came back up (IF-MIB linkUp).
    LinkUp {
        /// ifIndex.
        if_index: u32,
    },
    /// The device restarted (SNMPv2-MIB coldStart): sysUpTime and the counters
    /// start again from zero, every interface is back in its designed state.
    Restart,
}

/// One change of one device at one time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// When (time since the simulation started).
    pub at: Duration,
    /// What.
    pub kind: ChangeKind,
}

/// One interface's history since the device's last (re)start, as of a fold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct IfLife {
    /// Down since then, if down now.
    down_since: Option<Duration>,
    /// Time spent down (completed flaps) since the last restart.
    down_total: Duration,
    /// When its operational state last changed since the last restart.
    last_change: Option<Duration>,
}

/// One device's state as of the last fold, and the changes scheduled after it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeline {
    /// The last restart folded, if any: before the first one, the device is in
    /// the boot it had when the simulation started (sysUpTime days, counters high).
    boot: Option<Duration>,
    /// Restarts folded so far.
    restarts: u32,
    /// Interfaces by ifIndex - 1.
    ifaces: Vec<IfLife>,
    /// Changes not folded yet, in time order.
    pending: Vec<Change>,
}

/// An interface as of one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IfNow {
    /// The device's last restart at or before the instant.
    pub boot: Option<Duration>,
    /// Operationally up (a flap is not in progress).
    pub up: bool,
    /// Time the interface has carried traffic since `boot` (or since the
    /// simulation started): what its counters grow with.
    pub counting: Duration,
    /// When its state last changed since `boot`.
    pub last_change: Option<Duration>,
}

impl Timeline {
    /// A device with `interfaces` interfaces in its initial boot.
    pub fn new(interfaces: u32) -> Self {
        Self {
            boot: None,
            restarts: 0,
            ifaces: vec![IfLife::default(); interfaces as usize],
            pending: Vec::new(),
        }
    }

    /// The last restart at or before `now`, if any.
    pub fn boot_at(&self, now: Duration) -> Option<Duration> {
        self.pending
            .iter()
            .take_while(|c| c.at <= now)
            .filter(|c| c.kind == ChangeKind::Restart)
            .map(|c| c.at)
            .last()
            .or(self.boot)
    }

    /// Restarts up to `now`.
    pub fn restarts_at(&self, now: Duration) -> u32 {
        let due = self
            .pending
            .iter()
            .take_while(|c| c.at <= now)
            .filter(|c| c.kind == ChangeKind::Restart)
            .count();
        self.restarts
            .saturating_add(u32::try_from(due).unwrap_or(u32::MAX))
    }

    /// Interface `if_index` at `now`.
    pub(crate) fn interface_at(&self, if_index: u32, now: Duration) -> IfNow {
        let mut boot = self.boot;
        let slot = (if_index as usize).checked_sub(1);
        let mut l = slot
            .and_then(|i| self.ifaces.get(i))
            .copied()
            .unwrap_or_default();
        for c in self.pending.iter().take_while(|c| c.at <= now) {
            match c.kind {
                ChangeKind::Restart => {
                    boot = Some(c.at);
                    l = IfLife::default();
                }
                kind => apply_link(&mut l, if_index, c.at, kind),
            }
        }
        let since = boot.unwrap_or(Duration::ZERO);
        let current_down = l
            .down_since
            .map_or(Duration::ZERO, |d| now.saturating_sub(d));
        IfNow {
            boot,
            up: l.down_since.is_none(),
            counting: now
                .saturating_sub(since)
                .saturating_sub(l.down_total)
                .saturating_sub(current_down),
            last_change: l.last_change,
        }
    }

    /// Whether interface `if_index` is down at `now`.
    pub fn is_down(&self, if_index: u32, now: Duration) -> bool {
        !self.interface_at(if_index, now).up
    }

    /// The changes published but not folded yet.
    pub fn pending(&self) -> &[Change] {
        &self.pending
    }

    /// Folds `c` (the earliest pending change) into the state.
    fn apply(&mut self, c: Change) {
        match c.kind {
            ChangeKind::Restart => {
                self.boot = Some(c.at);
                self.restarts = self.restarts.saturating_add(1);
                for l in &mut self.ifaces {
                    *l = IfLife::default();
                }
            }
            kind => {
                let (ChangeKind::LinkDown { if_index } | ChangeKind::LinkUp { if_index }) = kind
                else {
                    return;
                };
                if let Some(l) = (if_index as usize)
                    .checked_sub(1)
                    .and_then(|i| self.ifaces.get_mut(i))
                {
                    apply_link(l, if_index, c.at, kind);
                }
            }
        }
    }
}

/// Applies a link change to interface `if_index`'s history (others are ignored).
fn apply_link(l: &mut IfLife, if_index: u32, at: Duration, kind: ChangeKind) {
    match kind {
        ChangeKind::LinkDown { if_index: i } if i == if_index && l.down_since.is_none() => {
            l.down_since = Some(at);
            l.last_change = Some(at);
        }
        ChangeKind::LinkUp { if_index: i } if i == if_index => {
            if let Some(d) = l.down_since.take() {
                l.down_total += at.saturating_sub(d);
                l.last_change = Some(at);
            }
        }
        _ => {}
    }
}

/// Milliseconds, the schedule's unit (integers keep it exact and portable).
type Ms = u64;

fn ms(d: Duration) -> Ms {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// One device's random stream of changes, drawn in time order.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    rng: u64,
    /// Interfaces that are up by design and may flap.
    flappable: Vec<u32>,
    flap_mean: Ms,
    down_for: Ms,
    restart_mean: Ms,
    next_flap: Option<Ms>,
    next_restart: Option<Ms>,
    /// Interfaces down now and when they come back, in no order.
    ups: Vec<(Ms, u32)>,
}

impl Schedule {
    /// The stream of device `index` whose up-by-design interfaces are `flappable`.
    pub(crate) fn new(config: &LifeConfig, index: u32, flappable: Vec<u32>) -> Self {
        let mut s = Self {
            rng: mix(config.seed ^ 0x6c69_6665, u64::from(index)),
            flap_mean: ms(config.flap_interval),
            down_for: ms(config.down_for).max(1),
            restart_mean: ms(config.restart_interval),
            flappable,
            next_flap: None,
            next_restart: None,
            ups: Vec::new(),
        };
        if s.flap_mean > 0 && !s.flappable.is_empty() {
            s.next_flap = Some(s.gap(s.flap_mean));
        }
        if s.restart_mean > 0 {
            s.next_restart = Some(s.gap(s.restart_mean));
        }
        s
    }

    fn next_u64(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.rng, 0x5eed)
    }

    /// A uniform number in (0, 1].
    fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    /// An exponential gap with mean `mean` ms: at least 1 ms, at most 20 means.
    fn gap(&mut self, mean: Ms) -> Ms {
        let g = -self.unit().ln() * mean as f64;
        (g as u64).clamp(1, mean.saturating_mul(20).max(1))
    }

    /// When the next change is due, if any.
    fn peek(&self) -> Option<Ms> {
        let up = self.ups.iter().map(|u| u.0).min();
        [self.next_flap, self.next_restart, up]
            .into_iter()
            .flatten()
            .min()
    }

    /// The next change if it is due at or before `limit`. Simultaneous ones come
    /// in a fixed order: link-ups, then the restart, then a new flap.
    pub(crate) fn next_before(&mut self, limit: Ms) -> Option<Change> {
        loop {
            let t = self.peek()?;
            if t > limit {
                return None;
            }
            let at = Duration::from_millis(t);
            if let Some(pos) = self.ups.iter().position(|u| u.0 == t) {
                let (_, if_index) = self.ups.swap_remove(pos);
                return Some(Change {
                    at,
                    kind: ChangeKind::LinkUp { if_index },
                });
            }
            if self.next_restart == Some(t) {
                // Interfaces come back with the device, without a linkUp each.
                self.ups.clear();
                self.next_restart = Some(t.saturating_add(self.gap(self.restart_mean)));
                return Some(Change {
                    at,
                    kind: ChangeKind::Restart,
                });
            }
            if self.next_flap == Some(t) {
                self.next_flap = Some(t.saturating_add(self.gap(self.flap_mean)));
                let candidates: Vec<u32> = self
                    .flappable
                    .iter()
                    .copied()
                    .filter(|i| !self.ups.iter().any(|u| u.1 == *i))
                    .collect();
                if candidates.is_empty() {
                    continue; // every flappable interface is already down
                }
                let pick = self.next_u64() % candidates.len() as u64;
                let if_index = candidates.get(pick as usize).copied().unwrap_or(1);
                let scaled = (self.down_for as f64 * (0.5 + self.unit())) as u64;
                self.ups.push((t.saturating_add(scaled.max(1)), if_index));
                return Some(Change {
                    at,
                    kind: ChangeKind::LinkDown { if_index },
                });
            }
        }
    }
}

/// A change as the device reported it: what a trap about it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The device's index in the fleet.
    pub device: u32,
    /// The change.
    pub change: Change,
    /// The notification's bindings, as RFC 3416 §4.2.6 orders them: sysUpTime.0,
    /// snmpTrapOID.0, then the notification's objects (IF-MIB linkDown/linkUp:
    /// ifIndex, ifAdminStatus, ifOperStatus), each read from the device at the
    /// change's instant.
    pub varbinds: Vec<(Oid, OwnedValue)>,
}

/// What the driver has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LifeStats {
    /// Interfaces that went down.
    pub link_downs: u64,
    /// Interfaces that came back up.
    pub link_ups: u64,
    /// Device restarts.
    pub restarts: u64,
}

/// How far ahead changes are published. The driver must run at least this often
/// for a GET never to miss a change that is due (it runs every 100 ms or so).
const HORIZON: Duration = Duration::from_secs(30);

/// Drives the life of every device of a fleet: see the module docs.
#[derive(Debug)]
pub struct Dynamics {
    fleet: Arc<Fleet>,
    /// Per device: its stream and the earliest change it has published but not
    /// folded; `None` for a device without a life (a recording).
    devices: Vec<Option<(Schedule, Option<Duration>)>>,
    /// Time up to which changes are published.
    published_until: Duration,
    stats: LifeStats,
}

impl Dynamics {
    /// The driver of `fleet`'s devices (those built with a life; see
    /// [`crate::FleetConfig::life`]).
    pub fn new(fleet: Arc<Fleet>) -> Self {
        let devices = (0..fleet.len())
            .map(|i| {
                let agent = fleet.agent(i)?;
                let (config, flappable) = agent.life_plan()?;
                let index = u32::try_from(i).unwrap_or(u32::MAX);
                Some((Schedule::new(&config, index, flappable), None))
            })
            .collect();
        Self {
            fleet,
            devices,
            published_until: Duration::ZERO,
            stats: LifeStats::default(),
        }
    }

    /// The fleet driven.
    pub fn fleet(&self) -> &Arc<Fleet> {
        &self.fleet
    }

    /// Counters so far.
    pub fn stats(&self) -> LifeStats {
        self.stats
    }

    /// Brings every device to `now`: publishes the changes due up to `now` plus
    /// the horizon, folds those due by `now`, and returns them in time order (then
    /// by device) with the values each device reported at its instant.
    pub fn advance(&mut self, now: Duration) -> Vec<Notification> {
        let limit = now.saturating_add(HORIZON);
        let extend = limit > self.published_until;
        let mut notes = Vec::new();
        for (index, slot) in self.devices.iter_mut().enumerate() {
            let Some((schedule, first_pending)) = slot else {
                continue;
            };
            let due = first_pending.is_some_and(|t| t <= now);
            let drawn = extend && schedule.peek().is_some_and(|p| p <= ms(limit));
            if !due && !drawn {
                continue;
            }
            let Some(agent) = self.fleet.agent(index) else {
                continue;
            };
            let Some(current) = agent.timeline() else {
                continue;
            };
            let mut t = Timeline::clone(&current);
            let mut changed = false;
            while let Some(c) = schedule.next_before(ms(limit)) {
                t.pending.push(c);
                changed = true;
            }
            while let Some(c) = t.pending.first().copied() {
                if c.at > now {
                    break;
                }
                let device = u32::try_from(index).unwrap_or(u32::MAX);
                notes.push(Notification {
                    device,
                    change: c,
                    varbinds: agent.notification_bindings(&c, &t),
                });
                match c.kind {
                    ChangeKind::LinkDown { .. } => self.stats.link_downs += 1,
                    ChangeKind::LinkUp { .. } => self.stats.link_ups += 1,
                    ChangeKind::Restart => self.stats.restarts += 1,
                }
                t.pending.remove(0);
                t.apply(c);
                changed = true;
            }
            *first_pending = t.pending.first().map(|c| c.at);
            if changed {
                agent.publish_timeline(t);
            }
        }
        if extend {
            self.published_until = limit;
        }
        notes.sort_by_key(|n| (n.change.at, n.device));
        notes
    }

    /// When the next published change is due (the driver may sleep until then),
    /// or `None` when nothing is published.
    pub fn next_due(&self) -> Option<Duration> {
        self.devices
            .iter()
            .filter_map(|d| d.as_ref().and_then(|(_, first)| *first))
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> LifeConfig {
        LifeConfig {
            flap_interval: Duration::from_secs(60),
            down_for: Duration::from_secs(10),
            restart_interval: Duration::from_secs(600),
            seed: 7,
        }
    }

    fn draw(s: &mut Schedule, until: Duration) -> Vec<Change> {
        std::iter::from_fn(|| s.next_before(ms(until))).collect()
    }

    #[test]
    fn schedules_are_deterministic_ordered_and_consistent() {
        let until = Duration::from_secs(24 * 3600);
        let a = draw(&mut Schedule::new(&config(), 3, vec![1, 2, 4]), until);
        let b = draw(&mut Schedule::new(&config(), 3, vec![1, 2, 4]), until);
        assert_eq!(a, b, "same seed, same changes");
        let other = draw(&mut Schedule::new(&config(), 4, vec![1, 2, 4]), until);
        assert_ne!(a, other, "devices differ");
        assert!(a.windows(2).all(|w| w[0].at <= w[1].at), "time order");
        // Every link goes down then up (or is reset by a restart), never twice down.
        let mut down = std::collections::HashSet::new();
        let (mut flaps, mut restarts) = (0, 0);
        for c in &a {
            match c.kind {
                ChangeKind::LinkDown { if_index } => {
                    assert!([1, 2, 4].contains(&if_index));
                    assert!(down.insert(if_index), "down twice: {c:?}");
                    flaps += 1;
                }
                ChangeKind::LinkUp { if_index } => assert!(down.remove(&if_index), "{c:?}"),
                ChangeKind::Restart => {
                    down.clear();
                    restarts += 1;
                }
            }
        }
        // A day at one flap a minute and one restart every ten minutes.
        assert!((1200..1700).contains(&flaps), "{flaps} flaps");
        assert!((100..190).contains(&restarts), "{restarts} restarts");
    }

    #[test]
    fn zero_intervals_never_change() {
        let c = LifeConfig {
            flap_interval: Duration::ZERO,
            restart_interval: Duration::ZERO,
            ..config()
        };
        assert!(c.is_static());
        let mut s = Schedule::new(&c, 0, vec![1, 2]);
        assert!(s.next_before(u64::MAX).is_none());
        // No flappable interface: no flap, even with an interval.
        let mut s = Schedule::new(
            &LifeConfig {
                restart_interval: Duration::ZERO,
                ..config()
            },
            0,
            vec![],
        );
        assert!(s.next_before(u64::MAX).is_none());
    }

    #[test]
    fn timeline_evaluates_pending_changes_at_any_instant() {
        let s = Duration::from_secs;
        let mut t = Timeline::new(2);
        t.pending = vec![
            Change {
                at: s(10),
                kind: ChangeKind::LinkDown { if_index: 2 },
            },
            Change {
                at: s(25),
                kind: ChangeKind::LinkUp { if_index: 2 },
            },
            Change {
                at: s(100),
                kind: ChangeKind::Restart,
            },
        ];
        let i = t.interface_at(2, s(5));
        assert!(i.up && i.counting == s(5) && i.last_change.is_none());
        let i = t.interface_at(2, s(20));
        assert!(!i.up && i.counting == s(10) && i.last_change == Some(s(10)));
        let i = t.interface_at(2, s(40));
        assert!(i.up && i.counting == s(25) && i.last_change == Some(s(25)));
        assert!(t.interface_at(1, s(20)).up, "only interface 2 flapped");
        let i = t.interface_at(2, s(130));
        assert_eq!(
            (i.boot, i.up, i.counting, i.last_change),
            (Some(s(100)), true, s(30), None)
        );
        assert_eq!(t.restarts_at(s(99)), 0);
        assert_eq!(t.restarts_at(s(100)), 1);
        // Folding gives the same answers.
        let mut folded = t.clone();
        while let Some(c) = folded.pending.first().copied() {
            folded.pending.remove(0);
            folded.apply(c);
        }
        assert_eq!(folded.interface_at(2, s(130)), t.interface_at(2, s(130)));
        assert_eq!(folded.boot_at(s(130)), Some(s(100)));
    }
}
