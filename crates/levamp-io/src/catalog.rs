//! The catalogue of a snapshot: markets, assets and prices, merged over a venue preset and
//! resolved to dense ids on first use.

use crate::definitions::{parse_asset, parse_emode_category, parse_market};
use crate::json::{child, decimal, did_you_mean, err, object, string, InputError};
use crate::preset::Preset;
use levamp_core::{Price, Ratio};
use levamp_engine::{Asset, AssetId, EmodeCategory, EmodeId, Market, MarketId, PriceId};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// A definition (preset entry with snapshot fields laid over it) and the
/// path errors in it are reported at.
#[derive(Clone)]
struct Definition {
    fields: Map<String, Value>,
    at: String,
}

/// Resolves market and asset names used by accounts into engine values.
/// Ids are dense and given in the order names are first used.
#[derive(Clone)]
pub struct Catalog {
    pub quote: String,
    price_ids: BTreeMap<String, PriceId>,
    price_values: Vec<Price>,
    market_defs: BTreeMap<String, Definition>,
    asset_defs: BTreeMap<String, Definition>,
    market_ids: BTreeMap<String, MarketId>,
    asset_ids: BTreeMap<String, AssetId>,
    pub markets: Vec<Market>,
    pub assets: Vec<Asset>,
    /// E-mode categories by `EmodeId` (name order), all read up front.
    pub emode_categories: Vec<EmodeCategory>,
    /// The category each member asset belongs to, by asset name.
    emode_of: BTreeMap<String, EmodeId>,
}

impl Catalog {
    /// Reads `quote`, `prices`, `markets` and `assets` from the snapshot root
    /// over the preset. Market and asset parameters are validated here;
    /// their prices only when an account uses them.
    pub fn new(root: &Map<String, Value>, preset: &Preset) -> Result<Catalog, InputError> {
        let quote = match root.get("quote") {
            Some(v) => string(v, "quote")?.to_string(),
            None => preset.quote.clone(),
        };
        let mut venue = Catalog {
            quote,
            price_ids: BTreeMap::new(),
            price_values: Vec::new(),
            market_defs: BTreeMap::new(),
            asset_defs: BTreeMap::new(),
            market_ids: BTreeMap::new(),
            asset_ids: BTreeMap::new(),
            markets: Vec::new(),
            assets: Vec::new(),
            emode_categories: Vec::new(),
            emode_of: BTreeMap::new(),
        };
        if let Some(prices) = root.get("prices") {
            for (key, v) in object(prices, "prices")? {
                let at = child("prices", key);
                let raw = decimal(v, &at)?;
                if raw <= 0 {
                    return err(&at, "must be > 0");
                }
                venue.set_price(key, Price::from_raw(raw));
            }
        }
        if !venue.price_ids.contains_key(&venue.quote) {
            venue.set_price(&venue.quote.clone(), Price::ONE);
        }
        venue.market_defs = merge(&preset.markets, root.get("markets"), "markets")?;
        venue.asset_defs = merge(&preset.assets, root.get("assets"), "assets")?;
        // Validate every definition the snapshot itself gives, used or not.
        for (name, def) in &venue.market_defs {
            parse_market(name, &def.fields, &def.at, 0)?;
        }
        for (name, def) in &venue.asset_defs {
            parse_asset(name, &def.fields, &def.at, 0)?;
        }
        let categories = merge(
            &preset.emode_categories,
            root.get("emode_categories"),
            "emode_categories",
        )?;
        for (name, def) in &categories {
            let (category, assets) = parse_emode_category(name, &def.fields, &def.at)?;
            let id = venue.emode_categories.len() as EmodeId;
            for (i, asset) in assets.into_iter().enumerate() {
                // Aave v3.0/3.1: a reserve is in at most one category.
                if let Some(other) = venue.emode_of.insert(asset.clone(), id) {
                    return err(
                        &crate::json::index(&child(&def.at, "assets"), i),
                        format!(
                            "{} is already in e-mode category {} (an asset belongs to at most one)",
                            crate::json::quote(&asset),
                            crate::json::quote(&venue.emode_categories[other as usize].name)
                        ),
                    );
                }
            }
            venue.emode_categories.push(category);
        }
        Ok(venue)
    }

    /// The id of e-mode category `name`, named at path `at`.
    pub fn emode(&self, name: &str, at: &str) -> Result<EmodeId, InputError> {
        match self.emode_categories.iter().position(|c| c.name == name) {
            Some(i) => Ok(i as EmodeId),
            None => {
                let known: Vec<&str> = self
                    .emode_categories
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect();
                let hint = match did_you_mean(name, known.iter().copied()) {
                    Some(s) => format!("; did you mean {}?", crate::json::quote(s)),
                    None if known.is_empty() => {
                        " (the venue has no \"emode_categories\")".to_string()
                    }
                    None => format!("; known: {}", known.join(", ")),
                };
                err(
                    at,
                    format!("unknown e-mode category {}{hint}", crate::json::quote(name)),
                )
            }
        }
    }

