//! Paced classic runs: emit each event when the clock reaches its scheduled time.
//!
//! A sink slower than the rate makes the run fall behind; it then catches up chunk by
//! chunk as fast as the sink takes them, checking for a stop and the deadline and
//! letting other tasks run between chunks, so that a run at any accepted rate still
//! ends promptly when asked to.

use csgen_model::{Generator, Schedule, produce};
use csgen_sinks::Sink;
use tokio::time::Instant;

use crate::plan::Classic;
use crate::{CHUNK, Control, End, Plan, StopReason, deliver};

pub(crate) async fn run<S: Sink>(
    sink: &mut S,
    plan: &Plan,
    classic: Classic<'_>,
    initial: f64,
    control: &Control,
    started: Instant,
) -> End {
    let Classic {
        generator,
        encoder,
        start_seq,
    } = classic;
    let generator: &Generator = generator;
    let mut rate_rx = control.rate.subscribe();
    rate_rx.mark_unchanged();
    // The control's rate was checked when it was set; the plan's by `Plan::check`.
    let rate = *rate_rx.borrow();
    let rate = if csgen_model::rate::check(rate).is_ok() {
        rate
    } else {
        initial
    };
    let mut encoder = encoder.clone();
    let shard = plan.shard;
    let end = plan.count.map_or(u64::MAX, |n| start_seq.saturating_add(n));
    let deadline = plan.duration.map(|d| started + d);

    // The schedule's anchor event happens at `anchor`; both are moved when the rate changes.
    let mut schedule = Schedule::new(start_seq, plan.start_ms, rate);
    let mut anchor = started;
    let mut next = start_seq;

    loop {
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            return End::at(StopReason::DurationElapsed, next);
        }
        let due = schedule.due_end(now - anchor).min(end);
        while next < due {
            let chunk_end = due.min(next.saturating_add(CHUNK));
            let batch = produce(generator, &mut encoder, &schedule, shard, next, chunk_end);
            let sent = deliver(sink, batch).await;
            next = chunk_end;
            if let Err(e) = sent {
                return End::failed(e, next);
            }
            // Catching up can take long behind a slow sink: stay responsive.
            if control.is_stopped() {
                return End::at(StopReason::Stopped, next);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return End::at(StopReason::DurationElapsed, next);
            }
            tokio::task::yield_now().await;
        }
        if next >= end {
            return End::at(StopReason::CountReached, next);
        }
        // Sleep until the next event this shard owns, the deadline, a stop or a new rate.
        let wake = anchor + schedule.offset(shard.next_owned(next));
        let wake = deadline.map_or(wake, |d| wake.min(d));
        tokio::select! {
            biased;
            _ = control.stop.cancelled() => return End::at(StopReason::Stopped, next),
            changed = rate_rx.changed() => {
                if changed.is_ok() {
                    let rate = *rate_rx.borrow_and_update();
                    if csgen_model::rate::check(rate).is_ok() {
                        // Re-anchor: the next event happens now, stamped with the time now.
                        let now = Instant::now();
                        schedule = Schedule::new(next, schedule.time_at(now - anchor), rate);
                        anchor = now;
                    }
                }
            }
            _ = tokio::time::sleep_until(wake) => {}
        }
    }
}
