//! A flush in progress: the commit protocol's state, kept across failures.
//!
//! A flush first takes the buffered rows and encodes them ([`PendingFlush::encode`]);
//! from then on the events live only here, so the flush is kept by the writer until
//! it has finished. A step that fails (an S3 error, a full disk) or is cancelled (a
//! caller's timeout around `flush`) leaves it in place with the steps it completed;
//! the next flush runs the rest first, with the same flush number and the same file
//! names. Events are never both gone and counted as committed, and a flush number is
//! never reused for other content.

use std::sync::{Mutex, PoisonError};

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
        input: FlushInput,
        props: &WriterProperties,
        threads: usize,
    ) -> Result<Self, LakeError> {
        let FlushInput {
            k,
            writer,
            staging,
            parts,
            dead,
            dead_count,
            source,
        } = input;
        let mut report = FlushReport::default();
        let mut staged = Vec::with_capacity(parts.len() + 1);
        let mut moves = Vec::with_capacity(parts.len() + 1);
        for (i, file) in encode_parts(parts, props, threads)?.into_iter().enumerate() {
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
        Ok(Self {
            k,
            source,
            staged,
            moves,
            report,
            progress: Progress::Encoded,
        })
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
    k: u64,
    /// The buffers' estimated memory: it counts against the buffer limit until the
    /// flush is committed.
    pub bytes: usize,
    /// Events and dead letters it holds, for [`super::LakeWriter::unfinished`].
    pub counts: (u64, u64),
}

impl Encoding {
    /// Starts encoding `input` (whose buffers held `bytes`), then staging it in `store`.
    pub fn spawn(
        input: FlushInput,
        props: WriterProperties,
        threads: usize,
        store: Store,
        bytes: usize,
    ) -> Self {
        let events = input.parts.iter().map(|(_, c)| c.rows() as u64).sum();
        let counts = (events, input.dead_count);
        let k = input.k;
        let handle = tokio::spawn(async move {
            let encoded =
                tokio::task::spawn_blocking(move || PendingFlush::encode(input, &props, threads))
                    .await;
            let mut p = encoded.map_err(|e| joined(k, e))??;
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
            k,
            bytes,
            counts,
        }
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
struct EncodedPart {
    part: Partition,
    rows: u64,
    bytes: Vec<u8>,
}

/// Encodes each partition as a file, in `parts`' order, on up to `threads` threads
/// (the calling one included): partitions are independent, so a flush of many hours
/// uses every core it is given, and a file's bytes do not depend on the thread count.
/// Each thread takes the next partition when it finished one; a partition's columns
/// are dropped as soon as its file is encoded, so memory falls as the flush proceeds.
fn encode_parts(
    parts: Vec<(Partition, Columns)>,
    props: &WriterProperties,
    threads: usize,
) -> Result<Vec<EncodedPart>, LakeError> {
    let one = |(part, mut cols): (Partition, Columns)| {
        let rows = cols.rows() as u64;
        let bytes = encode(part, &mut cols, props)?;
        Ok(EncodedPart { part, rows, bytes })
    };
    let threads = threads.clamp(1, parts.len().max(1));
    if threads == 1 {
        return parts.into_iter().map(one).collect();
    }
    let queue = Mutex::new(parts.into_iter().enumerate());
    let work = || {
        let mut done = Vec::new();
        loop {
            let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
            let Some((i, part)) = next else { break done };
            done.push((i, one(part)));
        }
    };
    let mut done = std::thread::scope(|s| {
        // A helper that cannot be started (no threads left) leaves its share to the
        // others.
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .name("csgen-encode".into())
                    .spawn_scoped(s, work)
                    .ok()
            })
            .collect();
        let mut done = work();
        for helper in helpers {
            match helper.join() {
                Ok(theirs) => done.extend(theirs),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        done
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, file)| file).collect()
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
