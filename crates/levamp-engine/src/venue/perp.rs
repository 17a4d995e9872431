//! Perp commands: trades, withdrawals, isolated margin, leverage, oracle
//! updates, and the margin checks they need.
//!
//! Fills use exact cost-basis accounting: a fill of `size` at `price` moves
//! `value = |size| × price` (rounded down once) between buyer and seller;
//! the part that increases a position adds `±value` to its cost basis, the
//! part that reduces it removes a proportional share of the basis (rounded
//! up) and realises the difference. The sum over all accounts of
//! `wallet − cost basis` therefore never changes by a single unit.

use super::error::VenueError;
use super::event::{Event, Fill};
use super::state::{AccountId, Venue, MARKET_ACCOUNT};
use crate::margin::{div_up_i64, holding_value, scope_health, single_position_scope, Scope};
use crate::model::{AssetId, MarginMode, MarketId, Position};
use levamp_core::{mul_div, Base, MathError, Price, Quote, Ratio, Round};

/// A fill request: `account` trades `size` (+ buys) at `price` against
/// `counterparty` (default: the `market` account).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TradeOrder {
    pub account: AccountId,
    pub market: MarketId,
    pub size: Base,
    pub price: Price,
    /// Fee rate paid by `account` on the fill value (taker or maker).
    pub fee_rate: Ratio,
    pub counterparty: Option<AccountId>,
    pub counterparty_fee_rate: Ratio,
    /// Mode of a new position (default cross); must match an existing one.
    pub margin_mode: Option<MarginMode>,
    /// Quote to move into an isolated position's margin with this fill
    /// (default when opening isolated: fill value ÷ leverage).
    pub isolated_margin: Option<Quote>,
    pub leverage: Option<Ratio>,
}

/// Cost-basis change and realised PnL of one side: position `(size, cost)`
/// changes by `delta` for signed value `v` (+ paid).
pub fn fill_side(
    size: Base,
    cost: Quote,
    delta: Base,
    v: Quote,
    price: Price,
) -> Result<(Quote, Quote), VenueError> {
    let (s, d) = (size.raw(), delta.raw());
    if s == 0 || (s > 0) == (d > 0) {
        return Ok((v, Quote::ZERO));
    }
    if d.abs() <= s.abs() {
        // Reduce: remove |d|/|s| of the basis (up: realise less now), realise −(v + removed).
        // A whole close removes the whole basis (cost × |s| ÷ |s|, exact).
        let removed = match d.abs() == s.abs() {
            true => cost,
            false => share_up(cost, d.abs(), s.abs())?,
        };
        let realized = v.checked_add(removed)?.checked_neg()?;
        return Ok((removed.checked_neg()?, realized));
    }
    // Flip: close |s| (its value rounded down), open the rest with what remains of v.
    let close_value = size.checked_abs()?.value_at(price, Round::Floor)?;
    let v_close = if d > 0 {
        close_value
    } else {
        close_value.checked_neg()?
    };
    let v_open = v.checked_sub(v_close)?;
    let realized = v_close.checked_add(cost)?.checked_neg()?;
    Ok((cost.checked_neg()?.checked_add(v_open)?, realized))
}

/// `cost × part ÷ whole` rounded up (`0 < part < whole`): the basis a
/// reduction removes. When `whole` is a whole multiple `k` of `part` (a
/// half, a third… of the position), that is the same rational as
/// `cost ÷ k`, divided in 64 bits instead of 128.
fn share_up(cost: Quote, part: i128, whole: i128) -> Result<Quote, MathError> {
    let narrow = |x: i128| i64::try_from(x).ok();
    if let (Some(c), Some(p), Some(w)) = (narrow(cost.raw()), narrow(part), narrow(whole)) {
        if p > 0 && w % p == 0 {
            return Ok(Quote::from_raw(i128::from(div_up_i64(c, w / p))));
        }
    }
    Ok(Quote::from_raw(mul_div(
        cost.raw(),
        part,
        whole,
        Round::Ceil,
    )?))
}

