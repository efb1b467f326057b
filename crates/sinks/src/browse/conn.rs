//! One request task's own HTTP/1.1 connection: opened on first use, kept alive across
//! clicks, opened afresh when the server closes it, after a transport error or a
//! timeout, or when a click goes to another site (browsing each click's own URL).
//!
//! The task polls hyper's connection future itself while it waits for an answer, so a
//! connection costs no task of its own and an answer wakes exactly one task (the
//! pooled client spent a task per request and another per connection, and a pool
//! look-up each time: the bulk of browse's cost per request against a fast server).

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Poll;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::{self, Connection, SendRequest};
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::service::Service as _;
use hyper::{Request, Uri};
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpStream;

use crate::http::client::transport;

/// Opens TCP (and TLS for https) connections.
pub type Connector = TowerToHyperService<HttpsConnector<HttpConnector>>;

type Io = MaybeHttpsStream<TokioIo<TcpStream>>;
type Body = Empty<Bytes>;
/// hyper's side of a connection: it reads and writes the socket when polled.
type Driver = Pin<Box<Connection<Io, Body>>>;

/// Times a click whose connection closed before its request was written is sent on a
/// fresh connection (it never reached the server, so this is no second page view).
const UNSENT_ATTEMPTS: usize = 3;

/// The part of an answer browse looks at (the body is read and dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
}

/// An open connection to one site.
struct Open {
    scheme: hyper::http::uri::Scheme,
    authority: hyper::http::uri::Authority,
    /// The `Host` header of every request on this connection.
    host: HeaderValue,
    sender: SendRequest<Body>,
    /// `None` once the connection has ended (dropping it fails what was pending).
    driver: Option<Driver>,
}

impl Open {
    fn serves(&self, uri: &Uri) -> bool {
        let same = |a: &str, b: &str| std::ptr::eq(a, b) || a.eq_ignore_ascii_case(b);
        match (uri.scheme(), uri.authority()) {
            // Clicks sent to a base share its scheme and authority: one pointer check.
            (Some(s), Some(a)) => {
                same(s.as_str(), self.scheme.as_str()) && same(a.as_str(), self.authority.as_str())
            }
            _ => false,
        }
    }
}

/// At most one connection, reused click after click.
pub struct Conn {
    connector: Connector,
    open: Option<Open>,
}

impl Conn {
    pub fn new(connector: Connector) -> Self {
        Self {
            connector,
            open: None,
        }
    }

    /// Forgets the connection (after a timeout, its state is unknown).
    pub fn reset(&mut self) {
        self.open = None;
    }

    /// GETs `uri` (absolute: scheme and authority say where) with `headers`, and reads
    /// the answer in full. An error is the transport's message with its causes; the
    /// connection is then dropped.
    pub async fn get(&mut self, uri: &Uri, headers: HeaderMap) -> Result<Answer, String> {
        let origin_form = match uri.path_and_query() {
            Some(p) => Uri::from(p.clone()),
            None => Uri::from_static("/"),
        };
        let mut request = Request::new(Body::new());
        *request.uri_mut() = origin_form;
        *request.headers_mut() = headers;
        let mut attempts = 0;
        loop {
            attempts += 1;
            let open = self.ready(uri).await?;
            request
                .headers_mut()
                .insert(header::HOST, open.host.clone());
            let sent = drive(&mut open.driver, open.sender.try_send_request(request)).await;
            let response = match sent {
                Ok(r) => r,
                Err(mut e) => {
                    self.open = None;
                    match e.take_message() {
                        Some(unsent) if attempts < UNSENT_ATTEMPTS => {
                            request = unsent;
                            continue;
                        }
                        _ => return Err(transport(e.error()).to_string()),
                    }
                }
            };
            let location = response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let answer = Answer {
                status: response.status().as_u16(),
                location,
            };
            let mut body = response.into_body();
            loop {
                match drive(&mut open.driver, body.frame()).await {
                    None => return Ok(answer),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        self.open = None;
                        return Err(transport(&e).to_string());
                    }
                }
            }
        }
    }

    /// The open connection to `uri`'s site, ready for a request: the current one if it
    /// is still up, else a new one.
    async fn ready(&mut self, uri: &Uri) -> Result<&mut Open, String> {
        let mut current = self.open.take().filter(|o| o.serves(uri));
        // A connection closed since its last answer is found out when the click is
        // sent: hyper then gives the unsent request back, and `get` opens a new one.
        if let Some(open) = current.as_mut()
            && !open.sender.is_ready()
            && drive(&mut open.driver, open.sender.ready()).await.is_err()
        {
            current = None;
        }
        let open = match current {
            Some(open) => open,
            None => {
                // Boxed: connecting is rare and its future large; inline, every click's
                // future would be as large and copied as it moves.
                let mut open = Box::pin(connect(&self.connector, uri)).await?;
                drive(&mut open.driver, open.sender.ready())
                    .await
                    .map_err(|e| transport(&e).to_string())?;
                open
            }
        };
        Ok(self.open.insert(open))
    }
}

/// A new connection to `uri`'s site.
async fn connect(connector: &Connector, uri: &Uri) -> Result<Open, String> {
    let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
        return Err(format!("{uri} has no site to connect to"));
    };
    let io = connector
        .call(uri.clone())
        .await
        .map_err(|e| transport(&*e).to_string())?;
    let (sender, driver) = http1::handshake(io)
        .await
        .map_err(|e| transport(&e).to_string())?;
    Ok(Open {
        scheme: scheme.clone(),
        authority: authority.clone(),
        host: host_header(scheme.as_str(), authority)?,
        sender,
        driver: Some(Box::pin(driver)),
    })
}

/// `Host` as a browser sends it: the port only when it is not the scheme's default.
fn host_header(
    scheme: &str,
    authority: &hyper::http::uri::Authority,
) -> Result<HeaderValue, String> {
    let default = if scheme == "https" { 443 } else { 80 };
    let host = match authority.port_u16() {
        Some(p) if p != default => authority.as_str(),
        _ => authority.host(),
    };
    HeaderValue::from_str(host).map_err(|_| format!("{host:?} cannot be a Host header"))
}

/// Polls `work` to its end while keeping the connection going. The connection is
/// dropped the moment it ends: that answers whatever was pending on it with an error,
/// so `work` always ends too.
///
/// `work` is polled first, and again after the connection: an answer's body usually
/// arrives with its head, and a connection whose last answer is read is idle, so most
/// of a click's steps finish without polling hyper's side at all (polling it costs
/// about as much as parsing an answer).
async fn drive<F: Future>(driver: &mut Option<Driver>, work: F) -> F::Output {
    let mut work = pin!(work);
    poll_fn(|cx| {
        if let Poll::Ready(out) = work.as_mut().poll(cx) {
            return Poll::Ready(out);
        }
        if let Some(d) = driver.as_mut()
            && d.as_mut().poll(cx).is_ready()
        {
            *driver = None;
        }
        work.as_mut().poll(cx)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_header_names_the_port_only_when_it_is_not_the_default() {
        let host = |s: &str, a: &str| host_header(s, &a.parse().unwrap()).unwrap();
        assert_eq!(host("http", "127.0.0.1:8080"), "127.0.0.1:8080");
        assert_eq!(host("http", "shop.example:80"), "shop.example");
        assert_eq!(host("https", "shop.example:443"), "shop.example");
        assert_eq!(host("https", "shop.example:80"), "shop.example:80");
        assert_eq!(host("http", "[::1]:9"), "[::1]:9");
    }
}
