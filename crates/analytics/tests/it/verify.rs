//! `verify` over real lakes written by the pipeline from a realistic-model run with
//! faults on: the lake as written passes, and each deliberately broken copy — a file
//! deleted, a file duplicated, a file moved to another hour — is caught with the
//! finding that names it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use csgen_analytics::Lake;
use csgen_analytics::verify::{self, Finding, Options, Report, VerifyError};
use csgen_model::{
    Batch, EventEncoder, EventStream, Format, Manifest, RealisticConfig, RealisticModel, Shard,
    TruthBuilder,
};
use csgen_pipeline::{Counters, LakeSpec, RunOptions, SourceSpec};

/// 2026-11-02T00:00:00Z; the run covers three hours of a Monday night.
const FROM_MS: i64 = 1_793_577_600_000;
const TO_MS: i64 = FROM_MS + 3 * 3_600_000;

/// The example store with every fault at 1–2 %, so that a small run has them all.
fn config() -> RealisticConfig {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/store.toml"),
    )
    .unwrap();
    let text = text
        .replace("duplicate = 0.002", "duplicate = 0.01")
        .replace("late = 0.001", "late = 0.01")
        .replace("out_of_order = 0.005", "out_of_order = 0.02")
        .replace("malformed = 0.001", "malformed = 0.01");
    RealisticConfig::from_toml(&text).unwrap()
}

struct Run {
    dir: PathBuf,
    manifest: Manifest,
}

/// The run's raw records enriched into a lake, and its manifest (built once).
fn run() -> &'static Run {
    static RUN: OnceLock<Run> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("csgen-verify-it-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let config = config();
        let model = RealisticModel::new(&config, 7);
        let mut events = Vec::new();
        EventStream::new(&model, Shard::ALL, FROM_MS).fill_until(TO_MS, &mut events);
        let mut truth = TruthBuilder::new(&model, Format::Json, Shard::ALL);
        truth.add_all(&events);
        let mut encoder = EventEncoder::new(Format::Json, &model);
        let mut batch = Batch::default();
        for e in &events {
            encoder.push(&model, e, &mut batch);
        }
        let raw = dir.join("raw.jsonl");
        std::fs::write(&raw, &batch.data).unwrap();
        let lake = csgen_pipeline::lake::Store::Local(dir.join("lake"));
        // Its own thread: the first caller is a test already inside a runtime.
        std::thread::spawn(move || {
            tokio::runtime::Runtime::new().unwrap().block_on(async {
                csgen_pipeline::run(
                    &SourceSpec::file(raw),
                    lake,
                    &config.store,
                    &RunOptions::default(),
                    Arc::new(Counters::default()),
                    || TO_MS,
                    std::future::pending(),
                )
                .await
                .unwrap();
            })
        })
        .join()
        .unwrap();
        Run {
            dir,
            manifest: truth.finish(),
        }
    })
}

/// A fresh copy of the run's lake, to break.
fn lake_copy(name: &str) -> PathBuf {
    let to = run().dir.join(name);
    let _ = std::fs::remove_dir_all(&to);
    copy_dir(&run().dir.join("lake"), &to);
    to
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The single Parquet file of an hour partition.
fn file_of(lake: &Path, hour: &str) -> PathBuf {
    let (dt, hh) = hour.split_once('T').unwrap();
    let dir = lake.join(format!("events/dt={dt}/hour={hh}"));
    let files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    files[0].clone()
}

async fn verify_with(lake: &Path, config: Option<RealisticConfig>) -> Result<Report, VerifyError> {
    let lake = Lake::open_allow_empty(&LakeSpec::Local(lake.to_owned())).await?;
    let options = Options {
        config,
        alpha: verify::DEFAULT_ALPHA,
        truth_name: "truth.json".into(),
    };
    verify::verify(&lake, &run().manifest, &options).await
}

async fn verify(lake: &Path) -> Report {
    verify_with(lake, Some(config())).await.unwrap()
}

fn hour<'r>(report: &'r Report, hour: &str) -> &'r verify::HourReport {
    report
        .failed_hours
        .iter()
        .find(|h| h.hour == hour)
        .unwrap_or_else(|| panic!("{hour} not reported:\n{}", verify::render(report)))
}

const HOUR: &str = "2026-11-02T01";

