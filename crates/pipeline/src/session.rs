//! Sessions by inactivity gap, for records that carry no session id.
//!
//! A user's event joins their open session when it lies within the gap of that
//! session's latest event (in either direction, so slightly out-of-order events stay
//! in their session); otherwise it starts a new session whose id is the user and the
//! start time. State is one entry per user with an open session; entries idle for
//! longer than the gap (relative to the newest event seen) are pruned periodically.

use std::collections::HashMap;

/// foldhash: several times cheaper than SipHash on an integer key, and still seeded
/// per process (user ids come from outside).
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Prune idle sessions every this many events.
const PRUNE_EVERY: u32 = 1 << 16;

#[derive(Debug, Clone, Copy)]
struct Open {
    start_ms: i64,
    last_ms: i64,
}

#[derive(Debug)]
pub struct Sessionizer {
    gap_ms: i64,
    open: Map<i64, Open>,
    newest_ms: i64,
    since_prune: u32,
}

impl Sessionizer {
    pub fn new(gap_ms: i64) -> Self {
        Self {
            gap_ms,
            open: Map::default(),
            newest_ms: i64::MIN,
            since_prune: 0,
        }
    }

    /// The start time of the session that the user's event at `ts_ms` belongs to.
    pub fn assign(&mut self, user_id: i64, ts_ms: i64) -> i64 {
        self.newest_ms = self.newest_ms.max(ts_ms);
        self.since_prune += 1;
        if self.since_prune >= PRUNE_EVERY {
            self.prune();
        }
        let gap = self.gap_ms;
        let open = self.open.entry(user_id).or_insert(Open {
            start_ms: ts_ms,
            last_ms: ts_ms,
        });
        if ts_ms.abs_diff(open.last_ms) > gap as u64 {
            *open = Open {
                start_ms: ts_ms,
                last_ms: ts_ms,
            };
        } else {
            open.last_ms = open.last_ms.max(ts_ms);
        }
        open.start_ms
    }

    /// Users with an open session.
    pub fn open_sessions(&self) -> usize {
        self.open.len()
    }

    fn prune(&mut self) {
        self.since_prune = 0;
        let horizon = self.newest_ms.saturating_sub(self.gap_ms);
        self.open.retain(|_, o| o.last_ms >= horizon);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_longer_than_the_limit_starts_a_new_session() {
        let min = 60_000;
        let mut s = Sessionizer::new(30 * min);
        assert_eq!(s.assign(1, 0), 0);
        assert_eq!(s.assign(1, 29 * min), 0);
        assert_eq!(s.assign(2, 29 * min), 29 * min, "users are separate");
        assert_eq!(
            s.assign(1, 59 * min),
            0,
            "the gap counts from the latest event"
        );
        assert_eq!(s.assign(1, 58 * min), 0, "out of order, within the gap");
        assert_eq!(s.assign(1, 90 * min), 90 * min);
    }

    #[test]
    fn idle_users_are_pruned() {
        let mut s = Sessionizer::new(10);
        for u in 0..i64::from(PRUNE_EVERY) - 1 {
            s.assign(u, 0);
        }
        s.assign(-1, 1000);
        assert_eq!(s.open_sessions(), 1);
    }
}
