//! Options of the `http:` collector sink, after the `?` of its spec.
//!
//! The `?` of an `http:` spec always starts csgen's options, as for every sink; a
//! collector URL that needs a query of its own gives it, percent-encoded, in
//! `query=` (`http:https://c.example/v1/batch?query=writeKey%3Dabc&gzip=true` POSTs to
//! `https://c.example/v1/batch?writeKey=abc`). Parsing is pure; headers from the
//! environment or a file are only named here and read when the sink is built.

use std::fmt;
use std::num::NonZeroUsize;
use std::time::Duration;

use csgen_pipeline::endpoint::duration::Shown;
use csgen_pipeline::endpoint::{Options, Written};

use crate::batched::options::StreamOptions;
use crate::http::headers::HeaderSources;

/// How records are put in a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BodyFormat {
    /// One record per line (`application/x-ndjson`).
    #[default]
    Ndjson,
    /// A JSON array of the records (`application/json`); a record that is not JSON is
    /// sent as a JSON string.
    JsonArray,
    /// One record per request, as it is.
    Single,
}

impl BodyFormat {
    const CHOICES: [(&'static str, Self); 3] = [
        ("ndjson", Self::Ndjson),
        ("json-array", Self::JsonArray),
        ("single", Self::Single),
    ];
}

impl fmt::Display for BodyFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(choice_name(&Self::CHOICES, self))
    }
}

/// The name of `value` among an option's `choices` (as `Options::choice` reads them).
pub(crate) fn choice_name<T: PartialEq>(choices: &[(&'static str, T)], value: &T) -> &'static str {
    choices
        .iter()
        .find(|(_, v)| v == value)
        .map_or("?", |(name, _)| *name)
}

/// Everything after the `?` of `http:URL?…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpOptions {
    /// `format`: ndjson (default), json-array or single.
    pub format: BodyFormat,
    /// `gzip`: compress request bodies (`Content-Encoding: gzip`). Default false.
    pub gzip: bool,
    /// `batch-bytes`: most bytes of records in one request (before gzip). Default 1 MiB,
    /// 1 KiB to 64 MiB; a record larger than this is never sent (counted failed).
    pub batch_bytes: usize,
    /// `timeout`: longest one request may take, answer included. Default 10s.
    pub timeout: Duration,
    /// `query`: the target URL's own query, as written (percent-encoded).
    pub query: Option<String>,
    /// Where headers come from: `header.NAME=VALUE`, `header-env.NAME=VAR`,
    /// `headers-file=PATH`.
    pub headers: HeaderSources,
    /// Batching, concurrency, buffer and flush deadline, as for the stream sinks:
    /// `batch-records` (default 500, at most 10 000), `linger` (default 200ms),
    /// `max-in-flight` (4), `buffer-records` (10 000), `flush-timeout` (30s).
    pub stream: StreamOptions,
}

const DEFAULT_BATCH_BYTES: usize = 1 << 20;
const DEFAULT_LINGER: Duration = Duration::from_millis(200);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            format: BodyFormat::Ndjson,
            gzip: false,
            batch_bytes: DEFAULT_BATCH_BYTES,
            timeout: DEFAULT_TIMEOUT,
            query: None,
            headers: HeaderSources::default(),
            stream: StreamOptions {
                linger: DEFAULT_LINGER,
                ..StreamOptions::default()
            },
        }
    }
}

/// Every option key, for the unknown-option message.
const KEYS: &[&str] = &[
    "format",
    "gzip",
    "batch-records",
    "batch-bytes",
    "linger",
    "max-in-flight",
    "buffer-records",
    "timeout",
    "flush-timeout",
    "query",
    "header.NAME",
    "header-env.NAME",
    "headers-file",
];

impl HttpOptions {
    /// Reads the text after `?`.
    pub fn parse(query: &str) -> Result<Self, String> {
        let mut o = Options::parse(query)?;
        let d = Self::default();
        let nonzero = |n: usize| NonZeroUsize::new(n).expect("the range starts at 1");
        let format = o
            .choice("format", &BodyFormat::CHOICES)?
            .unwrap_or(d.format);
        let flush_timeout = o.duration(
            "flush-timeout",
            Duration::ZERO..=Duration::from_secs(86_400),
        )?;
        let stream = StreamOptions {
            linger: o
                .duration("linger", Duration::ZERO..=Duration::from_secs(60))?
                .unwrap_or(d.stream.linger),
            max_in_flight: o
                .number("max-in-flight", 1..=64)?
                .map_or(d.stream.max_in_flight, nonzero),
            batch_records: o
                .number("batch-records", 1..=10_000)?
                .map_or(d.stream.batch_records, nonzero),
            buffer_records: o
                .number("buffer-records", 1..=10_000_000)?
                .map_or(d.stream.buffer_records, nonzero),
            flush_timeout: flush_timeout.unwrap_or(d.stream.flush_timeout),
            flush_timeout_set: flush_timeout.is_some(),
            ..d.stream
        };
        if format == BodyFormat::Single && stream.batch_records.get() != 500 {
            return Err(
                "batch-records does not apply to format=single (one record per request)".into(),
            );
        }
        let query_text = o.take("query").map(str::to_owned);
        if let Some(q) = &query_text {
            decode(q).map_err(|e| format!("query={q:?}: {e}"))?;
        }
        let headers = HeaderSources::parse(&mut o)?;
        let options = Self {
            format,
            gzip: o.boolean("gzip")?.unwrap_or(d.gzip),
            batch_bytes: o
                .number("batch-bytes", 1024..=64 << 20)?
                .unwrap_or(d.batch_bytes),
            timeout: o
                .duration(
                    "timeout",
                    Duration::from_millis(1)..=Duration::from_secs(600),
                )?
                .unwrap_or(d.timeout),
            query: query_text,
            headers,
            stream,
        };
        o.finish(KEYS)?;
        Ok(options)
    }

