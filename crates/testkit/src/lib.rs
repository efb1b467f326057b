//! Shared support for csgen's integration tests (a dev-dependency only).
//!
//! The tests talk to real servers on 127.0.0.1 that `scripts/setup.sh` installs:
//! kinesalite (Kinesis API, from `tools/node`), moto (Kinesis, Firehose and S3
//! APIs, from the Python venv `.venv`) and tansu (a Kafka-API broker, from the same
//! venv). [`Server`] starts one on a free port, polls it with a deadline until it
//! answers, and kills it when dropped. [`KafkaClient`] is the independent Kafka client
//! that reads back what csgen wrote. [`Nginx`] runs Debian's nginx as a web store for
//! the browse sink; [`FaultServer`] is an HTTP collector that injects 429s, 500s, slow
//! answers and dropped connections. [`RuntimeApi`] is the Lambda Runtime API a
//! function binary polls.
//!
//! When a tool is not installed a test is skipped with a message, except in CI
//! (`CI=true`), where that is a failure: see [`skip`] and [`missing`].
//!
//! [`corpus`] reads the fuzz targets' committed corpora for the suite to replay.
//!
//! Standard library and proptest only (the crates' tests build proptest anyway), so
//! that it adds nothing to any crate's build.

mod accept;
pub mod corpus;
mod fault;
mod kafka;
mod lambda_api;
mod nginx;
mod server;

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use accept::Accepting;
pub use fault::{Fault, FaultServer, Stored};
pub use kafka::KafkaClient;
pub use lambda_api::{Outcome as LambdaOutcome, RuntimeApi};
pub use nginx::{Access, Nginx};
pub use server::{Server, create_bucket, free_port};

/// `/usr/bin/NAME` if installed (Debian tools the tests drive: curl, wrk); otherwise
/// [`missing`].
pub fn tool(name: &str) -> Option<PathBuf> {
    let path = Path::new("/usr/bin").join(name);
    if path.is_file() {
        Some(path)
    } else {
        missing(&format!("{name} (Debian package)"))
    }
}

/// The repository root (`tools/`, `.venv/` and `examples/` live there).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The workspace's `target/<profile>/csgen` for a test binary of another crate: built
/// by `cargo test --workspace` (as CI runs it); when testing one crate alone it may be
/// missing (skipped, except in CI) or older than the sources.
pub fn csgen_binary() -> Option<PathBuf> {
    // target/<profile>/deps/it-HASH -> target/<profile>/csgen
    let exe = std::env::current_exe().ok()?;
    let bin = exe.parent()?.parent()?.join("csgen");
    if bin.is_file() {
        return Some(bin);
    }
    skip(format!(
        "{} not built: run cargo test --workspace",
        bin.display()
    ))
}

/// Sets the dummy credentials and region the local AWS-API servers accept, so that
/// csgen's standard AWS chain finds them. Every test sets the same values.
pub fn local_aws_env() {
    // SAFETY: every caller sets the same values, before any client reads them.
    unsafe {
        std::env::set_var("AWS_ACCESS_KEY_ID", "csgen-test");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "csgen-test");
        std::env::set_var("AWS_REGION", "us-east-1");
        std::env::remove_var("AWS_PROFILE");
    }
}

/// Whether the tests run in CI (`CI=true`), where nothing may be skipped.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| v == "true")
}

/// A test cannot run for `reason`: panics in CI, otherwise prints
/// `SKIPPED: {reason}` and returns `None` for the caller to return early.
pub fn skip<T>(reason: impl Display) -> Option<T> {
    if in_ci() {
        panic!("{reason}");
    }
    eprintln!("SKIPPED: {reason}");
    None
}

/// [`skip`] because `what` (a tool `scripts/setup.sh` installs) is not there.
pub fn missing<T>(what: &str) -> Option<T> {
    skip(format!("{what} is not installed: run scripts/setup.sh"))
}

/// `.venv/bin/python` if it can import every module of `modules`; otherwise
/// [`missing`].
pub fn python(modules: &[&str]) -> Option<PathBuf> {
    let py = repo_root().join(".venv/bin/python");
    let imports = format!("import {}", modules.join(", "));
    let ok = py.is_file()
        && Command::new(&py)
            .args(["-c", &imports])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if ok {
        Some(py)
    } else {
        missing(&format!("{} in .venv", modules.join("/")))
    }
}

/// Runs `cmd` to the end with stdout and stderr captured, both read while it runs (so
/// that a full pipe cannot stall it); kills it and panics, with its stderr, if it
/// outlives `limit`.
pub fn output_within(cmd: &mut Command, limit: std::time::Duration) -> std::process::Output {
    use std::io::Read;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {cmd:?}: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let deadline = std::time::Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = stderr.join().unwrap_or_default();
            panic!(
                "{cmd:?} ran past {limit:?}: {}",
                String::from_utf8_lossy(&stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    std::process::Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// The files under `root`, recursively, as sorted paths relative to it: what tests
/// compare lake and bucket folders by. A folder that vanishes while it is read (a
/// rename under way) is skipped, and a missing `root` has no files.
pub fn files_under(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_owned()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.display().to_string());
            }
        }
    }
    out.sort();
    out
}
