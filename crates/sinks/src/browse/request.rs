//! What page request a click record stands for: pure functions, no I/O.
//!
//! A record (csgen JSON, the original's `{"url":…}` or a bare URL, read by the
//! pipeline's raw parser) gives the URL, and when the realistic model wrote it, the
//! user agent, the session and on landings the external referrer. The URL's scheme and
//! host are replaced by the base URL's, and the base URL's path is put in front of the
//! click's path: base `http://127.0.0.1:8080/shop` turns
//! `https://webstore.demo.com/api/group/1?userid=5` into
//! `http://127.0.0.1:8080/shop/api/group/1?userid=5`. A click after the first of its
//! session carries the session's previous page as its referrer, as a browser would.

use std::collections::HashMap;

use bytes::Bytes;
use hyper::Uri;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::http::uri::{Authority, Parts, PathAndQuery, Scheme};

use super::{SESSION_COOKIE, SESSION_HEADER, SessionCarrier};
use crate::http::check_url;

/// Where requests go instead of the click URL's own site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Base {
    scheme: Scheme,
    authority: Authority,
    /// The base URL's path without its trailing `/` (empty for none).
    prefix: String,
}

impl Base {
    pub fn parse(url: &str) -> Result<Self, String> {
        let uri = check_url(url, "base URL")?;
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            return Err(format!(
                "base URL {url:?}: expected http://HOST[:PORT]/PATH"
            ));
        };
        Ok(Self {
            scheme: scheme.clone(),
            authority: authority.clone(),
            prefix: uri.path().trim_end_matches('/').to_owned(),
        })
    }
}

/// One page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub uri: Uri,
    pub user_agent: Option<String>,
    /// The record's own referrer (a landing's search engine or campaign).
    pub referrer: Option<String>,
    pub session: Option<String>,
}

/// The request `record` stands for, sent to `base` if given.
pub fn plan(record: &[u8], base: Option<&Base>) -> Result<PageRequest, String> {
    let raw = csgen_pipeline::raw::parse(record)
        .map_err(|r| format!("not a click record ({r}); not requested"))?;
    let url = raw.url.as_deref().ok_or("no url; not requested")?;
    Ok(PageRequest {
        uri: rewrite(url, base)?,
        user_agent: raw.user_agent.map(|s| s.into_owned()),
        referrer: raw.referrer.map(|s| s.into_owned()),
        session: raw.session_id.map(|s| s.into_owned()),
    })
}

