//! Counters for each outcome of the pipeline, shared with whoever reports on it.
//!
//! Every record read ends as exactly one of: an event, a dead letter, or a blank
//! line; `records = enriched + dead_lettered + blank` at every moment. Events and
//! dead letters become `committed_*` when their flush commits.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use serde::Serialize;

use crate::reason::Reason;

#[derive(Debug, Default)]
pub struct Counters {
    records: AtomicU64,
    enriched: AtomicU64,
    dead_lettered: AtomicU64,
    blank: AtomicU64,
    committed_events: AtomicU64,
    committed_dead_letters: AtomicU64,
    files: AtomicU64,
    flushes: AtomicU64,
    bytes_written: AtomicU64,
    by_reason: [AtomicU64; Reason::CODES.len()],
}

/// A reading of [`Counters`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CountersSnapshot {
    pub records: u64,
    pub enriched: u64,
    pub dead_lettered: u64,
    pub blank: u64,
    pub committed_events: u64,
    pub committed_dead_letters: u64,
    /// Parquet and dead-letter files committed.
    pub files: u64,
    pub flushes: u64,
    /// Bytes of committed files.
    pub bytes_written: u64,
    /// Dead letters per reason code.
    pub by_reason: Vec<(&'static str, u64)>,
}

impl Counters {
    pub(crate) fn record(&self, outcome: Result<(), &Reason>) {
        self.records.fetch_add(1, Relaxed);
        match outcome {
            Ok(()) => self.enriched.fetch_add(1, Relaxed),
            Err(r) => {
                let i = Reason::CODES
                    .iter()
                    .position(|c| *c == r.code())
                    .unwrap_or(0);
                self.by_reason[i].fetch_add(1, Relaxed);
                self.dead_lettered.fetch_add(1, Relaxed)
            }
        };
    }

    pub(crate) fn blank(&self) {
        self.records.fetch_add(1, Relaxed);
        self.blank.fetch_add(1, Relaxed);
    }

    pub(crate) fn committed(&self, events: u64, dead: u64, files: u64, bytes: u64) {
        self.committed_events.fetch_add(events, Relaxed);
        self.committed_dead_letters.fetch_add(dead, Relaxed);
        self.files.fetch_add(files, Relaxed);
        self.bytes_written.fetch_add(bytes, Relaxed);
        self.flushes.fetch_add(1, Relaxed);
    }

    pub fn snapshot(&self) -> CountersSnapshot {
        CountersSnapshot {
            records: self.records.load(Relaxed),
            enriched: self.enriched.load(Relaxed),
            dead_lettered: self.dead_lettered.load(Relaxed),
            blank: self.blank.load(Relaxed),
            committed_events: self.committed_events.load(Relaxed),
            committed_dead_letters: self.committed_dead_letters.load(Relaxed),
            files: self.files.load(Relaxed),
            flushes: self.flushes.load(Relaxed),
            bytes_written: self.bytes_written.load(Relaxed),
            by_reason: Reason::CODES
                .iter()
                .zip(&self.by_reason)
                .map(|(c, n)| (*c, n.load(Relaxed)))
                .filter(|(_, n)| *n > 0)
                .collect(),
        }
    }
}
