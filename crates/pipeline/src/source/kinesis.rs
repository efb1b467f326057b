//! `kinesis:STREAM[?until-idle=DURATION]`: every shard of a Kinesis stream, with a
//! checkpoint per shard.
//!
//! Shards come from `ListShards` (paged); each open or not-yet-finished shard gets an
//! iterator from `GetShardIterator`: `AFTER_SEQUENCE_NUMBER` of its committed
//! sequence number, or `TRIM_HORIZON` for a shard never read. `GetRecords` is polled
//! round-robin, one call per [`Source::fill`]. A shard whose `NextShardIterator` is
//! absent was closed by resharding and has been read to its end: once its last record
//! is handed over it is marked `closed` in the position and the shard list is fetched
//! again, which brings in its children. Parents and children are read side by side
//! (order across a reshard is not kept; every record is still read once).
//!
//! Each Kinesis record's data may hold several newline-separated raw records. The
//! position holds, per shard, the sequence number of the last record whose lines were
//! all handed over, so a restart resumes exactly after what was committed.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::ShardIteratorType;

use super::{Fill, Item, Source, SourceContext, SourceEndpoint, SourceError};
use crate::endpoint::aws::{self, Retries};
use crate::endpoint::{Form, Options, ServiceError, Written, duration};
use crate::enrich::Position;
use crate::hash::{FNV_OFFSET, fnv1a};
use crate::lake::SourcePos;

pub const FORM: Form = Form {
    scheme: "kinesis",
    form: "kinesis:STREAM[?until-idle=DURATION]",
    about: "every shard of a Kinesis stream (resumable: a sequence number per shard)",
};

/// How long to wait before polling again when no shard returned anything.
const IDLE_POLL: Duration = Duration::from_millis(200);
/// Most records one `GetRecords` call returns.
const GET_LIMIT: i32 = 10_000;

/// A Kinesis stream, all shards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KinesisSpec {
    pub stream: String,
    /// Stop once no shard has returned a record for this long (batch use, tests);
    /// `None` reads until shutdown.
    pub until_idle: Option<Duration>,
}

impl KinesisSpec {
    pub fn parse(rest: &str) -> Result<Self, String> {
        let (stream, query) = rest.split_once('?').unwrap_or((rest, ""));
        if stream.is_empty() {
            return Err("no stream name; expected kinesis:STREAM".to_owned());
        }
        aws::check_stream_name(stream, 128)?;
        let mut o = Options::parse(query)?;
        let until_idle = o.duration("until-idle", Duration::from_millis(1)..=duration::MAX)?;
        o.finish(&["until-idle"])?;
        Ok(Self {
            stream: stream.to_owned(),
            until_idle,
        })
    }
}

impl fmt::Display for KinesisSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = Written::default();
        if let Some(idle) = self.until_idle {
            w.add("until-idle", duration::Shown(idle));
        }
        write!(f, "kinesis:{}{w}", self.stream)
    }
}

#[async_trait::async_trait]
impl SourceEndpoint for KinesisSpec {
    async fn open(&self, cx: &SourceContext) -> Result<Box<dyn Source>, SourceError> {
        let sdk = aws::load_for_client(&cx.aws, Retries::Sdk)
            .await
            .map_err(|error| SourceError::Aws {
                source_name: self.to_string(),
                error,
            })?;
        Ok(Box::new(KinesisSource {
            name: self.to_string(),
            client: Client::new(&sdk),
            spec: self.clone(),
            pos: cx.resume.clone(),
            iterators: BTreeMap::new(),
            relist: true,
            round: VecDeque::new(),
            got_in_round: false,
            last_data: Instant::now(),
            pending: VecDeque::new(),
        }))
    }

    fn checkpoint_name(&self) -> Option<String> {
        Some(format!("kinesis-{}", self.stream))
    }
}

/// A record fetched and not yet wholly handed over.
struct Fetched {
    shard: String,
    sequence: String,
    arrival_ms: Option<i64>,
    data: Blob,
    /// Lines of `data` already handed over.
    lines_done: usize,
    /// The last record of a closed shard's last batch: the shard is done after it.
    closes_shard: bool,
}

struct KinesisSource {
    name: String,
    client: Client,
    spec: KinesisSpec,
    pos: SourcePos,
    /// Open iterators by shard id.
    iterators: BTreeMap<String, String>,
    relist: bool,
    /// Shards still to poll in this round.
    round: VecDeque<String>,
    got_in_round: bool,
    last_data: Instant,
    pending: VecDeque<Fetched>,
}

impl KinesisSource {
    fn service(&self, call: String, error: ServiceError) -> SourceError {
        SourceError::Service {
            source_name: self.name.clone(),
            call,
            error,
        }
    }

    /// Opens an iterator for every shard not yet read to its end.
    async fn relist(&mut self) -> Result<(), SourceError> {
        let shards = list_shards(&self.client, &self.spec.stream)
            .await
            .map_err(|e| self.service("ListShards".into(), e))?;
        for shard in shards {
            let pos = self.pos.shards.get(&shard).cloned().unwrap_or_default();
            if pos.closed || self.iterators.contains_key(&shard) {
                continue;
            }
            let it = shard_iterator(
                &self.client,
                &self.spec.stream,
                &shard,
                pos.sequence.as_deref(),
            )
            .await
            .map_err(|e| self.service(format!("GetShardIterator {shard}"), e))?;
            self.iterators.insert(shard, it);
        }
        self.relist = false;
        Ok(())
    }

