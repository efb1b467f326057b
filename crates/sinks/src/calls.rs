//! Per-call measurements a sink may report beside its record counts: how many calls
//! (HTTP requests, service calls) it made, how each ended (status class or transport
//! error), and how long they took (percentiles).
//!
//! Any sink that makes calls can record them in its [`crate::SinkStats`]; the counts
//! then appear in the snapshot (`calls`), and from there in the summary line, `/status`
//! and `/metrics` with no code of the sink's own. The browse sink records every page
//! request, the HTTP collector sink every POST.
//!
//! Latencies go into a fixed log-linear histogram of atomic counters (16 linear steps
//! per power of two, from 1 µs to about 12 days), so recording is one atomic add, memory
//! is bounded (608 counters) and a percentile is within about 3 % of the exact value.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallClass {
    /// An HTTP answer, by its status class (1 to 5 for 1xx to 5xx).
    Status(u8),
    /// No answer: refused or dropped connection, timeout, TLS failure.
    Error,
}

impl CallClass {
    /// The class of an HTTP status code.
    pub fn of_status(status: u16) -> Self {
        match status / 100 {
            c @ 1..=5 => Self::Status(c as u8),
            _ => Self::Error,
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Status(c @ 1..=5) => usize::from(c) - 1,
            _ => 5,
        }
    }
}

/// The names of the classes, in [`CallsSnapshot::by_class`] order.
pub const CLASS_NAMES: [&str; 6] = ["1xx", "2xx", "3xx", "4xx", "5xx", "error"];

/// Sub-steps per power of two: the histogram's resolution (1/16 ≈ 6 % wide buckets).
const STEPS: u32 = 16;
/// Powers of two covered above the linear start (2^4 µs .. 2^40 µs).
const OCTAVES: u32 = 37;
const BUCKETS: usize = (STEPS + OCTAVES * STEPS) as usize;

/// Lock-free call counters and latency histogram.
#[derive(Debug)]
pub struct CallStats {
    count: AtomicU64,
    by_class: [AtomicU64; 6],
    max_us: AtomicU64,
    buckets: Box<[AtomicU64]>,
}

