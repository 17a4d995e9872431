//! Walking untrusted JSON with a path in hand, so every error names the
//! exact place: `accounts[2].positions[0].entry_price: must be > 0`.

use crate::scan::Node;
use levamp_core::{parse_raw, ParseError};
use serde_json::{Map, Value};
use std::fmt;

/// A bad snapshot: where, and what is wrong. Displayed as one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError {
    /// JSON path (`accounts[0].size`) or `line L column C` for syntax errors.
    pub at: String,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.at.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.at, self.message)
        }
    }
}

impl std::error::Error for InputError {}

/// Shorthand constructor.
pub fn err<T>(at: &str, message: impl Into<String>) -> Result<T, InputError> {
    Err(InputError {
        at: at.to_string(),
        message: message.into(),
    })
}

/// Parses JSON text; syntax errors carry line and column, a key that
/// appears twice in one object is refused with its path
/// (`accounts[0].positions[0].size: duplicate key`).
pub fn parse_json(text: &str) -> Result<Value, InputError> {
    match crate::scan::parse(text) {
        Ok(node) => Ok(node.to_value()),
        Err(bad) => Err(crate::scan::syntax_error(text, bad)),
    }
}

/// [`parse_json`] by `serde_json` and the strict parser: slower, and
/// used for the exact message when the scanner refuses a document.
pub(crate) fn strict_parse(text: &str) -> Result<Value, InputError> {
    crate::strict::from_str(text).map_err(|e| match e {
        crate::strict::StrictError::Duplicate { path } => InputError {
            at: path,
            message: "duplicate key".into(),
        },
        crate::strict::StrictError::Syntax(e) => InputError {
            at: format!("line {} column {}", e.line(), e.column()),
            message: format!("malformed JSON: {}", serde_message(&e)),
        },
    })
}

/// A `serde_json` error's message without its position, clipped: serde
/// quotes the offending input (`invalid type: string "…"`), which may be
/// huge.
pub fn serde_message(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = msg.find(" at line ").map_or(&msg[..], |i| &msg[..i]);
    clip(msg, MESSAGE_CHARS)
}

/// Most characters of a piece of input a message quotes.
pub const QUOTE_CHARS: usize = 80;
/// Most characters of a third-party error message (which may quote input).
const MESSAGE_CHARS: usize = 200;

/// A piece of input for an error message: in double quotes, control and
/// quote characters escaped, at most [`QUOTE_CHARS`] characters (then `…`).
/// Every message that echoes input goes through this, so a 50 MB literal
/// gives a one-line error, not a 50 MB one.
pub fn quote(input: &str) -> String {
    format!("\"{}\"", escape(input, QUOTE_CHARS, true))
}

/// `text` with control characters escaped, cut to `max` characters (then
/// `…`). For keys in paths and for third-party messages.
pub fn clip(text: &str, max: usize) -> String {
    escape(text, max, false)
}

fn escape(text: &str, max: usize, quotes: bool) -> String {
    let mut out = String::with_capacity(text.len().min(max + 8));
    for (n, c) in text.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        if c.is_control() || (quotes && (c == '"' || c == '\\')) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `parent.key` (or `key` at the root); a long or odd key is clipped and
/// escaped (see [`clip`]).
pub fn child(parent: &str, key: &str) -> String {
    let key = clip(key, QUOTE_CHARS);
    if parent.is_empty() {
        key
    } else {
        format!("{parent}.{key}")
    }
}

/// `parent[i]`.
pub fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// The value as an object, or an error naming its path.
pub fn object<'a>(v: &'a Value, at: &str) -> Result<&'a Map<String, Value>, InputError> {
    v.as_object().map_or_else(
        || err(at, format!("expected an object, found {}", kind(v))),
        Ok,
    )
}

/// The value as an array.
pub fn array<'a>(v: &'a Value, at: &str) -> Result<&'a Vec<Value>, InputError> {
    v.as_array().map_or_else(
        || err(at, format!("expected an array, found {}", kind(v))),
        Ok,
    )
}

/// The value as a non-empty string.
pub fn string<'a>(v: &'a Value, at: &str) -> Result<&'a str, InputError> {
    match v.as_str() {
        Some("") => err(at, "must not be empty"),
        Some(s) => Ok(s),
        None => err(at, format!("expected a string, found {}", kind(v))),
    }
}

