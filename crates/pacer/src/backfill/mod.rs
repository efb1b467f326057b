//! The realistic model's backfill: worker threads generate, the sink gets the records
//! in stream order, in large batches.
//!
//! Worker `j` of `T` runs its own [`EventStream`] over [`Part`] `j` of `T` of the plan's
//! shard's sessions, so the workers' events are disjoint and together are the shard's. A
//! worker cuts its stream into pieces of about `CHUNK / T` events (whole steps of
//! simulated time) and sends each through a small bounded channel; a slow sink holds
//! the workers back.
//!
//! A stream's order is total ([`Event::sort_key`]: arrival time, then event key), so
//! the consumer merges: every event arriving before the earliest time that all
//! workers have covered is final, and the merge gives exactly the order one stream
//! would. The merged events are encoded on as many encoder threads
//! ([`encoders`]), in chunks, and emitted in order. One worker encodes its own pieces,
//! which pass through as they are. Either way a batch holds thousands of records: one
//! write and one wake-up per batch, not one per minute of simulated time, which for a
//! small store is a handful of events.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use csgen_model::realistic::{Event, EventEncoder, EventStream, Part, RealisticModel, SLOT_MS};
use csgen_model::{Batch, Format, Shard};
use csgen_sinks::Sink;
use tokio::sync::mpsc;
use tokio::time::Instant;

use self::encoders::Encoders;
use crate::timeline::Emitter;
use crate::{CHUNK, Control, End, Plan, RunError, StopReason};

mod encoders;

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
    /// Record `i` encodes `events[i]`; empty when the events are merged with other
    /// workers' and encoded afterwards.
    batch: Batch,
}

