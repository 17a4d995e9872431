//! Margin and health of an account as pure functions of the account and a
//! price table. Formulas and sources: `docs/margin.md`.
//!
//! Rounding (house rule: in the venue's favour): unrealized PnL, collateral
//! values and health factor round down; notional, debt, maintenance and
//! initial margin, margin ratio and leverage round up.

use crate::model::{Account, MarginContext, MarginMode, Market, Position, PriceId, PriceView};
use crate::size_premium::size_premium_rate;
use levamp_core::{Base, MathError, Price, Quote, Ratio, Round, SCALE};

/// Margin figures of one position at one mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PositionMargin {
    /// `|size| × mark`, rounded up.
    pub notional: Quote,
    /// `size × mark − cost`, the product rounded down.
    pub unrealized_pnl: Quote,
    /// `notional × MMR(tier) − maintenance_amount(tier)`, rounded up.
    pub maintenance_margin: Quote,
    /// `notional ÷ min(leverage, tier max leverage)`, rounded up.
    pub initial_margin: Quote,
}

/// Which requirements to compute. The maintenance check (equity against
/// maintenance margin) is the hot path of liquidation scans and skips the
/// initial-margin division.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requirements {
    /// Maintenance margin only; `initial_margin` is left at zero.
    Maintenance,
    /// Maintenance and initial margin.
    All,
}

/// Margin figures of one position of `market` at `mark`.
#[inline]
pub fn position_margin(
    pos: &Position,
    market: &Market,
    mark: Price,
) -> Result<PositionMargin, MathError> {
    position_margin_for(pos, market, mark, Requirements::All, Ratio::ZERO)
}

/// [`position_margin`] without the initial margin (left zero): what a
/// liquidation check needs, one division fewer.
pub fn position_maintenance(
    pos: &Position,
    market: &Market,
    mark: Price,
) -> Result<PositionMargin, MathError> {
    position_margin_for(pos, market, mark, Requirements::Maintenance, Ratio::ZERO)
}

#[inline]
fn position_margin_for(
    pos: &Position,
    market: &Market,
    mark: Price,
    req: Requirements,
    size_premium: Ratio,
) -> Result<PositionMargin, MathError> {
    // `|size| × mark` once: up for the notional, down for a long's value,
    // up and negated for a short's (⌊−x⌋ = −⌈x⌉).
    let (down, notional) = value_down_up(pos.size.checked_abs()?, mark)?;
    let value = match pos.size.is_negative() {
        false => down,
        true => notional.checked_neg()?,
    };
    let unrealized_pnl = value.checked_sub(pos.cost)?;
    let tier = market.tier(notional);
    let maintenance_rate = match size_premium.is_zero() {
        true => tier.maintenance_margin_rate,
        false => size_premium_rate(pos.size, size_premium, tier.maintenance_margin_rate)?,
    };
    let maintenance_margin = notional
        .mul_ratio(maintenance_rate, Round::Ceil)?
        .checked_sub(tier.maintenance_amount)?;
    let initial_margin = match req {
        Requirements::Maintenance => Quote::ZERO,
        Requirements::All => {
            let leverage = match pos.leverage {
                Some(l) if l < tier.max_leverage => l,
                _ => tier.max_leverage,
            };
            match size_premium.is_zero() {
                true => div_up_by_leverage(notional, leverage)?,
                // Drift applies the premium to the initial ratio too: 1 ÷ leverage, up.
                false => {
                    let rate = Ratio::ONE.div_ratio(leverage, Round::Ceil)?;
                    let rate = size_premium_rate(pos.size, size_premium, rate)?;
                    notional.mul_ratio(rate, Round::Ceil)?
                }
            }
        }
    };
    Ok(PositionMargin {
        notional,
        unrealized_pnl,
        maintenance_margin,
        initial_margin,
    })
}

