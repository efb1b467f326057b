//! Record formats and the encoder that writes clicks as bytes.
//!
//! The encoder is the hot path of every run, so it writes straight into a byte buffer:
//! integers through a fixed-width digit writer, `{store}/api/group/{g}` prefixes cached
//! per group, the event id with `uuid`'s encoder, the timestamp's date cached per day
//! ([`crate::timestamp`]), and the store URL escaped for JSON once. Tests check the
//! output against `serde_json` and `format!`.

use std::fmt;
use std::str::FromStr;

use crate::click::Click;
use crate::timestamp::TsWriter;

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
    /// `{store}/api/group/{g}` at index g, spelled as this format writes the store
    /// (JSON-escaped or not); filled on first use, for g below [`PREFIX_CACHE_LIMIT`]
    /// and stores short enough to fit a [`Prefix`].
    group_prefixes: Vec<Prefix>,
    /// The run key whose event ids start with `id_head`.
    id_run_key: u64,
    /// `xxxxxxxx-xxxx-8xxx-`: the part of an event id that depends on the run key only.
    id_head: [u8; 19],
    ts: TsWriter,
}

impl Encoder {
    pub fn new(format: Format, store_url: &str) -> Self {
        let quoted = serde_json::to_string(store_url).expect("a string always serialises");
        Self {
            format,
            store_url: store_url.as_bytes().into(),
            store_url_json: quoted.as_bytes()[1..quoted.len() - 1].into(),
            group_prefixes: Vec::new(),
            id_run_key: 0,
            id_head: id_head(0),
            ts: TsWriter::new(),
        }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Bytes to reserve per record, newline included: at least a typical record, so that
    /// a batch's buffer is not reallocated (and copied) while it fills.
    pub fn record_len_hint(&self) -> usize {
        match self.format {
            Format::Url => self.store_url.len() + 64,
            Format::UrlObject => self.store_url_json.len() + 76,
            Format::Json => self.store_url_json.len() + 176,
        }
    }

    /// Appends the record for `click` to `out`, without a line terminator.
    #[inline]
    pub fn encode(&mut self, click: &Click, out: &mut Vec<u8>) {
        match self.format {
            Format::Url => self.write_url(click, out),
            Format::UrlObject => {
                out.extend_from_slice(b"{\"url\":\"");
                self.write_url(click, out);
                out.extend_from_slice(b"\"}");
            }
            Format::Json => {
                out.extend_from_slice(b"{\"event_id\":\"");
                self.write_event_id(click, out);
                out.extend_from_slice(b"\",\"ts\":\"");
                self.write_ts(click.ts_ms, out);
                out.extend_from_slice(b"\",\"url\":\"");
                self.write_url(click, out);
                out.extend_from_slice(b"\",\"user_id\":");
                push_decimal(out, click.user_id);
                out.push(b'}');
            }
        }
    }

    /// `click.event_id()`, hyphenated, lower case: the run-key half from a cache, the
    /// sequence half from a hex table (what `uuid`'s general encoder does, specialised).
    #[inline]
    fn write_event_id(&mut self, click: &Click, out: &mut Vec<u8>) {
        if click.run_key != self.id_run_key {
            self.id_run_key = click.run_key;
            self.id_head = id_head(click.run_key);
        }
        out.extend_from_slice(&self.id_head);
        // Bytes 8..16 of the UUID: the sequence number under the RFC 4122 variant bits.
        let mut bytes = click.seq.to_be_bytes();
        bytes[0] = (bytes[0] & 0x3f) | 0x80;
        let mut tail = [b'-'; 17];
        for (i, &b) in bytes.iter().enumerate() {
            let at = if i < 2 { 2 * i } else { 2 * i + 1 };
            tail[at] = HEX_PAIRS[2 * b as usize];
            tail[at + 1] = HEX_PAIRS[2 * b as usize + 1];
        }
        out.extend_from_slice(&tail);
    }

    /// The click URL, from the cached `{store}/api/group/{g}` prefix when there is one.
    #[inline(always)]
    fn write_url(&mut self, click: &Click, out: &mut Vec<u8>) {
        let g = click.group_id as usize;
        let store = match self.format {
            Format::Url => &self.store_url,
            Format::Json | Format::UrlObject => &self.store_url_json,
        };
        if g >= self.group_prefixes.len() && g < PREFIX_CACHE_LIMIT {
            for i in self.group_prefixes.len()..=g {
                let mut text = Vec::with_capacity(PREFIX_PAD);
                write_prefix(store, i as u64, &mut text);
                let Some(prefix) = Prefix::new(&text) else {
                    break; // a long store URL: written out each time instead
                };
                self.group_prefixes.push(prefix);
            }
        }
        match self.group_prefixes.get(g) {
            Some(prefix) => {
                let start = out.len();
                out.extend_from_slice(&prefix.padded);
                out.truncate(start + prefix.len);
            }
            None => write_prefix(store, g as u64, out),
        }
        write_tail(click, out);
    }

    /// RFC 3339 UTC with milliseconds: `2026-11-23T07:26:20.123Z` ([`TsWriter`]).
    #[inline]
    pub(crate) fn write_ts(&mut self, ts_ms: i64, out: &mut Vec<u8>) {
        self.ts.write(ts_ms, out);
    }
}

/// Group ids below this get a cached URL prefix in an [`Encoder`] (a config has at most
/// [`crate::config::MAX_GROUPS`]); others are written out each time.
const PREFIX_CACHE_LIMIT: usize = crate::config::MAX_GROUPS as usize + 1;

/// Size of a cached URL prefix, padding included.
const PREFIX_PAD: usize = 64;

/// A cached `{store}/api/group/{g}`, padded to a fixed size: appending all of it and
/// cutting it to `len` is a fixed-size copy, not a `memcpy` call per record.
#[derive(Debug, Clone)]
struct Prefix {
    padded: [u8; PREFIX_PAD],
    len: usize,
}

impl Prefix {
    fn new(text: &[u8]) -> Option<Self> {
        let mut padded = [0u8; PREFIX_PAD];
        padded.get_mut(..text.len())?.copy_from_slice(text);
        Some(Self {
            padded,
            len: text.len(),
        })
    }
}

/// `{store}/api/group/{g}`
fn write_prefix(store: &[u8], group: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(store);
    out.extend_from_slice(b"/api/group/");
    push_decimal(out, group);
}

/// `[/product/{p}]?userid={u}`, the part of a click URL after its group.
#[inline(always)]
fn write_tail(click: &Click, out: &mut Vec<u8>) {
    if let Some(p) = click.product_id {
        out.extend_from_slice(b"/product/");
        push_decimal(out, p);
    }
    out.extend_from_slice(b"?userid=");
    push_decimal(out, click.user_id);
}

/// The first 19 characters of every event id of the run with this key.
fn id_head(run_key: u64) -> [u8; 19] {
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    crate::click::event_id(run_key, 0)
        .hyphenated()
        .encode_lower(&mut text);
    let mut head = [0u8; 19];
    head.copy_from_slice(&text[..19]);
    head
}

/// `"00" "01" … "ff"`: two lower-case hex digits per byte value.
const HEX_PAIRS: [u8; 512] = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut t = [0u8; 512];
    let mut i = 0;
    while i < 256 {
        t[2 * i] = HEX[i >> 4];
        t[2 * i + 1] = HEX[i & 15];
        i += 1;
    }
    t
};

