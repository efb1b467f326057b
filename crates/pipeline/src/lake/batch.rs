//! One batch of events as whole files, named by the caller: the lake writer's encoding
//! without its buffering and commit protocol.
//!
//! A Lambda function handed a Kinesis batch has no process that lives across batches
//! and no checkpoint of its own: the event source mapping keeps the position, and a
//! failed batch is delivered again. So it writes each batch's files at once, under
//! names derived from the records they hold (shard and sequence numbers), and a
//! retried batch overwrites the same objects. This module turns the batch's events
//! into one Parquet file per event-time partition — the same schema, writer settings
//! and `events/dt=…/hour=…/` layout as [`super::LakeWriter`] — and says which records
//! (by index in the batch) each file holds, for the caller to name it.

use bytes::Bytes;
use parquet::file::properties::WriterProperties;

use super::columns::Columns;
use super::partition::Partition;
use super::{LakeError, LakeOptions};
use crate::event::Event;

/// The events of one batch, grouped by event-time hour.
pub struct BatchFiles {
    props: WriterProperties,
    /// Sorted by partition; the record index range each holds.
    parts: Vec<(Partition, Columns, IndexRange)>,
}

/// The first and last index (in the caller's batch) of the records in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexRange {
    pub first: usize,
    pub last: usize,
}

/// One encoded file of a batch.
#[derive(Debug, Clone)]
pub struct BatchFile {
    pub partition: Partition,
    /// Which records it holds (a file's rows are in the order pushed).
    pub records: IndexRange,
    pub rows: usize,
    /// The Parquet file.
    pub bytes: Bytes,
}

impl BatchFile {
    /// Where it goes in the lake, for a file name `name` (`part-….parquet`).
    pub fn path(&self, name: &str) -> String {
        format!("events/{}/{name}", self.partition)
    }
}

impl BatchFiles {
    /// An empty batch, encoded with the lake writer's settings for `options`.
    pub fn new(options: &LakeOptions) -> Self {
        Self {
            props: super::writer::properties(options),
            parts: Vec::new(),
        }
    }

    /// Adds the event of record `index` (indexes must not decrease).
    pub fn push(&mut self, event: &Event<'_>, index: usize) {
        let p = Partition::of(event.event_time_ms);
        let i = match self.parts.binary_search_by_key(&p, |(q, ..)| *q) {
            Ok(i) => i,
            Err(i) => {
                let range = IndexRange {
                    first: index,
                    last: index,
                };
                self.parts.insert(i, (p, Columns::default(), range));
                i
            }
        };
        let (_, cols, range) = &mut self.parts[i];
        cols.push(event);
        range.last = index;
    }

    /// Partitions with events so far.
    pub fn partitions(&self) -> usize {
        self.parts.len()
    }

    /// Encodes one Parquet file per partition, in partition order.
    pub fn encode(self) -> Result<Vec<BatchFile>, LakeError> {
        self.parts
            .into_iter()
            .map(|(partition, mut cols, records)| {
                let rows = cols.rows();
                let bytes = super::flush::encode(partition, &mut cols, &self.props)?;
                Ok(BatchFile {
                    partition,
                    records,
                    rows,
                    bytes: Bytes::from(bytes),
                })
            })
            .collect()
    }
}
