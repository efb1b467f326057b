//! The `.properties` syntax, case by case, as `java.util.Properties` reads it.

use csgen_model::StoreConfig;
use csgen_model::config::DEFAULT_PROPERTIES;
use csgen_model::properties::Properties;

fn parse(text: &str) -> Properties {
    Properties::parse(text).unwrap_or_else(|e| panic!("{text:?} must parse: {e}"))
}

/// (value, line) of `key`, panicking with the whole map when absent.
fn get(p: &Properties, key: &str) -> (String, usize) {
    let e = p
        .get(key)
        .unwrap_or_else(|| panic!("{key:?} missing in {:?}", p.iter().collect::<Vec<_>>()));
    (e.value.clone(), e.line)
}

#[test]
fn hash_and_bang_comments_anywhere_after_leading_whitespace() {
    let p = parse("# a=1\n! b=2\n   # c=3\n\t! d=4\ne=5\n");
    assert_eq!(p.len(), 1, "{:?}", p.iter().collect::<Vec<_>>());
    assert_eq!(get(&p, "e"), ("5".into(), 5));
}

#[test]
fn hash_after_a_value_is_part_of_the_value() {
    let p = parse("a=1 # not a comment\nb=x!y\n");
    assert_eq!(get(&p, "a").0, "1 # not a comment");
    assert_eq!(get(&p, "b").0, "x!y");
}

#[test]
fn the_three_separators_and_their_whitespace() {
    let p = parse("eq=1\ncolon: 2\nspace 3\ntab\t4\nff\x0c5\nboth = : 6\nspaced   =   7\n");
    assert_eq!(get(&p, "eq"), ("1".into(), 1));
    assert_eq!(get(&p, "colon"), ("2".into(), 2));
    assert_eq!(get(&p, "space"), ("3".into(), 3));
    assert_eq!(get(&p, "tab"), ("4".into(), 4));
    assert_eq!(get(&p, "ff"), ("5".into(), 5));
    // Only the first separator counts; a second one starts the value.
    assert_eq!(get(&p, "both").0, ": 6");
    assert_eq!(get(&p, "spaced").0, "7");
}

#[test]
fn the_first_separator_splits_and_later_ones_are_value() {
    let p = parse("url=https://x.example/a=b:c\nk:v=w\n");
    assert_eq!(get(&p, "url").0, "https://x.example/a=b:c");
    assert_eq!(get(&p, "k").0, "v=w");
}

#[test]
fn leading_whitespace_is_dropped_and_trailing_whitespace_kept() {
    let p = parse("   \t key   =   value with spaces  \n");
    assert_eq!(get(&p, "key").0, "value with spaces  ");
}

#[test]
fn keys_without_values_are_empty() {
    let p = parse("alone\nempty=\ncolon:\n  padded   \n");
    for key in ["alone", "empty", "colon", "padded"] {
        assert_eq!(get(&p, key).0, "", "{key}");
    }
}

#[test]
fn blank_and_whitespace_only_lines_are_skipped_but_counted() {
    let p = parse("\n   \n\t\n\x0c\na=1\n\n\nb=2");
    assert_eq!(p.len(), 2);
    assert_eq!(get(&p, "a").1, 5);
    assert_eq!(get(&p, "b").1, 8);
}

#[test]
fn crlf_and_lone_cr_line_endings() {
    let p = parse("a=1\r\nb=2\rc=3\r\n");
    assert_eq!(get(&p, "a"), ("1".into(), 1));
    assert_eq!(get(&p, "b"), ("2".into(), 2));
    assert_eq!(get(&p, "c"), ("3".into(), 3));
}

#[test]
fn continuation_strips_leading_whitespace_of_the_next_line() {
    let p = parse("list = a, \\\n      b, \\\n\t\tc\nnext=1\n");
    assert_eq!(get(&p, "list"), ("a, b, c".into(), 1));
    assert_eq!(get(&p, "next").1, 4);
}

#[test]
fn continuation_inside_a_key() {
    let p = parse("group-\\\n   count=2\n");
    assert_eq!(get(&p, "group-count"), ("2".into(), 1));
}

#[test]
fn an_even_number_of_backslashes_does_not_continue() {
    let p = parse("a=x\\\\\nb=y\n");
    assert_eq!(get(&p, "a").0, "x\\");
    assert_eq!(get(&p, "b"), ("y".into(), 2));
}

#[test]
fn a_comment_line_never_continues() {
    let p = parse("# comment \\\nb=1\n");
    assert_eq!(get(&p, "b"), ("1".into(), 2));
}

#[test]
fn a_continued_line_may_continue_into_a_hash() {
    let p = parse("a=1\\\n#2\n");
    assert_eq!(get(&p, "a").0, "1#2");
}

