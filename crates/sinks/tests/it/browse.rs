//! The `browse:` sink's connections against hostile and plain local sites: a site that
//! closes every connection (politely or abruptly), one that answers slowly, one that
//! drops requests, one that speaks no TLS to an https base; and a keep-alive site that
//! proves connections are reused and never more than `connections` are open; a site
//! scripted with answers framed every way, or malformed, for browse's own reading of
//! answers (each click once, connections kept exactly when allowed). Each is a
//! small thread server of this file (or `csgen_testkit::FaultServer`) on 127.0.0.1.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use csgen_sinks::{AnySink, Sink, SinkContext, SinkSpec};
use csgen_testkit::{Accepting, Fault, FaultServer};

use crate::json_batch;

/// How the site ends a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Close {
    /// Keep-alive: the client decides.
    Never,
    /// Each answer says `Connection: close`, then the site closes.
    Announced,
    /// Each answer is followed by a close nobody announced.
    Abruptly,
}

#[derive(Default)]
struct Counts {
    connections: AtomicUsize,
    requests: AtomicUsize,
    busy: AtomicUsize,
    busy_max: AtomicUsize,
    hosts: Mutex<Vec<String>>,
}

/// A site answering every GET with 200 after `delay`; stopped when dropped.
struct Site {
    server: Accepting,
    counts: Arc<Counts>,
}

impl Site {
    fn start(close: Close, delay: Duration) -> Self {
        Self::serving(move |conn, counts| serve(conn, close, delay, counts))
    }

    /// A site that gives `answers` in turn (see [`serve_scripted`]).
    fn scripted(answers: &'static [(&'static str, bool)]) -> Self {
        Self::serving(move |conn, counts| serve_scripted(conn, answers, counts))
    }

    /// A site whose connections `serve` answers, each on its own thread.
    fn serving(
        serve: impl Fn(TcpStream, &Counts) -> Option<()> + Copy + Send + Sync + 'static,
    ) -> Self {
        let counts = Arc::new(Counts::default());
        let server = {
            let counts = counts.clone();
            Accepting::start(move |conn| {
                counts.connections.fetch_add(1, SeqCst);
                serve(conn, &counts);
            })
        };
        Self { server, counts }
    }

    fn base(&self) -> String {
        format!("http://{}", self.server.addr())
    }
}

/// Reads one connection's requests (heads only: browse sends GETs without a body),
/// noting each `Host`, and lets `answer` write each answer; `answer` says whether the
/// connection then ends.
fn each_request(
    conn: TcpStream,
    counts: &Counts,
    mut answer: impl FnMut(&mut TcpStream) -> Option<bool>,
) -> Option<()> {
    conn.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    let mut reader = BufReader::new(conn.try_clone().ok()?);
    let mut out = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return Some(());
        }
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).ok()?;
            if let Some(host) = h.strip_prefix("host: ").or(h.strip_prefix("Host: ")) {
                counts.hosts.lock().ok()?.push(host.trim().to_owned());
            }
            if h.trim_end().is_empty() {
                break;
            }
        }
        if answer(&mut out)? {
            return Some(());
        }
    }
}

/// Answers every request with 200 after `delay`, ending the connection as `close` says.
fn serve(conn: TcpStream, close: Close, delay: Duration, counts: &Counts) -> Option<()> {
    each_request(conn, counts, |out| {
        counts.requests.fetch_add(1, SeqCst);
        let busy = counts.busy.fetch_add(1, SeqCst) + 1;
        counts.busy_max.fetch_max(busy, SeqCst);
        std::thread::sleep(delay);
        counts.busy.fetch_sub(1, SeqCst);
        let header = if close == Close::Announced {
            "Connection: close\r\n"
        } else {
            ""
        };
        write!(
            out,
            "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n{header}\r\npage"
        )
        .ok()?;
        out.flush().ok()?;
        Some(close != Close::Never)
    })
}

async fn open(spec: &str) -> AnySink {
    let spec: SinkSpec = spec.parse().unwrap_or_else(|e| panic!("{spec}: {e}"));
    spec.open(&SinkContext::default())
        .await
        .expect("build the browse sink")
}

