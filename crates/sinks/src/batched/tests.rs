//! Unit tests of the delivery engine with a scripted in-process `PutApi`, on paused
//! tokio time: call limits, linger, backpressure, per-key order and fatal stops.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

use super::options::StreamOptions;
use super::retry::{CallFailure, RecordOutcome};
use super::{Engine, PutApi, Record};

/// Records every call; waits for a gate permit per call when gated; answers by script.
#[derive(Clone, Default)]
struct Fake {
    calls: Arc<Mutex<Vec<Vec<Record>>>>,
    gate: Option<Arc<Semaphore>>,
    fatal: bool,
    /// Makes calls take 0-4 ms by call number, so concurrent calls finish out of order.
    uneven: bool,
    started: Arc<std::sync::atomic::AtomicU64>,
}

impl PutApi for Fake {
    async fn put(&self, records: &[Record]) -> Result<Vec<RecordOutcome>, CallFailure> {
        if let Some(gate) = &self.gate {
            gate.acquire().await.unwrap().forget();
        }
        let n = self
            .started
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if self.uneven {
            tokio::time::sleep(Duration::from_millis(n * 7 % 5)).await;
        }
        self.calls.lock().unwrap().push(records.to_vec());
        if self.fatal {
            return Err(CallFailure::Fatal("stream \"s\" not found".into()));
        }
        Ok(vec![RecordOutcome::Delivered; records.len()])
    }
}

fn records(n: usize, size: usize, key: impl Fn(usize) -> String) -> Vec<Record> {
    (0..n)
        .map(|i| Record {
            data: vec![b'x'; size],
            key: key(i),
        })
        .collect()
}

fn options(linger_ms: u64, in_flight: usize, buffer: usize) -> StreamOptions {
    StreamOptions {
        linger: Duration::from_millis(linger_ms),
        max_in_flight: NonZeroUsize::new(in_flight).unwrap(),
        buffer_records: NonZeroUsize::new(buffer).unwrap(),
        ..StreamOptions::default()
    }
}

#[tokio::test]
async fn calls_stay_within_the_record_and_byte_limits() {
    let fake = Fake::default();
    let opts = options(10, 4, 10_000);
    let mut engine = Engine::start(
        fake.clone(),
        "t".into(),
        crate::kinesis::LIMITS,
        &opts,
        false,
        1,
    );
    engine.stats().add_generated(1700);
    // 20 KiB records: 5 MiB holds 255 of them (the key counts too).
    engine
        .accept(records(700, 20 * 1024, |_| "k".into()))
        .await
        .unwrap();
    engine
        .accept(records(1000, 10, |_| "k".into()))
        .await
        .unwrap();
    engine.flush().await.unwrap();
    let calls = fake.calls.lock().unwrap();
    let total: usize = calls.iter().map(Vec::len).sum();
    assert_eq!(total, 1700);
    for call in calls.iter() {
        let bytes: usize = call.iter().map(Record::size).sum();
        assert!(
            call.len() <= 500 && bytes <= 5 * 1024 * 1024,
            "{} / {bytes}",
            call.len()
        );
    }
    assert!(
        calls.iter().any(|c| c.len() == 500),
        "small records fill whole calls"
    );
    assert_eq!(engine.stats().snapshot().delivered, 1700);
}

#[tokio::test(start_paused = true)]
async fn a_partial_call_goes_out_after_linger() {
    let fake = Fake::default();
    let mut engine = Engine::start(
        fake.clone(),
        "t".into(),
        crate::kinesis::LIMITS,
        &options(500, 4, 1000),
        false,
        1,
    );
    engine
        .accept(records(10, 10, |_| "k".into()))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(490)).await;
    assert!(fake.calls.lock().unwrap().is_empty(), "sent before linger");
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(fake.calls.lock().unwrap().len(), 1, "not sent after linger");
}

#[tokio::test(start_paused = true)]
async fn a_full_buffer_makes_send_wait() {
    let gate = Arc::new(Semaphore::new(0));
    let fake = Fake {
        gate: Some(gate.clone()),
        ..Fake::default()
    };
    let mut engine = Engine::start(
        fake.clone(),
        "t".into(),
        crate::kinesis::LIMITS,
        &options(0, 1, 1000),
        false,
        1,
    );
    engine.stats().add_generated(1500);
    engine
        .accept(records(1000, 10, |_| "k".into()))
        .await
        .unwrap();
    let blocked = tokio::time::timeout(
        Duration::from_secs(5),
        engine.accept(records(500, 10, |_| "k".into())),
    )
    .await;
    assert!(
        blocked.is_err(),
        "send must wait while 1000 records are undelivered"
    );
    assert_eq!(engine.stats().snapshot().in_flight, 1500);
    gate.add_permits(10);
    engine
        .accept(records(500, 10, |_| "k".into()))
        .await
        .unwrap();
    engine.flush().await.unwrap();
    // The first attempt at the blocked 500 was accepted into the buffer only once.
    assert_eq!(engine.stats().snapshot().delivered, 1500);
}

