//! `csgen enrich --from kafka:BROKERS/TOPIC?group=NAME`: a consumer group into the lake,
//! on a real broker (tansu on 127.0.0.1), through the `csgen` binary: exactly once
//! across `kill -9` and a restart, two members of one group with one killed mid-run, a
//! realistic run through the kafka: sink that passes `csgen verify`, and bad inputs.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use csgen_testkit::{KafkaClient, Server};

use crate::support::{
    TempDir, csgen, duckdb_counts, poll, run, stderr, stdout, store_toml, wait_with_deadline,
};

/// The broker and the independent client, or `None` (a failure in CI) without them.
fn broker() -> Option<(Server, KafkaClient)> {
    let server = Server::kafka()?;
    let client = KafkaClient::new(&server.bootstrap())?;
    Some((server, client))
}

/// Writes `count` classic-model JSON clicks (seed 3) to `topic`, keyed by user.
fn produce(broker: &Server, topic: &str, count: u64, extra: &[&str]) -> Command {
    let mut cmd = csgen();
    let sink = format!("kafka:{}/{topic}?key=user", broker.bootstrap());
    cmd.args(["generate", "--count", &count.to_string(), "--seed", "3"])
        .args(["--format", "json", "--sink", &sink])
        .args(extra);
    cmd
}

fn produced(cmd: &mut Command) {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = wait_with_deadline(child, Duration::from_secs(60));
    assert!(out.status.success(), "generate: {}", stderr(&out));
}

