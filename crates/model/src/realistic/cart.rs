//! Carts and orders: what a session's cart holds at any of its events, recomputed by
//! replaying the session's walk.
//!
//! Events stay small and fixed-size (they are sorted and merged in bulk), so they
//! carry no cart. Everything about money is a pure function instead: the units an
//! `add_to_cart` adds come from a hash of its event key ([`RealisticModel::quantity`]),
//! a product's unit price from the catalog, and the cart at an event from the
//! session's earlier events ([`RealisticModel::cart_before`]): adding a product puts
//! its units on its line (one line per product), a removal takes a whole line, a
//! purchase orders every line and empties the cart. Only `cart_view`, `purchase` and
//! `remove_from_cart` records need the replay.

use super::faults::Fault;
use super::population::pick;
use super::{Event, Page, RealisticModel};

/// The distinct (group, product) of a session's cart, in the order they were added
/// (scratch space the caller keeps, so a walk allocates nothing).
pub(crate) type Cart = Vec<(u32, u64)>;
use crate::click::mix64;
use crate::shard::Shard;

/// One line of a cart or an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub group: u32,
    pub product: u64,
    /// Units (at most 255 adds of at most 99 units).
    pub quantity: u32,
    /// List price of one unit, in minor units of the catalog's currency.
    pub unit_price: u64,
}

impl Line {
    /// `quantity * unit_price` (exact: prices are bounded, see `catalog`).
    pub fn total(&self) -> u64 {
        u64::from(self.quantity) * self.unit_price
    }
}

/// The total of a cart or order, in minor units.
pub fn total(lines: &[Line]) -> u64 {
    lines.iter().map(Line::total).sum()
}

/// Units in a cart or order.
pub fn units(lines: &[Line]) -> u64 {
    lines.iter().map(|l| u64::from(l.quantity)).sum()
}

/// Scratch space for replays; keep one per thread (encoders and truth builders do).
#[derive(Debug, Clone, Default)]
pub struct Replay {
    events: Vec<Event>,
    lines: Vec<Line>,
    cart: Cart,
}

/// A uniform draw in [0, 1) from a hash.
#[inline]
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Which of `len` cart lines the removal with event key `key` takes.
#[inline]
pub(crate) fn pick_line(cart_seed: u64, key: u64, len: usize) -> usize {
    let h = mix64(cart_seed ^ mix64(key ^ 0x7265_6d6f_7665));
    ((u128::from(h) * len as u128) >> 64) as usize
}

impl RealisticModel {
    /// Units an `add_to_cart` event adds (1 + a draw from `cart.quantity` by a hash of
    /// its event key); 0 for other events.
    #[inline]
    pub fn quantity(&self, event: &Event) -> u32 {
        if event.page != Page::AddToCart {
            return 0;
        }
        let h = mix64(self.sessions.cart_seed ^ mix64(event.key));
        pick(&self.sessions.quantity, unit(h)) as u32 + 1
    }

    /// The list price (minor units) of the event's product; 0 if it has none.
    #[inline]
    pub fn unit_price(&self, event: &Event) -> u64 {
        event
            .product
            .map_or(0, |p| self.catalog.price(event.group, p))
    }

    /// The session's cart as it is when `event` happens, before the event's own
    /// effect: the items a `purchase` orders, the cart a `cart_view` shows, the line a
    /// `remove_from_cart` takes. Lines are in the order their products were first added.
    pub fn cart_before<'r>(&self, event: &Event, replay: &'r mut Replay) -> &'r [Line] {
        replay.lines.clear();
        let Some(last) = event.index().checked_sub(1) else {
            return &replay.lines;
        };
        let skey = event.session_key();
        let (slot, k) = ((skey >> 28) as i64, skey & ((1 << 28) - 1));
        replay.events.clear();
        self.walk(
            slot,
            k,
            Shard::ALL,
            last,
            &mut replay.cart,
            &mut replay.events,
        );
        for e in &replay.events {
            if e.fault == Fault::DuplicateCopy {
                continue;
            }
            match e.page {
                Page::AddToCart => {
                    let quantity = self.quantity(e);
                    match replay
                        .lines
                        .iter_mut()
                        .find(|l| Some(l.product) == e.product)
                    {
                        Some(line) => line.quantity += quantity,
                        None => replay.lines.push(Line {
                            group: e.group,
                            product: e.product.unwrap_or_default(),
                            quantity,
                            unit_price: self.unit_price(e),
                        }),
                    }
                }
                Page::RemoveFromCart => replay.lines.retain(|l| Some(l.product) != e.product),
                Page::Purchase => replay.lines.clear(),
                _ => {}
            }
        }
        &replay.lines
    }

    /// The line a `remove_from_cart` event takes out of the cart (`None` for other
    /// events).
    pub fn removed_line(&self, event: &Event, replay: &mut Replay) -> Option<Line> {
        if event.page != Page::RemoveFromCart {
            return None;
        }
        self.cart_before(event, replay)
            .iter()
            .find(|l| Some(l.product) == event.product)
            .copied()
    }

    /// The order id of a `purchase` event (UUIDv8 from a seed-derived half and the event
    /// key, like event and session ids).
    pub fn order_id(&self, event: &Event) -> uuid::Uuid {
        crate::click::event_id(self.run_key ^ 0x0bde_0bde_0bde_0bde, event.key)
    }
}
