//! Options of the `kafka:` sink (`kafka:BROKERS/TOPIC?key=user&linger=20ms`) and the
//! librdkafka producer properties they become.
//!
//! Parsing is pure and strict, as for every endpoint: an unknown option, a value out of
//! range, or two options that contradict each other (`acks=1` with the idempotent
//! producer) is an error naming the option. Defaults live in [`KafkaOptions::default`].

use std::fmt;
use std::num::NonZeroUsize;
use std::time::Duration;

use csgen_model::Click;
use csgen_pipeline::endpoint::duration::Shown;
use csgen_pipeline::endpoint::kafka::Setting;
use csgen_pipeline::endpoint::{Options, Written};

use crate::batched::options::ClickField;

/// The message key, which picks the partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MessageKey {
    /// No key: librdkafka spreads messages over the partitions at random, a batch at a
    /// time (sticky partitioning), which makes the fullest batches. No order between a
    /// user's clicks.
    #[default]
    Random,
    /// The user id: a user's clicks go to one partition, in order.
    User,
    /// The realistic model's session id (as in the record's `session_id`): a session's
    /// clicks go to one partition, in order. Classic clicks have no session and are
    /// keyed by user.
    Session,
    /// A click field (`user_id`, `group_id`, `product_id`, `event_id`).
    Field(ClickField),
}

impl MessageKey {
    fn parse(value: &str) -> Result<Self, String> {
        match value {
            "random" => Ok(Self::Random),
            "user" => Ok(Self::User),
            "session" => Ok(Self::Session),
            _ => value
                .strip_prefix("field:")
                .and_then(ClickField::parse)
                .map(Self::Field)
                .ok_or_else(|| {
                    format!(
                        "key={value:?}: expected random, user, session or field:NAME with NAME \
                         one of {:?}",
                        ClickField::NAMES
                    )
                }),
        }
    }

    /// Writes `click`'s key into `out`; false for no key.
    pub fn write(self, click: &Click, out: &mut String) -> bool {
        use std::fmt::Write;
        out.clear();
        // Writing into a String cannot fail.
        let _ = match self {
            Self::Random => return false,
            Self::User => write!(out, "{}", click.user_id),
            Self::Session => match click.session_id() {
                Some(id) => write!(out, "{id}"),
                None => write!(out, "{}", click.user_id),
            },
            Self::Field(field) => write!(out, "{}", field.key(click)),
        };
        true
    }
}

impl fmt::Display for MessageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Random => f.write_str("random"),
            Self::User => f.write_str("user"),
            Self::Session => f.write_str("session"),
            Self::Field(field) => write!(f, "field:{}", field.name()),
        }
    }
}

/// `acks`: how many replicas must have a batch before the broker acknowledges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acks {
    All,
    Leader,
    None,
}

impl Acks {
    const CHOICES: [(&str, Acks); 3] = [("all", Acks::All), ("1", Acks::Leader), ("0", Acks::None)];

    /// As librdkafka's `acks` and the spec spell it.
    pub fn name(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Leader => "1",
            Self::None => "0",
        }
    }
}

/// `compression`: the codec of record batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl Compression {
    const CHOICES: [(&str, Compression); 5] = [
        ("none", Compression::None),
        ("gzip", Compression::Gzip),
        ("snappy", Compression::Snappy),
        ("lz4", Compression::Lz4),
        ("zstd", Compression::Zstd),
    ];

    /// As librdkafka's `compression.type` and the spec spell it.
    pub fn name(self) -> &'static str {
        Self::CHOICES
            .iter()
            .find(|(_, c)| *c == self)
            .map_or("none", |(n, _)| n)
    }
}

