//! Raw JSON lines → Parquet on local disk: `csgen enrich` as a library call (read,
//! enrich, buffer, encode, commit) over a file of classic generator records
//! (`json_lines_*`, ~160 bytes each) and one of the realistic model's records
//! (`realistic_*`, ~450 bytes with user agents, campaigns, carts and orders).
//! Also prints the lake's size and the compression ratio for each codec and input,
//! and times enrich alone (records in memory, no lake) to split the cost.

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use csgen_model::StoreConfig;
use csgen_pipeline::{
    Compression, Counters, EnrichOptions, Enricher, LakeOptions, Position, RunOptions, SourceSpec,
};

#[path = "support/inputs.rs"]
mod inputs;

const EVENTS: u64 = 500_000;

/// `records` written to `dir/name`; returns the path and the size.
fn input(dir: &std::path::Path, name: &str, records: &[u8]) -> (std::path::PathBuf, u64) {
    let path = dir.join(name);
    std::fs::write(&path, records).unwrap();
    (path, records.len() as u64)
}

/// One run into `lake`: (committed events, bytes written).
fn once(src: &std::path::Path, lake: &std::path::Path, compression: Compression) -> (u64, u64) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let options = RunOptions {
        lake: LakeOptions {
            compression,
            // On when the run has a second core (taskset decides, as in
            // scripts/bench-lake.sh).
            flush_behind: true,
            ..LakeOptions::default()
        },
        no_checkpoint: true,
        ..RunOptions::default()
    };
    let summary = rt
        .block_on(csgen_pipeline::run(
            &SourceSpec::file(src.to_owned()),
            csgen_pipeline::lake::Store::Local(lake.to_owned()),
            &StoreConfig::defaults(),
            &options,
            Arc::new(Counters::default()),
            || 0,
            std::future::pending(),
        ))
        .unwrap();
    let c = summary.counters;
    // Every record is an event or a dead letter (the realistic model's are all events).
    assert_eq!(c.committed_events + c.committed_dead_letters, EVENTS);
    (c.committed_events, c.bytes_written)
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let inputs = [
        (
            "json_lines",
            input(dir.path(), "classic.jsonl", &inputs::classic(EVENTS)),
        ),
        (
            "realistic",
            input(
                dir.path(),
                "realistic.jsonl",
                &inputs::realistic(EVENTS as usize),
            ),
        ),
    ];
    for (input, (src, raw_bytes)) in &inputs {
        for (name, codec) in [
            ("zstd", Compression::Zstd),
            ("snappy", Compression::Snappy),
            ("none", Compression::None),
        ] {
            let lake = dir.path().join(format!("size-{input}-{name}"));
            let (events, bytes) = once(src, &lake, codec);
            eprintln!(
                "lake {input} {name}: {events} events, raw JSON {raw_bytes} B -> Parquet {bytes} B ({:.1} B/event, ratio {:.1}x)",
                bytes as f64 / events as f64,
                *raw_bytes as f64 / bytes as f64
            );
        }
    }
    let mut g = c.benchmark_group("enrich");
    g.throughput(Throughput::Elements(EVENTS));
    g.sample_size(10);
    for (input, (src, _)) in &inputs {
        let raw = std::fs::read(src).unwrap();
        g.bench_function(*input, |b| {
            b.iter(|| {
                let mut e = Enricher::new(&StoreConfig::defaults(), &EnrichOptions::default());
                let mut ok = 0u64;
                for line in raw.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                    ok += u64::from(e.enrich(line, Position::default()).is_ok());
                }
                assert_eq!(ok, EVENTS);
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("lake");
    g.throughput(Throughput::Elements(EVENTS));
    g.sample_size(10);
    let runs = [
        ("json_lines", Compression::Zstd),
        ("json_lines", Compression::Snappy),
        ("realistic", Compression::Zstd),
    ];
    for (input, codec) in runs {
        let src = &inputs.iter().find(|(name, _)| *name == input).unwrap().1.0;
        g.bench_function(format!("{input}_to_parquet_{codec}"), |b| {
            b.iter_batched(
                || {
                    let lake = dir.path().join("bench-lake");
                    let _ = std::fs::remove_dir_all(&lake);
                    lake
                },
                |lake| once(src, &lake, codec),
                criterion::BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
