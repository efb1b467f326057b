//! What `csgen collect` accepts, as pure functions: request bodies into records, and a
//! tracking pixel's query and headers into a record.
//!
//! A body is a JSON array (`Content-Type: application/json`, or a body that starts with
//! `[`), a single JSON object (`application/json`), or lines (ndjson, csgen's JSON
//! records, the original's `{"url":…}` records, bare URLs: anything else). A line is
//! passed on as it is, even if no pipeline can read it: a record broken on purpose by
//! the realistic model's faults must reach the lake's dead letters, not be refused
//! here. What is refused (400) is a body that cannot be split into records: an array
//! that is not JSON, an element that is neither an object nor a string, bytes that are
//! not UTF-8, an empty body. Records or lines over the limits are 413.

use serde_json::value::RawValue;

/// Limits on one request's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordLimits {
    /// Most records in one request.
    pub max_records: usize,
    /// Most bytes in one record.
    pub max_record_bytes: usize,
}

/// Why a body was refused; the status it is answered with follows from the variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// 400: the body cannot be read as records.
    #[error("{0}")]
    Malformed(String),
    /// 413: over a limit.
    #[error("{0}")]
    TooLarge(String),
    /// 415: a content type csgen does not read.
    #[error(
        "content type {0:?} is not accepted: send application/json, application/x-ndjson or text/plain"
    )]
    Unsupported(String),
}

/// How the body is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Json,
    Lines,
}

fn shape(content_type: Option<&str>, body: &[u8]) -> Result<Shape, BodyError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let media = content_type
        .map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    match media.as_str() {
        "application/json" => Ok(Shape::Json),
        ""
        | "application/x-ndjson"
        | "application/ndjson"
        | "application/jsonl"
        | "application/x-jsonlines"
        | "text/plain"
        | "application/octet-stream" => Ok(if first == Some(&b'[') {
            Shape::Json
        } else {
            Shape::Lines
        }),
        _ => Err(BodyError::Unsupported(media)),
    }
}

/// Splits a request body into records.
pub fn records(
    body: &[u8],
    content_type: Option<&str>,
    limits: RecordLimits,
) -> Result<Vec<Vec<u8>>, BodyError> {
    let text = std::str::from_utf8(body).map_err(|e| {
        let line = body[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1;
        BodyError::Malformed(format!("line {line}: not UTF-8 (byte {})", e.valid_up_to()))
    })?;
    let records = match shape(content_type, body)? {
        Shape::Json => json(text, limits)?,
        Shape::Lines => lines(text, limits)?,
    };
    if records.is_empty() {
        return Err(BodyError::Malformed("no records in the body".into()));
    }
    Ok(records)
}

fn too_many(limits: RecordLimits) -> BodyError {
    BodyError::TooLarge(format!(
        "more than {} records in one request",
        limits.max_records
    ))
}

fn lines(text: &str, limits: RecordLimits) -> Result<Vec<Vec<u8>>, BodyError> {
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        if line.len() > limits.max_record_bytes {
            return Err(BodyError::TooLarge(format!(
                "line {}: {} bytes, over the limit of {} bytes a record",
                i + 1,
                line.len(),
                limits.max_record_bytes
            )));
        }
        if out.len() == limits.max_records {
            return Err(too_many(limits));
        }
        out.push(line.as_bytes().to_vec());
    }
    Ok(out)
}

