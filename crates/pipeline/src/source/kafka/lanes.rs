//! The consumer group's loop: one lane (lake writer + checkpoint) per held partition.
//!
//! The loop waits on four things at once: shutdown, a rebalance from the client's
//! callback, the oldest buffered record's age deadline, and the next message. A message
//! goes through the shared enrich step into its partition's writer; the lane's
//! position is the offset after it. Flushes commit every lane (size: the lanes' buffers
//! together reach `max_buffer_bytes`; age: the earliest deadline), each lane's
//! checkpoint first, then the offsets to Kafka. A revoked partition is committed before
//! it is given up; a lost one is dropped uncommitted (its next holder rereads it from
//! the lake's offset); a gained one resumes at the lake's offset.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use csgen_model::StoreConfig;
use rdkafka::Offset;
use rdkafka::consumer::{CommitMode, Consumer, RebalanceProtocol};
use rdkafka::message::Message;
use rdkafka::topic_partition_list::TopicPartitionList;

use super::KafkaSourceSpec;
use super::consumer::{self, GroupConsumer, Rebalance};
use crate::counters::Counters;
use crate::driver::{RunError, RunOptions, RunSummary, sleep_until};
use crate::endpoint::ServiceError;
use crate::enrich::{EnrichOptions, Position};
use crate::hash::{FNV_OFFSET, fnv1a};
use crate::lake::{LEASE, LakeError, LakeOptions, LakeWriter, ShardPos, SourcePos, Store};
use crate::source::{Item, MAX_RECORD_BYTES, SourceError, TOO_LARGE_KEEP};
use crate::step::EnrichStep;

/// With `until-idle`, how long a member waits at most for its first assignment.
const JOIN_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// How long past an S3 lease a gained partition's lock is waited for.
const LOCK_SLACK: std::time::Duration = std::time::Duration::from_secs(10);
/// How often a held lock is tried again.
const LOCK_POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// One held partition.
struct Lane {
    writer: LakeWriter,
    /// `offset`: the next Kafka offset to read (after the last record handed to the
    /// writer); `line`: records read from this partition, all runs together.
    pos: SourcePos,
    /// The offset last committed to Kafka (lag tools).
    told_kafka: u64,
}

struct Group<'a> {
    spec: &'a KafkaSourceSpec,
    consumer: Arc<GroupConsumer>,
    store: Store,
    lake: LakeOptions,
    options: &'a RunOptions,
    counters: Arc<Counters>,
    lanes: BTreeMap<i32, Lane>,
    /// Where each partition started in this run, and where it was last committed.
    resumed: BTreeMap<i32, u64>,
    stopped: BTreeMap<i32, u64>,
    /// Offset commits to Kafka that failed (only lag tools see those offsets).
    commit_failures: u64,
}

/// Reads the consumer group `spec` into `lake` until shutdown (or `until-idle`).
pub async fn run(
    spec: &KafkaSourceSpec,
    lake: Store,
    config: &StoreConfig,
    options: &RunOptions,
    counters: Arc<Counters>,
    clock: impl Fn() -> i64,
    shutdown: impl Future<Output = ()>,
) -> Result<RunSummary, RunError> {
    let name = spec.to_string();
    let service = |call: &str, error: ServiceError| SourceError::Service {
        source_name: name.clone(),
        call: call.to_owned(),
        error,
    };
    let (consumer, mut rebalances) =
        consumer::create(spec, &options.kafka).map_err(|e| service("create", e))?;
    consumer::check_topic(&consumer, spec)
        .await
        .map_err(|e| service("metadata", e))?;
    consumer
        .subscribe(&[&spec.address.topic])
        .map_err(|e| service("subscribe", ServiceError::caused_by("subscribe failed", e)))?;
    let enrich = EnrichOptions {
        source_key: crate::source::SourceSpec::Kafka(spec.clone()).key(),
        ..options.enrich.clone()
    };
    let mut step = EnrichStep::new(config, &enrich, name.clone(), counters.clone());
    let mut g = Group {
        spec,
        consumer: consumer.clone(),
        store: lake,
        lake: options.lake.clone(),
        options,
        counters: counters.clone(),
        lanes: BTreeMap::new(),
        resumed: BTreeMap::new(),
        stopped: BTreeMap::new(),
        commit_failures: 0,
    };
    let result = async {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut last_data = Instant::now();
        let mut joined = false;
        loop {
            let deadline = g.lanes.values().filter_map(|l| l.writer.deadline()).min();
            // Idle time counts once the group has assigned (joining can take the
            // session timeout), with a bound on the wait for that first assignment.
            let idle_end = spec.until_idle.map(|d| {
                if joined {
                    last_data + d
                } else {
                    last_data + d.max(JOIN_WAIT)
                }
            });
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                Some(event) = rebalances.recv() => {
                    g.rebalance(event).await?;
                    last_data = Instant::now();
                    joined = true;
                }
                () = sleep_until(deadline), if deadline.is_some() => g.commit_all().await?,
                () = sleep_until(idle_end), if idle_end.is_some() => break,
                msg = consumer.recv() => match msg {
                    Ok(msg) => {
                        let now = Instant::now();
                        if g.push(&msg, &mut step, now, &clock) {
                            last_data = now;
                        }
                        if g.should_flush(now) {
                            g.commit_all().await?;
                        }
                    }
                    Err(e) => {
                        if let Some(fatal) = consumer.context().events.fatal() {
                            return Err(service("consume", ServiceError::new(fatal)).into());
                        }
                        tracing::debug!(source = %name, error = %e, "kafka: consumer error (librdkafka retries)");
                    }
                },
            }
        }
        // The last offsets reach Kafka before the member leaves the group.
        let held: Vec<i32> = g.lanes.keys().copied().collect();
        g.commit(&held, CommitMode::Sync).await
    }
    .await;
    for lane in g.lanes.values_mut() {
        lane.writer.release().await;
    }
    // Leave the group: the callback now gives partitions up at once. Closing polls until
    // librdkafka is done, so it runs off the async threads.
    consumer.context().closing.store(true, Ordering::SeqCst);
    drop(rebalances);
    drop(g.lanes);
    drop(g.consumer);
    let _ = tokio::task::spawn_blocking(move || drop(consumer)).await;
    result?;
    Ok(RunSummary {
        resumed_at: summary_pos(&g.resumed),
        stopped_at: summary_pos(&g.stopped),
        counters: counters.snapshot(),
    })
}

