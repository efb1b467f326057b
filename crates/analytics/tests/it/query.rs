//! SQL over the lake: the table, partition pruning, partial files, and errors.

use csgen_analytics::{AnalyticsError, Lake, query};
use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::Int64Type;

use crate::support::lake;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().unwrap()
}

/// The first column of the first row of `sql`, and what the query read. (A plain
/// `count(*)` may be answered from the files' metadata without a scan; the tests that
/// look at the files read add a `count(DISTINCT …)`.)
async fn count(lake: &Lake, sql: &str) -> (i64, query::QueryStats) {
    let r = query::run(lake, sql).await.unwrap();
    let batch = &r.batches[0];
    let n = batch.column(0).as_primitive::<Int64Type>().value(0);
    (n, r.stats)
}

#[test]
fn a_one_hour_query_reads_exactly_that_hours_files() {
    rt().block_on(async {
        let lake = Lake::open(lake().to_str().unwrap()).await.unwrap();
        let files = lake.files().await.unwrap();
        let hour_files: Vec<_> = files
            .iter()
            .filter(|f| f.partition == "dt=2026-11-02/hour=07")
            .map(|f| f.path.clone())
            .collect();
        assert!(!hour_files.is_empty());
        assert!(files.len() > hour_files.len() * 10, "{} files", files.len());

        let (n, stats) = count(
            &lake,
            "SELECT count(*), count(DISTINCT user_id) FROM events WHERE dt = DATE '2026-11-02' AND hour = 7",
        )
        .await;
        assert!(n > 0, "the zero-padded hour=07 directory is found");
        assert_eq!(stats.partitions, 1);
        let read: Vec<_> = stats
            .files
            .iter()
            .map(|f| f[f.find("events/").unwrap()..].to_owned())
            .collect();
        assert_eq!(read, hour_files);

        // The same hour through other spellings, all pruned to it.
        for sql in [
            "SELECT count(*), count(DISTINCT user_id) FROM events WHERE dt = '2026-11-02' AND hour IN (7)",
            "SELECT count(*), count(DISTINCT user_id) FROM events WHERE 7 = hour AND dt = DATE '2026-11-02'",
            "SELECT count(*), count(DISTINCT user_id) FROM events WHERE dt = DATE '2026-11-02' AND hour BETWEEN 7 AND 7",
        ] {
            let (m, s) = count(&lake, sql).await;
            assert_eq!((m, s.partitions), (n, 1), "{sql}");
        }
        // And it equals what the files hold for that hour by event time.
        let (by_time, all) = count(
            &lake,
            "SELECT count(*), count(DISTINCT user_id) FROM events WHERE event_time >= TIMESTAMP '2026-11-02T07:00:00Z' \
             AND event_time < TIMESTAMP '2026-11-02T08:00:00Z'",
        )
        .await;
        assert_eq!(by_time, n);
        assert_eq!(all.files.len(), files.len(), "no partition filter: every file");
    });
}

#[test]
fn partition_columns_are_typed_and_agree_with_event_time() {
    rt().block_on(async {
        let lake = Lake::open(lake().to_str().unwrap()).await.unwrap();
        let r = query::run(
            &lake,
            "SELECT arrow_typeof(dt), arrow_typeof(hour), count(*) FROM events \
             WHERE CAST(event_time AS DATE) <> dt OR date_part('hour', event_time) <> hour \
             GROUP BY 1, 2",
        )
        .await
        .unwrap();
        assert_eq!(r.rows(), 0, "every event is in its event-time partition");
        let r = query::run(
            &lake,
            "SELECT arrow_typeof(dt), arrow_typeof(hour) FROM events LIMIT 1",
        )
        .await
        .unwrap();
        let text =
            csgen_analytics::output::render(&r.schema, &r.batches, Default::default(), false)
                .unwrap();
        assert!(text.contains("Date32") && text.contains("Int32"), "{text}");
    });
}

#[test]
fn files_being_written_are_not_part_of_the_table() {
    rt().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let part = "events/dt=2026-11-02/hour=07";
        let src = lake().join(part);
        std::fs::create_dir_all(dir.path().join(part)).unwrap();
        for f in std::fs::read_dir(&src).unwrap() {
            let f = f.unwrap();
            std::fs::copy(f.path(), dir.path().join(part).join(f.file_name())).unwrap();
        }
        let root = dir.path().to_str().unwrap();
        let before = count(
            &Lake::open(root).await.unwrap(),
            "SELECT count(*) FROM events",
        )
        .await
        .0;
        // What a writer leaves while it works (see the pipeline's store.rs): a hidden
        // temporary beside the target, and staged files under _csgen/.
        std::fs::write(
            dir.path()
                .join(part)
                .join(".part-w-9-0.parquet.0123abcd.tmp"),
            b"PAR1 half a file",
        )
        .unwrap();
        let staging = dir.path().join("_csgen/staging/w");
        std::fs::create_dir_all(&staging).unwrap();
        std::fs::write(staging.join("part-w-9-0.parquet"), b"PAR1 staged").unwrap();
        let lake = Lake::open(root).await.unwrap();
        assert_eq!(count(&lake, "SELECT count(*) FROM events").await.0, before);
        assert!(
            lake.files()
                .await
                .unwrap()
                .iter()
                .all(|f| !f.path.contains(".tmp"))
        );
    });
}

