//! End to end through the `csgen` binary: `csgen generate --sink kafka:…` against tansu,
//! with its `--kafka-config` file and `CSGEN_KAFKA_*` variables, read back by
//! confluent-kafka.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use csgen_testkit::{KafkaClient, Server, output_within, repo_root};

use crate::cli::csgen_binary;
use crate::count_ids;
use crate::kafka::read;

/// Runs `cmd` within `limit` (see [`output_within`]).
fn run(mut cmd: Command, limit: Duration) -> Output {
    output_within(&mut cmd, limit)
}

fn generate(csgen: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(csgen);
    cmd.arg("generate").args(args);
    cmd
}

fn config_file(name: &str, text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn csgen_generate_delivers_every_click_to_kafka() {
    let Some(broker) = Server::kafka() else {
        return;
    };
    let Some(client) = KafkaClient::new(&broker.bootstrap()) else {
        return;
    };
    let Some(csgen) = csgen_binary() else { return };
    client.create_topic("e2e", 3, &[]);
    let (_dir, file) = config_file("kafka.properties", "# test\nmessage.timeout.ms = 60000\n");
    let sink = format!("kafka:{}/e2e?key=user", broker.bootstrap());
    let args = ["--count", "3000", "--seed", "5", "--format", "json"];
    let mut cmd = generate(&csgen, &args);
    cmd.args(["--sink", &sink, "--kafka-config"])
        .arg(&file)
        .env("CSGEN_KAFKA_CLIENT_RACK", "rack-1");
    let out = run(cmd, Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "csgen failed: {stderr}");
    assert!(
        stderr.contains("delivered 3000, failed 0")
            && stderr.contains(&format!("to kafka:{}/e2e,", broker.bootstrap())),
        "the summary names the sink and its counts: {stderr}"
    );

    let reference = run(generate(&csgen, &args), Duration::from_secs(60));
    assert!(reference.status.success());
    let want = count_ids(
        reference
            .stdout
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty()),
    );
    let got = read(&client, "e2e", 3000);
    let values: Vec<Vec<u8>> = got
        .iter()
        .map(|m| m.value.to_string().into_bytes())
        .collect();
    assert_eq!(
        count_ids(values.iter().map(Vec::as_slice)),
        want,
        "every click exactly once"
    );
}

#[test]
fn a_realistic_run_keyed_by_session_keeps_each_session_together() {
    let Some(broker) = Server::kafka() else {
        return;
    };
    let Some(client) = KafkaClient::new(&broker.bootstrap()) else {
        return;
    };
    let Some(csgen) = csgen_binary() else { return };
    client.create_topic("sessions", 4, &[]);
    let store = repo_root().join("examples/store.toml");
    let store = store.to_str().expect("a UTF-8 path");
    let args = [
        "--config",
        store,
        "--seed",
        "3",
        "--from",
        "2026-11-01T12:00:00Z",
        "--to",
        "2026-11-01T13:00:00Z",
    ];
    let mut cmd = generate(&csgen, &args);
    cmd.args([
        "--sink",
        &format!("kafka:{}/sessions?key=session", broker.bootstrap()),
    ]);
    let out = run(cmd, Duration::from_secs(120));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let reference = run(generate(&csgen, &args), Duration::from_secs(120));
    let records = reference
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    assert!(
        records > 500,
        "an hour of the example store: {records} records"
    );
    let got = read(&client, "sessions", records);
    assert_eq!(got.len(), records, "as many messages as records");
    let mut partition_of: HashMap<String, u64> = HashMap::new();
    let mut checked = 0;
    for m in &got {
        // Malformed-record faults are not JSON; every other record names its session.
        let Some(session) = m.value["session_id"].as_str() else {
            continue;
        };
        assert_eq!(m.key.as_deref(), Some(session), "the key is the session id");
        let p = *partition_of
            .entry(session.to_owned())
            .or_insert(m.partition);
        assert_eq!(p, m.partition, "session {session} in one partition");
        checked += 1;
    }
    assert!(
        checked * 10 > records * 9,
        "{checked} of {records} records checked"
    );
}

#[test]
fn kafka_config_and_login_errors_are_clear_and_keep_the_secret() {
    let Some(csgen) = csgen_binary() else { return };
    const SECRET: &str = "s3cret-never-logged";

    // A bad line in the file: exit 2, naming the file and line.
    let (_dir, file) = config_file("bad.properties", "acks=all\nsasl.pasword=x\n");
    let mut cmd = generate(&csgen, &["--count", "1", "--sink", "kafka:127.0.0.1:9/t"]);
    cmd.arg("--kafka-config").arg(&file);
    let out = run(cmd, Duration::from_secs(30));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{} line 2: sasl.pasword: No such configuration property",
            file.display()
        )),
        "{stderr}"
    );

    // A variable that sets what the spec owns: exit 2, naming the option to use.
    let mut cmd = generate(&csgen, &["--count", "1", "--sink", "kafka:127.0.0.1:9/t"]);
    cmd.env("CSGEN_KAFKA_LINGER_MS", "50");
    let out = run(cmd, Duration::from_secs(30));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "environment variable CSGEN_KAFKA_LINGER_MS: linger.ms is set by the spec option linger"
        ),
        "{stderr}"
    );

    // A refused login, with every log on: exit 1 in bounded time, the password nowhere.
    let Some(broker) = Server::kafka_authenticating() else {
        return;
    };
    let (_dir, file) = config_file(
        "sasl.properties",
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-256\nsasl.username=csgen\n",
    );
    let sink = format!("kafka:{}/clicks", broker.bootstrap());
    let mut cmd = generate(&csgen, &["--count", "10", "--sink", &sink]);
    cmd.arg("--kafka-config")
        .arg(&file)
        .env("CSGEN_KAFKA_SASL_PASSWORD", SECRET)
        .env("CSGEN_KAFKA_DEBUG", "security,broker,conf")
        .env("RUST_LOG", "trace");
    let started = Instant::now();
    let out = run(cmd, Duration::from_secs(60));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert!(
        stderr.contains(&format!("{sink}: authentication failed: ")),
        "{stderr}"
    );
    assert!(
        stderr.contains("sasl.password"),
        "the config was logged: {stderr}"
    );
    assert!(
        !stderr.contains(SECRET),
        "the password was logged: {stderr}"
    );
}
