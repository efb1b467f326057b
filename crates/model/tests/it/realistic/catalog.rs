//! The catalog: prices follow each group's configured distribution (a stated test),
//! names are readable and stable, and the dimension rows cover every id the stream
//! emits.

use std::collections::{HashMap, HashSet};

use csgen_model::realistic::catalog::PriceConfig;
use csgen_model::realistic::{Page, RealisticModel};
use csgen_model::{Format, Shard};
use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

use super::{HOUR, MONDAY, encode, model, whole};

/// Two big groups with different price settings (one with an ending, one on whole
/// steps of 5 without), so a price test has thousands of products per group.
const TWO_GROUPS: &str = r#"
[[groups]]
name = "Books"
products = [1, 20000]
list_share = 0.5
product_share = 0.5
price = { median = 14.0, sigma = 0.45, step = 1.0, ending = 0.99 }

[[groups]]
name = "Garden"
products = [100001, 130000]
list_share = 0.5
product_share = 0.5
categories = ["Tools", "Seeds", "Furniture"]
price = { median = 250.0, sigma = 0.8, step = 5.0, ending = 0.0 }
"#;

/// Pearson's chi-square of observed list prices against the configured log-normal,
/// rounding included: price `k * step + ending` is what every draw x with
/// `|x - price| < step / 2` becomes, so its probability is the log-normal's mass
/// between the two midpoints, `Phi((ln hi - ln median) / sigma) - Phi((ln lo - ...))`,
/// the least price taking everything below. Cells are pooled from the bottom until
/// each expects at least 5 (the last takes the rest). Returns (statistic, df, p).
fn chi_square(prices: &[u64], c: &PriceConfig) -> (f64, f64, f64) {
    let normal = Normal::new(c.median_minor.ln(), c.sigma).unwrap();
    let cdf_below = |price: u64| {
        let upper = price as f64 + c.step_minor as f64 / 2.0;
        normal.cdf(upper.ln())
    };
    let mut counts: HashMap<u64, f64> = HashMap::new();
    for &p in prices {
        assert_eq!(
            (p - c.ending_minor) % c.step_minor,
            0,
            "{p} is k * step + ending"
        );
        *counts.entry(p).or_default() += 1.0;
    }
    let n = prices.len() as f64;
    let max = *prices.iter().max().unwrap();
    let least = if c.ending_minor == 0 {
        c.step_minor
    } else {
        c.ending_minor
    };
    let (mut chi2, mut cells) = (0.0, 0.0);
    let (mut observed, mut expected, mut below) = (0.0, 0.0, 0.0);
    let mut price = least;
    loop {
        let cdf = if price >= max { 1.0 } else { cdf_below(price) };
        observed += counts.get(&price).copied().unwrap_or(0.0);
        expected += n * (cdf - below);
        below = cdf;
        let last = price >= max;
        if last || (expected >= 5.0 && n * (1.0 - cdf) >= 5.0) {
            chi2 += (observed - expected).powi(2) / expected;
            cells += 1.0;
            (observed, expected) = (0.0, 0.0);
        }
        if last {
            break;
        }
        price += c.step_minor;
    }
    let df = cells - 1.0;
    (chi2, df, 1.0 - ChiSquared::new(df).unwrap().cdf(chi2))
}

fn prices(m: &RealisticModel, group: u32) -> Vec<u64> {
    m.product_rows()
        .filter(|r| r.group_id == group)
        .map(|r| r.price_minor)
        .collect()
}

#[test]
fn list_prices_follow_each_groups_configured_distribution() {
    let m = model(TWO_GROUPS, 31);
    for group in [1, 2] {
        let c = &m.config().catalog.groups[group as usize - 1].price;
        let prices = prices(&m, group);
        let (chi2, df, p) = chi_square(&prices, c);
        assert!(df >= 20.0, "group {group}: {df} cells");
        assert!(
            p > 1e-4,
            "group {group}: chi2 {chi2} on {df} df, p = {p}, config {c:?}"
        );
        // The test has the power to tell a wrong configuration: 10 % more spread
        // or a median 5 % higher is rejected outright.
        for wrong in [
            PriceConfig {
                sigma: c.sigma * 1.1,
                ..c.clone()
            },
            PriceConfig {
                median_minor: c.median_minor * 1.05,
                ..c.clone()
            },
        ] {
            let (chi2, df, p) = chi_square(&prices, &wrong);
            assert!(
                p < 1e-6,
                "group {group}: {wrong:?} not rejected: {chi2} on {df} df"
            );
        }
    }
    // Whole minor units in a currency without decimals: yen on steps of 100, ending 80.
    let yen = model(
        "[catalog]\ncurrency = \"JPY\"\n[[groups]]\nname = \"Tea\"\nproducts = [1, 20000]\nlist_share = 1.0\nproduct_share = 1.0\nprice = { median = 1500, sigma = 0.5, step = 100, ending = 80 }\n",
        32,
    );
    let c = &yen.config().catalog.groups[0].price;
    assert_eq!(
        (c.median_minor, c.step_minor, c.ending_minor),
        (1500.0, 100, 80)
    );
    let (chi2, df, p) = chi_square(&prices(&yen, 1), c);
    assert!(p > 1e-4, "yen: chi2 {chi2} on {df} df, p = {p}");
}

