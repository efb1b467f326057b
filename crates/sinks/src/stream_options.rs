//! Options of the batched stream sinks, parsed from the sink spec so that `--sink`
//! carries them: `kinesis:STREAM?partition-key=user&linger-ms=200`.
//!
//! Parsing is pure and strict: an unknown option, a bad value or a value out of range
//! is an error that names the option. Defaults live in [`StreamOptions::default`].

use std::fmt;
use std::num::NonZeroUsize;
use std::time::Duration;

use csgen_model::Click;

/// Which Kinesis partition key a record gets.
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

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "user_id" => Self::UserId,
            "group_id" => Self::GroupId,
            "product_id" => Self::ProductId,
            "event_id" => Self::EventId,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
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
    /// `linger-ms`: longest a record waits for a fuller call. Default 500 ms, at most 60 000.
    pub linger: Duration,
    /// `max-in-flight`: calls outstanding at once. Default 4, at most 64.
    pub max_in_flight: NonZeroUsize,
    /// `batch-records`: records per call, at most the service limit (500). Default 500.
    pub batch_records: NonZeroUsize,
    /// `buffer-records`: records accepted but not yet delivered before `send` waits.
    /// Default 10 000.
    pub buffer_records: NonZeroUsize,
    /// `flush-timeout-s`: how long shutdown waits for delivery. Default 30 s, or the
    /// run's flush timeout (`BuildOptions::flush_timeout`).
    pub flush_timeout: Duration,
    /// Whether the spec set `flush-timeout-s` (it then wins over the run's).
    pub flush_timeout_set: bool,
}

impl Default for StreamOptions {
    fn default() -> Self {
        Self {
            partition_key: PartitionKey::Random,
            linger: Duration::from_millis(500),
            max_in_flight: NonZeroUsize::new(4).unwrap(),
            batch_records: NonZeroUsize::new(500).unwrap(),
            buffer_records: NonZeroUsize::new(10_000).unwrap(),
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

impl StreamOptions {
    /// Parses `NAME?opt=value&opt=value` (the part after `kinesis:` / `firehose:`).
    pub fn parse_spec(rest: &str, kind: StreamKind) -> Result<(String, Self), String> {
        let (name, query) = rest.split_once('?').unwrap_or((rest, ""));
        // `kinesis` alone: the stream comes from the config (`url-kinesis-stream-name`).
        let unnamed_ok = kind == StreamKind::Kinesis && name.is_empty();
        let max_name = match kind {
            StreamKind::Kinesis => 128,
            StreamKind::Firehose => 64,
        };
        let name_ok = !name.is_empty()
            && name.len() <= max_name
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if !name_ok && !unnamed_ok {
            return Err(format!(
                "stream name {name:?} must be 1 to {max_name} characters of A-Z a-z 0-9 _ . -"
            ));
        }
        let mut o = Self::default();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("option {pair:?} needs a value: {pair}=..."))?;
            match key {
                "partition-key" if kind == StreamKind::Kinesis => {
                    o.partition_key = match value {
                        "random" => PartitionKey::Random,
                        "user" => PartitionKey::User,
                        _ => match value.strip_prefix("field:").and_then(ClickField::parse) {
                            Some(f) => PartitionKey::Field(f),
                            None => {
                                return Err(format!(
                                    "partition-key={value:?}: expected random, user or \
                                     field:NAME with NAME one of {:?}",
                                    ClickField::NAMES
                                ));
                            }
                        },
                    }
                }
                "linger-ms" => o.linger = Duration::from_millis(number(key, value, 0, 60_000)?),
                "max-in-flight" => o.max_in_flight = nonzero(key, value, 64)?,
                "batch-records" => o.batch_records = nonzero(key, value, 500)?,
                "buffer-records" => o.buffer_records = nonzero(key, value, 10_000_000)?,
                "flush-timeout-s" => {
                    o.flush_timeout = Duration::from_secs(number(key, value, 0, 86_400)?);
                    o.flush_timeout_set = true;
                }
                _ => {
                    return Err(format!(
                        "unknown option {key:?}; expected one of: {}",
                        match kind {
                            StreamKind::Kinesis => "partition-key, ",
                            StreamKind::Firehose => "",
                        }
                        .to_owned()
                            + "linger-ms, max-in-flight, batch-records, buffer-records, \
                               flush-timeout-s"
                    ));
                }
            }
        }
        Ok((name.to_owned(), o))
    }
}

fn number(key: &str, value: &str, min: u64, max: u64) -> Result<u64, String> {
    match value.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{key}={value:?}: expected a whole number from {min} to {max}"
        )),
    }
}

