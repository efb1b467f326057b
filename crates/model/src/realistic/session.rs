//! One session: a walk through the page state machine, drawn from the session's RNG.
//!
//! A session lands (with a referrer and maybe a UTM campaign), then moves page to page
//! by the `[funnel]` probabilities until it exits. Between clicks the shopper thinks
//! for a log-normal time; a think time over `inactivity_gap_s`, more than `max_pages`
//! pages or a session longer than `max_duration_s` also end it. Product views after a
//! group list stay in that group; after a product view they stay with probability
//! `stay_in_group`, else pick a group by `product_share`.

use rand::RngExt;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand_distr::LogNormal;

use super::config::RealisticConfig;
use super::faults::{Fault, Faults};
use super::population::{cumulative, pick};
use super::{EXIT, Event, PAGES, Page, RealisticModel, SLOT_MS};
use crate::click::{event_rng, mix64};
use crate::shard::Shard;

/// The parts of the model a session walks through, prepared once.
#[derive(Debug, Clone)]
pub(crate) struct SessionModel {
    session_seed: u64,
    funnel: [Vec<f64>; 7],
    think: LogNormal<f64>,
    gap_ms: f64,
    max_pages: u8,
    max_duration_ms: i64,
    stay_in_group: f64,
    list_groups: WeightedIndex<f64>,
    product_groups: WeightedIndex<f64>,
    referrers: Vec<f64>,
    /// Cumulative campaign shares, then 1.0 for "no campaign".
    campaigns: Vec<f64>,
    pub faults: Faults,
}

impl SessionModel {
    pub fn new(c: &RealisticConfig) -> Self {
        let groups = |f: fn(&crate::config::Group) -> f64| {
            WeightedIndex::new(c.store.groups.iter().map(f)).expect("validated: shares sum to 1")
        };
        let mut campaigns = cumulative(c.campaigns.iter().map(|c| c.share));
        campaigns.push(1.0_f64.max(campaigns.last().copied().unwrap_or(0.0)));
        let s = &c.session;
        Self {
            session_seed: 0,
            funnel: c.funnel.map(cumulative),
            think: LogNormal::new(s.think_median_ms.ln(), s.think_sigma).expect("validated sigma"),
            gap_ms: s.gap_ms,
            max_pages: s.max_pages,
            max_duration_ms: s.max_duration_ms,
            stay_in_group: s.stay_in_group,
            list_groups: groups(|g| g.list_share),
            product_groups: groups(|g| g.product_share),
            referrers: cumulative(c.referrers.iter().map(|r| r.1)),
            campaigns,
            faults: Faults::new(&c.faults),
        }
    }

    pub fn with_seed(mut self, seed: u64) -> Self {
        self.session_seed = mix64(seed ^ 0x7365_7373_696f_6e73);
        self
    }

    /// How long after its start a session's last record can arrive.
    pub fn reach_ms(&self, c: &RealisticConfig) -> i64 {
        self.max_duration_ms + c.faults.max_delay_ms() as i64 + 1
    }

    /// Sessions started in `slot` (the same in every shard).
    pub fn count(&self, model: &RealisticModel, slot: i64) -> u64 {
        let lambda = model.sessions_per_slot_at(slot * SLOT_MS);
        if lambda <= 0.0 {
            return 0;
        }
        let mut rng = event_rng(self.session_seed ^ 0x736c_6f74, slot as u64);
        let n: f64 = rand_distr::Poisson::new(lambda).map_or(0.0, |p| p.sample(&mut rng));
        (n as u64).min((1 << 28) - 1)
    }
}

impl RealisticModel {
    /// Appends the records of session `k` of `slot` to `out`, if `shard` owns its customer.
    pub(crate) fn session(&self, slot: i64, k: u64, shard: Shard, out: &mut Vec<Event>) {
        let m = &self.sessions;
        let skey = ((slot as u64) << 28) | k;
        let mut rng = event_rng(m.session_seed, skey);
        let start = slot * SLOT_MS + rng.random_range(0..SLOT_MS);
        let customer = self.population.pick(&mut rng);
        if !shard.owns(u64::from(customer)) {
            return;
        }
        let mut page = Page::Landing;
        let (mut group, mut product) = (0u32, None);
        let mut ts = start;
        let referrer = if m.referrers.is_empty() {
            0
        } else {
            pick(&m.referrers, rng.random()) as u8 + 1
        };
        let campaign = pick(&m.campaigns, rng.random());
        let campaign = if campaign + 1 == m.campaigns.len() {
            0
        } else {
            campaign as u8 + 1
        };
        let mut index = 0u8;
        loop {
            let mut event = Event {
                arrival_ms: ts,
                ts_ms: ts,
                key: (skey << 8) | u64::from(index),
                customer,
                page,
                fault: Fault::None,
                referrer: if index == 0 { referrer } else { 0 },
                campaign: if index == 0 { campaign } else { 0 },
                group: if matches!(page, Page::GroupList | Page::Product | Page::AddToCart) {
                    group
                } else {
                    0
                },
                product: if matches!(page, Page::Product | Page::AddToCart) {
                    product
                } else {
                    None
                },
            };
            let (fault, delay, copy) = m.faults.draw(&mut rng);
            event.fault = fault;
            event.arrival_ms += delay;
            out.push(event);
            if let Some(copy) = copy {
                out.push(Event {
                    arrival_ms: ts + copy,
                    fault: Fault::DuplicateCopy,
                    ..event
                });
            }

            index += 1;
            if index >= m.max_pages {
                break;
            }
            let target = pick(&m.funnel[page as usize], rng.random());
            if target == EXIT {
                break;
            }
            let think = m.think.sample(&mut rng);
            if think > m.gap_ms {
                break;
            }
            ts += (think as i64).max(1);
            if ts - start > m.max_duration_ms {
                break;
            }
            let next = PAGES[target + 1];
            match next {
                Page::GroupList => group = m.list_groups.sample(&mut rng) as u32 + 1,
                Page::Product => {
                    let stay = match page {
                        Page::GroupList => true,
                        Page::Product | Page::AddToCart => {
                            group != 0 && rng.random_bool(m.stay_in_group)
                        }
                        _ => false,
                    };
                    if !stay {
                        group = m.product_groups.sample(&mut rng) as u32 + 1;
                    }
                    product = Some(self.products[group as usize - 1].sample(&mut rng));
                }
                _ => {}
            }
            page = next;
        }
    }
}
