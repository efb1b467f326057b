//! The binary's pipeline paths: the realistic model's backfill with its ground truth,
//! `generate` into `enrich`, the in-process lake sink, and the DDL.
use crate::support::{TempDir, csgen, duckdb_counts, enrich_file, run, stderr, store_toml};

#[test]
fn realistic_backfill_writes_records_and_a_matching_ground_truth() {
    let dir = TempDir::new("backfill");
    let out = dir.path("day.jsonl");
    let spec = format!("file:{}", out.display());
    let args = [
        "generate",
        "--config",
        &store_toml(),
        "--seed",
        "5",
        "--from",
        "2026-11-02",
        "--to",
        "2026-11-03",
        "--sink",
        &spec,
    ];
    let o = run(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("day.jsonl.truth.json")).unwrap())
            .unwrap();
    assert_eq!(
        truth["records"].as_u64().unwrap(),
        text.lines().count() as u64,
        "the manifest counts what was written"
    );
    assert!(text.lines().count() > 1000);
    // Same seed, same bytes.
    let again = dir.path("again.jsonl");
    let mut args2 = args.to_vec();
    let spec2 = format!("file:{}", again.display());
    *args2.last_mut().unwrap() = &spec2;
    assert!(run(&args2).status.success());
    assert!(
        std::fs::read(&again).unwrap() == text.as_bytes(),
        "backfill is deterministic"
    );
}

