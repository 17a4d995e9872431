//! The `accounts` array of a snapshot.

use crate::catalog::Catalog;
use crate::json::{err, InputError};
use crate::scan::Node;
use crate::walk::{
    array, decimal, get, known_keys, non_negative, object, positive, string, At, Path,
};
use levamp_core::{Base, Price, Quote, Ratio, Round, SCALE};
use levamp_engine::{Account, Holding, MarginMode, Position};

const ACCOUNT_KEYS: &[&str] = &[
    "id",
    "margin_mode",
    "emode",
    "collateral",
    "borrows",
    "positions",
];
const POSITION_KEYS: &[&str] = &[
    "market",
    "size",
    "entry_price",
    "margin_mode",
    "isolated_margin",
    "leverage",
    "venue_liquidation_price",
];

fn margin_mode(v: &Node<'_>, at: &At<'_>) -> Result<MarginMode, InputError> {
    match string(v, at)? {
        "cross" => Ok(MarginMode::Cross),
        "isolated" => Ok(MarginMode::Isolated),
        other => err(
            &at.render(),
            format!(
                "must be \"cross\" or \"isolated\", found {}",
                crate::json::quote(other)
            ),
        ),
    }
}

/// Parses and validates one account at path `at`, resolving its markets
/// and assets in `venue`: the account, and each position's
/// `venue_liquidation_price` (the exchange's own figure, if given).
pub fn parse_account(
    v: &Node<'_>,
    at: &At<'_>,
    venue: &mut Catalog,
) -> Result<(Account, Vec<Option<Price>>), InputError> {
    let map = object(v, at)?;
    known_keys(map, at, ACCOUNT_KEYS)?;
    let id = string(get(map, "id").unwrap_or(&Node::Null), &at.child("id"))?.to_string();
    let default_mode = match get(map, "margin_mode") {
        Some(m) => margin_mode(m, &at.child("margin_mode"))?,
        None => MarginMode::Cross,
    };
    let mut holdings = |key: &str| -> Result<Vec<Holding>, InputError> {
        let mut out = Vec::new();
        if let Some(h) = get(map, key) {
            let h_at = at.child(key);
            for (asset, amount) in object(h, &h_at)? {
                let asset = asset.as_ref();
                let a_at = h_at.child(asset);
                let amount = non_negative(amount, &a_at)?;
                let asset = match venue.known_asset(asset) {
                    Some(id) => id,
                    None => venue.asset(asset, &a_at.render())?,
                };
                out.push(Holding {
                    asset,
                    amount: Base::from_raw(amount),
                });
            }
        }
        Ok(out)
    };
    let collateral = holdings("collateral")?;
    let borrows = holdings("borrows")?;
    let emode = match get(map, "emode") {
        None | Some(Node::Null) => None,
        Some(e) => {
            let e_at = at.child("emode");
            Some(venue.emode(string(e, &e_at)?, &e_at.render())?)
        }
    };
    if let Some(e) = emode {
        // Aave v3.0/3.1 `ValidationLogic.validateBorrow`: in e-mode, only the
        // category's assets can be borrowed (INCONSISTENT_EMODE_CATEGORY).
        for h in &borrows {
            let asset = &venue.assets[h.asset as usize];
            if asset.emode != Some(e) {
                return err(
                    &at.child("borrows").child(&asset.name).render(),
                    format!(
                        "the account is in e-mode {}, which does not include {} (in e-mode only the category's assets can be borrowed)",
                        crate::json::quote(&venue.emode_categories[e as usize].name),
                        crate::json::quote(&asset.name)
                    ),
                );
            }
        }
    }
    let mut positions = Vec::new();
    let mut venue_prices = Vec::new();
    if let Some(p) = get(map, "positions") {
        let p_at = at.child("positions");
        for (j, pos) in array(p, &p_at)?.iter().enumerate() {
            let pos_at = p_at.index(j);
            positions.push(parse_position(pos, &pos_at, default_mode, venue)?);
            venue_prices.push(venue_liquidation_price(pos, &pos_at)?);
        }
    }
    let account = Account {
        supplied: Vec::new(),
        id,
        collateral,
        borrows,
        positions,
        emode,
    };
    Ok((account, venue_prices))
}

/// A position's `venue_liquidation_price`: > 0, or `null`/absent for none.
fn venue_liquidation_price(v: &Node<'_>, at: &At<'_>) -> Result<Option<Price>, InputError> {
    match object(v, at)?
        .iter()
        .find(|(k, _)| k == "venue_liquidation_price")
    {
        None | Some((_, Node::Null)) => Ok(None),
        Some((_, p)) => Ok(Some(Price::from_raw(positive(
            p,
            &at.child("venue_liquidation_price"),
        )?))),
    }
}

fn parse_position(
    v: &Node<'_>,
    at: &At<'_>,
    default_mode: MarginMode,
    venue: &mut Catalog,
) -> Result<Position, InputError> {
    let map = object(v, at)?;
    known_keys(map, at, POSITION_KEYS)?;
    let market_at = at.child("market");
    let name = string(get(map, "market").unwrap_or(&Node::Null), &market_at)?;
    let market = match venue.known_market(name) {
        Some(id) => id,
        None => venue.market(name, &market_at.render())?,
    };
    let size_at = at.child("size");
    let size = decimal(get(map, "size").unwrap_or(&Node::Null), &size_at)?;
    if size == 0 {
        return err(&size_at.render(), "must not be 0 (> 0 long, < 0 short)");
    }
    let entry_price = positive(
        get(map, "entry_price").unwrap_or(&Node::Null),
        &at.child("entry_price"),
    )?;
    let mode = match get(map, "margin_mode") {
        Some(m) => margin_mode(m, &at.child("margin_mode"))?,
        None => default_mode,
    };
    let leverage = match get(map, "leverage") {
        Some(l) => {
            let l_at = at.child("leverage");
            let raw = decimal(l, &l_at)?;
            if raw < SCALE {
                return err(&l_at.render(), "must be ≥ 1");
            }
            Some(Ratio::from_raw(raw))
        }
        None => None,
    };
    let (size, entry_price) = (Base::from_raw(size), Price::from_raw(entry_price));
    let isolated_margin = match (mode, get(map, "isolated_margin"), leverage) {
        (MarginMode::Cross, Some(_), _) => {
            return err(&at.child("isolated_margin").render(), "only an isolated position has isolated margin (set \"margin_mode\": \"isolated\" or remove it)")
        }
        (MarginMode::Cross, None, _) => Quote::ZERO,
        (MarginMode::Isolated, Some(m), _) => Quote::from_raw(non_negative(m, &at.child("isolated_margin"))?),
        // Binance: isolated margin = entry notional ÷ leverage, rounded up.
        (MarginMode::Isolated, None, Some(l)) => size
            .checked_abs()
            .and_then(|s| s.value_at(entry_price, Round::Ceil))
            .and_then(|n| n.div_ratio(l, Round::Ceil))
            .or_else(|e| err(&at.render(), format!("isolated margin from leverage: {e}")))?,
        (MarginMode::Isolated, None, None) => {
            return err(&at.child("isolated_margin").render(), "required for an isolated position (or give \"leverage\" to derive it)")
        }
    };
    Ok(Position {
        market,
        size,
        cost: size.value_at(entry_price, Round::Ceil).or_else(|e| {
            err(
                &at.child("entry_price").render(),
                format!("size × entry_price: {e}"),
            )
        })?,
        mode,
        isolated_margin,
        leverage,
    })
}