/// A partition → offset map as a summary position (`shards`: partition → next offset).
fn summary_pos(offsets: &BTreeMap<i32, u64>) -> SourcePos {
    SourcePos {
        shards: offsets
            .iter()
            .map(|(p, o)| {
                let shard = ShardPos {
                    sequence: Some(o.to_string()),
                    closed: false,
                };
                (p.to_string(), shard)
            })
            .collect(),
        ..SourcePos::default()
    }
}

impl Group<'_> {
    fn error(&self, call: String, error: ServiceError) -> RunError {
        RunError::Source(SourceError::Service {
            source_name: self.spec.to_string(),
            call,
            error,
        })
    }

    /// Enriches one message into its lane; `false` if it was not for a held partition
    /// or already in the lake.
    fn push(
        &mut self,
        msg: &impl Message,
        step: &mut EnrichStep,
        now: Instant,
        clock: &impl Fn() -> i64,
    ) -> bool {
        let (p, offset) = (msg.partition(), msg.offset());
        let Some(lane) = self.lanes.get_mut(&p) else {
            return false;
        };
        let Ok(offset) = u64::try_from(offset) else {
            return false;
        };
        if offset < lane.pos.offset {
            // Fetched before the seek to the lake's offset: already committed.
            return false;
        }
        let arrival_ms = msg.timestamp().to_millis().unwrap_or_else(clock);
        // Stable across runs and members: feeds derived event ids and dead letters.
        let base = fnv1a(fnv1a(FNV_OFFSET, &p.to_le_bytes()), &offset.to_le_bytes());
        let data = msg.payload().unwrap_or_default();
        let data = data.strip_suffix(b"\n").unwrap_or(data);
        for (i, line) in data.split(|&b| b == b'\n').enumerate() {
            lane.pos.line += 1;
            let pos = Position {
                line: lane.pos.line,
                offset: base.wrapping_add(i as u64),
                arrival_ms,
            };
            let item = if line.len() > MAX_RECORD_BYTES {
                Item::TooLarge {
                    prefix: &line[..TOO_LARGE_KEEP],
                    bytes: line.len() as u64,
                }
            } else {
                Item::Record(line)
            };
            step.push(item, pos, now, &mut lane.writer);
        }
        lane.pos.offset = offset + 1;
        true
    }

    /// Whether a lane reached its age or the lanes together their size.
    fn should_flush(&self, now: Instant) -> bool {
        let total: usize = self.lanes.values().map(|l| l.writer.buffered_bytes()).sum();
        total >= self.lake.max_buffer_bytes
            || self.lanes.values().any(|l| l.writer.should_flush(now))
    }

    /// Commits every lane to the lake, then tells Kafka the offsets.
    async fn commit_all(&mut self) -> Result<(), RunError> {
        let held: Vec<i32> = self.lanes.keys().copied().collect();
        self.commit(&held, CommitMode::Async).await
    }

    /// Commits the lanes of `partitions` to the lake, then their offsets to Kafka.
    async fn commit(&mut self, partitions: &[i32], mode: CommitMode) -> Result<(), RunError> {
        let mut tpl = TopicPartitionList::new();
        for p in partitions {
            let Some(lane) = self.lanes.get_mut(p) else {
                continue;
            };
            lane.writer.flush(&lane.pos).await?;
            self.stopped.insert(*p, lane.pos.offset);
            if lane.pos.offset > lane.told_kafka {
                let at = Offset::Offset(lane.pos.offset as i64);
                // An offset librdkafka refuses is only a lag display problem.
                let _ = tpl.add_partition_offset(&self.spec.address.topic, *p, at);
                lane.told_kafka = lane.pos.offset;
            }
        }
        if tpl.count() > 0
            && let Err(e) = self.consumer.commit(&tpl, mode)
        {
            // Kafka's offsets are for lag tools; the lake holds the real ones.
            self.commit_failures += 1;
            if self.commit_failures == 1 {
                tracing::warn!(source = %self.spec, error = %e,
                    "kafka: committing offsets to Kafka failed (lag tools lag; the lake's are kept; later failures are counted)");
            }
        }
        Ok(())
    }

    async fn rebalance(&mut self, event: Rebalance) -> Result<(), RunError> {
        let cooperative = matches!(
            self.consumer.rebalance_protocol(),
            RebalanceProtocol::Cooperative
        );
        let topic = self.spec.address.topic.clone();
        match event {
            Rebalance::Assign(partitions) => {
                let mut tpl = TopicPartitionList::new();
                for p in partitions {
                    let next = match self.lanes.get(&p) {
                        Some(lane) => lane.pos.offset,
                        None => self.open_lane(p).await?,
                    };
                    let at = if next == 0 {
                        Offset::Beginning
                    } else {
                        Offset::Offset(next as i64)
                    };
                    tpl.add_partition_offset(&topic, p, at).map_err(|e| {
                        self.error(
                            format!("assign {p}"),
                            ServiceError::caused_by("bad offset", e),
                        )
                    })?;
                }
                tracing::info!(source = %self.spec, partitions = ?self.lanes.keys().collect::<Vec<_>>(), "kafka: partitions assigned");
                let done = if cooperative {
                    self.consumer.incremental_assign(&tpl)
                } else {
                    self.consumer.assign(&tpl)
                };
                done.map_err(|e| {
                    self.error("assign".into(), ServiceError::caused_by("assign failed", e))
                })?;
            }
            Rebalance::Revoke(partitions) => {
                self.commit(&partitions, CommitMode::Sync).await?;
                self.give_up(&partitions, cooperative).await?;
            }
            Rebalance::Lost(why) => {
                let held: Vec<i32> = self.lanes.keys().copied().collect();
                tracing::warn!(source = %self.spec, reason = %why, partitions = ?held,
                    "kafka: partitions lost; their buffered records are left to the next holder");
                self.give_up(&held, cooperative).await?;
            }
        }
        Ok(())
    }

    /// Opens partition `p`'s writer, recovering its last flush; returns its offset.
    async fn open_lane(&mut self, p: i32) -> Result<u64, RunError> {
        let options = LakeOptions {
            writer_id: Some(self.spec.lane_writer_id(p)),
            ..self.lake.clone()
        };
        let name = self.spec.lane_checkpoint(p);
        // The partition's lock (see lake/lock.rs) may still be held by its previous
        // holder: a killed member's S3 lease until it expires. Wait for it, bounded.
        let give_up_at = Instant::now() + LEASE + LOCK_SLACK;
        let (mut writer, resume) = loop {
            let opened = LakeWriter::open(
                self.store.clone(),
                options.clone(),
                Some(&name),
                self.counters.clone(),
            )
            .await;
            match opened {
                Err(LakeError::Locked { .. }) if Instant::now() < give_up_at => {
                    tracing::info!(source = %self.spec, partition = p,
                        "kafka: the partition's lake lock is still held; waiting");
                    tokio::time::sleep(LOCK_POLL).await;
                }
                other => break other?,
            }
        };
        writer.set_hook(self.options.hook.clone());
        let next = resume.offset;
        self.resumed.entry(p).or_insert(next);
        self.stopped.insert(p, next);
        self.lanes.insert(
            p,
            Lane {
                writer,
                pos: resume,
                told_kafka: next,
            },
        );
        Ok(next)
    }

    /// Drops the lanes of `partitions` (what they buffered is not committed) and tells
    /// librdkafka that they are given up.
    async fn give_up(&mut self, partitions: &[i32], cooperative: bool) -> Result<(), RunError> {
        let mut tpl = TopicPartitionList::new();
        for p in partitions {
            if let Some(mut lane) = self.lanes.remove(p) {
                // Before Kafka hands the partition on: its next holder takes the lock.
                lane.writer.release().await;
            }
            tpl.add_partition(&self.spec.address.topic, *p);
        }
        let done = if cooperative {
            self.consumer.incremental_unassign(&tpl)
        } else {
            self.consumer.unassign()
        };
        done.map_err(|e| {
            self.error(
                "unassign".into(),
                ServiceError::caused_by("unassign failed", e),
            )
        })
    }
}
