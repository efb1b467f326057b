//! Events in arrival order, slot by slot: the engine under backfill and live runs.
//!
//! Before yielding events that arrive before time T, the stream opens every slot that
//! starts before T (no event arrives before its session starts), so what it yields up
//! to T is final. It keeps the not-yet-yielded events of open sessions (and delayed
//! fault records) sorted, merging each newly opened slot in: memory is bounded by the
//! events of open sessions, not by the length of the run.

use super::{Event, RealisticModel};
use crate::shard::Shard;

/// Length of a slot, the unit of session arrivals, in milliseconds.
pub const SLOT_MS: i64 = 60_000;

/// Latest time the model generates: session keys hold 2^26 one-minute slots (year 2097).
pub const MAX_TIME_MS: i64 = (1 << 26) * SLOT_MS;

/// One of `count` disjoint parts of a stream's sessions, for threads that generate a
/// stream together: session `k` of slot `s` is in part `(s + k) mod count`.
///
/// A thread's part of a shard costs it only its own sessions. Splitting a shard
/// into sub-shards instead (by customer) made every thread draw every session's start
/// and customer before it could tell whose the session was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    index: u32,
    count: u32,
}

impl Part {
    /// All sessions.
    pub const WHOLE: Part = Part { index: 0, count: 1 };

    /// Part `index` of `count`; `None` unless `index < count`.
    pub fn new(index: u32, count: u32) -> Option<Self> {
        (index < count).then_some(Self { index, count })
    }

    /// The first session of `slot` in this part; the next ones are `count` apart.
    fn first(self, slot: i64) -> u64 {
        (i64::from(self.index) - slot).rem_euclid(i64::from(self.count)) as u64
    }
}

/// A forward-only stream of one shard's events (or of a [`Part`] of them).
#[derive(Debug)]
pub struct EventStream<'m> {
    model: &'m RealisticModel,
    shard: Shard,
    part: Part,
    /// The next slot to open.
    next_slot: i64,
    /// Events not yet yielded, sorted by [`Event::sort_key`], from `head` on.
    pending: Vec<Event>,
    head: usize,
    fresh: Vec<Event>,
    merged: Vec<Event>,
    /// Scratch for sorting `fresh`: packed keys, and the events in key order.
    keys: Vec<u128>,
    gathered: Vec<Event>,
    /// Scratch for the walks.
    cart: super::cart::Cart,
    /// Every event before this arrival time has been yielded or skipped.
    done_until: i64,
}

impl<'m> EventStream<'m> {
    /// A stream whose first event is the first to arrive at or after `start_ms`
    /// (clamped to 1970..2097): sessions that started earlier and are still open are
    /// replayed from their start, and their earlier records skipped.
    pub fn new(model: &'m RealisticModel, shard: Shard, start_ms: i64) -> Self {
        Self::part(model, shard, Part::WHOLE, start_ms)
    }

    /// The stream of `part` of the shard's sessions, from `start_ms` as with
    /// [`EventStream::new`]: the parts' streams merged in stream order are the whole.
    pub fn part(model: &'m RealisticModel, shard: Shard, part: Part, start_ms: i64) -> Self {
        let start_ms = start_ms.clamp(0, MAX_TIME_MS);
        let reach = model.sessions.reach_ms(model.config());
        let first = (start_ms - reach).max(0).div_euclid(SLOT_MS);
        let mut stream = Self {
            model,
            shard,
            part,
            next_slot: first,
            pending: Vec::new(),
            head: 0,
            fresh: Vec::new(),
            merged: Vec::new(),
            keys: Vec::new(),
            gathered: Vec::new(),
            cart: Vec::new(),
            // Set before the replay so that records arriving before the start are
            // dropped as they are drawn, not sorted and then skipped.
            done_until: start_ms,
        };
        stream.open_until(start_ms);
        stream.head = stream.pending.partition_point(|e| e.arrival_ms < start_ms);
        stream.done_until = start_ms;
        stream
    }

    /// Every event has arrived before this time has been yielded.
    pub fn position(&self) -> i64 {
        self.done_until
    }

