//! Shared support for csgen's integration tests (a dev-dependency only).
//!
//! The tests talk to real servers on 127.0.0.1 that `scripts/setup.sh` installs:
//! kinesalite (Kinesis API, from `tools/node`) and moto (Kinesis, Firehose and S3
//! APIs, from the Python venv `.venv`). [`Server`] starts one on a free port, polls it
//! with a deadline until it answers, and kills it when dropped. [`Nginx`] runs Debian's
//! nginx as a web store for the browse sink; [`FaultServer`] is an HTTP collector that
//! injects 429s, 500s, slow answers and dropped connections.
//!
//! When a tool is not installed a test is skipped with a message, except in CI
//! (`CI=true`), where that is a failure: see [`skip`] and [`missing`].
//!
//! Standard library only, so that it adds nothing to any crate's build.

mod fault;
mod nginx;
mod server;

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use fault::{Fault, FaultServer, Stored};
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
