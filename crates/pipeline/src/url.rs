//! Reading a click URL: which page, which group, product and user.
//!
//! The grammar is the original's `/api/...` style, extended with the pages the
//! realistic model adds (see docs/pipeline.md for the table). Parsing is by hand on
//! the path and query bytes: it runs once per event, so it must be fast, and it must
//! never panic on whatever a collector sends.

use crate::event::EventType;
use crate::reason::{Reason, clip};

/// What a URL says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub event_type: EventType,
    pub group_id: Option<i32>,
    pub product_id: Option<i64>,
    /// The `userid` query parameter.
    pub user_id: Option<i64>,
}

/// Most path segments any known page has; a longer path is never known.
const MAX_SEGMENTS: usize = 6;

/// Position of the first `b` in `s` (a plain loop: these strings are short, and a
/// searcher's setup costs more than the scan).
#[inline]
fn find_byte(s: &str, b: u8) -> Option<usize> {
    s.bytes().position(|c| c == b)
}

/// Splits at the first `b` (like `split_once`), or returns `(s, "")`.
#[inline]
fn split_byte(s: &str, b: u8) -> (&str, &str) {
    match find_byte(s, b) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    }
}

/// Parses `scheme://host/api/...?...` (or a bare path `/api/...`).
pub fn parse(url: &str) -> Result<Page, Reason> {
    match canonical(url) {
        Some(page) => Ok(page),
        None => general(url),
    }
}

/// The shapes csgen's generators write on almost every click — `scheme://host` then
/// `/api/group/{g}`, `…/product/{p}`, `…/product/{p}/add-to-cart` (or `/cart`,
/// `/remove-from-cart`), `/api/home`, `/api/cart`, `/api/checkout`, `/api/purchase`
/// or `/api/order`; no query, or `?userid={u}` followed by other parameters (the
/// realistic model's `utm_*`) — read in one pass over the bytes. `None` for anything
/// else, which [`general`] reads; where this answers, it answers as [`general`] would
/// (a proptest checks it).
pub(crate) fn canonical(url: &str) -> Option<Page> {
    let b = url.as_bytes();
    let mut i = scheme_end(url)?;
    while !matches!(*b.get(i)?, b'/' | b'?' | b'#') {
        i += 1;
    }
    i = skip(b, i, b"/api/")?;
    let mut page = Page {
        event_type: EventType::Landing,
        group_id: None,
        product_id: None,
        user_id: None,
    };
    if let Some(at) = skip(b, i, b"group/") {
        i = at;
        // At most 9 digits: always an i32.
        page.group_id = Some(digits(b, &mut i, 9)? as i32);
        page.event_type = EventType::GroupView;
        if b.get(i) == Some(&b'/') {
            i = skip(b, i, b"/product/")?;
            page.event_type = EventType::ProductView;
            page.product_id = Some(digits(b, &mut i, 18)?);
            if b.get(i) == Some(&b'/') {
                (page.event_type, i) = [
                    (&b"/add-to-cart"[..], EventType::AddToCart),
                    (b"/remove-from-cart", EventType::RemoveFromCart),
                    (b"/cart", EventType::AddToCart),
                ]
                .into_iter()
                .find_map(|(tail, t)| Some((t, skip(b, i, tail)?)))?;
            }
        }
    } else {
        (page.event_type, i) = [
            (&b"home"[..], EventType::Landing),
            (b"cart", EventType::CartView),
            (b"checkout", EventType::Checkout),
            (b"purchase", EventType::Purchase),
            (b"order", EventType::Purchase),
        ]
        .into_iter()
        .find_map(|(name, t)| Some((t, skip(b, i, name)?)))?;
    }
    match b.get(i) {
        None | Some(b'#') => {}
        Some(b'?') => {
            i = skip(b, i, b"?userid=")?;
            page.user_id = Some(digits(b, &mut i, 18)?);
            match b.get(i) {
                None | Some(b'#') => {}
                Some(b'&') => other_parameters(&url[i + 1..])?,
                Some(_) => return None,
            }
        }
        Some(_) => return None,
    }
    Some(page)
}

/// `()` if none of the parameters after `userid` is one [`general`] reads (a second
/// `userid`, a `group` or `product`), which would change the page.
fn other_parameters(query: &str) -> Option<()> {
    let query = split_byte(query, b'#').0;
    query
        .split('&')
        .map(|pair| split_byte(pair, b'=').0)
        .all(|key| {
            !matches!(
                key,
                "userid" | "user_id" | "group" | "groupid" | "product" | "productid"
            )
        })
        .then_some(())
}

/// The index after `prefix` if `b[i..]` starts with it.
#[inline]
fn skip(b: &[u8], i: usize, prefix: &[u8]) -> Option<usize> {
    b.get(i..)?.starts_with(prefix).then_some(i + prefix.len())
}

/// 1 to `max` decimal digits at `*i` (at most 18: fits an i64), moving past them.
#[inline]
fn digits(b: &[u8], i: &mut usize, max: usize) -> Option<i64> {
    let start = *i;
    let mut n = 0i64;
    while let Some(&c) = b.get(*i) {
        if !c.is_ascii_digit() {
            break;
        }
        if *i - start == max {
            return None;
        }
        n = n * 10 + i64::from(c - b'0');
        *i += 1;
    }
    (*i > start).then_some(n)
}