#[tokio::test]
async fn the_lake_as_written_passes_with_every_fault_accounted_for() {
    let m = &run().manifest;
    let f = &m.faults;
    assert!(
        f.duplicate.count > 0 && f.late.count > 0 && f.out_of_order.count > 0,
        "the run has faults of every kind: {f:?}"
    );
    assert!(f.malformed.count > 0);
    let lake = run().dir.join("lake");
    let report = verify(&lake).await;
    let text = verify::render(&report);
    assert!(report.passed(), "{text}");
    assert!(report.model_checked);
    assert_eq!(report.found_events, m.events);
    assert_eq!(report.rows, m.events + f.duplicate.count, "copies kept");
    assert_eq!(report.distributions.len(), 3, "{text}");
    let late = report.faults.iter().find(|s| s.fault == "late").unwrap();
    assert_eq!(
        late.outcome,
        "all in the lake, in the partition of their event time"
    );
    // The run's window was found in the regenerated stream, so even the hours it cut
    // (late arrivals before it, late records after it) are checked id by id.
    assert!(report.notes.is_empty(), "{text}");
    assert!(
        m.hours.contains_key("2026-11-01T23"),
        "late arrivals from before the run"
    );

    let counts_only = verify_with(&lake, None).await.unwrap();
    assert!(counts_only.passed(), "{}", verify::render(&counts_only));
    assert!(!counts_only.model_checked && counts_only.distributions.is_empty());
}

#[tokio::test]
async fn a_deleted_file_is_reported_as_missing_ids_of_its_hour() {
    let lake = lake_copy("deleted");
    std::fs::remove_file(file_of(&lake, HOUR)).unwrap();
    let report = verify(&lake).await;
    assert!(!report.passed());
    let expected = run().manifest.hours[HOUR].events;
    let h = hour(&report, HOUR);
    assert_eq!((h.expected, h.found, h.rows), (expected, 0, 0));
    assert!(
        h.findings
            .contains(&Finding::EventCount { expected, found: 0 })
    );
    let missing = h.findings.iter().find_map(|f| match f {
        Finding::MissingIds { count, examples } => Some((*count, examples)),
        _ => None,
    });
    let (count, examples) = missing.expect("missing ids are named");
    assert_eq!(count, expected);
    assert_eq!(examples[0].note.as_deref(), Some("not in the lake"));
    assert_eq!(report.failed_hours.len(), 1, "{}", verify::render(&report));
}

#[tokio::test]
async fn a_duplicated_file_is_reported_as_unexpected_duplicates() {
    let lake = lake_copy("duplicated");
    let file = file_of(&lake, HOUR);
    std::fs::copy(&file, file.with_file_name("part-copy.parquet")).unwrap();
    let report = verify(&lake).await;
    assert!(!report.passed());
    let h = hour(&report, HOUR);
    let events = run().manifest.hours[HOUR].events;
    assert_eq!(h.found, events, "distinct events are all there");
    let [
        Finding::UnexpectedDuplicates {
            ids,
            extra_rows,
            examples,
        },
    ] = &h.findings[..]
    else {
        panic!("{:?}", h.findings);
    };
    assert_eq!(*ids, events);
    // Every row is doubled, the injected copies included.
    assert_eq!(*extra_rows, events + run().manifest.hours[HOUR].duplicates);
    assert!(examples[0].note.as_deref().unwrap().starts_with("2 rows"));
}

#[tokio::test]
async fn a_file_moved_to_another_hour_is_misplaced_there_and_missing_here() {
    let lake = lake_copy("moved");
    let file = file_of(&lake, HOUR);
    let other = file_of(&lake, "2026-11-02T00");
    std::fs::rename(&file, other.with_file_name("part-moved.parquet")).unwrap();
    let report = verify(&lake).await;
    let text = verify::render(&report);
    let h = hour(&report, HOUR);
    assert!(
        h.findings
            .iter()
            .any(|f| matches!(f, Finding::MissingIds { .. })),
        "{text}"
    );
    let there = hour(&report, "2026-11-02T00");
    let events = run().manifest.hours[HOUR].events;
    let misplaced = there.findings.iter().find_map(|f| match f {
        Finding::Misplaced { count, examples } => Some((*count, examples)),
        _ => None,
    });
    let (count, examples) = misplaced.expect("rows outside their hour");
    assert_eq!(count, events + run().manifest.hours[HOUR].duplicates);
    assert_eq!(
        examples[0].note.as_deref(),
        Some("event time in 2026-11-02T01")
    );
    let stray = there.findings.iter().find_map(|f| match f {
        Finding::UnexpectedIds { count, examples } => Some((*count, examples)),
        _ => None,
    });
    let (count, examples) = stray.expect("ids that belong elsewhere");
    assert_eq!(count, events);
    assert_eq!(
        examples[0].note.as_deref(),
        Some("belongs to 2026-11-02T01")
    );
    assert!(text.contains("missing ids:") && text.contains("rows outside the partition's hour"));
}

