//! `kinesis:STREAM`: records to an Amazon Kinesis data stream with `PutRecords`.
//!
//! Each record of a [`Batch`] becomes one Kinesis record: the payload is the record as
//! encoded in the run's format (`--format json` or the original's `url-object`), the
//! partition key is chosen by [`PartitionKey`]. Batching, backpressure, retries and
//! accounting are the [`crate::batcher`]'s; this module holds the call and the pure
//! reading of its answer ([`outcomes`], [`classify_error`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::http::HttpResponse;
use aws_sdk_kinesis::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_kinesis::operation::put_records::{PutRecordsError, PutRecordsOutput};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::aws::{BuildOptions, existence_check_failed};
use crate::batcher::{Engine, Limits, PutApi, Record};
use crate::retry::{CallFailure, RecordOutcome, classify_code};
use crate::stream_options::{PartitionKey, StreamOptions};
use crate::{Batch, Sink, SinkError, SinkStats};

/// Kinesis `PutRecords` limits: 500 records and 5 MiB per call, 1 MiB per record
/// (data plus partition key).
pub const LIMITS: Limits = Limits {
    max_records: 500,
    max_call_bytes: 5 * 1024 * 1024,
    max_record_bytes: 1024 * 1024,
    oversize_reason: "record larger than Kinesis's 1 MiB limit (data + partition key); not sent",
};

/// Per-record error codes of a `PutRecords` answer that are worth re-sending.
const RETRYABLE_ENTRY_CODES: &[&str] =
    &["ProvisionedThroughputExceededException", "InternalFailure"];

pub struct KinesisSink {
    engine: Engine,
    stream: String,
    key: PartitionKey,
    rng: Xoshiro256PlusPlus,
}

impl KinesisSink {
    /// Connects with the standard AWS configuration and checks that the stream exists,
    /// so a wrong name fails at start with a clear message.
    pub async fn connect(
        stream: &str,
        options: &StreamOptions,
        build: &BuildOptions,
    ) -> Result<Self, SinkError> {
        let target = format!("kinesis:{stream}");
        let fatal = |message: String| SinkError::Fatal {
            target: target.clone(),
            message,
        };
        let sdk = crate::aws::load_for_sink(build).await.map_err(&fatal)?;
        let client = Client::new(&sdk);
        if let Err(e) = client
            .describe_stream_summary()
            .stream_name(stream)
            .send()
            .await
        {
            let not_found = e
                .as_service_error()
                .is_some_and(|se| se.is_resource_not_found_exception());
            let message =
                existence_check_failed("stream", stream, not_found, DisplayErrorContext(&e));
            return Err(fatal(message));
        }
        Ok(Self::with_client(client, stream, options, build.seed()))
    }

    /// A sink over an existing client (no checks).
    pub fn with_client(client: Client, stream: &str, options: &StreamOptions, seed: u64) -> Self {
        let api = KinesisApi {
            client,
            stream: stream.to_owned(),
        };
        Self {
            engine: Engine::start(
                api,
                format!("kinesis:{stream}"),
                LIMITS,
                options,
                options.partition_key != PartitionKey::Random,
                seed,
            ),
            stream: stream.to_owned(),
            key: options.partition_key,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
        }
    }

    /// Failed records so far, by reason.
    pub fn failure_reasons(&self) -> BTreeMap<String, u64> {
        self.engine.failure_reasons()
    }

    fn key(&mut self, click: &csgen_model::Click) -> String {
        match self.key {
            PartitionKey::Random => format!("{:032x}", self.rng.random::<u128>()),
            PartitionKey::User => click.user_id.to_string(),
            PartitionKey::Field(field) => field.key(click),
        }
    }
}

impl Sink for KinesisSink {
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError> {
        let records = (0..batch.len())
            .map(|i| Record {
                data: batch.record(i).to_vec(),
                key: self.key(&batch.clicks[i]),
            })
            .collect();
        self.engine.accept(records).await
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        self.engine.flush().await
    }

    fn stats(&self) -> &Arc<SinkStats> {
        self.engine.stats()
    }

    fn describe(&self) -> String {
        format!("kinesis:{}", self.stream)
    }
}

struct KinesisApi {
    client: Client,
    stream: String,
}

