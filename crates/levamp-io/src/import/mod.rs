//! `levamp import`: exchange exports turned into a levamp snapshot
//! (`docs/snapshot.md`), one module per source:
//!
//! - [`binance`]: Binance USDⓈ-M `positionRisk` (v2/v3), `account` and
//!   `leverageBracket` responses;
//! - [`hyperliquid`]: Hyperliquid `clearinghouseState` (+ `meta`);
//! - [`csv`]: one row per position, for books kept in spreadsheets.
//!
//! Every import is self-contained: the snapshot carries the markets (tiers)
//! and mark prices it needs, so `levamp margin` reads it with the default
//! `generic` venue. Each position keeps the exchange's own liquidation price
//! as `venue_liquidation_price`. Numbers are copied as exact decimals, never
//! through `f64`. A response of another shape is refused with what it looks
//! like and what was expected; a bad field is named by its JSON path (or CSV
//! line and column).

pub mod binance;
pub mod csv;
pub mod hyperliquid;

use crate::json::{self, InputError};
use crate::{Preset, Snapshot};
use levamp_core::{Price, Quote, Ratio};
use serde_json::{Map, Value};

/// A snapshot being assembled; [`Builder::finish`] validates and writes it.
#[derive(Debug, Default)]
pub struct Builder {
    quote: String,
    prices: Map<String, Value>,
    markets: Map<String, Value>,
    accounts: Vec<Value>,
}

/// One market tier, in snapshot terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierDef {
    /// Exclusive notional cap; `None` for open-ended.
    pub max_notional: Option<Quote>,
    pub maintenance_margin_rate: Ratio,
    pub maintenance_amount: Quote,
    pub max_leverage: Ratio,
}

/// A number as an exact JSON number.
pub(crate) fn num(v: impl std::fmt::Display) -> Value {
    json::number(v.to_string())
}

impl Builder {
    /// A snapshot in `quote`.
    pub fn new(quote: &str) -> Builder {
        Builder {
            quote: quote.to_string(),
            ..Builder::default()
        }
    }

    /// Sets the price of `key`; a second, different price for the same key
    /// is an error at `at`.
    pub fn price(&mut self, key: &str, price: Price, at: &str) -> Result<(), InputError> {
        let value = num(price);
        match self.prices.get(key) {
            Some(old) if *old != value => json::err(
                at,
                format!(
                    "price of {} is {price} here but {old} earlier; one snapshot has one mark price per asset",
                    json::quote(key)
                ),
            ),
            _ => {
                self.prices.insert(key.to_string(), value);
                Ok(())
            }
        }
    }

    /// Whether market `name` is defined.
    pub fn has_market(&self, name: &str) -> bool {
        self.markets.contains_key(name)
    }

    /// Defines market `name` on price key `base` with `tiers` and a `source` note.
    pub fn market(&mut self, name: &str, base: &str, tiers: &[TierDef], source: &str) {
        let tiers: Vec<Value> = tiers
            .iter()
            .map(|t| {
                let mut m = Map::new();
                m.insert(
                    "max_notional".into(),
                    t.max_notional.map_or(Value::Null, num),
                );
                m.insert(
                    "maintenance_margin_rate".into(),
                    num(t.maintenance_margin_rate),
                );
                m.insert("maintenance_amount".into(), num(t.maintenance_amount));
                m.insert("max_leverage".into(), num(t.max_leverage));
                Value::Object(m)
            })
            .collect();
        let mut m = Map::new();
        m.insert("base".into(), Value::String(base.to_string()));
        m.insert("tiers".into(), Value::Array(tiers));
        m.insert("source".into(), Value::String(source.to_string()));
        self.markets.insert(name.to_string(), Value::Object(m));
    }

