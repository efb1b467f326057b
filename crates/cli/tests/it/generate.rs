//! `csgen generate`: determinism, shards, formats, bounds, exit codes, pacing.

use std::collections::HashSet;

use crate::support::{TempDir, csgen, run, stderr, stdout};

const START: &str = "2026-11-01T00:00:00Z";

fn generate(extra: &[&str]) -> String {
    let mut args = vec!["generate", "--seed", "42", "--start", START];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(
        out.status.success(),
        "csgen {args:?} failed: {}",
        stderr(&out)
    );
    stdout(&out)
}

#[test]
fn same_seed_gives_byte_identical_output_whatever_the_threads() {
    let one = generate(&["-n", "50000", "--threads", "1"]);
    assert_eq!(one.lines().count(), 50_000);
    for threads in ["2", "3", "8"] {
        assert!(
            one == generate(&["-n", "50000", "--threads", threads]),
            "threads={threads} differs"
        );
    }
    let other_seed = run(&["generate", "--seed", "43", "--start", START, "-n", "50000"]);
    assert_ne!(one, stdout(&other_seed));
}

#[test]
fn shards_together_emit_the_unsharded_stream_once() {
    let whole = generate(&["-n", "30001", "--format", "json"]);
    let whole: HashSet<&str> = whole.lines().collect();
    assert_eq!(
        whole.len(),
        30_001,
        "every record (and so every event id) is distinct"
    );
    let mut union = Vec::new();
    let shards: Vec<String> = (1..=3)
        .map(|i| generate(&["-n", "30001", "--shard", &format!("{i}/3")]))
        .collect();
    for s in &shards {
        union.extend(s.lines());
    }
    assert_eq!(union.len(), 30_001);
    assert_eq!(union.into_iter().collect::<HashSet<_>>(), whole);
    let ids: HashSet<String> = shards
        .iter()
        .flat_map(|s| s.lines())
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["event_id"].to_string())
        .collect();
    assert_eq!(ids.len(), 30_001, "no duplicate event ids across shards");
}

#[test]
fn url_format_is_the_originals_payload() {
    let out = generate(&["-n", "2000", "--format", "url"]);
    for line in out.lines() {
        let rest = line
            .strip_prefix("https://webstore.demo.com/api/group/")
            .expect(line);
        let (path, user) = rest.split_once("?userid=").expect(line);
        let user: u64 = user.parse().expect(line);
        assert!((1..=100).contains(&user), "{line}");
        match path.split_once("/product/") {
            Some((g, p)) => {
                let p: u64 = p.parse().unwrap();
                match g {
                    "1" => assert!((2001..=2100).contains(&p), "{line}"),
                    "2" => assert!((1..=1000).contains(&p), "{line}"),
                    _ => panic!("unknown group in {line}"),
                }
            }
            None => assert!(path == "1" || path == "2", "{line}"),
        }
    }
}

#[test]
fn json_records_have_id_time_url_and_user() {
    let out = generate(&["-n", "4", "--format", "json"]);
    let first: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["ts"], "2026-11-01T00:00:00.000Z");
    assert!(first["url"].as_str().unwrap().contains("?userid="));
    assert!(first["user_id"].is_u64());
    assert_eq!(first["event_id"].as_str().unwrap().len(), 36);
    // The default rate is 3 clicks/s, so event times are a third of a second apart.
    let fourth: serde_json::Value = serde_json::from_str(out.lines().nth(3).unwrap()).unwrap();
    assert_eq!(fourth["ts"], "2026-11-01T00:00:01.000Z");
}

