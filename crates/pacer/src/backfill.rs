//! The realistic model's backfill: worker threads generate and encode, the sink gets
//! the records in stream order, in large batches.
//!
//! Worker `j` of `T` runs its own [`EventStream`] over sub-shard `j` of the plan's
//! shard (shard `I/N` splits into `I + N·j` of `N·T`: the same customers, dealt out to
//! the workers), so the workers' events are disjoint and together are the shard's. A
//! worker cuts its stream into pieces of about `CHUNK / T` events (whole steps of
//! simulated time), encodes each and sends it through a small bounded channel; a slow
//! sink holds the workers back.
//!
//! A stream's order is total ([`Event::sort_key`]: arrival time, then event key), so
//! the consumer merges: every event arriving before the earliest time that all
//! workers have covered is final, and the merge gives exactly the order one stream
//! would. With one worker the pieces pass through as they are. Either way a batch
//! holds thousands of records: one write and one wake-up per batch, not one per
//! minute of simulated time, which for a small store is a handful of events.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use csgen_model::realistic::{Event, EventEncoder, EventStream, RealisticModel, SLOT_MS};
use csgen_model::{Batch, Format, Shard};
use csgen_sinks::Sink;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::timeline::Emitter;
use crate::{CHUNK, Control, End, Plan, RunError, StopReason};

/// A backfill of `plan.start_ms..until_ms`.
pub(crate) struct Backfill<'a> {
    pub model: &'a Arc<RealisticModel>,
    pub format: Format,
    pub plan: &'a Plan,
    pub until_ms: i64,
    pub deadline: Option<Instant>,
}

/// A worker's next stretch of its stream.
struct Piece {
    /// Every event of the worker's stream that arrives before this time is in this
    /// piece or an earlier one.
    until_ms: i64,
    events: Vec<Event>,
    /// Record `i` encodes `events[i]`.
    batch: Batch,
}

/// The consumer's side of one worker.
struct Lane {
    rx: mpsc::Receiver<Piece>,
    /// Merged pieces go back to their worker to be filled again: pieces allocated
    /// afresh and freed on this thread page-faulted their memory in again and again
    /// (recycling them cut the page faults of a month's JSON backfill on two workers
    /// by a fifth to a third and its CPU by about a tenth).
    spent: std::sync::mpsc::Sender<Piece>,
    piece: Option<Piece>,
    /// The next unmerged event of `piece`.
    pos: usize,
    /// `until_ms` of the last piece received.
    covered: i64,
}

impl Lane {
    fn peek(&self) -> Option<&Event> {
        self.piece.as_ref()?.events.get(self.pos)
    }
}

