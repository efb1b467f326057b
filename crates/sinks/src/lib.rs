//! Where records go.
//!
//! A [`Sink`] takes [`Batch`]es of encoded records, delivers them (buffering, batching
//! and retrying as its service needs) and accounts for every record in its
//! [`SinkStats`]: generated = delivered + failed + in flight, at every moment.
//! [`SinkSpec`] is the closed set of sinks a user can name (`stdout`, `file:PATH`, …);
//! [`SinkSpec::build`] opens one as an [`AnySink`].

mod aws;
pub mod batcher;
#[cfg(test)]
mod batcher_tests;
mod file;
pub mod firehose;
pub mod kinesis;
pub mod retry;
mod spec;
mod stats;
mod stdout;
pub mod stream_options;

use std::future::Future;
use std::sync::Arc;

pub use aws::{BuildOptions, load as load_aws_config};
pub use csgen_model::Batch;
pub use file::FileSink;
pub use firehose::FirehoseSink;
pub use kinesis::KinesisSink;
pub use spec::SinkSpec;
pub use stats::{SinkStats, StatsSnapshot};
pub use stdout::StdoutSink;
pub use stream_options::{ClickField, PartitionKey, StreamOptions};

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
    /// A failure that retrying cannot fix (bad configuration, missing stream, no access).
    #[error("{target}: {message}")]
    Fatal { target: String, message: String },
    /// The flush deadline passed with records still undelivered; they are counted as failed.
    #[error("{target}: {records} records not delivered within the flush timeout of {timeout:?}")]
    Undelivered {
        target: String,
        records: u64,
        timeout: std::time::Duration,
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
}

/// A destination for records.
///
/// `send` may return before the records are delivered (a sink may batch); `flush`
/// returns once everything sent so far is delivered or counted as failed. Records a
/// sink gives up on are counted in [`SinkStats`], never dropped silently.
pub trait Sink: Send {
    /// Takes a batch. Waits when the sink's buffer is full, which slows the generator
    /// down instead of growing memory.
    fn send(&mut self, batch: Batch) -> impl Future<Output = Result<(), SinkError>> + Send;

    /// Delivers everything buffered.
    fn flush(&mut self) -> impl Future<Output = Result<(), SinkError>> + Send;

    /// The sink's counters; the caller adds to `generated` before each `send`.
    fn stats(&self) -> &Arc<SinkStats>;

    /// A short name for logs and summaries, e.g. `file:/tmp/out.jsonl`.
    fn describe(&self) -> String;
}

/// Any sink csgen can build, as one type: the registry is this enum.
pub enum AnySink {
    Stdout(StdoutSink),
    File(FileSink),
    Kinesis(KinesisSink),
    Firehose(FirehoseSink),
}

macro_rules! each_sink {
    ($self:expr, $s:ident => $body:expr) => {
        match $self {
            AnySink::Stdout($s) => $body,
            AnySink::File($s) => $body,
            AnySink::Kinesis($s) => $body,
            AnySink::Firehose($s) => $body,
        }
    };
}

impl Sink for AnySink {
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError> {
        each_sink!(self, s => s.send(batch).await)
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        each_sink!(self, s => s.flush().await)
    }

    fn stats(&self) -> &Arc<SinkStats> {
        each_sink!(self, s => s.stats())
    }

    fn describe(&self) -> String {
        each_sink!(self, s => s.describe())
    }
}
