//! The one task that owns the collector's sink.
//!
//! Requests hand their records over with a reply channel; the task takes every request
//! waiting (up to [`GROUP_RECORDS`] records), sends them to the sink as one batch,
//! flushes it, and answers each request: delivered only if the flush succeeded and no
//! record of the group failed. So a request is answered 200 only once its records are
//! delivered, and a client that retries after any other answer can duplicate a click
//! but never lose one. Grouping concurrent requests into one flush keeps a lake's
//! commits (one set of files per flush) few when many clients send at once.
//!
//! Room is bounded in records: a request takes permits for its records before it is
//! queued and gives them back when answered; when there is no room it is refused at
//! once (429), never queued without bound.

use std::sync::Arc;

use csgen_model::{Batch, Click};
use csgen_sinks::{AnySink, Sink, SinkStats};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError, mpsc, oneshot};
use tokio::task::JoinHandle;

/// Most records sent to the sink in one batch and flush.
pub const GROUP_RECORDS: usize = 50_000;

/// What a request is told once its records are delivered or not.
pub type Reply = Result<(), String>;

struct Job {
    records: Vec<Vec<u8>>,
    reply: oneshot::Sender<Reply>,
    _room: OwnedSemaphorePermit,
}

/// Why records were not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No room for this many records now: try again later (429).
    Full,
    /// The writer has stopped (shutting down, 503).
    Closed,
}

/// The handle requests use to queue records.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::UnboundedSender<Job>,
    room: Arc<Semaphore>,
    stats: Arc<SinkStats>,
    describe: String,
}

impl Writer {
    /// Starts the task owning `sink`, with room for `buffer_records` records; the task
    /// ends (handing the flushed sink back) once every [`Writer`] is dropped.
    pub fn start(sink: AnySink, buffer_records: usize) -> (Self, JoinHandle<AnySink>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let writer = Self {
            tx,
            room: Arc::new(Semaphore::new(buffer_records)),
            stats: sink.stats().clone(),
            describe: sink.describe(),
        };
        (writer, tokio::spawn(run(sink, rx)))
    }

    /// Queues `records`; the receiver says when they are delivered.
    pub fn submit(&self, records: Vec<Vec<u8>>) -> Result<oneshot::Receiver<Reply>, Refused> {
        let n = u32::try_from(records.len()).map_err(|_| Refused::Full)?;
        let room = self
            .room
            .clone()
            .try_acquire_many_owned(n)
            .map_err(|e| match e {
                TryAcquireError::NoPermits => Refused::Full,
                TryAcquireError::Closed => Refused::Closed,
            })?;
        let (reply, done) = oneshot::channel();
        self.tx
            .send(Job {
                records,
                reply,
                _room: room,
            })
            .map_err(|_| Refused::Closed)?;
        Ok(done)
    }

    pub fn stats(&self) -> &Arc<SinkStats> {
        &self.stats
    }

    pub fn describe(&self) -> &str {
        &self.describe
    }
}

/// The click a collected record is routed by: its `user_id` if it has one (a
/// `partition-key=user` sink keeps a user's clicks together), arrival time.
fn click(record: &[u8], seq: u64, now_ms: i64) -> Click {
    let user_id = csgen_pipeline::raw::parse(record)
        .ok()
        .and_then(|r| r.user_id)
        .and_then(|u| u64::try_from(u).ok())
        .unwrap_or(0);
    Click {
        seq,
        ts_ms: now_ms,
        user_id,
        group_id: 0,
        product_id: None,
        session: None,
        run_key: 0,
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

async fn run(mut sink: AnySink, mut rx: mpsc::UnboundedReceiver<Job>) -> AnySink {
    let mut seq = 0u64;
    while let Some(first) = rx.recv().await {
        let mut count = first.records.len();
        let mut jobs = vec![first];
        while count < GROUP_RECORDS {
            match rx.try_recv() {
                Ok(job) => {
                    count += job.records.len();
                    jobs.push(job);
                }
                Err(_) => break,
            }
        }
        let bytes = jobs
            .iter()
            .flat_map(|j| &j.records)
            .map(|r| r.len() + 1)
            .sum();
        let mut batch = Batch::with_capacity(count, bytes);
        let now = now_ms();
        for record in jobs.iter().flat_map(|j| &j.records) {
            batch.push_encoded(click(record, seq, now), |out| out.extend_from_slice(record));
            seq += 1;
        }
        let stats = sink.stats().clone();
        stats.add_generated(count as u64);
        let failed_before = stats.snapshot().failed;
        let result = match sink.send(batch).await {
            Ok(()) => sink.flush().await,
            Err(e) => Err(e),
        };
        let failed = stats.snapshot().failed - failed_before;
        let verdict = match result {
            Err(e) => Err(format!("not delivered: {e}")),
            Ok(()) if failed > 0 => Err(format!(
                "{failed} of {count} records delivered with this request failed: {:?}",
                sink.failure_reasons()
            )),
            Ok(()) => Ok(()),
        };
        if let Err(reason) = &verdict {
            tracing::warn!(sink = %sink.describe(), records = count, %reason, "collected records not delivered");
        }
        for job in jobs {
            let _ = job.reply.send(verdict.clone());
        }
    }
    if let Err(e) = sink.flush().await {
        tracing::error!(error = %e, "final flush failed");
    }
    sink
}
