//! The dimension tables that agree with the stream: `products` (the catalog) and
//! `customers` (the population), as iterators of plain rows for a lake writer.
//!
//! Both are pure functions of (config, seed): every product id and user id the
//! stream can emit has its row, and the same seed gives the same rows.

use super::{DEVICES, ProductRow, RealisticModel};
use crate::shard::Shard;

/// One row of the `customers` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerRow<'m> {
    pub user_id: u64,
    /// Sign-up time, Unix ms (uniform in `customers.signups`).
    pub signup_ms: i64,
    /// ISO country code; `None` when no countries are configured.
    pub country: Option<&'m str>,
    /// The device class the customer always uses: `desktop`, `mobile` or `tablet`.
    pub device: &'static str,
    /// The operating system of the customer's user agent (`Windows`, `iOS`, …).
    pub os: &'static str,
}

impl RealisticModel {
    /// Every product of the catalog, group by group, in id order.
    pub fn product_rows(&self) -> impl Iterator<Item = ProductRow<'_>> + '_ {
        self.catalog.rows()
    }

    /// The customers `shard` owns (all of them for [`Shard::ALL`]), in population
    /// order: the shards' rows together are the whole table, each row once.
    pub fn customer_rows(&self, shard: Shard) -> impl Iterator<Item = CustomerRow<'_>> + '_ {
        let population = &self.population;
        population
            .customers()
            .iter()
            .enumerate()
            .filter(move |(i, _)| shard.owns(*i as u64))
            .map(move |(i, c)| {
                let country = population.country(c);
                CustomerRow {
                    user_id: c.id,
                    signup_ms: population.signup_ms(i as u32),
                    country: (!country.is_empty()).then_some(country),
                    device: DEVICES[c.device as usize],
                    os: population.os(c),
                }
            })
    }
}
