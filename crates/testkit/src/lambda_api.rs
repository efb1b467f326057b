//! The AWS Lambda Runtime API on 127.0.0.1, as the Lambda service offers it to a
//! function's `bootstrap`: a test starts the function binary with
//! `AWS_LAMBDA_RUNTIME_API` set to [`RuntimeApi::address`], then [`RuntimeApi::invoke`]s
//! it with an event and reads the function's answer.
//!
//! The documented routes (API version `2018-06-01`):
//! - `GET /runtime/invocation/next`: waits for an event; answers it with the
//!   `Lambda-Runtime-Aws-Request-Id`, `-Deadline-Ms`, `-Invoked-Function-Arn` and
//!   `-Trace-Id` headers;
//! - `POST /runtime/invocation/{id}/response` and `…/{id}/error`: the result, `202`;
//! - `POST /runtime/init/error`: the function could not start.
//!
//! HTTP/1.1 with keep-alive, bodies by `Content-Length` or chunked; threads and the
//! standard library only. Requests over 64 MiB are refused.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const PREFIX: &str = "/2018-06-01/runtime";
const MAX_REQUEST: usize = 64 << 20;

/// What the function answered to one invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `POST …/response`: the handler's result.
    Response(Vec<u8>),
    /// `POST …/error`: the `Lambda-Runtime-Function-Error-Type` and the body.
    Error { error_type: String, body: Vec<u8> },
}

#[derive(Default)]
struct State {
    queue: VecDeque<(String, Vec<u8>)>,
    results: HashMap<String, Outcome>,
    init_error: Option<String>,
    next_id: u64,
    /// Deadline given to the function for each invocation.
    deadline: Duration,
}

type Shared = Arc<(Mutex<State>, Condvar)>;

/// The running API; stopped when dropped.
pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Shared,
    stop: Arc<AtomicBool>,
    accept: Option<std::thread::JoinHandle<()>>,
}

impl RuntimeApi {
    /// Starts on a free port of 127.0.0.1.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let shared: Shared = Arc::default();
        shared.0.lock().expect("state").deadline = Duration::from_secs(60);
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (shared.clone(), stop.clone());
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if st.load(SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (s, st) = (s.clone(), st.clone());
                std::thread::spawn(move || serve(conn, &s, &st));
            }
        });
        Self {
            addr,
            shared,
            stop,
            accept: Some(accept),
        }
    }

    /// `127.0.0.1:PORT`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Queues `event`, waits up to `limit` for the function's answer. An `Err` says
    /// the function reported an init error or did not answer in time.
    pub fn invoke(&self, event: &[u8], limit: Duration) -> Result<Outcome, String> {
        let (lock, cv) = &*self.shared;
        let mut st = lock.lock().expect("state");
        st.next_id += 1;
        let id = format!("00000000-0000-4000-8000-{:012}", st.next_id);
        st.queue.push_back((id.clone(), event.to_vec()));
        cv.notify_all();
        let deadline = Instant::now() + limit;
        loop {
            if let Some(out) = st.results.remove(&id) {
                return Ok(out);
            }
            if let Some(e) = &st.init_error {
                return Err(format!("the function failed to start: {e}"));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("no answer to invocation {id} within {limit:?}"));
            }
            st = cv.wait_timeout(st, left).expect("state").0;
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.stop.store(true, SeqCst);
        self.shared.1.notify_all();
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
    }
}

/// One connection: requests until the client closes it or the API stops.
fn serve(conn: TcpStream, shared: &Shared, stop: &AtomicBool) {
    let _ = conn.set_read_timeout(Some(Duration::from_millis(200)));
    let Ok(mut out) = conn.try_clone() else {
        return;
    };
    let mut r = BufReader::new(conn);
    while !stop.load(SeqCst) {
        match r.fill_buf() {
            Ok([]) => return,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => continue,
            Err(_) => return,
        }
        let _ = r.get_ref().set_read_timeout(Some(Duration::from_secs(10)));
        let Some((method, path, headers, body)) = read_request(&mut r) else {
            let _ = respond(&mut out, 400, &[], b"{\"errorMessage\":\"bad request\"}");
            return;
        };
        let _ = r
            .get_ref()
            .set_read_timeout(Some(Duration::from_millis(200)));
        let ok = match route(&method, &path, &headers, body, shared, stop) {
            Some((status, extra, body)) => respond(&mut out, status, &extra, &body).is_ok(),
            None => false,
        };
        if !ok {
            return;
        }
    }
}

type Reply = (u16, Vec<(String, String)>, Vec<u8>);

