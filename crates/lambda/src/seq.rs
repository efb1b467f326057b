//! Where a Kinesis record comes from — stream, shard, sequence number — checked,
//! because these become object keys in the lake.
//!
//! An event source mapping's record carries the shard in its `eventID`
//! (`shardId-000000000000:4954…`), the stream in its `eventSourceARN`
//! (`arn:aws:kinesis:REGION:ACCOUNT:stream/NAME`) and the sequence number (decimal
//! digits, up to 128) in `kinesis.sequenceNumber`. Anything else is refused rather
//! than written into a path.

use std::cmp::Ordering;
use std::fmt;

/// A Kinesis sequence number: 1 to 128 decimal digits, ordered as a number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SeqNo(String);

impl SeqNo {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() || s.len() > 128 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "sequence number {:?} is not 1 to 128 decimal digits",
                truncated(s)
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn significant(&self) -> &str {
        let t = self.0.trim_start_matches('0');
        if t.is_empty() { "0" } else { t }
    }
}

impl Ord for SeqNo {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (self.significant(), other.significant());
        a.len().cmp(&b.len()).then_with(|| a.cmp(b))
    }
}

impl PartialOrd for SeqNo {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for SeqNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The stream and shard of a record: the records of one shard of one stream form a
/// sequence that Lambda delivers, retries and bisects on its own.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    pub stream: String,
    pub shard: String,
}

impl Origin {
    /// From a record's `eventSourceARN` and `eventID`.
    pub fn parse(arn: Option<&str>, event_id: Option<&str>) -> Result<Self, String> {
        let arn = arn.ok_or("no eventSourceARN")?;
        let stream = arn
            .rsplit_once(":stream/")
            .map(|(_, s)| s)
            .ok_or_else(|| format!("eventSourceARN {:?} is not a stream's", truncated(arn)))?;
        check_name("stream name", stream)?;
        let id = event_id.ok_or("no eventID")?;
        let shard = id
            .split_once(':')
            .map(|(s, _)| s)
            .ok_or_else(|| format!("eventID {:?} is not SHARD:SEQUENCE", truncated(id)))?;
        check_name("shard id", shard)?;
        Ok(Self {
            stream: stream.to_owned(),
            shard: shard.to_owned(),
        })
    }

    /// The name stem of the lake files of this origin's records `first..=last`:
    /// `part-{stream}-{shard}-{first}-{last}`.
    pub fn file_stem(&self, first: &SeqNo, last: &SeqNo) -> String {
        format!("part-{}-{}-{first}-{last}", self.stream, self.shard)
    }

    /// Where this origin's intents are kept (see [`crate::intent`]).
    pub fn intent_dir(&self) -> String {
        format!("_csgen/lambda/{}/{}", self.stream, self.shard)
    }

    /// The `csgen enrich --from kinesis:STREAM` source name, in dead letters.
    pub fn source_name(&self) -> String {
        format!("kinesis:{}", self.stream)
    }

    /// The key mixed into derived event ids: the same as `csgen enrich --from
    /// kinesis:STREAM`'s, so both give a record without `event_id` the same id.
    pub fn source_key(&self) -> u64 {
        use csgen_pipeline::hash::{FNV_OFFSET, fnv1a};
        fnv1a(FNV_OFFSET, format!("kinesis-{}", self.stream).as_bytes())
    }
}

/// Stream names and shard ids: 1 to 128 of `[A-Za-z0-9_.-]` (Kinesis's own rule), and
/// not `.` or `..`, so they are safe as path segments.
fn check_name(what: &str, s: &str) -> Result<(), String> {
    let ok = (1..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        && s != "."
        && s != "..";
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} {:?} is not 1 to 128 of A-Z a-z 0-9 _ . -",
            truncated(s)
        ))
    }
}

/// At most 200 bytes of hostile text in a message.
fn truncated(s: &str) -> &str {
    let mut end = s.len().min(200);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_order_as_numbers() {
        let s = |x: &str| SeqNo::parse(x).unwrap();
        assert!(s("9") < s("10"));
        assert!(s("0010") == s("0010") && s("010").cmp(&s("10")) == Ordering::Equal);
        assert!(s("49590338271490256608559692538361571095921575989136588898") > s("4"));
        for bad in ["", "12a", "-1", " 1", &"1".repeat(129)] {
            assert!(SeqNo::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn origins_come_from_the_arn_and_event_id() {
        let o = Origin::parse(
            Some("arn:aws:kinesis:eu-west-1:123456789012:stream/clicks"),
            Some("shardId-000000000003:4959"),
        )
        .unwrap();
        assert_eq!(o.stream, "clicks");
        assert_eq!(o.shard, "shardId-000000000003");
        assert_eq!(
            o.file_stem(&SeqNo::parse("1").unwrap(), &SeqNo::parse("9").unwrap()),
            "part-clicks-shardId-000000000003-1-9"
        );
    }

    #[test]
    fn hostile_origins_are_refused_not_written_into_paths() {
        let arn = "arn:aws:kinesis:r:1:stream/ok";
        for (arn, id) in [
            (None, Some("s:1")),
            (Some(arn), None),
            (Some("arn:aws:sqs:r:1:queue"), Some("s:1")),
            (Some("arn:aws:kinesis:r:1:stream/../x"), Some("s:1")),
            (Some("arn:aws:kinesis:r:1:stream/"), Some("s:1")),
            (Some(arn), Some("no-colon")),
            (Some(arn), Some("../..:1")),
            (Some(arn), Some("a/b:1")),
            (Some(arn), Some("..:1")),
        ] {
            assert!(Origin::parse(arn, id).is_err(), "{arn:?} {id:?}");
        }
        let long = format!("{}:1", "é".repeat(300));
        let err = Origin::parse(Some(arn), Some(&long)).unwrap_err();
        assert!(err.len() < 300, "{err}");
    }
}
