//! `--sink SPEC` as the CLI sees it: a sink of the sinks crate, or the lake.
//!
//! The lake sink lives in the pipeline crate (it runs enrich in-process), which the
//! sinks crate must not depend on; this enum joins the two registries for the binary.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use csgen_model::StoreConfig;
use csgen_pipeline::{LakeOptions, LakeSink, LakeSpec};
use csgen_sinks::{AnySink, Batch, BuildOptions, Sink, SinkError, SinkSpec, SinkStats};

/// Where records go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Sink(SinkSpec),
    /// `lake:PATH` or `lake:s3://BUCKET/PREFIX`: enrich in-process, land Parquet.
    Lake(LakeSpec),
}

impl Target {
    pub const FORMS: &'static str = "stdout, file:PATH, kinesis:STREAM[?options], \
        firehose:NAME[?options], lake:PATH, lake:s3://BUCKET/PREFIX";

    pub async fn open(
        &self,
        store: &StoreConfig,
        options: &BuildOptions,
    ) -> anyhow::Result<CliSink> {
        Ok(match self {
            Target::Sink(spec) => CliSink::Any(spec.build_with(options).await?),
            Target::Lake(spec) => CliSink::Lake(Box::new(
                LakeSink::open(spec, store, LakeOptions::default()).await?,
            )),
        })
    }
}

impl FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.strip_prefix("lake:") {
            Some(rest) => rest.parse().map(Target::Lake),
            None => s
                .parse()
                .map(Target::Sink)
                .map_err(|_| format!("unknown sink {s:?}; expected one of: {}", Self::FORMS)),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Sink(s) => s.fmt(f),
            Target::Lake(l) => write!(f, "lake:{l}"),
        }
    }
}

/// An open sink of either registry.
pub enum CliSink {
    Any(AnySink),
    /// Boxed: the lake writer's buffers make it far larger than the other sinks.
    Lake(Box<LakeSink>),
}

impl CliSink {
    /// What the summary line cannot say: for the lake, events vs dead letters.
    pub fn detail(&self) -> Option<String> {
        match self {
            CliSink::Any(_) => None,
            CliSink::Lake(s) => {
                let c = s.counters().snapshot();
                Some(format!(
                    "lake: {} events and {} dead letters (malformed records, with reasons, in dead_letters/) in {} files",
                    c.committed_events, c.committed_dead_letters, c.files
                ))
            }
        }
    }
}

impl Sink for CliSink {
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError> {
        match self {
            CliSink::Any(s) => s.send(batch).await,
            CliSink::Lake(s) => s.send(batch).await,
        }
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        match self {
            CliSink::Any(s) => s.flush().await,
            CliSink::Lake(s) => s.flush().await,
        }
    }

    fn stats(&self) -> &Arc<SinkStats> {
        match self {
            CliSink::Any(s) => s.stats(),
            CliSink::Lake(s) => s.stats(),
        }
    }

    fn describe(&self) -> String {
        match self {
            CliSink::Any(s) => s.describe(),
            CliSink::Lake(s) => s.describe(),
        }
    }
}
