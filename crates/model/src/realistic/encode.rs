//! Writing realistic events as records, faults included.
//!
//! JSON records extend the classic raw click (`event_id`, `ts`, `url`, `user_id`) with
//! `session_id`, `event_type`, `device`, `os`, `country`, `user_agent`, on landings
//! `referrer`, on every event of a campaign's session `utm_source`/`utm_medium`/
//! `utm_campaign`, and money where there is some: `quantity`, `price` and `currency`
//! on `add_to_cart` and `remove_from_cart`, `cart_value`, `cart_items` and `currency`
//! on `cart_view`, `order_id`, `items`, `revenue` and `currency` on `purchase`
//! (docs/model.md has the table). Amounts are exact decimals with the currency's minor
//! digits. URLs keep the original's `/api/...` style. Every string that can need JSON
//! escaping is escaped once, when the encoder is built.
//!
//! Malformed records: `BrokenUrl` writes the URL without the `:` after the scheme (not
//! a parseable URL), `MissingField` leaves out `url`, `BadJson` cuts the record in half.

use super::cart::{self, Line, Replay};
use super::catalog::Currency;
use super::config::DEVICES;
use super::faults::Fault;
use super::population::{OPERATING_SYSTEMS, USER_AGENTS};
use super::{Event, PAGES, Page, RealisticModel};
use crate::record::{Batch, Encoder, Format};

fn json_inner(s: &str) -> Box<[u8]> {
    let quoted = serde_json::to_string(s).expect("a string always serialises");
    quoted.as_bytes()[1..quoted.len() - 1].into()
}

/// Writes realistic events in one [`Format`]. Holds caches: keep one per thread.
#[derive(Debug, Clone)]
pub struct EventEncoder {
    format: Format,
    ts: Encoder,
    store: Box<[u8]>,
    store_json: Box<[u8]>,
    broken_store: Box<[u8]>,
    referrers: Vec<Box<[u8]>>,
    /// `&utm_source=…&utm_medium=…&utm_campaign=…` and the JSON fields, per campaign.
    campaign_query: Vec<Box<[u8]>>,
    campaign_json: Vec<Box<[u8]>>,
    /// `","event_type":"…` per page.
    event_types: Vec<Box<[u8]>>,
    /// `","device":"…","os":"…","country":"…","user_agent":"…"` per (user agent,
    /// country), at `customer_fragment`: one copy per record instead of eight.
    customers: Vec<Box<[u8]>>,
    countries: usize,
    currency: Currency,
    scratch: Vec<u8>,
    replay: Replay,
    event_ids: UuidWriter,
    session_ids: UuidWriter,
    order_ids: UuidWriter,
}

