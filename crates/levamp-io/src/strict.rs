//! Strict JSON: a [`Value`] parser that refuses duplicate object keys.
//!
//! `serde_json`'s own `Value` keeps the last of two equal keys, so
//! `"size": 1, "size": -1` silently turns a long into a short. This parser
//! builds the same `Value` (numbers kept exact under `arbitrary_precision`)
//! but stops at the first duplicate and reports the key's path
//! (`accounts[0].positions[0].size`). The path is collected only on the way
//! out of an error, so a good document costs no extra allocation.

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Number, Value};
use std::cell::RefCell;
use std::fmt;

/// The key `serde_json` uses to hand an exact number to a visitor.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// One step of a path, innermost pushed first (while an error unwinds).
enum Step {
    Key(String),
    Index(usize),
}

/// Where a parse failed: the steps to the bad place, and whether it failed
/// on a duplicate key (rather than on syntax).
#[derive(Default)]
struct Trail {
    steps: RefCell<Vec<Step>>,
    duplicate: RefCell<bool>,
}

impl Trail {
    /// The path as `a.b[2].c` (steps were pushed innermost first).
    fn path(&self) -> String {
        let mut out = String::new();
        for step in self.steps.borrow().iter().rev() {
            match step {
                Step::Key(k) => out = crate::json::child(&out, k),
                Step::Index(i) => out = crate::json::index(&out, *i),
            }
        }
        out
    }
}

/// Why strict parsing failed.
pub(crate) enum StrictError {
    /// A key appears twice in one object; the path ends with that key.
    Duplicate { path: String },
    /// Malformed JSON (or a number out of range), with its position.
    Syntax(serde_json::Error),
}

/// Parses JSON text into a `Value`, refusing duplicate keys.
pub(crate) fn from_str(text: &str) -> Result<Value, StrictError> {
    let trail = Trail::default();
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = Seed { trail: &trail }
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    parsed.map_err(|e| match *trail.duplicate.borrow() {
        true => StrictError::Duplicate { path: trail.path() },
        false => StrictError::Syntax(e),
    })
}

#[derive(Clone, Copy)]
struct Seed<'t> {
    trail: &'t Trail,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Number::from_f64(n).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        loop {
            match seq.next_element_seed(self) {
                Ok(Some(v)) => out.push(v),
                Ok(None) => return Ok(Value::Array(out)),
                Err(e) => {
                    self.trail.steps.borrow_mut().push(Step::Index(out.len()));
                    return Err(e);
                }
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        // An exact number arrives as a one-entry map under a private key.
        let first = match access.next_key_seed(KeySeed)? {
            None => return Ok(Value::Object(Map::new())),
            Some(Key::Number) => {
                let text: String = access.next_value()?;
                return text.parse().map(Value::Number).map_err(de::Error::custom);
            }
            Some(Key::Name(key)) => key,
        };
        let mut map = Map::new();
        let mut next = Some(first);
        while let Some(key) = next {
            match map.entry(key) {
                Entry::Occupied(o) => {
                    *self.trail.duplicate.borrow_mut() = true;
                    self.trail
                        .steps
                        .borrow_mut()
                        .push(Step::Key(o.key().clone()));
                    return Err(de::Error::custom("duplicate key"));
                }
                Entry::Vacant(v) => match access.next_value_seed(self) {
                    Ok(value) => {
                        v.insert(value);
                    }
                    Err(e) => {
                        self.trail
                            .steps
                            .borrow_mut()
                            .push(Step::Key(v.key().clone()));
                        return Err(e);
                    }
                },
            }
            next = access.next_key()?;
        }
        Ok(Value::Object(map))
    }
}

/// An object's first key: the private number token, or a name.
enum Key {
    Number,
    Name(String),
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E>(self, s: &str) -> Result<Key, E> {
        Ok(match s {
            NUMBER_TOKEN => Key::Number,
            name => Key::Name(name.to_string()),
        })
    }
    fn visit_string<E>(self, s: String) -> Result<Key, E> {
        Ok(match s.as_str() {
            NUMBER_TOKEN => Key::Number,
            _ => Key::Name(s),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn duplicate_at(text: &str) -> String {
        match from_str(text) {
            Err(StrictError::Duplicate { path }) => path,
            Err(StrictError::Syntax(e)) => panic!("syntax error, not a duplicate: {e}"),
            Ok(v) => panic!("accepted {v}"),
        }
    }

    #[test]
    fn duplicate_keys_are_refused_with_their_path() {
        assert_eq!(duplicate_at(r#"{"a":1,"a":2}"#), "a");
        assert_eq!(
            duplicate_at(r#"{"accounts":[{"id":"x","positions":[{"size":1,"size":-1}]}]}"#),
            "accounts[0].positions[0].size"
        );
        assert_eq!(duplicate_at(r#"[0,[1,{"k":{},"k":{}}]]"#), "[1][1].k");
    }

    #[test]
    fn same_value_as_serde_json_when_keys_are_unique() {
        let text = r#"{"b":[1,-2,0.000000000001,123456789012345678901234567890.5],"a":{"x":null,"y":true,"z":"s"},"c":[]}"#;
        let strict = from_str(text).ok().unwrap();
        let plain: Value = serde_json::from_str(text).unwrap();
        assert_eq!(strict, plain);
        assert_eq!(strict.to_string(), plain.to_string());
    }

    #[test]
    fn syntax_errors_keep_their_position() {
        match from_str("{\"a\": 1,\n \"b\": }") {
            Err(StrictError::Syntax(e)) => assert_eq!((e.line(), e.column()), (2, 7)),
            _ => panic!("expected a syntax error"),
        }
        assert!(matches!(from_str("{} x"), Err(StrictError::Syntax(_))));
    }
}

#[cfg(test)]
mod perf {
    /// Strict parsing costs about what `serde_json`'s own `Value` does:
    /// `cargo test --release -p levamp-io --lib perf -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn strict_parse_speed() {
        let account = r#"{"id":"a","collateral":{"USDT":1000.5,"WETH":2},"positions":[{"market":"ETHUSDT","size":1.5,"entry_price":1500.25,"leverage":10}]}"#;
        let text = format!(
            r#"{{"quote":"USDT","accounts":[{}]}}"#,
            vec![account; 200_000].join(",")
        );
        let t = std::time::Instant::now();
        let plain: serde_json::Value = serde_json::from_str(&text).unwrap();
        let serde_time = t.elapsed();
        let t = std::time::Instant::now();
        let strict = super::from_str(&text).ok().unwrap();
        let strict_time = t.elapsed();
        assert_eq!(plain, strict);
        println!(
            "{} MB: serde_json Value {serde_time:?}, strict {strict_time:?}",
            text.len() >> 20
        );
    }
}