impl Venue {
    /// A fill; `checked: false` (state import) skips the margin checks.
    pub(crate) fn trade(
        &mut self,
        o: &TradeOrder,
        checked: bool,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        self.check_account(o.account)?;
        self.check_market(o.market)?;
        let counterparty = o.counterparty.unwrap_or(MARKET_ACCOUNT);
        self.check_account(counterparty)?;
        if counterparty == o.account {
            return Err(VenueError::Invalid {
                field: "counterparty",
                reason: "an account cannot trade with itself".into(),
            });
        }
        if o.size.is_zero() {
            return Err(VenueError::Invalid {
                field: "size",
                reason: "must not be 0".into(),
            });
        }
        if !o.price.is_positive() {
            return Err(VenueError::Invalid {
                field: "price",
                reason: format!("must be > 0, got {}", o.price),
            });
        }
        for (field, r) in [
            ("fee_rate", o.fee_rate),
            ("counterparty_fee_rate", o.counterparty_fee_rate),
        ] {
            if r.is_negative() || r >= Ratio::ONE {
                return Err(VenueError::Invalid {
                    field,
                    reason: format!("must be in [0, 1), got {r}"),
                });
            }
        }
        if let Some(l) = o.leverage {
            if l < Ratio::ONE {
                return Err(VenueError::Invalid {
                    field: "leverage",
                    reason: format!("must be ≥ 1, got {l}"),
                });
            }
        }
        std::hint::black_box(self.warm(o.account) ^ self.warm(counterparty));
        let value = o.size.checked_abs()?.value_at(o.price, Round::Floor)?;
        let taker = self.side(
            o.account,
            o.market,
            o.size,
            value,
            o.price,
            o.fee_rate,
            o.margin_mode,
            o.leverage,
        )?;
        let maker = self.side(
            counterparty,
            o.market,
            o.size.checked_neg()?,
            value,
            o.price,
            o.counterparty_fee_rate,
            None,
            None,
        )?;
        let early = match checked {
            true => self.precheck_fill(o, &taker, &maker),
            false => Ok([false; 2]),
        };
        // Debug builds also take the fill's own path, with every check, and
        // compare: the early checks must give its outcome.
        if cfg!(debug_assertions) {
            let full = self.apply_fill(
                o,
                counterparty,
                value,
                taker,
                maker,
                checked,
                [false; 2],
                ev,
            );
            match &early {
                Err(e) => debug_assert_eq!(full.as_ref().err(), Some(e), "early check of {o:?}"),
                Ok(skip) if skip.contains(&true) => {
                    debug_assert_eq!(&full, &Ok(()), "early check of {o:?}")
                }
                Ok(_) => {}
            }
            return full;
        }
        let skip = early?;
        self.apply_fill(o, counterparty, value, taker, maker, checked, skip, ev)
    }

    /// Applies a checked fill and makes the checks that follow it (those of
    /// the sides in `skip` were made before, see [`Venue::precheck_fill`]).
    #[allow(clippy::too_many_arguments)]
    fn apply_fill(
        &mut self,
        o: &TradeOrder,
        counterparty: AccountId,
        value: Quote,
        taker: Fill,
        maker: Fill,
        checked: bool,
        skip: [bool; 2],
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        self.fill(o.market, o.price, value, taker, maker, false, ev)?;
        if let Some(extra) = o.isolated_margin {
            if extra.is_negative() {
                return Err(VenueError::Invalid {
                    field: "isolated_margin",
                    reason: "must be ≥ 0".into(),
                });
            }
        }
        let (size, margin) = (o.size, o.isolated_margin);
        self.after_fill(o.account, o.market, size, margin, checked && !skip[0], ev)?;
        let (maker_size, maker_checked) = (size.checked_neg()?, checked && !skip[1]);
        self.after_fill(counterparty, o.market, maker_size, None, maker_checked, ev)
    }

