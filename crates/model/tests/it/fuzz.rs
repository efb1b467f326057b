//! Property-based tests and the fuzz corpora's replay: no input, however broken,
//! makes the properties reader, the TOML config or the ground-truth reader panic, and
//! what loads can be used. The checks are `csgen_model::fuzzing`'s, which the
//! `cargo fuzz` targets in `fuzz/` run too.

use csgen_model::config::DEFAULT_PROPERTIES;
use csgen_model::fuzzing::{self, Outcome};
use csgen_testkit::corpus;
use proptest::prelude::*;

/// Loads `text`; when it is valid, also builds and runs everything downstream.
fn load_and_use(text: &str) {
    fuzzing::properties(text.as_bytes());
}

/// Edits at char positions of the default file: insert, delete or replace.
fn mutate(text: &str, edits: &[(usize, u8, char)]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for &(at, op, c) in edits {
        let i = at % (chars.len() + 1);
        match op % 3 {
            0 => chars.insert(i, c),
            1 if i < chars.len() => {
                chars.remove(i);
            }
            _ if i < chars.len() => chars[i] = c,
            _ => chars.push(c),
        }
    }
    chars.into_iter().collect()
}

/// Characters that matter to the syntax, plus digits and letters of values.
fn syntax_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::sample::select(vec![
            '=', ':', ' ', '\t', '\n', '\r', '\\', '#', '!', 'u', '-', '.', '0', '1', '9', 'e',
            '\u{feff}', '\u{0}', 'é', '😀', '\u{c}',
        ]),
        any::<char>(),
    ]
}

/// Values that probe the validation of a key.
fn nasty_value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            "-1",
            "0",
            "1",
            "0.5",
            "1e309",
            "-0",
            "NaN",
            "inf",
            "18446744073709551615",
            "18446744073709551616",
            "4294967296",
            "10000",
            "0x10",
            "abc",
            "\\u00zz",
            "\\",
            "https://x.example",
            "1 # c",
        ])
        .prop_map(str::to_owned),
        "[0-9.eE+-]{0,12}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        load_and_use(&text);
    }

    #[test]
    fn syntax_soup_never_panics(chars in prop::collection::vec(syntax_char(), 0..300)) {
        load_and_use(&chars.into_iter().collect::<String>());
    }

    #[test]
    fn mutations_of_the_default_file_never_panic(
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), syntax_char()), 1..12),
    ) {
        load_and_use(&mutate(DEFAULT_PROPERTIES, &edits));
    }

    #[test]
    fn nasty_values_for_real_keys_never_panic(
        picks in prop::collection::vec((0usize..40, nasty_value()), 1..6),
    ) {
        let keys: Vec<&str> = DEFAULT_PROPERTIES
            .lines()
            .filter_map(|l| l.split_once('=').map(|(k, _)| k))
            .chain(["token-sha256", "token-as-hash", "group-name-3", "group-name-0"])
            .collect();
        let edits: Vec<(&str, Option<&str>)> = picks
            .iter()
            .map(|(i, v)| (keys[i % keys.len()], Some(v.as_str())))
            .collect();
        load_and_use(&crate::common::edited(&edits));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_bytes_never_panic_the_properties_reader(data in corpus::inputs("properties")) {
        fuzzing::properties(&data);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_toml_config(data in corpus::inputs("toml_config")) {
        fuzzing::toml_config(&data);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_manifest_reader(data in corpus::inputs("manifest")) {
        fuzzing::manifest(&data);
    }
}

#[test]
fn the_properties_corpus_replays() {
    corpus::replay("properties", fuzzing::properties, &Outcome::BOTH);
}

#[test]
fn the_toml_config_corpus_replays() {
    corpus::replay("toml_config", fuzzing::toml_config, &Outcome::BOTH);
}

#[test]
fn the_manifest_corpus_replays() {
    corpus::replay("manifest", fuzzing::manifest, &Outcome::BOTH);
}
