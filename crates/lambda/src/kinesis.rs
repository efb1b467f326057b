//! The Kinesis handler: an event source mapping's batch into the lake.
//!
//! Each record's data may hold several newline-separated raw records, of any shape
//! `csgen enrich` reads; each is enriched exactly as `csgen enrich --from
//! kinesis:STREAM` would (the same derived event ids for records without one, the
//! same arrival time — the record's approximate arrival — for records without `ts`,
//! the same dead-letter offsets). A shard's events become one Parquet file per
//! event-time hour, `events/dt=…/hour=…/part-{stream}-{shard}-{first}-{last}.parquet`,
//! and its dead letters one `dead_letters/part-{stream}-{shard}-{first}-{last}.jsonl`,
//! named by the first and last sequence number of the records each file holds; they
//! are written with the [`crate::intent`] protocol.
//!
//! Failures, and what Lambda is told:
//! - a record enrich cannot read is a dead letter (with its reason): retrying cannot
//!   change it, so it is not an item failure and never blocks its shard;
//! - a write that fails (S3 throttling, a dropped connection, a missing permission)
//!   is reported with `ReportBatchItemFailures` at the shard's first record of the
//!   batch, so that Lambda retries the shard's records from there (and bisects, if the
//!   mapping says so); the intent protocol makes the retry exact;
//! - an event that is not a Kinesis batch (a record without a shard, stream or valid
//!   sequence number) fails the invocation with a message naming the record.
//!
//! Sessions of records without `session_id` are derived within the batch only (a
//! fresh enricher per batch), so a retried batch yields the same rows.

use std::collections::BTreeMap;

use aws_lambda_events::event::kinesis::{KinesisEvent, KinesisEventRecord};
use aws_lambda_events::event::streams::KinesisEventResponse;
use bytes::Bytes;
use csgen_model::StoreConfig;
use csgen_pipeline::dead_letter::DeadLetter;
use csgen_pipeline::hash::{FNV_OFFSET, fnv1a};
use csgen_pipeline::lake::{BatchFiles, Store};
use csgen_pipeline::source::{MAX_RECORD_BYTES, TOO_LARGE_KEEP};
use csgen_pipeline::{
    EnrichOptions, Enricher, EventWindow, LakeError, LakeOptions, Position, Reason,
};

use crate::intent::{self, CommitError};
use crate::seq::{Origin, SeqNo};
use crate::settings::Settings;

/// The Kinesis handler's state across invocations: the lake and the store config.
pub struct KinesisFunction {
    store: Store,
    config: StoreConfig,
    lake: LakeOptions,
}

/// An event that is not an event source mapping's Kinesis batch.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("record {index} of the batch: {reason}")]
    Record { index: usize, reason: String },
    #[error("the function has no lake (CSGEN_LAKE)")]
    NoLake,
    #[error(transparent)]
    Lake(#[from] LakeError),
}

/// One shard's records of a batch, as the files to write.
#[derive(Debug)]
pub struct Plan {
    pub origin: Origin,
    /// The first and last sequence number of the shard's records in the batch.
    pub first: SeqNo,
    pub last: SeqNo,
    /// (path relative to the lake root, bytes): the Parquet files, then dead letters.
    pub files: Vec<(String, Bytes)>,
    pub events: u64,
    pub dead_letters: u64,
    pub blank: u64,
}

impl KinesisFunction {
    /// Opens the lake `settings` name (S3 through the standard AWS chain).
    pub async fn open(settings: &Settings) -> Result<Self, BatchError> {
        let spec = settings.lake.as_ref().ok_or(BatchError::NoLake)?;
        let store = spec.open(&Default::default()).await?;
        Ok(Self::with_store(store, settings))
    }

    /// A function writing to `store` (tests and the bench give a local folder).
    pub fn with_store(store: Store, settings: &Settings) -> Self {
        Self {
            store,
            config: settings.store.clone(),
            lake: LakeOptions {
                compression: settings.compression,
                ..LakeOptions::default()
            },
        }
    }

    /// Handles one batch: every shard's records into the lake; the shards whose write
    /// failed are reported for a retry from their first record.
    pub async fn handle(&self, event: KinesisEvent) -> Result<KinesisEventResponse, BatchError> {
        let mut response = KinesisEventResponse::default();
        for (origin, records) in by_shard(&event.records)? {
            let Some(plan) = plan(&origin, &records, &self.config, &self.lake)? else {
                continue;
            };
            let first = plan.first.to_string();
            if let Err(error) = self.commit(plan).await {
                tracing::warn!(stream = %origin.stream, shard = %origin.shard,
                    retry_from = %first, error = %error,
                    "lambda: writing the batch failed; reported for a retry");
                response.add_failure(first);
            }
        }
        Ok(response)
    }

