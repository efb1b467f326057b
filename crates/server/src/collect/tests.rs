//! The collector's router with `oneshot`, and its accept loop on real sockets.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use axum::http::Request;
use csgen_model::Batch;
use csgen_sinks::{Sink, SinkError, SinkStats};
use http_body_util::BodyExt;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use super::*;

/// Keeps what it is sent; `flush` waits for a gate permit when gated, fails when told.
#[derive(Clone, Default)]
struct Memory {
    records: Arc<Mutex<Vec<String>>>,
    pending: Arc<Mutex<u64>>,
    stats: Arc<SinkStats>,
    gate: Option<Arc<Semaphore>>,
    fail: bool,
}

#[async_trait::async_trait]
impl Sink for Memory {
    async fn send(&mut self, batch: Batch) -> Result<(), SinkError> {
        let mut r = self.records.lock().unwrap();
        for rec in batch.records() {
            r.push(String::from_utf8(rec.to_vec()).unwrap());
        }
        *self.pending.lock().unwrap() += batch.len() as u64;
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        if let Some(gate) = &self.gate {
            gate.acquire().await.unwrap().forget();
        }
        let n = std::mem::take(&mut *self.pending.lock().unwrap());
        if self.fail {
            self.stats.add_failed(n);
            return Err(SinkError::Fatal {
                target: "memory".into(),
                source: "the test said so".into(),
            });
        }
        self.stats.add_delivered(n);
        Ok(())
    }

    fn stats(&self) -> &Arc<SinkStats> {
        &self.stats
    }

    fn describe(&self) -> String {
        "memory".into()
    }
}

fn router(sink: Memory, limits: Limits, token: Option<&str>) -> Router {
    let (writer, _task) = Writer::start(Box::new(sink), limits.buffer_records);
    app(CollectState::new(
        writer,
        limits,
        token.map(Token::from_plain),
    ))
}

