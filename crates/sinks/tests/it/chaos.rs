//! The Guarantees figure "nothing lost": a paced run into kinesalite through the fault
//! proxy (10 % of records refused in each PutRecords answer), with the server killed
//! and restarted three times. `CSGEN_CHAOS_SECS` sets the length: 8 s in the suite,
//! 60 s for the README (`CSGEN_CHAOS_SECS=60 cargo test --workspace --test it chaos --
//! --nocapture`).

use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

use csgen_sinks::Sink as _;
use csgen_testkit::Server;

use crate::kinesis::{check_all_arrived, client, create_stream, kinesis_sink, read_all, send};
use crate::proxy::{Faults, Proxy};
use crate::{count_ids, event_ids, json_batch};

/// Records per send and sends per second: 2,000 records/s.
const BATCH: u64 = 100;
const SENDS_PER_S: u64 = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kinesis_killed_three_times_with_ten_percent_partial_failures_loses_nothing() {
    let secs: u64 = std::env::var("CSGEN_CHAOS_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let dir = std::env::temp_dir().join(format!("csgen-chaos-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let Some(mut server) = Server::kinesalite(Some(&dir)) else {
        return;
    };
    let admin = client(&server.endpoint()).await;
    create_stream(&admin, "chaos", 2).await;
    let faults = Faults {
        fail_every: 10,
        ..Faults::default()
    };
    let proxy = Proxy::start(server.addr(), faults).await;
    let spec = "kinesis:chaos?linger=20ms&batch-records=200&max-in-flight=3&buffer-records=2000";
    let mut sink = kinesis_sink(&proxy.endpoint(), spec).await;
    let stats = sink.stats().clone();

    let run = Duration::from_secs(secs);
    let started = Instant::now();
    let sender = tokio::spawn(async move {
        let mut sent = 0;
        let mut next = tokio::time::Instant::now();
        while started.elapsed() < run {
            send(&mut sink, json_batch(sent, sent + BATCH)).await;
            sent += BATCH;
            next += Duration::from_millis(1000 / SENDS_PER_S);
            tokio::time::sleep_until(next).await;
        }
        sink.flush().await.map(|()| (sink, sent))
    });

    for k in 1..=3u32 {
        let at = run * k / 4;
        tokio::time::sleep(at.saturating_sub(started.elapsed())).await;
        server.kill();
        // Down until the sink has retried against the dead server at least once.
        let retried = stats.snapshot().retried;
        let deadline = Instant::now() + Duration::from_secs(30);
        while stats.snapshot().retried <= retried {
            assert!(
                Instant::now() < deadline,
                "no retry while the server was down"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server.restart();
    }
    let (sink, sent) = sender.await.unwrap().expect("flush after the last restart");
    let s = sink.stats().snapshot();
    assert_eq!(
        (s.generated, s.delivered, s.failed, s.in_flight),
        (sent, sent, 0, 0),
        "{s:?}"
    );
    let refused = proxy.counters.records_failed.load(SeqCst);
    assert!(refused > sent / 20, "partial failures injected: {refused}");

    let got = count_ids(
        read_all(&admin, "chaos")
            .await
            .values()
            .flatten()
            .map(Vec::as_slice),
    );
    let dupes = check_all_arrived(&event_ids(0, sent), &got);
    // Only calls in flight at a kill can have been stored without their answer.
    assert!(u64::from(dupes) <= 3 * 3 * 200, "{dupes} duplicates");
    eprintln!(
        "chaos: {secs} s, {sent} records, server killed and restarted 3 times, {refused} \
         records refused by injected partial failures, retried {}, all delivered, \
         duplicates {dupes}",
        s.retried
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
