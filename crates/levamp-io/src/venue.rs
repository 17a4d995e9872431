//! Markets, assets and prices of a snapshot, merged over a venue preset and
//! resolved to dense ids on first use.

use crate::json::{
    self, child, decimal, did_you_mean, err, index, known_keys, object, string, InputError,
};
use crate::preset::Preset;
use levamp_core::{Price, Quote, Ratio, SCALE};
use levamp_engine::{Asset, AssetId, Market, MarketId, PriceId, Tier};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

const MARKET_KEYS: &[&str] = &["base", "tiers", "liquidation_fee_rate", "source"];
const TIER_KEYS: &[&str] = &[
    "max_notional",
    "maintenance_margin_rate",
    "maintenance_amount",
    "max_leverage",
];
const ASSET_KEYS: &[&str] = &[
    "price_key",
    "haircut",
    "ltv",
    "liquidation_threshold",
    "liquidation_bonus",
    "liquidation_protocol_fee",
    "source",
];

/// A definition (preset entry with snapshot fields laid over it) and the
/// path errors in it are reported at.
struct Definition {
    fields: Map<String, Value>,
    at: String,
}

/// Resolves market and asset names used by accounts into engine values.
pub struct Venue {
    pub quote: String,
    price_ids: BTreeMap<String, PriceId>,
    price_values: Vec<Option<Price>>,
    market_defs: BTreeMap<String, Definition>,
    asset_defs: BTreeMap<String, Definition>,
    market_ids: BTreeMap<String, MarketId>,
    asset_ids: BTreeMap<String, AssetId>,
    pub markets: Vec<Market>,
    pub assets: Vec<Asset>,
}

impl Venue {
    /// Reads `quote`, `prices`, `markets` and `assets` from the snapshot root
    /// over the preset. Market and asset parameters are validated here;
    /// their prices only when an account uses them.
    pub fn new(root: &Map<String, Value>, preset: &Preset) -> Result<Venue, InputError> {
        let quote = match root.get("quote") {
            Some(v) => string(v, "quote")?.to_string(),
            None => preset.quote.clone(),
        };
        let mut venue = Venue {
            quote,
            price_ids: BTreeMap::new(),
            price_values: Vec::new(),
            market_defs: BTreeMap::new(),
            asset_defs: BTreeMap::new(),
            market_ids: BTreeMap::new(),
            asset_ids: BTreeMap::new(),
            markets: Vec::new(),
            assets: Vec::new(),
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
            parse_market(name, def, 0)?;
        }
        for (name, def) in &venue.asset_defs {
            parse_asset(name, def, 0)?;
        }
        Ok(venue)
    }

    fn set_price(&mut self, key: &str, price: Price) {
        let id = self.price_values.len() as PriceId;
        self.price_ids.insert(key.to_string(), id);
        self.price_values.push(Some(price));
    }

    /// The price table indexed by `PriceId`.
    pub fn prices(&self) -> Vec<Price> {
        self.price_values
            .iter()
            .map(|p| p.unwrap_or(Price::ONE))
            .collect()
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
                format!("{what} needs a price for \"{key}\", which is missing from \"prices\""),
            ),
        }
    }

    /// The id of market `name`, used at path `at`.
    pub fn market(&mut self, name: &str, at: &str) -> Result<MarketId, InputError> {
        if let Some(id) = self.market_ids.get(name) {
            return Ok(*id);
        }
        let Some(def) = self.market_defs.get(name) else {
            let hint = did_you_mean(name, self.market_defs.keys().map(String::as_str))
                .map(|s| format!("; did you mean \"{s}\"?"))
                .unwrap_or_else(|| {
                    " (define it under \"markets\" or choose a --venue preset that has it)".into()
                });
            return err(at, format!("unknown market \"{name}\"{hint}"));
        };
        let base = string(
            def.fields.get("base").unwrap_or(&Value::Null),
            &child(&def.at, "base"),
        )?;
        let price = self.price_id(base, at, &format!("market \"{name}\""))?;
        let market = parse_market(name, def, price)?;
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
                let price = self.price_id(key, at, &format!("asset \"{name}\""))?;
                parse_asset(name, def, price)?
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
                    .map(|s| format!("; did you mean \"{s}\"?"))
                    .unwrap_or_default();
                    return err(at, format!("unknown asset \"{name}\": no entry in \"assets\" and no price in \"prices\"{hint}"));
                };
                Asset {
                    name: name.to_string(),
                    price,
                    haircut: Ratio::ZERO,
                    ltv: Ratio::ZERO,
                    liquidation_threshold: Ratio::ZERO,
                    liquidation_bonus: Ratio::ZERO,
                    liquidation_protocol_fee: Ratio::ZERO,
                    pool: None,
                }
            }
        };
        let id = self.assets.len() as AssetId;
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

