//! The options part of an endpoint spec: `?key=value&key=value`.
//!
//! Parsing is strict, so that a typo is an error and not a silently ignored setting:
//! every key at most once, every value checked against its type and range, and
//! whatever an endpoint did not ask for is reported as unknown with the list of
//! known keys. Problems are plain text naming the option; the registry adds the spec.

use std::borrow::Cow;
use std::fmt::{self, Display};
use std::num::NonZeroUsize;
use std::ops::RangeInclusive;
use std::str::FromStr;
use std::time::Duration;

use super::duration::{self, Shown};

/// The `key=value` pairs of a spec, each taken at most once by the endpoint.
#[derive(Debug)]
pub struct Options<'a> {
    pairs: Vec<(&'a str, &'a str, bool)>,
}

impl<'a> Options<'a> {
    /// Most options one spec may carry: far more than any endpoint has.
    pub const MAX: usize = 64;

    /// Splits `query` (the text after `?`, possibly empty).
    pub fn parse(query: &'a str) -> Result<Self, String> {
        let mut pairs: Vec<(&str, &str, bool)> = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("option {pair:?} needs a value: {pair}=..."))?;
            if key.is_empty() {
                return Err(format!("option {pair:?} has no name"));
            }
            if pairs.iter().any(|(k, _, _)| *k == key) {
                return Err(format!("option {key:?} is given twice"));
            }
            if pairs.len() == Self::MAX {
                return Err(format!("more than {} options", Self::MAX));
            }
            pairs.push((key, value, false));
        }
        Ok(Self { pairs })
    }

    /// The raw value of `key`, marking it used.
    pub fn take(&mut self, key: &str) -> Option<&'a str> {
        let (_, value, used) = self.pairs.iter_mut().find(|(k, _, _)| *k == key)?;
        *used = true;
        Some(*value)
    }

    /// Every option whose key starts with `prefix` (`header.` of `header.X-Api-Key=1`),
    /// as (the rest of the key, value) in the order written, marking them used.
    pub fn take_prefixed(&mut self, prefix: &str) -> Vec<(&'a str, &'a str)> {
        self.pairs
            .iter_mut()
            .filter_map(|(k, v, used)| {
                let name = k.strip_prefix(prefix)?;
                *used = true;
                Some((name, *v))
            })
            .collect()
    }

    /// A duration in `range` (see [`duration`]).
    pub fn duration(
        &mut self,
        key: &str,
        range: RangeInclusive<Duration>,
    ) -> Result<Option<Duration>, String> {
        self.take(key)
            .map(|v| {
                duration::parse(v, *range.start(), *range.end()).map_err(|e| format!("{key}: {e}"))
            })
            .transpose()
    }

    /// A number in `range`.
    pub fn number<T>(&mut self, key: &str, range: RangeInclusive<T>) -> Result<Option<T>, String>
    where
        T: FromStr + PartialOrd + Display,
    {
        let Some(text) = self.take(key) else {
            return Ok(None);
        };
        match text.parse::<T>() {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(format!(
                "{key}={text:?}: expected a number from {} to {}",
                range.start(),
                range.end()
            )),
        }
    }

    /// A count from 1 to `max` (buffer and batch sizes), `default` when not given.
    pub fn count(
        &mut self,
        key: &str,
        max: usize,
        default: NonZeroUsize,
    ) -> Result<NonZeroUsize, String> {
        Ok(self
            .number(key, 1..=max)?
            .and_then(NonZeroUsize::new)
            .unwrap_or(default))
    }

    /// One of `choices`, by name.
    pub fn choice<T: Copy>(
        &mut self,
        key: &str,
        choices: &[(&str, T)],
    ) -> Result<Option<T>, String> {
        let Some(text) = self.take(key) else {
            return Ok(None);
        };
        match choices.iter().find(|(name, _)| *name == text) {
            Some((_, v)) => Ok(Some(*v)),
            None => Err(format!(
                "{key}={text:?}: expected one of {}",
                choices
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// `true` or `false`.
    pub fn boolean(&mut self, key: &str) -> Result<Option<bool>, String> {
        self.choice(key, &[("true", true), ("false", false)])
    }

    /// Ends parsing: any option the endpoint did not take is an error listing `known`.
    pub fn finish(self, known: &[&str]) -> Result<(), String> {
        match self.pairs.iter().find(|(_, _, used)| !used) {
            None => Ok(()),
            Some((key, _, _)) if known.is_empty() => Err(format!(
                "unknown option {key:?}; this endpoint takes no options"
            )),
            Some((key, _, _)) => Err(format!(
                "unknown option {key:?}; expected one of: {}",
                known.join(", ")
            )),
        }
    }
}

/// Writes options back as `?a=b&c=d` (nothing when there are none), in the order given.
#[derive(Debug, Default)]
pub struct Written(Vec<(Cow<'static, str>, String)>);

impl Written {
    pub fn add(&mut self, key: &'static str, value: impl Display) -> &mut Self {
        self.0.push((Cow::Borrowed(key), value.to_string()));
        self
    }

    /// Adds an option whose key is made at run time (`header.X-Api-Key`).
    pub fn add_named(&mut self, key: String, value: impl Display) -> &mut Self {
        self.0.push((Cow::Owned(key), value.to_string()));
        self
    }

    /// Adds `key=value` only when `value` differs from `default`.
    pub fn changed<T: PartialEq + Display>(
        &mut self,
        key: &'static str,
        value: T,
        default: T,
    ) -> &mut Self {
        if value != default {
            self.add(key, value);
        }
        self
    }

    /// [`Self::changed`] for durations, in the syntax they are read in.
    pub fn changed_duration(
        &mut self,
        key: &'static str,
        value: Duration,
        default: Duration,
    ) -> &mut Self {
        self.changed(key, Shown(value), Shown(default))
    }
}

impl Display for Written {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (key, value)) in self.0.iter().enumerate() {
            f.write_str(if i == 0 { "?" } else { "&" })?;
            write!(f, "{key}={value}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_each_option_once_and_reports_the_rest() {
        let mut o = Options::parse("a=1&b=2s&c=x").unwrap();
        assert_eq!(o.number::<u32>("a", 0..=9).unwrap(), Some(1));
        assert_eq!(
            o.duration("b", Duration::ZERO..=Duration::from_secs(5))
                .unwrap(),
            Some(Duration::from_secs(2))
        );
        assert_eq!(o.number::<u32>("zz", 0..=9).unwrap(), None);
        assert_eq!(
            o.finish(&["a", "b"]).unwrap_err(),
            "unknown option \"c\"; expected one of: a, b"
        );
    }

    #[test]
    fn hostile_option_strings_are_clear_errors() {
        let cases = [
            ("a=1&a=2", "option \"a\" is given twice"),
            ("a", "option \"a\" needs a value: a=..."),
            ("=5", "option \"=5\" has no name"),
        ];
        for (query, want) in cases {
            assert_eq!(Options::parse(query).unwrap_err(), want, "{query}");
        }
        let many = (0..100)
            .map(|i| format!("k{i}=1"))
            .collect::<Vec<_>>()
            .join("&");
        assert!(Options::parse(&many).unwrap_err().contains("more than 64"));
        let mut o = Options::parse("n=NaN&m=-1&d=1e9s").unwrap();
        assert!(
            o.number::<f64>("n", 0.0..=1.0)
                .unwrap_err()
                .contains("n=\"NaN\"")
        );
        assert!(
            o.number::<u64>("m", 0..=1)
                .unwrap_err()
                .contains("m=\"-1\"")
        );
        assert!(
            o.duration("d", Duration::ZERO..=duration::MAX)
                .unwrap_err()
                .starts_with("d: ")
        );
        let mut o = Options::parse("h.b=1&x=1&h.a=2&hb=3").unwrap();
        assert_eq!(o.take_prefixed("h."), vec![("b", "1"), ("a", "2")]);
        assert_eq!(
            o.finish(&["h.NAME"]).unwrap_err(),
            "unknown option \"x\"; expected one of: h.NAME"
        );
        let mut o = Options::parse("x=1").unwrap();
        o.take("x");
        assert!(o.finish(&[]).is_ok());
        assert_eq!(
            Options::parse("y=1").unwrap().finish(&[]).unwrap_err(),
            "unknown option \"y\"; this endpoint takes no options"
        );
    }

    #[test]
    fn writes_back_only_what_differs() {
        let mut w = Written::default();
        w.changed("a", 1, 1).changed("b", 2, 1).changed_duration(
            "c",
            Duration::from_millis(1500),
            Duration::ZERO,
        );
        assert_eq!(w.to_string(), "?b=2&c=1s500ms");
        assert_eq!(Written::default().to_string(), "");
    }
}
