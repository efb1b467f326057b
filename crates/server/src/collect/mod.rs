//! `csgen collect`: an HTTP collector that forwards what it receives to any sink.
//!
//! - `POST /collect`: a body of records (ndjson, a JSON array, one JSON object, bare
//!   URLs; gzip with `Content-Encoding: gzip`), see [`body`].
//! - `GET /i?url=URL[&uid=ID]`: a tracking pixel; the record takes its user agent,
//!   referrer and `csgen_session` cookie from the request. Answers a 1×1 GIF.
//! - `GET /status`: the sink's counters and the answers given; `GET /health`: 200.
//!
//! A request is answered 200 only once the sink has delivered its records (see
//! [`writer`]); 400 with the reason for a malformed body, 401 without the token (when
//! one is set), 408 when the body is not received in time, 413 over a size limit, 415
//! for a content type or encoding csgen does not read, 429 with `Retry-After` when the
//! buffer is full, 503 with `Retry-After` when the sink did not deliver. Every limit is
//! in [`Limits`]; the connection-level ones (connections, header timeout) are applied
//! by [`serve`].

pub mod body;
mod serve;
pub mod writer;

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::json;
use tokio::time::Instant;

use self::body::BodyError;
pub use self::body::RecordLimits;
pub use self::serve::serve;
use self::writer::Refused;
pub use self::writer::Writer;
use crate::auth::{Token, presented};

/// Every bound of the collector, with its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request body, and largest once gzip-decoded: 16 MiB.
    pub max_body_bytes: usize,
    /// Records per request (100,000) and bytes per record (1 MiB).
    pub records: RecordLimits,
    /// Records accepted and not yet delivered, over all requests (200,000); beyond it
    /// requests get 429.
    pub buffer_records: usize,
    /// Longest a client may take to send the request line and headers: 10s.
    pub header_timeout: Duration,
    /// Longest a request may take, body and delivery included: 60s.
    pub request_timeout: Duration,
    /// Connections open at once (512); more wait in the listen backlog.
    pub max_connections: usize,
    /// What `Retry-After` says on 429 and 503: 1s.
    pub retry_after: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 16 << 20,
            records: RecordLimits {
                max_records: 100_000,
                max_record_bytes: 1 << 20,
            },
            buffer_records: 200_000,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_connections: 512,
            retry_after: Duration::from_secs(1),
        }
    }
}

impl Limits {
    /// Checks that the limits can be met together.
    pub fn check(&self) -> Result<(), String> {
        if self.buffer_records < self.records.max_records {
            return Err(format!(
                "the buffer ({} records) must hold at least one full request ({} records)",
                self.buffer_records, self.records.max_records
            ));
        }
        if self.max_body_bytes == 0 || self.records.max_records == 0 || self.max_connections == 0 {
            return Err("body size, records per request and connections must be at least 1".into());
        }
        Ok(())
    }
}

/// Answers given, by status, for `/status`.
#[derive(Debug, Default)]
struct Answers([AtomicU64; ANSWERED.len()]);

const ANSWERED: [u16; 10] = [200, 400, 401, 404, 408, 413, 415, 429, 500, 503];

impl Answers {
    fn count(&self, status: StatusCode) {
        let i = ANSWERED
            .iter()
            .position(|s| *s == status.as_u16())
            .unwrap_or(8);
        self.0[i].fetch_add(1, Relaxed);
    }

    fn json(&self) -> serde_json::Value {
        let map: serde_json::Map<String, serde_json::Value> = ANSWERED
            .iter()
            .zip(&self.0)
            .map(|(s, n)| (s.to_string(), n.load(Relaxed).into()))
            .collect();
        map.into()
    }
}

/// What the handlers share.
#[derive(Clone)]
pub struct CollectState {
    writer: Writer,
    limits: Limits,
    token: Option<Token>,
    answers: Arc<Answers>,
}

impl CollectState {
    /// A collector queuing into `writer`; with a token, every route but `/health`
    /// needs `Authorization: Bearer TOKEN`.
    pub fn new(writer: Writer, limits: Limits, token: Option<Token>) -> Self {
        Self {
            writer,
            limits,
            token,
            answers: Arc::default(),
        }
    }
}

/// The collector's router.
pub fn app(state: CollectState) -> Router {
    Router::new()
        .route("/collect", post(collect))
        .route("/i", get(pixel))
        .route("/status", get(status))
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .fallback(|| async {
            refuse(
                StatusCode::NOT_FOUND,
                "not found: POST /collect, GET /i?url=…, GET /status, GET /health",
            )
        })
        .with_state(state)
}

/// A refusal: its status, the reason in `{"error": …}`, and a `Retry-After`.
#[derive(Debug)]
struct Refusal(StatusCode, String, Option<Duration>);

fn refuse(status: StatusCode, reason: impl Into<String>) -> Refusal {
    Refusal(status, reason.into(), None)
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut r = (self.0, Json(json!({ "error": self.1 }))).into_response();
        if let Some(after) = self.2 {
            let secs = after.as_secs().max(1).to_string();
            r.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_str(&secs).expect("digits"),
            );
        }
        r
    }
}

