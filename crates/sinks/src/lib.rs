//! Where records go.
//!
//! A [`Sink`] takes [`Batch`]es of encoded records, delivers them (buffering, batching
//! and retrying as its service needs) and accounts for every record in its
//! [`SinkStats`]: generated = delivered + failed + in flight, at every moment.
//! [`SinkSpec`] is the closed set of sinks a user can name (`stdout`, `file:PATH`, …);
//! [`SinkSpec::build`] opens one as an [`AnySink`].

mod file;
mod spec;
mod stats;
mod stdout;

use std::future::Future;
use std::sync::Arc;

pub use csgen_model::Batch;
pub use file::FileSink;
pub use spec::SinkSpec;
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
    /// A failure that retrying cannot fix (bad configuration, missing stream, no access).
    #[error("{target}: {message}")]
    Fatal { target: String, message: String },
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
}

macro_rules! each_sink {
    ($self:expr, $s:ident => $body:expr) => {
        match $self {
            AnySink::Stdout($s) => $body,
            AnySink::File($s) => $body,
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
