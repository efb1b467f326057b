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

use parquet::basic::{Compression as PqCompression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};

use super::checkpoint::{Checkpoint, Move, SourcePos};
use super::columns::Columns;
use super::error::CheckpointError;
use super::flush::{Encoding, FlushInput, PendingFlush, Progress};
use super::lock::LakeLock;
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
    /// The checkpoint's full name, recorded in it.
    checkpoint_name: Option<String>,
    committed: SourcePos,
    /// Buffered rows per partition, sorted by partition (the order of the files).
    parts: Vec<(Partition, Columns)>,
    /// Index in `parts` of the latest push: consecutive events nearly always share
    /// their partition, so most pushes need no search.
    last: usize,
    dead: Vec<u8>,
    dead_count: u64,
    /// What the buffers hold, estimated: raw record bytes plus the builders' own
    /// per-row and per-partition memory (see [`ROW_BYTES`], [`PARTITION_BYTES`]).
    buffered_bytes: usize,
    oldest: Option<Instant>,
    counters: Arc<Counters>,
    hook: Option<FlushHook>,
    /// A flush that took the buffered rows and has not finished; retried first.
    pending: Option<PendingFlush>,
    /// A flush encoding on another thread (see [`LakeWriter::flush_behind`]); it comes
    /// before `pending` and the buffers in commit order.
    encoding: Option<Encoding>,
    /// Whether [`LakeWriter::wants_flush_behind`] may ask for flushes behind.
    behind: bool,
    /// Threads a flush encodes its partitions on (see [`LakeWriter::set_encode_threads`]).
    encode_threads: usize,
    /// With a checkpoint: this run's claim on it (one writer per source and lake).
    lock: Option<LakeLock>,
}

/// Reads checkpoint `name` at `path`, or at its legacy path (csgen before 0.2), which
/// is then moved to `path`. A checkpoint that names another source is refused.
async fn read_checkpoint(
    store: &Store,
    path: &str,
    name: &str,
) -> Result<Option<Checkpoint>, LakeError> {
    let parse = |at: &str, bytes: &[u8]| {
        Checkpoint::from_json(bytes).map_err(|source| LakeError::Checkpoint {
            path: format!("{}/{at}", store.describe()),
            source,
        })
    };
    if let Some(bytes) = store.get(path).await? {
        let cp = parse(path, &bytes)?;
        if let Some(other) = cp.name.as_deref().filter(|n| *n != name) {
            return Err(LakeError::Checkpoint {
                path: format!("{}/{path}", store.describe()),
                source: CheckpointError::Invalid(format!(
                    "it is the checkpoint of {other:?}, not of {name:?}"
                )),
            });
        }
        return Ok(Some(cp));
    }
    let Some(legacy) = Checkpoint::legacy_path(name) else {
        return Ok(None);
    };
    let Some(bytes) = store.get(&legacy).await? else {
        return Ok(None);
    };
    let mut cp = parse(&legacy, &bytes)?;
    cp.name = Some(name.to_owned());
    tracing::info!(from = %legacy, to = %path, "lake: moving a checkpoint to its collision-free name");
    store.put(path, cp.to_json()).await?;
    store.delete(&legacy).await?;
    Ok(Some(cp))
}

/// Builder memory per buffered event beyond its raw bytes: the fixed-width columns
/// (time, ids, quantity, the two 16-byte decimals) and the offsets of the text
/// columns.
pub const ROW_BYTES: usize = 176;
/// Builder memory of a partition before its first event: 22 small column builders.
/// Checked in `buffer_estimate_covers_the_builders_memory`.
pub const PARTITION_BYTES: usize = 16 << 10;

/// Most threads a flush encodes on: beyond a few, a flush's hours are too few to share.
pub const MAX_ENCODE_THREADS: usize = 8;