fn route(
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
    shared: &Shared,
    stop: &AtomicBool,
) -> Option<Reply> {
    let (lock, cv) = &**shared;
    let accepted = (202, Vec::new(), b"{\"status\":\"OK\"}".to_vec());
    let rest = path.strip_prefix(PREFIX).unwrap_or("");
    match (method, rest) {
        ("GET", "/invocation/next") => {
            let mut st = lock.lock().ok()?;
            loop {
                if let Some((id, event)) = st.queue.pop_front() {
                    let deadline = SystemTime::now() + st.deadline;
                    let ms = deadline.duration_since(UNIX_EPOCH).ok()?.as_millis();
                    let h = |k: &str, v: String| (k.to_owned(), v);
                    let extra = vec![
                        h("Lambda-Runtime-Aws-Request-Id", id),
                        h("Lambda-Runtime-Deadline-Ms", ms.to_string()),
                        h(
                            "Lambda-Runtime-Invoked-Function-Arn",
                            "arn:aws:lambda:us-east-1:000000000000:function:csgen-test".into(),
                        ),
                        h(
                            "Lambda-Runtime-Trace-Id",
                            "Root=1-00000000-000000000000000000000000;Sampled=0".into(),
                        ),
                    ];
                    return Some((200, extra, event));
                }
                if stop.load(SeqCst) {
                    return None;
                }
                st = cv.wait_timeout(st, Duration::from_millis(200)).ok()?.0;
            }
        }
        ("POST", "/init/error") => {
            let mut st = lock.lock().ok()?;
            st.init_error = Some(String::from_utf8_lossy(&body).into_owned());
            cv.notify_all();
            Some(accepted)
        }
        ("POST", rest) => {
            let tail = rest.strip_prefix("/invocation/")?;
            let (id, what) = tail.split_once('/')?;
            let outcome = match what {
                "response" => Outcome::Response(body),
                "error" => Outcome::Error {
                    error_type: header(headers, "lambda-runtime-function-error-type")
                        .unwrap_or_default(),
                    body,
                },
                _ => return Some((404, Vec::new(), Vec::new())),
            };
            let mut st = lock.lock().ok()?;
            st.results.insert(id.to_owned(), outcome);
            cv.notify_all();
            Some(accepted)
        }
        _ => Some((
            404,
            Vec::new(),
            b"{\"errorMessage\":\"no such route\"}".to_vec(),
        )),
    }
}

fn header(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

type Request = (String, String, Vec<(String, String)>, Vec<u8>);

fn read_request(r: &mut impl BufRead) -> Option<Request> {
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = Vec::new();
    let mut head_bytes = line.len();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        head_bytes += h.len();
        if head_bytes > 64 << 10 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let body = if header(&headers, "transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        read_chunked(r)?
    } else {
        let len: usize = header(&headers, "content-length").map_or(Some(0), |v| v.parse().ok())?;
        if len > MAX_REQUEST {
            return None;
        }
        let mut body = vec![0; len];
        r.read_exact(&mut body).ok()?;
        body
    };
    Some((method, path, headers, body))
}

fn read_chunked(r: &mut impl BufRead) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        r.read_line(&mut size).ok()?;
        let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
        if body.len() + size > MAX_REQUEST {
            return None;
        }
        if size == 0 {
            // Trailers, if any, end with an empty line.
            loop {
                let mut t = String::new();
                r.read_line(&mut t).ok()?;
                if t.trim().is_empty() {
                    return Some(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        r.read_exact(&mut body[start..]).ok()?;
        let mut crlf = [0; 2];
        r.read_exact(&mut crlf).ok()?;
    }
}

fn respond(
    out: &mut TcpStream,
    status: u16,
    extra: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(body)?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(addr: &str, req: &str) -> String {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(req.as_bytes()).unwrap();
        let mut r = BufReader::new(s);
        let mut head = String::new();
        loop {
            let mut l = String::new();
            r.read_line(&mut l).unwrap();
            head.push_str(&l);
            if l == "\r\n" {
                break;
            }
        }
        head
    }

    #[test]
    fn an_invocation_goes_out_with_its_headers_and_its_answer_comes_back() {
        let api = RuntimeApi::start();
        let addr = api.address();
        let a = addr.clone();
        let function = std::thread::spawn(move || {
            let head = call(
                &a,
                "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n",
            );
            let id = head
                .lines()
                .find_map(|l| l.strip_prefix("Lambda-Runtime-Aws-Request-Id: "))
                .unwrap()
                .to_owned();
            assert!(head.contains("Lambda-Runtime-Deadline-Ms: "), "{head}");
            let post = format!(
                "POST /2018-06-01/runtime/invocation/{id}/response HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{{\"a\r\n3\r\n\":1\r\n1\r\n}}\r\n0\r\n\r\n"
            );
            assert!(call(&a, &post).starts_with("HTTP/1.1 202"));
        });
        let out = api.invoke(b"{}", Duration::from_secs(10)).unwrap();
        function.join().unwrap();
        assert_eq!(out, Outcome::Response(b"{\"a\":1}".to_vec()));
        // Hostile requests get an answer, not a hang.
        assert!(call(&addr, "GET /nope HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
        assert!(
            call(
                &addr,
                "POST /x HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n"
            )
            .starts_with("HTTP/1.1 400")
        );
    }

    #[test]
    fn an_unanswered_invocation_times_out() {
        let api = RuntimeApi::start();
        let err = api.invoke(b"{}", Duration::from_millis(300)).unwrap_err();
        assert!(err.contains("no answer"), "{err}");
    }
}