    /// The margin checks of a fill between two cross positions, made before
    /// the fill is applied: a refused fill (the commonest refusal) then
    /// costs no events, no undo records and no rollback. Each side is checked
    /// on the state the fill would leave it in (set tentatively, see
    /// [`Venue::with_tentative`]) by the very checks `after_fill` makes, in
    /// its order (taker, then maker), so the outcome and the error are the
    /// ones the fill's own path gives. Only when applying the fill cannot
    /// fail (no overflow in its sums) and no other check comes between (a
    /// negative `isolated_margin`); otherwise nothing is checked here.
    /// Returns which sides were checked (their `after_fill` checks are
    /// skipped).
    fn precheck_fill(
        &mut self,
        o: &TradeOrder,
        taker: &Fill,
        maker: &Fill,
    ) -> Result<[bool; 2], VenueError> {
        let cross = taker.mode == MarginMode::Cross && maker.mode == MarginMode::Cross;
        if !cross || o.isolated_margin.is_some_and(|m| m.is_negative()) {
            return Ok([false; 2]);
        }
        // What applying the fill computes (`Venue::apply`, `TradeFilled`):
        // when any of it overflows, the fill's own path reports that.
        let after = |fill: &Fill| -> Option<(Position, Base, bool)> {
            let old = self.position(fill.account, o.market);
            let (size, cost) = old.map_or((Base::ZERO, Quote::ZERO), |p| (p.size, p.cost));
            let isolated_margin = old.map_or(Quote::ZERO, |p| p.isolated_margin);
            let position = Position {
                market: o.market,
                size: size.checked_add(fill.size).ok()?,
                cost: cost.checked_add(fill.cost_delta).ok()?,
                mode: MarginMode::Cross,
                isolated_margin,
                leverage: fill.leverage,
            };
            let settled = fill.realized_pnl.checked_sub(fill.fee).ok()?;
            let wallet = self
                .wallet(fill.account, self.quote)
                .checked_add(Base::from_raw(settled.raw()))
                .ok()?;
            let grew = position.size.raw().unsigned_abs() > size.raw().unsigned_abs();
            Some((position, wallet, grew))
        };
        let (Some(t), Some(m)) = (after(taker), after(maker)) else {
            return Ok([false; 2]);
        };
        let fees = taker.fee.checked_add(maker.fee).ok();
        let fund = self.funds[self.quote as usize].fees;
        if fees
            .and_then(|f| fund.checked_add(Base::from_raw(f.raw())).ok())
            .is_none()
        {
            return Ok([false; 2]);
        }
        // In this order (taker, then maker), by reference: the sides and
        // their states are large to copy.
        for (fill, (position, wallet, grew)) in [(taker, &t), (maker, &m)] {
            if *grew && fill.account != MARKET_ACCOUNT {
                self.require_tentative(fill.account, position, *wallet)?;
            }
        }
        Ok([true; 2])
    }

    /// The checks of a side that grew ([`Venue::require_initial`], then
    /// [`Venue::require_wallets_non_negative`]) on the state the fill would
    /// leave it in: its cross `position` and quote `wallet`. An account that
    /// holds only this market's position (or none yet), only the quote as
    /// collateral and no supply or debt — the common trader — is valued
    /// directly, in the order `scope_margin` sums it (the same figures, the
    /// same errors); any other is set tentatively and checked in full.
    fn require_tentative(
        &mut self,
        account: AccountId,
        position: &Position,
        wallet: Base,
    ) -> Result<(), VenueError> {
        let acc = &self.accounts[account as usize];
        let quote = self.quote;
        let simple = matches!(&acc.positions[..], [] | [_] if acc.positions.iter().all(|p| p.market == position.market))
            && matches!(&acc.collateral[..], [h] if h.asset == quote)
            && acc.supplied.is_empty()
            && acc.borrows.is_empty();
        if !simple {
            let market = position.market;
            return self.with_tentative(account, position.clone(), wallet, |v| {
                v.require_initial(account, Some(market))?;
                v.require_wallets_non_negative(account)
            });
        }
        let asset = &self.assets[quote as usize];
        let market = &self.markets[position.market as usize];
        // A zero wallet leaves no holding: it adds nothing either way.
        let collateral = holding_value(wallet, self.prices[asset.price as usize], asset.haircut)?;
        let mark = self.prices[market.price as usize];
        let m = single_position_scope(collateral, position, market, mark, self.rules.imf_factor)?;
        if m.equity < m.initial_margin {
            return Err(VenueError::InsufficientMargin {
                account: acc.id.clone(),
                required: m.initial_margin,
                available: m.equity,
            });
        }
        if wallet.is_negative() {
            return Err(VenueError::InsufficientBalance {
                account: acc.id.clone(),
                asset: self.asset_name(quote),
                available: Base::ZERO,
                requested: wallet.checked_neg()?,
            });
        }
        Ok(())
    }

    /// Touches what a fill reads of `account` (its record, first position
    /// and holding, index slot) so that the two sides' cache misses overlap
    /// instead of following one another: at 100 k accounts a fill is bound
    /// by them. The value means nothing.
    fn warm(&self, account: AccountId) -> u64 {
        let acc = &self.accounts[account as usize];
        let size = acc.positions.first().map_or(0, |p| p.size.raw() as u64);
        let held = acc.collateral.first().map_or(0, |h| h.amount.raw() as u64);
        size ^ held ^ self.index.warm(account)
    }

