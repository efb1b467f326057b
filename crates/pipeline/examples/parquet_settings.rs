//! Parquet writer settings compared on a lake's own rows (no enrich in the loop):
//!
//! ```text
//! parquet_settings LAKE [ROUNDS]   # re-encode every events/ file with each setting
//! ```
//!
//! Prints, per setting, the encode time (best of ROUNDS) and the total size, so that a
//! change of encoder settings is judged on speed and file size together.

use std::time::Instant;

use arrow_array::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterPropertiesBuilder};
use parquet::schema::types::ColumnPath;

fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("read lake dir") {
        let p = e.expect("dir entry").path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "parquet") {
            out.push(p);
        }
    }
}

fn col(name: &str) -> ColumnPath {
    ColumnPath::from(name)
}

fn base() -> WriterPropertiesBuilder {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap()))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_column_dictionary_enabled(col("event_id"), false)
        .set_column_dictionary_enabled(col("url"), false)
}

const SMALL: [&str; 8] = [
    "event_type",
    "user_id",
    "group_id",
    "group_name",
    "product_id",
    "device",
    "browser",
    "referrer",
];

/// The lake's own settings, as a builder to vary.
fn lake() -> WriterPropertiesBuilder {
    base().set_column_dictionary_enabled(col("event_time"), false)
}

fn settings() -> Vec<(&'static str, WriterProperties)> {
    let no_time_dict = || base().set_column_dictionary_enabled(col("event_time"), false);
    let small_plain = || {
        SMALL.iter().fold(no_time_dict(), |b, c| {
            b.set_column_compression(col(c), Compression::UNCOMPRESSED)
        })
    };
    vec![
        (
            "the lake's own (writer_properties)",
            csgen_pipeline::lake::writer_properties(&csgen_pipeline::LakeOptions::default()),
        ),
        ("before: zstd 1, page stats", base().build()),
        (
            "snappy",
            base().set_compression(Compression::SNAPPY).build(),
        ),
        (
            "uncompressed",
            base().set_compression(Compression::UNCOMPRESSED).build(),
        ),
        ("event_time without dictionary", no_time_dict().build()),
        ("+ dictionary columns uncompressed", small_plain().build()),
        (
            "+ chunk stats on event_id, url",
            no_time_dict()
                .set_column_statistics_enabled(col("event_id"), EnabledStatistics::Chunk)
                .set_column_statistics_enabled(col("url"), EnabledStatistics::Chunk)
                .build(),
        ),
        (
            "+ write batch 8192",
            small_plain().set_write_batch_size(8192).build(),
        ),
        (
            "no dict at all",
            base().set_dictionary_enabled(false).build(),
        ),
        (
            "lake + event_time delta",
            lake()
                .set_column_encoding(col("event_time"), Encoding::DELTA_BINARY_PACKED)
                .build(),
        ),
        (
            "lake + event_id, url delta byte array",
            lake()
                .set_column_encoding(col("event_id"), Encoding::DELTA_BYTE_ARRAY)
                .set_column_encoding(col("url"), Encoding::DELTA_BYTE_ARRAY)
                .build(),
        ),
        (
            "lake + all three delta",
            lake()
                .set_column_encoding(col("event_time"), Encoding::DELTA_BINARY_PACKED)
                .set_column_encoding(col("event_id"), Encoding::DELTA_BYTE_ARRAY)
                .set_column_encoding(col("url"), Encoding::DELTA_BYTE_ARRAY)
                .build(),
        ),
        (
            "lake + chunk stats everywhere",
            lake()
                .set_statistics_enabled(EnabledStatistics::Chunk)
                .build(),
        ),
    ]
}

fn encode(batches: &[RecordBatch], props: &WriterProperties) -> usize {
    batches
        .iter()
        .map(|b| {
            let mut w = ArrowWriter::try_new(Vec::new(), b.schema(), Some(props.clone())).unwrap();
            w.write(b).unwrap();
            w.into_inner().unwrap().len()
        })
        .sum()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(lake) = args.get(1) else {
        eprintln!("usage: parquet_settings LAKE [ROUNDS] [ONLY]");
        std::process::exit(2);
    };
    let rounds: usize = args.get(2).map_or(3, |r| r.parse().expect("ROUNDS"));
    let only: Option<usize> = args.get(3).map(|r| r.parse().expect("ONLY"));
    let mut paths = Vec::new();
    files(&std::path::Path::new(lake).join("events"), &mut paths);
    let batches: Vec<RecordBatch> = paths
        .iter()
        .map(|p| {
            let f = std::fs::File::open(p).unwrap();
            let r = ParquetRecordBatchReaderBuilder::try_new(f)
                .unwrap()
                .with_batch_size(1 << 22)
                .build()
                .unwrap();
            let parts: Vec<RecordBatch> = r.map(Result::unwrap).collect();
            arrow_select_concat(&parts)
        })
        .collect();
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    println!("{} files, {rows} rows", batches.len());
    for (i, (name, props)) in settings().into_iter().enumerate() {
        if only.is_some_and(|o| o != i) {
            continue;
        }
        let mut best = f64::MAX;
        let mut size = 0;
        for _ in 0..rounds {
            let t = Instant::now();
            size = encode(&batches, &props);
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!(
            "{i} {name:40} {:7.1} ns/row {:6.2} B/row",
            best * 1e9 / rows as f64,
            size as f64 / rows as f64
        );
    }
}

fn arrow_select_concat(parts: &[RecordBatch]) -> RecordBatch {
    assert_eq!(parts.len(), 1, "one batch per file");
    parts[0].clone()
}
