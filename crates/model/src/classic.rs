//! The classic shopper model: the documented intent of the original generator.
//!
//! Each click is independent. A coin with `probability-browsing-group` decides between
//! a group-list click and a product click; the group comes from the family of
//! probabilities for that kind of click; customer and product ids come from a normal
//! distribution centred on their range, rounded and clamped into it.
//!
//! Two fixes against the original code, on purpose: it drew the group of *every* click
//! from `probability-browsing-products-in-group-N` (never reading
//! `probability-browsing-group-N`), and its coin used an integer draw that turned 0.1
//! into 0.09. Here each family is used for its own kind of click and the coin is exact.

use rand::Rng;
use rand::distr::weighted::WeightedIndex;
use rand::distr::{Bernoulli, Distribution};
use rand_distr::StandardNormal;

use std::fmt;

use crate::config::{IdRange, StoreConfig};

/// What one classic click is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Draw {
    pub user_id: u64,
    /// 1-based group id.
    pub group_id: u32,
    /// `None` for a group-list click, the product for a product click.
    pub product_id: Option<u64>,
}

/// A normal distribution over an id range, as the original drew ids: mean at the
/// middle, standard deviation = sample std of {min, max} / 2 = (max − min) / (2·√2),
/// each draw rounded to the nearest id and clamped into the range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClampedNormal {
    range: IdRange,
    mean: f64,
    sd: f64,
}

impl ClampedNormal {
    pub fn for_range(range: IdRange) -> Self {
        let (min, max) = (range.min as f64, range.max as f64);
        Self {
            range,
            mean: (min + max) / 2.0,
            sd: (max - min) / (2.0 * std::f64::consts::SQRT_2),
        }
    }

    /// Mean of the underlying (unclamped) normal.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Standard deviation of the underlying (unclamped) normal.
    pub fn sd(&self) -> f64 {
        self.sd
    }

    pub fn range(&self) -> IdRange {
        self.range
    }

    #[inline(always)]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        let z: f64 = StandardNormal.sample(rng);
        round_to_u64(self.mean + self.sd * z).clamp(self.range.min, self.range.max)
    }
}

/// `x.round() as u64`: to the nearest integer, halves away from zero, saturating at 0
/// and `u64::MAX` (NaN gives 0). Written out because `f64::round` is a library call on
/// x86-64's baseline instruction set, and this runs twice per click.
#[inline(always)]
pub(crate) fn round_to_u64(x: f64) -> u64 {
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    if x.is_nan() || x <= 0.0 {
        return 0;
    }
    if x < TWO_52 {
        // The common case, in signed conversions (one instruction each way on x86-64).
        let whole = x as i64; // truncates
        // `x - whole` is exact below 2^52.
        return (whole + i64::from(x - whole as f64 >= 0.5)) as u64;
    }
    // From 2^52 on every f64 is a whole number; `as` saturates at u64::MAX.
    x as u64
}

/// The classic model, ready to draw clicks.
#[derive(Debug, Clone)]
pub struct ClassicModel {
    /// The group-list coin (`probability-browsing-group`), built once: what
    /// `rng.random_bool(p)` builds on every call.
    group_click: Bernoulli,
    list_groups: WeightedIndex<f64>,
    product_groups: WeightedIndex<f64>,
    customers: ClampedNormal,
    products: Vec<ClampedNormal>,
}

impl ClassicModel {
    pub fn new(config: &StoreConfig) -> Self {
        let weights = |f: fn(&crate::config::Group) -> f64| {
            WeightedIndex::new(config.groups.iter().map(f))
                .expect("validated: probabilities are in [0, 1] and sum to 1")
        };
        Self {
            group_click: Bernoulli::new(config.group_click_share)
                .expect("validated: a probability in [0, 1]"),
            list_groups: weights(|g| g.list_share),
            product_groups: weights(|g| g.product_share),
            customers: ClampedNormal::for_range(config.customers),
            products: config
                .groups
                .iter()
                .map(|g| ClampedNormal::for_range(g.products))
                .collect(),
        }
    }

    /// Draws one click.
    #[inline]
    pub fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> Draw {
        let user_id = self.customers.sample(rng);
        if self.group_click.sample(rng) {
            let g = self.list_groups.sample(rng);
            Draw {
                user_id,
                group_id: g as u32 + 1,
                product_id: None,
            }
        } else {
            let g = self.product_groups.sample(rng);
            Draw {
                user_id,
                group_id: g as u32 + 1,
                product_id: Some(self.products[g].sample(rng)),
            }
        }
    }
}

impl fmt::Display for StoreConfig {
    /// The effective model, as `csgen check` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.customers;
        writeln!(f, "store:          {}", self.store_url)?;
        writeln!(
            f,
            "customers:      ids {}..={} (clamped normal, mean {}, sd {:.2})",
            c.min,
            c.max,
            ClampedNormal::for_range(*c).mean(),
            ClampedNormal::for_range(*c).sd()
        )?;
        writeln!(f, "rate:           {} clicks/s", self.clicks_per_second)?;
        writeln!(
            f,
            "click kinds:    {:.4} group-list, {:.4} product",
            self.group_click_share,
            1.0 - self.group_click_share
        )?;
        writeln!(f, "groups:         {}", self.groups.len())?;
        writeln!(
            f,
            "  id  name                  products            list share  product share"
        )?;
        for g in &self.groups {
            writeln!(
                f,
                "  {:<3} {:<21} {:<19} {:<11.4} {:.4}",
                g.id,
                g.name,
                format!("{}..={}", g.products.min, g.products.max),
                g.list_share,
                g.product_share
            )?;
        }
        writeln!(f, "share of all clicks per group (list + product):")?;
        for g in &self.groups {
            let total = self.group_click_share * g.list_share
                + (1.0 - self.group_click_share) * g.product_share;
            writeln!(f, "  {:<3} {:<21} {:.4}", g.id, g.name, total)?;
        }
        writeln!(
            f,
            "kinesis stream: {}",
            self.kinesis_stream.as_deref().unwrap_or("(not set)")
        )?;
        let token = match (self.token_sha256.is_some(), self.legacy_token_line) {
            (true, _) => "SHA-256 digest set (token-sha256)".to_owned(),
            (false, Some(line)) => format!("not set: `token-as-hash` on line {line} is ignored"),
            (false, None) => "not set in the config (CS_TOKEN may provide it)".to_owned(),
        };
        write!(f, "control token:  {token}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference(x: f64) -> u64 {
        x.round() as u64
    }

    #[test]
    fn round_to_u64_matches_round_at_the_edges() {
        let edges = [
            0.0,
            -0.0,
            0.49999999999999994,
            0.5,
            1.5,
            2.5,
            -0.5,
            -0.7,
            4_503_599_627_370_495.5,
            4_503_599_627_370_497.0,
            9_007_199_254_740_993.0,
            18_446_744_073_709_549_568.0,
            18_446_744_073_709_551_616.0,
            1e300,
            f64::MAX,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
        ];
        for x in edges {
            assert_eq!(round_to_u64(x), reference(x), "{x:e}");
        }
    }

    proptest! {
        #[test]
        fn round_to_u64_matches_round(bits in any::<u64>(), small in -1e6f64..1e6) {
            let x = f64::from_bits(bits);
            prop_assert_eq!(round_to_u64(x), reference(x), "{:e}", x);
            prop_assert_eq!(round_to_u64(small), reference(small), "{}", small);
            let half = small.trunc() + 0.5;
            prop_assert_eq!(round_to_u64(half), reference(half), "{}", half);
        }
    }
}
