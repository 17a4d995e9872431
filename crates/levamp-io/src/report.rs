//! `levamp margin` results: per-account health and per-position margin and
//! liquidation price, and their JSON form (numbers as exact JSON numbers).

use crate::json::{number, InputError};
use crate::Snapshot;
use levamp_core::{Price, Quote};
use levamp_engine::{
    account_health, liquidation_price, position_margin, AccountHealth, MarginMode, Market,
    PositionMargin,
};
use serde_json::{json, Value};

/// One position's results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PositionReport {
    pub market: String,
    pub mode: MarginMode,
    pub margin: PositionMargin,
    /// See `levamp_engine::liquidation_price`.
    pub liquidation_price: Option<Price>,
}

/// One account's results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountReport {
    pub id: String,
    pub health: AccountHealth,
    pub positions: Vec<PositionReport>,
}

/// Evaluates account `i` of the snapshot.
pub fn evaluate(snapshot: &Snapshot, i: usize) -> Result<AccountReport, InputError> {
    let account = &snapshot.accounts[i];
    let ctx = snapshot.context();
    let fail = |e| InputError {
        at: format!("accounts[{i}]"),
        message: format!("{e} while evaluating the account; are the amounts realistic?"),
    };
    let health = account_health(account, &ctx).map_err(fail)?;
    let mut positions = Vec::with_capacity(account.positions.len());
    for (j, pos) in account.positions.iter().enumerate() {
        let market = &snapshot.markets[pos.market as usize];
        let margin =
            position_margin(pos, market, snapshot.prices[market.price as usize]).map_err(fail)?;
        within_tiers(
            market,
            margin.notional,
            &format!("accounts[{i}].positions[{j}]"),
        )?;
        let liquidation_price = liquidation_price(account, j, &ctx).map_err(fail)?;
        positions.push(PositionReport {
            market: market.name.clone(),
            mode: pos.mode,
            margin,
            liquidation_price,
        });
    }
    Ok(AccountReport {
        id: account.id.clone(),
        health,
        positions,
    })
}

/// A snapshot's tier table that ends with a finite `max_notional` has no
/// bracket beyond it: a position whose notional reaches that cap is an
/// error rather than margined at the last bracket's rates (which the engine
/// would do: `Market::tier` extends the last tier). End the table with an
/// open-ended tier (`"max_notional": null`) to extend it on purpose.
fn within_tiers(market: &Market, notional: Quote, at: &str) -> Result<(), InputError> {
    match market.tiers.last().and_then(|t| t.max_notional) {
        Some(cap) if notional >= cap => crate::json::err(
            at,
            format!(
                "notional {notional} is beyond the last tier of market {} (max_notional {cap}); \
                 end its tiers with an open-ended one (\"max_notional\": null) to extend the last bracket",
                crate::json::quote(&market.name)
            ),
        ),
        _ => Ok(()),
    }
}

fn opt<T: ToString>(v: Option<T>) -> Value {
    v.map_or(Value::Null, |x| number(x.to_string()))
}

fn num<T: ToString>(v: T) -> Value {
    number(v.to_string())
}

impl AccountReport {
    /// The `levamp margin --format json` object of this account.
    pub fn to_json(&self) -> Value {
        let h = &self.health;
        let positions: Vec<Value> = self
            .positions
            .iter()
            .map(|p| {
                json!({
                    "market": p.market,
                    "margin_mode": match p.mode { MarginMode::Cross => "cross", MarginMode::Isolated => "isolated" },
                    "notional": num(p.margin.notional),
                    "unrealized_pnl": num(p.margin.unrealized_pnl),
                    "maintenance_margin": num(p.margin.maintenance_margin),
                    "initial_margin": num(p.margin.initial_margin),
                    "liquidation_price": opt(p.liquidation_price),
                })
            })
            .collect();
        json!({
            "id": self.id,
            "equity": num(h.equity),
            "maintenance_margin": num(h.maintenance_margin),
            "initial_margin": num(h.initial_margin),
            "margin_ratio": opt(h.margin_ratio),
            "health_factor": opt(h.health_factor),
            "free_collateral": num(h.free_collateral),
            "leverage": opt(h.leverage),
            "liquidatable": h.liquidatable,
            "notional": num(h.notional),
            "positions": positions,
        })
    }
}

/// `{"accounts": [...]}` for a list of reports.
pub fn report_json(reports: &[AccountReport]) -> Value {
    json!({ "accounts": reports.iter().map(AccountReport::to_json).collect::<Vec<_>>() })
}
