//! Encoder threads for a backfill on several workers.
//!
//! The workers' events are merged in stream order first and encoded after: chunk `k`
//! of the merged stream goes to encoder `k mod E`, and the consumer takes the encoded
//! chunks back in the same order. Merging the events (a few dozen bytes each) instead
//! of their records (hundreds of bytes of JSON) is what lets the workers scale: copying
//! the records into stream order on the consumer's thread cost about as much CPU as
//! the workers saved. An event's record depends on nothing but the event and the model,
//! so which thread encodes it does not change a byte.

use std::collections::VecDeque;
use std::sync::Arc;

use csgen_model::Batch;
use csgen_model::Format;
use csgen_model::realistic::{Event, EventEncoder, RealisticModel};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::{End, RunError};

/// A chunk of the merged stream and its records: record `i` encodes `events[i]`.
pub(super) struct Encoded {
    pub events: Vec<Event>,
    pub batch: Batch,
}

/// The encoder threads, and the chunks handed to them that are not yet taken back.
pub(super) struct Encoders {
    jobs: Vec<mpsc::Sender<Vec<Event>>>,
    done: Vec<mpsc::Receiver<Encoded>>,
    threads: Vec<JoinHandle<()>>,
    /// The encoder of each chunk handed over and not yet taken back, oldest first.
    pending: VecDeque<usize>,
    /// The encoder of the next chunk.
    next: usize,
    /// Event buffers whose records were emitted, to merge into again.
    spare: Vec<Vec<Event>>,
}

/// An encoder thread that ended before its work did (it panicked).
#[derive(Debug, Clone, Copy)]
pub(super) struct Died(pub usize);

impl Died {
    /// How the run ends, after `emitted` events.
    pub fn end(self, emitted: u64) -> End {
        End::error(RunError::Encoder { index: self.0 }, emitted)
    }
}

impl Encoders {
    /// Chunks an encoder holds at most: one being encoded, one waiting.
    const DEPTH: usize = 2;

    /// Starts `n` encoder threads on tokio's blocking pool.
    pub fn start(model: &Arc<RealisticModel>, format: Format, n: usize) -> Self {
        let mut encoders = Self {
            jobs: Vec::with_capacity(n),
            done: Vec::with_capacity(n),
            threads: Vec::with_capacity(n),
            pending: VecDeque::with_capacity(n * Self::DEPTH),
            next: 0,
            spare: Vec::new(),
        };
        for _ in 0..n {
            let (job_tx, job_rx) = mpsc::channel(Self::DEPTH);
            let (done_tx, done_rx) = mpsc::channel(Self::DEPTH);
            let model = model.clone();
            encoders.threads.push(tokio::task::spawn_blocking(move || {
                encode_chunks(&model, format, job_rx, done_tx)
            }));
            encoders.jobs.push(job_tx);
            encoders.done.push(done_rx);
        }
        encoders
    }

    /// Chunks handed over and not yet taken back.
    pub fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// Whether another chunk can be handed over without waiting for one to come back.
    pub fn has_room(&self) -> bool {
        self.pending.len() < self.jobs.len() * Self::DEPTH
    }

    /// An empty event buffer to merge the next chunk into.
    pub fn buffer(&mut self, capacity: usize) -> Vec<Event> {
        self.spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(capacity))
    }

    /// Gives back the events of a chunk once its records are emitted.
    pub fn recycle(&mut self, mut events: Vec<Event>) {
        events.clear();
        self.spare.push(events);
    }

    /// Hands `events` to the next encoder; call only when [`Encoders::has_room`].
    pub async fn submit(&mut self, events: Vec<Event>) -> Result<(), Died> {
        let e = self.next;
        self.jobs[e].send(events).await.map_err(|_| Died(e))?;
        self.pending.push_back(e);
        self.next = (e + 1) % self.jobs.len();
        Ok(())
    }

    /// The oldest chunk's records: waits for them if `wait`, else `None` unless they
    /// are ready (and `None` when nothing is in flight).
    pub async fn take(&mut self, wait: bool) -> Result<Option<Encoded>, Died> {
        let Some(&e) = self.pending.front() else {
            return Ok(None);
        };
        let chunk = if wait {
            self.done[e].recv().await.ok_or(Died(e))?
        } else {
            match self.done[e].try_recv() {
                Ok(chunk) => chunk,
                Err(mpsc::error::TryRecvError::Empty) => return Ok(None),
                Err(mpsc::error::TryRecvError::Disconnected) => return Err(Died(e)),
            }
        };
        self.pending.pop_front();
        Ok(Some(chunk))
    }

    /// Ends the threads: what they still hold is dropped.
    pub async fn stop(self) {
        drop(self.jobs);
        drop(self.done);
        for t in self.threads {
            let _ = t.await;
        }
    }
}

/// One encoder thread: encodes each chunk it is given, in order.
fn encode_chunks(
    model: &RealisticModel,
    format: Format,
    mut jobs: mpsc::Receiver<Vec<Event>>,
    done: mpsc::Sender<Encoded>,
) {
    let mut encoder = EventEncoder::new(format, model);
    let mut record_len = 256;
    while let Some(events) = jobs.blocking_recv() {
        let mut batch = Batch::recycled(events.len(), events.len() * record_len);
        for e in &events {
            encoder.push(model, e, &mut batch);
        }
        if let Some(len) = batch.data.len().checked_div(events.len()) {
            record_len = len + len / 8;
        }
        if done.blocking_send(Encoded { events, batch }).is_err() {
            return;
        }
    }
}
