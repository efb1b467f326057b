//! `browse:[BASE_URL][?options]`: each click sent as the page request it stands for —
//! a load test of a real site with realistic sessions, funnels and think times.
//!
//! Each record becomes a GET of its URL (its site replaced by BASE_URL when given, see
//! [`request`]), with the event's user agent, its referrer (the landing's own, else the
//! session's previous page) and the session in a cookie (`csgen_session=ID`) or a
//! header, at the pace the generator sets. At most `connections` requests are in flight,
//! each task on its own kept-alive connection, as many planned clicks are queued for
//! them and one batch waits behind; beyond that `send` waits, which slows the generator
//! instead of queueing more.
//!
//! A click is delivered when its answer's status is accepted (`ok-status`, default
//! 2xx and 3xx) and failed otherwise, with `HTTP 404` or the transport error as its
//! reason. A click is never retried: a second request would be a second page view. A
//! record that is not a click (a malformed record of the realistic model's faults) is
//! failed without a request. Every request's status class and latency go to the sink's
//! call statistics (summary, `/status`, `/metrics`).

mod conn;
pub mod options;
mod pool;
pub mod request;
pub(crate) mod wire;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use csgen_pipeline::endpoint::Form;
use hyper::header::HeaderMap;
use hyper_util::service::TowerToHyperService;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

pub use self::options::{BrowseOptions, OkStatus, SessionCarrier};
use self::pool::Pool;
use self::request::{Base, Planner};
use crate::context::{Built, SinkContext, SinkEndpoint};
use crate::http::client;
use crate::reasons::Reasons;
use crate::{Batch, Sink, SinkError, SinkStats};

pub const FORM: Form = Form {
    scheme: "browse",
    form: "browse:[BASE_URL][?options]",
    about: "GET each click's page at a real site (user agent, referrer, session): a load test",
};

/// Redirect hops followed at most (with `follow-redirects=true`).
pub const MAX_REDIRECTS: u32 = 10;
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "csgen_session";
/// The session header's name (`session=header`).
pub const SESSION_HEADER: &str = "x-csgen-session";
/// The flush deadline when neither the spec nor the run sets one.
const DEFAULT_FLUSH_TIMEOUT: Duration = Duration::from_secs(30);

/// A site to browse (`None`: each click's own URL) and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowseSpec {
    pub base: Option<String>,
    pub options: BrowseOptions,
}

impl BrowseSpec {
    /// Reads `[BASE_URL][?options]` (the part after `browse:`).
    pub fn parse(rest: &str) -> Result<Self, String> {
        let (base, query) = rest.split_once('?').unwrap_or((rest, ""));
        if !base.is_empty() {
            Base::parse(base)?;
        }
        Ok(Self {
            base: (!base.is_empty()).then(|| base.to_owned()),
            options: BrowseOptions::parse(query)?,
        })
    }
}

impl fmt::Display for BrowseSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "browse:{}{}",
            self.base.as_deref().unwrap_or(""),
            self.options
        )
    }
}

#[async_trait::async_trait]
impl SinkEndpoint for BrowseSpec {
    async fn build(&self, cx: &SinkContext) -> Result<Built, SinkError> {
        let target = format!("browse:{}", self.base.as_deref().unwrap_or(""));
        let headers = self
            .options
            .headers
            .resolve(|var| std::env::var(var).ok())
            .map_err(|e| SinkError::fatal(&target, e))?;
        let base = self
            .base
            .as_deref()
            .map(Base::parse)
            .transpose()
            .map_err(|e| SinkError::fatal(&target, e))?;
        let flush_timeout = self
            .options
            .flush_timeout
            .or(cx.flush_timeout)
            .unwrap_or(DEFAULT_FLUSH_TIMEOUT);
        let sink = BrowseSink::new(base, headers, &self.options, flush_timeout, target);
        Ok(Built::unchecked(Box::new(sink)))
    }
}

/// What the request tasks share.
struct Shared {
    stats: Arc<SinkStats>,
    reasons: Reasons,
    timeout: Duration,
    follow_redirects: bool,
    ok_status: OkStatus,
    target: String,
}

impl Shared {
    fn failed(&self, reason: &str) {
        self.failed_many(1, reason);
    }

    fn failed_many(&self, clicks: u64, reason: &str) {
        self.stats.add_failed(clicks);
        if self.reasons.add(clicks, reason) {
            tracing::warn!(target = %self.target, reason, "clicks failed");
        }
    }
}

/// The browse sink: hands each batch to its dispatcher task, which plans every click's
/// request in order (the sessions' referrers need it) and queues it for the pool's
/// request tasks. Planning runs on the runtime's threads beside the requests, so the
/// caller's thread is woken once a batch, not once a click.
pub struct BrowseSink {
    shared: Arc<Shared>,
    /// The dispatcher before its task is started (on the first batch).
    unstarted: Option<Dispatcher>,
    link: Option<Link>,
    /// Records handed to the dispatcher so far.
    handed: u64,
    flush_timeout: Duration,
}