async fn call(app: &Router, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn post(body: impl Into<Body>, content_type: Option<&str>) -> Request<Body> {
    let mut r = Request::post("/collect");
    if let Some(ct) = content_type {
        r = r.header(header::CONTENT_TYPE, ct);
    }
    r.body(body.into()).unwrap()
}

#[tokio::test]
async fn every_accepted_shape_is_delivered_before_the_200() {
    let sink = Memory::default();
    let app = router(sink.clone(), Limits::default(), None);
    let ndjson = "{\"event_id\":\"e1\",\"url\":\"https://s/a\",\"user_id\":7}\n{\"url\":\"https://s/b\"}\nhttps://s/c?userid=1\n";
    let (status, _, body) = call(&app, post(ndjson, Some("application/x-ndjson"))).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, r#"{"accepted":3}"#)
    );
    assert_eq!(
        sink.stats.snapshot().delivered,
        3,
        "delivered before the answer"
    );
    let (status, _, _) = call(&app, post(r#"[{"url":"https://s/d"},"https://s/e"]"#, None)).await;
    assert_eq!(status, StatusCode::OK);
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b"https://s/f\n").unwrap();
        e.finish().unwrap()
    };
    let req = Request::post("/collect")
        .header(header::CONTENT_ENCODING, "gzip")
        .body(Body::from(gz))
        .unwrap();
    assert_eq!(call(&app, req).await.0, StatusCode::OK);
    let pixel = Request::get("/i?url=https%3A%2F%2Fs%2Fg%3Fuserid%3D3&uid=3&cb=99")
        .header(header::USER_AGENT, "Mozilla/5.0 (test)")
        .header(header::REFERER, "https://www.google.com/")
        .header(header::COOKIE, "a=b; csgen_session=s-9")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = call(&app, pixel).await;
    assert_eq!(
        (status, &headers[header::CONTENT_TYPE]),
        (StatusCode::OK, &HeaderValue::from_static("image/gif"))
    );
    let got = sink.records.lock().unwrap().clone();
    assert_eq!(got[..3], ndjson.lines().collect::<Vec<_>>()[..]);
    assert_eq!(
        got[3..6],
        [r#"{"url":"https://s/d"}"#, "https://s/e", "https://s/f"]
    );
    let p: serde_json::Value = serde_json::from_str(&got[6]).unwrap();
    assert_eq!(p["url"], "https://s/g?userid=3");
    assert_eq!(
        (
            p["user_agent"].as_str(),
            p["referrer"].as_str(),
            p["session_id"].as_str()
        ),
        (
            Some("Mozilla/5.0 (test)"),
            Some("https://www.google.com/"),
            Some("s-9")
        )
    );
    let (_, _, status_json) =
        call(&app, Request::get("/status").body(Body::empty()).unwrap()).await;
    let v: serde_json::Value = serde_json::from_str(&status_json).unwrap();
    assert_eq!(v["counters"]["delivered"], 7);
    assert_eq!(v["answers"]["200"], 4);
}

#[tokio::test]
async fn malformed_oversize_and_unsupported_requests_are_refused_with_the_reason() {
    let limits = Limits {
        max_body_bytes: 1024,
        ..Limits::default()
    };
    let sink = Memory::default();
    let app = router(sink.clone(), limits, None);
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (
            post("[{\"url\":1},", None),
            StatusCode::BAD_REQUEST,
            "not a JSON array of records",
        ),
        (
            post("", None),
            StatusCode::BAD_REQUEST,
            "no records in the body",
        ),
        (
            post(&b"ok\n\xff\n"[..], None),
            StatusCode::BAD_REQUEST,
            "line 2: not UTF-8",
        ),
        (
            post("x".repeat(2000), None),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body over 1024 bytes",
        ),
        (
            post("a=b", Some("application/x-www-form-urlencoded")),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "is not accepted",
        ),
        (
            Request::post("/collect")
                .header(header::CONTENT_ENCODING, "br")
                .body(Body::from("x"))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content encoding \\\"br\\\"",
        ),
        (
            Request::post("/collect")
                .header(header::CONTENT_ENCODING, "gzip")
                .body(Body::from("not gzip"))
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "not gzip",
        ),
        (
            Request::post("/collect")
                .header(header::CONTENT_LENGTH, "99999999999")
                .body(Body::from("x"))
                .unwrap(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body over",
        ),
        (
            Request::get("/i").body(Body::empty()).unwrap(),
            StatusCode::BAD_REQUEST,
            "no url",
        ),
        (
            Request::get("/i?url=a&url=b").body(Body::empty()).unwrap(),
            StatusCode::BAD_REQUEST,
            "given twice",
        ),
        (
            Request::get("/nowhere").body(Body::empty()).unwrap(),
            StatusCode::NOT_FOUND,
            "POST /collect",
        ),
    ];
    for (req, want_status, want) in cases {
        let what = format!("{} {}", req.method(), req.uri());
        let (status, _, body) = call(&app, req).await;
        assert_eq!(status, want_status, "{what}: {body}");
        assert!(body.contains(want), "{what}: {body}");
    }
    // A gzip bomb: 1 KiB on the wire, far more once decompressed.
    let bomb = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&vec![b'a'; 512 << 10]).unwrap();
        e.finish().unwrap()
    };
    assert!(bomb.len() < 1024);
    let req = Request::post("/collect")
        .header(header::CONTENT_ENCODING, "gzip")
        .body(Body::from(bomb))
        .unwrap();
    let (status, _, body) = call(&app, req).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(body.contains("once decompressed"), "{body}");
    assert!(
        sink.records.lock().unwrap().is_empty(),
        "nothing refused reached the sink"
    );
}