#[tokio::test]
async fn a_config_that_is_not_the_runs_is_a_usage_error() {
    let lake = run().dir.join("lake");
    let mut other = config();
    other.faults.late = 0.02;
    other.faults.out_of_order = 0.01;
    let err = verify_with(&lake, Some(other)).await.unwrap_err();
    assert!(err.is_usage(), "{err}");
    assert!(
        err.to_string().contains("does not reproduce the manifest"),
        "{err}"
    );

    let mut url = run().manifest.clone();
    url.format = "url".into();
    let lake = Lake::open_allow_empty(&LakeSpec::Local(lake))
        .await
        .unwrap();
    let options = Options {
        config: None,
        alpha: verify::DEFAULT_ALPHA,
        truth_name: "t".into(),
    };
    let err = verify::verify(&lake, &url, &options).await.unwrap_err();
    assert!(matches!(err, VerifyError::Format(_)) && err.is_usage());
}

/// One purchase's revenue in the hour's file, one cent more.
fn add_a_cent_to_one_order(file: &Path) {
    use datafusion::arrow::array::{Array, AsArray, Decimal128Array, RecordBatch};
    use datafusion::arrow::datatypes::Decimal128Type;
    use datafusion::parquet::arrow::ArrowWriter;
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(file).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    let mut done = false;
    let mut w = ArrowWriter::try_new(
        std::fs::File::create(file).unwrap(),
        batches[0].schema(),
        None,
    )
    .unwrap();
    for b in batches {
        let i = b.schema().index_of("revenue").unwrap();
        let revenue = b.column(i).as_primitive::<Decimal128Type>();
        let tampered: Decimal128Array = (0..b.num_rows())
            .map(|r| {
                let v = (!revenue.is_null(r)).then(|| revenue.value(r));
                match v {
                    Some(v) if !done => {
                        done = true;
                        Some(v + 10) // thousandths: one cent
                    }
                    v => v,
                }
            })
            .collect::<Decimal128Array>()
            .with_data_type(revenue.data_type().clone());
        let mut columns = b.columns().to_vec();
        columns[i] = Arc::new(tampered);
        w.write(&RecordBatch::try_new(b.schema(), columns).unwrap())
            .unwrap();
    }
    w.close().unwrap();
    assert!(done, "{} has an order", file.display());
}

/// Orders and revenue per hour are checked to the cent: the lake as written agrees
/// with the manifest (the passing test above), a cent more on one order does not.
#[tokio::test]
async fn a_tampered_revenue_fails_by_a_cent() {
    let m = &run().manifest;
    let (hour_key, truth) = m
        .hours
        .iter()
        .filter(|(k, _)| k.as_str() >= "2026-11-02T00")
        .find(|(_, h)| h.orders.values().sum::<u64>() > 0)
        .expect("the run has orders");
    let orders: u64 = m.hours.values().flat_map(|h| h.orders.values()).sum();
    assert!(orders > 0 && truth.revenue.contains_key("USD"), "{truth:?}");
    let lake = lake_copy("tampered-revenue");
    add_a_cent_to_one_order(&file_of(&lake, hour_key));
    let report = verify(&lake).await;
    assert!(!report.passed());
    let h = hour(&report, hour_key);
    let usd = truth.revenue["USD"] as u64;
    assert_eq!(
        h.findings,
        [Finding::Breakdown {
            of: "revenue (minor units)".into(),
            diffs: vec![verify::Diff {
                key: "USD".into(),
                expected: usd,
                found: usd + 1,
            }],
        }],
        "{}",
        verify::render(&report)
    );
    assert_eq!(report.failed_hours.len(), 1, "{}", verify::render(&report));
}
