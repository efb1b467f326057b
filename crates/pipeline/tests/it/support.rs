//! Test support: raw input made by the generator, the independent Python reader, and
//! a moto S3 server on 127.0.0.1.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use csgen_model::{Encoder, Format, Generator, StoreConfig};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Panics in CI (`CI=true`); elsewhere prints why the test is skipped.
pub fn missing(what: &str) {
    let msg = format!("{what} is not installed: run scripts/setup.sh");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}");
    }
    eprintln!("SKIPPED: {msg}");
}

pub fn python() -> Option<PathBuf> {
    let py = repo_root().join(".venv/bin/python");
    let ok = py.is_file()
        && Command::new(&py)
            .args(["-c", "import pyarrow, duckdb"])
            .status()
            .is_ok_and(|s| s.success());
    if ok {
        Some(py)
    } else {
        missing("pyarrow/duckdb in .venv");
        None
    }
}

/// `n` JSON records from the generator, one second apart from `start_ms`, plus the
/// event ids in order.
pub fn generated(n: u64, start_ms: i64, step_ms: i64) -> (Vec<u8>, Vec<String>) {
    let config = StoreConfig::defaults();
    let g = Generator::new(&config, 7);
    let mut enc = Encoder::new(Format::Json, &config.store_url);
    let (mut out, mut ids) = (Vec::new(), Vec::new());
    for seq in 0..n {
        let click = g.click(seq, start_ms + seq as i64 * step_ms);
        enc.encode(&click, &mut out);
        out.push(b'\n');
        ids.push(click.event_id().to_string());
    }
    (out, ids)
}

/// What read_lake.py says about a lake.
#[derive(Debug, serde::Deserialize)]
pub struct LakeReadback {
    pub files: Vec<String>,
    pub types: std::collections::BTreeMap<String, String>,
    pub rows: u64,
    pub event_ids: Vec<String>,
    pub misplaced: Vec<String>,
    pub event_types: Vec<String>,
    pub null_group_names: u64,
    pub duckdb: Option<DuckDb>,
}

#[derive(Debug, serde::Deserialize)]
pub struct DuckDb {
    pub rows: u64,
    pub distinct: u64,
    pub misplaced: u64,
}

pub fn read_lake(py: &Path, args: &[&str]) -> LakeReadback {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/read_lake.py");
    let out = Command::new(py)
        .arg(script)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "read_lake.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("read_lake.py prints JSON")
}

/// The schema every reader must see.
pub fn assert_event_types(types: &std::collections::BTreeMap<String, String>) {
    let want = [
        ("event_id", "string"),
        ("event_time", "timestamp[ms, tz=UTC]"),
        ("event_type", "string"),
        ("user_id", "int64"),
        ("session_id", "string"),
        ("group_id", "int32"),
        ("group_name", "string"),
        ("product_id", "int64"),
        ("device", "string"),
        ("browser", "string"),
        ("referrer", "string"),
        ("url", "string"),
    ];
    for (col, ty) in want {
        assert_eq!(
            types.get(col).map(String::as_str),
            Some(ty),
            "column {col}: {types:?}"
        );
    }
    // Partition columns come from the path (Hive style), as dictionary/strings/ints.
    assert!(
        types.contains_key("dt") && types.contains_key("hour"),
        "{types:?}"
    );
}

/// A moto server (S3 API) on 127.0.0.1; killed on drop.
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    pub fn start() -> Option<Self> {
        let bin = repo_root().join(".venv/bin/moto_server");
        if !bin.is_file() {
            missing("moto server (.venv/bin/moto_server)");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("bind")
            .port();
        let mut child = Command::new(bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start moto_server");
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("moto_server exited: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not listen on {addr} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Self {
            child,
            endpoint: format!("http://{addr}"),
        })
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
