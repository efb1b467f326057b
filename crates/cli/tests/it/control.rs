//! `csgen serve` against careless and hostile clients: a thousand idle connections,
//! extreme rates, a web page under another host name, a sink that takes nothing.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::support::{Server, TOKEN, agent, get, json, poll, post};

fn addr(s: &Server) -> SocketAddr {
    s.base.trim_start_matches("http://").parse().unwrap()
}

/// `GET path` with the given `Host` header; status code and body.
fn get_as(addr: SocketAddr, path: &str, host: &str) -> (u16, String) {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        c,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    c.read_to_string(&mut text).unwrap();
    let code = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (code, body)
}

#[test]
fn a_thousand_idle_connections_leave_the_api_answering() {
    let s = Server::start(&["--sink", "file:/dev/null"]);
    let addr = addr(&s);
    let opened = Instant::now();
    let idle: Vec<TcpStream> = (0..1000)
        .map(|i| {
            TcpStream::connect_timeout(&addr, Duration::from_secs(5))
                .unwrap_or_else(|e| panic!("idle connection {i}: {e}"))
        })
        .collect();
    let open_time = opened.elapsed();
    let a = agent();
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let (code, body) = get(&a, &s.url(&format!("/status?token={TOKEN}")));
        times.push(t.elapsed());
        assert_eq!(code, 200, "{body}");
    }
    // The server closes a connection that sends no request within 10 s; before that
    // every one of the thousand is still open.
    if opened.elapsed() < Duration::from_secs(9) {
        for (i, c) in idle.iter().enumerate() {
            c.set_nonblocking(true).unwrap();
            match (&*c).read(&mut [0u8; 1]) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                other => panic!("idle connection {i} was closed early: {other:?}"),
            }
        }
    }
    times.sort();
    eprintln!(
        "1000 idle connections opened in {open_time:.2?} and held; /status answered 20 of 20: \
         median {:.2?}, slowest {:.2?}",
        times[10], times[19]
    );
}

#[test]
fn extreme_rates_are_refused_with_the_range_and_the_run_goes_on() {
    let s = Server::start(&["--sink", "file:/dev/null"]);
    let a = agent();
    assert_eq!(post(&a, &s.url("/start"), TOKEN).0, 200);
    for bad in ["1e-300", "1e-20", "1e308", "1e9", "0", "-1", "NaN", "inf"] {
        let (code, body) = post(&a, &s.url(&format!("/rate?rate={bad}")), TOKEN);
        assert_eq!(code, 400, "{bad}: {body}");
        assert!(
            body.contains("0.001") && body.contains("100000000"),
            "{bad}: {body}"
        );
    }
    let status = json(&get(&a, &s.url(&format!("/status?token={TOKEN}"))).1);
    assert_eq!(
        (&status["state"], &status["rate"]),
        (&"running".into(), &3.0.into())
    );
    assert_eq!(post(&a, &s.url("/stop"), TOKEN).0, 200);
    assert_eq!(
        post(&a, &s.url("/start"), TOKEN).0,
        200,
        "the sink is still there"
    );
    assert_eq!(post(&a, &s.url("/stop"), TOKEN).0, 200);
}

#[test]
fn a_page_under_another_host_name_cannot_read_the_api() {
    let s = Server::start(&["--sink", "file:/dev/null", "--allow-host", "csgen.test"]);
    let addr = addr(&s);
    let port = addr.port();
    for path in ["/api/status", "/metrics", "/info", "/api/reports"] {
        let (code, body) = get_as(addr, path, &format!("rebound.example:{port}"));
        assert_eq!(code, 403, "{path}: {body}");
        assert!(body.contains("DNS rebinding"), "{body}");
    }
    for host in [
        format!("localhost:{port}"),
        addr.to_string(),
        format!("csgen.test:{port}"),
    ] {
        assert_eq!(get_as(addr, "/api/status", &host).0, 200, "{host}");
    }
}

#[test]
fn serve_exits_1_with_the_counts_when_records_are_undelivered() {
    let s = Server::start(&["--sink", "file:/dev/full", "--rate", "1000"]);
    let a = agent();
    assert_eq!(post(&a, &s.url("/start"), TOKEN).0, 200);
    // Every write fails: the run ends by itself, and says why to the token holder.
    let status = poll(Duration::from_secs(20), "the failed run to end", || {
        let status = json(&get(&a, &s.url(&format!("/status?token={TOKEN}"))).1);
        (status["state"] == "stopped").then_some(status)
    });
    assert!(
        status["last_error"]
            .as_str()
            .unwrap_or("")
            .contains("/dev/full"),
        "{status}"
    );
    let failed = status["counters"]["failed"].as_u64().unwrap();
    assert!(failed > 0, "{status}");
    let (exit, rest) = s.terminate();
    assert_eq!(exit.code(), Some(1), "{rest}");
    assert!(
        rest.contains(&format!("failed {failed}")) && rest.contains("records were not delivered"),
        "{rest}"
    );
}
