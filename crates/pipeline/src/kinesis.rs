//! The Kinesis source: every shard of a stream, with a checkpoint per shard.
//!
//! Shards come from `ListShards` (paged); each open or not-yet-finished shard gets an
//! iterator from `GetShardIterator`: `AFTER_SEQUENCE_NUMBER` of its committed
//! sequence number, or `TRIM_HORIZON` for a shard never read. `GetRecords` is polled
//! round-robin. A shard whose `NextShardIterator` is absent was closed by resharding
//! and has been read to its end: it is marked `closed` in the position and the shard
//! list is fetched again, which brings in its children. Parents and children are read
//! side by side (order across a reshard is not kept; every record is still read once).
//!
//! Each Kinesis record's data may hold several newline-separated raw records. The
//! position handed to the lake at a flush holds, per shard, the sequence number of
//! the last record whose lines were all pushed, so a restart resumes exactly after
//! what was committed.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::timeout::TimeoutConfig;
use aws_sdk_kinesis::error::DisplayErrorContext;
use aws_sdk_kinesis::types::ShardIteratorType;

use crate::enrich::Position;
use crate::lake::{LakeError, LakeWriter, SourcePos};
use crate::run::Stage;
use crate::source::fnv;

/// How long to wait before polling again when no shard returned anything.
const IDLE_POLL: Duration = Duration::from_millis(200);
/// Most records one `GetRecords` call returns.
const GET_LIMIT: i32 = 10_000;

/// Why the Kinesis source stopped early.
#[derive(Debug)]
pub(crate) enum KinesisFailure {
    Api(String),
    Lake(LakeError),
}

/// Connects to Kinesis with the standard AWS settings and `build`'s endpoint.
pub(crate) async fn client(build: &csgen_sinks::BuildOptions) -> Result<Client, String> {
    let sdk = csgen_sinks::load_aws_config(build).await?;
    let config = aws_sdk_kinesis::config::Builder::from(&sdk)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_attempt_timeout(Duration::from_secs(10))
                .build(),
        )
        .build();
    Ok(Client::from_conf(config))
}

