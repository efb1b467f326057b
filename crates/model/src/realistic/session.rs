//! One session: a walk through the page state machine, drawn from the session's RNG.
//!
//! A session lands (with a referrer and maybe a UTM campaign), then moves page to page
//! by the `[funnel]` probabilities until it exits. Between clicks the shopper thinks
//! for a log-normal time; a think time over `inactivity_gap_s`, more than `max_pages`
//! pages or a session longer than `max_duration_s` also end it. Product views after a
//! group list stay in that group; after a product view they stay with probability
//! `stay_in_group`, else pick a group by `product_share`.
//!
//! The walk keeps the session's cart (the distinct products added, in order): with an
//! empty cart, `checkout` and `remove_from_cart` are not possible, so their shares go
//! to the row's other targets in proportion (the same uniform draw picks from the row
//! without them). A removal takes the line that a hash of its event key picks. The
//! units and prices of the cart are not tracked here: they are pure functions of event
//! keys and products, recomputed on demand by a replay ([`super::cart`]).

use rand::RngExt;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand_distr::LogNormal;

use super::cart::{self, Cart};
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
    /// Seed of the hashes that pick quantities and removed lines.
    pub cart_seed: u64,
    funnel: [Vec<f64>; 8],
    /// The rows an empty cart follows: no checkout, no removal.
    funnel_empty_cart: [Vec<f64>; 8],
    /// Cumulative shares of adding 1, 2, … units.
    pub quantity: Vec<f64>,
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
        // Rows that cannot lead to checkout or a removal stay as they are (bit for bit:
        // the same uniform draw picks the same page as with a full cart).
        let empty_cart = PAGES.map(|page| {
            let row = c.funnel[page as usize];
            let needs_items =
                row[Page::Checkout as usize - 1] + row[Page::RemoveFromCart as usize - 1];
            cumulative(if needs_items > 0.0 {
                c.next_page_shares(page, true)
            } else {
                row
            })
        });
        Self {
            session_seed: 0,
            cart_seed: 0,
            funnel: c.funnel.map(cumulative),
            funnel_empty_cart: empty_cart,
            quantity: cumulative(c.cart.quantity.iter().copied()),
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
        self.cart_seed = mix64(seed ^ 0x6361_7274_6361_7274);
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
    /// Appends the records of session `k` of `slot` to `out`, if `shard` owns its
    /// customer; `cart` is scratch space.
    pub(crate) fn session(
        &self,
        slot: i64,
        k: u64,
        shard: Shard,
        cart: &mut Cart,
        out: &mut Vec<Event>,
    ) {
        self.walk(slot, k, shard, u8::MAX, cart, out);
    }

    /// The walk of session `k` of `slot`, up to the event of index `last`. Inlined
    /// into both callers: the generator's copy is the hot loop of the model.
    #[inline(always)]
    pub(crate) fn walk(
        &self,
        slot: i64,
        k: u64,
        shard: Shard,
        last: u8,
        cart: &mut Cart,
        out: &mut Vec<Event>,
    ) {
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
        cart.clear();
        let mut removed = (0u32, None);
        loop {
            let mut event = Event {
                arrival_ms: ts,
                ts_ms: ts,
                key: (skey << 8) | u64::from(index),
                customer,
                page,
                fault: Fault::None,
                referrer: if index == 0 { referrer } else { 0 },
                campaign,
                group: match page {
                    Page::GroupList | Page::Product | Page::AddToCart => group,
                    Page::RemoveFromCart => removed.0,
                    _ => 0,
                },
                product: match page {
                    Page::Product | Page::AddToCart => product,
                    Page::RemoveFromCart => removed.1,
                    _ => None,
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

            match page {
                Page::AddToCart => {
                    if let Some(p) = product
                        && !cart.iter().any(|line| line.1 == p)
                    {
                        cart.push((group, p));
                    }
                }
                Page::Purchase => cart.clear(),
                _ => {}
            }

            if index >= last.min(m.max_pages - 1) {
                break;
            }
            index += 1;
            let row = if cart.is_empty() {
                &m.funnel_empty_cart[page as usize]
            } else {
                &m.funnel[page as usize]
            };
            let target = pick(row, rng.random());
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
                Page::RemoveFromCart => {
                    // An empty cart's rows exclude the page; the guard only keeps
                    // `remove` total.
                    let key = (skey << 8) | u64::from(index);
                    let at = cart::pick_line(m.cart_seed, key, cart.len());
                    removed = if at < cart.len() {
                        let (g, p) = cart.remove(at);
                        (g, Some(p))
                    } else {
                        (0, None)
                    };
                }
                _ => {}
            }
            page = next;
        }
    }
}