impl EventEncoder {
    pub fn new(format: Format, model: &RealisticModel) -> Self {
        let c = model.config();
        let url = &c.store.store_url;
        let broken = url.replacen("://", "//", 1);
        Self {
            format,
            ts: Encoder::new(Format::Json, url),
            store: url.as_bytes().into(),
            store_json: json_inner(url),
            broken_store: json_inner(&broken),
            referrers: c.referrers.iter().map(|r| json_inner(&r.0)).collect(),
            campaign_query: c
                .campaigns
                .iter()
                .map(|k| {
                    format!(
                        "&utm_source={}&utm_medium={}&utm_campaign={}",
                        k.source, k.medium, k.name
                    )
                    .into_bytes()
                    .into()
                })
                .collect(),
            campaign_json: c
                .campaigns
                .iter()
                .map(|k| {
                    format!(
                        ",\"utm_source\":\"{}\",\"utm_medium\":\"{}\",\"utm_campaign\":\"{}\"",
                        k.source, k.medium, k.name
                    )
                    .into_bytes()
                    .into()
                })
                .collect(),
            event_types: PAGES
                .iter()
                .map(|p| {
                    format!("\",\"event_type\":\"{}", p.event_type())
                        .into_bytes()
                        .into()
                })
                .collect(),
            customers: customer_fragments(&c.customers.countries),
            countries: c.customers.countries.len().max(1),
            currency: c.catalog.currency,
            scratch: Vec::new(),
            replay: Replay::default(),
            event_ids: UuidWriter::new(),
            session_ids: UuidWriter::new(),
            order_ids: UuidWriter::new(),
        }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Appends the record of `event` to `batch` (with the [`crate::Click`] sinks use).
    pub fn push(&mut self, model: &RealisticModel, event: &Event, batch: &mut Batch) {
        batch.push_encoded(model.click(event), |out| self.encode(model, event, out));
    }

    /// Appends the record of `event` to `out`, without a line terminator.
    pub fn encode(&mut self, model: &RealisticModel, event: &Event, out: &mut Vec<u8>) {
        let fault = event.fault.for_format(self.format);
        // Written once: JSON records have it twice (URL and `user_id`).
        let mut digits = itoa::Buffer::new();
        let user = digits.format(model.user_id(event)).as_bytes();
        match self.format {
            Format::Url => {
                let store = if fault == Fault::BrokenUrl {
                    &self.broken_store
                } else {
                    &self.store
                };
                write_url(store, event, user, &self.campaign_query, out);
            }
            Format::UrlObject => match fault {
                Fault::MissingField => out.extend_from_slice(b"{}"),
                Fault::BadJson => out.extend_from_slice(b"{\"url\":\""),
                _ => {
                    out.extend_from_slice(b"{\"url\":\"");
                    let store = if fault == Fault::BrokenUrl {
                        &self.broken_store
                    } else {
                        &self.store_json
                    };
                    write_url(store, event, user, &self.campaign_query, out);
                    out.extend_from_slice(b"\"}");
                }
            },
            Format::Json if fault == Fault::BadJson => {
                let mut scratch = std::mem::take(&mut self.scratch);
                scratch.clear();
                self.json(model, event, user, fault, &mut scratch);
                out.extend_from_slice(&scratch[..scratch.len() / 2]);
                self.scratch = scratch;
            }
            Format::Json => self.json(model, event, user, fault, out),
        }
    }

    fn json(
        &mut self,
        model: &RealisticModel,
        e: &Event,
        user: &[u8],
        fault: Fault,
        out: &mut Vec<u8>,
    ) {
        out.extend_from_slice(b"{\"event_id\":\"");
        self.event_ids.write(model.event_id(e), out);
        out.extend_from_slice(b"\",\"ts\":\"");
        self.ts.write_ts(e.ts_ms, out);
        if fault != Fault::MissingField {
            out.extend_from_slice(b"\",\"url\":\"");
            let store = if fault == Fault::BrokenUrl {
                &self.broken_store
            } else {
                &self.store_json
            };
            write_url(store, e, user, &self.campaign_query, out);
        }
        out.extend_from_slice(b"\",\"user_id\":");
        out.extend_from_slice(user);
        out.extend_from_slice(b",\"session_id\":\"");
        self.session_ids.write(model.session_id(e), out);
        out.extend_from_slice(&self.event_types[e.page as usize]);
        let customer = model.population().customer(e.customer);
        let at = customer_fragment(
            customer.device,
            customer.agent,
            customer.country,
            self.countries,
        );
        out.extend_from_slice(&self.customers[at]);
        if e.referrer > 0 {
            out.extend_from_slice(b",\"referrer\":\"");
            out.extend_from_slice(&self.referrers[e.referrer as usize - 1]);
            out.push(b'"');
        }
        if e.campaign > 0 {
            out.extend_from_slice(&self.campaign_json[e.campaign as usize - 1]);
        }
        self.money(model, e, out);
        out.push(b'}');
    }

    /// The fields about money of a cart or order event.
    fn money(&mut self, model: &RealisticModel, e: &Event, out: &mut Vec<u8>) {
        let currency = self.currency;
        match e.page {
            Page::AddToCart => {
                write_line(currency, model.quantity(e), model.unit_price(e), out);
            }
            Page::RemoveFromCart => {
                let line = model.removed_line(e, &mut self.replay);
                let (quantity, price) = line.map_or((0, 0), |l| (l.quantity, l.unit_price));
                write_line(currency, quantity, price, out);
            }
            Page::Cart => {
                let lines = model.cart_before(e, &mut self.replay);
                out.extend_from_slice(b",\"cart_value\":");
                currency.write_amount(cart::total(lines), out);
                out.extend_from_slice(b",\"cart_items\":");
                out.extend_from_slice(itoa::Buffer::new().format(cart::units(lines)).as_bytes());
                write_currency(currency, out);
            }
            Page::Purchase => {
                let lines = model.cart_before(e, &mut self.replay);
                // The walk never checks out an empty cart: every purchase has items.
                if lines.is_empty() {
                    return;
                }
                out.extend_from_slice(b",\"order_id\":\"");
                self.order_ids.write(model.order_id(e), out);
                out.extend_from_slice(b"\",\"items\":[");
                for (i, l) in lines.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_item(currency, l, out);
                }
                out.extend_from_slice(b"],\"revenue\":");
                currency.write_amount(cart::total(lines), out);
                write_currency(currency, out);
            }
            _ => {}
        }
    }
}

