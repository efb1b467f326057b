//! Failed records counted by reason, for the shutdown report: bounded, so that a
//! service whose error messages differ every time (a request id in each answer) cannot
//! grow it without limit.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// Distinct reasons kept; later new reasons are counted under [`OTHER`].
pub const MAX_REASONS: usize = 64;
/// Where failures with a reason past [`MAX_REASONS`] are counted.
pub const OTHER: &str = "other reasons (more than 64 distinct ones)";

/// Failed-record counts by reason.
#[derive(Debug, Default)]
pub struct Reasons(Mutex<BTreeMap<String, u64>>);

impl Reasons {
    /// Counts `n` failures for `reason`; true the first time the reason is seen (the
    /// caller logs it then, once).
    pub fn add(&self, n: u64, reason: &str) -> bool {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = map.get_mut(reason) {
            *count += n;
            return false;
        }
        let key = if map.len() < MAX_REASONS {
            reason
        } else {
            OTHER
        };
        let count = map.entry(key.to_owned()).or_insert(0);
        *count += n;
        *count == n
    }

    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_reasons_are_bounded() {
        let r = Reasons::default();
        assert!(r.add(2, "HTTP 400: a"));
        assert!(!r.add(1, "HTTP 400: a"));
        for i in 0..1000 {
            r.add(1, &format!("HTTP 400: request {i}"));
        }
        let s = r.snapshot();
        assert_eq!(s.len(), MAX_REASONS + 1);
        assert_eq!(s["HTTP 400: a"], 3);
        assert_eq!(s.values().sum::<u64>(), 1003);
        assert_eq!(s[OTHER], 1000 - (MAX_REASONS as u64 - 1));
    }
}
