//! RFC 3339 UTC timestamps with milliseconds (`2026-11-23T07:26:20.123Z`), written
//! without `chrono`'s formatter.
//!
//! Records carry one timestamp each, so this is on every record's path. Formatting
//! through `chrono` cost ~2,500 instructions a record (a `String`, a format-string
//! parse, reallocations); caching the formatted second only helped while times moved
//! forward second by second, which a realistic stream's late and interleaved records
//! (and any small store, whose events are seconds apart) never do. Here the date is
//! computed from the day number with integer arithmetic (Hinnant's `civil_from_days`)
//! and cached per day, and the time of day is written from a two-digit table.

/// 0000-01-01T00:00:00.000Z, the first instant RFC 3339 can write.
pub(crate) const MIN_TS_MS: i64 = -62_167_219_200_000;
/// 9999-12-31T23:59:59.999Z, the last instant RFC 3339 can write.
pub(crate) const MAX_TS_MS: i64 = 253_402_300_799_999;

const DAY_MS: i64 = 86_400_000;

/// `00` to `99`, two ASCII digits each.
const PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

/// Writes timestamps, caching the date of the last day written. Keep one per thread.
#[derive(Debug, Clone)]
pub struct TsWriter {
    /// Days since 1970-01-01 of `date`.
    day: i64,
    /// `YYYY-MM-DDT` of `day`.
    date: [u8; 11],
}

impl Default for TsWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl TsWriter {
    pub fn new() -> Self {
        Self {
            day: i64::MIN,
            date: *b"0000-00-00T",
        }
    }

    /// Appends `ts_ms` (Unix milliseconds) as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    ///
    /// Years outside 0000..=9999 do not fit RFC 3339. csgen's schedules never make
    /// such times, but the writer must not panic on them: it clamps them to the
    /// nearest instant it can write, which also keeps events in order.
    #[inline]
    pub fn write(&mut self, ts_ms: i64, out: &mut Vec<u8>) {
        let ts_ms = ts_ms.clamp(MIN_TS_MS, MAX_TS_MS);
        let (day, in_day) = (ts_ms.div_euclid(DAY_MS), ts_ms.rem_euclid(DAY_MS));
        if day != self.day {
            self.date = date_of(day);
            self.day = day;
        }
        // 0 <= in_day < 86_400_000: every part below fits its digits.
        let in_day = in_day as u32;
        let (second, milli) = (in_day / 1000, in_day % 1000);
        let (h, m, s) = (second / 3600, second / 60 % 60, second % 60);
        let mut text = [0u8; 24];
        text[..11].copy_from_slice(&self.date);
        text[11..13].copy_from_slice(&PAIRS[h as usize]);
        text[13] = b':';
        text[14..16].copy_from_slice(&PAIRS[m as usize]);
        text[16] = b':';
        text[17..19].copy_from_slice(&PAIRS[s as usize]);
        text[19] = b'.';
        text[20] = b'0' + (milli / 100) as u8;
        text[21..23].copy_from_slice(&PAIRS[(milli % 100) as usize]);
        text[23] = b'Z';
        out.extend_from_slice(&text);
    }
}

/// `YYYY-MM-DDT` of a day number (days since 1970-01-01) whose year is in 0..=9999.
fn date_of(day: i64) -> [u8; 11] {
    let (y, m, d) = civil_from_days(day);
    let y = y.clamp(0, 9999) as usize;
    let mut date = *b"0000-00-00T";
    date[..2].copy_from_slice(&PAIRS[y / 100]);
    date[2..4].copy_from_slice(&PAIRS[y % 100]);
    date[5..7].copy_from_slice(&PAIRS[m as usize]);
    date[8..10].copy_from_slice(&PAIRS[d as usize]);
    date
}

/// Year, month (1..=12) and day (1..=31) of the proleptic Gregorian calendar for a
/// day number, by Howard Hinnant's `civil_from_days` (eras of 400 years).
fn civil_from_days(day: i64) -> (i64, u32, u32) {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // 0..=146_096
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // 0..=365
    let mp = (5 * doy + 2) / 153; // 0..=11, March first
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrono_text(ts_ms: i64) -> String {
        let t = chrono::DateTime::from_timestamp_millis(ts_ms.clamp(MIN_TS_MS, MAX_TS_MS))
            .expect("in range");
        t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }

    fn ours(w: &mut TsWriter, ts_ms: i64) -> String {
        let mut out = Vec::new();
        w.write(ts_ms, &mut out);
        String::from_utf8(out).expect("ASCII")
    }

    #[test]
    fn timestamps_match_chrono_at_the_edges_and_around_leap_days() {
        let mut w = TsWriter::new();
        let edges = [
            i64::MIN,
            MIN_TS_MS - 1,
            MIN_TS_MS,
            MIN_TS_MS + 1,
            -1,
            0,
            1,
            951_782_400_000 - 1, // 2000-02-29 minus 1 ms
            951_782_400_000,
            4_107_542_400_000, // 2100-03-01 (2100 is not a leap year)
            1_790_812_800_000, // 2026-10-01
            MAX_TS_MS - 1,
            MAX_TS_MS,
            MAX_TS_MS + 1,
            i64::MAX,
        ];
        for ts in edges {
            assert_eq!(ours(&mut w, ts), chrono_text(ts), "{ts}");
        }
    }

    #[test]
    fn days_of_ten_thousand_years_match_chrono() {
        // Every day of 1900..2200 and every 37th of the rest, each at a varying time,
        // in order; then random instants, out of order (the cache).
        let mut w = TsWriter::new();
        let first = MIN_TS_MS.div_euclid(DAY_MS);
        let last = MAX_TS_MS.div_euclid(DAY_MS);
        let recent = -25_567..84_006; // 1900-01-01..2200-01-01
        for day in (first..=last).filter(|d| recent.contains(d) || d % 37 == 0) {
            let ts = day * DAY_MS + (day * 7_919_993).rem_euclid(DAY_MS);
            assert_eq!(ours(&mut w, ts), chrono_text(ts), "day {day}");
        }
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        for _ in 0..30_000 {
            x = crate::click::mix64(x);
            let ts = MIN_TS_MS + (x % (MAX_TS_MS - MIN_TS_MS + 1) as u64) as i64;
            assert_eq!(ours(&mut w, ts), chrono_text(ts), "{ts}");
        }
    }
}
