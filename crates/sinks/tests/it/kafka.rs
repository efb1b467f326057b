//! The `kafka:` sink against tansu, a real Kafka-API broker on 127.0.0.1, with
//! confluent-kafka (an independent client) reading back what arrived.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use csgen_model::{Batch, Click};
use csgen_pipeline::endpoint::kafka::{KafkaSettings, Origin};
use csgen_sinks::{AnySink, Sink, SinkContext, SinkError, SinkSpec};
use csgen_testkit::{KafkaClient, Server, free_port};

use crate::{event_ids, json_batch};

/// One message as the independent client read it.
#[derive(Debug)]
pub struct Message {
    pub partition: u64,
    pub timestamp: i64,
    pub key: Option<String>,
    /// The record as JSON (`Null` for a record that is not JSON: a malformed-record fault).
    pub value: serde_json::Value,
}

/// Every message of `topic`, once `expected` arrived (and a second without more).
pub fn read(client: &KafkaClient, topic: &str, expected: usize) -> Vec<Message> {
    client
        .read(topic, expected, Duration::from_secs(60))
        .iter()
        .map(|line| {
            let m: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let value = m["v"].as_str().expect("a value");
            Message {
                partition: m["p"].as_u64().expect("a partition"),
                timestamp: m["ts"].as_i64().expect("a timestamp"),
                key: m["k"].as_str().map(str::to_owned),
                value: serde_json::from_str(value).unwrap_or_default(),
            }
        })
        .collect()
}

/// Settings as a `--kafka-config` file would give them.
pub fn settings(pairs: &[(&str, &str)]) -> KafkaSettings {
    KafkaSettings::from_pairs(pairs.iter().copied(), Origin::Env { var: "test".into() })
        .expect("librdkafka takes these properties")
}

/// Builds `spec` with `kafka` settings and runs its health check.
pub async fn open(spec: &str, kafka: KafkaSettings) -> Result<AnySink, SinkError> {
    let spec: SinkSpec = spec.parse().expect("a kafka: spec");
    let cx = SinkContext {
        kafka,
        seed: Some(7),
        ..Default::default()
    };
    spec.open(&cx).await
}

