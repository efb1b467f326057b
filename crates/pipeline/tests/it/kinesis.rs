//! The `kinesis:` source against kinesalite on 127.0.0.1: every record exactly once
//! in the lake, restarts resume from the per-shard checkpoint, resharding tolerated.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, StreamStatus};
use csgen_model::StoreConfig;
use csgen_pipeline::{AwsSettings, Counters, LakeOptions, RunOptions, RunSummary, SourceSpec};
use csgen_testkit::Server;

use crate::support::{generated, python, read_lake};

const START_MS: i64 = 1_795_418_780_123;
const STREAM: &str = "clicks";

fn client(endpoint: &str) -> Client {
    let config = aws_sdk_kinesis::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(csgen_pipeline::endpoint::aws::https_client())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            "csgen-test",
            "csgen-test",
            None,
            None,
            "test",
        ))
        .build();
    Client::from_conf(config)
}

async fn wait_active(client: &Client) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let d = client
            .describe_stream_summary()
            .stream_name(STREAM)
            .send()
            .await
            .expect("describe stream");
        if d.stream_description_summary().unwrap().stream_status() == &StreamStatus::Active {
            return;
        }
        assert!(Instant::now() < deadline, "stream not active in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Puts each newline-terminated line of `input` as one Kinesis record.
async fn put_lines(client: &Client, input: &[u8]) {
    let lines: Vec<&[u8]> = input
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    for (c, chunk) in lines.chunks(500).enumerate() {
        let entries = chunk
            .iter()
            .enumerate()
            .map(|(i, l)| {
                PutRecordsRequestEntry::builder()
                    .data(Blob::new(l.to_vec()))
                    .partition_key(format!("k{c}-{i}"))
                    .build()
                    .unwrap()
            })
            .collect();
        let out = client
            .put_records()
            .stream_name(STREAM)
            .set_records(Some(entries))
            .send()
            .await
            .expect("put records");
        assert_eq!(out.failed_record_count(), Some(0), "{out:?}");
    }
}

/// Puts `data` as one Kinesis record.
async fn put_one(client: &Client, data: &[u8]) {
    client
        .put_record()
        .stream_name(STREAM)
        .partition_key("many")
        .data(Blob::new(data.to_vec()))
        .send()
        .await
        .expect("put record");
}

/// Splits `shard` at the middle of its hash key range.
async fn split(client: &Client, shard: &str) {
    let shards = client
        .list_shards()
        .stream_name(STREAM)
        .send()
        .await
        .unwrap();
    let s = shards
        .shards()
        .iter()
        .find(|s| s.shard_id() == shard)
        .unwrap();
    let r = s.hash_key_range().unwrap();
    let (lo, hi): (u128, u128) = (
        r.starting_hash_key().parse().unwrap(),
        r.ending_hash_key().parse().unwrap(),
    );
    client
        .split_shard()
        .stream_name(STREAM)
        .shard_to_split(shard)
        .new_starting_hash_key((lo + (hi - lo) / 2).to_string())
        .send()
        .await
        .expect("split shard");
    wait_active(client).await;
}

/// Enriches the stream at `endpoint` into `lake` until it is idle.
async fn enrich(endpoint: &str, lake: &std::path::Path) -> RunSummary {
    csgen_testkit::local_aws_env();
    let options = RunOptions {
        lake: LakeOptions {
            max_buffer_bytes: 64 << 10,
            ..LakeOptions::default()
        },
        aws: AwsSettings {
            endpoint: Some(endpoint.to_owned()),
        },
        ..RunOptions::default()
    };
    let source: SourceSpec = format!("kinesis:{STREAM}?until-idle=1s").parse().unwrap();
    let config = StoreConfig::defaults();
    let run = csgen_pipeline::run(
        &source,
        csgen_pipeline::lake::Store::Local(lake.to_owned()),
        &config,
        &options,
        Arc::new(Counters::default()),
        || 0,
        std::future::pending(),
    );
    tokio::time::timeout(Duration::from_secs(60), run)
        .await
        .expect("run stops once the stream is idle")
        .expect("run")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kinesis_to_lake_exactly_once_across_restarts_and_a_reshard() {
    let Some(py) = python() else { return };
    let Some(server) = Server::kinesalite(None) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let lake = dir.path().join("lake");
    let client = client(&server.endpoint());
    client
        .create_stream()
        .stream_name(STREAM)
        .shard_count(2)
        .send()
        .await
        .expect("create stream");
    wait_active(&client).await;
    let (input, mut ids) = generated(1500, START_MS, 700);
    let cut = input
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(899)
        .unwrap()
        .0
        + 1;

    // First run: 900 records on two shards.
    put_lines(&client, &input[..cut]).await;
    let first = enrich(&server.endpoint(), &lake).await;
    let c = &first.counters;
    assert_eq!(
        (c.records, c.committed_events, c.dead_lettered),
        (900, 900, 0),
        "{c:?}"
    );
    assert!(
        c.flushes > 1,
        "a 64 KiB buffer flushes several times: {c:?}"
    );
    assert_eq!(first.stopped_at.shards.len(), 2, "{:?}", first.stopped_at);
    assert!(
        first
            .stopped_at
            .shards
            .values()
            .all(|p| p.sequence.is_some() && !p.closed)
    );

    // Reshard, then 600 more records (one malformed, and the last three in a single
    // Kinesis record): they go to the children.
    split(&client, "shardId-000000000000").await;
    let three = input[..input.len() - 1]
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth_back(2)
        .unwrap()
        .0
        + 1;
    let mut rest = input[cut..three].to_vec();
    rest.extend_from_slice(b"{\"url\": broken\n");
    put_lines(&client, &rest).await;
    put_one(&client, &input[three..]).await;
    let second = enrich(&server.endpoint(), &lake).await;
    assert_eq!(second.resumed_at, first.stopped_at);
    let c = &second.counters;
    assert_eq!(
        (c.records, c.committed_events, c.committed_dead_letters),
        (601, 600, 1),
        "{c:?}"
    );
    let parent = &second.stopped_at.shards["shardId-000000000000"];
    assert!(parent.closed, "{:?}", second.stopped_at);
    assert_eq!(second.stopped_at.shards.len(), 4, "{:?}", second.stopped_at);

    // Third run: nothing new, nothing read twice.
    let third = enrich(&server.endpoint(), &lake).await;
    assert_eq!(third.counters.records, 0, "{:?}", third.counters);
    assert_eq!(third.resumed_at, second.stopped_at);

    let back = read_lake(&py, &[lake.to_str().unwrap()]);
    assert_eq!(back.rows, 1500);
    let mut got = back.event_ids.clone();
    got.sort();
    ids.sort();
    assert_eq!(got, ids, "every record exactly once");
    assert!(back.misplaced.is_empty(), "{:?}", back.misplaced);
    drop(server);
}
