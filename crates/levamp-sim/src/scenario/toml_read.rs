//! Reading TOML with paths: values converted to JSON (numbers as their
//! exact decimal text) and read through typed, range-checked accessors whose
//! errors name the key; `locate` finds a key's line for messages.

use levamp_io::json::{child, decimal, did_you_mean, err, object, string, InputError};
use serde_json::{Map, Value};

/// TOML → JSON, numbers as exact decimal text (floats by their shortest round-trip form).
pub(crate) fn to_json(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => levamp_io::json::number(i.to_string()),
        toml::Value::Float(f) if f.is_finite() => levamp_io::json::number(format!("{f:?}")),
        toml::Value::Float(f) => Value::String(f.to_string()),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(to_json).collect()),
        toml::Value::Table(t) => {
            Value::Object(t.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

/// The line of `a.b` in the TOML text (the `[a]` table's `b = …` line, or
/// the `[a.b]` header of a table), for messages.
pub(crate) fn locate(text: &str, at: &str) -> Option<usize> {
    if let Some(i) = text.lines().position(|l| {
        let l = l.split('#').next().unwrap_or("").trim();
        l.starts_with('[') && l.trim_matches(['[', ']']).trim() == at
    }) {
        return Some(i + 1);
    }
    let mut parts: Vec<&str> = at.split(['.', '[']).collect();
    let key = parts.pop()?.trim_end_matches(']');
    let table = parts.join(".");
    let mut in_table = table.is_empty();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.starts_with('[') {
            in_table = l.trim_matches(['[', ']']).trim() == table;
            continue;
        }
        if in_table && l.split('=').next().is_some_and(|k| k.trim() == key) {
            return Some(i + 1);
        }
    }
    None
}

pub(crate) struct Table<'a> {
    pub map: &'a Map<String, Value>,
    pub at: String,
}

impl<'a> Table<'a> {
    pub(crate) fn of(
        root: &'a Map<String, Value>,
        key: &str,
        allowed: &[&str],
    ) -> Result<Option<Table<'a>>, InputError> {
        let Some(v) = root.get(key) else {
            return Ok(None);
        };
        let map = object(v, key)?;
        keys(map, key, allowed)?;
        Ok(Some(Table {
            map,
            at: key.to_string(),
        }))
    }
    pub(crate) fn f64(&self, key: &str, default: f64, lo: f64, hi: f64) -> Result<f64, InputError> {
        let at = child(&self.at, key);
        let Some(v) = self.map.get(key) else {
            return Ok(default);
        };
        let raw = decimal(v, &at)?;
        let x = raw as f64 / 1e12;
        if !(lo..=hi).contains(&x) {
            return err(&at, format!("must be between {lo} and {hi}, got {x}"));
        }
        Ok(x)
    }
    pub(crate) fn int(&self, key: &str, default: u64, lo: u64, hi: u64) -> Result<u64, InputError> {
        let at = child(&self.at, key);
        let Some(v) = self.map.get(key) else {
            return Ok(default);
        };
        let raw = decimal(v, &at)?;
        if raw % 1_000_000_000_000 != 0 {
            return err(&at, "must be a whole number");
        }
        let n = raw / 1_000_000_000_000;
        if n < lo as i128 || n > hi as i128 {
            return err(&at, format!("must be between {lo} and {hi}, got {n}"));
        }
        Ok(n as u64)
    }
    /// Exact decimal text of a number (for fixed-point use).
    pub(crate) fn exact(&self, key: &str, default: &str) -> Result<String, InputError> {
        let at = child(&self.at, key);
        match self.map.get(key) {
            None => Ok(default.to_string()),
            Some(v) => Ok(levamp_core::Canonical(decimal(v, &at)?).to_string()),
        }
    }
    /// A fixed-point value (`Price`, `Ratio`, `Base`…) parsed from the exact
    /// decimal text, once, with an error naming the key.
    pub(crate) fn fixed<T>(&self, key: &str, default: &str) -> Result<T, InputError>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        let text = self.exact(key, default)?;
        text.parse().map_err(|e: T::Err| InputError {
            at: child(&self.at, key),
            message: e.to_string(),
        })
    }
    /// A `true`/`false` key.
    pub(crate) fn flag(&self, key: &str, default: bool) -> Result<bool, InputError> {
        match self.map.get(key) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => err(&child(&self.at, key), "must be true or false"),
        }
    }
    pub(crate) fn text(&self, key: &str) -> Result<Option<&'a str>, InputError> {
        self.map
            .get(key)
            .map(|v| string(v, &child(&self.at, key)))
            .transpose()
    }
    pub(crate) fn model(&self, choices: &[&str], default: &str) -> Result<String, InputError> {
        let at = child(&self.at, "model");
        let m = self.text("model")?.unwrap_or(default);
        if !choices.contains(&m) {
            let hint = did_you_mean(m, choices.iter().copied())
                .map(|s| format!(" (did you mean {}?)", levamp_io::json::quote(s)))
                .unwrap_or_else(|| format!(" (one of: {})", choices.join(", ")));
            return err(
                &at,
                format!("unknown model {}{hint}", levamp_io::json::quote(m)),
            );
        }
        Ok(m.to_string())
    }
}

/// Unknown keys, with a suggestion.
pub(crate) fn keys(map: &Map<String, Value>, at: &str, allowed: &[&str]) -> Result<(), InputError> {
    levamp_io::json::known_keys(map, at, allowed)
}
