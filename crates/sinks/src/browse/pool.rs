//! The request tasks of a browse sink: at most `connections` long-lived tasks, each
//! with its own connection ([`Conn`]), taking clicks from one queue.
//!
//! A click holds one of `2 × connections` slots from the moment it is queued until its
//! answer is read, so at most `connections` clicks are in flight and as many more
//! queued, and [`Pool::submit`] waits when all slots are taken (which slows the
//! generator instead of queueing). A task is started only when a click finds every
//! task busy, so a short run opens as few connections as it needs.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Instant;

use bytes::Bytes;
use hyper::Uri;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Sleep;

use super::conn::{Conn, Connector};
use super::request::same_site;
use super::{MAX_REDIRECTS, Shared};
use crate::calls::CallClass;
use crate::http::client::NoAnswer;

/// One click to request.
struct Job {
    uri: Uri,
    /// The header lines, as [`super::request::Planner`] wrote them.
    headers: Bytes,
    /// Given back when the click is answered or failed.
    _slot: OwnedSemaphorePermit,
}

/// Clicks waiting for a task: `ready` counts them, so a task waits on it without
/// holding the lock.
struct Queue {
    jobs: Mutex<VecDeque<Job>>,
    ready: Semaphore,
}

impl Default for Queue {
    fn default() -> Self {
        Self {
            jobs: Mutex::default(),
            ready: Semaphore::new(0),
        }
    }
}

impl Queue {
    fn push(&self, job: Job) {
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(job);
        self.ready.add_permits(1);
    }

    /// The next click, waiting for one.
    async fn pop(&self) -> Option<Job> {
        self.ready.acquire().await.ok()?.forget();
        self.jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
    }
}

/// The tasks, their queue and the slots.
pub struct Pool {
    shared: Arc<Shared>,
    connector: Connector,
    queue: Arc<Queue>,
    /// One per click queued or in flight: twice `connections`, so that a task finishing
    /// a click usually finds the next one queued and sends it at once.
    slots: Arc<Semaphore>,
    capacity: u32,
    /// Slots taken ahead, a batch at a time: the dispatcher is woken once per batch of
    /// answers, not once per answer.
    reserve: Option<OwnedSemaphorePermit>,
    connections: usize,
    tasks: JoinSet<()>,
}

impl Pool {
    pub fn new(shared: Arc<Shared>, connector: Connector, connections: usize) -> Self {
        let capacity = u32::try_from(connections.saturating_mul(2)).unwrap_or(u32::MAX);
        Self {
            shared,
            connector,
            queue: Arc::default(),
            slots: Arc::new(Semaphore::new(capacity as usize)),
            capacity,
            reserve: None,
            connections,
            tasks: JoinSet::new(),
        }
    }

    /// Queues a GET of `uri`, waiting while the queue is full.
    pub async fn submit(&mut self, uri: Uri, headers: Bytes) {
        let slot = match self.reserve.as_mut().and_then(|r| r.split(1)) {
            Some(slot) => slot,
            None => {
                let batch = (self.capacity / 4).max(1);
                let Ok(mut taken) = self.slots.clone().acquire_many_owned(batch).await else {
                    // The slots are never closed; were they, the click could not be sent.
                    return self.shared.failed("the sink is closed; not requested");
                };
                let slot = taken.split(1);
                self.reserve = Some(taken);
                match slot {
                    Some(slot) => slot,
                    None => return self.shared.failed("no slot for the click; not requested"),
                }
            }
        };
        self.queue.push(Job {
            uri,
            headers,
            _slot: slot,
        });
        // A permit nobody took means every task is busy: start one more, if allowed.
        if self.queue.ready.available_permits() > 0 && self.tasks.len() < self.connections {
            let (shared, queue) = (self.shared.clone(), self.queue.clone());
            let conn = Conn::new(self.connector.clone());
            self.tasks.spawn(work(shared, queue, conn));
        }
    }

    /// Waits until every queued click is answered or failed.
    pub async fn idle(&mut self) {
        self.reserve = None;
        // The slots are never closed, so this waits for them all.
        let _all = self.slots.acquire_many(self.capacity).await;
    }

    /// Cancels every click queued or in flight (their connections closed) and waits
    /// until no task runs: the pool then starts afresh.
    pub async fn abort(&mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
        // The clicks no task had taken go with the old queue, giving back their slots.
        self.queue = Arc::default();
        self.reserve = None;
    }
}

/// A request task: clicks from the queue, one at a time, on its own connection.
async fn work(shared: Arc<Shared>, queue: Arc<Queue>, mut conn: Conn) {
    let mut deadline = pin!(tokio::time::sleep(shared.timeout));
    while let Some(job) = queue.pop().await {
        visit(&shared, &mut conn, deadline.as_mut(), job.uri, job.headers).await;
    }
}

/// `work` to its end, or `None` at `due`. `deadline` is the task's one timer: it is
/// set again only when it goes off before `due` (a click's timer is later than the
/// last click's), not for every click, which would cost a timer-wheel update each.
/// `work` is pinned by the caller: taken by value and pinned here, it would be held
/// twice in this future's state and copied as it is built.
async fn within<F: Future>(
    mut deadline: Pin<&mut Sleep>,
    due: Instant,
    mut work: Pin<&mut F>,
) -> Option<F::Output> {
    let due = tokio::time::Instant::from_std(due);
    poll_fn(|cx| {
        if let Poll::Ready(out) = work.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        while deadline.as_mut().poll(cx).is_ready() {
            if deadline.deadline() >= due {
                return Poll::Ready(None);
            }
            deadline.as_mut().reset(due);
        }
        Poll::Pending
    })
    .await
}

/// Requests `uri` (following same-site redirects if asked) and accounts for the click.
async fn visit(
    shared: &Shared,
    conn: &mut Conn,
    mut deadline: Pin<&mut Sleep>,
    mut uri: Uri,
    headers: Bytes,
) {
    let started = Instant::now();
    let mut hop_started = started;
    let mut hops = 0;
    loop {
        let due = hop_started + shared.timeout;
        let answer = {
            let get = pin!(conn.get(&uri, &headers));
            within(deadline.as_mut(), due, get).await
        };
        let answer = match answer {
            Some(Ok(a)) => a,
            Some(Err(reason)) => {
                shared
                    .stats
                    .calls()
                    .record(CallClass::Error, started.elapsed());
                return shared.failed(&reason);
            }
            None => {
                conn.reset();
                shared
                    .stats
                    .calls()
                    .record(CallClass::Error, started.elapsed());
                return shared.failed(&NoAnswer::Timeout(shared.timeout).to_string());
            }
        };
        let redirect = (shared.follow_redirects
            && (300..400).contains(&answer.status)
            && hops < MAX_REDIRECTS)
            .then(|| answer.location.as_deref().and_then(|l| same_site(&uri, l)))
            .flatten();
        if let Some(next) = redirect {
            uri = next;
            hops += 1;
            hop_started = Instant::now();
            continue;
        }
        shared
            .stats
            .calls()
            .record(CallClass::of_status(answer.status), started.elapsed());
        if shared.ok_status.accepts(answer.status) {
            shared.stats.add_delivered(1);
        } else {
            shared.failed(&format!("HTTP {}", answer.status));
        }
        return;
    }
}
