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

use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::{Rng, RngExt};
use rand_distr::StandardNormal;

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

    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        let z: f64 = StandardNormal.sample(rng);
        let x = (self.mean + self.sd * z).round();
        // `as` saturates negative values at 0; the clamp does the rest.
        (x as u64).clamp(self.range.min, self.range.max)
    }
}

/// The classic model, ready to draw clicks.
#[derive(Debug, Clone)]
pub struct ClassicModel {
    group_click_share: f64,
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
            group_click_share: config.group_click_share,
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
        if rng.random_bool(self.group_click_share) {
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
