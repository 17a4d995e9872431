//! Hyperliquid exports: the `clearinghouseState` info response (positions,
//! margin summaries and Hyperliquid's liquidation prices) and, optionally,
//! the `meta` response (each coin's margin table).
//!
//! - Mark price = `positionValue ÷ |szi|`, rounded down to 12 decimals.
//! - An isolated position's margin = `leverage.rawUsd + szi × entryPx`
//!   (Hyperliquid's raw USD is the margin less the entry notional).
//! - The cross wallet (USDC) = `crossMarginSummary.totalRawUsd + Σ szi ×
//!   entryPx` over the cross positions, so levamp's equity (wallet +
//!   unrealized PnL) is Hyperliquid's cross account value.
//! - Tiers, per coin: the `meta` margin table (or its universe
//!   `maxLeverage`), else the position's `maxLeverage`, else the
//!   `hyperliquid` preset. Hyperliquid's maintenance margin rate is half the
//!   initial margin at max leverage, `1 ÷ (2 × max_leverage)` (rounded up),
//!   with the deduction `Σ lower_bound_i × (rate_{i−1} − rate_i)` (docs
//!   *Margin tiers*).

use super::binance::{in_file, Source};
use super::{account_value, field_decimal, looks_like, Builder, PositionOut, TierDef};
use crate::json::{self, child, err, index, parse_json, InputError};
use crate::Preset;
use levamp_core::{Base, Price, Quote, Ratio, Round};
use serde_json::{Map, Value};

/// The inputs of `levamp import hyperliquid`.
#[derive(Clone, Copy, Debug)]
pub struct Inputs<'a> {
    pub state: Source<'a>,
    pub meta: Option<Source<'a>>,
    /// The snapshot account id.
    pub id: &'a str,
}

/// What a response that is not `clearinghouseState` is.
fn identify(v: &Value) -> Option<&'static str> {
    let first = match v {
        Value::Array(items) => items.first()?,
        other => other,
    };
    let has = |k: &str| first.get(k).is_some();
    if has("balances") {
        Some("a Hyperliquid spotClearinghouseState response (spot balances)")
    } else if has("universe") {
        Some("a Hyperliquid meta response (pass it as --meta)")
    } else if has("positionAmt") || has("brackets") || has("assets") {
        Some("a Binance response (use `levamp import binance`)")
    } else {
        None
    }
}

/// Imports the inputs into snapshot JSON text.
pub fn import(inputs: &Inputs<'_>) -> Result<String, InputError> {
    let preset = Preset::load("hyperliquid")?;
    let meta = match inputs.meta {
        Some(m) => parse_json(m.text)
            .and_then(|v| margin_tables(&v))
            .map_err(in_file(m.name))?,
        None => Vec::new(),
    };
    let s = inputs.state;
    let v = parse_json(s.text).map_err(in_file(s.name))?;
    state(&v, &meta, &preset, inputs).map_err(in_file(s.name))
}