    /// Copies market `name` from `preset` (with its `source`), if the preset
    /// has it: whether it did.
    pub fn market_from_preset(&mut self, name: &str, preset: &Preset) -> bool {
        let Some((fields, _)) = preset.markets.get(name) else {
            return false;
        };
        let mut fields = fields.clone();
        let source = format!(
            "preset {}: {}",
            preset.name,
            fields.get("source").and_then(Value::as_str).unwrap_or("")
        );
        fields.insert("source".into(), Value::String(source));
        self.markets.insert(name.to_string(), Value::Object(fields));
        true
    }

    /// Adds an account (a snapshot account object).
    pub fn account(&mut self, account: Value) {
        self.accounts.push(account);
    }

    /// The snapshot JSON text, validated by the snapshot reader: an import
    /// never writes a file `levamp margin` would refuse to parse.
    pub fn finish(self) -> Result<String, InputError> {
        let mut root = Map::new();
        root.insert("quote".into(), Value::String(self.quote));
        root.insert("prices".into(), Value::Object(self.prices));
        root.insert("markets".into(), Value::Object(self.markets));
        root.insert("accounts".into(), Value::Array(self.accounts));
        let text = serde_json::to_string_pretty(&Value::Object(root)).map_err(|e| InputError {
            at: String::new(),
            message: format!("cannot write the snapshot: {e}"),
        })? + "\n";
        Snapshot::parse(&text, &Preset::load("generic")?).map_err(|e| InputError {
            at: format!("imported snapshot: {}", e.at),
            message: e.message,
        })?;
        Ok(text)
    }
}

/// A position object of the snapshot.
pub(crate) struct PositionOut {
    pub market: String,
    pub size: levamp_core::Base,
    pub entry_price: Price,
    pub isolated_margin: Option<Quote>,
    pub leverage: Option<Ratio>,
    pub venue_liquidation_price: Option<Price>,
}

impl PositionOut {
    pub(crate) fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("market".into(), Value::String(self.market.clone()));
        m.insert("size".into(), num(self.size));
        m.insert("entry_price".into(), num(self.entry_price));
        m.insert(
            "margin_mode".into(),
            Value::String(
                if self.isolated_margin.is_some() {
                    "isolated"
                } else {
                    "cross"
                }
                .into(),
            ),
        );
        if let Some(margin) = self.isolated_margin {
            m.insert("isolated_margin".into(), num(margin));
        }
        if let Some(l) = self.leverage {
            m.insert("leverage".into(), num(l));
        }
        m.insert(
            "venue_liquidation_price".into(),
            self.venue_liquidation_price.map_or(Value::Null, num),
        );
        Value::Object(m)
    }
}

/// An account object: `id`, cross `collateral` (asset → amount) and positions.
pub(crate) fn account_value(
    id: &str,
    collateral: &[(String, Quote)],
    positions: &[PositionOut],
) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), Value::String(id.to_string()));
    let mut c = Map::new();
    for (asset, amount) in collateral {
        c.insert(asset.clone(), num(amount));
    }
    m.insert("collateral".into(), Value::Object(c));
    m.insert(
        "positions".into(),
        Value::Array(positions.iter().map(PositionOut::to_value).collect()),
    );
    Value::Object(m)
}

/// An exact decimal field of a JSON object: (raw value, path). A missing
/// field is an error naming it.
pub(crate) fn field_decimal(
    map: &Map<String, Value>,
    at: &str,
    key: &str,
) -> Result<i128, InputError> {
    let f_at = json::child(at, key);
    match map.get(key) {
        None => json::err(&f_at, "required"),
        Some(v) => json::decimal(v, &f_at),
    }
}

/// "this looks like X; expected Y" at the top of input `what`.
pub(crate) fn looks_like<T>(looks: &str, expected: &str) -> Result<T, InputError> {
    json::err("", format!("this looks like {looks}; expected {expected}"))
}

/// Leverage ≥ 1 as a ratio, from raw decimal.
pub(crate) fn leverage(raw: i128, at: &str) -> Result<Ratio, InputError> {
    if raw < levamp_core::SCALE {
        return json::err(at, "must be ≥ 1");
    }
    Ok(Ratio::from_raw(raw))
}
