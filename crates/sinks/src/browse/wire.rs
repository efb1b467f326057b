//! HTTP/1.1 on the wire for browse's connections: a GET's head written into a buffer
//! the connection reuses, and the answer read with `httparse` (the parser hyper itself
//! uses) for what browse looks at — its status, `Location` and framing — while its body
//! is read and dropped.
//!
//! Why not hyper's client: browse asks nothing of an answer but its status, and hyper's
//! client side (a channel and a one-shot per request, a `HeaderMap` built from every
//! answer, a task woken to hand the answer over) cost browse about 12,900 instructions
//! a request against nginx, where `wrk` spends 4,640 on the whole request.
//!
//! The answer's framing follows RFC 9112 §6.3: no body for 1xx, 204 and 304; a chunked
//! body when `Transfer-Encoding` ends in `chunked`; else `Content-Length` (repeated
//! values must agree); else the body runs to the connection's end. An interim 1xx
//! answer is skipped. Every part read is bounded ([`MAX_HEAD`]), so a hostile server
//! costs at most that much memory a connection, and the request's timeout bounds time.

use std::mem::MaybeUninit;

use tokio::io::{AsyncRead, AsyncReadExt};

/// Longest answer head (status line and headers), chunk-size line or trailer section.
pub const MAX_HEAD: usize = 64 * 1024;
/// Most headers an answer may have (as hyper's client allows).
const MAX_HEADERS: usize = 100;
/// A connection's read buffer to begin with (an answer's head is usually far smaller).
const FIRST_BUFFER: usize = 8 * 1024;

