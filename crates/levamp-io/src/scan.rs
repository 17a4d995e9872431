//! A fast JSON scanner over the input bytes: [`Node`] trees that borrow the
//! text (numbers stay their exact text, strings without escapes are not
//! copied), duplicate keys refused, and [`split_array`] to cut a huge array
//! into its elements without building them, so a snapshot's accounts can be
//! read one at a time and in parallel.
//!
//! The scanner only decides *whether* text is valid JSON (the grammar and
//! nesting limit of `serde_json`, plus the strict parser's duplicate-key
//! rule); when it is not, [`syntax_error`] re-reads the document with the
//! strict parser (`crate::strict`) for the exact message, line and column.
//! So every syntax and duplicate-key message is the one `serde_json` gives,
//! and the slow path runs only on bad input.

use crate::json::InputError;
use std::borrow::Cow;
use std::collections::HashSet;

/// A parsed JSON value borrowing the text it came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    /// The number's exact text (`1.50`, `-3e2`).
    Number(&'a str),
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    /// Entries in document order; keys are unique.
    Object(Vec<(Cow<'a, str>, Node<'a>)>),
}

impl<'a> Node<'a> {
    /// The entry `key` of an object (`None` for a missing key or a non-object).
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        match self {
            Node::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// "a number", "an object", … for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Number(_) => "a number",
            Node::String(_) => "a string",
            Node::Array(_) => "an array",
            Node::Object(_) => "an object",
        }
    }

    /// The same value as a `serde_json::Value` (numbers exact).
    pub fn to_value(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => crate::json::number(n.to_string()),
            Node::String(s) => Value::String(s.to_string()),
            Node::Array(items) => Value::Array(items.iter().map(Node::to_value).collect()),
            Node::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

/// The text is not valid JSON (or repeats a key); [`syntax_error`] says how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bad {
    /// Byte offset where the scanner stopped.
    pub at: usize,
}

/// Deepest nesting of arrays and objects `serde_json` accepts.
const MAX_DEPTH: usize = 127;
/// Objects with more keys than this check duplicates with a hash set.
const LINEAR_KEYS: usize = 16;

/// A cursor over JSON text.
pub struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    /// A scanner over `text[start..end]` (offsets into the whole text, so
    /// slices and positions stay those of the document).
    pub fn new(text: &'a str, start: usize, end: usize) -> Scanner<'a> {
        Scanner {
            text: &text[..end],
            bytes: &text.as_bytes()[..end],
            pos: start,
        }
    }

    fn bad<T>(&self) -> Result<T, Bad> {
        Err(Bad { at: self.pos })
    }

    /// Skips whitespace; the next byte, if any.
    pub fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.bytes.get(self.pos) {
            if !matches!(b, b' ' | b'\n' | b'\t' | b'\r') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    /// Consumes `byte` (after whitespace) or fails.
    pub fn expect(&mut self, byte: u8) -> Result<(), Bad> {
        match self.peek() {
            Some(b) if b == byte => {
                self.pos += 1;
                Ok(())
            }
            _ => self.bad(),
        }
    }

    /// Only whitespace is left.
    pub fn end(&mut self) -> Result<(), Bad> {
        match self.peek() {
            None => Ok(()),
            Some(_) => self.bad(),
        }
    }

    /// The offset of the next unread byte.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// One value at nesting `depth` (the number of containers around it).
    pub fn value(&mut self, depth: usize) -> Result<Node<'a>, Bad> {
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Node::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => Ok(Node::Number(self.number()?)),
            Some(b't') => self.word("true", Node::Bool(true)),
            Some(b'f') => self.word("false", Node::Bool(false)),
            Some(b'n') => self.word("null", Node::Null),
            _ => self.bad(),
        }
    }

    fn word(&mut self, word: &str, node: Node<'a>) -> Result<Node<'a>, Bad> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(node)
        } else {
            self.bad()
        }
    }

    fn array(&mut self, depth: usize) -> Result<Node<'a>, Bad> {
        if depth > MAX_DEPTH {
            return self.bad();
        }
        self.pos += 1;
        let mut items = Vec::new();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Node::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Node::Array(items));
                }
                _ => return self.bad(),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<Node<'a>, Bad> {
        if depth > MAX_DEPTH {
            return self.bad();
        }
        self.pos += 1;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Node::Object(Vec::new()));
        }
        // Room for a snapshot position's keys: one allocation, no regrowth.
        let mut entries: Vec<(Cow<'a, str>, Node<'a>)> = Vec::with_capacity(8);
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Node::Object(entries));
        }
        let mut seen: Option<HashSet<Cow<'a, str>>> = None;
        loop {
            let key = self.key()?;
            let fresh = match seen.as_mut() {
                Some(set) => set.insert(key.clone()),
                None if entries.len() >= LINEAR_KEYS => {
                    let mut set: HashSet<_> = entries.iter().map(|(k, _)| k.clone()).collect();
                    let fresh = set.insert(key.clone());
                    seen = Some(set);
                    fresh
                }
                None => entries.iter().all(|(k, _)| *k != key),
            };
            if !fresh {
                return self.bad();
            }
            entries.push((key, self.value(depth)?));
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Node::Object(entries));
                }
                _ => return self.bad(),
            }
        }
    }

    /// An object key and its colon.
    pub fn key(&mut self) -> Result<Cow<'a, str>, Bad> {
        if self.peek() != Some(b'"') {
            return self.bad();
        }
        let key = self.string()?;
        self.expect(b':')?;
        Ok(key)
    }

    /// A string literal (at its opening quote), unescaped.
    fn string(&mut self) -> Result<Cow<'a, str>, Bad> {
        self.pos += 1;
        let start = self.pos;
        loop {
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Borrowed(&self.text[start..self.pos - 1]));
                }
                Some(b'\\') => break,
                Some(&b) if b >= 0x20 => self.pos += 1,
                _ => return self.bad(),
            }
        }
        let mut out = String::from(&self.text[start..self.pos]);
        loop {
            let run = self.pos;
            while let Some(&b) = self.bytes.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run..self.pos]);
            match self.bytes.get(self.pos) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(&mut out)?;
                }
                _ => return self.bad(),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), Bad> {
        let Some(&b) = self.bytes.get(self.pos) else {
            return self.bad();
        };
        self.pos += 1;
        out.push(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                let code = match first {
                    0xD800..=0xDBFF => {
                        if !self.bytes[self.pos..].starts_with(b"\\u") {
                            return self.bad();
                        }
                        self.pos += 2;
                        let second = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&second) {
                            return self.bad();
                        }
                        0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                    }
                    0xDC00..=0xDFFF => return self.bad(),
                    n => n,
                };
                match char::from_u32(code) {
                    Some(c) => c,
                    None => return self.bad(),
                }
            }
            _ => return self.bad(),
        });
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, Bad> {
        let Some(digits) = self.text.get(self.pos..self.pos + 4) else {
            return self.bad();
        };
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return self.bad();
        }
        self.pos += 4;
        u32::from_str_radix(digits, 16).or_else(|_| self.bad())
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, as its text.
    fn number(&mut self) -> Result<&'a str, Bad> {
        let start = self.pos;
        if self.bytes[self.pos] == b'-' {
            self.pos += 1;
        }
        match self.bytes.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return self.bad(),
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            self.some_digits()?;
        }
        if matches!(self.bytes.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.bytes.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.some_digits()?;
        }
        Ok(&self.text[start..self.pos])
    }

    fn digits(&mut self) {
        while matches!(self.bytes.get(self.pos), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn some_digits(&mut self) -> Result<(), Bad> {
        let start = self.pos;
        self.digits();
        if self.pos == start {
            return self.bad();
        }
        Ok(())
    }
}

/// Parses a whole document (one value, whitespace around it).
pub fn parse(text: &str) -> Result<Node<'_>, Bad> {
    let mut s = Scanner::new(text, 0, text.len());
    let node = s.value(0)?;
    s.end()?;
    Ok(node)
}