#[test]
fn generate_then_enrich_lands_every_event_once() {
    let dir = TempDir::new("enrich");
    let raw = dir.path("raw.jsonl");
    let o = run(&[
        "generate",
        "-n",
        "5000",
        "--seed",
        "8",
        "-o",
        raw.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lake = dir.path("lake");
    let o = enrich_file(&raw, &lake);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("5000 events and 0 dead letters"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        duckdb_counts(&lake, "count(*), count(distinct event_id)"),
        [5000, 5000]
    );
    // Running again over the same file resumes at its end: nothing is added twice.
    let o = enrich_file(&raw, &lake);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        duckdb_counts(&lake, "count(*), count(distinct event_id)"),
        [5000, 5000]
    );
}

// A lake named by a relative path whose folder did not exist yet failed every flush
// (the durable folder creation opened "" to sync the working directory); the demo's
// default lake, ./csgen-demo, is such a path.
#[test]
fn a_lake_at_a_new_relative_path_is_created_and_written() {
    let dir = TempDir::new("relative-lake");
    let o = crate::support::csgen()
        .current_dir(dir.path(""))
        .args([
            "generate",
            "-n",
            "1000",
            "--seed",
            "1",
            "--sink",
            "lake:rel/lake",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("1000 events and 0 dead letters"),
        "{}",
        stderr(&o)
    );
    assert_eq!(duckdb_counts(&dir.path("rel/lake"), "count(*)"), [1000]);
}

/// `flush-behind=true` with a buffer small enough for many flushes: every event lands
/// once, as without it (on one core the option is a no-op; CI has two).
#[test]
fn enrich_with_flushes_behind_lands_every_event_once() {
    let dir = TempDir::new("enrich-behind");
    let raw = dir.path("raw.jsonl");
    let o = run(&[
        "generate",
        "-n",
        "60000",
        "--seed",
        "9",
        "-o",
        raw.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lake = dir.path("lake");
    let to = format!("lake:{}?max-buffer-mib=1&flush-behind=true", lake.display());
    let o = run(&["enrich", "--from", raw.to_str().unwrap(), "--to", &to]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("60000 events and 0 dead letters"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        duckdb_counts(&lake, "count(*), count(distinct event_id)"),
        [60000, 60000]
    );
}

#[test]
fn lake_sink_counts_dead_letters_as_stored_not_lost() {
    let dir = TempDir::new("lakesink");
    let lake = dir.path("lake");
    let truth = dir.path("truth.json");
    let o = run(&[
        "generate",
        "--config",
        &store_toml(),
        "--seed",
        "2",
        "--from",
        "2026-11-01T10:00:00Z",
        "--to",
        "2026-11-01T16:00:00Z",
        "--sink",
        &format!("lake:{}", lake.display()),
        "--truth",
        truth.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&truth).unwrap()).unwrap();
    let records = manifest["records"].as_u64().unwrap();
    assert!(
        err.contains(&format!(
            "generated {records}, delivered {records}, failed 0"
        )),
        "{err}"
    );
    let rows = duckdb_counts(&lake, "count(*)")[0];
    let dead: u64 = std::fs::read_dir(lake.join("dead_letters"))
        .map(|d| {
            d.map(|f| {
                std::fs::read_to_string(f.unwrap().path())
                    .unwrap()
                    .lines()
                    .count() as u64
            })
            .sum()
        })
        .unwrap_or(0);
    assert_eq!(
        rows + dead,
        records,
        "every record is an event or a dead letter"
    );
}

/// Events and dead letters in a lake's files.
fn lake_records(lake: &std::path::Path) -> u64 {
    let rows = if lake.join("events").exists() {
        duckdb_counts(lake, "count(*)")[0]
    } else {
        0
    };
    let dead: u64 = std::fs::read_dir(lake.join("dead_letters"))
        .map(|d| {
            d.map(|f| {
                std::fs::read_to_string(f.unwrap().path())
                    .unwrap()
                    .lines()
                    .count() as u64
            })
            .sum()
        })
        .unwrap_or(0);
    rows + dead
}

/// The number after `word ` in the summary line.
fn summary_count(err: &str, word: &str) -> u64 {
    let line = err
        .lines()
        .find(|l| l.contains("generated "))
        .unwrap_or_else(|| panic!("no summary in {err}"));
    let at = line.find(&format!("{word} ")).unwrap() + word.len() + 1;
    line[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn a_flush_cut_off_by_its_deadline_never_counts_lost_events_as_delivered() {
    // The first release lost 146 k events at the backfill-to-live hand-over with
    // --flush-timeout 10ms, counted them delivered, and exited 0.
    let dir = TempDir::new("cutflush");
    let lake = dir.path("lake");
    let hour = chrono::Utc::now().timestamp() / 3600 * 3600;
    let from = chrono::DateTime::from_timestamp(hour - 12 * 3600, 0)
        .unwrap()
        .to_rfc3339();
    let to = chrono::DateTime::from_timestamp(hour, 0)
        .unwrap()
        .to_rfc3339();
    let o = run(&[
        "generate",
        "--config",
        &store_toml(),
        "--seed",
        "3",
        "--from",
        &from,
        "--to",
        &to,
        "--then-live",
        "--duration",
        "3s",
        "--flush-timeout",
        "10ms",
        "--sink",
        &format!("lake:{}", lake.display()),
    ]);
    let err = stderr(&o);
    eprintln!("{err}");
    let delivered = summary_count(&err, "delivered");
    assert!(delivered > 0 || !o.status.success(), "{err}");
    assert_eq!(
        lake_records(&lake),
        delivered,
        "what is counted delivered is what the lake holds: {err}"
    );
    let generated = summary_count(&err, "generated");
    if delivered < generated {
        assert!(
            !o.status.success(),
            "undelivered records must fail the run: {err}"
        );
        assert!(err.contains("undelivered"), "{err}");
    }
}

#[test]
fn ddl_names_the_table_and_the_partitions() {
    let o = csgen()
        .args([
            "ddl",
            "--lake",
            "s3://bucket/clicks",
            "--since",
            "2026-11-01",
            "--table",
            "shop.clicks",
            "--products-table",
            "dims.items",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("CREATE EXTERNAL TABLE IF NOT EXISTS `shop`.`clicks` (")
            && text.contains("s3://bucket/clicks/events"),
        "{text}"
    );
    assert!(text.contains("dt") && text.contains("hour"));
    assert!(text.contains("'2026-11-01,NOW+1DAYS'"), "{text}");
    // The dimension tables: the products one as named, the customers one in --table's
    // database, each over its own folder.
    for (table, location) in [
        ("`dims`.`items`", "s3://bucket/clicks/products/"),
        ("`shop`.`customers`", "s3://bucket/clicks/customers/"),
    ] {
        assert!(
            text.contains(&format!("CREATE EXTERNAL TABLE IF NOT EXISTS {table} (")),
            "{text}"
        );
        assert!(text.contains(&format!("LOCATION '{location}';")), "{text}");
    }
}