fn state(
    v: &Value,
    meta: &[(String, Vec<TierDef>)],
    preset: &Preset,
    inputs: &Inputs<'_>,
) -> Result<String, InputError> {
    let expected =
        "the clearinghouseState info response ({\"type\": \"clearinghouseState\", \"user\": …})";
    let Some(map) = v.as_object().filter(|m| m.contains_key("assetPositions")) else {
        return match identify(v) {
            Some(kind) => looks_like(kind, expected),
            None => err("assetPositions", format!("required (expected {expected})")),
        };
    };
    let cross_at = "crossMarginSummary";
    let cross = json::object(map.get(cross_at).unwrap_or(&Value::Null), cross_at)?;
    let mut wallet = field_decimal(cross, cross_at, "totalRawUsd")?;
    let mut b = Builder::new("USDC");
    let mut positions = Vec::new();
    let list_at = "assetPositions";
    for (i, item) in json::array(&map[list_at], list_at)?.iter().enumerate() {
        let at = child(&index(list_at, i), "position");
        let pos = json::object(item.get("position").unwrap_or(&Value::Null), &at)?;
        let coin_at = child(&at, "coin");
        let coin = json::string(pos.get("coin").unwrap_or(&Value::Null), &coin_at)?;
        let size = field_decimal(pos, &at, "szi")?;
        if size == 0 {
            continue;
        }
        let entry = field_decimal(pos, &at, "entryPx")?;
        if entry <= 0 {
            return err(&child(&at, "entryPx"), "must be > 0 for an open position");
        }
        let (size, entry_price) = (Base::from_raw(size), Price::from_raw(entry));
        let value = field_decimal(pos, &at, "positionValue")?;
        let overflow = |e| InputError {
            at: at.clone(),
            message: format!("{e}"),
        };
        let mark = Quote::from_raw(value)
            .per_unit(size.checked_abs().map_err(overflow)?, Round::Floor)
            .map_err(overflow)?;
        if !mark.is_positive() {
            return err(
                &child(&at, "positionValue"),
                "must be > 0 for an open position",
            );
        }
        b.price(coin, mark, &at)?;
        // Signed entry notional: szi × entryPx, exact at 12 decimals only up
        // to the product's rounding; round in the protocol's favour (down).
        let entry_notional = size.value_at(entry_price, Round::Floor).map_err(overflow)?;
        let lev_at = child(&at, "leverage");
        let lev = json::object(pos.get("leverage").unwrap_or(&Value::Null), &lev_at)?;
        let mode = json::string(
            lev.get("type").unwrap_or(&Value::Null),
            &child(&lev_at, "type"),
        )?;
        let leverage = super::leverage(
            field_decimal(lev, &lev_at, "value")?,
            &child(&lev_at, "value"),
        )?;
        let isolated_margin = match mode {
            "cross" => {
                wallet = wallet
                    .checked_add(entry_notional.raw())
                    .map_or_else(|| err(&at, "cross wallet overflows"), Ok)?;
                None
            }
            "isolated" => {
                let raw = field_decimal(lev, &lev_at, "rawUsd")?
                    .checked_add(entry_notional.raw())
                    .map_or_else(|| err(&at, "isolated margin overflows"), Ok)?;
                if raw < 0 {
                    return err(
                        &child(&lev_at, "rawUsd"),
                        "rawUsd + szi × entryPx (the isolated margin) is negative",
                    );
                }
                Some(Quote::from_raw(raw))
            }
            other => {
                return err(
                    &child(&lev_at, "type"),
                    format!(
                        "must be \"cross\" or \"isolated\", found {}",
                        json::quote(other)
                    ),
                )
            }
        };
        let venue = match pos.get("liquidationPx") {
            None | Some(Value::Null) => None,
            Some(p) => {
                let p_at = child(&at, "liquidationPx");
                let raw = json::decimal(p, &p_at)?;
                if raw < 0 {
                    return err(&p_at, "must be ≥ 0");
                }
                (raw > 0).then(|| Price::from_raw(raw))
            }
        };
        if !b.has_market(coin) {
            market(&mut b, coin, pos, &at, meta, preset, inputs)?;
        }
        positions.push(PositionOut {
            market: coin.to_string(),
            size,
            entry_price,
            isolated_margin,
            leverage: Some(leverage),
            venue_liquidation_price: venue,
        });
    }
    if wallet < 0 {
        return err(
            cross_at,
            "the cross wallet (totalRawUsd + Σ szi × entryPx) is negative",
        );
    }
    let collateral = if wallet > 0 {
        vec![("USDC".to_string(), Quote::from_raw(wallet))]
    } else {
        Vec::new()
    };
    b.account(account_value(inputs.id, &collateral, &positions));
    b.finish()
}

