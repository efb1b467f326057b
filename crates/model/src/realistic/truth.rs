//! The ground truth: what a run emitted, per hour of event time, and every fault.
//!
//! A [`TruthBuilder`] sees every event that is encoded, so the [`Manifest`] describes
//! exactly what was emitted. Counts are of *valid* events — what a correct pipeline
//! should report after dropping malformed records and removing duplicate copies;
//! late and out-of-order events count in the hour of their event time. Faults are
//! counted per hour and listed with their event ids. Manifests of the shards of a run
//! [`Manifest::merge`] into the manifest of the whole run (shards own disjoint
//! customers, so even distinct users add up).
//!
//! Orders and revenue are counted per hour and currency in exact minor units (cents):
//! a valid `purchase` event places one order of its session's cart. Fields added
//! after the first manifests (`orders`, `revenue`, `funnel.remove_from_cart`) default
//! to empty when an older manifest is read.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::cart::{self, Replay};
use super::faults::Fault;
use super::{Event, PAGES, Page, RealisticModel};
use crate::record::Format;

/// The manifest of one run (or shard), as written beside the output.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub seed: u64,
    /// Record format (`json`, `url`, `url-object`): it decides how malformed records look.
    pub format: String,
    /// The shards this manifest covers (`1/1` for a whole run).
    pub shards: Vec<String>,
    /// The run the shards belong to (set by `csgen generate`; absent in older
    /// manifests): only manifests of one run merge ([`crate::run::merge`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<crate::run::RunIdentity>,
    /// Records emitted, duplicates and malformed records included.
    pub records: u64,
    /// Valid events (records minus duplicate copies and malformed records).
    pub events: u64,
    /// Per hour of event time, keyed `YYYY-MM-DDTHH` (UTC).
    pub hours: BTreeMap<String, HourTruth>,
    pub faults: FaultTruth,
}

/// What happened in one hour of event time.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HourTruth {
    /// Records whose event time is in this hour (faulty ones included).
    pub records: u64,
    /// Valid events.
    pub events: u64,
    /// Valid events per `event_type`.
    pub by_type: BTreeMap<String, u64>,
    /// Valid group, product and add-to-cart events per group id.
    pub by_group: BTreeMap<String, u64>,
    /// Valid landing events: sessions that started in this hour.
    pub sessions_started: u64,
    /// Distinct `user_id`s among valid events.
    pub distinct_users: u64,
    /// Distinct sessions with at least one valid event of each step in this hour.
    pub funnel: Funnel,
    /// Valid purchase events.
    pub purchases: u64,
    /// Orders placed (valid purchases of a cart with items), per currency code.
    #[serde(default)]
    pub orders: BTreeMap<String, u64>,
    /// Revenue of those orders in minor units of the currency (cents), per currency.
    #[serde(default)]
    pub revenue: BTreeMap<String, u128>,
    pub duplicates: u64,
    pub late: u64,
    pub out_of_order: u64,
    pub malformed: u64,
}

/// Sessions per funnel step.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Funnel {
    pub landing: u64,
    pub group_view: u64,
    pub product_view: u64,
    pub add_to_cart: u64,
    pub cart_view: u64,
    pub checkout: u64,
    pub purchase: u64,
    #[serde(default)]
    pub remove_from_cart: u64,
}

impl Funnel {
    pub fn get_mut(&mut self, page: Page) -> &mut u64 {
        match page {
            Page::Landing => &mut self.landing,
            Page::GroupList => &mut self.group_view,
            Page::Product => &mut self.product_view,
            Page::AddToCart => &mut self.add_to_cart,
            Page::Cart => &mut self.cart_view,
            Page::Checkout => &mut self.checkout,
            Page::Purchase => &mut self.purchase,
            Page::RemoveFromCart => &mut self.remove_from_cart,
        }
    }

    pub fn get(&self, page: Page) -> u64 {
        match page {
            Page::Landing => self.landing,
            Page::GroupList => self.group_view,
            Page::Product => self.product_view,
            Page::AddToCart => self.add_to_cart,
            Page::Cart => self.cart_view,
            Page::Checkout => self.checkout,
            Page::Purchase => self.purchase,
            Page::RemoveFromCart => self.remove_from_cart,
        }
    }

    fn add(&mut self, other: &Funnel) {
        for page in PAGES {
            *self.get_mut(page) += other.get(page);
        }
    }
}

