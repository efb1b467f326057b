//! `kinesis:STREAM[?options]`: records to an Amazon Kinesis data stream with `PutRecords`.
//!
//! Each record of a [`Batch`] becomes one Kinesis record: the payload is the record as
//! encoded in the run's format (`--format json` or the original's `url-object`), the
//! partition key is chosen by [`PartitionKey`]. `kinesis` without a name takes the
//! properties file's `url-kinesis-stream-name`. Batching, backpressure, retries and
//! accounting are the batching engine's; this module holds the call and the reading of
//! Kinesis's own errors.

use std::fmt;

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::error::ProvideErrorMetadata;
use aws_sdk_kinesis::operation::put_records::{PutRecordsError, PutRecordsOutput};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use csgen_pipeline::endpoint::aws::check_stream_name;
use csgen_pipeline::endpoint::{Form, ServiceError};
use rand::{RngExt, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::batched::options::{PartitionKey, StreamKind, StreamOptions};
use crate::batched::retry::{CallFailure, RecordOutcome, classify_code};
use crate::batched::service;
use crate::batched::{Encode, Engine, EngineSink, Limits, PutApi, Record};
use crate::context::{Built, SinkContext, SinkEndpoint};
use crate::{Batch, SinkError};

pub const FORM: Form = Form {
    scheme: "kinesis",
    form: "kinesis:STREAM[?options]",
    about: "records to an Amazon Kinesis data stream (PutRecords, retries, per-user order)",
};

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

/// A Kinesis stream and how to write to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KinesisSpec {
    /// Empty: the properties file's `url-kinesis-stream-name`.
    pub stream: String,
    pub options: StreamOptions,
}

impl KinesisSpec {
    pub fn parse(rest: &str) -> Result<Self, String> {
        let (stream, query) = rest.split_once('?').unwrap_or((rest, ""));
        if !stream.is_empty() {
            check_stream_name(stream, 128)?;
        }
        Ok(Self {
            stream: stream.to_owned(),
            options: StreamOptions::parse(query, StreamKind::Kinesis)?,
        })
    }
}

impl fmt::Display for KinesisSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "kinesis:{}{}", self.stream, self.options)
    }
}

#[async_trait::async_trait]
impl SinkEndpoint for KinesisSpec {
    async fn build(&self, cx: &SinkContext) -> Result<Built, SinkError> {
        let stream = match (self.stream.as_str(), &cx.store.kinesis_stream) {
            ("", Some(configured)) => configured.clone(),
            ("", None) => {
                return Err(SinkError::fatal(
                    "kinesis",
                    "no stream name: use kinesis:STREAM or set url-kinesis-stream-name in the config",
                ));
            }
            (named, _) => named.to_owned(),
        };
        let target = format!("kinesis:{stream}");
        let client = Client::new(&service::sdk_config(cx, &target).await?);
        let options = self.options.with_run_flush_timeout(cx.flush_timeout);
        let sink = KinesisSink::with_client(client.clone(), &stream, &options, cx.seed());
        let health = async move {
            match client
                .describe_stream_summary()
                .stream_name(&stream)
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e) => {
                    let not_found = e
                        .as_service_error()
                        .is_some_and(|se| se.is_resource_not_found_exception());
                    Err(service::health_failure(
                        &target, "stream", &stream, e, not_found,
                    ))
                }
            }
        };
        Ok(Built {
            sink: Box::new(sink),
            health: Some(Box::pin(health)),
        })
    }
}

/// The Kinesis sink: records with their partition keys through the batching engine.
pub type KinesisSink = EngineSink<PartitionKeys>;

impl KinesisSink {
    /// A sink over an existing client (no checks).
    pub fn with_client(client: Client, stream: &str, options: &StreamOptions, seed: u64) -> Self {
        let api = KinesisApi {
            client,
            stream: stream.to_owned(),
        };
        let engine = Engine::start(
            api,
            format!("kinesis:{stream}"),
            LIMITS,
            options,
            options.partition_key != PartitionKey::Random,
            seed,
        );
        let keys = PartitionKeys {
            key: options.partition_key,
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
        };
        Self::new(engine, keys)
    }
}

/// Each record's partition key, as the `partition-key` option says.
pub struct PartitionKeys {
    key: PartitionKey,
    rng: Xoshiro256PlusPlus,
}

impl Encode for PartitionKeys {
    fn encode(&mut self, batch: &Batch, i: usize) -> Record {
        let click = &batch.clicks[i];
        let key = match self.key {
            PartitionKey::Random => format!("{:032x}", self.rng.random::<u128>()),
            PartitionKey::User => click.user_id.to_string(),
            PartitionKey::Field(field) => field.key(click),
        };
        Record {
            data: batch.record(i).to_vec(),
            key,
        }
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
                    .map_err(|e| {
                        CallFailure::Fatal(ServiceError::caused_by("building a request", e))
                    })
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
            Err(e) => Err(service::classify(e, |err, status| {
                classify_service_error(&self.stream, err, Some(status))
            })),
        }
    }
}

/// How each record of a `PutRecords` answer fared, in request order.
pub fn outcomes(out: &PutRecordsOutput) -> Vec<RecordOutcome> {
    service::outcomes(
        out.records()
            .iter()
            .map(|e| (e.error_code(), e.error_message())),
        RETRYABLE_ENTRY_CODES,
    )
}

/// Whether a failed `PutRecords` call the service answered (with HTTP `status`) is
/// retried or stops the sink.
pub fn classify_service_error(
    stream: &str,
    err: &PutRecordsError,
    status: Option<u16>,
) -> CallFailure {
    match err {
        PutRecordsError::ResourceNotFoundException(_) => CallFailure::Fatal(
            format!(
                "stream {stream:?} not found (ResourceNotFoundException: {})",
                err.message().unwrap_or("no message")
            )
            .into(),
        ),
        PutRecordsError::ProvisionedThroughputExceededException(_)
        | PutRecordsError::KmsThrottlingException(_)
        | PutRecordsError::InternalFailureException(_) => {
            CallFailure::Retry(err.code().unwrap_or("throttled").to_owned())
        }
        PutRecordsError::AccessDeniedException(_)
        | PutRecordsError::InvalidArgumentException(_)
        | PutRecordsError::KmsAccessDeniedException(_)
        | PutRecordsError::KmsDisabledException(_)
        | PutRecordsError::KmsInvalidStateException(_)
        | PutRecordsError::KmsNotFoundException(_)
        | PutRecordsError::KmsOptInRequired(_) => {
            CallFailure::Fatal(service::code_and_message(err).into())
        }
        _ => classify_code(err.code(), status, err.message()),
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
        let p = crate::batched::retry::plan(4, &outcomes(&out));
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
            CallFailure::Fatal(m) => assert!(
                m.message().starts_with("stream \"clicks\" not found"),
                "{m}"
            ),
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
