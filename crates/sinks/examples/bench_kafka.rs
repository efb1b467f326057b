//! Throughput of the `kafka:` sink against librdkafka's own ceiling on the same broker:
//! the confluent-kafka producer (librdkafka 2.12) in a tight Python loop over the same
//! records with the same batch settings.
//!
//! Run by `scripts/bench-kafka.sh`, which starts tansu on 127.0.0.1:
//! `bench_kafka BOOTSTRAP PYTHON [RECORDS] [ROUNDS] [OPTIONS]`. Each round writes the
//! same JSON clicks once with each producer, into a fresh 4-partition topic each, the
//! order alternating between rounds; the medians are printed. Records are generated
//! (and written to a file for the Python loop) before any clock starts; each clock runs
//! from the first record handed over to the end of the flush.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use csgen_model::Batch;
use csgen_sinks::kafka::KafkaOptions;
use csgen_sinks::{Sink, SinkContext, SinkSpec};

mod common;
use common::batch;

/// One run: records/s and MB/s (10^6 bytes of payload).
#[derive(Clone, Copy)]
struct Rate {
    records: f64,
    mb: f64,
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: bench_kafka BOOTSTRAP PYTHON [RECORDS] [ROUNDS] [OPTIONS]";
    let bootstrap = args.next().expect(usage);
    let python = args.next().expect(usage);
    let n: u64 = args.next().map_or(200_000, |a| a.parse().expect("RECORDS"));
    let rounds: usize = args.next().map_or(3, |a| a.parse().expect("ROUNDS"));
    let query = args.next().unwrap_or_default();
    let options = KafkaOptions::parse(&query).expect("sink options");

    let batches: Vec<Batch> = (0..n)
        .step_by(1000)
        .map(|s| batch(s, (s + 1000).min(n)))
        .collect();
    let bytes: usize = batches.iter().map(|b| b.data.len() - b.len()).sum();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("records.jsonl");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&file).expect("records file"));
    for b in &batches {
        out.write_all(&b.data).expect("write records");
    }
    out.flush().expect("write records");
    drop(out);

    let (mut ceiling, mut csgen) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let c = format!("ceiling-{round}");
        let s = format!("csgen-{round}");
        create(&python, &bootstrap, &c);
        create(&python, &bootstrap, &s);
        if round % 2 == 0 {
            ceiling.push(python_loop(&python, &bootstrap, &c, &file, &options));
            csgen.push(csgen_sink(&bootstrap, &s, &query, batches.clone(), bytes).await);
        } else {
            csgen.push(csgen_sink(&bootstrap, &s, &query, batches.clone(), bytes).await);
            ceiling.push(python_loop(&python, &bootstrap, &c, &file, &options));
        }
        let (a, b) = (ceiling[round], csgen[round]);
        println!(
            "round {round}: ceiling {:>9.0} records/s {:>6.2} MB/s | csgen {:>9.0} records/s \
             {:>6.2} MB/s | {:.1}%",
            a.records,
            a.mb,
            b.records,
            b.mb,
            100.0 * b.records / a.records
        );
    }
    let (c, s) = (median(&ceiling), median(&csgen));
    println!(
        "records: {n} ({:.1} MB of JSON), median of {rounds} rounds, options {:?}, {bootstrap}",
        bytes as f64 / 1e6,
        query
    );
    println!(
        "librdkafka ceiling (confluent-kafka loop): {:>9.0} records/s {:>6.2} MB/s",
        c.records, c.mb
    );
    println!(
        "csgen kafka sink                         : {:>9.0} records/s {:>6.2} MB/s",
        s.records, s.mb
    );
    println!(
        "csgen / ceiling                          : {:>9.1}%",
        100.0 * s.records / c.records
    );
}

fn median(v: &[Rate]) -> Rate {
    let mut by: Vec<Rate> = v.to_vec();
    by.sort_by(|a, b| a.records.total_cmp(&b.records));
    by[by.len() / 2]
}

fn kafka_check(python: &str) -> Command {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/python/kafka_check.py");
    let mut cmd = Command::new(python);
    cmd.arg(script);
    cmd
}

fn create(python: &str, bootstrap: &str, topic: &str) {
    let status = kafka_check(python)
        .args(["create", bootstrap, topic, "4"])
        .status()
        .expect("run kafka_check.py");
    assert!(status.success(), "create {topic}");
}

/// The confluent-kafka producer in a tight loop, with the sink's batch settings.
fn python_loop(python: &str, bootstrap: &str, topic: &str, file: &Path, o: &KafkaOptions) -> Rate {
    let linger_ms = (o.linger.as_secs_f64() * 1000.0).to_string();
    let out = kafka_check(python)
        .args(["produce", bootstrap, topic])
        .arg(file)
        .args([
            linger_ms,
            o.batch_records.to_string(),
            o.batch_bytes.to_string(),
            o.compression.name().to_owned(),
            o.acks.name().to_owned(),
            o.idempotence.to_string(),
        ])
        .output()
        .expect("run kafka_check.py produce");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("its JSON answer");
    assert_eq!(v["failed"], 0, "the ceiling loop lost records: {v}");
    let seconds = v["seconds"].as_f64().expect("seconds");
    Rate {
        records: v["records"].as_f64().expect("records") / seconds,
        mb: v["bytes"].as_f64().expect("bytes") / seconds / 1e6,
    }
}

/// csgen's sink with `query`'s options, fed batches of 1000 as the pacer does.
async fn csgen_sink(
    bootstrap: &str,
    topic: &str,
    query: &str,
    batches: Vec<Batch>,
    bytes: usize,
) -> Rate {
    let n: usize = batches.iter().map(Batch::len).sum();
    let q = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    let spec: SinkSpec = format!("kafka:{bootstrap}/{topic}{q}")
        .parse()
        .expect("a kafka spec");
    let cx = SinkContext {
        seed: Some(1),
        ..Default::default()
    };
    let mut sink = spec.open(&cx).await.expect("open the sink");
    let t = Instant::now();
    for b in batches {
        sink.stats().add_generated(b.len() as u64);
        sink.send(b).await.expect("send");
    }
    sink.flush().await.expect("flush");
    let seconds = t.elapsed().as_secs_f64();
    let s = sink.stats().snapshot();
    assert_eq!((s.delivered, s.failed), (n as u64, 0));
    Rate {
        records: n as f64 / seconds,
        mb: bytes as f64 / seconds / 1e6,
    }
}
