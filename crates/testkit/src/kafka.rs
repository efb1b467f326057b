//! The independent Kafka client of the tests: `tools/python/kafka_check.py`, on PyPI's
//! `confluent-kafka` in `.venv`, creates topics and reads back what csgen wrote.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::{python, repo_root};

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

    /// Runs kafka_check.py with `args`; panics with its stderr if it fails or outlives
    /// `limit` (it is then killed).
    fn run(&self, args: &[String], limit: Duration) -> String {
        let script = repo_root().join("tools/python/kafka_check.py");
        let mut child = Command::new(&self.python)
            .arg(&script)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start kafka_check.py");
        // Read both pipes on threads, so that a full pipe cannot stall the child.
        let drain = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut s = String::new();
                let _ = pipe.read_to_string(&mut s);
                s
            })
        };
        let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
        let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for kafka_check.py") {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("kafka_check.py {args:?} did not finish within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let out = stdout.join().unwrap_or_default();
        let err = stderr.join().unwrap_or_default();
        assert!(status.success(), "kafka_check.py {args:?}: {status}\n{err}");
        out
    }
}