/// Every injected fault of the run.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultTruth {
    /// Extra copies emitted (each id appears once per extra copy).
    pub duplicate: FaultList,
    pub late: FaultList,
    pub out_of_order: FaultList,
    pub malformed: MalformedTruth,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultList {
    pub count: u64,
    /// Sorted.
    pub event_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MalformedTruth {
    pub count: u64,
    pub broken_url: u64,
    pub missing_field: u64,
    pub bad_json: u64,
    /// Sorted.
    pub event_ids: Vec<String>,
}

impl FaultList {
    fn push(&mut self, id: String) {
        self.count += 1;
        self.event_ids.push(id);
    }

    fn merge(&mut self, other: &FaultList) {
        self.count += other.count;
        self.event_ids.extend(other.event_ids.iter().cloned());
        self.event_ids.sort_unstable();
    }
}

/// `YYYY-MM-DDTHH` of Unix ms `ts` (UTC).
pub fn hour_key(ts_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ts_ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H")
        .to_string()
}

impl Manifest {
    /// Adds the manifest of another shard of the same run.
    pub fn merge(&mut self, other: &Manifest) {
        self.records += other.records;
        self.events += other.events;
        self.shards.extend(other.shards.iter().cloned());
        self.shards.sort();
        for (hour, h) in &other.hours {
            let mine = self.hours.entry(hour.clone()).or_default();
            mine.records += h.records;
            mine.events += h.events;
            for (k, v) in &h.by_type {
                *mine.by_type.entry(k.clone()).or_default() += v;
            }
            for (k, v) in &h.by_group {
                *mine.by_group.entry(k.clone()).or_default() += v;
            }
            mine.sessions_started += h.sessions_started;
            mine.distinct_users += h.distinct_users;
            mine.funnel.add(&h.funnel);
            mine.purchases += h.purchases;
            for (k, v) in &h.orders {
                *mine.orders.entry(k.clone()).or_default() += v;
            }
            for (k, v) in &h.revenue {
                *mine.revenue.entry(k.clone()).or_default() += v;
            }
            mine.duplicates += h.duplicates;
            mine.late += h.late;
            mine.out_of_order += h.out_of_order;
            mine.malformed += h.malformed;
        }
        let (f, o) = (&mut self.faults, &other.faults);
        f.duplicate.merge(&o.duplicate);
        f.late.merge(&o.late);
        f.out_of_order.merge(&o.out_of_order);
        f.malformed.count += o.malformed.count;
        f.malformed.broken_url += o.malformed.broken_url;
        f.malformed.missing_field += o.malformed.missing_field;
        f.malformed.bad_json += o.malformed.bad_json;
        f.malformed
            .event_ids
            .extend(o.malformed.event_ids.iter().cloned());
        f.malformed.event_ids.sort_unstable();
    }

    /// Pretty JSON, as written to `--truth PATH`.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a manifest always serialises")
    }

    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

#[derive(Default)]
struct HourSets {
    users: HashSet<u64>,
    steps: [HashSet<u64>; PAGES.len()],
}

/// Builds the manifest from the events as they are emitted.
pub struct TruthBuilder<'m> {
    model: &'m RealisticModel,
    format: Format,
    manifest: Manifest,
    sets: BTreeMap<String, HourSets>,
    last_hour: (i64, String),
    replay: Replay,
}

impl<'m> TruthBuilder<'m> {
    pub fn new(model: &'m RealisticModel, format: Format, shard: crate::Shard) -> Self {
        Self {
            model,
            format,
            manifest: Manifest {
                seed: model.seed(),
                format: format.to_string(),
                shards: vec![shard.to_string()],
                ..Manifest::default()
            },
            sets: BTreeMap::new(),
            last_hour: (i64::MIN, String::new()),
            replay: Replay::default(),
        }
    }

    pub fn add_all<'e>(&mut self, events: impl IntoIterator<Item = &'e Event>) {
        for e in events {
            self.add(e);
        }
    }

    /// Records one emitted event.
    pub fn add(&mut self, e: &Event) {
        let hour_index = e.ts_ms.div_euclid(3_600_000);
        if self.last_hour.0 != hour_index {
            self.last_hour = (hour_index, hour_key(e.ts_ms));
        }
        let key = &self.last_hour.1;
        let m = &mut self.manifest;
        m.records += 1;
        let hour = m.hours.entry(key.clone()).or_default();
        hour.records += 1;
        let id = || self.model.event_id(e).to_string();
        let fault = e.fault.for_format(self.format);
        match fault {
            Fault::DuplicateCopy => {
                hour.duplicates += 1;
                m.faults.duplicate.push(id());
                return;
            }
            f if f.is_malformed() => {
                hour.malformed += 1;
                let t = &mut m.faults.malformed;
                t.count += 1;
                *match f {
                    Fault::BrokenUrl => &mut t.broken_url,
                    Fault::MissingField => &mut t.missing_field,
                    _ => &mut t.bad_json,
                } += 1;
                t.event_ids.push(id());
                return;
            }
            Fault::Late => {
                hour.late += 1;
                m.faults.late.push(id());
            }
            Fault::OutOfOrder => {
                hour.out_of_order += 1;
                m.faults.out_of_order.push(id());
            }
            _ => {}
        }
        m.events += 1;
        hour.events += 1;
        *hour
            .by_type
            .entry(e.page.event_type().to_owned())
            .or_default() += 1;
        if e.group != 0 {
            *hour.by_group.entry(e.group.to_string()).or_default() += 1;
        }
        match e.page {
            Page::Landing => hour.sessions_started += 1,
            Page::Purchase => {
                hour.purchases += 1;
                let lines = self.model.cart_before(e, &mut self.replay);
                if !lines.is_empty() {
                    let currency = self.model.catalog().currency();
                    *hour.orders.entry(currency.to_string()).or_default() += 1;
                    *hour.revenue.entry(currency.to_string()).or_default() +=
                        u128::from(cart::total(lines));
                }
            }
            _ => {}
        }
        let sets = self.sets.entry(key.clone()).or_default();
        if sets.users.insert(self.model.user_id(e)) {
            hour.distinct_users += 1;
        }
        if sets.steps[e.page as usize].insert(e.session_key()) {
            *hour.funnel.get_mut(e.page) += 1;
        }
    }

    /// The manifest of everything added so far.
    pub fn finish(mut self) -> Manifest {
        let f = &mut self.manifest.faults;
        f.duplicate.event_ids.sort_unstable();
        f.late.event_ids.sort_unstable();
        f.out_of_order.event_ids.sort_unstable();
        f.malformed.event_ids.sort_unstable();
        self.manifest
    }
}
