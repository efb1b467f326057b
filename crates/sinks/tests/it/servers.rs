//! Real local servers for the tests: kinesalite (Kinesis API, npm) and moto (Kinesis,
//! Firehose and S3 APIs, PyPI), installed by `scripts/setup.sh`.
//!
//! Each starts on 127.0.0.1 only, is polled until it answers (with a deadline), and is
//! killed when dropped. When a server is not installed the test is skipped with a
//! message, except in CI (`CI=true`), where that is a failure.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The repository root (tools/ and .venv/ live there).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Says why a server is missing: panics in CI, otherwise prints and returns `None`.
fn missing(what: &str) -> Option<Server> {
    let msg = format!("{what} is not installed: run scripts/setup.sh");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}");
    }
    eprintln!("SKIPPED: {msg}");
    None
}

/// A running server process; killed on drop.
pub struct Server {
    child: Option<Child>,
    pub addr: SocketAddr,
    kind: Kind,
}

#[derive(Clone)]
enum Kind {
    Kinesalite { data_dir: Option<PathBuf> },
    Moto,
}

impl Server {
    /// kinesalite, in memory, or persisted in `data_dir` so it survives a restart.
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

    /// moto server (Kinesis, Firehose, S3).
    pub fn moto() -> Option<Self> {
        if !repo_root().join(".venv/bin/moto_server").is_file() {
            return missing("moto server (.venv/bin/moto_server)");
        }
        Some(Self::spawn(Kind::Moto, 0))
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

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
                // The script prints "listening PORT" once bound.
                let mut line = String::new();
                BufReader::new(child.stdout.take().unwrap())
                    .read_line(&mut line)
                    .expect("read kinesalite's port");
                let port = line
                    .trim()
                    .strip_prefix("listening ")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or_else(|| panic!("kinesalite said {line:?}"));
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
        };
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        wait_listening(addr, &mut child, Duration::from_secs(30));
        Self {
            child: Some(child),
            addr,
            kind,
        }
    }

    /// Kills the server (SIGKILL: no clean shutdown).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port.
    pub fn restart(&mut self) {
        self.kill();
        let again = Self::spawn(self.kind.clone(), self.addr.port());
        *self = again;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A port that was free a moment ago (for servers that cannot report their own).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

fn wait_listening(addr: SocketAddr, child: &mut Child, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("server for {addr} exited early: {status}");
        }
        assert!(
            Instant::now() < deadline,
            "server on {addr} not up within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
