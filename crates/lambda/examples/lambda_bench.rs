//! Events per second per invocation of the Kinesis handler, and (with
//! `/usr/bin/time -f %M`) the process's peak memory: the measurement behind the
//! README's Lambda figures (`scripts/bench-lambda.sh` runs it).
//!
//! `lambda_bench RAW.jsonl BATCH ROUNDS LAKE_DIR` cuts the raw records of `RAW.jsonl`
//! into Kinesis batches of `BATCH` records (one record each, as csgen's sink sends
//! them), serialises each as the event JSON Lambda would hand the function, then times
//! what one invocation does: parse the event, enrich, encode Parquet, write the files
//! (to a local folder: S3's latency is not in these figures). `ROUNDS` passes over the
//! input; prints one line per pass and the median.

use std::time::Instant;

use aws_lambda_events::event::kinesis::KinesisEvent;
use base64::Engine as _;
use csgen_lambda::{KinesisFunction, Settings};
use csgen_pipeline::lake::Store;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, raw, batch, rounds, lake] = args.as_slice() else {
        return Err("usage: lambda_bench RAW.jsonl BATCH ROUNDS LAKE_DIR".into());
    };
    let (batch, rounds): (usize, usize) = (batch.parse()?, rounds.parse()?);
    let text = std::fs::read(raw)?;
    let lines: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let b64 = base64::engine::general_purpose::STANDARD;
    // Built one at a time, outside the timing: only one batch's event is in memory.
    let event_bytes = |c: usize, chunk: &[&[u8]]| -> Vec<u8> {
        let records: Vec<_> = chunk
                .iter()
                .enumerate()
                .map(|(i, data)| {
                    let seq = format!("4959{:052}", c * batch + i);
                    serde_json::json!({
                        "kinesis": {"partitionKey": "p", "sequenceNumber": seq,
                            "data": b64.encode(data), "approximateArrivalTimestamp": 1_793_613_600.0,
                            "kinesisSchemaVersion": "1.0"},
                        "eventSource": "aws:kinesis", "eventID": format!("shardId-000000000000:{seq}"),
                        "eventSourceARN": "arn:aws:kinesis:us-east-1:000000000000:stream/bench",
                        "awsRegion": "us-east-1", "eventName": "aws:kinesis:record", "eventVersion": "1.0",
                    })
                })
                .collect();
        serde_json::to_vec(&serde_json::json!({ "Records": records })).expect("JSON")
    };
    let settings = Settings::from_env(|k| match k {
        "CSGEN_LAKE" => Some(lake.clone()),
        _ => std::env::var(k).ok(),
    })?;
    let f = KinesisFunction::with_store(Store::Local(lake.into()), &settings);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut rates = Vec::new();
    for round in 0..rounds {
        let (mut secs, mut invocations) = (0.0, 0);
        for (c, chunk) in lines.chunks(batch).enumerate() {
            let bytes = event_bytes(c, chunk);
            let start = Instant::now();
            let event: KinesisEvent = serde_json::from_slice(&bytes)?;
            let response = rt.block_on(f.handle(event))?;
            secs += start.elapsed().as_secs_f64();
            invocations += 1;
            if !response.batch_item_failures.is_empty() {
                return Err(format!("item failures: {:?}", response.batch_item_failures).into());
            }
        }
        let rate = lines.len() as f64 / secs;
        println!(
            "batch {batch:>6}: round {round}: {} invocations, {} records in {secs:.3} s: {rate:.0} events/s, {:.2} ms an invocation",
            invocations,
            lines.len(),
            secs * 1000.0 / invocations as f64
        );
        rates.push(rate);
    }
    rates.sort_by(f64::total_cmp);
    println!(
        "batch {batch:>6}: median {:.0} events/s",
        rates[rates.len() / 2]
    );
    Ok(())
}
