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
