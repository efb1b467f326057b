//! `firehose:NAME[?options]`: records to an Amazon Data Firehose delivery stream with
//! `PutRecordBatch`.
//!
//! Each record is sent newline-terminated, so the objects Firehose writes to S3 are
//! newline-delimited records. Batching, retries and accounting are the batching
//! engine's, as for Kinesis; this module holds the call and the reading of Firehose's
//! own errors.

use std::fmt;

use aws_sdk_firehose::Client;
use aws_sdk_firehose::error::ProvideErrorMetadata;
use aws_sdk_firehose::operation::put_record_batch::{PutRecordBatchError, PutRecordBatchOutput};
use aws_sdk_firehose::primitives::Blob;
use csgen_pipeline::endpoint::aws::check_stream_name;
use csgen_pipeline::endpoint::{Form, ServiceError};

use crate::SinkError;
use crate::batched::options::{StreamKind, StreamOptions};
use crate::batched::retry::{CallFailure, RecordOutcome, classify_code};
use crate::batched::service;
use crate::batched::{Engine, EngineSink, Limits, NewlineTerminated, PutApi, Record};
use crate::context::{Built, SinkContext, SinkEndpoint};

pub const FORM: Form = Form {
    scheme: "firehose",
    form: "firehose:NAME[?options]",
    about: "records to an Amazon Data Firehose delivery stream (PutRecordBatch, retries)",
};

/// `PutRecordBatch` limits: 500 records and 4 MiB per call, 1,000 KiB per record.
pub const LIMITS: Limits = Limits {
    max_records: 500,
    max_call_bytes: 4 * 1024 * 1024,
    max_record_bytes: 1000 * 1024,
    oversize_reason: "record larger than Firehose's 1,000 KiB limit; not sent",
};

const RETRYABLE_ENTRY_CODES: &[&str] = &["ServiceUnavailableException", "InternalFailure"];

/// A delivery stream and how to write to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirehoseSpec {
    pub name: String,
    pub options: StreamOptions,
}

impl FirehoseSpec {
    pub fn parse(rest: &str) -> Result<Self, String> {
        let (name, query) = rest.split_once('?').unwrap_or((rest, ""));
        check_stream_name(name, 64)?;
        Ok(Self {
            name: name.to_owned(),
            options: StreamOptions::parse(query, StreamKind::Firehose)?,
        })
    }
}

impl fmt::Display for FirehoseSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "firehose:{}{}", self.name, self.options)
    }
}

#[async_trait::async_trait]
impl SinkEndpoint for FirehoseSpec {
    async fn build(&self, cx: &SinkContext) -> Result<Built, SinkError> {
        let target = self.to_string();
        let client = Client::new(&service::sdk_config(cx, &target).await?);
        let options = self.options.with_run_flush_timeout(cx.flush_timeout);
        let sink = FirehoseSink::with_client(client.clone(), &self.name, &options, cx.seed());
        let name = self.name.clone();
        let health = async move {
            match client
                .describe_delivery_stream()
                .delivery_stream_name(&name)
                .send()
                .await
            {
                Ok(_) => Ok(()),
                Err(e) => {
                    let not_found = e
                        .as_service_error()
                        .is_some_and(|se| se.is_resource_not_found_exception());
                    let target = format!("firehose:{name}");
                    Err(service::health_failure(
                        &target,
                        "delivery stream",
                        &name,
                        e,
                        not_found,
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

/// The Firehose sink: newline-terminated records through the batching engine.
pub type FirehoseSink = EngineSink<NewlineTerminated>;

impl FirehoseSink {
    /// A sink over an existing client (no checks).
    pub fn with_client(client: Client, name: &str, options: &StreamOptions, seed: u64) -> Self {
        let api = FirehoseApi {
            client,
            name: name.to_owned(),
        };
        let engine = Engine::start(
            api,
            format!("firehose:{name}"),
            LIMITS,
            options,
            false,
            seed,
        );
        Self::new(engine, NewlineTerminated)
    }
}

struct FirehoseApi {
    client: Client,
    name: String,
}

impl PutApi for FirehoseApi {
    async fn put(&self, records: &[Record]) -> Result<Vec<RecordOutcome>, CallFailure> {
        let entries = records
            .iter()
            .map(|r| {
                aws_sdk_firehose::types::Record::builder()
                    .data(Blob::new(r.data.clone()))
                    .build()
                    .map_err(|e| {
                        CallFailure::Fatal(ServiceError::caused_by("building a request", e))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        match self
            .client
            .put_record_batch()
            .delivery_stream_name(&self.name)
            .set_records(Some(entries))
            .send()
            .await
        {
            Ok(out) => Ok(outcomes(&out)),
            Err(e) => Err(service::classify(e, |err, status| {
                classify_service_error(&self.name, err, Some(status))
            })),
        }
    }
}

/// How each record of a `PutRecordBatch` answer fared, in request order.
pub fn outcomes(out: &PutRecordBatchOutput) -> Vec<RecordOutcome> {
    service::outcomes(
        out.request_responses()
            .iter()
            .map(|e| (e.error_code(), e.error_message())),
        RETRYABLE_ENTRY_CODES,
    )
}

/// Whether a failed `PutRecordBatch` call the service answered (with HTTP `status`)
/// is retried or stops the sink.
pub fn classify_service_error(
    name: &str,
    err: &PutRecordBatchError,
    status: Option<u16>,
) -> CallFailure {
    match err {
        PutRecordBatchError::ResourceNotFoundException(_) => CallFailure::Fatal(
            format!(
                "delivery stream {name:?} not found (ResourceNotFoundException: {})",
                err.message().unwrap_or("no message")
            )
            .into(),
        ),
        PutRecordBatchError::ServiceUnavailableException(_) => CallFailure::Retry(
            err.code()
                .unwrap_or("ServiceUnavailableException")
                .to_owned(),
        ),
        PutRecordBatchError::InvalidArgumentException(_)
        | PutRecordBatchError::InvalidKmsResourceException(_)
        | PutRecordBatchError::InvalidSourceException(_) => {
            CallFailure::Fatal(service::code_and_message(err).into())
        }
        _ => classify_code(err.code(), status, err.message()),
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_firehose::types::PutRecordBatchResponseEntry;

    #[test]
    fn partial_failure_retries_exactly_the_unavailable_entries() {
        let ok = || {
            PutRecordBatchResponseEntry::builder()
                .record_id("r")
                .build()
        };
        let err = |code: &str| {
            PutRecordBatchResponseEntry::builder()
                .error_code(code)
                .error_message("m")
                .build()
        };
        let out = PutRecordBatchOutput::builder()
            .failed_put_count(2)
            .request_responses(ok())
            .request_responses(err("ServiceUnavailableException"))
            .request_responses(err("InvalidArgumentException"))
            .build()
            .unwrap();
        let p = crate::batched::retry::plan(3, &outcomes(&out));
        assert_eq!((p.delivered, p.retry), (1, vec![1]));
        assert_eq!(
            p.failed,
            vec![(2, "InvalidArgumentException: m".to_owned())]
        );
    }
}
