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
use hyper::header::{self, HeaderMap};
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

/// Turns records into requests, in order: each click's URI and its header lines.
#[derive(Debug)]
pub struct Planner {
    base: Option<Base>,
    sessions: Sessions,
    session: SessionCarrier,
    /// The option headers' lines (`name: value\r\n`), sent with every request.
    extra: Vec<u8>,
    /// The lines of a click with nothing of its own (no user agent, referrer or
    /// session): csgen's user agent and the option headers, shared by every such click.
    plain: Bytes,
    /// Which of a click's own headers the option headers replace (as they always have).
    replaced: Replaced,
}

/// The click headers an option header of the same name replaces.
#[derive(Debug, Default)]
struct Replaced {
    user_agent: bool,
    referrer: bool,
    session: bool,
}

impl Planner {
    pub fn new(base: Option<Base>, session: SessionCarrier, headers: HeaderMap) -> Self {
        let mut extra = Vec::new();
        for name in headers.keys() {
            // The connection's own `Host` goes with every request; one value a name,
            // the last, as a header map's insert keeps.
            let Some(value) = headers.get_all(name).iter().next_back() else {
                continue;
            };
            if name != header::HOST {
                line(&mut extra, name.as_str(), value.as_bytes());
            }
        }
        let session_name = match session {
            SessionCarrier::Cookie => header::COOKIE.as_str(),
            SessionCarrier::Header | SessionCarrier::None => SESSION_HEADER,
        };
        let replaced = Replaced {
            user_agent: headers.contains_key(header::USER_AGENT),
            referrer: headers.contains_key(header::REFERER),
            session: headers.contains_key(session_name),
        };
        let mut plain = Vec::new();
        if !replaced.user_agent {
            line(&mut plain, "user-agent", crate::http::USER_AGENT.as_bytes());
        }
        plain.extend_from_slice(&extra);
        Self {
            base,
            sessions: Sessions::default(),
            session,
            extra,
            plain: Bytes::from(plain),
            replaced,
        }
    }

    /// The request of one record, or why it is not requested.
    pub fn plan(&mut self, record: &[u8]) -> Result<(Uri, Bytes), String> {
        let page = plan(record, self.base.as_ref())?;
        let headers = self.headers(&page)?;
        Ok((page.uri, headers))
    }

    /// The header lines of one click's request, or why it cannot be sent.
    fn headers(&mut self, page: &PageRequest) -> Result<Bytes, String> {
        let referrer =
            self.sessions
                .referrer(page.session.as_deref(), page.referrer.as_deref(), &page.uri);
        if page.user_agent.is_none() && referrer.is_none() && page.session.is_none() {
            return Ok(self.plain.clone());
        }
        let value = |what: &str, v: &str| {
            // As `HeaderValue::from_str` allows: visible ASCII, space, tab, obs-text.
            let ok = v.bytes().all(|b| (b >= b' ' && b != 0x7f) || b == b'\t');
            ok.then_some(())
                .ok_or_else(|| format!("the {what} cannot be a header value; not requested"))
        };
        let mut h = Vec::with_capacity(256 + self.extra.len());
        if !self.replaced.user_agent {
            let ua = page
                .user_agent
                .as_deref()
                .unwrap_or(crate::http::USER_AGENT);
            value("user agent", ua)?;
            line(&mut h, "user-agent", ua.as_bytes());
        }
        if let Some(r) = referrer.filter(|_| !self.replaced.referrer) {
            value("referrer", &r)?;
            line(&mut h, "referer", r.as_bytes());
        }
        if let Some(id) = page.session.as_deref().filter(|_| !self.replaced.session) {
            value("session", id)?;
            match self.session {
                SessionCarrier::Cookie => {
                    h.extend_from_slice(b"cookie: ");
                    h.extend_from_slice(SESSION_COOKIE.as_bytes());
                    h.push(b'=');
                    h.extend_from_slice(id.as_bytes());
                    h.extend_from_slice(b"\r\n");
                }
                SessionCarrier::Header => line(&mut h, SESSION_HEADER, id.as_bytes()),
                SessionCarrier::None => {}
            }
        }
        h.extend_from_slice(&self.extra);
        Ok(Bytes::from(h))
    }
}

/// Appends the header line `name: value\r\n`.
fn line(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
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
#[path = "request_tests.rs"]
mod tests;