impl Default for CallStats {
    fn default() -> Self {
        Self {
            count: AtomicU64::new(0),
            by_class: Default::default(),
            max_us: AtomicU64::new(0),
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

/// The histogram bucket of a latency in microseconds.
fn bucket(us: u64) -> usize {
    if us < u64::from(STEPS) {
        return us as usize;
    }
    let msb = 63 - us.leading_zeros(); // >= 4
    let octave = (msb - 4).min(OCTAVES - 1);
    let shift = octave; // the 16 steps of this octave are 2^shift µs wide
    let step = ((us >> shift) - u64::from(STEPS)).min(u64::from(STEPS) - 1);
    (STEPS + octave * STEPS) as usize + step as usize
}

/// The middle of a bucket, in microseconds (what a percentile in it reads as).
fn bucket_value(index: usize) -> u64 {
    let index = index as u64;
    let steps = u64::from(STEPS);
    if index < steps {
        return index;
    }
    let octave = (index - steps) / steps;
    let step = (index - steps) % steps;
    let low = (steps + step) << octave;
    low + ((1u64 << octave) >> 1)
}

impl CallStats {
    /// Counts one call that ended as `class` after `latency`.
    pub fn record(&self, class: CallClass, latency: Duration) {
        let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.buckets[bucket(us)].fetch_add(1, Relaxed);
        self.by_class[class.index()].fetch_add(1, Relaxed);
        self.max_us.fetch_max(us, Relaxed);
        self.count.fetch_add(1, Relaxed);
    }

    /// The counts and percentiles so far; `None` before the first call.
    pub fn snapshot(&self) -> Option<CallsSnapshot> {
        if self.count.load(Relaxed) == 0 {
            return None;
        }
        let counts: Vec<u64> = self.buckets.iter().map(|b| b.load(Relaxed)).collect();
        let total: u64 = counts.iter().sum();
        let percentile = |q: f64| {
            // The smallest latency with at least q of the calls at or below it.
            let rank = ((q * total as f64).ceil() as u64).clamp(1, total.max(1));
            let mut seen = 0;
            for (i, n) in counts.iter().enumerate() {
                seen += n;
                if seen >= rank {
                    return bucket_value(i);
                }
            }
            0
        };
        let max_us = self.max_us.load(Relaxed);
        Some(CallsSnapshot {
            count: total,
            by_class: std::array::from_fn(|i| self.by_class[i].load(Relaxed)),
            p50_us: percentile(0.50).min(max_us),
            p90_us: percentile(0.90).min(max_us),
            p99_us: percentile(0.99).min(max_us),
            max_us,
        })
    }
}

/// A reading of [`CallStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallsSnapshot {
    pub count: u64,
    /// Calls per class, in [`CLASS_NAMES`] order.
    pub by_class: [u64; 6],
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

impl CallsSnapshot {
    /// `(class name, count)` of every class, in [`CLASS_NAMES`] order.
    pub fn classes(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        CLASS_NAMES.iter().copied().zip(self.by_class)
    }

    /// `(label, seconds)` of the reported latencies: p50, p90, p99 and the maximum.
    pub fn latencies(&self) -> [(&'static str, f64); 4] {
        let s = |us: u64| us as f64 / 1e6;
        [
            ("0.5", s(self.p50_us)),
            ("0.9", s(self.p90_us)),
            ("0.99", s(self.p99_us)),
            ("1", s(self.max_us)),
        ]
    }
}

impl std::fmt::Display for CallsSnapshot {
    /// `requests 1000 (2xx 990, 4xx 10); latency p50 1.20 ms, p90 …, p99 …, max …`
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let classes: Vec<String> = self
            .classes()
            .filter(|(_, n)| *n > 0)
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        let ms = |us: u64| us as f64 / 1000.0;
        write!(
            f,
            "requests {} ({}); latency p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            self.count,
            classes.join(", "),
            ms(self.p50_us),
            ms(self.p90_us),
            ms(self.p99_us),
            ms(self.max_us)
        )
    }
}

impl serde::Serialize for CallsSnapshot {
    /// `{"count":…,"by_class":{"1xx":…,…},"latency_ms":{"p50":…,"p90":…,"p99":…,"max":…}}`
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct Classes<'a>(&'a CallsSnapshot);
        impl serde::Serialize for Classes<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(CLASS_NAMES.len()))?;
                for (c, n) in self.0.classes() {
                    m.serialize_entry(c, &n)?;
                }
                m.end()
            }
        }
        struct Latency<'a>(&'a CallsSnapshot);
        impl serde::Serialize for Latency<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let ms = |us: u64| us as f64 / 1000.0;
                let c = self.0;
                let mut m = s.serialize_map(Some(4))?;
                m.serialize_entry("p50", &ms(c.p50_us))?;
                m.serialize_entry("p90", &ms(c.p90_us))?;
                m.serialize_entry("p99", &ms(c.p99_us))?;
                m.serialize_entry("max", &ms(c.max_us))?;
                m.end()
            }
        }
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("count", &self.count)?;
        m.serialize_entry("by_class", &Classes(self))?;
        m.serialize_entry("latency_ms", &Latency(self))?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_within_six_percent() {
        let mut last = 0;
        for us in (0..100_000u64).chain([1 << 30, 1 << 39, u64::MAX]) {
            let b = bucket(us);
            assert!(b >= last && b < BUCKETS, "{us}: {b}");
            last = b;
            if (16..1 << 40).contains(&us) {
                let v = bucket_value(b) as f64;
                assert!((v - us as f64).abs() / us as f64 <= 0.063, "{us}: {v}");
            }
        }
    }

    #[test]
    fn percentiles_and_classes_of_known_latencies() {
        let s = CallStats::default();
        assert_eq!(s.snapshot(), None);
        for ms in 1..=100u64 {
            s.record(CallClass::of_status(200), Duration::from_millis(ms));
        }
        s.record(CallClass::of_status(503), Duration::from_secs(2));
        s.record(CallClass::Error, Duration::from_secs(3));
        s.record(CallClass::of_status(999), Duration::ZERO);
        let snap = s.snapshot().unwrap();
        assert_eq!(snap.count, 103);
        assert_eq!(snap.by_class, [0, 100, 0, 0, 1, 2]);
        let near = |got: u64, want: u64| (got as f64 - want as f64).abs() <= want as f64 * 0.07;
        assert!(near(snap.p50_us, 51_000), "{snap:?}");
        assert!(near(snap.p90_us, 93_000), "{snap:?}");
        assert!(near(snap.p99_us, 2_000_000), "{snap:?}");
        assert_eq!(snap.max_us, 3_000_000);
        let json = serde_json::to_string(&snap).unwrap();
        assert!(
            json.starts_with(r#"{"count":103,"by_class":{"1xx":0,"2xx":100,"3xx":0,"4xx":0,"5xx":1,"error":2},"latency_ms":{"p50":"#),
            "{json}"
        );
        let text = snap.to_string();
        assert!(
            text.starts_with("requests 103 (2xx 100, 5xx 1, error 2); latency p50 "),
            "{text}"
        );
    }

    #[test]
    fn huge_latencies_land_in_the_last_bucket_not_out_of_bounds() {
        let s = CallStats::default();
        s.record(CallClass::Status(2), Duration::MAX);
        let snap = s.snapshot().unwrap();
        assert_eq!(snap.max_us, u64::MAX);
        assert!(snap.p50_us > 1 << 39);
    }
}