#[tokio::test]
async fn a_token_is_required_when_set() {
    let app = router(Memory::default(), Limits::default(), Some("s3cret"));
    let (status, _, _) = call(&app, post("https://s/a\n", None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let req = Request::post("/collect")
        .header(header::AUTHORIZATION, "Bearer wrong")
        .body(Body::from("https://s/a\n"))
        .unwrap();
    assert_eq!(call(&app, req).await.0, StatusCode::UNAUTHORIZED);
    let req = Request::post("/collect")
        .header(header::AUTHORIZATION, "Bearer s3cret")
        .body(Body::from("https://s/a\n"))
        .unwrap();
    assert_eq!(call(&app, req).await.0, StatusCode::OK);
    let health = Request::get("/health").body(Body::empty()).unwrap();
    assert_eq!(
        call(&app, health).await.0,
        StatusCode::OK,
        "health needs no token"
    );
}

#[tokio::test]
async fn a_full_buffer_is_429_with_retry_after_and_a_failed_sink_is_503() {
    let gate = Arc::new(Semaphore::new(0));
    let sink = Memory {
        gate: Some(gate.clone()),
        ..Memory::default()
    };
    let limits = Limits {
        buffer_records: 3,
        records: RecordLimits {
            max_records: 3,
            max_record_bytes: 1024,
        },
        ..Limits::default()
    };
    let app = router(sink.clone(), limits, None);
    let first = tokio::spawn({
        let app = app.clone();
        async move { call(&app, post("a\nb\n", None)).await }
    });
    // Wait until the first request holds its room (its flush is gated).
    let deadline = Instant::now() + Duration::from_secs(5);
    while sink.records.lock().unwrap().len() < 2 {
        assert!(Instant::now() < deadline, "first request not queued");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (status, headers, body) = call(&app, post("c\nd\n", None)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(headers[header::RETRY_AFTER], "1");
    gate.add_permits(1);
    assert_eq!(first.await.unwrap().0, StatusCode::OK);
    gate.add_permits(10);
    assert_eq!(call(&app, post("c\nd\n", None)).await.0, StatusCode::OK);

    let failing = Memory {
        fail: true,
        ..Memory::default()
    };
    let app = router(failing, Limits::default(), None);
    let (status, headers, body) = call(&app, post("a\n", None)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("the test said so"), "{body}");
    assert_eq!(headers[header::RETRY_AFTER], "1");
}

#[test]
fn limits_that_cannot_hold_one_request_are_refused() {
    let l = Limits {
        buffer_records: 10,
        ..Limits::default()
    };
    assert!(l.check().unwrap_err().contains("at least one full request"));
    assert!(Limits::default().check().is_ok());
}

/// Starts the accept loop on 127.0.0.1:0; the returned sender stops it.
async fn listening(
    limits: Limits,
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(Memory::default(), limits, None);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        serve(listener, app, limits, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (addr, stop, task)
}

/// A blocking HTTP exchange with a deadline; the answer's first line, or what happened.
fn exchange(addr: std::net::SocketAddr, request: &[u8], limit: Duration) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(limit)).unwrap();
    s.write_all(request).unwrap();
    let mut buf = [0u8; 512];
    match s.read(&mut buf) {
        Ok(0) => "closed".into(),
        Ok(n) => String::from_utf8_lossy(&buf[..n])
            .lines()
            .next()
            .unwrap_or("")
            .to_owned(),
        Err(e) => format!("error: {e}"),
    }
}

use tokio::net::TcpListener;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_are_cut_off_and_connections_are_limited() {
    let limits = Limits {
        header_timeout: Duration::from_millis(300),
        max_connections: 1,
        ..Limits::default()
    };
    let (addr, stop, task) = listening(limits).await;
    let result = tokio::task::spawn_blocking(move || {
        // A client that never finishes its headers holds the only connection until
        // the header timeout closes it.
        let slow = std::thread::spawn(move || {
            let started = std::time::Instant::now();
            let r = exchange(addr, b"POST /collect HTTP/1.1\r\nHost: x\r\n", Duration::from_secs(5));
            (r, started.elapsed())
        });
        std::thread::sleep(Duration::from_millis(50));
        let started = std::time::Instant::now();
        let second = exchange(
            addr,
            b"POST /collect HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\nabc\n",
            Duration::from_secs(5),
        );
        (slow.join().unwrap(), second, started.elapsed())
    })
    .await
    .unwrap();
    let ((slow, slow_took), second, second_took) = result;
    assert!(slow == "closed" || slow.contains("408"), "{slow}");
    assert!(slow_took < Duration::from_secs(3), "{slow_took:?}");
    assert_eq!(second, "HTTP/1.1 200 OK");
    assert!(
        second_took >= Duration::from_millis(150),
        "the second waited for a slot: {second_took:?}"
    );
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "stopped, yet listening"
    );
}
