//! `kafka:BROKERS/TOPIC[?options]`: records to a Kafka topic with librdkafka's
//! idempotent producer.
//!
//! Each record of a [`crate::Batch`] becomes one message: the payload is the record as encoded
//! in the run's format, the key is chosen by `key=` ([`MessageKey`]), the timestamp is
//! the event time. Security and any other librdkafka property come from the run's
//! [`KafkaSettings`](csgen_pipeline::endpoint::kafka::KafkaSettings) (`--kafka-config
//! FILE`, `CSGEN_KAFKA_*`), never from the spec. Delivery accounting is in [`sink`]; the
//! health check asks for the topic's metadata (a missing topic, unreachable brokers and a
//! refused login fail here, in bounded time) and its `max.message.bytes`, so that a
//! record the topic would refuse is counted failed and never sent.

pub mod options;
pub mod sink;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use csgen_pipeline::endpoint::kafka::{Address, ClientEvents, wait_for_topic};
use csgen_pipeline::endpoint::{Form, ServiceError};
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::producer::{Producer, ThreadedProducer};

pub use self::options::{Acks, Compression, KafkaOptions, MessageKey};
pub use self::sink::{Delivery, KafkaSink};
use crate::SinkError;
use crate::context::{Built, SinkContext, SinkEndpoint};

pub const FORM: Form = Form {
    scheme: "kafka",
    form: "kafka:BROKERS/TOPIC[?options]",
    about: "records to a Kafka topic (idempotent producer, per-key order, exact delivery counts)",
};

/// How long the health check may take to reach the brokers and find the topic.
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(10);
/// Bytes a record batch of one record adds to its key and payload (batch header and the
/// record's own framing, at most), counted against the topic's `max.message.bytes`.
pub const RECORD_FRAMING: usize = 61 + 32;

/// A Kafka topic and how to write to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaSpec {
    pub address: Address,
    pub options: KafkaOptions,
}

impl KafkaSpec {
    pub fn parse(rest: &str) -> Result<Self, String> {
        let (address, query) = rest.split_once('?').unwrap_or((rest, ""));
        Ok(Self {
            address: Address::parse(address)?,
            options: KafkaOptions::parse(query)?,
        })
    }

    /// The client configuration: this spec's options, csgen's defaults, then the
    /// run's librdkafka properties.
    fn client_config(&self, cx: &SinkContext) -> Result<ClientConfig, SinkError> {
        let mut config = cx
            .kafka
            .client_config(&self.options.settings(self.address.bootstrap()))
            .map_err(|e| {
                SinkError::fatal(self.to_string(), ServiceError::caused_by(e.to_string(), e))
            })?;
        for (key, value) in KafkaOptions::defaults() {
            if config.get(key).is_none() {
                config.set(key, value);
            }
        }
        Ok(config)
    }
}

impl fmt::Display for KafkaSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "kafka:{}{}", self.address, self.options)
    }
}

#[async_trait::async_trait]
impl SinkEndpoint for KafkaSpec {
    async fn build(&self, cx: &SinkContext) -> Result<Built, SinkError> {
        let target = format!("kafka:{}", self.address);
        let config = self.client_config(cx)?;
        let events = Arc::new(ClientEvents::default());
        let producer: ThreadedProducer<Delivery> = config
            .create_with_context(Delivery::new(target.clone(), events.clone()))
            .map_err(|e| {
                SinkError::fatal(
                    &target,
                    ServiceError::caused_by("cannot start the producer", e),
                )
            })?;
        let client_limit = producer_limit(&config);
        let limit = Arc::new(AtomicUsize::new(client_limit));
        let health = health_check(
            producer.clone(),
            config,
            self.address.clone(),
            limit.clone(),
            self.options.batch_bytes.get(),
        );
        let sink = KafkaSink {
            producer,
            topic: self.address.topic.clone(),
            target: target.clone(),
            key: self.options.key,
            flush_timeout: self.options.flush_timeout(cx.flush_timeout),
            max_record_bytes: limit,
            key_buf: String::new(),
        };
        Ok(Built {
            sink: Box::new(sink),
            health: Some(Box::pin(async move {
                health.await.map_err(|e| SinkError::fatal(&target, e))
            })),
        })
    }
}

/// The largest payload + key the producer itself sends (`message.max.bytes`, less the
/// framing).
fn producer_limit(config: &ClientConfig) -> usize {
    let max = config
        .create_native_config()
        .ok()
        .and_then(|c| c.get("message.max.bytes").ok())
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1_000_000);
    max.saturating_sub(RECORD_FRAMING)
}

/// Finds the topic (within [`HEALTH_TIMEOUT`]) and lowers the record limit to its
/// `max.message.bytes`.
async fn health_check(
    producer: ThreadedProducer<Delivery>,
    config: ClientConfig,
    address: Address,
    limit: Arc<AtomicUsize>,
    batch_bytes: usize,
) -> Result<(), ServiceError> {
    let events = producer.context().events().clone();
    let topic = address.topic.clone();
    let fetch = move |timeout: Duration| {
        csgen_pipeline::endpoint::kafka::fetch_topic(producer.client(), &topic, timeout)
    };
    wait_for_topic(
        &address.topic,
        &address.bootstrap(),
        fetch,
        &events,
        HEALTH_TIMEOUT,
    )
    .await?;
    if let Some(topic_max) = topic_max_message_bytes(&config, &address.topic, &events).await {
        limit.fetch_min(topic_max.saturating_sub(RECORD_FRAMING), SeqCst);
        if topic_max < batch_bytes {
            tracing::warn!(
                topic = %address.topic, topic_max, batch_bytes,
                "the topic's max.message.bytes is below batch-bytes: set batch-bytes to at most \
                 max.message.bytes, or the broker may refuse whole batches"
            );
        }
    }
    Ok(())
}

/// The topic's `max.message.bytes`, or `None` when the broker does not say.
async fn topic_max_message_bytes(
    config: &ClientConfig,
    topic: &str,
    events: &Arc<ClientEvents>,
) -> Option<usize> {
    let context = csgen_pipeline::endpoint::kafka::EventsContext {
        target: format!("kafka admin {topic}"),
        events: events.clone(),
    };
    // An admin client is a producer inside librdkafka: without idempotence it does not
    // ask for a producer id it would never use.
    let mut config = config.clone();
    config.set("enable.idempotence", "false");
    let admin: AdminClient<_> = config.create_with_context(context).ok()?;
    let options = AdminOptions::new().request_timeout(Some(HEALTH_TIMEOUT));
    let answer = admin
        .describe_configs(&[ResourceSpecifier::Topic(topic)], &options)
        .await;
    match answer.as_deref() {
        Ok([Ok(resource)]) => resource
            .get("max.message.bytes")
            .and_then(|e| e.value.as_deref())
            .and_then(|v| v.parse().ok()),
        other => {
            tracing::debug!(topic, answer = ?other.map(|r| r.len()), "no max.message.bytes for the topic");
            None
        }
    }
}
