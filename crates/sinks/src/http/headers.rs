//! Extra request headers of the HTTP sinks, and keeping their secrets secret.
//!
//! Headers come from three places, applied in this order (a later one replaces an
//! earlier one of the same name):
//!
//! 1. `headers-file=PATH`: a file of `Name: Value` lines (`#` comments, blank lines);
//! 2. `header-env.NAME=VAR`: header NAME's value is environment variable VAR;
//! 3. `header.NAME=VALUE` (VALUE percent-decoded), plain headers on the command line.
//!
//! Credentials (`Authorization`, `Proxy-Authorization`, `Cookie`) are refused in form 3:
//! a command line is visible to every user of the machine (`ps`) and ends up in shell
//! histories. Values from a file or the environment are marked sensitive (hyper keeps
//! them out of its debug output and HTTP/2 header tables) and never appear in csgen's
//! errors, logs or the spec it prints back, which names only the file or variable.

use std::path::PathBuf;

use csgen_pipeline::endpoint::{Options, Written};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};

use super::options::decode;

/// Headers that carry credentials: never accepted on the command line.
const SECRET: [&str; 3] = ["authorization", "proxy-authorization", "cookie"];

/// Most bytes a headers file may have: a few headers, not a data file.
const MAX_FILE_BYTES: u64 = 64 * 1024;

/// Where a sink's extra headers come from (values from a file or the environment are
/// read at build time, never kept here).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderSources {
    /// `header.NAME=VALUE`, value as written (percent-encoded).
    pub plain: Vec<(String, String)>,
    /// `header-env.NAME=VAR`.
    pub env: Vec<(String, String)>,
    /// `headers-file=PATH`.
    pub file: Option<PathBuf>,
}

/// Checks a `header.NAME=VALUE` option: a valid name, a valid value, no credential.
pub(crate) fn check_plain_header(name: &str, value: &str) -> Result<(), String> {
    let header = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("header.{name}: not a valid header name"))?;
    if SECRET.contains(&header.as_str()) {
        return Err(format!(
            "header.{name}: credentials are never on the command line (other users see it \
             in `ps`); use header-env.{name}=VAR or headers-file=PATH"
        ));
    }
    let decoded = decode(value).map_err(|e| format!("header.{name}: {e}"))?;
    HeaderValue::from_str(&decoded)
        .map_err(|_| format!("header.{name}: the value has characters a header cannot carry"))?;
    Ok(())
}

impl HeaderSources {
    /// Takes `header.NAME=VALUE`, `header-env.NAME=VAR` and `headers-file=PATH` from a
    /// spec's options.
    pub(crate) fn parse(o: &mut Options<'_>) -> Result<Self, String> {
        let mut headers = Self::default();
        for (name, value) in o.take_prefixed("header.") {
            check_plain_header(name, value)?;
            headers.plain.push((name.to_owned(), value.to_owned()));
        }
        for (name, var) in o.take_prefixed("header-env.") {
            if var.is_empty() {
                return Err(format!("header-env.{name}: name an environment variable"));
            }
            headers.env.push((name.to_owned(), var.to_owned()));
        }
        headers.file = o.take("headers-file").map(PathBuf::from);
        Ok(headers)
    }

    /// Writes the sources back as options (names and places only, never a secret).
    pub(crate) fn write(&self, w: &mut Written) {
        for (name, value) in &self.plain {
            w.add_named(format!("header.{name}"), value);
        }
        for (name, var) in &self.env {
            w.add_named(format!("header-env.{name}"), var);
        }
        if let Some(path) = &self.file {
            w.add("headers-file", path.display());
        }
    }

    /// Reads the file and the environment and returns every header; `env` looks a
    /// variable up (the process environment in csgen, a map in tests). Errors name the
    /// file and line or the variable, never a value.
    pub fn resolve(&self, env: impl Fn(&str) -> Option<String>) -> Result<HeaderMap, String> {
        let mut headers = HeaderMap::new();
        if let Some(path) = &self.file {
            let text = read_small(path)?;
            for (i, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let at = || format!("headers-file {}: line {}", path.display(), i + 1);
                let (name, value) = line
                    .split_once(':')
                    .ok_or_else(|| format!("{}: expected `Name: Value`", at()))?;
                insert(&mut headers, name.trim(), value.trim(), true)
                    .map_err(|e| format!("{}: {e}", at()))?;
            }
        }
        for (name, var) in &self.env {
            let value = env(var).ok_or_else(|| {
                format!("header-env.{name}: environment variable {var} is not set")
            })?;
            insert(&mut headers, name, value.trim(), true)
                .map_err(|e| format!("header-env.{name} (from {var}): {e}"))?;
        }
        for (name, value) in &self.plain {
            let decoded = decode(value).map_err(|e| format!("header.{name}: {e}"))?;
            insert(&mut headers, name, &decoded, false)
                .map_err(|e| format!("header.{name}: {e}"))?;
        }
        Ok(headers)
    }
}

