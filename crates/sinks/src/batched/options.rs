//! Options of the batched stream sinks (`kinesis:`, `firehose:`), parsed from the sink
//! spec so that `--sink` carries them: `kinesis:STREAM?partition-key=user&linger=200ms`.
//!
//! Parsing is pure and strict: an unknown option, a bad value or a value out of range
//! is an error that names the option. Defaults live in [`StreamOptions::default`].
//! The first releases spelled two options with units in their names (`linger-ms=N`,
//! `flush-timeout-s=N`); those still parse, and print back in the one duration syntax.

use std::fmt;
use std::num::NonZeroUsize;
use std::time::Duration;

use csgen_model::Click;
use csgen_pipeline::endpoint::{Options, Written};

/// Which partition key a record gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PartitionKey {
    /// A random 128-bit hex key per record, as the original: spreads load evenly over
    /// shards, but a user's clicks may land on different shards (no order between them).
    #[default]
    Random,
    /// The user id: a user's clicks go to one shard, in order.
    User,
    /// A field of the click (`user_id`, `group_id`, `product_id`, `event_id`).
    Field(ClickField),
}

impl PartitionKey {
    fn parse(key: &str, value: &str) -> Result<Self, String> {
        match value {
            "random" => Ok(Self::Random),
            "user" => Ok(Self::User),
            _ => value
                .strip_prefix("field:")
                .and_then(ClickField::parse)
                .map(Self::Field)
                .ok_or_else(|| {
                    format!(
                        "{key}={value:?}: expected random, user or field:NAME with NAME one of {:?}",
                        ClickField::NAMES
                    )
                }),
        }
    }
}

impl fmt::Display for PartitionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Random => f.write_str("random"),
            Self::User => f.write_str("user"),
            Self::Field(field) => write!(f, "field:{}", field.name()),
        }
    }
}

/// A click field usable as a partition key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClickField {
    UserId,
    GroupId,
    /// `0` for group-list clicks, which have no product.
    ProductId,
    EventId,
}

impl ClickField {
    pub const NAMES: [&'static str; 4] = ["user_id", "group_id", "product_id", "event_id"];

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "user_id" => Self::UserId,
            "group_id" => Self::GroupId,
            "product_id" => Self::ProductId,
            "event_id" => Self::EventId,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::UserId => "user_id",
            Self::GroupId => "group_id",
            Self::ProductId => "product_id",
            Self::EventId => "event_id",
        }
    }

    /// The key for `click`.
    pub fn key(self, click: &Click) -> String {
        match self {
            Self::UserId => click.user_id.to_string(),
            Self::GroupId => click.group_id.to_string(),
            Self::ProductId => click.product_id.unwrap_or(0).to_string(),
            Self::EventId => click.event_id().to_string(),
        }
    }
}

/// Batching, concurrency and shutdown options shared by `kinesis:` and `firehose:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamOptions {
    /// `partition-key=random|user|field:NAME` (Kinesis only). Default `random`.
    pub partition_key: PartitionKey,
    /// `linger`: longest a record waits for a fuller call. Default 500ms, at most 1m.
    pub linger: Duration,
    /// `max-in-flight`: calls outstanding at once. Default 4, at most 64.
    pub max_in_flight: NonZeroUsize,
    /// `batch-records`: records per call, at most the service limit (500). Default 500.
    pub batch_records: NonZeroUsize,
    /// `buffer-records`: records accepted but not yet delivered before `send` waits.
    /// Default 10 000.
    pub buffer_records: NonZeroUsize,
    /// `flush-timeout`: how long shutdown waits for delivery. Default 30s, or the
    /// run's flush timeout (`SinkContext::flush_timeout`). At most 1d.
    pub flush_timeout: Duration,
    /// Whether the spec set `flush-timeout` (it then wins over the run's).
    pub flush_timeout_set: bool,
}

impl Default for StreamOptions {
    fn default() -> Self {
        Self {
            partition_key: PartitionKey::Random,
            linger: Duration::from_millis(500),
            max_in_flight: NonZeroUsize::new(4).expect("4 is not 0"),
            batch_records: NonZeroUsize::new(500).expect("500 is not 0"),
            buffer_records: NonZeroUsize::new(10_000).expect("10 000 is not 0"),
            flush_timeout: Duration::from_secs(30),
            flush_timeout_set: false,
        }
    }
}

/// Which sink the options are for: Firehose has no partition key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    Kinesis,
    Firehose,
}

const MAX_LINGER: Duration = Duration::from_secs(60);
const MAX_FLUSH_TIMEOUT: Duration = Duration::from_secs(86_400);

impl StreamOptions {
    /// Reads the options after `?` of a `kinesis:`/`firehose:` spec.
    pub fn parse(query: &str, kind: StreamKind) -> Result<Self, String> {
        let mut o = Options::parse(query)?;
        let d = Self::default();
        let partition_key = match kind {
            StreamKind::Kinesis => o
                .take("partition-key")
                .map(|v| PartitionKey::parse("partition-key", v))
                .transpose()?,
            StreamKind::Firehose => None,
        };
        let linger = duration_or_legacy(&mut o, "linger", ("linger-ms", 1), MAX_LINGER)?;
        let flush_timeout = duration_or_legacy(
            &mut o,
            "flush-timeout",
            ("flush-timeout-s", 1000),
            MAX_FLUSH_TIMEOUT,
        )?;
        let options = Self {
            partition_key: partition_key.unwrap_or(d.partition_key),
            linger: linger.unwrap_or(d.linger),
            max_in_flight: o.count("max-in-flight", 64, d.max_in_flight)?,
            batch_records: o.count("batch-records", 500, d.batch_records)?,
            buffer_records: o.count("buffer-records", 10_000_000, d.buffer_records)?,
            flush_timeout: flush_timeout.unwrap_or(d.flush_timeout),
            flush_timeout_set: flush_timeout.is_some(),
        };
        let known: &[&str] = match kind {
            StreamKind::Kinesis => &[
                "partition-key",
                "linger",
                "max-in-flight",
                "batch-records",
                "buffer-records",
                "flush-timeout",
            ],
            StreamKind::Firehose => &[
                "linger",
                "max-in-flight",
                "batch-records",
                "buffer-records",
                "flush-timeout",
            ],
        };
        o.finish(known)?;
        Ok(options)
    }

