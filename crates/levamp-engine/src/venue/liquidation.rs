//! Perp liquidation (the bad-debt chain that follows a bankruptcy is in
//! `bankruptcy.rs`).
//!
//! A liquidatable scope (cross pool, or one isolated position) is closed at
//! the mark against the liquidator (an external account, or the `market`
//! backstop) — all of it, or with partial liquidation the smallest share
//! that restores `equity ≥ maintenance × (1 + buffer)`, or (Hyperliquid) a
//! fixed share of each position above a notional threshold; below the
//! venue's backstop line (Hyperliquid: ⅔ of maintenance) the whole scope
//! goes and its equity with it. The penalty
//! (`liquidation_fee_rate × closed notional`, at most the equity left) goes
//! to the liquidator (its share) and the insurance fund. A scope left with
//! negative equity is bankrupt: the insurance fund covers what it can; the
//! rest is, per the venue's rules, auto-deleveraged against the most
//! profitable and leveraged opposite positions at the bankruptcy price,
//! socialised over positive balances, or recorded as bad debt.

use super::error::VenueError;
use super::event::Event;
use super::rules::AfterInsurance;
use super::state::{AccountId, Venue, MARKET_ACCOUNT};
use crate::margin::{scope_maintenance, Scope, ScopeMargin};
use crate::model::{MarginMode, MarketId, PriceId};
use levamp_core::{mul_div, Base, Quote, Ratio, Round};

impl Venue {
    fn stale(&self, key: PriceId) -> bool {
        self.rules
            .oracle_max_age_s
            .is_some_and(|max| self.now - self.price_ts[key as usize] > max)
    }

    /// The scopes of an account: each isolated position by market, then the
    /// cross pool (`None`). Inline: no allocation on the liquidation path.
    fn scopes(&self, account: AccountId) -> Markets<Option<MarketId>> {
        let acc = &self.accounts[account as usize];
        let mut out = Markets::new();
        for p in &acc.positions {
            if p.mode == MarginMode::Isolated && !p.size.is_zero() {
                out.push(Some(p.market));
            }
        }
        if acc.positions.iter().any(|p| p.mode == MarginMode::Cross) {
            out.push(None);
        }
        out
    }

    fn scope_of(&self, account: AccountId, isolated: Option<MarketId>) -> Scope {
        let acc = &self.accounts[account as usize];
        isolated
            .and_then(|m| acc.positions.iter().position(|p| p.market == m))
            .map_or(Scope::Cross, |i| Scope::of(acc, i))
    }

    /// Markets of the positions in a scope (inline when few).
    fn scope_markets(&self, account: AccountId, isolated: Option<MarketId>) -> Markets<MarketId> {
        let acc = &self.accounts[account as usize];
        let mut out = Markets::new();
        match isolated {
            Some(m) => out.push(m),
            None => {
                for p in &acc.positions {
                    if p.mode == MarginMode::Cross && !p.size.is_zero() {
                        out.push(p.market);
                    }
                }
            }
        }
        out
    }

    /// A scope's equity and maintenance margin at the current prices (the
    /// initial margin is not computed: no liquidation decision uses it).
    fn health(
        &self,
        account: AccountId,
        isolated: Option<MarketId>,
    ) -> Result<ScopeMargin, VenueError> {
        let scope = self.scope_of(account, isolated);
        Ok(scope_maintenance(
            &self.accounts[account as usize],
            scope,
            &self.context(),
        )?)
    }

    fn scope_liquidatable(
        &self,
        account: AccountId,
        isolated: Option<MarketId>,
    ) -> Result<bool, VenueError> {
        Ok(self.health(account, isolated)?.liquidatable())
    }

    fn scope_fresh(
        &self,
        account: AccountId,
        isolated: Option<MarketId>,
    ) -> Result<(), VenueError> {
        for &m in self.scope_markets(account, isolated).iter() {
            let key = self.markets[m as usize].price;
            if self.stale(key) {
                return Err(VenueError::StalePrice {
                    key: self.price_keys[key as usize].clone(),
                    updated: self.price_ts[key as usize],
                    now: self.now,
                });
            }
        }
        Ok(())
    }

