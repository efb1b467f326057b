//! The realistic shopper model: a customer population, sessions with a path through the
//! store, daily and weekly seasonality, product popularity, labelled faults, and the
//! ground truth of what was emitted.
//!
//! Generation is driven by event time. Time is cut into one-minute *slots*; slot `s`
//! starts a Poisson number of sessions (mean from the hour-of-day and day-of-week
//! profile), and session `k` of slot `s` draws everything — start time, customer, path,
//! think times, products, faults — from its own RNG, `event_rng(seed, s << 28 | k)`.
//! So a session is a pure function of (config, seed, slot, k): the same events come out
//! whatever the window boundaries, threads or shards. `--shard I/N` owns the sessions of
//! the customers whose population index is I−1 modulo N, so shards are disjoint and
//! their manifests (including distinct users) add up to the whole.
//!
//! [`EventStream`] walks slots forward and yields events in arrival order (arrival =
//! event time, except for delayed faults), holding only the events of open sessions;
//! [`RealisticModel::window`] is the one-shot form for `--from/--to` chunks.
//!
//! The store's [`Catalog`] (names, categories, prices) and the customers are pure
//! functions of the config and seed too: [`RealisticModel::product_rows`] and
//! [`RealisticModel::customer_rows`] give the dimension tables that agree with the
//! stream, and carts and orders are recomputed from a session's walk ([`cart`]).

mod alias;
pub mod cart;
pub mod catalog;
mod check;
mod config;
mod dimension;
mod encode;
mod faults;
mod locate;
mod popularity;
mod population;
mod raw;
mod session;
mod stream;
mod truth;

use std::fmt;

pub use alias::AliasTable;
pub use cart::{Line, Replay};
pub use catalog::{Catalog, Currency, ProductRow};
pub use config::{
    Campaign, Customers, DEVICES, FaultConfig, MAX_COUNTRIES, MAX_CUSTOMERS, Popularity,
    RealisticConfig, SessionConfig, Traffic,
};
pub use dimension::CustomerRow;
pub use encode::{EventEncoder, event_url};
pub use faults::Fault;
pub use locate::line_at;
pub use popularity::{Permutation, ProductSampler, ZIPF_TABLE_MAX, ZipfRank};
pub use population::{Customer, Population, USER_AGENTS};
pub use stream::{EventStream, Part, SLOT_MS};
pub use truth::{FaultList, HourTruth, MalformedTruth, Manifest, TruthBuilder};

use crate::click::{Click, mix64};
use crate::shard::Shard;

/// The pages of the session state machine, in the order of `funnel` rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Page {
    Landing = 0,
    GroupList = 1,
    Product = 2,
    AddToCart = 3,
    Cart = 4,
    Checkout = 5,
    Purchase = 6,
    RemoveFromCart = 7,
}

pub const PAGES: [Page; 8] = [
    Page::Landing,
    Page::GroupList,
    Page::Product,
    Page::AddToCart,
    Page::Cart,
    Page::Checkout,
    Page::Purchase,
    Page::RemoveFromCart,
];

/// Where a page can lead, in the order of a `funnel` row: pages 1..=7, then exit.
pub const TARGETS: [&str; 8] = [
    "group_list",
    "product",
    "add_to_cart",
    "cart",
    "checkout",
    "purchase",
    "remove_from_cart",
    "exit",
];

/// Index of "exit" in [`TARGETS`].
pub const EXIT: usize = 7;

impl Page {
    /// The page's name in the config's `[funnel]` table.
    pub fn state_name(self) -> &'static str {
        match self {
            Page::Landing => "landing",
            _ => TARGETS[self as usize - 1],
        }
    }

    /// The `event_type` of the page's events.
    pub fn event_type(self) -> &'static str {
        match self {
            Page::Landing => "landing",
            Page::GroupList => "group_view",
            Page::Product => "product_view",
            Page::AddToCart => "add_to_cart",
            Page::Cart => "cart_view",
            Page::Checkout => "checkout",
            Page::Purchase => "purchase",
            Page::RemoveFromCart => "remove_from_cart",
        }
    }

    pub fn from_event_type(name: &str) -> Option<Page> {
        PAGES.into_iter().find(|p| p.event_type() == name)
    }

    /// Why this page may not lead to `target`, if it may not.
    pub(crate) fn forbids(self, target: &str) -> Option<&'static str> {
        match (target, self) {
            ("add_to_cart", p) if p != Page::Product => {
                Some("only `product` may lead to `add_to_cart` (it adds the product viewed)")
            }
            ("checkout", p) if p != Page::Cart => Some("only `cart` may lead to `checkout`"),
            ("purchase", p) if p != Page::Checkout => {
                Some("only `checkout` may lead to `purchase`")
            }
            ("remove_from_cart", p) if p != Page::Cart => {
                Some("only `cart` may lead to `remove_from_cart` (it removes a line of the cart)")
            }
            _ => None,
        }
    }
}

impl fmt::Display for Page {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.event_type())
    }
}

