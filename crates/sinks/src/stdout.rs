//! `stdout` (or `-`): records on standard output, one per line.

use std::fmt;
use std::sync::Arc;

use csgen_pipeline::endpoint::Form;
use tokio::io::AsyncWriteExt;

use crate::context::{Built, SinkContext, SinkEndpoint};
use crate::{Batch, Sink, SinkError, SinkStats};

pub const FORM: Form = Form {
    scheme: "stdout",
    form: "stdout, -",
    about: "records on standard output, one per line",
};

/// Standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StdoutSpec;

impl StdoutSpec {
    pub fn parse(rest: &str) -> Result<Self, String> {
        match rest {
            "" => Ok(Self),
            _ => Err("stdout takes no name or options".to_owned()),
        }
    }
}

impl fmt::Display for StdoutSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("stdout")
    }
}

#[async_trait::async_trait]
impl SinkEndpoint for StdoutSpec {
    async fn build(&self, _cx: &SinkContext) -> Result<Built, SinkError> {
        Ok(Built::unchecked(Box::new(StdoutSink::new())))
    }
}

pub struct StdoutSink {
    out: tokio::io::Stdout,
    stats: Arc<SinkStats>,
}

impl StdoutSink {
    pub fn new() -> Self {
        Self {
            out: tokio::io::stdout(),
            stats: Arc::default(),
        }
    }
}

impl Default for StdoutSink {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait::async_trait]
impl Sink for StdoutSink {
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError> {
        write_batch(&mut self.out, &batch, &self.stats, "stdout").await
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        self.out
            .flush()
            .await
            .map_err(|e| SinkError::io("stdout", e))
    }

    fn stats(&self) -> &Arc<SinkStats> {
        &self.stats
    }

    fn describe(&self) -> String {
        "stdout".to_owned()
    }
}

/// Writes a whole batch and hands it to the OS; the batch counts as delivered only
/// then, and as failed if the write fails.
pub(crate) async fn write_batch<W: tokio::io::AsyncWrite + Unpin>(
    out: &mut W,
    batch: &Batch,
    stats: &SinkStats,
    target: &str,
) -> Result<(), SinkError> {
    let n = batch.len() as u64;
    let written = async {
        out.write_all(&batch.data).await?;
        out.flush().await
    }
    .await;
    match written {
        Ok(()) => {
            stats.add_delivered(n);
            Ok(())
        }
        Err(e) => {
            stats.add_failed(n);
            Err(SinkError::io(target, e))
        }
    }
}
