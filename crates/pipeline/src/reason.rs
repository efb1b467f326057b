//! Why a raw record could not be enriched: the dead-letter reasons.

use std::fmt;
use std::time::Duration;

use crate::endpoint::duration::Shown;

/// A record the enricher rejects. Each variant says what was wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// The bytes are not UTF-8.
    NotUtf8 { valid_up_to: usize },
    /// A line starting with `{` that is not a JSON object of the expected shape.
    BadJson(String),
    /// A required field is absent (`url`, or a user id in neither the record nor the URL).
    MissingField(&'static str),
    /// A field is present with a value of the wrong shape.
    BadValue { field: &'static str, detail: String },
    /// The URL has no `/api/…` path csgen knows.
    UnknownPath(String),
    /// The record is longer than the source allows (its raw text is cut in the dead letter).
    TooLarge { bytes: u64, limit: usize },
    /// The event time is not RFC 3339 / Unix milliseconds, or outside years 1970–9999.
    BadTime(String),
    /// The event time is further behind the latest accepted one than the window allows.
    TooOld {
        event_ms: i64,
        watermark_ms: i64,
        limit: Duration,
    },
    /// The event time is further ahead of the arrival (or latest accepted) time than the
    /// window allows.
    TooFarAhead {
        event_ms: i64,
        reference_ms: i64,
        limit: Duration,
    },
}

/// At most the first 40 characters of `s`: enough of a bad value to recognise it in a
/// dead letter's reason, never a whole hostile record.
pub(crate) fn clip(s: &str) -> &str {
    match s.char_indices().nth(40) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

impl Reason {
    /// A short stable code, for counters and for grouping dead letters.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotUtf8 { .. } => "not_utf8",
            Self::BadJson(_) => "bad_json",
            Self::MissingField(_) => "missing_field",
            Self::BadValue { .. } => "bad_value",
            Self::UnknownPath(_) => "unknown_path",
            Self::BadTime(_) => "bad_time",
            Self::TooLarge { .. } => "too_large",
            Self::TooOld { .. } => "too_old",
            Self::TooFarAhead { .. } => "too_far_ahead",
        }
    }

    pub const CODES: [&'static str; 9] = [
        "not_utf8",
        "bad_json",
        "missing_field",
        "bad_value",
        "unknown_path",
        "bad_time",
        "too_large",
        "too_old",
        "too_far_ahead",
    ];

    pub(crate) fn bad(field: &'static str, detail: impl Into<String>) -> Self {
        Self::BadValue {
            field,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotUtf8 { valid_up_to } => {
                write!(f, "not UTF-8 (invalid byte at {valid_up_to})")
            }
            Self::BadJson(e) => write!(f, "bad JSON: {e}"),
            Self::MissingField(field) => write!(f, "missing field `{field}`"),
            Self::BadValue { field, detail } => write!(f, "bad `{field}`: {detail}"),
            Self::UnknownPath(p) => write!(f, "unknown URL path {p:?}"),
            Self::BadTime(detail) => write!(f, "bad event time: {detail}"),
            Self::TooLarge { bytes, limit } => {
                write!(f, "record of {bytes} bytes is over the {limit}-byte limit")
            }
            Self::TooOld {
                event_ms,
                watermark_ms,
                limit,
            } => write!(
                f,
                "event time {} is more than {} behind the latest accepted event time {} \
                 (the lake's too-old window)",
                crate::time::format_ms(*event_ms),
                Shown(*limit),
                crate::time::format_ms(*watermark_ms)
            ),
            Self::TooFarAhead {
                event_ms,
                reference_ms,
                limit,
            } => write!(
                f,
                "event time {} is more than {} ahead of {} (the lake's too-far-ahead window)",
                crate::time::format_ms(*event_ms),
                Shown(*limit),
                crate::time::format_ms(*reference_ms)
            ),
        }
    }
}
