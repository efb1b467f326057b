//! One request task's own HTTP/1.1 connection: opened on first use, kept alive across
//! clicks, opened afresh when the server closes it, after a transport error or a
//! timeout, or when a click goes to another site (browsing each click's own URL).
//!
//! The task writes each request and reads its answer itself ([`wire`]), so a
//! connection costs no task of its own, no channel and no wake-up beyond the socket's.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::Poll;

use hyper::Uri;
use hyper::header::HeaderValue;
use hyper::service::Service as _;
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWriteExt};
use tokio::net::TcpStream;

use super::wire::{self, Answer, ReadBuf, WireError};
use crate::http::client::transport;

/// Opens TCP (and TLS for https) connections.
pub type Connector = TowerToHyperService<HttpsConnector<HttpConnector>>;

/// The connection as tokio reads and writes it (TLS or plain TCP).
type Io = TokioIo<MaybeHttpsStream<TokioIo<TcpStream>>>;

/// Times a click whose connection closed before its request was written is sent on a
/// fresh connection (it never reached the server, so this is no second page view).
const UNSENT_ATTEMPTS: usize = 3;

/// An open connection to one site.
struct Open {
    scheme: hyper::http::uri::Scheme,
    authority: hyper::http::uri::Authority,
    /// The `Host` header of every request on this connection.
    host: HeaderValue,
    io: Io,
    /// Whether a request was sent on it: only then can the server have closed it since.
    used: bool,
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

/// At most one connection, reused click after click, with its buffers.
pub struct Conn {
    connector: Connector,
    open: Option<Open>,
    /// The request head being written (reused: no allocation a click).
    out: Vec<u8>,
    /// What was read of the answer.
    read: ReadBuf,
}

impl Conn {
    pub fn new(connector: Connector) -> Self {
        Self {
            connector,
            open: None,
            out: Vec::new(),
            read: ReadBuf::default(),
        }
    }

    /// Forgets the connection (after a timeout, its state is unknown).
    pub fn reset(&mut self) {
        self.open = None;
    }

    /// GETs `uri` (absolute: scheme and authority say where) with `headers` (lines), and reads
    /// the answer in full. An error is the transport's message with its causes; the
    /// connection is then dropped.
    pub async fn get(&mut self, uri: &Uri, headers: &[u8]) -> Result<Answer, String> {
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let mut attempts = 0;
        let open = loop {
            attempts += 1;
            let open = ready(&self.connector, &mut self.open, &mut self.read, uri).await?;
            wire::write_head(&mut self.out, path, open.host.as_bytes(), headers);
            open.used = true;
            match send(&mut open.io, &self.out).await {
                Ok(()) => break open,
                Err((written, e)) => {
                    self.open = None;
                    // Nothing written: the server never saw the click.
                    if written == 0 && attempts < UNSENT_ATTEMPTS {
                        continue;
                    }
                    return Err(WireError::Io(e).to_string());
                }
            }
        };
        match wire::read_answer(&mut open.io, &mut self.read).await {
            Ok(answer) => {
                if !answer.keep_alive {
                    self.open = None;
                }
                Ok(answer)
            }
            Err(e) => {
                self.open = None;
                Err(e.to_string())
            }
        }
    }
}

/// The open connection to `uri`'s site, ready for a request: the current one if it
/// is still up, else a new one.
async fn ready<'a>(
    connector: &Connector,
    slot: &'a mut Option<Open>,
    read: &mut ReadBuf,
    uri: &Uri,
) -> Result<&'a mut Open, String> {
    // Checked in place: an `Open` (its TLS state inline) is over a kilobyte, which
    // taking it out and putting it back would copy twice a click.
    let reuse = match slot.as_mut() {
        // A server may close a kept-alive connection between two answers: found out
        // here, before the click is written, the click goes on a new one instead.
        Some(open) => open.serves(uri) && !(open.used && closed(&mut open.io).await),
        None => false,
    };
    if !reuse {
        *slot = None;
        // Boxed: connecting is rare and its future large; inline, every click's
        // future would be as large and copied as it moves.
        let open = Box::pin(connect(connector, uri)).await?;
        read.clear();
        return Ok(slot.insert(open));
    }
    slot.as_mut()
        .ok_or_else(|| format!("no connection to {uri}"))
}

/// Writes `head` in full; on failure, how much was written and why.
async fn send(io: &mut Io, head: &[u8]) -> Result<(), (usize, std::io::Error)> {
    let mut written = 0;
    while written < head.len() {
        match io.write(&head[written..]).await {
            Ok(0) => return Err((written, std::io::ErrorKind::WriteZero.into())),
            Ok(n) => written += n,
            Err(e) => return Err((written, e)),
        }
    }
    // TLS holds records until flushed; plain TCP has nothing to flush.
    io.flush().await.map_err(|e| (written, e))
}

/// Whether an idle connection has ended (or sent bytes nobody asked for): one read
/// that does not wait. Nothing to read is the usual answer, and the connection is up.
async fn closed<T: AsyncRead + Unpin>(io: &mut T) -> bool {
    poll_fn(|cx| {
        let mut byte = [0u8; 1];
        let mut buf = tokio::io::ReadBuf::new(&mut byte);
        Poll::Ready(Pin::new(&mut *io).poll_read(cx, &mut buf).is_ready())
    })
    .await
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
    Ok(Open {
        scheme: scheme.clone(),
        authority: authority.clone(),
        host: host_header(scheme.as_str(), authority)?,
        io: TokioIo::new(io),
        used: false,
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
