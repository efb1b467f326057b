//! The TOML file as written: serde structs with `deny_unknown_fields` and the defaults.
//!
//! Every field has a default, so a minimal file is short; [`super::config`] checks the
//! values and turns them into a [`super::RealisticConfig`]. `examples/store.toml`
//! documents each field; keep the two in step.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::catalog::{RawCart, RawCatalog, RawPrice, default_categories};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawConfig {
    pub store: RawStore,
    pub groups: Vec<RawGroup>,
    pub customers: RawCustomers,
    pub traffic: RawTraffic,
    pub session: RawSession,
    pub funnel: RawFunnel,
    pub popularity: RawPopularity,
    pub referrers: Vec<RawReferrer>,
    pub campaigns: Vec<RawCampaign>,
    pub faults: RawFaults,
    pub catalog: RawCatalog,
    pub cart: RawCart,
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            store: RawStore::default(),
            groups: vec![
                RawGroup {
                    name: "Books".into(),
                    products: [2001, 2100],
                    list_share: 0.3,
                    product_share: 0.15,
                    categories: labels(&[
                        "Fiction",
                        "Mystery",
                        "Science Fiction",
                        "Biography",
                        "History",
                        "Children",
                    ]),
                    formats: labels(&["Paperback", "Hardcover"]),
                    price: RawPrice::new(14.0, 0.45, 1.0, 0.99),
                },
                RawGroup {
                    name: "Movies".into(),
                    products: [1, 1000],
                    list_share: 0.7,
                    product_share: 0.85,
                    categories: labels(&[
                        "Drama",
                        "Comedy",
                        "Thriller",
                        "Documentary",
                        "Animation",
                        "Science Fiction",
                    ]),
                    formats: labels(&["DVD", "Blu-ray", "4K UHD"]),
                    price: RawPrice::new(12.0, 0.5, 1.0, 0.99),
                },
            ],
            customers: RawCustomers::default(),
            traffic: RawTraffic::default(),
            session: RawSession::default(),
            funnel: RawFunnel::default(),
            popularity: RawPopularity::default(),
            referrers: [
                ("", 0.40),
                ("https://www.google.com/", 0.35),
                ("https://www.bing.com/", 0.05),
                ("https://www.facebook.com/", 0.10),
                ("https://www.instagram.com/", 0.10),
            ]
            .into_iter()
            .map(|(url, share)| RawReferrer {
                url: url.into(),
                share,
            })
            .collect(),
            campaigns: vec![
                RawCampaign {
                    source: "newsletter".into(),
                    medium: "email".into(),
                    name: "weekly-deals".into(),
                    share: 0.05,
                },
                RawCampaign {
                    source: "google".into(),
                    medium: "cpc".into(),
                    name: "brand-search".into(),
                    share: 0.08,
                },
            ],
            faults: RawFaults::default(),
            catalog: RawCatalog::default(),
            cart: RawCart::default(),
        }
    }
}