/// A decimal number (JSON number or decimal string), exact, as a raw value.
pub fn decimal(v: &Value, at: &str) -> Result<i128, InputError> {
    let text = match v {
        // `arbitrary_precision`: the number's text as written.
        Value::Number(n) => n.as_str(),
        Value::String(s) => s.as_str(),
        other => return err(at, format!("expected a number, found {}", kind(other))),
    };
    decimal_text(text, at)
}

/// [`string`] of a scanned value.
pub fn node_string<'n>(v: &'n Node<'_>, at: &str) -> Result<&'n str, InputError> {
    match v {
        Node::String(s) if s.is_empty() => err(at, "must not be empty"),
        Node::String(s) => Ok(s),
        other => err(at, format!("expected a string, found {}", other.kind())),
    }
}

/// [`decimal`] of a scanned value.
pub fn node_decimal(v: &Node<'_>, at: &str) -> Result<i128, InputError> {
    match v {
        Node::Number(text) => decimal_text(text, at),
        Node::String(text) => decimal_text(text, at),
        other => err(at, format!("expected a number, found {}", other.kind())),
    }
}

/// The exact raw value of decimal text (a JSON number's or a string's).
pub fn decimal_text(text: &str, at: &str) -> Result<i128, InputError> {
    parse_raw(text).map_err(|e| InputError {
        at: at.to_string(),
        message: match e {
            ParseError::Invalid(_) => format!("expected a decimal number, found {}", quote(text)),
            ParseError::TooManyDecimals { max, .. } => format!(
                "{} has more than {max} decimal places (the fixed-point scale); round it first",
                clip(text, QUOTE_CHARS)
            ),
            ParseError::OutOfRange(_) => format!(
                "{} is out of range (at most about 1.7e26)",
                clip(text, QUOTE_CHARS)
            ),
        },
    })
}

/// Rejects keys outside `allowed`, suggesting the closest allowed key.
pub fn known_keys(map: &Map<String, Value>, at: &str, allowed: &[&str]) -> Result<(), InputError> {
    known_key_names(map.keys().map(String::as_str), at, allowed)
}

/// [`known_keys`] over the key names, in document order.
pub fn known_key_names<'a>(
    keys: impl Iterator<Item = &'a str>,
    at: &str,
    allowed: &[&str],
) -> Result<(), InputError> {
    for key in keys {
        if !allowed.contains(&key) {
            let hint = did_you_mean(key, allowed.iter().copied())
                .map(|s| format!(" (did you mean {}?)", quote(s)))
                .unwrap_or_else(|| format!(" (expected one of: {})", allowed.join(", ")));
            return err(&child(at, key), format!("unknown field{hint}"));
        }
    }
    Ok(())
}

/// The candidate closest to `word` by edit distance, if close enough.
pub fn did_you_mean<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    // No name is this long; and edit distance is quadratic.
    if word.len() > 256 {
        return None;
    }
    candidates
        .map(|c| (edit_distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A JSON number from canonical decimal text (exact, no float).
pub fn number(text: String) -> Value {
    Value::Number(text.parse().unwrap_or_else(|_| serde_json::Number::from(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys_only() {
        assert_eq!(
            did_you_mean("entry_prise", ["size", "entry_price"].into_iter()),
            Some("entry_price")
        );
        assert_eq!(
            did_you_mean("zzz", ["size", "entry_price"].into_iter()),
            None
        );
    }

    #[test]
    fn syntax_errors_have_line_and_column() {
        let e = parse_json("{\n  \"a\": 1,\n  \"b\": }").unwrap_err();
        assert_eq!(e.at, "line 3 column 8");
        assert!(e.message.starts_with("malformed JSON"), "{e}");
    }

    #[test]
    fn numbers_are_exact() {
        let v = parse_json("[0.1, 123456789012345678.000000000001, \"2.5\"]").unwrap();
        assert_eq!(decimal(&v[0], "x"), Ok(100_000_000_000));
        assert_eq!(
            decimal(&v[1], "x"),
            Ok(123_456_789_012_345_678_000_000_000_001)
        );
        assert_eq!(decimal(&v[2], "x"), Ok(2_500_000_000_000));
        assert!(decimal(&parse_json("1e-20").unwrap(), "p")
            .unwrap_err()
            .message
            .contains("decimal places"));
    }
}