/// The consumer's side of one worker.
struct Lane {
    rx: mpsc::Receiver<Piece>,
    /// Merged pieces go back to their worker to be filled again: pieces allocated
    /// afresh and freed on this thread page-faulted their memory in again and again.
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
        let parts = parts(self.plan.backfill_workers());
        let target = (CHUNK as usize / parts.len()).max(256);
        let quit = Arc::new(AtomicBool::new(false));
        let mut lanes = Vec::with_capacity(parts.len());
        let mut workers = Vec::with_capacity(parts.len());
        let alone = parts.len() == 1;
        for &part in &parts {
            let (tx, rx) = mpsc::channel(2);
            let (spent_tx, spent_rx) = std::sync::mpsc::channel();
            let worker = Worker {
                model: self.model.clone(),
                shard: self.plan.shard,
                part,
                encode: alone.then_some(self.format),
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
        let end = if alone {
            self.pass_through(sink, emitter, control, &mut lanes[0])
                .await
        } else {
            let mut encoders = Encoders::start(self.model, self.format, parts.len());
            let end = self
                .merge(sink, emitter, control, &mut lanes, &mut encoders)
                .await;
            encoders.stop().await;
            end
        };
        quit.store(true, Ordering::Relaxed);
        // A worker blocked on a full channel wakes up when the receivers are dropped.
        drop(lanes);
        for w in workers {
            let _ = w.await;
        }
        end
    }

    /// How the run ends now, if it does: stopped, or out of time.
    fn interrupted(&self, control: &Control, emitter: &Emitter<'_>) -> Option<End> {
        if control.is_stopped() {
            return Some(End::at(StopReason::Stopped, emitter.emitted));
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Some(End::at(StopReason::DurationElapsed, emitter.emitted));
        }
        None
    }

    /// One worker: emits its encoded pieces as they come.
    async fn pass_through<S: Sink>(
        &self,
        sink: &mut S,
        emitter: &mut Emitter<'_>,
        control: &Control,
        lane: &mut Lane,
    ) -> Option<End> {
        loop {
            if let Some(end) = self.interrupted(control, emitter) {
                return Some(end);
            }
            if lane.covered >= self.until_ms {
                return None;
            }
            let Some(piece) = lane.rx.recv().await else {
                return Some(End::error(RunError::Worker { index: 0 }, emitter.emitted));
            };
            lane.covered = piece.until_ms;
            if let Err(e) = emitter.emit_encoded(sink, piece.batch, &piece.events).await {
                return Some(End::failed(e, emitter.emitted));
            }
            if emitter.left == 0 {
                return Some(End::at(StopReason::CountReached, emitter.emitted));
            }
            // Its buffer goes back to the worker; the batch went to the sink.
            let _ = lane.spent.send(Piece {
                batch: Batch::default(),
                ..piece
            });
            // Let other tasks (the control server, signal handlers) run.
            tokio::task::yield_now().await;
        }
    }

    /// Several workers: merges their events in stream order, has the merged chunks
    /// encoded and emits them in order, until the range is done.
    async fn merge<S: Sink>(
        &self,
        sink: &mut S,
        emitter: &mut Emitter<'_>,
        control: &Control,
        lanes: &mut [Lane],
        encoders: &mut Encoders,
    ) -> Option<End> {
        let chunk = CHUNK as usize;
        let mut merged = encoders.buffer(2 * chunk);
        loop {
            if let Some(end) = self.interrupted(control, emitter) {
                return Some(end);
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
            let frontier = lanes.iter().map(|l| l.covered).min().unwrap_or(i64::MAX);
            merge_before(frontier, lanes, &mut merged);
            let last = frontier >= self.until_ms;
            // Chunks of exactly CHUNK events (the last one excepted): batches of one
            // size fit the recycled buffers of the last ones (`Batch::recycled`)
            // without growing them.
            while merged.len() >= chunk || (last && !merged.is_empty()) {
                while !encoders.has_room() {
                    if let Some(end) = self.emit_next(sink, emitter, encoders, true).await {
                        return Some(end);
                    }
                }
                let mut next = encoders.buffer(2 * chunk);
                if merged.len() > chunk {
                    next.extend_from_slice(&merged[chunk..]);
                    merged.truncate(chunk);
                }
                if let Err(d) = encoders.submit(std::mem::replace(&mut merged, next)).await {
                    return Some(d.end(emitter.emitted));
                }
            }
            // Emit what is encoded; at the end, wait for all of it.
            while encoders.in_flight() > 0 {
                let before = encoders.in_flight();
                if let Some(end) = self.emit_next(sink, emitter, encoders, last).await {
                    return Some(end);
                }
                if encoders.in_flight() == before {
                    break;
                }
            }
            if last && merged.is_empty() && encoders.in_flight() == 0 {
                return None;
            }
            // Let other tasks (the control server, signal handlers) run.
            tokio::task::yield_now().await;
        }
    }

    /// Emits the oldest encoded chunk if it is ready (or, with `wait`, once it is);
    /// `Some` when that ends the run.
    async fn emit_next<S: Sink>(
        &self,
        sink: &mut S,
        emitter: &mut Emitter<'_>,
        encoders: &mut Encoders,
        wait: bool,
    ) -> Option<End> {
        let encoded = match encoders.take(wait).await {
            Ok(Some(encoded)) => encoded,
            Ok(None) => return None,
            Err(died) => return Some(died.end(emitter.emitted)),
        };
        if let Err(e) = emitter
            .emit_encoded(sink, encoded.batch, &encoded.events)
            .await
        {
            return Some(End::failed(e, emitter.emitted));
        }
        encoders.recycle(encoded.events);
        (emitter.left == 0).then(|| End::at(StopReason::CountReached, emitter.emitted))
    }
}

/// Moves every event arriving before `frontier` from the lanes to `out`, in stream
/// order: a run of a lane's events that come before every other lane's next one at a
/// time, in one copy.
fn merge_before(frontier: i64, lanes: &mut [Lane], out: &mut Vec<Event>) {
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
        out.extend_from_slice(&piece.events[start..end]);
        lane.pos = end;
    }
}

/// `n` parts that together are the whole stream (one if `n` is 0 or beyond `u32`).
fn parts(n: usize) -> Vec<Part> {
    let n = u32::try_from(n).unwrap_or(1).max(1);
    (0..n).filter_map(|j| Part::new(j, n)).collect()
}

/// One worker thread: a stream over its part of the shard, cut into pieces.
struct Worker {
    model: Arc<RealisticModel>,
    shard: Shard,
    part: Part,
    /// Encode the pieces too (a worker alone), or leave that to the encoders.
    encode: Option<Format>,
    from_ms: i64,
    until_ms: i64,
    /// Events per piece to aim for.
    target: usize,
    quit: Arc<AtomicBool>,
}

impl Worker {
    fn run(self, tx: mpsc::Sender<Piece>, spent: std::sync::mpsc::Receiver<Piece>) {
        let model = &*self.model;
        let mut stream = EventStream::part(model, self.shard, self.part, self.from_ms);
        let mut encoder = self.encode.map(|format| EventEncoder::new(format, model));
        let mut record_len = 512;
        // Nothing arrives before 1970 (the stream starts there at the earliest).
        let mut t = self.from_ms.max(stream.position());
        while t < self.until_ms && !self.quit.load(Ordering::Relaxed) {
            let mut events = match spent.try_recv() {
                Ok(piece) => {
                    let mut events = piece.events;
                    events.clear();
                    events
                }
                Err(_) => Vec::with_capacity(self.target + self.target / 4),
            };
            while t < self.until_ms && events.len() < self.target {
                t = t.saturating_add(SLOT_MS).min(self.until_ms);
                stream.fill_until(t, &mut events);
                if stream.position() < t {
                    // Past the last time the model generates: nothing more will come.
                    t = self.until_ms;
                }
            }
            let mut batch = Batch::default();
            if let Some(encoder) = &mut encoder {
                batch = Batch::recycled(events.len(), events.len() * record_len);
                for e in &events {
                    encoder.push(model, e, &mut batch);
                }
                if let Some(len) = batch.data.len().checked_div(events.len()) {
                    record_len = len + len / 8;
                }
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