fn insert(headers: &mut HeaderMap, name: &str, value: &str, sensitive: bool) -> Result<(), String> {
    let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("{name:?} is not a valid header name"))?;
    let mut value = HeaderValue::from_str(value)
        .map_err(|_| "the value has characters a header cannot carry".to_owned())?;
    value.set_sensitive(sensitive || SECRET.contains(&name.as_str()));
    headers.insert(name, value);
    Ok(())
}

fn read_small(path: &std::path::Path) -> Result<String, String> {
    use std::io::Read;
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| format!("headers-file {shown}: {e}"))?;
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("headers-file {shown}: {e}"))?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "headers-file {shown}: larger than {MAX_FILE_BYTES} bytes"
        ));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET_VALUE: &str = "Bearer s3cr3t-never-shown";

    #[test]
    fn file_env_and_plain_headers_in_order_with_secrets_marked() {
        let dir = std::env::temp_dir().join(format!("csgen-headers-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("h");
        std::fs::write(
            &file,
            format!("# secrets\n\nAuthorization: {SECRET_VALUE}\nX-A: from-file\n"),
        )
        .unwrap();
        let sources = HeaderSources {
            plain: vec![("X-A".into(), "plain%20value".into())],
            env: vec![("X-Api-Key".into(), "KEY".into())],
            file: Some(file.clone()),
        };
        let h = sources
            .resolve(|v| (v == "KEY").then(|| "k-123".to_owned()))
            .unwrap();
        assert_eq!(h["authorization"], SECRET_VALUE);
        assert!(h["authorization"].is_sensitive());
        assert!(h["x-api-key"].is_sensitive());
        assert_eq!(h["x-a"], "plain value");
        assert!(!format!("{h:?}").contains("s3cr3t"), "{h:?}");
        let mut w = Written::default();
        sources.write(&mut w);
        let shown = w.to_string();
        assert!(
            !shown.contains("s3cr3t") && shown.contains("headers-file="),
            "{shown}"
        );

        std::fs::write(&file, format!("Authorization {SECRET_VALUE}\n")).unwrap();
        let e = sources.resolve(|_| Some("x".into())).unwrap_err();
        assert!(e.ends_with("line 1: expected `Name: Value`"), "{e}");
        assert!(!e.contains("s3cr3t"), "{e}");
        std::fs::write(&file, format!("Authorization: {SECRET_VALUE}\u{7}\n")).unwrap();
        let e = sources.resolve(|_| Some("x".into())).unwrap_err();
        assert!(
            e.contains("line 1: the value has characters") && !e.contains("s3cr3t"),
            "{e}"
        );
        std::fs::write(&file, vec![b'#'; 70_000]).unwrap();
        assert!(
            sources
                .resolve(|_| None)
                .unwrap_err()
                .contains("larger than 65536 bytes")
        );
        std::fs::remove_dir_all(&dir).unwrap();

        let e = HeaderSources {
            env: vec![("Authorization".into(), "NOPE".into())],
            ..Default::default()
        }
        .resolve(|_| None)
        .unwrap_err();
        assert_eq!(
            e,
            "header-env.Authorization: environment variable NOPE is not set"
        );
        let missing = HeaderSources {
            file: Some("/nonexistent/csgen-h".into()),
            ..Default::default()
        };
        assert!(
            missing
                .resolve(|_| None)
                .unwrap_err()
                .starts_with("headers-file /nonexistent/csgen-h: ")
        );
    }

    #[test]
    fn credentials_on_the_command_line_are_refused_without_echoing_them() {
        for name in ["Authorization", "proxy-authorization", "COOKIE"] {
            let e = check_plain_header(name, SECRET_VALUE).unwrap_err();
            assert!(e.contains("never on the command line"), "{e}");
            assert!(!e.contains("s3cr3t"), "{e}");
        }
        assert!(
            check_plain_header("X:Y", "1")
                .unwrap_err()
                .contains("not a valid header name")
        );
        assert!(
            check_plain_header("X-Ok", "%0A")
                .unwrap_err()
                .contains("cannot carry")
        );
        assert!(check_plain_header("X-Ok", "fine").is_ok());
    }
}
