//! The delivery engine behind the `kinesis:`, `firehose:` and `http:` sinks.
//!
//! `send` checks each record against the per-record limit (oversize records are
//! counted as failed, never sent), waits for room in a bounded buffer (backpressure on
//! the generator), and hands the records to a batcher task. The batcher packs them into
//! calls within the service's record and byte limits, sends a partial call once its
//! oldest record has waited `linger`, and runs at most `max-in-flight` calls at once.
//! Each call task retries until every record is delivered or failed for good
//! (see [`retry`]); a fatal answer stops the sink. `flush` waits for everything
//! up to a deadline, then gives up on what is left and counts it as failed.
//!
//! With an ordering partition key (`user`, `field:…`), records are routed by key to
//! `max-in-flight` lanes that each have one call in flight, and a call's retryable
//! records are re-sent before the lane's next call: a key's records arrive in order
//! unless the service itself fails part of a call (then the retried records land after
//! the call's other records, as Kinesis documents for `PutRecords`).
//!
//! Every record accepted is in exactly one of: the batcher's pending call, a call task,
//! delivered, failed. `outstanding` counts the first two, so in-flight accounting closes.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

pub mod options;
pub mod retry;
pub(crate) mod service;
mod sink;

pub use self::sink::{AsIs, Encode, EngineSink, NewlineTerminated};

use csgen_pipeline::endpoint::ServiceError;

use self::options::StreamOptions;
use self::retry::{Backoff, CallFailure, MAX_RETRY_AFTER, RecordOutcome, plan};
use crate::reasons::Reasons;
use crate::{SinkError, SinkStats};

/// One record as it will be sent: payload bytes and (Kinesis) partition key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub data: Vec<u8>,
    pub key: String,
}

impl Record {
    /// Bytes the service counts against its limits (data plus partition key).
    pub fn size(&self) -> usize {
        self.data.len() + self.key.len()
    }
}

/// A service's limits on one batched call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_records: usize,
    pub max_call_bytes: usize,
    pub max_record_bytes: usize,
    /// Why an oversize record is refused, as reported.
    pub oversize_reason: &'static str,
}

/// The one network call of a batched sink: send these records, say how each fared.
pub trait PutApi: Send + Sync + 'static {
    fn put(
        &self,
        records: &[Record],
    ) -> impl Future<Output = Result<Vec<RecordOutcome>, CallFailure>> + Send;
}

enum Msg {
    Records(Vec<Record>),
    Flush(oneshot::Sender<()>),
}

/// State shared by the sink, the batcher and the call tasks.
struct Shared {
    stats: Arc<SinkStats>,
    target: String,
    /// Records accepted and neither delivered nor failed yet.
    outstanding: AtomicU64,
    /// Free record slots of the bounded buffer.
    buffer: Semaphore,
    fatal: Mutex<Option<ServiceError>>,
    /// Failed records by reason, for the shutdown report.
    reasons: Reasons,
    /// Set when the flush deadline passed: everything left is failed.
    give_up: watch::Sender<bool>,
    /// Lanes whose batcher has failed what it held since `give_up` was set; the flush
    /// resets `give_up` only once every lane has, so no record accepted after the reset
    /// is failed by a batcher still settling the old deadline.
    settled: AtomicU64,
}

impl Shared {
    fn delivered(&self, n: usize) {
        self.stats.add_delivered(n as u64);
        self.settle(n);
    }

    fn failed(&self, n: usize, reason: &str) {
        if n == 0 {
            return;
        }
        self.stats.add_failed(n as u64);
        if self.reasons.add(n as u64, reason) {
            tracing::warn!(target = %self.target, records = n, reason, "records failed");
        }
    }

    /// Failed records that had been accepted into the buffer.
    fn failed_accepted(&self, n: usize, reason: &str) {
        self.failed(n, reason);
        self.settle(n);
    }

    fn settle(&self, n: usize) {
        self.outstanding.fetch_sub(n as u64, SeqCst);
        self.buffer.add_permits(n);
    }

