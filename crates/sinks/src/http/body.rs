//! Request bodies of the collector sink: the records of one batch as ndjson, a JSON
//! array or a single record, gzip-compressed on request. Pure functions.

use std::io::Write;

use super::options::BodyFormat;
use crate::batched::Record;

/// The body of one request and its content type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

/// Whether a record is a JSON object or array as it stands (so it can go into a JSON
/// array unchanged).
fn is_json(record: &[u8]) -> bool {
    matches!(record.first(), Some(b'{' | b'['))
        && serde_json::from_slice::<serde::de::IgnoredAny>(record).is_ok()
}

/// Writes `records` in `format`.
pub fn encode(records: &[Record], format: BodyFormat) -> Body {
    let size: usize = records.iter().map(|r| r.data.len() + 1).sum::<usize>() + 2;
    let mut out = Vec::with_capacity(size);
    let content_type = match format {
        BodyFormat::Ndjson => {
            for r in records {
                out.extend_from_slice(&r.data);
                out.push(b'\n');
            }
            "application/x-ndjson"
        }
        BodyFormat::JsonArray => {
            out.push(b'[');
            for (i, r) in records.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                if is_json(&r.data) {
                    out.extend_from_slice(&r.data);
                } else {
                    // A URL, or a record broken on purpose: a string keeps it intact.
                    let text = String::from_utf8_lossy(&r.data);
                    serde_json::to_writer(&mut out, &text).expect("writing to a Vec cannot fail");
                }
            }
            out.push(b']');
            "application/json"
        }
        BodyFormat::Single => {
            let record = records.first().map_or(&[][..], |r| &r.data[..]);
            out.extend_from_slice(record);
            if is_json(record) {
                "application/json"
            } else {
                "text/plain; charset=utf-8"
            }
        }
    };
    Body {
        bytes: out,
        content_type,
    }
}

/// gzip of `bytes` (fast level: the network, not the ratio, is what a collector waits on).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4 + 64),
        flate2::Compression::fast(),
    );
    e.write_all(bytes).expect("writing to a Vec cannot fail");
    e.finish().expect("writing to a Vec cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recs(items: &[&str]) -> Vec<Record> {
        items
            .iter()
            .map(|s| Record {
                data: s.as_bytes().to_vec(),
                key: String::new(),
            })
            .collect()
    }

    #[test]
    fn ndjson_array_and_single_bodies() {
        let r = recs(&[
            r#"{"url":"https://s/a","user_id":1}"#,
            "https://s/b?userid=2",
            r#"{"event_id":"x","ts":"2026-1"#,
        ]);
        let b = encode(&r, BodyFormat::Ndjson);
        assert_eq!(b.content_type, "application/x-ndjson");
        assert_eq!(
            String::from_utf8(b.bytes).unwrap(),
            "{\"url\":\"https://s/a\",\"user_id\":1}\nhttps://s/b?userid=2\n{\"event_id\":\"x\",\"ts\":\"2026-1\n"
        );
        let b = encode(&r, BodyFormat::JsonArray);
        let v: Vec<serde_json::Value> = serde_json::from_slice(&b.bytes).unwrap();
        assert_eq!(v[0]["user_id"], 1);
        assert_eq!(v[1], "https://s/b?userid=2");
        assert_eq!(
            v[2], r#"{"event_id":"x","ts":"2026-1"#,
            "a broken record stays intact"
        );
        let b = encode(&r[1..2], BodyFormat::Single);
        assert_eq!(
            (b.bytes.as_slice(), b.content_type),
            (&b"https://s/b?userid=2"[..], "text/plain; charset=utf-8")
        );
        assert_eq!(
            encode(&r[..1], BodyFormat::Single).content_type,
            "application/json"
        );
        assert_eq!(encode(&[], BodyFormat::JsonArray).bytes, b"[]");
    }

    #[test]
    fn gzip_round_trips() {
        use std::io::Read;
        let body = b"{\"a\":1}\n".repeat(1000);
        let packed = gzip(&body);
        assert!(packed.len() < body.len() / 10);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&packed[..])
            .read_to_end(&mut back)
            .unwrap();
        assert_eq!(back, body);
    }
}