impl From<BodyError> for Refusal {
    fn from(e: BodyError) -> Self {
        let status = match e {
            BodyError::Malformed(_) => StatusCode::BAD_REQUEST,
            BodyError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::Unsupported(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        };
        refuse(status, e.to_string())
    }
}

impl CollectState {
    fn authorise(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        match &self.token {
            None => Ok(()),
            Some(token) if presented(headers, None).is_some_and(|t| token.verify(t)) => Ok(()),
            Some(_) => Err(refuse(
                StatusCode::UNAUTHORIZED,
                "missing or wrong bearer token",
            )),
        }
    }

    /// Queues records and waits (until `deadline`) for their delivery.
    async fn deliver(&self, records: Vec<Vec<u8>>, deadline: Instant) -> Result<usize, Refusal> {
        let n = records.len();
        let after = Some(self.limits.retry_after);
        let done = self.writer.submit(records).map_err(|e| match e {
            Refused::Full => Refusal(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "buffer full ({} records): retry later",
                    self.limits.buffer_records
                ),
                after,
            ),
            Refused::Closed => Refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting down".into(),
                after,
            ),
        })?;
        match tokio::time::timeout_at(deadline, done).await {
            Ok(Ok(Ok(()))) => Ok(n),
            Ok(Ok(Err(reason))) => Err(Refusal(StatusCode::SERVICE_UNAVAILABLE, reason, after)),
            Ok(Err(_)) => Err(Refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting down".into(),
                after,
            )),
            Err(_) => Err(Refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "not delivered within the request timeout (the records may still be delivered)"
                    .into(),
                after,
            )),
        }
    }

    /// Counts the answer and returns it.
    fn answer(&self, result: Result<Response, Refusal>) -> Response {
        let response = result.unwrap_or_else(IntoResponse::into_response);
        self.answers.count(response.status());
        response
    }
}

async fn collect(State(s): State<CollectState>, headers: HeaderMap, body: Body) -> Response {
    let result = async {
        s.authorise(&headers)?;
        let deadline = Instant::now() + s.limits.request_timeout;
        let bytes = read_body(&headers, body, &s.limits, deadline).await?;
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        let records = body::records(&bytes, content_type, s.limits.records)?;
        let n = s.deliver(records, deadline).await?;
        Ok(Json(json!({ "accepted": n })).into_response())
    }
    .await;
    s.answer(result)
}

/// Reads the body within the size limit and the deadline, gzip-decoded if it says so.
async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limits: &Limits,
    deadline: Instant,
) -> Result<Vec<u8>, Refusal> {
    let max = limits.max_body_bytes;
    let too_large = || {
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body over {max} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    let gzip = match headers
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?"))
    {
        None | Some("identity") => false,
        Some("gzip" | "x-gzip") => true,
        Some(other) => {
            return Err(refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("content encoding {other:?} is not accepted: send gzip or none"),
            ));
        }
    };
    let collected = tokio::time::timeout_at(deadline, Limited::new(body, max).collect())
        .await
        .map_err(|_| {
            refuse(
                StatusCode::REQUEST_TIMEOUT,
                "the body did not arrive within the request timeout",
            )
        })?;
    let bytes = match collected {
        Ok(c) => c.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => return Err(too_large()),
        Err(e) => {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                format!("cannot read the body: {e}"),
            ));
        }
    };
    if !gzip {
        return Ok(bytes.to_vec());
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| refuse(StatusCode::BAD_REQUEST, format!("not gzip: {e}")))?;
    if out.len() > max {
        return Err(refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body over {max} bytes once decompressed"),
        ));
    }
    Ok(out)
}

/// A transparent 1×1 GIF.
const PIXEL: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

async fn pixel(
    State(s): State<CollectState>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let result = async {
        s.authorise(&headers)?;
        let text = |name| {
            headers
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
        };
        let session = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .find_map(|c| c.trim().strip_prefix("csgen_session="));
        let cx = body::PixelContext {
            user_agent: text(header::USER_AGENT),
            referrer: text(header::REFERER),
            session,
            ts_ms: now_ms(),
        };
        let record =
            body::pixel_record(&query, &cx).map_err(|e| refuse(StatusCode::BAD_REQUEST, e))?;
        s.deliver(vec![record], Instant::now() + s.limits.request_timeout)
            .await?;
        Ok((
            [
                (header::CONTENT_TYPE, "image/gif"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            PIXEL,
        )
            .into_response())
    }
    .await;
    s.answer(result)
}

async fn status(State(s): State<CollectState>, headers: HeaderMap) -> Response {
    if let Err(r) = s.authorise(&headers) {
        return s.answer(Err(r));
    }
    Json(json!({
        "sink": s.writer.describe(),
        "counters": s.writer.stats().snapshot(),
        "answers": s.answers.json(),
    }))
    .into_response()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests;
