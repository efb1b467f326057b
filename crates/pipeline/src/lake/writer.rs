//! The lake writer: per-partition buffers, Parquet encoding, and the commit protocol.
//!
//! A flush commits every buffer at once, so that one source position describes what
//! is in the lake. The protocol, for flush `k` of writer `w`:
//!
//! 1. each partition's rows become one Parquet file, written whole to
//!    `_csgen/staging/w/…` (invisible to readers of `events/`);
//! 2. the checkpoint is replaced (atomically) with flush `k`, the source position
//!    after the flushed records, and the list of staged files and their targets —
//!    this is the commit point;
//! 3. each staged file is moved to `events/dt=…/hour=…/part-w-k-n.parquet`.
//!
//! A crash before 2 leaves only staged files, which the restart deletes before it
//! re-reads from the old position; a crash after 2 leaves moves to finish, which the
//! restart finishes (moves are idempotent). Readers never see a partial file, and no
//! event is lost or committed twice. Without a checkpoint (stdin, the generator),
//! step 2 is skipped: files still appear whole, but a restart cannot resume.

use std::sync::Arc;
use std::time::Instant;

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression as PqCompression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use super::checkpoint::{Checkpoint, Move, SourcePos};
use super::columns::{Columns, schema};
use super::error::BoxError;
use super::partition::Partition;
use super::store::Store;
use super::{Compression, LakeError, LakeOptions};
use crate::counters::Counters;
use crate::dead_letter::DeadLetter;
use crate::event::Event;

/// A step of the commit protocol, for [`FlushHook`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlushStage {
    /// All files of the flush are staged; the checkpoint is not yet written.
    Staged,
    /// The checkpoint is written (the flush is committed); files not yet moved.
    Committed,
    /// The files are in place.
    Done,
}

/// Called at each [`FlushStage`] of flush number `k`: a test's way to stop a writer
/// at an exact point of the protocol (e.g. to kill its process there).
#[derive(Clone)]
pub struct FlushHook(pub Arc<dyn Fn(FlushStage, u64) + Send + Sync>);

impl std::fmt::Debug for FlushHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FlushHook")
    }
}

/// What one flush committed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlushReport {
    pub events: u64,
    pub dead_letters: u64,
    /// Paths (relative to the lake root) of the committed files.
    pub files: Vec<String>,
    pub bytes: u64,
}

pub struct LakeWriter {
    store: Store,
    options: LakeOptions,
    props: WriterProperties,
    writer_id: String,
    flush_seq: u64,
    checkpoint: Option<String>,
    committed: SourcePos,
    /// Buffered rows per partition, sorted by partition (the order of the files).
    parts: Vec<(Partition, Columns)>,
    /// Index in `parts` of the latest push: consecutive events nearly always share
    /// their partition, so most pushes need no search.
    last: usize,
    dead: Vec<u8>,
    dead_count: u64,
    buffered_bytes: usize,
    oldest: Option<Instant>,
    counters: Arc<Counters>,
    hook: Option<FlushHook>,
}

impl LakeWriter {
    /// Opens a writer. With a checkpoint name, recovers from an earlier run of the same
    /// (source, lake) pair and returns where the source must be resumed.
    pub async fn open(
        store: Store,
        options: LakeOptions,
        checkpoint: Option<&str>,
        counters: Arc<Counters>,
    ) -> Result<(Self, SourcePos), LakeError> {
        let mut w = Self {
            props: properties(&options),
            store,
            options,
            writer_id: uuid::Uuid::new_v4().simple().to_string(),
            flush_seq: 0,
            checkpoint: checkpoint.map(Checkpoint::path),
            committed: SourcePos::default(),
            parts: Vec::new(),
            last: 0,
            dead: Vec::new(),
            dead_count: 0,
            buffered_bytes: 0,
            oldest: None,
            counters,
            hook: None,
        };
        if let Some(path) = w.checkpoint.clone() {
            if let Some(bytes) = w.store.get(&path).await? {
                let cp = Checkpoint::from_json(&bytes).map_err(|source| LakeError::Checkpoint {
                    path: path.clone(),
                    source,
                })?;
                w.store.promote_all(pairs(&cp.pending)).await?;
                tracing::info!(writer = %cp.writer, flush = cp.flush, offset = cp.source.offset,
                    finished_moves = cp.pending.len(), "lake: resuming from checkpoint");
                w.writer_id = cp.writer;
                w.flush_seq = cp.flush;
                w.committed = cp.source;
            }
            // Staged files not named in a committed checkpoint belong to a flush that
            // never committed: their events will be read again.
            for orphan in w.store.list(&w.staging_dir()).await? {
                w.store.delete(&orphan).await?;
            }
        }
        let resume = w.committed.clone();
        Ok((w, resume))
    }

