//! What a Kafka client's callbacks report, kept where a health check and the endpoint
//! can read it ([`ClientEvents`]), and the health check every Kafka endpoint runs
//! first: the topic's metadata within a deadline ([`wait_for_topic`]).
//!
//! librdkafka retries connections and logins forever on its own threads and reports
//! each failure through a callback. An endpoint's client context hands those to
//! [`ClientEvents`], which logs each kind once (then counts it) and remembers the last
//! one, so that a health check can stop at once with a clear reason (every broker
//! refused the connection, the login was refused) instead of waiting out its deadline.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use tokio::time::Instant;

use crate::endpoint::ServiceError;

/// Connection and login failures librdkafka reported, for one client.
#[derive(Debug, Default)]
pub struct ClientEvents {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The latest error of each kind.
    last: BTreeMap<&'static str, String>,
    /// How many errors of each kind (the first is logged, the rest only counted).
    counts: BTreeMap<&'static str, u64>,
}

/// The kinds of client error a health check tells apart.
const AUTHENTICATION: &str = "authentication";
const ALL_BROKERS_DOWN: &str = "all brokers down";
const TRANSPORT: &str = "transport";
const FATAL: &str = "fatal";
const OTHER: &str = "other";

impl ClientEvents {
    /// Takes an error from the client's error callback (`ClientContext::error`).
    pub fn error(&self, target: &str, error: &KafkaError, reason: &str) {
        let code = error.rdkafka_error_code();
        let kind = match code {
            Some(RDKafkaErrorCode::Authentication | RDKafkaErrorCode::SaslAuthenticationFailed) => {
                AUTHENTICATION
            }
            Some(RDKafkaErrorCode::AllBrokersDown) => ALL_BROKERS_DOWN,
            Some(
                RDKafkaErrorCode::BrokerTransportFailure
                | RDKafkaErrorCode::Resolve
                | RDKafkaErrorCode::SSL,
            ) => TRANSPORT,
            Some(RDKafkaErrorCode::Fatal) => FATAL,
            _ => OTHER,
        };
        let first = {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            s.last.insert(kind, reason.to_owned());
            let n = s.counts.entry(kind).or_insert(0);
            *n += 1;
            *n == 1
        };
        if first {
            tracing::warn!(target = %target, kind, %error, reason, "kafka client error (later ones of this kind are counted, not logged)");
        }
    }

    /// Takes a log line from the client's log callback (`ClientContext::log`).
    pub fn log(&self, target: &str, level: RDKafkaLogLevel, facility: &str, message: &str) {
        match level {
            RDKafkaLogLevel::Emerg
            | RDKafkaLogLevel::Alert
            | RDKafkaLogLevel::Critical
            | RDKafkaLogLevel::Error
            | RDKafkaLogLevel::Warning => {
                tracing::debug!(target = %target, facility, line = message, "librdkafka (warning)")
            }
            RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
                tracing::debug!(target = %target, facility, line = message, "librdkafka")
            }
            RDKafkaLogLevel::Debug => {
                tracing::trace!(target = %target, facility, line = message, "librdkafka")
            }
        }
    }

    fn last(&self, kind: &str) -> Option<String> {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.last.get(kind).cloned()
    }

    /// Why logging in failed, if it did.
    pub fn authentication_failure(&self) -> Option<String> {
        self.last(AUTHENTICATION)
    }

    /// The client's fatal error, if it had one (it then sends nothing more).
    pub fn fatal(&self) -> Option<String> {
        self.last(FATAL)
    }

    /// Why no broker can be reached, once librdkafka says that all are down.
    pub fn unreachable(&self) -> Option<String> {
        let down = self.last(ALL_BROKERS_DOWN)?;
        Some(self.last(TRANSPORT).unwrap_or(down))
    }

    /// Errors by kind so far.
    pub fn counts(&self) -> BTreeMap<&'static str, u64> {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .counts
            .clone()
    }
}

/// A client context that hands librdkafka's errors and logs to [`ClientEvents`]; an
/// endpoint's own context (a producer's, a consumer's) delegates to one.
#[derive(Debug, Clone)]
pub struct EventsContext {
    /// The endpoint, for logs (`kafka:BROKERS/TOPIC`).
    pub target: String,
    pub events: Arc<ClientEvents>,
}

impl ClientContext for EventsContext {
    fn log(&self, level: RDKafkaLogLevel, facility: &str, message: &str) {
        self.events.log(&self.target, level, facility, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.events.error(&self.target, &error, reason);
    }
}

/// What a metadata request said about one topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicMeta {
    pub partitions: usize,
    /// The broker's error for the topic (`UnknownTopicOrPartition` when it does not
    /// exist and was not created).
    pub error: Option<RDKafkaErrorCode>,
}

/// One blocking metadata request for `topic` (a [`wait_for_topic`] fetch): its
/// partitions and the broker's error for it.
pub fn fetch_topic<C: ClientContext>(
    client: &rdkafka::client::Client<C>,
    topic: &str,
    timeout: Duration,
) -> Result<TopicMeta, KafkaError> {
    let md = client.fetch_metadata(Some(topic), timeout)?;
    Ok(md.topics().first().map_or(
        TopicMeta {
            partitions: 0,
            error: None,
        },
        |t| TopicMeta {
            partitions: t.partitions().len(),
            error: t.error().map(Into::into),
        },
    ))
}

/// How long one metadata request may take inside [`wait_for_topic`]: short, so that a
/// failure the callbacks report is noticed soon.
const ATTEMPT: Duration = Duration::from_millis(500);

