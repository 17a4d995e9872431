//! A script line's fields: each read, checked and converted, with an
//! error that names the line and the field (`line 7: size: must be > 0`);
//! the path is formatted only when there is an error.

use super::Line;
use crate::json::{err, known_key_names, node_decimal, node_string, InputError};
use crate::scan::Node;
use levamp_core::{Base, Ratio};
use levamp_engine::MarginMode;
use serde_json::{Map, Value};

impl<'a> Line<'a> {
    pub(super) fn field(&self, key: &str) -> String {
        format!("{}: {key}", self.at)
    }
    /// An error of a value checked without its path (`at` empty), placed
    /// at field `key`: the path is formatted only when there is an error.
    pub(super) fn placed<'k>(&'k self, key: &'k str) -> impl Fn(InputError) -> InputError + 'k {
        move |e| InputError {
            at: self.field(key),
            ..e
        }
    }
    /// Field `key`, when the line has it.
    pub(super) fn lookup(&self, key: &str) -> Option<&'a Node<'a>> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    pub(super) fn get(&self, key: &str) -> Result<&'a Node<'a>, InputError> {
        self.lookup(key)
            .map_or_else(|| err(&self.field(key), "required"), Ok)
    }
    /// The line as a `serde_json` object, for the definition parsers
    /// (`venue`, `market` and `asset` lines).
    pub(super) fn value_map(&self) -> Map<String, Value> {
        let entries = self.entries.iter();
        entries
            .map(|(k, v)| (k.to_string(), v.to_value()))
            .collect()
    }
    pub(super) fn name(&self, key: &str) -> Result<String, InputError> {
        self.text(key).map(str::to_string)
    }
    /// [`Line::name`] borrowed from the line.
    pub(super) fn text(&self, key: &str) -> Result<&'a str, InputError> {
        node_string(self.get(key)?, "").map_err(self.placed(key))
    }
    pub(super) fn raw(&self, key: &str) -> Result<i128, InputError> {
        node_decimal(self.get(key)?, "").map_err(self.placed(key))
    }
    pub(super) fn opt_raw(&self, key: &str) -> Result<Option<i128>, InputError> {
        match self.lookup(key) {
            None | Some(Node::Null) => Ok(None),
            Some(v) => node_decimal(v, "").map(Some).map_err(self.placed(key)),
        }
    }
    pub(super) fn ts(&self, key: &str) -> Result<i64, InputError> {
        let raw = self.raw(key)?;
        if raw < 0 || raw % levamp_core::SCALE != 0 {
            return err(&self.field(key), "must be a whole number of seconds ≥ 0");
        }
        i64::try_from(raw / levamp_core::SCALE).or_else(|_| err(&self.field(key), "out of range"))
    }
    pub(super) fn keys(&self, allowed: &[&str]) -> Result<(), InputError> {
        let keys = self.entries.iter().map(|(k, _)| k.as_ref());
        known_key_names(keys, "", allowed).map_err(|e| InputError {
            at: format!("{}: {}", self.at, e.at),
            message: e.message,
        })
    }
    /// `"max"` or `-1` → `None`.
    pub(super) fn amount_or_max(&self, key: &str) -> Result<Option<Base>, InputError> {
        match self.lookup(key) {
            None => Ok(None),
            Some(Node::String(s)) if s == "max" => Ok(None),
            Some(v) => {
                let raw = node_decimal(v, "").map_err(self.placed(key))?;
                if raw == -levamp_core::SCALE {
                    return Ok(None);
                }
                if raw <= 0 {
                    return err(&self.field(key), "must be > 0, or \"max\" / -1");
                }
                Ok(Some(Base::from_raw(raw)))
            }
        }
    }
    pub(super) fn positive(&self, key: &str) -> Result<Base, InputError> {
        let raw = self.raw(key)?;
        if raw <= 0 {
            return err(&self.field(key), "must be > 0");
        }
        Ok(Base::from_raw(raw))
    }
    pub(super) fn ratio(&self, key: &str) -> Result<Option<Ratio>, InputError> {
        Ok(self.opt_raw(key)?.map(Ratio::from_raw))
    }

    pub(super) fn mode(&self, key: &str) -> Result<Option<MarginMode>, InputError> {
        match self.lookup(key) {
            None | Some(Node::Null) => Ok(None),
            Some(v) => match node_string(v, "").map_err(self.placed(key))? {
                "cross" => Ok(Some(MarginMode::Cross)),
                "isolated" => Ok(Some(MarginMode::Isolated)),
                other => err(
                    &self.field(key),
                    format!(
                        "must be \"cross\" or \"isolated\", found {}",
                        crate::json::quote(other)
                    ),
                ),
            },
        }
    }
}