fn parse_market(name: &str, def: &Definition, price: PriceId) -> Result<Market, InputError> {
    let at = &def.at;
    known_keys(&def.fields, at, MARKET_KEYS)?;
    if !def.fields.contains_key("base") {
        return err(
            &child(at, "base"),
            "required (the price key of the base asset, e.g. \"ETH\")",
        );
    }
    string(&def.fields["base"], &child(at, "base"))?;
    let tiers_at = child(at, "tiers");
    let tiers = json::array(def.fields.get("tiers").unwrap_or(&Value::Null), &tiers_at)?;
    if tiers.is_empty() {
        return err(&tiers_at, "needs at least one tier");
    }
    let mut parsed: Vec<Tier> = Vec::with_capacity(tiers.len());
    for (i, t) in tiers.iter().enumerate() {
        let t_at = index(&tiers_at, i);
        let tier = parse_tier(t, &t_at, i + 1 == tiers.len())?;
        if let (Some(prev), Some(cap)) = (
            parsed.last().and_then(|p| p.max_notional),
            tier.max_notional,
        ) {
            if cap <= prev {
                return err(
                    &child(&t_at, "max_notional"),
                    format!(
                        "tiers must be ascending: {cap} is not above the previous tier's {prev}"
                    ),
                );
            }
        }
        parsed.push(tier);
    }
    let liquidation_fee_rate = optional_fraction(&def.fields, at, "liquidation_fee_rate")?;
    let _ = name;
    Ok(Market {
        name: name.to_string(),
        price,
        tiers: parsed,
        liquidation_fee_rate,
        funding_interval_s: levamp_engine::DEFAULT_FUNDING_INTERVAL_S,
    })
}

fn parse_tier(v: &Value, at: &str, last: bool) -> Result<Tier, InputError> {
    let map = object(v, at)?;
    known_keys(map, at, TIER_KEYS)?;
    let max_notional = match map.get("max_notional") {
        None | Some(Value::Null) if last => None,
        None | Some(Value::Null) => {
            return err(
                &child(at, "max_notional"),
                "only the last tier may be open-ended (null)",
            )
        }
        Some(v) => Some(Quote::from_raw(positive(v, &child(at, "max_notional"))?)),
    };
    let rate_at = child(at, "maintenance_margin_rate");
    let rate = decimal(
        map.get("maintenance_margin_rate").unwrap_or(&Value::Null),
        &rate_at,
    )?;
    if rate <= 0 || rate >= SCALE {
        return err(&rate_at, "must be > 0 and < 1");
    }
    let amount = match map.get("maintenance_amount") {
        Some(v) => non_negative(v, &child(at, "maintenance_amount"))?,
        None => 0,
    };
    let lev_at = child(at, "max_leverage");
    let lev = decimal(map.get("max_leverage").unwrap_or(&Value::Null), &lev_at)?;
    if lev < SCALE {
        return err(&lev_at, "must be ≥ 1");
    }
    Ok(Tier {
        max_notional,
        maintenance_margin_rate: Ratio::from_raw(rate),
        maintenance_amount: Quote::from_raw(amount),
        max_leverage: Ratio::from_raw(lev),
    })
}

fn parse_asset(name: &str, def: &Definition, price: PriceId) -> Result<Asset, InputError> {
    let at = &def.at;
    known_keys(&def.fields, at, ASSET_KEYS)?;
    let f = |k: &str| optional_fraction(&def.fields, at, k);
    let asset = Asset {
        name: name.to_string(),
        price,
        haircut: f("haircut")?,
        ltv: f("ltv")?,
        liquidation_threshold: f("liquidation_threshold")?,
        liquidation_bonus: f("liquidation_bonus")?,
        liquidation_protocol_fee: f("liquidation_protocol_fee")?,
        pool: None,
    };
    if asset.ltv > asset.liquidation_threshold {
        return err(
            &child(at, "ltv"),
            format!(
                "must not exceed liquidation_threshold ({})",
                asset.liquidation_threshold
            ),
        );
    }
    Ok(asset)
}

/// A value in [0, 1], zero when absent.
fn optional_fraction(map: &Map<String, Value>, at: &str, key: &str) -> Result<Ratio, InputError> {
    let Some(v) = map.get(key) else {
        return Ok(Ratio::ZERO);
    };
    let at = child(at, key);
    let raw = decimal(v, &at)?;
    if !(0..=SCALE).contains(&raw) {
        return err(&at, "must be between 0 and 1");
    }
    Ok(Ratio::from_raw(raw))
}

/// A decimal > 0.
pub fn positive(v: &Value, at: &str) -> Result<i128, InputError> {
    let raw = decimal(v, at)?;
    if raw <= 0 {
        return err(at, "must be > 0");
    }
    Ok(raw)
}

/// A decimal ≥ 0.
pub fn non_negative(v: &Value, at: &str) -> Result<i128, InputError> {
    let raw = decimal(v, at)?;
    if raw < 0 {
        return err(at, "must be ≥ 0");
    }
    Ok(raw)
}
