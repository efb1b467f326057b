//! Backfills part of a day with the realistic bench's config (1 M customers, 1 M
//! sessions a day), for instruction counts under callgrind:
//! `valgrind --tool=callgrind --toggle-collect='*run_minutes*' target/release/examples/realistic_day 120 json`.
//! Arguments: minutes (default 120, from Monday 2026-11-02T18:00Z, the busy evening),
//! then `json` to encode as well (or `-`), then a shard such as `1/2` (default all),
//! then `store` for the example file as it is (20,000 sessions a day, the store of
//! `csgen generate --config examples/store.toml`) from 2026-10-01T00:00Z instead:
//! `realistic_day 44640 json all store` is issue 18's October.

use csgen_model::{
    Batch, EventEncoder, EventStream, Format, RealisticConfig, RealisticModel, Shard,
};

const EXAMPLE: &str = include_str!("../../../examples/store.toml");
/// 2026-11-02T18:00:00Z, a Monday evening.
const FROM: i64 = 1_793_577_600_000 + 18 * 3_600_000;
/// 2026-10-01T00:00:00Z.
const OCTOBER: i64 = 1_790_812_800_000;
const MINUTE: i64 = 60_000;
/// Room per JSON record in a batch (records average ~450 bytes).
const RECORD_BYTES: usize = 480;

#[inline(never)]
fn run_minutes(
    model: &RealisticModel,
    shard: Shard,
    from: i64,
    minutes: i64,
    json: bool,
) -> (usize, usize) {
    let mut stream = EventStream::new(model, shard, from);
    let mut encoder = EventEncoder::new(Format::Json, model);
    let mut events = Vec::new();
    let (mut n, mut bytes) = (0, 0);
    for minute in 1..=minutes {
        events.clear();
        stream.fill_until(from + minute * MINUTE, &mut events);
        n += events.len();
        if json {
            let mut batch = Batch::with_capacity(events.len(), events.len() * RECORD_BYTES);
            for e in &events {
                encoder.push(model, e, &mut batch);
            }
            bytes += batch.data.len();
        }
    }
    (n, bytes)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let minutes: i64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(120);
    let json = args.next().as_deref() == Some("json");
    let shard: Shard = match args.next().as_deref() {
        None | Some("all") => Shard::ALL,
        Some(s) => s.parse().expect("a shard like 1/2"),
    };
    let store = args.next().as_deref() == Some("store");
    let (text, from, seed) = if store {
        (EXAMPLE.to_string(), OCTOBER, 1)
    } else {
        let text = EXAMPLE
            .replace("sessions_per_day = 20000", "sessions_per_day = 1000000")
            .replace("count = 10000", "count = 1000000")
            .replace("ids = [100000, 999999]", "ids = [1000000, 9999999]");
        (text, FROM, 42)
    };
    let config = RealisticConfig::from_toml(&text).expect("valid");
    let model = RealisticModel::new(&config, seed);
    let t = std::time::Instant::now();
    let (n, bytes) = run_minutes(&model, shard, from, minutes, json);
    let s = t.elapsed().as_secs_f64();
    println!(
        "{n} events, {bytes} bytes in {s:.3} s: {:.2} M events/s",
        n as f64 / s / 1e6
    );
}
