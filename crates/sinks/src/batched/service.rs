//! What the Kinesis and Firehose sinks share about their AWS service: the client
//! configuration, reading a batched put's per-record answer, classifying a failed
//! call, and the health check that the stream exists. Each sink keeps only its call
//! and the error variants of its own service.

use std::error::Error;

use aws_config::SdkConfig;
use aws_sdk_kinesis::config::http::HttpResponse;
use aws_sdk_kinesis::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use csgen_pipeline::endpoint::ServiceError;
use csgen_pipeline::endpoint::aws::{self, Retries};

use super::retry::{CallFailure, RecordOutcome};
use crate::{SinkContext, SinkError};

/// The client configuration of a batched AWS sink: csgen retries, not the SDK.
pub(crate) async fn sdk_config(cx: &SinkContext, target: &str) -> Result<SdkConfig, SinkError> {
    aws::load_for_client(&cx.aws, Retries::Own)
        .await
        .map_err(|e| SinkError::fatal(target, ServiceError::caused_by(e.to_string(), e)))
}

/// How each record of a batched put's answer fared, in request order, from its
/// `(error code, error message)` pairs; `retryable` lists the codes worth re-sending.
pub(crate) fn outcomes<'a>(
    entries: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
    retryable: &[&str],
) -> Vec<RecordOutcome> {
    entries
        .into_iter()
        .map(|(code, message)| match code {
            None => RecordOutcome::Delivered,
            Some(code) if retryable.contains(&code) => RecordOutcome::Retry(code.to_owned()),
            Some(code) => {
                RecordOutcome::Failed(format!("{code}: {}", message.unwrap_or("(no message)")))
            }
        })
        .collect()
}

/// Whether a failed call is retried or stops the sink. `service` judges an error the
/// service answered with (given its HTTP status); construction failures stop the sink;
/// transport failures (timeouts, refused or dropped connections) are retried. A fatal
/// verdict keeps the SDK's error as its cause.
pub(crate) fn classify<E>(
    e: SdkError<E, HttpResponse>,
    service: impl FnOnce(&E, u16) -> CallFailure,
) -> CallFailure
where
    E: Error + Send + Sync + 'static,
{
    let verdict = match &e {
        SdkError::ServiceError(se) => service(se.err(), se.raw().status().as_u16()),
        SdkError::ConstructionFailure(_) => CallFailure::Fatal(
            format!("cannot build the request: {}", DisplayErrorContext(&e)).into(),
        ),
        _ => CallFailure::Retry(format!("transport: {}", DisplayErrorContext(&e))),
    };
    match verdict {
        CallFailure::Fatal(text) => CallFailure::Fatal(ServiceError::caused_by(text.message(), e)),
        retry => retry,
    }
}

/// `code: message` of a service error, for messages.
pub(crate) fn code_and_message(e: &impl ProvideErrorMetadata) -> String {
    format!(
        "{}: {}",
        e.code().unwrap_or("rejected"),
        e.message().unwrap_or("no message")
    )
}

/// The error of a failed health check that a `kind` (e.g. "delivery stream") named
/// `name` exists: a missing one is said plainly, anything else with the SDK's context.
pub(crate) fn health_failure<E>(
    target: &str,
    kind: &str,
    name: &str,
    e: SdkError<E, HttpResponse>,
    not_found: bool,
) -> SinkError
where
    E: Error + Send + Sync + 'static,
{
    let message = if not_found {
        format!("{kind} {name:?} not found (ResourceNotFoundException)")
    } else {
        format!(
            "cannot describe {kind} {name:?}: {}",
            DisplayErrorContext(&e)
        )
    };
    SinkError::fatal(target, ServiceError::caused_by(message, e))
}
