//! Test support: raw input made by the generator and the independent Python reader.
//! The servers (moto, kinesalite) come from `csgen_testkit`.

use std::path::{Path, PathBuf};
use std::process::Command;

use csgen_model::{Encoder, Format, Generator, StoreConfig};

/// `.venv/bin/python` with the independent readers (pyarrow, DuckDB) importable;
/// `None` (or a panic under CI) otherwise.
pub fn python() -> Option<PathBuf> {
    csgen_testkit::python(&["pyarrow", "duckdb"])
}

/// `n` JSON records from the generator, one second apart from `start_ms`, plus the
/// event ids in order.
pub fn generated(n: u64, start_ms: i64, step_ms: i64) -> (Vec<u8>, Vec<String>) {
    let config = StoreConfig::defaults();
    let g = Generator::new(&config, 7);
    let mut enc = Encoder::new(Format::Json, &config.store_url);
    let (mut out, mut ids) = (Vec::new(), Vec::new());
    for seq in 0..n {
        let click = g.click(seq, start_ms + seq as i64 * step_ms);
        enc.encode(&click, &mut out);
        out.push(b'\n');
        ids.push(click.event_id().to_string());
    }
    (out, ids)
}

/// What read_lake.py says about a lake.
#[derive(Debug, serde::Deserialize)]
pub struct LakeReadback {
    pub files: Vec<String>,
    pub types: std::collections::BTreeMap<String, String>,
    pub rows: u64,
    pub event_ids: Vec<String>,
    pub misplaced: Vec<String>,
    pub event_types: Vec<String>,
    pub null_group_names: u64,
    pub duckdb: Option<DuckDb>,
}

#[derive(Debug, serde::Deserialize)]
pub struct DuckDb {
    pub rows: u64,
    pub distinct: u64,
    pub misplaced: u64,
}

pub fn read_lake(py: &Path, args: &[&str]) -> LakeReadback {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/read_lake.py");
    let out = Command::new(py)
        .arg(script)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "read_lake.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("read_lake.py prints JSON")
}

/// The schema every reader must see.
pub fn assert_event_types(types: &std::collections::BTreeMap<String, String>) {
    let want = [
        ("event_id", "string"),
        ("event_time", "timestamp[ms, tz=UTC]"),
        ("event_type", "string"),
        ("user_id", "int64"),
        ("session_id", "string"),
        ("group_id", "int32"),
        ("group_name", "string"),
        ("product_id", "int64"),
        ("device", "string"),
        ("browser", "string"),
        ("referrer", "string"),
        ("url", "string"),
    ];
    for (col, ty) in want {
        assert_eq!(
            types.get(col).map(String::as_str),
            Some(ty),
            "column {col}: {types:?}"
        );
    }
    // Partition columns come from the path (Hive style), as dictionary/strings/ints.
    assert!(
        types.contains_key("dt") && types.contains_key("hour"),
        "{types:?}"
    );
}
