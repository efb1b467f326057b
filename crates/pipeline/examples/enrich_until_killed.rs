//! A writer process for the crash tests: `csgen enrich` over a file into a local
//! lake with a small buffer, which can stop itself at an exact step of the commit
//! protocol so that the test can kill it there with SIGKILL.
//!
//! `enrich_until_killed SOURCE LAKE MAX_BUFFER_BYTES [STAGE:FLUSH]` — at flush number
//! FLUSH (counted in this process), on reaching STAGE (`staged`, `committed`), it
//! prints `PAUSED` on stdout and waits forever. Without it, it runs to the end and
//! prints the run summary as JSON.

use std::sync::Arc;
use std::time::Duration;

use csgen_pipeline::lake::{FlushHook, FlushStage};
use csgen_pipeline::{Counters, LakeOptions, LakeSpec, RunOptions, SourceSpec};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [source, lake, max_bytes, rest @ ..] = args.as_slice() else {
        return Err("usage: enrich_until_killed SOURCE LAKE MAX_BUFFER_BYTES [STAGE:FLUSH]".into());
    };
    let pause = match rest.first() {
        Some(p) => {
            let (stage, k) = p.split_once(':').ok_or("STAGE:FLUSH")?;
            let stage = match stage {
                "staged" => FlushStage::Staged,
                "committed" => FlushStage::Committed,
                _ => return Err(format!("unknown stage {stage}").into()),
            };
            Some((stage, k.parse::<u64>()?))
        }
        None => None,
    };
    let seen = std::sync::atomic::AtomicU64::new(0);
    let hook = pause.map(|(at, k)| {
        FlushHook(Arc::new(move |stage, _flush| {
            if stage == FlushStage::Staged {
                seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            if stage == at && seen.load(std::sync::atomic::Ordering::Relaxed) == k {
                println!("PAUSED");
                loop {
                    std::thread::sleep(Duration::from_secs(3600));
                }
            }
        }))
    });
    let options = RunOptions {
        lake: LakeOptions {
            max_buffer_bytes: max_bytes.parse()?,
            ..LakeOptions::default()
        },
        hook,
        ..RunOptions::default()
    };
    let source: SourceSpec = source.parse()?;
    let lake: LakeSpec = lake.parse()?;
    let summary = csgen_pipeline::run(
        &source,
        lake.open(&Default::default()).await?,
        &csgen_model::StoreConfig::defaults(),
        &options,
        Arc::new(Counters::default()),
        || 0,
        std::future::pending(),
    )
    .await?;
    println!("{}", serde_json::to_string(&summary)?);
    Ok(())
}
