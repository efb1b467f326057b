//! TOML configuration: defaults, the example file, and errors that name key and line.

use csgen_model::{ModelConfig, RealisticConfig};

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
