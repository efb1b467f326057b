//! A range of hour partitions (`--from`/`--to`), and the SQL predicate on `dt`/`hour`
//! that selects it. The predicate uses only the partition columns, so engines prune
//! the files of every other hour without opening them (DataFusion and DuckDB alike).

use chrono::{DateTime, Duration, DurationRound as _, Timelike as _, Utc};
use serde::Serialize;

use crate::error::AnalyticsError;

/// Hour partitions from `from` (rounded down to its hour) up to `to` (exclusive; a
/// partition is in when its hour starts before `to`). Either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TimeRange {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

impl TimeRange {
    /// Checks that the range holds at least one hour.
    pub fn new(
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Self, AnalyticsError> {
        let range = Self { from, to };
        if let (Some(f), Some(t)) = (range.first_hour(), range.last_hour())
            && f > t
        {
            return Err(AnalyticsError::Range(format!(
                "--to {} is not after --from {}",
                to.unwrap_or_default().to_rfc3339(),
                from.unwrap_or_default().to_rfc3339()
            )));
        }
        Ok(range)
    }

    /// Start of the first hour partition in the range.
    fn first_hour(&self) -> Option<DateTime<Utc>> {
        self.from.map(floor_hour)
    }

    /// Start of the last hour partition in the range.
    fn last_hour(&self) -> Option<DateTime<Utc>> {
        self.to.map(|t| floor_hour(t - Duration::milliseconds(1)))
    }

    /// The range as a predicate on `dt` and `hour`, or `None` when it is unbounded:
    ///
    /// ```
    /// # use csgen_analytics::TimeRange;
    /// let day = |s: &str| s.parse().ok();
    /// let r = TimeRange::new(day("2026-11-01T06:00:00Z"), day("2026-11-03T00:00:00Z")).unwrap();
    /// assert_eq!(
    ///     r.sql_predicate().unwrap(),
    ///     "(dt > DATE '2026-11-01' OR (dt = DATE '2026-11-01' AND hour >= 6)) AND dt <= DATE '2026-11-02'"
    /// );
    /// ```
    pub fn sql_predicate(&self) -> Option<String> {
        let lower = self.first_hour().map(|t| match t.hour() {
            0 => format!("dt >= {}", date(t)),
            h => format!("(dt > {d} OR (dt = {d} AND hour >= {h}))", d = date(t)),
        });
        let upper = self.last_hour().map(|t| match t.hour() {
            23 => format!("dt <= {}", date(t)),
            h => format!("(dt < {d} OR (dt = {d} AND hour <= {h}))", d = date(t)),
        });
        match (lower, upper) {
            (None, None) => None,
            (Some(p), None) | (None, Some(p)) => Some(p),
            (Some(l), Some(u)) => Some(format!("{l} AND {u}")),
        }
    }
}

fn floor_hour(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::hours(1)).unwrap_or(t)
}

fn date(t: DateTime<Utc>) -> String {
    format!("DATE '{}'", t.format("%Y-%m-%d"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Option<DateTime<Utc>> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn whole_days_compare_dt_only() {
        let r = TimeRange::new(t("2026-11-01T00:00:00Z"), t("2026-11-02T00:00:00Z")).unwrap();
        assert_eq!(
            r.sql_predicate().unwrap(),
            "dt >= DATE '2026-11-01' AND dt <= DATE '2026-11-01'"
        );
    }

    #[test]
    fn partial_hours_round_to_the_partitions_they_touch() {
        let r = TimeRange::new(t("2026-11-01T06:30:00Z"), t("2026-11-01T08:00:01Z")).unwrap();
        assert_eq!(
            r.sql_predicate().unwrap(),
            "(dt > DATE '2026-11-01' OR (dt = DATE '2026-11-01' AND hour >= 6)) AND \
             (dt < DATE '2026-11-01' OR (dt = DATE '2026-11-01' AND hour <= 8))"
        );
        let open = TimeRange::new(None, t("2026-11-01T05:00:00Z")).unwrap();
        assert_eq!(
            open.sql_predicate().unwrap(),
            "(dt < DATE '2026-11-01' OR (dt = DATE '2026-11-01' AND hour <= 4))"
        );
        assert_eq!(TimeRange::default().sql_predicate(), None);
    }

    #[test]
    fn an_empty_range_is_an_error() {
        let e = TimeRange::new(t("2026-11-02T00:00:00Z"), t("2026-11-02T00:00:00Z")).unwrap_err();
        assert!(e.is_usage());
        assert!(e.to_string().contains("is not after"), "{e}");
    }
}
