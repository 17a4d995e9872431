//! JSON views of a venue: the `state` and `conservation` objects of
//! `levamp run` / `levamp replay`, and event lines (JSON Lines).

use crate::json::{number, InputError};
use levamp_core::{Base, Ratio, Round};
use levamp_engine::account_health;
use levamp_engine::venue::{Event, Venue};
use serde_json::{json, Map, Value};

fn num<T: ToString>(v: T) -> Value {
    number(v.to_string())
}

fn by_asset(venue: &Venue, pick: impl Fn(usize) -> Base) -> Value {
    let mut m = Map::new();
    for (i, a) in venue.assets.iter().enumerate() {
        let v = pick(i);
        if !v.is_zero() {
            m.insert(a.name.clone(), num(v));
        }
    }
    Value::Object(m)
}

/// The `state` object.
pub fn state_json(venue: &Venue) -> Result<Value, InputError> {
    let fail = |e: levamp_core::MathError| InputError {
        at: "state".into(),
        message: e.to_string(),
    };
    let ctx = venue.context();
    let mut accounts = Vec::with_capacity(venue.accounts.len());
    for (i, acc) in venue.accounts.iter().enumerate() {
        let id = i as u32;
        let health = account_health(acc, &ctx).map_err(fail)?;
        let mut balances = Map::new();
        for h in &acc.collateral {
            balances.insert(venue.asset_name(h.asset), num(h.amount));
        }
        let mut supplied = Map::new();
        for h in &acc.supplied {
            supplied.insert(
                venue.asset_name(h.asset),
                num(venue.supplied(id, h.asset).map_err(fail)?),
            );
        }
        let mut debts = Map::new();
        for h in &acc.borrows {
            debts.insert(
                venue.asset_name(h.asset),
                num(venue.debt(id, h.asset).map_err(fail)?),
            );
        }
        let mut positions = Vec::new();
        for p in &acc.positions {
            let market = &venue.markets[p.market as usize];
            let mark = venue.prices[market.price as usize];
            let upnl = p
                .size
                .value_at(mark, Round::Floor)
                .and_then(|v| v.checked_sub(p.cost))
                .map_err(fail)?;
            positions.push(json!({
                "market": market.name,
                "size": num(p.size),
                "entry_price": if p.size.is_zero() { Value::Null } else { num(p.entry_price().map_err(fail)?) },
                "margin_mode": match p.mode { levamp_engine::MarginMode::Cross => "cross", levamp_engine::MarginMode::Isolated => "isolated" },
                "isolated_margin": num(p.isolated_margin),
                "unrealized_pnl": num(upnl),
            }));
        }
        accounts.push(json!({
            "id": acc.id,
            "balances": balances,
            "supplied": supplied,
            "debts": debts,
            "positions": positions,
            "health_factor": health.health_factor.map_or(Value::Null, num),
            "equity": num(health.equity),
            "maintenance_margin": num(health.maintenance_margin),
            "liquidatable": health.liquidatable,
        }));
    }
    let mut pools = Map::new();
    for (i, pool) in venue.pools.iter().enumerate() {
        let Some(pool) = pool else { continue };
        let index = venue.indices[i];
        let supplied = index
            .liquidity_index
            .scale_up(pool.scaled_supply, Round::Floor)
            .map_err(fail)?;
        let borrowed = index
            .borrow_index
            .scale_up(pool.scaled_debt, Round::Ceil)
            .map_err(fail)?;
        let total = pool.cash.checked_add(borrowed).map_err(fail)?;
        let utilization = if total.is_zero() {
            Ratio::ZERO
        } else {
            borrowed.ratio_to(total, Round::Floor).map_err(fail)?
        };
        pools.insert(
            venue.asset_name(i as u32),
            json!({
                "total_supplied": num(supplied),
                "total_borrowed": num(borrowed),
                "cash": num(pool.cash),
                "utilization": num(utilization),
                "borrow_rate": num(pool.borrow_rate),
                "supply_rate": num(pool.supply_rate),
                "liquidity_index": num(index.liquidity_index),
                "borrow_index": num(index.borrow_index),
                "treasury": num(index.liquidity_index.scale_up(pool.treasury_scaled, Round::Floor).map_err(fail)?),
                "deficit": num(pool.deficit),
            }),
        );
    }
    Ok(json!({
        "time": venue.now,
        "prices": venue.price_keys.iter().zip(&venue.prices).filter(|(_, p)| p.is_positive()).map(|(k, p)| (k.clone(), num(*p))).collect::<Map<_, _>>(),
        "accounts": accounts,
        "insurance_fund": by_asset(venue, |i| venue.funds[i].insurance_fund),
        "fees": by_asset(venue, |i| venue.funds[i].fees),
        "bad_debt": by_asset(venue, |i| venue.funds[i].bad_debt),
        "funding_residual": by_asset(venue, |i| venue.funds[i].funding_residual),
        "pools": pools,
    }))
}

/// The `conservation` object: `ok` and each asset's ledger.
pub fn conservation_json(venue: &Venue) -> Result<Value, InputError> {
    let c = venue.conservation().map_err(|e| InputError {
        at: "conservation".into(),
        message: e.to_string(),
    })?;
    let mut assets = Map::new();
    for a in &c.assets {
        assets.insert(
            venue.asset_name(a.asset),
            json!({
                "wallets": num(a.wallets),
                "cost_basis": num(a.cost_basis),
                "pool_cash": num(a.pool_cash),
                "insurance_fund": num(a.insurance_fund),
                "fees": num(a.fees),
                "funding_residual": num(a.funding_residual),
                "bad_debt": num(a.bad_debt),
                "net_deposits": num(a.net_deposits),
                "difference": num(a.difference),
            }),
        );
    }
    let oi: Vec<Value> = c
        .open_interest_mismatch
        .iter()
        .map(|(m, l, s)| json!({"market": venue.markets[*m as usize].name, "long": num(*l), "short": num(*s)}))
        .collect();
    Ok(json!({
        "ok": c.ok,
        "rule": "per asset: wallets − perp cost basis + pool cash + insurance fund + fees + funding residual − bad debt = deposits − withdrawals; long = short open interest per market",
        "assets": assets,
        "open_interest_mismatch": oi,
    }))
}

/// One event as a JSON object (amounts as exact decimal strings).
pub fn event_json(event: &Event) -> Value {
    serde_json::to_value(event).unwrap_or(Value::Null)
}

/// Parses an event log (JSON Lines); errors name the line.
pub fn parse_events(text: &str) -> Result<Vec<Event>, InputError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let e: Event = serde_json::from_str(line).map_err(|e| InputError {
            at: format!("line {} column {}", i + 1, e.column()),
            message: format!(
                "not an event: {}",
                e.to_string().split(" at line ").next().unwrap_or("")
            ),
        })?;
        out.push(e);
    }
    Ok(out)
}

/// The whole venue state as JSON (exact decimals as strings), to be read
/// back with [`load_state`].
pub fn save_state(venue: &Venue) -> String {
    serde_json::to_string(venue).unwrap_or_default()
}

/// Reads a state written by [`save_state`] and rebuilds its liquidation index.
pub fn load_state(text: &str) -> Result<Venue, InputError> {
    let mut venue: Venue = serde_json::from_str(text).map_err(|e| InputError {
        at: format!("line {} column {}", e.line(), e.column()),
        message: format!(
            "not a levamp state: {}",
            e.to_string().split(" at line ").next().unwrap_or("")
        ),
    })?;
    venue.rebuild_index();
    Ok(venue)
}
