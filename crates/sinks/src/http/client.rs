//! The HTTP client of the `http:` and `browse:` sinks: hyper 1 with hyper-util's pooled
//! client and rustls (ring, the system's trusted roots) for https — the stack the AWS
//! SDK already brings into the build, so it costs no extra compile time.
//!
//! [`call`] sends one request and reads its answer within one deadline: the status,
//! `Retry-After`, and the body (the first bytes kept for messages, the rest read and
//! counted, so that the connection can be reused).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// The pooled client type.
pub type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Longest a connection may take to open (TCP; TLS counts against the call's timeout).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A client keeping at most `idle_per_host` idle connections per host.
pub fn client(idle_per_host: usize) -> HttpClient {
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(idle_per_host)
        .pool_idle_timeout(Duration::from_secs(30))
        .build(connector())
}

/// What opens a connection for `http://` or `https://` URIs: TCP (no delay, the
/// connect deadline), then TLS for https. The browse sink opens its own connections
/// with it.
pub fn connector() -> HttpsConnector<HttpConnector> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(CONNECT_TIMEOUT));
    HttpsConnectorBuilder::new()
        .with_tls_config(tls_config())
        .https_or_http()
        .enable_http1()
        .wrap_connector(http)
}

/// rustls with the ring provider (both providers are in the build; naming one avoids
/// the ambiguity) and the system's trusted roots (none found: https calls fail with a
/// certificate error, http works).
fn tls_config() -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let (added, _) = roots.add_parsable_certificates(native.certs);
    if added == 0 {
        tracing::warn!("no trusted root certificates found: https requests will fail");
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring supports rustls's default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// An answer, read in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub location: Option<String>,
    /// The first bytes of the body (as many as the caller asked to keep).
    pub body_start: Vec<u8>,
    /// Body bytes read in all.
    pub body_len: u64,
}

/// Why there is no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoAnswer {
    /// The deadline passed before the answer was read.
    Timeout(Duration),
    /// Refused, reset or dropped connection, TLS or protocol failure: the message, with
    /// its causes.
    Transport(String),
}

impl std::fmt::Display for NoAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Timeout(t) => write!(
                f,
                "no answer within {}",
                csgen_pipeline::endpoint::duration::Shown(*t)
            ),
            Self::Transport(m) => f.write_str(m),
        }
    }
}

/// Sends `request` and reads the answer within `timeout`, keeping the first `keep`
/// body bytes.
pub async fn call(
    client: &HttpClient,
    request: Request<Full<Bytes>>,
    timeout: Duration,
    keep: usize,
) -> Result<Answer, NoAnswer> {
    let exchange = async {
        let response = client.request(request).await.map_err(|e| transport(&e))?;
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let mut answer = Answer {
            status: response.status().as_u16(),
            retry_after: header(hyper::header::RETRY_AFTER),
            location: header(hyper::header::LOCATION),
            body_start: Vec::new(),
            body_len: 0,
        };
        let mut body = response.into_body();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| transport(&e))?;
            if let Some(data) = frame.data_ref() {
                let room = keep.saturating_sub(answer.body_start.len());
                answer
                    .body_start
                    .extend_from_slice(&data[..data.len().min(room)]);
                answer.body_len += data.len() as u64;
            }
        }
        Ok(answer)
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or(Err(NoAnswer::Timeout(timeout)))
}

/// An error and its causes on one line (hyper's top-level message alone says little).
pub(crate) fn transport(e: &(dyn std::error::Error + 'static)) -> NoAnswer {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    NoAnswer::Transport(text)
}