/// `size × mark` (`size ≥ 0`) rounded down and up, from one division: the
/// up value is the down one, plus one unless the product is exact (checked
/// by multiplying back). What `value_at` gives with `Round::Floor` and
/// `Round::Ceil`, errors included.
#[inline]
fn value_down_up(size: Base, mark: Price) -> Result<(Quote, Quote), MathError> {
    let down = size.value_at(mark, Round::Floor)?;
    let narrow = |x: i128| i64::try_from(x).map(i128::from);
    let exact = match (narrow(size.raw()), narrow(mark.raw()), narrow(down.raw())) {
        // 64 × 64 bits: neither product can overflow (the common case).
        (Ok(s), Ok(m), Ok(d)) => Some(s * m == d * SCALE),
        _ => size
            .raw()
            .checked_mul(mark.raw())
            .zip(down.raw().checked_mul(SCALE))
            .map(|(product, back)| product == back),
    };
    let up = match exact {
        Some(true) => down,
        // `down × SCALE` did not overflow: `down + 1` cannot.
        Some(false) => Quote::from_raw(down.raw() + 1),
        None => size.value_at(mark, Round::Ceil)?,
    };
    Ok((down, up))
}

/// `notional ÷ leverage` rounded up. A whole leverage (`125×`, the common
/// case) divides in 64 bits: `n × SCALE ÷ (k × SCALE)` is the same rational
/// as `n ÷ k`, so the same quotient and rounding as
/// [`Quote::div_ratio`], without its 128-bit division.
#[inline]
fn div_up_by_leverage(notional: Quote, leverage: Ratio) -> Result<Quote, MathError> {
    const WHOLE: i64 = SCALE as i64;
    if let (Ok(n), Ok(l)) = (i64::try_from(notional.raw()), i64::try_from(leverage.raw())) {
        if l > 0 && l % WHOLE == 0 {
            return Ok(Quote::from_raw(i128::from(div_up_i64(n, l / WHOLE))));
        }
    }
    notional.div_ratio(leverage, Round::Ceil)
}

/// `n ÷ k` rounded up, for `k > 0` (cannot overflow: `|q| ≤ |n|`).
#[inline]
pub(crate) fn div_up_i64(n: i64, k: i64) -> i64 {
    debug_assert!(k > 0);
    // Truncation is the ceiling for n ≤ 0; one more when n > 0 leaves a remainder.
    n / k + i64::from(n > 0 && n % k != 0)
}

/// Which pool of equity backs a position: the account's cross pool, or one
/// isolated position (index into `Account::positions`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Cross,
    Isolated(usize),
}

impl Scope {
    /// The scope a position belongs to.
    pub fn of(account: &Account, position: usize) -> Scope {
        match account.positions[position].mode {
            MarginMode::Cross => Scope::Cross,
            MarginMode::Isolated => Scope::Isolated(position),
        }
    }
}

/// Equity and requirements of one margin scope.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScopeMargin {
    /// Margin balance: collateral (after haircuts) − debt + unrealized PnL
    /// (cross), or isolated margin + unrealized PnL (isolated).
    pub equity: Quote,
    pub maintenance_margin: Quote,
    pub initial_margin: Quote,
    pub notional: Quote,
}

impl ScopeMargin {
    /// Liquidatable when there is a requirement and equity does not exceed it
    /// (Binance: margin ratio = MM ÷ margin balance reaches 100 %).
    #[inline]
    pub fn liquidatable(&self) -> bool {
        self.maintenance_margin.is_positive() && self.equity <= self.maintenance_margin
    }

    /// Field-wise sum.
    pub fn checked_add(&self, o: &ScopeMargin) -> Result<ScopeMargin, MathError> {
        Ok(ScopeMargin {
            equity: self.equity.checked_add(o.equity)?,
            maintenance_margin: self.maintenance_margin.checked_add(o.maintenance_margin)?,
            initial_margin: self.initial_margin.checked_add(o.initial_margin)?,
            notional: self.notional.checked_add(o.notional)?,
        })
    }

    /// Field-wise difference.
    pub fn checked_sub(&self, o: &ScopeMargin) -> Result<ScopeMargin, MathError> {
        Ok(ScopeMargin {
            equity: self.equity.checked_sub(o.equity)?,
            maintenance_margin: self.maintenance_margin.checked_sub(o.maintenance_margin)?,
            initial_margin: self.initial_margin.checked_sub(o.initial_margin)?,
            notional: self.notional.checked_sub(o.notional)?,
        })
    }