    /// These options with the run's flush timeout, unless the spec set its own.
    pub fn with_run_flush_timeout(&self, run: Option<Duration>) -> Self {
        let mut o = self.clone();
        if let (false, Some(t)) = (o.flush_timeout_set, run) {
            o.flush_timeout = t;
        }
        o
    }
}

/// A duration option, or its first-release spelling `legacy` (a whole number of
/// `legacy.1` milliseconds); giving both is an error.
fn duration_or_legacy(
    o: &mut Options<'_>,
    key: &str,
    legacy: (&str, u64),
    max: Duration,
) -> Result<Option<Duration>, String> {
    let (legacy_key, unit_ms) = legacy;
    let new = o.duration(key, Duration::ZERO..=max)?;
    let max_units = (max.as_millis() as u64) / unit_ms;
    let old = o
        .number::<u64>(legacy_key, 0..=max_units)?
        .map(|n| Duration::from_millis(n * unit_ms));
    match (new, old) {
        (Some(_), Some(_)) => Err(format!(
            "{key} and {legacy_key} are the same option: give one of them"
        )),
        (new, old) => Ok(new.or(old)),
    }
}

/// Writes the options that differ from the defaults, as `?a=b&c=d` (or nothing).
impl fmt::Display for StreamOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = Self::default();
        let mut w = Written::default();
        w.changed("partition-key", self.partition_key, d.partition_key)
            .changed_duration("linger", self.linger, d.linger)
            .changed("max-in-flight", self.max_in_flight, d.max_in_flight)
            .changed("batch-records", self.batch_records, d.batch_records)
            .changed("buffer-records", self.buffer_records, d.buffer_records);
        if self.flush_timeout_set {
            w.add(
                "flush-timeout",
                csgen_pipeline::endpoint::duration::Shown(self.flush_timeout),
            );
        }
        w.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_option_and_round_trips() {
        let spec = "partition-key=field:group_id&linger=20ms&max-in-flight=8\
                    &batch-records=100&buffer-records=2000&flush-timeout=5s";
        let o = StreamOptions::parse(spec, StreamKind::Kinesis).unwrap();
        assert_eq!(o.partition_key, PartitionKey::Field(ClickField::GroupId));
        assert_eq!(o.linger, Duration::from_millis(20));
        assert_eq!(o.max_in_flight.get(), 8);
        assert_eq!(o.batch_records.get(), 100);
        assert_eq!(o.buffer_records.get(), 2000);
        assert_eq!(o.flush_timeout, Duration::from_secs(5));
        assert!(o.flush_timeout_set);
        assert_eq!(o.to_string(), format!("?{spec}"));
        let d = StreamOptions::parse("", StreamKind::Kinesis).unwrap();
        assert_eq!(
            (d.to_string(), d),
            (String::new(), StreamOptions::default())
        );
    }

    #[test]
    fn first_release_spellings_still_parse_and_print_in_the_one_syntax() {
        let o =
            StreamOptions::parse("linger-ms=1500&flush-timeout-s=5", StreamKind::Kinesis).unwrap();
        assert_eq!(o.linger, Duration::from_millis(1500));
        assert_eq!(o.flush_timeout, Duration::from_secs(5));
        assert_eq!(o.to_string(), "?linger=1s500ms&flush-timeout=5s");
        let e = StreamOptions::parse("linger=1s&linger-ms=5", StreamKind::Kinesis).unwrap_err();
        assert!(e.contains("same option"), "{e}");
    }

    #[test]
    fn errors_name_the_option() {
        let cases = [
            ("linger-ms=abc", "linger-ms=\"abc\""),
            ("linger-ms=60001", "linger-ms=\"60001\""),
            (
                "linger=61s",
                "linger: \"61s\" is out of range: expected 0s to 1m",
            ),
            ("batch-records=501", "batch-records=\"501\""),
            ("max-in-flight=0", "max-in-flight=\"0\""),
            (
                "partition-key=field:colour",
                "partition-key=\"field:colour\"",
            ),
            ("lingerms=5", "unknown option \"lingerms\""),
            ("linger-ms", "needs a value"),
            ("flush-timeout=10000000000000000000s", "flush-timeout: "),
            ("buffer-records=-1", "buffer-records=\"-1\""),
        ];
        for (spec, want) in cases {
            let err = StreamOptions::parse(spec, StreamKind::Kinesis).unwrap_err();
            assert!(err.contains(want), "{spec}: {err}");
        }
        let err = StreamOptions::parse("partition-key=user", StreamKind::Firehose).unwrap_err();
        assert!(err.contains("unknown option \"partition-key\""), "{err}");
    }
}
