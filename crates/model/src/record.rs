//! Record formats and the encoder that writes clicks as bytes.
//!
//! The encoder is the hot path of every run, so it writes straight into a byte buffer:
//! integers with `itoa`, the event id with `uuid`'s encoder, the timestamp's date part
//! cached per second, and the store URL escaped for JSON once. Tests check the output
//! against `serde_json`.

use std::fmt;
use std::str::FromStr;

use crate::click::Click;

/// How a click is written as a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// The click URL alone, the original's payload: `https://…/api/group/2?userid=77`.
    Url,
    /// The raw click record: `{"event_id":…,"ts":…,"url":…,"user_id":…}`.
    #[default]
    Json,
    /// The original's Kinesis payload: `{"url":"…"}`.
    UrlObject,
}

impl Format {
    pub const NAMES: [&'static str; 3] = ["url", "json", "url-object"];
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "url" => Ok(Self::Url),
            "json" => Ok(Self::Json),
            "url-object" => Ok(Self::UrlObject),
            _ => Err(format!(
                "unknown format {s:?}; expected one of {:?}",
                Self::NAMES
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Url => "url",
            Self::Json => "json",
            Self::UrlObject => "url-object",
        })
    }
}

/// Writes clicks in one [`Format`]. Holds small caches, so keep one per thread.
#[derive(Debug, Clone)]
pub struct Encoder {
    format: Format,
    store_url: Box<[u8]>,
    /// The store URL as it appears inside a JSON string (escaped, no quotes).
    store_url_json: Box<[u8]>,
    cached_second: i64,
    /// `YYYY-MM-DDTHH:MM:SS` of `cached_second`.
    cached_prefix: [u8; 19],
}

impl Encoder {
    pub fn new(format: Format, store_url: &str) -> Self {
        let quoted = serde_json::to_string(store_url).expect("a string always serialises");
        Self {
            format,
            store_url: store_url.as_bytes().into(),
            store_url_json: quoted.as_bytes()[1..quoted.len() - 1].into(),
            cached_second: i64::MIN,
            cached_prefix: [b'0'; 19],
        }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Appends the record for `click` to `out`, without a line terminator.
    #[inline]
    pub fn encode(&mut self, click: &Click, out: &mut Vec<u8>) {
        match self.format {
            Format::Url => write_url(&self.store_url, click, out),
            Format::UrlObject => {
                out.extend_from_slice(b"{\"url\":\"");
                write_url(&self.store_url_json, click, out);
                out.extend_from_slice(b"\"}");
            }
            Format::Json => {
                out.extend_from_slice(b"{\"event_id\":\"");
                let mut id = [0u8; uuid::fmt::Hyphenated::LENGTH];
                out.extend_from_slice(
                    click
                        .event_id()
                        .hyphenated()
                        .encode_lower(&mut id)
                        .as_bytes(),
                );
                out.extend_from_slice(b"\",\"ts\":\"");
                self.write_ts(click.ts_ms, out);
                out.extend_from_slice(b"\",\"url\":\"");
                write_url(&self.store_url_json, click, out);
                out.extend_from_slice(b"\",\"user_id\":");
                out.extend_from_slice(itoa::Buffer::new().format(click.user_id).as_bytes());
                out.push(b'}');
            }
        }
    }

    /// RFC 3339 UTC with milliseconds: `2026-11-23T07:26:20.123Z`.
    fn write_ts(&mut self, ts_ms: i64, out: &mut Vec<u8>) {
        // Years outside 0000..=9999 do not fit RFC 3339. csgen's schedules never make
        // such times, but the encoder must not panic on them: it clamps them to the
        // nearest instant it can write, which also keeps events in order.
        let ts_ms = ts_ms.clamp(MIN_TS_MS, MAX_TS_MS);
        let (second, milli) = (ts_ms.div_euclid(1000), ts_ms.rem_euclid(1000));
        if second != self.cached_second {
            let time = chrono::DateTime::from_timestamp(second, 0).unwrap_or_default();
            let mut text = time.format("%Y-%m-%dT%H:%M:%S").to_string();
            if text.len() != 19 {
                text = "1970-01-01T00:00:00".to_owned(); // unreachable after the clamp
            }
            self.cached_prefix.copy_from_slice(text.as_bytes());
            self.cached_second = second;
        }
        out.extend_from_slice(&self.cached_prefix);
        let milli = milli as u32; // 0..=999
        out.extend_from_slice(&[
            b'.',
            b'0' + (milli / 100) as u8,
            b'0' + (milli / 10 % 10) as u8,
            b'0' + (milli % 10) as u8,
            b'Z',
        ]);
    }
}

/// 0000-01-01T00:00:00.000Z, the first instant RFC 3339 can write.
const MIN_TS_MS: i64 = -62_167_219_200_000;
/// 9999-12-31T23:59:59.999Z, the last instant RFC 3339 can write.
const MAX_TS_MS: i64 = 253_402_300_799_999;

/// `{store}/api/group/{g}[/product/{p}]?userid={u}`
#[inline]
fn write_url(store: &[u8], click: &Click, out: &mut Vec<u8>) {
    let mut num = itoa::Buffer::new();
    out.extend_from_slice(store);
    out.extend_from_slice(b"/api/group/");
    out.extend_from_slice(num.format(click.group_id).as_bytes());
    if let Some(p) = click.product_id {
        out.extend_from_slice(b"/product/");
        out.extend_from_slice(num.format(p).as_bytes());
    }
    out.extend_from_slice(b"?userid=");
    out.extend_from_slice(num.format(click.user_id).as_bytes());
}

/// The URL of a click, as a `String` (for tests and tools; the encoder is faster).
pub fn click_url(store_url: &str, click: &Click) -> String {
    let mut out = Vec::new();
    write_url(store_url.as_bytes(), click, &mut out);
    String::from_utf8(out).expect("URL parts are UTF-8")
}

/// A run of encoded records with the clicks they encode: the unit handed to sinks.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// The records, each followed by `\n`.
    pub data: Vec<u8>,
    /// End of each record in `data`, the `\n` excluded.
    ends: Vec<usize>,
    /// The click each record encodes (for partition keys and routing).
    pub clicks: Vec<Click>,
}

impl Batch {
    pub fn with_capacity(records: usize, bytes: usize) -> Self {
        Self {
            data: Vec::with_capacity(bytes),
            ends: Vec::with_capacity(records),
            clicks: Vec::with_capacity(records),
        }
    }

    pub fn push(&mut self, encoder: &mut Encoder, click: Click) {
        encoder.encode(&click, &mut self.data);
        self.ends.push(self.data.len());
        self.data.push(b'\n');
        self.clicks.push(click);
    }

    pub fn len(&self) -> usize {
        self.clicks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clicks.is_empty()
    }

    /// Record `i`, without its newline.
    pub fn record(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] + 1 };
        &self.data[start..self.ends[i]]
    }

    pub fn records(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        (0..self.len()).map(|i| self.record(i))
    }
}