/// Regression: the last line of a file without a final newline, ending in a
/// continuation backslash, was silently dropped (Java keeps it).
#[test]
fn continuation_at_end_of_file_without_newline_keeps_the_entry() {
    let p = parse("a=1\nb=2\\");
    assert_eq!(get(&p, "b"), ("2".into(), 2));
    let p = parse("a=1\nb=2\\\n");
    assert_eq!(get(&p, "b"), ("2".into(), 2));
}

#[test]
fn escapes_in_values() {
    let p = parse(
        "tab=a\\tb\nnl=a\\nb\ncr=a\\rb\nff=a\\fb\nbs=a\\\\b\nuni=\\u00e9\\u20AC\\u0041\nother=\\q\\z\n",
    );
    assert_eq!(get(&p, "tab").0, "a\tb");
    assert_eq!(get(&p, "nl").0, "a\nb");
    assert_eq!(get(&p, "cr").0, "a\rb");
    assert_eq!(get(&p, "ff").0, "a\x0cb");
    assert_eq!(get(&p, "bs").0, "a\\b");
    assert_eq!(get(&p, "uni").0, "é€A");
    assert_eq!(
        get(&p, "other").0,
        "qz",
        "an unknown escape is the character"
    );
}

#[test]
fn escaped_separators_and_specials_in_keys() {
    let p = parse("a\\=b=1\nc\\:d:2\ne\\ f 3\n\\#g=4\n\\!h=5\nv=x\\=y\\:z\n");
    assert_eq!(get(&p, "a=b").0, "1");
    assert_eq!(get(&p, "c:d").0, "2");
    assert_eq!(get(&p, "e f").0, "3");
    assert_eq!(get(&p, "#g").0, "4");
    assert_eq!(get(&p, "!h").0, "5");
    assert_eq!(get(&p, "v").0, "x=y:z");
}

#[test]
fn escaped_leading_space_in_a_value_is_kept() {
    let p = parse("a=\\  x\n");
    assert_eq!(get(&p, "a").0, "  x");
}

#[test]
fn unicode_text_is_read_as_utf8() {
    let p = parse("name=Bücher & Filme 📚\nschlüssel=wert\n");
    assert_eq!(get(&p, "name").0, "Bücher & Filme 📚");
    assert_eq!(get(&p, "schlüssel").0, "wert");
}

#[test]
fn a_utf8_byte_order_mark_is_not_part_of_the_first_key() {
    let p = parse("\u{feff}a=1\nb=2\n");
    assert_eq!(get(&p, "a"), ("1".into(), 1));
}

#[test]
fn duplicates_keep_the_last_value_and_its_line() {
    let p = parse("a=1\nb=x\na=2\na: 3\n");
    assert_eq!(get(&p, "a"), ("3".into(), 4));
    assert_eq!(p.len(), 2);
}

#[test]
fn bad_unicode_escapes_are_errors_that_name_the_line() {
    for (text, line) in [
        ("a=1\nb=\\u12\n", 2),     // not enough digits
        ("a=1\nb=\\u00zz\n", 2),   // not hex
        ("a=1\n\nc=\\uD800\n", 3), // a lone surrogate is no character
        ("a=1\nlong=x\\\n  \\uqqqq\n", 2),
    ] {
        let err = Properties::parse(text).expect_err(text);
        assert_eq!(err.line, Some(line), "{text:?}: {err}");
        assert!(
            err.to_string().starts_with(&format!("line {line}: ")),
            "{err}"
        );
        assert!(err.to_string().contains("\\u"), "{err}");
    }
}

#[test]
fn a_bad_escape_fails_the_whole_config_with_its_line() {
    let err = StoreConfig::from_properties_text("customer-id-min=\\u00g1\n").unwrap_err();
    assert_eq!(err.problems.len(), 1);
    assert_eq!(err.problems[0].line, Some(1));
}

/// The default file rewritten with `:` and whitespace separators, odd spacing,
/// comments and continuations means exactly the same configuration.
#[test]
fn every_separator_style_gives_the_same_config() {
    let mut text = String::from("! rewritten\n");
    for (i, line) in DEFAULT_PROPERTIES.lines().enumerate() {
        match line.split_once('=') {
            Some((k, v)) => match i % 4 {
                0 => text.push_str(&format!("{k}: {v}\n")),
                1 => text.push_str(&format!("  {k}   {v}  \n")),
                2 => text.push_str(&format!("{k} =\\\n     {v}\n")),
                _ => text.push_str(&format!("{k}\t=\t{v}\n\n")),
            },
            None => text.push_str(&format!("{line}\n")),
        }
    }
    let loaded = StoreConfig::from_properties_text(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(loaded.config, StoreConfig::defaults());
}
