//! The HTTP parts end to end with real peers: `browse:` against nginx (its access log
//! proves each click arrived once with its user agent, referrer and session), `csgen
//! collect` driven by curl and wrk (malformed, oversize and slow requests among them),
//! a realistic run through `http:` and `collect` into a lake that `csgen verify`
//! accepts, and a collector secret that never reaches csgen's output.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use csgen_testkit::{Access, Fault, FaultServer, Nginx, tool};

use crate::support::{
    Server, TempDir, agent, csgen, json, poll, run, stderr, store_toml, wait_with_deadline,
};

/// `curl` with a deadline: (status, body).
fn curl(args: &[&str]) -> (u16, String) {
    let curl = tool("curl").expect("curl");
    let out = Command::new(curl)
        .args(["-s", "--max-time", "20", "-o", "-", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl runs");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    (code.trim().parse().unwrap_or(0), body.to_owned())
}

/// The requests `records` stand for, as nginx logs them, computed independently of
/// csgen's browse code: clicks that parse, in order, each with its session's previous
/// page as referrer unless it has its own.
fn expected_accesses(records: &str, base: &str) -> Vec<Access> {
    let mut last: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    for line in records.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let Some(url) = v["url"].as_str() else {
            continue;
        };
        let Some(path) = url.strip_prefix("https://webstore.demo.com") else {
            continue;
        };
        let page = format!("{base}{path}");
        let session = v["session_id"].as_str().unwrap_or("-").to_owned();
        let previous = last.insert(session.clone(), page);
        let referrer = v["referrer"]
            .as_str()
            .map(str::to_owned)
            .or(previous)
            .unwrap_or("-".into());
        out.push(Access {
            uri: path.to_owned(),
            user_agent: v["user_agent"].as_str().unwrap().to_owned(),
            referrer,
            session,
            status: 200,
        });
    }
    out.sort();
    out
}

#[test]
fn browse_requests_each_click_once_with_its_user_agent_referrer_and_session() {
    let Some(nginx) = Nginx::start(1) else { return };
    let dir = TempDir::new("browse");
    let config = store_toml();
    let args = |sink: &str| -> Vec<String> {
        [
            "generate",
            "--config",
            &config,
            "--seed",
            "3",
            "--from",
            "2026-11-02T08:00:00Z",
            "--to",
            "2026-11-02T12:00:00Z",
            "--count",
            "1500",
            "--sink",
            sink,
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let recs = dir.path("recs.jsonl");
    let out = run(&args(&format!("file:{}", recs.display()))
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>());
    assert!(out.status.success(), "{}", stderr(&out));
    let records = std::fs::read_to_string(&recs).unwrap();
    let want = expected_accesses(&records, &nginx.base());
    let malformed = 1500 - want.len() as u64;

    let sink = format!("browse:{}?connections=8", nginx.base());
    let out = run(&args(&sink).iter().map(String::as_str).collect::<Vec<_>>());
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "generated 1500, delivered {}, failed {malformed}",
            want.len()
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "csgen: requests {} (2xx {})",
            want.len(),
            want.len()
        )),
        "{err}"
    );
    assert!(err.contains("latency p50 "), "{err}");
    // Malformed records of the model's faults are failed without a request (exit 1).
    assert_eq!(out.status.success(), malformed == 0, "{err}");

    let mut got = poll(Duration::from_secs(10), "nginx logs every request", || {
        let log = nginx.access_log();
        (log.len() >= want.len()).then_some(log)
    });
    got.sort();
    assert_eq!(got.len(), want.len(), "each click requested once");
    assert_eq!(got, want);
}

