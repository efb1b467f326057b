//! The validated realistic-model configuration, from TOML text.
//!
//! "Validate, then build": [`RealisticConfig::from_toml`] parses with serde
//! ([`super::raw`]), then checks every value and reports every problem at once, each
//! naming its dotted key and line ([`super::locate`]).

use crate::config::{Group, IdRange, MAX_GROUPS, SUM_TOLERANCE, StoreConfig};
use crate::error::{ConfigError, Problem};

use super::locate::Locator;
use super::raw::RawConfig;
use super::{PAGES, Page, TARGETS};

/// Most customers a population may have (its table lives in memory).
pub const MAX_CUSTOMERS: u64 = 10_000_000;
/// Most sessions per day (session keys hold 2^28 sessions per minute).
pub const MAX_SESSIONS_PER_DAY: f64 = 1e9;
/// Longest a session, or a fault's delay, may last: bounds how far back a window looks.
pub const MAX_SPAN_S: f64 = 7.0 * 86_400.0;

/// Device classes, in the order of [`Customers::devices`].
pub const DEVICES: [&str; 3] = ["desktop", "mobile", "tablet"];

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
    pub funnel: [[f64; 7]; 7],
    pub popularity: Popularity,
    /// Referrer URL ("" = direct) and share of landings.
    pub referrers: Vec<(String, f64)>,
    pub campaigns: Vec<Campaign>,
    pub faults: FaultConfig,
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

    /// Mean pages per session the funnel implies (expected visits before exit, capped by
    /// `max_pages`; think-time timeouts ignored).
    pub fn mean_pages(&self) -> f64 {
        let mut dist = [0.0; 7];
        dist[Page::Landing as usize] = 1.0;
        let mut total = 1.0;
        for _ in 1..self.session.max_pages {
            let mut next = [0.0; 7];
            for (from, p) in dist.iter().enumerate() {
                for (to, q) in self.funnel[from][..6].iter().enumerate() {
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

struct Check<'a> {
    at: &'a Locator<'a>,
    problems: Vec<Problem>,
}

impl Check<'_> {
    fn bad(&mut self, key: &str, message: impl Into<String>) {
        self.problems.push(self.at.problem(key, message));
    }

    fn probability(&mut self, key: &str, p: f64) -> f64 {
        if !(0.0..=1.0).contains(&p) {
            self.bad(key, format!("{p} is not a probability in [0, 1]"));
        }
        p
    }

    fn positive(&mut self, key: &str, v: f64, max: f64) -> f64 {
        if !(v.is_finite() && v > 0.0 && v <= max) {
            self.bad(key, format!("{v} must be greater than 0 and at most {max}"));
        }
        v
    }

    fn sums_to_one(&mut self, key: &str, values: impl IntoIterator<Item = f64>) {
        let sum: f64 = values.into_iter().sum();
        if (sum - 1.0).abs() > SUM_TOLERANCE {
            self.bad(
                key,
                format!("shares sum to {sum}, but must sum to 1 (within {SUM_TOLERANCE})"),
            );
        }
    }

    fn weights<const N: usize>(&mut self, key: &str, values: &[f64]) -> [f64; N] {
        let mut out = [0.0; N];
        if values.len() != N {
            self.bad(key, format!("has {} values, expected {N}", values.len()));
            return out;
        }
        for (i, &w) in values.iter().enumerate() {
            if !(w.is_finite() && w >= 0.0) {
                self.bad(&format!("{key}[{i}]"), format!("{w} must be a weight >= 0"));
            }
            out[i] = w;
        }
        if out.iter().sum::<f64>() <= 0.0 {
            self.bad(key, "weights must not all be 0");
        }
        out
    }

    fn id_range(&mut self, key: &str, [min, max]: [u64; 2]) -> IdRange {
        if min > max {
            self.bad(
                key,
                format!("[{min}, {max}]: the first id must not exceed the last"),
            );
            return IdRange { min: 0, max: 0 };
        }
        IdRange { min, max }
    }

    fn token(&mut self, raw: Option<String>) -> Option<[u8; 32]> {
        let text = raw?;
        let mut out = [0u8; 32];
        if hex::decode_to_slice(text.trim(), &mut out).is_err() {
            self.bad(
                "store.token_sha256",
                "must be 64 hex digits (the SHA-256 digest printed by `csgen token-hash`)",
            );
            return None;
        }
        Some(out)
    }

    fn config(&mut self, raw: RawConfig) -> RealisticConfig {
        let store_url = match url::Url::parse(&raw.store.url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.query().is_none() => {
                raw.store.url.trim_end_matches('/').to_owned()
            }
            _ => {
                self.bad(
                    "store.url",
                    format!("{:?} must be an http(s) URL without a query", raw.store.url),
                );
                String::new()
            }
        };
        let sessions_per_day = self.positive(
            "store.sessions_per_day",
            raw.store.sessions_per_day,
            MAX_SESSIONS_PER_DAY,
        );
        let token_sha256 = self.token(raw.store.token_sha256);

        if raw.groups.is_empty() || raw.groups.len() > MAX_GROUPS as usize {
            self.bad(
                "groups",
                format!("needs 1 to {MAX_GROUPS} groups, found {}", raw.groups.len()),
            );
        }
        let mut groups = Vec::new();
        for (i, g) in raw.groups.iter().enumerate() {
            let key = |f: &str| format!("groups[{i}].{f}");
            if g.name.trim().is_empty() {
                self.bad(&key("name"), "must not be empty");
            }
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
        let customers = Customers {
            count: c.count.min(MAX_CUSTOMERS) as u32,
            ids,
            activity_alpha: c.activity_alpha,
            devices,
            countries: c.countries.iter().map(|(k, v)| (k.clone(), *v)).collect(),
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
        ];
        let mut funnel = [[0.0; 7]; 7];
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

        let mut config = RealisticConfig {
            store: StoreConfig {
                store_url,
                customers: ids,
                groups,
                group_click_share: 0.0,
                clicks_per_second: 1.0,
                kinesis_stream: raw.store.kinesis_stream.filter(|s| !s.trim().is_empty()),
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
}
