//! Binance USDⓈ-M futures exports: `GET /fapi/v2/positionRisk` or
//! `/fapi/v3/positionRisk` (positions, marks and Binance's liquidation
//! prices), `GET /fapi/v3/account` (or v2: the cross wallet) and
//! `GET /fapi/v1/leverageBracket` (the account's brackets).
//!
//! - A position of size 0 (Binance lists every symbol) is left out.
//! - Isolated margin is the isolated wallet (`isolatedWallet`; for a v2
//!   response without it, `isolatedMargin − unRealizedProfit`, since
//!   Binance's `isolatedMargin` includes the unrealized PnL).
//! - The cross wallet is each asset's `crossWalletBalance` (the wallet less
//!   the isolated wallets), in the account response.
//! - A market's tiers come from the brackets response, else from the
//!   `binance-usdm` preset; the mark price is keyed by symbol (`BTCUSDT`), so
//!   BTCUSDT and BTCUSDC keep their own marks.
//! - `liquidationPrice` "0" means Binance has none (the account cannot be
//!   liquidated by that price move): `venue_liquidation_price` is null.

use super::{account_value, field_decimal, looks_like, Builder, PositionOut, TierDef};
use crate::json::{self, child, err, index, parse_json, InputError};
use crate::Preset;
use levamp_core::{Base, Price, Quote, Ratio};
use serde_json::{Map, Value};

/// Quote (margin) assets of USDⓈ-M symbols, valued at 1.
const QUOTE_ASSETS: &[&str] = &["USDT", "USDC", "FDUSD", "BUSD"];

/// One input file: its name (for errors) and text.
#[derive(Clone, Copy, Debug)]
pub struct Source<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

/// The inputs of `levamp import binance`.
#[derive(Clone, Copy, Debug)]
pub struct Inputs<'a> {
    pub position_risk: Source<'a>,
    pub account: Option<Source<'a>>,
    pub brackets: Option<Source<'a>>,
    /// The snapshot account id.
    pub id: &'a str,
    /// The preset whose brackets stand in for symbols `brackets` lacks
    /// (`binance-usdm`, or a dated one such as `binance-usdm@2024-06`).
    pub venue: &'a str,
}

/// Prefixes an error with the file it is in.
pub(crate) fn in_file(name: &str) -> impl Fn(InputError) -> InputError + '_ {
    move |e| InputError {
        at: if e.at.is_empty() {
            name.to_string()
        } else {
            format!("{name}: {}", e.at)
        },
        message: e.message,
    }
}

/// What a Binance (or other) response that is not the expected one is.
fn identify(v: &Value) -> Option<&'static str> {
    let first = match v {
        Value::Array(items) => items.first()?,
        other => other,
    };
    let has = |k: &str| first.get(k).is_some();
    if has("balances") || first.get("accountType").and_then(Value::as_str) == Some("SPOT") {
        Some("a Binance spot account response (GET /api/v3/account)")
    } else if has("assets") && has("positions") {
        Some("a Binance futures account response (GET /fapi/v3/account)")
    } else if has("brackets") {
        Some("a Binance leverage brackets response (GET /fapi/v1/leverageBracket)")
    } else if has("positionAmt") {
        Some("a Binance positionRisk response")
    } else if has("assetPositions") || has("universe") {
        Some("a Hyperliquid response (use `levamp import hyperliquid`)")
    } else if has("code") && has("msg") {
        Some("a Binance error response")
    } else {
        None
    }
}