/// Defines market `coin`: meta, else the position's maxLeverage, else the preset.
fn market(
    b: &mut Builder,
    coin: &str,
    pos: &Map<String, Value>,
    at: &str,
    meta: &[(String, Vec<TierDef>)],
    preset: &Preset,
    inputs: &Inputs<'_>,
) -> Result<(), InputError> {
    if let Some((_, tiers)) = meta.iter().find(|(c, _)| c == coin) {
        let source = format!("Hyperliquid meta ({})", inputs.meta.map_or("", |m| m.name));
        b.market(coin, coin, tiers, &source);
    } else if let Some(l) = pos.get("maxLeverage") {
        let l_at = child(at, "maxLeverage");
        let max = super::leverage(json::decimal(l, &l_at)?, &l_at)?;
        let tiers = table(&[(0, max)], &l_at)?;
        b.market(coin, coin, &tiers, "Hyperliquid clearinghouseState maxLeverage (one tier; pass --meta for the margin table)");
    } else if !b.market_from_preset(coin, preset) {
        return err(
            &child(at, "coin"),
            format!(
                "no margin table for {}: pass --meta with the meta info response (the hyperliquid preset has only {})",
                json::quote(coin),
                preset.markets.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        );
    }
    Ok(())
}

/// Tiers from (lower bound raw, max leverage), ascending.
fn table(bounds: &[(i128, Ratio)], at: &str) -> Result<Vec<TierDef>, InputError> {
    let mut tiers: Vec<TierDef> = Vec::with_capacity(bounds.len());
    for (k, &(lower, max_leverage)) in bounds.iter().enumerate() {
        let fail = |e| InputError {
            at: at.to_string(),
            message: format!("margin table: {e}"),
        };
        // 1 ÷ (2 × max leverage), rounded up (a higher requirement).
        let twice = max_leverage.checked_add(max_leverage).map_err(fail)?;
        let rate = Quote::ONE
            .ratio_to(Quote::from_raw(twice.raw()), Round::Ceil)
            .map_err(fail)?;
        let amount = match tiers.last() {
            None => Quote::ZERO,
            Some(prev) => {
                let step = prev.maintenance_margin_rate.raw() - rate.raw();
                let extra = Quote::from_raw(lower)
                    .mul_ratio(Ratio::from_raw(step), Round::Floor)
                    .map_err(fail)?;
                prev.maintenance_amount.checked_add(extra).map_err(fail)?
            }
        };
        if k > 0 {
            tiers[k - 1].max_notional = Some(Quote::from_raw(lower));
        }
        tiers.push(TierDef {
            max_notional: None,
            maintenance_margin_rate: rate,
            maintenance_amount: amount,
            max_leverage,
        });
    }
    Ok(tiers)
}

/// Each universe coin's tiers from a `meta` response.
fn margin_tables(v: &Value) -> Result<Vec<(String, Vec<TierDef>)>, InputError> {
    // metaAndAssetCtxs is [meta, contexts]: take the meta.
    let v = match v {
        Value::Array(items) if items.first().is_some_and(|m| m.get("universe").is_some()) => {
            &items[0]
        }
        other => other,
    };
    let Some(map) = v.as_object().filter(|m| m.contains_key("universe")) else {
        return match identify(v) {
            Some(kind) if !kind.contains("meta") => {
                looks_like(kind, "the meta info response ({\"type\": \"meta\"})")
            }
            _ => err("universe", "required (expected the meta info response)"),
        };
    };
    let mut tables: Vec<(i128, Vec<(i128, Ratio)>)> = Vec::new();
    if let Some(t) = map.get("marginTables") {
        for (i, entry) in json::array(t, "marginTables")?.iter().enumerate() {
            let at = index("marginTables", i);
            let pair = json::array(entry, &at)?;
            if pair.len() != 2 {
                return err(&at, "expected [id, {marginTiers}]");
            }
            let id = json::decimal(&pair[0], &index(&at, 0))?;
            let t_at = child(&index(&at, 1), "marginTiers");
            let tiers_v = pair[1].get("marginTiers").unwrap_or(&Value::Null);
            let mut bounds = Vec::new();
            for (j, tier) in json::array(tiers_v, &t_at)?.iter().enumerate() {
                let tier_at = index(&t_at, j);
                let tier = json::object(tier, &tier_at)?;
                let lower = field_decimal(tier, &tier_at, "lowerBound")?;
                let lev = super::leverage(
                    field_decimal(tier, &tier_at, "maxLeverage")?,
                    &child(&tier_at, "maxLeverage"),
                )?;
                if bounds.last().is_some_and(|&(prev, _)| lower <= prev) || (j == 0 && lower != 0) {
                    return err(
                        &child(&tier_at, "lowerBound"),
                        "tiers must start at 0 and ascend",
                    );
                }
                bounds.push((lower, lev));
            }
            tables.push((id, bounds));
        }
    }
    let mut out = Vec::new();
    for (i, coin) in json::array(&map["universe"], "universe")?
        .iter()
        .enumerate()
    {
        let at = index("universe", i);
        let c = json::object(coin, &at)?;
        let name = json::string(c.get("name").unwrap_or(&Value::Null), &child(&at, "name"))?;
        let table_id = match c.get("marginTableId") {
            Some(id) => Some(json::decimal(id, &child(&at, "marginTableId"))?),
            None => None,
        };
        let bounds = match table_id.and_then(|id| tables.iter().find(|(t, _)| *t == id)) {
            Some((_, bounds)) if !bounds.is_empty() => bounds.clone(),
            _ => {
                let l_at = child(&at, "maxLeverage");
                vec![(
                    0,
                    super::leverage(field_decimal(c, &at, "maxLeverage")?, &l_at)?,
                )]
            }
        };
        out.push((name.to_string(), table(&bounds, &at)?));
    }
    Ok(out)
}
