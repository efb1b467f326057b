//! `http:URL[?options]`: records POSTed in batches to an HTTP collector (a Snowplow-,
//! Segment- or RudderStack-style endpoint, Vector's or Fluent Bit's HTTP source, a
//! webhook, or `csgen collect`).
//!
//! Each request carries one batch as ndjson (default), a JSON array or a single record,
//! optionally gzip-compressed. Batching, the bounded buffer, the in-flight limit, the
//! flush deadline and the accounting are the batching engine's (as for Kinesis); this
//! module holds the request and [`answer::judge`], the pure reading of the answer:
//! 2xx delivers the batch, 408/429/5xx and transport failures send exactly that batch
//! again (honouring `Retry-After`), any other answer fails that batch with its status
//! and first bytes. Every request is also recorded in the sink's call statistics
//! (status classes, latency percentiles).
//!
//! `?` always starts csgen's options; the collector URL's own query, if it needs one,
//! is the `query=` option (see [`options`]).

pub mod answer;
pub mod body;
pub mod client;
pub mod headers;
pub mod options;

use std::fmt;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use csgen_pipeline::endpoint::{Form, ServiceError};
use http_body_util::Full;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Request, Uri};

use self::answer::{QUOTED_BYTES, Verdict};
use self::client::HttpClient;
pub use self::options::{BodyFormat, HttpOptions};
use crate::batched::retry::{CallFailure, RecordOutcome};
use crate::batched::{AsIs, Engine, EngineSink, Limits, PutApi, Record};
use crate::calls::CallClass;
use crate::context::{Built, SinkContext, SinkEndpoint};
use crate::{SinkError, SinkStats};

pub const FORM: Form = Form {
    scheme: "http",
    form: "http:URL[?options]",
    about: "POST batches to an HTTP collector (ndjson, JSON array or one per request; gzip, retries)",
};

/// The User-Agent of csgen's own requests, unless a header option sets one.
pub const USER_AGENT: &str = concat!("csgen/", env!("CARGO_PKG_VERSION"));

/// A collector URL and how to POST to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSpec {
    /// `http://` or `https://` URL without a query (that is the `query` option).
    pub url: String,
    pub options: HttpOptions,
}

/// Checks an absolute http(s) URL for a sink: a host, no credentials, no query or
/// fragment (`what` names the part for messages).
pub(crate) fn check_url(url: &str, what: &str) -> Result<Uri, String> {
    let uri: Uri = url
        .parse()
        .map_err(|e| format!("{what} {url:?} is not a URL: {e}"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none_or(str::is_empty) {
        return Err(format!(
            "{what} {url:?}: expected http://HOST[:PORT]/PATH or https://…"
        ));
    }
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(format!(
            "{what}: credentials in the URL are never on the command line; use \
             header-env.Authorization=VAR or headers-file=PATH"
        ));
    }
    if url.contains('#') {
        return Err(format!(
            "{what} {url:?}: a fragment is never sent to a server"
        ));
    }
    Ok(uri)
}

impl HttpSpec {
    /// Reads `URL[?options]` (the part after `http:`).
    pub fn parse(rest: &str) -> Result<Self, String> {
        let (url, query) = rest.split_once('?').unwrap_or((rest, ""));
        if url.is_empty() {
            return Err("no URL: expected http:http://HOST:PORT/PATH[?options]".into());
        }
        check_url(url, "collector URL")?;
        Ok(Self {
            url: url.to_owned(),
            options: HttpOptions::parse(query)?,
        })
    }

    /// The URL requests go to: the spec's URL with the `query` option's query.
    pub fn target(&self) -> Result<Uri, String> {
        match self.options.target_query() {
            None => check_url(&self.url, "collector URL"),
            Some(q) => format!("{}?{q}", self.url).parse().map_err(|e| {
                format!(
                    "query={:?}: {e}",
                    self.options.query.as_deref().unwrap_or("")
                )
            }),
        }
    }
}

impl fmt::Display for HttpSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http:{}{}", self.url, self.options)
    }
}

#[async_trait::async_trait]
impl SinkEndpoint for HttpSpec {
    async fn build(&self, cx: &SinkContext) -> Result<Built, SinkError> {
        let target = format!("http:{}", self.url);
        let headers = self
            .options
            .headers
            .resolve(|var| std::env::var(var).ok())
            .map_err(|e| SinkError::fatal(&target, e))?;
        let uri = self.target().map_err(|e| SinkError::fatal(&target, e))?;
        let sink = HttpSink::posting_to(uri, headers, &self.options, cx, target);
        Ok(Built::unchecked(Box::new(sink)))
    }
}

