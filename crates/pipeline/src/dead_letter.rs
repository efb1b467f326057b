//! Dead letters: the records enrich rejected, with why and where, as JSON lines.
//!
//! A dead letter keeps the raw record losslessly: as text when it is UTF-8
//! (`raw`), otherwise base64 (`raw_base64`). They are committed to the lake under
//! `dead_letters/` together with the events of the same flush.

use base64::Engine as _;
use serde::Serialize;

use crate::enrich::Position;
use crate::reason::Reason;

#[derive(Debug, Serialize)]
pub struct DeadLetter<'a> {
    /// The stable reason code (`bad_json`, `unknown_path`, …).
    pub reason_code: &'static str,
    /// The reason in words, naming the field.
    pub reason: String,
    /// Where the record came from (`file:PATH`, `stdin`, `generator`).
    pub source: &'a str,
    pub line: u64,
    pub offset: u64,
    pub arrival_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_base64: Option<String>,
}

impl<'a> DeadLetter<'a> {
    pub fn new(reason: &Reason, source: &'a str, pos: Position, bytes: &'a [u8]) -> Self {
        let (raw, raw_base64) = match std::str::from_utf8(bytes) {
            Ok(text) => (Some(text), None),
            Err(_) => (
                None,
                Some(base64::engine::general_purpose::STANDARD.encode(bytes)),
            ),
        };
        Self {
            reason_code: reason.code(),
            reason: reason.to_string(),
            source,
            line: pos.line,
            offset: pos.offset,
            arrival_ms: pos.arrival_ms,
            raw,
            raw_base64,
        }
    }

    /// Appends the letter and a newline to `out`.
    pub fn write_line(&self, out: &mut Vec<u8>) {
        serde_json::to_writer(&mut *out, self).expect("a dead letter always serialises");
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_raw_bytes_losslessly() {
        let pos = Position {
            line: 7,
            offset: 99,
            arrival_ms: 5,
        };
        let mut out = Vec::new();
        DeadLetter::new(&Reason::MissingField("url"), "stdin", pos, b"{\"a\":1}")
            .write_line(&mut out);
        DeadLetter::new(
            &Reason::NotUtf8 { valid_up_to: 0 },
            "stdin",
            pos,
            b"\xff\x00",
        )
        .write_line(&mut out);
        insta::assert_snapshot!(String::from_utf8(out).unwrap(), @r#"
        {"reason_code":"missing_field","reason":"missing field `url`","source":"stdin","line":7,"offset":99,"arrival_ms":5,"raw":"{\"a\":1}"}
        {"reason_code":"not_utf8","reason":"not UTF-8 (invalid byte at 0)","source":"stdin","line":7,"offset":99,"arrival_ms":5,"raw_base64":"/wA="}
        "#);
    }
}