/// User agents before those of each device class in the flat agent numbering.
const AGENTS_BEFORE: [usize; 3] = [
    0,
    USER_AGENTS[0].len(),
    USER_AGENTS[0].len() + USER_AGENTS[1].len(),
];
const AGENTS: usize = AGENTS_BEFORE[2] + USER_AGENTS[2].len();

/// Index of a customer's fragment in [`customer_fragments`].
#[inline]
fn customer_fragment(device: u8, agent: u8, country: u8, countries: usize) -> usize {
    (AGENTS_BEFORE[device as usize] + agent as usize) * countries + country as usize
}

/// The record's customer fields for every (user agent, country); without countries
/// configured, no `country` field.
fn customer_fragments(countries: &[(String, f64)]) -> Vec<Box<[u8]>> {
    let n = countries.len().max(1);
    let mut out = vec![Box::default(); AGENTS * n];
    for (device, agents) in USER_AGENTS.iter().enumerate() {
        for (agent, ua) in agents.iter().enumerate() {
            for country in 0..n {
                let mut f = format!(
                    "\",\"device\":\"{}\",\"os\":\"{}",
                    DEVICES[device], OPERATING_SYSTEMS[device][agent]
                );
                if let Some((code, _)) = countries.get(country) {
                    let code = String::from_utf8_lossy(&json_inner(code)).into_owned();
                    f.push_str(&format!("\",\"country\":\"{code}"));
                }
                f.push_str(&format!(
                    "\",\"user_agent\":\"{}\"",
                    String::from_utf8_lossy(&json_inner(ua))
                ));
                out[customer_fragment(device as u8, agent as u8, country as u8, n)] =
                    f.into_bytes().into();
            }
        }
    }
    out
}

/// `,"quantity":…,"price":…,"currency":…` of one cart line.
fn write_line(currency: Currency, quantity: u32, unit_price: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(b",\"quantity\":");
    out.extend_from_slice(itoa::Buffer::new().format(quantity).as_bytes());
    out.extend_from_slice(b",\"price\":");
    currency.write_amount(unit_price, out);
    write_currency(currency, out);
}

fn write_currency(currency: Currency, out: &mut Vec<u8>) {
    out.extend_from_slice(b",\"currency\":\"");
    out.extend_from_slice(currency.code().as_bytes());
    out.push(b'"');
}

/// `{"product_id":…,"group_id":…,"quantity":…,"price":…}`: one item of an order.
fn write_item(currency: Currency, l: &Line, out: &mut Vec<u8>) {
    let mut num = itoa::Buffer::new();
    out.extend_from_slice(b"{\"product_id\":");
    out.extend_from_slice(num.format(l.product).as_bytes());
    out.extend_from_slice(b",\"group_id\":");
    out.extend_from_slice(num.format(l.group).as_bytes());
    out.extend_from_slice(b",\"quantity\":");
    out.extend_from_slice(num.format(l.quantity).as_bytes());
    out.extend_from_slice(b",\"price\":");
    currency.write_amount(l.unit_price, out);
    out.push(b'}');
}