/// Cuts the array that opens at `start` (its `[`) into its elements'
/// byte ranges without parsing them: only strings and nesting are
/// tracked, so the ranges are right for valid JSON, and parsing each range
/// as exactly one value checks the rest. Returns the ranges and the offset
/// after the closing `]`.
pub fn split_array(text: &str, start: usize) -> Result<(Vec<(usize, usize)>, usize), Bad> {
    let bytes = text.as_bytes();
    let mut ranges = Vec::new();
    let mut depth = 0usize;
    let mut element = start + 1;
    let mut empty = true;
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                empty = false;
            }
            b'[' | b'{' => {
                depth += 1;
                empty = false;
            }
            b']' | b'}' if depth > 0 => depth -= 1,
            b']' => {
                if !empty || !ranges.is_empty() {
                    ranges.push((element, i));
                }
                return Ok((ranges, i + 1));
            }
            b',' if depth == 0 => {
                ranges.push((element, i));
                element = i + 1;
            }
            b' ' | b'\n' | b'\t' | b'\r' => {}
            _ => empty = false,
        }
        i += 1;
    }
    Err(Bad { at: bytes.len() })
}

/// Exactly one value in `text[start..end]` (whitespace around it allowed),
/// inside `depth` containers.
pub fn parse_range(text: &str, start: usize, end: usize, depth: usize) -> Result<Node<'_>, Bad> {
    let mut s = Scanner::new(text, start, end);
    let node = s.value(depth)?;
    s.end()?;
    Ok(node)
}

/// The message for a document the scanner refused: the strict parser's
/// (line, column and `serde_json`'s words, or the duplicate key's path).
pub fn syntax_error(text: &str, bad: Bad) -> InputError {
    match crate::json::strict_parse(text) {
        Err(e) => e,
        // The scanner is stricter than serde_json here: a bug, but still a
        // clear refusal at the place.
        Ok(_) => {
            let before = &text[..text.floor_char_boundary_compat(bad.at)];
            let line = before.matches('\n').count() + 1;
            let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1);
            InputError {
                at: format!("line {line} column {column}"),
                message: "malformed JSON".into(),
            }
        }
    }
}

trait FloorBoundary {
    fn floor_char_boundary_compat(&self, i: usize) -> usize;
}

impl FloorBoundary for str {
    fn floor_char_boundary_compat(&self, mut i: usize) -> usize {
        i = i.min(self.len());
        while !self.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

#[cfg(test)]
mod tests;
