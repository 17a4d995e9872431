//! Names beside the numeric ids of events written as JSON (`levamp run
//! --format json` and `--events`): an event keeps its ids (what a replay
//! reads) and gains, for each id field, a `<field>_name` field with the
//! account, market, asset or price key's name — `"account": 2,
//! "account_name": "a2"`, `"market": 0, "market_name": "ETHUSDT"`. The names
//! are learnt from the log itself (`venue_opened`, `account_opened`,
//! `market_listed`, `asset_listed`, `price_key_added`), so a log reads
//! without the state. A replay ignores the names; logs written before they
//! were added read the same. See docs/scripts.md.

use crate::json::InputError;
use levamp_engine::venue::{Event, MARKET_ACCOUNT_NAME};

/// Which table of names an id field indexes.
#[derive(Clone, Copy)]
enum Table {
    Accounts,
    Markets,
    Assets,
    Keys,
}

/// The id fields of events (top level, and in a fill's `buyer` / `seller`).
const FIELDS: &[(&str, Table)] = &[
    ("account", Table::Accounts),
    ("liquidator", Table::Accounts),
    ("bankrupt", Table::Accounts),
    ("counterparty", Table::Accounts),
    ("market", Table::Markets),
    ("asset", Table::Assets),
    ("debt_asset", Table::Assets),
    ("collateral_asset", Table::Assets),
    ("key", Table::Keys),
];

/// The names of a venue's ids as its events reveal them.
#[derive(Clone, Debug, Default)]
pub struct EventNames {
    accounts: Vec<String>,
    markets: Vec<String>,
    assets: Vec<String>,
    keys: Vec<String>,
    /// The event as serde writes it, before the names are spliced in.
    buffer: Vec<u8>,
}

impl EventNames {
    /// No names yet: they come with the log's first event, `venue_opened`.
    pub fn new() -> EventNames {
        EventNames::default()
    }

    /// Appends `event` as one line of compact JSON (no line end) to `out`,
    /// with a `<field>_name` after the fields of each object that has id
    /// fields whose names are known (learning the names the event itself
    /// introduces first): the top-level object and a fill's `buyer` and
    /// `seller`, in the order of [`FIELDS`].
    ///
    /// The event is written by its `Serialize` (no `Value` tree), then the
    /// names are spliced in before the closing braces: serde's compact form
    /// writes every key as `"key":`, and an id field's value is a bare
    /// unsigned integer.
    pub fn write(&mut self, event: &Event, out: &mut Vec<u8>) -> Result<(), InputError> {
        self.learn(event);
        let mut raw = std::mem::take(&mut self.buffer);
        raw.clear();
        let written = serde_json::to_writer(&mut raw, event).and_then(|()| self.splice(&raw, out));
        self.buffer = raw;
        written.map_err(|e| InputError {
            at: String::new(),
            message: format!("cannot write an event as JSON: {e}"),
        })
    }