    /// One side of a fill: the account's position change for `delta`.
    /// Inlined: its result is large to return.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) fn side(
        &self,
        account: AccountId,
        market: MarketId,
        delta: Base,
        value: Quote,
        price: Price,
        fee_rate: Ratio,
        mode: Option<MarginMode>,
        leverage: Option<Ratio>,
    ) -> Result<Fill, VenueError> {
        let existing = self.position(account, market);
        let mode = match (existing.filter(|p| !p.size.is_zero()), mode) {
            (Some(p), Some(m)) if p.mode != m => {
                return Err(VenueError::Invalid {
                    field: "margin_mode",
                    reason: format!(
                        "account {} already holds a {:?} position in this market",
                        self.account_name(account),
                        p.mode
                    )
                    .to_lowercase(),
                })
            }
            (Some(p), _) => p.mode,
            (None, m) => m.unwrap_or(MarginMode::Cross),
        };
        let (size, cost) = existing.map_or((Base::ZERO, Quote::ZERO), |p| (p.size, p.cost));
        let v = if delta.is_positive() {
            value
        } else {
            value.checked_neg()?
        };
        let (cost_delta, realized_pnl) = fill_side(size, cost, delta, v, price)?;
        let fee = value.mul_ratio(fee_rate, Round::Ceil)?;
        let leverage = leverage.or(existing.and_then(|p| p.leverage));
        Ok(Fill {
            account,
            size: delta,
            cost_delta,
            realized_pnl,
            fee,
            mode,
            leverage,
        })
    }

    /// Emits a fill with the buyer first.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn fill(
        &mut self,
        market: MarketId,
        price: Price,
        value: Quote,
        a: Fill,
        b: Fill,
        liquidation: bool,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        self.emit(
            ev,
            Event::trade_filled(market, (price, value), a, b, liquidation),
        )
    }

    /// After a voluntary fill: fund a new isolated position, release the
    /// margin of a closed one, and check the initial margin of a position
    /// that grew (reductions are always allowed).
    fn after_fill(
        &mut self,
        account: AccountId,
        market: MarketId,
        delta: Base,
        margin: Option<Quote>,
        checked: bool,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        let Some(p) = self.position(account, market).cloned() else {
            return Ok(());
        };
        let before = p.size.checked_sub(delta)?;
        let grew = p.size.checked_abs()? > before.checked_abs()?;
        if p.mode == MarginMode::Isolated {
            if p.size.is_zero() {
                return self.emit(
                    ev,
                    Event::IsolatedMarginChanged {
                        account,
                        market,
                        amount: p.isolated_margin.checked_neg()?,
                    },
                );
            }
            if grew && account != MARKET_ACCOUNT {
                let amount = match margin {
                    Some(m) => m,
                    None => {
                        // Binance: isolated margin = position value ÷ leverage (opening part).
                        let grown = p
                            .size
                            .checked_abs()?
                            .checked_sub(before.checked_abs()?.min(p.size.checked_abs()?))?;
                        let price = self.prices[self.markets[market as usize].price as usize];
                        let notional = grown.value_at(price, Round::Ceil)?;
                        let lev = match p.leverage {
                            Some(l) => l,
                            None => self.markets[market as usize].tier(notional).max_leverage,
                        };
                        notional.div_ratio(lev, Round::Ceil)?
                    }
                };
                if amount.is_positive() {
                    self.emit(
                        ev,
                        Event::IsolatedMarginChanged {
                            account,
                            market,
                            amount,
                        },
                    )?;
                }
            }
        }
        if grew && account != MARKET_ACCOUNT && checked {
            self.require_initial(account, Some(market))?;
            self.require_wallets_non_negative(account)?;
        }
        Ok(())
    }

    /// Initial margin of the scope holding `market` (or the cross scope).
    pub(crate) fn require_initial(
        &self,
        account: AccountId,
        market: Option<MarketId>,
    ) -> Result<(), VenueError> {
        let acc = &self.accounts[account as usize];
        let scope = market
            .and_then(|m| acc.positions.iter().position(|p| p.market == m))
            .map_or(Scope::Cross, |i| Scope::of(acc, i));
        let m = scope_health(acc, scope, &self.context())?;
        if m.equity < m.initial_margin {
            return Err(VenueError::InsufficientMargin {
                account: acc.id.clone(),
                required: m.initial_margin,
                available: m.equity,
            });
        }
        Ok(())
    }

    /// No wallet may go below zero by a voluntary action.
    fn require_wallets_non_negative(&self, account: AccountId) -> Result<(), VenueError> {
        let acc = &self.accounts[account as usize];
        if let Some(h) = acc.collateral.iter().find(|h| h.amount.is_negative()) {
            return Err(VenueError::InsufficientBalance {
                account: acc.id.clone(),
                asset: self.asset_name(h.asset),
                available: Base::ZERO,
                requested: h.amount.checked_neg()?,
            });
        }
        Ok(())
    }

    pub(crate) fn withdraw(
        &mut self,
        account: AccountId,
        asset: AssetId,
        amount: Base,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        self.check_account(account)?;
        self.check_asset(asset)?;
        super::positive(amount, "amount")?;
        self.require_balance(account, asset, amount)?;
        self.emit(
            ev,
            Event::Withdrawn {
                account,
                asset,
                amount,
            },
        )?;
        if account != MARKET_ACCOUNT {
            self.require_initial(account, None)?;
            self.require_ltv(account)?;
        }
        Ok(())
    }

    pub(crate) fn isolated_margin(
        &mut self,
        account: AccountId,
        market: MarketId,
        amount: Quote,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        self.check_account(account)?;
        self.check_market(market)?;
        match self.position(account, market) {
            Some(p) if p.mode == MarginMode::Isolated && !p.size.is_zero() => {}
            _ => {
                return Err(VenueError::Invalid {
                    field: "market",
                    reason: "no isolated position in this market".into(),
                })
            }
        }
        if amount.is_zero() {
            return Err(VenueError::Invalid {
                field: "amount",
                reason: "must not be 0".into(),
            });
        }
        self.emit(
            ev,
            Event::IsolatedMarginChanged {
                account,
                market,
                amount,
            },
        )?;
        self.require_wallets_non_negative(account)?;
        if amount.is_negative() {
            self.require_initial(account, Some(market))?;
        }
        Ok(())
    }

    pub(crate) fn set_leverage(
        &mut self,
        account: AccountId,
        market: MarketId,
        leverage: Ratio,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        self.check_account(account)?;
        self.check_market(market)?;
        if leverage < Ratio::ONE {
            return Err(VenueError::Invalid {
                field: "leverage",
                reason: format!("must be ≥ 1, got {leverage}"),
            });
        }
        if self.position(account, market).is_none() {
            return Err(VenueError::Invalid {
                field: "market",
                reason: "no position in this market".into(),
            });
        }
        self.emit(
            ev,
            Event::LeverageChanged {
                account,
                market,
                leverage,
            },
        )?;
        self.require_initial(account, Some(market))
    }

    /// Aave LTV rule for a withdrawal or borrow: Σ collateral × LTV ≥ Σ debt.
    pub(crate) fn require_ltv(&self, account: AccountId) -> Result<(), VenueError> {
        let acc = &self.accounts[account as usize];
        if acc.borrows.is_empty() {
            return Ok(());
        }
        let ctx = self.context();
        let mut debt = Quote::ZERO;
        for item in ctx.debts(acc) {
            let (asset, amount) = item?;
            debt =
                debt.checked_add(amount.value_at(self.prices[asset.price as usize], Round::Ceil)?)?;
        }
        let mut capacity = Quote::ZERO;
        for item in ctx.lending_collateral(acc) {
            let (asset, amount) = item?;
            let value = amount.value_at(self.prices[asset.price as usize], Round::Floor)?;
            capacity = capacity
                .checked_add(value.mul_ratio(ctx.weights(asset, acc).ltv, Round::Floor)?)?;
        }
        if capacity < debt {
            return Err(VenueError::InsufficientCollateral {
                account: acc.id.clone(),
                capacity,
                debt,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_up_is_mul_div_up() {
        let costs = [
            0,
            1,
            -1,
            7,
            -7,
            60_000_000_000_000,
            -59_999_999_999_999,
            i64::MAX as i128,
            i64::MIN as i128,
            i64::MAX as i128 + 1,
        ];
        let sizes = [
            1,
            2,
            3,
            1_000_000_000,
            3_000_000_000,
            7_000_000_000,
            i64::MAX as i128,
            i64::MAX as i128 + 1,
        ];
        for cost in costs {
            for part in sizes {
                // Whole multiples of the part (the 64-bit path) and not.
                for whole in sizes.into_iter().chain(sizes.iter().map(|w| w * 6)) {
                    if part >= whole {
                        continue;
                    }
                    assert_eq!(
                        share_up(Quote::from_raw(cost), part, whole),
                        mul_div(cost, part, whole, Round::Ceil).map(Quote::from_raw),
                        "{cost} × {part} ÷ {whole}"
                    );
                }
            }
        }
    }
}
