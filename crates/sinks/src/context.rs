//! What a sink is built from besides its spec: the neutral [`SinkContext`] of a run,
//! what each sink module implements ([`SinkEndpoint`]), and what a build hands back
//! ([`Built`]: the sink and an optional health check).

use std::hash::{BuildHasher, RandomState};
use std::time::Duration;

use csgen_model::StoreConfig;
use csgen_pipeline::AwsSettings;
use csgen_pipeline::endpoint::kafka::KafkaSettings;
use futures_util::future::BoxFuture;

use crate::{AnySink, SinkError};

/// Run-wide settings every sink may read; each endpoint takes what concerns it.
#[derive(Debug, Clone)]
pub struct SinkContext {
    /// The run's model config: the lake sink enriches with its group names; a bare
    /// `kinesis` spec takes the properties file's `url-kinesis-stream-name` from it.
    pub store: StoreConfig,
    /// Seeds random partition keys and retry jitter; random when `None`.
    pub seed: Option<u64>,
    /// The run's flush deadline (`--flush-timeout`), for sinks whose spec sets none.
    pub flush_timeout: Option<Duration>,
    /// AWS settings (endpoint override) of the AWS sinks; the standard chain otherwise.
    pub aws: AwsSettings,
    /// The id of this run's shard, when the run has a fixed identity (`csgen generate`:
    /// seed, config, format, window and shard). A sink that stores files (the lake)
    /// names them after it, so that a rerun replaces an earlier attempt's files.
    pub run_id: Option<String>,
    /// librdkafka properties of the Kafka sink (security, from `--kafka-config` and
    /// `CSGEN_KAFKA_*`); its `Debug` never shows a value.
    pub kafka: KafkaSettings,
}

impl Default for SinkContext {
    fn default() -> Self {
        Self {
            store: StoreConfig::defaults(),
            seed: None,
            flush_timeout: None,
            aws: AwsSettings::default(),
            run_id: None,
            kafka: KafkaSettings::default(),
        }
    }
}

impl SinkContext {
    /// The context of a `csgen generate`/`serve` run. The sinks get a slightly shorter
    /// deadline than the run's (by 1 s, or a fifth of short ones) so they give up,
    /// count and report what is left before the run's own timeout cuts them off.
    pub fn for_run(store: StoreConfig, flush_timeout: Duration) -> Self {
        let margin = (flush_timeout / 5).min(Duration::from_secs(1));
        Self {
            store,
            flush_timeout: Some(flush_timeout - margin),
            ..Self::default()
        }
    }

    /// The seed of random keys and jitter: the run's, or a fresh one.
    pub fn seed(&self) -> u64 {
        self.seed
            .unwrap_or_else(|| RandomState::new().hash_one(std::process::id()))
    }
}

/// What each sink module provides to the registry ([`crate::SinkSpec`]).
#[async_trait::async_trait]
pub trait SinkEndpoint: std::fmt::Display + Send + Sync {
    /// Opens the sink; a check that needs the network goes in [`Built::health`].
    async fn build(&self, cx: &SinkContext) -> Result<Built, SinkError>;
}

/// A check that a built sink can reach its destination (the stream exists, access is
/// granted). Separate from the build, so a caller decides when to run it: `csgen`
/// runs it before the first record, a test or an embedding may skip it.
pub type HealthCheck = BoxFuture<'static, Result<(), SinkError>>;

/// A sink as [`crate::SinkSpec::build`] hands it back.
pub struct Built {
    pub sink: AnySink,
    pub health: Option<HealthCheck>,
}

impl Built {
    /// A sink with nothing to check.
    pub fn unchecked(sink: AnySink) -> Self {
        Self { sink, health: None }
    }

    /// Runs the health check, if any, and hands the sink over.
    pub async fn checked(self) -> Result<AnySink, SinkError> {
        if let Some(health) = self.health {
            health.await?;
        }
        Ok(self.sink)
    }
}
