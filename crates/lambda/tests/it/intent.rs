//! The intent protocol on a local lake: a batch whose write fails part-way and comes
//! back bisected leaves every record exactly once.

use aws_lambda_events::event::kinesis::KinesisEvent;
use csgen_lambda::kinesis::{by_shard, plan};
use csgen_lambda::{Settings, intent};
use csgen_pipeline::LakeOptions;
use csgen_pipeline::lake::Store;
use csgen_testkit::files_under;

use crate::support::{kinesis_event, seq};

fn click(n: u64, hour: u32) -> Vec<u8> {
    format!(
        r#"{{"event_id":"e{n}","ts":"2026-11-02T{hour:02}:00:0{n}.000Z","url":"http://s/api/group/1","user_id":{n}}}"#
    )
    .into_bytes()
}

async fn write(store: &Store, lines: &[(u64, Vec<u8>)]) -> Result<(), intent::CommitError> {
    let records: Vec<(u64, &[u8])> = lines.iter().map(|(n, l)| (*n, l.as_slice())).collect();
    let event: KinesisEvent =
        serde_json::from_value(kinesis_event(&records, 1_793_613_600.0)).unwrap();
    let settings =
        Settings::from_env(|k| (k == "CSGEN_LAKE").then(|| "unused".to_owned())).unwrap();
    let shards = by_shard(&event.records).unwrap();
    let (origin, recs) = shards.iter().next().unwrap();
    let p = plan(origin, recs, &settings.store, &LakeOptions::default())
        .unwrap()
        .unwrap();
    intent::commit(store, &p.origin, &p.first, &p.last, p.files)
        .await
        .map(|_| ())
}

#[tokio::test]
async fn a_bisected_retry_after_a_partial_write_leaves_every_record_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    let store = Store::Local(root.clone());
    // Records 1, 3 in hour 10; 2, 4 in hour 11; 5 is not a click.
    let all: Vec<(u64, Vec<u8>)> = vec![
        (1, click(1, 10)),
        (2, click(2, 11)),
        (3, click(3, 10)),
        (4, click(4, 11)),
        (5, b"garbage".to_vec()),
    ];
    // Hour 11 cannot be written (a file where its folder goes): the attempt fails
    // after writing what it could, and leaves its intent.
    let blocked = root.join("events/dt=2026-11-02/hour=11");
    std::fs::create_dir_all(blocked.parent().unwrap()).unwrap();
    std::fs::write(&blocked, b"").unwrap();
    assert!(write(&store, &all).await.is_err());
    let stem = |a: u64, b: u64| format!("part-clicks-shardId-000000000000-{}-{}", seq(a), seq(b));
    let intent = format!(
        "_csgen/lambda/clicks/shardId-000000000000/{}-{}.json",
        seq(1),
        seq(5)
    );
    let partial = format!("events/dt=2026-11-02/hour=10/{}.parquet", stem(1, 3));
    // The writes run on the blocking pool and finish after the error: wait for hour 10.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !files_under(&root).contains(&partial) {
        assert!(
            std::time::Instant::now() < deadline,
            "hour 10 never written: {:?}",
            files_under(&root)
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        files_under(&root).contains(&intent),
        "{:?}",
        files_under(&root)
    );

    // Lambda bisects: records 1..=2, then 3..=5.
    std::fs::remove_file(&blocked).unwrap();
    write(&store, &all[..2]).await.unwrap();
    write(&store, &all[2..]).await.unwrap();
    let expected = vec![
        format!("dead_letters/{}.jsonl", stem(5, 5)),
        format!("events/dt=2026-11-02/hour=10/{}.parquet", stem(1, 1)),
        format!("events/dt=2026-11-02/hour=10/{}.parquet", stem(3, 3)),
        format!("events/dt=2026-11-02/hour=11/{}.parquet", stem(2, 2)),
        format!("events/dt=2026-11-02/hour=11/{}.parquet", stem(4, 4)),
    ];
    assert_eq!(
        files_under(&root),
        expected,
        "the failed attempt's files and intent are gone"
    );

    // The same half again: same keys, nothing added.
    write(&store, &all[2..]).await.unwrap();
    assert_eq!(files_under(&root), expected);
}