async fn send(sink: &mut AnySink, batch: Batch) {
    sink.stats().add_generated(batch.len() as u64);
    sink.send(batch).await.expect("send");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_arrives_once_stamped_with_its_event_time() {
    let Some(broker) = Server::kafka() else {
        return;
    };
    let Some(client) = KafkaClient::new(&broker.bootstrap()) else {
        return;
    };
    client.create_topic("clicks", 3, &[]);
    let spec = format!("kafka:{}/clicks?linger=20ms", broker.bootstrap());
    let mut sink = open(&spec, KafkaSettings::default()).await.expect("open");
    const N: u64 = 6_000;
    for start in (0..N).step_by(1000) {
        send(&mut sink, json_batch(start, start + 1000)).await;
    }
    sink.flush().await.expect("flush");
    let s = sink.stats().snapshot();
    assert_eq!(
        (s.generated, s.delivered, s.failed, s.in_flight),
        (N, N, 0, 0)
    );

    let got = read(&client, "clicks", N as usize);
    assert_eq!(got.len(), N as usize, "every record exactly once");
    let ids: HashSet<&str> = got
        .iter()
        .map(|m| m.value["event_id"].as_str().unwrap())
        .collect();
    let want = event_ids(0, N);
    assert_eq!(
        ids,
        want.iter().map(String::as_str).collect(),
        "the generated ids, each once"
    );
    let event_time: HashMap<String, i64> = json_batch(0, N)
        .clicks
        .iter()
        .map(|c| (c.event_id().to_string(), c.ts_ms))
        .collect();
    for m in &got {
        let id = m.value["event_id"].as_str().unwrap();
        assert_eq!(
            m.timestamp, event_time[id],
            "the message timestamp is the event time: {m:?}"
        );
        assert_eq!(m.key, None, "key=random sends no key");
    }
    // Which partitions keyless records land in is librdkafka's sticky partitioner's
    // choice and depends on timing (a fast run fills one partition's batch), so it is
    // not asserted: CI failed on a run that put all of them in one.
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_user_keeps_each_users_clicks_in_order_in_one_partition() {
    let Some(broker) = Server::kafka() else {
        return;
    };
    let Some(client) = KafkaClient::new(&broker.bootstrap()) else {
        return;
    };
    client.create_topic("by-user", 4, &[]);
    let spec = format!(
        "kafka:{}/by-user?key=user&linger=1ms&batch-records=50",
        broker.bootstrap()
    );
    let mut sink = open(&spec, KafkaSettings::default()).await.expect("open");
    const N: u64 = 4_000;
    for start in (0..N).step_by(250) {
        send(&mut sink, json_batch(start, start + 250)).await;
    }
    sink.flush().await.expect("flush");
    assert_eq!(sink.stats().snapshot().delivered, N);

    let order: HashMap<String, usize> = event_ids(0, N).into_iter().zip(0..).collect();
    let got = read(&client, "by-user", N as usize);
    assert_eq!(got.len(), N as usize);
    // Messages come back in offset order within each partition.
    let mut last: HashMap<String, (u64, usize)> = HashMap::new();
    for m in &got {
        let user = m.value["user_id"].to_string();
        assert_eq!(
            m.key.as_deref(),
            Some(user.as_str()),
            "the key is the user id"
        );
        let seq = order[m.value["event_id"].as_str().unwrap()];
        if let Some((partition, before)) = last.insert(user.clone(), (m.partition, seq)) {
            assert_eq!(partition, m.partition, "user {user} in one partition");
            assert!(before < seq, "user {user}: click {seq} after {before}");
        }
    }
}

/// A record of `len` bytes (valid JSON with a padding field) for `click`.
fn padded(batch: &mut Batch, click: Click, len: usize) {
    batch.push_encoded(click, |out| {
        let start = out.len();
        out.extend_from_slice(br#"{"event_id":""#);
        out.extend_from_slice(click.event_id().to_string().as_bytes());
        out.extend_from_slice(br#"","pad":""#);
        let end = (start + len).max(out.len() + 2);
        out.resize(end - 2, b'x');
        out.extend_from_slice(br#""}"#);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_over_the_topics_message_size_is_failed_and_never_sent() {
    let Some(broker) = Server::kafka() else {
        return;
    };
    let Some(client) = KafkaClient::new(&broker.bootstrap()) else {
        return;
    };
    client.create_topic("small", 1, &[("max.message.bytes", "2000")]);
    let spec = format!("kafka:{}/small", broker.bootstrap());
    let mut sink = open(&spec, KafkaSettings::default()).await.expect("open");
    let clicks = json_batch(0, 12).clicks.clone();
    let mut batch = Batch::with_capacity(12, 64_000);
    for (i, click) in clicks.into_iter().enumerate() {
        padded(&mut batch, click, if i % 4 == 3 { 5_000 } else { 300 });
    }
    send(&mut sink, batch).await;
    sink.flush().await.expect("flush");
    let s = sink.stats().snapshot();
    assert_eq!((s.delivered, s.failed, s.in_flight), (9, 3, 0));
    let reasons = sink.failure_reasons();
    let (reason, n) = reasons.iter().next().expect("a reason");
    assert_eq!(*n, 3);
    assert!(
        reason.starts_with("record larger than the 1907 bytes the topic or producer takes"),
        "{reason}"
    );
    let got = read(&client, "small", 9);
    assert_eq!(got.len(), 9, "the oversize records were never sent");
    assert!(
        got.iter()
            .all(|m| m.value["pad"].as_str().unwrap().len() < 1000)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_brokers_fail_the_health_check_at_once() {
    let port = free_port();
    let started = Instant::now();
    let e = open(
        &format!("kafka:127.0.0.1:{port}/clicks"),
        KafkaSettings::default(),
    )
    .await
    .err()
    .expect("nothing listens there")
    .to_string();
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert!(
        e.starts_with(&format!(
            "kafka:127.0.0.1:{port}/clicks: no broker reachable at 127.0.0.1:{port}: "
        )) && e.contains("Connection refused"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_that_does_not_exist_and_cannot_be_created_is_a_clear_error() {
    let Some(broker) = Server::kafka() else {
        return;
    };
    let started = Instant::now();
    let spec = format!("kafka:{}/absent", broker.bootstrap());
    let no_creation = settings(&[("allow.auto.create.topics", "false")]);
    let e = open(&spec, no_creation)
        .await
        .err()
        .expect("no such topic")
        .to_string();
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        e,
        format!(
            "{spec}: topic \"absent\" does not exist and the broker did not create it \
             (UnknownTopicOrPartition; create it, or allow the broker to)"
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_login_is_a_clear_error_that_shows_no_secret() {
    let Some(broker) = Server::kafka_authenticating() else {
        return;
    };
    const SECRET: &str = "s3cret-never-logged";
    let kafka = settings(&[
        ("security.protocol", "SASL_PLAINTEXT"),
        ("sasl.mechanism", "SCRAM-SHA-512"),
        ("sasl.username", "csgen"),
        ("sasl.password", SECRET),
    ]);
    let cx = SinkContext {
        kafka: kafka.clone(),
        ..Default::default()
    };
    let debug = format!("{cx:?}");
    assert!(
        !debug.contains(SECRET) && debug.contains("sasl.password"),
        "{debug}"
    );
    let started = Instant::now();
    let spec = format!("kafka:{}/clicks", broker.bootstrap());
    let e = open(&spec, kafka)
        .await
        .err()
        .expect("the login fails")
        .to_string();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(
        e.starts_with(&format!("{spec}: authentication failed: ")),
        "{e}"
    );
    assert!(e.contains("SASL"), "{e}");
    assert!(!e.contains(SECRET), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_flush_deadline_purges_and_reports_what_was_not_delivered() {
    let Some(mut broker) = Server::kafka() else {
        return;
    };
    let spec = format!("kafka:{}/lost?flush-timeout=1s", broker.bootstrap());
    let mut sink = open(&spec, KafkaSettings::default()).await.expect("open");
    broker.kill();
    send(&mut sink, json_batch(0, 300)).await;
    let started = Instant::now();
    match sink.flush().await {
        Err(SinkError::Undelivered {
            records, timeout, ..
        }) => {
            assert_eq!((records, timeout), (300, Duration::from_secs(1)));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    let s = sink.stats().snapshot();
    assert_eq!(
        (s.generated, s.delivered, s.failed, s.in_flight),
        (300, 0, 300, 0)
    );
    assert_eq!(
        sink.failure_reasons().into_iter().collect::<Vec<_>>(),
        [(
            "not delivered within the flush timeout (purged)".to_owned(),
            300
        )]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_killed_and_restarted_mid_run_loses_nothing_and_duplicates_nothing() {
    let Some(s3) = Server::moto() else { return };
    let Some(mut broker) = Server::kafka_persistent(&s3, "tansu") else {
        return;
    };
    let Some(client) = KafkaClient::new(&broker.bootstrap()) else {
        return;
    };
    client.create_topic("durable", 2, &[]);
    // Reconnect within a second of the broker's return, not librdkafka's 10 s backoff.
    let kafka = settings(&[("reconnect.backoff.max.ms", "500")]);
    let spec = format!("kafka:{}/durable?linger=10ms", broker.bootstrap());
    let mut sink = open(&spec, kafka).await.expect("open");
    const N: u64 = 6_000;
    for start in (0..N).step_by(500) {
        if start == 2_000 {
            broker.kill();
        }
        if start == 3_000 {
            broker.restart();
        }
        send(&mut sink, json_batch(start, start + 500)).await;
    }
    sink.flush().await.expect("flush");
    let s = sink.stats().snapshot();
    assert_eq!((s.delivered, s.failed, s.in_flight), (N, 0, 0));

    let got = read(&client, "durable", N as usize);
    let mut count: HashMap<&str, u32> = HashMap::new();
    for m in &got {
        *count
            .entry(m.value["event_id"].as_str().unwrap())
            .or_default() += 1;
    }
    let want = event_ids(0, N);
    let lost: Vec<_> = want
        .iter()
        .filter(|id| !count.contains_key(id.as_str()))
        .collect();
    let doubled = count.values().filter(|n| **n > 1).count();
    assert!(
        lost.is_empty(),
        "{} records lost, e.g. {:?}",
        lost.len(),
        lost.first()
    );
    assert_eq!(doubled, 0, "records stored twice");
    assert_eq!(got.len(), N as usize);
}