/// Asks for `topic`'s metadata until it answers with partitions, or fails with a
/// reason: the topic does not exist (and was not created), logging in failed, no broker
/// is reachable, or nothing answered within `deadline`. `fetch` makes one blocking
/// metadata request with the given timeout (it runs on tokio's blocking threads).
pub async fn wait_for_topic<F>(
    topic: &str,
    brokers: &str,
    fetch: F,
    events: &ClientEvents,
    deadline: Duration,
) -> Result<TopicMeta, ServiceError>
where
    F: Fn(Duration) -> Result<TopicMeta, KafkaError> + Clone + Send + 'static,
{
    let end = Instant::now() + deadline;
    let mut last: Option<KafkaError> = None;
    loop {
        if let Some(reason) = events.authentication_failure() {
            return Err(ServiceError::new(format!(
                "authentication failed: {reason}"
            )));
        }
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            let why = events
                .unreachable()
                .or_else(|| last.as_ref().map(ToString::to_string))
                .unwrap_or_else(|| "no answer".into());
            return Err(ServiceError::new(format!(
                "no answer from the brokers {brokers} within {}: {why}",
                crate::endpoint::duration::Shown(deadline)
            )));
        }
        let attempt = left.min(ATTEMPT);
        let fetch = fetch.clone();
        let answer = tokio::task::spawn_blocking(move || fetch(attempt))
            .await
            .map_err(|e| ServiceError::caused_by("the metadata request did not finish", e))?;
        match answer {
            Ok(meta) => match meta.error {
                None if meta.partitions > 0 => return Ok(meta),
                // Just created, or the leader not elected yet: ask again.
                None | Some(RDKafkaErrorCode::LeaderNotAvailable) => {}
                Some(RDKafkaErrorCode::UnknownTopicOrPartition) => {
                    return Err(ServiceError::new(format!(
                        "topic {topic:?} does not exist and the broker did not create it \
                         (UnknownTopicOrPartition; create it, or allow the broker to)"
                    )));
                }
                Some(code) => {
                    return Err(ServiceError::new(format!(
                        "topic {topic:?}: {code} ({code:?})"
                    )));
                }
            },
            Err(e) => {
                // A refused login also takes the broker down: say why it went down. (The
                // callbacks' reason says more than the failed request, so it is the message.)
                if let Some(reason) = events.authentication_failure() {
                    return Err(ServiceError::new(format!(
                        "authentication failed: {reason}"
                    )));
                }
                if let Some(reason) = events.unreachable() {
                    return Err(ServiceError::new(format!(
                        "no broker reachable at {brokers}: {reason}"
                    )));
                }
                last = Some(e);
            }
        }
        if Instant::now() < end {
            tokio::time::sleep(Duration::from_millis(50).min(end - Instant::now())).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn down(events: &ClientEvents) {
        events.error(
            "t",
            &KafkaError::Global(RDKafkaErrorCode::BrokerTransportFailure),
            "127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused",
        );
        events.error(
            "t",
            &KafkaError::Global(RDKafkaErrorCode::AllBrokersDown),
            "1/1 brokers are down",
        );
    }

    #[tokio::test]
    async fn stops_at_once_when_all_brokers_are_down_and_names_why() {
        let events = ClientEvents::default();
        down(&events);
        let fetch = |_| {
            Err::<TopicMeta, _>(KafkaError::MetadataFetch(
                RDKafkaErrorCode::OperationTimedOut,
            ))
        };
        let started = std::time::Instant::now();
        let e = wait_for_topic("t", "127.0.0.1:1", fetch, &events, Duration::from_secs(30))
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(
            e.to_string(),
            "no broker reachable at 127.0.0.1:1: 127.0.0.1:1/bootstrap: Connect to \
             ipv4#127.0.0.1:1 failed: Connection refused"
        );
        assert_eq!(events.counts()["transport"], 1);
    }

    #[tokio::test]
    async fn a_missing_topic_and_a_refused_login_are_told_apart() {
        let events = ClientEvents::default();
        let missing = |_| {
            Ok(TopicMeta {
                partitions: 0,
                error: Some(RDKafkaErrorCode::UnknownTopicOrPartition),
            })
        };
        let e = wait_for_topic("clicks", "b:1", missing, &events, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(
            e.to_string().starts_with("topic \"clicks\" does not exist"),
            "{e}"
        );

        events.error(
            "t",
            &KafkaError::Global(RDKafkaErrorCode::Authentication),
            "SASL SCRAM authentication failed: broker responded with unknown-user",
        );
        let fine = |_| {
            Ok(TopicMeta {
                partitions: 1,
                error: None,
            })
        };
        let e = wait_for_topic("clicks", "b:1", fine, &events, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "authentication failed: SASL SCRAM authentication failed: broker responded with unknown-user"
        );
    }

    #[tokio::test]
    async fn silence_ends_at_the_deadline() {
        let events = ClientEvents::default();
        let slow = |t: Duration| {
            std::thread::sleep(t.min(Duration::from_millis(20)));
            Err::<TopicMeta, _>(KafkaError::MetadataFetch(
                RDKafkaErrorCode::OperationTimedOut,
            ))
        };
        let started = std::time::Instant::now();
        let e = wait_for_topic("t", "b:1", slow, &events, Duration::from_millis(300))
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(
            e.to_string()
                .starts_with("no answer from the brokers b:1 within 300ms: "),
            "{e}"
        );
    }
}
