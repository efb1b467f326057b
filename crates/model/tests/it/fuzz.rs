//! Property-based tests: no text, however broken, makes config loading panic, and
//! any configuration that loads can generate and encode clicks.

use csgen_model::config::DEFAULT_PROPERTIES;
use csgen_model::{ConfigError, Encoder, Format, Generator, Schedule, Shard, StoreConfig, produce};
use proptest::prelude::*;

/// Loads `text`; when it is valid, also builds and runs everything downstream.
fn load_and_use(text: &str) -> Result<(), TestCaseError> {
    let lines = text.split(['\n', '\r']).count();
    match StoreConfig::from_properties_text(text) {
        Ok(loaded) => {
            let config = loaded.config;
            let _ = config.to_string();
            let generator = Generator::new(&config, 1);
            let schedule = Schedule::new(0, 0, config.clicks_per_second);
            for format in [Format::Json, Format::Url] {
                let mut encoder = Encoder::new(format, &config.store_url);
                let batch = produce(&generator, &mut encoder, &schedule, Shard::ALL, 0, 20);
                prop_assert_eq!(batch.len(), 20);
                for c in &batch.clicks {
                    prop_assert!(config.customers.contains(c.user_id));
                    let g = &config.groups[c.group_id as usize - 1];
                    if let Some(p) = c.product_id {
                        prop_assert!(g.products.contains(p));
                    }
                }
            }
            for w in &loaded.warnings {
                prop_assert!(w.line.is_some_and(|l| l >= 1 && l <= lines), "{w}");
            }
        }
        Err(ConfigError { problems }) => {
            prop_assert!(!problems.is_empty());
            for p in &problems {
                prop_assert!(p.line.is_none_or(|l| l >= 1 && l <= lines), "{p}");
                prop_assert!(!p.to_string().is_empty());
            }
        }
    }
    Ok(())
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
        load_and_use(&text)?;
    }

    #[test]
    fn syntax_soup_never_panics(chars in prop::collection::vec(syntax_char(), 0..300)) {
        load_and_use(&chars.into_iter().collect::<String>())?;
    }

    #[test]
    fn mutations_of_the_default_file_never_panic(
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), syntax_char()), 1..12),
    ) {
        load_and_use(&mutate(DEFAULT_PROPERTIES, &edits))?;
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
        load_and_use(&crate::common::edited(&edits))?;
    }
}
