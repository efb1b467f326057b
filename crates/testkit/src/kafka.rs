//! The independent Kafka client of the tests: `tools/python/kafka_check.py`, on PyPI's
//! `confluent-kafka` in `.venv`, creates topics and reads back what csgen wrote.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::{output_within, python, repo_root};

/// confluent-kafka, talking to the brokers at `bootstrap`.
pub struct KafkaClient {
    python: PathBuf,
    bootstrap: String,
}

impl KafkaClient {
    /// `None` (or a failure in CI) when confluent-kafka is not installed.
    pub fn new(bootstrap: &str) -> Option<Self> {
        Some(Self {
            python: python(&["confluent_kafka"])?,
            bootstrap: bootstrap.to_owned(),
        })
    }

    /// Creates `topic` with `partitions` partitions and the topic `configs`
    /// (`max.message.bytes`, …); panics if the broker refuses.
    pub fn create_topic(&self, topic: &str, partitions: u32, configs: &[(&str, &str)]) {
        let mut args = vec![
            "create".to_owned(),
            self.bootstrap.clone(),
            topic.to_owned(),
            partitions.to_string(),
        ];
        args.extend(configs.iter().map(|(k, v)| format!("{k}={v}")));
        self.run(&args, Duration::from_secs(60));
    }

    /// Every message of `topic`, as JSON lines `{"p","o","ts","k","v"}` (partition,
    /// offset, timestamp ms, key, value), once `expected` have arrived and a second
    /// passed without another, or after `timeout`.
    pub fn read(&self, topic: &str, expected: usize, timeout: Duration) -> Vec<String> {
        let args = [
            "read".to_owned(),
            self.bootstrap.clone(),
            topic.to_owned(),
            expected.to_string(),
            timeout.as_secs_f64().to_string(),
        ];
        let out = self.run(&args, timeout + Duration::from_secs(30));
        out.lines().map(str::to_owned).collect()
    }

    /// The offsets `group` committed for `topic`, by partition (-1001: none).
    pub fn committed(&self, topic: &str, group: &str) -> std::collections::BTreeMap<i32, i64> {
        let args = [
            "committed".to_owned(),
            self.bootstrap.clone(),
            topic.to_owned(),
            group.to_owned(),
        ];
        let out = self.run(&args, Duration::from_secs(60));
        // A flat JSON object of numbers: {"0": 12, "1": -1001}.
        let body = out.trim().trim_start_matches('{').trim_end_matches('}');
        body.split(',')
            .filter(|kv| !kv.trim().is_empty())
            .map(|kv| {
                let (p, o) = kv.split_once(':').expect("\"P\": OFFSET");
                let p = p.trim().trim_matches('"').parse().expect("a partition");
                (p, o.trim().parse().expect("an offset"))
            })
            .collect()
    }

    /// Runs kafka_check.py with `args`; panics with its stderr if it fails or outlives
    /// `limit` (it is then killed).
    fn run(&self, args: &[String], limit: Duration) -> String {
        let script = repo_root().join("tools/python/kafka_check.py");
        let out = output_within(Command::new(&self.python).arg(&script).args(args), limit);
        assert!(
            out.status.success(),
            "kafka_check.py {args:?}: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}