/// Any URL or path, segment by segment.
pub(crate) fn general(url: &str) -> Result<Page, Reason> {
    let rest = match scheme_end(url) {
        Some(i) => {
            let after = &url[i..];
            let p = after
                .bytes()
                .position(|c| matches!(c, b'/' | b'?' | b'#'))
                .unwrap_or(after.len());
            &after[p..]
        }
        None if url.starts_with('/') => url,
        None => return Err(Reason::bad("url", "neither an absolute URL nor a path")),
    };
    let rest = split_byte(rest, b'#').0;
    let (path, mut query) = split_byte(rest, b'?');
    let mut query_user = None;
    let mut query_group = None;
    let mut query_product = None;
    loop {
        let (pair, more) = match find_byte(query, b'&') {
            Some(i) => (&query[..i], Some(&query[i + 1..])),
            None => (query, None),
        };
        let (key, value) = match find_byte(pair, b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, ""),
        };
        match key {
            "userid" | "user_id" => query_user = Some(number(value, "userid")?),
            "group" | "groupid" => query_group = Some(number(value, "group")?),
            "product" | "productid" => query_product = Some(number(value, "product")?),
            _ => {}
        }
        match more {
            Some(m) => query = m,
            None => break,
        }
    }
    let path = path.trim_end_matches('/');
    // The segments after the leading '/', at most one more than any known page has
    // (such a prefix matches no page, just like the whole path).
    let mut segs = [""; MAX_SEGMENTS + 1];
    let mut n = 0;
    if !path.is_empty() {
        let mut tail = path.get(1..).unwrap_or("");
        while n <= MAX_SEGMENTS {
            let (seg, more) = match find_byte(tail, b'/') {
                Some(i) => (&tail[..i], Some(&tail[i + 1..])),
                None => (tail, None),
            };
            segs[n] = seg;
            n += 1;
            match more {
                Some(m) => tail = m,
                None => break,
            }
        }
    }
    let unknown = || Reason::UnknownPath(path.chars().take(200).collect());
    let (event_type, group, product) = match &segs[..n] {
        [] | [""] | ["api"] | ["api", "home"] => (EventType::Landing, None, None),
        ["api", "group", g, tail @ ..] => {
            let g = number(g, "group")?;
            match tail {
                [] => (EventType::GroupView, Some(g), None),
                ["product", p, tail @ ..] => {
                    let p = number(p, "product")?;
                    match tail {
                        [] => (EventType::ProductView, Some(g), Some(p)),
                        ["add-to-cart" | "cart"] => (EventType::AddToCart, Some(g), Some(p)),
                        ["remove-from-cart"] => (EventType::RemoveFromCart, Some(g), Some(p)),
                        _ => return Err(unknown()),
                    }
                }
                _ => return Err(unknown()),
            }
        }
        ["api", "cart"] => (EventType::CartView, query_group, query_product),
        ["api", "cart", "add"] => {
            let p = query_product.ok_or(Reason::MissingField("product"))?;
            (EventType::AddToCart, query_group, Some(p))
        }
        ["api", "checkout"] => (EventType::Checkout, None, None),
        ["api", "checkout", "complete"] => (EventType::Purchase, None, None),
        ["api", "purchase" | "order"] => (EventType::Purchase, None, None),
        _ => return Err(unknown()),
    };
    Ok(Page {
        event_type,
        group_id: group,
        product_id: product,
        user_id: query_user,
    })
}

/// Where the host starts in `scheme://host…`: just after the first `://`.
#[inline]
fn scheme_end(url: &str) -> Option<usize> {
    if let Some(r) = url.strip_prefix("https://") {
        return Some(url.len() - r.len());
    }
    if let Some(r) = url.strip_prefix("http://") {
        return Some(url.len() - r.len());
    }
    url.find("://").map(|i| i + 3)
}

