//! Strings from records, made safe to print on a terminal.
//!
//! A record's URL, referrer or group name can hold anything the raw input held,
//! including escape sequences that move the cursor, rewrite what is on screen or set
//! the window title, and bidirectional overrides that reorder what a reader sees.
//! [`for_terminal`] shows such characters as escapes (`\n`, `\u{1b}`); text without
//! them is passed through untouched.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as it is: C0 and C1 control characters, DEL,
/// and the bidirectional embeddings, overrides and isolates.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every [`is_unsafe`] character escaped as Rust writes it (`\t`, `\n`,
/// `\u{1b}`, `\u{202e}`).
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// JSON text with the [`is_unsafe`] characters a JSON writer leaves as they are (DEL,
/// C1, bidirectional controls; C0 is always escaped) written as `\uXXXX` escapes,
/// which every JSON reader reads back as the same characters. Such characters only
/// occur inside JSON strings, so the document means the same.
pub fn json_for_terminal(json: String) -> String {
    if !json.chars().any(is_unsafe_in_json) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe_in_json(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// Unsafe, and not structural whitespace (which outside strings is layout, and inside
/// strings the writer has already escaped).
fn is_unsafe_in_json(c: char) -> bool {
    is_unsafe(c) && !matches!(c, '\n' | '\r' | '\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_as_escapes() {
        assert!(matches!(
            for_terminal("plain ümlaut 日本"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            for_terminal("a\u{1b}]0;pwned\u{7}b\r\nc\td\u{7f}\u{9b}31m\u{202e}x"),
            "a\\u{1b}]0;pwned\\u{7}b\\r\\nc\\td\\u{7f}\\u{9b}31m\\u{202e}x"
        );
    }

    #[test]
    fn json_keeps_its_meaning() {
        let v = serde_json::json!({ "url": "a\u{1b}[2J\u{9b}b\u{202e}", "n": 1 });
        let text = json_for_terminal(serde_json::to_string_pretty(&v).unwrap());
        assert!(!text.chars().any(|c| is_unsafe(c) && c != '\n'), "{text:?}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
    }
}