    /// After an oracle update (just applied): liquidate every scope it made
    /// liquidatable (by the venue's backstop), in account order.
    pub(crate) fn liquidate_at_risk(&mut self, ev: &mut Vec<Event>) -> Result<(), VenueError> {
        // The accounts the update's event put on the check list (its buffer
        // is lent out and handed back: no allocation per update).
        let crossed = std::mem::take(&mut self.index.last_crossed);
        let result = self.liquidate_crossed(&crossed, ev);
        self.index.last_crossed = crossed;
        result
    }

    /// After an update of `key` that changed a market's margin rate: checks
    /// every holder of a market it prices (a rate rise crosses no trigger the
    /// index saw). A scan of the accounts, only on such an update.
    pub(crate) fn liquidate_rate_changes(
        &mut self,
        key: PriceId,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        let holders: Vec<AccountId> = (1..self.accounts.len() as AccountId)
            .filter(|&a| {
                self.accounts[a as usize]
                    .positions
                    .iter()
                    .any(|p| self.markets[p.market as usize].price == key)
            })
            .collect();
        self.liquidate_crossed(&holders, ev)
    }

    fn liquidate_crossed(
        &mut self,
        crossed: &[AccountId],
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        for (i, &account) in crossed.iter().enumerate() {
            self.fetch_ahead(crossed, i);
            for &scope in self.scopes(account).iter() {
                let health = self.health(account, scope)?;
                if health.liquidatable() && self.scope_fresh(account, scope).is_ok() {
                    self.liquidate_scope_at(account, scope, MARKET_ACCOUNT, health, ev)?;
                }
            }
        }
        Ok(())
    }

    /// The scopes the oracle updates of `key` made liquidatable (found
    /// through the liquidation index, checked exactly), without liquidating
    /// them: what external liquidators see when the venue's own automatic
    /// liquidation is off. `None` is the cross scope, `Some(m)` an isolated
    /// position in market `m`.
    pub fn at_risk(
        &mut self,
        key: PriceId,
    ) -> Result<Vec<(AccountId, Option<MarketId>)>, VenueError> {
        let price = self.prices[key as usize];
        let mut out = Vec::new();
        for account in self.index.crossed(key, price) {
            for &scope in self.scopes(account).iter() {
                if self.scope_liquidatable(account, scope)? {
                    out.push((account, scope));
                }
            }
        }
        Ok(out)
    }

    /// Whether a scope (cross: `None`, isolated: `Some(market)`) is liquidatable now.
    pub fn is_liquidatable(
        &self,
        account: AccountId,
        isolated: Option<MarketId>,
    ) -> Result<bool, VenueError> {
        if self.scope_markets(account, isolated).is_empty() {
            return Ok(false);
        }
        self.scope_liquidatable(account, isolated)
    }

    pub(crate) fn liquidate_command(
        &mut self,
        liquidator: AccountId,
        account: AccountId,
        market: Option<MarketId>,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        self.check_account(liquidator)?;
        self.check_account(account)?;
        if liquidator == account || account == MARKET_ACCOUNT {
            return Err(VenueError::Invalid {
                field: "account",
                reason: "cannot be liquidated by itself, nor can the market account be liquidated"
                    .into(),
            });
        }
        let isolated = match market {
            Some(m) => {
                self.check_market(m)?;
                match self.position(account, m) {
                    Some(p) if p.mode == MarginMode::Isolated => Some(m),
                    Some(_) => None,
                    None => {
                        return Err(VenueError::Invalid {
                            field: "market",
                            reason: format!(
                                "account {} holds no position in this market",
                                self.account_name(account)
                            ),
                        })
                    }
                }
            }
            None => None,
        };
        if self.scope_markets(account, isolated).is_empty()
            || !self.scope_liquidatable(account, isolated)?
        {
            return Err(VenueError::NotLiquidatable {
                account: self.account_name(account),
            });
        }
        self.scope_fresh(account, isolated)?;
        self.liquidate_scope(account, isolated, liquidator, ev)?;
        if liquidator != MARKET_ACCOUNT {
            self.require_initial(liquidator, None)?;
        }
        Ok(())
    }

    /// Whether the scope's equity is below the venue's backstop line
    /// (Hyperliquid: ⅔ of the maintenance margin, rounded up — the venue's
    /// favour).
    fn below_backstop(&self, m: &ScopeMargin) -> Result<bool, VenueError> {
        let Some(share) = self.rules.liquidation.backstop_below else {
            return Ok(false);
        };
        Ok(m.equity < m.maintenance_margin.mul_ratio(share, Round::Ceil)?)
    }

