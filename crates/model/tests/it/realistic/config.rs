//! TOML configuration: defaults, the example file, and errors that name key and line.

use csgen_model::{ModelConfig, RealisticConfig};
use proptest::prelude::*;

const EXAMPLE: &str = include_str!("../../../../../examples/store.toml");

fn errors(text: &str) -> String {
    let err = RealisticConfig::from_toml(text).expect_err("must be rejected");
    for p in &err.problems {
        assert!(p.key.is_some(), "no key in {p} for\n{text}");
        assert!(p.line.is_some(), "no line in {p} for\n{text}");
    }
    err.to_string()
}

#[test]
fn the_example_file_is_valid_and_spells_out_the_defaults() {
    let example = RealisticConfig::from_toml(EXAMPLE).unwrap_or_else(|e| panic!("{e}"));
    let defaults = RealisticConfig::defaults();
    // The example documents every field at its default value, except the faults it
    // switches on to show them.
    let mut example_clean = example.clone();
    example_clean.faults = defaults.faults.clone();
    assert_eq!(example_clean, defaults);
    assert!(example.faults.duplicate > 0.0);
    assert!(matches!(
        ModelConfig::load("store.toml", EXAMPLE),
        Ok(ModelConfig::Realistic(_))
    ));
}

#[test]
fn a_minimal_file_is_short() {
    let c = RealisticConfig::from_toml("[customers]\ncount = 500\n").unwrap();
    assert_eq!(c.customers.count, 500);
    assert!(
        c.store.clicks_per_second > 0.5,
        "mean rate {}",
        c.store.clicks_per_second
    );
}

#[test]
fn unknown_keys_are_errors_with_key_and_line() {
    insta::assert_snapshot!(errors(
        "[store]\nurl = \"https://a.example\"\nsesions_per_day = 5\n"
    ));
    insta::assert_snapshot!(errors(
        "[session]\nmax_pages = 10\n\n[funnel.product]\nexit = 0.5\nbuy = 0.5\n"
    ));
    insta::assert_snapshot!(errors(
        "[[groups]]\nname = \"A\"\nproducts = [1, 9]\nlist_share = 1.0\nproduct_share = 1.0\ncolour = \"red\"\n"
    ));
}

#[test]
fn type_and_syntax_errors_name_key_and_line() {
    insta::assert_snapshot!(errors("[customers]\ncount = \"many\"\n"));
    insta::assert_snapshot!(errors(
        "[traffic]\nutc_offset_hours = 1\nhour_of_day = [1, 2,\n"
    ));
    insta::assert_snapshot!(errors("[faults]\nlate = = 0.1\n"));
}

#[test]
fn value_errors_are_all_reported_with_key_and_line() {
    insta::assert_snapshot!(errors(
        r#"
[store]
url = "ftp://shop"
sessions_per_day = -1

[customers]
count = 20
ids = [1, 10]
countries = { us = 1.0 }

[traffic]
hour_of_day = [1, 2, 3]

[funnel]
landing = { product = 0.5, exit = 0.6 }
group_list = { add_to_cart = 0.5, exit = 0.5 }

[popularity]
kind = "pareto"

[faults]
late = 1.5
"#
    ));
}

#[test]
fn catalog_cart_and_stream_errors_name_key_and_line() {
    insta::assert_snapshot!(errors(
        r#"
[store]
kinesis_stream = "<PROVIDE-YOUR-KINESIS-STREAM-NAME-HERE>"

[catalog]
currency = "usd"

[[groups]]
name = "A"
products = [1, 100]
list_share = 0.5
product_share = 0.5
categories = []
formats = ["Big\u0007"]
price = { median = 0, sigma = 2.0, step = 0.5, ending = 0.999 }

[[groups]]
name = "B"
products = [50, 20000000]
list_share = 0.5
product_share = 0.5
price = { median = 10, step = 1.0, ending = 1.0 }

[cart]
quantity = [0.5, 0.6]

[customers]
signups = ["2026-01-01", "2025-13-01"]

[funnel]
checkout = { remove_from_cart = 0.5, purchase = 0.25, exit = 0.25 }
"#
    ));
    insta::assert_snapshot!(errors(
        "[customers]\nsignups = [\"2026-01-01\", \"2025-01-01\"]\n[cart]\nquantity = []\n"
    ));
}

