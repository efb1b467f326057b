//! Live realistic runs: each event is emitted when the wall clock reaches its arrival
//! time, in hand-offs at least [`MIN_GAP_MS`] apart.
//!
//! A hand-off costs a wake-up, a batch and a sink call (for a file, a write on tokio's
//! blocking pool) whatever it holds: one per event made a busy store's live run spend
//! ~50 times the backfill's CPU per event. Events due within [`MIN_GAP_MS`] of the
//! last hand-off wait for the next one, so no event is later than that, and a store
//! quieter than one event per [`MIN_GAP_MS`] still gets each event on time.

use std::time::Duration;

use csgen_model::realistic::EventStream;
use csgen_sinks::Sink;
use tokio::time::Instant;

use crate::timeline::Emitter;
use crate::{Control, End, Plan, StopReason};

/// Longest sleep, so a stop or a deadline is noticed promptly.
const TICK_MS: i64 = 250;

/// Shortest time between two hand-offs to the sink: the most an event is emitted
/// after its arrival time.
pub const MIN_GAP_MS: i64 = 100;

/// Emits the events arriving from `from_ms` on, each at its time on `plan.clock`.
pub(crate) async fn run<S: Sink>(
    sink: &mut S,
    emitter: &mut Emitter<'_>,
    plan: &Plan,
    from_ms: i64,
    control: &Control,
    deadline: Option<Instant>,
) -> End {
    let mut stream = EventStream::new(emitter.model, plan.shard, from_ms);
    let mut events = Vec::new();
    loop {
        let now_ms = (plan.clock)();
        events.clear();
        stream.fill_until(now_ms.saturating_add(1), &mut events);
        if let Err(e) = emitter.emit(sink, &events).await {
            return End::failed(e, emitter.emitted);
        }
        if emitter.left == 0 {
            return End::at(StopReason::CountReached, emitter.emitted);
        }
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            return End::at(StopReason::DurationElapsed, emitter.emitted);
        }
        let next = stream
            .peek_arrival(TICK_MS)
            .unwrap_or(now_ms.saturating_add(TICK_MS));
        let wait = next
            .saturating_sub(now_ms)
            .clamp(MIN_GAP_MS, TICK_MS.max(MIN_GAP_MS));
        let wait = Duration::from_millis(wait as u64);
        let wake = deadline.map_or(now + wait, |d| (now + wait).min(d));
        tokio::select! {
            _ = tokio::time::sleep_until(wake) => {}
            _ = control.stop.cancelled() => return End::at(StopReason::Stopped, emitter.emitted),
        }
    }
}