    /// Installs a hook called at each step of every flush.
    pub fn set_hook(&mut self, hook: Option<FlushHook>) {
        self.hook = hook;
    }

    fn stage(&self, stage: FlushStage, k: u64) {
        if let Some(h) = &self.hook {
            (h.0)(stage, k);
        }
    }

    /// The id in this writer's file names.
    pub fn writer_id(&self) -> &str {
        &self.writer_id
    }

    fn staging_dir(&self) -> String {
        format!("_csgen/staging/{}", self.writer_id)
    }

    /// Buffers an event in its event-time partition. `raw_len` (the record's size)
    /// counts towards the size limit.
    pub fn push(&mut self, event: &Event<'_>, raw_len: usize, now: Instant) {
        let p = Partition::of(event.event_time_ms);
        let i = match self.parts.get(self.last) {
            Some((q, _)) if *q == p => self.last,
            _ => match self.parts.binary_search_by_key(&p, |(q, _)| *q) {
                Ok(i) => i,
                Err(i) => {
                    self.parts.insert(i, (p, Columns::default()));
                    i
                }
            },
        };
        self.last = i;
        self.parts[i].1.push(event);
        self.buffered(raw_len, now);
    }

    /// Buffers a dead letter.
    pub fn push_dead(&mut self, letter: &DeadLetter<'_>, now: Instant) {
        let before = self.dead.len();
        letter.write_line(&mut self.dead);
        self.dead_count += 1;
        self.buffered(self.dead.len() - before, now);
    }

    fn buffered(&mut self, bytes: usize, now: Instant) {
        self.buffered_bytes += bytes;
        self.oldest.get_or_insert(now);
    }

    /// Whether the size limit is reached.
    pub fn is_full(&self) -> bool {
        self.buffered_bytes >= self.options.max_buffer_bytes
    }

    /// Whether the size or age limit is reached.
    pub fn should_flush(&self, now: Instant) -> bool {
        self.is_full()
            || self
                .oldest
                .is_some_and(|t| now.duration_since(t) >= self.options.max_age)
    }

    /// When the age limit will be reached, if anything is buffered.
    pub fn deadline(&self) -> Option<Instant> {
        self.oldest.map(|t| t + self.options.max_age)
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty() && self.dead_count == 0
    }

