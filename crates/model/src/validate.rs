//! The checks both configuration syntaxes make on the values they share, with one
//! message each: the properties reader ([`crate::config`]) and the TOML validator
//! ([`crate::realistic`]) call these and add the key and line themselves.
//!
//! Each function takes the value as read and returns it checked, or the message that
//! says what is wrong and what is allowed.

use std::fmt::Display;

/// How far a family of probabilities may be from summing to exactly 1.
pub const SUM_TOLERANCE: f64 = 1e-6;

/// `p` if it is a probability.
pub fn probability(p: f64) -> Result<f64, String> {
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("{p} is not a probability in [0, 1]"))
    }
}

/// Whether a family of shares (named `what` in the message) sums to 1.
pub fn sums_to_one(what: impl Display, sum: f64) -> Result<(), String> {
    if (sum - 1.0).abs() <= SUM_TOLERANCE {
        Ok(())
    } else {
        Err(format!(
            "{what} sum to {sum}, but must sum to 1 (within {SUM_TOLERANCE})"
        ))
    }
}

/// A text value that must say something.
pub fn not_empty(value: &str) -> Result<&str, String> {
    if value.trim().is_empty() {
        Err("must not be empty".to_owned())
    } else {
        Ok(value)
    }
}

/// The store's base URL: http(s), no query or fragment (record URLs are built by
/// appending `/api/...` to it). Returned without a trailing slash.
pub fn store_url(value: &str) -> Result<String, String> {
    match url::Url::parse(value) {
        Ok(u)
            if matches!(u.scheme(), "http" | "https")
                && u.query().is_none()
                && u.fragment().is_none() =>
        {
            Ok(value.trim_end_matches('/').to_owned())
        }
        Ok(_) => Err(format!(
            "{value:?} must be an http(s) URL without a query or fragment"
        )),
        Err(e) => Err(format!("{value:?} is not a URL: {e}")),
    }
}

/// The SHA-256 digest of the control token, as `csgen token-hash` prints it.
pub fn token_digest(value: &str) -> Result<[u8; 32], String> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(value.trim(), &mut out).map_err(|_| {
        "must be 64 hex digits (the SHA-256 digest printed by `csgen token-hash`)".to_owned()
    })?;
    Ok(out)
}

/// Longest Kinesis (and Firehose) stream name AWS accepts.
pub const MAX_STREAM_NAME: usize = 128;

/// A Kinesis stream name as AWS accepts it: 1 to 128 letters, digits, `_`, `-`, `.`.
/// An empty value means "not set" (`Ok(None)`), as in the original's files. A
/// placeholder such as `<PROVIDE-YOUR-KINESIS-STREAM-NAME-HERE>` is refused with a
/// hint, instead of failing later at the first call to AWS.
pub fn stream_name(value: &str) -> Result<Option<String>, String> {
    let name = value.trim();
    if name.is_empty() {
        return Ok(None);
    }
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"_-.".contains(&b);
    if name.len() <= MAX_STREAM_NAME && name.bytes().all(allowed) {
        return Ok(Some(name.to_owned()));
    }
    let shown: String = name.chars().take(MAX_STREAM_NAME + 2).collect();
    let mut message = format!(
        "{shown:?} is not a Kinesis stream name: use 1 to {MAX_STREAM_NAME} letters, digits, \
         '_', '-' or '.'"
    );
    if name.contains(['<', '>']) {
        message.push_str(
            " (this looks like the example file's placeholder: put your stream's name \
             there, or remove the line)",
        );
    }
    Err(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_names_follow_the_aws_rules() {
        assert_eq!(stream_name("clicks-1.a_b"), Ok(Some("clicks-1.a_b".into())));
        assert_eq!(stream_name("  "), Ok(None));
        assert_eq!(
            stream_name(&"a".repeat(128)).map(|s| s.map(|s| s.len())),
            Ok(Some(128))
        );
        assert!(stream_name(&"a".repeat(129)).is_err());
        assert!(stream_name("has space").is_err());
        assert!(stream_name("ünïcode").is_err());
        let placeholder = stream_name("<PROVIDE-YOUR-KINESIS-STREAM-NAME-HERE>").unwrap_err();
        assert!(placeholder.contains("placeholder"), "{placeholder}");
    }

    #[test]
    fn store_urls() {
        assert_eq!(
            store_url("https://a.example/").as_deref(),
            Ok("https://a.example")
        );
        for bad in ["ftp://a", "https://a?x=1", "https://a#top", "nope"] {
            assert!(store_url(bad).is_err(), "{bad}");
        }
    }
}
