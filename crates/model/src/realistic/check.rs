//! The validator's toolbox: each check records a [`Problem`] naming the dotted key and
//! its line, and returns the value so validation goes on and reports every problem at
//! once. Messages shared with the properties syntax come from [`crate::validate`].

use crate::config::IdRange;
use crate::error::Problem;
use crate::validate;

use super::locate::Locator;

/// Collects the problems of one TOML text.
pub(crate) struct Check<'a> {
    pub at: &'a Locator<'a>,
    pub problems: Vec<Problem>,
}

impl Check<'_> {
    pub fn bad(&mut self, key: &str, message: impl Into<String>) {
        self.problems.push(self.at.problem(key, message));
    }

    /// The value a shared rule accepted, or `fallback` and a problem about `key`.
    pub fn rule<T>(&mut self, key: &str, rule: Result<T, String>, fallback: T) -> T {
        rule.unwrap_or_else(|message| {
            self.bad(key, message);
            fallback
        })
    }

    pub fn probability(&mut self, key: &str, p: f64) -> f64 {
        self.rule(key, validate::probability(p), p)
    }

    pub fn positive(&mut self, key: &str, v: f64, max: f64) -> f64 {
        if !(v.is_finite() && v > 0.0 && v <= max) {
            self.bad(key, format!("{v} must be greater than 0 and at most {max}"));
        }
        v
    }

    /// `v` if it is finite and in `min..=max`.
    pub fn between(&mut self, key: &str, v: f64, min: f64, max: f64) -> f64 {
        if !(v.is_finite() && (min..=max).contains(&v)) {
            self.bad(key, format!("{v} must be between {min} and {max}"));
        }
        v
    }

    pub fn sums_to_one(&mut self, key: &str, values: impl IntoIterator<Item = f64>) {
        let sum = values.into_iter().sum();
        self.rule(key, validate::sums_to_one("shares", sum), ());
    }

    /// A family of `N` weights >= 0, not all 0.
    pub fn weights<const N: usize>(&mut self, key: &str, values: &[f64]) -> [f64; N] {
        let mut out = [0.0; N];
        if values.len() != N {
            self.bad(key, format!("has {} values, expected {N}", values.len()));
            return out;
        }
        for (i, &w) in values.iter().enumerate() {
            if !(w.is_finite() && w >= 0.0) {
                self.bad(&format!("{key}[{i}]"), format!("{w} must be a weight >= 0"));
            }
            out[i] = w;
        }
        if out.iter().sum::<f64>() <= 0.0 {
            self.bad(key, "weights must not all be 0");
        }
        out
    }

    /// Shares of a list of choices: between 1 and `max` probabilities summing to 1.
    pub fn shares(&mut self, key: &str, values: &[f64], max: usize) -> Vec<f64> {
        if values.is_empty() || values.len() > max {
            self.bad(
                key,
                format!("has {} values, expected 1 to {max}", values.len()),
            );
            return vec![1.0];
        }
        for (i, &p) in values.iter().enumerate() {
            self.probability(&format!("{key}[{i}]"), p);
        }
        self.sums_to_one(key, values.iter().copied());
        values.to_vec()
    }

    pub fn id_range(&mut self, key: &str, [min, max]: [u64; 2]) -> IdRange {
        if min > max {
            self.bad(
                key,
                format!("[{min}, {max}]: the first id must not exceed the last"),
            );
            return IdRange { min: 0, max: 0 };
        }
        IdRange { min, max }
    }

    /// A name shown in data (a category, a format): 1 to 100 characters, none of them
    /// control characters (they would reach terminals and CSV files as they are).
    pub fn label(&mut self, key: &str, value: &str) {
        let n = value.chars().count();
        if value.trim().is_empty() || n > 100 || value.chars().any(char::is_control) {
            self.bad(
                key,
                format!("{value:?} must be 1 to 100 characters, none of them control characters"),
            );
        }
    }

    pub fn token(&mut self, raw: Option<String>) -> Option<[u8; 32]> {
        let text = raw?;
        self.rule(
            "store.token_sha256",
            validate::token_digest(&text).map(Some),
            None,
        )
    }
}
