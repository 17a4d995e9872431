//! The run's summary: returns and risk from the hourly equity (ratios, as
//! floats: statistics, not accounting) and the PnL split from the exact
//! ledger (quote units, fixed-point).
//!
//! * `total_return` = final equity ÷ capital − 1; `annualized_return` =
//!   (1 + total)^(8760 ÷ hours) − 1.
//! * `annualized_volatility` = standard deviation of hourly simple returns
//!   × √8760; `sharpe` = mean hourly return × 8760 ÷ that (risk-free 0).
//! * `max_drawdown` = max over hours of 1 − equity ÷ running peak.
//! * `funding_pnl` = Σ settlements (signed); `fees` = Σ trading fees, both
//!   legs; `basis_pnl` = final equity − capital − funding_pnl + fees: what
//!   the legs' prices made (for a carry, the spot–perp spread; for a
//!   directional position, its price PnL), liquidation losses included.
//! * `min_liquidation_distance` = min over hours of |mark − liquidation
//!   price| ÷ mark at the close (`null` without a liquidation price).

use crate::run::Outcome;
use crate::strategy::{Kind, Strategy};
use crate::time;
use levamp_core::{MathError, Quote};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Hours in a year (365 days).
pub const HOURS_PER_YEAR: f64 = 8760.0;

/// The summary of one run.
#[derive(Clone, Debug)]
pub struct Summary {
    pub total_return: f64,
    pub annualized_return: f64,
    pub annualized_volatility: f64,
    pub sharpe: Option<f64>,
    pub max_drawdown: f64,
    pub final_equity: Quote,
    pub funding_pnl: Quote,
    pub basis_pnl: Quote,
    pub fees: Quote,
    pub liquidations: usize,
    pub min_liquidation_distance: Option<f64>,
}

/// Computes the summary of `o`.
pub fn summary(o: &Outcome) -> Result<Summary, MathError> {
    let capital = o.capital.to_f64_lossy();
    let final_equity = o.hours.last().map_or(o.capital, |h| h.equity);
    let total_return = final_equity.to_f64_lossy() / capital - 1.0;
    let hours = o.hours.len().max(1) as f64;
    let annualized_return = (1.0 + total_return).max(0.0).powf(HOURS_PER_YEAR / hours) - 1.0;
    let mut prev = capital;
    let (mut sum, mut sum_sq, mut n) = (0.0, 0.0, 0.0);
    let (mut peak, mut max_drawdown) = (capital, 0.0f64);
    let mut min_distance: Option<f64> = None;
    for h in &o.hours {
        let e = h.equity.to_f64_lossy();
        if prev > 0.0 {
            let r = e / prev - 1.0;
            sum += r;
            sum_sq += r * r;
            n += 1.0;
        }
        prev = e;
        peak = peak.max(e);
        if peak > 0.0 {
            max_drawdown = max_drawdown.max(1.0 - e / peak);
        }
        if let Some(lp) = h.liquidation_price {
            let mark = h.mark.to_f64_lossy();
            let d = (mark - lp.to_f64_lossy()).abs() / mark;
            min_distance = Some(min_distance.map_or(d, |m: f64| m.min(d)));
        }
    }
    let mean = if n > 0.0 { sum / n } else { 0.0 };
    let var = if n > 1.0 {
        (sum_sq - n * mean * mean) / (n - 1.0)
    } else {
        0.0
    };
    let annualized_volatility = var.max(0.0).sqrt() * HOURS_PER_YEAR.sqrt();
    let sharpe =
        (annualized_volatility > 0.0).then(|| mean * HOURS_PER_YEAR / annualized_volatility);
    let basis_pnl = final_equity
        .checked_sub(o.capital)?
        .checked_sub(o.funding_pnl)?
        .checked_add(o.fees)?;
    Ok(Summary {
        total_return,
        annualized_return,
        annualized_volatility,
        sharpe,
        max_drawdown,
        final_equity,
        funding_pnl: o.funding_pnl,
        basis_pnl,
        fees: o.fees,
        liquidations: o.liquidations.len(),
        min_liquidation_distance: min_distance,
    })
}

