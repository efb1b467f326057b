//! Sources of raw records: the source registry.
//!
//! A source is named by a spec (`-`, `file:PATH` or a plain path, `kinesis:STREAM`,
//! `kafka:BROKERS/TOPIC?group=NAME`);
//! [`SOURCES`] is the one table of them (in `registry.rs`), from which parsing, the
//! forms list and the `--from` help come. Each source is one module: its spec type with
//! its scheme, options, parsing and `Display`, and the [`Source`] it opens.
//!
//! A [`Source`] only yields records with their position; the driver ([`crate::driver`])
//! owns batching, flushing, checkpoints and shutdown for every source alike.

pub mod file;
pub mod kafka;
pub mod kinesis;
mod lines;
mod read_ahead;
mod registry;
pub mod stdin;

pub use lines::{MAX_RECORD_BYTES, TOO_LARGE_KEEP};
pub use registry::{SOURCES, SourceSpec};

use std::fmt;
use std::ops::ControlFlow;

use crate::endpoint::aws::{AwsConfigError, AwsSettings};
use crate::enrich::Position;
use crate::lake::SourcePos;

/// One record as a source hands it over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item<'a> {
    /// A record, without its terminator.
    Record(&'a [u8]),
    /// A record over the size limit: its first bytes, and its whole length.
    TooLarge { prefix: &'a [u8], bytes: u64 },
}

/// What [`Source::fill`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fill {
    /// Records are ready for [`Source::drain`].
    Ready,
    /// The source has ended (end of file, or idle for its `until-idle`).
    End,
    /// The source asks for a commit now (e.g. before it gives up a partition).
    Commit,
}

/// Where raw records come from.
#[async_trait::async_trait]
pub trait Source: Send {
    /// Waits until records are available. Cancel-safe: the driver drops this future
    /// when a flush deadline or shutdown comes first, and nothing is lost.
    async fn fill(&mut self) -> Result<Fill, SourceError>;

    /// Hands the available records to `emit`, in order, until they run out or `emit`
    /// returns `Break` (the rest stays for the next call). `arrival_ms` is the wall
    /// time of this read, for records whose source has no arrival time of its own.
    fn drain(
        &mut self,
        arrival_ms: i64,
        emit: &mut dyn FnMut(Item<'_>, Position) -> ControlFlow<()>,
    );

    /// The position just after the last record emitted: what a commit now covers.
    fn position(&self) -> &SourcePos;

    /// The lake committed everything up to `pos` (e.g. Kafka then commits its offsets).
    async fn committed(&mut self, _pos: &SourcePos) -> Result<(), SourceError> {
        Ok(())
    }
}

/// What a source needs to open, besides its spec.
#[derive(Debug, Clone, Default)]
pub struct SourceContext {
    /// AWS settings of AWS sources (endpoint override); the standard chain otherwise.
    pub aws: AwsSettings,
    /// Where to resume: the lake's checkpoint for this source.
    pub resume: SourcePos,
    /// That checkpoint's location (`LAKE/_csgen/checkpoints/….json`), for messages.
    pub checkpoint: Option<String>,
}

/// Why a source failed.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("source {source_name}: {error}")]
    Io {
        source_name: String,
        #[source]
        error: std::io::Error,
    },
    /// A service call failed in a way retrying will not fix (missing stream, no access).
    #[error("source {source_name}: {call}: {error}")]
    Service {
        source_name: String,
        /// The call that failed (`GetRecords shardId-000000000000`).
        call: String,
        #[source]
        error: crate::endpoint::ServiceError,
    },
    /// The source is not the one the checkpoint was written for.
    #[error(
        "source {source_name}: {what}, so the lake's checkpoint {checkpoint} does not \
         apply to it. To read it from the start into this lake, remove that checkpoint \
         (or run with --no-checkpoint)"
    )]
    Changed {
        source_name: String,
        what: String,
        checkpoint: String,
    },
    #[error("source {source_name}: {error}")]
    Aws {
        source_name: String,
        #[source]
        error: AwsConfigError,
    },
}

/// What each source module provides to the registry.
#[async_trait::async_trait]
pub trait SourceEndpoint: fmt::Display + Send + Sync {
    async fn open(&self, cx: &SourceContext) -> Result<Box<dyn Source>, SourceError>;
    fn checkpoint_name(&self) -> Option<String>;
}
