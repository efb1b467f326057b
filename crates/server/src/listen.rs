//! Serving the router on a listener, within [`Limits`].
//!
//! One task accepts connections; each connection is served by hyper's HTTP/1 server
//! in a task of its own. What bounds them:
//!
//! - a connection must send a complete request head within [`Limits::header_read`] of
//!   opening, and of its previous answer (so an idle keep-alive connection closes after
//!   that long, and a client sending a byte a second cannot hold one);
//! - a request head is at most [`Limits::max_head_bytes`] (431 otherwise);
//! - an answer the client does not read for [`Limits::write_stall`] ends the connection
//!   ([`StallGuard`]);
//! - at most [`Limits::connections`] are open at once; a connection beyond that gets
//!   503 and is closed, so the server keeps file descriptors for its sink;
//! - every request must name this server in `Host` ([`crate::host`]).
//!
//! On shutdown the listener closes, idle connections close at once, and requests in
//! progress get [`Limits::shutdown_grace`] to finish.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::host::{self, HostPolicy};
use crate::stall::StallGuard;

/// What one client, or many, may hold of the server. Each value is documented in the
/// README's Guarantees section.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Time to send a complete request head, from connecting or from the previous
    /// answer (this is also how long an idle keep-alive connection stays open).
    pub header_read: Duration,
    /// Time an answer may wait for the client to read any of it.
    pub write_stall: Duration,
    /// Connections open at once. At start-up it is lowered, if need be, to fit the
    /// process's open-files limit (raised first to its hard limit), keeping
    /// [`FD_RESERVE`] descriptors for the sink.
    pub connections: usize,
    /// Size of a request head (request line and headers), at least 8 KiB.
    pub max_head_bytes: usize,
    /// `/api/reports` requests in progress at once (each waits for, or runs, a
    /// computation over the lake); more get 503. Applied by [`crate::AppState`].
    pub reports: usize,
    /// After shutdown begins, how long requests in progress may take to finish.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            header_read: Duration::from_secs(10),
            write_stall: Duration::from_secs(10),
            connections: 4096,
            max_head_bytes: 64 * 1024,
            reports: 8,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// File descriptors kept for everything but connections (sink files, lake writes,
/// AWS clients, the runtime).
pub const FD_RESERVE: u64 = 256;

/// The smallest head limit: a browser's request with its cookies fits.
const MIN_HEAD_BYTES: usize = 8 * 1024;

/// Connections beyond the limit answered 503 at once; more than this are just closed.
const REFUSALS_IN_PROGRESS: usize = 64;

/// Connections the kernel queues for [`serve`] to accept: a burst of clients beyond it
/// has its connection attempts dropped and retried a second later.
pub const LISTEN_BACKLOG: u32 = 1024;

/// A listener on `addr` with a [`LISTEN_BACKLOG`] queue (the standard library's 128
/// overflows when a thousand clients connect at once).
pub async fn bind(addr: std::net::SocketAddr) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// How [`serve`] runs.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    pub limits: Limits,
    /// Host names to answer to besides the bind address's own (`--allow-host`).
    pub allowed_hosts: Vec<String>,
}

/// Serves `app` on `listener` until `shutdown` resolves; see the module docs.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let bind = listener.local_addr()?;
    let limits = fit(options.limits, open_files_limit());
    tracing::debug!(?limits, "connection limits");
    let policy = Arc::new(HostPolicy::new(bind, &options.allowed_hosts));
    let app = app.layer(axum::middleware::from_fn_with_state(policy, host::check));
    let service = TowerToHyperService::new(app);
    let open = Arc::new(Semaphore::new(limits.connections));
    let refusing = Arc::new(Semaphore::new(REFUSALS_IN_PROGRESS));
    let refused = AtomicU64::new(0);
    let (closing, closing_rx) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Ok(permit) = open.clone().try_acquire_owned() {
            let (service, limits, closing) = (service.clone(), limits.clone(), closing_rx.clone());
            tokio::spawn(connection(stream, service, limits, closing, permit));
            continue;
        }
        let n = refused.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_power_of_two() {
            tracing::warn!(
                refused = n,
                limit = limits.connections,
                "connection limit reached"
            );
        }
        if let Ok(permit) = refusing.clone().try_acquire_owned() {
            tokio::spawn(refuse(stream, permit));
        }
    }
    drop(listener);
    closing.send_replace(true);
    let all = u32::try_from(limits.connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(limits.shutdown_grace, open.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!(
            open = limits.connections - open.available_permits(),
            "connections still open after the shutdown grace; closing them"
        );
    }
    Ok(())
}

