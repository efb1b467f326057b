//! `csgen demo` as a user runs it, on a free port in a scratch folder: it comes up
//! running, prints where to look and the token, commits the lake while live, obeys the
//! control API, and on SIGINT commits everything and exits 0.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::{
    TempDir, agent, csgen, duckdb_counts, get, json, poll, post, wait_with_deadline,
};

/// The lines of a child's pipe, read on a thread.
fn lines(pipe: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A running `csgen demo`, killed on drop unless it exited.
struct Demo {
    child: Option<Child>,
    base: String,
    token: String,
    stderr: mpsc::Receiver<String>,
}

impl Demo {
    fn start(lake: &Path) -> Self {
        let mut child = csgen()
            .args(["demo", "--bind", "127.0.0.1:0", "--lake"])
            .arg(lake)
            .args(["--backfill", "20m", "--max-age", "1s", "--seed", "11"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("csgen demo runs");
        let out = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut banner = String::new();
        while !banner.contains("Ctrl-C") {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = out.recv_timeout(left).unwrap_or_else(|_| {
                panic!("the demo prints its banner in time; so far:\n{banner}")
            });
            banner.push_str(&line);
            banner.push('\n');
        }
        let field = |name: &str| {
            banner
                .lines()
                .find_map(|l| l.trim_start().strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .unwrap_or_else(|| panic!("no {name} in the banner:\n{banner}"))
                .to_owned()
        };
        let dashboard = field("dashboard");
        Self {
            child: Some(child),
            base: dashboard
                .strip_suffix("/dashboard")
                .expect("a /dashboard URL")
                .to_owned(),
            token: field("token"),
            stderr,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn status(&self, a: &ureq::Agent) -> serde_json::Value {
        let (code, body) = get(a, &self.url(&format!("/status?token={}", self.token)));
        assert_eq!(code, 200, "{body}");
        json(&body)
    }

    /// Sends SIGINT (Ctrl-C) and waits for the exit; returns the status and stderr.
    fn interrupt(mut self) -> (ExitStatus, String) {
        let child = self.child.take().unwrap();
        let kill = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        let out = wait_with_deadline(child, Duration::from_secs(60));
        let mut text = String::new();
        while let Ok(l) = self.stderr.recv_timeout(Duration::from_secs(2)) {
            text.push_str(&l);
            text.push('\n');
        }
        (out.status, text)
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

fn generated(status: &serde_json::Value) -> u64 {
    status["counters"]["generated"].as_u64().unwrap()
}

/// The numbers of a summary line, in order.
fn numbers(line: &str) -> Vec<u64> {
    line.split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect()
}

#[test]
fn demo_runs_live_into_the_lake_obeys_the_token_and_stops_cleanly_on_sigint() {
    let dir = TempDir::new("demo");
    let lake = dir.path("lake");
    let d = Demo::start(&lake);
    assert!(d.base.starts_with("http://127.0.0.1:"), "{}", d.base);
    assert_eq!(
        d.token.len(),
        32,
        "a token made up for the run: {}",
        d.token
    );
    let a = agent();

    let status = d.status(&a);
    assert_eq!(
        status["state"], "running",
        "the demo starts running: {status}"
    );
    assert_eq!(status["model"], "realistic");
    let first = poll(Duration::from_secs(60), "events generated", || {
        Some(generated(&d.status(&a))).filter(|&n| n > 0)
    });
    poll(Duration::from_secs(60), "counters increasing", || {
        (generated(&d.status(&a)) > first).then_some(())
    });
    let parquet = |lake: &Path| {
        files(&lake.join("events"))
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
            .count()
    };
    let committed = poll(Duration::from_secs(60), "committed Parquet files", || {
        Some(parquet(&lake)).filter(|&n| n > 0)
    });
    poll(Duration::from_secs(60), "more files while live", || {
        (parquet(&lake) > committed).then_some(())
    });

    // The dashboard is mounted, and its reports read the lake as it grows.
    let (code, page) = get(&a, &d.url("/dashboard"));
    assert_eq!(code, 200, "{page}");
    poll(Duration::from_secs(60), "reports with rows", || {
        let (code, body) = get(&a, &d.url("/api/reports"));
        let hours = (code == 200).then(|| {
            json(&body)["reports"]["hourly"]
                .as_array()
                .map_or(0, Vec::len)
        });
        hours.filter(|&n| n > 0)
    });

    assert_eq!(post(&a, &d.url("/stop"), "wrong").0, 401);
    let (code, body) = post(&a, &d.url("/stop"), &d.token);
    assert_eq!(
        (code, json(&body)),
        (200, serde_json::json!({"state": "stopped"}))
    );
    let c = d.status(&a)["counters"].clone();
    assert_eq!(
        c["delivered"], c["generated"],
        "stopped means committed: {c}"
    );
    assert_eq!(c["in_flight"], 0);
    let (code, body) = post(&a, &d.url("/start"), &d.token);
    assert_eq!(
        (code, json(&body)),
        (200, serde_json::json!({"state": "running"}))
    );
    let stopped_at = c["generated"].as_u64().unwrap();
    poll(Duration::from_secs(60), "events after the restart", || {
        (generated(&d.status(&a)) > stopped_at).then_some(())
    });

    let (exit, stderr) = d.interrupt();
    assert!(exit.success(), "exit status {exit:?}, stderr:\n{stderr}");
    let summary = stderr
        .lines()
        .find(|l| l.contains("generated "))
        .unwrap_or_else(|| panic!("a summary line in:\n{stderr}"));
    let n = numbers(summary);
    assert_eq!((n[1], n[2]), (n[0], 0), "all delivered: {summary}");
    let detail = stderr
        .lines()
        .find(|l| l.contains("lake: "))
        .unwrap_or_else(|| panic!("a lake line in:\n{stderr}"));
    let (events, dead) = (numbers(detail)[0], numbers(detail)[1]);
    assert_eq!(events + dead, n[1], "{detail}");

    // Only committed files are left: whole Parquet files in their partitions (DuckDB
    // reads every one), dead letters beside them, nothing staged.
    let staged = files(&lake.join("_csgen/staging"));
    assert!(staged.is_empty(), "left in staging: {staged:?}");
    for f in files(&lake) {
        let rel = f
            .strip_prefix(&lake)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let ok =
            (rel.starts_with("events/dt=") && rel.contains("/hour=") && rel.ends_with(".parquet"))
                || (rel.starts_with("dead_letters/") && rel.ends_with(".jsonl"));
        assert!(ok, "unexpected file {rel}");
    }
    assert_eq!(duckdb_counts(&lake, "count(*)")[0], events, "{detail}");
}

#[test]
fn demo_refuses_a_lake_folder_that_is_not_empty() {
    let dir = TempDir::new("demo-occupied");
    let lake = dir.path("lake");
    std::fs::create_dir_all(lake.join("events")).unwrap();
    let out = csgen()
        .args(["demo", "--bind", "127.0.0.1:0", "--lake"])
        .arg(&lake)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not empty") && err.contains("--lake"), "{err}");
}
