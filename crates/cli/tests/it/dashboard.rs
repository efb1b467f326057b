//! `/dashboard` in a real headless browser: `csgen serve` writing a lake on 127.0.0.1,
//! checked by tools/node/dashboard-check.js (Debian's chromium through playwright-core;
//! both installed by scripts/setup.sh). The screenshot is kept as a test artifact in
//! target/test-artifacts/dashboard.png.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::{Server, TOKEN, TempDir, agent, get, json, poll, post, wait_with_deadline};

const CHROMIUM: &str = "/usr/bin/chromium";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The checker script, when node, playwright-core and chromium are installed. Outside
/// CI a missing tool skips the test with a note; in CI it fails it.
fn checker() -> Option<PathBuf> {
    let script = repo().join("tools/node/dashboard-check.js");
    let missing: Vec<&str> = [
        (!Path::new(CHROMIUM).exists()).then_some("chromium (apt-get install chromium)"),
        (!repo()
            .join("tools/node/node_modules/playwright-core")
            .is_dir())
        .then_some("playwright-core (npm ci in tools/node)"),
        Command::new("node")
            .arg("--version")
            .output()
            .map_or(true, |o| !o.status.success())
            .then_some("node"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if missing.is_empty() {
        return Some(script);
    }
    let message = format!(
        "dashboard test needs {} (run scripts/setup.sh)",
        missing.join(", ")
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
    eprintln!("skipped: {message}");
    None
}

fn generated(a: &ureq::Agent, s: &Server) -> u64 {
    json(&get(a, &s.url("/api/status")).1)["counters"]["generated"]
        .as_u64()
        .unwrap()
}

#[test]
fn dashboard_renders_live_counters_and_report_charts_in_chromium() {
    let Some(script) = checker() else { return };
    let dir = TempDir::new("dashboard");
    let lake = dir.path("lake");
    let s = Server::start(&[
        "--sink",
        &format!("lake:{}", lake.display()),
        "--rate",
        "800",
        "--seed",
        "7",
    ]);
    let a = agent();

    // Put some events in the lake (a stop commits it), then keep generating.
    assert_eq!(post(&a, &s.url("/start"), TOKEN).0, 200);
    poll(Duration::from_secs(30), "2000 events generated", || {
        (generated(&a, &s) >= 2000).then_some(())
    });
    assert_eq!(post(&a, &s.url("/stop"), TOKEN).0, 200);
    assert_eq!(post(&a, &s.url("/start"), TOKEN).0, 200);
    let reports = json(&get(&a, &s.url("/api/reports")).1);
    assert!(
        reports["reports"]["hourly"]
            .as_array()
            .is_some_and(|h| !h.is_empty()),
        "{reports}"
    );

    let artifacts = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let png = artifacts.join("dashboard.png");
    let _ = std::fs::remove_file(&png);
    let child = Command::new("node")
        .arg(&script)
        .arg(&s.base)
        .arg(&png)
        .env("CS_TOKEN", TOKEN)
        .env("CHROMIUM", CHROMIUM)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    let out = wait_with_deadline(child, Duration::from_secs(150));
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}{stdout}");

    let seen = json(stdout.trim());
    let charts = seen["charts"].as_object().unwrap();
    for name in [
        "throughput",
        "hourly",
        "groups",
        "funnel",
        "channels",
        "products",
        "active",
        "returning",
    ] {
        assert!(
            charts[name]["nonzero"].as_u64().unwrap() > 0,
            "{name} drew no data: {seen}"
        );
    }
    let [before, after] = [0, 1].map(|i| seen["reported_events"][i].as_u64().unwrap());
    assert!(before > 0 && after > before, "{seen}");
    let shot = std::fs::read(&png).expect("screenshot written");
    assert!(
        shot.starts_with(b"\x89PNG\r\n\x1a\n") && shot.len() > 20_000,
        "{} bytes",
        shot.len()
    );
    eprintln!("dashboard: {seen}; screenshot {}", png.display());

    let (status, _) = s.terminate();
    assert!(status.success());
}
