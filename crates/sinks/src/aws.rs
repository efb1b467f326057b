//! AWS configuration for the `kinesis:` and `firehose:` sinks.
//!
//! Region, credentials and endpoint come from the standard AWS chain (environment
//! such as `AWS_REGION`, `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`,
//! `AWS_ENDPOINT_URL`/`AWS_ENDPOINT_URL_KINESIS`, then `~/.aws/config` profiles, then
//! instance roles). [`BuildOptions::endpoint`] (a CLI `--endpoint` flag) overrides the
//! endpoint. The clients retry nothing themselves: the sinks own retrying (they retry
//! exactly the failed records of a call), and every call attempt has a timeout.

use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use std::fmt::Display;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

/// Settings for [`crate::SinkSpec::build_with`] that do not belong in the spec string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildOptions {
    /// Endpoint URL for AWS services, e.g. `http://127.0.0.1:4567` for a local server.
    /// Overrides `AWS_ENDPOINT_URL`.
    pub endpoint: Option<String>,
    /// Seeds random partition keys and retry jitter; random when `None`.
    pub seed: Option<u64>,
    /// The stream of a `kinesis` spec without a name: the properties file's
    /// `url-kinesis-stream-name`.
    pub kinesis_stream: Option<String>,
    /// The run's flush deadline (e.g. `--flush-timeout`): used by `kinesis:`/`firehose:`
    /// sinks whose spec does not set `flush-timeout-s`.
    pub flush_timeout: Option<Duration>,
}

impl BuildOptions {
    /// Options for a run of `csgen generate`/`serve`: the config's stream name and the
    /// run's flush deadline. The sinks get a slightly shorter deadline (by 1 s, or a
    /// fifth of short ones) so they give up, count and report what is left before the
    /// caller's own timeout around `flush` cuts them off.
    pub fn for_run(kinesis_stream: Option<String>, flush_timeout: Duration) -> Self {
        let margin = (flush_timeout / 5).min(Duration::from_secs(1));
        Self {
            kinesis_stream,
            flush_timeout: Some(flush_timeout - margin),
            ..Self::default()
        }
    }

    pub(crate) fn seed(&self) -> u64 {
        self.seed
            .unwrap_or_else(|| RandomState::new().hash_one(std::process::id()))
    }
}

/// Longest one call attempt may take before it counts as a transport error.
pub(crate) const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Loads the shared AWS configuration. A local endpoint without a configured region
/// gets `us-east-1` (local servers ignore it); otherwise a missing region is an error.
pub async fn load(options: &BuildOptions) -> Result<SdkConfig, String> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(endpoint) = &options.endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    let config = loader.load().await;
    if config.region().is_some() {
        return Ok(config);
    }
    if options.endpoint.is_some() || config.endpoint_url().is_some() {
        return Ok(config
            .into_builder()
            .region(Region::from_static("us-east-1"))
            .build());
    }
    Err("no AWS region configured: set AWS_REGION (or a region in the AWS profile)".into())
}

/// The configuration of a sink's client: [`load`], with the SDK's own retries off (the
/// sink retries exactly the failed records) and a deadline on every attempt.
pub(crate) async fn load_for_sink(options: &BuildOptions) -> Result<SdkConfig, String> {
    Ok(load(options)
        .await?
        .into_builder()
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .build(),
        )
        .build())
}

/// The message when the start-up check that a `kind` (e.g. "delivery stream") named
/// `name` exists fails: a missing one is said plainly, anything else with the SDK's
/// error context.
pub(crate) fn existence_check_failed(
    kind: &str,
    name: &str,
    not_found: bool,
    error: impl Display,
) -> String {
    if not_found {
        format!("{kind} {name:?} not found (ResourceNotFoundException)")
    } else {
        format!("cannot describe {kind} {name:?}: {error}")
    }
}