fn json(text: &str, limits: RecordLimits) -> Result<Vec<Vec<u8>>, BodyError> {
    let trimmed = text.trim_start();
    let elements: Vec<&RawValue> = if trimmed.starts_with('[') {
        serde_json::from_str(text)
            .map_err(|e| BodyError::Malformed(format!("not a JSON array of records: {e}")))?
    } else {
        let one: &RawValue = serde_json::from_str(text)
            .map_err(|e| BodyError::Malformed(format!("not JSON: {e}")))?;
        vec![one]
    };
    if elements.len() > limits.max_records {
        return Err(too_many(limits));
    }
    elements
        .into_iter()
        .enumerate()
        .map(|(i, raw)| {
            let record = match raw.get().as_bytes().first() {
                Some(b'{') => raw.get().as_bytes().to_vec(),
                Some(b'"') => serde_json::from_str::<String>(raw.get())
                    .map_err(|e| BodyError::Malformed(format!("element {i}: {e}")))?
                    .into_bytes(),
                _ => {
                    return Err(BodyError::Malformed(format!(
                        "element {i}: expected a record (an object) or a URL (a string), got {}",
                        raw.get().chars().take(40).collect::<String>()
                    )));
                }
            };
            if record.len() > limits.max_record_bytes {
                return Err(BodyError::TooLarge(format!(
                    "element {i}: {} bytes, over the limit of {} bytes a record",
                    record.len(),
                    limits.max_record_bytes
                )));
            }
            Ok(record)
        })
        .collect()
}

/// What a tracking-pixel request carries besides its query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PixelContext<'a> {
    pub user_agent: Option<&'a str>,
    pub referrer: Option<&'a str>,
    /// The `csgen_session` cookie, if the browser sent one.
    pub session: Option<&'a str>,
    /// Arrival time, Unix milliseconds.
    pub ts_ms: i64,
}

/// Longest URL a pixel may report.
pub const MAX_PIXEL_URL: usize = 8192;

