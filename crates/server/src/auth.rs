//! The control token: kept only as a SHA-256 digest, compared in constant time.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What a caller must present to control the generator.
#[derive(Clone)]
pub struct Token {
    digest: [u8; 32],
}

impl Token {
    /// From the token itself (e.g. `CS_TOKEN`); only its digest is kept.
    pub fn from_plain(token: &str) -> Self {
        Self {
            digest: sha256(token),
        }
    }

    /// From a digest (the config's `token-sha256`).
    pub fn from_digest(digest: [u8; 32]) -> Self {
        Self { digest }
    }

    /// Whether `candidate` is the token, in time independent of where they differ.
    pub fn verify(&self, candidate: &str) -> bool {
        sha256(candidate).ct_eq(&self.digest).into()
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// SHA-256 of a token.
pub fn sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// The config line that stores `token`'s digest, as `csgen token-hash` prints it.
pub fn config_line(token: &str) -> String {
    format!("token-sha256={}", hex::encode(sha256(token)))
}

/// The token a request presents: `Authorization: Bearer …`, else the `token` query
/// parameter (the original's way).
pub(crate) fn presented<'a>(
    headers: &'a axum::http::HeaderMap,
    query: Option<&'a str>,
) -> Option<&'a str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .or(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_only_the_same_token() {
        let t = Token::from_plain("s3cret");
        assert!(t.verify("s3cret"));
        assert!(!t.verify("s3cret "));
        assert!(!t.verify(""));
        assert!(Token::from_digest(sha256("x")).verify("x"));
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
    }

    #[test]
    fn config_line_is_the_known_digest() {
        assert_eq!(
            config_line("abc"),
            "token-sha256=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