impl BrowseSink {
    pub fn new(
        base: Option<Base>,
        headers: HeaderMap,
        options: &BrowseOptions,
        flush_timeout: Duration,
        target: String,
    ) -> Self {
        let shared = Arc::new(Shared {
            stats: Arc::default(),
            reasons: Reasons::default(),
            timeout: options.timeout,
            follow_redirects: options.follow_redirects,
            ok_status: options.ok_status.clone(),
            target,
        });
        let connector = TowerToHyperService::new(client::connector());
        let dispatcher = Dispatcher {
            planner: Planner::new(base, options.session, headers),
            pool: Pool::new(shared.clone(), connector, options.connections),
            shared: shared.clone(),
        };
        Self {
            shared,
            unstarted: Some(dispatcher),
            link: None,
            handed: 0,
            flush_timeout,
        }
    }

    fn link(&mut self) -> Option<&mut Link> {
        if let Some(dispatcher) = self.unstarted.take() {
            // One batch queued (and one being planned) bounds memory; `send` waits beyond.
            let (batches, msgs) = mpsc::channel(1);
            let (cancel, cancels) = mpsc::channel(1);
            let task = tokio::spawn(dispatcher.run(msgs, cancels));
            self.link = Some(Link {
                batches,
                cancel,
                task,
            });
        }
        self.link.as_mut()
    }

    fn stopped(&self) -> SinkError {
        SinkError::fatal(&self.shared.target, "the request tasks stopped".to_owned())
    }
}

/// The sink's side of its dispatcher task.
struct Link {
    batches: mpsc::Sender<Msg>,
    /// Cancels everything queued and in flight; answered once done.
    cancel: mpsc::Sender<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Drop for Link {
    /// A dropped sink sends nothing more: its dispatcher stops and with it the requests.
    fn drop(&mut self) {
        self.task.abort();
    }
}

enum Msg {
    Batch(Batch),
    /// Answered once every click handed so far is answered or failed.
    Idle(oneshot::Sender<()>),
}

/// The task that plans requests and queues them for the pool.
struct Dispatcher {
    planner: Planner,
    pool: Pool,
    shared: Arc<Shared>,
}

impl Dispatcher {
    async fn run(
        mut self,
        mut msgs: mpsc::Receiver<Msg>,
        mut cancels: mpsc::Receiver<oneshot::Sender<()>>,
    ) {
        loop {
            let cancelled = tokio::select! {
                biased;
                Some(ack) = cancels.recv() => Some(ack),
                more = self.step(&mut msgs) => match more {
                    true => None,
                    false => return,
                },
            };
            if let Some(ack) = cancelled {
                self.pool.abort().await;
                while msgs.try_recv().is_ok() {}
                let _ = ack.send(());
            }
        }
    }

    /// Handles the next message; false once the sink is gone.
    async fn step(&mut self, msgs: &mut mpsc::Receiver<Msg>) -> bool {
        match msgs.recv().await {
            None => false,
            Some(Msg::Batch(batch)) => {
                for record in batch.records() {
                    match self.planner.plan(record) {
                        Ok((uri, headers)) => self.pool.submit(uri, headers).await,
                        Err(reason) => self.shared.failed(&reason),
                    }
                }
                true
            }
            Some(Msg::Idle(done)) => {
                self.pool.idle().await;
                let _ = done.send(());
                true
            }
        }
    }
}

#[async_trait::async_trait]
impl Sink for BrowseSink {
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError> {
        let records = batch.len() as u64;
        let sent = match self.link() {
            Some(link) => link.batches.send(Msg::Batch(batch)).await.is_ok(),
            None => false,
        };
        if !sent {
            return Err(self.stopped());
        }
        self.handed += records;
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        let flush_timeout = self.flush_timeout;
        let Some(link) = self.link.as_mut() else {
            return Ok(()); // nothing was ever sent
        };
        let (done, answered) = oneshot::channel();
        let idle =
            async { link.batches.send(Msg::Idle(done)).await.is_ok() && answered.await.is_ok() };
        if tokio::time::timeout(flush_timeout, idle).await == Ok(true) {
            return Ok(());
        }
        // Clicks still unanswered at the deadline: cancelled and counted failed.
        let (ack, acked) = oneshot::channel();
        if link.cancel.send(ack).await.is_ok() {
            let _ = acked.await;
        }
        let s = self.shared.stats.snapshot();
        let records = self.handed.saturating_sub(s.delivered + s.failed);
        if records > 0 {
            self.shared
                .failed_many(records, "no answer by the flush deadline");
        }
        Err(SinkError::Undelivered {
            target: self.shared.target.clone(),
            records,
            timeout: flush_timeout,
        })
    }

    fn stats(&self) -> &Arc<SinkStats> {
        &self.shared.stats
    }

    fn describe(&self) -> String {
        self.shared.target.clone()
    }

    fn failure_reasons(&self) -> BTreeMap<String, u64> {
        self.shared.reasons.snapshot()
    }
}
