//! Validation of the store configuration: every refusal names the key and the line
//! (`line N: key `k`: message`), warnings are not errors, and all problems of a file
//! are reported together.

use csgen_model::config::{DEFAULT_PROPERTIES, LEGACY_TOKEN_HELP, SUM_TOLERANCE};
use csgen_model::{Problem, StoreConfig};

use crate::common::{edited, line_of, load, problem_for, problems};

/// Asserts one problem for `key`, located on the line `key` is on in `text`, whose
/// Display starts with the location and contains `needle`.
fn assert_located(text: &str, key: &str, needle: &str) -> Problem {
    let all = problems(text);
    let p = problem_for(&all, key).clone();
    let line = line_of(text, key);
    assert_eq!(p.line, Some(line), "{p}");
    let shown = p.to_string();
    assert!(
        shown.starts_with(&format!("line {line}: key `{key}`: ")),
        "{shown}"
    );
    assert!(shown.contains(needle), "{shown:?} lacks {needle:?}");
    p
}

#[test]
fn the_defaults_load_without_problems() {
    let loaded = load(DEFAULT_PROPERTIES);
    let c = &loaded.config;
    assert_eq!(c.store_url, "https://webstore.demo.com");
    assert_eq!((c.customers.min, c.customers.max), (1, 100));
    assert_eq!(c.groups.len(), 2);
    assert_eq!(c.group_click_share, 0.1);
    assert_eq!(c.clicks_per_second, 3.0);
    assert_eq!(c.kinesis_stream.as_deref(), Some("clickstream"));
    // The poll interval is accepted silently (pacing makes it meaningless): no warnings.
    assert_eq!(loaded.warnings, []);
}

#[test]
fn a_missing_key_is_named() {
    for key in [
        "web-store-url",
        "customer-id-min",
        "customer-id-max",
        "group-count",
        "group-name-2",
        "group-product-id-min-1",
        "group-product-id-max-2",
        "probability-browsing-group",
        "probability-browsing-group-1",
        "probability-browsing-products-in-group-2",
        "clicks-per-second",
    ] {
        let all = problems(&edited(&[(key, None)]));
        let p = problem_for(&all, key);
        assert_eq!(p.line, None, "a missing key has no line");
        assert_eq!(p.to_string(), format!("key `{key}`: missing (required)"));
    }
}

#[test]
fn a_non_number_is_named_with_its_line() {
    for (key, bad) in [
        ("customer-id-min", "one"),
        ("customer-id-max", "-5"),
        ("customer-id-max", "1.5"),
        ("group-count", "two"),
        ("group-product-id-min-2", "0x10"),
        ("probability-browsing-group", "10%"),
        ("probability-browsing-group-2", ""),
        ("clicks-per-second", "fast"),
        ("poll-server-status-change", "soon"),
    ] {
        let text = edited(&[(key, Some(bad))]);
        assert_located(&text, key, "not");
    }
}

#[test]
fn min_above_max_is_reported_on_the_max_key_and_names_the_min_key() {
    let text = edited(&[("customer-id-min", Some("101"))]);
    assert_located(&text, "customer-id-max", "customer-id-min");
    let text = edited(&[("group-product-id-min-1", Some("3000"))]);
    let p = assert_located(&text, "group-product-id-max-1", "group-product-id-min-1");
    assert!(p.message.contains("3000"), "{p}");
    // Equal ends are a valid one-id range.
    load(&edited(&[("customer-id-min", Some("100"))]));
}

/// Regression: a range whose min was missing or bad never looked at its max, so a
/// second mistake only showed up after the first was fixed.
#[test]
fn both_ends_of_a_range_are_checked_together() {
    let text = edited(&[("customer-id-min", None), ("customer-id-max", Some("lots"))]);
    let all = problems(&text);
    problem_for(&all, "customer-id-min");
    assert_eq!(
        problem_for(&all, "customer-id-max").line,
        Some(line_of(&text, "customer-id-max"))
    );
}

#[test]
fn a_group_index_outside_the_count_is_named_with_its_line() {
    for key in [
        "group-name-3",
        "group-product-id-min-3",
        "group-product-id-max-7",
        "probability-browsing-group-3",
        "probability-browsing-products-in-group-99",
        "group-name-0",
        "probability-browsing-group-0",
    ] {
        let text = edited(&[(key, Some("1"))]);
        assert_located(&text, key, "outside 1..=2");
    }
}