/// `"00" "01" … "99"`: two decimal digits per entry.
const DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// 10^0 ..= 10^19.
const POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// The number of decimal digits of `n` (1 for 0), from its bit length: a multiply and
/// one table lookup instead of `ilog10`'s chain of comparisons.
#[inline(always)]
fn decimal_len(n: u64) -> usize {
    let n = n | 1; // same length (an even n < 10^t iff n + 1 < 10^t), and 0 has 1 digit
    let bits = 64 - n.leading_zeros() as usize; // 1..=64
    let t = (bits * 1233) >> 12; // floor(log10(2^bits)), 0..=19
    t + 1 - usize::from(n < POW10[t])
}

/// Appends `n` in decimal. The digits are built in a fixed 20-byte window that is
/// appended whole and then cut to length: fixed-size copies compile to a few moves,
/// where a variable-length copy per number would be a `memcpy` call.
#[inline(always)]
fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let len = decimal_len(n);
    let mut window = [0u8; 20];
    let mut end = len;
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        end -= 2;
        window[end] = DIGIT_PAIRS[pair];
        window[end + 1] = DIGIT_PAIRS[pair + 1];
    }
    if n >= 10 {
        let pair = n as usize * 2;
        window[0] = DIGIT_PAIRS[pair];
        window[1] = DIGIT_PAIRS[pair + 1];
    } else {
        window[0] = b'0' + n as u8;
    }
    let start = out.len();
    out.extend_from_slice(&window);
    out.truncate(start + len);
}

