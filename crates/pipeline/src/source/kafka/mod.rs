//! `kafka:BROKERS/TOPIC?group=NAME[&until-idle=DURATION]`: a Kafka consumer group.
//!
//! Kafka assigns the topic's partitions to the group's members; each member is one
//! `csgen enrich` process. Every partition a member holds is a *lane* with its own lake
//! writer and its own checkpoint (`kafka-{topic}-{group}-p{N}`), holding the next
//! offset to read. A lane's writer id is derived from that name, so whichever member
//! holds the partition after a crash or a rebalance recovers that partition's last
//! flush exactly as a restarted file source would (finish the committed moves, delete
//! the staged files of a flush that never committed) and seeks to the checkpoint's
//! offset. Kafka's own committed offsets are written after each lake commit, for lag
//! tools only: they are never read back.
//!
//! The loop that drives the lanes is in `lanes.rs` (the driver hands Kafka to it),
//! the client, its rebalance callback and the health check in `consumer.rs`.

mod consumer;
mod lanes;

use std::fmt;
use std::time::Duration;

pub use lanes::run;

use super::{Source, SourceContext, SourceEndpoint, SourceError};
use crate::endpoint::kafka::Address;
use crate::endpoint::{Form, Options, ServiceError, Written, duration};

pub const FORM: Form = Form {
    scheme: "kafka",
    form: "kafka:BROKERS/TOPIC?group=NAME[&until-idle=DURATION]",
    about: "a Kafka consumer group: members share the partitions (resumable: an offset per \
            partition in the lake)",
};

/// Longest consumer group name accepted.
pub const MAX_GROUP_LEN: usize = 249;

/// A topic read by a consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaSourceSpec {
    pub address: Address,
    /// The consumer group (`group.id`); members with the same group share the partitions.
    pub group: String,
    /// Stop once no record arrived for this long (batch use, tests); `None` reads until
    /// shutdown.
    pub until_idle: Option<Duration>,
}

impl KafkaSourceSpec {
    pub fn parse(rest: &str) -> Result<Self, String> {
        let (address, query) = rest.split_once('?').unwrap_or((rest, ""));
        let address = Address::parse(address)?;
        let mut o = Options::parse(query)?;
        let group = o.take("group").map(str::to_owned);
        let until_idle = o.duration("until-idle", Duration::from_millis(1)..=duration::MAX)?;
        o.finish(&["group", "until-idle"])?;
        let Some(group) = group else {
            return Err(format!(
                "no consumer group: expected kafka:{address}?group=NAME"
            ));
        };
        check_group(&group)?;
        Ok(Self {
            address,
            group,
            until_idle,
        })
    }

    /// The checkpoint name of partition `partition` (one per lane).
    pub fn lane_checkpoint(&self, partition: i32) -> String {
        format!("kafka-{}-{}-p{partition}", self.address.topic, self.group)
    }

    /// The fixed writer id of partition `partition`: the same in every member, so the
    /// member that gains the partition cleans up what its previous holder staged.
    pub fn lane_writer_id(&self, partition: i32) -> String {
        let h = crate::hash::fnv1a(
            crate::hash::fnv1a(crate::hash::FNV_OFFSET, self.address.topic.as_bytes()),
            format!("/{}", self.group).as_bytes(),
        );
        format!("k{h:016x}_p{partition}")
    }
}

/// Checks a group name: 1 to [`MAX_GROUP_LEN`] of `A-Z a-z 0-9 . _ -` (Kafka takes any
/// string; these are the ones that are safe in checkpoint names, logs and shells).
pub fn check_group(group: &str) -> Result<(), String> {
    let ok = (1..=MAX_GROUP_LEN).contains(&group.len())
        && group
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "group {group:?} must be 1 to {MAX_GROUP_LEN} characters of A-Z a-z 0-9 . _ -"
        ))
    }
}

impl fmt::Display for KafkaSourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = Written::default();
        w.add("group", &self.group);
        if let Some(idle) = self.until_idle {
            w.add("until-idle", duration::Shown(idle));
        }
        write!(f, "kafka:{}{w}", self.address)
    }
}

#[async_trait::async_trait]
impl SourceEndpoint for KafkaSourceSpec {
    /// Kafka is not a single-position source: the driver runs it through [`run`].
    async fn open(&self, _cx: &SourceContext) -> Result<Box<dyn Source>, SourceError> {
        Err(SourceError::Service {
            source_name: self.to_string(),
            call: "open".into(),
            error: ServiceError::new("a consumer group is driven per partition by kafka::run"),
        })
    }

    fn checkpoint_name(&self) -> Option<String> {
        Some(format!("kafka-{}-{}", self.address.topic, self.group))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_group_spec_and_prints_it_back() {
        let s = KafkaSourceSpec::parse("127.0.0.1:9092/clicks?group=lake&until-idle=5s").unwrap();
        assert_eq!(s.group, "lake");
        assert_eq!(s.until_idle, Some(Duration::from_secs(5)));
        assert_eq!(
            s.to_string(),
            "kafka:127.0.0.1:9092/clicks?group=lake&until-idle=5s"
        );
        assert_eq!(s.lane_checkpoint(3), "kafka-clicks-lake-p3");
        let id = s.lane_writer_id(3);
        assert!(id.ends_with("_p3") && id.len() <= 64, "{id}");
        assert_ne!(id, s.lane_writer_id(4));
        let other = KafkaSourceSpec::parse("b:1/clicks?group=lake2").unwrap();
        assert_ne!(other.lane_writer_id(3), id);
    }

    #[test]
    fn hostile_specs_name_what_is_wrong() {
        let long = format!("b:1/t?group={}", "g".repeat(250));
        for (text, want) in [
            (
                "b:1/t",
                "no consumer group: expected kafka:b:1/t?group=NAME",
            ),
            ("b:1/t?group=", "group \"\" must be"),
            ("b:1/t?group=a b", "group \"a b\" must be"),
            ("b:1/t?group=a/../b", "group \"a/../b\" must be"),
            ("b:1/t?group=g&group=h", "given twice"),
            ("b:1/t?group=g&until-idle=-1s", "until-idle"),
            ("b:1/t?group=g&until-idle=NaN", "until-idle"),
            ("b:1/t?group=g&offset=0", "offset"),
            ("b:0/t?group=g", "port must be"),
            ("/t?group=g", "no brokers"),
            (long.as_str(), "1 to 249 characters"),
        ] {
            let e = KafkaSourceSpec::parse(text).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
    }
}
