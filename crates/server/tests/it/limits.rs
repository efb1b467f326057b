//! What a slow, idle, greedy or foreign client gets.

use std::time::{Duration, Instant};

use csgen_server::Limits;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::support::{closed_within, get, parse, quick, read_to_end, request, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_is_closed_after_the_header_timeout() {
    let s = start(quick()).await;
    let mut idle = TcpStream::connect(s.addr).await.unwrap();
    let t = Instant::now();
    assert!(closed_within(&mut idle, Duration::from_secs(5)).await);
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(350) && waited < Duration::from_secs(3),
        "closed after {waited:?}, the limit is 400 ms"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_head_sent_a_byte_at_a_time_is_cut_off() {
    let s = start(quick()).await;
    let mut slow = TcpStream::connect(s.addr).await.unwrap();
    let head = format!(
        "GET /info HTTP/1.1\r\nHost: {}\r\nX-Pad: {}\r\n\r\n",
        s.addr,
        "a".repeat(200)
    );
    let t = Instant::now();
    let mut cut = false;
    for b in head.bytes() {
        if slow.write_all(&[b]).await.is_err() {
            cut = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        if t.elapsed() > Duration::from_secs(3) {
            break;
        }
    }
    // Either a write failed once the server closed, or the close is there to read.
    cut = cut || closed_within(&mut slow, Duration::from_secs(2)).await;
    assert!(cut, "a 5 s trickle of a head outlives a 400 ms limit");
    assert!(t.elapsed() < Duration::from_secs(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keep_alive_connection_closes_when_idle() {
    let s = start(quick()).await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    let req = format!("GET /info HTTP/1.1\r\nHost: {}\r\n\r\n", s.addr);
    let t = Instant::now();
    c.write_all(req.as_bytes()).await.unwrap();
    // The answer at once, then the close 400 ms later: read_to_end sees both.
    let text = read_to_end(&mut c, Duration::from_secs(5)).await;
    assert_eq!(parse(&text).0, 200, "{text}");
    assert!(
        t.elapsed() >= Duration::from_millis(350),
        "kept alive until idle for the limit, not closed at once: {:?}",
        t.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_over_the_size_limit_is_refused() {
    let s = start(quick()).await;
    let huge = format!(
        "GET /info HTTP/1.1\r\nHost: {}\r\nX-Pad: {}\r\n\r\n",
        s.addr,
        "a".repeat(100 * 1024)
    );
    let (code, _) = request(s.addr, &huge).await;
    assert_eq!(code, 431);
    assert_eq!(get(s.addr, "/info").await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_get_503_and_the_next_one_is_served() {
    let limits = Limits {
        connections: 4,
        header_read: Duration::from_secs(30),
        ..quick()
    };
    let s = start(limits).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(s.addr).await.unwrap());
    }
    // Let the server take the four before the fifth arrives.
    let mut refused = None;
    for _ in 0..50 {
        let (code, body) = get(s.addr, "/info").await;
        if code == 503 {
            refused = Some(body);
            break;
        }
        tokio::task::yield_now().await;
    }
    let body = refused.expect("a fifth connection is refused");
    assert!(body.contains("too many connections"), "{body}");
    held.pop();
    let mut served = false;
    for _ in 0..100 {
        if get(s.addr, "/info").await.0 == 200 {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(served, "a closed connection frees its place");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_nobody_reads_frees_its_connection() {
    let limits = Limits {
        connections: 1,
        header_read: Duration::from_secs(30),
        ..quick()
    };
    let s = start(limits).await;
    let mut greedy = TcpStream::connect(s.addr).await.unwrap();
    // Pipelined requests for Chart.js (200 KB each): far more than the socket buffers
    // hold, and the client reads none of it.
    let one = format!(
        "GET /dashboard/chart.umd.min.js HTTP/1.1\r\nHost: {}\r\n\r\n",
        s.addr
    );
    greedy.write_all(one.repeat(100).as_bytes()).await.unwrap();
    let t = Instant::now();
    let (mut served, mut refused) = (false, 0);
    while t.elapsed() < Duration::from_secs(10) {
        match get(s.addr, "/info").await.0 {
            200 => {
                served = true;
                break;
            }
            _ => refused += 1,
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        refused > 0,
        "the greedy connection held the only place for a while"
    );
    assert!(
        served,
        "the stalled connection was closed and its place reused"
    );
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    drop(greedy);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_host_is_refused_and_loopback_names_are_served() {
    let s = start(quick()).await;
    let port = s.addr.port();
    for (host, code) in [
        (format!("evil.example:{port}"), 403),
        (format!("127.0.0.1.nip.io:{port}"), 403),
        (format!("localhost:{port}"), 200),
        (format!("127.0.0.1:{port}"), 200),
    ] {
        for path in ["/api/status", "/metrics", "/info"] {
            let raw = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
            let (got, body) = request(s.addr, &raw).await;
            assert_eq!(got, code, "{host} {path}: {body}");
            if code == 403 {
                assert!(body.contains("--allow-host"), "{body}");
            }
        }
    }
    // An absolute URI naming another host is refused as well.
    let raw = format!(
        "GET http://evil.example/metrics HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(request(s.addr, &raw).await.0, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_idle_connections_and_ends_within_the_grace() {
    let mut s = start(quick()).await;
    let mut idle = TcpStream::connect(s.addr).await.unwrap();
    assert_eq!(get(s.addr, "/info").await.0, 200);
    let t = Instant::now();
    s.stop();
    tokio::time::timeout(Duration::from_secs(5), &mut s.task)
        .await
        .expect("serve returns")
        .unwrap()
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert!(closed_within(&mut idle, Duration::from_secs(2)).await);
    assert!(
        TcpStream::connect(s.addr).await.is_err(),
        "no longer listening"
    );
}
