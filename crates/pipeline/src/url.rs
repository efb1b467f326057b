//! Reading a click URL: which page, which group, product and user.
//!
//! The grammar is the original's `/api/...` style, extended with the pages the
//! realistic model adds (see docs/pipeline.md for the table). Parsing is by hand on
//! the path and query bytes: it runs once per event, so it must be fast, and it must
//! never panic on whatever a collector sends.

use crate::event::EventType;
use crate::reason::Reason;

/// What a URL says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub event_type: EventType,
    pub group_id: Option<i32>,
    pub product_id: Option<i64>,
    /// The `userid` query parameter.
    pub user_id: Option<i64>,
}

/// Parses `scheme://host/api/...?...` (or a bare path `/api/...`).
pub fn parse(url: &str) -> Result<Page, Reason> {
    let rest = match url.find("://") {
        Some(i) => {
            let after = &url[i + 3..];
            &after[after.find(['/', '?', '#']).unwrap_or(after.len())..]
        }
        None if url.starts_with('/') => url,
        None => return Err(Reason::bad("url", "neither an absolute URL nor a path")),
    };
    let rest = rest.split('#').next().unwrap_or("");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut query_user = None;
    let mut query_group = None;
    let mut query_product = None;
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "userid" | "user_id" => query_user = Some(number(value, "userid")?),
            "group" | "groupid" => query_group = Some(number(value, "group")?),
            "product" | "productid" => query_product = Some(number(value, "product")?),
            _ => {}
        }
    }
    let path = path.trim_end_matches('/');
    let mut seg = path.split('/').skip(1); // the path starts with '/', or is empty
    let unknown = || Reason::UnknownPath(path.chars().take(200).collect());
    let (event_type, group, product) = match (seg.next(), seg.next()) {
        (None, _) | (Some(""), None) => (EventType::Landing, None, None),
        (Some("api"), None) | (Some("api"), Some("home")) => (EventType::Landing, None, None),
        (Some("api"), Some("group")) => {
            let g = number(seg.next().ok_or_else(unknown)?, "group")?;
            match (seg.next(), seg.next(), seg.next()) {
                (None, _, _) => (EventType::GroupView, Some(g), None),
                (Some("product"), Some(p), tail) => {
                    let p = number(p, "product")?;
                    match (tail, seg.next()) {
                        (None, _) => (EventType::ProductView, Some(g), Some(p)),
                        (Some("add-to-cart" | "cart"), None) => {
                            (EventType::AddToCart, Some(g), Some(p))
                        }
                        _ => return Err(unknown()),
                    }
                }
                _ => return Err(unknown()),
            }
        }
        (Some("api"), Some("cart")) => match (seg.next(), seg.next()) {
            (None, _) => (EventType::CartView, query_group, query_product),
            (Some("add"), None) => {
                let p = query_product.ok_or(Reason::MissingField("product"))?;
                (EventType::AddToCart, query_group, Some(p))
            }
            _ => return Err(unknown()),
        },
        (Some("api"), Some("checkout")) => match (seg.next(), seg.next()) {
            (None, _) => (EventType::Checkout, None, None),
            (Some("complete"), None) => (EventType::Purchase, None, None),
            _ => return Err(unknown()),
        },
        (Some("api"), Some("purchase" | "order")) if seg.next().is_none() => {
            (EventType::Purchase, None, None)
        }
        _ => return Err(unknown()),
    };
    if seg.next().is_some() && event_type == EventType::Landing {
        return Err(unknown());
    }
    Ok(Page {
        event_type,
        group_id: group,
        product_id: product,
        user_id: query_user,
    })
}

/// A non-negative decimal id that fits the column's type.
fn number<T: TryFrom<u64>>(text: &str, field: &'static str) -> Result<T, Reason> {
    if text.is_empty() || text.len() > 19 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Reason::bad(field, format!("{:?} is not an id", clip(text))));
    }
    let n: u64 = text.parse().map_err(|_| Reason::bad(field, "too large"))?;
    T::try_from(n).map_err(|_| Reason::bad(field, format!("{n} is too large")))
}

fn clip(s: &str) -> &str {
    match s.char_indices().nth(40) {
        Some((i, _)) => &s[..i],
        None => s,
    }
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
        assert_eq!(page(&format!("{s}/api/cart?userid=1")).0, CartView);
        assert_eq!(page(&format!("{s}/api/checkout?userid=1")).0, Checkout);
        assert_eq!(page(&format!("{s}/api/purchase?userid=1")).0, Purchase);
        assert_eq!(page(&format!("{s}/api/checkout/complete")).0, Purchase);
        assert_eq!(page("/api/group/3#top").1, Some(3));
    }

    #[test]
    fn rejects_what_it_does_not_know() {
        for (url, code) in [
            ("https://x/api/group/abc", "bad_value"),
            ("https://x/api/group/", "unknown_path"),
            ("https://x/api/group/1/product", "unknown_path"),
            ("https://x/api/group/1/product/2/cart/x", "unknown_path"),
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