type Service = TowerToHyperService<Router>;

/// Serves one connection until it closes, or until shutdown and its request is done.
async fn connection(
    stream: TcpStream,
    service: Service,
    limits: Limits,
    mut closing: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let io = TokioIo::new(StallGuard::new(stream, limits.write_stall));
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read)
        .max_header_size(limits.max_head_bytes)
        .keep_alive(true);
    let mut conn = std::pin::pin!(builder.serve_connection(io, service));
    tokio::select! {
        done = conn.as_mut() => {
            if let Err(e) = done {
                tracing::debug!(error = %e, "connection ended");
            }
            return;
        }
        _ = closing.wait_for(|&c| c) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// The answer to a connection beyond the limit.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
    content-type: application/json\r\n\
    retry-after: 1\r\n\
    connection: close\r\n\
    content-length: 51\r\n\
    \r\n\
    {\"error\":\"too many connections; retry in a second\"}";

/// Answers 503 and closes, within a second whatever the client does.
async fn refuse(mut stream: TcpStream, _permit: OwnedSemaphorePermit) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(BUSY).await?;
        stream.shutdown().await?;
        // Read what the client sent, so that closing does not reset the connection
        // before it has read the answer.
        let mut sink = [0u8; 1024];
        while stream.read(&mut sink).await? > 0 {}
        io::Result::Ok(())
    })
    .await;
}

/// A failed accept: a connection that went away is nothing; running out of file
/// descriptors is waited out rather than retried in a busy loop.
async fn accept_failed(e: io::Error) {
    use io::ErrorKind::*;
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted
    ) {
        return;
    }
    tracing::error!(error = %e, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// `limits`, with the connection limit lowered to fit `open_files` descriptors (if
/// known) and the head size raised to what hyper accepts.
fn fit(mut limits: Limits, open_files: Option<u64>) -> Limits {
    limits.max_head_bytes = limits.max_head_bytes.max(MIN_HEAD_BYTES);
    limits.connections = limits.connections.max(1);
    if let Some(n) = open_files {
        let usable = if n > 2 * FD_RESERVE {
            n - FD_RESERVE
        } else {
            n / 2
        };
        let usable = usize::try_from(usable).unwrap_or(usize::MAX).max(1);
        if usable < limits.connections {
            tracing::warn!(
                open_files = n,
                connections = usable,
                "the open-files limit lowers the connection limit"
            );
            limits.connections = usable;
        }
    }
    limits
}

/// Raises the soft open-files limit to the hard one (up to 65,536), as Go's runtime
/// does, and returns the soft limit in force.
#[cfg(target_os = "linux")]
fn open_files_limit() -> Option<u64> {
    const WANT: u64 = 65_536;
    let mut now = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass and reads nothing else.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut now) } != 0 {
        return None;
    }
    // Linux's rlim_t is u64.
    let (current, target) = (now.rlim_cur, now.rlim_max.min(WANT));
    if current < target {
        let raised = libc::rlimit {
            rlim_cur: target,
            rlim_max: now.rlim_max,
        };
        // SAFETY: setrlimit reads the struct we pass; a refusal leaves the limit as it was.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            return Some(target);
        }
    }
    Some(current)
}

#[cfg(not(target_os = "linux"))]
fn open_files_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_limit_fits_the_open_files_limit() {
        let fitted = fit(Limits::default(), Some(1024));
        assert_eq!(fitted.connections, 1024 - FD_RESERVE as usize);
        assert_eq!(fit(Limits::default(), Some(300)).connections, 150);
        assert_eq!(fit(Limits::default(), Some(0)).connections, 1);
        assert_eq!(fit(Limits::default(), Some(1 << 20)).connections, 4096);
        assert_eq!(fit(Limits::default(), None).connections, 4096);
        let tiny = Limits {
            max_head_bytes: 0,
            connections: 0,
            ..Limits::default()
        };
        let fitted = fit(tiny, None);
        assert_eq!((fitted.max_head_bytes, fitted.connections), (8192, 1));
    }

    #[test]
    fn the_busy_answer_says_its_length() {
        let text = std::str::from_utf8(BUSY).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{text}"
        );
        serde_json::from_str::<serde_json::Value>(body).unwrap();
    }
}
