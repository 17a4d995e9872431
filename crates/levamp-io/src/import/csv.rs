//! Positions kept in a spreadsheet: a CSV file, one row per position, with
//! a header row naming the columns (any order; `docs/import.md`):
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `account` | yes | account id (rows of one account are grouped) |
//! | `market` | yes | market name of the `--venue` preset (`BTCUSDT`) |
//! | `side` | no | `long` / `short`; then `size` is > 0 |
//! | `size` | yes | base units; signed (< 0 short) when there is no `side` |
//! | `entry_price` | yes | > 0 |
//! | `mark_price` | yes | > 0; the market's base price (one per base) |
//! | `margin_mode` | no | `cross` (default) / `isolated` |
//! | `leverage` | no | ≥ 1 |
//! | `isolated_margin` | no | isolated positions (or derived from `leverage`) |
//! | `collateral` | no | the account's cross wallet in the quote; give it on one row or the same on each |
//! | `venue_liquidation_price` | no | the venue's own figure, to compare |
//!
//! Fields are separated by commas and are not quoted; blank lines and
//! lines starting with `#` are skipped. Empty cells are absent values.
//! Errors name the line and column: `line 3, column size: …`.

use super::{num, Builder};
use crate::json::{self, InputError};
use crate::Preset;
use levamp_core::{parse_raw, Price};
use serde_json::{Map, Value};

const COLUMNS: &[&str] = &[
    "account",
    "market",
    "side",
    "size",
    "entry_price",
    "mark_price",
    "margin_mode",
    "leverage",
    "isolated_margin",
    "collateral",
    "venue_liquidation_price",
];
const REQUIRED: &[&str] = &["account", "market", "size", "entry_price", "mark_price"];