    fn set_price(&mut self, key: &str, price: Price) {
        let id = self.price_values.len() as PriceId;
        self.price_ids.insert(key.to_string(), id);
        self.price_values.push(price);
    }

    /// The price table indexed by `PriceId`.
    pub fn prices(&self) -> &[Price] {
        &self.price_values
    }

    /// Price key names indexed by `PriceId`.
    pub fn price_keys(&self) -> Vec<String> {
        let mut keys = vec![String::new(); self.price_values.len()];
        for (k, id) in &self.price_ids {
            keys[*id as usize] = k.clone();
        }
        keys
    }

    fn price_id(&self, key: &str, at: &str, what: &str) -> Result<PriceId, InputError> {
        match self.price_ids.get(key) {
            Some(id) => Ok(*id),
            None => err(
                at,
                format!(
                    "{what} needs a price for {}, which is missing from \"prices\"",
                    crate::json::quote(key)
                ),
            ),
        }
    }

    /// The id of market `name` when it is already in use (no path needed).
    pub fn known_market(&self, name: &str) -> Option<MarketId> {
        self.market_ids.get(name).copied()
    }

    /// The id of asset `name` when it is already in use (no path needed).
    pub fn known_asset(&self, name: &str) -> Option<AssetId> {
        self.asset_ids.get(name).copied()
    }

    /// The id of market `name`, used at path `at`.
    pub fn market(&mut self, name: &str, at: &str) -> Result<MarketId, InputError> {
        if let Some(id) = self.market_ids.get(name) {
            return Ok(*id);
        }
        let Some(def) = self.market_defs.get(name) else {
            let hint = did_you_mean(name, self.market_defs.keys().map(String::as_str))
                .map(|s| format!("; did you mean {}?", crate::json::quote(s)))
                .unwrap_or_else(|| {
                    " (define it under \"markets\" or choose a --venue preset that has it)".into()
                });
            return err(
                at,
                format!("unknown market {}{hint}", crate::json::quote(name)),
            );
        };
        let base = string(
            def.fields.get("base").unwrap_or(&Value::Null),
            &child(&def.at, "base"),
        )?;
        let price = self.price_id(base, at, &format!("market {}", crate::json::quote(name)))?;
        let market = parse_market(name, &def.fields, &def.at, price)?;
        let id = self.markets.len() as MarketId;
        self.markets.push(market);
        self.market_ids.insert(name.to_string(), id);
        Ok(id)
    }

    /// The id of asset `name`, used at path `at`. An asset with no
    /// definition is priced under its own name, counts at full value as perp
    /// collateral and has no lending weight (liquidation threshold 0).
    pub fn asset(&mut self, name: &str, at: &str) -> Result<AssetId, InputError> {
        if let Some(id) = self.asset_ids.get(name) {
            return Ok(*id);
        }
        let asset = match self.asset_defs.get(name) {
            Some(def) => {
                let key = match def.fields.get("price_key") {
                    Some(v) => string(v, &child(&def.at, "price_key"))?,
                    None => name,
                };
                let price =
                    self.price_id(key, at, &format!("asset {}", crate::json::quote(name)))?;
                parse_asset(name, &def.fields, &def.at, price)?
            }
            None => {
                let Some(price) = self.price_ids.get(name).copied() else {
                    let hint = did_you_mean(
                        name,
                        self.asset_defs
                            .keys()
                            .chain(self.price_ids.keys())
                            .map(String::as_str),
                    )
                    .map(|s| format!("; did you mean {}?", crate::json::quote(s)))
                    .unwrap_or_default();
                    return err(at, format!("unknown asset {}: no entry in \"assets\" and no price in \"prices\"{hint}", crate::json::quote(name)));
                };
                Asset {
                    name: name.to_string(),
                    price,
                    haircut: Ratio::ZERO,
                    ltv: Ratio::ZERO,
                    liquidation_threshold: Ratio::ZERO,
                    liquidation_bonus: Ratio::ZERO,
                    liquidation_protocol_fee: Ratio::ZERO,
                    emode: None,
                    pool: None,
                }
            }
        };
        let id = self.assets.len() as AssetId;
        let asset = Asset {
            emode: self.emode_of.get(name).copied(),
            ..asset
        };
        self.assets.push(asset);
        self.asset_ids.insert(name.to_string(), id);
        Ok(id)
    }
}

/// Preset entries with the snapshot's fields laid over them, key by key.
fn merge(
    preset: &crate::preset::Entries,
    given: Option<&Value>,
    section: &str,
) -> Result<BTreeMap<String, Definition>, InputError> {
    let mut out: BTreeMap<String, Definition> = preset
        .iter()
        .map(|(k, (fields, at))| {
            (
                k.clone(),
                Definition {
                    fields: fields.clone(),
                    at: at.clone(),
                },
            )
        })
        .collect();
    if let Some(given) = given {
        for (name, v) in object(given, section)? {
            let at = child(section, name);
            let fields = object(v, &at)?;
            let entry = out.entry(name.clone()).or_insert_with(|| Definition {
                fields: Map::new(),
                at: at.clone(),
            });
            entry.at = at;
            for (k, v) in fields {
                entry.fields.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(out)
}