/// Sends clicks `0..n` in batches of 100; returns the flush's outcome.
async fn browse(sink: &mut AnySink, n: u64) -> Result<(), String> {
    for start in (0..n).step_by(100) {
        let batch = json_batch(start, (start + 100).min(n));
        sink.stats().add_generated(batch.len() as u64);
        sink.send(batch).await.map_err(|e| e.to_string())?;
    }
    sink.flush().await.map_err(|e| e.to_string())
}

fn reasons(sink: &AnySink) -> String {
    format!("{:?}", sink.failure_reasons())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_closes_every_connection_is_browsed_with_fresh_connections() {
    let site = Site::start(Close::Announced, Duration::ZERO);
    let mut sink = open(&format!("browse:{}?connections=4", site.base())).await;
    browse(&mut sink, 200).await.expect("flush");
    let s = sink.stats().snapshot();
    assert_eq!((s.delivered, s.failed), (200, 0), "{}", reasons(&sink));
    assert_eq!(site.counts.requests.load(SeqCst), 200);
    assert_eq!(site.counts.connections.load(SeqCst), 200, "one per request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_closes_unannounced_costs_at_most_the_clicks_it_dropped() {
    let site = Site::start(Close::Abruptly, Duration::ZERO);
    let mut sink = open(&format!("browse:{}?connections=4&timeout=5s", site.base())).await;
    let started = Instant::now();
    let flushed = browse(&mut sink, 200).await;
    assert!(started.elapsed() < Duration::from_secs(30));
    let s = sink.stats().snapshot();
    assert_eq!(s.delivered + s.failed, 200, "{flushed:?}");
    assert_eq!(s.in_flight, 0);
    // The site answers every request it reads, so a failed click never reached it
    // (it was written to a connection already closed) and none was sent twice.
    assert_eq!(site.counts.requests.load(SeqCst) as u64, s.delivered);
    assert!(
        s.delivered >= 100,
        "most clicks answered: {}",
        reasons(&sink)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_kept_alive_and_never_more_than_the_option_allows() {
    let site = Site::start(Close::Never, Duration::from_millis(2));
    let mut sink = open(&format!("browse:{}/shop?connections=4", site.base())).await;
    browse(&mut sink, 300).await.expect("flush");
    let s = sink.stats().snapshot();
    assert_eq!((s.delivered, s.failed), (300, 0), "{}", reasons(&sink));
    assert!(site.counts.connections.load(SeqCst) <= 4);
    assert!(site.counts.busy_max.load(SeqCst) <= 4);
    let hosts = site.counts.hosts.lock().unwrap().clone();
    assert_eq!(hosts.len(), 300);
    assert!(
        hosts.iter().all(|h| *h == site.server.addr().to_string()),
        "{hosts:?}"
    );
    assert_eq!(s.calls.unwrap().by_class[1], 300, "2xx");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_answers_fail_at_the_timeout_and_the_next_click_gets_a_fresh_connection() {
    let server = FaultServer::start(|n| {
        if n < 4 {
            Fault::Slow(Duration::from_secs(3))
        } else {
            Fault::Ok
        }
    });
    let base = server.url("");
    let mut sink = open(&format!("browse:{base}?connections=2&timeout=200ms")).await;
    let started = Instant::now();
    let flushed = browse(&mut sink, 10).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "no click waited for a slow answer: {:?}",
        started.elapsed()
    );
    flushed.expect("a failed click is counted, not a flush error");
    let s = sink.stats().snapshot();
    assert_eq!((s.delivered, s.failed), (6, 4), "{}", reasons(&sink));
    assert!(
        reasons(&sink).contains("no answer within 200ms"),
        "{}",
        reasons(&sink)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_requests_are_counted_failed_with_the_reason_and_never_sent_twice() {
    let server = FaultServer::start(|n| {
        if n % 3 == 1 {
            Fault::DropBeforeStore
        } else {
            Fault::Ok
        }
    });
    let mut sink = open(&format!("browse:{}?connections=3", server.url(""))).await;
    browse(&mut sink, 30).await.expect("flush");
    let s = sink.stats().snapshot();
    assert_eq!((s.delivered, s.failed), (20, 10), "{}", reasons(&sink));
    assert_eq!(server.requests(), 30, "no click requested twice");
    assert!(reasons(&sink).contains("connection"), "{}", reasons(&sink));
    assert_eq!(s.calls.unwrap().by_class[5], 10, "transport errors");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicks_unanswered_at_the_flush_deadline_are_cancelled_and_counted() {
    let server = FaultServer::start(|_| Fault::Slow(Duration::from_secs(5)));
    let mut sink = open(&format!(
        "browse:{}?connections=2&flush-timeout=300ms",
        server.url("")
    ))
    .await;
    let started = Instant::now();
    // Two clicks in flight, four queued behind them: all six count at the deadline.
    let err = browse(&mut sink, 6).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(err.contains("6 records not delivered"), "{err}");
    let s = sink.stats().snapshot();
    assert_eq!((s.delivered, s.failed, s.in_flight), (0, 6, 0));
    assert!(reasons(&sink).contains("no answer by the flush deadline"));
    assert!(
        server.requests() <= 2,
        "never more than `connections` requests"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_base_that_speaks_no_tls_fails_each_click_with_the_reason() {
    let site = Site::start(Close::Never, Duration::ZERO);
    let base = site.base().replace("http://", "https://");
    let mut sink = open(&format!("browse:{base}?connections=2&timeout=1s")).await;
    let started = Instant::now();
    browse(&mut sink, 5).await.expect("flush");
    assert!(started.elapsed() < Duration::from_secs(20));
    let s = sink.stats().snapshot();
    assert_eq!((s.delivered, s.failed), (0, 5));
    assert!(!reasons(&sink).is_empty());
    eprintln!("{}", reasons(&sink));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_sink_sends_nothing_more() {
    let server = FaultServer::start(|_| Fault::Slow(Duration::from_millis(500)));
    let mut sink = open(&format!("browse:{}?connections=2", server.url(""))).await;
    let batch = json_batch(0, 10);
    sink.stats().add_generated(10);
    sink.send(batch).await.expect("queued");
    poll_until(|| server.requests() >= 2).await;
    drop(sink);
    // The two clicks in flight were the last: nothing else is sent once the sink is
    // gone (waiting past the slow answers, when the tasks would have sent the next).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(server.requests(), 2);
}

/// Gives the site's answers in turn (each written as it is, in one piece), ending the
/// connection after those marked so.
fn serve_scripted(conn: TcpStream, answers: &[(&str, bool)], counts: &Counts) -> Option<()> {
    each_request(conn, counts, |out| {
        let n = counts.requests.fetch_add(1, SeqCst);
        let (answer, closes) = answers[n % answers.len()];
        out.write_all(answer.as_bytes()).ok()?;
        Some(closes)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_framed_every_way_are_read_through_and_their_connection_kept_when_allowed() {
    let site = Site::scripted(&[
        (
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\npage\r\n0\r\n\r\n",
            false,
        ),
        (
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            false,
        ),
        ("HTTP/1.1 204 No Content\r\n\r\n", false),
        // No length: the body ends with the connection.
        ("HTTP/1.0 200 OK\r\n\r\nto the end", true),
        (
            "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found",
            false,
        ),
    ]);
    let base = site.base();
    let mut sink = open(&format!("browse:{base}?connections=1")).await;
    browse(&mut sink, 100).await.expect("flush");
    let s = sink.stats().snapshot();
    assert_eq!((s.delivered, s.failed), (80, 20), "{}", reasons(&sink));
    assert_eq!(reasons(&sink), r#"{"HTTP 404": 20}"#);
    assert_eq!(site.counts.requests.load(SeqCst), 100, "each click once");
    // The first connection, then one after each of the 20 answers that ended theirs.
    assert_eq!(site.counts.connections.load(SeqCst), 21);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_answer_fails_its_click_with_the_reason_and_drops_the_connection() {
    let site = Site::scripted(&[
        ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false),
        ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false),
    ]);
    let base = site.base();
    let mut sink = open(&format!("browse:{base}?connections=1")).await;
    browse(&mut sink, 10).await.expect("flush");
    let s = sink.stats().snapshot();
    assert_eq!((s.delivered, s.failed), (5, 5), "{}", reasons(&sink));
    assert_eq!(
        reasons(&sink),
        r#"{"malformed answer: invalid Content-Length": 5}"#
    );
    assert_eq!(
        s.calls.unwrap().by_class[5],
        5,
        "counted as transport errors"
    );
    assert_eq!(site.counts.requests.load(SeqCst), 10, "each click once");
    assert_eq!(
        site.counts.connections.load(SeqCst),
        6,
        "a new one after each malformed answer"
    );
}

/// Waits (at most 10 s) until `done`.
async fn poll_until(done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
