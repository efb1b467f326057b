//! Options of the `browse:` sink, after the `?` of its spec.

use std::fmt;
use std::time::Duration;

use csgen_pipeline::endpoint::duration::Shown;
use csgen_pipeline::endpoint::{Options, Written};

use crate::http::headers::HeaderSources;
use crate::http::options::choice_name;

/// How a request carries its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SessionCarrier {
    /// `Cookie: csgen_session=ID`.
    #[default]
    Cookie,
    /// `X-Csgen-Session: ID`.
    Header,
    /// Nothing.
    None,
}

impl SessionCarrier {
    const CHOICES: [(&'static str, Self); 3] = [
        ("cookie", Self::Cookie),
        ("header", Self::Header),
        ("none", Self::None),
    ];
}

impl fmt::Display for SessionCarrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(choice_name(&Self::CHOICES, self))
    }
}

/// Which answers count as a delivered click: status ranges, written as classes (`2xx`),
/// codes (`404`) or ranges (`200-299`), separated by commas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OkStatus {
    text: String,
    ranges: Vec<(u16, u16)>,
}

impl Default for OkStatus {
    fn default() -> Self {
        Self::parse("2xx,3xx").expect("the default parses")
    }
}

impl OkStatus {
    fn parse(text: &str) -> Result<Self, String> {
        let mut ranges = Vec::new();
        for item in text.split(',') {
            let item = item.trim();
            let range = if let Some(class) = item.strip_suffix("xx") {
                match class.parse::<u16>() {
                    Ok(c @ 1..=5) => (c * 100, c * 100 + 99),
                    _ => {
                        return Err(format!(
                            "ok-status: {item:?} is not a status class 1xx to 5xx"
                        ));
                    }
                }
            } else {
                let (lo, hi) = item.split_once('-').unwrap_or((item, item));
                let code = |s: &str| {
                    s.trim()
                        .parse::<u16>()
                        .ok()
                        .filter(|c| (100..=599).contains(c))
                };
                match (code(lo), code(hi)) {
                    (Some(lo), Some(hi)) if lo <= hi => (lo, hi),
                    _ => {
                        return Err(format!(
                            "ok-status: {item:?} is not a status (100-599), a range like 200-299 or a class like 2xx"
                        ));
                    }
                }
            };
            ranges.push(range);
        }
        if ranges.len() > 32 {
            return Err("ok-status: more than 32 items".into());
        }
        Ok(Self {
            text: text.to_owned(),
            ranges,
        })
    }

    /// Whether `status` counts as delivered.
    pub fn accepts(&self, status: u16) -> bool {
        self.ranges
            .iter()
            .any(|(lo, hi)| (*lo..=*hi).contains(&status))
    }
}

impl fmt::Display for OkStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Everything after the `?` of `browse:[BASE_URL]?…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowseOptions {
    /// `connections`: requests in flight at once, so at most this many connections
    /// (the pool). Default 32, 1 to 4096.
    pub connections: usize,
    /// `timeout`: longest one request may take, its body included. Default 10s.
    pub timeout: Duration,
    /// `follow-redirects`: follow 3xx answers to the same site (at most 10 hops).
    /// Default false: the 3xx itself is the answer.
    pub follow_redirects: bool,
    /// `ok-status`: answers that count as delivered. Default `2xx,3xx`.
    pub ok_status: OkStatus,
    /// `session`: cookie (default), header or none.
    pub session: SessionCarrier,
    /// `flush-timeout`: how long shutdown waits for the requests in flight; default
    /// the run's (30s).
    pub flush_timeout: Option<Duration>,
    pub headers: HeaderSources,
}

impl Default for BrowseOptions {
    fn default() -> Self {
        Self {
            connections: 32,
            timeout: Duration::from_secs(10),
            follow_redirects: false,
            ok_status: OkStatus::default(),
            session: SessionCarrier::Cookie,
            flush_timeout: None,
            headers: HeaderSources::default(),
        }
    }
}

const KEYS: &[&str] = &[
    "connections",
    "timeout",
    "follow-redirects",
    "ok-status",
    "session",
    "flush-timeout",
    "header.NAME",
    "header-env.NAME",
    "headers-file",
];

impl BrowseOptions {
    pub fn parse(query: &str) -> Result<Self, String> {
        let mut o = Options::parse(query)?;
        let d = Self::default();
        let headers = HeaderSources::parse(&mut o)?;
        let options = Self {
            connections: o.number("connections", 1..=4096)?.unwrap_or(d.connections),
            timeout: o
                .duration(
                    "timeout",
                    Duration::from_millis(1)..=Duration::from_secs(600),
                )?
                .unwrap_or(d.timeout),
            follow_redirects: o.boolean("follow-redirects")?.unwrap_or(d.follow_redirects),
            ok_status: o
                .take("ok-status")
                .map(OkStatus::parse)
                .transpose()?
                .unwrap_or(d.ok_status),
            session: o
                .choice("session", &SessionCarrier::CHOICES)?
                .unwrap_or(d.session),
            flush_timeout: o.duration(
                "flush-timeout",
                Duration::ZERO..=Duration::from_secs(86_400),
            )?,
            headers,
        };
        o.finish(KEYS)?;
        Ok(options)
    }
}

impl fmt::Display for BrowseOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = Self::default();
        let mut w = Written::default();
        w.changed("connections", self.connections, d.connections)
            .changed_duration("timeout", self.timeout, d.timeout)
            .changed(
                "follow-redirects",
                self.follow_redirects,
                d.follow_redirects,
            )
            .changed("ok-status", &self.ok_status, &d.ok_status)
            .changed("session", self.session, d.session);
        if let Some(t) = self.flush_timeout {
            w.add("flush-timeout", Shown(t));
        }
        self.headers.write(&mut w);
        w.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_and_print_back() {
        let text = "connections=64&timeout=2s&follow-redirects=true&ok-status=200-299,404\
                    &session=header&flush-timeout=5s&header.X-Load-Test=csgen&header-env.Authorization=SITE_AUTH";
        let o = BrowseOptions::parse(text).unwrap();
        assert_eq!(o.connections, 64);
        assert!(o.follow_redirects);
        assert!(o.ok_status.accepts(404) && o.ok_status.accepts(204) && !o.ok_status.accepts(302));
        assert_eq!(o.to_string(), format!("?{text}"));
        let d = BrowseOptions::parse("").unwrap();
        assert!(d.ok_status.accepts(200) && d.ok_status.accepts(399) && !d.ok_status.accepts(404));
        assert_eq!(d.to_string(), "");
    }

    #[test]
    fn hostile_options_name_the_option() {
        for (text, want) in [
            ("connections=0", "connections=\"0\""),
            ("connections=99999", "connections=\"99999\""),
            ("ok-status=6xx", "not a status class"),
            ("ok-status=299-200", "not a status"),
            ("ok-status=", "not a status"),
            ("ok-status=abc", "not a status"),
            ("session=url", "session=\"url\""),
            ("timeout=NaN", "timeout: \"NaN\" is not a duration"),
            ("header.Cookie=a", "never on the command line"),
            (
                "speed=9",
                "unknown option \"speed\"; expected one of: connections",
            ),
        ] {
            let e = BrowseOptions::parse(text).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
    }
}