    fn add_position(&mut self, m: &PositionMargin) -> Result<(), MathError> {
        *self = self.checked_add(&ScopeMargin {
            equity: m.unrealized_pnl,
            maintenance_margin: m.maintenance_margin,
            initial_margin: m.initial_margin,
            notional: m.notional,
        })?;
        Ok(())
    }
}

/// Perp-margin value of a collateral holding: `amount × price`, then
/// `× (1 − haircut)`, each rounded down. A price of 1 (the quote asset) and
/// a zero haircut are exact identities, taken without the multiplications
/// (the commonest holding on the fill path).
#[inline]
fn collateral_value(amount: Base, price: Price, haircut: Ratio) -> Result<Quote, MathError> {
    let value = match price == Price::ONE {
        true => Quote::from_raw(amount.raw()),
        false => amount.value_at(price, Round::Floor)?,
    };
    match haircut.is_zero() {
        true => Ok(value),
        false => value.mul_ratio(Ratio::ONE.checked_sub(haircut)?, Round::Floor),
    }
}

/// Sums a scope's items. With `only = Some(id)`, only the items whose value
/// moves with price `id` are summed (isolated margin and other markets are
/// left out): the liquidation-price solver adds these to a fixed rest.
pub(crate) fn scope_margin(
    account: &Account,
    ctx: &MarginContext<'_>,
    scope: Scope,
    prices: PriceView<'_>,
    only: Option<PriceId>,
    req: Requirements,
) -> Result<ScopeMargin, MathError> {
    let mut s = ScopeMargin::default();
    let wanted = |id: PriceId| only.is_none_or(|o| o == id);
    match scope {
        Scope::Isolated(i) => {
            let pos = &account.positions[i];
            let market = &ctx.markets[pos.market as usize];
            if only.is_none() {
                s.equity = pos.isolated_margin;
            }
            if wanted(market.price) {
                s.add_position(&position_margin_for(
                    pos,
                    market,
                    prices.get(market.price),
                    req,
                    ctx.size_premium,
                )?)?;
            }
        }
        Scope::Cross => {
            for item in ctx.collateral(account) {
                let (asset, amount) = item?;
                if wanted(asset.price) {
                    let weighted =
                        collateral_value(amount, prices.get(asset.price), asset.haircut)?;
                    s.equity = s.equity.checked_add(weighted)?;
                }
            }
            for item in ctx.debts(account) {
                let (asset, amount) = item?;
                if wanted(asset.price) {
                    let debt = amount.value_at(prices.get(asset.price), Round::Ceil)?;
                    s.equity = s.equity.checked_sub(debt)?;
                }
            }
            for pos in account
                .positions
                .iter()
                .filter(|p| p.mode == MarginMode::Cross)
            {
                let market = &ctx.markets[pos.market as usize];
                if wanted(market.price) {
                    s.add_position(&position_margin_for(
                        pos,
                        market,
                        prices.get(market.price),
                        req,
                        ctx.size_premium,
                    )?)?;
                }
            }
        }
    }
    Ok(s)
}

/// A cross scope that holds one position and quote-priced collateral worth
/// `collateral` (no supply, no debt): what [`scope_margin`] sums for it
/// with all requirements, in its order (the collateral, then the
/// position), without walking the account.
pub(crate) fn single_position_scope(
    collateral: Quote,
    pos: &Position,
    market: &Market,
    mark: Price,
    size_premium: Ratio,
) -> Result<ScopeMargin, MathError> {
    rest_and_position(
        collateral,
        pos,
        market,
        mark,
        Requirements::All,
        size_premium,
    )
}

/// A scope of one position and a `rest` that does not move with its price
/// (the isolated margin, or the cross collateral's value): what
/// [`scope_margin`] sums for it, in its order (the rest, then the
/// position), without walking the account.
pub(crate) fn rest_and_position(
    rest: Quote,
    pos: &Position,
    market: &Market,
    mark: Price,
    req: Requirements,
    size_premium: Ratio,
) -> Result<ScopeMargin, MathError> {
    let mut s = ScopeMargin {
        equity: rest,
        ..ScopeMargin::default()
    };
    s.add_position(&position_margin_for(pos, market, mark, req, size_premium)?)?;
    Ok(s)
}

