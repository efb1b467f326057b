//! The `kafka:` sink at run time: records handed to librdkafka's producer, and every
//! one accounted for from its delivery report.
//!
//! `send` gives each record to the producer (key, payload, and the event time as the
//! message timestamp) and counts it outstanding; the producer's delivery report, one
//! per record, counts it delivered or failed with librdkafka's reason. When the
//! producer's queue is full (`buffer-records`), `send` waits for reports to make room:
//! backpressure on the generator instead of memory. So generated = delivered + failed +
//! in flight at every moment, in flight being the records librdkafka still holds and
//! those of the batch being handed over.
//!
//! `flush` asks librdkafka to send everything and waits up to the flush timeout; what
//! is still undelivered then is purged from the producer, which reports each purged
//! record as failed, and the error says how many.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use csgen_pipeline::endpoint::kafka::{ClientEvents, EventsContext};
use rdkafka::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::DeliveryResult;
use rdkafka::producer::{BaseRecord, Producer, ProducerContext, PurgeConfig, ThreadedProducer};
use tokio::sync::Notify;

use super::options::MessageKey;
use crate::{Batch, Sink, SinkError, SinkStats};

/// How long a purge at the flush deadline may take to report its records.
const PURGE_WAIT: Duration = Duration::from_secs(5);
/// Longest `send` sleeps on a full queue before it tries again (a report wakes it sooner).
const FULL_QUEUE_WAIT: Duration = Duration::from_millis(100);

/// The producer's context: delivery reports in, accounting out.
pub struct Delivery {
    client: EventsContext,
    stats: Arc<SinkStats>,
    /// Records librdkafka holds: given to it and not yet reported.
    outstanding: AtomicU64,
    /// Records purged at a flush deadline (reported failed).
    purged: AtomicU64,
    /// Woken by each report, for a `send` waiting on a full queue and for `flush`.
    room: Notify,
    reasons: Mutex<BTreeMap<String, u64>>,
}

impl Delivery {
    pub fn new(target: String, events: Arc<ClientEvents>) -> Self {
        Self {
            client: EventsContext { target, events },
            stats: Arc::default(),
            outstanding: AtomicU64::new(0),
            purged: AtomicU64::new(0),
            room: Notify::new(),
            reasons: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn events(&self) -> &Arc<ClientEvents> {
        &self.client.events
    }

    /// Counts `n` records failed for `reason`; the first time a reason appears it is
    /// logged, afterwards only counted.
    fn failed(&self, n: u64, reason: &str) {
        if n == 0 {
            return;
        }
        self.stats.add_failed(n);
        let first = {
            let mut reasons = self.reasons.lock().unwrap_or_else(|e| e.into_inner());
            let count = reasons.entry(reason.to_owned()).or_insert(0);
            *count += n;
            *count == n
        };
        if first {
            tracing::warn!(target = %self.client.target, records = n, reason, "records failed");
        }
    }

    /// Why librdkafka gave up on a record, in words.
    fn reason(error: &KafkaError) -> String {
        match error.rdkafka_error_code() {
            Some(RDKafkaErrorCode::PurgeQueue | RDKafkaErrorCode::PurgeInflight) => {
                "not delivered within the flush timeout (purged)".into()
            }
            Some(code) => format!("{code} ({code:?})"),
            None => error.to_string(),
        }
    }
}

impl ClientContext for Delivery {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        self.client.log(level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.client.error(error, reason);
    }
}

impl ProducerContext for Delivery {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => self.stats.add_delivered(1),
            Err((error, _)) => {
                if matches!(
                    error.rdkafka_error_code(),
                    Some(RDKafkaErrorCode::PurgeQueue | RDKafkaErrorCode::PurgeInflight)
                ) {
                    self.purged.fetch_add(1, SeqCst);
                }
                self.failed(1, &Self::reason(error));
            }
        }
        self.outstanding.fetch_sub(1, SeqCst);
        self.room.notify_one();
    }
}

/// The running `kafka:` sink.
pub struct KafkaSink {
    pub(super) producer: ThreadedProducer<Delivery>,
    pub(super) topic: String,
    /// `kafka:BROKERS/TOPIC`, for summaries and errors.
    pub(super) target: String,
    pub(super) key: MessageKey,
    pub(super) flush_timeout: Duration,
    /// Largest payload + key sent; the health check lowers it to what the topic takes.
    pub(super) max_record_bytes: Arc<AtomicUsize>,
    /// The current record's key (reused: no allocation per record).
    pub(super) key_buf: String,
}

