//! What to do with the answer to a batched put call: pure functions, no I/O.
//!
//! A service answers a `PutRecords` / `PutRecordBatch` call either as a whole
//! ([`CallFailure`]: throttled, unreachable, or fatal such as a missing stream) or per
//! record ([`RecordOutcome`]). [`plan`] turns one answer into what the sink does next:
//! count the delivered records, re-send exactly the retryable ones, count the rest as
//! failed with their reason. [`Backoff`] spaces the retries with jitter from an injected
//! random generator.

use std::time::Duration;

use csgen_pipeline::endpoint::ServiceError;
use rand::{Rng, RngExt};

/// The longest wait a server's `Retry-After` can impose on one retry; the flush
/// deadline still bounds the whole.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// How one record of a call fared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordOutcome {
    Delivered,
    /// Worth sending again (throttled, internal failure); the error code says why.
    Retry(String),
    /// Will not succeed by sending it again; the reason is reported.
    Failed(String),
}

/// A call that failed as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallFailure {
    /// Throttling, a server error or a transport error: back off and send it all again.
    Retry(String),
    /// As [`CallFailure::Retry`], but the server said when (HTTP `Retry-After`): wait at
    /// least this long (at most [`MAX_RETRY_AFTER`]) before sending it again.
    RetryAfter(String, Duration),
    /// Missing stream, access denied, a validation error: stop the sink with this error.
    Fatal(ServiceError),
}

/// What the sink does after one answer, by position in the call.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub delivered: usize,
    /// Indexes (into the call's records) to send again, in their original order.
    pub retry: Vec<usize>,
    /// Indexes that failed for good, with the reason.
    pub failed: Vec<(usize, String)>,
    /// The reason of the first retryable record, for logs.
    pub retry_reason: Option<String>,
}

/// Splits a call's per-record outcomes into delivered / retry / failed.
///
/// `outcomes` must have one entry per record sent; if a server answers with a
/// different number, nothing can be matched up, so the whole call is retried
/// (duplicates are possible then, which at-least-once delivery allows).
pub fn plan(records_sent: usize, outcomes: &[RecordOutcome]) -> Plan {
    if outcomes.len() != records_sent {
        return Plan {
            retry: (0..records_sent).collect(),
            retry_reason: Some(format!(
                "answer had {} results for {records_sent} records",
                outcomes.len()
            )),
            ..Plan::default()
        };
    }
    let mut plan = Plan::default();
    for (i, outcome) in outcomes.iter().enumerate() {
        match outcome {
            RecordOutcome::Delivered => plan.delivered += 1,
            RecordOutcome::Retry(code) => {
                plan.retry.push(i);
                plan.retry_reason.get_or_insert_with(|| code.clone());
            }
            RecordOutcome::Failed(reason) => plan.failed.push((i, reason.clone())),
        }
    }
    plan
}

/// Error codes worth retrying whatever the service: throttling, transient server
/// trouble, expired credentials (the credential provider refreshes them).
const RETRYABLE_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "LimitExceededException",
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "KMSThrottlingException",
    "InternalFailure",
    "InternalFailureException",
    "InternalServerError",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "RequestTimeout",
    "RequestTimeoutException",
    "ExpiredTokenException",
];

/// Classifies a whole-call service error by its code and HTTP status: throttling and
/// server errors are retried, anything else the client sent wrong (4xx: no such
/// stream, access denied, validation) stops the sink.
pub fn classify_code(
    code: Option<&str>,
    status: Option<u16>,
    message: Option<&str>,
) -> CallFailure {
    let text = match (code, message) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_owned(),
        (None, Some(m)) => m.to_owned(),
        (None, None) => format!("HTTP status {}", status.unwrap_or(0)),
    };
    let retryable = code.is_some_and(|c| RETRYABLE_CODES.contains(&c))
        || status.is_some_and(|s| s >= 500 || s == 429)
        || (code.is_none() && status.is_none());
    if retryable {
        CallFailure::Retry(text)
    } else {
        CallFailure::Fatal(text.into())
    }
}

/// Exponential backoff with "equal jitter": attempt `n` waits between half and all of
/// `min(max, base * 2^n)`, so concurrent senders spread out but never retry at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(100),
            max: Duration::from_secs(5),
        }
    }
}

impl Backoff {
    /// The wait before retry number `attempt` (0 for the first retry).
    pub fn delay<R: Rng>(&self, attempt: u32, rng: &mut R) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << attempt.min(20))
            .min(self.max);
        let half = ceiling / 2;
        let jitter_ns = rng.random_range(0..=half.as_nanos() as u64);
        half + Duration::from_nanos(jitter_ns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn plan_retries_exactly_the_retryable_records() {
        let outcomes = [
            RecordOutcome::Delivered,
            RecordOutcome::Retry("ProvisionedThroughputExceededException".into()),
            RecordOutcome::Delivered,
            RecordOutcome::Failed("KMSAccessDeniedException: no".into()),
            RecordOutcome::Retry("InternalFailure".into()),
        ];
        let p = plan(5, &outcomes);
        assert_eq!(p.delivered, 2);
        assert_eq!(p.retry, vec![1, 4]);
        assert_eq!(p.failed, vec![(3, "KMSAccessDeniedException: no".into())]);
        assert_eq!(
            p.retry_reason.as_deref(),
            Some("ProvisionedThroughputExceededException")
        );
    }

    #[test]
    fn plan_retries_everything_when_the_answer_does_not_match() {
        let p = plan(3, &[RecordOutcome::Delivered]);
        assert_eq!((p.delivered, p.retry.len()), (0, 3));
        assert!(p.retry_reason.unwrap().contains("1 results for 3"));
    }

    #[test]
    fn throttling_and_server_errors_retry_client_errors_are_fatal() {
        let retry = |c: Option<&str>, s| matches!(classify_code(c, s, None), CallFailure::Retry(_));
        assert!(retry(
            Some("ProvisionedThroughputExceededException"),
            Some(400)
        ));
        assert!(retry(Some("LimitExceededException"), Some(400)));
        assert!(retry(Some("ThrottlingException"), Some(400)));
        assert!(retry(None, Some(503)));
        assert!(retry(Some("Whatever"), Some(500)));
        assert!(retry(None, Some(429)));
        assert!(!retry(Some("ResourceNotFoundException"), Some(400)));
        assert!(!retry(Some("AccessDeniedException"), Some(400)));
        assert!(!retry(Some("ValidationException"), Some(400)));
        assert!(!retry(Some("UnrecognizedClientException"), Some(400)));
        assert_eq!(
            classify_code(
                Some("ResourceNotFoundException"),
                Some(400),
                Some("Stream s not found")
            ),
            CallFailure::Fatal("ResourceNotFoundException: Stream s not found".into())
        );
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let b = Backoff::default();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        for attempt in 0..30 {
            let ceiling = (b.base * 2u32.pow(attempt.min(20))).min(b.max);
            let d = b.delay(attempt, &mut rng);
            assert!(d >= ceiling / 2 && d <= ceiling, "{attempt}: {d:?}");
        }
        let spread: std::collections::HashSet<_> = (0..20).map(|_| b.delay(6, &mut rng)).collect();
        assert!(spread.len() > 10, "jitter must vary the delay");
    }
}
