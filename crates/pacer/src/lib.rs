//! The pacer stage: model ──► pacer ──► sink.
//!
//! [`run`] produces the events of a [`Plan`] and hands them to a sink, either at a
//! target rate (smooth: event `seq` is emitted when the wall clock reaches its place
//! on a drift-free [`Schedule`], never in bursts) or as fast as possible (worker threads
//! encode chunks in parallel; the sink receives them in sequence order, so the output
//! is the same for any number of threads). A run ends when its count or duration is
//! reached, when [`Control::stop`] fires, or when the sink's reader goes away; it then
//! flushes the sink within the plan's deadline.

mod fast;
mod paced;
mod timeline;

pub use timeline::{TimelinePlan, WallClock, run_timeline};

use std::sync::Arc;
use std::time::Duration;

use csgen_model::{Encoder, Generator, Shard};
use csgen_sinks::{Sink, SinkError};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// How fast to emit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pacing {
    /// This many events per second of the logical stream (a shard emits its share).
    Rate(f64),
    /// As fast as the sink takes them, with `threads` encoding in parallel. Event
    /// times are spaced as if at `nominal_rate` events per second.
    Unpaced { nominal_rate: f64, threads: usize },
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The encoder for the run's record format (cloned per worker).
    pub encoder: Encoder,
    /// First sequence number of the logical stream.
    pub start_seq: u64,
    /// One past the last sequence number, if the run is bounded by a count.
    pub end_seq: Option<u64>,
    /// Event time of `start_seq`, Unix milliseconds.
    pub start_ms: i64,
    pub pacing: Pacing,
    /// Wall-clock bound of the run.
    pub duration: Option<Duration>,
    pub shard: Shard,
    /// How long the final flush may take.
    pub flush_timeout: Duration,
}

/// Lets another task stop a run or change its rate while it runs.
#[derive(Debug, Clone)]
pub struct Control {
    stop: CancellationToken,
    rate: watch::Sender<f64>,
}

impl Control {
    pub fn new(rate: f64) -> Self {
        Self {
            stop: CancellationToken::new(),
            rate: watch::Sender::new(rate),
        }
    }

    /// Ends the run after the batch in hand; the sink is flushed.
    pub fn stop(&self) {
        self.stop.cancel();
    }

    pub fn is_stopped(&self) -> bool {
        self.stop.is_cancelled()
    }

    /// Changes a paced run's rate from the next event on (no effect on unpaced runs).
    pub fn set_rate(&self, rate: f64) {
        self.rate.send_replace(rate);
    }

    pub fn rate(&self) -> f64 {
        *self.rate.borrow()
    }
}

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    CountReached,
    DurationElapsed,
    Stopped,
    /// The sink's reader went away (e.g. `csgen generate | head`).
    OutputClosed,
    /// The sink failed; see [`Outcome::error`].
    Failed,
}

/// What a run did.
#[derive(Debug)]
pub struct Outcome {
    pub reason: StopReason,
    /// Events handed to the sink by this run.
    pub emitted: u64,
    /// The sequence number a continuation should start at (after every event this run
    /// generated, delivered or not, so ids are never reused).
    pub next_seq: u64,
    pub elapsed: Duration,
    /// The sink error that ended the run ([`StopReason::Failed`]), or that the final
    /// flush reported.
    pub error: Option<SinkError>,
}

/// How a run loop ended.
pub(crate) struct End {
    reason: StopReason,
    next_seq: u64,
    error: Option<SinkError>,
}

impl End {
    fn at(reason: StopReason, next_seq: u64) -> Self {
        Self {
            reason,
            next_seq,
            error: None,
        }
    }

    /// The sink refused the batch ending before `next_seq`.
    fn failed(error: SinkError, next_seq: u64) -> Self {
        let reason = match error {
            SinkError::Closed { .. } => StopReason::OutputClosed,
            _ => StopReason::Failed,
        };
        let error = (reason == StopReason::Failed).then_some(error);
        Self {
            reason,
            next_seq,
            error,
        }
    }
}

/// Largest batch handed to a sink at once (in logical sequence numbers).
pub const CHUNK: u64 = 8192;

/// Runs `plan` into `sink` until it ends; see the crate docs.
///
/// The sink's counters say what was delivered; the outcome says why the run ended and
/// carries the sink's error if it failed.
pub async fn run<S: Sink>(
    generator: Arc<Generator>,
    sink: &mut S,
    plan: Plan,
    control: &Control,
) -> Outcome {
    let started = tokio::time::Instant::now();
    let generated_before = sink.stats().snapshot().generated;
    let mut end = match plan.pacing {
        Pacing::Rate(_) => paced::run(&generator, sink, &plan, control, started).await,
        Pacing::Unpaced {
            nominal_rate,
            threads,
        } => {
            fast::run(
                generator,
                sink,
                &plan,
                nominal_rate,
                threads,
                control,
                started,
            )
            .await
        }
    };
    finish_flush(sink, plan.flush_timeout, &mut end).await;
    Outcome {
        reason: end.reason,
        emitted: sink.stats().snapshot().generated - generated_before,
        next_seq: end.next_seq,
        elapsed: started.elapsed(),
        error: end.error,
    }
}

/// The final flush of a run, within its deadline; a failure becomes the run's error.
async fn finish_flush<S: Sink>(sink: &mut S, timeout: Duration, end: &mut End) {
    match tokio::time::timeout(timeout, sink.flush()).await {
        Ok(Ok(()) | Err(SinkError::Closed { .. })) => {}
        Ok(Err(e)) => {
            end.reason = StopReason::Failed;
            end.error.get_or_insert(e);
        }
        Err(_) => tracing::warn!(
            sink = sink.describe(),
            timeout_s = timeout.as_secs_f64(),
            "flush did not finish in time; undelivered records are counted as in flight"
        ),
    }
}

/// Hands a batch to the sink, counting it as generated first.
async fn deliver<S: Sink>(sink: &mut S, batch: csgen_model::Batch) -> Result<(), SinkError> {
    if batch.is_empty() {
        return Ok(());
    }
    sink.stats().add_generated(batch.len() as u64);
    sink.send(batch).await
}

#[cfg(test)]
mod tests;
