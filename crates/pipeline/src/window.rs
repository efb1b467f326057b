//! The event-time window: how far behind or ahead an event's time may be before it is
//! dead-lettered instead of landing in the lake.
//!
//! Every hour partition an event opens costs the writer buffers and a file, so event
//! times spread over thousands of hours (a corrupt or hostile source) would exhaust
//! memory and bury the lake in tiny files. The window bounds them:
//!
//! - **too old**: more than `too_old` behind the *watermark*, the latest event time
//!   accepted so far in this run. A backfill read in time order keeps its watermark
//!   near its own events, so old data is fine; only stragglers far behind the rest are
//!   refused. The default (7 days) keeps the realistic model's late events (at most
//!   `faults.late_max_s`, 6 hours by default).
//! - **too far ahead**: more than `too_far_ahead` ahead of the later of the record's
//!   arrival time and the watermark: a clock-skew guard that also stops one far-future
//!   record from dragging the watermark (and every open session) along.
//!
//! Both are optional; a window check runs before the event touches any session.

use std::time::Duration;

use crate::endpoint::duration::{self, Shown};
use crate::endpoint::{Options, Written};
use crate::reason::Reason;

/// How far from the watermark and the arrival time an event time may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventWindow {
    pub too_old: Option<Duration>,
    pub too_far_ahead: Option<Duration>,
}

impl EventWindow {
    /// No limits: every valid time is accepted (the library's default).
    pub const OFF: Self = Self {
        too_old: None,
        too_far_ahead: None,
    };

    /// What `csgen enrich` and the lake sink use unless told otherwise.
    pub const RECOMMENDED: Self = Self {
        too_old: Some(Duration::from_secs(7 * 86_400)),
        too_far_ahead: Some(Duration::from_secs(86_400)),
    };

    /// The option keys of the window in a lake spec.
    pub const KEYS: &'static [&'static str] = &["too-old", "too-far-ahead"];

    /// Reads `too-old` and `too-far-ahead` (durations from 1s, or `off`); what is absent
    /// keeps [`Self::RECOMMENDED`].
    pub fn parse(o: &mut Options<'_>) -> Result<Self, String> {
        let d = Self::RECOMMENDED;
        Ok(Self {
            too_old: limit(o, "too-old")?.unwrap_or(d.too_old),
            too_far_ahead: limit(o, "too-far-ahead")?.unwrap_or(d.too_far_ahead),
        })
    }

    /// Writes the limits that differ from [`Self::RECOMMENDED`].
    pub fn write(&self, w: &mut Written) {
        let d = Self::RECOMMENDED;
        for (key, value, default) in [
            ("too-old", self.too_old, d.too_old),
            ("too-far-ahead", self.too_far_ahead, d.too_far_ahead),
        ] {
            if value != default {
                match value {
                    Some(v) => w.add(key, Shown(v)),
                    None => w.add(key, "off"),
                };
            }
        }
    }
}

/// `off`, or a duration from 1s to ten years.
fn limit(o: &mut Options<'_>, key: &str) -> Result<Option<Option<Duration>>, String> {
    match o.take(key) {
        None => Ok(None),
        Some("off") => Ok(Some(None)),
        Some(text) => duration::parse(text, Duration::from_secs(1), duration::MAX)
            .map(|d| Some(Some(d)))
            .map_err(|e| format!("{key}: {e} (or off)")),
    }
}

/// The window applied to a stream of events: remembers the watermark.
#[derive(Debug, Clone)]
pub struct Watermark {
    window: EventWindow,
    latest_ms: Option<i64>,
}

impl Watermark {
    pub fn new(window: EventWindow) -> Self {
        Self {
            window,
            latest_ms: None,
        }
    }

    /// Accepts `event_ms` (read at `arrival_ms`) and moves the watermark, or says why not.
    pub fn admit(&mut self, event_ms: i64, arrival_ms: i64) -> Result<(), Reason> {
        let to_ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        if let Some(ahead) = self.window.too_far_ahead {
            let reference_ms = self.latest_ms.map_or(arrival_ms, |w| w.max(arrival_ms));
            if event_ms > reference_ms.saturating_add(to_ms(ahead)) {
                return Err(Reason::TooFarAhead {
                    event_ms,
                    reference_ms,
                    limit: ahead,
                });
            }
        }
        if let (Some(old), Some(watermark_ms)) = (self.window.too_old, self.latest_ms)
            && event_ms < watermark_ms.saturating_sub(to_ms(old))
        {
            return Err(Reason::TooOld {
                event_ms,
                watermark_ms,
                limit: old,
            });
        }
        self.latest_ms = Some(self.latest_ms.map_or(event_ms, |w| w.max(event_ms)));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;
    const NOW: i64 = 1_795_000_000_000;

    #[test]
    fn keeps_an_ordered_backfill_and_late_events_refuses_stragglers_and_the_future() {
        let mut w = Watermark::new(EventWindow::RECOMMENDED);
        // A month-old backfill read in order, arriving now.
        for day in 0..30 {
            w.admit(NOW - 40 * DAY + day * DAY, NOW).unwrap();
        }
        // A late event six hours behind: kept.
        w.admit(NOW - 11 * DAY - DAY / 4, NOW).unwrap();
        // Eight days behind the watermark: refused.
        let e = w.admit(NOW - 19 * DAY, NOW).unwrap_err();
        assert_eq!(e.code(), "too_old");
        assert!(e.to_string().contains("more than 7d behind"), "{e}");
        // Two days ahead of arrival: refused, and the watermark did not move.
        let e = w.admit(NOW + 2 * DAY, NOW).unwrap_err();
        assert_eq!(e.code(), "too_far_ahead");
        w.admit(NOW - 10 * DAY, NOW).unwrap();
    }

    #[test]
    fn a_far_future_record_cannot_drag_the_watermark_along() {
        // The first release's sessionizer closed every open session at such a record.
        let mut w = Watermark::new(EventWindow::RECOMMENDED);
        w.admit(NOW, NOW).unwrap();
        assert!(w.admit(253_402_300_799_999, NOW).is_err());
        w.admit(NOW + 1000, NOW).unwrap();
    }

    #[test]
    fn off_accepts_every_time() {
        let mut w = Watermark::new(EventWindow::OFF);
        for t in [NOW, 0, 253_402_300_799_999, NOW] {
            w.admit(t, 0).unwrap();
        }
    }

    #[test]
    fn options_parse_print_and_refuse_nonsense() {
        let mut o = Options::parse("too-old=1d&too-far-ahead=off").unwrap();
        let w = EventWindow::parse(&mut o).unwrap();
        assert_eq!(w.too_old, Some(Duration::from_secs(86_400)));
        assert_eq!(w.too_far_ahead, None);
        let mut out = Written::default();
        w.write(&mut out);
        assert_eq!(out.to_string(), "?too-old=1d&too-far-ahead=off");
        for bad in [
            "too-old=0s",
            "too-old=-1d",
            "too-far-ahead=never",
            "too-old=1e9d",
        ] {
            let mut o = Options::parse(bad).unwrap();
            assert!(EventWindow::parse(&mut o).is_err(), "{bad}");
        }
    }
}
