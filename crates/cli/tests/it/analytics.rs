//! `csgen query` and `csgen report` on a lake written by `csgen generate`: output
//! formats, partition pruning shown by `--stats`, time ranges, and exit statuses.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::support::{TempDir, run, stderr, stdout};

/// Six hours of the example store, written once for every test here.
fn lake() -> &'static Path {
    static LAKE: OnceLock<(TempDir, PathBuf)> = OnceLock::new();
    &LAKE
        .get_or_init(|| {
            let dir = TempDir::new("analytics");
            let lake = dir.path("lake");
            let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/store.toml");
            let o = run(&[
                "generate",
                "--config",
                config.to_str().unwrap(),
                "--seed",
                "3",
                "--from",
                "2026-11-02T08:00:00Z",
                "--to",
                "2026-11-02T14:00:00Z",
                "--sink",
                &format!("lake:{}", lake.display()),
            ]);
            assert!(o.status.success(), "{}", stderr(&o));
            (dir, lake)
        })
        .1
}

fn lake_arg() -> &'static str {
    lake().to_str().unwrap()
}

#[test]
fn query_prints_a_table_csv_or_json() {
    let sql = "SELECT event_type, count(*) AS n FROM events GROUP BY 1 ORDER BY 1";
    let table = run(&["query", "--lake", lake_arg(), sql]);
    assert!(table.status.success(), "{}", stderr(&table));
    let text = stdout(&table);
    assert!(
        text.starts_with("+--") && text.contains("| landing "),
        "{text}"
    );

    let csv = run(&["query", "--lake", lake_arg(), "--format", "csv", sql]);
    let csv = stdout(&csv);
    assert_eq!(csv.lines().next(), Some("event_type,n"));

    let json = run(&["query", "--lake", lake_arg(), "--format", "json", sql]);
    let rows: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    let total: u64 = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["n"].as_u64().unwrap())
        .sum();
    assert_eq!(csv.lines().count() - 1, rows.as_array().unwrap().len());
    assert!(total > 1000, "{total}");
}

