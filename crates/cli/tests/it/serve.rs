//! `csgen serve` through a real socket: every route, tokens, transitions, a concurrent
//! start/stop storm, SIGTERM flushing a file sink, and the realistic model live.

use std::collections::HashSet;
use std::time::Duration;

use crate::support::{Server, TOKEN, TempDir, agent, get, json, poll, post};

#[test]
fn routes_answer_as_the_original_did() {
    let s = Server::start(&["--sink", "file:/dev/null"]);
    let a = agent();

    let (code, body) = get(&a, &s.url("/info"));
    assert_eq!(code, 200);
    assert!(json(&body)["info"].as_str().unwrap().contains("/start"));

    let (code, body) = get(&a, &s.url("/"));
    assert_eq!(code, 200);
    assert!(body.contains("<h1>csgen</h1>") && body.contains("Authorization: Bearer"));

    let (code, body) = get(&a, &s.url("/nope"));
    assert_eq!(code, 404);
    assert_eq!(body, "Not Found. Use /info for information.");

    let (code, body) = get(&a, &s.url(&format!("/status?token={TOKEN}")));
    assert_eq!(code, 200, "{body}");
    assert_eq!(json(&body)["state"], "stopped", "the server starts stopped");

    let (code, body) = get(&a, &s.url(&format!("/stop?token={TOKEN}")));
    assert_eq!(
        (code, json(&body)),
        (409, serde_json::json!({"error": "Server already stopped"}))
    );

    let (code, body) = get(&a, &s.url(&format!("/start?token={TOKEN}")));
    assert_eq!(
        (code, json(&body)),
        (200, serde_json::json!({"state": "running"}))
    );

    let (code, body) = get(&a, &s.url(&format!("/start?token={TOKEN}")));
    assert_eq!(
        (code, json(&body)),
        (409, serde_json::json!({"error": "Server already running"}))
    );

    let status = json(&get(&a, &s.url(&format!("/status?token={TOKEN}"))).1);
    assert_eq!(status["state"], "running");
    assert_eq!(status["rate"], 3.0);
    for key in ["generated", "delivered", "failed", "in_flight"] {
        assert!(status["counters"][key].is_u64(), "{key} in {status}");
    }

    let (code, body) = post(&a, &s.url("/rate?rate=250"), TOKEN);
    assert_eq!(
        (code, json(&body)),
        (200, serde_json::json!({"rate": 250.0}))
    );
    let (code, _) = post(&a, &s.url("/rate?rate=-1"), TOKEN);
    assert_eq!(code, 400);

    let (code, body) = post(&a, &s.url("/stop"), TOKEN);
    assert_eq!(
        (code, json(&body)),
        (200, serde_json::json!({"state": "stopped"}))
    );
    let (code, body) = post(&a, &s.url("/start"), TOKEN);
    assert_eq!(
        (code, json(&body)),
        (200, serde_json::json!({"state": "running"}))
    );

    let (code, metrics) = get(&a, &s.url("/metrics"));
    assert_eq!(code, 200);
    for name in [
        "csgen_events_generated_total",
        "csgen_events_delivered_total",
        "csgen_events_failed_total",
        "csgen_rate_target 250",
        "csgen_rate_achieved",
        "csgen_running 1",
    ] {
        assert!(metrics.contains(name), "{name} missing in:\n{metrics}");
    }
}

#[test]
fn wrong_or_missing_token_is_401() {
    let s = Server::start(&["--sink", "file:/dev/null"]);
    let a = agent();
    let wrong = serde_json::json!({"error": "Wrong token"});
    for path in [
        "/status",
        "/start",
        "/stop",
        "/rate?rate=5",
        "/status?token=",
        "/start?token=nope",
    ] {
        let (code, body) = get(&a, &s.url(path));
        assert_eq!((code, json(&body)), (401, wrong.clone()), "{path}");
    }
    let (code, body) = post(&a, &s.url("/start"), "nope");
    assert_eq!((code, json(&body)), (401, wrong));
    let status = json(&get(&a, &s.url(&format!("/status?token={TOKEN}"))).1);
    assert_eq!(status["state"], "stopped", "refused calls change nothing");
}

#[test]
fn concurrent_start_stop_storm_never_runs_two_generators() {
    let dir = TempDir::new("storm");
    let out = dir.path("storm.jsonl");
    let s = Server::start(&[
        "--sink",
        &format!("file:{}", out.display()),
        "--rate",
        "5000",
    ]);
    let base = s.base.clone();
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let base = base.clone();
            std::thread::spawn(move || {
                let a = agent();
                let mut results = Vec::new();
                for i in 0..30 {
                    let action = if (t + i) % 2 == 0 { "start" } else { "stop" };
                    let (code, body) = post(&a, &format!("{base}/{action}"), TOKEN);
                    results.push((action, code, body));
                }
                results
            })
        })
        .collect();
    let (mut starts, mut stops) = (0i64, 0i64);
    for h in handles {
        for (action, code, body) in h.join().unwrap() {
            match (action, code) {
                ("start", 200) => starts += 1,
                ("stop", 200) => stops += 1,
                // A transition meeting a stop still flushing is refused too.
                ("start", 409) => assert!(
                    body.contains("already running") || body.contains("is stopping"),
                    "{body}"
                ),
                ("stop", 409) => assert!(
                    body.contains("already stopped") || body.contains("is stopping"),
                    "{body}"
                ),
                _ => panic!("{action}: unexpected {code} {body}"),
            }
        }
    }
    // Transitions are serialised, so successful starts and stops alternate.
    let a = agent();
    let state = json(&get(&a, &s.url(&format!("/status?token={TOKEN}"))).1)["state"].clone();
    match starts - stops {
        0 => assert_eq!(state, "stopped"),
        1 => assert_eq!(state, "running"),
        d => panic!("{starts} starts and {stops} stops cannot alternate (difference {d})"),
    }
    assert!(starts >= 1, "at least one start succeeded in 240 calls");
    if state == "running" {
        post(&a, &s.url("/stop"), TOKEN);
    }
    let status = json(&get(&a, &s.url(&format!("/status?token={TOKEN}"))).1);
    let delivered = status["counters"]["delivered"].as_u64().unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let ids: HashSet<&str> = text.lines().map(|l| &l[14..50]).collect();
    assert_eq!(text.lines().count() as u64, delivered);
    assert_eq!(ids.len() as u64, delivered, "no event was generated twice");
}