/// Why an answer could not be read; the connection is then closed.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("connection closed before the answer was complete")]
    Closed,
    #[error("connection error: {0}")]
    Io(#[source] std::io::Error),
    #[error("malformed answer: {0}")]
    Malformed(&'static str),
    #[error("malformed answer: {what} over {MAX_HEAD} bytes")]
    TooLong { what: &'static str },
}

impl From<std::io::Error> for WireError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

/// The part of an answer browse looks at (the body is read and dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    /// `Location`, read only from a 3xx answer (the only one it can redirect).
    pub location: Option<String>,
    /// Whether the connection may carry the next request.
    pub keep_alive: bool,
}

/// Writes the head of `GET path` to `host` into `out` (emptied first): the request
/// line, `Host` (the connection's), then `headers`, header lines as the planner wrote
/// them (`name: value\r\n` each).
pub fn write_head(out: &mut Vec<u8>, path: &str, host: &[u8], headers: &[u8]) {
    out.clear();
    out.extend_from_slice(b"GET ");
    out.extend_from_slice(path.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    out.extend_from_slice(host);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(headers);
    out.extend_from_slice(b"\r\n");
}

/// A connection's read buffer: bytes read and not yet consumed are `buf[start..end]`.
#[derive(Debug, Default)]
pub struct ReadBuf {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl ReadBuf {
    /// Forgets what is buffered (for a new connection).
    pub fn clear(&mut self) {
        (self.start, self.end) = (0, 0);
    }

    /// Bytes read and not yet consumed.
    pub fn pending(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    fn consume(&mut self, n: usize) {
        self.start += n.min(self.end - self.start);
    }

    /// Reads more bytes behind the pending ones; `Ok(0)` at the connection's end. The
    /// buffer grows only while less than `MAX_HEAD` bytes are pending: `what` says what
    /// was too long past that.
    async fn fill<R: AsyncRead + Unpin>(
        &mut self,
        io: &mut R,
        what: &'static str,
    ) -> Result<usize, WireError> {
        if self.start == self.end {
            self.clear();
        }
        if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                (self.start, self.end) = (0, self.end - self.start);
            } else if self.buf.len() < MAX_HEAD {
                let len = (self.buf.len() * 2).clamp(FIRST_BUFFER, MAX_HEAD);
                self.buf.resize(len, 0);
            } else {
                return Err(WireError::TooLong { what });
            }
        }
        let n = io.read(&mut self.buf[self.end..]).await?;
        self.end += n;
        Ok(n)
    }

    /// Reads and drops `n` body bytes.
    async fn skip<R: AsyncRead + Unpin>(
        &mut self,
        io: &mut R,
        mut n: u64,
    ) -> Result<(), WireError> {
        loop {
            let here = usize::try_from(n)
                .unwrap_or(usize::MAX)
                .min(self.end - self.start);
            self.consume(here);
            n -= here as u64;
            if n == 0 {
                return Ok(());
            }
            if self.fill(io, "body").await? == 0 {
                return Err(WireError::Closed);
            }
        }
    }
}

/// How the body of an answer ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Empty,
    Length(u64),
    Chunked,
    /// At the connection's end (no length given).
    Close,
}

/// What the head of an answer says.
struct Head {
    status: u16,
    location: Option<String>,
    framing: Framing,
    keep_alive: bool,
}

/// Reads one answer from `io` (after any interim 1xx answers), its body included.
pub async fn read_answer<R: AsyncRead + Unpin>(
    io: &mut R,
    rb: &mut ReadBuf,
) -> Result<Answer, WireError> {
    let head = loop {
        let mut scanned = 0;
        let head = loop {
            // Parsed again only once a blank line has come: a server sending a byte at
            // a time costs a scan of each byte, not a parse of the whole head each time.
            if blank_line(rb.pending(), scanned)
                && let Some((len, head)) = parse_head(rb.pending())?
            {
                rb.consume(len);
                break head;
            }
            scanned = rb.pending().len();
            if rb.fill(io, "answer head").await? == 0 {
                // All that came: refused as malformed if it is, whatever pieces it
                // came in (a blank line at its start already had it parsed whole).
                parse_head(rb.pending())?;
                return Err(WireError::Closed);
            }
        };
        match head.status {
            101 => return Err(WireError::Malformed("101 Switching Protocols to a GET")),
            100..=199 => continue,
            _ => break head,
        }
    };
    match head.framing {
        Framing::Empty => {}
        Framing::Length(n) => rb.skip(io, n).await?,
        Framing::Chunked => skip_chunked(io, rb).await?,
        Framing::Close => loop {
            rb.consume(usize::MAX);
            if rb.fill(io, "body").await? == 0 {
                break;
            }
        },
    }
    Ok(Answer {
        status: head.status,
        location: head.location,
        // Bytes behind the answer were never asked for: the connection is not trusted.
        keep_alive: head.keep_alive && head.framing != Framing::Close && rb.pending().is_empty(),
    })
}

/// The head at the start of `bytes` and its length, or `None` while it is incomplete.
fn parse_head(bytes: &[u8]) -> Result<Option<(usize, Head)>, WireError> {
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut answer = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut answer,
        bytes,
        &mut headers,
    );
    let len = match parsed {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(WireError::Malformed("over 100 headers"));
        }
        Err(_) => return Err(WireError::Malformed("not an HTTP/1.x answer head")),
    };
    let status = answer.code.unwrap_or(0);
    let mut keep_alive = answer.version == Some(1);
    let (mut length, mut chunked, mut encoded) = (None, false, false);
    let mut location = None;
    for h in answer.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            for part in h.value.split(|&b| b == b',') {
                let n = content_length(part.trim_ascii())
                    .ok_or(WireError::Malformed("invalid Content-Length"))?;
                if length.is_some_and(|l| l != n) {
                    return Err(WireError::Malformed("Content-Length values that differ"));
                }
                length = Some(n);
            }
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            encoded = true;
            // Only the last coding says how the body ends.
            chunked = h
                .value
                .rsplit(|&b| b == b',')
                .next()
                .is_some_and(|c| c.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if h.name.eq_ignore_ascii_case("connection") {
            for token in h.value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                if token.eq_ignore_ascii_case(b"close") {
                    keep_alive = false;
                } else if token.eq_ignore_ascii_case(b"keep-alive") && answer.version == Some(0) {
                    keep_alive = true;
                }
            }
        } else if h.name.eq_ignore_ascii_case("location") && (300..400).contains(&status) {
            location = std::str::from_utf8(h.value).ok().map(str::to_owned);
        }
    }
    let framing = match status {
        100..=199 | 204 | 304 => Framing::Empty,
        _ if chunked => Framing::Chunked,
        _ if encoded => Framing::Close,
        _ => match length {
            Some(0) => Framing::Empty,
            Some(n) => Framing::Length(n),
            None => Framing::Close,
        },
    };
    // A length beside a transfer coding is a smuggling pattern: the connection ends here.
    keep_alive &= !(encoded && length.is_some());
    let head = Head {
        status,
        location,
        framing,
        keep_alive,
    };
    Ok(Some((len, head)))
}

