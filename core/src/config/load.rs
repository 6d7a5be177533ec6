//! Reading a configuration from TOML (the native runtime) or JSON (the Worker): serde with the
//! key path of every error tracked, then [`Config::validate`]. For TOML, each error also gets
//! the line of the offending key, found by walking the document's spans along the key path.

use toml::de::{DeTable, DeValue};

use super::Config;
use super::error::{ConfigError, ConfigErrorKind as K, key};

/// Reads and validates a TOML configuration.
pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
    let deserializer = toml::Deserializer::parse(text).map_err(|e| ConfigError {
        path: String::new(),
        line: e.span().map(|span| line_at(text, span.start)),
        kind: K::Syntax(e.message().to_owned()),
    })?;
    let config = Config::deserialize_tracked(deserializer).map_err(|e| {
        let (path, inner) = (e.path().to_string(), e.into_inner());
        let mut error = classify(&path, inner.message());
        error.line = toml_line(text, &error.path, false)
            .or_else(|| inner.span().map(|span| line_at(text, span.start)))
            .or_else(|| toml_line(text, &error.path, true));
        error
    })?;
    config.validate().map_err(|mut error| {
        error.line = toml_line(text, &error.path, true);
        error
    })?;
    Ok(config)
}

/// Reads and validates a JSON configuration. Errors from reading carry the line too.
pub fn from_json(text: &str) -> Result<Config, ConfigError> {
    let json_error = |path: String, inner: serde_json::Error| {
        let line = (inner.line() > 0).then_some(inner.line());
        let message = strip_position(&inner);
        let mut error = match inner.classify() {
            serde_json::error::Category::Data => classify(&path, &message),
            _ => ConfigError::new("", K::Syntax(message)),
        };
        error.line = line;
        error
    };
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let config = Config::deserialize_tracked(&mut deserializer)
        .map_err(|e| json_error(e.path().to_string(), e.into_inner()))?;
    deserializer
        .end()
        .map_err(|e| json_error(String::new(), e))?;
    config.validate()?;
    Ok(config)
}

impl Config {
    fn deserialize_tracked<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Config, serde_path_to_error::Error<D::Error>> {
        serde_path_to_error::deserialize(deserializer)
    }
}

/// serde_json appends " at line L column C" to its messages; the line is reported separately.
fn strip_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_owned()
}

/// Turns serde's message into a kind; unknown and missing keys get the key added to the path.
fn classify(path: &str, message: &str) -> ConfigError {
    let path = if path == "." { "" } else { path };
    let quoted = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split_once('`'))
            .map(|(name, _)| name.to_owned())
    };
    let with_key = |name: &str| {
        if path == name || path.ends_with(&format!(".{name}")) {
            path.to_owned()
        } else {
            key(path, name)
        }
    };
    if let Some(name) = quoted("unknown field `") {
        let expected = message
            .split_once(", expected ")
            .map(|(_, expected)| expected.to_owned());
        ConfigError::new(with_key(&name), K::UnknownKey(expected))
    } else if let Some(name) = quoted("missing field `") {
        ConfigError::new(with_key(&name), K::MissingKey(None))
    } else {
        ConfigError::new(path, K::Invalid(message.to_owned()))
    }
}

/// The 1-based line of a byte offset.
fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// One step of a key path.
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// `buckets[2].backend.endpoint` → Key(buckets) Index(2) Key(backend) Key(endpoint).
fn steps(path: &str) -> Option<Vec<Step<'_>>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, mut rest) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
        if !name.is_empty() {
            out.push(Step::Key(name));
        }
        while let Some((number, after)) = rest.split_once(']') {
            out.push(Step::Index(number.parse().ok()?));
            rest = after.strip_prefix('[').unwrap_or(after);
        }
    }
    Some(out)
}

/// The line of the value at `path`; with `nearest`, of its deepest existing ancestor otherwise.
fn toml_line(text: &str, path: &str, nearest: bool) -> Option<usize> {
    let root = DeTable::parse(text).ok()?;
    let mut span = None;
    let mut table: Option<&DeTable<'_>> = Some(root.get_ref());
    let mut array: Option<&[toml::Spanned<DeValue<'_>>]> = None;
    for step in steps(path)? {
        let found = match (step, table, array) {
            (Step::Key(name), Some(t), _) => t
                .iter()
                .find(|(k, _)| k.get_ref() == name)
                .map(|(k, v)| (k.span(), v)),
            (Step::Index(i), _, Some(a)) => a.get(i).map(|v| (v.span(), v)),
            _ => None,
        };
        let Some((found_span, value)) = found else {
            return if nearest {
                span.map(|s: std::ops::Range<usize>| line_at(text, s.start))
            } else {
                None
            };
        };
        span = Some(found_span);
        (table, array) = match value.get_ref() {
            DeValue::Table(t) => (Some(t), None),
            DeValue::Array(a) => (None, Some(&a[..])),
            _ => (None, None),
        };
    }
    span.map(|s| line_at(text, s.start))
}