fn labels(values: &[&str]) -> Vec<String> {
    values.iter().map(|&v| v.to_owned()).collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawStore {
    pub url: String,
    pub sessions_per_day: f64,
    pub kinesis_stream: Option<String>,
    pub token_sha256: Option<String>,
}

impl Default for RawStore {
    fn default() -> Self {
        Self {
            url: "https://webstore.demo.com".into(),
            sessions_per_day: 20_000.0,
            kinesis_stream: None,
            token_sha256: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    pub name: String,
    pub products: [u64; 2],
    pub list_share: f64,
    pub product_share: f64,
    #[serde(default = "default_categories")]
    pub categories: Vec<String>,
    #[serde(default)]
    pub formats: Vec<String>,
    #[serde(default)]
    pub price: RawPrice,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawCustomers {
    pub count: u64,
    pub ids: [u64; 2],
    pub activity_alpha: f64,
    pub devices: RawDevices,
    pub countries: BTreeMap<String, f64>,
    pub signups: [String; 2],
}

impl Default for RawCustomers {
    fn default() -> Self {
        Self {
            count: 10_000,
            ids: [100_000, 999_999],
            activity_alpha: 1.5,
            devices: RawDevices::default(),
            countries: [
                ("US", 0.40),
                ("GB", 0.12),
                ("DE", 0.12),
                ("FR", 0.10),
                ("IN", 0.10),
                ("BR", 0.08),
                ("JP", 0.08),
            ]
            .into_iter()
            .map(|(c, w)| (c.to_owned(), w))
            .collect(),
            signups: ["2023-01-01".into(), "2026-01-01".into()],
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawDevices {
    pub desktop: f64,
    pub mobile: f64,
    pub tablet: f64,
}

impl Default for RawDevices {
    fn default() -> Self {
        Self {
            desktop: 0.40,
            mobile: 0.52,
            tablet: 0.08,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawTraffic {
    pub hour_of_day: Vec<f64>,
    pub day_of_week: Vec<f64>,
    pub utc_offset_hours: i32,
}

/// Quiet nights, a lunch bump, busy evenings (relative weights, local time).
pub const DEFAULT_HOURS: [f64; 24] = [
    1.2, 0.7, 0.45, 0.35, 0.35, 0.5, 0.9, 1.6, 2.4, 3.0, 3.4, 3.7, 4.2, 4.1, 3.8, 3.7, 3.9, 4.3,
    5.0, 5.9, 6.3, 5.7, 4.2, 2.4,
];
/// Monday first: a slow start of the week, busy weekends.
pub const DEFAULT_DAYS: [f64; 7] = [0.9, 0.88, 0.92, 0.95, 1.05, 1.2, 1.1];

impl Default for RawTraffic {
    fn default() -> Self {
        Self {
            hour_of_day: DEFAULT_HOURS.to_vec(),
            day_of_week: DEFAULT_DAYS.to_vec(),
            utc_offset_hours: 0,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawSession {
    pub think_time_median_s: f64,
    pub think_time_sigma: f64,
    pub inactivity_gap_s: f64,
    pub max_pages: u32,
    pub max_duration_s: f64,
    pub stay_in_group: f64,
}

impl Default for RawSession {
    fn default() -> Self {
        Self {
            think_time_median_s: 20.0,
            think_time_sigma: 1.0,
            inactivity_gap_s: 1800.0,
            max_pages: 60,
            max_duration_s: 14_400.0,
            stay_in_group: 0.7,
        }
    }
}

/// One row of the page state machine: where a shopper goes next. Omitted targets are 0.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawRow {
    pub group_list: f64,
    pub product: f64,
    pub add_to_cart: f64,
    pub cart: f64,
    pub checkout: f64,
    pub purchase: f64,
    pub remove_from_cart: f64,
    pub exit: f64,
}

impl RawRow {
    /// The row in [`super::TARGETS`] order.
    pub fn values(&self) -> [f64; 8] {
        [
            self.group_list,
            self.product,
            self.add_to_cart,
            self.cart,
            self.checkout,
            self.purchase,
            self.remove_from_cart,
            self.exit,
        ]
    }
}

/// A row without `remove_from_cart` (0 in every default row: see `examples/store.toml`).
#[allow(clippy::too_many_arguments)]
const fn row(gl: f64, p: f64, a: f64, c: f64, co: f64, pu: f64, e: f64) -> RawRow {
    RawRow {
        group_list: gl,
        product: p,
        add_to_cart: a,
        cart: c,
        checkout: co,
        purchase: pu,
        remove_from_cart: 0.0,
        exit: e,
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawFunnel {
    pub landing: RawRow,
    pub group_list: RawRow,
    pub product: RawRow,
    pub add_to_cart: RawRow,
    pub cart: RawRow,
    pub checkout: RawRow,
    pub purchase: RawRow,
    pub remove_from_cart: RawRow,
}

impl Default for RawFunnel {
    fn default() -> Self {
        Self {
            landing: row(0.35, 0.30, 0.0, 0.02, 0.0, 0.0, 0.33),
            group_list: row(0.10, 0.55, 0.0, 0.03, 0.0, 0.0, 0.32),
            product: row(0.15, 0.30, 0.15, 0.02, 0.0, 0.0, 0.38),
            add_to_cart: row(0.10, 0.25, 0.0, 0.40, 0.0, 0.0, 0.25),
            cart: row(0.10, 0.15, 0.0, 0.0, 0.45, 0.0, 0.30),
            checkout: row(0.0, 0.0, 0.0, 0.10, 0.0, 0.65, 0.25),
            purchase: row(0.05, 0.05, 0.0, 0.0, 0.0, 0.0, 0.90),
            remove_from_cart: row(0.10, 0.15, 0.0, 0.50, 0.0, 0.0, 0.25),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawPopularity {
    pub kind: String,
    pub exponent: f64,
}

impl Default for RawPopularity {
    fn default() -> Self {
        Self {
            kind: "zipf".into(),
            exponent: 1.1,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReferrer {
    pub url: String,
    pub share: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCampaign {
    pub source: String,
    pub medium: String,
    pub name: String,
    pub share: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawFaults {
    pub duplicate: f64,
    pub duplicate_max_delay_s: f64,
    pub late: f64,
    pub late_median_s: f64,
    pub late_max_s: f64,
    pub out_of_order: f64,
    pub out_of_order_max_s: f64,
    pub malformed: f64,
}

impl Default for RawFaults {
    fn default() -> Self {
        Self {
            duplicate: 0.0,
            duplicate_max_delay_s: 5.0,
            late: 0.0,
            late_median_s: 900.0,
            late_max_s: 21_600.0,
            out_of_order: 0.0,
            out_of_order_max_s: 10.0,
            malformed: 0.0,
        }
    }
}