#[test]
fn sigterm_stops_flushes_the_file_sink_and_exits_0() {
    let dir = TempDir::new("sigterm");
    let out = dir.path("clicks.jsonl");
    let s = Server::start(&[
        "--sink",
        &format!("file:{}", out.display()),
        "--rate",
        "20000",
    ]);
    let a = agent();
    assert_eq!(post(&a, &s.url("/start"), TOKEN).0, 200);
    poll(Duration::from_secs(20), "2000 events generated", || {
        let status = json(&get(&a, &s.url(&format!("/status?token={TOKEN}"))).1);
        (status["counters"]["generated"].as_u64().unwrap() >= 2000).then_some(())
    });
    let (exit, rest) = s.terminate();
    assert!(exit.success(), "exit status {exit:?}, stderr: {rest}");
    let summary = rest
        .lines()
        .find(|l| l.contains("generated "))
        .expect("a summary line");
    let numbers: Vec<u64> = summary
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    let (generated, delivered, failed) = (numbers[0], numbers[1], numbers[2]);
    assert_eq!((generated, failed), (delivered, 0), "{summary}");
    let lines = std::fs::read_to_string(&out).unwrap().lines().count() as u64;
    assert_eq!(
        lines, delivered,
        "every generated click is in the file: {summary}"
    );
}

#[test]
fn an_old_token_as_hash_alone_is_refused_with_the_fix() {
    let dir = TempDir::new("legacy");
    let path = dir.path("old.properties");
    std::fs::write(
        &path,
        format!(
            "{}\ntoken-as-hash=-1234567\n",
            csgen_model::config::DEFAULT_PROPERTIES
        ),
    )
    .unwrap();
    let out = crate::support::csgen()
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--config",
            path.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("token-as-hash") && err.contains("csgen token-hash"),
        "{err}"
    );
}

#[test]
fn token_hash_prints_the_config_line() {
    use std::io::Write;
    let mut child = crate::support::csgen()
        .arg("token-hash")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"abc\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        "token-sha256=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

/// A realistic-model configuration busy enough to show events within a second at
/// any hour of the day.
fn busy_store_toml(dir: &TempDir) -> String {
    let path = dir.path("busy.toml");
    std::fs::write(
        &path,
        "[store]\nsessions_per_day = 5000000\n[customers]\ncount = 100000\n",
    )
    .unwrap();
    path.display().to_string()
}

#[test]
fn serve_runs_the_realistic_model_live_and_refuses_to_set_its_rate() {
    let dir = TempDir::new("serve-realistic");
    let out = dir.path("clicks.jsonl");
    let config = busy_store_toml(&dir);
    let s = Server::start(&[
        "--config",
        &config,
        "--sink",
        &format!("file:{}", out.display()),
    ]);
    let a = agent();
    let status = json(&get(&a, &s.url(&format!("/status?token={TOKEN}"))).1);
    assert_eq!(
        (&status["state"], &status["model"]),
        (&"stopped".into(), &"realistic".into())
    );
    let mean = status["rate"].as_f64().unwrap();
    assert!(mean > 100.0, "the profile's mean rate: {status}");

    let started_ms = chrono_now_ms();
    assert_eq!(post(&a, &s.url("/start"), TOKEN).0, 200);
    let (code, body) = post(&a, &s.url("/rate?rate=5"), TOKEN);
    assert_eq!(code, 409, "{body}");
    assert!(
        json(&body)["error"]
            .as_str()
            .unwrap()
            .contains("realistic model"),
        "{body}"
    );
    poll(Duration::from_secs(20), "live events", || {
        let status = json(&get(&a, &s.url(&format!("/status?token={TOKEN}"))).1);
        (status["counters"]["generated"].as_u64().unwrap() >= 50).then_some(())
    });
    let (code, body) = post(&a, &s.url("/stop"), TOKEN);
    assert_eq!(
        (code, json(&body)),
        (200, serde_json::json!({"state": "stopped"}))
    );
    let status = json(&get(&a, &s.url(&format!("/status?token={TOKEN}"))).1);
    assert_eq!(
        status["rate"].as_f64().unwrap(),
        mean,
        "the rate did not change"
    );
    let delivered = status["counters"]["delivered"].as_u64().unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        text.lines().count() as u64,
        delivered,
        "stopped means flushed"
    );
    // Live: every event happened between the start and now, by the wall clock.
    let now_ms = chrono_now_ms();
    for line in text.lines() {
        let ts = json(line)["ts"].as_str().unwrap().to_owned();
        let ms = chrono::DateTime::parse_from_rfc3339(&ts)
            .unwrap()
            .timestamp_millis();
        assert!(ms >= started_ms - 1000 && ms <= now_ms, "{ts} is not live");
    }
}

#[test]
fn serve_refuses_a_rate_for_the_realistic_model() {
    let dir = TempDir::new("serve-realistic-rate");
    let config = busy_store_toml(&dir);
    let out = crate::support::csgen()
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--rate",
            "5",
            "--config",
            &config,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--rate") && err.contains("sessions_per_day"),
        "{err}"
    );
}

fn chrono_now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
