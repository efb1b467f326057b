//! The backfill Job of deploy/kubernetes/backfill-job.yaml, simulated on this machine:
//! its pods as local processes with the Job's own arguments and the environment the Job
//! gives each pod (JOB_COMPLETION_INDEX, the manifest's env), all into one lake. One
//! shard is killed twice — once with files staged, once with files committed but its
//! ground truth not yet written — and run again, as backoffLimitPerIndex would. The
//! lake must then hold exactly the unsharded run's events, and `csgen verify` must pass
//! against the shards' merged ground truth.

use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::deploy::{args, yaml_documents};
use crate::support::{TempDir, csgen, run, stderr, stdout, store_toml, wait_with_deadline};

/// A short window, so that 16 debug-build processes take seconds.
const FROM: &str = "2026-11-02T18:00:00Z";
const TO: &str = "2026-11-02T20:00:00Z";
/// The shard killed and rerun (0-based, as the Job counts).
const VICTIM: u64 = 5;

/// A pod of the Job: its arguments with the cluster's paths replaced by local ones.
struct Job {
    args: Vec<String>,
    env: Vec<(String, String)>,
    completions: u64,
    parallelism: usize,
}

fn job(lake: &Path, truth: &Path) -> Option<Job> {
    let docs = yaml_documents(&crate::deploy::path("kubernetes/backfill-job.yaml"))?;
    let job = &docs[0];
    let local = |a: &str| -> String {
        let (key, _) = a.split_once('=').unwrap_or((a, ""));
        match key {
            "--config" => format!("--config={}", store_toml()),
            "--from" => format!("--from={FROM}"),
            "--to" => format!("--to={TO}"),
            "--sink" => format!("--sink=lake:{}", lake.display()),
            "--truth" => format!(
                "--truth={}/shard-$(JOB_COMPLETION_INDEX).json",
                truth.display()
            ),
            _ => a.to_owned(),
        }
    };
    let env = job["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| {
            Some((
                e["name"].as_str()?.to_owned(),
                e["value"].as_str()?.to_owned(),
            ))
        })
        .collect();
    Some(Job {
        args: args(job).iter().map(|a| local(a)).collect(),
        env,
        completions: job["spec"]["completions"].as_u64().unwrap(),
        parallelism: usize::try_from(job["spec"]["parallelism"].as_u64().unwrap())
            .unwrap()
            .min(4),
    })
}

impl Job {
    /// Starts the pod of `index`: the Job's environment only, and `$(VAR)` in the
    /// arguments expanded as the kubelet does.
    fn pod(&self, index: u64) -> Child {
        let index = index.to_string();
        let mut cmd = csgen();
        cmd.env_clear()
            .env("JOB_COMPLETION_INDEX", &index)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .args(
                self.args
                    .iter()
                    .map(|a| a.replace("$(JOB_COMPLETION_INDEX)", &index)),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().expect("csgen runs")
    }
}

/// Files under `dir` (recursively) whose name satisfies `f`.
fn files(dir: &Path, f: &dyn Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if f(&e.file_name().to_string_lossy()) {
                out.push(p);
            }
        }
    }
    out
}

/// Runs the victim's pod and SIGKILLs it as soon as `ready` sees the lake in the state
/// to kill it in; tries again (each attempt replacing the last) until the kill lands
/// while the pod still runs. Returns the lake files the killed attempt left.
fn kill_when(job: &Job, lake: &Path, what: &str, ready: &dyn Fn() -> usize) -> usize {
    for _ in 0..8 {
        let mut pod = job.pod(VICTIM);
        let deadline = Instant::now() + Duration::from_secs(60);
        let left = loop {
            let n = ready();
            if n > 0 {
                pod.kill().unwrap();
                break n;
            }
            if pod.try_wait().unwrap().is_some() || Instant::now() > deadline {
                break 0;
            }
            std::thread::sleep(Duration::from_micros(200));
        };
        let status = wait_with_deadline(pod, Duration::from_secs(60)).status;
        if status.signal() == Some(9) && left > 0 {
            eprintln!(
                "shard {VICTIM} killed {what}: {left} files left in {}",
                lake.display()
            );
            return left;
        }
    }
    panic!("could not kill shard {VICTIM} {what} in 8 attempts");
}

