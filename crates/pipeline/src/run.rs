//! `csgen enrich`: read a source, enrich every record, land events in the lake.
//!
//! Records are cut from the source's buffer without copying; each chunk of input is
//! enriched synchronously, then the size/age limits are checked. The read waits
//! together with the age deadline and the shutdown signal, so a quiet stdin still
//! flushes on time and Ctrl-C commits what is buffered.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use csgen_model::StoreConfig;
use tokio::io::{AsyncBufRead, AsyncBufReadExt as _, AsyncSeekExt as _, BufReader};

use crate::counters::{Counters, CountersSnapshot};
use crate::dead_letter::DeadLetter;
use crate::enrich::{EnrichOptions, Enricher, Position};
use crate::lake::{FlushHook, LakeError, LakeOptions, LakeWriter, SourcePos, Store};
use crate::reason::Reason;
use crate::source::SourceSpec;

/// Longest record read; longer ones become `too_large` dead letters.
pub const MAX_RECORD_BYTES: usize = 1 << 20;
/// How much of an over-long record its dead letter keeps.
const TOO_LARGE_KEEP: usize = 4096;

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("source {source_name}: {error}")]
    Source {
        source_name: String,
        #[source]
        error: std::io::Error,
    },
    #[error("{0}")]
    Kinesis(String),
    #[error(transparent)]
    Lake(#[from] LakeError),
}

/// Settings of one run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub enrich: EnrichOptions,
    pub lake: LakeOptions,
    /// Keep a checkpoint for resumable sources (files): on by default.
    pub no_checkpoint: bool,
    /// Called at each step of every flush (tests).
    pub hook: Option<FlushHook>,
    /// AWS settings of a `kinesis:` source (endpoint override); the standard AWS
    /// environment otherwise.
    pub aws: csgen_sinks::BuildOptions,
    /// A ready Kinesis client for a `kinesis:` source (tests, embedding); built from
    /// [`Self::aws`] when `None`.
    pub kinesis_client: Option<aws_sdk_kinesis::Client>,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunSummary {
    /// Where the run started in the source (after a restart, the checkpoint).
    pub resumed_at: SourcePos,
    pub stopped_at: SourcePos,
    pub counters: CountersSnapshot,
}

/// Reads `source` to its end (or until `shutdown`), committing to `lake`.
/// `clock` gives the wall time in Unix ms (arrival time of records without `ts`).
pub async fn run(
    source: &SourceSpec,
    lake: Store,
    config: &StoreConfig,
    options: &RunOptions,
    counters: Arc<Counters>,
    clock: impl Fn() -> i64,
    shutdown: impl Future<Output = ()>,
) -> Result<RunSummary, RunError> {
    let name = source.to_string();
    let io = |error| RunError::Source {
        source_name: name.clone(),
        error,
    };
    let checkpoint = if options.no_checkpoint {
        None
    } else {
        source.checkpoint_name()
    };
    let (mut writer, resume) = LakeWriter::open(
        lake,
        options.lake.clone(),
        checkpoint.as_deref(),
        counters.clone(),
    )
    .await?;
    writer.set_hook(options.hook.clone());
    let enrich_options = EnrichOptions {
        source_key: source.key(),
        ..options.enrich.clone()
    };
    let mut stage = Stage {
        enricher: Enricher::new(config, &enrich_options),
        source_name: name.clone(),
        counters: counters.clone(),
        pos: resume.clone(),
        oversize: None,
    };
    let reader: Box<dyn AsyncBufRead + Unpin + Send> = match source {
        SourceSpec::Stdin => Box::new(BufReader::with_capacity(1 << 20, tokio::io::stdin())),
        SourceSpec::File(path) => {
            let mut f = tokio::fs::File::open(path).await.map_err(io)?;
            f.seek(std::io::SeekFrom::Start(resume.offset))
                .await
                .map_err(io)?;
            Box::new(BufReader::with_capacity(1 << 20, f))
        }
        SourceSpec::Kinesis { stream, until_idle } => {
            let client = match &options.kinesis_client {
                Some(c) => c.clone(),
                None => crate::kinesis::client(&options.aws)
                    .await
                    .map_err(|e| RunError::Kinesis(format!("{name}: {e}")))?,
            };
            let stopped_at = crate::kinesis::pump(
                &mut stage,
                &mut writer,
                &client,
                stream,
                *until_idle,
                clock,
                shutdown,
            )
            .await
            .map_err(|e| match e {
                crate::kinesis::KinesisFailure::Api(m) => RunError::Kinesis(m),
                crate::kinesis::KinesisFailure::Lake(e) => RunError::Lake(e),
            })?;
            return Ok(RunSummary {
                resumed_at: resume,
                stopped_at,
                counters: counters.snapshot(),
            });
        }
    };
    let stopped_at = stage
        .pump(reader, &mut writer, clock, shutdown)
        .await
        .map_err(|e| match e {
            PumpError::Io(e) => io(e),
            PumpError::Lake(e) => RunError::Lake(e),
        })?;
    Ok(RunSummary {
        resumed_at: resume,
        stopped_at,
        counters: counters.snapshot(),
    })
}

enum PumpError {
    Io(std::io::Error),
    Lake(LakeError),
}

pub(crate) struct Stage {
    enricher: Enricher,
    source_name: String,
    counters: Arc<Counters>,
    /// Position after the last complete record handed to the writer.
    pub(crate) pos: SourcePos,
    /// Bytes of an over-long record seen so far, while skipping to its end.
    oversize: Option<u64>,
}

