//! `csgen enrich`: the one loop that runs any source into the lake.
//!
//! The driver owns what every source shares: opening the lake writer and resuming the
//! source from the checkpoint, enriching each record ([`EnrichStep`]), flushing on size
//! (the writer is full), age (the oldest buffered record's deadline) and request (a
//! source about to give up a partition), the commit of the source position with each
//! flush, shutdown, and the final flush. Sources only read ([`Source`]).
//!
//! A source's `fill` waits together with the age deadline and the shutdown signal, so
//! a quiet source still flushes on time and Ctrl-C commits what is buffered.

use std::future::Future;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Instant;

use csgen_model::StoreConfig;

use crate::counters::{Counters, CountersSnapshot};
use crate::endpoint::aws::AwsSettings;
use crate::endpoint::kafka::KafkaSettings;
use crate::enrich::EnrichOptions;
use crate::lake::{Checkpoint, FlushHook, LakeError, LakeOptions, LakeWriter, SourcePos, Store};
use crate::source::{Fill, Source, SourceContext, SourceError, SourceSpec};
use crate::step::EnrichStep;

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Lake(#[from] LakeError),
}

/// Settings of one run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub enrich: EnrichOptions,
    pub lake: LakeOptions,
    /// Keep a checkpoint for resumable sources (files, streams): on by default.
    pub no_checkpoint: bool,
    /// Called at each step of every flush (tests).
    pub hook: Option<FlushHook>,
    /// AWS settings of AWS sources (endpoint override); the standard chain otherwise.
    pub aws: AwsSettings,
    /// librdkafka properties of Kafka sources (`--kafka-config`, `CSGEN_KAFKA_*`).
    pub kafka: KafkaSettings,
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
    if let SourceSpec::Kafka(spec) = source {
        // A lane (writer + checkpoint) per partition: see `source/kafka/lanes.rs`.
        return crate::source::kafka::run(spec, lake, config, options, counters, clock, shutdown)
            .await;
    }
    let checkpoint = if options.no_checkpoint {
        None
    } else {
        source.checkpoint_name()
    };
    let checkpoint_at = checkpoint
        .as_deref()
        .map(|name| format!("{}/{}", lake.describe(), Checkpoint::path(name)));
    let (mut writer, resume) = LakeWriter::open(
        lake,
        options.lake.clone(),
        checkpoint.as_deref(),
        counters.clone(),
    )
    .await?;
    writer.set_hook(options.hook.clone());
    // When asked for and a second core exists, a flush encodes there while the next
    // buffer is read.
    writer.set_flush_behind(
        options.lake.flush_behind
            && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1),
    );
    let enrich = EnrichOptions {
        source_key: source.key(),
        ..options.enrich.clone()
    };
    let mut step = EnrichStep::new(config, &enrich, source.to_string(), counters.clone());
    let cx = SourceContext {
        aws: options.aws.clone(),
        resume: resume.clone(),
        checkpoint: checkpoint_at,
    };
    let driven = async {
        let mut src = source.open(&cx).await?;
        drive(&mut *src, &mut step, &mut writer, clock, shutdown).await?;
        Ok::<_, RunError>(src.position().clone())
    }
    .await;
    // Also after an error: an S3 lease left behind would refuse the next run until
    // it expires.
    writer.release().await;
    Ok(RunSummary {
        resumed_at: resume,
        stopped_at: driven?,
        counters: counters.snapshot(),
    })
}

/// Reads `src` into `writer` through `step` until the source ends or `shutdown`
/// resolves, then commits what is buffered. With flushes behind on (see
/// [`LakeWriter::set_flush_behind`]), a full buffer is encoded on another thread while
/// the next is read, and committed as soon as it is encoded.
pub async fn drive(
    src: &mut dyn Source,
    step: &mut EnrichStep,
    writer: &mut LakeWriter,
    clock: impl Fn() -> i64,
    shutdown: impl Future<Output = ()>,
) -> Result<(), RunError> {
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let deadline = writer.deadline();
        let fill = tokio::select! {
            biased;
            () = &mut shutdown => break,
            encoded = writer.encoded(), if writer.is_encoding() => {
                encoded?;
                finish_in_flight(src, writer).await?;
                continue;
            }
            fill = src.fill() => fill?,
            () = sleep_until(deadline), if deadline.is_some() => {
                commit(src, writer).await?;
                continue;
            }
        };
        let mut full = false;
        match fill {
            Fill::End => break,
            Fill::Ready => {
                let (now, arrival_ms) = (Instant::now(), clock());
                src.drain(arrival_ms, &mut |item, pos| {
                    step.push(item, pos, now, writer);
                    full = writer.is_full() || writer.wants_flush_behind();
                    if full {
                        // Flush now; the rest stays in the source for the next drain.
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                });
                if full && writer.wants_flush_behind() {
                    let (pos, before) = (src.position().clone(), writer.committed().clone());
                    writer.flush_behind(&pos).await?;
                    if *writer.committed() != before {
                        src.committed(&writer.committed().clone()).await?;
                    }
                } else if full || writer.should_flush(now) {
                    commit(src, writer).await?;
                }
            }
            Fill::Commit => commit(src, writer).await?,
        }
    }
    commit(src, writer).await
}

/// Commits what is buffered with the source's position, then tells the source.
async fn commit(src: &mut dyn Source, writer: &mut LakeWriter) -> Result<(), RunError> {
    let pos = src.position().clone();
    writer.flush(&pos).await?;
    src.committed(&pos).await?;
    Ok(())
}

/// Commits the flush encoded behind, then tells the source.
async fn finish_in_flight(src: &mut dyn Source, writer: &mut LakeWriter) -> Result<(), RunError> {
    writer.finish_in_flight().await?;
    let pos = writer.committed().clone();
    src.committed(&pos).await?;
    Ok(())
}

pub(crate) async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}