/// One emitted record of the realistic model, before encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// When the record reaches the stream (Unix ms): the event time, or later for a
    /// late, out-of-order or duplicate record. Streams are sorted by it.
    pub arrival_ms: i64,
    /// Event time (Unix ms), as written in the record's `ts`.
    pub ts_ms: i64,
    /// `session key << 8 | index in session`: the low half of the event id.
    pub key: u64,
    /// Index of the customer in the [`Population`].
    pub customer: u32,
    pub page: Page,
    pub fault: Fault,
    /// 1 + index into the referrers, 0 for none (landing events only).
    pub referrer: u8,
    /// 1 + index into the campaigns, 0 for none (landing events only).
    pub campaign: u8,
    /// 1-based group of group-list, product and add-to-cart events; 0 otherwise.
    pub group: u32,
    /// Product of product and add-to-cart events.
    pub product: Option<u64>,
}

impl Event {
    /// The session this event belongs to (`slot << 28 | k`).
    pub fn session_key(&self) -> u64 {
        self.key >> 8
    }

    /// Position of the event within its session (0 = landing).
    pub fn index(&self) -> u8 {
        self.key as u8
    }

    /// The order of a stream packed in one integer (the same order as [`Event::order`]):
    /// arrival (never negative) in the high half, then the event key (62 bits) and the
    /// duplicate-copy bit. Sorting on it is much cheaper than on the tuple.
    #[inline]
    pub fn sort_key(&self) -> u128 {
        (u128::from(self.arrival_ms as u64) << 64)
            | u128::from(self.key << 1)
            | u128::from(self.fault == Fault::DuplicateCopy)
    }

    /// The order of a stream: arrival, then event key, the duplicate copy last.
    #[inline]
    pub fn order(&self) -> (i64, u64, bool) {
        (
            self.arrival_ms,
            self.key,
            self.fault == Fault::DuplicateCopy,
        )
    }
}

/// The realistic model for a (config, seed) pair, ready to generate.
#[derive(Debug, Clone)]
pub struct RealisticModel {
    config: RealisticConfig,
    seed: u64,
    run_key: u64,
    population: Population,
    products: Vec<ProductSampler>,
    catalog: Catalog,
    sessions: session::SessionModel,
    /// Mean sessions per slot for each local (day of week, hour): index `day * 24 + hour`.
    slot_rate: [f64; 168],
}

impl RealisticModel {
    pub fn new(config: &RealisticConfig, seed: u64) -> Self {
        let population = Population::new(&config.customers, seed);
        let products = config
            .store
            .groups
            .iter()
            .map(|g| {
                ProductSampler::new(config.popularity, g.products, mix64(seed ^ u64::from(g.id)))
            })
            .collect();
        let t = &config.traffic;
        let hours: f64 = t.hour_of_day.iter().sum();
        let days: f64 = t.day_of_week.iter().sum::<f64>() / 7.0;
        let slots_per_hour = 3_600_000.0 / SLOT_MS as f64;
        let mut slot_rate = [0.0; 168];
        for (i, rate) in slot_rate.iter_mut().enumerate() {
            let (day, hour) = (i / 24, i % 24);
            *rate =
                t.sessions_per_day * (t.day_of_week[day] / days) * (t.hour_of_day[hour] / hours)
                    / slots_per_hour;
        }
        Self {
            config: config.clone(),
            seed,
            // The same run key as the classic generator, so event ids look alike.
            run_key: mix64(seed.wrapping_add(0x6373_6765_6e00_0000)),
            population,
            products,
            catalog: Catalog::new(config, seed),
            sessions: session::SessionModel::new(config).with_seed(seed),
            slot_rate,
        }
    }

    pub fn config(&self) -> &RealisticConfig {
        &self.config
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn population(&self) -> &Population {
        &self.population
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Mean sessions started per slot at Unix time `ms` (the profile's rate).
    pub fn sessions_per_slot_at(&self, ms: i64) -> f64 {
        let local = ms + i64::from(self.config.traffic.utc_offset_hours) * 3_600_000;
        let hours = local.div_euclid(3_600_000);
        let days = hours.div_euclid(24);
        // 1970-01-01 was a Thursday; Monday is day 0.
        let weekday = (days + 3).rem_euclid(7) as usize;
        self.slot_rate[weekday * 24 + hours.rem_euclid(24) as usize]
    }

    /// All events of `shard` arriving in `start_ms..end_ms`, in stream order.
    pub fn window(&self, start_ms: i64, end_ms: i64, shard: Shard) -> Vec<Event> {
        let mut out = Vec::new();
        EventStream::new(self, shard, start_ms).fill_until(end_ms, &mut out);
        out
    }

    /// The event id (UUIDv8, same scheme as classic clicks).
    pub fn event_id(&self, event: &Event) -> uuid::Uuid {
        crate::click::event_id(self.run_key, event.key)
    }

    /// The session id (UUIDv8 from a second seed-derived half and the session key).
    pub fn session_id(&self, event: &Event) -> uuid::Uuid {
        crate::click::session_id(self.run_key, event.session_key())
    }

    pub fn user_id(&self, event: &Event) -> u64 {
        self.population.customer(event.customer).id
    }

    /// The [`Click`] a sink sees for the event (user id for partition keys, event id).
    pub fn click(&self, event: &Event) -> Click {
        Click {
            seq: event.key,
            ts_ms: event.ts_ms,
            user_id: self.user_id(event),
            group_id: event.group,
            product_id: event.product,
            run_key: self.run_key,
            session: Some(event.session_key()),
        }
    }
}