/// The URL of a click, as a `String` (for tests and tools; the encoder is faster).
pub fn click_url(store_url: &str, click: &Click) -> String {
    let mut out = Vec::new();
    write_prefix(store_url.as_bytes(), u64::from(click.group_id), &mut out);
    write_tail(click, &mut out);
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

impl Drop for Batch {
    /// A large batch's buffers go to the spares for [`Batch::recycled`].
    fn drop(&mut self) {
        if !(spares::MIN_BYTES..=spares::MAX_BYTES).contains(&self.data.capacity()) {
            return;
        }
        let parts = (
            std::mem::take(&mut self.data),
            std::mem::take(&mut self.ends),
            std::mem::take(&mut self.clicks),
        );
        spares::put(parts);
    }
}

/// Buffers of dropped batches, for the next large ones to fill. A backfill's batches
/// are megabytes each, filled on a worker thread and dropped by the sink on another:
/// allocated afresh, each one's memory came from the system again and was
/// page-faulted in (issue 18: with two workers the kernel's share of a JSON backfill's
/// CPU went from 4 % to 20 %). At most [`spares::KEEP`] are kept, of at most 16 MB each.
mod spares {
    use std::sync::Mutex;

    use crate::Click;

    pub(super) type Parts = (Vec<u8>, Vec<usize>, Vec<Click>);

    /// Batches with less room are not worth keeping.
    pub(super) const MIN_BYTES: usize = 1 << 20;
    /// Nor are rare huge ones worth holding on to (a backfill's are a few megabytes).
    pub(super) const MAX_BYTES: usize = 16 << 20;
    /// Enough for the batches of a backfill in flight at once.
    pub(super) const KEEP: usize = 8;

    static SPARES: Mutex<Vec<Parts>> = Mutex::new(Vec::new());

    pub(super) fn put(mut parts: Parts) {
        let Ok(mut spares) = SPARES.lock() else {
            return;
        };
        if spares.len() < KEEP {
            parts.0.clear();
            parts.1.clear();
            parts.2.clear();
            spares.push(parts);
        }
    }

    pub(super) fn take() -> Option<Parts> {
        SPARES.lock().ok()?.pop()
    }

    #[cfg(test)]
    pub(super) fn count() -> usize {
        SPARES.lock().map_or(0, |s| s.len())
    }
}

impl Batch {
    pub fn with_capacity(records: usize, bytes: usize) -> Self {
        Self {
            data: Vec::with_capacity(bytes),
            ends: Vec::with_capacity(records),
            clicks: Vec::with_capacity(records),
        }
    }

    /// An empty batch with room for `records` records of `bytes` bytes in all, in the
    /// buffers of a dropped batch if one is spare: for large batches made again and
    /// again, whose fresh memory would cost page faults each time.
    pub fn recycled(records: usize, bytes: usize) -> Self {
        let Some((data, ends, clicks)) = spares::take() else {
            return Self::with_capacity(records, bytes);
        };
        let mut batch = Self { data, ends, clicks };
        batch.reserve(records, bytes);
        batch
    }

    /// Room for `records` more records of `bytes` more bytes in all.
    pub fn reserve(&mut self, records: usize, bytes: usize) {
        self.data.reserve(bytes);
        self.ends.reserve(records);
        self.clicks.reserve(records);
    }

    /// Empties the batch, keeping its allocations for the next records.
    pub fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
        self.clicks.clear();
    }

    pub fn push(&mut self, encoder: &mut Encoder, click: Click) {
        encoder.encode(&click, &mut self.data);
        self.ends.push(self.data.len());
        self.data.push(b'\n');
        self.clicks.push(click);
    }

    /// Appends a record written by `encode` (for encoders other than [`Encoder`], such
    /// as the realistic model's), with the click sinks use for routing.
    pub fn push_encoded(&mut self, click: Click, encode: impl FnOnce(&mut Vec<u8>)) {
        encode(&mut self.data);
        self.ends.push(self.data.len());
        self.data.push(b'\n');
        self.clicks.push(click);
    }

    /// The records, each followed by `\n`, without the rest of the batch.
    pub fn into_data(mut self) -> Vec<u8> {
        std::mem::take(&mut self.data)
    }

    pub fn len(&self) -> usize {
        self.clicks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clicks.is_empty()
    }

    /// Appends records `range` of `other` with their clicks, their bytes in one copy
    /// (merging batches, runs of records come from the same one).
    ///
    /// # Panics
    /// If `range` is not within `other`'s records.
    pub fn extend_from(&mut self, other: &Batch, range: std::ops::Range<usize>) {
        let Some(last) = range.end.checked_sub(1).filter(|_| !range.is_empty()) else {
            return;
        };
        let start = match range.start {
            0 => 0,
            i => other.ends[i - 1] + 1,
        };
        let base = self.data.len();
        // Through the last record's newline.
        self.data
            .extend_from_slice(&other.data[start..=other.ends[last]]);
        self.ends
            .extend(other.ends[range.clone()].iter().map(|e| e - start + base));
        self.clicks.extend_from_slice(&other.clicks[range]);
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_recycled_batch_holds_nothing_of_the_dropped_one() {
        let config = crate::StoreConfig::defaults();
        let g = crate::Generator::new(&config, 1);
        let mut enc = Encoder::new(Format::Json, &config.store_url);
        for _ in 0..spares::KEEP + 3 {
            let mut big = Batch::with_capacity(100, spares::MIN_BYTES);
            for seq in 0..100 {
                big.push(&mut enc, g.click(seq, 0));
            }
            drop(big);
        }
        assert!(spares::count() <= spares::KEEP, "the spares are bounded");
        let mut batch = Batch::recycled(2, 10);
        assert!(batch.is_empty() && batch.data.is_empty());
        let click = g.click(7, 0);
        batch.push(&mut enc, click);
        let mut alone = Batch::default();
        alone.push(&mut enc, click);
        assert_eq!(batch, alone);
    }

    #[test]
    fn extending_from_a_range_of_records_equals_pushing_them_one_by_one() {
        let config = crate::StoreConfig::defaults();
        let g = crate::Generator::new(&config, 1);
        let mut enc = Encoder::new(Format::Json, &config.store_url);
        let mut from = Batch::default();
        for seq in 0..6 {
            from.push(&mut enc, g.click(seq, 0));
        }
        for (a, b) in [(0, 0), (0, 6), (2, 5), (5, 6), (3, 3)] {
            let mut bulk = Batch::default();
            bulk.push(&mut enc, g.click(99, 0));
            let mut one_by_one = bulk.clone();
            bulk.extend_from(&from, a..b);
            for i in a..b {
                one_by_one.push_encoded(from.clicks[i], |d| d.extend_from_slice(from.record(i)));
            }
            assert_eq!(bulk.data, one_by_one.data, "{a}..{b}");
            assert_eq!(bulk.ends, one_by_one.ends, "{a}..{b}");
            assert_eq!(bulk.clicks, one_by_one.clicks, "{a}..{b}");
        }
    }

    #[test]
    fn decimal_len_at_every_power_of_ten() {
        for p in POW10 {
            for n in [p - 1, p, p + 1] {
                assert_eq!(decimal_len(n), n.to_string().len(), "{n}");
            }
        }
        assert_eq!(decimal_len(u64::MAX), 20);
    }

    proptest! {
        #[test]
        fn decimals_are_written_as_display_writes_them(n in any::<u64>(), shift in 0u32..64) {
            for n in [n, n >> shift] {
                let mut out = b"x".to_vec();
                push_decimal(&mut out, n);
                let want = n.to_string();
                prop_assert_eq!(&out[1..], want.as_bytes());
            }
        }
    }
}
