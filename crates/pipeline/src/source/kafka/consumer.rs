//! The group member's client: configuration, the rebalance callback, the health check.
//!
//! librdkafka calls the rebalance callback on the thread that polls, inside
//! `StreamConsumer::recv`. The callback does not assign or revoke there: it hands the
//! event to the lanes loop through a channel, and the loop first commits what it holds
//! for revoked partitions (or opens the lake writers of assigned ones and reads their
//! offsets from the lake), then calls `assign`/`unassign` itself. librdkafka waits for
//! that call before it completes the rebalance, so no partition is read by two
//! members at once. While the client closes, the callback does the default at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rdkafka::ClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::error::KafkaError;
use rdkafka::topic_partition_list::TopicPartitionList;
use rdkafka::types::RDKafkaRespErr;
use tokio::sync::mpsc;

use super::KafkaSourceSpec;
use crate::endpoint::ServiceError;
use crate::endpoint::kafka::{ClientEvents, KafkaSettings, Setting, TopicMeta, wait_for_topic};

/// How long the topic may take to answer before the run fails.
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(10);

/// A rebalance as the lanes loop sees it: the partitions of our topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rebalance {
    Assign(Vec<i32>),
    Revoke(Vec<i32>),
    /// The assignment was lost or the group reported an error: everything held is
    /// given up without a commit.
    Lost(String),
}

/// The consumer's context: client events, and rebalances sent to the lanes loop.
pub struct GroupContext {
    pub target: String,
    pub events: Arc<ClientEvents>,
    topic: String,
    tx: mpsc::UnboundedSender<Rebalance>,
    /// Set before the consumer is dropped: rebalances are then done at once.
    pub closing: AtomicBool,
}

impl ClientContext for GroupContext {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        self.events.log(&self.target, level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.events.error(&self.target, &error, reason);
    }
}

impl ConsumerContext for GroupContext {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        let partitions: Vec<i32> = tpl
            .elements()
            .iter()
            .filter(|e| e.topic() == self.topic)
            .map(|e| e.partition())
            .collect();
        let event = match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => Rebalance::Assign(partitions),
            // Lost (the session expired): another member may hold them already, so
            // nothing buffered for them may be committed.
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS if consumer.assignment_lost() => {
                Rebalance::Lost("the assignment was lost (session expired)".into())
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => Rebalance::Revoke(partitions),
            other => Rebalance::Lost(format!("{other:?}")),
        };
        // Without a loop to hand it to (closing, or the loop is gone) do the default.
        if self.closing.load(Ordering::SeqCst) || self.tx.send(event.clone()).is_err() {
            let cooperative = matches!(
                consumer.rebalance_protocol(),
                RebalanceProtocol::Cooperative
            );
            let result = match (&event, cooperative) {
                (Rebalance::Assign(_), true) => consumer.incremental_assign(tpl),
                (Rebalance::Assign(_), false) => consumer.assign(tpl),
                (_, true) => consumer.incremental_unassign(tpl),
                (_, false) => consumer.unassign(),
            };
            if let Err(e) = result {
                tracing::debug!(target = %self.target, error = %e, "kafka: rebalance while closing");
            }
        }
    }
}

/// A group member's consumer and the receiver of its rebalances.
pub type GroupConsumer = rdkafka::consumer::StreamConsumer<GroupContext>;

/// The properties the source sets itself; a file or variable that sets them is refused.
fn settings(spec: &KafkaSourceSpec) -> Vec<Setting> {
    let own = |key, value: &str, owner| Setting {
        key,
        value: Some(value.to_owned()),
        owner,
    };
    vec![
        own(
            "bootstrap.servers",
            &spec.address.bootstrap(),
            "the spec's BROKERS",
        ),
        own("group.id", &spec.group, "the spec option group"),
        // Offsets live in the lake; Kafka's copy is committed by csgen after each lake
        // commit, never automatically before it.
        own(
            "enable.auto.commit",
            "false",
            "csgen (offsets are in the lake)",
        ),
        own(
            "enable.auto.offset.store",
            "false",
            "csgen (offsets are in the lake)",
        ),
    ]
}

/// Creates the member's consumer (not yet subscribed).
pub fn create(
    spec: &KafkaSourceSpec,
    kafka: &KafkaSettings,
) -> Result<(Arc<GroupConsumer>, mpsc::UnboundedReceiver<Rebalance>), ServiceError> {
    let mut config: ClientConfig = kafka
        .client_config(&settings(spec))
        .map_err(|e| ServiceError::caused_by(e.to_string(), e))?;
    // A partition never read starts at its beginning (the lake has no offset for it).
    if config.get("auto.offset.reset").is_none() {
        config.set("auto.offset.reset", "earliest");
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let context = GroupContext {
        target: format!("kafka:{}", spec.address),
        events: Arc::new(ClientEvents::default()),
        topic: spec.address.topic.clone(),
        tx,
        closing: AtomicBool::new(false),
    };
    let consumer: GroupConsumer = config
        .create_with_context(context)
        .map_err(|e| ServiceError::caused_by("cannot start the consumer", e))?;
    Ok((Arc::new(consumer), rx))
}

/// Waits until the topic answers with its partitions (within [`HEALTH_TIMEOUT`]), or
/// says why not: no broker reachable, the topic missing, the login refused.
pub async fn check_topic(
    consumer: &Arc<GroupConsumer>,
    spec: &KafkaSourceSpec,
) -> Result<TopicMeta, ServiceError> {
    let c = consumer.clone();
    let topic = spec.address.topic.clone();
    let fetch =
        move |timeout: Duration| crate::endpoint::kafka::fetch_topic(c.client(), &topic, timeout);
    let brokers = spec.address.bootstrap();
    let check = wait_for_topic(
        &spec.address.topic,
        &brokers,
        fetch,
        &consumer.context().events,
        HEALTH_TIMEOUT,
    );
    // A consumer's error callbacks run only while it is polled: poll it (it has no
    // messages before it subscribes), so a refused connection ends the check at once.
    tokio::select! {
        result = check => result,
        never = serve_events(consumer) => match never {},
    }
}

async fn serve_events(consumer: &GroupConsumer) -> std::convert::Infallible {
    loop {
        if let Err(e) = consumer.recv().await {
            tracing::trace!(error = %e, "kafka: consumer event before subscribing");
        }
    }
}
