//! The semantic event: what one raw click means, with typed fields.
//!
//! An [`Event`] borrows its text from the raw record (and the group names from the
//! enricher), so enriching a record allocates nothing in the common case; the lake
//! writer copies the fields straight into its column builders.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

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
    /// `/api/cart`.
    CartView,
    /// `/api/checkout`.
    Checkout,
    /// `/api/purchase`, `/api/order` or `/api/checkout/complete`.
    Purchase,
}

impl EventType {
    pub const ALL: [EventType; 7] = [
        Self::Landing,
        Self::GroupView,
        Self::ProductView,
        Self::AddToCart,
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
            Self::CartView => "cart_view",
            Self::Checkout => "checkout",
            Self::Purchase => "purchase",
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
}
