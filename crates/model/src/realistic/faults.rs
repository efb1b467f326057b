//! Labelled data-quality faults: which record is faulty, how, and when it arrives.
//!
//! Each event draws at most one fault, with the configured rates:
//! - `Duplicated`: the record is emitted twice, byte for byte (same event id); the
//!   copy ([`Fault::DuplicateCopy`]) arrives up to `duplicate_max_delay_s` later.
//! - `Late`: arrives a log-normal delay after its event time (median `late_median_s`,
//!   at most `late_max_s`, at least 1 s): past a pipeline's watermark.
//! - `OutOfOrder`: arrives up to `out_of_order_max_s` late: behind later events,
//!   typically inside a pipeline's allowed lateness.
//! - `BrokenUrl`, `MissingField`, `BadJson`: the record is malformed (see
//!   [`super::EventEncoder`]) and does not count as a valid event in the truth.

use rand::{Rng, RngExt};
use rand_distr::{Distribution, LogNormal};

use super::config::FaultConfig;
use crate::record::Format;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[repr(u8)]
pub enum Fault {
    #[default]
    None,
    /// The first of two identical records.
    Duplicated,
    /// The second of two identical records.
    DuplicateCopy,
    Late,
    OutOfOrder,
    BrokenUrl,
    MissingField,
    BadJson,
}

impl Fault {
    pub fn is_malformed(self) -> bool {
        matches!(
            self,
            Fault::BrokenUrl | Fault::MissingField | Fault::BadJson
        )
    }

    /// The malformation a format can show: a bare URL can only be broken.
    pub fn for_format(self, format: Format) -> Fault {
        match (format, self) {
            (Format::Url, f) if f.is_malformed() => Fault::BrokenUrl,
            (_, f) => f,
        }
    }

    /// The name used in the manifest.
    pub fn name(self) -> &'static str {
        match self {
            Fault::None => "none",
            Fault::Duplicated | Fault::DuplicateCopy => "duplicate",
            Fault::Late => "late",
            Fault::OutOfOrder => "out_of_order",
            Fault::BrokenUrl => "broken_url",
            Fault::MissingField => "missing_field",
            Fault::BadJson => "bad_json",
        }
    }
}

/// Fault draws, ready to use.
#[derive(Debug, Clone)]
pub(crate) struct Faults {
    enabled: bool,
    /// Cumulative thresholds: duplicate, late, out of order, malformed.
    cdf: [f64; 4],
    late: LogNormal<f64>,
    late_max_ms: f64,
    dup_max_ms: f64,
    disorder_max_ms: f64,
}

impl Faults {
    pub fn new(c: &FaultConfig) -> Self {
        let d = c.duplicate;
        let l = d + c.late;
        let o = l + c.out_of_order;
        let m = o + c.malformed;
        Self {
            enabled: m > 0.0,
            cdf: [d, l, o, m],
            late: LogNormal::new(c.late_median_ms.max(1.0).ln(), 1.0).expect("sigma 1 is valid"),
            late_max_ms: c.late_max_ms,
            dup_max_ms: c.duplicate_max_delay_ms,
            disorder_max_ms: c.out_of_order_max_ms,
        }
    }

    /// The fault of the next event and its arrival delay; a duplicate also returns the
    /// delay of its copy.
    #[inline(always)]
    pub fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> (Fault, i64, Option<i64>) {
        if !self.enabled {
            return (Fault::None, 0, None);
        }
        let u: f64 = rng.random();
        let ms = |max: f64| max.max(1.0) as i64;
        if u < self.cdf[0] {
            let copy = rng.random_range(0..=ms(self.dup_max_ms));
            (Fault::Duplicated, 0, Some(copy))
        } else if u < self.cdf[1] {
            let delay = self
                .late
                .sample(rng)
                .clamp(1000.0, self.late_max_ms.max(1000.0));
            (Fault::Late, delay as i64, None)
        } else if u < self.cdf[2] {
            (
                Fault::OutOfOrder,
                rng.random_range(1..=ms(self.disorder_max_ms)),
                None,
            )
        } else if u < self.cdf[3] {
            let kind =
                [Fault::BrokenUrl, Fault::MissingField, Fault::BadJson][rng.random_range(0..3)];
            (kind, 0, None)
        } else {
            (Fault::None, 0, None)
        }
    }
}
