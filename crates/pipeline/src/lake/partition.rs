//! Event-time partitions: `dt=YYYY-MM-DD/hour=HH`.

use std::fmt;

const HOUR_MS: i64 = 3_600_000;

/// One hour of event time, as hours since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Partition(pub i64);

impl Partition {
    pub fn of(event_time_ms: i64) -> Self {
        Self(event_time_ms.div_euclid(HOUR_MS))
    }

    /// `YYYY-MM-DD`, the `dt` value.
    pub fn dt(self) -> String {
        chrono::DateTime::from_timestamp(self.0 * 3600, 0)
            .unwrap_or_default()
            .format("%Y-%m-%d")
            .to_string()
    }

    /// `0..=23`, the `hour` value (written with two digits).
    pub fn hour(self) -> u32 {
        self.0.rem_euclid(24) as u32
    }
}

/// The partition's directory under the table: `dt=2026-11-23/hour=07`.
impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dt={}/hour={:02}", self.dt(), self.hour())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_utc_event_time() {
        assert_eq!(Partition::of(0).to_string(), "dt=1970-01-01/hour=00");
        // 2026-11-23T07:26:20.123Z
        let p = Partition::of(1_795_418_780_123);
        assert_eq!(p.to_string(), "dt=2026-11-23/hour=07");
        assert_eq!(
            Partition::of(1_795_418_780_123 + HOUR_MS * 17).to_string(),
            "dt=2026-11-24/hour=00"
        );
    }
}
