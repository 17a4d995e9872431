//! One liquidation on the flat book: the engine's
//! `Venue::liquidate_scope_at` for a one-position scope liquidated by the
//! venue itself (the market as liquidator), and the simulator's tallies of
//! the events it would have recorded, in their order: the fill, the
//! penalty, the fund's cover, the bad debt.

use super::{Declined, FlatPath, FlatRound, Health, Live, Slot};
use crate::run::PathMetrics;
use levamp_core::{mul_div, Base, Price, Quote, Ratio, Round, SCALE};
use levamp_engine::venue::{fill_side, Event, Fill, MARKET_ACCOUNT};
use levamp_engine::{MarginMode, MarketId};

impl FlatPath<'_> {
    /// Liquidates slot `id` in state `live`, whose scope has `health` at
    /// `mark`; returns its state afterwards. Declines where the engine
    /// would auto-deleverage.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn liquidate(
        &mut self,
        id: u32,
        live: Live,
        health: Health,
        mark: Price,
        m: &mut PathMetrics,
        fund0: f64,
        round: &mut FlatRound,
    ) -> Result<Live, Declined> {
        let book = self.book;
        let cross = book.entries[id as usize].cross;
        let equity = health.equity;
        if book.adl {
            let insurance = Quote::from_raw(self.fund.max(Base::ZERO).raw());
            if equity.checked_neg()? > insurance {
                return Err(Declined);
            }
        }
        let fraction = self.close_fraction(equity, health.notional)?;
        let all = fraction == Ratio::ONE;
        // A whole close fills `|size|` at its value rounded down: the
        // health's `value`.
        let (close, value) = match all {
            true => (live.size.checked_neg()?, health.value),
            false => {
                let abs = live.size.checked_abs()?;
                let q = Base::from_raw(mul_div(abs.raw(), fraction.raw(), SCALE, Round::Ceil)?)
                    .min(abs);
                let close = match live.size.is_positive() {
                    true => q.checked_neg()?,
                    false => q,
                };
                (close, q.value_at(mark, Round::Floor)?)
            }
        };
        let v = match close.is_positive() {
            true => value,
            false => value.checked_neg()?,
        };
        let (cost_delta, realized) = match all && !live.size.is_zero() {
            // `fill_side` of a whole close: the whole basis removed.
            true => (
                live.cost.checked_neg()?,
                v.checked_add(live.cost)?.checked_neg()?,
            ),
            false => fill_side(live.size, live.cost, close, v, mark)?,
        };
        let mut after = Live {
            size: live.size.checked_add(close)?,
            cost: live.cost.checked_add(cost_delta)?,
            margin: live.margin.checked_add(realized)?,
        };
        if let Some(events) = self.log.as_mut() {
            events.push(fill_event(
                &book.slots[id as usize],
                close,
                (cost_delta, realized),
                (value, mark),
                book.market_id,
            ));
        }
        // The fill: a liquidated long sells to the market, a short buys.
        let value_f = value.to_f64_lossy();
        round.notional += value_f;
        match close.is_negative() {
            true => m.liquidated_long += value_f,
            false => m.liquidated_short += value_f,
        }
        round.sold = round.sold.checked_sub(close)?;
        if let Some(i) = book.segment {
            m.backstop.segments[i].liquidated_notional += value_f;
        }
        // The penalty, at most the equity left, to the insurance fund (none
        // at a zero fee rate: `value × 0` and `min(0, left⁺)` are 0).
        let penalty = match book.market.liquidation_fee_rate.is_zero() {
            true => Quote::ZERO,
            false => {
                let left = book.equity_after(cross, after, mark)?;
                value
                    .mul_ratio(book.market.liquidation_fee_rate, Round::Ceil)?
                    .min(left.max(Quote::ZERO))
            }
        };
        after.margin = after.margin.checked_sub(penalty)?;
        self.fund = self.fund.checked_add(Base::from_raw(penalty.raw()))?;
        self.fund_moved = self.fund_moved.checked_add(Base::from_raw(penalty.raw()))?;
        if let Some(events) = self.log.as_mut() {
            events.push(Event::Liquidated {
                account: book.entries[id as usize].account,
                market: book.market_id,
                size: close.checked_abs()?,
                price: mark,
                liquidator: MARKET_ACCOUNT,
                penalty,
                to_liquidator: Quote::ZERO,
                to_insurance: penalty,
            });
        }
        let state = &mut self.scratch.state[id as usize];
        if state.hit != self.scratch.path_gen {
            state.hit = self.scratch.path_gen;
            self.liquidated += 1;
        }
        if all {
            let left = book.equity_after(cross, after, mark)?;
            if left.is_negative() {
                let credit = self.cover(Base::from_raw(left.raw()).checked_neg()?, m, fund0)?;
                after.margin = after.margin.checked_add(Quote::from_raw(credit.raw()))?;
            }
        }
        Ok(after)
    }

    /// The share of the scope to close (`Venue::close_fraction`): all of
    /// it without a partial rule or with no equity left, else the smallest
    /// that restores `equity ≥ maintenance × (1 + buffer)` after the penalty
    /// (`notional`: the position's value rounded up).
    fn close_fraction(&self, equity: Quote, notional: Quote) -> Result<Ratio, Declined> {
        let Some(buffer) = self.book.partial_buffer else {
            return Ok(Ratio::ONE);
        };
        if !equity.is_positive() {
            return Ok(Ratio::ONE);
        }
        let fee = notional.mul_ratio(self.book.market.liquidation_fee_rate, Round::Ceil)?;
        let mm = self.book.maintenance(notional)?;
        let target = mm.mul_ratio(Ratio::ONE.checked_add(buffer)?, Round::Ceil)?;
        let (num, den) = (target.checked_sub(equity)?, target.checked_sub(fee)?);
        if !den.is_positive() || num >= den {
            return Ok(Ratio::ONE);
        }
        Ok(num.ratio_to(den, Round::Ceil)?.max(Ratio::TICK))
    }

    /// The pooled fund covers what it can of a `deficit`, the rest is bad
    /// debt (`Venue::cover`); returns what the scope was credited (all of
    /// it).
    fn cover(&mut self, deficit: Base, m: &mut PathMetrics, fund0: f64) -> Result<Base, Declined> {
        let book = self.book;
        let available = self.fund.max(Base::ZERO);
        let from_fund = deficit.min(available);
        if from_fund.is_positive() {
            let after = available.checked_sub(from_fund)?;
            self.fund = self.fund.checked_sub(from_fund)?;
            self.fund_moved = self.fund_moved.checked_sub(from_fund)?;
            let (a, after) = (from_fund.to_f64_lossy(), after.to_f64_lossy());
            m.insurance_fund_drawdown = m.insurance_fund_drawdown.max(fund0 - after);
            m.backstop.fund_draw(1.0 - book.weight, a, after);
        }
        let rest = deficit.checked_sub(from_fund)?;
        if rest.is_positive() {
            self.bad_debt = self.bad_debt.checked_add(rest)?;
            m.insurance_fund_depleted = true;
            m.backstop
                .bad_debt(book.segment, 1.0 - book.weight, rest.to_f64_lossy());
        }
        Ok(deficit)
    }
}

/// The engine's `TradeFilled` of a liquidation closing `close` of a slot's
/// position against the market (what the liquidation log reads: the
/// liquidated side's size, mode, leverage, realised PnL and fee, the value
/// and price); the market's side as the engine's fill would carry it is not
/// read and left without cost or PnL.
fn fill_event(
    slot: &Slot,
    close: Base,
    (cost_delta, realized_pnl): (Quote, Quote),
    (value, price): (Quote, Price),
    market: MarketId,
) -> Event {
    let side = Fill {
        account: slot.account,
        size: close,
        cost_delta,
        realized_pnl,
        fee: Quote::ZERO,
        mode: match slot.cross {
            true => MarginMode::Cross,
            false => MarginMode::Isolated,
        },
        leverage: slot.leverage,
    };
    let other = Fill {
        account: MARKET_ACCOUNT,
        size: Base::from_raw(-close.raw()),
        cost_delta: Quote::ZERO,
        realized_pnl: Quote::ZERO,
        fee: Quote::ZERO,
        mode: MarginMode::Cross,
        leverage: None,
    };
    Event::trade_filled(market, (price, value), side, other, true)
}
