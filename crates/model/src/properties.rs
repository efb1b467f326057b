//! Java-style `.properties` files, as the original generator read them.
//!
//! The syntax (comments with `#`/`!`, `=`/`:`/space separators, continuation lines,
//! escapes) is handled by the `java-properties` crate; this module keeps the line
//! number of every entry so that validation can say where a bad value is.

use std::collections::BTreeMap;

use crate::error::Problem;

/// One `key=value` entry and the (1-based) line it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub value: String,
    pub line: usize,
}

/// The entries of one properties file, by key. A key given twice keeps the last
/// value, as `java.util.Properties` does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Properties {
    entries: BTreeMap<String, Entry>,
}

impl Properties {
    /// Parses properties text. Fails only on malformed syntax (a bad `\u` escape);
    /// the error names the line.
    pub fn parse(text: &str) -> Result<Self, Problem> {
        let mut entries = BTreeMap::new();
        // `java-properties` drops a last line that ends in a continuation backslash when
        // no newline follows; Java keeps it. An extra empty line changes nothing else.
        let newline = if text.ends_with(['\n', '\r']) {
            ""
        } else {
            "\n"
        };
        let text = [text, newline].concat();
        let iter =
            java_properties::PropertiesIter::new_with_encoding(text.as_bytes(), encoding_rs::UTF_8);
        for line in iter {
            let line = line.map_err(|e| Problem {
                key: None,
                line: e.line_number(),
                message: e.to_string(),
            })?;
            let number = line.line_number();
            if let java_properties::LineContent::KVPair(key, value) = line.consume_content() {
                entries.insert(
                    key,
                    Entry {
                        value,
                        line: number,
                    },
                );
            }
        }
        Ok(Self { entries })
    }

    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Entry)> {
        self.entries.iter().map(|(k, e)| (k.as_str(), e))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(p: &Properties, key: &str) -> String {
        p.get(key).map(|e| e.value.clone()).unwrap_or_default()
    }

    #[test]
    fn separators_comments_and_blank_lines() {
        let p =
            Properties::parse("# comment\n! also a comment\n\na=1\nb: 2\nc 3\n  d  =  4  \ne=\n")
                .unwrap();
        assert_eq!(value(&p, "a"), "1");
        assert_eq!(value(&p, "b"), "2");
        assert_eq!(value(&p, "c"), "3");
        assert_eq!(
            value(&p, "d"),
            "4  ",
            "trailing whitespace is part of a value"
        );
        assert_eq!(value(&p, "e"), "");
        assert_eq!(p.len(), 5);
        assert_eq!(p.get("a").unwrap().line, 4);
        assert_eq!(p.get("d").unwrap().line, 7);
    }

    #[test]
    fn continuation_lines_join_and_keep_first_line_number() {
        let p = Properties::parse("x=1\nlong = one, \\\n    two, \\\n    three\ny=2\n").unwrap();
        assert_eq!(value(&p, "long"), "one, two, three");
        assert_eq!(p.get("long").unwrap().line, 2);
        assert_eq!(p.get("y").unwrap().line, 5);
    }

    #[test]
    fn escapes() {
        let p = Properties::parse("k\\=ey=a\\tb\\nc\\u0041\\\\\nsp\\ ace=v\n").unwrap();
        assert_eq!(value(&p, "k=ey"), "a\tb\ncA\\");
        assert_eq!(value(&p, "sp ace"), "v");
    }

    #[test]
    fn last_duplicate_wins() {
        let p = Properties::parse("a=1\na=2\n").unwrap();
        assert_eq!(
            p.get("a"),
            Some(&Entry {
                value: "2".into(),
                line: 2
            })
        );
    }

    #[test]
    fn bad_unicode_escape_names_the_line() {
        let err = Properties::parse("a=1\nb=\\u00zz\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
