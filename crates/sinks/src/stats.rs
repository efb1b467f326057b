//! Per-sink delivery accounting.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use crate::calls::{CallStats, CallsSnapshot};

/// Counters shared between a sink, the generator feeding it and whoever reports on
/// it (`/status`, `/metrics`, the final summary). In flight is derived, so the
/// identity generated = delivered + failed + in flight holds by construction.
#[derive(Debug, Default)]
pub struct SinkStats {
    generated: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicU64,
    retried: AtomicU64,
    /// Calls the sink made (requests), for sinks that record them.
    calls: CallStats,
}

/// A consistent-enough reading of [`SinkStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatsSnapshot {
    pub generated: u64,
    pub delivered: u64,
    pub failed: u64,
    /// Records re-sent after a retryable failure (a record may count more than once).
    pub retried: u64,
    pub in_flight: u64,
    /// Calls by outcome class and their latency percentiles, when the sink records its
    /// calls (`http:`, `browse:`); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calls: Option<CallsSnapshot>,
}

impl SinkStats {
    pub fn add_generated(&self, n: u64) {
        self.generated.fetch_add(n, Relaxed);
    }

    pub fn add_delivered(&self, n: u64) {
        self.delivered.fetch_add(n, Relaxed);
    }

    pub fn add_failed(&self, n: u64) {
        self.failed.fetch_add(n, Relaxed);
    }

    pub fn add_retried(&self, n: u64) {
        self.retried.fetch_add(n, Relaxed);
    }

    /// Where a sink records its calls (see [`crate::calls`]).
    pub fn calls(&self) -> &CallStats {
        &self.calls
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        // Read the outcomes before `generated`, so in flight can never underflow.
        let delivered = self.delivered.load(Relaxed);
        let failed = self.failed.load(Relaxed);
        let retried = self.retried.load(Relaxed);
        let generated = self.generated.load(Relaxed).max(delivered + failed);
        StatsSnapshot {
            generated,
            delivered,
            failed,
            retried,
            in_flight: generated - delivered - failed,
            calls: self.calls.snapshot(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_is_what_is_neither_delivered_nor_failed() {
        let s = SinkStats::default();
        s.add_generated(10);
        s.add_delivered(6);
        s.add_failed(1);
        let snap = s.snapshot();
        assert_eq!(snap.in_flight, 3);
        assert_eq!(
            snap.generated,
            snap.delivered + snap.failed + snap.in_flight
        );
    }
}