#[test]
fn new_files_are_seen_by_the_next_query() {
    rt().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let copy = |part: &str| {
            std::fs::create_dir_all(dir.path().join(part)).unwrap();
            for f in std::fs::read_dir(lake().join(part)).unwrap() {
                let f = f.unwrap();
                std::fs::copy(f.path(), dir.path().join(part).join(f.file_name())).unwrap();
            }
        };
        copy("events/dt=2026-11-02/hour=07");
        let lake = Lake::open(dir.path().to_str().unwrap()).await.unwrap();
        let first = count(&lake, "SELECT count(*) FROM events").await.0;
        copy("events/dt=2026-11-02/hour=08");
        let second = count(&lake, "SELECT count(*) FROM events").await.0;
        assert!(second > first, "{second} > {first}: no stale listing cache");
    });
}

#[test]
fn errors_name_the_lake_or_the_query() {
    rt().block_on(async {
        let missing = Lake::open("/nonexistent/lake").await.unwrap_err();
        assert!(
            matches!(missing, AnalyticsError::NotFound { .. }),
            "{missing}"
        );
        assert!(
            missing.to_string().contains("/nonexistent/lake"),
            "{missing}"
        );
        assert!(missing.is_usage());

        let dir = tempfile::tempdir().unwrap();
        let empty = Lake::open(dir.path().to_str().unwrap()).await.unwrap_err();
        assert!(matches!(empty, AnalyticsError::Empty { .. }), "{empty}");
        assert!(empty.to_string().contains(dir.path().to_str().unwrap()));
        assert!(!empty.is_usage());

        let lake = Lake::open(lake().to_str().unwrap()).await.unwrap();
        for bad in [
            "SELEC 1",
            "SELECT nope FROM events",
            "SELECT * FROM missing_table",
        ] {
            let e = query::run(&lake, bad).await.unwrap_err();
            assert!(matches!(e, AnalyticsError::Sql { .. }), "{bad}: {e}");
            assert!(e.is_usage());
        }
    });
}

#[test]
fn results_render_as_table_csv_and_json() {
    use csgen_analytics::output::{Format, render};
    rt().block_on(async {
        let lake = Lake::open(lake().to_str().unwrap()).await.unwrap();
        let sql = "SELECT event_type, count(*) AS n FROM events \
                   WHERE dt = DATE '2026-11-02' AND hour = 3 GROUP BY 1 ORDER BY 1";
        let r = query::run(&lake, sql).await.unwrap();
        let table = render(&r.schema, &r.batches, Format::Table, false).unwrap();
        let csv = render(&r.schema, &r.batches, Format::Csv, false).unwrap();
        let json = render(&r.schema, &r.batches, Format::Json, false).unwrap();
        insta::assert_snapshot!("hour_3_table", table);
        insta::assert_snapshot!("hour_3_csv", csv);
        insta::assert_snapshot!("hour_3_json", json);
        let none = query::run(&lake, "SELECT event_type FROM events WHERE hour = 99")
            .await
            .unwrap();
        assert!(none.batches.iter().all(|b| b.num_rows() == 0));
        assert_eq!(
            render(&none.schema, &none.batches, Format::Json, false).unwrap(),
            "[]\n"
        );
        assert_eq!(
            render(&none.schema, &none.batches, Format::Csv, false).unwrap(),
            "event_type\n"
        );
    });
}

#[test]
fn queries_cannot_write_unless_allowed() {
    use csgen_analytics::Access;
    rt().block_on(async {
        let lake = Lake::open(lake().to_str().unwrap()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("w.csv");
        let copy = format!(
            "COPY (SELECT 'x' AS a) TO '{}' STORED AS CSV",
            out.display()
        );
        let table = dir.path().join("t");
        std::fs::create_dir(&table).unwrap();
        for sql in [
            copy.clone(),
            format!(
                "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '{}'",
                table.display()
            ),
            "CREATE TABLE m AS SELECT 1 AS a".to_owned(),
            "INSERT INTO events SELECT * FROM events LIMIT 1".to_owned(),
            "SET datafusion.execution.batch_size = 1".to_owned(),
            "DROP TABLE events".to_owned(),
        ] {
            let e = query::run(&lake, &sql).await.unwrap_err();
            assert!(
                matches!(e, AnalyticsError::ReadOnly { .. }) && e.is_usage(),
                "{sql}: {e}"
            );
            assert!(e.to_string().contains("--allow-write"), "{e}");
        }
        assert!(!out.exists(), "the refused COPY wrote nothing");
        query::run(&lake, "SELECT count(*) FROM events")
            .await
            .unwrap();
        query::run(&lake, "EXPLAIN SELECT count(*) FROM events")
            .await
            .unwrap();

        query::run_in(&lake, lake.context(), &copy, Access::ReadWrite)
            .await
            .unwrap();
        assert!(out.exists(), "allowed, the COPY writes");
    });
}
