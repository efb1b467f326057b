//! What every Kafka endpoint shares (the `kafka:` sink now, the consumer-group source
//! next): the `BROKERS/TOPIC` part of a spec, the client configuration from a file and
//! the environment ([`config`]), and what a client's callbacks report ([`client`]).
//!
//! A Kafka spec is `kafka:BROKERS/TOPIC[?options]`, BROKERS a comma-separated list of
//! `host:port` (`[v6]:port` for IPv6 literals), TOPIC a Kafka topic name. Parsing is
//! pure and strict, and each problem names the part at fault.

pub mod client;
pub mod config;

use std::fmt;

pub use client::{ClientEvents, EventsContext, TopicMeta, fetch_topic, wait_for_topic};
pub use config::{KafkaConfigError, KafkaSettings, Origin, Setting};

/// Most brokers a spec may list: a bootstrap list needs a few, not hundreds.
pub const MAX_BROKERS: usize = 64;
/// Kafka's own limit on a topic name's length.
pub const MAX_TOPIC_LEN: usize = 249;

/// The `BROKERS/TOPIC` part of a Kafka spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// Bootstrap brokers, `host:port` each, in the order given.
    pub brokers: Vec<String>,
    pub topic: String,
}

impl Address {
    /// Reads `BROKERS/TOPIC` (the text between `kafka:` and `?`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let Some((brokers, topic)) = text.rsplit_once('/') else {
            return Err(format!(
                "{text:?}: expected BROKERS/TOPIC, e.g. 127.0.0.1:9092/clicks"
            ));
        };
        let brokers = parse_brokers(brokers)?;
        check_topic(topic)?;
        Ok(Self {
            brokers,
            topic: topic.to_owned(),
        })
    }

    /// The brokers as librdkafka's `bootstrap.servers` takes them.
    pub fn bootstrap(&self) -> String {
        self.brokers.join(",")
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.bootstrap(), self.topic)
    }
}

/// Reads a comma-separated broker list: each `host:port`, port 1 to 65535.
pub fn parse_brokers(text: &str) -> Result<Vec<String>, String> {
    if text.is_empty() {
        return Err("no brokers: expected BROKERS/TOPIC, e.g. 127.0.0.1:9092/clicks".into());
    }
    let brokers: Vec<&str> = text.split(',').collect();
    if brokers.len() > MAX_BROKERS {
        return Err(format!("more than {MAX_BROKERS} brokers"));
    }
    brokers
        .into_iter()
        .map(|b| check_broker(b).map(|()| b.to_owned()))
        .collect()
}

fn check_broker(broker: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("broker {broker:?}: {why}"));
    let Some((host, port)) = broker.rsplit_once(':') else {
        return bad("expected host:port, e.g. 127.0.0.1:9092");
    };
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => !v6.is_empty() && v6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':'),
        None => {
            !host.is_empty()
                && host.len() <= 253
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        }
    };
    if !host_ok {
        return bad("the host must be a name, an IPv4 address or [an IPv6 address]");
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 && !port.starts_with('+') => Ok(()),
        _ => bad("the port must be a number from 1 to 65535"),
    }
}

/// Checks a topic name as Kafka does: 1 to 249 characters of `A-Z a-z 0-9 . _ -`,
/// and not `.` or `..`.
pub fn check_topic(topic: &str) -> Result<(), String> {
    let ok = (1..=MAX_TOPIC_LEN).contains(&topic.len())
        && topic
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && topic != "."
        && topic != "..";
    if ok {
        Ok(())
    } else {
        Err(format!(
            "topic {topic:?} must be 1 to {MAX_TOPIC_LEN} characters of A-Z a-z 0-9 . _ - \
             (and not . or ..)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_brokers_and_topic_and_prints_them_back() {
        for text in [
            "127.0.0.1:9092/clicks",
            "b1:9092,b2.example.com:19092/clicks.v2",
            "[::1]:9092/t",
            "kafka-0.kafka_headless:9092/a_b-c",
        ] {
            let a = Address::parse(text).unwrap();
            assert_eq!(a.to_string(), text);
        }
        let a = Address::parse("b1:1,b2:2/t").unwrap();
        assert_eq!(a.brokers, ["b1:1", "b2:2"]);
        assert_eq!(a.bootstrap(), "b1:1,b2:2");
    }

    #[test]
    fn hostile_addresses_are_errors_that_name_the_part() {
        let long_topic = format!("b:1/{}", "t".repeat(250));
        let many = format!("{}/t", vec!["b:1"; 65].join(","));
        for (text, want) in [
            ("", "expected BROKERS/TOPIC"),
            ("clicks", "expected BROKERS/TOPIC"),
            ("/clicks", "no brokers"),
            ("b:9092/", "topic \"\""),
            ("b/t", "broker \"b\": expected host:port"),
            ("b:0/t", "port must be a number from 1 to 65535"),
            ("b:65536/t", "port must be"),
            ("b:-1/t", "port must be"),
            ("b:+5/t", "port must be"),
            ("b:NaN/t", "port must be"),
            (":9092/t", "the host must be"),
            ("b:1,,c:2/t", "broker \"\""),
            ("b c:1/t", "the host must be"),
            ("[zz]:1/t", "the host must be"),
            ("b:1/a/b", "broker \"b:1/a\""),
            ("b:1/..", "topic \"..\""),
            ("b:1/t?x", "topic \"t?x\""),
            ("b:1/tö", "topic \"tö\""),
            (long_topic.as_str(), "1 to 249 characters"),
            (many.as_str(), "more than 64 brokers"),
        ] {
            let e = Address::parse(text).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
    }
}
