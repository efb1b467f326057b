//! Running the built binary, and a control server bound to a free 127.0.0.1 port.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub fn csgen() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_csgen"));
    c.env_remove("CS_CONFIG_FILE")
        .env_remove("CS_TOKEN")
        .env("RUST_LOG", "warn");
    c
}

/// Runs csgen with `args`, with a deadline.
pub fn run(args: &[&str]) -> Output {
    let child = csgen()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("csgen runs");
    wait_with_deadline(child, Duration::from_secs(60))
}

/// `csgen enrich --from RAW --to lake:LAKE`, bounded like [`run`].
pub fn enrich_file(raw: &Path, lake: &Path) -> Output {
    run(&[
        "enrich",
        "--from",
        raw.to_str().unwrap(),
        "--to",
        &format!("lake:{}", lake.display()),
    ])
}

/// Collects the child's output (reading its pipes while it runs), killing it after `limit`.
pub fn wait_with_deadline(child: Child, limit: Duration) -> Output {
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.expect("output"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("csgen did not finish within {limit:?}");
        }
    }
}

/// `csgen verify --lake LAKE --truth TRUTH --config CONFIG`.
pub fn verify(lake: &Path, truth: &Path, config: &str) -> Output {
    run(&[
        "verify",
        "--lake",
        lake.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
        "--config",
        config,
    ])
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 output")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("csgen-it-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `csgen serve` (or another server command) on 127.0.0.1 (port 0), killed on drop
/// unless it exited.
pub struct Server {
    child: Option<Child>,
    pub base: String,
    stderr: mpsc::Receiver<String>,
}

pub const TOKEN: &str = "test-token-1";

impl Server {
    /// `csgen serve` with the test token.
    pub fn start(extra: &[&str]) -> Self {
        Self::spawn("serve", extra, &[("CS_TOKEN", TOKEN)])
    }

    /// `csgen COMMAND --bind 127.0.0.1:0 EXTRA…` with `env`, once it announces
    /// `csgen: listening on http://…` on stderr.
    pub fn spawn(command: &str, extra: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = csgen()
            .args([command, "--bind", "127.0.0.1:0"])
            .args(extra)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("csgen {command} runs: {e}"));
        let (tx, rx) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let base = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = rx
                .recv_timeout(left)
                .expect("server announces its address in time");
            if let Some(rest) = line.strip_prefix("csgen: listening on ") {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        Self {
            child: Some(child),
            base,
            stderr: rx,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Sends SIGTERM and waits for the exit; returns the status and the rest of stderr.
    pub fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let child = self.child.take().unwrap();
        let out = wait_with_deadline(child, Duration::from_secs(30));
        let mut rest = String::new();
        while let Ok(l) = self.stderr.recv_timeout(Duration::from_secs(2)) {
            rest.push_str(&l);
            rest.push('\n');
        }
        (out.status, rest)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// An HTTP agent that returns 4xx/5xx answers instead of treating them as errors.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// Status code and body of a GET.
pub fn get(agent: &ureq::Agent, url: &str) -> (u16, String) {
    let mut r = agent.get(url).call().expect("request completes");
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

/// Status code and body of a POST with a Bearer token.
pub fn post(agent: &ureq::Agent, url: &str, token: &str) -> (u16, String) {
    let mut r = agent
        .post(url)
        .header("Authorization", &format!("Bearer {token}"))
        .send_empty()
        .expect("request completes");
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

pub fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Polls `f` until it returns `Some`, or panics after `limit`.
pub fn poll<T>(limit: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The example store's TOML config (the realistic model).
pub fn store_toml() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/store.toml")
        .display()
        .to_string()
}

/// Counts over a lake's events, read by DuckDB (an independent reader): `exprs` is the
/// SELECT list, e.g. `count(*), count(distinct event_id)`; one number per expression.
pub fn duckdb_counts(lake: &std::path::Path, exprs: &str) -> Vec<u64> {
    let python = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(
        python.exists(),
        "run scripts/setup.sh first: {} is missing",
        python.display()
    );
    let sql = format!(
        "select {exprs} from read_parquet('{}/events/*/*/*.parquet', hive_partitioning=true)",
        lake.display()
    );
    let script = format!("import duckdb; print(*duckdb.connect().execute({sql:?}).fetchone())");
    let out = Command::new(python)
        .args(["-c", &script])
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .map(|w| w.parse().expect("a count"))
        .collect()
}