/// [`collateral_value`] for the venue's fast paths.
pub(crate) fn holding_value(
    amount: Base,
    price: Price,
    haircut: Ratio,
) -> Result<Quote, MathError> {
    collateral_value(amount, price, haircut)
}

/// Equity and requirements of one scope of `account` at the context's prices.
pub fn scope_health(
    account: &Account,
    scope: Scope,
    ctx: &MarginContext<'_>,
) -> Result<ScopeMargin, MathError> {
    scope_at_context_prices(account, scope, ctx, Requirements::All)
}

/// [`scope_health`] without the initial margin (left at zero): what a
/// liquidation needs (equity against maintenance), one division fewer per
/// position on the liquidation path.
pub(crate) fn scope_maintenance(
    account: &Account,
    scope: Scope,
    ctx: &MarginContext<'_>,
) -> Result<ScopeMargin, MathError> {
    scope_at_context_prices(account, scope, ctx, Requirements::Maintenance)
}

/// One scope at the context's own prices (no price replaced).
fn scope_at_context_prices(
    account: &Account,
    scope: Scope,
    ctx: &MarginContext<'_>,
    requirements: Requirements,
) -> Result<ScopeMargin, MathError> {
    let view = PriceView {
        prices: ctx.prices,
        replaced: None,
    };
    scope_margin(account, ctx, scope, view, None, requirements)
}

/// Account-level health. Totals cover the cross pool and every isolated
/// position; `liquidatable` is true when any scope is, or the lending health
/// factor is below 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountHealth {
    /// Cross equity + Σ isolated (margin + uPnL).
    pub equity: Quote,
    pub maintenance_margin: Quote,
    pub initial_margin: Quote,
    /// Σ |size| × mark over all positions.
    pub notional: Quote,
    /// `maintenance_margin ÷ equity` (Binance "margin ratio"; ≥ 1 means
    /// liquidation); `None` when equity ≤ 0.
    pub margin_ratio: Option<Ratio>,
    /// Aave: `Σ collateral × price × liquidation_threshold ÷ Σ debt × price`;
    /// `None` without debt.
    pub health_factor: Option<Ratio>,
    /// Cross equity above the cross initial margin, floored at 0.
    pub free_collateral: Quote,
    /// `notional ÷ equity`; `None` when equity ≤ 0.
    pub leverage: Option<Ratio>,
    pub liquidatable: bool,
}

/// Aave health factor: `Σ collateral_value × LT ÷ Σ debt_value` (Aave v3
/// `GenericLogic.calculateUserAccountData`); `None` without debt. LT is the
/// account's e-mode category's for the category's assets
/// ([`crate::model::lending_weights`]).
pub fn health_factor(
    account: &Account,
    ctx: &MarginContext<'_>,
) -> Result<Option<Ratio>, MathError> {
    let mut debt = Quote::ZERO;
    for item in ctx.debts(account) {
        let (asset, amount) = item?;
        debt = debt.checked_add(amount.value_at(ctx.prices[asset.price as usize], Round::Ceil)?)?;
    }
    if !debt.is_positive() {
        return Ok(None);
    }
    let mut weighted = Quote::ZERO;
    for item in ctx.lending_collateral(account) {
        let (asset, amount) = item?;
        let value = amount.value_at(ctx.prices[asset.price as usize], Round::Floor)?;
        let threshold = ctx.weights(asset, account).liquidation_threshold;
        weighted = weighted.checked_add(value.mul_ratio(threshold, Round::Floor)?)?;
    }
    weighted.ratio_to(debt, Round::Floor).map(Some)
}

/// The cross scope, the sum over all scopes, and whether any scope is
/// liquidatable.
fn sum_scopes(
    account: &Account,
    ctx: &MarginContext<'_>,
    req: Requirements,
) -> Result<(ScopeMargin, ScopeMargin, bool), MathError> {
    let prices = PriceView {
        prices: ctx.prices,
        replaced: None,
    };
    let cross = scope_margin(account, ctx, Scope::Cross, prices, None, req)?;
    let mut total = cross;
    let mut liquidatable = cross.liquidatable();
    for (i, pos) in account.positions.iter().enumerate() {
        if pos.mode == MarginMode::Isolated {
            let iso = scope_margin(account, ctx, Scope::Isolated(i), prices, None, req)?;
            liquidatable |= iso.liquidatable();
            total = total.checked_add(&iso)?;
        }
    }
    Ok((cross, total, liquidatable))
}

