//! A small fixed-seed lake, built once per test run with the realistic model and the
//! pipeline's own enrich and lake writer, and DuckDB (PyPI, in `.venv`) as the
//! independent engine the reports are checked against.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use csgen_model::{
    Batch, EventEncoder, EventStream, Format, RealisticConfig, RealisticModel, Shard,
};
use csgen_pipeline::{Counters, RunOptions, SourceSpec};
use csgen_testkit::repo_root;

/// 2026-11-02T00:00:00Z, a Monday.
pub const FROM_MS: i64 = 1_793_577_600_000;
const HOUR_MS: i64 = 3_600_000;
/// The run's seed.
pub const SEED: u64 = 7;
/// Two days: enough for returning users and sessions across midnight.
pub const HOURS: i64 = 48;

/// The example store, smaller: 2,000 customers and 1,500 sessions a day
/// (about 13,000 events over the two days), with its faults on.
pub fn config() -> RealisticConfig {
    let text = std::fs::read_to_string(repo_root().join("examples/store.toml")).unwrap();
    let text = text
        .replace("sessions_per_day = 20000", "sessions_per_day = 1500")
        .replace("count = 10000", "count = 2000");
    RealisticConfig::from_toml(&text).expect("the example config is valid")
}

/// The test lake (built on first use; shared by every test of this binary).
pub fn lake() -> &'static Path {
    static LAKE: OnceLock<PathBuf> = OnceLock::new();
    LAKE.get_or_init(|| build("", config(), HOURS))
}

/// Fifteen days (three Monday weeks) of a small store (300 customers, 60 sessions a
/// day): enough weeks for cohort retention to have later weeks.
pub fn weeks_lake() -> &'static Path {
    static LAKE: OnceLock<PathBuf> = OnceLock::new();
    LAKE.get_or_init(|| {
        let text = std::fs::read_to_string(repo_root().join("examples/store.toml")).unwrap();
        let text = text
            .replace("sessions_per_day = 20000", "sessions_per_day = 60")
            .replace("count = 10000", "count = 300");
        let config = RealisticConfig::from_toml(&text).expect("a valid config");
        build("-weeks", config, 15 * 24)
    })
}

/// Writes `hours` of `config`'s stream from [`FROM_MS`] into a lake of its own.
fn build(tag: &str, config: RealisticConfig, hours: i64) -> PathBuf {
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR"));
    remove_stale_lakes(scratch);
    let dir = scratch.join(format!("{PREFIX}{}{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let raw = dir.join("raw.jsonl");
    write_raw(&raw, &config, hours);
    let root = dir.join("lake");
    // On a thread of its own: callers may be inside a runtime already.
    let lake = root.clone();
    std::thread::spawn(move || build_lake(&raw, &lake, config, hours))
        .join()
        .unwrap();
    root
}

fn build_lake(raw: &Path, root: &Path, config: RealisticConfig, hours: i64) {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = csgen_pipeline::lake::Store::Local(root.to_owned());
        csgen_pipeline::run(
            &SourceSpec::file(raw.to_owned()),
            store,
            &config.store,
            &RunOptions::default(),
            Arc::new(Counters::default()),
            || FROM_MS + hours * HOUR_MS,
            std::future::pending(),
        )
        .await
        .expect("the lake is written");
        let model = RealisticModel::new(&config, SEED);
        let store = csgen_pipeline::lake::Store::Local(root.to_owned());
        csgen_pipeline::lake::dimensions::write_dimensions(
            &store,
            &model,
            Shard::ALL,
            &csgen_pipeline::LakeOptions::default(),
        )
        .await
        .expect("the dimension tables are written");
    });
}

const PREFIX: &str = "analytics-it-lake-";

/// Statics are never dropped, so each run's lake stays behind; remove those of
/// test processes that have exited.
fn remove_stale_lakes(scratch: &Path) {
    let Ok(entries) = std::fs::read_dir(scratch) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix(PREFIX).and_then(|p| p.split('-').next())
            && !Path::new("/proc").join(pid).exists()
        {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// The raw records of `hours`, in the order a backfill emits them.
fn write_raw(path: &Path, config: &RealisticConfig, hours: i64) {
    let model = RealisticModel::new(config, SEED);
    let mut stream = EventStream::new(&model, Shard::ALL, FROM_MS);
    let mut encoder = EventEncoder::new(Format::Json, &model);
    let mut batch = Batch::default();
    let mut events = Vec::new();
    for hour in 1..=hours {
        events.clear();
        stream.fill_until(FROM_MS + hour * HOUR_MS, &mut events);
        for e in &events {
            encoder.push(&model, e, &mut batch);
        }
    }
    std::fs::write(path, &batch.data).unwrap();
}

/// `.venv/bin/python` with duckdb importable; `None` (or a panic under CI) otherwise.
pub fn python() -> Option<PathBuf> {
    csgen_testkit::python(&["duckdb"])
}

/// `request` (`{"lake", "range_predicate", "reports": [{"name", "sql"}]}`) run by
/// DuckDB (tools/python/report_duckdb.py): each report's rows by name, or `None`
/// where DuckDB is not installed (a panic under CI).
pub fn duckdb_reports(request: &serde_json::Value) -> Option<serde_json::Value> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let py = python()?;
    let mut child = Command::new(py)
        .arg(repo_root().join("tools/python/report_duckdb.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    Some(answer["reports"].clone())
}
