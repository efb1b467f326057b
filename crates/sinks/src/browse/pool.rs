//! The request tasks of a browse sink: at most `connections` long-lived tasks, each
//! with its own connection ([`Conn`]), taking clicks from one queue.
//!
//! A click holds one of `connections` slots from the moment it is queued until its
//! answer is read, so at most `connections` clicks are queued or in flight and
//! [`Pool::submit`] waits when all slots are taken (which slows the generator instead
//! of queueing). A task is started only when a click finds every task busy, so a short
//! run opens as few connections as it needs.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use hyper::Uri;
use hyper::header::HeaderMap;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

use super::conn::{Conn, Connector};
use super::request::same_site;
use super::{MAX_REDIRECTS, Shared};
use crate::calls::CallClass;
use crate::http::client::NoAnswer;

/// One click to request.
struct Job {
    uri: Uri,
    headers: HeaderMap,
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
    slots: Arc<Semaphore>,
    connections: usize,
    tasks: JoinSet<()>,
}

impl Pool {
    pub fn new(shared: Arc<Shared>, connector: Connector, connections: usize) -> Self {
        Self {
            shared,
            connector,
            queue: Arc::default(),
            slots: Arc::new(Semaphore::new(connections)),
            connections,
            tasks: JoinSet::new(),
        }
    }

    /// Queues a GET of `uri`, waiting while `connections` clicks are queued or in flight.
    pub async fn submit(&mut self, uri: Uri, headers: HeaderMap) {
        let Ok(slot) = self.slots.clone().acquire_owned().await else {
            // The slots are never closed; were they, the click could not be sent.
            return self.shared.failed("the sink is closed; not requested");
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
    pub async fn idle(&self) {
        let all = u32::try_from(self.connections).unwrap_or(u32::MAX);
        // The slots are never closed, so this waits for them all.
        let _all = self.slots.acquire_many(all).await;
    }

    /// Cancels every click queued or in flight (their connections closed) and waits
    /// until no task runs: the pool then starts afresh.
    pub async fn abort(&mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
        // The clicks no task had taken go with the old queue, giving back their slots.
        self.queue = Arc::default();
    }
}

/// A request task: clicks from the queue, one at a time, on its own connection.
async fn work(shared: Arc<Shared>, queue: Arc<Queue>, mut conn: Conn) {
    while let Some(job) = queue.pop().await {
        visit(&shared, &mut conn, job.uri, job.headers).await;
    }
}

/// Requests `uri` (following same-site redirects if asked) and accounts for the click.
async fn visit(shared: &Shared, conn: &mut Conn, mut uri: Uri, mut headers: HeaderMap) {
    let started = Instant::now();
    let mut hops = 0;
    loop {
        // Only a redirect needs the headers again (without, there is one pass).
        let sent = if shared.follow_redirects {
            headers.clone()
        } else {
            std::mem::take(&mut headers)
        };
        let answer = match tokio::time::timeout(shared.timeout, conn.get(&uri, sent)).await {
            Ok(Ok(a)) => a,
            Ok(Err(reason)) => {
                shared
                    .stats
                    .calls()
                    .record(CallClass::Error, started.elapsed());
                return shared.failed(&reason);
            }
            Err(_) => {
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