#[test]
fn browse_follows_redirects_on_the_same_site_when_asked() {
    let Some(nginx) = Nginx::start(1) else { return };
    let base = format!("{}/moved", nginx.base());
    for (follow, want_log) in [("false", 20), ("true", 40)] {
        let out = run(&[
            "generate",
            "--count",
            "20",
            "--seed",
            "1",
            "--format",
            "url",
            "--sink",
            &format!("browse:{base}?follow-redirects={follow}&ok-status=2xx,3xx"),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("delivered 20, failed 0"),
            "{}",
            stderr(&out)
        );
        let class = if follow == "true" { "2xx 20" } else { "3xx 20" };
        assert!(stderr(&out).contains(class), "{}", stderr(&out));
        poll(Duration::from_secs(10), "logged", || {
            (nginx.access_log().len() >= want_log).then_some(())
        });
    }
    let log = nginx.access_log();
    assert_eq!(log.iter().filter(|a| a.status == 302).count(), 40);
    assert_eq!(log.iter().filter(|a| a.status == 200).count(), 20);
    // Refusing 3xx makes the redirect a failed click, with its status as reason.
    let out = run(&[
        "generate",
        "--count",
        "5",
        "--format",
        "url",
        "--sink",
        &format!("browse:{base}?ok-status=2xx"),
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("delivered 0, failed 5"),
        "{}",
        stderr(&out)
    );
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count())
}

#[test]
fn collect_answers_curl_and_wrk_and_refuses_bad_requests_with_the_reason() {
    let (Some(_), Some(wrk)) = (tool("curl"), tool("wrk")) else {
        return;
    };
    let dir = TempDir::new("collect-curl");
    let out = dir.path("out.jsonl");
    let token = "collector-token-7";
    let c = Server::spawn(
        "collect",
        &[
            "--sink",
            &format!("file:{}", out.display()),
            "--max-body-mib",
            "1",
            "--request-timeout",
            "2s",
        ],
        &[("CSGEN_COLLECT_TOKEN", token)],
    );
    let auth = format!("Authorization: Bearer {token}");
    let url = c.url("/collect");
    let body = dir.path("ok.ndjson");
    std::fs::write(
        &body,
        "{\"url\":\"https://s/a\",\"user_id\":1}\nhttps://s/b?userid=2\n",
    )
    .unwrap();
    let file_arg = format!("@{}", body.display());
    assert_eq!(curl(&["--data-binary", &file_arg, &url]).0, 401, "no token");
    let (code, answer) = curl(&[
        "-H",
        &auth,
        "-H",
        "Content-Type: application/x-ndjson",
        "--data-binary",
        &file_arg,
        &url,
    ]);
    assert_eq!((code, answer.as_str()), (200, "{\"accepted\":2}"));
    assert_eq!(lines(&out), 2, "delivered before the answer");

    let (code, answer) = curl(&[
        "-H",
        &auth,
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        "[{\"url\":",
        &url,
    ]);
    assert_eq!(code, 400);
    assert!(answer.contains("not a JSON array of records"), "{answer}");
    let big = dir.path("big.ndjson");
    std::fs::write(&big, "https://s/x\n".repeat(200_000)).unwrap();
    let (code, answer) = curl(&[
        "-H",
        &auth,
        "--data-binary",
        &format!("@{}", big.display()),
        &url,
    ]);
    assert_eq!(code, 413, "{answer}");
    // A body trickling in slower than the request timeout allows.
    let slow = dir.path("slow.ndjson");
    std::fs::write(&slow, "https://s/y\n".repeat(2_000)).unwrap();
    let started = Instant::now();
    let (code, answer) = curl(&[
        "-H",
        &auth,
        "--limit-rate",
        "2K",
        "--data-binary",
        &format!("@{}", slow.display()),
        &url,
    ]);
    assert_eq!(code, 408, "{answer}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let (code, _) = curl(&[
        "-H",
        &auth,
        "-A",
        "Mozilla/5.0 (curl test)",
        "-e",
        "https://ref.example/",
        &c.url("/i?url=https%3A%2F%2Fs%2Fpixel"),
    ]);
    assert_eq!(code, 200);
    let pixel: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&out)
            .unwrap()
            .lines()
            .last()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        (pixel["user_agent"].as_str(), pixel["referrer"].as_str()),
        (
            Some("Mozilla/5.0 (curl test)"),
            Some("https://ref.example/")
        )
    );

    // wrk: 8 connections for 2 s, 10 records a request; every 200 is 10 lines more.
    let script = dir.path("post.lua");
    let records: String = (0..10)
        .map(|i| format!("{{\"url\":\"https://s/w{i}\"}}\\n"))
        .collect();
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.body = \"{}\"\nwrk.headers[\"Content-Type\"] = \"application/x-ndjson\"\nwrk.headers[\"Authorization\"] = \"Bearer {token}\"\n",
            records.replace('"', "\\\"")
        ),
    )
    .unwrap();
    let before = lines(&out);
    let wrk_out = Command::new(wrk)
        .args(["-t1", "-c8", "-d2s", "--timeout", "5s", "-s"])
        .arg(&script)
        .arg(&url)
        .output()
        .expect("wrk runs");
    let report = String::from_utf8_lossy(&wrk_out.stdout);
    assert!(wrk_out.status.success(), "{report}");
    // Once every request has ended (the counts stop moving), each 200 is 10 lines; a
    // request wrk abandoned at its deadline may be delivered with its answer lost (at
    // least once), at most one per connection, never the other way round.
    let a = agent();
    let ok_answers = || {
        let mut answer = a
            .get(&c.url("/status"))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .expect("status answers");
        let status = json(&answer.body_mut().read_to_string().unwrap());
        status["answers"]["200"].as_u64().unwrap() as usize - 2 // the upload and the pixel
    };
    let mut last = (usize::MAX, usize::MAX);
    let (wrk_ok, added) = poll(Duration::from_secs(10), "the collector settles", || {
        let now = (ok_answers(), lines(&out) - before);
        let settled = now == last;
        last = now;
        std::thread::sleep(Duration::from_millis(100));
        settled.then_some(now)
    });
    assert!(wrk_ok > 50, "wrk got {wrk_ok} answers: {report}");
    assert_eq!(added % 10, 0, "whole requests only: {added}");
    assert!(
        (wrk_ok * 10..=(wrk_ok + 8) * 10).contains(&added),
        "{wrk_ok} answered requests, {added} lines: {report}"
    );
    let (code, summary) = c.terminate();
    assert!(code.success(), "{summary}");
    assert!(
        summary.contains(&format!("delivered {}", lines(&out))),
        "{summary}"
    );
}

