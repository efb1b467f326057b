//! The pacer stage: model ──► pacer ──► sink.
//!
//! [`run`] produces the events of a [`Plan`] and hands them to a sink. The classic
//! model runs at a target rate (smooth: event `seq` is emitted when the wall clock
//! reaches its place on a drift-free schedule, never in bursts) or as fast as possible
//! (worker threads encode chunks in parallel; the sink receives them in sequence
//! order). The realistic model is driven by event time: a backfill runs as fast as the
//! sink takes it (worker threads generate disjoint slices of the customers and the
//! records are merged back into stream order), a live run emits each event when the
//! wall clock reaches its arrival time. Either way the output is the same for any
//! number of threads. A run ends when its count or duration is reached, when
//! [`Control::stop`] fires, or when the sink's reader goes away; it then flushes the
//! sink within the plan's deadline.

mod backfill;
mod fast;
mod live;
mod paced;
mod plan;
mod timeline;

pub use live::MIN_GAP_MS as LIVE_MIN_GAP_MS;
pub use plan::{
    AUTO_BACKFILL_WORKERS, MAX_THREADS, Model, Pacing, Plan, PlanError, WallClock, system_clock,
};

use std::time::Duration;

use csgen_model::Manifest;
use csgen_sinks::{Sink, SinkError};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

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

    /// Changes a paced classic run's rate from the next event on (no effect on other
    /// runs). A rate outside [`csgen_model::rate::RANGE`] changes nothing: callers
    /// check it first ([`csgen_model::rate::check`]) to tell the user.
    pub fn set_rate(&self, rate: f64) {
        match csgen_model::rate::check(rate) {
            Ok(rate) => {
                self.rate.send_replace(rate);
            }
            Err(e) => tracing::warn!(error = %e, "rate change ignored"),
        }
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
    /// The run failed; see [`Outcome::error`].
    Failed,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Sink(#[from] SinkError),
    /// The plan was refused before anything ran.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A worker thread ended before its work was done (it panicked).
    #[error("worker thread {index} ended before its work was done")]
    Worker { index: usize },
    /// An encoder thread of a backfill on several workers ended before its work was
    /// done (it panicked).
    #[error("encoder thread {index} ended before its work was done")]
    Encoder { index: usize },
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
    /// What ended the run ([`StopReason::Failed`]), or what the final flush reported.
    pub error: Option<RunError>,
    /// The ground truth of a realistic run that asked for it.
    pub manifest: Option<Manifest>,
}

/// How a run loop ended.
pub(crate) struct End {
    reason: StopReason,
    next_seq: u64,
    error: Option<RunError>,
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
        match error {
            SinkError::Closed { .. } => Self::at(StopReason::OutputClosed, next_seq),
            e => Self::error(e.into(), next_seq),
        }
    }

    fn error(error: RunError, next_seq: u64) -> Self {
        Self {
            reason: StopReason::Failed,
            next_seq,
            error: Some(error),
        }
    }
}

/// Largest batch handed to a sink at once (in events).
pub const CHUNK: u64 = 8192;

/// Runs `plan` into `sink` until it ends; see the crate docs.
///
/// The sink's counters say what was delivered; the outcome says why the run ended and
/// carries the error if it failed. A plan that fails [`Plan::check`] ends at once,
/// with nothing sent.
pub async fn run<S: Sink>(sink: &mut S, plan: Plan, control: &Control) -> Outcome {
    let started = tokio::time::Instant::now();
    let generated_before = sink.stats().snapshot().generated;
    let start_seq = match &plan.model {
        Model::Classic { start_seq, .. } => *start_seq,
        Model::Realistic { .. } => 0,
    };
    let (mut end, manifest) = match plan.check() {
        Err(e) => (End::error(e.into(), start_seq), None),
        Ok(()) => match &plan.model {
            Model::Classic {
                generator,
                encoder,
                pacing,
                start_seq,
            } => {
                let classic = plan::Classic {
                    generator,
                    encoder,
                    start_seq: *start_seq,
                };
                let end = match *pacing {
                    Pacing::Rate(rate) => {
                        paced::run(sink, &plan, classic, rate, control, started).await
                    }
                    Pacing::Unpaced { nominal_rate } => {
                        fast::run(sink, &plan, classic, nominal_rate, control, started).await
                    }
                };
                (end, None)
            }
            Model::Realistic { .. } => timeline::run(sink, &plan, control, started).await,
        },
    };
    finish_flush(sink, plan.flush_timeout, &mut end).await;
    Outcome {
        reason: end.reason,
        emitted: sink.stats().snapshot().generated - generated_before,
        next_seq: end.next_seq,
        elapsed: started.elapsed(),
        error: end.error,
        manifest,
    }
}

/// The final flush of a run, within its deadline; a failure becomes the run's error.
async fn finish_flush<S: Sink>(sink: &mut S, timeout: Duration, end: &mut End) {
    match tokio::time::timeout(timeout, sink.flush()).await {
        Ok(Ok(()) | Err(SinkError::Closed { .. })) => {}
        Ok(Err(e)) => {
            end.reason = StopReason::Failed;
            end.error.get_or_insert(e.into());
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
#[cfg(test)]
mod timeline_tests;