/// The collector sink: records as they are, through the batching engine over [`HttpApi`].
pub type HttpSink = EngineSink<AsIs>;

impl HttpSink {
    /// A sink POSTing to `uri` with `headers` (already resolved).
    pub fn posting_to(
        uri: Uri,
        headers: HeaderMap,
        options: &HttpOptions,
        cx: &SinkContext,
        target: String,
    ) -> Self {
        let engine_options = options.engine(cx.flush_timeout);
        let stats = Arc::new(SinkStats::default());
        let api = HttpApi {
            client: client::client(engine_options.max_in_flight.get()),
            uri,
            headers,
            format: options.format,
            gzip: options.gzip,
            timeout: options.timeout,
            stats: stats.clone(),
        };
        let limits = Limits {
            max_records: engine_options.batch_records.get(),
            max_call_bytes: options.batch_bytes,
            max_record_bytes: options.batch_bytes,
            oversize_reason: "record larger than batch-bytes; not sent",
        };
        let engine = Engine::start_with_stats(
            api,
            stats,
            target,
            limits,
            &engine_options,
            false,
            cx.seed(),
        );
        Self::new(engine, AsIs)
    }
}

/// One POST per batch.
struct HttpApi {
    client: HttpClient,
    uri: Uri,
    headers: HeaderMap,
    format: BodyFormat,
    gzip: bool,
    timeout: std::time::Duration,
    stats: Arc<SinkStats>,
}

impl HttpApi {
    fn request(&self, records: &[Record]) -> Result<Request<Full<Bytes>>, CallFailure> {
        let body = body::encode(records, self.format);
        let mut request = Request::post(self.uri.clone());
        let h = request.headers_mut().expect("a fresh builder has headers");
        h.insert(header::USER_AGENT, HeaderValue::from_static(USER_AGENT));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(body.content_type),
        );
        let bytes = if self.gzip {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            body::gzip(&body.bytes)
        } else {
            body.bytes
        };
        for (name, value) in &self.headers {
            h.insert(name, value.clone());
        }
        request
            .body(Full::new(Bytes::from(bytes)))
            .map_err(|e| CallFailure::Fatal(ServiceError::caused_by("cannot build the request", e)))
    }
}

impl PutApi for HttpApi {
    async fn put(&self, records: &[Record]) -> Result<Vec<RecordOutcome>, CallFailure> {
        let request = self.request(records)?;
        let started = Instant::now();
        let answer = client::call(&self.client, request, self.timeout, QUOTED_BYTES).await;
        let class = answer
            .as_ref()
            .map_or(CallClass::Error, |a| CallClass::of_status(a.status));
        self.stats.calls().record(class, started.elapsed());
        let answer = answer.map_err(|e| CallFailure::Retry(e.to_string()))?;
        let n = records.len();
        match answer::judge(
            answer.status,
            answer.retry_after.as_deref(),
            &answer.body_start,
            SystemTime::now(),
        ) {
            Verdict::Delivered => Ok(vec![RecordOutcome::Delivered; n]),
            Verdict::Retry {
                reason,
                after: Some(after),
            } => Err(CallFailure::RetryAfter(reason, after)),
            Verdict::Retry {
                reason,
                after: None,
            } => Err(CallFailure::Retry(reason)),
            Verdict::Failed(reason) => Ok(vec![RecordOutcome::Failed(reason); n]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_and_the_query_option_is_the_targets_query() {
        let s = HttpSpec::parse("http://127.0.0.1:8080/collect?gzip=true").unwrap();
        assert_eq!(s.url, "http://127.0.0.1:8080/collect");
        assert!(s.options.gzip);
        assert_eq!(s.target().unwrap(), "http://127.0.0.1:8080/collect");
        let s = HttpSpec::parse("https://c.example/v1/batch?query=writeKey%3Dabc%26v%3D2").unwrap();
        assert_eq!(
            s.target().unwrap(),
            "https://c.example/v1/batch?writeKey=abc&v=2"
        );
        assert_eq!(
            s.to_string(),
            "http:https://c.example/v1/batch?query=writeKey%3Dabc%26v%3D2"
        );
        for (bad, want) in [
            ("", "no URL"),
            ("ftp://x/y", "expected http://HOST"),
            ("//x/y", "expected http://HOST"),
            ("http://user:pw@h/c", "credentials in the URL"),
            ("http://h/c#frag", "a fragment is never sent"),
            ("http://h/c d", "is not a URL"),
            ("http://h/c?bogus=1", "unknown option \"bogus\""),
        ] {
            let e = HttpSpec::parse(bad).unwrap_err();
            assert!(e.contains(want), "{bad}: {e}");
            assert!(!e.contains("pw@"), "{e}");
        }
    }
}
