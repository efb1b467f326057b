//! Device and browser from the user-agent string, with `woothee`.
//!
//! woothee runs a list of regular expressions per string; shoppers keep their user
//! agent for a whole session, so the answers are cached per distinct string (the
//! cache is cleared when it grows past [`CACHE_LIMIT`], which bounds memory).

use std::collections::HashMap;
use std::sync::Arc;

/// Most distinct user agents remembered at once.
pub const CACHE_LIMIT: usize = 16_384;

/// Device category and browser name of one user agent; `None` where woothee does not know.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Agent {
    /// `desktop`, `mobile`, `tablet`, `crawler`, `appliance` or `other`.
    pub device: Option<Arc<str>>,
    /// `Chrome`, `Firefox`, `Safari`, …
    pub browser: Option<Arc<str>>,
}

#[derive(Default)]
pub struct UaParser {
    parser: woothee::parser::Parser,
    /// foldhash: user agents are long, and SipHash over them cost more than the lookup.
    cache: HashMap<Box<str>, Agent, foldhash::fast::RandomState>,
}

impl UaParser {
    pub fn parse(&mut self, ua: &str) -> Agent {
        if let Some(agent) = self.cache.get(ua) {
            return agent.clone();
        }
        let agent = match self.parser.parse(ua) {
            Some(r) => Agent {
                device: known(device(r.category, r.os, ua)),
                browser: known(r.name),
            },
            None => Agent::default(),
        };
        if self.cache.len() >= CACHE_LIMIT {
            self.cache.clear();
        }
        self.cache.insert(ua.into(), agent.clone());
        agent
    }
}

/// woothee's category, in csgen's device words: `desktop`, `mobile`, `tablet`,
/// `crawler`, `appliance`, `other`.
fn device<'a>(category: &'a str, os: &str, ua: &str) -> &'a str {
    match category {
        "pc" => "desktop",
        "smartphone" if os == "iPad" || (os == "Android" && !ua.contains("Mobile")) => "tablet",
        "smartphone" | "mobilephone" => "mobile",
        "misc" => "other",
        other => other,
    }
}

fn known(value: &str) -> Option<Arc<str>> {
    (value != woothee::woothee::VALUE_UNKNOWN && !value.is_empty()).then(|| value.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_common_agents() {
        let mut p = UaParser::default();
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        let a = p.parse(chrome);
        assert_eq!(a.device.as_deref(), Some("desktop"));
        assert_eq!(a.browser.as_deref(), Some("Chrome"));
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        let a = p.parse(iphone);
        assert_eq!(a.device.as_deref(), Some("mobile"));
        assert_eq!(a.browser.as_deref(), Some("Safari"));
        let ipad = "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
        assert_eq!(p.parse(ipad).device.as_deref(), Some("tablet"));
        let tab = "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(p.parse(tab).device.as_deref(), Some("tablet"));
        assert_eq!(p.parse("???"), Agent::default());
        assert_eq!(p.parse(chrome).browser.as_deref(), Some("Chrome"), "cached");
    }
}
