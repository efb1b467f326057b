//! Throughput of the `kinesis:` sink against a local Kinesis-API server, next to the
//! original's one-`PutRecord`-per-click loop and a plain batched `PutRecords` loop.
//!
//! Run by `scripts/bench-kinesis.sh`, which starts kinesalite on 127.0.0.1:
//! `bench_kinesis ENDPOINT [RECORDS] [ONE_CALL_RECORDS] [ROUNDS]`. The three ways run in
//! turn, ROUNDS times (median reported), each into its own fresh 4-shard stream; records
//! are JSON clicks generated before the clock starts.

use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;
use csgen_model::Batch;
use csgen_pipeline::AwsSettings;
use csgen_sinks::{Sink, SinkContext, SinkSpec};

mod common;
use common::batch;

async fn create(client: &Client, stream: &str) {
    client
        .create_stream()
        .stream_name(stream)
        .shard_count(4)
        .send()
        .await
        .expect("create stream");
    for _ in 0..1000 {
        let d = client
            .describe_stream_summary()
            .stream_name(stream)
            .send()
            .await
            .expect("describe");
        if d.stream_description_summary()
            .unwrap()
            .stream_status()
            .as_str()
            == "ACTIVE"
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("stream {stream} never became active");
}

fn key(i: usize) -> String {
    format!(
        "{:032x}",
        (i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c834)
    )
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let endpoint = args
        .next()
        .expect("usage: bench_kinesis ENDPOINT [RECORDS] [ONE_CALL] [ROUNDS]");
    let n: u64 = args.next().map_or(50_000, |a| a.parse().expect("RECORDS"));
    let n_one: u64 = args.next().map_or(2_000, |a| a.parse().expect("ONE_CALL"));
    let rounds: usize = args.next().map_or(3, |a| a.parse().expect("ROUNDS"));
    let settings = csgen_pipeline::AwsSettings {
        endpoint: Some(endpoint.clone()),
    };
    let config = csgen_pipeline::endpoint::aws::load(&settings)
        .await
        .expect("a local endpoint");
    let client = Client::new(&config);
    let (mut one, mut plain, mut csgen) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        one.push(one_call_loop(&client, &format!("one-{round}"), n_one).await);
        plain.push(plain_batched_loop(&client, &format!("plain-{round}"), n).await);
        csgen.push(csgen_sink(&client, &endpoint, &format!("csgen-{round}"), n).await);
    }
    let (one, plain, csgen) = (median(one), median(plain), median(csgen));
    println!("records: {n} (one-call loop: {n_one}), median of {rounds} rounds, {endpoint}");
    println!("one PutRecord per click : {one:>10.0} records/s");
    println!("plain batched PutRecords: {plain:>10.0} records/s");
    println!("csgen kinesis sink      : {csgen:>10.0} records/s");
    println!("csgen / one-call        : {:>10.1}x", csgen / one);
    println!("csgen / plain batched   : {:>10.1}%", 100.0 * csgen / plain);
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The original: one PutRecord call per click, one at a time.
async fn one_call_loop(client: &Client, stream: &str, n: u64) -> f64 {
    create(client, stream).await;
    let b = batch(0, n);
    let t = Instant::now();
    for (i, r) in b.records().enumerate() {
        client
            .put_record()
            .stream_name(stream)
            .data(Blob::new(r))
            .partition_key(key(i))
            .send()
            .await
            .expect("put record");
    }
    n as f64 / t.elapsed().as_secs_f64()
}

/// A plain batched loop: PutRecords with 500 records, one call at a time.
async fn plain_batched_loop(client: &Client, stream: &str, n: u64) -> f64 {
    create(client, stream).await;
    let b = batch(0, n);
    let t = Instant::now();
    let records: Vec<(usize, &[u8])> = b.records().enumerate().collect();
    for chunk in records.chunks(500) {
        let entries = chunk
            .iter()
            .map(|(i, r)| {
                PutRecordsRequestEntry::builder()
                    .data(Blob::new(*r))
                    .partition_key(key(*i))
                    .build()
                    .unwrap()
            })
            .collect::<Vec<_>>();
        let out = client
            .put_records()
            .stream_name(stream)
            .set_records(Some(entries))
            .send()
            .await
            .expect("put records");
        assert_eq!(out.failed_record_count(), Some(0));
    }
    n as f64 / t.elapsed().as_secs_f64()
}

/// csgen's sink, default options, fed batches of 1000 as the pacer does.
async fn csgen_sink(client: &Client, endpoint: &str, stream: &str, n: u64) -> f64 {
    create(client, stream).await;
    let spec: SinkSpec = format!("kinesis:{stream}").parse().unwrap();
    let cx = SinkContext {
        aws: AwsSettings {
            endpoint: Some(endpoint.to_owned()),
        },
        seed: Some(1),
        ..Default::default()
    };
    let mut sink = spec.open(&cx).await.expect("build sink");
    let batches: Vec<Batch> = (0..n)
        .step_by(1000)
        .map(|s| batch(s, (s + 1000).min(n)))
        .collect();
    let t = Instant::now();
    for b in batches {
        sink.stats().add_generated(b.len() as u64);
        sink.send(b).await.expect("send");
    }
    sink.flush().await.expect("flush");
    let rate = n as f64 / t.elapsed().as_secs_f64();
    let s = sink.stats().snapshot();
    assert_eq!((s.delivered, s.failed), (n, 0));
    rate
}
