//! A lake in S3 (moto's S3 API on 127.0.0.1): the same table, answers and pruning as
//! the local copy of the same files.

use csgen_analytics::{Lake, query};
use csgen_pipeline::{AwsSettings, LakeSpec};
use csgen_testkit::Server;

use crate::support::lake;

#[tokio::test]
async fn an_s3_lake_answers_like_its_local_copy_and_prunes_the_same() {
    let Some(moto) = Server::moto() else { return };
    moto.create_bucket("lake");
    csgen_testkit::local_aws_env();
    let aws = AwsSettings {
        endpoint: Some(moto.endpoint()),
    };
    let spec: LakeSpec = "s3://lake/clicks/v1".parse().unwrap();
    let store = spec.open(&aws).await.unwrap();
    let local = Lake::open(lake().to_str().unwrap()).await.unwrap();
    // One day of the local lake, uploaded as the writer lays it out.
    let files: Vec<_> = local
        .files()
        .await
        .unwrap()
        .into_iter()
        .filter(|f| f.partition.starts_with("dt=2026-11-03"))
        .collect();
    for f in &files {
        store
            .put(&f.path, std::fs::read(lake().join(&f.path)).unwrap())
            .await
            .unwrap();
    }

    let s3 = Lake::from_store(store).unwrap();
    assert_eq!(s3.root(), "s3://lake/clicks/v1");
    assert_eq!(s3.files().await.unwrap(), files);
    let sql = "SELECT hour, count(*) AS n, count(DISTINCT session_id) AS s FROM events \
               WHERE dt = DATE '2026-11-03' GROUP BY hour ORDER BY hour";
    let (a, b) = (
        query::run(&s3, sql).await.unwrap(),
        query::run(&local, sql).await.unwrap(),
    );
    assert_eq!(a.batches, b.batches);
    assert_eq!(a.rows(), 24);

    let one = query::run(
        &s3,
        "SELECT count(DISTINCT user_id) FROM events WHERE dt = '2026-11-03' AND hour = 9",
    )
    .await
    .unwrap();
    assert_eq!(one.stats.partitions, 1);
    assert!(
        one.stats
            .files
            .iter()
            .all(|f| f.starts_with("clicks/v1/events/dt=2026-11-03/hour=09/")),
        "{:?}",
        one.stats.files
    );
}
