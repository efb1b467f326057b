//! The store's catalog: every product of every group with a generated title, a
//! category, a list price and the store's currency, as pure functions of
//! (config, seed, group, product id).
//!
//! Nothing is stored per product: a product's attributes come from a hash of the seed,
//! its group and its id, so the catalog of a million products costs no memory, the
//! model's price of a product in the stream is exactly the one in the `products` rows
//! ([`Catalog::rows`]), and the same seed always gives the same catalog.
//!
//! Prices are drawn per product from a log-normal (median and sigma of the log, in
//! the currency's units), clamped to 5 sigma, and rounded to the nearest
//! `k * step + ending` (12.99 for step 1, ending 0.99). Money is integer minor units
//! (cents), so sums are exact.

mod config;
mod currency;
mod names;

pub use config::{
    CartConfig, CatalogConfig, GroupCatalog, MAX_CATALOG_PRODUCTS, MAX_QUANTITY, PriceConfig,
};
pub(crate) use config::{RawCart, RawCatalog, RawPrice, check_catalog, default_categories};
pub use currency::Currency;
pub use names::Titles;

use super::RealisticConfig;
use crate::click::mix64;
use crate::config::IdRange;

/// Most list prices kept in tables (8 bytes each), over all groups: the groups that
/// fit, in order, look their prices up; the rest compute them per call.
pub const PRICE_TABLE_MAX: u64 = 1 << 20;

/// Largest |z| of a price draw: the tails beyond 5 sigma (6e-7 of the products) take
/// the price at 5 sigma, which bounds every price (see [`PriceConfig`]).
pub const PRICE_Z_MAX: f64 = 5.0;

/// One row of the `products` dimension table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRow<'c> {
    pub product_id: u64,
    /// Title and format: "The Silent Harbor (Paperback)".
    pub name: String,
    /// 1-based group id, as in the URLs.
    pub group_id: u32,
    pub group_name: &'c str,
    pub category: &'c str,
    /// List price in minor units of `currency` (cents).
    pub price_minor: u64,
    pub currency: Currency,
}

#[derive(Debug, Clone)]
struct GroupEntry {
    id: u32,
    name: String,
    range: IdRange,
    seed: u64,
    titles: Titles,
    config: GroupCatalog,
    /// The group's prices by product index, when it fits [`PRICE_TABLE_MAX`].
    prices: Option<Box<[u64]>>,
}

impl GroupEntry {
    /// The list price of `product` (in the group's range), from its hashes.
    fn draw_price(&self, product: u64) -> u64 {
        let [h1, h2, ..] = product_hashes(self.seed, product);
        // Box-Muller: one standard normal from two uniforms.
        let z = (-2.0 * unit(h1).ln()).sqrt() * (std::f64::consts::TAU * unit(h2)).cos();
        self.config.price.price_of(z)
    }
}

/// The catalog of a (config, seed) pair.
#[derive(Debug, Clone)]
pub struct Catalog {
    currency: Currency,
    groups: Vec<GroupEntry>,
}

/// Four independent 64-bit hashes of one product.
#[inline]
fn product_hashes(group_seed: u64, product: u64) -> [u64; 4] {
    let base = mix64(group_seed ^ mix64(product));
    [1u64, 2, 3, 4].map(|k| mix64(base.wrapping_add(k.wrapping_mul(0x9e37_79b9_7f4a_7c15))))
}

