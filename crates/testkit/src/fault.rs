//! A fault-injecting HTTP/1.1 collector on 127.0.0.1, independent of csgen's own
//! server: each POST is answered as a script says (200, 429 with `Retry-After`, 500,
//! a slow 200, a dropped connection before or after storing the body), and the test
//! reads back every body it stored and which of them lost their answer. Threads and
//! the standard library only; bodies need a `Content-Length` (as csgen's client sends).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::Accepting;

/// How one request is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Store the body, answer 200.
    Ok,
    /// 429 with `Retry-After: SECONDS`; nothing stored.
    TooMany { retry_after: u64 },
    /// 500; nothing stored.
    ServerError,
    /// 400 with a JSON reason; nothing stored.
    BadRequest,
    /// Store the body, wait, then answer 200.
    Slow(Duration),
    /// Read the request, close the connection without an answer; nothing stored.
    DropBeforeStore,
    /// Store the body, then close without an answer: the client cannot know.
    DropAfterStore,
}

/// A stored request: its body and headers (lower-case names).
#[derive(Debug, Clone)]
pub struct Stored {
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
    /// Whether the client never got the answer (stored, then dropped).
    pub answer_lost: bool,
}

type Script = dyn Fn(usize) -> Fault + Send + Sync;

/// The running server; stopped when dropped.
pub struct FaultServer {
    server: Accepting,
    stored: Arc<Mutex<Vec<Stored>>>,
    requests: Arc<AtomicUsize>,
}

/// Longest request head or body accepted (the tests send far less).
const MAX_REQUEST: usize = 64 << 20;

impl FaultServer {
    /// Answers request number `n` (0-based, over all connections) with `script(n)`.
    pub fn start(script: impl Fn(usize) -> Fault + Send + Sync + 'static) -> Self {
        let stored = Arc::new(Mutex::new(Vec::new()));
        let requests = Arc::new(AtomicUsize::new(0));
        let server = {
            let (stored, requests) = (stored.clone(), requests.clone());
            Accepting::start(move |conn| {
                let _ = serve(conn, &script, &requests, &stored);
            })
        };
        Self {
            server,
            stored,
            requests,
        }
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.addr())
    }

    /// Requests received so far (answered or not).
    pub fn requests(&self) -> usize {
        self.requests.load(SeqCst)
    }

    /// Every body stored so far, in the order stored.
    pub fn stored(&self) -> Vec<Stored> {
        self.stored
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Serves one connection's requests until it closes or a fault drops it.
fn serve(
    conn: TcpStream,
    script: &Script,
    requests: &AtomicUsize,
    stored: &Mutex<Vec<Stored>>,
) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut out = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut headers = Vec::new();
        let mut length = 0usize;
        let mut head = line.len();
        loop {
            let mut h = String::new();
            head += reader.read_line(&mut h)?;
            if head > MAX_REQUEST {
                return Ok(());
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((name, value)) = h.split_once(':') {
                let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_owned());
                if name == "content-length" {
                    length = value.parse().unwrap_or(usize::MAX);
                }
                headers.push((name, value));
            }
        }
        if length > MAX_REQUEST {
            return Ok(());
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let n = requests.fetch_add(1, SeqCst);
        let store = |answer_lost| {
            stored
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(Stored {
                    body: body.clone(),
                    headers: headers.clone(),
                    answer_lost,
                });
        };
        let answer = |out: &mut TcpStream, status: &str, extra: &str, text: &str| {
            write!(
                out,
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/json\r\n{extra}\r\n{text}",
                text.len()
            )
        };
        match script(n) {
            Fault::Ok => {
                store(false);
                answer(&mut out, "200 OK", "", "{\"ok\":true}")?;
            }
            Fault::TooMany { retry_after } => answer(
                &mut out,
                "429 Too Many Requests",
                &format!("Retry-After: {retry_after}\r\n"),
                "{\"error\":\"slow down\"}",
            )?,
            Fault::ServerError => answer(
                &mut out,
                "500 Internal Server Error",
                "",
                "{\"error\":\"boom\"}",
            )?,
            Fault::BadRequest => answer(
                &mut out,
                "400 Bad Request",
                "",
                "{\"error\":\"schema violation in record 3\"}",
            )?,
            Fault::Slow(wait) => {
                store(false);
                std::thread::sleep(wait);
                answer(&mut out, "200 OK", "", "{\"ok\":true}")?;
            }
            Fault::DropBeforeStore => return Ok(()),
            Fault::DropAfterStore => {
                store(true);
                return Ok(());
            }
        }
        out.flush()?;
    }
}