/// One encoding thread per core this process may run on (`taskset` and cgroup limits
/// count), at most [`MAX_ENCODE_THREADS`].
fn default_encode_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_ENCODE_THREADS))
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
        // Before the checkpoint is read: a second run must not recover (and delete the
        // staged files of) a flush the first is making.
        let lock = match checkpoint {
            Some(name) => Some(LakeLock::acquire(&store, &Checkpoint::file_name(name)).await?),
            None => None,
        };
        let writer_id = match &options.writer_id {
            Some(id) => {
                super::rerun::check_writer_id(&store, id)?;
                if checkpoint.is_none() {
                    super::rerun::remove_earlier_attempt(&store, id).await?;
                }
                id.clone()
            }
            None => uuid::Uuid::new_v4().simple().to_string(),
        };
        let mut w = Self {
            props: properties(&options),
            store,
            options,
            writer_id,
            flush_seq: 0,
            checkpoint: checkpoint.map(Checkpoint::path),
            checkpoint_name: checkpoint.map(str::to_owned),
            committed: SourcePos::default(),
            parts: Vec::new(),
            last: 0,
            dead: Vec::new(),
            dead_count: 0,
            buffered_bytes: 0,
            oldest: None,
            counters,
            hook: None,
            pending: None,
            encoding: None,
            behind: false,
            encode_threads: default_encode_threads(),
            lock,
        };
        if let (Some(path), Some(name)) = (w.checkpoint.clone(), checkpoint) {
            if let Some(cp) = read_checkpoint(&w.store, &path, name).await? {
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

    /// Ends the run's claim on its checkpoint (an S3 lease is deleted; a local lock
    /// would also go with the process). Call after the last flush.
    pub async fn release(&mut self) {
        if let Some(lock) = self.lock.take() {
            lock.release().await;
        }
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
                    self.buffered_bytes += PARTITION_BYTES;
                    i
                }
            },
        };
        self.last = i;
        self.parts[i].1.push(event);
        self.buffered(raw_len + ROW_BYTES, now);
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

    /// Whether the writer must flush before taking more: the buffers reached their
    /// size, they hold as many partitions as allowed, or an earlier flush is unfinished.
    /// A flush encoding behind counts towards the size until it is committed.
    pub fn is_full(&self) -> bool {
        self.buffered_bytes() >= self.options.max_buffer_bytes
            || self.parts.len() >= self.options.max_partitions
            || self.pending.is_some()
    }

    /// What the buffers hold, estimated (raw bytes and builder memory), a flush
    /// encoding behind included: a caller with several writers bounds their sum.
    pub fn buffered_bytes(&self) -> usize {
        self.buffered_bytes + self.encoding.as_ref().map_or(0, |e| e.bytes)
    }

    /// Lets [`Self::wants_flush_behind`] ask for flushes encoded on another thread
    /// while the next buffer fills: worth it with a second core to encode on.
    pub fn set_flush_behind(&mut self, on: bool) {
        self.behind = on;
    }

    /// Whether the caller should call [`Self::flush_behind`] now: flushes behind are
    /// on, no failed flush waits, and the buffers reached half the size limit (so that
    /// the flush in flight and the next buffer together stay within it) or the writer
    /// is full.
    pub fn wants_flush_behind(&self) -> bool {
        self.behind
            && self.pending.is_none()
            && (self.buffered_bytes >= self.options.max_buffer_bytes / 2 || self.is_full())
    }

    /// Encodes a flush's partitions on up to `threads` threads (at least one). By
    /// default one per core the process may run on, at most [`MAX_ENCODE_THREADS`];
    /// the files are the same whatever the number.
    pub fn set_encode_threads(&mut self, threads: usize) {
        self.encode_threads = threads.max(1);
    }

    /// Whether a flush is encoding behind.
    pub fn is_encoding(&self) -> bool {
        self.encoding.is_some()
    }

    /// The source position of the last committed flush.
    pub fn committed(&self) -> &SourcePos {
        &self.committed
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

    /// Whether nothing is buffered and no flush is unfinished.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
            && self.dead_count == 0
            && self.pending.is_none()
            && self.encoding.is_none()
    }

    /// Events and dead letters of a flush that did not finish (retried by the next),
    /// or of the flush encoding behind.
    pub fn unfinished(&self) -> Option<(u64, u64)> {
        self.pending
            .as_ref()
            .map(|p| (p.report.events, p.report.dead_letters))
            .or(self.encoding.as_ref().map(|e| e.counts))
    }

    /// Commits everything buffered; `source` is the position after the last record
    /// pushed (ignored without a checkpoint). An unfinished earlier flush is finished
    /// first. On an error or a cancellation, what was taken stays pending (see
    /// [`PendingFlush`]), never lost and never counted.
    pub async fn flush(&mut self, source: &SourcePos) -> Result<FlushReport, LakeError> {
        self.help_encoding();
        let mut report = self.finish_in_flight().await?;
        let advance = self.checkpoint.is_some() && *source != self.committed;
        if self.parts.is_empty() && self.dead_count == 0 && !advance {
            return Ok(report);
        }
        let input = self.take_buffers(source);
        self.pending = Some(PendingFlush::encode(
            input,
            &self.props,
            self.encode_threads,
        )?);
        let last = self.finish_pending().await?;
        report.events += last.events;
        report.dead_letters += last.dead_letters;
        report.bytes += last.bytes;
        report.files.extend(last.files);
        Ok(report)
    }

    /// Commits the earlier flush, if one is unfinished (waiting for its encoding if it
    /// is behind), then takes the buffers as the next flush and starts encoding them on
    /// a blocking thread and staging them; the caller goes on reading. The next `flush_behind`,
    /// [`Self::flush`] or [`Self::finish_in_flight`] commits it. Returns what the
    /// earlier flush committed (up to [`Self::committed`]).
    ///
    /// The guarantees are [`Self::flush`]'s: flushes commit one at a time and in order,
    /// an encoded flush that fails or is cancelled stays pending, and events count as
    /// committed only when their flush is.
    pub async fn flush_behind(&mut self, source: &SourcePos) -> Result<FlushReport, LakeError> {
        self.help_encoding();
        let report = self.finish_in_flight().await?;
        if self.parts.is_empty() && self.dead_count == 0 {
            return Ok(report);
        }
        let bytes = self.buffered_bytes;
        let input = self.take_buffers(source);
        let (props, store) = (self.props.clone(), self.store.clone());
        self.encoding = Some(Encoding::spawn(
            input,
            props,
            self.encode_threads,
            store,
            bytes,
        ));
        Ok(report)
    }

    /// Waits until the flush behind (if any) is encoded and staged, then holds it as
    /// the pending flush. Cancel-safe: cancelled, the flush stays in flight. A failed
    /// staging leaves it pending, to be staged again by the next flush.
    pub async fn encoded(&mut self) -> Result<(), LakeError> {
        if let Some(e) = self.encoding.as_mut() {
            let done = e.wait().await;
            // No await from here on: a finished task must not be awaited again.
            self.encoding = None;
            let (p, staging) = done?;
            let (k, staged) = (p.k, p.progress >= Progress::Staged);
            self.pending = Some(p);
            if staged {
                self.stage(FlushStage::Staged, k);
            }
            if let Some(e) = staging {
                return Err(e);
            }
        }
        Ok(())
    }

    /// Finishes an unfinished flush, encoding behind or pending, and commits it.
    pub async fn finish_in_flight(&mut self) -> Result<FlushReport, LakeError> {
        self.encoded().await?;
        self.finish_pending().await
    }

    /// Encodes what is left of the flush behind on this thread, about to wait for it
    /// anyway: behind, a flush leaves a core to the reader (see [`Encoding::spawn`]).
    fn help_encoding(&self) {
        if let Some(e) = &self.encoding {
            e.help();
        }
    }

    /// Takes the buffers as flush `flush_seq + 1`, committing up to `source`.
    fn take_buffers(&mut self, source: &SourcePos) -> FlushInput {
        self.last = 0;
        self.buffered_bytes = 0;
        self.oldest = None;
        FlushInput {
            k: self.flush_seq + 1,
            writer: self.writer_id.clone(),
            staging: self.staging_dir(),
            parts: std::mem::take(&mut self.parts),
            dead: std::mem::take(&mut self.dead),
            dead_count: std::mem::take(&mut self.dead_count),
            source: source.clone(),
        }
    }

    /// Runs the steps of the pending flush it has not done yet. Each step is recorded
    /// only once it completed, so a retry after a failure or a cancellation redoes at
    /// most an idempotent step.
    async fn finish_pending(&mut self) -> Result<FlushReport, LakeError> {
        let Some(p) = self.pending.as_ref() else {
            return Ok(FlushReport::default());
        };
        let k = p.k;
        if p.progress < Progress::Staged {
            self.store.put_all(p.staged.clone()).await?;
            self.set_progress(Progress::Staged);
            self.stage(FlushStage::Staged, k);
        }
        if let (Some(path), Some(p)) = (&self.checkpoint, &self.pending)
            && p.progress < Progress::Committed
        {
            let cp = Checkpoint {
                version: Checkpoint::VERSION,
                name: self.checkpoint_name.clone(),
                writer: self.writer_id.clone(),
                flush: k,
                source: p.source.clone(),
                pending: p.moves.clone(),
            };
            if let Some(lock) = &mut self.lock {
                lock.confirm().await?;
            }
            self.store.put(path, cp.to_json()).await?;
        }
        self.set_progress(Progress::Committed);
        self.stage(FlushStage::Committed, k);
        let moves = self
            .pending
            .as_ref()
            .map(PendingFlush::pairs)
            .unwrap_or_default();
        self.store.promote_all(moves).await?;
        self.stage(FlushStage::Done, k);
        let Some(p) = self.pending.take() else {
            return Ok(FlushReport::default());
        };
        self.flush_seq = k;
        self.committed = p.source;
        let mut report = p.report;
        report.files = p.moves.into_iter().map(|m| m.to).collect();
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

    fn set_progress(&mut self, progress: Progress) {
        if let Some(p) = self.pending.as_mut() {
            p.progress = p.progress.max(progress);
        }
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
            "events/2".to_owned(),
        )]))
        .build()
}

fn pairs(moves: &[Move]) -> Vec<(String, String)> {
    moves
        .iter()
        .map(|m| (m.from.clone(), m.to.clone()))
        .collect()
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