/// A uniform draw in (0, 1] from the high 53 bits of `h`.
#[inline]
fn unit(h: u64) -> f64 {
    ((h >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// An index in `0..n` from `h` (multiply-shift).
#[inline]
fn index(h: u64, n: usize) -> usize {
    ((u128::from(h) * n as u128) >> 64) as usize
}

impl PriceConfig {
    /// The price (minor units) of standard normal draw `z`.
    #[inline]
    pub fn price_of(&self, z: f64) -> u64 {
        let z = z.clamp(-PRICE_Z_MAX, PRICE_Z_MAX);
        let x = self.median_minor * (self.sigma * z).exp();
        let k = ((x - self.ending_minor as f64) / self.step_minor as f64).round();
        // The price is never 0: with no ending, the least price is one step.
        let least = if self.ending_minor == 0 { 1.0 } else { 0.0 };
        k.max(least) as u64 * self.step_minor + self.ending_minor
    }
}

impl Catalog {
    pub fn new(config: &RealisticConfig, seed: u64) -> Self {
        let seed = mix64(seed ^ 0x6361_7461_6c6f_6775);
        let mut tabled = 0u64;
        let groups = config
            .store
            .groups
            .iter()
            .zip(&config.catalog.groups)
            .map(|(g, c)| {
                let group_seed = mix64(seed ^ u64::from(g.id).wrapping_mul(0xa076_1d64_78bd_642f));
                let mut entry = GroupEntry {
                    id: g.id,
                    name: g.name.clone(),
                    range: g.products,
                    seed: group_seed,
                    titles: Titles::new(group_seed ^ 0x7469_746c_6573),
                    config: c.clone(),
                    prices: None,
                };
                if tabled + g.products.len() <= PRICE_TABLE_MAX {
                    tabled += g.products.len();
                    let range = g.products.min..=g.products.max;
                    entry.prices = Some(range.map(|p| entry.draw_price(p)).collect());
                }
                entry
            })
            .collect();
        Self {
            currency: config.catalog.currency,
            groups,
        }
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// Products in all groups.
    pub fn len(&self) -> u64 {
        self.groups.iter().map(|g| g.range.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    fn group(&self, group: u32) -> Option<&GroupEntry> {
        self.groups.get((group as usize).checked_sub(1)?)
    }

    /// The list price (minor units) of `product` in `group` (1-based); 0 for a product
    /// the catalog does not have.
    #[inline]
    pub fn price(&self, group: u32, product: u64) -> u64 {
        match self.group(group) {
            Some(g) if g.range.contains(product) => match &g.prices {
                Some(table) => table[(product - g.range.min) as usize],
                None => g.draw_price(product),
            },
            _ => 0,
        }
    }

    /// The `products` row of one product, `None` if the group does not have it.
    pub fn product(&self, group: u32, product: u64) -> Option<ProductRow<'_>> {
        let g = self.group(group).filter(|g| g.range.contains(product))?;
        let [_, _, h3, h4] = product_hashes(g.seed, product);
        let c = &g.config;
        let mut name = String::with_capacity(40);
        g.titles.write(product - g.range.min, &mut name);
        if !c.formats.is_empty() {
            name.push_str(" (");
            name.push_str(&c.formats[index(h4, c.formats.len())]);
            name.push(')');
        }
        Some(ProductRow {
            product_id: product,
            name,
            group_id: g.id,
            group_name: &g.name,
            category: &c.categories[index(h3, c.categories.len())],
            price_minor: self.price(group, product),
            currency: self.currency,
        })
    }

    /// Every product, group by group, in id order: the `products` table. Product ids
    /// are unique across groups (the config refuses overlapping ranges).
    pub fn rows(&self) -> impl Iterator<Item = ProductRow<'_>> + '_ {
        self.groups.iter().flat_map(move |g| {
            (g.range.min..=g.range.max).filter_map(move |p| self.product(g.id, p))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabled_prices_are_the_drawn_ones() {
        let c = Catalog::new(&RealisticConfig::defaults(), 3);
        for g in &c.groups {
            assert!(g.prices.is_some(), "the defaults' groups fit the tables");
            for p in g.range.min..=g.range.max {
                assert_eq!(c.price(g.id, p), g.draw_price(p));
            }
        }
        assert_eq!(c.price(1, 1), 0, "not a book");
        assert_eq!(c.price(0, 1), 0);
    }
}
