//! The semantic event: what one raw click means, with typed fields.
//!
//! An [`Event`] borrows its text from the raw record (and the group names from the
//! enricher), so enriching a record allocates nothing in the common case; the lake
//! writer copies the fields straight into its column builders.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::money::Money;

/// What the shopper did. Closed: a path the enricher does not know is a dead letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventType {
    /// The store's landing page (`/`, `/api`, `/api/home`).
    Landing,
    /// A group list: `/api/group/{g}`.
    GroupView,
    /// A product page: `/api/group/{g}/product/{p}`.
    ProductView,
    /// `/api/group/{g}/product/{p}/add-to-cart` (or `…/cart`, or `/api/cart/add?product={p}`).
    AddToCart,
    /// `/api/group/{g}/product/{p}/remove-from-cart`.
    RemoveFromCart,
    /// `/api/cart`.
    CartView,
    /// `/api/checkout`.
    Checkout,
    /// `/api/purchase`, `/api/order` or `/api/checkout/complete`.
    Purchase,
}

impl EventType {
    /// Every type, in funnel order: the one list the lake, the reports and the
    /// dashboard take their event types from (the realistic model's pages map onto it
    /// with [`From`], an exhaustive match, so a new page is a compile error until it
    /// has a type here).
    pub const ALL: [EventType; 8] = [
        Self::Landing,
        Self::GroupView,
        Self::ProductView,
        Self::AddToCart,
        Self::RemoveFromCart,
        Self::CartView,
        Self::Checkout,
        Self::Purchase,
    ];

    /// The value in the `event_type` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Landing => "landing",
            Self::GroupView => "group_view",
            Self::ProductView => "product_view",
            Self::AddToCart => "add_to_cart",
            Self::RemoveFromCart => "remove_from_cart",
            Self::CartView => "cart_view",
            Self::Checkout => "checkout",
            Self::Purchase => "purchase",
        }
    }

    /// The type whose column value is `name`.
    pub fn from_name(name: &str) -> Option<EventType> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

impl From<csgen_model::realistic::Page> for EventType {
    fn from(page: csgen_model::realistic::Page) -> Self {
        use csgen_model::realistic::Page;
        match page {
            Page::Landing => Self::Landing,
            Page::GroupList => Self::GroupView,
            Page::Product => Self::ProductView,
            Page::AddToCart => Self::AddToCart,
            Page::RemoveFromCart => Self::RemoveFromCart,
            Page::Cart => Self::CartView,
            Page::Checkout => Self::Checkout,
            Page::Purchase => Self::Purchase,
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The session an event belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionId<'a> {
    /// The record carried one.
    Given(Cow<'a, str>),
    /// Assigned by the inactivity gap: the user and the session's first event time,
    /// written `{user_id}-{start_ms}`.
    Derived { user_id: i64, start_ms: i64 },
}

impl fmt::Display for SessionId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Given(s) => f.write_str(s),
            Self::Derived { user_id, start_ms } => write!(f, "{user_id}-{start_ms}"),
        }
    }
}

/// One semantic event, the row of the lake's `events` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<'a> {
    /// The record's id, or one derived from the source position for bare URLs.
    pub event_id: Cow<'a, str>,
    /// Event time, Unix milliseconds UTC.
    pub event_time_ms: i64,
    pub event_type: EventType,
    pub user_id: i64,
    pub session_id: SessionId<'a>,
    pub group_id: Option<i32>,
    /// From the store config; `None` when the group is not in the config.
    pub group_name: Option<&'a str>,
    pub product_id: Option<i64>,
    /// Device class from the user agent (`desktop`, `mobile`, `tablet`, …), else the record's `device`.
    pub device: Option<Arc<str>>,
    /// Browser name from the user agent (`Chrome`, `Firefox`, …).
    pub browser: Option<Arc<str>>,
    pub referrer: Option<Cow<'a, str>>,
    pub url: Cow<'a, str>,
    /// Who, from where, and what money moved: the record's own fields, absent from
    /// classic records and bare URLs.
    pub details: Details<'a>,
}

/// The nullable columns a raw record fills when it carries them (the realistic
/// model's records do; see docs/model.md for which event types carry which).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Details<'a> {
    /// ISO 3166 alpha-2.
    pub country: Option<Cow<'a, str>>,
    /// The operating system the record names (`iOS`, `Windows`, …).
    pub os: Option<Cow<'a, str>>,
    pub utm_source: Option<Cow<'a, str>>,
    pub utm_medium: Option<Cow<'a, str>>,
    pub utm_campaign: Option<Cow<'a, str>>,
    /// `purchase`: the order's id.
    pub order_id: Option<Cow<'a, str>>,
    /// `add_to_cart`, `remove_from_cart`: units.
    pub quantity: Option<i32>,
    /// `add_to_cart`, `remove_from_cart`: the unit price.
    pub price: Option<Money>,
    /// `purchase`: the order total.
    pub revenue: Option<Money>,
    /// ISO 4217 code of `price` and `revenue`.
    pub currency: Option<Cow<'a, str>>,
    /// `purchase`: the order lines (at most [`crate::raw::MAX_ITEMS`]).
    pub items: Option<Vec<crate::raw::RawItem>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use csgen_model::realistic::PAGES;

    /// The model's `event_type` names are the lake's: a page the model emits never
    /// becomes an unknown type downstream.
    #[test]
    fn the_models_pages_have_the_lakes_event_type_names() {
        for page in PAGES {
            assert_eq!(
                EventType::from(page).as_str(),
                page.event_type(),
                "{page:?}"
            );
        }
        let mut from_model: Vec<EventType> = PAGES.into_iter().map(EventType::from).collect();
        from_model.sort();
        assert_eq!(from_model, EventType::ALL, "every type is one page");
    }

    #[test]
    fn names_round_trip() {
        for t in EventType::ALL {
            assert_eq!(EventType::from_name(t.as_str()), Some(t));
        }
        assert_eq!(EventType::from_name("Landing"), None);
        assert_eq!(EventType::from_name(""), None);
    }
}
