//! Live realistic runs: each event is emitted when the wall clock reaches its arrival
//! time.

use std::time::Duration;

use csgen_model::realistic::EventStream;
use csgen_sinks::Sink;
use tokio::time::Instant;

use crate::timeline::Emitter;
use crate::{Control, End, Plan, StopReason};

/// Longest sleep, so a stop or a deadline is noticed promptly.
const TICK_MS: i64 = 250;

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
        let wait = Duration::from_millis(next.saturating_sub(now_ms).clamp(1, TICK_MS) as u64);
        let wake = deadline.map_or(now + wait, |d| (now + wait).min(d));
        tokio::select! {
            _ = tokio::time::sleep_until(wake) => {}
            _ = control.stop.cancelled() => return End::at(StopReason::Stopped, emitter.emitted),
        }
    }
}