fn ids(lake: &Path) -> String {
    let out = run(&[
        "query",
        "--lake",
        lake.to_str().unwrap(),
        "--format",
        "csv",
        "SELECT event_id, event_time, event_type FROM events ORDER BY event_id, event_time",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn an_indexed_job_with_a_killed_and_rerun_shard_lands_exactly_the_unsharded_run() {
    let dir = TempDir::new("indexed-job");
    let (lake, truths) = (dir.path("lake"), dir.path("truth"));
    std::fs::create_dir_all(&truths).unwrap();
    let Some(job) = job(&lake, &truths) else {
        return;
    };
    assert!(job.completions >= 4, "the Job runs at least 4 shards");

    // Attempt 1 dies with files staged, attempt 2 with files committed (and no ground
    // truth written): without replacing earlier attempts, the rerun would duplicate.
    let staging = lake.join("_csgen/staging");
    kill_when(&job, &lake, "while staging its files", &|| {
        files(&staging, &|_| true).len()
    });
    let events = lake.join("events");
    let committed = kill_when(&job, &lake, "after committing its files", &|| {
        files(&events, &|n| n.ends_with(".parquet")).len()
    });
    assert!(committed > 0);
    assert!(
        !truths.join(format!("shard-{VICTIM}.json")).exists(),
        "a killed attempt writes no ground truth"
    );

    // Every index, `parallelism` at a time (at most 4 here), the victim's rerun among them.
    let started = Instant::now();
    let mut queue: Vec<u64> = (0..job.completions).rev().collect();
    let mut running: Vec<(u64, Child)> = Vec::new();
    while !queue.is_empty() || !running.is_empty() {
        while running.len() < job.parallelism {
            let Some(i) = queue.pop() else { break };
            running.push((i, job.pod(i)));
        }
        let (i, pod) = running.remove(0);
        let out = wait_with_deadline(pod, Duration::from_secs(120));
        assert!(out.status.success(), "shard {i}: {}", stderr(&out));
    }
    eprintln!("{} shards in {:.1?}", job.completions, started.elapsed());
    assert!(
        files(&staging, &|_| true).is_empty(),
        "no staged file is left"
    );

    // The unsharded run, with the same arguments but no --shard, into another lake.
    let whole = dir.path("whole");
    let whole_truth = dir.path("whole-truth.json");
    let mut args: Vec<String> = job
        .args
        .iter()
        .filter(|a| {
            !a.starts_with("--shard") && !a.starts_with("--sink") && !a.starts_with("--truth")
        })
        .cloned()
        .collect();
    args.push(format!("--sink=lake:{}", whole.display()));
    args.push(format!("--truth={}", whole_truth.display()));
    let out = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success(), "{}", stderr(&out));

    let (sharded, unsharded) = (ids(&lake), ids(&whole));
    assert!(
        unsharded.lines().count() > 1000,
        "a real run: {} rows",
        unsharded.lines().count()
    );
    assert!(
        sharded == unsharded,
        "the shards' lake differs from the unsharded run's"
    );

    // One ground truth for the 16 shards: it merges into the unsharded run's.
    let truth_files = files(&truths, &|n| n.ends_with(".json"));
    assert_eq!(truth_files.len() as u64, job.completions);
    let parts: Vec<(String, csgen_model::Manifest)> = truth_files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            (
                f.display().to_string(),
                csgen_model::Manifest::from_json(&text).unwrap(),
            )
        })
        .collect();
    let merged = csgen_model::run::merge(&parts).unwrap();
    let reference =
        csgen_model::Manifest::from_json(&std::fs::read_to_string(&whole_truth).unwrap()).unwrap();
    assert_eq!(
        (merged.records, merged.events),
        (reference.records, reference.events)
    );
    assert_eq!(merged.hours, reference.hours);
    assert_eq!(merged.faults, reference.faults);
    assert_eq!(merged.run, reference.run);

    let (lake_s, truths_s, config) = (
        lake.display().to_string(),
        truths.display().to_string(),
        store_toml(),
    );
    let out = run(&[
        "verify", "--lake", &lake_s, "--truth", &truths_s, "--config", &config,
    ]);
    assert!(
        out.status.success(),
        "verify: {}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("16 manifests"), "{}", stdout(&out));

    // Without the victim's manifest, its events are strays and the gap is named.
    let fifteen: Vec<String> = truth_files
        .iter()
        .filter(|f| !f.ends_with(format!("shard-{VICTIM}.json")))
        .map(|f| f.display().to_string())
        .collect();
    let mut args = vec!["verify", "--lake", &lake_s, "--truth"];
    args.extend(fifteen.iter().map(String::as_str));
    let out = run(&args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("missing {}/16", VICTIM + 1)),
        "{}",
        stderr(&out)
    );

    // The unsharded run's manifest is not a 17th shard: refused, exit 2.
    let whole_s = whole_truth.display().to_string();
    let out = run(&["verify", "--lake", &lake_s, "--truth", &truths_s, &whole_s]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("splits the run in 1"),
        "{}",
        stderr(&out)
    );
}

/// A Job counts a pod that exits 0 as done: a backfill stopped by SIGTERM (a drained
/// node, a deleted pod) must not exit 0, or its index would never be run again.
#[test]
fn a_backfill_stopped_by_sigterm_exits_1_so_that_the_job_runs_it_again() {
    let dir = TempDir::new("sigterm-backfill");
    let out = dir.path("clicks.jsonl");
    let config = store_toml();
    let pod = csgen()
        .args([
            "generate",
            "--config",
            &config,
            "--seed",
            "1",
            "--from",
            "2026-11-01",
            "--to",
            "2026-12-01",
            "--output",
            out.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Once records arrive the run is under way (and its signal handler installed).
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::metadata(&out).map_or(0, |m| m.len()) == 0 {
        assert!(Instant::now() < deadline, "no records within 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    let term = std::process::Command::new("kill")
        .args(["-TERM", &pod.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let done = wait_with_deadline(pod, Duration::from_secs(60));
    assert_eq!(done.status.code(), Some(1), "{}", stderr(&done));
    assert!(
        stderr(&done).contains("the run is incomplete"),
        "{}",
        stderr(&done)
    );
    // Nor does it leave a ground truth that would make part of a shard look whole.
    assert!(!dir.path("clicks.jsonl.truth.json").exists());
}