    /// Appends every event arriving before `end_ms` (and not yet yielded), in order.
    pub fn fill_until(&mut self, end_ms: i64, out: &mut Vec<Event>) {
        let end_ms = end_ms.min(MAX_TIME_MS);
        if end_ms <= self.done_until {
            return;
        }
        self.open_until(end_ms);
        let rest = &self.pending[self.head..];
        let n = rest.partition_point(|e| e.arrival_ms < end_ms);
        out.extend_from_slice(&rest[..n]);
        self.head += n;
        self.done_until = end_ms;
    }

    /// Arrival time of the next event, looking at most `horizon_ms` ahead (for live
    /// pacing: sleep until then). `None` if nothing arrives within the horizon.
    pub fn peek_arrival(&mut self, horizon_ms: i64) -> Option<i64> {
        let limit = self.done_until.saturating_add(horizon_ms).min(MAX_TIME_MS);
        let mut step = self.done_until;
        while step < limit {
            step = (step + SLOT_MS).min(limit);
            self.open_until(step);
            if let Some(e) = self.pending.get(self.head)
                && e.arrival_ms < step
            {
                return Some(e.arrival_ms);
            }
        }
        None
    }

    /// Opens every slot that starts before `t`, merging its events into `pending`.
    fn open_until(&mut self, t: i64) {
        let stop = (t + SLOT_MS - 1).div_euclid(SLOT_MS);
        if self.next_slot >= stop {
            return;
        }
        self.fresh.clear();
        while self.next_slot < stop {
            let slot = self.next_slot;
            let before = self.fresh.len();
            let sessions = self.model.sessions.count(self.model, slot);
            let step = self.part.count as usize;
            for k in (self.part.first(slot)..sessions).step_by(step) {
                self.model
                    .session(slot, k, self.shard, &mut self.cart, &mut self.fresh);
            }
            // Only a replay (before the first yield) draws records that arrive before
            // `done_until`; they would be skipped, so drop them now.
            let floor = self.done_until;
            let mut kept = before;
            for r in before..self.fresh.len() {
                if self.fresh[r].arrival_ms >= floor {
                    self.fresh[kept] = self.fresh[r];
                    kept += 1;
                }
            }
            self.fresh.truncate(kept);
            self.next_slot += 1;
        }
        if self.fresh.is_empty() {
            return;
        }
        self.sort_fresh();
        let old = &self.pending[self.head..];
        self.merged.clear();
        self.merged.reserve(old.len() + self.fresh.len());
        let (mut i, mut j) = (0, 0);
        while i < old.len() && j < self.fresh.len() {
            if old[i].sort_key() <= self.fresh[j].sort_key() {
                self.merged.push(old[i]);
                i += 1;
            } else {
                self.merged.push(self.fresh[j]);
                j += 1;
            }
        }
        self.merged.extend_from_slice(&old[i..]);
        self.merged.extend_from_slice(&self.fresh[j..]);
        std::mem::swap(&mut self.pending, &mut self.merged);
        self.head = 0;
    }

    /// Sorts `fresh` by [`Event::sort_key`]. Moving 56-byte events around in a sort
    /// costs more than the comparisons, so sort packed 128-bit keys instead —
    /// arrival (42 bits), event key and copy bit (63), index into `fresh` (23) — and
    /// gather; batches too big or too far in the future to pack sort the events.
    fn sort_fresh(&mut self) {
        const INDEX_BITS: u32 = 23;
        let fits = self.fresh.len() < 1 << INDEX_BITS
            && self.fresh.iter().all(|e| (e.arrival_ms as u64) < 1 << 42);
        if !fits {
            self.fresh.sort_unstable_by_key(Event::sort_key);
            return;
        }
        self.keys.clear();
        self.keys
            .extend(self.fresh.iter().enumerate().map(|(i, e)| {
                (u128::from(e.arrival_ms as u64) << 86)
                    | (u128::from(e.key << 1 | u64::from(e.fault == super::Fault::DuplicateCopy))
                        << INDEX_BITS)
                    | i as u128
            }));
        self.keys.sort_unstable();
        self.gathered.clear();
        self.gathered.extend(
            self.keys
                .iter()
                .map(|k| self.fresh[(*k as usize) & ((1 << INDEX_BITS) - 1)]),
        );
        std::mem::swap(&mut self.fresh, &mut self.gathered);
    }
}