    /// Copies the compact JSON object `raw` to `out` with the names added
    /// (see [`EventNames::write`]).
    fn splice(&self, raw: &[u8], out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        // The objects that take names are at depth 1 (the event) and 2 (a
        // fill's side): for each, whether it does and its id fields so far.
        #[derive(Clone, Copy)]
        struct Level {
            named: bool,
            ids: [Option<u64>; FIELDS.len()],
        }
        let mut levels = [Level {
            named: false,
            ids: [None; FIELDS.len()],
        }; 2];
        let mut depth = 0usize;
        // The key just read (its bytes in `raw`), in the innermost object.
        let mut key: &[u8] = b"";
        // `raw[..copied]` is in `out`.
        let mut copied = 0;
        let mut i = 0;
        while i < raw.len() {
            match raw[i] {
                b'"' => {
                    let end = string_end(raw, i);
                    if raw.get(end) == Some(&b':') {
                        key = &raw[i + 1..end - 1];
                    }
                    i = end;
                    continue;
                }
                open @ (b'{' | b'[') => {
                    depth += 1;
                    let named = open == b'{'
                        && match depth {
                            1 => true,
                            2 => levels[0].named && (key == b"buyer" || key == b"seller"),
                            _ => false,
                        };
                    if let Some(level) = levels.get_mut(depth - 1) {
                        *level = Level {
                            named,
                            ids: [None; FIELDS.len()],
                        };
                    }
                }
                b'}' | b']' => {
                    if let Some(level) = depth.checked_sub(1).and_then(|d| levels.get(d)) {
                        if level.named {
                            out.extend_from_slice(&raw[copied..i]);
                            copied = i;
                            self.append_names(&level.ids, out)?;
                        }
                    }
                    depth = depth.saturating_sub(1);
                }
                b'-' | b'0'..=b'9' => {
                    let len = raw[i..]
                        .iter()
                        .take_while(|c| matches!(c, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'))
                        .count();
                    let number = &raw[i..i + len];
                    // An id is a bare unsigned integer (what `as_u64` reads).
                    let id = match number.iter().all(u8::is_ascii_digit) {
                        true => std::str::from_utf8(number)
                            .ok()
                            .and_then(|d| d.parse().ok()),
                        false => None,
                    };
                    let field = FIELDS.iter().position(|(f, _)| f.as_bytes() == key);
                    let level = depth.checked_sub(1).and_then(|d| levels.get_mut(d));
                    if let (Some(level), Some(field), Some(id)) = (level, field, id) {
                        if level.named {
                            level.ids[field] = Some(id);
                        }
                    }
                    i += len;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        out.extend_from_slice(&raw[copied..]);
        Ok(())
    }

    /// `,"<field>_name":"<name>"` for each of `ids` whose name is known, in
    /// the order of [`FIELDS`].
    fn append_names(
        &self,
        ids: &[Option<u64>; FIELDS.len()],
        out: &mut Vec<u8>,
    ) -> Result<(), serde_json::Error> {
        for ((field, table), id) in FIELDS.iter().zip(ids) {
            let names = self.table(*table);
            let name = id
                .and_then(|id| names.get(usize::try_from(id).ok()?))
                .filter(|n| !n.is_empty());
            if let Some(name) = name {
                out.extend_from_slice(b",\"");
                out.extend_from_slice(field.as_bytes());
                out.extend_from_slice(b"_name\":");
                serde_json::to_writer(&mut *out, name)?;
            }
        }
        Ok(())
    }

    /// The names an id field of `table` indexes.
    fn table(&self, table: Table) -> &[String] {
        match table {
            Table::Accounts => &self.accounts,
            Table::Markets => &self.markets,
            Table::Assets => &self.assets,
            Table::Keys => &self.keys,
        }
    }

    fn learn(&mut self, event: &Event) {
        let set = |names: &mut Vec<String>, id: usize, name: &str| {
            if names.len() <= id {
                names.resize(id + 1, String::new());
            }
            names[id] = name.to_string();
        };
        match event {
            Event::VenueOpened { quote, .. } => {
                // Venue::new: price key 0 and asset 0 are the quote, account 0 the market.
                *self = EventNames {
                    accounts: vec![MARKET_ACCOUNT_NAME.to_string()],
                    markets: Vec::new(),
                    assets: vec![quote.clone()],
                    keys: vec![quote.clone()],
                    buffer: std::mem::take(&mut self.buffer),
                };
            }
            Event::AccountOpened { account, name } => {
                set(&mut self.accounts, *account as usize, name)
            }
            Event::PriceKeyAdded { key, name } => set(&mut self.keys, *key as usize, name),
            Event::MarketListed { market, spec } => {
                set(&mut self.markets, *market as usize, &spec.name)
            }
            Event::AssetListed { asset, spec } => {
                set(&mut self.assets, *asset as usize, &spec.name)
            }
            _ => {}
        }
    }
}

/// The index just past the JSON string starting at `raw[start]` (a `"`).
fn string_end(raw: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < raw.len() {
        match raw[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    raw.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{OnError, Preset, Run};
    use serde_json::{Map, Value};

    /// The names as a `Value` tree gets them: each id field's name inserted
    /// at the end of its object, in the order of FIELDS (what `write`
    /// splices into serde's bytes).
    fn reference(names: &mut EventNames, event: &Event) -> String {
        names.learn(event);
        let name = |names: &EventNames, map: &mut Map<String, Value>| {
            for (field, table) in FIELDS {
                let list = names.table(*table);
                let found = map
                    .get(*field)
                    .and_then(Value::as_u64)
                    .and_then(|id| list.get(id as usize))
                    .filter(|n| !n.is_empty())
                    .cloned();
                if let Some(n) = found {
                    map.insert(format!("{field}_name"), Value::String(n));
                }
            }
        };
        let mut json = serde_json::to_value(event).unwrap();
        let map = json.as_object_mut().unwrap();
        name(names, map);
        for side in ["buyer", "seller"] {
            if let Some(Value::Object(fill)) = map.get_mut(side) {
                name(names, fill);
            }
        }
        serde_json::to_string(&json).unwrap()
    }

    fn check(script: &str, venue: &str) -> usize {
        let run = Run::script(script, Preset::load(venue).unwrap(), OnError::Skip).unwrap();
        let (mut spliced, mut tree) = (EventNames::new(), EventNames::new());
        let mut out = Vec::new();
        for event in &run.events {
            out.clear();
            spliced.write(event, &mut out).unwrap();
            assert_eq!(
                String::from_utf8(out.clone()).unwrap(),
                reference(&mut tree, event)
            );
        }
        run.events.len()
    }

    // Every event of the examples (fills with buyer and seller, liquidations,
    // lending), and names that hold JSON's own punctuation.
    #[test]
    fn spliced_names_equal_the_value_tree() {
        let perp = include_str!("../../../examples/perp-cascade.jsonl");
        let aave = include_str!("../../../examples/aave-liquidation.jsonl");
        assert!(check(perp, "generic") > 10);
        assert!(check(aave, "aave-v3") > 10);
        let odd = perp
            .replace("\"a1\"", r#""a{\"1\":[2]}""#)
            .replace("\"mm\"", r#""m\\m\u00e9,}""#);
        assert!(odd.contains(r#"a{\"1\":[2]}"#));
        assert!(check(&odd, "binance-usdm") > 10);
    }
}
