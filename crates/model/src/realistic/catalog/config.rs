//! The catalog's configuration: `[catalog]`, the catalog fields of each `[[groups]]`
//! entry, and `[cart]`, as written (serde, with defaults) and validated.

use serde::Deserialize;

use super::Currency;
use crate::config::Group;
use crate::realistic::check::Check;
use crate::realistic::raw::RawConfig;

/// Most products all groups may hold together: the `products` table has a row each.
pub const MAX_CATALOG_PRODUCTS: u64 = 10_000_000;
/// Most entries of `cart.quantity` (units per add to cart).
pub const MAX_QUANTITY: usize = 99;
/// Largest price median or step, in currency units.
pub const MAX_PRICE: f64 = 100_000.0;
/// Largest sigma of log-prices (1.5: the middle 95 % of prices span a factor of 360).
pub const MAX_PRICE_SIGMA: f64 = 1.5;
/// Most categories or formats of a group.
const MAX_LABELS: usize = 1000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawCatalog {
    pub currency: String,
}

impl Default for RawCatalog {
    fn default() -> Self {
        Self {
            currency: "USD".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawCart {
    pub quantity: Vec<f64>,
}

impl Default for RawCart {
    fn default() -> Self {
        Self {
            quantity: vec![0.85, 0.10, 0.03, 0.02],
        }
    }
}

/// `price = { median, sigma, step, ending }` of a group, in currency units.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawPrice {
    pub median: f64,
    pub sigma: f64,
    pub step: f64,
    pub ending: f64,
}

impl RawPrice {
    pub const fn new(median: f64, sigma: f64, step: f64, ending: f64) -> Self {
        Self {
            median,
            sigma,
            step,
            ending,
        }
    }
}

impl Default for RawPrice {
    fn default() -> Self {
        Self::new(20.0, 0.6, 1.0, 0.99)
    }
}

/// The categories of a group that names none.
pub fn default_categories() -> Vec<String> {
    vec!["General".to_owned()]
}

/// How a group's list prices are drawn, in minor units of the catalog's currency.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceConfig {
    /// Median of the log-normal.
    pub median_minor: f64,
    /// Standard deviation of the log of the price.
    pub sigma: f64,
    /// Prices are `k * step + ending`, k >= 0 (k >= 1 when ending is 0).
    pub step_minor: u64,
    pub ending_minor: u64,
}

/// The catalog of one group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupCatalog {
    /// Each product has one, in equal shares.
    pub categories: Vec<String>,
    /// Each product has one (in its name), in equal shares; none when empty.
    pub formats: Vec<String>,
    pub price: PriceConfig,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CatalogConfig {
    /// The currency of every price and order.
    pub currency: Currency,
    /// One per group, in the order of `store.groups`.
    pub groups: Vec<GroupCatalog>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CartConfig {
    /// Shares of adding 1, 2, 3, … units at once.
    pub quantity: Vec<f64>,
}

/// Validates the catalog, the groups' catalog fields and the cart.
pub(crate) fn check_catalog(
    c: &mut Check,
    raw: &RawConfig,
    groups: &[Group],
) -> (CatalogConfig, CartConfig) {
    let currency = c.rule(
        "catalog.currency",
        Currency::parse(&raw.catalog.currency),
        Currency::USD,
    );
    let catalogs = raw
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let key = |f: &str| format!("groups[{i}].{f}");
            labels(c, &key("categories"), &g.categories, 1);
            labels(c, &key("formats"), &g.formats, 0);
            let p = &g.price;
            let median = c.positive(&key("price.median"), p.median, MAX_PRICE);
            let sigma = c.between(&key("price.sigma"), p.sigma, 0.0, MAX_PRICE_SIGMA);
            let step = c.positive(&key("price.step"), p.step, MAX_PRICE);
            let ending = c.between(&key("price.ending"), p.ending, 0.0, MAX_PRICE);
            if ending >= step {
                c.bad(
                    &key("price.ending"),
                    format!("{ending} must be less than price.step ({step})"),
                );
            }
            let step_minor = minor_units(c, &key("price.step"), step, currency).max(1);
            let ending_minor = minor_units(c, &key("price.ending"), ending, currency);
            GroupCatalog {
                categories: g.categories.clone(),
                formats: g.formats.clone(),
                price: PriceConfig {
                    median_minor: median * currency.minor_per_unit() as f64,
                    sigma,
                    step_minor,
                    ending_minor,
                },
            }
        })
        .collect();
    product_ids(c, groups);
    let quantity = c.shares("cart.quantity", &raw.cart.quantity, MAX_QUANTITY);
    (
        CatalogConfig {
            currency,
            groups: catalogs,
        },
        CartConfig { quantity },
    )
}

fn labels(c: &mut Check, key: &str, values: &[String], least: usize) {
    if values.len() < least || values.len() > MAX_LABELS {
        c.bad(
            key,
            format!(
                "has {} values, expected {least} to {MAX_LABELS}",
                values.len()
            ),
        );
    }
    for (j, v) in values.iter().take(MAX_LABELS).enumerate() {
        c.label(&format!("{key}[{j}]"), v);
    }
}

/// `amount` (currency units) in whole minor units, or a problem if it has more
/// decimals than the currency.
fn minor_units(c: &mut Check, key: &str, amount: f64, currency: Currency) -> u64 {
    let minor = amount * currency.minor_per_unit() as f64;
    if !minor.is_finite() || minor < 0.0 {
        return 0;
    }
    if (minor - minor.round()).abs() > 1e-6 {
        c.bad(
            key,
            format!(
                "{amount} is not a whole number of {currency}'s minor units ({} decimals)",
                currency.digits()
            ),
        );
    }
    minor.round() as u64
}

/// Product ids name one product: no two groups' ranges overlap, and all of them
/// together fit the catalog's bound.
fn product_ids(c: &mut Check, groups: &[Group]) {
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&i| (groups[i].products.min, i));
    for w in order.windows(2) {
        let (a, b) = (&groups[w[0]].products, &groups[w[1]].products);
        if a.max >= b.min {
            c.bad(
                &format!("groups[{}].products", w[1]),
                format!(
                    "[{}, {}] overlaps groups[{}].products [{}, {}]: a product id must name \
                     one product of one group (it is the catalog's key)",
                    b.min, b.max, w[0], a.min, a.max
                ),
            );
        }
    }
    let mut total = 0u64;
    for (i, g) in groups.iter().enumerate() {
        total = total.saturating_add(g.products.len());
        if total > MAX_CATALOG_PRODUCTS {
            c.bad(
                &format!("groups[{i}].products"),
                format!(
                    "groups[0..={i}] hold {total} products, more than the catalog's limit of \
                     {MAX_CATALOG_PRODUCTS} (each product is a row of the products table)"
                ),
            );
            break;
        }
    }
}
