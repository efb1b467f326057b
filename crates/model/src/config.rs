//! The validated store configuration, and how the original's properties keys map
//! onto it.
//!
//! Parsing is "validate, then build": text becomes [`StoreConfig`] with every value
//! checked (ranges ordered, probabilities in [0, 1] and summing to 1, a positive
//! rate), and every problem is reported with its key and line at once.

use crate::error::{ConfigError, Problem};
use crate::properties::Properties;
use crate::validate;

/// The original's example file, which is also csgen's built-in default.
pub const DEFAULT_PROPERTIES: &str = include_str!("defaults.properties");

pub use crate::validate::SUM_TOLERANCE;

/// Most product groups a configuration may declare (a guard against typos such as
/// `group-count=20000000`).
pub const MAX_GROUPS: u32 = 10_000;

/// An inclusive id range, `min <= max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdRange {
    pub min: u64,
    pub max: u64,
}

impl IdRange {
    /// The number of ids in the range (saturating: `0..=u64::MAX` says `u64::MAX`).
    pub fn len(&self) -> u64 {
        (self.max - self.min).saturating_add(1)
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn contains(&self, id: u64) -> bool {
        (self.min..=self.max).contains(&id)
    }
}

/// One product group of the store.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// 1-based group id, as in the URLs.
    pub id: u32,
    pub name: String,
    pub products: IdRange,
    /// Probability that a group-list click browses this group.
    pub list_share: f64,
    /// Probability that a product click views a product of this group.
    pub product_share: f64,
}

/// Everything the classic (original) model needs, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreConfig {
    /// Base URL of the store, without a trailing slash.
    pub store_url: String,
    pub customers: IdRange,
    pub groups: Vec<Group>,
    /// Share of clicks that are group-list clicks; the rest are product clicks.
    pub group_click_share: f64,
    /// Target clicks per second while running (`clicks-per-second`).
    pub clicks_per_second: f64,
    /// Kinesis stream the clicks go to, if configured (`url-kinesis-stream-name`).
    pub kinesis_stream: Option<String>,
    /// SHA-256 digest of the control token (`token-sha256`).
    pub token_sha256: Option<[u8; 32]>,
    /// Line of an old `token-as-hash` entry: present, but never used (see [`LEGACY_TOKEN_HELP`]).
    pub legacy_token_line: Option<usize>,
}

/// Why the original's `token-as-hash` is not accepted, and what to do instead.
pub const LEGACY_TOKEN_HELP: &str = "`token-as-hash` held the original's non-cryptographic hash of the \
control token, which is easy to forge, so csgen never uses it. Set the token in the environment \
(CS_TOKEN=...) or put its SHA-256 digest in the config: run `csgen token-hash`, type the token, \
and paste the `token-sha256=...` line it prints.";

/// A loaded configuration and the warnings worth showing (unknown keys, ignored keys).
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub config: StoreConfig,
    pub warnings: Vec<Problem>,
}

const KEY_URL: &str = "web-store-url";
const KEY_CUSTOMER_MIN: &str = "customer-id-min";
const KEY_CUSTOMER_MAX: &str = "customer-id-max";
const KEY_GROUP_COUNT: &str = "group-count";
const KEY_GROUP_SHARE: &str = "probability-browsing-group";
const KEY_RATE: &str = "clicks-per-second";
const KEY_POLL: &str = "poll-server-status-change";
const KEY_STREAM: &str = "url-kinesis-stream-name";
const KEY_TOKEN: &str = "token-sha256";
const KEY_LEGACY_TOKEN: &str = "token-as-hash";

/// Per-group key families: `prefix-N`, N in `1..=group-count`.
const FAMILY_NAME: &str = "group-name-";
const FAMILY_MIN: &str = "group-product-id-min-";
const FAMILY_MAX: &str = "group-product-id-max-";
const FAMILY_LIST: &str = "probability-browsing-group-";
const FAMILY_PRODUCT: &str = "probability-browsing-products-in-group-";
const FAMILIES: [&str; 5] = [
    FAMILY_PRODUCT,
    FAMILY_LIST,
    FAMILY_MIN,
    FAMILY_MAX,
    FAMILY_NAME,
];

impl StoreConfig {
    /// The built-in defaults (the original's example file).
    pub fn defaults() -> Self {
        Self::from_properties_text(DEFAULT_PROPERTIES)
            .expect("the built-in defaults are valid")
            .config
    }