    /// Commits everything buffered; `source` is the position after the last record
    /// pushed (ignored without a checkpoint).
    pub async fn flush(&mut self, source: &SourcePos) -> Result<FlushReport, LakeError> {
        let advance = self.checkpoint.is_some() && *source != self.committed;
        if self.is_empty() && !advance {
            return Ok(FlushReport::default());
        }
        let k = self.flush_seq + 1;
        let (w, staging) = (self.writer_id.clone(), self.staging_dir());
        let mut moves = Vec::new();
        let mut report = FlushReport::default();
        let parts = std::mem::take(&mut self.parts);
        self.last = 0;
        // Encode everything, then write the files side by side: their syncs overlap.
        let mut staged = Vec::with_capacity(parts.len() + 1);
        for (i, (part, mut cols)) in parts.into_iter().enumerate() {
            report.events += cols.rows() as u64;
            let bytes = self.encode(part, &mut cols)?;
            report.bytes += bytes.len() as u64;
            let from = format!("{staging}/{k:06}-{i:04}.parquet");
            staged.push((from.clone(), bytes));
            moves.push(Move {
                from,
                to: format!("events/{part}/part-{w}-{k:06}-{i:04}.parquet"),
            });
        }
        if self.dead_count > 0 {
            let bytes = std::mem::take(&mut self.dead);
            report.bytes += bytes.len() as u64;
            report.dead_letters = std::mem::take(&mut self.dead_count);
            let from = format!("{staging}/{k:06}-dead.jsonl");
            staged.push((from.clone(), bytes));
            moves.push(Move {
                from,
                to: format!("dead_letters/part-{w}-{k:06}.jsonl"),
            });
        }
        self.store.put_all(staged).await?;
        self.stage(FlushStage::Staged, k);
        if let Some(path) = &self.checkpoint {
            let cp = Checkpoint {
                version: Checkpoint::VERSION,
                writer: w.clone(),
                flush: k,
                source: source.clone(),
                pending: moves.clone(),
            };
            self.store.put(path, cp.to_json()).await?;
        }
        self.stage(FlushStage::Committed, k);
        self.store.promote_all(pairs(&moves)).await?;
        self.stage(FlushStage::Done, k);
        self.flush_seq = k;
        self.committed = source.clone();
        self.buffered_bytes = 0;
        self.oldest = None;
        report.files = moves.into_iter().map(|m| m.to).collect();
        self.counters.committed(
            report.events,
            report.dead_letters,
            report.files.len() as u64,
            report.bytes,
        );
        tracing::debug!(
            flush = k,
            events = report.events,
            dead_letters = report.dead_letters,
            files = report.files.len(),
            bytes = report.bytes,
            "lake: flush committed"
        );
        Ok(report)
    }

    fn encode(&self, part: Partition, cols: &mut Columns) -> Result<Vec<u8>, LakeError> {
        let err = |e: BoxError| LakeError::Encode {
            partition: part.to_string(),
            source: e,
        };
        let batches = cols.finish().map_err(|e| err(e.into()))?;
        let memory: usize = batches.iter().map(RecordBatch::get_array_memory_size).sum();
        let mut out = ArrowWriter::try_new(
            Vec::with_capacity(memory / 4),
            schema(),
            Some(self.props.clone()),
        )
        .map_err(|e| err(e.into()))?;
        for batch in &batches {
            out.write(batch).map_err(|e| err(e.into()))?;
        }
        out.into_inner().map_err(|e| err(e.into()))
    }
}

/// The Parquet writer settings of the event files.
pub fn properties(options: &LakeOptions) -> WriterProperties {
    let compression = match options.compression {
        Compression::Zstd => PqCompression::ZSTD(ZstdLevel::try_new(1).expect("1 is a zstd level")),
        Compression::Snappy => PqCompression::SNAPPY,
        Compression::None => PqCompression::UNCOMPRESSED,
    };
    WriterProperties::builder()
        .set_compression(compression)
        .set_statistics_enabled(EnabledStatistics::Page)
        // Unique per row (or nearly: millisecond times): a dictionary would only be
        // built to be abandoned, or kept as large as the column. Without one,
        // event_time encodes 10 % faster and its files are smaller.
        .set_column_dictionary_enabled("event_id".into(), false)
        .set_column_dictionary_enabled("url".into(), false)
        .set_column_dictionary_enabled("event_time".into(), false)
        .set_max_row_group_row_count(Some(options.max_row_group_rows))
        .set_key_value_metadata(Some(vec![KeyValue::new(
            "csgen.schema".to_owned(),
            "events/1".to_owned(),
        )]))
        .build()
}

fn pairs(moves: &[Move]) -> Vec<(String, String)> {
    moves
        .iter()
        .map(|m| (m.from.clone(), m.to.clone()))
        .collect()
}