#[test]
fn a_group_count_out_of_bounds_is_refused() {
    for bad in ["0", "10001", "-1"] {
        let text = edited(&[("group-count", Some(bad))]);
        assert_located(&text, "group-count", bad);
    }
}

/// `group-name-01` or `group-name-+1` is not `group-name-1`: it must not be
/// silently accepted as known and then ignored.
#[test]
fn a_non_canonical_group_index_is_an_unknown_key() {
    for key in [
        "group-name-01",
        "group-name-+1",
        "probability-browsing-group-02",
    ] {
        let text = edited(&[(key, Some("x"))]);
        let loaded = load(&text);
        let w = problem_for(&loaded.warnings, key);
        assert_eq!(w.line, Some(line_of(&text, key)));
        assert!(w.message.contains("unknown"), "{w}");
    }
}

#[test]
fn a_probability_outside_0_1_is_named() {
    for key in [
        "probability-browsing-group",
        "probability-browsing-group-1",
        "probability-browsing-products-in-group-2",
    ] {
        for bad in ["1.5", "-0.1", "NaN", "inf", "1.0000001"] {
            let text = edited(&[(key, Some(bad))]);
            assert_located(&text, key, "probability");
        }
    }
    // The ends are allowed.
    load(&edited(&[("probability-browsing-group", Some("0"))]));
    load(&edited(&[("probability-browsing-group", Some("1"))]));
}

#[test]
fn each_family_must_sum_to_one() {
    for family in [
        "probability-browsing-group-",
        "probability-browsing-products-in-group-",
    ] {
        let first = format!("{family}1");
        let text = edited(&[(&first, Some("0.2"))]);
        let all = problems(&text);
        let key = format!("{family}N");
        let p = problem_for(&all, &key);
        assert_eq!(p.line, Some(line_of(&text, &first)), "{p}");
        assert!(p.message.contains("must sum to 1"), "{p}");
        assert!(
            p.to_string()
                .starts_with(&format!("line {}: key `{key}`: ", line_of(&text, &first))),
            "{p}"
        );
        assert_eq!(all.len(), 1, "only the sum is wrong: {all:#?}");
    }
}

#[test]
fn a_family_sum_within_the_tolerance_is_accepted_and_beyond_is_not() {
    assert_eq!(SUM_TOLERANCE, 1e-6);
    let second = "probability-browsing-group-2";
    load(&edited(&[(second, Some("0.7000009"))]));
    load(&edited(&[(second, Some("0.6999991"))]));
    problems(&edited(&[(second, Some("0.700002"))]));
    problems(&edited(&[(second, Some("0.699998"))]));
}

#[test]
fn a_rate_of_zero_or_less_is_refused() {
    // The one range csgen_model::rate accepts (the pacer cannot honour 1e-20 either).
    for bad in ["0", "-3", "-0.0", "inf", "NaN", "1e-20", "1e308"] {
        let text = edited(&[("clicks-per-second", Some(bad))]);
        assert_located(&text, "clicks-per-second", "outside the accepted range");
    }
    let c = load(&edited(&[("clicks-per-second", Some("0.25"))])).config;
    assert_eq!(c.clicks_per_second, 0.25);
}

#[test]
fn a_bad_token_digest_is_refused_and_a_good_one_read() {
    let good = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let longer = format!("{good}00");
    let not_hex = good.replace('9', "g");
    for bad in ["abc", &good[1..], &longer, &not_hex] {
        let text = edited(&[("token-sha256", Some(bad))]);
        assert_located(&text, "token-sha256", "64 hex digits");
    }
    let c = load(&edited(&[("token-sha256", Some(good))])).config;
    assert_eq!(c.token_sha256.map(hex::encode).as_deref(), Some(good));
    let upper = load(&edited(&[("token-sha256", Some(&good.to_uppercase()))])).config;
    assert_eq!(upper.token_sha256, c.token_sha256);
}