#[test]
fn file_sink_appends_and_summary_accounts_for_every_event() {
    let dir = TempDir::new("gen-file");
    let path = dir.path("out.jsonl");
    let spec = format!("file:{}", path.display());
    for _ in 0..2 {
        let out = run(&["generate", "-n", "1234", "--sink", &spec]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            stderr(&out).contains("generated 1234, delivered 1234, failed 0"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(
        std::fs::read_to_string(&path).unwrap().lines().count(),
        2468
    );
}

#[test]
fn bad_config_exits_2_naming_key_and_line() {
    let dir = TempDir::new("gen-badcfg");
    let path = dir.path("bad.properties");
    let text = csgen_model::config::DEFAULT_PROPERTIES
        .replace("customer-id-max=100", "customer-id-max=abc");
    std::fs::write(&path, text).unwrap();
    let out = run(&["generate", "-n", "1", "--config", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("key `customer-id-max`") && err.contains("line 9"),
        "{err}"
    );
    assert!(
        err.contains(path.to_str().unwrap()),
        "the error names the file: {err}"
    );

    let missing = run(&["check", "--config", "/nonexistent/csgen.properties"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("/nonexistent/csgen.properties"));
}

#[test]
fn config_comes_from_cs_config_file() {
    let dir = TempDir::new("gen-env");
    let path = dir.path("store.properties");
    let text = csgen_model::config::DEFAULT_PROPERTIES
        .replace("https://webstore.demo.com", "http://shop.example");
    std::fs::write(&path, text).unwrap();
    let out = crate::support::csgen()
        .args(["generate", "-n", "3", "--format", "url"])
        .env("CS_CONFIG_FILE", &path)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        stdout(&out)
            .lines()
            .all(|l| l.starts_with("http://shop.example/api/group/"))
    );
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        &["generate", "--rate", "0"][..],
        &["generate", "--shard", "3/2"],
        &["generate", "--format", "xml"],
        &["generate", "--sink", "nowhere:x"],
        &["generate", "--duration", "soon"],
    ] {
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn closed_pipe_ends_the_run_quietly() {
    use std::io::Read;
    let mut child = crate::support::csgen()
        .args(["generate", "--format", "url"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 4096];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut first)
        .unwrap();
    drop(child.stdout.take());
    let out = crate::support::wait_with_deadline(child, std::time::Duration::from_secs(30));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("output closed by the reader"),
        "{}",
        stderr(&out)
    );
}

/// A functional check with generous bounds; precise figures are in the benchmark.
#[test]
fn paced_run_meets_the_target_rate_within_2_percent() {
    let out = run(&[
        "generate",
        "--rate",
        "2000",
        "--duration",
        "2s",
        "--format",
        "url",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let n = stdout(&out).lines().count() as f64;
    assert!(
        (n - 4000.0).abs() <= 80.0,
        "expected 4000 ± 2 % events in 2 s at 2000/s, got {n}"
    );
}

// Issue 15: `--rate 1e-20 -n 1` panicked (exit 101) and `--rate 1e308` spun; both are
// usage errors that state the accepted range.
#[test]
fn rate_1e_minus_20_is_a_usage_error_with_the_range_not_a_panic() {
    for rate in ["1e-20", "1e308", "NaN", "-1"] {
        // `--rate=-1`: as a separate word clap would read `-1` as a flag.
        let args = ["generate", &format!("--rate={rate}"), "-n", "1"];
        usage_error_saying(&args, &["outside the accepted range 0.001 to 100000000"]);
    }
}

#[test]
fn clicks_per_second_outside_the_rate_range_names_key_and_line() {
    let dir = TempDir::new("gen-rate-cfg");
    let path = dir.path("slow.properties");
    let text = csgen_model::config::DEFAULT_PROPERTIES
        .replace("clicks-per-second=3", "clicks-per-second=1e-20");
    assert_ne!(text, csgen_model::config::DEFAULT_PROPERTIES);
    std::fs::write(&path, text).unwrap();
    usage_error_saying(
        &["generate", "-n", "1", "--config", path.to_str().unwrap()],
        &["key `clicks-per-second`", "outside the accepted range"],
    );
}

// Issue 15: `--threads 1000000` panicked trying to start a million threads.
#[test]
fn a_million_threads_is_a_usage_error_not_a_panic() {
    usage_error_saying(
        &["generate", "--threads", "1000000", "-n", "10"],
        &["from 0 (one per core) to 256"],
    );
}

/// Runs csgen with `args` and checks it exits 2 (a usage error) with every one of
/// `needles` in its error output.
fn usage_error_saying(args: &[&str], needles: &[&str]) {
    let out = run(args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    for needle in needles {
        assert!(err.contains(needle), "{args:?}: no {needle:?} in {err}");
    }
}

/// A realistic backfill into a file with its truth, with `--threads N`.
fn realistic_backfill(dir: &TempDir, threads: &str) -> (Vec<u8>, String) {
    let out_path = dir.path(&format!("t{threads}.jsonl"));
    let store = crate::support::store_toml();
    let out = run(&[
        "generate",
        "--config",
        &store,
        "--seed",
        "1",
        "--from",
        "2026-10-01",
        "--to",
        "2026-10-01T18:00:00Z",
        "--threads",
        threads,
        "-o",
        out_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let records = std::fs::read(&out_path).unwrap();
    let truth = std::fs::read_to_string(dir.path(&format!("t{threads}.jsonl.truth.json"))).unwrap();
    (records, truth)
}

#[test]
fn a_realistic_backfill_is_byte_identical_whatever_the_threads() {
    let dir = TempDir::new("gen-realistic-threads");
    let (one, truth) = realistic_backfill(&dir, "1");
    assert!(one.len() > 4_000_000, "18 hours of the example store");
    for threads in ["2", "3"] {
        let (other, other_truth) = realistic_backfill(&dir, threads);
        assert!(one == other, "--threads {threads} changed the records");
        assert_eq!(truth, other_truth, "--threads {threads} changed the truth");
    }
}

// `-o /dev/null` used to put the ground truth beside it, as /dev/null.truth.json.
#[test]
fn no_truth_is_written_beside_dev_null() {
    let store = crate::support::store_toml();
    let out = run(&[
        "generate",
        "--config",
        &store,
        "--seed",
        "1",
        "--from",
        "2026-10-01",
        "--to",
        "2026-10-01T01:00:00Z",
        "-o",
        "/dev/null",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("ground truth"), "{}", stderr(&out));
}

#[test]
fn a_truth_file_named_without_a_folder_is_written_and_the_run_succeeds() {
    // `--truth truth.json` wrote the file, then failed syncing the folder "" (the
    // parent of a bare file name) with "No such file or directory".
    let dir = TempDir::new("bare-truth");
    let out = csgen()
        .current_dir(&dir.0)
        .args([
            "generate",
            "--config",
            &crate::support::store_toml(),
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-01T01:00:00Z",
            "-o",
            "clicks.jsonl",
            "--truth",
            "truth.json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let truth = std::fs::read_to_string(dir.path("truth.json")).unwrap();
    assert!(truth.contains("\"events\""), "{truth}");
}
