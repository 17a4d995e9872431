//! `levamp margin` results: per-account health and per-position margin and
//! liquidation price, and their JSON form (numbers as exact JSON numbers),
//! written straight into a byte buffer.

use crate::json::InputError;
use crate::Snapshot;
use levamp_core::{Price, Quote};
use levamp_engine::{
    account_health, liquidation_price, position_margin, Account, AccountHealth, MarginContext,
    MarginMode, Market, PositionMargin,
};
use std::fmt::Display;
use std::io::Write;

/// One position's results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PositionReport {
    pub market: String,
    pub mode: MarginMode,
    pub margin: PositionMargin,
    /// See `levamp_engine::liquidation_price`.
    pub liquidation_price: Option<Price>,
    /// The exchange's own liquidation price, when the snapshot carries it.
    pub venue_liquidation_price: Option<Price>,
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
    evaluate_account(
        &snapshot.accounts[i],
        &snapshot.context(),
        i,
        &snapshot.venue_liquidation_prices[i],
    )
}

/// Evaluates `account`, account `i` of its snapshot (for error paths);
/// `venue_prices` are its positions' `venue_liquidation_price` (may be empty).
pub fn evaluate_account(
    account: &Account,
    ctx: &MarginContext<'_>,
    i: usize,
    venue_prices: &[Option<Price>],
) -> Result<AccountReport, InputError> {
    let fail = |e| InputError {
        at: format!("accounts[{i}]"),
        message: format!("{e} while evaluating the account; are the amounts realistic?"),
    };
    let health = account_health(account, ctx).map_err(fail)?;
    let mut positions = Vec::with_capacity(account.positions.len());
    for (j, pos) in account.positions.iter().enumerate() {
        let market = &ctx.markets[pos.market as usize];
        let margin =
            position_margin(pos, market, ctx.prices[market.price as usize]).map_err(fail)?;
        within_tiers(
            market,
            margin.notional,
            &format!("accounts[{i}].positions[{j}]"),
        )?;
        let liquidation_price = liquidation_price(account, j, ctx).map_err(fail)?;
        positions.push(PositionReport {
            market: market.name.clone(),
            mode: pos.mode,
            margin,
            liquidation_price,
            venue_liquidation_price: venue_prices.get(j).copied().flatten(),
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

/// Writes a JSON string (escaped as `serde_json` does).
fn string(out: &mut Vec<u8>, s: &str) {
    // Writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Writes `"key":` then a value's canonical decimal text (an exact JSON
/// number) or `null`.
fn field<T: Display>(out: &mut Vec<u8>, key: &str, v: Option<T>) {
    let _ = write!(out, "\"{key}\":");
    match v {
        Some(v) => {
            let _ = write!(out, "{v}");
        }
        None => out.extend_from_slice(b"null"),
    }
}

impl PositionReport {
    /// levamp's liquidation price minus the venue's, when both exist.
    pub fn difference(&self) -> Option<Price> {
        self.liquidation_price?
            .checked_sub(self.venue_liquidation_price?)
            .ok()
    }
}

impl AccountReport {
    /// Appends the `levamp margin --format json` object of this account to
    /// `out`: keys in the documented order, numbers as exact JSON numbers,
    /// no whitespace (what `serde_json` writes for the same object).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let h = &self.health;
        out.extend_from_slice(b"{\"id\":");
        string(out, &self.id);
        out.push(b',');
        field(out, "equity", Some(h.equity));
        out.push(b',');
        field(out, "maintenance_margin", Some(h.maintenance_margin));
        out.push(b',');
        field(out, "initial_margin", Some(h.initial_margin));
        out.push(b',');
        field(out, "margin_ratio", h.margin_ratio);
        out.push(b',');
        field(out, "health_factor", h.health_factor);
        out.push(b',');
        field(out, "free_collateral", Some(h.free_collateral));
        out.push(b',');
        field(out, "leverage", h.leverage);
        out.push(b',');
        field(out, "liquidatable", Some(h.liquidatable));
        out.push(b',');
        field(out, "notional", Some(h.notional));
        out.extend_from_slice(b",\"positions\":[");
        for (j, p) in self.positions.iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            out.extend_from_slice(b"{\"market\":");
            string(out, &p.market);
            out.extend_from_slice(match p.mode {
                MarginMode::Cross => b",\"margin_mode\":\"cross\",",
                MarginMode::Isolated => b",\"margin_mode\":\"isolated\",",
            });
            field(out, "notional", Some(p.margin.notional));
            out.push(b',');
            field(out, "unrealized_pnl", Some(p.margin.unrealized_pnl));
            out.push(b',');
            field(out, "maintenance_margin", Some(p.margin.maintenance_margin));
            out.push(b',');
            field(out, "initial_margin", Some(p.margin.initial_margin));
            out.push(b',');
            field(out, "liquidation_price", p.liquidation_price);
            if let Some(venue) = p.venue_liquidation_price {
                out.push(b',');
                field(out, "venue_liquidation_price", Some(venue));
                out.push(b',');
                field(out, "liquidation_price_difference", p.difference());
            }
            out.push(b'}');
        }
        out.extend_from_slice(b"]}");
    }
}
