//! Where records go: the sink registry.
//!
//! A [`Sink`] takes [`Batch`]es of encoded records, delivers them (buffering, batching
//! and retrying as its service needs) and accounts for every record in its
//! [`SinkStats`]: generated = delivered + failed + in flight, at every moment.
//!
//! Each sink is one module (`stdout`, `file`, `kinesis`, `firehose`, `kafka`, `http`,
//! `browse`, `lake`) that owns
//! its scheme, spec form and options, parsing, `Display`, build and help line.
//! [`SinkSpec`] is the closed set a user can name (`--sink SPEC`) and [`SINKS`] the one
//! table behind its parsing and help; [`SinkSpec::build`] opens a sink from a neutral
//! [`SinkContext`] and hands back a separate health check the caller may run.

mod batched;
pub mod browse;
pub mod calls;
mod context;
pub mod file;
pub mod firehose;
pub mod fuzzing;
pub mod http;
pub mod kafka;
pub mod kinesis;
pub mod lake;
mod reasons;
mod spec;
mod stats;
pub mod stdout;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use batched::options::{ClickField, PartitionKey, StreamOptions};
pub use batched::retry;
pub use context::{Built, HealthCheck, SinkContext, SinkEndpoint};
pub use csgen_model::Batch;
pub use csgen_pipeline::endpoint::{ServiceError, SpecError};
pub use file::FileSink;
pub use firehose::FirehoseSink;
pub use kafka::KafkaSink;
pub use kinesis::KinesisSink;
pub use spec::{SINKS, SinkSpec};
pub use stats::{SinkStats, StatsSnapshot};
pub use stdout::StdoutSink;

/// Why a sink could not deliver.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The reader went away (a closed pipe): stop generating, this is not a failure of csgen.
    #[error("{target}: output closed by the reader")]
    Closed { target: String },
    #[error("{target}: {source}")]
    Io {
        target: String,
        #[source]
        source: std::io::Error,
    },
    /// A failure that retrying cannot fix (bad configuration, missing stream, no
    /// access); the service's error is kept as the cause.
    #[error("{target}: {source}")]
    Fatal {
        target: String,
        #[source]
        source: ServiceError,
    },
    /// The flush deadline passed with records still undelivered; they are counted as failed.
    #[error("{target}: {records} records not delivered within the flush timeout of {timeout:?}")]
    Undelivered {
        target: String,
        records: u64,
        timeout: std::time::Duration,
    },
    /// The lake could not commit; the lake's error is kept as the cause.
    #[error("{target}: {source}")]
    Lake {
        target: String,
        #[source]
        source: Box<csgen_pipeline::LakeError>,
    },
}

impl SinkError {
    pub(crate) fn io(target: &str, source: std::io::Error) -> Self {
        if source.kind() == std::io::ErrorKind::BrokenPipe {
            Self::Closed {
                target: target.to_owned(),
            }
        } else {
            Self::Io {
                target: target.to_owned(),
                source,
            }
        }
    }

    pub(crate) fn fatal(target: impl Into<String>, source: impl Into<ServiceError>) -> Self {
        Self::Fatal {
            target: target.into(),
            source: source.into(),
        }
    }
}

/// A destination for records.
///
/// `send` may return before the records are delivered (a sink may batch); `flush`
/// returns once everything sent so far is delivered or counted as failed. Records a
/// sink gives up on are counted in [`SinkStats`], never dropped silently.
#[async_trait::async_trait]
pub trait Sink: Send {
    /// Takes a batch. Waits when the sink's buffer is full, which slows the generator
    /// down instead of growing memory.
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError>;

    /// Delivers everything buffered.
    async fn flush(&mut self) -> Result<(), SinkError>;

    /// The sink's counters; the caller adds to `generated` before each `send`.
    fn stats(&self) -> &Arc<SinkStats>;

    /// A short name for logs and summaries, e.g. `file:/tmp/out.jsonl`.
    fn describe(&self) -> String;

    /// What the summary line's counts cannot say (the lake: events vs dead letters).
    fn detail(&self) -> Option<String> {
        None
    }

    /// Failed records so far, by reason.
    fn failure_reasons(&self) -> BTreeMap<String, u64> {
        BTreeMap::new()
    }
}

/// Any sink csgen can build, as one type.
pub type AnySink = Box<dyn Sink>;

#[async_trait::async_trait]
impl<S: Sink + ?Sized> Sink for Box<S> {
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError> {
        (**self).send(batch).await
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        (**self).flush().await
    }

    fn stats(&self) -> &Arc<SinkStats> {
        (**self).stats()
    }

    fn describe(&self) -> String {
        (**self).describe()
    }

    fn detail(&self) -> Option<String> {
        (**self).detail()
    }

    fn failure_reasons(&self) -> BTreeMap<String, u64> {
        (**self).failure_reasons()
    }
}
