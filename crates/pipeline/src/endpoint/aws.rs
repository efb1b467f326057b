//! The one AWS configuration loader, for every AWS endpoint: the Kinesis and
//! Firehose sinks, the Kinesis source and the S3 lake.
//!
//! Region, credentials and endpoint come from the standard AWS chain (environment such
//! as `AWS_REGION`, `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, `AWS_ENDPOINT_URL`,
//! then `~/.aws/config` profiles, SSO, web identity, then instance roles).
//! [`AwsSettings::endpoint`] (the CLI's `--endpoint`) overrides the endpoint. The
//! service clients retry nothing themselves: sinks and sources own retrying, and every
//! call attempt has a deadline.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_types::service_config::ServiceConfigKey;
use object_store::aws::AwsCredential;

/// Settings for AWS endpoints that do not belong in a spec string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsSettings {
    /// Endpoint URL for AWS services, e.g. `http://127.0.0.1:4567` for a local server.
    /// Overrides `AWS_ENDPOINT_URL` (a service's own `AWS_ENDPOINT_URL_S3` still wins
    /// for the S3 lake, so one flag can point a run's stream at a local server while
    /// its lake stays on S3).
    pub endpoint: Option<String>,
}

/// Why the AWS configuration is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsConfigError {
    #[error("no AWS region configured: set AWS_REGION (or a region in the AWS profile)")]
    NoRegion,
    #[error("no AWS credentials found (environment, profile, SSO, web identity or instance role)")]
    NoCredentials,
}

/// Checks a Kinesis or Firehose stream name: 1 to `max` characters (128 for Kinesis,
/// 64 for Firehose) of `A-Z a-z 0-9 _ . -`.
pub fn check_stream_name(name: &str, max: usize) -> Result<(), String> {
    let ok = (1..=max).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "stream name {name:?} must be 1 to {max} characters of A-Z a-z 0-9 _ . -"
        ))
    }
}

/// Longest one call attempt may take before it counts as a transport error.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest a connection may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// The SDK's hyper 1 client on rustls with ring (the crypto the HTTP sinks already
/// build; the SDK's default would compile aws-lc besides it). csgen builds the SDK
/// without a default client, so every AWS client must be given this one: [`load`] does.
pub fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// Loads the shared AWS configuration. A local endpoint without a configured region
/// gets `us-east-1` (local servers ignore it); otherwise a missing region is an error.
pub async fn load(settings: &AwsSettings) -> Result<SdkConfig, AwsConfigError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(https_client());
    if let Some(endpoint) = &settings.endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    let config = loader.load().await;
    if config.region().is_some() {
        return Ok(config);
    }
    if settings.endpoint.is_some() || config.endpoint_url().is_some() {
        return Ok(config
            .into_builder()
            .region(Region::from_static("us-east-1"))
            .build());
    }
    Err(AwsConfigError::NoRegion)
}

/// Who retries a client's failed calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retries {
    /// The SDK's standard retries (reads: a source polling a stream).
    Sdk,
    /// csgen retries itself (a sink retries exactly the failed records of a call).
    Own,
}

/// [`load`] for a service client: a deadline on every call attempt, and the SDK's own
/// retries on or off.
pub async fn load_for_client(
    settings: &AwsSettings,
    retries: Retries,
) -> Result<SdkConfig, AwsConfigError> {
    let mut b = load(settings).await?.into_builder();
    b.set_timeout_config(Some(
        TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .operation_attempt_timeout(ATTEMPT_TIMEOUT)
            .build(),
    ));
    if retries == Retries::Own {
        b.set_retry_config(Some(RetryConfig::disabled()));
    }
    Ok(b.build())
}

/// The endpoint of service `service_id` (e.g. `s3`): its own `AWS_ENDPOINT_URL_<ID>`
/// or profile setting first, then the run's override or the global endpoint.
pub fn service_endpoint(config: &SdkConfig, service_id: &str, env: &str) -> Option<String> {
    let own = config.service_config().and_then(|s| {
        let key = ServiceConfigKey::builder()
            .service_id(service_id)
            .env(env)
            .profile("endpoint_url")
            .build()
            .ok()?;
        s.load_config(key)
    });
    own.or_else(|| config.endpoint_url().map(str::to_owned))
}

/// The AWS credential chain as object_store's credential provider (for the S3 lake),
/// with the credentials cached until shortly before they expire.
pub fn object_store_credentials(
    config: &SdkConfig,
) -> Result<object_store::aws::AwsCredentialProvider, AwsConfigError> {
    let provider = config
        .credentials_provider()
        .ok_or(AwsConfigError::NoCredentials)?;
    Ok(Arc::new(ChainCredentials {
        provider,
        cached: tokio::sync::Mutex::new(None),
    }))
}

/// Credentials are refreshed this long before they expire.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(300);

#[derive(Debug)]
struct ChainCredentials {
    provider: SharedCredentialsProvider,
    cached: tokio::sync::Mutex<Option<(Arc<AwsCredential>, Option<SystemTime>)>>,
}

#[async_trait::async_trait]
impl object_store::CredentialProvider for ChainCredentials {
    type Credential = AwsCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<AwsCredential>> {
        let mut cached = self.cached.lock().await;
        if let Some((credential, expiry)) = cached.as_ref() {
            let fresh = expiry.is_none_or(|e| {
                e.duration_since(SystemTime::now())
                    .is_ok_and(|left| left > REFRESH_BEFORE_EXPIRY)
            });
            if fresh {
                return Ok(credential.clone());
            }
        }
        let c = self.provider.provide_credentials().await.map_err(|e| {
            object_store::Error::Generic {
                store: "S3",
                source: Box::new(e),
            }
        })?;
        let credential = Arc::new(AwsCredential {
            key_id: c.access_key_id().to_owned(),
            secret_key: c.secret_access_key().to_owned(),
            token: c.session_token().map(str::to_owned),
        });
        *cached = Some((credential.clone(), c.expiry()));
        Ok(credential)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SDK is built without its default HTTPS client: a configuration without
    /// ours fails every call with "No HTTP client was available".
    #[tokio::test]
    async fn loaded_configurations_carry_the_https_client() {
        let settings = AwsSettings {
            endpoint: Some("http://127.0.0.1:9".into()),
        };
        let config = load(&settings)
            .await
            .expect("a local endpoint needs no region");
        assert!(config.http_client().is_some());
    }
}