impl Backfill<'_> {
    /// Emits the range through `emitter`; `None` when all of it was emitted, else how
    /// the run ended (count reached, stopped, deadline, a failure).
    pub(crate) async fn run<S: Sink>(
        &self,
        sink: &mut S,
        emitter: &mut Emitter<'_>,
        control: &Control,
    ) -> Option<End> {
        let shards = sub_shards(self.plan.shard, self.plan.backfill_workers());
        let target = (CHUNK as usize / shards.len()).max(256);
        let quit = Arc::new(AtomicBool::new(false));
        let mut lanes = Vec::with_capacity(shards.len());
        let mut workers = Vec::with_capacity(shards.len());
        for shard in &shards {
            let (tx, rx) = mpsc::channel(2);
            let (spent_tx, spent_rx) = std::sync::mpsc::channel();
            let worker = Worker {
                model: self.model.clone(),
                shard: *shard,
                format: self.format,
                from_ms: self.plan.start_ms,
                until_ms: self.until_ms,
                target,
                quit: quit.clone(),
            };
            // On tokio's blocking pool: a test's paused clock does not advance while
            // they run, so a backfill takes no simulated time, as when it ran inline.
            workers.push(tokio::task::spawn_blocking(move || {
                worker.run(tx, spent_rx)
            }));
            lanes.push(Lane {
                rx,
                spent: spent_tx,
                piece: None,
                pos: 0,
                covered: self.plan.start_ms,
            });
        }
        let end = self.consume(sink, emitter, control, &mut lanes).await;
        quit.store(true, Ordering::Relaxed);
        // A worker blocked on a full channel wakes up when the receivers are dropped.
        drop(lanes);
        for w in workers {
            let _ = w.await;
        }
        end
    }

    /// Receives, merges and emits the workers' pieces until the range is done.
    async fn consume<S: Sink>(
        &self,
        sink: &mut S,
        emitter: &mut Emitter<'_>,
        control: &Control,
        lanes: &mut [Lane],
    ) -> Option<End> {
        let mut out = Merged::default();
        loop {
            if control.is_stopped() {
                return Some(End::at(StopReason::Stopped, emitter.emitted));
            }
            if self.deadline.is_some_and(|d| Instant::now() >= d) {
                return Some(End::at(StopReason::DurationElapsed, emitter.emitted));
            }
            // Every lane needs an unmerged piece, or to have covered the whole range.
            for (index, lane) in lanes.iter_mut().enumerate() {
                if lane.peek().is_none() && lane.covered < self.until_ms {
                    let Some(piece) = lane.rx.recv().await else {
                        return Some(End::error(RunError::Worker { index }, emitter.emitted));
                    };
                    lane.covered = piece.until_ms;
                    if let Some(spent) = lane.piece.replace(piece) {
                        // The worker may have ended; then the piece is just freed.
                        let _ = lane.spent.send(spent);
                    }
                    lane.pos = 0;
                }
            }
            let sent = if let [lane] = lanes {
                match lane.piece.take() {
                    Some(p) => emitter.emit_encoded(sink, p.batch, &p.events).await,
                    None => Ok(()),
                }
            } else {
                let frontier = lanes.iter().map(|l| l.covered).min().unwrap_or(i64::MAX);
                out.merge_before(frontier, lanes);
                if out.events.len() >= CHUNK as usize || frontier >= self.until_ms {
                    let record_len = out.batch.data.len() / out.events.len().max(1);
                    let next = Merged::with_capacity(CHUNK as usize, record_len);
                    let Merged { batch, events } = std::mem::replace(&mut out, next);
                    emitter.emit_encoded(sink, batch, &events).await
                } else {
                    Ok(())
                }
            };
            if let Err(e) = sent {
                return Some(End::failed(e, emitter.emitted));
            }
            if emitter.left == 0 {
                return Some(End::at(StopReason::CountReached, emitter.emitted));
            }
            let done = lanes
                .iter()
                .all(|l| l.peek().is_none() && l.covered >= self.until_ms);
            if done && out.events.is_empty() {
                return None;
            }
            // Let other tasks (the control server, signal handlers) run.
            tokio::task::yield_now().await;
        }
    }
}

/// Records merged from several workers, in stream order.
#[derive(Default)]
struct Merged {
    batch: Batch,
    events: Vec<Event>,
}

impl Merged {
    fn with_capacity(events: usize, record_len: usize) -> Self {
        Self {
            batch: Batch::with_capacity(events, events * (record_len + 1)),
            events: Vec::with_capacity(events),
        }
    }

    /// Moves every event arriving before `frontier` from the lanes, in stream order:
    /// a run of a lane's events that come before every other lane's next one at a
    /// time, its records in one copy.
    fn merge_before(&mut self, frontier: i64, lanes: &mut [Lane]) {
        loop {
            // The lane with the first event, and the next event of any other lane.
            let mut best: Option<(usize, u128)> = None;
            let mut bound = u128::MAX;
            for (j, lane) in lanes.iter().enumerate() {
                if let Some(e) = lane.peek().filter(|e| e.arrival_ms < frontier) {
                    let key = e.sort_key();
                    match best {
                        Some((_, k)) if k <= key => bound = bound.min(key),
                        _ => {
                            bound = best.map_or(bound, |(_, k)| bound.min(k));
                            best = Some((j, key));
                        }
                    }
                }
            }
            let Some((j, _)) = best else { return };
            let lane = &mut lanes[j];
            let Some(piece) = &lane.piece else { return };
            let start = lane.pos;
            let run = piece.events[start + 1..]
                .iter()
                .take_while(|e| e.arrival_ms < frontier && e.sort_key() < bound)
                .count();
            let end = start + 1 + run;
            self.batch.extend_from(&piece.batch, start..end);
            self.events.extend_from_slice(&piece.events[start..end]);
            lane.pos = end;
        }
    }
}

