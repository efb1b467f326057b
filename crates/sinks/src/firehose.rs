//! `firehose:NAME`: records to an Amazon Data Firehose delivery stream with
//! `PutRecordBatch`.
//!
//! Each record is sent newline-terminated, so the objects Firehose writes to S3 are
//! newline-delimited records. Batching, retries and accounting are the
//! [`crate::batcher`]'s, as for Kinesis; this module holds the call and the pure
//! reading of its answer.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_firehose::Client;
use aws_sdk_firehose::config::http::HttpResponse;
use aws_sdk_firehose::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_firehose::operation::put_record_batch::{PutRecordBatchError, PutRecordBatchOutput};
use aws_sdk_firehose::primitives::Blob;

use crate::aws::{BuildOptions, existence_check_failed};
use crate::batcher::{Engine, Limits, PutApi, Record};
use crate::retry::{CallFailure, RecordOutcome, classify_code};
use crate::stream_options::StreamOptions;
use crate::{Batch, Sink, SinkError, SinkStats};

/// `PutRecordBatch` limits: 500 records and 4 MiB per call, 1,000 KiB per record.
pub const LIMITS: Limits = Limits {
    max_records: 500,
    max_call_bytes: 4 * 1024 * 1024,
    max_record_bytes: 1000 * 1024,
    oversize_reason: "record larger than Firehose's 1,000 KiB limit; not sent",
};

const RETRYABLE_ENTRY_CODES: &[&str] = &["ServiceUnavailableException", "InternalFailure"];

pub struct FirehoseSink {
    engine: Engine,
    name: String,
}

impl FirehoseSink {
    /// Connects with the standard AWS configuration and checks that the delivery
    /// stream exists.
    pub async fn connect(
        name: &str,
        options: &StreamOptions,
        build: &BuildOptions,
    ) -> Result<Self, SinkError> {
        let fatal = |message: String| SinkError::Fatal {
            target: format!("firehose:{name}"),
            message,
        };
        let sdk = crate::aws::load_for_sink(build).await.map_err(fatal)?;
        let client = Client::new(&sdk);
        if let Err(e) = client
            .describe_delivery_stream()
            .delivery_stream_name(name)
            .send()
            .await
        {
            let not_found = e
                .as_service_error()
                .is_some_and(|se| se.is_resource_not_found_exception());
            let message =
                existence_check_failed("delivery stream", name, not_found, DisplayErrorContext(&e));
            return Err(fatal(message));
        }
        Ok(Self::with_client(client, name, options, build.seed()))
    }

    /// A sink over an existing client (no checks).
    pub fn with_client(client: Client, name: &str, options: &StreamOptions, seed: u64) -> Self {
        let api = FirehoseApi {
            client,
            name: name.to_owned(),
        };
        Self {
            engine: Engine::start(
                api,
                format!("firehose:{name}"),
                LIMITS,
                options,
                false,
                seed,
            ),
            name: name.to_owned(),
        }
    }

    /// Failed records so far, by reason.
    pub fn failure_reasons(&self) -> BTreeMap<String, u64> {
        self.engine.failure_reasons()
    }
}

impl Sink for FirehoseSink {
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError> {
        let records = (0..batch.len())
            .map(|i| {
                let r = batch.record(i);
                let mut data = Vec::with_capacity(r.len() + 1);
                data.extend_from_slice(r);
                data.push(b'\n');
                Record {
                    data,
                    key: String::new(),
                }
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
        format!("firehose:{}", self.name)
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
                    .map_err(|e| CallFailure::Fatal(format!("building a request: {e}")))
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
            Err(e) => Err(classify_error(&self.name, &e)),
        }
    }
}

/// How each record of a `PutRecordBatch` answer fared, in request order.
pub fn outcomes(out: &PutRecordBatchOutput) -> Vec<RecordOutcome> {
    out.request_responses()
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

/// Whether a failed `PutRecordBatch` call is retried or stops the sink.
pub fn classify_error(name: &str, e: &SdkError<PutRecordBatchError, HttpResponse>) -> CallFailure {
    let SdkError::ServiceError(se) = e else {
        return match e {
            SdkError::ConstructionFailure(_) => CallFailure::Fatal(format!(
                "cannot build the request: {}",
                DisplayErrorContext(e)
            )),
            _ => CallFailure::Retry(format!("transport: {}", DisplayErrorContext(e))),
        };
    };
    let err = se.err();
    let (code, message) = (err.code(), err.message());
    match err {
        PutRecordBatchError::ResourceNotFoundException(_) => CallFailure::Fatal(format!(
            "delivery stream {name:?} not found (ResourceNotFoundException: {})",
            message.unwrap_or("no message")
        )),
        PutRecordBatchError::ServiceUnavailableException(_) => {
            CallFailure::Retry(code.unwrap_or("ServiceUnavailableException").to_owned())
        }
        PutRecordBatchError::InvalidArgumentException(_)
        | PutRecordBatchError::InvalidKmsResourceException(_)
        | PutRecordBatchError::InvalidSourceException(_) => CallFailure::Fatal(format!(
            "{}: {}",
            code.unwrap_or("rejected"),
            message.unwrap_or("no message")
        )),
        _ => classify_code(code, Some(se.raw().status().as_u16()), message),
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
        let p = crate::retry::plan(3, &outcomes(&out));
        assert_eq!((p.delivered, p.retry), (1, vec![1]));
        assert_eq!(
            p.failed,
            vec![(2, "InvalidArgumentException: m".to_owned())]
        );
    }
}