/// `csgen enrich` from the group into `lake`, its output piped; members of a test
/// leave a dead member's partitions after 6 s (tansu's and Kafka's shortest session).
fn member(broker: &Server, topic: &str, group: &str, lake: &Path, query: &str) -> Command {
    let mut cmd = csgen();
    cmd.args(["enrich", "--from"])
        .arg(format!(
            "kafka:{}/{topic}?group={group}{query}",
            broker.bootstrap()
        ))
        .arg("--to")
        .arg(format!("lake:{}?max-buffer-mib=1", lake.display()))
        .env("CSGEN_KAFKA_SESSION_TIMEOUT_MS", "6000")
        .env("CSGEN_KAFKA_HEARTBEAT_INTERVAL_MS", "500")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// A child killed (SIGKILL) if the test ends first.
struct Killed(Option<Child>);

impl Killed {
    fn kill9(&mut self) {
        if let Some(mut c) = self.0.take() {
            c.kill().unwrap(); // SIGKILL
            c.wait().unwrap();
        }
    }

    fn finish(&mut self, limit: Duration) -> Output {
        wait_with_deadline(self.0.take().expect("running"), limit)
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Partitions with a lake checkpoint of `group`, and the offsets they hold.
fn checkpointed(lake: &Path, topic: &str, group: &str) -> Vec<u64> {
    let dir = lake.join("_csgen/checkpoints");
    let prefix = format!("kafka-{topic}-{group}-p");
    let mut offsets = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten() {
        let e = e.unwrap();
        if !e.file_name().to_string_lossy().starts_with(&prefix) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        let Ok(cp) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue; // being replaced
        };
        offsets.push(cp["source"]["offset"].as_u64().unwrap_or(0));
    }
    offsets
}

fn count_and_distinct(lake: &Path) -> (u64, u64) {
    let c = duckdb_counts(lake, "count(*), count(distinct event_id)");
    (c[0], c[1])
}

#[test]
fn kafka_source_is_exactly_once_across_kill_9_and_a_restart() {
    let Some((server, client)) = broker() else {
        return;
    };
    client.create_topic("k9", 4, &[]);
    produced(&mut produce(&server, "k9", 20_000, &[]));
    let dir = TempDir::new("kafka-k9");
    let lake = dir.path("lake");

    // No age flush: only the 1 MiB size flushes commit, so a tail is always buffered
    // (uncommitted) when the member is killed.
    let mut first = Killed(Some(
        member(&server, "k9", "g", &lake, "")
            .args(["--max-age", "1h"])
            .spawn()
            .unwrap(),
    ));
    poll(Duration::from_secs(60), "a first lake commit", || {
        (checkpointed(&lake, "k9", "g").iter().sum::<u64>() > 0).then_some(())
    });
    first.kill9();
    // Committed at the kill (the checkpoints; their files may still be staged, when the
    // kill came between a checkpoint and its moves): part of the topic, not all.
    let before: u64 = checkpointed(&lake, "k9", "g").iter().sum();
    assert!(
        before > 0 && before < 20_000,
        "killed mid-run with part committed: {before}"
    );

    let out = Killed(Some(
        member(&server, "k9", "g", &lake, "&until-idle=3s")
            .spawn()
            .unwrap(),
    ))
    .finish(Duration::from_secs(90));
    assert!(out.status.success(), "restart: {}", stderr(&out));
    assert_eq!(
        count_and_distinct(&lake),
        (20_000, 20_000),
        "every click exactly once"
    );
    let offsets = checkpointed(&lake, "k9", "g");
    assert_eq!(offsets.len(), 4, "a checkpoint per partition");
    assert_eq!(offsets.iter().sum::<u64>(), 20_000);
    // Kafka hears the lake's offsets too, for lag tools.
    let kafka: i64 = client.committed("k9", "g").values().sum();
    assert_eq!(kafka, 20_000);
}

#[test]
fn two_members_of_one_group_with_one_killed_mid_run_land_every_event_once() {
    let Some((server, client)) = broker() else {
        return;
    };
    client.create_topic("two", 4, &[]);
    let dir = TempDir::new("kafka-two");
    let lake = dir.path("lake");
    // Produced while both members read: 24,000 clicks over about 6 s.
    let mut producer = Killed(Some(
        produce(&server, "two", 24_000, &["--rate", "4000"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    ));
    let members = "&until-idle=15s";
    let mut a = Killed(Some(
        member(&server, "two", "g2", &lake, members)
            .args(["--max-age", "500ms"])
            .spawn()
            .unwrap(),
    ));
    let mut b = Killed(Some(
        member(&server, "two", "g2", &lake, members)
            .args(["--max-age", "500ms"])
            .spawn()
            .unwrap(),
    ));
    // Both have joined and committed once the four partitions have checkpoints (or
    // the producer is half-way, whichever comes later).
    let started = Instant::now();
    poll(
        Duration::from_secs(60),
        "checkpoints of all four partitions",
        || {
            (checkpointed(&lake, "two", "g2").len() == 4
                && started.elapsed() > Duration::from_secs(3))
            .then_some(())
        },
    );
    a.kill9();
    let (at_kill, _) = count_and_distinct(&lake);
    let out = producer.finish(Duration::from_secs(60));
    assert!(out.status.success(), "producer: {}", stderr(&out));
    let out = b.finish(Duration::from_secs(120));
    assert!(out.status.success(), "survivor: {}", stderr(&out));
    assert!(at_kill < 24_000, "the kill came mid-run: {at_kill}");
    assert_eq!(
        count_and_distinct(&lake),
        (24_000, 24_000),
        "every click exactly once"
    );
    assert_eq!(checkpointed(&lake, "two", "g2").iter().sum::<u64>(), 24_000);
}

#[test]
fn a_realistic_run_through_kafka_passes_verify() {
    let Some((server, client)) = broker() else {
        return;
    };
    client.create_topic("store", 3, &[]);
    let dir = TempDir::new("kafka-verify");
    let (lake, truth) = (dir.path("lake"), dir.path("truth.json"));
    let sink = format!("kafka:{}/store?key=user", server.bootstrap());
    let config = store_toml();
    let out = run(&[
        "generate",
        "--config",
        &config,
        "--seed",
        "11",
        "--from",
        "2026-11-07T10:00:00Z",
        "--to",
        "2026-11-07T12:00:00Z",
        "--sink",
        &sink,
        "--truth",
        truth.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut enrich = member(&server, "store", "lake", &lake, "&until-idle=3s");
    enrich.args(["--config", &config]);
    let out = Killed(Some(enrich.spawn().unwrap())).finish(Duration::from_secs(90));
    assert!(out.status.success(), "{}", stderr(&out));
    let out = crate::support::verify(&lake, &truth, &config);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn kafka_source_bad_inputs_fail_fast_with_clear_errors() {
    let dir = TempDir::new("kafka-bad");
    let to = format!("lake:{}", dir.path("lake").display());
    let enrich = |from: &str| {
        let started = Instant::now();
        let out = run(&["enrich", "--from", from, "--to", &to]);
        (out, started.elapsed())
    };

    let (out, _) = enrich("kafka:127.0.0.1:9092/t?group=a b");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("group \"a b\" must be"),
        "{}",
        stderr(&out)
    );
    let (out, _) = enrich("kafka:127.0.0.1:9092/t");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no consumer group"),
        "{}",
        stderr(&out)
    );

    // Nothing listens on a port just taken and released.
    let port = csgen_testkit::free_port();
    let (out, took) = enrich(&format!("kafka:127.0.0.1:{port}/t?group=g"));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no broker reachable"),
        "{}",
        stderr(&out)
    );
    assert!(took < Duration::from_secs(20), "{took:?}");

    let Some((server, _client)) = broker() else {
        return;
    };
    let (out, took) = enrich(&format!(
        "kafka:{}/no-such-topic?group=g",
        server.bootstrap()
    ));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("topic \"no-such-topic\" does not exist"),
        "{}",
        stderr(&out)
    );
    assert!(took < Duration::from_secs(20), "{took:?}");
}