/// A non-negative decimal id that fits the column's type.
fn number<T: TryFrom<u64>>(text: &str, field: &'static str) -> Result<T, Reason> {
    if text.is_empty() || text.len() > 19 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Reason::bad(field, format!("{:?} is not an id", clip(text))));
    }
    // At most 19 digits: always fits a u64.
    let n = text.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
    T::try_from(n).map_err(|_| Reason::bad(field, format!("{n} is too large")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use EventType::*;

    fn page(url: &str) -> (EventType, Option<i32>, Option<i64>, Option<i64>) {
        let p = parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        (p.event_type, p.group_id, p.product_id, p.user_id)
    }

    #[test]
    fn reads_the_original_urls() {
        let s = "https://webstore.demo.com";
        assert_eq!(
            page(&format!("{s}/api/group/2?userid=77")),
            (GroupView, Some(2), None, Some(77))
        );
        assert_eq!(
            page(&format!("{s}/api/group/1/product/2050?userid=3")),
            (ProductView, Some(1), Some(2050), Some(3))
        );
    }

    #[test]
    fn reads_the_realistic_pages() {
        let s = "http://shop.example:8080";
        assert_eq!(page(&format!("{s}/")).0, Landing);
        assert_eq!(page(&format!("{s}/api/home?userid=1")).0, Landing);
        assert_eq!(
            page(&format!("{s}/api/group/2/product/9/cart?userid=1")),
            (AddToCart, Some(2), Some(9), Some(1))
        );
        assert_eq!(
            page(&format!(
                "{s}/api/group/2/product/9/add-to-cart?userid=1&utm_source=x"
            )),
            (AddToCart, Some(2), Some(9), Some(1))
        );
        assert_eq!(
            page(&format!("{s}/api/cart/add?product=9&group=2&userid=1")),
            (AddToCart, Some(2), Some(9), Some(1))
        );
        assert_eq!(
            page(&format!(
                "{s}/api/group/2/product/9/remove-from-cart?userid=1"
            )),
            (RemoveFromCart, Some(2), Some(9), Some(1))
        );
        assert_eq!(page(&format!("{s}/api/cart?userid=1")).0, CartView);
        assert_eq!(page(&format!("{s}/api/checkout?userid=1")).0, Checkout);
        assert_eq!(page(&format!("{s}/api/purchase?userid=1")).0, Purchase);
        assert_eq!(page(&format!("{s}/api/checkout/complete")).0, Purchase);
        assert_eq!(page("/api/group/3#top").1, Some(3));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

        /// Where the one-pass reader answers, it answers as the general parser does.
        #[test]
        fn the_canonical_reader_agrees_with_the_general_one(
            scheme in proptest::sample::select(&["https://", "http://", "ftp://", "", "https:/"][..]),
            host in proptest::sample::select(&["webstore.demo.com", "h:8080", ""][..]),
            path in proptest::collection::vec(proptest::sample::select(&[
                "/api", "/group", "/product", "/1", "/0012", "/2039", "/1234567890",
                "/99999999999999999999", "/cart", "/", "/x", "/-1", "/home", "/checkout",
                "/purchase", "/order", "/add-to-cart", "/remove-from-cart", "/complete",
                "/add", "/homes", "/cartx",
            ][..]), 0..7),
            query in proptest::sample::select(&[
                "", "?", "?userid=5", "?userid=", "?userid=05", "?userid=5&x=1",
                "?x=1&userid=7", "?userid=12345678901234567890", "?userid=5x", "?user_id=3",
                "?userid=5&utm_source=google&utm_medium=cpc", "?userid=5&userid=6",
                "?userid=5&product=3", "?userid=5&group=x", "?userid=5&", "?userid=5&&=1",
                "?userid=5&productid", "?userid=5&user_id=2#&group=1",
            ][..]),
            fragment in proptest::sample::select(&["", "#", "#a?userid=3", "#/x"][..]),
        ) {
            let url = format!("{scheme}{host}{}{query}{fragment}", path.concat());
            if let Some(fast) = canonical(&url) {
                proptest::prop_assert_eq!(Ok(fast), general(&url), "{}", url);
            }
        }
    }

    #[test]
    fn generator_urls_take_the_one_pass_reader() {
        for url in [
            "https://webstore.demo.com/api/group/1/product/2039?userid=92",
            "https://webstore.demo.com/api/group/2?userid=981361",
            "http://h:8080/api/group/2/product/0?userid=0#top",
            "https://h/api/group/2",
            "https://webstore.demo.com/api/home?userid=7&utm_source=google&utm_medium=cpc",
            "https://webstore.demo.com/api/group/2/product/358/add-to-cart?userid=8",
            "https://webstore.demo.com/api/group/2/product/358/remove-from-cart?userid=8",
            "https://webstore.demo.com/api/cart?userid=5",
            "https://webstore.demo.com/api/checkout?userid=5",
            "https://webstore.demo.com/api/purchase?userid=5",
        ] {
            assert_eq!(canonical(url).map(Ok), Some(general(url)), "{url}");
        }
    }

    #[test]
    fn rejects_what_it_does_not_know() {
        for (url, code) in [
            ("https://x/api/group/abc", "bad_value"),
            ("https://x/api/group/", "unknown_path"),
            ("https://x/api/group/1/product", "unknown_path"),
            ("https://x/api/group/1/product/2/cart/x", "unknown_path"),
            (
                "https://x/api/group/1/product/2/cart/x/y/z/w",
                "unknown_path",
            ),
            ("https://x/api/group/x/product/2/cart/x/y/z/w", "bad_value"),
            ("https://x/api/home/x", "unknown_path"),
            ("https://x//api", "unknown_path"),
            ("https://x/api/groups/1", "unknown_path"),
            ("https://x/other", "unknown_path"),
            ("https://x/api/group/99999999999999999999", "bad_value"),
            ("https://x/api/group/1?userid=-1", "bad_value"),
            ("https://x/api/cart/add", "missing_field"),
            ("webstore/api/group/1", "bad_value"),
        ] {
            let err = parse(url).expect_err(url);
            assert_eq!(err.code(), code, "{url}: {err}");
        }
    }
}