/// The click URL with its site replaced by `base`'s. With a base, only the click's
/// path and query are read (its site is replaced, so it is not parsed): this runs for
/// every click, and a whole URL costs three times as much to parse.
fn rewrite(url: &str, base: Option<&Base>) -> Result<Uri, String> {
    let bad = || format!("click URL {url:?} is not an http(s) URL; not requested");
    let Some(base) = base else {
        let uri: Uri = url.parse().map_err(|_| bad())?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.authority().is_none() {
            return Err(bad());
        }
        return Ok(uri);
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(bad)?;
    let site_end = rest
        .bytes()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let (site, path) = rest.split_at(site_end);
    if site.is_empty() {
        return Err(bad());
    }
    // A fragment is never sent (as a parsed URI drops it).
    let path = path.find('#').map_or(path, |end| &path[..end]);
    let slash = if path.starts_with('/') { "" } else { "/" };
    let path = if base.prefix.is_empty() && slash.is_empty() {
        PathAndQuery::from_maybe_shared(Bytes::copy_from_slice(path.as_bytes()))
    } else {
        PathAndQuery::try_from(format!("{}{slash}{path}", base.prefix))
    }
    .map_err(|_| bad())?;
    let mut parts = Parts::default();
    parts.scheme = Some(base.scheme.clone());
    parts.authority = Some(base.authority.clone());
    parts.path_and_query = Some(path);
    Uri::from_parts(parts).map_err(|_| bad())
}

/// Turns records into requests, in order: each click's URI and headers.
#[derive(Debug)]
pub struct Planner {
    base: Option<Base>,
    sessions: Sessions,
    session: SessionCarrier,
    /// The option headers, sent with every request.
    headers: HeaderMap,
}

impl Planner {
    pub fn new(base: Option<Base>, session: SessionCarrier, headers: HeaderMap) -> Self {
        Self {
            base,
            sessions: Sessions::default(),
            session,
            headers,
        }
    }

    /// The request of one record, or why it is not requested.
    pub fn plan(&mut self, record: &[u8]) -> Result<(Uri, HeaderMap), String> {
        let page = plan(record, self.base.as_ref())?;
        let headers = self.headers(&page)?;
        Ok((page.uri, headers))
    }

    /// The headers of one click's request, or why it cannot be sent.
    fn headers(&mut self, page: &PageRequest) -> Result<HeaderMap, String> {
        let mut h = HeaderMap::with_capacity(4 + self.headers.len());
        let value = |what: &str, v: &str| {
            HeaderValue::from_str(v)
                .map_err(|_| format!("the {what} cannot be a header value; not requested"))
        };
        let ua = match page.user_agent.as_deref() {
            Some(ua) => value("user agent", ua)?,
            None => HeaderValue::from_static(crate::http::USER_AGENT),
        };
        h.insert(header::USER_AGENT, ua);
        let referrer =
            self.sessions
                .referrer(page.session.as_deref(), page.referrer.as_deref(), &page.uri);
        if let Some(r) = referrer {
            h.insert(header::REFERER, value("referrer", &r)?);
        }
        if let Some(id) = &page.session {
            match self.session {
                SessionCarrier::Cookie => {
                    h.insert(
                        header::COOKIE,
                        value("session", &format!("{SESSION_COOKIE}={id}"))?,
                    );
                }
                SessionCarrier::Header => {
                    h.insert(
                        HeaderName::from_static(SESSION_HEADER),
                        value("session", id)?,
                    );
                }
                SessionCarrier::None => {}
            }
        }
        for (name, v) in &self.headers {
            h.insert(name, v.clone());
        }
        Ok(h)
    }
}

/// Where a redirect from `current` to `location` leads, if it stays on the same site
/// (scheme, host and port); `None` for another site (not followed: a load test stays
/// on the site it was pointed at).
pub fn same_site(current: &Uri, location: &str) -> Option<Uri> {
    if location.starts_with('/') && !location.starts_with("//") {
        let origin = format!(
            "{}://{}",
            current.scheme_str()?,
            current.authority()?.as_str()
        );
        return format!("{origin}{location}").parse().ok();
    }
    let next: Uri = location.parse().ok()?;
    (next.scheme() == current.scheme() && next.authority() == current.authority()).then_some(next)
}

/// The last page of each session, so that a session's next click carries it as its
/// referrer. Bounded: when [`Sessions::CAPACITY`] sessions are held, the map is cleared
/// (the next click of an evicted session then has no referrer).
#[derive(Debug, Default)]
pub struct Sessions {
    last: HashMap<String, String>,
}

impl Sessions {
    pub const CAPACITY: usize = 100_000;

    /// The referrer of a click of `session` to `page`: its own, else the session's
    /// previous page; remembers `page` for the session's next click.
    pub fn referrer(
        &mut self,
        session: Option<&str>,
        own: Option<&str>,
        page: &Uri,
    ) -> Option<String> {
        let Some(session) = session else {
            return own.map(str::to_owned);
        };
        let page = page.to_string();
        if let Some(last) = self.last.get_mut(session) {
            let previous = std::mem::replace(last, page);
            return Some(own.map_or(previous, str::to_owned));
        }
        if self.last.len() >= Self::CAPACITY {
            self.last.clear();
        }
        self.last.insert(session.to_owned(), page);
        own.map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_of_every_format_become_requests_to_the_base() {
        let base = Base::parse("http://127.0.0.1:8080/shop/").unwrap();
        let json = br#"{"event_id":"e","ts":"2026-11-01T00:00:00Z","url":"https://webstore.demo.com/api/group/2/product/7?userid=5","user_id":5,"session_id":"s-1","user_agent":"Mozilla/5.0 (X11)","referrer":"https://www.google.com/"}"#;
        let p = plan(json, Some(&base)).unwrap();
        assert_eq!(
            p.uri,
            "http://127.0.0.1:8080/shop/api/group/2/product/7?userid=5"
        );
        assert_eq!(p.user_agent.as_deref(), Some("Mozilla/5.0 (X11)"));
        assert_eq!(p.referrer.as_deref(), Some("https://www.google.com/"));
        assert_eq!(p.session.as_deref(), Some("s-1"));
        let p = plan(
            br#"{"url":"https://webstore.demo.com/api/group/1?userid=9"}"#,
            None,
        )
        .unwrap();
        assert_eq!(p.uri, "https://webstore.demo.com/api/group/1?userid=9");
        assert_eq!((p.user_agent, p.session), (None, None));
        let bare = Base::parse("http://localhost:9").unwrap();
        let p = plan(
            b"https://webstore.demo.com/api/group/1?userid=9",
            Some(&bare),
        )
        .unwrap();
        assert_eq!(p.uri, "http://localhost:9/api/group/1?userid=9");
    }

    #[test]
    fn malformed_records_are_refused_with_the_reason() {
        for (record, want) in [
            (
                &br#"{"event_id":"x","ts":"2026-1"#[..],
                "not a click record",
            ),
            (br#"{"event_id":"x"}"#, "not a click record"),
            (
                b"https//webstore.demo.com/api/group/1",
                "not an http(s) URL",
            ),
            (b"ftp://h/x", "not an http(s) URL"),
            (b"\xff\xfe", "not a click record"),
            (b"", "not a click record"),
        ] {
            let e = plan(record, None).unwrap_err();
            assert!(
                e.contains(want),
                "{:?}: {e}",
                String::from_utf8_lossy(record)
            );
        }
        let base = Base::parse("http://127.0.0.1:8080").unwrap();
        for (record, want) in [
            (&b"https:///api/x"[..], "not an http(s) URL"),
            (b"http:/h/x", "not an http(s) URL"),
            (b"https://h/a b", "not an http(s) URL"),
            (b"https://h/\x7f", "not an http(s) URL"),
            (b"webstore.demo.com/api", "not an http(s) URL"),
        ] {
            let e = plan(record, Some(&base)).unwrap_err();
            assert!(
                e.contains(want),
                "{:?}: {e}",
                String::from_utf8_lossy(record)
            );
        }
        for (url, want) in [
            ("https://h/a?x=1#frag", "http://127.0.0.1:8080/a?x=1"),
            ("https://h?x=1", "http://127.0.0.1:8080/?x=1"),
            ("https://h", "http://127.0.0.1:8080/"),
        ] {
            assert_eq!(
                plan(url.as_bytes(), Some(&base)).unwrap().uri,
                want,
                "{url}"
            );
        }
        for bad in ["ftp://x", "http://u:p@h", "http://h/#x", "/relative"] {
            assert!(Base::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn redirects_are_followed_only_on_the_same_site() {
        let here: Uri = "http://127.0.0.1:8080/a?x=1".parse().unwrap();
        assert_eq!(same_site(&here, "/b").unwrap(), "http://127.0.0.1:8080/b");
        assert_eq!(
            same_site(&here, "http://127.0.0.1:8080/c").unwrap(),
            "http://127.0.0.1:8080/c"
        );
        assert_eq!(same_site(&here, "http://127.0.0.1:8081/c"), None);
        assert_eq!(same_site(&here, "https://127.0.0.1:8080/c"), None);
        assert_eq!(same_site(&here, "//evil.example/x"), None);
        assert_eq!(same_site(&here, "not a url at all"), None);
    }

    #[test]
    fn a_sessions_next_click_has_the_previous_page_as_referrer() {
        let mut s = Sessions::default();
        let a: Uri = "http://h/a".parse().unwrap();
        let b: Uri = "http://h/b".parse().unwrap();
        assert_eq!(
            s.referrer(Some("s"), Some("https://google/"), &a)
                .as_deref(),
            Some("https://google/")
        );
        assert_eq!(
            s.referrer(Some("s"), None, &b).as_deref(),
            Some("http://h/a")
        );
        assert_eq!(s.referrer(Some("t"), None, &a), None);
        assert_eq!(s.referrer(None, None, &a), None);
        for i in 0..Sessions::CAPACITY + 5 {
            s.referrer(Some(&i.to_string()), None, &a);
        }
        assert!(s.last.len() <= Sessions::CAPACITY);
    }
}