    /// Parses and validates properties text.
    pub fn from_properties_text(text: &str) -> Result<Loaded, ConfigError> {
        let props = Properties::parse(text)?;
        Self::from_properties(&props)
    }

    /// Validates parsed properties, collecting every problem.
    pub fn from_properties(props: &Properties) -> Result<Loaded, ConfigError> {
        let mut r = Reader {
            props,
            problems: Vec::new(),
        };
        let mut warnings = Vec::new();

        let store_url = r.url(KEY_URL);
        let customers = r.range(KEY_CUSTOMER_MIN, KEY_CUSTOMER_MAX);
        let group_click_share = r.probability(KEY_GROUP_SHARE);
        let clicks_per_second = r.rate(KEY_RATE);
        let group_count = r.count(KEY_GROUP_COUNT);

        let mut groups = Vec::new();
        if let Some(n) = group_count {
            for g in 1..=n {
                let name = r.text(&format!("{FAMILY_NAME}{g}"));
                let products = r.range(&format!("{FAMILY_MIN}{g}"), &format!("{FAMILY_MAX}{g}"));
                let list_share = r.probability(&format!("{FAMILY_LIST}{g}"));
                let product_share = r.probability(&format!("{FAMILY_PRODUCT}{g}"));
                if let (Some(name), Some(products), Some(list_share), Some(product_share)) =
                    (name, products, list_share, product_share)
                {
                    groups.push(Group {
                        id: g,
                        name,
                        products,
                        list_share,
                        product_share,
                    });
                }
            }
            if groups.len() == n as usize {
                r.check_sum(FAMILY_LIST, groups.iter().map(|g| g.list_share), n);
                r.check_sum(FAMILY_PRODUCT, groups.iter().map(|g| g.product_share), n);
            }
        }

        let kinesis_stream = r.stream_name(KEY_STREAM);
        let token_sha256 = r.digest(KEY_TOKEN);
        let legacy_token_line = props.get(KEY_LEGACY_TOKEN).map(|e| e.line);
        if let Some(line) = legacy_token_line {
            warnings.push(Problem::at(KEY_LEGACY_TOKEN, Some(line), LEGACY_TOKEN_HELP));
        }
        // `poll-server-status-change` only set the original's burst interval; csgen paces
        // smoothly, so the key is accepted (old files carry it) and checked, but not used.
        if let Some(e) = props.get(KEY_POLL)
            && e.value.trim().parse::<f64>().is_err()
        {
            r.problems.push(Problem::at(
                KEY_POLL,
                Some(e.line),
                "not a number of seconds",
            ));
        }
        for (key, entry) in props.iter() {
            match classify(key, group_count) {
                KeyKind::Known => {}
                KeyKind::GroupOutOfRange(n) => r.problems.push(Problem::at(
                    key,
                    Some(entry.line),
                    format!(
                        "group index {n} is outside 1..={}",
                        group_count.unwrap_or_default()
                    ),
                )),
                KeyKind::Unknown => {
                    warnings.push(Problem::at(key, Some(entry.line), "unknown key, ignored"))
                }
            }
        }

        if !r.problems.is_empty() {
            r.problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
            return Err(ConfigError {
                problems: r.problems,
            });
        }
        warnings.sort_by_key(|p| p.line);
        let config = StoreConfig {
            store_url: store_url.expect("validated"),
            customers: customers.expect("validated"),
            groups,
            group_click_share: group_click_share.expect("validated"),
            clicks_per_second: clicks_per_second.expect("validated"),
            kinesis_stream,
            token_sha256,
            legacy_token_line,
        };
        Ok(Loaded { config, warnings })
    }
}

enum KeyKind {
    Known,
    GroupOutOfRange(u64),
    Unknown,
}

fn classify(key: &str, group_count: Option<u32>) -> KeyKind {
    const SINGLE: [&str; 10] = [
        KEY_URL,
        KEY_CUSTOMER_MIN,
        KEY_CUSTOMER_MAX,
        KEY_GROUP_COUNT,
        KEY_GROUP_SHARE,
        KEY_RATE,
        KEY_POLL,
        KEY_STREAM,
        KEY_TOKEN,
        KEY_LEGACY_TOKEN,
    ];
    if SINGLE.contains(&key) {
        return KeyKind::Known;
    }
    // Longest prefixes first: `probability-browsing-group-` is a prefix of nothing else,
    // but `probability-browsing-products-in-group-` must not be read as it.
    for family in FAMILIES {
        // Only a canonical index counts: `group-name-01` or `group-name-+1` would be
        // accepted as known and then never read, so they are unknown keys instead.
        let index = key
            .strip_prefix(family)
            .and_then(|s| s.parse::<u64>().ok().filter(|n| n.to_string() == s));
        if let Some(index) = index {
            return match group_count {
                Some(n) if index == 0 || index > u64::from(n) => KeyKind::GroupOutOfRange(index),
                _ => KeyKind::Known,
            };
        }
    }
    KeyKind::Unknown
}

