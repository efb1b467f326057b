//! `browse:[BASE_URL][?options]`: each click sent as the page request it stands for —
//! a load test of a real site with realistic sessions, funnels and think times.
//!
//! Each record becomes a GET of its URL (its site replaced by BASE_URL when given, see
//! [`request`]), with the event's user agent, its referrer (the landing's own, else the
//! session's previous page) and the session in a cookie (`csgen_session=ID`) or a
//! header, at the pace the generator sets. At most `connections` requests are in flight;
//! when all are busy, `send` waits, which slows the generator instead of queueing.
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

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use csgen_pipeline::endpoint::Form;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper_util::service::TowerToHyperService;

pub use self::options::{BrowseOptions, OkStatus, SessionCarrier};
use self::pool::Pool;
use self::request::{Base, Sessions};
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

/// The browse sink: plans each click's request in order (the sessions' referrers need
/// it) and hands it to its pool of request tasks.
pub struct BrowseSink {
    shared: Arc<Shared>,
    pool: Pool,
    sessions: Sessions,
    base: Option<Base>,
    session: SessionCarrier,
    headers: HeaderMap,
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
        Self {
            pool: Pool::new(shared.clone(), connector, options.connections),
            shared,
            sessions: Sessions::default(),
            base,
            session: options.session,
            headers,
            flush_timeout,
        }
    }

    /// The headers of one click's request, or why it cannot be sent.
    fn headers(&mut self, page: &request::PageRequest) -> Result<HeaderMap, String> {
        let mut h = HeaderMap::with_capacity(4 + self.headers.len());
        let value = |what: &str, v: &str| {
            HeaderValue::from_str(v)
                .map_err(|_| format!("the {what} cannot be a header value; not requested"))
        };
        let ua = page
            .user_agent
            .as_deref()
            .unwrap_or(crate::http::USER_AGENT);
        h.insert(header::USER_AGENT, value("user agent", ua)?);
        let referrer =
            self.sessions
                .referrer(page.session.as_deref(), page.referrer.as_deref(), &page.uri);
        if let Some(r) = referrer {
            h.insert(header::REFERER, value("referrer", &r)?);
        }
        if let Some(id) = &page.session {
            match self.session {
                SessionCarrier::Cookie => {
                    h.insert(
                        header::COOKIE,
                        value("session", &format!("{SESSION_COOKIE}={id}"))?,
                    );
                }
                SessionCarrier::Header => {
                    h.insert(
                        HeaderName::from_static(SESSION_HEADER),
                        value("session", id)?,
                    );
                }
                SessionCarrier::None => {}
            }
        }
        for (name, v) in &self.headers {
            h.insert(name, v.clone());
        }
        Ok(h)
    }
}

#[async_trait::async_trait]
impl Sink for BrowseSink {
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError> {
        for record in batch.records() {
            let page = request::plan(record, self.base.as_ref());
            let planned = page.and_then(|p| self.headers(&p).map(|h| (p.uri, h)));
            match planned {
                Ok((uri, headers)) => self.pool.submit(uri, headers).await,
                Err(reason) => self.shared.failed(&reason),
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        let Err(records) = self.pool.drain(self.flush_timeout).await else {
            return Ok(());
        };
        // Requests still unanswered at the deadline: cancelled and counted failed.
        if records > 0 {
            self.shared
                .failed_many(records, "no answer by the flush deadline");
        }
        Err(SinkError::Undelivered {
            target: self.shared.target.clone(),
            records,
            timeout: self.flush_timeout,
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
