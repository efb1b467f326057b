//! The customer population: stable ids and attributes, heavy-tailed activity.
//!
//! Customer `i` (0-based) draws its id, device, country, user agent and activity from
//! its own RNG, so the population is the same for a seed whatever else changes. Ids
//! are a seeded permutation of the configured id range (distinct, not consecutive).
//! Activity weights are Pareto-distributed: a few customers start many sessions.

use rand::RngExt;

use super::alias::AliasTable;
use super::config::Customers;
use super::popularity::Permutation;
use crate::click::{event_rng, mix64};

/// Realistic user-agent strings per device class (desktop, mobile, tablet).
pub const USER_AGENTS: [&[&str]; 3] = [
    &[
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    ],
    &[
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    ],
    &[
        "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    ],
];

/// The operating system of each of [`USER_AGENTS`], as its user agent says.
pub const OPERATING_SYSTEMS: [&[&str]; 3] = [
    &["Windows", "macOS", "Windows", "Linux"],
    &["iOS", "Android", "Android"],
    &["iPadOS", "Android"],
];

/// One customer's stable attributes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Customer {
    pub id: u64,
    /// Index into [`super::DEVICES`].
    pub device: u8,
    /// Index into the configured countries (0 when none are configured).
    pub country: u8,
    /// Index into `USER_AGENTS[device]`.
    pub agent: u8,
    /// Relative activity: the customer starts sessions in proportion to it.
    pub activity: f64,
}

#[derive(Debug, Clone)]
pub struct Population {
    customers: Vec<Customer>,
    picker: AliasTable,
    countries: Vec<String>,
    seed: u64,
    signups: [i64; 2],
}

/// Picks an index from cumulative weights (`cdf` ends at the total).
#[inline]
pub(crate) fn pick(cdf: &[f64], u: f64) -> usize {
    let x = u * cdf.last().copied().unwrap_or(0.0);
    cdf.iter()
        .position(|&c| x < c)
        .unwrap_or(cdf.len().saturating_sub(1))
}

pub(crate) fn cumulative(weights: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut total = 0.0;
    weights
        .into_iter()
        .map(|w| {
            total += w;
            total
        })
        .collect()
}

impl Population {
    pub fn new(config: &Customers, seed: u64) -> Self {
        let pop_seed = mix64(seed ^ 0x706f_7075_6c61_7465);
        let ids = Permutation::new(config.ids.len(), pop_seed);
        let devices = cumulative(config.devices);
        let countries = cumulative(config.countries.iter().map(|c| c.1));
        let customers: Vec<Customer> = (0..u64::from(config.count))
            .map(|i| {
                let mut rng = event_rng(pop_seed, i);
                let device = pick(&devices, rng.random::<f64>());
                let country = pick(&countries, rng.random::<f64>());
                let agent = rng.random_range(0..USER_AGENTS[device].len());
                // Pareto(x_m = 1, alpha) by inversion; u in (0, 1].
                let u = 1.0 - rng.random::<f64>();
                let activity = u.powf(-1.0 / config.activity_alpha).min(1e12);
                Customer {
                    id: config.ids.min + ids.apply(i),
                    device: device as u8,
                    country: country as u8,
                    agent: agent as u8,
                    activity,
                }
            })
            .collect();
        let picker = AliasTable::new(&customers.iter().map(|c| c.activity).collect::<Vec<_>>())
            .expect("validated: at least one customer, finite positive weights");
        Self {
            customers,
            picker,
            countries: config.countries.iter().map(|c| c.0.clone()).collect(),
            seed: pop_seed,
            signups: config.signups,
        }
    }

    pub fn len(&self) -> usize {
        self.customers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.customers.is_empty()
    }

    #[inline]
    pub fn customer(&self, index: u32) -> &Customer {
        &self.customers[index as usize]
    }

    pub fn customers(&self) -> &[Customer] {
        &self.customers
    }

    /// The country code of a customer ("" when no countries are configured).
    pub fn country(&self, c: &Customer) -> &str {
        self.countries
            .get(c.country as usize)
            .map_or("", String::as_str)
    }

    /// The operating system of a customer's user agent.
    pub fn os(&self, c: &Customer) -> &'static str {
        OPERATING_SYSTEMS[c.device as usize][c.agent as usize]
    }

    /// When customer `index` signed up (Unix ms): uniform in `customers.signups`, from a
    /// hash of the index (not the customer's RNG, whose draws stay as they were).
    pub fn signup_ms(&self, index: u32) -> i64 {
        let [from, to] = self.signups;
        let span = (to - from).max(1) as u64;
        let h = mix64(self.seed ^ mix64(u64::from(index) ^ 0x7369_676e_7570));
        from + ((u128::from(h) * u128::from(span)) >> 64) as i64
    }

    /// Draws the customer of a new session, in proportion to activity.
    #[inline]
    pub fn pick<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> u32 {
        self.picker.sample(rng) as u32
    }
}
