//! Clicks, their deterministic ids, and the seeded generator that makes them.
//!
//! Event `seq` of a run is a pure function of (config, seed, seq, time): its random
//! draws come from a generator seeded from the seed and the sequence number alone.
//! That is what makes output identical whatever the number of threads or shards.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::classic::ClassicModel;
use crate::config::StoreConfig;

/// One click, before encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Click {
    /// Position in the run's logical stream (global over all shards).
    pub seq: u64,
    /// Event time, Unix milliseconds (UTC).
    pub ts_ms: i64,
    pub user_id: u64,
    /// 1-based product group.
    pub group_id: u32,
    /// `None` for a group-list click.
    pub product_id: Option<u64>,
    /// Seed-derived half of the event id, shared by every event of a run.
    pub run_key: u64,
    /// The realistic model's session key (its id is [`Click::session_id`]); `None` for
    /// the classic model, which has no sessions.
    pub session: Option<u64>,
}

impl Click {
    /// A UUID (version 8, "custom") whose low 62 bits are the sequence number and
    /// whose high bits come from the seed: unique within a run, stable across runs.
    pub fn event_id(&self) -> uuid::Uuid {
        event_id(self.run_key, self.seq)
    }

    pub fn is_product_click(&self) -> bool {
        self.product_id.is_some()
    }

    /// The session id the realistic model writes in the record (`session_id`), for
    /// keys that keep a session together; `None` for a classic click.
    pub fn session_id(&self) -> Option<uuid::Uuid> {
        self.session.map(|key| session_id(self.run_key, key))
    }
}

/// The id of session `session_key` of the run whose event ids start with `run_key`:
/// a UUIDv8 from a second seed-derived half and the session key.
pub fn session_id(run_key: u64, session_key: u64) -> uuid::Uuid {
    event_id(run_key ^ 0x5e55_1011_5e55_1011, session_key)
}

/// See [`Click::event_id`].
pub fn event_id(run_key: u64, seq: u64) -> uuid::Uuid {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&run_key.to_be_bytes());
    bytes[8..].copy_from_slice(&seq.to_be_bytes());
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

/// A bijective 64-bit mixer (the SplitMix64 finaliser).
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The random generator for event `seq` of the run seeded with `seed`.
#[inline]
pub fn event_rng(seed: u64, seq: u64) -> Xoshiro256PlusPlus {
    rng_from_key(mix64(seq ^ mix64(seed)))
}

/// Exactly `Xoshiro256PlusPlus::seed_from_u64(key)` (four SplitMix64 outputs, whose
/// output function is [`mix64`]), written out so that it inlines into the per-click
/// hot path instead of going through a byte-filling generator.
#[inline(always)]
fn rng_from_key(key: u64) -> Xoshiro256PlusPlus {
    const PHI: u64 = 0x9e37_79b9_7f4a_7c15; // SplitMix64's increment
    let mut seed = [0u8; 32];
    let mut state = key;
    for chunk in seed.chunks_exact_mut(8) {
        state = state.wrapping_add(PHI);
        chunk.copy_from_slice(&mix64(state).to_le_bytes());
    }
    Xoshiro256PlusPlus::from_seed(seed)
}

/// Makes clicks for a (config, seed) pair.
#[derive(Debug, Clone)]
pub struct Generator {
    model: ClassicModel,
    seed: u64,
    /// `mix64(seed)`, the per-run half of every event's RNG key.
    mixed_seed: u64,
    run_key: u64,
}

impl Generator {
    pub fn new(config: &StoreConfig, seed: u64) -> Self {
        Self {
            model: ClassicModel::new(config),
            seed,
            mixed_seed: mix64(seed),
            run_key: mix64(seed.wrapping_add(0x6373_6765_6e00_0000)),
        }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Click number `seq`, stamped with `ts_ms`.
    #[inline]
    pub fn click(&self, seq: u64, ts_ms: i64) -> Click {
        let mut rng = rng_from_key(mix64(seq ^ self.mixed_seed)); // = event_rng(seed, seq)
        let d = self.model.draw(&mut rng);
        Click {
            seq,
            ts_ms,
            user_id: d.user_id,
            group_id: d.group_id,
            product_id: d.product_id,
            run_key: self.run_key,
            session: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_keep_sequence_and_differ_by_seed() {
        let a = event_id(mix64(1), 41);
        let b = event_id(mix64(1), 42);
        let c = event_id(mix64(2), 42);
        assert_ne!(a, b);
        assert_ne!(b, c);
        assert_eq!(a.get_version_num(), 8);
        let low = u64::from_be_bytes(b.as_bytes()[8..].try_into().unwrap());
        assert_eq!(low & ((1 << 62) - 1), 42);
    }

    proptest::proptest! {
        #[test]
        fn rng_from_key_is_seed_from_u64(key in proptest::prelude::any::<u64>()) {
            proptest::prop_assert_eq!(rng_from_key(key), Xoshiro256PlusPlus::seed_from_u64(key));
        }
    }

    #[test]
    fn rng_from_key_is_seed_from_u64_at_the_edges() {
        for key in [0, 1, u64::MAX, 0x9e37_79b9_7f4a_7c15u64.wrapping_neg()] {
            assert_eq!(rng_from_key(key), Xoshiro256PlusPlus::seed_from_u64(key));
        }
    }

    #[test]
    fn same_seed_and_seq_give_the_same_click() {
        let config = StoreConfig::defaults();
        let g = Generator::new(&config, 7);
        assert_eq!(g.click(1000, 5), g.click(1000, 5));
        let other = Generator::new(&config, 8);
        let differ = (0..100).filter(|&s| g.click(s, 0).user_id != other.click(s, 0).user_id);
        assert!(differ.count() > 50, "seeds must change the draws");
    }
}
