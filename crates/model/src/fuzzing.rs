//! Entry points for fuzzing the model's parsers: the properties file and its
//! validation, the realistic model's TOML and ground-truth manifests.
//!
//! The `cargo fuzz` targets in `fuzz/` and the test suite's property tests and corpus
//! replay (`tests/it/fuzz.rs`) call these same functions, so what the fuzzers explore
//! and what every test run checks cannot drift apart. Each takes arbitrary bytes, runs
//! the parser and what its output feeds, and panics when an invariant breaks: a fuzzer
//! and proptest both report a panic, whether it comes from the parser or from an
//! assertion here. No I/O; each call is bounded in time and memory by construction
//! (the model is only built and run when the configuration keeps it small).

use crate::realistic::{Event, EventEncoder, RealisticModel, SLOT_MS};
use crate::{
    ConfigError, Encoder, Format, Generator, Manifest, RealisticConfig, Schedule, Shard,
    StoreConfig, TruthBuilder, produce,
};

/// What an entry point made of its input. A useful corpus holds both kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The parser took the input, and everything downstream held its invariants.
    Accepted,
    /// The parser refused the input with an error that says where.
    Rejected,
}

impl Outcome {
    /// Both outcomes: what a corpus replay must see, or the corpus has stopped
    /// reaching one side of the parser.
    pub const BOTH: [Outcome; 2] = [Outcome::Accepted, Outcome::Rejected];
}

/// Inputs are files read as text: invalid UTF-8 becomes U+FFFD, so that every input
/// reaches the parser (the CLI refuses a non-UTF-8 file before parsing).
fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// An upper bound on the 1-based line numbers of `text` (every `\r` and `\n` counted
/// as a line break, so `\r\n` counts twice: a bound, not the count).
fn max_line(text: &str) -> usize {
    text.split(['\n', '\r']).count()
}

/// A configuration error names at least one problem, each with a message and a line
/// inside the file when it has one.
fn check_problems(e: &ConfigError, lines: usize) {
    assert!(!e.problems.is_empty(), "an error without problems");
    assert!(!e.to_string().is_empty());
    for p in &e.problems {
        assert!(
            p.line.is_none_or(|l| (1..=lines).contains(&l)),
            "line {:?} outside 1..={lines}: {p}",
            p.line
        );
        assert!(!p.message.is_empty(), "a problem without a message: {p:?}");
    }
}

/// A properties file (the original's format) through `StoreConfig::from_properties_text`.
/// When it loads, its warnings point into the file, `csgen check`'s summary prints,
/// and the classic generator draws and encodes clicks inside the configured ranges.
pub fn properties(data: &[u8]) -> Outcome {
    let text = text(data);
    let lines = max_line(&text);
    let loaded = match StoreConfig::from_properties_text(&text) {
        Ok(loaded) => loaded,
        Err(e) => {
            check_problems(&e, lines);
            return Outcome::Rejected;
        }
    };
    for w in &loaded.warnings {
        assert!(w.line.is_some_and(|l| (1..=lines).contains(&l)), "{w}");
    }
    let config = loaded.config;
    assert!(!config.to_string().is_empty());
    let generator = Generator::new(&config, 1);
    let schedule = Schedule::new(0, 0, config.clicks_per_second);
    for format in [Format::Json, Format::Url] {
        let mut encoder = Encoder::new(format, &config.store_url);
        let batch = produce(&generator, &mut encoder, &schedule, Shard::ALL, 0, 20);
        assert_eq!(batch.len(), 20);
        for c in &batch.clicks {
            assert!(config.customers.contains(c.user_id), "user {}", c.user_id);
            let g = usize::try_from(c.group_id)
                .ok()
                .and_then(|g| config.groups.get(g.checked_sub(1)?))
                .unwrap_or_else(|| panic!("group {} is not configured", c.group_id));
            if let Some(p) = c.product_id {
                assert!(g.products.contains(p), "product {p} outside group {}", g.id);
            }
        }
        if format == Format::Json {
            for record in batch.records() {
                let parsed = serde_json::from_slice::<serde_json::Value>(record);
                assert!(parsed.is_ok_and(|v| v.is_object()), "{record:?}");
            }
        }
    }
    Outcome::Accepted
}

/// Largest population the TOML entry point builds a model for (building a population
/// costs time in proportion to its size, up to the 10 M the config allows).
const SMALL_POPULATION: u32 = 10_000;
/// Largest mean number of sessions per slot it generates a slot of.
const SMALL_SLOT: f64 = 50.0;

/// A realistic-model TOML file through `RealisticConfig::from_toml`. When it loads
/// and the model it describes is small, one slot of events is generated, encoded in
/// every format (each JSON record that is not a labelled malformed one must be a JSON
/// object), and its ground truth must survive a JSON round trip.
pub fn toml_config(data: &[u8]) -> Outcome {
    let text = text(data);
    let config = match RealisticConfig::from_toml(&text) {
        Ok(config) => config,
        Err(e) => {
            check_problems(&e, max_line(&text));
            return Outcome::Rejected;
        }
    };
    assert!(!config.store.to_string().is_empty());
    let pages = config.mean_pages();
    // At most `max_pages` (255), plus what rounding of shares that sum to 1 within
    // the tolerance can add.
    assert!(
        pages.is_finite() && (1.0..=256.0).contains(&pages),
        "{pages} mean pages"
    );
    if config.customers.count <= SMALL_POPULATION {
        let model = RealisticModel::new(&config, 1);
        if model.sessions_per_slot_at(0) <= SMALL_SLOT {
            run_one_slot(&model);
        }
    }
    Outcome::Accepted
}

/// Generates the first slot of 1970 (no earlier session to replay), encodes it and
/// checks its ground truth.
fn run_one_slot(model: &RealisticModel) {
    let events: Vec<Event> = model.window(0, SLOT_MS, Shard::ALL);
    for format in [Format::Json, Format::Url, Format::UrlObject] {
        let mut encoder = EventEncoder::new(format, model);
        let mut truth = TruthBuilder::new(model, format, Shard::ALL);
        let mut record = Vec::new();
        for e in &events {
            record.clear();
            encoder.encode(model, e, &mut record);
            truth.add(e);
            if format != Format::Url && !e.fault.for_format(format).is_malformed() {
                let parsed = serde_json::from_slice::<serde_json::Value>(&record);
                assert!(
                    parsed.is_ok_and(|v| v.is_object()),
                    "not a JSON object: {}",
                    String::from_utf8_lossy(&record)
                );
            }
        }
        let manifest = truth.finish();
        assert_eq!(manifest.records, events.len() as u64);
        assert_eq!(
            Manifest::from_json(&manifest.to_json()).ok(),
            Some(manifest)
        );
    }
}

/// A ground-truth manifest (`--truth FILE`, read by `csgen verify`) through
/// `Manifest::from_json`. What loads writes back to JSON that loads as the same manifest.
pub fn manifest(data: &[u8]) -> Outcome {
    let Ok(manifest) = Manifest::from_json(&text(data)) else {
        return Outcome::Rejected;
    };
    let again = Manifest::from_json(&manifest.to_json());
    assert_eq!(again.as_ref().ok(), Some(&manifest), "{again:?}");
    Outcome::Accepted
}