#[test]
fn a_realistic_run_through_http_and_collect_into_a_lake_passes_verify() {
    let dir = TempDir::new("http-verify");
    let (lake, truth) = (dir.path("lake"), dir.path("truth.json"));
    let config = store_toml();
    let c = Server::spawn(
        "collect",
        &[
            "--config",
            &config,
            "--sink",
            &format!("lake:{}", lake.display()),
        ],
        &[],
    );
    let out = run(&[
        "generate",
        "--config",
        &config,
        "--seed",
        "7",
        "--from",
        "2026-11-02T00:00:00Z",
        "--to",
        "2026-11-02T03:00:00Z",
        "--truth",
        truth.to_str().unwrap(),
        "--sink",
        &format!("http:{}?gzip=true&batch-records=1000", c.url("/collect")),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let (code, summary) = c.terminate();
    assert!(code.success(), "{summary}");
    let out = crate::support::verify(&lake, &truth, &config);
    assert!(
        out.status.success(),
        "{}\n{}",
        crate::support::stdout(&out),
        stderr(&out)
    );
}

#[test]
fn a_collector_secret_is_sent_but_never_printed_or_logged() {
    const SECRET: &str = "Bearer never-printed-9f3a";
    let server = FaultServer::start(|n| if n == 0 { Fault::BadRequest } else { Fault::Ok });
    let child = csgen()
        .args(["generate", "--count", "50", "--sink"])
        .arg(format!(
            "http:{}?header-env.Authorization=CSGEN_IT_SECRET&linger=0s&batch-records=10",
            server.url("/c")
        ))
        .env("CSGEN_IT_SECRET", SECRET)
        .env("RUST_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_with_deadline(child, Duration::from_secs(60));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    assert!(!out.status.success(), "the refused batch fails the run");
    assert!(
        text.contains("HTTP 400") && text.contains("schema violation in record 3"),
        "{text}"
    );
    assert!(
        !text.contains("never-printed"),
        "the secret leaked:\n{text}"
    );
    let stored = server.stored();
    assert!(!stored.is_empty());
    assert!(stored.iter().all(|s| {
        s.headers
            .iter()
            .any(|(n, v)| n == "authorization" && v == SECRET)
    }));
}