#[test]
fn product_rows_are_stable_readable_and_unique_per_group() {
    let a = model("", 5);
    let rows: Vec<_> = a.product_rows().collect();
    assert_eq!(rows.len(), 1100, "Books 2001..=2100 and Movies 1..=1000");
    let books = &a.config().catalog.groups[0];
    assert_eq!(books.formats, ["Paperback", "Hardcover"]);
    assert_eq!(books.categories.len(), 6);
    let (same, other) = (model("", 5), model("", 6));
    assert_eq!(rows, same.product_rows().collect::<Vec<_>>());
    let other: Vec<_> = other.product_rows().collect();
    assert_ne!(rows[0].name, other[0].name, "another seed, another catalog");
    let mut names = HashSet::new();
    for r in &rows {
        let group = &a.config().store.groups[r.group_id as usize - 1];
        let catalog = &a.config().catalog.groups[r.group_id as usize - 1];
        assert_eq!(r.group_name, group.name);
        assert!(catalog.categories.iter().any(|c| c == r.category), "{r:?}");
        let (title, format) = r.name.rsplit_once(" (").expect("a format suffix");
        let format = format.trim_end_matches(')');
        assert!(catalog.formats.iter().any(|f| f == format), "{r:?}");
        assert!(
            title
                .chars()
                .all(|c| c.is_ascii_alphabetic() || " ,.".contains(c))
        );
        assert!(
            names.insert((r.group_id, title.to_owned())),
            "{title} twice in {}",
            group.name
        );
        assert_eq!(r.currency.code(), "USD");
        assert_eq!(r.price_minor % 100, 99, "{r:?} ends in .99");
        assert_eq!(
            Some(r.clone()),
            a.catalog().product(r.group_id, r.product_id)
        );
    }
    assert_eq!(a.catalog().product(1, 1), None, "product 1 is a movie");
    assert_eq!(a.catalog().price(3, 1), 0, "there is no group 3");
}

#[test]
fn dimension_rows_cover_every_id_the_stream_emits() {
    let toml = format!(
        "[faults]\nduplicate = 0.01\nmalformed = 0.01\n{}",
        super::orders::REMOVALS
    );
    let m = model(&toml, 41);
    let products: HashMap<u64, (u32, u64)> = m
        .product_rows()
        .map(|r| (r.product_id, (r.group_id, r.price_minor)))
        .collect();
    let n = 3;
    let mut all_customers = HashSet::new();
    for i in 1..=n {
        let shard = Shard::new(i, n).unwrap();
        let rows: Vec<_> = m.customer_rows(shard).collect();
        let users: HashSet<u64> = rows.iter().map(|r| r.user_id).collect();
        assert_eq!(users.len(), rows.len());
        let events = m.window(MONDAY + 17 * HOUR, MONDAY + 21 * HOUR, shard);
        assert!(events.len() > 1000);
        for e in &events {
            // Each shard's events belong to its own customers' rows.
            assert!(users.contains(&m.user_id(e)), "{e:?}");
            if let Some(p) = e.product {
                let (group, price) = products[&p];
                assert_eq!(group, e.group, "{e:?}");
                assert_eq!(price, m.unit_price(e));
            }
        }
        for r in &rows {
            assert!(
                all_customers.insert(r.user_id),
                "{} in two shards",
                r.user_id
            );
            let [from, to] = m.config().customers.signups;
            assert!((from..to).contains(&r.signup_ms));
            assert!(r.country.is_some() && !r.os.is_empty());
        }
    }
    assert_eq!(all_customers.len(), m.population().len());
    // The records say the same: every product id in a URL and every order item has
    // its products row, at the row's price.
    let events = whole(&m, MONDAY + 19 * HOUR, MONDAY + 20 * HOUR);
    let batch = encode(&m, &events, Format::Json);
    let mut purchases = 0;
    for r in batch.records() {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(r) else {
            continue;
        };
        assert!(all_customers.contains(&v["user_id"].as_u64().unwrap()));
        if let Some(items) = v["items"].as_array() {
            purchases += 1;
            for item in items {
                let (group, price) = products[&item["product_id"].as_u64().unwrap()];
                assert_eq!(u64::from(group), item["group_id"].as_u64().unwrap());
                assert_eq!(price, super::orders::cents(&item["price"]));
            }
        }
    }
    assert!(purchases > 10, "{purchases} orders");
}

#[test]
fn add_to_cart_carries_the_catalog_price_and_a_configured_quantity() {
    let m = model(
        "[store]\nsessions_per_day = 100000\n[cart]\nquantity = [0.5, 0.3, 0.2]\n",
        9,
    );
    let events = whole(&m, MONDAY + 18 * HOUR, MONDAY + 22 * HOUR);
    let mut units = [0f64; 3];
    for e in events.iter().filter(|e| e.page == Page::AddToCart) {
        let q = m.quantity(e);
        assert!((1..=3).contains(&q), "{q}");
        units[q as usize - 1] += 1.0;
        let p = e.product.unwrap();
        assert_eq!(m.unit_price(e), m.catalog().price(e.group, p));
    }
    let n: f64 = units.iter().sum();
    assert!(n > 2000.0, "{n} adds");
    for (observed, p) in units.iter().zip([0.5, 0.3, 0.2]) {
        let sd = (n * p * (1.0 - p)).sqrt();
        assert!((observed - n * p).abs() < 5.0 * sd, "{units:?}");
    }
}