/// The options of a `kafka:` spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaOptions {
    /// `key=random|user|session|field:NAME`. Default `random` (no key).
    pub key: MessageKey,
    /// `acks=all|1|0`. Default `all`.
    pub acks: Acks,
    /// `idempotence=true|false`: the idempotent producer (no duplicates or reordering
    /// from its own retries). Default `true`; needs `acks=all` and `max-in-flight` ≤ 5.
    pub idempotence: bool,
    /// `compression=none|gzip|snappy|lz4|zstd`. Default `none`.
    pub compression: Compression,
    /// `linger`: longest a record waits for a fuller batch. Default 5ms, at most 1m.
    pub linger: Duration,
    /// `batch-records`: most records in one batch. Default 10 000, 1 to 1 000 000.
    pub batch_records: NonZeroUsize,
    /// `batch-bytes`: most bytes in one batch. Default 1 000 000, 1 to 100 000 000.
    pub batch_bytes: NonZeroUsize,
    /// `max-in-flight`: requests outstanding per broker connection. Default 5, 1 to 5
    /// with idempotence, else to 1000.
    pub max_in_flight: NonZeroUsize,
    /// `buffer-records`: records accepted but not yet acknowledged before the generator
    /// waits. Default 100 000, 1 to 10 000 000.
    pub buffer_records: NonZeroUsize,
    /// `client-id`: the client id brokers log and quota by. Default `csgen`.
    pub client_id: String,
    /// `flush-timeout`: how long shutdown waits for delivery, at most 1d. `None`: the
    /// run's flush timeout, else [`DEFAULT_FLUSH_TIMEOUT`].
    pub flush_timeout: Option<Duration>,
}

/// How long shutdown waits for delivery when neither the spec nor the run says.
pub const DEFAULT_FLUSH_TIMEOUT: Duration = Duration::from_secs(30);

fn nonzero(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN)
}

impl Default for KafkaOptions {
    fn default() -> Self {
        Self {
            key: MessageKey::Random,
            acks: Acks::All,
            idempotence: true,
            compression: Compression::None,
            linger: Duration::from_millis(5),
            batch_records: nonzero(10_000),
            batch_bytes: nonzero(1_000_000),
            max_in_flight: nonzero(5),
            buffer_records: nonzero(100_000),
            client_id: "csgen".into(),
            flush_timeout: None,
        }
    }
}

const MAX_LINGER: Duration = Duration::from_secs(60);
const MAX_FLUSH_TIMEOUT: Duration = Duration::from_secs(86_400);
/// Most requests in flight the idempotent producer allows (a Kafka protocol limit).
const IDEMPOTENT_MAX_IN_FLIGHT: usize = 5;
/// librdkafka's total buffer, unless the config file says otherwise: with
/// `buffer-records` it bounds what the sink holds.
const BUFFER_KBYTES: &str = "262144";

const KNOWN: &[&str] = &[
    "key",
    "acks",
    "idempotence",
    "compression",
    "linger",
    "batch-records",
    "batch-bytes",
    "max-in-flight",
    "buffer-records",
    "client-id",
    "flush-timeout",
];

impl KafkaOptions {
    /// Reads the options after `?` of a `kafka:` spec.
    pub fn parse(query: &str) -> Result<Self, String> {
        let mut o = Options::parse(query)?;
        let d = Self::default();
        let key = o.take("key").map(MessageKey::parse).transpose()?;
        let client_id = o.take("client-id").map(check_client_id).transpose()?;
        let options = Self {
            key: key.unwrap_or(d.key),
            acks: o.choice("acks", &Acks::CHOICES)?.unwrap_or(d.acks),
            idempotence: o.boolean("idempotence")?.unwrap_or(d.idempotence),
            compression: o
                .choice("compression", &Compression::CHOICES)?
                .unwrap_or(d.compression),
            linger: o
                .duration("linger", Duration::ZERO..=MAX_LINGER)?
                .unwrap_or(d.linger),
            batch_records: o.count("batch-records", 1_000_000, d.batch_records)?,
            batch_bytes: o.count("batch-bytes", 100_000_000, d.batch_bytes)?,
            max_in_flight: o.count("max-in-flight", 1000, d.max_in_flight)?,
            buffer_records: o.count("buffer-records", 10_000_000, d.buffer_records)?,
            client_id: client_id.unwrap_or(d.client_id),
            flush_timeout: o.duration("flush-timeout", Duration::ZERO..=MAX_FLUSH_TIMEOUT)?,
        };
        o.finish(KNOWN)?;
        if options.idempotence && options.acks != Acks::All {
            return Err(format!(
                "acks={} needs idempotence=false (the idempotent producer waits for all replicas)",
                options.acks.name()
            ));
        }
        if options.idempotence && options.max_in_flight.get() > IDEMPOTENT_MAX_IN_FLIGHT {
            return Err(format!(
                "max-in-flight={} needs idempotence=false (the idempotent producer allows at \
                 most {IDEMPOTENT_MAX_IN_FLIGHT})",
                options.max_in_flight
            ));
        }
        Ok(options)
    }

