//! The `http:` collector sink against the test suite's own fault-injecting collector
//! (`csgen_testkit::FaultServer`): retries that lose nothing, duplicates exactly where an
//! answer was lost after the server stored the batch, `Retry-After`, failed batches
//! with their reason, the body formats, and a secret header that is sent but never shown.

use std::collections::HashMap;
use std::io::Read;
use std::time::{Duration, Instant};

use csgen_sinks::{AnySink, Sink, SinkContext, SinkSpec};
use csgen_testkit::{Fault, FaultServer, Stored};

use crate::{event_ids, json_batch};

async fn open(spec: &str) -> AnySink {
    let spec: SinkSpec = spec.parse().unwrap_or_else(|e| panic!("{spec}: {e}"));
    let cx = SinkContext {
        seed: Some(7),
        flush_timeout: Some(Duration::from_secs(60)),
        ..SinkContext::default()
    };
    spec.open(&cx).await.expect("build the http sink")
}

/// Sends clicks `0..n` in batches of 250 and flushes.
async fn send_all(sink: &mut AnySink, n: u64) {
    for start in (0..n).step_by(250) {
        let batch = json_batch(start, (start + 250).min(n));
        sink.stats().add_generated(batch.len() as u64);
        sink.send(batch).await.unwrap();
    }
    sink.flush().await.expect("flush");
}

/// The event ids of an ndjson body.
fn ids(body: &[u8]) -> Vec<String> {
    body.split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_slice(l).expect("a JSON record");
            v["event_id"].as_str().expect("event_id").to_owned()
        })
        .collect()
}

