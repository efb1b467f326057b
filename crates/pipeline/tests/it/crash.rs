//! A writer killed with SIGKILL at each step of a flush leaves no partial visible
//! file, and the restart completes without losing or duplicating an event.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::support::{generated, python, read_lake};

/// The example binary `cargo test` builds beside the test binary.
fn writer_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/enrich_until_killed");
    assert!(
        bin.is_file(),
        "{} missing: run `cargo test -p csgen-pipeline`, which builds the examples",
        bin.display()
    );
    bin
}

struct Writer(Child);

impl Drop for Writer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the writer paused at `at` and kills it (SIGKILL) once it says so.
fn run_and_kill(src: &Path, lake: &Path, at: &str) {
    let mut w = Writer(
        Command::new(writer_bin())
            .args([src.to_str().unwrap(), lake.to_str().unwrap(), "65536", at])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(w.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "PAUSED", "the writer ended before {at}");
    w.0.kill().unwrap(); // SIGKILL
    w.0.wait().unwrap();
}

fn run_to_end(src: &Path, lake: &Path) -> serde_json::Value {
    let out = Command::new(writer_bin())
        .args([src.to_str().unwrap(), lake.to_str().unwrap(), "65536"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn visible_files(lake: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![lake.join("events")];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p)
            } else {
                out.push(p.strip_prefix(lake).unwrap().display().to_string())
            }
        }
    }
    out.sort();
    out
}

#[test]
fn sigkill_mid_flush_then_restart_loses_and_duplicates_nothing() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (input, ids) = generated(4000, 1_795_418_780_123, 3000);
    let src = dir.path().join("raw.jsonl");
    std::fs::write(&src, &input).unwrap();
    let lake = dir.path().join("lake");

    // Killed after flush 2 is staged but before it commits.
    run_and_kill(&src, &lake, "staged:2");
    let before = visible_files(&lake);
    assert!(!before.is_empty(), "flush 1 committed");
    assert!(
        before
            .iter()
            .all(|f| f.ends_with(".parquet") && !f.contains("/.")),
        "{before:?}"
    );
    let first = read_lake(&py, &[lake.to_str().unwrap()]);
    assert!(first.rows > 0 && first.rows < 4000);
    assert_eq!(
        first.duckdb.as_ref().unwrap().distinct,
        first.rows,
        "readable, no duplicates"
    );

    // Restarted, killed after its second flush commits but before its files move.
    run_and_kill(&src, &lake, "committed:2");
    let second = read_lake(&py, &[lake.to_str().unwrap()]);
    assert_eq!(second.duckdb.as_ref().unwrap().distinct, second.rows);

    // Restarted again, to the end.
    let summary = run_to_end(&src, &lake);
    assert!(
        summary["resumed_at"]["offset"].as_u64().unwrap() > 0,
        "{summary}"
    );
    assert_eq!(summary["stopped_at"]["offset"], input.len() as u64);
    let back = read_lake(&py, &[lake.to_str().unwrap()]);
    let mut want = ids;
    want.sort();
    assert_eq!(back.rows, 4000);
    assert_eq!(
        back.event_ids, want,
        "every event exactly once after two crashes"
    );
    assert!(back.misplaced.is_empty());
    let staging = lake.join("_csgen/staging");
    let leftovers: Vec<_> = std::fs::read_dir(&staging)
        .into_iter()
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .collect();
    assert!(leftovers.is_empty(), "staging cleaned: {leftovers:?}");
}