    /// Share of each position to close for a partial liquidation (1 = all).
    fn close_fraction(
        &self,
        account: AccountId,
        isolated: Option<MarketId>,
        m: &ScopeMargin,
    ) -> Result<Ratio, VenueError> {
        let Some(buffer) = self.rules.liquidation.partial_buffer else {
            return Ok(Ratio::ONE);
        };
        if !m.equity.is_positive() {
            return Ok(Ratio::ONE);
        }
        let mut fee = Quote::ZERO;
        for &mk in self.scope_markets(account, isolated).iter() {
            let Some(p) = self.position(account, mk) else {
                continue;
            };
            let notional = p.size.checked_abs()?.value_at(
                self.prices[self.markets[mk as usize].price as usize],
                Round::Ceil,
            )?;
            fee = fee.checked_add(
                notional.mul_ratio(self.markets[mk as usize].liquidation_fee_rate, Round::Ceil)?,
            )?;
        }
        // E − fee·f ≥ (1 + b)·(1 − f)·MM  ⇒  f ≥ ((1 + b)·MM − E) ÷ ((1 + b)·MM − fee).
        let target = m
            .maintenance_margin
            .mul_ratio(Ratio::ONE.checked_add(buffer)?, Round::Ceil)?;
        let (num, den) = (target.checked_sub(m.equity)?, target.checked_sub(fee)?);
        if !den.is_positive() || num >= den {
            return Ok(Ratio::ONE);
        }
        Ok(num.ratio_to(den, Round::Ceil)?.max(Ratio::TICK))
    }

    /// Liquidates one scope against `liquidator`; see the module docs.
    pub(crate) fn liquidate_scope(
        &mut self,
        account: AccountId,
        isolated: Option<MarketId>,
        liquidator: AccountId,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        let health = self.health(account, isolated)?;
        self.liquidate_scope_at(account, isolated, liquidator, health, ev)
    }