    fn fatal(&self) -> Option<ServiceError> {
        self.fatal.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A running delivery engine; the sinks wrap one.
pub struct Engine {
    /// One sender per lane: one lane unless the sink keeps per-key order.
    lanes: Vec<mpsc::UnboundedSender<Msg>>,
    shared: Arc<Shared>,
    limits: Limits,
    batch_records: usize,
    flush_timeout: Duration,
}

impl Engine {
    /// Starts the batcher tasks on the current tokio runtime; `ordered` keeps the
    /// records of one partition key in order (see the module docs).
    pub fn start<A: PutApi>(
        api: A,
        target: String,
        limits: Limits,
        options: &StreamOptions,
        ordered: bool,
        seed: u64,
    ) -> Self {
        Self::start_with_stats(api, Arc::default(), target, limits, options, ordered, seed)
    }

    /// [`Engine::start`] counting into `stats`, which the `api` may share (to record
    /// its calls, see [`crate::calls`]).
    pub fn start_with_stats<A: PutApi>(
        api: A,
        stats: Arc<SinkStats>,
        target: String,
        limits: Limits,
        options: &StreamOptions,
        ordered: bool,
        seed: u64,
    ) -> Self {
        let batch_records = options.batch_records.get().min(limits.max_records);
        let (give_up, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            stats,
            target,
            outstanding: AtomicU64::new(0),
            buffer: Semaphore::new(options.buffer_records.get().max(batch_records)),
            fatal: Mutex::new(None),
            reasons: Reasons::default(),
            give_up,
            settled: AtomicU64::new(0),
        });
        let max_in_flight = options.max_in_flight.get();
        let (lane_count, per_lane) = if ordered {
            (max_in_flight, 1)
        } else {
            (1, max_in_flight)
        };
        let api = Arc::new(api);
        let lanes = (0..lane_count)
            .map(|lane| {
                let (tx, rx) = mpsc::unbounded_channel();
                let batcher = Batcher {
                    api: api.clone(),
                    shared: shared.clone(),
                    limits: Limits {
                        max_records: batch_records,
                        ..limits
                    },
                    linger: options.linger,
                    in_flight: Arc::new(Semaphore::new(per_lane)),
                    calls: JoinSet::new(),
                    seed: seed ^ (lane as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
                    call_no: 0,
                };
                tokio::spawn(batcher.run(rx));
                tx
            })
            .collect();
        Self {
            lanes,
            shared,
            limits,
            batch_records,
            flush_timeout: options.flush_timeout,
        }
    }

    pub fn stats(&self) -> &Arc<SinkStats> {
        &self.shared.stats
    }

    /// The sink's name, as in logs and summaries (`kinesis:clicks`).
    pub fn target(&self) -> &str {
        &self.shared.target
    }

    /// Failed records so far, by reason.
    pub fn failure_reasons(&self) -> BTreeMap<String, u64> {
        self.shared.reasons.snapshot()
    }

    fn stopped(&self) -> Option<SinkError> {
        let cause = self.shared.fatal()?;
        Some(SinkError::fatal(&self.shared.target, cause))
    }

    /// Takes records; waits while the buffer is full.
    pub async fn accept(&mut self, records: Vec<Record>) -> Result<(), SinkError> {
        if let Some(err) = self.stopped() {
            self.shared.failed(records.len(), "sink stopped");
            return Err(err);
        }
        let (ok, oversize): (Vec<_>, Vec<_>) = records
            .into_iter()
            .partition(|r| r.size() <= self.limits.max_record_bytes);
        self.shared
            .failed(oversize.len(), self.limits.oversize_reason);
        let mut ok = ok.into_iter().peekable();
        while ok.peek().is_some() {
            let chunk: Vec<Record> = ok.by_ref().take(self.batch_records).collect();
            let n = chunk.len();
            match self.shared.buffer.acquire_many(n as u32).await {
                Ok(permit) => permit.forget(),
                Err(_) => unreachable!("the buffer semaphore is never closed"),
            }
            self.shared.outstanding.fetch_add(n as u64, SeqCst);
            if !self.route(chunk) {
                // A batcher ended (runtime shutting down): nothing will deliver these.
                let rest = ok.count();
                self.shared.failed(rest, "sink task ended");
                return Err(SinkError::fatal(&self.shared.target, "delivery task ended"));
            }
        }
        Ok(())
    }

    /// Hands accepted records to their lanes; false (and the records failed) if a
    /// lane's task has ended.
    fn route(&self, chunk: Vec<Record>) -> bool {
        let mut ended = false;
        if self.lanes.len() == 1 {
            let n = chunk.len();
            if self.lanes[0].send(Msg::Records(chunk)).is_err() {
                self.shared.failed_accepted(n, "sink task ended");
                ended = true;
            }
            return !ended;
        }
        let mut by_lane: Vec<Vec<Record>> = vec![Vec::new(); self.lanes.len()];
        for r in chunk {
            let lane = lane_of(&r.key, self.lanes.len());
            by_lane[lane].push(r);
        }
        for (tx, records) in self.lanes.iter().zip(by_lane) {
            let n = records.len();
            if n > 0 && tx.send(Msg::Records(records)).is_err() {
                self.shared.failed_accepted(n, "sink task ended");
                ended = true;
            }
        }
        !ended
    }

    /// Delivers everything accepted so far, or gives up on it at the flush deadline.
    pub async fn flush(&mut self) -> Result<(), SinkError> {
        let mut replies = Vec::with_capacity(self.lanes.len());
        for tx in &self.lanes {
            let (reply, done) = oneshot::channel();
            if tx.send(Msg::Flush(reply)).is_ok() {
                replies.push(done);
            }
        }
        let sent = replies.len() == self.lanes.len();
        let all_done = async {
            for done in replies {
                let _ = done.await;
            }
        };
        let finished = sent
            && tokio::time::timeout(self.flush_timeout, all_done)
                .await
                .is_ok();
        let failed_before = self.shared.stats.snapshot().failed;
        if !finished {
            self.shared.give_up.send_replace(true);
            // Call tasks and the batcher fail what they hold as soon as they see
            // `give_up`; wait (bounded) for them to settle it.
            let deadline = Instant::now() + Duration::from_secs(5);
            let lanes = self.lanes.len() as u64;
            while (self.shared.outstanding.load(SeqCst) > 0
                || self.shared.settled.load(SeqCst) < lanes)
                && Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            // What was left is counted; the sink takes records again (the next run of
            // `serve` must not find it stopped for good).
            self.shared.settled.store(0, SeqCst);
            self.shared.give_up.send_replace(false);
        }
        let reasons = self.failure_reasons();
        if !reasons.is_empty() {
            tracing::warn!(target = %self.shared.target, ?reasons, "records not delivered");
        }
        if let Some(cause) = self.shared.fatal() {
            return Err(SinkError::fatal(&self.shared.target, cause));
        }
        if !finished {
            let now = self.shared.stats.snapshot().failed;
            return Err(SinkError::Undelivered {
                target: self.shared.target.clone(),
                records: now - failed_before + self.shared.outstanding.load(SeqCst),
                timeout: self.flush_timeout,
            });
        }
        Ok(())
    }
}

/// Resolves once the flush deadline has passed (at once if it already has).
async fn given_up(rx: &mut watch::Receiver<bool>) {
    // Drop the guard here: it must not live in a future that is sent between threads.
    let _ = rx.wait_for(|g| *g).await.map(|_| ());
}

/// The lane of a partition key: a fixed hash, so a key always takes the same lane.
fn lane_of(key: &str, lanes: usize) -> usize {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    key.hash(&mut h);
    (h.finish() % lanes as u64) as usize
}

struct Batcher<A> {
    api: Arc<A>,
    shared: Arc<Shared>,
    limits: Limits,
    linger: Duration,
    in_flight: Arc<Semaphore>,
    calls: JoinSet<()>,
    seed: u64,
    call_no: u64,
}

impl<A: PutApi> Batcher<A> {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Msg>) {
        let mut give_up = self.shared.give_up.subscribe();
        let mut pending: Vec<Record> = Vec::with_capacity(self.limits.max_records);
        let mut pending_bytes = 0usize;
        let mut deadline: Option<Instant> = None;
        loop {
            tokio::select! {
                msg = rx.recv() => match msg {
                    None => break,
                    Some(Msg::Records(records)) => {
                        for r in records {
                            let full = pending.len() == self.limits.max_records
                                || pending_bytes + r.size() > self.limits.max_call_bytes;
                            if full {
                                self.dispatch(&mut pending, &mut pending_bytes).await;
                            }
                            if pending.is_empty() {
                                deadline = Some(Instant::now() + self.linger);
                            }
                            pending_bytes += r.size();
                            pending.push(r);
                        }
                        if pending.len() == self.limits.max_records || self.linger.is_zero() {
                            self.dispatch(&mut pending, &mut pending_bytes).await;
                        }
                    }
                    Some(Msg::Flush(reply)) => {
                        self.dispatch(&mut pending, &mut pending_bytes).await;
                        while self.calls.join_next().await.is_some() {}
                        let _ = reply.send(());
                    }
                },
                _ = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)),
                    if deadline.is_some() && !pending.is_empty() =>
                {
                    self.dispatch(&mut pending, &mut pending_bytes).await;
                }
                Some(_) = self.calls.join_next(), if !self.calls.is_empty() => {}
                _ = given_up(&mut give_up) => {
                    self.give_up_all(&mut pending, &mut pending_bytes, &mut rx).await;
                    self.shared.settled.fetch_add(1, SeqCst);
                    deadline = None;
                    if !self.resumed(&mut give_up, &mut rx).await {
                        return;
                    }
                }
            }
            if pending.is_empty() {
                deadline = None;
            }
        }
        // The sender is gone: send what is left and wait for the calls.
        self.dispatch(&mut pending, &mut pending_bytes).await;
        while self.calls.join_next().await.is_some() {}
    }

    /// The flush deadline passed: sends what is pending (the call tasks fail it at once)
    /// and fails what is still queued.
    async fn give_up_all(
        &mut self,
        pending: &mut Vec<Record>,
        pending_bytes: &mut usize,
        rx: &mut mpsc::UnboundedReceiver<Msg>,
    ) {
        self.dispatch(pending, pending_bytes).await;
        while self.calls.join_next().await.is_some() {}
        while let Ok(msg) = rx.try_recv() {
            if let Msg::Records(records) = msg {
                self.shared
                    .failed_accepted(records.len(), "not delivered by the flush deadline");
            }
        }
    }

    /// Waits until the flush that gave up has reset the flag: true to carry on, false
    /// when the engine is gone.
    async fn resumed(
        &mut self,
        give_up: &mut watch::Receiver<bool>,
        rx: &mut mpsc::UnboundedReceiver<Msg>,
    ) -> bool {
        loop {
            tokio::select! {
                // First: once the flag is reset, queued records belong to the next run.
                biased;
                _ = give_up.wait_for(|g| !*g) => return true,
                msg = rx.recv() => match msg {
                    None => return false,
                    Some(Msg::Records(records)) => self
                        .shared
                        .failed_accepted(records.len(), "not delivered by the flush deadline"),
                    Some(Msg::Flush(reply)) => {
                        let _ = reply.send(());
                    }
                },
            }
        }
    }

    /// Starts a call for the pending records once a call slot is free.
    async fn dispatch(&mut self, pending: &mut Vec<Record>, pending_bytes: &mut usize) {
        if pending.is_empty() {
            return;
        }
        let records = std::mem::replace(pending, Vec::with_capacity(self.limits.max_records));
        *pending_bytes = 0;
        let permit = self
            .in_flight
            .clone()
            .acquire_owned()
            .await
            .expect("the in-flight semaphore is never closed");
        self.call_no += 1;
        let rng = Xoshiro256PlusPlus::seed_from_u64(self.seed ^ self.call_no.rotate_left(32));
        let call = deliver(self.api.clone(), self.shared.clone(), records, rng);
        self.calls.spawn(async move {
            call.await;
            drop(permit);
        });
    }
}

