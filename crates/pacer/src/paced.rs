//! Paced runs: emit each event when the clock reaches its scheduled time.

use csgen_model::{Generator, Schedule, produce};
use csgen_sinks::Sink;
use tokio::time::Instant;

use crate::{CHUNK, Control, End, Pacing, Plan, StopReason, deliver};

pub(crate) async fn run<S: Sink>(
    generator: &Generator,
    sink: &mut S,
    plan: &Plan,
    control: &Control,
    started: Instant,
) -> End {
    let Pacing::Rate(initial) = plan.pacing else {
        unreachable!("paced::run is only called for Pacing::Rate")
    };
    let mut rate_rx = control.rate.subscribe();
    rate_rx.mark_unchanged();
    let rate = if rate_rx.borrow().is_finite() && *rate_rx.borrow() > 0.0 {
        *rate_rx.borrow()
    } else {
        initial
    };
    let mut encoder = plan.encoder.clone();
    let shard = plan.shard;
    let end = plan.end_seq.unwrap_or(u64::MAX);
    let deadline = plan.duration.map(|d| started + d);

    // The schedule's anchor event happens at `anchor`; both are moved when the rate changes.
    let mut schedule = Schedule::new(plan.start_seq, plan.start_ms, rate);
    let mut anchor = started;
    let mut next = plan.start_seq;

    loop {
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            return End::at(StopReason::DurationElapsed, next);
        }
        let due = schedule.due_end(now - anchor).min(end);
        while next < due {
            let chunk_end = due.min(next + CHUNK);
            let batch = produce(generator, &mut encoder, &schedule, shard, next, chunk_end);
            let sent = deliver(sink, batch).await;
            next = chunk_end;
            if let Err(e) = sent {
                return End::failed(e, next);
            }
        }
        if next >= end {
            return End::at(StopReason::CountReached, next);
        }
        // Sleep until the next event this shard owns, the deadline, a stop or a new rate.
        let wake = anchor + schedule.offset(shard.next_owned(next));
        let wake = deadline.map_or(wake, |d| wake.min(d));
        tokio::select! {
            _ = tokio::time::sleep_until(wake) => {}
            _ = control.stop.cancelled() => return End::at(StopReason::Stopped, next),
            changed = rate_rx.changed() => {
                if changed.is_ok() {
                    let rate = *rate_rx.borrow_and_update();
                    if rate.is_finite() && rate > 0.0 {
                        // Re-anchor: the next event happens now, stamped with the time now.
                        let now = Instant::now();
                        schedule = Schedule::new(next, schedule.time_at(now - anchor), rate);
                        anchor = now;
                    }
                }
            }
        }
    }
}