/// Shard `shard` dealt out to `n` workers: `I/N` becomes `I + N·j` of `N·T` for
/// `j` in `0..n`, which together own exactly the customers `I/N` owns. One worker if
/// the product is beyond [`Shard::MAX_COUNT`].
fn sub_shards(shard: Shard, n: usize) -> Vec<Shard> {
    let (i, count) = (shard.index(), shard.count());
    count
        .checked_mul(n as u64)
        .and_then(|total| {
            (0..n as u64)
                .map(|j| Shard::new(i + count * j, total))
                .collect::<Option<Vec<_>>>()
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| vec![shard])
}

/// One worker thread: a stream over its sub-shard, cut into encoded pieces.
struct Worker {
    model: Arc<RealisticModel>,
    shard: Shard,
    format: Format,
    from_ms: i64,
    until_ms: i64,
    /// Events per piece to aim for.
    target: usize,
    quit: Arc<AtomicBool>,
}

impl Worker {
    fn run(self, tx: mpsc::Sender<Piece>, spent: std::sync::mpsc::Receiver<Piece>) {
        let model = &*self.model;
        let mut stream = EventStream::new(model, self.shard, self.from_ms);
        let mut encoder = EventEncoder::new(self.format, model);
        let mut record_len = 512;
        // Nothing arrives before 1970 (the stream starts there at the earliest).
        let mut t = self.from_ms.max(stream.position());
        while t < self.until_ms && !self.quit.load(Ordering::Relaxed) {
            let (mut events, mut batch) = match spent.try_recv() {
                Ok(Piece {
                    mut events,
                    mut batch,
                    ..
                }) => {
                    events.clear();
                    batch.clear();
                    (events, batch)
                }
                Err(_) => (
                    Vec::with_capacity(self.target + self.target / 4),
                    Batch::default(),
                ),
            };
            while t < self.until_ms && events.len() < self.target {
                t = t.saturating_add(SLOT_MS).min(self.until_ms);
                stream.fill_until(t, &mut events);
                if stream.position() < t {
                    // Past the last time the model generates: nothing more will come.
                    t = self.until_ms;
                }
            }
            batch.reserve(events.len(), events.len() * record_len);
            for e in &events {
                encoder.push(model, e, &mut batch);
            }
            if let Some(len) = batch.data.len().checked_div(events.len()) {
                record_len = len + len / 8;
            }
            let piece = Piece {
                until_ms: t,
                events,
                batch,
            };
            if tx.blocking_send(piece).is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_shards_split_a_shard_into_disjoint_parts_that_cover_it() {
        for (shard, n) in [
            (Shard::ALL, 1),
            (Shard::ALL, 3),
            (Shard::new(2, 3).unwrap(), 4),
        ] {
            let parts = sub_shards(shard, n);
            assert_eq!(parts.len(), n);
            for customer in 0..1000u64 {
                let owners = parts.iter().filter(|p| p.owns(customer)).count();
                assert_eq!(
                    owners,
                    usize::from(shard.owns(customer)),
                    "{shard} {customer}"
                );
            }
        }
        let huge = Shard::new(2, Shard::MAX_COUNT).unwrap();
        assert_eq!(
            sub_shards(huge, 2),
            [huge],
            "a product beyond Shard::MAX_COUNT: one worker"
        );
    }
}