/// The record of a pixel `GET /i?url=…[&uid=…]` (other parameters, such as cache
/// busters, are ignored): csgen's raw click JSON with the user agent and referrer of
/// the request.
pub fn pixel_record(query: &[(String, String)], cx: &PixelContext<'_>) -> Result<Vec<u8>, String> {
    let one = |name: &str| -> Result<Option<&str>, String> {
        let mut found = query.iter().filter(|(k, _)| k == name);
        let first = found.next().map(|(_, v)| v.as_str());
        if found.next().is_some() {
            return Err(format!("parameter {name:?} is given twice"));
        }
        Ok(first)
    };
    let url = one("url")?.ok_or("no url: expected /i?url=URL")?;
    if url.is_empty() || url.len() > MAX_PIXEL_URL {
        return Err(format!("url must have 1 to {MAX_PIXEL_URL} characters"));
    }
    let mut record = serde_json::Map::new();
    record.insert("ts".into(), cx.ts_ms.into());
    record.insert("url".into(), url.into());
    if let Some(uid) = one("uid")? {
        let id: u64 = uid
            .parse()
            .map_err(|_| format!("uid {uid:?} is not a whole number >= 0"))?;
        record.insert("user_id".into(), id.into());
    }
    for (key, value) in [
        ("session_id", cx.session),
        ("user_agent", cx.user_agent),
        ("referrer", cx.referrer),
    ] {
        if let Some(v) = value {
            record.insert(key.into(), v.into());
        }
    }
    Ok(serde_json::to_vec(&record).expect("a map of strings serialises"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: RecordLimits = RecordLimits {
        max_records: 3,
        max_record_bytes: 64,
    };

    fn strs(r: Vec<Vec<u8>>) -> Vec<String> {
        r.into_iter()
            .map(|r| String::from_utf8(r).unwrap())
            .collect()
    }

    #[test]
    fn lines_arrays_objects_and_urls() {
        let body = b"{\"url\":\"https://s/a\"}\r\n\nhttps://s/b?userid=1\n{\"event_id\":\"x\",\"ts\":\"20\n";
        assert_eq!(
            strs(records(body, Some("application/x-ndjson"), L).unwrap()),
            [
                "{\"url\":\"https://s/a\"}",
                "https://s/b?userid=1",
                "{\"event_id\":\"x\",\"ts\":\"20"
            ]
        );
        let body = br#" [ {"url":"https://s/a", "user_id": 1}, "https://s/b" ] "#;
        assert_eq!(
            strs(records(body, None, L).unwrap()),
            [r#"{"url":"https://s/a", "user_id": 1}"#, "https://s/b"]
        );
        let one = br#"{"url":"https://s/a"}"#;
        assert_eq!(
            strs(records(one, Some("application/json; charset=utf-8"), L).unwrap()),
            [r#"{"url":"https://s/a"}"#]
        );
    }

    #[test]
    fn malformed_bodies_say_where() {
        for (body, ct, want) in [
            (&b""[..], None, "no records"),
            (b"\n \n", Some("text/plain"), "no records"),
            (b"[]", None, "no records"),
            (
                b"[{\"url\":1},",
                None,
                "not a JSON array of records: EOF while parsing",
            ),
            (
                b"[1, 2]",
                None,
                "element 0: expected a record (an object) or a URL (a string), got 1",
            ),
            (b"[{}, null]", None, "element 1: expected a record"),
            (b"{\"a\":", Some("application/json"), "not JSON: "),
            (b"ok\n\xff\xfe\n", None, "line 2: not UTF-8 (byte 3)"),
        ] {
            match records(body, ct, L) {
                Err(BodyError::Malformed(m)) => assert!(m.contains(want), "{body:?}: {m}"),
                other => panic!("{body:?}: {other:?}"),
            }
        }
        assert!(matches!(
            records(b"x", Some("multipart/form-data; boundary=z"), L),
            Err(BodyError::Unsupported(m)) if m == "multipart/form-data"
        ));
    }

    #[test]
    fn limits_are_413_with_the_place() {
        let big = format!("ok\n{}\n", "x".repeat(65));
        assert_eq!(
            records(big.as_bytes(), None, L),
            Err(BodyError::TooLarge(
                "line 2: 65 bytes, over the limit of 64 bytes a record".into()
            ))
        );
        assert!(
            matches!(records(b"a\nb\nc\nd\n", None, L), Err(BodyError::TooLarge(m)) if m.contains("more than 3 records"))
        );
        assert!(matches!(
            records(b"[\"a\",\"b\",\"c\",\"d\"]", None, L),
            Err(BodyError::TooLarge(_))
        ));
        let long = format!("[\"{}\"]", "y".repeat(65));
        assert!(
            matches!(records(long.as_bytes(), None, L), Err(BodyError::TooLarge(m)) if m.starts_with("element 0: 65 bytes"))
        );
    }

    #[test]
    fn a_pixel_becomes_a_raw_click_with_the_request_headers() {
        let q = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let cx = PixelContext {
            user_agent: Some("Mozilla/5.0 \"quoted\""),
            referrer: Some("https://www.google.com/"),
            session: Some("s-1"),
            ts_ms: 1_793_491_200_000,
        };
        let r = pixel_record(
            &q(&[
                ("url", "https://s/api/group/1?userid=5"),
                ("uid", "5"),
                ("cb", "123"),
            ]),
            &cx,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&r).unwrap();
        assert_eq!(v["url"], "https://s/api/group/1?userid=5");
        assert_eq!(v["user_id"], 5);
        assert_eq!(v["user_agent"], "Mozilla/5.0 \"quoted\"");
        assert_eq!(v["referrer"], "https://www.google.com/");
        assert_eq!(v["session_id"], "s-1");
        assert_eq!(v["ts"], 1_793_491_200_000i64);
        assert!(!r.contains(&b'\n'), "the record is one line");
        for (pairs, want) in [
            (q(&[]), "no url"),
            (q(&[("url", "")]), "1 to 8192"),
            (q(&[("url", "a"), ("url", "b")]), "\"url\" is given twice"),
            (q(&[("url", "a"), ("uid", "-1")]), "uid \"-1\""),
            (q(&[("url", "a"), ("uid", "NaN")]), "uid \"NaN\""),
        ] {
            let e = pixel_record(&pairs, &cx).unwrap_err();
            assert!(e.contains(want), "{pairs:?}: {e}");
        }
        let long = "u".repeat(MAX_PIXEL_URL + 1);
        assert!(pixel_record(&q(&[("url", &long)]), &cx).is_err());
    }
}