#[test]
fn a_bad_store_url_is_refused() {
    for bad in [
        "webstore.demo.com",
        "ftp://webstore.demo.com",
        "https://webstore.demo.com?x=1",
        "https://webstore.demo.com#top",
        "",
    ] {
        let text = edited(&[("web-store-url", Some(bad))]);
        assert_located(&text, "web-store-url", "URL");
    }
    let c = load(&edited(&[(
        "web-store-url",
        Some("http://shop.test:8080/base/"),
    )]))
    .config;
    assert_eq!(
        c.store_url, "http://shop.test:8080/base",
        "trailing slash dropped"
    );
}

#[test]
fn an_empty_group_name_is_refused() {
    let text = edited(&[("group-name-1", Some("   "))]);
    assert_located(&text, "group-name-1", "empty");
}

/// Issue 15: the original's example file had a placeholder where the stream name goes,
/// and csgen took it as the stream's name (the first AWS call failed, far from the
/// cause).
#[test]
fn a_placeholder_stream_name_is_refused_with_key_and_line() {
    let key = "url-kinesis-stream-name";
    let text = edited(&[(key, Some("<PROVIDE-YOUR-KINESIS-STREAM-NAME-HERE>"))]);
    let p = assert_located(&text, key, "is not a Kinesis stream name");
    assert!(p.message.contains("1 to 128 letters, digits"), "{p}");
    assert!(p.message.contains("placeholder"), "{p}");
    assert_located(
        &edited(&[(key, Some("a b"))]),
        key,
        "is not a Kinesis stream name",
    );
    // Empty means not set, as before; AWS's characters are accepted.
    assert_eq!(
        load(&edited(&[(key, Some(""))])).config.kinesis_stream,
        None
    );
    let ok = load(&edited(&[(key, Some("clicks_v2.prod-1"))]));
    assert_eq!(
        ok.config.kinesis_stream.as_deref(),
        Some("clicks_v2.prod-1")
    );
}

#[test]
fn unknown_keys_are_warnings_with_their_line() {
    let text = edited(&[("colour", Some("blue")), ("custmer-id-min", Some("1"))]);
    let loaded = load(&text);
    for key in ["colour", "custmer-id-min"] {
        let w = problem_for(&loaded.warnings, key);
        assert_eq!(w.line, Some(line_of(&text, key)));
        assert!(w.message.contains("unknown key"), "{w}");
    }
    assert_eq!(loaded.config, StoreConfig::defaults());
}

#[test]
fn legacy_token_as_hash_is_a_warning_that_explains_the_new_key() {
    let text = edited(&[("token-as-hash", Some("-1234567"))]);
    let loaded = load(&text);
    let line = line_of(&text, "token-as-hash");
    let w = problem_for(&loaded.warnings, "token-as-hash");
    assert_eq!(w.line, Some(line));
    assert_eq!(w.message, LEGACY_TOKEN_HELP);
    for needle in ["token-sha256", "csgen token-hash", "CS_TOKEN"] {
        assert!(LEGACY_TOKEN_HELP.contains(needle), "{needle}");
    }
    assert_eq!(
        loaded.config.token_sha256, None,
        "the old hash is never used"
    );
    assert_eq!(loaded.config.legacy_token_line, Some(line));
}

#[test]
fn several_problems_are_reported_at_once_in_line_order() {
    let text = edited(&[
        ("customer-id-min", Some("x")),
        ("group-name-1", None),
        ("probability-browsing-group", Some("2")),
        ("clicks-per-second", Some("0")),
        ("group-name-5", Some("Games")),
        ("token-sha256", Some("zz")),
    ]);
    let err = StoreConfig::from_properties_text(&text).unwrap_err();
    let keys: Vec<_> = err.problems.iter().map(|p| p.key.as_deref()).collect();
    assert_eq!(
        keys,
        [
            Some("customer-id-min"),
            Some("probability-browsing-group"),
            Some("clicks-per-second"),
            Some("group-name-5"),
            Some("token-sha256"),
            Some("group-name-1"), // missing: no line, so last
        ],
        "{err}"
    );
    let shown = err.to_string();
    assert!(
        shown.starts_with("6 problems in the configuration\n  line "),
        "{shown}"
    );
    assert_eq!(shown.lines().count(), 7, "{shown}");
}

#[test]
fn an_empty_file_lists_every_required_key() {
    let all = problems("");
    for key in [
        "web-store-url",
        "customer-id-min",
        "customer-id-max",
        "group-count",
        "probability-browsing-group",
        "clicks-per-second",
    ] {
        problem_for(&all, key);
    }
}