/// Imports CSV `text` over `venue` (whose markets it copies into the
/// snapshot) into snapshot JSON text.
pub fn import(text: &str, venue: &Preset) -> Result<String, InputError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some((header_line, header)) = lines.next() else {
        return json::err(
            "line 1",
            "empty: expected a header row (account,market,size,entry_price,mark_price,…)",
        );
    };
    let at_line = |n: usize| format!("line {n}");
    if header.contains('"') {
        return json::err(&at_line(header_line), "quoted fields are not supported");
    }
    let names: Vec<&str> = header.split(',').map(str::trim).collect();
    for (k, name) in names.iter().enumerate() {
        if !COLUMNS.contains(name) {
            let hint = json::did_you_mean(name, COLUMNS.iter().copied())
                .map(|s| format!(" (did you mean {}?)", json::quote(s)))
                .unwrap_or_else(|| format!(" (expected: {})", COLUMNS.join(", ")));
            return json::err(
                &at_line(header_line),
                format!("unknown column {}{hint}", json::quote(name)),
            );
        }
        if names[..k].contains(name) {
            return json::err(
                &at_line(header_line),
                format!("column {} given twice", json::quote(name)),
            );
        }
    }
    for r in REQUIRED {
        if !names.contains(r) {
            return json::err(
                &at_line(header_line),
                format!("missing column {}", json::quote(r)),
            );
        }
    }
    let mut b = Builder::new(&venue.quote);
    let mut accounts: Vec<(String, Option<String>, Vec<Value>)> = Vec::new();
    for (n, line) in lines {
        if line.contains('"') {
            return json::err(&at_line(n), "quoted fields are not supported");
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != names.len() {
            return json::err(
                &at_line(n),
                format!("{} fields, the header has {}", cells.len(), names.len()),
            );
        }
        let get = |c: &str| {
            names
                .iter()
                .position(|x| *x == c)
                .map(|k| cells[k])
                .filter(|v| !v.is_empty())
        };
        let at = |c: &str| format!("line {n}, column {c}");
        let required = |c: &str| get(c).map_or_else(|| json::err(&at(c), "required"), Ok);
        let decimal =
            |c: &str, v: &str| -> Result<i128, InputError> { json::decimal_text(v, &at(c)) };
        let positive = |c: &str| -> Result<i128, InputError> {
            let raw = decimal(c, required(c)?)?;
            if raw <= 0 {
                return json::err(&at(c), "must be > 0");
            }
            Ok(raw)
        };
        let id = required("account")?;
        let market = required("market")?;
        let mut size = decimal("size", required("size")?)?;
        match get("side") {
            None => {}
            Some(side) => {
                if size <= 0 {
                    return json::err(&at("size"), "must be > 0 when a side is given");
                }
                match side.to_ascii_lowercase().as_str() {
                    "long" | "buy" => {}
                    "short" | "sell" => size = -size,
                    other => {
                        return json::err(
                            &at("side"),
                            format!(
                                "must be \"long\" or \"short\", found {}",
                                json::quote(other)
                            ),
                        )
                    }
                }
            }
        }
        if size == 0 {
            return json::err(&at("size"), "must not be 0");
        }
        let entry = positive("entry_price")?;
        let mark = positive("mark_price")?;
        let Some((fields, _)) = venue.markets.get(market) else {
            return json::err(
                &at("market"),
                format!(
                    "unknown market {} in preset {} (pass --venue; it has: {})",
                    json::quote(market),
                    venue.name,
                    venue.markets.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            );
        };
        let base = fields
            .get("base")
            .and_then(Value::as_str)
            .unwrap_or(market)
            .to_string();
        if !b.has_market(market) {
            b.market_from_preset(market, venue);
        }
        b.price(&base, Price::from_raw(mark), &at("mark_price"))?;
        let mut p = Map::new();
        p.insert("market".into(), Value::String(market.to_string()));
        p.insert("size".into(), num(levamp_core::Base::from_raw(size)));
        p.insert("entry_price".into(), num(Price::from_raw(entry)));
        if let Some(mode) = get("margin_mode") {
            if mode != "cross" && mode != "isolated" {
                return json::err(
                    &at("margin_mode"),
                    format!(
                        "must be \"cross\" or \"isolated\", found {}",
                        json::quote(mode)
                    ),
                );
            }
            p.insert("margin_mode".into(), Value::String(mode.to_string()));
        }
        for c in ["leverage", "isolated_margin", "venue_liquidation_price"] {
            if let Some(v) = get(c) {
                p.insert(c.into(), num(Price::from_raw(decimal(c, v)?)));
            }
        }
        let collateral = get("collateral").map(str::to_string);
        if let Some(c) = &collateral {
            decimal("collateral", c)?;
        }
        match accounts.iter_mut().find(|(a, _, _)| a == id) {
            Some((_, wallet, positions)) => {
                match (wallet.as_ref(), collateral) {
                    (Some(w), Some(c)) if parse_raw(w).ok() != parse_raw(&c).ok() => {
                        return json::err(
                            &at("collateral"),
                            format!(
                                "{c} differs from {w} given earlier for account {}",
                                json::quote(id)
                            ),
                        )
                    }
                    (None, Some(c)) => *wallet = Some(c),
                    _ => {}
                }
                positions.push(Value::Object(p));
            }
            None => accounts.push((id.to_string(), collateral, vec![Value::Object(p)])),
        }
    }
    for (id, wallet, positions) in accounts {
        let mut a = Map::new();
        a.insert("id".into(), Value::String(id));
        let mut c = Map::new();
        if let Some(w) = wallet {
            c.insert(
                venue.quote.clone(),
                num(Price::from_raw(json::decimal_text(&w, "collateral")?)),
            );
        }
        a.insert("collateral".into(), Value::Object(c));
        a.insert("positions".into(), Value::Array(positions));
        b.account(Value::Object(a));
    }
    b.finish()
        .map_err(|e| match e.at.strip_prefix("imported snapshot: ") {
            // A value the snapshot reader refuses: say which account/position.
            Some(path) => InputError {
                at: path.to_string(),
                message: e.message,
            },
            None => e,
        })
}
