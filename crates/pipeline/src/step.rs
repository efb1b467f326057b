//! One record through enrich into the lake writer: an event, a dead letter with its
//! reason, or a blank line skipped. The driver (`csgen enrich`) and the lake sink
//! (`--sink lake:`) both call it, so every record is treated alike wherever it comes
//! from.

use std::sync::Arc;
use std::time::Instant;

use csgen_model::StoreConfig;

use crate::counters::Counters;
use crate::dead_letter::DeadLetter;
use crate::enrich::{EnrichOptions, Enricher, Position};
use crate::lake::LakeWriter;
use crate::reason::Reason;
use crate::source::{Item, MAX_RECORD_BYTES};

/// What became of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Event,
    DeadLetter,
    /// An empty or all-whitespace line: not a record, counted and skipped.
    Blank,
}

/// The enrich stage of a run, writing into a [`LakeWriter`].
pub struct EnrichStep {
    enricher: Enricher,
    /// Where records come from, as dead letters name it (`file:PATH`, `stdin`).
    source_name: String,
    counters: Arc<Counters>,
}

impl EnrichStep {
    pub fn new(
        config: &StoreConfig,
        options: &EnrichOptions,
        source_name: String,
        counters: Arc<Counters>,
    ) -> Self {
        Self {
            enricher: Enricher::new(config, options),
            source_name,
            counters,
        }
    }

    pub fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }

    /// Enriches `item` (read at `pos`) into `writer`, or dead-letters it.
    pub fn push(
        &mut self,
        item: Item<'_>,
        pos: Position,
        now: Instant,
        writer: &mut LakeWriter,
    ) -> Outcome {
        let (record, reason) = match item {
            Item::Record(record) if is_blank(record) => {
                self.counters.blank();
                return Outcome::Blank;
            }
            Item::Record(record) => match self.enricher.enrich(record, pos) {
                Ok(event) => {
                    writer.push(&event, record.len(), now);
                    self.counters.record(Ok(()));
                    return Outcome::Event;
                }
                Err(reason) => (record, reason),
            },
            Item::TooLarge { prefix, bytes } => (
                prefix,
                Reason::TooLarge {
                    bytes,
                    limit: MAX_RECORD_BYTES,
                },
            ),
        };
        self.counters.record(Err(&reason));
        writer.push_dead(
            &DeadLetter::new(&reason, &self.source_name, pos, record),
            now,
        );
        Outcome::DeadLetter
    }
}

fn is_blank(record: &[u8]) -> bool {
    record.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'))
}