fn header<'a>(s: &'a Stored, name: &str) -> Option<&'a str> {
    s.headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_lose_nothing_and_duplicate_only_batches_whose_answer_was_lost() {
    let server = FaultServer::start(|n| match n % 8 {
        1 => Fault::TooMany { retry_after: 0 },
        2 => Fault::ServerError,
        3 => Fault::Slow(Duration::from_millis(200)),
        4 => Fault::DropBeforeStore,
        5 => Fault::DropAfterStore,
        _ => Fault::Ok,
    });
    let mut sink = open(&format!(
        "http:{}?batch-records=100&linger=10ms&timeout=5s",
        server.url("/collect")
    ))
    .await;
    const N: u64 = 3000;
    send_all(&mut sink, N).await;
    let s = sink.stats().snapshot();
    assert_eq!((s.delivered, s.failed, s.in_flight), (N, 0, 0));
    assert!(s.retried > 0, "{s:?}");

    let stored = server.stored();
    let mut copies: HashMap<String, u64> = HashMap::new();
    let mut in_lost_answers = 0u64;
    for body in &stored {
        let body_ids = ids(&body.body);
        if body.answer_lost {
            in_lost_answers += body_ids.len() as u64;
        }
        for id in body_ids {
            *copies.entry(id).or_default() += 1;
        }
    }
    for id in event_ids(0, N) {
        assert!(copies.get(&id).is_some_and(|c| *c >= 1), "event {id} lost");
    }
    assert_eq!(copies.len() as u64, N, "no stray records");
    let duplicates: u64 = copies.values().map(|c| c - 1).sum();
    assert!(
        in_lost_answers > 0,
        "the script drops answers after storing"
    );
    assert_eq!(
        duplicates, in_lost_answers,
        "duplicates are exactly the records whose answer was lost"
    );
    let calls = s.calls.expect("the sink records its requests");
    let by = |c: &str| calls.classes().find(|(k, _)| *k == c).unwrap().1;
    assert!(
        by("2xx") >= 30 && by("4xx") >= 1 && by("5xx") >= 1 && by("error") >= 2,
        "{calls:?}"
    );
    assert_eq!(
        calls.count as usize,
        server.requests(),
        "every request recorded once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_is_honoured() {
    let server = FaultServer::start(|n| match n {
        0 => Fault::TooMany { retry_after: 1 },
        _ => Fault::Ok,
    });
    let mut sink = open(&format!("http:{}?linger=0s", server.url("/c"))).await;
    let started = Instant::now();
    send_all(&mut sink, 10).await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(1),
        "retried after {took:?}, before Retry-After"
    );
    assert_eq!(sink.stats().snapshot().delivered, 10);
    assert_eq!(server.requests(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_batch_fails_with_the_status_and_the_answer_and_the_rest_goes_on() {
    let server = FaultServer::start(|n| if n == 0 { Fault::BadRequest } else { Fault::Ok });
    let mut sink = open(&format!(
        "http:{}?batch-records=100&max-in-flight=1&linger=0s",
        server.url("/c")
    ))
    .await;
    send_all(&mut sink, 500).await;
    let s = sink.stats().snapshot();
    assert_eq!((s.delivered, s.failed, s.in_flight), (400, 100, 0));
    let reasons = sink.failure_reasons();
    assert_eq!(
        reasons.get("HTTP 400: {\"error\":\"schema violation in record 3\"}"),
        Some(&100),
        "{reasons:?}"
    );
    // 250-record sends in calls of 100, 100 and 50: six calls, the refused one once.
    assert_eq!(server.requests(), 6, "a refused batch is not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_json_arrays_arrive_intact_and_the_secret_header_is_sent_but_never_shown() {
    const SECRET: &str = "Bearer csgen-secret-42";
    // SAFETY: this variable is read only by this test's sink.
    unsafe { std::env::set_var("CSGEN_TEST_HTTP_AUTH", SECRET) };
    let server = FaultServer::start(|_| Fault::Ok);
    let spec = format!(
        "http:{}?format=json-array&gzip=true&header-env.Authorization=CSGEN_TEST_HTTP_AUTH&header.X-Source=csgen%20test",
        server.url("/c")
    );
    let parsed: SinkSpec = spec.parse().unwrap();
    assert!(!format!("{parsed} {parsed:?}").contains("csgen-secret"));
    let mut sink = open(&spec).await;
    assert!(!sink.describe().contains("csgen-secret"));
    send_all(&mut sink, 300).await;
    assert_eq!(sink.stats().snapshot().delivered, 300);
    let mut ids_seen = Vec::new();
    for s in server.stored() {
        assert_eq!(header(&s, "authorization"), Some(SECRET));
        assert_eq!(header(&s, "x-source"), Some("csgen test"));
        assert_eq!(header(&s, "content-encoding"), Some("gzip"));
        assert_eq!(header(&s, "content-type"), Some("application/json"));
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(&s.body[..])
            .read_to_end(&mut json)
            .unwrap();
        let records: Vec<serde_json::Value> = serde_json::from_slice(&json).unwrap();
        ids_seen.extend(
            records
                .iter()
                .map(|r| r["event_id"].as_str().unwrap().to_owned()),
        );
    }
    ids_seen.sort();
    let mut want = event_ids(0, 300);
    want.sort();
    assert_eq!(ids_seen, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_collector_is_retried_until_the_flush_deadline_then_counted() {
    let port = csgen_testkit::free_port();
    let spec: SinkSpec = format!("http:http://127.0.0.1:{port}/c?flush-timeout=1s&linger=0s")
        .parse()
        .unwrap();
    let mut sink = spec.open(&SinkContext::default()).await.unwrap();
    let batch = json_batch(0, 20);
    sink.stats().add_generated(20);
    sink.send(batch).await.unwrap();
    let err = sink.flush().await.unwrap_err().to_string();
    assert!(
        err.contains("20 records not delivered within the flush timeout of 1s"),
        "{err}"
    );
    let s = sink.stats().snapshot();
    assert_eq!((s.delivered, s.failed, s.in_flight), (0, 20, 0));
    assert!(
        s.calls.unwrap().by_class[5] >= 1,
        "connection errors are recorded"
    );
}