impl KafkaSink {
    fn cx(&self) -> &Arc<Delivery> {
        self.producer.context()
    }

    /// The error that stops the sink: librdkafka's fatal error, or a refused login.
    fn stopped(&self) -> Option<SinkError> {
        let events = self.cx().events();
        let why = match (events.fatal(), events.authentication_failure()) {
            (Some(fatal), _) => {
                let detail = self.producer.client().fatal_error();
                detail.map_or(fatal, |(code, text)| format!("{text} ({code:?})"))
            }
            (None, Some(auth)) => format!("authentication failed: {auth}"),
            (None, None) => return None,
        };
        Some(SinkError::fatal(&self.target, why))
    }

    /// Why a record of `bytes` (payload + key) is refused, if it is.
    fn oversize(&self, bytes: usize) -> Option<String> {
        let limit = self.max_record_bytes.load(SeqCst);
        (bytes > limit).then(|| {
            format!(
                "record larger than the {limit} bytes the topic or producer takes \
                 (max.message.bytes less Kafka's framing); not sent"
            )
        })
    }
}

#[async_trait::async_trait]
impl Sink for KafkaSink {
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError> {
        let cx = self.cx().clone();
        // Checked once a batch, on a full queue and on a refusal, not once a record:
        // after a fatal error librdkafka refuses every record at once anyway.
        if let Some(e) = self.stopped() {
            cx.failed(batch.len() as u64, "sink stopped");
            return Err(e);
        }
        for i in 0..batch.len() {
            let payload = batch.record(i);
            let click = &batch.clicks[i];
            let has_key = self.key.write(click, &mut self.key_buf);
            if let Some(reason) = self.oversize(payload.len() + self.key_buf.len()) {
                cx.failed(1, &reason);
                continue;
            }
            loop {
                let mut record = BaseRecord::to(&self.topic)
                    .payload(payload)
                    .timestamp(click.ts_ms);
                if has_key {
                    record = record.key(self.key_buf.as_str());
                }
                // Counted before the hand-over: the report may come on another thread
                // before `send` returns.
                cx.outstanding.fetch_add(1, SeqCst);
                let Err((error, _)) = self.producer.send(record) else {
                    break;
                };
                cx.outstanding.fetch_sub(1, SeqCst);
                let full = error.rdkafka_error_code() == Some(RDKafkaErrorCode::QueueFull);
                if full {
                    let _ = tokio::time::timeout(FULL_QUEUE_WAIT, cx.room.notified()).await;
                } else {
                    // Refused at once and never sent (too large for the producer, an
                    // unknown topic, a fatal state): failed with librdkafka's reason.
                    cx.failed(1, &Delivery::reason(&error));
                }
                if let Some(e) = self.stopped() {
                    cx.failed(
                        (batch.len() - i - usize::from(!full)) as u64,
                        "sink stopped",
                    );
                    return Err(e);
                }
                if !full {
                    break;
                }
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        let producer = self.producer.clone();
        let timeout = self.flush_timeout;
        // rd_kafka_flush sends lingering batches at once and blocks: off the runtime.
        let _ = tokio::task::spawn_blocking(move || producer.flush(timeout)).await;
        let cx = self.cx().clone();
        if cx.outstanding.load(SeqCst) > 0 {
            let before = cx.purged.load(SeqCst);
            self.producer
                .purge(PurgeConfig::default().queue().inflight());
            let end = tokio::time::Instant::now() + PURGE_WAIT;
            while cx.outstanding.load(SeqCst) > 0 && tokio::time::Instant::now() < end {
                let _ = tokio::time::timeout(Duration::from_millis(50), cx.room.notified()).await;
            }
            return Err(SinkError::Undelivered {
                target: self.target.clone(),
                records: cx.purged.load(SeqCst) - before,
                timeout,
            });
        }
        match self.stopped() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn stats(&self) -> &Arc<SinkStats> {
        &self.cx().stats
    }

    fn failure_reasons(&self) -> BTreeMap<String, u64> {
        self.cx()
            .reasons
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn describe(&self) -> String {
        self.target.clone()
    }
}