    /// How long shutdown waits: the spec's flush timeout, else the run's, else 30s.
    pub fn flush_timeout(&self, run: Option<Duration>) -> Duration {
        self.flush_timeout.or(run).unwrap_or(DEFAULT_FLUSH_TIMEOUT)
    }

    /// The producer properties these options set (which the config file may not set
    /// again), csgen's defaults (which it may), and those it may not touch at all.
    pub fn settings(&self, bootstrap: String) -> Vec<Setting> {
        let own = |key, value: String, owner| Setting {
            key,
            value: Some(value),
            owner,
        };
        // Aliases librdkafka accepts for the same property: setting one beside the
        // other would leave it to chance which wins.
        let alias = |key, owner| Setting {
            key,
            value: None,
            owner,
        };
        let linger_ms = self.linger.as_secs_f64() * 1000.0;
        vec![
            own("bootstrap.servers", bootstrap, "the spec's BROKERS"),
            alias("metadata.broker.list", "the spec's BROKERS"),
            own(
                "client.id",
                self.client_id.clone(),
                "the spec option client-id",
            ),
            own("acks", self.acks.name().into(), "the spec option acks"),
            alias("request.required.acks", "the spec option acks"),
            own(
                "enable.idempotence",
                self.idempotence.to_string(),
                "the spec option idempotence",
            ),
            own(
                "compression.type",
                self.compression.name().into(),
                "the spec option compression",
            ),
            alias("compression.codec", "the spec option compression"),
            own("linger.ms", linger_ms.to_string(), "the spec option linger"),
            alias("queue.buffering.max.ms", "the spec option linger"),
            own(
                "batch.num.messages",
                self.batch_records.to_string(),
                "the spec option batch-records",
            ),
            own(
                "batch.size",
                self.batch_bytes.to_string(),
                "the spec option batch-bytes",
            ),
            own(
                "max.in.flight.requests.per.connection",
                self.max_in_flight.to_string(),
                "the spec option max-in-flight",
            ),
            alias("max.in.flight", "the spec option max-in-flight"),
            own(
                "queue.buffering.max.messages",
                self.buffer_records.to_string(),
                "the spec option buffer-records",
            ),
            alias(
                "delivery.report.only.error",
                "csgen, which counts every delivery report",
            ),
        ]
    }

    /// Producer properties csgen sets by default and a config file may change.
    pub fn defaults() -> [(&'static str, &'static str); 1] {
        [("queue.buffering.max.kbytes", BUFFER_KBYTES)]
    }
}

/// A client id: 1 to 255 printable ASCII characters, no `&` (it ends an option).
fn check_client_id(value: &str) -> Result<String, String> {
    let ok = (1..=255).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_graphic() && b != b'&');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "client-id={:?}: expected 1 to 255 printable ASCII characters",
            value.chars().take(64).collect::<String>()
        ))
    }
}

/// Writes the options that differ from the defaults, as `?a=b&c=d` (or nothing).
impl fmt::Display for KafkaOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = Self::default();
        let mut w = Written::default();
        w.changed("key", self.key, d.key)
            .changed("acks", self.acks.name(), d.acks.name())
            .changed("idempotence", self.idempotence, d.idempotence)
            .changed("compression", self.compression.name(), d.compression.name())
            .changed_duration("linger", self.linger, d.linger)
            .changed("batch-records", self.batch_records, d.batch_records)
            .changed("batch-bytes", self.batch_bytes, d.batch_bytes)
            .changed("max-in-flight", self.max_in_flight, d.max_in_flight)
            .changed("buffer-records", self.buffer_records, d.buffer_records)
            .changed("client-id", self.client_id.as_str(), d.client_id.as_str());
        if let Some(t) = self.flush_timeout {
            w.add("flush-timeout", Shown(t));
        }
        w.fmt(f)
    }
}

#[cfg(test)]
#[path = "options_tests.rs"]
mod tests;