#[tokio::test]
async fn ordered_keys_keep_their_order_across_lanes() {
    let fake = Fake {
        uneven: true,
        ..Fake::default()
    };
    let opts = StreamOptions {
        batch_records: NonZeroUsize::new(7).unwrap(),
        ..options(1, 4, 100)
    };
    let mut engine = Engine::start(
        fake.clone(),
        "t".into(),
        crate::kinesis::LIMITS,
        &opts,
        true,
        1,
    );
    for round in 0..50u8 {
        let batch = (0..20)
            .map(|i| Record {
                data: vec![round],
                key: format!("user{}", i % 5),
            })
            .collect();
        engine.accept(batch).await.unwrap();
    }
    engine.flush().await.unwrap();
    let calls = fake.calls.lock().unwrap();
    let mut last: std::collections::HashMap<&str, u8> = Default::default();
    for r in calls.iter().flatten() {
        if let Some(prev) = last.insert(r.key.as_str(), r.data[0]) {
            assert!(prev <= r.data[0], "{}: {} after {prev}", r.key, r.data[0]);
        }
    }
    assert_eq!(calls.iter().map(Vec::len).sum::<usize>(), 1000);
}

#[tokio::test]
async fn a_fatal_answer_stops_the_sink_and_fails_everything() {
    let fake = Fake {
        fatal: true,
        ..Fake::default()
    };
    let mut engine = Engine::start(
        fake.clone(),
        "kinesis:s".into(),
        crate::kinesis::LIMITS,
        &options(0, 2, 1000),
        false,
        1,
    );
    engine.stats().add_generated(30);
    engine
        .accept(records(20, 10, |_| "k".into()))
        .await
        .unwrap();
    let err = engine.flush().await.unwrap_err();
    assert_eq!(err.to_string(), "kinesis:s: stream \"s\" not found");
    assert!(
        engine
            .accept(records(10, 10, |_| "k".into()))
            .await
            .is_err()
    );
    let s = engine.stats().snapshot();
    assert_eq!(
        (s.delivered, s.failed, s.in_flight, s.retried),
        (0, 30, 0, 0)
    );
    assert_eq!(
        fake.calls.lock().unwrap().len(),
        1,
        "no retries after a fatal answer"
    );
}

#[tokio::test(start_paused = true)]
async fn a_sink_that_missed_its_flush_deadline_takes_records_again() {
    // The first release answered every later send with "stopped after its flush
    // deadline", so a `serve` that was stopped once could never deliver again.
    let gate = Arc::new(Semaphore::new(0));
    let fake = Fake {
        gate: Some(gate.clone()),
        ..Fake::default()
    };
    let mut opts = options(0, 2, 1000);
    opts.flush_timeout = Duration::from_secs(1);
    for lanes_ordered in [false, true] {
        let mut engine = Engine::start(
            fake.clone(),
            "t".into(),
            crate::kinesis::LIMITS,
            &opts,
            lanes_ordered,
            1,
        );
        engine.stats().add_generated(300);
        engine
            .accept(records(100, 10, |i| format!("k{i}")))
            .await
            .unwrap();
        let err = engine.flush().await.expect_err("the service never answers");
        assert!(
            matches!(err, crate::SinkError::Undelivered { records: 100, .. }),
            "{err}"
        );
        let s = engine.stats().snapshot();
        assert_eq!((s.delivered, s.failed, s.in_flight), (0, 100, 200));

        // The service is back: the next run's records go through.
        gate.add_permits(1000);
        engine
            .accept(records(200, 10, |i| format!("k{i}")))
            .await
            .expect("a sink that gave up once takes records again");
        engine.flush().await.expect("and delivers them");
        let s = engine.stats().snapshot();
        assert_eq!(
            (s.delivered, s.failed, s.in_flight),
            (200, 100, 0),
            "ordered lanes: {lanes_ordered}, {:?}",
            engine.failure_reasons()
        );
        gate.forget_permits(1000);
    }
}

/// Answers the first call "retry after 30 s", then delivers; notes when each call came.
#[derive(Clone, Default)]
struct Throttled {
    at: Arc<Mutex<Vec<tokio::time::Instant>>>,
}

impl PutApi for Throttled {
    async fn put(&self, records: &[Record]) -> Result<Vec<RecordOutcome>, CallFailure> {
        let mut at = self.at.lock().unwrap();
        at.push(tokio::time::Instant::now());
        if at.len() == 1 {
            return Err(CallFailure::RetryAfter(
                "HTTP 429".into(),
                Duration::from_secs(30),
            ));
        }
        Ok(vec![RecordOutcome::Delivered; records.len()])
    }
}

#[tokio::test(start_paused = true)]
async fn a_servers_retry_after_outlasts_the_backoff() {
    let api = Throttled::default();
    let mut opts = options(0, 1, 100);
    opts.flush_timeout = Duration::from_secs(120);
    let mut engine = Engine::start(
        api.clone(),
        "t".into(),
        crate::kinesis::LIMITS,
        &opts,
        false,
        1,
    );
    engine.stats().add_generated(3);
    engine.accept(records(3, 10, |_| "k".into())).await.unwrap();
    engine.flush().await.unwrap();
    let at = api.at.lock().unwrap();
    assert_eq!(at.len(), 2);
    // The first backoff alone is 50-100 ms; the server asked for 30 s.
    assert!(
        at[1] - at[0] >= Duration::from_secs(30),
        "{:?}",
        at[1] - at[0]
    );
    let s = engine.stats().snapshot();
    assert_eq!((s.delivered, s.retried), (3, 3));
}
