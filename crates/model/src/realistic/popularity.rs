//! Product popularity within a group: Zipf over a seeded permutation, normal, uniform.
//!
//! Zipf draws a rank r in 1..=n with weight r^-s — from a packed alias table (one
//! random `u64`, one read, no `pow`) for groups of up to [`ZIPF_TABLE_MAX`] products,
//! by rejection-inversion (O(1) but a `pow` per draw) for bigger ones — and a
//! seeded permutation maps ranks to product ids, so the best sellers are spread over
//! the id range and differ between seeds. The permutation is a 4-round Feistel network
//! with cycle walking: a bijection on 0..n with no table, for any n.

use rand::distr::Distribution;
use rand::{Rng, RngExt};
use rand_distr::Zipf;

use super::alias::AliasTable;
use super::config::Popularity;
use crate::classic::ClampedNormal;
use crate::click::mix64;
use crate::config::IdRange;

/// A seeded bijection on `0..n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permutation {
    n: u64,
    half_bits: u32,
    keys: [u64; 4],
}

impl Permutation {
    pub fn new(n: u64, seed: u64) -> Self {
        let bits = 64 - n.saturating_sub(1).leading_zeros();
        let half_bits = bits.div_ceil(2).max(1);
        let mut keys = [0; 4];
        for (i, k) in keys.iter_mut().enumerate() {
            *k = mix64(seed.wrapping_add((i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)));
        }
        Self {
            n: n.max(1),
            half_bits,
            keys,
        }
    }

    #[inline]
    fn round_trip(&self, x: u64) -> u64 {
        let mask = (1u64 << self.half_bits) - 1;
        let (mut l, mut r) = (x >> self.half_bits, x & mask);
        for k in self.keys {
            (l, r) = (r, l ^ (mix64(r ^ k) & mask));
        }
        (l << self.half_bits) | r
    }

    /// The image of `x` (`x < n`).
    #[inline]
    pub fn apply(&self, x: u64) -> u64 {
        let mut y = self.round_trip(x);
        while y >= self.n {
            y = self.round_trip(y);
        }
        y
    }
}

/// Largest group whose Zipf ranks are drawn from a table (8 bytes per product).
pub const ZIPF_TABLE_MAX: u64 = 1 << 20;

/// Draws a Zipf rank (1-based).
#[derive(Debug, Clone)]
pub enum ZipfRank {
    /// Index `r - 1` has weight `r^-s`.
    Table(AliasTable),
    Direct(Zipf<f64>),
}

impl ZipfRank {
    fn new(n: u64, exponent: f64) -> Self {
        if n <= ZIPF_TABLE_MAX {
            let weights: Vec<f64> = (1..=n.max(1)).map(|r| (r as f64).powf(-exponent)).collect();
            if let Some(t) = AliasTable::new(&weights) {
                return Self::Table(t);
            }
        }
        Self::Direct(Zipf::new(n as f64, exponent).expect("validated: n >= 1, s > 0"))
    }

    #[inline]
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        match self {
            Self::Table(t) => t.sample(rng) as u64 + 1,
            Self::Direct(z) => (z.sample(rng) as u64).max(1),
        }
    }
}

/// Draws product ids of one group.
#[derive(Debug, Clone)]
pub enum ProductSampler {
    Zipf {
        zipf: ZipfRank,
        order: Permutation,
        min: u64,
    },
    Normal(ClampedNormal),
    Uniform(IdRange),
}

impl ProductSampler {
    pub fn new(popularity: Popularity, range: IdRange, seed: u64) -> Self {
        match popularity {
            Popularity::Zipf { exponent } => Self::Zipf {
                zipf: ZipfRank::new(range.len(), exponent),
                order: Permutation::new(range.len(), seed),
                min: range.min,
            },
            Popularity::Normal => Self::Normal(ClampedNormal::for_range(range)),
            Popularity::Uniform => Self::Uniform(range),
        }
    }

    /// The product id of popularity rank `rank` (1-based), for Zipf; `None` otherwise.
    pub fn product_of_rank(&self, rank: u64) -> Option<u64> {
        match self {
            Self::Zipf { order, min, .. } => Some(min + order.apply(rank - 1)),
            _ => None,
        }
    }

    #[inline(always)]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        match self {
            Self::Zipf { zipf, order, min } => {
                let rank = zipf.sample(rng); // 1..=n
                min + order.apply(rank - 1)
            }
            Self::Normal(n) => n.sample(rng),
            Self::Uniform(r) => rng.random_range(r.min..=r.max),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_is_a_bijection() {
        for n in [1u64, 2, 3, 7, 100, 1000, 1025] {
            let p = Permutation::new(n, 42);
            let mut seen = vec![false; n as usize];
            for x in 0..n {
                let y = p.apply(x);
                assert!(y < n);
                assert!(!seen[y as usize], "{y} hit twice for n={n}");
                seen[y as usize] = true;
            }
        }
        assert_ne!(
            Permutation::new(1000, 1).apply(0),
            Permutation::new(1000, 2).apply(0)
        );
    }
}
