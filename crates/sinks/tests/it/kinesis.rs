//! The `kinesis:` sink against kinesalite, directly and through the fault proxy.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::types::{ShardIteratorType, StreamStatus};
use csgen_model::{Batch, Encoder, Format, Generator, StoreConfig};
use csgen_pipeline::AwsSettings;
use csgen_sinks::kinesis::KinesisSpec;
use csgen_sinks::{AnySink, Sink, SinkContext, SinkError, SinkSpec};
use csgen_testkit::{Server, free_port};

use crate::proxy::{Faults, Proxy};
use crate::{count_ids, event_ids, json_batch, local_aws_env};

pub async fn client(endpoint: &str) -> Client {
    local_aws_env();
    let settings = csgen_pipeline::AwsSettings {
        endpoint: Some(endpoint.to_owned()),
    };
    let config = csgen_pipeline::endpoint::aws::load(&settings)
        .await
        .expect("a local endpoint");
    Client::new(&config)
}

pub async fn create_stream(client: &Client, stream: &str, shards: i32) {
    client
        .create_stream()
        .stream_name(stream)
        .shard_count(shards)
        .send()
        .await
        .expect("create stream");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let d = client
            .describe_stream_summary()
            .stream_name(stream)
            .send()
            .await
            .expect("describe stream");
        if d.stream_description_summary().unwrap().stream_status() == &StreamStatus::Active {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "stream {stream} not active in time"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every record of every shard, per shard in arrival order.
pub async fn read_all(client: &Client, stream: &str) -> HashMap<String, Vec<Vec<u8>>> {
    let shards = client
        .list_shards()
        .stream_name(stream)
        .send()
        .await
        .expect("list shards");
    let mut out = HashMap::new();
    for shard in shards.shards() {
        let mut iterator = client
            .get_shard_iterator()
            .stream_name(stream)
            .shard_id(shard.shard_id())
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .expect("shard iterator")
            .shard_iterator
            .expect("an iterator");
        let mut records = Vec::new();
        for _ in 0..10_000 {
            let page = client
                .get_records()
                .shard_iterator(&iterator)
                .limit(10_000)
                .send()
                .await
                .expect("get records");
            let empty = page.records().is_empty();
            records.extend(page.records().iter().map(|r| r.data().as_ref().to_vec()));
            match page.next_shard_iterator {
                Some(next) if !(empty && page.millis_behind_latest == Some(0)) => iterator = next,
                _ => break,
            }
        }
        out.insert(shard.shard_id().to_owned(), records);
    }
    out
}

pub async fn kinesis_sink(endpoint: &str, spec: &str) -> AnySink {
    local_aws_env();
    let spec: SinkSpec = spec.parse().unwrap();
    let cx = SinkContext {
        aws: AwsSettings {
            endpoint: Some(endpoint.to_owned()),
        },
        seed: Some(7),
        ..Default::default()
    };
    spec.open(&cx).await.expect("build the sink")
}

pub async fn send(sink: &mut AnySink, batch: Batch) {
    sink.stats().add_generated(batch.len() as u64);
    sink.send(batch).await.expect("send");
}

/// Asserts every id of `expected` arrived, returns how many arrived more than once.
pub fn check_all_arrived(expected: &[String], got: &HashMap<String, u32>) -> u32 {
    for id in expected {
        assert!(got.contains_key(id), "event {id} never arrived");
    }
    assert_eq!(
        got.len(),
        expected.len(),
        "records that were never sent arrived"
    );
    got.values().map(|n| n - 1).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_record_arrives_exactly_once_and_users_stay_in_order() {
    let Some(server) = Server::kinesalite(None) else {
        return;
    };
    let admin = client(&server.endpoint()).await;
    create_stream(&admin, "clicks", 4).await;
    let spec = "kinesis:clicks?partition-key=user&linger-ms=50&max-in-flight=4";
    let mut sink = kinesis_sink(&server.endpoint(), spec).await;
    const N: u64 = 12_000;
    for start in (0..N).step_by(1000) {
        send(&mut sink, json_batch(start, start + 1000)).await;
    }
    sink.flush().await.expect("flush");
    let s = sink.stats().snapshot();
    assert_eq!(
        (s.delivered, s.failed, s.in_flight, s.retried),
        (N, 0, 0, 0)
    );

    let shards = read_all(&admin, "clicks").await;
    let all = shards.values().flatten().map(Vec::as_slice);
    let dupes = check_all_arrived(&event_ids(0, N), &count_ids(all));
    assert_eq!(dupes, 0, "no faults, so no duplicates");
    // Per shard, each user's clicks appear in generation order (seq = event id order).
    let clicks: HashMap<String, (u64, u64)> = json_batch(0, N)
        .clicks
        .iter()
        .map(|c| (c.event_id().to_string(), (c.user_id, c.seq)))
        .collect();
    let mut user_shard = HashMap::new();
    for (shard, records) in &shards {
        let mut last_seq: HashMap<u64, u64> = HashMap::new();
        for r in records {
            let v: serde_json::Value = serde_json::from_slice(r).unwrap();
            let (user, seq) = clicks[v["event_id"].as_str().unwrap()];
            assert_eq!(user_shard.entry(user).or_insert(shard.clone()), shard);
            if let Some(prev) = last_seq.insert(user, seq) {
                assert!(prev < seq, "user {user}: click {seq} arrived after {prev}");
            }
        }
    }
    assert!(user_shard.len() > 50, "clicks of many users were checked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_failures_throttling_and_dropped_connections_are_retried_to_completion() {
    let Some(server) = Server::kinesalite(None) else {
        return;
    };
    let admin = client(&server.endpoint()).await;
    create_stream(&admin, "faulty", 2).await;
    let faults = Faults {
        fail_every: 7,
        throttle_every: 5,
        drop_before_every: 11,
        drop_after_every: 13,
    };
    let proxy = Proxy::start(server.addr(), faults).await;
    let spec = "kinesis:faulty?linger-ms=20&batch-records=200&max-in-flight=3";
    let mut sink = kinesis_sink(&proxy.endpoint(), spec).await;
    const N: u64 = 6_000;
    for start in (0..N).step_by(500) {
        send(&mut sink, json_batch(start, start + 500)).await;
    }
    sink.flush().await.expect("flush");
    let s = sink.stats().snapshot();
    assert_eq!((s.delivered, s.failed, s.in_flight), (N, 0, 0), "{s:?}");
    let c = &proxy.counters;
    let load = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::SeqCst);
    assert!(load(&c.records_failed) > 100, "partial failures injected");
    assert!(load(&c.calls_throttled) > 0 && load(&c.calls_dropped_before) > 0);
    assert!(load(&c.calls_dropped_after) > 0);
    assert!(s.retried >= load(&c.records_failed), "{s:?}");

    let got = count_ids(
        read_all(&admin, "faulty")
            .await
            .values()
            .flatten()
            .map(Vec::as_slice),
    );
    let dupes = check_all_arrived(&event_ids(0, N), &got);
    // A duplicate for exactly each record whose stored call's answer was lost.
    assert_eq!(
        u64::from(dupes),
        load(&c.records_in_lost_answers),
        "duplicates vs records in lost answers"
    );
    eprintln!(
        "faults: {:?}; retried {}; duplicates {dupes} (records in lost answers {})",
        faults,
        s.retried,
        load(&c.records_in_lost_answers)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_and_restarted_mid_run_loses_nothing() {
    let dir = std::env::temp_dir().join(format!("csgen-kinesalite-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let Some(mut server) = Server::kinesalite(Some(&dir)) else {
        return;
    };
    let admin = client(&server.endpoint()).await;
    create_stream(&admin, "restart", 2).await;
    let spec = "kinesis:restart?linger-ms=20&batch-records=100&max-in-flight=2&buffer-records=1000";
    let mut sink = kinesis_sink(&server.endpoint(), spec).await;
    const N: u64 = 6_000;
    let stats = sink.stats().clone();
    let sender = tokio::spawn(async move {
        for start in (0..N).step_by(100) {
            send(&mut sink, json_batch(start, start + 100)).await;
        }
        sink.flush().await.map(|()| sink)
    });
    let wait_for = |what: &str, done: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    wait_for("first deliveries", &|| stats.snapshot().delivered >= 1000);
    server.kill();
    let retried = stats.snapshot().retried;
    wait_for("retries while down", &|| stats.snapshot().retried > retried);
    let delivered_while_down = stats.snapshot().delivered;
    server.restart();
    let sink = sender.await.unwrap().expect("flush after the restart");
    let s = sink.stats().snapshot();
    assert_eq!((s.delivered, s.failed, s.in_flight), (N, 0, 0), "{s:?}");
    assert!(delivered_while_down < N, "the kill happened mid-run");

    let got = count_ids(
        read_all(&admin, "restart")
            .await
            .values()
            .flatten()
            .map(Vec::as_slice),
    );
    let dupes = check_all_arrived(&event_ids(0, N), &got);
    // Only calls in flight at the kill can have been stored without an answer.
    assert!(dupes <= 2 * 100, "{dupes} duplicates");
    eprintln!("restart: retried {}, duplicates {dupes}", s.retried);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flush_delivers_what_is_lingering() {
    let Some(server) = Server::kinesalite(None) else {
        return;
    };
    let admin = client(&server.endpoint()).await;
    create_stream(&admin, "linger", 1).await;
    let mut sink = kinesis_sink(&server.endpoint(), "kinesis:linger?linger-ms=60000").await;
    send(&mut sink, json_batch(0, 10)).await;
    let start = Instant::now();
    sink.flush().await.expect("flush");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "flush did not wait for linger"
    );
    assert_eq!(sink.stats().snapshot().delivered, 10);
    let got = count_ids(
        read_all(&admin, "linger")
            .await
            .values()
            .flatten()
            .map(Vec::as_slice),
    );
    assert_eq!(check_all_arrived(&event_ids(0, 10), &got), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_record_fails_with_its_reason_and_is_never_sent() {
    let Some(server) = Server::kinesalite(None) else {
        return;
    };
    let admin = client(&server.endpoint()).await;
    create_stream(&admin, "big", 1).await;
    let mut sink = kinesis_sink(&server.endpoint(), "kinesis:big?linger-ms=10").await;
    // A store URL over 1 MiB makes every record oversize.
    let config = StoreConfig::defaults();
    let huge_url = format!("https://{}.example", "x".repeat(1024 * 1024));
    let mut big = Encoder::new(Format::Json, &huge_url);
    let mut batch = Batch::default();
    batch.push(&mut big, Generator::new(&config, 42).click(100, 0));
    send(&mut sink, batch).await;
    send(&mut sink, json_batch(0, 5)).await;
    sink.flush().await.expect("flush");
    let s = sink.stats().snapshot();
    assert_eq!((s.delivered, s.failed, s.in_flight), (5, 1, 0));
    let reasons = sink.failure_reasons();
    assert_eq!(reasons.len(), 1);
    let (reason, n) = reasons.iter().next().unwrap();
    assert!(
        reason.contains("larger than Kinesis's 1 MiB limit"),
        "{reason}"
    );
    assert_eq!(*n, 1);
    let got = count_ids(
        read_all(&admin, "big")
            .await
            .values()
            .flatten()
            .map(Vec::as_slice),
    );
    assert_eq!(check_all_arrived(&event_ids(0, 5), &got), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_stream_stops_the_sink_with_a_clear_message() {
    let Some(server) = Server::kinesalite(None) else {
        return;
    };
    local_aws_env();
    let spec: SinkSpec = "kinesis:nope".parse().unwrap();
    let cx = SinkContext {
        aws: AwsSettings {
            endpoint: Some(server.endpoint()),
        },
        seed: Some(1),
        ..Default::default()
    };
    let err = spec.open(&cx).await.err().expect("no such stream");
    assert!(matches!(&err, SinkError::Fatal { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "kinesis:nope: stream \"nope\" not found (ResourceNotFoundException)"
    );

    // A stream deleted after start: the first call stops the sink, nothing is retried.
    let admin = client(&server.endpoint()).await;
    create_stream(&admin, "gone", 1).await;
    let mut sink = kinesis_sink(&server.endpoint(), "kinesis:gone?linger-ms=0").await;
    admin
        .delete_stream()
        .stream_name("gone")
        .send()
        .await
        .unwrap();
    send(&mut sink, json_batch(0, 20)).await;
    let err = sink.flush().await.expect_err("the stream is gone");
    assert!(
        err.to_string().contains("stream \"gone\" not found"),
        "{err}"
    );
    let s = sink.stats().snapshot();
    assert_eq!(
        (s.delivered, s.failed, s.in_flight, s.retried),
        (0, 20, 0, 0)
    );
    assert!(
        sink.send(json_batch(20, 21)).await.is_err(),
        "a stopped sink refuses records"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flush_deadline_reports_what_could_not_be_delivered() {
    // Nothing listens on this port: every call fails to connect and is retried.
    let endpoint = format!("http://127.0.0.1:{}", free_port());
    let spec = "kinesis:unreachable?linger-ms=0&flush-timeout-s=1";
    let Ok(SinkSpec::Kinesis(KinesisSpec { stream, options })) = spec.parse() else {
        unreachable!()
    };
    // As the sink's own client (see `KinesisSink::connect`): the sink retries, not the SDK.
    let config = client(&endpoint)
        .await
        .config()
        .to_builder()
        .retry_config(aws_sdk_kinesis::config::retry::RetryConfig::disabled())
        .build();
    let client = Client::from_conf(config);
    let mut sink = csgen_sinks::KinesisSink::with_client(client, &stream, &options, 1);
    sink.stats().add_generated(50);
    sink.send(json_batch(0, 50)).await.expect("accepted");
    let start = Instant::now();
    let err = sink.flush().await.expect_err("nothing can be delivered");
    assert!(
        start.elapsed() < Duration::from_secs(8),
        "{:?}",
        start.elapsed()
    );
    match &err {
        SinkError::Undelivered { records, .. } => assert_eq!(*records, 50),
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string()
            .contains("50 records not delivered within the flush timeout")
    );
    let s = sink.stats().snapshot();
    assert_eq!((s.delivered, s.failed, s.in_flight), (0, 50, 0));
    assert!(s.retried > 0);
}
