//! The validated realistic-model configuration, from TOML text.
//!
//! "Validate, then build": [`RealisticConfig::from_toml`] parses with serde
//! ([`super::raw`]), then checks every value and reports every problem at once, each
//! naming its dotted key and line ([`super::locate`]).

use crate::config::{Group, IdRange, MAX_GROUPS, SUM_TOLERANCE, StoreConfig};
use crate::error::ConfigError;
use crate::validate;

use super::catalog::{CartConfig, CatalogConfig, check_catalog};
use super::check::Check;
use super::locate::Locator;
use super::raw::RawConfig;
use super::stream::MAX_TIME_MS;
use super::{PAGES, Page, TARGETS};

/// Most customers a population may have (its table lives in memory).
pub const MAX_CUSTOMERS: u64 = 10_000_000;
/// Most sessions per day (session keys hold 2^28 sessions per minute).
pub const MAX_SESSIONS_PER_DAY: f64 = 1e9;
/// Longest a session, or a fault's delay, may last: bounds how far back a window looks.
pub const MAX_SPAN_S: f64 = 7.0 * 86_400.0;

/// Device classes, in the order of [`Customers::devices`].
pub const DEVICES: [&str; 3] = ["desktop", "mobile", "tablet"];

/// Most countries a population may have (a customer's country is one byte).
pub const MAX_COUNTRIES: usize = 256;

#[derive(Debug, Clone, PartialEq)]
pub struct Customers {
    pub count: u32,
    /// Customer ids are a seeded sample of this range.
    pub ids: IdRange,
    /// Pareto shape of per-customer activity: smaller is more skewed.
    pub activity_alpha: f64,
    /// Shares of desktop, mobile, tablet.
    pub devices: [f64; 3],
    /// ISO country codes and their shares.
    pub countries: Vec<(String, f64)>,
    /// Customers signed up uniformly in `signups[0]..signups[1]` (Unix ms).
    pub signups: [i64; 2],
}

#[derive(Debug, Clone, PartialEq)]
pub struct Traffic {
    pub sessions_per_day: f64,
    /// Relative weights of local hours 0..24.
    pub hour_of_day: [f64; 24],
    /// Relative weights of Monday..Sunday.
    pub day_of_week: [f64; 7],
    /// Local time = UTC + this many hours (the profile is in local time).
    pub utc_offset_hours: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SessionConfig {
    pub think_median_ms: f64,
    pub think_sigma: f64,
    /// A think time longer than this ends the session.
    pub gap_ms: f64,
    pub max_pages: u8,
    pub max_duration_ms: i64,
    /// Chance that a product view after a product view stays in its group.
    pub stay_in_group: f64,
}

/// How product ids are drawn within a group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Popularity {
    /// Rank r (over a seeded permutation of the ids) has weight r^-exponent.
    Zipf {
        exponent: f64,
    },
    /// The original's clamped normal around the middle of the range.
    Normal,
    Uniform,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Campaign {
    pub source: String,
    pub medium: String,
    pub name: String,
    /// Share of landings that carry this campaign.
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct FaultConfig {
    pub duplicate: f64,
    pub duplicate_max_delay_ms: f64,
    pub late: f64,
    pub late_median_ms: f64,
    pub late_max_ms: f64,
    pub out_of_order: f64,
    pub out_of_order_max_ms: f64,
    pub malformed: f64,
}

impl FaultConfig {
    /// The longest any fault delays a record's arrival past its event time.
    pub fn max_delay_ms(&self) -> f64 {
        let on = |rate: f64, delay: f64| if rate > 0.0 { delay } else { 0.0 };
        on(self.duplicate, self.duplicate_max_delay_ms)
            .max(on(self.late, self.late_max_ms))
            .max(on(self.out_of_order, self.out_of_order_max_ms))
    }
}

/// Everything the realistic model needs, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct RealisticConfig {
    /// Store URL, groups, delivery settings; `clicks_per_second` is the mean event rate
    /// the profile implies, `customers` the id range.
    pub store: StoreConfig,
    pub customers: Customers,
    pub traffic: Traffic,
    pub session: SessionConfig,
    /// `funnel[page][target]`: page in [`PAGES`] order, target in [`TARGETS`] order.
    pub funnel: [[f64; 8]; 8],
    pub popularity: Popularity,
    /// Referrer URL ("" = direct) and share of landings.
    pub referrers: Vec<(String, f64)>,
    pub campaigns: Vec<Campaign>,
    pub faults: FaultConfig,
    /// Currency and the products of every group.
    pub catalog: CatalogConfig,
    pub cart: CartConfig,
}

impl RealisticConfig {
    /// The built-in defaults (an empty TOML file).
    pub fn defaults() -> Self {
        Self::from_toml("").expect("the built-in defaults are valid")
    }

