//! Helpers shared by the test modules: configurations built by editing the default
//! file, and lookups of the line a key sits on.

use csgen_model::config::DEFAULT_PROPERTIES;
use csgen_model::{ConfigError, Loaded, Problem, StoreConfig};

/// The default file with `key=value` lines replaced (or appended when absent).
/// A `None` value removes the key.
pub fn edited(edits: &[(&str, Option<&str>)]) -> String {
    edit_text(DEFAULT_PROPERTIES, edits)
}

/// `text` with `key=value` lines replaced (or appended when absent); `None` removes.
pub fn edit_text(text: &str, edits: &[(&str, Option<&str>)]) -> String {
    let mut done = vec![false; edits.len()];
    let mut out = String::new();
    for line in text.lines() {
        let key = line.split('=').next().unwrap_or_default();
        match edits.iter().position(|(k, _)| *k == key) {
            Some(i) => {
                done[i] = true;
                if let Some(v) = edits[i].1 {
                    out.push_str(&format!("{key}={v}\n"));
                }
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    for (i, (k, v)) in edits.iter().enumerate() {
        if let (false, Some(v)) = (done[i], v) {
            out.push_str(&format!("{k}={v}\n"));
        }
    }
    out
}

/// The 1-based line `key=` starts on in `text`.
pub fn line_of(text: &str, key: &str) -> usize {
    let prefix = format!("{key}=");
    text.lines()
        .position(|l| l.starts_with(&prefix))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{key} not in the text"))
}

pub fn load(text: &str) -> Loaded {
    StoreConfig::from_properties_text(text)
        .unwrap_or_else(|e| panic!("config must be valid: {e}\n{text}"))
}

pub fn problems(text: &str) -> Vec<Problem> {
    match StoreConfig::from_properties_text(text) {
        Ok(_) => panic!("config must be refused:\n{text}"),
        Err(ConfigError { problems }) => problems,
    }
}

/// The single problem about `key`, asserting there is exactly one.
pub fn problem_for<'a>(problems: &'a [Problem], key: &str) -> &'a Problem {
    let found: Vec<_> = problems
        .iter()
        .filter(|p| p.key.as_deref() == Some(key))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one problem for `{key}`, got {problems:#?}"
    );
    found[0]
}

/// Five groups with unequal probabilities (one group never browsed as a list),
/// unequal id ranges (one of a single id, one of two ids, one starting at 0).
pub const FIVE_GROUPS: &str = "\
web-store-url=https://shop.example.org/
customer-id-min=1000
customer-id-max=1499
group-count=5
group-name-1=Tiny
group-product-id-min-1=1
group-product-id-max-1=10
group-name-2=Wide
group-product-id-min-2=500
group-product-id-max-2=2499
group-name-3=Single
group-product-id-min-3=7
group-product-id-max-3=7
group-name-4=Far
group-product-id-min-4=100000
group-product-id-max-4=100099
group-name-5=Pair
group-product-id-min-5=0
group-product-id-max-5=1
probability-browsing-group=0.35
probability-browsing-group-1=0.05
probability-browsing-group-2=0.45
probability-browsing-group-3=0.0
probability-browsing-group-4=0.3
probability-browsing-group-5=0.2
probability-browsing-products-in-group-1=0.5
probability-browsing-products-in-group-2=0.02
probability-browsing-products-in-group-3=0.08
probability-browsing-products-in-group-4=0.3
probability-browsing-products-in-group-5=0.1
clicks-per-second=250
";
