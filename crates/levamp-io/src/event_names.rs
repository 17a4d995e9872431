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
use serde_json::{Map, Value};

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
}

impl EventNames {
    /// No names yet: they come with the log's first event, `venue_opened`.
    pub fn new() -> EventNames {
        EventNames::default()
    }

    /// `event` as JSON with a `<field>_name` beside each id field whose name
    /// is known (learning the names the event itself introduces first).
    pub fn json(&mut self, event: &Event) -> Result<Value, InputError> {
        self.learn(event);
        let mut json = crate::event_json(event)?;
        if let Value::Object(map) = &mut json {
            self.name(map);
            for side in ["buyer", "seller"] {
                if let Some(Value::Object(fill)) = map.get_mut(side) {
                    self.name(fill);
                }
            }
        }
        Ok(json)
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

    /// Adds the names of `map`'s id fields.
    fn name(&self, map: &mut Map<String, Value>) {
        for (field, table) in FIELDS {
            let names = match table {
                Table::Accounts => &self.accounts,
                Table::Markets => &self.markets,
                Table::Assets => &self.assets,
                Table::Keys => &self.keys,
            };
            let name = map
                .get(*field)
                .and_then(Value::as_u64)
                .and_then(|id| names.get(usize::try_from(id).ok()?))
                .filter(|n| !n.is_empty());
            if let Some(name) = name {
                map.insert(format!("{field}_name"), Value::String(name.clone()));
            }
        }
    }
}