/// The hot-path check a liquidation engine runs on every price update:
/// equity, maintenance margin, health factor and the liquidatable flag,
/// without the initial-margin and ratio divisions of [`account_health`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaintenanceCheck {
    pub equity: Quote,
    pub maintenance_margin: Quote,
    pub health_factor: Option<Ratio>,
    pub liquidatable: bool,
}

/// See [`MaintenanceCheck`]. Allocation-free; agrees with
/// [`account_health`] on every field they share.
pub fn maintenance_check(
    account: &Account,
    ctx: &MarginContext<'_>,
) -> Result<MaintenanceCheck, MathError> {
    let (_, total, liquidatable) = sum_scopes(account, ctx, Requirements::Maintenance)?;
    let health_factor = health_factor(account, ctx)?;
    Ok(MaintenanceCheck {
        equity: total.equity,
        maintenance_margin: total.maintenance_margin,
        health_factor,
        liquidatable: liquidatable || health_factor.is_some_and(|hf| hf < Ratio::ONE),
    })
}

/// Health of one account at the context's prices. Allocation-free.
pub fn account_health(
    account: &Account,
    ctx: &MarginContext<'_>,
) -> Result<AccountHealth, MathError> {
    let (cross, total, mut liquidatable) = sum_scopes(account, ctx, Requirements::All)?;
    let health_factor = health_factor(account, ctx)?;
    liquidatable |= health_factor.is_some_and(|hf| hf < Ratio::ONE);
    let positive_equity = total.equity.is_positive();
    let margin_ratio = match positive_equity {
        true => Some(
            total
                .maintenance_margin
                .ratio_to(total.equity, Round::Ceil)?,
        ),
        false => None,
    };
    let leverage = match positive_equity {
        true => Some(total.notional.ratio_to(total.equity, Round::Ceil)?),
        false => None,
    };
    let free_collateral = cross
        .equity
        .checked_sub(cross.initial_margin)?
        .max(Quote::ZERO);
    Ok(AccountHealth {
        equity: total.equity,
        maintenance_margin: total.maintenance_margin,
        initial_margin: total.initial_margin,
        notional: total.notional,
        margin_ratio,
        health_factor,
        free_collateral,
        leverage,
        liquidatable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sizes, prices and leverages around the exact, the inexact and the
    /// overflowing cases (raw units).
    const RAWS: [i128; 12] = [
        0,
        1,
        7,
        999_999_999_999,
        1_000_000_000_000,
        1_000_000_000_001,
        60_000_000_000_000_000,
        125_000_000_000_000,
        12_345_678_901_234_567,
        i64::MAX as i128,
        i64::MAX as i128 + 1,
        i128::MAX / 3,
    ];

    #[test]
    fn value_down_up_is_floor_and_ceil() {
        for size in RAWS {
            for mark in RAWS.iter().flat_map(|&m| [m, -m]) {
                let (size, mark) = (Base::from_raw(size), Price::from_raw(mark));
                let both = (
                    size.value_at(mark, Round::Floor),
                    size.value_at(mark, Round::Ceil),
                );
                let expected = match both {
                    (Ok(d), Ok(u)) => Ok((d, u)),
                    (Err(e), _) | (_, Err(e)) => Err(e),
                };
                assert_eq!(value_down_up(size, mark), expected, "{size:?} × {mark:?}");
            }
        }
    }

    #[test]
    fn div_up_by_leverage_is_div_ratio() {
        for n in RAWS.iter().flat_map(|&n| [n, -n]) {
            for l in RAWS
                .iter()
                .chain(&[3_000_000_000_000, 20_000_000_000_000, 2_500_000_000_000])
            {
                let (n, l) = (Quote::from_raw(n), Ratio::from_raw(*l));
                if l.is_zero() {
                    continue;
                }
                assert_eq!(
                    div_up_by_leverage(n, l),
                    n.div_ratio(l, Round::Ceil),
                    "{n:?} ÷ {l:?}"
                );
            }
        }
    }
}