    async fn commit(&self, plan: Plan) -> Result<(), CommitError> {
        let (events, dead, blank) = (plan.events, plan.dead_letters, plan.blank);
        let report = intent::commit(
            &self.store,
            &plan.origin,
            &plan.first,
            &plan.last,
            plan.files,
        )
        .await?;
        tracing::info!(stream = %plan.origin.stream, shard = %plan.origin.shard,
            first = %plan.first, last = %plan.last, events, dead_letters = dead, blank,
            files = report.files, bytes = report.bytes, "lambda: batch committed");
        Ok(())
    }
}

/// A record with its checked sequence number.
pub type Sequenced<'a> = (SeqNo, &'a KinesisEventRecord);

/// The batch's records by stream and shard (an event source mapping sends one shard a
/// batch; more are handled alike), each shard's in sequence order.
pub fn by_shard(
    records: &[KinesisEventRecord],
) -> Result<BTreeMap<Origin, Vec<Sequenced<'_>>>, BatchError> {
    let mut out: BTreeMap<Origin, Vec<Sequenced<'_>>> = BTreeMap::new();
    for (index, r) in records.iter().enumerate() {
        let bad = |reason: String| BatchError::Record { index, reason };
        let origin =
            Origin::parse(r.event_source_arn.as_deref(), r.event_id.as_deref()).map_err(bad)?;
        let seq = SeqNo::parse(&r.kinesis.sequence_number).map_err(bad)?;
        out.entry(origin).or_default().push((seq, r));
    }
    for records in out.values_mut() {
        records.sort_by(|a, b| a.0.cmp(&b.0));
    }
    Ok(out)
}

/// Enriches one shard's records (in sequence order) into the files to write; `None`
/// for no records. No I/O.
pub fn plan(
    origin: &Origin,
    records: &[Sequenced<'_>],
    config: &StoreConfig,
    lake: &LakeOptions,
) -> Result<Option<Plan>, LakeError> {
    let (Some((first, _)), Some((last, _))) = (records.first(), records.last()) else {
        return Ok(None);
    };
    let mut enricher = Enricher::new(
        config,
        &EnrichOptions {
            source_key: origin.source_key(),
            window: EventWindow::RECOMMENDED,
            ..EnrichOptions::default()
        },
    );
    let source_name = origin.source_name();
    let mut batch = BatchFiles::new(lake);
    let (mut dead, mut dead_range) = (Vec::new(), None::<(usize, usize)>);
    let (mut events, mut dead_letters, mut blank, mut line_no) = (0, 0, 0, 0);
    for (index, (seq, record)) in records.iter().enumerate() {
        let base = fnv1a(
            fnv1a(FNV_OFFSET, origin.shard.as_bytes()),
            seq.as_str().as_bytes(),
        );
        let arrival_ms = record
            .kinesis
            .approximate_arrival_timestamp
            .0
            .timestamp_millis();
        let data = record.kinesis.data.0.as_slice();
        let data = data.strip_suffix(b"\n").unwrap_or(data);
        for (i, line) in data.split(|&b| b == b'\n').enumerate() {
            line_no += 1;
            if line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r')) {
                blank += 1;
                continue;
            }
            let pos = Position {
                line: line_no,
                offset: base.wrapping_add(i as u64),
                arrival_ms,
            };
            let (raw, reason) = if line.len() > MAX_RECORD_BYTES {
                let reason = Reason::TooLarge {
                    bytes: line.len() as u64,
                    limit: MAX_RECORD_BYTES,
                };
                (&line[..TOO_LARGE_KEEP], reason)
            } else {
                match enricher.enrich(line, pos) {
                    Ok(event) => {
                        batch.push(&event, index);
                        events += 1;
                        continue;
                    }
                    Err(reason) => (line, reason),
                }
            };
            DeadLetter::new(&reason, &source_name, pos, raw).write_line(&mut dead);
            dead_letters += 1;
            dead_range = Some((dead_range.map_or(index, |(a, _)| a), index));
        }
    }
    let seq = |i: usize| records[i].0.clone();
    let mut files = Vec::with_capacity(batch.partitions() + 1);
    for f in batch.encode()? {
        let stem = origin.file_stem(&seq(f.records.first), &seq(f.records.last));
        files.push((f.path(&format!("{stem}.parquet")), f.bytes));
    }
    if let Some((a, b)) = dead_range {
        let stem = origin.file_stem(&seq(a), &seq(b));
        files.push((format!("dead_letters/{stem}.jsonl"), Bytes::from(dead)));
    }
    Ok(Some(Plan {
        origin: origin.clone(),
        first: first.clone(),
        last: last.clone(),
        files,
        events,
        dead_letters,
        blank,
    }))
}