impl Stage {
    async fn pump(
        &mut self,
        mut reader: Box<dyn AsyncBufRead + Unpin + Send>,
        writer: &mut LakeWriter,
        clock: impl Fn() -> i64,
        shutdown: impl Future<Output = ()>,
    ) -> Result<SourcePos, PumpError> {
        let mut shutdown = std::pin::pin!(shutdown);
        // Bytes of a record split across buffer refills.
        let mut carry: Vec<u8> = Vec::new();
        loop {
            let deadline = writer.deadline();
            let chunk = tokio::select! {
                biased;
                () = &mut shutdown => break,
                r = reader.fill_buf() => r.map_err(PumpError::Io)?,
                () = sleep_until(deadline), if deadline.is_some() => {
                    writer.flush(&self.pos).await.map_err(PumpError::Lake)?;
                    continue;
                }
            };
            let (now, arrival_ms) = (Instant::now(), clock());
            if chunk.is_empty() {
                if let Some(bytes) = self.oversize.take() {
                    self.too_large(&carry, bytes, arrival_ms, now, writer);
                } else if !carry.is_empty() {
                    let record = std::mem::take(&mut carry);
                    self.one(&record, record.len() as u64, arrival_ms, now, writer);
                }
                break;
            }
            let len = chunk.len();
            let (mut start, mut full) = (0, false);
            if let Some(bytes) = self.oversize.as_mut() {
                let Some(nl) = memchr::memchr(b'\n', chunk) else {
                    *bytes += len as u64;
                    reader.consume(len);
                    continue;
                };
                let bytes = *bytes + nl as u64 + 1;
                self.oversize = None;
                self.too_large(&carry, bytes, arrival_ms, now, writer);
                carry.clear();
                start = nl + 1;
            }
            let chunk = &chunk[start..];
            let base = start;
            start = 0;
            for nl in memchr::memchr_iter(b'\n', chunk) {
                if carry.is_empty() {
                    self.one(
                        &chunk[start..nl],
                        (nl + 1 - start) as u64,
                        arrival_ms,
                        now,
                        writer,
                    );
                } else {
                    let carried = carry.len();
                    let consumed = (carried + nl + 1 - start) as u64;
                    if carried + nl - start > MAX_RECORD_BYTES {
                        carry.truncate(TOO_LARGE_KEEP);
                        self.too_large(&carry, consumed, arrival_ms, now, writer);
                        carry.clear();
                    } else {
                        carry.extend_from_slice(&chunk[start..nl]);
                        let record = std::mem::take(&mut carry);
                        self.one(&record, consumed, arrival_ms, now, writer);
                    }
                }
                start = nl + 1;
                if writer.is_full() {
                    // Flush now; the rest of the chunk stays in the reader's buffer.
                    full = true;
                    break;
                }
            }
            if full {
                reader.consume(base + start);
            } else {
                carry.extend_from_slice(&chunk[start..]);
                reader.consume(len);
                if carry.len() > MAX_RECORD_BYTES {
                    self.oversize = Some(carry.len() as u64);
                    carry.truncate(TOO_LARGE_KEEP);
                }
            }
            if full || writer.should_flush(now) {
                writer.flush(&self.pos).await.map_err(PumpError::Lake)?;
            }
        }
        writer.flush(&self.pos).await.map_err(PumpError::Lake)?;
        Ok(self.pos.clone())
    }

    /// Dead-letters an over-long record of `bytes` bytes (terminator included), of
    /// which `prefix` is kept.
    fn too_large(
        &mut self,
        prefix: &[u8],
        bytes: u64,
        arrival_ms: i64,
        now: Instant,
        writer: &mut LakeWriter,
    ) {
        let pos = Position {
            line: self.pos.line + 1,
            offset: self.pos.offset,
            arrival_ms,
        };
        self.pos.offset += bytes;
        self.pos.line = pos.line;
        let reason = Reason::TooLarge {
            bytes,
            limit: MAX_RECORD_BYTES,
        };
        self.counters.record(Err(&reason));
        writer.push_dead(
            &DeadLetter::new(&reason, &self.source_name, pos, prefix),
            now,
        );
    }

    /// Enriches one record of `consumed` source bytes (terminator included).
    fn one(
        &mut self,
        record: &[u8],
        consumed: u64,
        arrival_ms: i64,
        now: Instant,
        writer: &mut LakeWriter,
    ) {
        let pos = Position {
            line: self.pos.line + 1,
            offset: self.pos.offset,
            arrival_ms,
        };
        self.pos.offset += consumed;
        self.pos.line = pos.line;
        self.enrich_one(record, pos, now, writer);
    }

    /// Enriches one record at `pos` into the writer, or dead-letters it.
    pub(crate) fn enrich_one(
        &mut self,
        record: &[u8],
        pos: Position,
        now: Instant,
        writer: &mut LakeWriter,
    ) {
        if record.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
            self.counters.blank();
            return;
        }
        match self.enricher.enrich(record, pos) {
            Ok(event) => {
                writer.push(&event, record.len(), now);
                self.counters.record(Ok(()));
            }
            Err(reason) => {
                self.counters.record(Err(&reason));
                writer.push_dead(
                    &DeadLetter::new(&reason, &self.source_name, pos, record),
                    now,
                );
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}
