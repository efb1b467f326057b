//! The lake bench's and `examples/lake_profile.rs`'s inputs, as JSON lines: one
//! definition, included by both with `#[path]` (a file in this folder is no target).

use csgen_model::{
    Encoder, EventEncoder, EventStream, Format, Generator, RealisticConfig, RealisticModel, Shard,
    StoreConfig,
};

/// `n` classic generator records, 3 clicks a second from 2026-11-23T00:00Z (about 46
/// hour partitions for 500,000).
pub fn classic(n: u64) -> Vec<u8> {
    let config = StoreConfig::defaults();
    let g = Generator::new(&config, 1);
    let mut enc = Encoder::new(Format::Json, &config.store_url);
    let mut out = Vec::new();
    for seq in 0..n {
        enc.encode(
            &g.click(seq, 1_795_392_000_000 + seq as i64 * 333),
            &mut out,
        );
        out.push(b'\n');
    }
    out
}

/// The first `n` records of the realistic model from 2026-10-01T00:00Z (the default
/// model, as `examples/store.toml` spells it, seed 1): about 54,000 records a day,
/// ~450 bytes each, with user agents, campaigns, carts and orders. The same mix as
/// `csgen generate --config examples/store.toml --seed 1 --from 2026-10-01 --format
/// json`, though not the same bytes (the CLI also injects its faults).
pub fn realistic(n: usize) -> Vec<u8> {
    let config = RealisticConfig::from_toml("").expect("the default model");
    let model = RealisticModel::new(&config, 1);
    // 2026-10-01T00:00Z.
    let mut until = 1_790_812_800_000;
    let mut stream = EventStream::new(&model, Shard::ALL, until);
    let mut events = Vec::new();
    while events.len() < n {
        until += 86_400_000;
        stream.fill_until(until, &mut events);
    }
    let mut encoder = EventEncoder::new(Format::Json, &model);
    let mut out = Vec::new();
    for ev in &events[..n] {
        encoder.encode(&model, ev, &mut out);
        out.push(b'\n');
    }
    out
}
