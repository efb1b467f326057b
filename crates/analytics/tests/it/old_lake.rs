//! Lakes written before the catalog columns (issue 19) still answer `query`, `report`
//! and the verifier's queries: files with only the first columns read with nulls in
//! the new ones, side by side with files that have them.

use std::fs::File;
use std::path::Path;

use csgen_analytics::report;
use csgen_analytics::{Lake, query};
use csgen_pipeline::lake::{FIRST_COLUMNS, schema};
use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::support::lake;

/// Copies `from`'s `events/` to `to`, rewriting the files of day `old_day` with the
/// first lakes' columns only (as a writer before the change left them).
fn copy_with_old_files(from: &Path, to: &Path, old_day: &str) -> usize {
    let mut old = 0;
    for dir in std::fs::read_dir(from.join("events")).unwrap() {
        let dir = dir.unwrap().path();
        let day = dir.file_name().unwrap().to_string_lossy().into_owned();
        for hour in std::fs::read_dir(&dir).unwrap() {
            let hour = hour.unwrap().path();
            let target = to.join("events").join(&day).join(hour.file_name().unwrap());
            std::fs::create_dir_all(&target).unwrap();
            for file in std::fs::read_dir(&hour).unwrap() {
                let file = file.unwrap().path();
                let dest = target.join(file.file_name().unwrap());
                if day != format!("dt={old_day}") {
                    std::fs::copy(&file, &dest).unwrap();
                    continue;
                }
                let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&file).unwrap())
                    .unwrap()
                    .build()
                    .unwrap();
                let old_schema = std::sync::Arc::new(
                    schema()
                        .project(&(0..FIRST_COLUMNS).collect::<Vec<_>>())
                        .unwrap(),
                );
                let mut w =
                    ArrowWriter::try_new(File::create(&dest).unwrap(), old_schema.clone(), None)
                        .unwrap();
                for batch in reader {
                    let batch = batch.unwrap();
                    let columns = batch.columns()[..FIRST_COLUMNS].to_vec();
                    w.write(&RecordBatch::try_new(old_schema.clone(), columns).unwrap())
                        .unwrap();
                }
                w.close().unwrap();
                old += 1;
            }
        }
    }
    old
}

async fn int(lake: &Lake, sql: &str) -> i64 {
    let r = query::run(lake, sql).await.unwrap();
    r.batches[0].column(0).as_primitive::<Int64Type>().value(0)
}

#[test]
fn a_lake_with_files_from_before_the_new_columns_answers_query_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let old = copy_with_old_files(lake(), dir.path(), "2026-11-02");
    assert!(old > 0, "some files were rewritten the old way");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let new = Lake::open(lake().to_str().unwrap()).await.unwrap();
        let mixed = Lake::open(dir.path().to_str().unwrap()).await.unwrap();
        let all = "SELECT count(*) FROM events";
        assert_eq!(int(&mixed, all).await, int(&new, all).await);
        // The old day has no countries or revenue; the new day keeps them.
        let with =
            |day: &str, col: &str| format!("SELECT count({col}) FROM events WHERE dt = '{day}'");
        assert_eq!(int(&mixed, &with("2026-11-02", "country")).await, 0);
        assert_eq!(int(&mixed, &with("2026-11-02", "revenue")).await, 0);
        assert_eq!(int(&mixed, &with("2026-11-02", "items")).await, 0);
        for col in ["country", "revenue", "os", "items"] {
            let n = int(&new, &with("2026-11-03", col)).await;
            assert!(n > 0, "{col}");
            assert_eq!(int(&mixed, &with("2026-11-03", col)).await, n, "{col}");
        }
        let revenue =
            "SELECT CAST(sum(revenue) * 1000 AS BIGINT) FROM events WHERE dt = '2026-11-03'";
        assert_eq!(int(&mixed, revenue).await, int(&new, revenue).await);
        // Every report runs, and the event counts are the new lake's.
        let (a, b) = (
            report::reports(&mixed, None).await.unwrap(),
            report::reports(&new, None).await.unwrap(),
        );
        assert_eq!(a.hourly, b.hourly);
        assert_eq!(a.funnel, b.funnel);
    });
}