    /// One `GetRecords` call on `shard`: its records join `pending`.
    async fn get(&mut self, shard: String) -> Result<(), SourceError> {
        let Some(it) = self.iterators.get(&shard).cloned() else {
            return Ok(());
        };
        let out = match self
            .client
            .get_records()
            .shard_iterator(it)
            .limit(GET_LIMIT)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) => {
                let se = e.as_service_error();
                if se.is_some_and(|s| s.is_expired_iterator_exception()) {
                    let seq = self.pos.shards.get(&shard).and_then(|p| p.sequence.clone());
                    let it =
                        shard_iterator(&self.client, &self.spec.stream, &shard, seq.as_deref())
                            .await
                            .map_err(|e| self.service(format!("GetShardIterator {shard}"), e))?;
                    self.iterators.insert(shard, it);
                    return Ok(());
                }
                if se.is_some_and(|s| s.is_provisioned_throughput_exceeded_exception()) {
                    tracing::debug!(%shard, "kinesis: throttled; backing off");
                    tokio::time::sleep(IDLE_POLL).await;
                    return Ok(());
                }
                return Err(self.service(format!("GetRecords {shard}"), ServiceError::aws(e)));
            }
        };
        let closed = out.next_shard_iterator().is_none();
        let records = out.records;
        let n = records.len();
        for (i, r) in records.into_iter().enumerate() {
            self.pending.push_back(Fetched {
                shard: shard.clone(),
                arrival_ms: r
                    .approximate_arrival_timestamp
                    .and_then(|t| t.to_millis().ok()),
                sequence: r.sequence_number,
                data: r.data,
                lines_done: 0,
                closes_shard: closed && i + 1 == n,
            });
        }
        if n > 0 {
            self.got_in_round = true;
        }
        match out.next_shard_iterator {
            Some(next) => {
                self.iterators.insert(shard, next);
            }
            None => {
                tracing::info!(%shard, "kinesis: shard closed and read to its end");
                self.iterators.remove(&shard);
                self.relist = true;
                if n == 0 {
                    // Nothing of this shard is pending (fill only calls when nothing is).
                    self.pos.shards.entry(shard).or_default().closed = true;
                }
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Source for KinesisSource {
    async fn fill(&mut self) -> Result<Fill, SourceError> {
        loop {
            if !self.pending.is_empty() {
                return Ok(Fill::Ready);
            }
            if self.relist {
                self.relist().await?;
            }
            if self.round.is_empty() {
                if std::mem::take(&mut self.got_in_round) {
                    self.last_data = Instant::now();
                } else {
                    if self
                        .spec
                        .until_idle
                        .is_some_and(|idle| self.last_data.elapsed() >= idle)
                    {
                        return Ok(Fill::End);
                    }
                    tokio::time::sleep(IDLE_POLL).await;
                }
                self.round = self.iterators.keys().cloned().collect();
                continue;
            }
            if let Some(shard) = self.round.pop_front() {
                self.get(shard).await?;
            }
        }
    }

    fn drain(
        &mut self,
        arrival_ms: i64,
        emit: &mut dyn FnMut(Item<'_>, Position) -> ControlFlow<()>,
    ) {
        while let Some(rec) = self.pending.front_mut() {
            // Stable across restarts: feeds derived event ids and dead letters.
            let base = fnv1a(
                fnv1a(FNV_OFFSET, rec.shard.as_bytes()),
                rec.sequence.as_bytes(),
            );
            let data = rec.data.as_ref();
            let data = data.strip_suffix(b"\n").unwrap_or(data);
            let lines = data.split(|&b| b == b'\n').count();
            let mut flow = ControlFlow::Continue(());
            for (i, line) in data.split(|&b| b == b'\n').enumerate().skip(rec.lines_done) {
                self.pos.line += 1;
                let pos = Position {
                    line: self.pos.line,
                    offset: base.wrapping_add(i as u64),
                    arrival_ms: rec.arrival_ms.unwrap_or(arrival_ms),
                };
                rec.lines_done = i + 1;
                flow = emit(Item::Record(line), pos);
                if flow.is_break() {
                    break;
                }
            }
            if rec.lines_done == lines {
                let shard = self.pos.shards.entry(rec.shard.clone()).or_default();
                shard.sequence = Some(rec.sequence.clone());
                shard.closed |= rec.closes_shard;
                self.pending.pop_front();
            }
            if flow.is_break() {
                return;
            }
        }
    }

    fn position(&self) -> &SourcePos {
        &self.pos
    }
}

/// Every shard id of the stream (all pages).
async fn list_shards(client: &Client, stream: &str) -> Result<Vec<String>, ServiceError> {
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let req = match &token {
            Some(t) => client.list_shards().next_token(t),
            None => client.list_shards().stream_name(stream),
        };
        let out = req.send().await.map_err(ServiceError::aws)?;
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
) -> Result<String, ServiceError> {
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
    let out = req.send().await.map_err(ServiceError::aws)?;
    out.shard_iterator()
        .map(str::to_owned)
        .ok_or_else(|| ServiceError::new("no shard iterator in the answer"))
}
