//! Runs of the realistic model, driven by event time rather than by a rate.
//!
//! A backfill (`from..to`) emits the range's events as fast as the sink takes them,
//! slice by slice of simulated time. A live run emits each event when the wall clock
//! reaches its arrival time. A backfill may hand over to live time (`then_live`), after
//! flushing the sink. The ground-truth manifest is built from exactly the events handed
//! to the sink.

use std::sync::Arc;
use std::time::Duration;

use csgen_model::realistic::{
    Event, EventEncoder, EventStream, Manifest, RealisticModel, TruthBuilder,
};
use csgen_model::{Batch, Format, Shard};
use csgen_sinks::{Sink, SinkError};
use tokio::time::Instant;

use crate::{CHUNK, Control, End, Outcome, StopReason, deliver};

/// The wall clock in Unix milliseconds, injected so tests can run live mode on a
/// paused clock.
pub type WallClock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// What to generate with the realistic model.
#[derive(Clone)]
pub struct TimelinePlan {
    pub format: Format,
    /// Arrival time of the first event, Unix ms.
    pub from_ms: i64,
    /// End of the backfill (exclusive); `None` for a live run from `from_ms`.
    pub to_ms: Option<i64>,
    /// After the backfill, continue in live time.
    pub then_live: bool,
    pub shard: Shard,
    /// Stop after this many events.
    pub count: Option<u64>,
    /// Wall-clock bound of the run.
    pub duration: Option<Duration>,
    pub flush_timeout: Duration,
    /// Build the ground-truth manifest of what was emitted.
    pub truth: bool,
    pub clock: WallClock,
}

/// Simulated time generated per step of a backfill.
const BACKFILL_STEP_MS: i64 = 60_000;
/// Longest sleep in live mode, so a stop or a deadline is noticed promptly.
const LIVE_TICK_MS: i64 = 250;

/// Runs `plan`; returns the outcome and, if asked for, the manifest.
pub async fn run_timeline<S: Sink>(
    model: Arc<RealisticModel>,
    sink: &mut S,
    plan: TimelinePlan,
    control: &Control,
) -> (Outcome, Option<Manifest>) {
    let started = Instant::now();
    let generated_before = sink.stats().snapshot().generated;
    let mut emitter = Emitter {
        model: &model,
        encoder: EventEncoder::new(plan.format, &model),
        truth: plan
            .truth
            .then(|| TruthBuilder::new(&model, plan.format, plan.shard)),
        left: plan.count.unwrap_or(u64::MAX),
        emitted: 0,
    };
    let mut stream = EventStream::new(&model, plan.shard, plan.from_ms);
    let deadline = plan.duration.map(|d| started + d);
    let mut events = Vec::new();

    let end = 'run: {
        if let Some(to_ms) = plan.to_ms {
            let mut t = plan.from_ms;
            while t < to_ms {
                if control.is_stopped() {
                    break 'run End::at(StopReason::Stopped, emitter.emitted);
                }
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    break 'run End::at(StopReason::DurationElapsed, emitter.emitted);
                }
                t = (t + BACKFILL_STEP_MS).min(to_ms);
                events.clear();
                stream.fill_until(t, &mut events);
                if let Err(e) = emitter.emit(sink, &events).await {
                    break 'run End::failed(e, emitter.emitted);
                }
                if emitter.left == 0 {
                    break 'run End::at(StopReason::CountReached, emitter.emitted);
                }
                // Let other tasks (the control server, signal handlers) run.
                tokio::task::yield_now().await;
            }
            if !plan.then_live {
                break 'run End::at(StopReason::CountReached, emitter.emitted);
            }
            // Hand the backfill over whole before going live, so that a lake commits it
            // now instead of at its next age limit. A flush that takes too long is not
            // an error here: what it holds is still in flight and flushed at the end.
            if let Ok(Err(e)) = tokio::time::timeout(plan.flush_timeout, sink.flush()).await {
                break 'run End::failed(e, emitter.emitted);
            }
        }
        loop {
            let now_ms = (plan.clock)();
            events.clear();
            stream.fill_until(now_ms + 1, &mut events);
            if let Err(e) = emitter.emit(sink, &events).await {
                break 'run End::failed(e, emitter.emitted);
            }
            if emitter.left == 0 {
                break 'run End::at(StopReason::CountReached, emitter.emitted);
            }
            let now = Instant::now();
            if deadline.is_some_and(|d| now >= d) {
                break 'run End::at(StopReason::DurationElapsed, emitter.emitted);
            }
            let next = stream
                .peek_arrival(LIVE_TICK_MS)
                .unwrap_or(now_ms + LIVE_TICK_MS);
            let wait = Duration::from_millis((next - now_ms).clamp(1, LIVE_TICK_MS) as u64);
            let wake = deadline.map_or(now + wait, |d| (now + wait).min(d));
            tokio::select! {
                _ = tokio::time::sleep_until(wake) => {}
                _ = control.stop.cancelled() => break 'run End::at(StopReason::Stopped, emitter.emitted),
            }
        }
    };

    let manifest = emitter.truth.take().map(TruthBuilder::finish);
    let mut end = end;
    crate::finish_flush(sink, plan.flush_timeout, &mut end).await;
    let outcome = Outcome {
        reason: end.reason,
        emitted: sink.stats().snapshot().generated - generated_before,
        next_seq: end.next_seq,
        elapsed: started.elapsed(),
        error: end.error,
    };
    (outcome, manifest)
}

/// Encodes events into batches, hands them to the sink and records them in the truth.
struct Emitter<'m> {
    model: &'m RealisticModel,
    encoder: EventEncoder,
    truth: Option<TruthBuilder<'m>>,
    left: u64,
    emitted: u64,
}

impl Emitter<'_> {
    async fn emit<S: Sink>(&mut self, sink: &mut S, events: &[Event]) -> Result<(), SinkError> {
        let take = events
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        for chunk in events[..take].chunks(CHUNK as usize) {
            let mut batch = Batch::with_capacity(chunk.len(), chunk.len() * 256);
            for e in chunk {
                self.encoder.push(self.model, e, &mut batch);
            }
            if let Some(t) = self.truth.as_mut() {
                t.add_all(chunk);
            }
            self.left -= chunk.len() as u64;
            self.emitted += chunk.len() as u64;
            deliver(sink, batch).await?;
        }
        Ok(())
    }
}