/// Reads typed values from properties, recording a located problem for each bad one.
struct Reader<'a> {
    props: &'a Properties,
    problems: Vec<Problem>,
}

impl Reader<'_> {
    /// The trimmed raw value and its line, or a "missing" problem.
    fn raw(&mut self, key: &str) -> Option<(&str, usize)> {
        match self.props.get(key) {
            Some(e) => Some((e.value.trim(), e.line)),
            None => {
                self.problems.push(Problem::missing(key));
                None
            }
        }
    }

    fn parsed<T: std::str::FromStr>(&mut self, key: &str, what: &str) -> Option<(T, usize)> {
        let (value, line) = self.raw(key)?;
        match value.parse::<T>() {
            Ok(v) => Some((v, line)),
            Err(_) => {
                let msg = format!("{value:?} is not {what}");
                self.problems.push(Problem::at(key, Some(line), msg));
                None
            }
        }
    }

    /// `value` checked by one of the shared [`validate`] rules, or a located problem.
    fn checked<T>(&mut self, key: &str, line: usize, rule: Result<T, String>) -> Option<T> {
        rule.map_err(|msg| self.problems.push(Problem::at(key, Some(line), msg)))
            .ok()
    }

    fn text(&mut self, key: &str) -> Option<String> {
        let (value, line) = self.raw(key)?;
        let checked = validate::not_empty(value).map(str::to_owned);
        self.checked(key, line, checked)
    }

    fn url(&mut self, key: &str) -> Option<String> {
        let (value, line) = self.raw(key)?;
        let checked = validate::store_url(value);
        self.checked(key, line, checked)
    }

    /// An optional Kinesis stream name (empty means not set).
    fn stream_name(&mut self, key: &str) -> Option<String> {
        let entry = self.props.get(key)?;
        self.checked(key, entry.line, validate::stream_name(&entry.value))
            .flatten()
    }

    fn id(&mut self, key: &str) -> Option<(u64, usize)> {
        self.parsed::<u64>(key, "a whole number >= 0")
    }

    fn range(&mut self, min_key: &str, max_key: &str) -> Option<IdRange> {
        // Read both ends before giving up, so that both of their problems are reported.
        let (min, max) = (self.id(min_key), self.id(max_key));
        let ((min, _), (max, line)) = (min?, max?);
        if min > max {
            let msg = format!("{max} is less than `{min_key}` ({min})");
            self.problems.push(Problem::at(max_key, Some(line), msg));
            return None;
        }
        Some(IdRange { min, max })
    }

    fn count(&mut self, key: &str) -> Option<u32> {
        let (n, line) = self.parsed::<u32>(key, "a whole number")?;
        if n == 0 || n > MAX_GROUPS {
            let msg = format!("{n} must be between 1 and {MAX_GROUPS}");
            self.problems.push(Problem::at(key, Some(line), msg));
            return None;
        }
        Some(n)
    }

    fn probability(&mut self, key: &str) -> Option<f64> {
        let (p, line) = self.parsed::<f64>(key, "a number")?;
        self.checked(key, line, validate::probability(p))
    }

    /// A rate in events per second, within [`crate::rate::RANGE`].
    fn rate(&mut self, key: &str) -> Option<f64> {
        let (v, line) = self.parsed::<f64>(key, "a number")?;
        match crate::rate::check(v) {
            Ok(v) => Some(v),
            Err(e) => {
                self.problems
                    .push(Problem::at(key, Some(line), e.to_string()));
                None
            }
        }
    }

    fn digest(&mut self, key: &str) -> Option<[u8; 32]> {
        let entry = self.props.get(key)?;
        self.checked(key, entry.line, validate::token_digest(&entry.value))
    }

    fn check_sum(&mut self, family: &str, values: impl Iterator<Item = f64>, n: u32) {
        if let Err(msg) = validate::sums_to_one(format!("{family}1..{family}{n}"), values.sum()) {
            let line = self.props.get(&format!("{family}1")).map(|e| e.line);
            self.problems
                .push(Problem::at(format!("{family}N"), line, msg));
        }
    }
}