/// An exact quote amount as a JSON number.
pub fn money(q: Quote) -> Value {
    levamp_io::json::number(q.to_string())
}

/// A ratio as a JSON number (`null` when not finite).
pub fn ratio(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// `metrics.json`.
pub fn metrics_json(s: &Strategy, o: &Outcome, m: &Summary) -> Value {
    json!({
        "name": s.name,
        "market": s.market,
        "kind": s.kind.name(),
        "start": time::format(s.start),
        "end": time::format(s.end),
        "hours": o.hours.len(),
        "settlements": o.settlements.len(),
        "capital": money(o.capital),
        "summary": {
            "total_return": ratio(m.total_return),
            "annualized_return": ratio(m.annualized_return),
            "annualized_volatility": ratio(m.annualized_volatility),
            "sharpe": m.sharpe.map_or(Value::Null, ratio),
            "max_drawdown": ratio(m.max_drawdown),
            "final_equity": money(m.final_equity),
            "funding_pnl": money(m.funding_pnl),
            "basis_pnl": money(m.basis_pnl),
            "fees": money(m.fees),
            "liquidations": m.liquidations,
            "min_liquidation_distance": m.min_liquidation_distance.map_or(Value::Null, ratio),
        },
        "sizing": {
            "model": s.sizing.model.name(),
            "rebalances": o.resizes.len(),
            "tier_clamps": o.clamps,
        },
        "actions": actions_json(s, o),
        "liquidation_events": o.liquidations.iter().map(|l| json!({
            "time": time::format(l.time),
            "mark": levamp_io::json::number(l.mark.to_string()),
            "size": levamp_io::json::number(l.size.to_string()),
            "price": levamp_io::json::number(l.price.to_string()),
            "penalty": money(l.penalty),
        })).collect::<Vec<_>>(),
        "data_gaps": o.gaps.iter().map(|g| json!({
            "file": g.file, "after": time::format(g.after), "missing": g.missing,
        })).collect::<Vec<_>>(),
    })
}

/// The agent's actions (hedger, carry flip): how often it acted by reason,
/// what it paid and whether it survived. `fees` are those of the agent's
/// fills after the opening; `slippage` is 0: every fill is at the hour's
/// open (perp or spot) with the taker fee, no impact model.
fn actions_json(s: &Strategy, o: &Outcome) -> Value {
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &o.actions {
        *by_reason.entry(a.reason).or_default() += 1;
    }
    let agent = |t: &&crate::run::Trade| !matches!(t.reason, "open" | "liquidation" | "rebalance");
    let fees = o.trades.iter().filter(agent).fold(Quote::ZERO, |a, t| {
        Quote::from_raw(a.raw().saturating_add(t.fee.raw()))
    });
    let paid = |sign: i128| {
        o.settlements
            .iter()
            .filter(|x| x.payment.raw().signum() == sign)
            .fold(Quote::ZERO, |a, x| {
                Quote::from_raw(a.raw().saturating_add(x.payment.raw()))
            })
    };
    let last = o.hours.last();
    json!({
        "agent": match (s.kind, s.flip_after_hours) {
            (Kind::Hedger, _) => "hedger",
            (_, Some(_)) => "carry_flip",
            _ => "none",
        },
        "count": o.actions.len(),
        "by_reason": by_reason,
        "fees": money(fees),
        "funding_paid": money(paid(-1)),
        "funding_received": money(paid(1)),
        "slippage": money(Quote::ZERO),
        "survived": o.liquidations.is_empty(),
        "final_spot": last.map_or(Value::Null, |h| levamp_io::json::number(h.spot_position.to_string())),
        "final_perp": last.map_or(Value::Null, |h| levamp_io::json::number(h.position.to_string())),
    })
}
