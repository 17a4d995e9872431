//! Margin and health of an account as pure functions of the account and a
//! price table. Formulas and sources: `docs/margin.md`.
//!
//! Rounding (house rule: in the venue's favour): unrealized PnL, collateral
//! values and health factor round down; notional, debt, maintenance and
//! initial margin, margin ratio and leverage round up.

use crate::model::{Account, MarginContext, MarginMode, Market, Position, PriceId, PriceView};
use crate::size_premium::size_premium_rate;
use levamp_core::{Base, MathError, Price, Quote, Ratio, Round};

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
    let notional = pos.size.checked_abs()?.value_at(mark, Round::Ceil)?;
    let unrealized_pnl = pos
        .size
        .value_at(mark, Round::Floor)?
        .checked_sub(pos.cost)?;
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
                true => notional.div_ratio(leverage, Round::Ceil)?,
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
