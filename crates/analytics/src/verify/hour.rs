//! Hour partitions as the manifest names them (`YYYY-MM-DDTHH`, UTC) and as whole
//! hours since the Unix epoch, the compact form the id checks keep per event.

use chrono::{DateTime, NaiveDateTime};

const HOUR_MS: i64 = 3_600_000;

/// `YYYY-MM-DDTHH` of hour `index` (hours since 1970-01-01T00 UTC).
pub fn key(index: i64) -> String {
    DateTime::from_timestamp_millis(index * HOUR_MS)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H")
        .to_string()
}

/// The hour index of a `YYYY-MM-DDTHH` key, `None` if it is not one.
pub fn index(key: &str) -> Option<i64> {
    let t = NaiveDateTime::parse_from_str(&format!("{key}:00"), "%Y-%m-%dT%H:%M").ok()?;
    Some(t.and_utc().timestamp_millis().div_euclid(HOUR_MS))
}

/// The hour index of Unix milliseconds `ms`.
pub fn of_ms(ms: i64) -> i64 {
    ms.div_euclid(HOUR_MS)
}

/// The first millisecond of hour `index`.
pub fn start_ms(index: i64) -> i64 {
    index * HOUR_MS
}

/// The SQL expression that spells a row's partition as a manifest hour key.
pub const PARTITION_SQL: &str =
    "concat(CAST(dt AS VARCHAR), 'T', lpad(CAST(hour AS VARCHAR), 2, '0'))";

/// The SQL expression that spells a row's event time as a manifest hour key.
pub const EVENT_TIME_SQL: &str = "to_char(event_time, '%Y-%m-%dT%H')";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_indexes_round_trip() {
        let i = index("2026-11-02T03").unwrap();
        assert_eq!(key(i), "2026-11-02T03");
        assert_eq!(key(i + 21), "2026-11-03T00");
        assert_eq!(of_ms(start_ms(i) + HOUR_MS - 1), i);
        assert_eq!(index("2026-11-02"), None);
        assert_eq!(index("nonsense"), None);
    }
}