    /// Parses and validates TOML text, collecting every problem with key and line.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let at = Locator::new(text);
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| ConfigError::from(at.toml_error(&e)))?;
        let mut v = Check {
            at: &at,
            problems: Vec::new(),
        };
        let config = v.config(raw);
        if v.problems.is_empty() {
            Ok(config)
        } else {
            v.problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
            Err(ConfigError {
                problems: v.problems,
            })
        }
    }

    /// Where a shopper on `page` goes next, in [`TARGETS`] order: the page's `[funnel]`
    /// row, except that an empty cart cannot lead to checkout or remove_from_cart, so
    /// their shares go to the row's other targets in proportion (to exit when there
    /// is no other). Sums to 1. The walk draws from exactly these shares.
    pub fn next_page_shares(&self, page: Page, cart_empty: bool) -> [f64; TARGETS.len()] {
        let mut row = self.funnel[page as usize];
        if cart_empty {
            row[Page::Checkout as usize - 1] = 0.0;
            row[Page::RemoveFromCart as usize - 1] = 0.0;
        }
        let sum: f64 = row.iter().sum();
        if sum <= 0.0 {
            let mut exit = [0.0; TARGETS.len()];
            exit[super::EXIT] = 1.0;
            return exit;
        }
        row.map(|p| p / sum)
    }

    /// Mean pages per session the funnel implies (expected visits before exit, capped by
    /// `max_pages`; think-time timeouts ignored).
    pub fn mean_pages(&self) -> f64 {
        let mut dist = [0.0; PAGES.len()];
        dist[Page::Landing as usize] = 1.0;
        let mut total = 1.0;
        for _ in 1..self.session.max_pages {
            let mut next = [0.0; PAGES.len()];
            for (from, p) in dist.iter().enumerate() {
                for (to, q) in self.funnel[from][..PAGES.len() - 1].iter().enumerate() {
                    next[to + 1] += p * q;
                }
            }
            dist = next;
            let mass: f64 = dist.iter().sum();
            total += mass;
            if mass < 1e-9 {
                break;
            }
        }
        total
    }
}

