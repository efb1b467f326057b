//! Raw record → semantic event.
//!
//! [`Enricher::enrich`] is the whole stage for one record: parse the raw shape, read
//! the URL, take the event time (the record's `ts`, or the arrival time for records
//! without one), resolve the group name from the store config, assign a session, and
//! read device and browser from the user agent. It does no I/O; the only state is the
//! open sessions and the user-agent cache.

use std::borrow::Cow;
use std::time::Duration;

use csgen_model::StoreConfig;

use crate::event::{Details, Event, SessionId};
use crate::raw::{self, RawTime};
use crate::reason::Reason;
use crate::session::Sessionizer;
use crate::time;
use crate::ua::UaParser;
use crate::window::{EventWindow, Watermark};

/// Where a record came from, for derived ids, arrival times and dead letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// 1-based line (record) number in the source.
    pub line: u64,
    /// Byte offset of the record's first byte in the source.
    pub offset: u64,
    /// When the record was read, Unix ms UTC: the event time of records without `ts`.
    pub arrival_ms: i64,
}

/// Settings of the enrich stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrichOptions {
    /// A user's events further apart than this start a new session (default 30 min).
    pub session_gap: Duration,
    /// Mixed into ids derived for records without `event_id`, so that two sources
    /// with the same line at the same offset still get different ids.
    pub source_key: u64,
    /// How far behind or ahead an event time may be (off by default; `csgen enrich`
    /// and the lake sink use [`EventWindow::RECOMMENDED`]).
    pub window: EventWindow,
}

impl Default for EnrichOptions {
    fn default() -> Self {
        Self {
            session_gap: Duration::from_secs(30 * 60),
            source_key: 0,
            window: EventWindow::OFF,
        }
    }
}

/// The enrich stage: holds the group names, the open sessions and the UA cache.
pub struct Enricher {
    /// Indexed by group id (ids are 1..=group count, at most `MAX_GROUPS`).
    group_names: Vec<Option<Box<str>>>,
    sessions: Sessionizer,
    ua: UaParser,
    source_key: u64,
    watermark: Watermark,
}

impl Enricher {
    pub fn new(config: &StoreConfig, options: &EnrichOptions) -> Self {
        Self {
            group_names: {
                let len = config.groups.iter().map(|g| g.id as usize + 1).max();
                let mut names = vec![None; len.unwrap_or(0)];
                for g in &config.groups {
                    names[g.id as usize] = Some(g.name.as_str().into());
                }
                names
            },
            sessions: Sessionizer::new(
                i64::try_from(options.session_gap.as_millis()).unwrap_or(i64::MAX),
            ),
            ua: UaParser::default(),
            source_key: options.source_key,
            watermark: Watermark::new(options.window),
        }
    }

    /// Enriches one record (without its line terminator).
    pub fn enrich<'a>(&'a mut self, bytes: &'a [u8], pos: Position) -> Result<Event<'a>, Reason> {
        let raw = raw::parse(bytes)?;
        let url = raw.url.ok_or(Reason::MissingField("url"))?;
        let page = crate::url::parse(&url)?;
        let user_id = match (raw.user_id, page.user_id) {
            (Some(a), Some(b)) if a != b => {
                return Err(Reason::bad(
                    "user_id",
                    format!("record says {a}, URL says {b}"),
                ));
            }
            (Some(u), _) | (None, Some(u)) => u,
            (None, None) => return Err(Reason::MissingField("user_id")),
        };
        let event_time_ms = match raw.ts {
            Some(RawTime::Text(t)) => time::parse_rfc3339(&t)?,
            Some(RawTime::Millis(ms)) => time::check_range(ms)?,
            None => time::check_range(pos.arrival_ms)?,
        };
        // Before any session sees it: a far-future time would close every open one.
        self.watermark.admit(event_time_ms, pos.arrival_ms)?;
        let event_id = match raw.event_id {
            Some(id) if id.is_empty() => return Err(Reason::bad("event_id", "empty")),
            Some(id) => id,
            None => Cow::Owned(derived_id(self.source_key, bytes, pos.offset).to_string()),
        };
        let session_id = match raw.session_id {
            Some(s) if !s.is_empty() => SessionId::Given(s),
            _ => SessionId::Derived {
                user_id,
                start_ms: self.sessions.assign(user_id, event_time_ms),
            },
        };
        let agent = raw
            .user_agent
            .as_deref()
            .filter(|ua| !ua.is_empty())
            .map(|ua| self.ua.parse(ua))
            .unwrap_or_default();
        let text = |t: Option<Cow<'a, str>>| t.filter(|t| !t.is_empty());
        let currency = text(raw.currency);
        if let Some(c) = &currency {
            // The model's one definition of a currency code and its minor digits.
            let digits = csgen_model::realistic::Currency::parse(crate::reason::clip(c))
                .map_err(|e| Reason::bad("currency", e))?
                .digits();
            let lines = raw.items.iter().flatten().map(|i| ("items", Some(i.price)));
            for (field, amount) in [("price", raw.price), ("revenue", raw.revenue)]
                .into_iter()
                .chain(lines)
            {
                if let Some(m) = amount
                    && m.minor_units(u32::from(digits)).is_none()
                {
                    return Err(Reason::bad(
                        field,
                        format!(
                            "{m} is not a whole number of {c}'s minor units ({digits} decimals)"
                        ),
                    ));
                }
            }
        }
        let details = Details {
            country: text(raw.country),
            os: text(raw.os),
            utm_source: text(raw.utm_source),
            utm_medium: text(raw.utm_medium),
            utm_campaign: text(raw.utm_campaign),
            order_id: text(raw.order_id),
            quantity: raw.quantity,
            price: raw.price,
            revenue: raw.revenue,
            currency,
            items: raw.items,
        };
        let device = agent.device.or_else(|| {
            raw.device
                .filter(|d| !d.is_empty())
                .map(|d| d.as_ref().into())
        });
        Ok(Event {
            event_id,
            event_time_ms,
            event_type: page.event_type,
            user_id,
            session_id,
            group_id: page.group_id,
            group_name: page
                .group_id
                .and_then(|g| self.group_names.get(usize::try_from(g).ok()?)?.as_deref()),
            product_id: page.product_id,
            device,
            browser: agent.browser,
            referrer: raw.referrer.filter(|r| !r.is_empty()),
            url,
            details,
        })
    }
}

/// A UUID (version 8) for a record without `event_id`: a hash of the source key and
/// the record's bytes, and the record's byte offset. Re-reading the same source gives
/// the same ids, so a replay after a crash does not invent new events.
pub fn derived_id(source_key: u64, bytes: &[u8], offset: u64) -> uuid::Uuid {
    let h = crate::hash::fnv1a(crate::hash::FNV_OFFSET ^ source_key, bytes);
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&csgen_model::click::mix64(h).to_be_bytes());
    out[8..].copy_from_slice(&offset.to_be_bytes());
    uuid::Builder::from_custom_bytes(out).into_uuid()
}

#[cfg(test)]
#[path = "enrich_tests.rs"]
pub(crate) mod tests;
