//! A flush in progress: the commit protocol's state, kept across failures.
//!
//! A flush first takes the buffered rows and encodes them ([`PendingFlush::encode`]);
//! from then on the events live only here, so the flush is kept by the writer until
//! it has finished. A step that fails (an S3 error, a full disk) or is cancelled (a
//! caller's timeout around `flush`) leaves it in place with the steps it completed;
//! the next flush runs the rest first, with the same flush number and the same file
//! names. Events are never both gone and counted as committed, and a flush number is
//! never reused for other content.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use arrow_array::RecordBatch;
use bytes::Bytes;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

use super::LakeError;
use super::checkpoint::{Move, SourcePos};
use super::columns::{Columns, schema};
use super::error::BoxError;
use super::partition::Partition;
use super::store::Store;
use super::writer::FlushReport;

/// How far a pending flush has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Progress {
    /// Encoded in memory; nothing written.
    Encoded,
    /// Every file is staged.
    Staged,
    /// The checkpoint names this flush: it is committed; the moves remain.
    Committed,
}

/// A flush that took the buffered rows and has not finished committing them.
pub(super) struct PendingFlush {
    pub k: u64,
    /// The source position this flush commits.
    pub source: SourcePos,
    /// Files to stage, by staging path; cheap to clone for a retry.
    pub staged: Vec<(String, Bytes)>,
    pub moves: Vec<Move>,
    pub report: FlushReport,
    pub progress: Progress,
}

/// What a flush takes from the writer: the buffers, and where they go.
pub(super) struct FlushInput {
    /// The flush's number.
    pub k: u64,
    /// The writer's id, in the file names.
    pub writer: String,
    /// Where its files are staged.
    pub staging: String,
    pub parts: Vec<(Partition, Columns)>,
    pub dead: Vec<u8>,
    pub dead_count: u64,
    /// The source position after the records it holds.
    pub source: SourcePos,
}

impl PendingFlush {
    /// Encodes the partitions and dead letters of `input` as its flush, the partitions
    /// on up to `threads` threads.
    pub fn encode(
        mut input: FlushInput,
        props: &WriterProperties,
        threads: usize,
    ) -> Result<Self, LakeError> {
        let parts = Parts::new(std::mem::take(&mut input.parts), props.clone());
        Ok(Self::assemble(input, parts.encode(threads)?))
    }

    /// The flush of `input`, whose partitions were encoded as `files`.
    fn assemble(input: FlushInput, files: Vec<EncodedPart>) -> Self {
        let FlushInput {
            k,
            writer,
            staging,
            parts: _,
            dead,
            dead_count,
            source,
        } = input;
        let mut report = FlushReport::default();
        let mut staged = Vec::with_capacity(files.len() + 1);
        let mut moves = Vec::with_capacity(files.len() + 1);
        for (i, file) in files.into_iter().enumerate() {
            report.events += file.rows;
            report.bytes += file.bytes.len() as u64;
            let from = format!("{staging}/{k:06}-{i:04}.parquet");
            staged.push((from.clone(), Bytes::from(file.bytes)));
            moves.push(Move {
                from,
                to: format!("events/{}/part-{writer}-{k:06}-{i:04}.parquet", file.part),
            });
        }
        if dead_count > 0 {
            report.bytes += dead.len() as u64;
            report.dead_letters = dead_count;
            let from = format!("{staging}/{k:06}-dead.jsonl");
            staged.push((from.clone(), Bytes::from(dead)));
            moves.push(Move {
                from,
                to: format!("dead_letters/part-{writer}-{k:06}.jsonl"),
            });
        }
        Self {
            k,
            source,
            staged,
            moves,
            report,
            progress: Progress::Encoded,
        }
    }

    /// `(from, to)` of every move.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.moves
            .iter()
            .map(|m| (m.from.clone(), m.to.clone()))
            .collect()
    }
}

/// What a flush behind hands back: the flush, and why its staging failed, if it did
/// (then it is still to stage). `Err`: the encoding failed.
pub(super) type Behind = Result<(PendingFlush, Option<LakeError>), LakeError>;

/// A flush being encoded (on tokio's blocking pool) and staged while the writer
/// buffers the next one.
///
/// Encoding and staging are the steps of a flush that need no order between flushes
/// (staged files are invisible until a checkpoint names them); the checkpoint and the
/// moves stay with the writer, in flush order, once [`Encoding::wait`] handed over the
/// [`PendingFlush`]. Staging runs here because locally it is mostly `fsync` waits,
/// which would otherwise stall the reading.
pub(super) struct Encoding {
    handle: tokio::task::JoinHandle<Behind>,
    /// Its partitions, for [`Encoding::help`].
    parts: Arc<Parts>,
    k: u64,
    /// The buffers' estimated memory: it counts against the buffer limit until the
    /// flush is committed.
    pub bytes: usize,
    /// Events and dead letters it holds, for [`super::LakeWriter::unfinished`].
    pub counts: (u64, u64),
}