fn nonzero(key: &str, value: &str, max: u64) -> Result<NonZeroUsize, String> {
    let n = number(key, value, 1, max)?;
    Ok(NonZeroUsize::new(n as usize).expect("checked above"))
}

/// Writes the options that differ from the defaults, as `?a=b&c=d` (or nothing).
impl fmt::Display for StreamOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = Self::default();
        let mut parts = Vec::new();
        if self.partition_key != d.partition_key {
            parts.push(format!(
                "partition-key={}",
                match self.partition_key {
                    PartitionKey::Random => "random".to_owned(),
                    PartitionKey::User => "user".to_owned(),
                    PartitionKey::Field(field) => format!("field:{}", field.name()),
                }
            ));
        }
        if self.linger != d.linger {
            parts.push(format!("linger-ms={}", self.linger.as_millis()));
        }
        if self.max_in_flight != d.max_in_flight {
            parts.push(format!("max-in-flight={}", self.max_in_flight));
        }
        if self.batch_records != d.batch_records {
            parts.push(format!("batch-records={}", self.batch_records));
        }
        if self.buffer_records != d.buffer_records {
            parts.push(format!("buffer-records={}", self.buffer_records));
        }
        if self.flush_timeout_set {
            parts.push(format!("flush-timeout-s={}", self.flush_timeout.as_secs()));
        }
        if !parts.is_empty() {
            write!(f, "?{}", parts.join("&"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_option_and_round_trips() {
        let spec = "clicks?partition-key=field:group_id&linger-ms=20&max-in-flight=8\
                    &batch-records=100&buffer-records=2000&flush-timeout-s=5";
        let (name, o) = StreamOptions::parse_spec(spec, StreamKind::Kinesis).unwrap();
        assert_eq!(name, "clicks");
        assert_eq!(o.partition_key, PartitionKey::Field(ClickField::GroupId));
        assert_eq!(o.linger, Duration::from_millis(20));
        assert_eq!(o.max_in_flight.get(), 8);
        assert_eq!(o.batch_records.get(), 100);
        assert_eq!(o.buffer_records.get(), 2000);
        assert_eq!(o.flush_timeout, Duration::from_secs(5));
        assert!(o.flush_timeout_set);
        assert_eq!(format!("{name}{o}"), spec);
        let (_, d) = StreamOptions::parse_spec("s", StreamKind::Kinesis).unwrap();
        assert_eq!(
            (d.to_string(), d),
            (String::new(), StreamOptions::default())
        );
    }

    #[test]
    fn errors_name_the_option() {
        let cases = [
            ("s?linger-ms=abc", "linger-ms=\"abc\""),
            ("s?batch-records=501", "batch-records=\"501\""),
            ("s?max-in-flight=0", "max-in-flight=\"0\""),
            (
                "s?partition-key=field:colour",
                "partition-key=\"field:colour\"",
            ),
            ("s?lingerms=5", "unknown option \"lingerms\""),
            ("s?linger-ms", "needs a value"),
            ("a/b", "stream name \"a/b\""),
        ];
        for (spec, want) in cases {
            let err = StreamOptions::parse_spec(spec, StreamKind::Kinesis).unwrap_err();
            assert!(err.contains(want), "{spec}: {err}");
        }
        let err =
            StreamOptions::parse_spec("d?partition-key=user", StreamKind::Firehose).unwrap_err();
        assert!(err.contains("unknown option \"partition-key\""), "{err}");
        let err = StreamOptions::parse_spec("?linger-ms=1", StreamKind::Firehose).unwrap_err();
        assert!(err.contains("stream name \"\""), "{err}");
    }
}
