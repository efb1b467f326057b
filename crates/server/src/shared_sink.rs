//! The controller's sink, shared with the run that writes to it.
//!
//! A run used to own the sink and hand it back when it ended, so a run that panicked
//! took the sink with it and every later `/start` failed. Now the controller keeps the
//! sink behind an async mutex and lends each run a [`SharedSink`] handle: a panic drops
//! the handle and the lock guard, never the sink, and the next run writes to the same
//! sink (the same file, the same counters).
//!
//! The handle also remembers the highest sequence number handed to the sink, which is
//! where a run that crashed before reporting its own progress must continue so that
//! no event id is used twice.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use csgen_model::Batch;
use csgen_sinks::{AnySink, Sink, SinkError, SinkStats};
use tokio::sync::Mutex;

/// A handle on the controller's one sink; clones share it.
#[derive(Clone)]
pub(crate) struct SharedSink {
    sink: Arc<Mutex<AnySink>>,
    stats: Arc<SinkStats>,
    describe: Arc<str>,
    /// One past the highest sequence number ever handed to the sink.
    next_seq: Arc<AtomicU64>,
}

impl SharedSink {
    pub(crate) fn new<S: Sink + 'static>(sink: S) -> Self {
        Self {
            stats: sink.stats().clone(),
            describe: sink.describe().into(),
            sink: Arc::new(Mutex::new(Box::new(sink) as AnySink)),
            next_seq: Arc::new(AtomicU64::new(0)),
        }
    }

    /// One past the highest sequence number the sink has been given.
    pub(crate) fn next_seq(&self) -> u64 {
        self.next_seq.load(Ordering::Relaxed)
    }

    /// Flushes outside any run (at shutdown). Waits while a run holds the sink.
    pub(crate) async fn flush_now(&self) -> Result<(), SinkError> {
        self.sink.lock().await.flush().await
    }
}

#[async_trait::async_trait]
impl Sink for SharedSink {
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError> {
        if let Some(last) = batch.clicks.iter().map(|c| c.seq).max() {
            self.next_seq.fetch_max(last + 1, Ordering::Relaxed);
        }
        self.sink.lock().await.send(batch).await
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        self.sink.lock().await.flush().await
    }

    fn stats(&self) -> &Arc<SinkStats> {
        &self.stats
    }

    fn describe(&self) -> String {
        self.describe.to_string()
    }

    // The two below read the sink itself; a run that holds it is mid-batch, and the
    // summary they feed is read after the runs end.
    fn detail(&self) -> Option<String> {
        self.sink.try_lock().ok()?.detail()
    }

    fn failure_reasons(&self) -> BTreeMap<String, u64> {
        self.sink
            .try_lock()
            .map(|s| s.failure_reasons())
            .unwrap_or_default()
    }
}