#[test]
fn query_stats_show_that_one_hour_reads_one_hours_files() {
    let o = run(&[
        "query",
        "--lake",
        lake_arg(),
        "--stats",
        "SELECT count(DISTINCT session_id) FROM events WHERE dt = '2026-11-02' AND hour = 9",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let files = std::fs::read_dir(lake().join("events/dt=2026-11-02/hour=09"))
        .unwrap()
        .count();
    let all: usize = std::fs::read_dir(lake().join("events/dt=2026-11-02"))
        .unwrap()
        .map(|h| std::fs::read_dir(h.unwrap().path()).unwrap().count())
        .sum();
    let err = stderr(&o);
    let expected = format!("read {files} of {all} files, 1 partition: dt=2026-11-02/hour=09");
    assert!(err.contains(&expected), "{err}\nexpected: {expected}");
}

#[test]
fn report_prints_every_report_as_text_or_json() {
    let o = run(&["report", "--lake", lake_arg()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    for title in [
        "## Events per hour and type",
        "## Daily active users",
        "## Clicks per product group",
        "## Top products per group",
        "## Sessions, session length and bounce rate",
        "## Funnel: group list -> product -> cart -> checkout -> purchase",
    ] {
        assert!(text.contains(title), "{title} missing:\n{text}");
    }

    let o = run(&[
        "report",
        "--lake",
        lake_arg(),
        "--json",
        "--from",
        "2026-11-02T10:00:00Z",
        "--to",
        "2026-11-02T12:00:00Z",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let hours: Vec<u64> = r["hourly"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["hour"].as_u64().unwrap())
        .collect();
    assert_eq!(hours, [10, 11]);
    assert_eq!(r["range"]["from"], "2026-11-02T10:00:00Z");
    for key in ["daily", "groups", "top_products", "sessions", "funnel"] {
        assert!(!r[key].as_array().unwrap().is_empty(), "{key}");
    }
}

#[test]
fn report_sql_prints_the_queries_it_runs() {
    let o = run(&["report", "--sql", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        doc["reports"].as_array().unwrap().len(),
        csgen_analytics::report::REPORTS.len()
    );
    assert!(doc["range_predicate"].is_null());
    let o = run(&["report", "--sql", "--from", "2026-11-02"]);
    assert!(stdout(&o).contains("-- events: the lake's events WHERE dt >= DATE '2026-11-02'"));
}

#[test]
fn bad_sql_and_bad_paths_are_usage_errors_and_an_empty_lake_a_failure() {
    let o = run(&["query", "--lake", lake_arg(), "SELECT nope FROM events"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("bad SQL") && stderr(&o).contains("nope"),
        "{}",
        stderr(&o)
    );

    let o = run(&["query", "--lake", "/nonexistent/lake", "SELECT 1"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("lake /nonexistent/lake: no such folder"),
        "{}",
        stderr(&o)
    );

    let empty = TempDir::new("empty-lake");
    let o = run(&["report", "--lake", empty.0.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(&format!("lake {}: no events", empty.0.display())),
        "{}",
        stderr(&o)
    );

    let o = run(&[
        "report",
        "--lake",
        lake_arg(),
        "--from",
        "2026-11-03",
        "--to",
        "2026-11-02",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = run(&["query", "--lake", lake_arg(), "--format", "xml", "SELECT 1"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn query_is_read_only_unless_writes_are_allowed() {
    let dir = TempDir::new("query-writes");
    let out = dir.path("w.csv");
    let copy = format!(
        "COPY (SELECT 'x' AS a) TO '{}' STORED AS CSV",
        out.display()
    );
    let o = run(&["query", "--lake", lake_arg(), &copy]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("COPY") && stderr(&o).contains("--allow-write"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists(), "nothing was written");

    let o = run(&["query", "--lake", lake_arg(), "--allow-write", &copy]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "a\nx\n");
}

#[test]
fn control_characters_from_records_reach_the_terminal_escaped() {
    let dir = TempDir::new("hostile-strings");
    let raw = dir.path("raw.jsonl");
    let hostile = "https://r.example/\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m";
    let record = serde_json::json!({
        "event_id": "e1",
        "ts": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "url": "https://webstore.demo.com/api/group/1?userid=7",
        "user_id": 7,
        "referrer": hostile,
    });
    std::fs::write(&raw, format!("{record}\n")).unwrap();
    let lake = dir.path("lake");
    let o = crate::support::enrich_file(&raw, &lake);
    assert!(o.status.success(), "{}", stderr(&o));
    let lake = lake.to_str().unwrap();
    let sql = "SELECT referrer FROM events";

    let table = stdout(&run(&["query", "--lake", lake, sql]));
    assert!(
        !table.chars().any(|c| c.is_control() && c != '\n'),
        "{table:?}"
    );
    assert!(
        table.contains(r"/\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m"),
        "{table}"
    );

    // JSON escapes the JSON way: the data is unchanged for a reader.
    let json = stdout(&run(&["query", "--lake", lake, "--format", "json", sql]));
    assert!(
        !json.chars().any(|c| c.is_control() && c != '\n'),
        "{json:?}"
    );
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(rows[0]["referrer"], hostile);

    // CSV into a pipe (not a terminal) keeps the data exact.
    let csv = stdout(&run(&["query", "--lake", lake, "--format", "csv", sql]));
    assert!(csv.contains(hostile), "{csv:?}");
}

#[test]
fn ddl_projects_the_days_the_lake_holds_and_refuses_unsafe_names() {
    let o = run(&["ddl", "--lake", lake_arg()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("'projection.dt.range' = '2026-11-02,NOW+1DAYS'"),
        "the lake's first day, not 2020: {text}"
    );

    let o = run(&[
        "ddl",
        "--lake",
        lake_arg(),
        "--table",
        "events` (x int) LOCATION 's3://elsewhere/'; --",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("letters, digits or underscores"),
        "{}",
        stderr(&o)
    );

    for flag in ["--products-table", "--customers-table"] {
        let o = run(&["ddl", "--lake", lake_arg(), flag, "x'; DROP TABLE y; --"]);
        assert_eq!(o.status.code(), Some(2), "{flag}: {}", stderr(&o));
        assert!(stderr(&o).contains(flag), "{flag}: {}", stderr(&o));
    }

    let empty = TempDir::new("ddl-empty-lake");
    let o = run(&["ddl", "--lake", empty.0.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("--since"), "{}", stderr(&o));
    let o = run(&[
        "ddl",
        "--lake",
        empty.0.to_str().unwrap(),
        "--since",
        "2026-11-01",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}