/// Sends `records` until each is delivered or failed for good.
async fn deliver<A: PutApi>(
    api: Arc<A>,
    shared: Arc<Shared>,
    mut records: Vec<Record>,
    mut rng: Xoshiro256PlusPlus,
) {
    let backoff = Backoff::default();
    let mut give_up = shared.give_up.subscribe();
    let mut attempt = 0u32;
    loop {
        if let Some(message) = shared.fatal() {
            shared.failed_accepted(records.len(), &format!("sink stopped: {message}"));
            return;
        }
        let mut not_before = Duration::ZERO;
        let answer = tokio::select! {
            a = api.put(&records) => a,
            _ = given_up(&mut give_up) => {
                shared.failed_accepted(records.len(), "not delivered by the flush deadline");
                return;
            }
        };
        let reason = match answer {
            Err(CallFailure::Fatal(cause)) => {
                tracing::error!(target = %shared.target, message = %cause, "sink stopped");
                shared.failed_accepted(records.len(), cause.message());
                shared
                    .fatal
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get_or_insert(cause);
                return;
            }
            Err(CallFailure::Retry(reason)) => reason,
            Err(CallFailure::RetryAfter(reason, after)) => {
                not_before = after.min(MAX_RETRY_AFTER);
                reason
            }
            Ok(outcomes) => {
                let p = plan(records.len(), &outcomes);
                shared.delivered(p.delivered);
                for (_, reason) in &p.failed {
                    shared.failed_accepted(1, reason);
                }
                if p.retry.is_empty() {
                    return;
                }
                if p.delivered > 0 {
                    attempt = 0; // the service is taking records: a partial failure
                }
                let mut keep = p.retry.into_iter().peekable();
                let mut i = 0;
                records.retain(|_| {
                    let k = keep.next_if_eq(&i).is_some();
                    i += 1;
                    k
                });
                p.retry_reason.unwrap_or_default()
            }
        };
        shared.stats.add_retried(records.len() as u64);
        tracing::debug!(target = %shared.target, records = records.len(), %reason, attempt, "retrying");
        let wait = backoff.delay(attempt, &mut rng).max(not_before);
        attempt = attempt.saturating_add(1);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = given_up(&mut give_up) => {}
        }
    }
}

#[cfg(test)]
mod tests;