impl Check<'_> {
    fn config(&mut self, raw: RawConfig) -> RealisticConfig {
        let store_url = self.rule(
            "store.url",
            validate::store_url(&raw.store.url),
            String::new(),
        );
        let kinesis_stream = self.rule(
            "store.kinesis_stream",
            validate::stream_name(raw.store.kinesis_stream.as_deref().unwrap_or("")),
            None,
        );
        let sessions_per_day = self.positive(
            "store.sessions_per_day",
            raw.store.sessions_per_day,
            MAX_SESSIONS_PER_DAY,
        );
        let token_sha256 = self.token(raw.store.token_sha256.clone());

        if raw.groups.is_empty() || raw.groups.len() > MAX_GROUPS as usize {
            self.bad(
                "groups",
                format!("needs 1 to {MAX_GROUPS} groups, found {}", raw.groups.len()),
            );
        }
        let mut groups = Vec::new();
        for (i, g) in raw.groups.iter().enumerate() {
            let key = |f: &str| format!("groups[{i}].{f}");
            self.rule(&key("name"), validate::not_empty(&g.name).map(drop), ());
            let products = self.id_range(&key("products"), g.products);
            let list_share = self.probability(&key("list_share"), g.list_share);
            let product_share = self.probability(&key("product_share"), g.product_share);
            groups.push(Group {
                id: i as u32 + 1,
                name: g.name.clone(),
                products,
                list_share,
                product_share,
            });
        }
        if !groups.is_empty() {
            self.sums_to_one("groups[0].list_share", groups.iter().map(|g| g.list_share));
            self.sums_to_one(
                "groups[0].product_share",
                groups.iter().map(|g| g.product_share),
            );
        }

        let c = &raw.customers;
        let ids = self.id_range("customers.ids", c.ids);
        if c.count == 0 || c.count > MAX_CUSTOMERS || c.count > ids.len() {
            self.bad(
                "customers.count",
                format!(
                    "{} must be between 1 and min({MAX_CUSTOMERS}, the size of customers.ids = {})",
                    c.count,
                    ids.len()
                ),
            );
        }
        self.positive("customers.activity_alpha", c.activity_alpha, 100.0);
        let devices = [c.devices.desktop, c.devices.mobile, c.devices.tablet];
        for (name, &d) in DEVICES.iter().zip(&devices) {
            self.probability(&format!("customers.devices.{name}"), d);
        }
        self.sums_to_one("customers.devices", devices);
        for (code, &share) in &c.countries {
            let key = format!("customers.countries.{code}");
            if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                self.bad(
                    &key,
                    "a country is a two-letter upper-case ISO code, such as DE",
                );
            }
            self.probability(&key, share);
        }
        if !c.countries.is_empty() {
            self.sums_to_one("customers.countries", c.countries.values().copied());
        }
        if c.countries.len() > MAX_COUNTRIES {
            self.bad(
                "customers.countries",
                format!(
                    "has {} countries, at most {MAX_COUNTRIES} are allowed",
                    c.countries.len()
                ),
            );
        }
        let signups = self.signups(&c.signups);
        let customers = Customers {
            count: c.count.min(MAX_CUSTOMERS) as u32,
            ids,
            activity_alpha: c.activity_alpha,
            devices,
            countries: c.countries.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            signups,
        };

        let t = &raw.traffic;
        let traffic = Traffic {
            sessions_per_day,
            hour_of_day: self.weights("traffic.hour_of_day", &t.hour_of_day),
            day_of_week: self.weights("traffic.day_of_week", &t.day_of_week),
            utc_offset_hours: t.utc_offset_hours,
        };
        if !(-14..=14).contains(&t.utc_offset_hours) {
            self.bad(
                "traffic.utc_offset_hours",
                format!("{} must be between -14 and 14", t.utc_offset_hours),
            );
        }

        let s = &raw.session;
        let session = SessionConfig {
            think_median_ms: self.positive(
                "session.think_time_median_s",
                s.think_time_median_s,
                MAX_SPAN_S,
            ) * 1000.0,
            think_sigma: s.think_time_sigma,
            gap_ms: self.positive("session.inactivity_gap_s", s.inactivity_gap_s, MAX_SPAN_S)
                * 1000.0,
            max_pages: s.max_pages.clamp(1, 255) as u8,
            max_duration_ms: (self.positive("session.max_duration_s", s.max_duration_s, MAX_SPAN_S)
                * 1000.0) as i64,
            stay_in_group: self.probability("session.stay_in_group", s.stay_in_group),
        };
        if !(s.think_time_sigma.is_finite() && (0.0..=5.0).contains(&s.think_time_sigma)) {
            self.bad(
                "session.think_time_sigma",
                format!("{} must be between 0 and 5", s.think_time_sigma),
            );
        }
        if !(1..=255).contains(&s.max_pages) {
            self.bad(
                "session.max_pages",
                format!("{} must be between 1 and 255", s.max_pages),
            );
        }

        let f = &raw.funnel;
        let rows = [
            &f.landing,
            &f.group_list,
            &f.product,
            &f.add_to_cart,
            &f.cart,
            &f.checkout,
            &f.purchase,
            &f.remove_from_cart,
        ];
        let mut funnel = [[0.0; TARGETS.len()]; PAGES.len()];
        for (page, row) in PAGES.iter().zip(rows) {
            let values = row.values();
            for (target, &p) in TARGETS.iter().zip(&values) {
                let key = format!("funnel.{}.{}", page.state_name(), target);
                self.probability(&key, p);
                if p > 0.0
                    && let Some(why) = page.forbids(target)
                {
                    self.bad(&key, why);
                }
            }
            self.sums_to_one(&format!("funnel.{}", page.state_name()), values);
            funnel[*page as usize] = values;
        }

        let popularity = match raw.popularity.kind.as_str() {
            "zipf" => Popularity::Zipf {
                exponent: self.positive("popularity.exponent", raw.popularity.exponent, 10.0),
            },
            "normal" => Popularity::Normal,
            "uniform" => Popularity::Uniform,
            other => {
                self.bad(
                    "popularity.kind",
                    format!("{other:?} is not one of \"zipf\", \"normal\", \"uniform\""),
                );
                Popularity::Uniform
            }
        };

        let mut referrers = Vec::new();
        for (i, r) in raw.referrers.iter().enumerate() {
            let ok = r.url.is_empty()
                || url::Url::parse(&r.url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if !ok {
                self.bad(
                    &format!("referrers[{i}].url"),
                    format!("{:?} must be \"\" (direct) or an http(s) URL", r.url),
                );
            }
            self.probability(&format!("referrers[{i}].share"), r.share);
            referrers.push((r.url.clone(), r.share));
        }
        if !referrers.is_empty() {
            self.sums_to_one("referrers", referrers.iter().map(|r| r.1));
        }
        let mut campaigns = Vec::new();
        for (i, c) in raw.campaigns.iter().enumerate() {
            for (field, value) in [
                ("source", &c.source),
                ("medium", &c.medium),
                ("name", &c.name),
            ] {
                let ok = !value.is_empty()
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
                if !ok {
                    self.bad(
                        &format!("campaigns[{i}].{field}"),
                        format!("{value:?} must be letters, digits, '.', '_' or '-'"),
                    );
                }
            }
            let share = self.probability(&format!("campaigns[{i}].share"), c.share);
            campaigns.push(Campaign {
                source: c.source.clone(),
                medium: c.medium.clone(),
                name: c.name.clone(),
                share,
            });
        }
        let campaign_total: f64 = campaigns.iter().map(|c| c.share).sum();
        if campaign_total > 1.0 + SUM_TOLERANCE {
            self.bad(
                "campaigns",
                format!("shares sum to {campaign_total}, more than 1"),
            );
        }

        let rf = &raw.faults;
        let faults = FaultConfig {
            duplicate: self.probability("faults.duplicate", rf.duplicate),
            duplicate_max_delay_ms: self.positive(
                "faults.duplicate_max_delay_s",
                rf.duplicate_max_delay_s,
                MAX_SPAN_S,
            ) * 1000.0,
            late: self.probability("faults.late", rf.late),
            late_median_ms: self.positive("faults.late_median_s", rf.late_median_s, MAX_SPAN_S)
                * 1000.0,
            late_max_ms: self.positive("faults.late_max_s", rf.late_max_s, MAX_SPAN_S) * 1000.0,
            out_of_order: self.probability("faults.out_of_order", rf.out_of_order),
            out_of_order_max_ms: self.positive(
                "faults.out_of_order_max_s",
                rf.out_of_order_max_s,
                MAX_SPAN_S,
            ) * 1000.0,
            malformed: self.probability("faults.malformed", rf.malformed),
        };
        let fault_total = rf.duplicate + rf.late + rf.out_of_order + rf.malformed;
        if fault_total > 1.0 + SUM_TOLERANCE {
            self.bad("faults", format!("rates sum to {fault_total}, more than 1"));
        }

        let (catalog, cart) = check_catalog(self, &raw, &groups);
        let mut config = RealisticConfig {
            store: StoreConfig {
                store_url,
                customers: ids,
                groups,
                group_click_share: 0.0,
                clicks_per_second: 1.0,
                kinesis_stream,
                token_sha256,
                legacy_token_line: None,
            },
            customers,
            traffic,
            session,
            funnel,
            popularity,
            referrers,
            campaigns,
            faults,
            catalog,
            cart,
        };
        if self.problems.is_empty() {
            let landing = config.funnel[0];
            let browse = landing[0] + landing[1];
            config.store.group_click_share = if browse > 0.0 {
                landing[0] / browse
            } else {
                0.0
            };
            config.store.clicks_per_second = sessions_per_day / 86_400.0 * config.mean_pages();
        }
        config
    }

    /// `customers.signups`: two dates (`YYYY-MM-DD`, UTC) or RFC 3339 times, the first
    /// before the second, both in the model's time range.
    fn signups(&mut self, raw: &[String; 2]) -> [i64; 2] {
        let key = "customers.signups";
        let mut out = [0, 0];
        for (i, text) in raw.iter().enumerate() {
            match parse_time(text) {
                Some(ms) if (0..MAX_TIME_MS).contains(&ms) => out[i] = ms,
                _ => self.bad(
                    &format!("{key}[{i}]"),
                    format!(
                        "{text:?} is not a date (YYYY-MM-DD) or RFC 3339 time between 1970 \
                         and 2097"
                    ),
                ),
            }
        }
        if out[0] >= out[1]
            && self
                .problems
                .iter()
                .all(|p| !p.key.as_deref().is_some_and(|k| k.starts_with(key)))
        {
            self.bad(key, format!("{:?} must be before {:?}", raw[0], raw[1]));
        }
        out
    }
}

/// Unix ms of a `YYYY-MM-DD` date (midnight UTC) or an RFC 3339 time.
fn parse_time(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}