/// Imports the inputs into snapshot JSON text.
pub fn import(inputs: &Inputs<'_>) -> Result<String, InputError> {
    let preset = Preset::load(inputs.venue)?;
    let pr = inputs.position_risk;
    let positions = parse_json(pr.text)
        .and_then(|v| positions(&v))
        .map_err(in_file(pr.name))?;
    let brackets = match inputs.brackets {
        Some(b) => parse_json(b.text)
            .and_then(|v| brackets(&v))
            .map_err(in_file(b.name))?,
        None => Vec::new(),
    };
    let collateral = match inputs.account {
        Some(a) => parse_json(a.text)
            .and_then(|v| wallet(&v))
            .map_err(in_file(a.name))?,
        None => {
            if let Some(p) = positions.iter().find(|p| p.out.isolated_margin.is_none()) {
                return err(
                    "--account",
                    format!(
                        "required: {} is a cross position, margined by the cross wallet \
                         (crossWalletBalance in GET /fapi/v3/account)",
                        p.out.market
                    ),
                );
            }
            Vec::new()
        }
    };
    let quote = if !positions.is_empty() && positions.iter().all(|p| p.margin_asset == "USDC") {
        "USDC"
    } else {
        "USDT"
    };
    let mut b = Builder::new(quote);
    for asset in QUOTE_ASSETS {
        if *asset != quote && collateral.iter().any(|(a, _)| a == asset) {
            b.price(asset, Price::ONE, "")?;
        }
    }
    for p in &positions {
        let symbol = &p.out.market;
        b.price(symbol, p.mark, &p.at).map_err(in_file(pr.name))?;
        if b.has_market(symbol) {
            continue;
        }
        if let Some((_, tiers)) = brackets.iter().find(|(s, _)| s == symbol) {
            let source = format!(
                "GET /fapi/v1/leverageBracket ({})",
                inputs.brackets.map_or("", |s| s.name)
            );
            b.market(symbol, symbol, tiers, &source);
        } else if !b.market_from_preset(symbol, &preset) {
            return err(
                &format!("{}: {}", pr.name, child(&p.at, "symbol")),
                format!(
                    "no leverage brackets for {}: pass --brackets with the GET /fapi/v1/leverageBracket response \
                     (the {} preset has only {})",
                    json::quote(symbol),
                    inputs.venue,
                    preset.markets.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            );
        }
        // A preset market is priced by its own base; price it too.
        let base = preset
            .markets
            .get(symbol)
            .and_then(|(f, _)| f.get("base"))
            .and_then(Value::as_str);
        if let Some(base) =
            base.filter(|base| !brackets.iter().any(|(s, _)| s == symbol) && base != symbol)
        {
            b.price(base, p.mark, &p.at).map_err(in_file(pr.name))?;
        }
    }
    let outs: Vec<PositionOut> = positions.into_iter().map(|p| p.out).collect();
    b.account(account_value(inputs.id, &collateral, &outs));
    b.finish()
}

/// One non-zero position of a positionRisk response.
struct Imported {
    out: PositionOut,
    mark: Price,
    margin_asset: String,
    at: String,
}

/// The base and margin asset of symbol `s` (`BTCUSDT` → `BTC`, `USDT`).
fn margin_asset_of(symbol: &str) -> Option<&'static str> {
    let head = symbol.split('_').next().unwrap_or(symbol);
    QUOTE_ASSETS
        .iter()
        .copied()
        .find(|q| head.len() > q.len() && head.ends_with(q))
}

fn positions(v: &Value) -> Result<Vec<Imported>, InputError> {
    let Some(items) = v.as_array() else {
        return match identify(v) {
            Some(kind) => looks_like(kind, "the JSON array GET /fapi/v3/positionRisk (or v2) returns"),
            None => err("", "expected the JSON array GET /fapi/v3/positionRisk (or v2) returns, found an object"),
        };
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = index("", i);
        let map = json::object(item, &at)?;
        if !map.contains_key("positionAmt") {
            return match identify(item) {
                Some(kind) => looks_like(kind, "GET /fapi/v3/positionRisk (or v2)"),
                None => err(
                    &child(&at, "positionAmt"),
                    "required (is this a positionRisk response?)",
                ),
            };
        }
        let v1 = map.contains_key("marginType")
            && !["notional", "isolatedWallet", "updateTime"]
                .iter()
                .any(|k| map.contains_key(*k));
        if v1 {
            return looks_like(
                "a GET /fapi/v1/positionRisk response (retired; no isolatedWallet, notional or updateTime)",
                "GET /fapi/v3/positionRisk or /fapi/v2/positionRisk",
            );
        }
        if let Some(p) = position(map, &at)? {
            out.push(p);
        }
    }
    Ok(out)
}

fn position(map: &Map<String, Value>, at: &str) -> Result<Option<Imported>, InputError> {
    let size = field_decimal(map, at, "positionAmt")?;
    if size == 0 {
        return Ok(None);
    }
    let symbol_at = child(at, "symbol");
    let symbol = json::string(map.get("symbol").unwrap_or(&Value::Null), &symbol_at)?;
    let margin_asset = match map.get("marginAsset") {
        Some(a) => json::string(a, &child(at, "marginAsset"))?.to_string(),
        None => match margin_asset_of(symbol) {
            Some(a) => a.to_string(),
            None => {
                return err(
                    &symbol_at,
                    format!(
                        "{} is not a USDⓈ-M symbol (they end in {})",
                        json::quote(symbol),
                        QUOTE_ASSETS.join(", ")
                    ),
                )
            }
        },
    };
    let positive = |key: &str| -> Result<i128, InputError> {
        let raw = field_decimal(map, at, key)?;
        if raw <= 0 {
            return err(&child(at, key), "must be > 0 for an open position");
        }
        Ok(raw)
    };
    let entry_price = Price::from_raw(positive("entryPrice")?);
    let mark = Price::from_raw(positive("markPrice")?);
    let liquidation = field_decimal(map, at, "liquidationPrice")?;
    if liquidation < 0 {
        return err(&child(at, "liquidationPrice"), "must be ≥ 0");
    }
    let isolated = match map.get("marginType") {
        Some(t) => match json::string(t, &child(at, "marginType"))?
            .to_ascii_lowercase()
            .as_str()
        {
            "isolated" => true,
            "cross" | "crossed" => false,
            other => {
                return err(
                    &child(at, "marginType"),
                    format!(
                        "must be \"cross\" or \"isolated\", found {}",
                        json::quote(other)
                    ),
                )
            }
        },
        // v3 has no marginType: an isolated position has an isolated wallet.
        None => {
            field_decimal(map, at, "isolatedWallet")? != 0
                || field_decimal(map, at, "isolatedMargin")? != 0
        }
    };
    let isolated_margin = if isolated {
        let raw = if map.contains_key("isolatedWallet") {
            field_decimal(map, at, "isolatedWallet")?
        } else {
            field_decimal(map, at, "isolatedMargin")?
                .checked_sub(field_decimal(map, at, "unRealizedProfit")?)
                .map_or_else(
                    || err(at, "isolatedMargin − unRealizedProfit overflows"),
                    Ok,
                )?
        };
        if raw < 0 {
            return err(&child(at, "isolatedWallet"), "must be ≥ 0");
        }
        Some(Quote::from_raw(raw))
    } else {
        None
    };
    let leverage = match map.get("leverage") {
        Some(l) => {
            let l_at = child(at, "leverage");
            Some(super::leverage(json::decimal(l, &l_at)?, &l_at)?)
        }
        None => None,
    };
    Ok(Some(Imported {
        out: PositionOut {
            market: symbol.to_string(),
            size: Base::from_raw(size),
            entry_price,
            isolated_margin,
            leverage,
            venue_liquidation_price: (liquidation > 0).then(|| Price::from_raw(liquidation)),
        },
        mark,
        margin_asset,
        at: at.to_string(),
    }))
}