/// Whether `bytes` hold a blank line (the end of a head or trailer section) that ends
/// past `from`, the bytes already looked at.
fn blank_line(bytes: &[u8], from: usize) -> bool {
    // A section with no lines is a blank line at the start.
    if from < 2 && (bytes.starts_with(b"\n") || bytes.starts_with(b"\r\n")) {
        return true;
    }
    let mut at = from.saturating_sub(2);
    while let Some(i) = bytes
        .get(at..)
        .and_then(|b| b.iter().position(|&c| c == b'\n'))
    {
        let rest = &bytes[at + i + 1..];
        if rest.starts_with(b"\n") || rest.starts_with(b"\r\n") {
            return true;
        }
        at += i + 1;
    }
    false
}

/// A `Content-Length` value: decimal digits only (no sign, no spaces inside).
fn content_length(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Reads and drops a chunked body, its trailers included.
async fn skip_chunked<R: AsyncRead + Unpin>(io: &mut R, rb: &mut ReadBuf) -> Result<(), WireError> {
    loop {
        let mut scanned = 0;
        let size = loop {
            // As for the head: parsed once its line has ended.
            if rb
                .pending()
                .get(scanned..)
                .is_some_and(|b| b.contains(&b'\n'))
            {
                match httparse::parse_chunk_size(rb.pending()) {
                    Ok(httparse::Status::Complete((len, size))) => {
                        rb.consume(len);
                        break size;
                    }
                    Ok(httparse::Status::Partial) => {}
                    Err(_) => return Err(WireError::Malformed("invalid chunk size")),
                }
            }
            scanned = rb.pending().len();
            if rb.fill(io, "chunk size line").await? == 0 {
                return Err(WireError::Closed);
            }
        };
        if size == 0 {
            break;
        }
        rb.skip(io, size).await?;
        while rb.pending().len() < 2 {
            if rb.fill(io, "body").await? == 0 {
                return Err(WireError::Closed);
            }
        }
        if &rb.pending()[..2] != b"\r\n" {
            return Err(WireError::Malformed("chunk without its CRLF"));
        }
        rb.consume(2);
    }
    // Trailers, then the empty line.
    let mut scanned = 0;
    loop {
        if blank_line(rb.pending(), scanned) {
            let mut trailers = [httparse::EMPTY_HEADER; 16];
            match httparse::parse_headers(rb.pending(), &mut trailers) {
                Ok(httparse::Status::Complete((len, _))) => {
                    rb.consume(len);
                    return Ok(());
                }
                Ok(httparse::Status::Partial) => {}
                Err(httparse::Error::TooManyHeaders) => {
                    return Err(WireError::Malformed("over 16 trailers"));
                }
                Err(_) => return Err(WireError::Malformed("invalid trailer")),
            }
        }
        scanned = rb.pending().len();
        if rb.fill(io, "trailers").await? == 0 {
            return Err(WireError::Closed);
        }
    }
}

#[cfg(test)]
#[path = "wire_tests.rs"]
mod tests;
