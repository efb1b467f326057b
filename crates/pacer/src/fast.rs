//! Unpaced classic runs: worker threads encode chunks in parallel, the sink gets them
//! in order.
//!
//! Worker `t` of `T` (a thread of tokio's blocking pool) encodes chunks `t, t + T,
//! t + 2T, …` and passes each through its own small bounded channel; the consumer
//! reads the channels round-robin, so chunks reach the sink in sequence order and a
//! slow sink holds the workers back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use csgen_model::{Batch, Schedule, produce};
use csgen_sinks::Sink;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::plan::Classic;
use crate::{CHUNK, Control, End, Plan, RunError, StopReason, deliver};

pub(crate) async fn run<S: Sink>(
    sink: &mut S,
    plan: &Plan,
    classic: Classic<'_>,
    nominal_rate: f64,
    control: &Control,
    started: Instant,
) -> End {
    let Classic {
        generator,
        encoder,
        start_seq,
    } = classic;
    let threads = plan.workers();
    let start = start_seq;
    let end = plan.count.map_or(u64::MAX, |n| start.saturating_add(n));
    let schedule = Schedule::new(start, plan.start_ms, nominal_rate);
    let quit = Arc::new(AtomicBool::new(false));
    let chunk_range = move |c: u64| {
        let a = start.saturating_add(c.saturating_mul(CHUNK));
        (a, a.saturating_add(CHUNK).min(end))
    };

    let mut receivers = Vec::with_capacity(threads);
    let mut workers = Vec::with_capacity(threads);
    for t in 0..threads {
        let (tx, rx) = mpsc::channel::<Batch>(2);
        receivers.push(rx);
        let (generator, quit, mut encoder) = (generator.clone(), quit.clone(), encoder.clone());
        let shard = plan.shard;
        workers.push(tokio::task::spawn_blocking(move || {
            let mut c = t as u64;
            loop {
                let (a, b) = chunk_range(c);
                if a >= b || quit.load(Ordering::Relaxed) {
                    break;
                }
                let batch = produce(&generator, &mut encoder, &schedule, shard, a, b);
                if tx.blocking_send(batch).is_err() {
                    break;
                }
                c += threads as u64;
            }
        }));
    }

    let deadline = plan.duration.map(|d| started + d);
    let mut c = 0u64;
    let result = loop {
        let (a, b) = chunk_range(c);
        if a >= b {
            break End::at(StopReason::CountReached, a);
        }
        if control.is_stopped() {
            break End::at(StopReason::Stopped, a);
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break End::at(StopReason::DurationElapsed, a);
        }
        let worker = (c % threads as u64) as usize;
        let Some(batch) = receivers[worker].recv().await else {
            // A worker ends early only if it panicked.
            break End::error(RunError::Worker { index: worker }, a);
        };
        if let Err(e) = deliver(sink, batch).await {
            break End::failed(e, b);
        }
        c += 1;
    };
    quit.store(true, Ordering::Relaxed);
    // A worker blocked on a full channel wakes up when the receivers are dropped.
    drop(receivers);
    for w in workers {
        let _ = w.await;
    }
    result
}
