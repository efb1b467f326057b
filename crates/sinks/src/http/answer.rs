//! What the collector sink does with an answer: a pure function of the status, the
//! `Retry-After` header and the first bytes of the body.
//!
//! - 2xx: the batch is delivered.
//! - 408, 429 and 5xx: the server may take it later: the same batch is sent again after
//!   a backoff, no sooner than `Retry-After` (seconds or an HTTP date) says.
//! - Anything else (other 4xx, a 3xx, which is not followed for a POST): that batch
//!   fails, counted with the status and the first bytes of the answer; the sink goes on
//!   with the next batch.
//!
//! Transport failures (refused or dropped connection, timeout) never reach here: they
//! are retried like a 503.

use std::time::{Duration, SystemTime};

/// How many bytes of an answer's body a failure reason quotes.
pub const QUOTED_BYTES: usize = 200;

/// The verdict on one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Send the batch again; `after` is the server's `Retry-After`, if it gave one.
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    /// The batch fails for good with this reason.
    Failed(String),
}

/// Judges an answer with `status`, its `Retry-After` header, and the start of its body;
/// `now` reads an HTTP-date `Retry-After`.
pub fn judge(status: u16, retry_after: Option<&str>, body: &[u8], now: SystemTime) -> Verdict {
    match status {
        200..=299 => Verdict::Delivered,
        408 | 429 | 500..=599 => Verdict::Retry {
            reason: format!("HTTP {status}"),
            after: retry_after.and_then(|v| parse_retry_after(v, now)),
        },
        300..=399 => Verdict::Failed(format!(
            "HTTP {status} (a redirect; csgen does not follow redirects of a POST): {}",
            quote(body)
        )),
        _ => Verdict::Failed(format!("HTTP {status}: {}", quote(body))),
    }
}

/// `Retry-After` as a wait: whole seconds, or an HTTP date (a past date means now).
/// Anything else is ignored (the backoff applies).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.len() <= 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse().ok().map(Duration::from_secs);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The first [`QUOTED_BYTES`] bytes of a body as printable text, for a reason.
pub fn quote(body: &[u8]) -> String {
    if body.is_empty() {
        return "(empty answer)".to_owned();
    }
    let cut = &body[..body.len().min(QUOTED_BYTES)];
    let text: String = String::from_utf8_lossy(cut)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let text = text.trim();
    if body.len() > QUOTED_BYTES {
        format!("{text}…")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn success_retry_and_failure_by_status() {
        let now = at(1_700_000_000);
        assert_eq!(judge(200, None, b"", now), Verdict::Delivered);
        assert_eq!(judge(204, Some("5"), b"", now), Verdict::Delivered);
        for status in [408, 429, 500, 502, 503, 599] {
            assert!(
                matches!(
                    judge(status, None, b"", now),
                    Verdict::Retry { after: None, .. }
                ),
                "{status}"
            );
        }
        assert_eq!(
            judge(429, Some("7"), b"slow down", now),
            Verdict::Retry {
                reason: "HTTP 429".into(),
                after: Some(Duration::from_secs(7))
            }
        );
        assert_eq!(
            judge(400, None, b"{\"error\":\"line 3: not JSON\"}\n", now),
            Verdict::Failed("HTTP 400: {\"error\":\"line 3: not JSON\"}".into())
        );
        assert_eq!(
            judge(401, None, b"", now),
            Verdict::Failed("HTTP 401: (empty answer)".into())
        );
        let Verdict::Failed(r) = judge(301, None, b"moved", now) else {
            panic!()
        };
        assert!(r.starts_with("HTTP 301 (a redirect"), "{r}");
        assert!(matches!(judge(100, None, b"", now), Verdict::Failed(_)));
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = at(1_445_412_480); // Wed, 21 Oct 2015 07:28:00 GMT
        assert_eq!(
            parse_retry_after(" 120 ", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after("0", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        for junk in ["", "-5", "1.5", "soon", "99999999999999999999", "NaN"] {
            assert_eq!(parse_retry_after(junk, now), None, "{junk}");
        }
    }

    #[test]
    fn quotes_are_short_and_printable() {
        let long = vec![b'x'; 5000];
        let q = quote(&long);
        assert_eq!(q.chars().count(), QUOTED_BYTES + 1);
        assert!(q.ends_with('…'));
        assert_eq!(quote(b"a\r\nb\x00c\xff"), "a  b c\u{fffd}");
    }
}
