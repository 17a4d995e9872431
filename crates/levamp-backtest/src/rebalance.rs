//! A rebalance of a dynamically sized directional position: the model's
//! target leverage (from [`crate::sizing`]) capped by `max_leverage` and the
//! venue's tier maximum, turned into an exact size and filled through the
//! venue at the hour's perp open with the taker fee.
//!
//! * equity `E` = the venue account's equity at the oracle (the hour's mark
//!   open, after a settlement at that hour);
//! * target notional `N = L × E` (vol_target, kelly, then `max_leverage`);
//! * hard limits — the liquidation buffer's leverage and the venue tier's
//!   maximum `M` — hold *after* the fill's costs: the largest `N` with
//!   `E − c·|N − H| ≥ N ÷ M`, `H` the held notional at the mark and
//!   `c = fee_rate + |perp − mark| ÷ mark` (the fee and the fill's
//!   immediate PnL at the mark per unit traded); the tier limit one part in
//!   10⁶ lower still so the venue's exact check cannot fail on the float;
//!   a cut by the tier is counted (`clamps`);
//! * size = `N ÷ max(perp open, mark)` (the notional is at most `N` at
//!   either price), rounded toward the smaller size to a multiple of
//!   `sizing.step`;
//! * no fill when the position is held, |target − held| ≤ band × |held|,
//!   and the held position is within the hard limits (a position beyond
//!   them is cut back whatever the band).
//!
//! Isolated margin: when the position grows, the whole quote wallet moves
//! into the position's margin with the fill (so the margin is the equity,
//! as the models assume); a reduction leaves the margin in the position.

use crate::run::{math, own_fills, Book, Outcome};
use crate::sizing::{self, Estimator, Model};
use crate::strategy::Strategy;
use levamp_core::{Base, Price, Quote, Ratio};
use levamp_engine::venue::{Command, TradeOrder};
use levamp_engine::{account_health, liquidation_price, MarginMode};
use levamp_io::json::InputError;

/// One rebalance decision that traded.
#[derive(Clone, Debug)]
pub struct Resize {
    pub time: i64,
    /// The model's target leverage after the caps.
    pub leverage: f64,
    /// Whether the venue's tier maximum cut the target.
    pub clamped: bool,
    pub from: Base,
    pub to: Base,
    /// The oracle (mark open) when it traded.
    pub mark: Price,
    /// The position's exact liquidation price right after the fill.
    pub liquidation_price: Option<Price>,
    /// σ̂ of the hour (EWMA, hourly), when the model has one.
    pub hourly_vol: Option<f64>,
}

/// Relative safety kept below the tier maximum (floats → exact check).
const CLAMP_SAFETY: f64 = 1e-6;

