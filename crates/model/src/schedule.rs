//! When each event of a run happens: a pure, drift-free schedule.
//!
//! Event `seq` happens at `anchor + (seq − anchor_seq) / rate`. Both the pacer (when
//! to emit) and the event timestamps (what time to stamp) read the same schedule, so
//! a paced run's timestamps follow the wall clock and an unpaced run's timestamps are
//! the times the events would have had at that rate. Changing the rate re-anchors at
//! the next event, so nothing jumps and no error accumulates.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Schedule {
    anchor_seq: u64,
    /// Unix time of the anchor event, in milliseconds.
    anchor_ms: f64,
    rate: f64,
}

impl Schedule {
    /// A schedule whose event `anchor_seq` happens at `anchor_ms` (Unix ms).
    /// `rate` must be finite and > 0.
    pub fn new(anchor_seq: u64, anchor_ms: i64, rate: f64) -> Self {
        assert!(
            rate.is_finite() && rate > 0.0,
            "rate must be > 0, got {rate}"
        );
        Self {
            anchor_seq,
            anchor_ms: anchor_ms as f64,
            rate,
        }
    }

    pub fn rate(&self) -> f64 {
        self.rate
    }

    pub fn anchor_seq(&self) -> u64 {
        self.anchor_seq
    }

    /// Time of event `seq` after the anchor event (`seq >= anchor_seq`).
    pub fn offset(&self, seq: u64) -> Duration {
        Duration::from_secs_f64(seq.saturating_sub(self.anchor_seq) as f64 / self.rate)
    }

    /// Event time of `seq`, Unix milliseconds.
    pub fn ts_ms(&self, seq: u64) -> i64 {
        let dt = seq.saturating_sub(self.anchor_seq) as f64 * 1000.0 / self.rate;
        (self.anchor_ms + dt).floor() as i64
    }

    /// Unix milliseconds at `elapsed` after the anchor event.
    pub fn time_at(&self, elapsed: Duration) -> i64 {
        (self.anchor_ms + elapsed.as_secs_f64() * 1000.0).floor() as i64
    }

    /// One past the last event that is due `elapsed` after the anchor: the events whose
    /// [`offset`](Self::offset) is at most `elapsed`. Computed from `offset` itself, so a
    /// caller that sleeps until `offset(due_end(t))` always finds that event due.
    pub fn due_end(&self, elapsed: Duration) -> u64 {
        let mut n = (elapsed.as_secs_f64() * self.rate).floor() as u64;
        // Floating-point rounding can put the estimate one off either way.
        while n > 0 && self.offset(self.anchor_seq + n) > elapsed {
            n -= 1;
        }
        while self.offset(self.anchor_seq + n + 1) <= elapsed {
            n += 1;
        }
        self.anchor_seq + n + 1
    }

    /// The same timeline continued at a new rate from event `seq` on.
    pub fn with_rate_from(&self, seq: u64, rate: f64) -> Self {
        Self {
            anchor_seq: seq,
            anchor_ms: self.anchor_ms
                + seq.saturating_sub(self.anchor_seq) as f64 * 1000.0 / self.rate,
            ..Self::new(seq, 0, rate)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_follow_the_rate_without_drift() {
        let s = Schedule::new(0, 1_000_000, 3.0);
        assert_eq!(s.ts_ms(0), 1_000_000);
        assert_eq!(s.ts_ms(1), 1_000_333);
        assert_eq!(s.ts_ms(3), 1_001_000);
        assert_eq!(s.ts_ms(3_000_000), 1_000_000 + 1_000_000_000);
    }

    #[test]
    fn due_end_counts_events_at_or_before_elapsed() {
        let s = Schedule::new(10, 0, 100.0);
        assert_eq!(s.due_end(Duration::ZERO), 11);
        assert_eq!(s.due_end(Duration::from_millis(9)), 11);
        assert_eq!(s.due_end(Duration::from_millis(10)), 12);
        assert_eq!(s.due_end(Duration::from_secs(10)), 1011);
        assert_eq!(s.offset(1010), Duration::from_secs(10));
    }

    #[test]
    fn the_event_at_its_own_offset_is_due() {
        for rate in [3.0, 7.0, 100.0, 1000.0, 12_345.6, 100_000.0] {
            let s = Schedule::new(5, 0, rate);
            for seq in 5..2000 {
                assert!(s.due_end(s.offset(seq)) > seq, "rate {rate}, seq {seq}");
                if seq > 5 {
                    let before = s.offset(seq) - Duration::from_nanos(1);
                    assert!(s.due_end(before) <= seq, "rate {rate}, seq {seq} due early");
                }
            }
        }
    }

    #[test]
    fn changing_rate_continues_the_timeline() {
        let s = Schedule::new(0, 0, 10.0);
        let t = s.with_rate_from(100, 1000.0);
        assert_eq!(t.ts_ms(100), 10_000);
        assert_eq!(t.ts_ms(1100), 11_000);
        assert_eq!(t.rate(), 1000.0);
    }
}
