//! The `Host` check against DNS rebinding.
//!
//! A web page can make a browser send requests to 127.0.0.1 under its own domain name
//! (the name first resolves to the page's server, then to 127.0.0.1), and then read
//! the answers, token-free `/api/*` and `/metrics` included: the browser sees one
//! origin. What gives it away is the `Host` header, which carries the page's name. So
//! every request must name this server:
//!
//! - bound to a loopback address: `localhost`, `*.localhost` (which browsers resolve to
//!   loopback themselves) or a loopback address, any port;
//! - bound to one other address: that address;
//! - bound to every interface (`0.0.0.0`, `::`): any address literal or `localhost`;
//!
//! plus the names given with `--allow-host`. An address literal cannot be rebound, so it
//! is safe where it is allowed. A request without `Host` (HTTP/1.0 tools) is not from
//! a browser and passes. Anything else is answered 403 with the name and the fix.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppError;

/// Which `Host` names a server answers to.
#[derive(Debug, Clone)]
pub struct HostPolicy {
    bind: IpAddr,
    /// Lower-case names allowed besides the bind address's own.
    extra: Vec<String>,
}

impl HostPolicy {
    /// The names for a server bound to `bind`, plus `extra` (names or addresses, any case).
    pub fn new(bind: SocketAddr, extra: &[String]) -> Self {
        Self {
            bind: bind.ip(),
            extra: extra
                .iter()
                .map(|n| n.trim().to_ascii_lowercase())
                .collect(),
        }
    }

    /// Whether a request whose `Host` header (or absolute URI's authority) is `host`
    /// may be answered.
    pub fn allows(&self, host: Option<&str>) -> bool {
        let Some(host) = host else {
            return true;
        };
        let Some(name) = name_of(host) else {
            return false;
        };
        let name = name.to_ascii_lowercase();
        if self.extra.contains(&name) {
            return true;
        }
        let is_localhost = name == "localhost" || name.ends_with(".localhost");
        let literal = name
            .strip_prefix('[')
            .and_then(|n| n.strip_suffix(']'))
            .unwrap_or(&name)
            .parse::<IpAddr>()
            .ok();
        if self.bind.is_loopback() {
            is_localhost || literal.is_some_and(|ip| ip.is_loopback())
        } else if self.bind.is_unspecified() {
            is_localhost || literal.is_some()
        } else {
            literal == Some(self.bind)
        }
    }
}

/// The host part of a `Host` value (`name`, `name:port`, `[v6]`, `[v6]:port`), or
/// `None` if it is malformed.
fn name_of(host: &str) -> Option<&str> {
    let host = host.trim();
    let name = if host.starts_with('[') {
        let end = host.find(']')?;
        let (name, rest) = host.split_at(end + 1);
        if !(rest.is_empty() || rest.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        name
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) if is_port(port) && !name.contains(':') => name,
            Some(_) => return None,
            None => host,
        }
    };
    (!name.is_empty()).then_some(name)
}

fn is_port(p: &str) -> bool {
    !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit())
}

/// Middleware: answers 403 to a request whose `Host` the policy refuses.
pub(crate) async fn check(
    State(policy): State<Arc<HostPolicy>>,
    request: Request,
    next: Next,
) -> Response {
    // An unreadable Host names nothing this server answers to.
    let named = match request.headers().get(header::HOST).map(|h| h.to_str()) {
        Some(Ok(h)) => Some(h.to_owned()),
        Some(Err(_)) => Some(String::new()),
        None => None,
    };
    // An absolute request URI names the host as well; both must be allowed.
    let in_uri = request.uri().authority().map(|a| a.as_str().to_owned());
    for host in [named.as_deref(), in_uri.as_deref()].into_iter().flatten() {
        if !policy.allows(Some(host)) {
            tracing::warn!(host, "request refused: not a name of this server");
            return AppError(
                StatusCode::FORBIDDEN,
                format!(
                    "Host {host:?} is not a name of this server (a guard against DNS \
                     rebinding); use its address, or start csgen with --allow-host NAME"
                ),
            )
            .into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(bind: &str, extra: &[&str]) -> HostPolicy {
        let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
        HostPolicy::new(bind.parse().unwrap(), &extra)
    }

    #[test]
    fn a_loopback_server_answers_loopback_names_only() {
        let p = policy("127.0.0.1:3000", &[]);
        for ok in [
            "127.0.0.1:3000",
            "127.0.0.1",
            "127.1.2.3:80",
            "localhost:3000",
            "LOCALHOST",
            "app.localhost:3000",
            "[::1]:3000",
            "[::1]",
        ] {
            assert!(p.allows(Some(ok)), "{ok}");
        }
        for refused in [
            "evil.example:3000",
            "evil.example",
            "localhost.evil.example",
            "127.0.0.1.nip.io:3000",
            "192.168.1.10:3000",
            "[::2]:3000",
            "",
            ":3000",
            "localhost:abc",
            "localhost:3000:3000",
            "[::1",
            "[::1]x",
            "::1",
        ] {
            assert!(!p.allows(Some(refused)), "{refused:?}");
        }
        assert!(p.allows(None), "no Host: not a browser");
    }

    #[test]
    fn other_binds_answer_their_address_and_the_allowed_names() {
        let p = policy("192.168.1.10:3000", &["csgen.lan"]);
        assert!(p.allows(Some("192.168.1.10:3000")));
        assert!(p.allows(Some("CSGEN.lan:3000")));
        assert!(!p.allows(Some("192.168.1.11:3000")));
        assert!(!p.allows(Some("localhost:3000")));
        assert!(!p.allows(Some("evil.example")));

        let any = policy("0.0.0.0:3000", &[]);
        assert!(any.allows(Some("10.1.2.3:3000")));
        assert!(any.allows(Some("[fe80::1]:3000")));
        assert!(any.allows(Some("localhost")));
        assert!(!any.allows(Some("evil.example:3000")));
    }
}