/// Checks the target at the open of hour `t` and trades toward it.
pub(crate) fn rebalance(
    book: &mut Book,
    s: &Strategy,
    est: &Estimator,
    price: Price,
    mark: Price,
    t: i64,
    out: &mut Outcome,
) -> Result<(), InputError> {
    let m = math("sizing");
    let ctx = book.venue.context();
    let account = &book.venue.accounts()[book.account as usize];
    let equity = account_health(account, &ctx).map_err(&m)?.equity;
    if !equity.is_positive() {
        return Ok(());
    }
    let e = equity.to_f64_lossy();
    let p = price.to_f64_lossy();
    let side = if s.perp_size.is_positive() { 1.0 } else { -1.0 };
    let mark_f = mark.to_f64_lossy();
    // The fee and the fill's immediate PnL at the mark, per unit of notional.
    let c = s.fee_rate.to_f64_lossy() + (p - mark_f).abs() / mark_f;
    let market = &book.venue.markets()[book.market as usize];
    let tier_at = |notional: f64| market.tier(Quote::from_raw((notional * SCALE) as i128));
    let held = book.position();
    let held_notional = held.checked_abs().map_err(&m)?.to_f64_lossy() * mark_f;
    // The maintenance rate of the tier the target lands in (two passes).
    let mut mmr = tier_at(e).maintenance_margin_rate.to_f64_lossy();
    let Some(mut lev) = sizing::target_leverage(&s.sizing.model, est, side, mmr) else {
        return Ok(());
    };
    let mut notional = lev * e;
    // The largest notional the hard limits allow (the band never keeps more).
    let mut hard = f64::INFINITY;
    if matches!(s.sizing.model, Model::LiquidationBuffer { .. }) {
        mmr = tier_at(notional).maintenance_margin_rate.to_f64_lossy();
        lev = sizing::target_leverage(&s.sizing.model, est, side, mmr).unwrap_or(lev);
        // A hard limit: met after the fill's costs.
        notional = max_notional(e, held_notional, 1.0 / lev, c);
        hard = notional;
    }
    if let Some(cap) = s.sizing.max_leverage {
        notional = notional.min(cap * e);
    }
    let max = tier_at(notional).max_leverage.to_f64_lossy();
    let allowed = max_notional(e, held_notional, 1.0 / max, c) * (1.0 - CLAMP_SAFETY);
    hard = hard.min(allowed);
    let clamped = notional > allowed;
    if clamped {
        notional = allowed;
        out.clamps += 1;
    }
    lev = notional / e;
    let step = s.sizing.step;
    let steps = (notional / p.max(mark_f) / step.to_f64_lossy())
        .floor()
        .max(0.0);
    let magnitude =
        Base::from_raw(
            (steps as i128)
                .checked_mul(step.raw())
                .ok_or_else(|| InputError {
                    at: "sizing".into(),
                    message: format!("target size of {steps} steps overflows"),
                })?,
        );
    let target = match side > 0.0 {
        true => magnitude,
        false => magnitude.checked_neg().map_err(&m)?,
    };
    let delta = target.checked_sub(held).map_err(&m)?;
    let held_abs = held.checked_abs().map_err(&m)?.to_f64_lossy();
    let within_band = !held.is_zero()
        && delta.checked_abs().map_err(&m)?.to_f64_lossy() <= held_abs * s.sizing.band
        && held_abs * p.max(mark_f) <= hard;
    if delta.is_zero() || within_band {
        return Ok(());
    }
    let grows = target.checked_abs().map_err(&m)? > held.checked_abs().map_err(&m)?;
    let isolated_margin = match (s.margin_mode, grows) {
        (MarginMode::Isolated, true) => Some(crate::legs::wallet(book)),
        _ => None,
    };
    let order = TradeOrder {
        account: book.account,
        market: book.market,
        size: delta,
        price,
        fee_rate: s.fee_rate,
        counterparty: None,
        counterparty_fee_rate: Ratio::ZERO,
        margin_mode: Some(s.margin_mode),
        isolated_margin,
        leverage: None,
    };
    book.exec(&Command::Trade(order), "sizing")?;
    let reason = if held.is_zero() { "open" } else { "rebalance" };
    let fees = own_fills(book, out, t, reason);
    out.fees = out.fees.checked_add(fees).map_err(&m)?;
    let ctx = book.venue.context();
    let account = &book.venue.accounts()[book.account as usize];
    let index = account
        .positions
        .iter()
        .position(|q| q.market == book.market && !q.size.is_zero());
    let liquidation_price = match index {
        Some(i) => liquidation_price(account, i, &ctx).map_err(&m)?,
        None => None,
    };
    out.resizes.push(Resize {
        time: t,
        leverage: lev,
        clamped,
        from: held,
        to: target,
        mark,
        liquidation_price,
        hourly_vol: est.hourly_vol(),
    });
    Ok(())
}

const SCALE: f64 = levamp_core::SCALE as f64;

/// The largest notional `N` with `E − c·|N − H| ≥ g·N`: equity `e` after
/// a fill from notional `held` to `N` that costs `c` per unit traded still
/// covers a margin of `g` per unit held (`g` = 1 ÷ leverage).
fn max_notional(e: f64, held: f64, g: f64, c: f64) -> f64 {
    let up = (e + c * held) / (g + c);
    if up >= held {
        return up;
    }
    match g > c {
        true => ((e - c * held) / (g - c)).max(0.0),
        false => 0.0,
    }
}

/// Deposits the whole capital as the dynamic strategy's wallet (the first
/// rebalance opens the position).
pub(crate) fn deposit(book: &mut Book, s: &Strategy) -> Result<(), InputError> {
    let c = Command::Deposit {
        account: book.account,
        asset: book.venue.quote(),
        amount: Base::from_raw(s.capital.raw()),
    };
    book.exec(&c, "strategy.capital")
}
