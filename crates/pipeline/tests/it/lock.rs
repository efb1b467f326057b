//! One writer per (source, lake): a second run over the same checkpoint is refused,
//! locally (flock) and on S3 (a conditional-put lease on moto, 127.0.0.1).

use std::sync::Arc;
use std::time::{Duration, Instant};

use csgen_pipeline::lake::{LakeLock, LakeWriter, Store};
use csgen_pipeline::{AwsSettings, Counters, LakeError, LakeOptions, LakeSpec};
use csgen_testkit::Server;

async fn open(store: &Store, checkpoint: &str) -> Result<LakeWriter, LakeError> {
    let counters = Arc::new(Counters::default());
    LakeWriter::open(
        store.clone(),
        LakeOptions::default(),
        Some(checkpoint),
        counters,
    )
    .await
    .map(|(w, _)| w)
}

#[tokio::test]
async fn a_second_run_over_the_same_checkpoint_is_refused_until_the_first_ends() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::Local(dir.path().to_owned());
    let first = open(&store, "file:/data/raw.jsonl").await.unwrap();
    let Err(e) = open(&store, "file:/data/raw.jsonl").await else {
        panic!("two writers over one checkpoint")
    };
    let text = e.to_string();
    assert!(matches!(e, LakeError::Locked { .. }), "{e:?}");
    assert!(
        text.contains(&format!("pid {}", std::process::id())) && text.contains(".lock"),
        "names the holder and the lock: {text}"
    );
    // Another source into the same lake is another checkpoint: not refused.
    let other = open(&store, "file:/data/other.jsonl").await.unwrap();
    drop((first, other));
    open(&store, "file:/data/raw.jsonl")
        .await
        .expect("the lock goes with the run that held it");
}

#[tokio::test]
async fn an_s3_lease_refuses_a_second_run_and_is_taken_over_once_expired() {
    let Some(moto) = Server::moto() else { return };
    moto.create_bucket("lake");
    csgen_testkit::local_aws_env();
    let aws = AwsSettings {
        endpoint: Some(moto.endpoint()),
    };
    let spec: LakeSpec = "s3://lake/locks".parse().unwrap();
    let store = spec.open(&aws).await.unwrap();

    let lease = Duration::from_millis(600);
    let mut first = LakeLock::acquire_with_lease(&store, "k", lease)
        .await
        .unwrap();
    let Err(e) = LakeLock::acquire_with_lease(&store, "k", lease).await else {
        panic!("two leases on one key")
    };
    assert!(
        matches!(&e, LakeError::Locked { holder, .. } if holder.contains("lease runs until")),
        "{e}"
    );

    // Once the first lease has expired without renewal, a second run takes it over...
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut second = loop {
        match LakeLock::acquire_with_lease(&store, "k", lease).await {
            Ok(l) => break l,
            Err(LakeError::Locked { .. }) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("expired lease not taken over: {e}"),
        }
    };
    // ... and the first learns it before its next commit.
    let lost = first.confirm().await.unwrap_err();
    assert!(matches!(lost, LakeError::LockLost { .. }), "{lost}");
    second.confirm().await.unwrap();

    // A released lease can be taken at once.
    second.release().await;
    LakeLock::acquire_with_lease(&store, "k", lease)
        .await
        .expect("released")
        .release()
        .await;
}