impl PutApi for KinesisApi {
    async fn put(&self, records: &[Record]) -> Result<Vec<RecordOutcome>, CallFailure> {
        let entries = records
            .iter()
            .map(|r| {
                PutRecordsRequestEntry::builder()
                    .data(Blob::new(r.data.clone()))
                    .partition_key(r.key.clone())
                    .build()
                    .map_err(|e| CallFailure::Fatal(format!("building a request: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        match self
            .client
            .put_records()
            .stream_name(&self.stream)
            .set_records(Some(entries))
            .send()
            .await
        {
            Ok(out) => Ok(outcomes(&out)),
            Err(e) => Err(classify_error(&self.stream, &e)),
        }
    }
}

/// How each record of a `PutRecords` answer fared, in request order.
pub fn outcomes(out: &PutRecordsOutput) -> Vec<RecordOutcome> {
    out.records()
        .iter()
        .map(|entry| match entry.error_code() {
            None => RecordOutcome::Delivered,
            Some(code) if RETRYABLE_ENTRY_CODES.contains(&code) => {
                RecordOutcome::Retry(code.to_owned())
            }
            Some(code) => RecordOutcome::Failed(format!(
                "{code}: {}",
                entry.error_message().unwrap_or("(no message)")
            )),
        })
        .collect()
}

/// Whether a failed `PutRecords` call is retried or stops the sink.
pub fn classify_error(stream: &str, e: &SdkError<PutRecordsError, HttpResponse>) -> CallFailure {
    match e {
        SdkError::ServiceError(se) => {
            classify_service_error(stream, se.err(), Some(se.raw().status().as_u16()))
        }
        SdkError::ConstructionFailure(_) => CallFailure::Fatal(format!(
            "cannot build the request: {}",
            DisplayErrorContext(e)
        )),
        // Timeouts, refused or dropped connections, unreadable answers: transient.
        _ => CallFailure::Retry(format!("transport: {}", DisplayErrorContext(e))),
    }
}

/// [`classify_error`] for an error the service answered with.
pub fn classify_service_error(
    stream: &str,
    err: &PutRecordsError,
    status: Option<u16>,
) -> CallFailure {
    let code = err.code();
    let message = err.message();
    match err {
        PutRecordsError::ResourceNotFoundException(_) => CallFailure::Fatal(format!(
            "stream {stream:?} not found (ResourceNotFoundException: {})",
            message.unwrap_or("no message")
        )),
        PutRecordsError::ProvisionedThroughputExceededException(_)
        | PutRecordsError::KmsThrottlingException(_)
        | PutRecordsError::InternalFailureException(_) => {
            CallFailure::Retry(code.unwrap_or("throttled").to_owned())
        }
        PutRecordsError::AccessDeniedException(_)
        | PutRecordsError::InvalidArgumentException(_)
        | PutRecordsError::KmsAccessDeniedException(_)
        | PutRecordsError::KmsDisabledException(_)
        | PutRecordsError::KmsInvalidStateException(_)
        | PutRecordsError::KmsNotFoundException(_)
        | PutRecordsError::KmsOptInRequired(_) => CallFailure::Fatal(format!(
            "{}: {}",
            code.unwrap_or("rejected"),
            message.unwrap_or("no message")
        )),
        _ => classify_code(code, status, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_kinesis::error::ErrorMetadata;
    use aws_sdk_kinesis::types::PutRecordsResultEntry;
    use aws_sdk_kinesis::types::error::{
        AccessDeniedException, ProvisionedThroughputExceededException, ResourceNotFoundException,
    };

    fn ok_entry() -> PutRecordsResultEntry {
        PutRecordsResultEntry::builder()
            .shard_id("shardId-000000000000")
            .sequence_number("1")
            .build()
    }

    fn err_entry(code: &str) -> PutRecordsResultEntry {
        PutRecordsResultEntry::builder()
            .error_code(code)
            .error_message("Rate exceeded for shard")
            .build()
    }

    #[test]
    fn partial_failure_retries_exactly_the_failed_entries() {
        let out = PutRecordsOutput::builder()
            .failed_record_count(2)
            .records(ok_entry())
            .records(err_entry("ProvisionedThroughputExceededException"))
            .records(ok_entry())
            .records(err_entry("InternalFailure"))
            .build()
            .unwrap();
        let p = crate::retry::plan(4, &outcomes(&out));
        assert_eq!(p.delivered, 2);
        assert_eq!(p.retry, vec![1, 3]);
        assert!(p.failed.is_empty());
    }

    #[test]
    fn unknown_entry_codes_fail_with_their_message() {
        let out = PutRecordsOutput::builder()
            .records(err_entry("KMSAccessDeniedException"))
            .build()
            .unwrap();
        assert_eq!(
            outcomes(&out),
            vec![RecordOutcome::Failed(
                "KMSAccessDeniedException: Rate exceeded for shard".into()
            )]
        );
    }

    #[test]
    fn missing_stream_and_access_denied_are_fatal_throttling_is_not() {
        let missing = PutRecordsError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .message("Stream clicks under account 000000000000 not found.")
                .build(),
        );
        match classify_service_error("clicks", &missing, Some(400)) {
            CallFailure::Fatal(m) => assert!(m.starts_with("stream \"clicks\" not found"), "{m}"),
            other => panic!("{other:?}"),
        }
        let denied = PutRecordsError::AccessDeniedException(
            AccessDeniedException::builder().message("no").build(),
        );
        assert!(matches!(
            classify_service_error("s", &denied, Some(400)),
            CallFailure::Fatal(_)
        ));
        let throttled = PutRecordsError::ProvisionedThroughputExceededException(
            ProvisionedThroughputExceededException::builder()
                .message("Rate exceeded")
                .build(),
        );
        assert!(matches!(
            classify_service_error("s", &throttled, Some(400)),
            CallFailure::Retry(_)
        ));
        let limit = PutRecordsError::generic(
            ErrorMetadata::builder()
                .code("LimitExceededException")
                .build(),
        );
        assert!(matches!(
            classify_service_error("s", &limit, Some(400)),
            CallFailure::Retry(_)
        ));
        let validation = PutRecordsError::generic(
            ErrorMetadata::builder()
                .code("ValidationException")
                .message("1 validation error")
                .build(),
        );
        assert_eq!(
            classify_service_error("s", &validation, Some(400)),
            CallFailure::Fatal("ValidationException: 1 validation error".into())
        );
    }
}
