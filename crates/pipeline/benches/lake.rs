//! Raw JSON lines → Parquet on local disk, one core: `csgen enrich` as a library call
//! (read, enrich, buffer, encode, commit) over a file of generator records.
//! Also prints the lake's size and the compression ratio for each codec, and times
//! enrich alone (records in memory, no lake) to split the cost.

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use csgen_model::{Encoder, Format, Generator, StoreConfig};
use csgen_pipeline::{
    Compression, Counters, EnrichOptions, Enricher, LakeOptions, Position, RunOptions, SourceSpec,
};

const EVENTS: u64 = 500_000;

fn input(dir: &std::path::Path) -> (std::path::PathBuf, u64) {
    let config = StoreConfig::defaults();
    let g = Generator::new(&config, 1);
    let mut enc = Encoder::new(Format::Json, &config.store_url);
    let mut out = Vec::new();
    for seq in 0..EVENTS {
        // 3 clicks per second from 2026-11-23T00:00Z: about 46 hour partitions.
        enc.encode(
            &g.click(seq, 1_795_392_000_000 + seq as i64 * 333),
            &mut out,
        );
        out.push(b'\n');
    }
    let path = dir.join("raw.jsonl");
    std::fs::write(&path, &out).unwrap();
    (path, out.len() as u64)
}

fn once(src: &std::path::Path, lake: &std::path::Path, compression: Compression) -> u64 {
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
    assert_eq!(summary.counters.committed_events, EVENTS);
    summary.counters.bytes_written
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (src, raw_bytes) = input(dir.path());
    for (name, codec) in [
        ("zstd", Compression::Zstd),
        ("snappy", Compression::Snappy),
        ("none", Compression::None),
    ] {
        let lake = dir.path().join(format!("size-{name}"));
        let bytes = once(&src, &lake, codec);
        eprintln!(
            "lake {name}: {EVENTS} events, raw JSON {raw_bytes} B -> Parquet {bytes} B ({:.1} B/event, ratio {:.1}x)",
            bytes as f64 / EVENTS as f64,
            raw_bytes as f64 / bytes as f64
        );
    }
    let raw = std::fs::read(&src).unwrap();
    let mut g = c.benchmark_group("enrich");
    g.throughput(Throughput::Elements(EVENTS));
    g.sample_size(10);
    g.bench_function("json_lines", |b| {
        b.iter(|| {
            let mut e = Enricher::new(&StoreConfig::defaults(), &EnrichOptions::default());
            let mut ok = 0u64;
            for line in raw.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                ok += u64::from(e.enrich(line, Position::default()).is_ok());
            }
            assert_eq!(ok, EVENTS);
        })
    });
    g.finish();
    let mut g = c.benchmark_group("lake");
    g.throughput(Throughput::Elements(EVENTS));
    g.sample_size(10);
    for (name, codec) in [("zstd", Compression::Zstd), ("snappy", Compression::Snappy)] {
        g.bench_function(format!("json_lines_to_parquet_{name}"), |b| {
            b.iter_batched(
                || {
                    let lake = dir.path().join("bench-lake");
                    let _ = std::fs::remove_dir_all(&lake);
                    lake
                },
                |lake| once(&src, &lake, codec),
                criterion::BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
