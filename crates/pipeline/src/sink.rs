//! `--sink lake:PATH`: the generator writing straight into the lake.
//!
//! [`LakeSink`] runs the same enrich code on every record of a batch and buffers the
//! events in a [`LakeWriter`]. Records count as delivered when their flush commits,
//! whether as events or as dead letters (a record enrich rejects is stored, with its
//! reason, in the dead-letter files: it is accounted for, not lost); they count as
//! failed only when the flush fails. [`LakeSink::counters`] tells events and dead
//! letters apart. There is no source to resume, so no checkpoint is kept.

use std::sync::Arc;
use std::time::Instant;

use csgen_model::StoreConfig;
use csgen_sinks::{Batch, Sink, SinkError, SinkStats};

use crate::counters::Counters;
use crate::dead_letter::DeadLetter;
use crate::enrich::{EnrichOptions, Enricher, Position};
use crate::lake::{LakeError, LakeOptions, LakeSpec, LakeWriter, SourcePos};

pub struct LakeSink {
    spec: LakeSpec,
    enricher: Enricher,
    writer: LakeWriter,
    stats: Arc<SinkStats>,
    counters: Arc<Counters>,
    clock: fn() -> i64,
    pos: SourcePos,
    pending_events: u64,
    pending_dead: u64,
}

impl LakeSink {
    /// Opens the lake (a folder is created on the first flush).
    pub async fn open(
        spec: &LakeSpec,
        config: &StoreConfig,
        options: LakeOptions,
    ) -> Result<Self, LakeError> {
        let counters = Arc::new(Counters::default());
        let (writer, pos) =
            LakeWriter::open(spec.store()?, options, None, counters.clone()).await?;
        Ok(Self {
            spec: spec.clone(),
            enricher: Enricher::new(config, &EnrichOptions::default()),
            writer,
            stats: Arc::default(),
            counters,
            clock: || chrono::Utc::now().timestamp_millis(),
            pos,
            pending_events: 0,
            pending_dead: 0,
        })
    }

    /// The pipeline counters (records, events, dead letters, files, bytes).
    pub fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }

    async fn commit(&mut self) -> Result<(), SinkError> {
        let result = self.writer.flush(&self.pos).await;
        let (events, dead) = (
            std::mem::take(&mut self.pending_events),
            std::mem::take(&mut self.pending_dead),
        );
        match result {
            Ok(_) => {
                self.stats.add_delivered(events + dead);
                Ok(())
            }
            Err(e) => {
                self.stats.add_failed(events + dead);
                Err(SinkError::Fatal {
                    target: self.describe(),
                    message: e.to_string(),
                })
            }
        }
    }
}

impl Sink for LakeSink {
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError> {
        let (now, arrival_ms) = (Instant::now(), (self.clock)());
        let source = self.describe();
        for record in batch.records() {
            let pos = Position {
                line: self.pos.line + 1,
                offset: self.pos.offset,
                arrival_ms,
            };
            self.pos.line = pos.line;
            self.pos.offset = pos.offset + record.len() as u64 + 1;
            match self.enricher.enrich(record, pos) {
                Ok(event) => {
                    self.writer.push(&event, record.len(), now);
                    self.counters.record(Ok(()));
                    self.pending_events += 1;
                }
                Err(reason) => {
                    self.counters.record(Err(&reason));
                    self.writer
                        .push_dead(&DeadLetter::new(&reason, &source, pos, record), now);
                    self.pending_dead += 1;
                }
            }
        }
        if self.writer.should_flush(now) {
            self.commit().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        self.commit().await
    }

    fn stats(&self) -> &Arc<SinkStats> {
        &self.stats
    }

    fn describe(&self) -> String {
        format!("lake:{}", self.spec)
    }
}