/// Issue 15: a customer's country is one byte, and the 257th country and beyond were
/// silently folded into others.
#[test]
fn more_than_256_countries_are_refused_not_truncated() {
    let codes: Vec<String> = (b'A'..=b'Z')
        .flat_map(|a| (b'A'..=b'Z').map(move |b| String::from_utf8(vec![a, b]).unwrap()))
        .collect();
    let table = |n: usize| {
        let share = 1.0 / n as f64;
        let entries: Vec<String> = codes[..n]
            .iter()
            .map(|c| format!("{c} = {share}"))
            .collect();
        format!(
            "[customers]\nids = [1, 100000]\ncountries = {{ {} }}\n",
            entries.join(", ")
        )
    };
    let ok = RealisticConfig::from_toml(&table(256)).unwrap();
    assert_eq!(ok.customers.countries.len(), 256);
    let err = RealisticConfig::from_toml(&table(257)).unwrap_err();
    assert_eq!(err.problems.len(), 1, "{err}");
    let p = &err.problems[0];
    assert_eq!(p.key.as_deref(), Some("customers.countries"));
    assert_eq!(p.line, Some(3));
    assert_eq!(p.message, "has 257 countries, at most 256 are allowed");
}

/// A float as TOML writes it (`nan`, `inf` included).
fn toml_float(x: f64) -> String {
    match x {
        x if x.is_nan() => "nan".into(),
        x if x.is_infinite() => if x > 0.0 { "inf" } else { "-inf" }.into(),
        x => format!("{x:?}"),
    }
}

/// Mostly a sound value from `sound`, sometimes a hostile one.
fn amount(sound: impl Strategy<Value = f64> + 'static) -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => sound.boxed(),
        1 => prop_oneof![
            Just(0.0),
            Just(-1.0),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(1e300),
            Just(0.005),
            any::<f64>(),
        ]
        .boxed(),
    ]
}

fn cents(max: u32) -> impl Strategy<Value = f64> {
    (1..=max).prop_map(|c| f64::from(c) / 100.0)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Hostile catalog and cart values (NaN, infinities, negatives, huge, too many
    /// decimals, bad currencies, empty or long lists) give a model that generates
    /// and encodes, or problems that each name a key and a line: never a panic.
    #[test]
    fn any_catalog_values_give_a_model_or_located_problems(
        median in amount(0.01..1e5f64),
        sigma in amount(0.0..1.5f64),
        step in amount(cents(100_000)),
        ending in amount(cents(99)),
        currency in prop_oneof![4 => "[A-Z]{3}", 1 => "[a-zA-Z€]{0,5}"],
        quantity in prop_oneof![
            4 => Just(vec![0.5, 0.5]),
            1 => proptest::collection::vec(amount(0.0..1.0f64), 0..4),
        ],
        categories in 0usize..3,
        signup in prop_oneof![4 => "202[1-9]-0[1-9]-1[0-9]", 1 => "[a-z0-9:-]{0,12}"],
    ) {
        let quantity: Vec<String> = quantity.into_iter().map(toml_float).collect();
        let categories: Vec<String> = (0..categories).map(|i| format!("\"C{i}\"")).collect();
        let text = format!(
            "[customers]\ncount = 100\nsignups = [\"2020-01-01\", \"{signup}\"]\n\
             [catalog]\ncurrency = \"{currency}\"\n[cart]\nquantity = [{}]\n\
             [[groups]]\nname = \"A\"\nproducts = [1, 50]\nlist_share = 1.0\nproduct_share = 1.0\n\
             categories = [{}]\nprice = {{ median = {}, sigma = {}, step = {}, ending = {} }}\n",
            quantity.join(", "),
            categories.join(", "),
            toml_float(median),
            toml_float(sigma),
            toml_float(step),
            toml_float(ending),
        );
        let lines = text.lines().count();
        match RealisticConfig::from_toml(&text) {
            Ok(config) => {
                let m = csgen_model::RealisticModel::new(&config, 1);
                let from = 1_793_577_600_000 + 19 * 3_600_000;
                let events = m.window(from, from + 20 * 60_000, csgen_model::Shard::ALL);
                let mut enc = csgen_model::EventEncoder::new(csgen_model::Format::Json, &m);
                let mut batch = csgen_model::Batch::default();
                for e in &events {
                    enc.push(&m, e, &mut batch);
                }
                for r in batch.records() {
                    prop_assert!(serde_json::from_slice::<serde_json::Value>(r).is_ok());
                }
                for row in m.product_rows() {
                    prop_assert!(row.price_minor > 0, "{row:?}");
                }
            }
            Err(err) => {
                prop_assert!(!err.problems.is_empty());
                for p in &err.problems {
                    prop_assert!(p.key.is_some(), "{p}\n{text}");
                    prop_assert!(p.line.is_some_and(|l| l >= 1 && l <= lines), "{p}\n{text}");
                }
            }
        }
    }
}