impl Encoding {
    /// Starts encoding `input` (whose buffers held `bytes`) on `threads - 1` threads,
    /// leaving a core to the reader until it waits for this flush and [`Self::help`]s,
    /// then staging it in `store`.
    pub fn spawn(
        mut input: FlushInput,
        props: WriterProperties,
        threads: usize,
        store: Store,
        bytes: usize,
    ) -> Self {
        let events = input.parts.iter().map(|(_, c)| c.rows() as u64).sum();
        let counts = (events, input.dead_count);
        let k = input.k;
        let parts = Arc::new(Parts::new(std::mem::take(&mut input.parts), props));
        let shared = parts.clone();
        // Started here, not in the task below: a reader that never yields (its input
        // always ready) would otherwise not let the task start until it waits.
        let encoding = tokio::task::spawn_blocking(move || {
            let files = shared.encode(threads.saturating_sub(1).max(1))?;
            Ok::<_, LakeError>(PendingFlush::assemble(input, files))
        });
        let handle = tokio::spawn(async move {
            let mut p = encoding.await.map_err(|e| joined(k, e))??;
            match store.put_all(p.staged.clone()).await {
                Ok(()) => {
                    p.progress = Progress::Staged;
                    Ok((p, None))
                }
                Err(e) => Ok((p, Some(e))),
            }
        });
        Self {
            handle,
            parts,
            k,
            bytes,
            counts,
        }
    }

    /// Encodes the partitions no thread has taken yet on the caller's thread: what a
    /// reader that must wait for this flush does instead of waiting idle.
    pub fn help(&self) {
        self.parts.work();
    }

    /// Whether encoding threads took every partition (tests: without the reader's help).
    #[cfg(test)]
    pub fn all_taken(&self) -> bool {
        lock(&self.parts.todo).len() == 0
    }

    /// The encoded flush. Cancel-safe: dropped before it is ready, the task runs on
    /// and a later call gets its result; the caller must not call it again after it
    /// returned.
    pub async fn wait(&mut self) -> Behind {
        (&mut self.handle).await.map_err(|e| joined(self.k, e))?
    }
}

/// A task of flush `k` that panicked or was cancelled (the runtime shutting down).
fn joined(k: u64, e: tokio::task::JoinError) -> LakeError {
    LakeError::Encode {
        partition: format!("(every partition of flush {k})"),
        source: e.into(),
    }
}

/// One partition's file of a flush.
pub(super) struct EncodedPart {
    part: Partition,
    rows: u64,
    bytes: Vec<u8>,
}

/// The partitions of a flush, shared by the threads that encode them: each takes the
/// next partition when it finished one. Partitions are independent files, so a flush
/// of many hours uses every core it is given, and a file's bytes do not depend on which
/// thread encoded it. A partition's columns go as soon as its file is encoded, so
/// memory falls as the flush proceeds.
pub(super) struct Parts {
    todo: Mutex<std::iter::Enumerate<std::vec::IntoIter<(Partition, Columns)>>>,
    /// Files encoded, with their index in `todo`.
    done: Mutex<Vec<(usize, Result<EncodedPart, LakeError>)>>,
    all_done: Condvar,
    count: usize,
    props: WriterProperties,
}

impl Parts {
    pub fn new(parts: Vec<(Partition, Columns)>, props: WriterProperties) -> Self {
        Self {
            count: parts.len(),
            todo: Mutex::new(parts.into_iter().enumerate()),
            done: Mutex::new(Vec::new()),
            all_done: Condvar::new(),
            props,
        }
    }

    /// Encodes partitions on this thread until none is left to take. An encoder that
    /// panics fails its partition (and so its flush) instead of the thread: the
    /// threads waiting in [`Self::encode`] for every partition must not wait forever.
    pub fn work(&self) {
        loop {
            let next = lock(&self.todo).next();
            let Some((i, (part, mut cols))) = next else {
                return;
            };
            let rows = cols.rows() as u64;
            let file =
                std::panic::catch_unwind(AssertUnwindSafe(|| encode(part, &mut cols, &self.props)))
                    .unwrap_or_else(|_| {
                        Err(LakeError::Encode {
                            partition: part.to_string(),
                            source: "the Parquet encoder panicked".into(),
                        })
                    })
                    .map(|bytes| EncodedPart { part, rows, bytes });
            drop(cols);
            let mut done = lock(&self.done);
            done.push((i, file));
            if done.len() == self.count {
                self.all_done.notify_all();
            }
        }
    }

    /// Encodes on this thread and `threads - 1` more, waits for the partitions that
    /// other threads took (see [`Encoding::help`]), and returns the files in order.
    pub fn encode(&self, threads: usize) -> Result<Vec<EncodedPart>, LakeError> {
        std::thread::scope(|s| {
            for _ in 1..threads.min(self.count) {
                // A helper that cannot be started (no threads left) leaves its share
                // to the others.
                let _ = std::thread::Builder::new()
                    .name("csgen-encode".into())
                    .spawn_scoped(s, || self.work());
            }
            self.work();
        });
        let mut done = self
            .all_done
            .wait_while(lock(&self.done), |done| done.len() < self.count)
            .unwrap_or_else(PoisonError::into_inner);
        let mut files = std::mem::take(&mut *done);
        files.sort_unstable_by_key(|(i, _)| *i);
        files.into_iter().map(|(_, file)| file).collect()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One partition's rows as a Parquet file.
pub(super) fn encode(
    part: Partition,
    cols: &mut Columns,
    props: &WriterProperties,
) -> Result<Vec<u8>, LakeError> {
    let err = |e: BoxError| LakeError::Encode {
        partition: part.to_string(),
        source: e,
    };
    let batches = cols.finish().map_err(|e| err(e.into()))?;
    let memory: usize = batches.iter().map(RecordBatch::get_array_memory_size).sum();
    let mut out = ArrowWriter::try_new(
        Vec::with_capacity(memory / 4),
        schema(),
        Some(props.clone()),
    )
    .map_err(|e| err(e.into()))?;
    for batch in &batches {
        out.write(batch).map_err(|e| err(e.into()))?;
    }
    out.into_inner().map_err(|e| err(e.into()))
}
