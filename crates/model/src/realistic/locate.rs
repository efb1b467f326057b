//! Finding keys and lines in TOML text, so every configuration problem names both.
//!
//! `toml` reports a byte span for syntax and type errors but not the key path; the
//! validator knows the key path but not the line. Both are resolved here against the
//! spanned document (`toml::de::DeTable`).

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::Problem;

/// 1-based line of byte offset `pos`.
pub fn line_at(text: &str, pos: usize) -> usize {
    let pos = pos.min(text.len());
    text.as_bytes()[..pos]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// A parsed document to locate keys in (empty when the text does not parse).
pub struct Locator<'t> {
    text: &'t str,
    doc: Option<Spanned<DeTable<'t>>>,
}

impl<'t> Locator<'t> {
    pub fn new(text: &'t str) -> Self {
        Self {
            text,
            doc: DeTable::parse(text).ok(),
        }
    }

    /// The dotted key path (`funnel.product.exit`, `groups[1].name`) at byte `pos`.
    pub fn path_at(&self, pos: usize) -> Option<String> {
        let doc = self.doc.as_ref()?;
        let mut path = Vec::new();
        descend(doc.get_ref(), pos, &mut path);
        (!path.is_empty()).then(|| join(&path))
    }

    /// The line of the last key of `path` (dotted, with `[i]` for array items).
    pub fn line_of(&self, path: &str) -> Option<usize> {
        let doc = self.doc.as_ref()?;
        let mut table = doc.get_ref();
        let mut span: Option<Range<usize>> = None;
        let mut current: Option<&Spanned<DeValue>> = None;
        for part in split(path) {
            match part {
                Part::Key(k) => {
                    if let Some(v) = current {
                        table = v.get_ref().as_table()?;
                    }
                    let (key, value) = table.get_key_value(k.as_ref())?;
                    span = Some(key.span());
                    current = Some(value);
                }
                Part::Index(i) => {
                    let item = current?.get_ref().as_array()?.get(i)?;
                    span = Some(item.span());
                    current = Some(item);
                }
            }
        }
        span.map(|s| line_at(self.text, s.start))
    }

    /// A problem about `path`, with its line when the key is in the file.
    pub fn problem(&self, path: &str, message: impl Into<String>) -> Problem {
        Problem::at(path, self.line_of(path), message)
    }

    /// A problem for a `toml` error: its line from the span, its key from the document
    /// (or, for text that does not parse, the `key =` on that line).
    pub fn toml_error(&self, err: &toml::de::Error) -> Problem {
        let message = err.message().trim().to_owned();
        let Some(span) = err.span() else {
            return Problem {
                key: None,
                line: None,
                message,
            };
        };
        let line = line_at(self.text, span.start);
        let key = self
            .path_at(span.start)
            .or_else(|| key_on_line(self.text, line));
        Problem {
            key,
            line: Some(line),
            message,
        }
    }
}

/// Depth-first: table and array spans cover only their headers, so look inside them.
fn descend(table: &DeTable, pos: usize, path: &mut Vec<Part<'static>>) -> bool {
    for (key, value) in table.iter() {
        path.push(Part::owned_key(key.get_ref()));
        if key.span().contains(&pos) || descend_value(value, pos, path) {
            return true;
        }
        path.pop();
    }
    false
}

fn descend_value(value: &Spanned<DeValue>, pos: usize, path: &mut Vec<Part<'static>>) -> bool {
    match value.get_ref() {
        DeValue::Table(t) => descend(t, pos, path) || value.span().contains(&pos),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Part::Index(i));
                if descend_value(item, pos, path) {
                    return true;
                }
                path.pop();
            }
            value.span().contains(&pos) || value.span().end == pos
        }
        _ => value.span().contains(&pos) || value.span().end == pos,
    }
}

/// For text that does not parse: the key before `=` on `line`, with its table header.
fn key_on_line(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let this = lines.get(line.checked_sub(1)?)?;
    let key = this
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"'));
    let header = lines[..line - 1].iter().rev().find_map(|l| {
        let l = l.trim();
        l.starts_with('[')
            .then(|| l.trim_matches(|c| c == '[' || c == ']').trim().to_owned())
    });
    match (header, key) {
        (Some(h), Some(k)) if !k.is_empty() => Some(format!("{h}.{k}")),
        (None, Some(k)) if !k.is_empty() => Some(k.to_owned()),
        (Some(h), _) => Some(h),
        _ => None,
    }
}

enum Part<'a> {
    Key(std::borrow::Cow<'a, str>),
    Index(usize),
}

impl Part<'static> {
    fn owned_key(k: &str) -> Self {
        Part::Key(std::borrow::Cow::Owned(k.to_owned()))
    }
}

fn join(path: &[Part]) -> String {
    let mut out = String::new();
    for part in path {
        match part {
            Part::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Part::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn split(path: &str) -> impl Iterator<Item = Part<'_>> {
    path.split('.').flat_map(|seg| {
        let (name, rest) = seg.split_once('[').unwrap_or((seg, ""));
        let key = (!name.is_empty()).then_some(Part::Key(std::borrow::Cow::Borrowed(name)));
        let indexes = rest
            .split('[')
            .filter_map(|s| s.trim_end_matches(']').parse().ok())
            .map(Part::Index);
        key.into_iter().chain(indexes).collect::<Vec<_>>()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str =
        "a = 1\n[store]\nurl = \"x\"\n\n[[groups]]\nname = \"B\"\n[[groups]]\nname = \"M\"\n";

    #[test]
    fn finds_lines_of_nested_and_array_keys() {
        let l = Locator::new(TEXT);
        assert_eq!(l.line_of("a"), Some(1));
        assert_eq!(l.line_of("store.url"), Some(3));
        assert_eq!(l.line_of("groups[1].name"), Some(8));
        assert_eq!(l.line_of("store.nope"), None);
    }

    #[test]
    fn finds_path_at_a_position() {
        let l = Locator::new(TEXT);
        let pos = TEXT.find("\"M\"").unwrap();
        assert_eq!(l.path_at(pos).as_deref(), Some("groups[1].name"));
    }

    #[test]
    fn key_on_a_broken_line() {
        assert_eq!(
            key_on_line("[session]\nmax_pages = = 3\n", 2).as_deref(),
            Some("session.max_pages")
        );
    }
}
