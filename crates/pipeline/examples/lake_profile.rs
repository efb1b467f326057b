//! A profiling driver for the raw JSON → Parquet path (no criterion around it):
//!
//! ```text
//! lake_profile gen RAW.jsonl N     # N generator records, 3 per second
//! lake_profile real RAW.jsonl N    # N realistic-model records (examples/store.toml's
//!                                  # defaults, seed 1, from 2026-10-01T00:00Z)
//! lake_profile run RAW.jsonl LAKE [inline]  # enrich RAW into LAKE once, print
//!                                  # events/s (`inline`: no flushes behind)
//! lake_profile enrich RAW.jsonl    # enrich only (in memory, no lake), print events/s
//! ```
//!
//! Run the second under `valgrind --tool=callgrind` to see where the time goes.

#[path = "../benches/support/inputs.rs"]
mod inputs;

use std::sync::Arc;
use std::time::Instant;

use csgen_model::StoreConfig;
use csgen_pipeline::{
    Counters, EnrichOptions, Enricher, LakeOptions, Position, RunOptions, SourceSpec,
};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("gen") if args.len() == 4 => {
            let n: u64 = args[3].parse().expect("N is a count");
            std::fs::write(&args[2], inputs::classic(n)).expect("write RAW");
        }
        Some("real") if args.len() == 4 => {
            let n: usize = args[3].parse().expect("N is a count");
            std::fs::write(&args[2], inputs::realistic(n)).expect("write RAW");
        }
        Some("run") if (4..=5).contains(&args.len()) => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let options = RunOptions {
                // On when the run has a second core (taskset decides, as in
                // scripts/bench-lake.sh), unless the run says `inline`.
                lake: LakeOptions {
                    flush_behind: args.get(4).map(String::as_str) != Some("inline"),
                    ..LakeOptions::default()
                },
                no_checkpoint: true,
                ..RunOptions::default()
            };
            let t = Instant::now();
            let summary = rt
                .block_on(csgen_pipeline::run(
                    &SourceSpec::file(args[2].clone()),
                    csgen_pipeline::lake::Store::Local(args[3].clone().into()),
                    &StoreConfig::defaults(),
                    &options,
                    Arc::new(Counters::default()),
                    || 0,
                    std::future::pending(),
                ))
                .expect("run");
            let n = summary.counters.committed_events;
            let s = t.elapsed().as_secs_f64();
            println!("{n} events in {s:.3} s: {:.0} events/s", n as f64 / s);
        }
        Some("enrich") if args.len() == 3 => {
            let raw = std::fs::read(&args[2]).expect("read RAW");
            let mut e = Enricher::new(&StoreConfig::defaults(), &EnrichOptions::default());
            let t = Instant::now();
            let (mut ok, mut bad) = (0u64, 0u64);
            for line in raw.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                match e.enrich(line, Position::default()) {
                    Ok(ev) => ok += u64::from(std::hint::black_box(ev).user_id >= 0),
                    Err(_) => bad += 1,
                }
            }
            let s = t.elapsed().as_secs_f64();
            println!(
                "{ok} events ({bad} dead letters) enriched in {s:.3} s: {:.0} events/s",
                (ok + bad) as f64 / s
            );
        }
        _ => eprintln!(
            "usage: lake_profile gen|real RAW N | lake_profile run RAW LAKE [inline] | lake_profile enrich RAW"
        ),
    }
}