    /// The target's own query, decoded (`writeKey=abc`).
    pub fn target_query(&self) -> Option<String> {
        self.query.as_deref().and_then(|q| decode(q).ok())
    }

    /// The engine's options: one record per request for `format=single`.
    pub(crate) fn engine(&self, run_flush_timeout: Option<Duration>) -> StreamOptions {
        let mut s = self.stream.with_run_flush_timeout(run_flush_timeout);
        if self.format == BodyFormat::Single {
            s.batch_records = NonZeroUsize::MIN;
        }
        s
    }
}

/// Percent-decodes `text` (as UTF-8).
pub(crate) fn decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad percent escape at byte {i}"))?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "not UTF-8 once decoded".to_owned())
}

/// Writes the options that differ from the defaults, as `?a=b&c=d` (or nothing).
impl fmt::Display for HttpOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = Self::default();
        let s = &self.stream;
        let mut w = Written::default();
        w.changed("format", self.format, d.format)
            .changed("gzip", self.gzip, d.gzip)
            .changed("batch-records", s.batch_records, d.stream.batch_records)
            .changed("batch-bytes", self.batch_bytes, d.batch_bytes)
            .changed_duration("linger", s.linger, d.stream.linger)
            .changed("max-in-flight", s.max_in_flight, d.stream.max_in_flight)
            .changed("buffer-records", s.buffer_records, d.stream.buffer_records)
            .changed_duration("timeout", self.timeout, d.timeout);
        if s.flush_timeout_set {
            w.add("flush-timeout", Shown(s.flush_timeout));
        }
        if let Some(q) = &self.query {
            w.add("query", q);
        }
        self.headers.write(&mut w);
        w.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_parses_and_prints_back() {
        let text = "format=json-array&gzip=true&batch-records=100&batch-bytes=65536&linger=50ms\
                    &max-in-flight=8&buffer-records=2000&timeout=2s&flush-timeout=5s\
                    &query=k%3Dv%26x%3D1&header.X-Source=csgen&header-env.Authorization=TOKEN\
                    &headers-file=/run/secrets/h";
        let o = HttpOptions::parse(text).unwrap();
        assert_eq!(o.format, BodyFormat::JsonArray);
        assert!(o.gzip);
        assert_eq!(o.stream.batch_records.get(), 100);
        assert_eq!(o.batch_bytes, 65536);
        assert_eq!(o.timeout, Duration::from_secs(2));
        assert_eq!(o.target_query().as_deref(), Some("k=v&x=1"));
        assert_eq!(o.to_string(), format!("?{text}"));
        assert_eq!(HttpOptions::parse("").unwrap(), HttpOptions::default());
        assert_eq!(HttpOptions::default().to_string(), "");
    }

    #[test]
    fn single_sends_one_record_per_request() {
        let o = HttpOptions::parse("format=single").unwrap();
        assert_eq!(o.engine(None).batch_records.get(), 1);
        let e = HttpOptions::parse("format=single&batch-records=10").unwrap_err();
        assert!(e.contains("does not apply"), "{e}");
    }

    #[test]
    fn hostile_options_are_errors_that_name_the_option() {
        for (text, want) in [
            (
                "format=xml",
                "format=\"xml\": expected one of ndjson, json-array, single",
            ),
            ("gzip=yes", "gzip=\"yes\""),
            ("batch-records=0", "batch-records=\"0\""),
            ("batch-records=10001", "batch-records=\"10001\""),
            ("batch-bytes=12", "batch-bytes=\"12\""),
            ("batch-bytes=NaN", "batch-bytes=\"NaN\""),
            ("timeout=0s", "timeout: \"0s\" is out of range"),
            ("timeout=-1s", "timeout: \"-1s\" is not a duration"),
            ("linger=2m", "linger: \"2m\" is out of range"),
            ("query=%zz", "query=\"%zz\": bad percent escape"),
            (
                "header.Authorization=Bearer%20x",
                "never on the command line",
            ),
            ("header.cookie=a", "never on the command line"),
            ("header.X:Y=1", "header.X:Y: not a valid header name"),
            ("header-env.Authorization=", "name an environment variable"),
            ("gzip=true&gzip=false", "given twice"),
            (
                "colour=red",
                "unknown option \"colour\"; expected one of: format, gzip",
            ),
        ] {
            let e = HttpOptions::parse(text).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
    }
}
