//! The three sides of `scripts/bench-http.sh`, as one small release binary built from
//! the library crates that `csgen` itself runs (the full `csgen` binary also links
//! DataFusion, a far longer release build):
//!
//! - `bench_http collect` — `csgen collect` into a sink that discards (`file:/dev/null`)
//!   on 127.0.0.1:0; prints `listening ADDR`, then at stdin's end the records received;
//! - `bench_http http URL N` — N classic JSON clicks, as fast as possible, into
//!   `http:URL`; prints records/s and MB/s;
//! - `bench_http browse BASE N CONNECTIONS` — N classic clicks into
//!   `browse:BASE?connections=CONNECTIONS`; prints requests/s.
//!
//! The runtime is tokio's multi-threaded one, as `csgen` runs; `CSGEN_BENCH_RUNTIME=current`
//! picks the current-thread runtime instead (for browse on one core it made no
//! difference worth a second flavour: 9,006 instructions a request to 9,074, and CPU
//! a request within the rounds' noise; README, Benchmarks).

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, Instant};

use csgen_model::{Batch, Encoder, Format, Generator, StoreConfig};
use csgen_pacer::{Control, Model, Pacing, Plan};
use csgen_server::collect::{self, CollectState, Limits, Writer};
use csgen_sinks::{SinkContext, SinkSpec};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match std::env::var("CSGEN_BENCH_RUNTIME").as_deref() {
        Ok("current") => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        _ => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?,
    };
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["collect"] => runtime.block_on(collector()),
        ["http", url, n] => {
            runtime.block_on(generate(&format!("http:{url}"), n.parse()?, Format::Json))
        }
        ["browse", base, n, connections] => runtime.block_on(generate(
            &format!("browse:{base}?connections={connections}"),
            n.parse()?,
            Format::Url,
        )),
        _ => Err("usage: bench_http collect | http URL N | browse BASE N CONNECTIONS".into()),
    }
}

async fn collector() -> Result<()> {
    let spec: SinkSpec = "file:/dev/null".parse()?;
    let sink = spec.open(&SinkContext::default()).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening {}", listener.local_addr()?);
    let limits = Limits::default();
    let (writer, task) = Writer::start(sink, limits.buffer_records);
    let app = collect::app(CollectState::new(writer, limits, None));
    let stdin_closed = async {
        let _ = tokio::task::spawn_blocking(|| std::io::stdin().read_to_end(&mut Vec::new())).await;
    };
    collect::serve(listener, app, limits, stdin_closed).await?;
    let sink = task.await?;
    let s = sink.stats().snapshot();
    println!(
        "received {} records, delivered {}",
        s.generated, s.delivered
    );
    Ok(())
}

async fn generate(spec: &str, n: u64, format: Format) -> Result<()> {
    let spec: SinkSpec = spec.parse()?;
    let store = StoreConfig::defaults();
    let cx = SinkContext::for_run(store.clone(), Duration::from_secs(60));
    let mut sink = spec.open(&cx).await?;
    let model = Model::Classic {
        generator: Arc::new(Generator::new(&store, 1)),
        encoder: Encoder::new(format, &store.store_url),
        pacing: Pacing::Unpaced {
            nominal_rate: 1000.0,
        },
        start_seq: 0,
    };
    let plan = Plan {
        count: Some(n),
        flush_timeout: Duration::from_secs(60),
        ..Plan::new(model, 1_793_491_200_000)
    };
    let started = Instant::now();
    let outcome = csgen_pacer::run(&mut sink, plan, &Control::new(1000.0)).await;
    let secs = started.elapsed().as_secs_f64();
    let s = sink.stats().snapshot();
    if let Some(e) = outcome.error {
        return Err(format!("{spec}: {e}").into());
    }
    let bytes = mean_record_bytes(&store, format) * s.delivered as f64;
    println!(
        "{spec}: {} delivered, {} failed in {secs:.2} s: {:.0} records/s, {:.1} MB/s of records",
        s.delivered,
        s.failed,
        s.delivered as f64 / secs,
        bytes / secs / 1e6
    );
    if let Some(calls) = s.calls {
        println!("  {calls}");
    }
    Ok(())
}

/// Bytes a record takes on the wire (its line, newline included), over the run's first
/// 10,000 clicks.
fn mean_record_bytes(store: &StoreConfig, format: Format) -> f64 {
    let g = Generator::new(store, 1);
    let mut encoder = Encoder::new(format, &store.store_url);
    let mut batch = Batch::default();
    for seq in 0..10_000 {
        batch.push(&mut encoder, g.click(seq, 1_793_491_200_000));
    }
    batch.data.len() as f64 / 10_000.0
}