/// Eight lower-case hex digits of `x`, most significant first (SWAR: spread the
/// nibbles into bytes, then add '0' or 'a' - 10 per byte).
#[inline]
fn hex8(x: u32) -> [u8; 8] {
    let mut v = u64::from(x);
    v = ((v & 0xffff_0000) << 16) | (v & 0x0000_ffff);
    v = ((v & 0x0000_ff00_0000_ff00) << 8) | (v & 0x0000_00ff_0000_00ff);
    v = ((v & 0x00f0_00f0_00f0_00f0) << 4) | (v & 0x000f_000f_000f_000f);
    let letters = ((v + 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101;
    (v + 0x3030_3030_3030_3030 + letters * u64::from(b'a' - b'0' - 10)).to_be_bytes()
}

/// Writes uuids hyphenated in lower case, as `Uuid::hyphenated` does, without its
/// per-byte loop. Every id of one kind (event, session, order) of a run has the same
/// upper half (the run key, [`crate::click::event_id`]), so its 19 characters are
/// kept and only the lower half is written per id: two ids a record were a quarter of
/// the JSON encoder's instructions.
#[derive(Debug, Clone)]
struct UuidWriter {
    /// The upper 64 bits `head` spells.
    high: u64,
    /// `xxxxxxxx-xxxx-xxxx-`.
    head: [u8; 19],
}

impl UuidWriter {
    fn new() -> Self {
        Self::for_high(0)
    }

    fn for_high(high: u64) -> Self {
        let (a, b) = (hex8((high >> 32) as u32), hex8(high as u32));
        let mut head = [b'-'; 19];
        head[..8].copy_from_slice(&a);
        head[9..13].copy_from_slice(&b[..4]);
        head[14..18].copy_from_slice(&b[4..]);
        Self { high, head }
    }

    #[inline]
    fn write(&mut self, id: uuid::Uuid, out: &mut Vec<u8>) {
        let v = id.as_u128();
        let high = (v >> 64) as u64;
        if high != self.high {
            *self = Self::for_high(high);
        }
        let (c, d) = (hex8((v >> 32) as u32), hex8(v as u32));
        let mut s = [b'-'; 36];
        s[..19].copy_from_slice(&self.head);
        s[19..23].copy_from_slice(&c[..4]);
        s[24..28].copy_from_slice(&c[4..]);
        s[28..36].copy_from_slice(&d);
        out.extend_from_slice(&s);
    }
}

/// The URL of an event's page.
#[inline]
fn write_url(store: &[u8], e: &Event, user: &[u8], campaigns: &[Box<[u8]>], out: &mut Vec<u8>) {
    let mut num = itoa::Buffer::new();
    out.extend_from_slice(store);
    match e.page {
        Page::Landing => out.extend_from_slice(b"/api/home"),
        Page::Cart => out.extend_from_slice(b"/api/cart"),
        Page::Checkout => out.extend_from_slice(b"/api/checkout"),
        Page::Purchase => out.extend_from_slice(b"/api/purchase"),
        Page::GroupList | Page::Product | Page::AddToCart | Page::RemoveFromCart => {
            out.extend_from_slice(b"/api/group/");
            out.extend_from_slice(num.format(e.group).as_bytes());
            if let Some(p) = e.product {
                out.extend_from_slice(b"/product/");
                out.extend_from_slice(num.format(p).as_bytes());
            }
            match e.page {
                Page::AddToCart => out.extend_from_slice(b"/add-to-cart"),
                Page::RemoveFromCart => out.extend_from_slice(b"/remove-from-cart"),
                _ => {}
            }
        }
    }
    out.extend_from_slice(b"?userid=");
    out.extend_from_slice(user);
    // The campaign is in the landing's URL (as a link's UTM query); later pages
    // carry it as record fields only.
    if e.campaign > 0 && e.page == Page::Landing {
        out.extend_from_slice(&campaigns[e.campaign as usize - 1]);
    }
}

/// The URL of an event, as a `String` (for tests and tools).
pub fn event_url(model: &RealisticModel, event: &Event) -> String {
    let mut out = Vec::new();
    let enc = EventEncoder::new(Format::Url, model);
    write_url(
        &enc.store,
        event,
        itoa::Buffer::new().format(model.user_id(event)).as_bytes(),
        &enc.campaign_query,
        &mut out,
    );
    String::from_utf8(out).expect("URL parts are UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_written_as_the_uuid_crate_does() {
        // Ids with the writer's upper half and with others, in turn (the cache).
        let mut w = UuidWriter::new();
        let mut x = 0x0123_4567_89ab_cdef_u64;
        for i in 0..1000 {
            x = crate::click::mix64(x);
            let high = if i % 3 == 0 { x } else { 0x5e55_1011_5e55_1011 };
            let v = (u128::from(high) << 64) | u128::from(crate::click::mix64(!x));
            for id in [
                uuid::Uuid::from_u128(v),
                uuid::Uuid::nil(),
                uuid::Uuid::max(),
            ] {
                let mut out = Vec::new();
                w.write(id, &mut out);
                assert_eq!(out, id.hyphenated().to_string().as_bytes());
            }
        }
    }
}