    /// [`Venue::liquidate_scope`] given the scope's health at the current
    /// prices (computed once by the caller that checked it).
    fn liquidate_scope_at(
        &mut self,
        account: AccountId,
        isolated: Option<MarketId>,
        liquidator: AccountId,
        health: ScopeMargin,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        let markets = self.scope_markets(account, isolated);
        let scope_equity = health.equity;
        let quote = self.quote;
        let fund = self.fund_for(markets[0]);
        let insurance = Quote::from_raw(self.insurance_available(quote, fund).raw());
        let adl = self.rules.after_insurance == AfterInsurance::AutoDeleverage
            && scope_equity.checked_neg()? > insurance;
        let backstop = !adl && self.below_backstop(&health)?;
        let fraction = if adl || backstop {
            Ratio::ONE
        } else {
            self.close_fraction(account, isolated, &health)?
        };
        // A fixed step (Hyperliquid) only where the whole would otherwise go.
        let step = match (adl || backstop, fraction == Ratio::ONE) {
            (false, true) => self.rules.liquidation.step,
            _ => None,
        };
        let mut all_closed = fraction == Ratio::ONE;
        let mut penalty = Quote::ZERO;
        let mut closed = Base::ZERO;
        let first_price = self.prices[self.markets[markets[0] as usize].price as usize];
        for (i, &m) in markets.iter().enumerate() {
            let Some(pos) = self.position(account, m).cloned() else {
                continue;
            };
            let mark = self.prices[self.markets[m as usize].price as usize];
            let fraction = match step {
                Some(step)
                    if pos.size.checked_abs()?.value_at(mark, Round::Floor)?
                        > step.min_notional =>
                {
                    // Within (0, 1] whatever a (hostile) log's rules say.
                    let share = step.share.max(Ratio::TICK).min(Ratio::ONE);
                    all_closed &= share == Ratio::ONE;
                    share
                }
                _ => fraction,
            };
            let close = match fraction == Ratio::ONE {
                true => pos.size.checked_neg()?,
                false => {
                    let q = Base::from_raw(mul_div(
                        pos.size.raw().abs(),
                        fraction.raw(),
                        levamp_core::SCALE,
                        Round::Ceil,
                    )?)
                    .min(pos.size.checked_abs()?);
                    if pos.size.is_positive() {
                        q.checked_neg()?
                    } else {
                        q
                    }
                }
            };
            if i == 0 {
                closed = close.checked_abs()?;
            }
            if adl && i + 1 == markets.len() {
                self.auto_deleverage(account, m, ev)?;
                continue;
            }
            let value = close.checked_abs()?.value_at(mark, Round::Floor)?;
            let bankrupt_side =
                self.side(account, m, close, value, mark, Ratio::ZERO, None, None)?;
            let taker_side = self.side(
                liquidator,
                m,
                close.checked_neg()?,
                value,
                mark,
                Ratio::ZERO,
                Some(MarginMode::Cross),
                None,
            )?;
            self.fill(m, mark, value, bankrupt_side, taker_side, true, ev)?;
            penalty = penalty.checked_add(
                value.mul_ratio(self.markets[m as usize].liquidation_fee_rate, Round::Ceil)?,
            )?;
        }
        // The penalty never makes the scope bankrupt: at most the equity left.
        let left = self.scope_equity_after(account, isolated)?;
        let penalty = if adl {
            Quote::ZERO
        } else if backstop {
            // The backstop takes the scope with all its equity.
            left.max(Quote::ZERO)
        } else {
            penalty.min(left.max(Quote::ZERO))
        };
        let to_liquidator = match liquidator == MARKET_ACCOUNT {
            true => Quote::ZERO,
            false => penalty.mul_ratio(self.rules.liquidation.liquidator_share, Round::Floor)?,
        };
        let to_insurance = penalty.checked_sub(to_liquidator)?;
        if let (Some(m), true) = (isolated, penalty.is_positive()) {
            // An isolated position pays its penalty from its own margin.
            self.emit(
                ev,
                Event::IsolatedMarginChanged {
                    account,
                    market: m,
                    amount: penalty.checked_neg()?,
                },
            )?;
        }
        self.emit(
            ev,
            Event::Liquidated {
                account,
                market: markets[0],
                size: closed,
                price: first_price,
                liquidator,
                penalty,
                to_liquidator,
                to_insurance,
            },
        )?;
        if all_closed {
            let left = self.scope_equity_after(account, isolated)?;
            if left.is_negative() {
                self.cover(
                    account,
                    isolated,
                    fund,
                    Base::from_raw(left.raw()).checked_neg()?,
                    quote,
                    ev,
                )?;
            }
            if let Some(m) = isolated {
                if let Some(p) = self.position(account, m) {
                    let margin = p.isolated_margin;
                    if !margin.is_zero() {
                        self.emit(
                            ev,
                            Event::IsolatedMarginChanged {
                                account,
                                market: m,
                                amount: margin.checked_neg()?,
                            },
                        )?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Equity of a scope as it stands (isolated: the margin after the close).
    pub(super) fn scope_equity_after(
        &self,
        account: AccountId,
        isolated: Option<MarketId>,
    ) -> Result<Quote, VenueError> {
        match isolated {
            Some(m) => Ok(self
                .position(account, m)
                .map_or(Quote::ZERO, |p| p.isolated_margin)),
            None => Ok(scope_maintenance(
                &self.accounts[account as usize],
                Scope::Cross,
                &self.context(),
            )?
            .equity),
        }
    }
}

/// A short list kept inline (an account's scopes, a scope's markets): no
/// allocation for up to four items, a `Vec` beyond.
#[derive(Clone, Debug)]
enum Markets<T: Copy + Default> {
    Inline([T; 4], usize),
    Heap(Vec<T>),
}

impl<T: Copy + Default> Markets<T> {
    fn new() -> Self {
        Markets::Inline([T::default(); 4], 0)
    }

    fn push(&mut self, item: T) {
        match self {
            Markets::Inline(items, len) if *len < items.len() => {
                items[*len] = item;
                *len += 1;
            }
            Markets::Inline(items, len) => {
                let mut v = items[..*len].to_vec();
                v.push(item);
                *self = Markets::Heap(v);
            }
            Markets::Heap(v) => v.push(item),
        }
    }
}

impl<T: Copy + Default> std::ops::Deref for Markets<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            Markets::Inline(items, len) => &items[..*len],
            Markets::Heap(v) => v,
        }
    }
}
