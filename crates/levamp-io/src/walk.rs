//! Walking scanned [`Node`]s with a path in hand: the same checks and the
//! same messages as the `serde_json::Value` helpers in [`crate::json`].

use crate::json::{decimal_text, err, known_key_names, InputError};
use crate::scan::Node;
use std::borrow::Cow;

/// An object's entries, in document order.
pub type Entries<'n, 'a> = &'n [(Cow<'a, str>, Node<'a>)];

/// The node as an object, or an error naming its path.
pub fn object<'n, 'a>(v: &'n Node<'a>, at: &str) -> Result<Entries<'n, 'a>, InputError> {
    match v {
        Node::Object(entries) => Ok(entries),
        other => err(at, format!("expected an object, found {}", other.kind())),
    }
}

/// The node as an array.
pub fn array<'n, 'a>(v: &'n Node<'a>, at: &str) -> Result<&'n [Node<'a>], InputError> {
    match v {
        Node::Array(items) => Ok(items),
        other => err(at, format!("expected an array, found {}", other.kind())),
    }
}

/// The node as a non-empty string.
pub fn string<'n>(v: &'n Node<'_>, at: &str) -> Result<&'n str, InputError> {
    match v {
        Node::String(s) if s.is_empty() => err(at, "must not be empty"),
        Node::String(s) => Ok(s),
        other => err(at, format!("expected a string, found {}", other.kind())),
    }
}

/// A decimal number (JSON number or decimal string), exact, as a raw value.
pub fn decimal(v: &Node<'_>, at: &str) -> Result<i128, InputError> {
    match v {
        Node::Number(text) if text.contains(['e', 'E']) => decimal_text(&number_text(text), at),
        Node::Number(text) => decimal_text(text, at),
        Node::String(text) => decimal_text(text, at),
        other => err(at, format!("expected a number, found {}", other.kind())),
    }
}

/// A decimal > 0.
pub fn positive(v: &Node<'_>, at: &str) -> Result<i128, InputError> {
    let raw = decimal(v, at)?;
    if raw <= 0 {
        return err(at, "must be > 0");
    }
    Ok(raw)
}

/// A decimal ≥ 0.
pub fn non_negative(v: &Node<'_>, at: &str) -> Result<i128, InputError> {
    let raw = decimal(v, at)?;
    if raw < 0 {
        return err(at, "must be ≥ 0");
    }
    Ok(raw)
}

/// Rejects keys outside `allowed`, suggesting the closest allowed key.
pub fn known_keys(entries: Entries<'_, '_>, at: &str, allowed: &[&str]) -> Result<(), InputError> {
    known_key_names(entries.iter().map(|(k, _)| k.as_ref()), at, allowed)
}

/// The entry `key` of an object's entries.
pub fn get<'n, 'a>(entries: Entries<'n, 'a>, key: &str) -> Option<&'n Node<'a>> {
    entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// A number's text as `serde_json` gives it back (it writes exponents in
/// its own form: `1e400` → `1e+400`), so messages quote what they always
/// have. Without an exponent the text is kept as it is.
fn number_text(text: &str) -> String {
    text.parse::<serde_json::Number>()
        .map_or_else(|_| text.to_string(), |n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_the_value_helpers_read_them() {
        for text in [
            "0", "-0", "0.10", "12.500", "-3", "1e400", "1E5", "2.5e-3", "-1e+2",
        ] {
            let value: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                decimal(&Node::Number(text), "x"),
                crate::json::decimal(&value, "x"),
                "{text}"
            );
            if !text.contains(['e', 'E']) {
                assert_eq!(value.to_string(), text);
            }
        }
    }
}
