//! A server on a free 127.0.0.1 port with given limits, and a raw HTTP client.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use csgen_model::{Encoder, Format, Generator, Shard, StoreConfig};
use csgen_server::{AppState, Controller, Limits, ServeOptions, Token, Workload, app, serve};
use csgen_sinks::FileSink;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server; [`Running::stop`] shuts it down.
pub struct Running {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    pub task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Starts shutting down; await [`Running::task`] for the end.
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// `csgen serve`'s app over `/dev/null`, token `t`, with `limits`.
pub async fn start(limits: Limits) -> Running {
    let config = StoreConfig::defaults();
    let sink = FileSink::open(std::path::Path::new("/dev/null"))
        .await
        .unwrap();
    let controller = Controller::new(
        Workload::Classic {
            generator: Arc::new(Generator::new(&config, 1)),
            encoder: Encoder::new(Format::Url, &config.store_url),
            rate: 50.0,
        },
        sink,
        Shard::ALL,
        Duration::from_secs(5),
        csgen_server::system_clock(),
    );
    let app = app(AppState::new(Arc::new(controller), Token::from_plain("t")));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel();
    let options = ServeOptions {
        limits,
        ..ServeOptions::default()
    };
    let task = tokio::spawn(serve(listener, app, options, async {
        let _ = rx.await;
    }));
    Running {
        addr,
        shutdown: Some(tx),
        task,
    }
}

/// Short limits for tests.
pub fn quick() -> Limits {
    Limits {
        header_read: Duration::from_millis(400),
        write_stall: Duration::from_millis(400),
        shutdown_grace: Duration::from_secs(2),
        ..Limits::default()
    }
}

/// `GET path` with `Host: 127.0.0.1:PORT` on a new connection; the status code and
/// body of the answer (the connection is closed after it).
pub async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    request(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
    )
    .await
}

/// Sends `raw` on a new connection and reads the answer to the end.
pub async fn request(addr: SocketAddr, raw: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(raw.as_bytes()).await.unwrap();
    let text = read_to_end(&mut s, Duration::from_secs(10)).await;
    parse(&text)
}

/// Everything until the peer closes, within `limit`.
pub async fn read_to_end(s: &mut TcpStream, limit: Duration) -> String {
    let mut out = Vec::new();
    tokio::time::timeout(limit, s.read_to_end(&mut out))
        .await
        .expect("the server closes the connection in time")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// Status code and body of one HTTP/1.1 answer.
pub fn parse(text: &str) -> (u16, String) {
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (code, body.to_owned())
}

/// Whether the server closed `s` within `limit` (reads until end of stream).
pub async fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}
