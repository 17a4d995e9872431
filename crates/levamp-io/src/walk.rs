//! Walking scanned [`Node`]s with a path in hand: the same checks and the
//! same messages as the `serde_json::Value` helpers in [`crate::json`].
//! The path may be plain text or an [`At`], which is written out only when
//! an error names it (a snapshot of 10,000 accounts would otherwise format
//! some 200,000 path strings that no message uses).

use crate::json::{decimal_text, err, known_key_names, InputError};
use crate::scan::Node;
use std::borrow::Cow;

/// A JSON path in the form messages print it (`accounts[3].positions[0].size`).
pub trait Path {
    /// The path as text.
    fn render(&self) -> String;
}

impl Path for str {
    fn render(&self) -> String {
        self.to_string()
    }
}

impl Path for String {
    fn render(&self) -> String {
        self.clone()
    }
}

/// A path kept as its parts, written out (as [`crate::json::child`] and
/// [`crate::json::index`] write it) only by [`Path::render`].
#[derive(Clone, Copy, Debug)]
pub enum At<'a> {
    /// A path given as text.
    Text(&'a str),
    /// Entry `key` of the object at the parent path.
    Child(&'a At<'a>, &'a str),
    /// Element `i` of the array at the parent path.
    Index(&'a At<'a>, usize),
}

impl<'a> At<'a> {
    /// Entry `key` of the object at this path.
    pub fn child(&'a self, key: &'a str) -> At<'a> {
        At::Child(self, key)
    }

    /// Element `i` of the array at this path.
    pub fn index(&'a self, i: usize) -> At<'a> {
        At::Index(self, i)
    }
}

impl Path for At<'_> {
    fn render(&self) -> String {
        match self {
            At::Text(text) => text.to_string(),
            At::Child(parent, key) => crate::json::child(&parent.render(), key),
            At::Index(parent, i) => crate::json::index(&parent.render(), *i),
        }
    }
}

/// An object's entries, in document order.
pub type Entries<'n, 'a> = &'n [(Cow<'a, str>, Node<'a>)];

/// The node as an object, or an error naming its path.
pub fn object<'n, 'a>(
    v: &'n Node<'a>,
    at: &(impl Path + ?Sized),
) -> Result<Entries<'n, 'a>, InputError> {
    match v {
        Node::Object(entries) => Ok(entries),
        other => err(
            &at.render(),
            format!("expected an object, found {}", other.kind()),
        ),
    }
}

/// The node as an array.
pub fn array<'n, 'a>(
    v: &'n Node<'a>,
    at: &(impl Path + ?Sized),
) -> Result<&'n [Node<'a>], InputError> {
    match v {
        Node::Array(items) => Ok(items),
        other => err(
            &at.render(),
            format!("expected an array, found {}", other.kind()),
        ),
    }
}

/// The node as a non-empty string.
pub fn string<'n>(v: &'n Node<'_>, at: &(impl Path + ?Sized)) -> Result<&'n str, InputError> {
    match v {
        Node::String(s) if s.is_empty() => err(&at.render(), "must not be empty"),
        Node::String(s) => Ok(s),
        other => err(
            &at.render(),
            format!("expected a string, found {}", other.kind()),
        ),
    }
}

/// A decimal number (JSON number or decimal string), exact, as a raw value.
pub fn decimal(v: &Node<'_>, at: &(impl Path + ?Sized)) -> Result<i128, InputError> {
    match v {
        Node::Number(text) if text.contains(['e', 'E']) => {
            at_path(decimal_text(&number_text(text), ""), at)
        }
        Node::Number(text) => at_path(decimal_text(text, ""), at),
        Node::String(text) => at_path(decimal_text(text, ""), at),
        other => err(
            &at.render(),
            format!("expected a number, found {}", other.kind()),
        ),
    }
}

/// A decimal > 0.
pub fn positive(v: &Node<'_>, at: &(impl Path + ?Sized)) -> Result<i128, InputError> {
    let raw = decimal(v, at)?;
    if raw <= 0 {
        return err(&at.render(), "must be > 0");
    }
    Ok(raw)
}

/// A decimal ≥ 0.
pub fn non_negative(v: &Node<'_>, at: &(impl Path + ?Sized)) -> Result<i128, InputError> {
    let raw = decimal(v, at)?;
    if raw < 0 {
        return err(&at.render(), "must be ≥ 0");
    }
    Ok(raw)
}

/// Rejects keys outside `allowed`, suggesting the closest allowed key.
pub fn known_keys(
    entries: Entries<'_, '_>,
    at: &(impl Path + ?Sized),
    allowed: &[&str],
) -> Result<(), InputError> {
    if entries.iter().all(|(k, _)| allowed.contains(&k.as_ref())) {
        return Ok(());
    }
    known_key_names(
        entries.iter().map(|(k, _)| k.as_ref()),
        &at.render(),
        allowed,
    )
}

/// An error made at an empty path, placed at `at`.
fn at_path<T>(result: Result<T, InputError>, at: &(impl Path + ?Sized)) -> Result<T, InputError> {
    result.map_err(|e| InputError {
        at: at.render(),
        message: e.message,
    })
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

    /// A lazy path prints as the eager `child`/`index` strings print it
    /// (empty parent, clipped long keys).
    #[test]
    fn lazy_paths_render_as_the_eager_ones() {
        use crate::json::{child, index};
        let long = "k".repeat(200);
        let root = At::Text("");
        let accounts = At::Text("accounts");
        let account = accounts.index(7);
        let positions = account.child("positions");
        let position = positions.index(0);
        let cases = [
            (root.child("quote").render(), child("", "quote")),
            (account.render(), index("accounts", 7)),
            (
                position.child("size").render(),
                child(
                    &index(&child(&index("accounts", 7), "positions"), 0),
                    "size",
                ),
            ),
            (
                account.child(&long).render(),
                child(&index("accounts", 7), &long),
            ),
        ];
        for (lazy, eager) in cases {
            assert_eq!(lazy, eager);
        }
        assert_eq!(
            decimal(
                &Node::Number("1.0000000000000000001"),
                &position.child("size")
            )
            .unwrap_err()
            .at,
            "accounts[7].positions[0].size"
        );
    }

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
