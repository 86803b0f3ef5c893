//! Adaptive GetBulk max-repetitions, one per target.
//!
//! Agents differ in how they say "that reply was too large": RFC 3416 says tooBig,
//! net-snmp 5.9's snmpd says genErr over SNMPv3 when the reply would not fit the
//! manager's msgMaxSize, and some agents (or firewalls dropping IP fragments) say
//! nothing at all. Each of these halves max-repetitions and the request is sent again
//! from the same OID, so a walk continues instead of stopping as other engines do.
//! A timeout counts as a size problem at once when the size has not been answered
//! before. Once a max-repetitions got a reply, a first timeout at that size or below
//! is taken for plain loss and retried as it is (otherwise a lossy agent would be
//! walked one row per request); a second timeout of the same request shrinks after
//! all (rows further on may be larger).
//! After [`GROW_AFTER`] consecutive answered bulk requests the value grows back by a
//! quarter (at least one), never above the configured maximum: a one-off loss costs
//! a few smaller requests, not a permanently slow target. A size the agent refused
//! (tooBig, genErr) becomes a ceiling that growth stops below, until
//! [`RETRY_CEILING_AFTER`] clean replies in a row suggest trying it again (the
//! agent's limits may have changed, or the refusal was about something else).

/// Consecutive clean bulk replies before max-repetitions grows again.
pub(crate) const GROW_AFTER: u32 = 16;

/// Consecutive clean bulk replies after which a refused size may be tried again.
pub(crate) const RETRY_CEILING_AFTER: u32 = 256;

/// Why max-repetitions shrank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shrink {
    /// The agent answered tooBig.
    TooBig,
    /// The agent answered genErr to a GetBulk (net-snmp over v3).
    GenErr,
    /// A GetBulk went unanswered (a large reply silently dropped?).
    Silent,
    /// The same GetBulk went unanswered again.
    SilentAgain,
}

/// The current max-repetitions of one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AdaptiveBulk {
    max: u16,
    current: u16,
    /// Growth stops below this (a size the agent refused), until `clean` reaches
    /// [`RETRY_CEILING_AFTER`].
    ceiling: u16,
    /// The largest max-repetitions answered since the last refusal (0: none yet).
    proven: u16,
    streak: u32,
    clean: u32,
}

impl AdaptiveBulk {
    /// Starts at the configured maximum (at least 1).
    pub(crate) fn new(max: u16) -> Self {
        let max = max.max(1);
        Self {
            max,
            current: max,
            ceiling: max,
            proven: 0,
            streak: 0,
            clean: 0,
        }
    }

    /// The max-repetitions to send now.
    pub(crate) fn current(&self) -> u16 {
        self.current
    }

    /// Halves max-repetitions. Returns false when it is already 1: the failure is then
    /// not about size, and the caller reports it instead of trying again.
    pub(crate) fn shrink(&mut self, why: Shrink) -> bool {
        if why == Shrink::Silent && self.current <= self.proven {
            // This size was answered before: the loss is not about size (yet).
            return false;
        }
        self.streak = 0;
        self.clean = 0;
        if matches!(why, Shrink::TooBig | Shrink::GenErr) {
            // Growth stops below the refused size.
            self.ceiling = self.current.saturating_sub(1).max(1);
            self.proven = self.proven.min(self.ceiling);
        }
        if self.current <= 1 {
            return false;
        }
        self.current = (self.current / 2).max(1);
        self.proven = self.proven.min(self.current);
        true
    }

    /// Records an answered bulk request; returns true when max-repetitions grew.
    pub(crate) fn answered(&mut self) -> bool {
        self.proven = self.proven.max(self.current);
        self.clean = self.clean.saturating_add(1);
        if self.clean >= RETRY_CEILING_AFTER {
            self.ceiling = self.max;
        }
        let cap = self.ceiling.min(self.max);
        if self.current >= cap {
            return false;
        }
        self.streak += 1;
        if self.streak < GROW_AFTER {
            return false;
        }
        self.streak = 0;
        let step = (self.current / 4).max(1);
        self.current = self.current.saturating_add(step).min(cap);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_to_one_then_refuses() {
        let mut b = AdaptiveBulk::new(50);
        assert!(b.shrink(Shrink::TooBig));
        assert_eq!(b.current(), 25);
        assert!(b.shrink(Shrink::GenErr));
        assert_eq!(b.current(), 12);
        for _ in 0..3 {
            assert!(b.shrink(Shrink::Silent));
        }
        assert_eq!(b.current(), 1);
        assert!(!b.shrink(Shrink::TooBig));
        assert_eq!(b.current(), 1);
    }

    #[test]
    fn grows_back_slowly_and_never_past_the_maximum() {
        let mut b = AdaptiveBulk::new(40);
        b.shrink(Shrink::Silent);
        assert_eq!(b.current(), 20);
        for _ in 0..GROW_AFTER - 1 {
            assert!(!b.answered());
        }
        assert!(b.answered());
        assert_eq!(b.current(), 25);
        for _ in 0..10 * GROW_AFTER {
            b.answered();
        }
        assert_eq!(b.current(), 40);
        // 40 was answered: a timeout there is loss, not size.
        assert!(!b.shrink(Shrink::Silent));
        // A refusal shrinks and resets the streak.
        assert!(b.shrink(Shrink::GenErr));
        for _ in 0..GROW_AFTER - 1 {
            b.answered();
        }
        b.shrink(Shrink::TooBig);
        assert_eq!(b.current(), 10);
    }

    #[test]
    fn a_refused_size_is_a_ceiling_for_a_while() {
        let mut b = AdaptiveBulk::new(50);
        b.shrink(Shrink::TooBig); // 50 refused: 25, ceiling 49
        b.shrink(Shrink::TooBig); // 25 refused: 12, ceiling 24
        for _ in 0..RETRY_CEILING_AFTER - 1 {
            b.answered();
        }
        assert_eq!(b.current(), 24);
        for _ in 0..10 * GROW_AFTER {
            b.answered();
        }
        assert_eq!(b.current(), 50);
    }

    #[test]
    fn a_timeout_at_an_answered_size_is_loss_not_size() {
        let mut b = AdaptiveBulk::new(40);
        assert!(b.shrink(Shrink::Silent)); // 40 never answered: 20
        b.answered(); // 20 works
        assert!(!b.shrink(Shrink::Silent));
        assert_eq!(b.current(), 20);
        // A refusal at 20 makes it unproven again.
        assert!(b.shrink(Shrink::TooBig));
        assert_eq!(b.current(), 10);
        b.answered();
        assert!(!b.shrink(Shrink::Silent));
        assert_eq!(b.current(), 10);
        // Twice in a row: rows further on may be larger.
        assert!(b.shrink(Shrink::SilentAgain));
        assert_eq!(b.current(), 5);
    }

    #[test]
    fn zero_means_one() {
        let mut b = AdaptiveBulk::new(0);
        assert_eq!(b.current(), 1);
        assert!(!b.answered());
    }
}