/// Reads `stream` into `writer` until `shutdown` fires or, with `until_idle`, until no
/// shard has returned a record for that long. Returns the last committed position.
pub(crate) async fn pump(
    stage: &mut Stage,
    writer: &mut LakeWriter,
    client: &Client,
    stream: &str,
    until_idle: Option<Duration>,
    clock: impl Fn() -> i64,
    shutdown: impl Future<Output = ()>,
) -> Result<SourcePos, KinesisFailure> {
    let mut shutdown = std::pin::pin!(shutdown);
    let api = |what: &str, e: &dyn std::fmt::Display| {
        KinesisFailure::Api(format!("kinesis:{stream}: {what}: {e}"))
    };
    // Open iterators by shard id.
    let mut iterators: BTreeMap<String, String> = BTreeMap::new();
    let mut relist = true;
    let mut last_data = Instant::now();
    loop {
        if relist {
            for shard in list_shards(client, stream)
                .await
                .map_err(|e| api("ListShards", &e))?
            {
                let pos = stage.pos.shards.get(&shard).cloned().unwrap_or_default();
                if pos.closed || iterators.contains_key(&shard) {
                    continue;
                }
                let it = shard_iterator(client, stream, &shard, pos.sequence.as_deref())
                    .await
                    .map_err(|e| api(&format!("GetShardIterator {shard}"), &e))?;
                iterators.insert(shard, it);
            }
            relist = false;
        }
        let mut got = false;
        let ids: Vec<String> = iterators.keys().cloned().collect();
        for shard in ids {
            let it = iterators[&shard].clone();
            let call = client
                .get_records()
                .shard_iterator(it)
                .limit(GET_LIMIT)
                .send();
            let out = tokio::select! {
                biased;
                () = &mut shutdown => return finish(stage, writer).await,
                r = call => r,
            };
            let out = match out {
                Ok(out) => out,
                Err(e) => {
                    let se = e.as_service_error();
                    if se.is_some_and(|s| s.is_expired_iterator_exception()) {
                        let seq = stage
                            .pos
                            .shards
                            .get(&shard)
                            .and_then(|p| p.sequence.clone());
                        let it = shard_iterator(client, stream, &shard, seq.as_deref())
                            .await
                            .map_err(|e| api(&format!("GetShardIterator {shard}"), &e))?;
                        iterators.insert(shard, it);
                        continue;
                    }
                    if se.is_some_and(|s| s.is_provisioned_throughput_exceeded_exception()) {
                        tracing::debug!(%shard, "kinesis: throttled; backing off");
                        tokio::time::sleep(IDLE_POLL).await;
                        continue;
                    }
                    return Err(api(
                        &format!("GetRecords {shard}"),
                        &DisplayErrorContext(&e),
                    ));
                }
            };
            let (now, wall) = (Instant::now(), clock());
            for record in out.records() {
                got = true;
                let seq = record.sequence_number();
                let arrival_ms = record
                    .approximate_arrival_timestamp()
                    .and_then(|t| t.to_millis().ok())
                    .unwrap_or(wall);
                // Stable across restarts: feeds derived event ids and dead letters.
                let base = fnv(fnv(0xcbf2_9ce4_8422_2325, shard.as_bytes()), seq.as_bytes());
                let data = record.data().as_ref();
                let data = data.strip_suffix(b"\n").unwrap_or(data);
                for (i, line) in data.split(|&b| b == b'\n').enumerate() {
                    stage.pos.line += 1;
                    let pos = Position {
                        line: stage.pos.line,
                        offset: base.wrapping_add(i as u64),
                        arrival_ms,
                    };
                    stage.enrich_one(line, pos, now, writer);
                }
                stage.pos.shards.entry(shard.clone()).or_default().sequence = Some(seq.to_owned());
            }
            match out.next_shard_iterator() {
                Some(next) => {
                    iterators.insert(shard, next.to_owned());
                }
                None => {
                    tracing::info!(%shard, "kinesis: shard closed and read to its end");
                    stage.pos.shards.entry(shard.clone()).or_default().closed = true;
                    iterators.remove(&shard);
                    relist = true;
                }
            }
            if writer.is_full() || writer.should_flush(now) {
                writer
                    .flush(&stage.pos)
                    .await
                    .map_err(KinesisFailure::Lake)?;
            }
        }
        if got {
            last_data = Instant::now();
            continue;
        }
        if until_idle.is_some_and(|idle| last_data.elapsed() >= idle) {
            break;
        }
        if writer.deadline().is_some_and(|d| d <= Instant::now()) {
            writer
                .flush(&stage.pos)
                .await
                .map_err(KinesisFailure::Lake)?;
        }
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            () = tokio::time::sleep(IDLE_POLL) => {}
        }
    }
    finish(stage, writer).await
}

async fn finish(stage: &mut Stage, writer: &mut LakeWriter) -> Result<SourcePos, KinesisFailure> {
    writer
        .flush(&stage.pos)
        .await
        .map_err(KinesisFailure::Lake)?;
    Ok(stage.pos.clone())
}

/// Every shard id of the stream (all pages).
async fn list_shards(client: &Client, stream: &str) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let req = match &token {
            Some(t) => client.list_shards().next_token(t),
            None => client.list_shards().stream_name(stream),
        };
        let out = req
            .send()
            .await
            .map_err(|e| DisplayErrorContext(&e).to_string())?;
        ids.extend(out.shards().iter().map(|s| s.shard_id().to_owned()));
        token = out.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(ids);
        }
    }
}

/// An iterator after `sequence`, or at the oldest record without one.
async fn shard_iterator(
    client: &Client,
    stream: &str,
    shard: &str,
    sequence: Option<&str>,
) -> Result<String, String> {
    let req = client
        .get_shard_iterator()
        .stream_name(stream)
        .shard_id(shard);
    let req = match sequence {
        Some(seq) => req
            .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
            .starting_sequence_number(seq),
        None => req.shard_iterator_type(ShardIteratorType::TrimHorizon),
    };
    let out = req
        .send()
        .await
        .map_err(|e| DisplayErrorContext(&e).to_string())?;
    out.shard_iterator()
        .map(str::to_owned)
        .ok_or_else(|| "no shard iterator in the answer".to_owned())
}