/// The cross wallet of an account response: (asset, crossWalletBalance) for
/// each asset with a non-zero balance.
fn wallet(v: &Value) -> Result<Vec<(String, Quote)>, InputError> {
    let looks_wrong = || -> Result<Vec<(String, Quote)>, InputError> {
        match identify(v) {
            Some(kind) => looks_like(
                kind,
                "the USDⓈ-M futures account response (GET /fapi/v3/account)",
            ),
            None => err(
                "assets",
                "required (expected the USDⓈ-M futures account response, GET /fapi/v3/account)",
            ),
        }
    };
    let Some(map) = v.as_object() else {
        return looks_wrong();
    };
    if map.contains_key("balances") || !map.contains_key("assets") {
        return looks_wrong();
    }
    let mut out = Vec::new();
    for (i, a) in json::array(&map["assets"], "assets")?.iter().enumerate() {
        let at = index("assets", i);
        let entry = json::object(a, &at)?;
        let asset = json::string(
            entry.get("asset").unwrap_or(&Value::Null),
            &child(&at, "asset"),
        )?;
        let key = if entry.contains_key("crossWalletBalance") {
            "crossWalletBalance"
        } else {
            "walletBalance"
        };
        let amount = field_decimal(entry, &at, key)?;
        if amount == 0 {
            continue;
        }
        if amount < 0 {
            return err(
                &child(&at, key),
                "a negative cross wallet is not supported (the account is in deficit)",
            );
        }
        if !QUOTE_ASSETS.contains(&asset) {
            return err(
                &child(&at, "asset"),
                format!(
                    "{} collateral (multi-assets mode) is not supported: only {} are valued (at 1)",
                    json::quote(asset),
                    QUOTE_ASSETS.join(", ")
                ),
            );
        }
        out.push((asset.to_string(), Quote::from_raw(amount)));
    }
    Ok(out)
}

/// The brackets of a leverageBracket response (an array, or one object when
/// asked for one symbol): (symbol, tiers), tiers in bracket order.
fn brackets(v: &Value) -> Result<Vec<(String, Vec<TierDef>)>, InputError> {
    let items: Vec<(&Value, String)> = match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, x)| (x, index("", i)))
            .collect(),
        Value::Object(_) => vec![(v, String::new())],
        _ => return err("", "expected the GET /fapi/v1/leverageBracket response"),
    };
    let mut out = Vec::new();
    for (item, at) in items {
        let map = json::object(item, &at)?;
        if !map.contains_key("brackets") {
            return match identify(item) {
                Some(kind) => looks_like(kind, "GET /fapi/v1/leverageBracket"),
                None => err(&child(&at, "brackets"), "required"),
            };
        }
        let symbol = json::string(
            map.get("symbol").unwrap_or(&Value::Null),
            &child(&at, "symbol"),
        )?;
        let b_at = child(&at, "brackets");
        let mut tiers = Vec::new();
        for (j, t) in json::array(&map["brackets"], &b_at)?.iter().enumerate() {
            let t_at = index(&b_at, j);
            let t = json::object(t, &t_at)?;
            let cap = field_decimal(t, &t_at, "notionalCap")?;
            if cap <= 0 {
                return err(&child(&t_at, "notionalCap"), "must be > 0");
            }
            let rate = field_decimal(t, &t_at, "maintMarginRatio")?;
            let cum = field_decimal(t, &t_at, "cum")?;
            let lev_at = child(&t_at, "initialLeverage");
            tiers.push(TierDef {
                max_notional: Some(Quote::from_raw(cap)),
                maintenance_margin_rate: Ratio::from_raw(rate),
                maintenance_amount: Quote::from_raw(cum),
                max_leverage: super::leverage(
                    field_decimal(t, &t_at, "initialLeverage")?,
                    &lev_at,
                )?,
            });
        }
        if tiers.is_empty() {
            return err(&b_at, "needs at least one bracket");
        }
        out.push((symbol.to_string(), tiers));
    }
    Ok(out)
}
