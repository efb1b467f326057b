//! `stdout`: records on standard output, one per line.

use std::sync::Arc;

use tokio::io::AsyncWriteExt;

use crate::{Batch, Sink, SinkError, SinkStats};

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
