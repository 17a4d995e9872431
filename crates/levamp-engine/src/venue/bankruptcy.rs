//! The bad-debt chain of a bankrupt scope: the insurance fund covers what
//! it can; the rest is, per the venue's rules, auto-deleveraged against the
//! most profitable and leveraged opposite positions at the bankruptcy price,
//! socialised over positive balances, or recorded as bad debt. Split from
//! `liquidation.rs`, which closes the scope and calls [`Venue::cover`].

use super::error::VenueError;
use super::event::Event;
use super::rules::AfterInsurance;
use super::state::{AccountId, Venue, MARKET_ACCOUNT};
use crate::margin::{scope_health, Scope};
use crate::model::{AssetId, MarginMode, MarketId};
use levamp_core::{mul_div, Base, MathError, Quote, Ratio, Round};

/// ADL ranking of a position (BitMEX "Auto-Deleveraging"): with
/// `pnl% = unrealised PnL ÷ |cost|` and `leverage = notional ÷ equity`,
/// `pnl% × leverage` when in profit, `pnl% ÷ leverage` otherwise. Higher
/// ranks are deleveraged first.
pub fn adl_ranking(
    unrealized_pnl: Quote,
    cost: Quote,
    notional: Quote,
    equity: Quote,
) -> Result<Ratio, MathError> {
    if cost.is_zero() {
        return Ok(Ratio::ZERO);
    }
    let pnl_pct = unrealized_pnl.ratio_to(cost.checked_abs()?, Round::Floor)?;
    if !equity.is_positive() {
        // No equity: infinitely leveraged; rank by PnL alone, above or below everything.
        return Ok(if pnl_pct.is_positive() {
            Ratio::MAX
        } else {
            Ratio::from_raw(i128::MIN + 1)
        });
    }
    let leverage = notional.ratio_to(equity, Round::Floor)?;
    match pnl_pct.is_positive() {
        true => pnl_pct.mul_ratio(leverage, Round::Floor),
        false if leverage.is_zero() => Ok(pnl_pct),
        false => pnl_pct.div_ratio(leverage, Round::Floor),
    }
}

impl Venue {
    /// The bad-debt chain for a deficit of `amount` (quote units).
    pub(super) fn cover(
        &mut self,
        account: AccountId,
        market: Option<MarketId>,
        amount: Base,
        asset: AssetId,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        let fund = self.funds[asset as usize].insurance_fund.max(Base::ZERO);
        let from_fund = amount.min(fund);
        if from_fund.is_positive() {
            let fund_after = fund.checked_sub(from_fund)?;
            self.emit(
                ev,
                Event::InsuranceFundChanged {
                    asset,
                    account,
                    market,
                    amount: from_fund,
                    fund_after,
                },
            )?;
        }
        let rest = amount.checked_sub(from_fund)?;
        if !rest.is_positive() {
            return Ok(());
        }
        if self.rules.after_insurance == AfterInsurance::Socialize {
            let holders: Vec<(AccountId, Base)> = (1..self.accounts.len() as AccountId)
                .filter(|&a| a != account)
                .map(|a| (a, self.wallet(a, asset)))
                .filter(|(_, w)| w.is_positive())
                .collect();
            let total = holders
                .iter()
                .try_fold(Base::ZERO, |s, (_, w)| s.checked_add(*w))?;
            if total >= rest {
                let mut charges = Vec::with_capacity(holders.len());
                let mut charged = Base::ZERO;
                for (a, w) in holders {
                    let c =
                        Base::from_raw(mul_div(rest.raw(), w.raw(), total.raw(), Round::Floor)?);
                    if c.is_positive() {
                        charged = charged.checked_add(c)?;
                        charges.push((a, c));
                    }
                }
                self.emit(
                    ev,
                    Event::SocializedLoss {
                        asset,
                        account,
                        market,
                        amount: charged,
                        charges,
                    },
                )?;
                let residual = rest.checked_sub(charged)?;
                if residual.is_positive() {
                    self.emit(
                        ev,
                        Event::BadDebt {
                            account,
                            market,
                            asset,
                            amount: residual,
                        },
                    )?;
                }
                return Ok(());
            }
        }
        self.emit(
            ev,
            Event::BadDebt {
                account,
                market,
                asset,
                amount: rest,
            },
        )
    }

    /// Closes `account`'s position in `market` against ranked opposite
    /// positions at the bankruptcy value (the scope ends at zero equity).
    pub(super) fn auto_deleverage(
        &mut self,
        account: AccountId,
        market: MarketId,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        let pos = self
            .position(account, market)
            .cloned()
            .ok_or_else(|| VenueError::Replay("no position to deleverage".into()))?;
        let isolated = (pos.mode == MarginMode::Isolated).then_some(market);
        let mark = self.prices[self.markets[market as usize].price as usize];
        let upnl = pos
            .size
            .value_at(mark, Round::Floor)?
            .checked_sub(pos.cost)?;
        let rest =
            self.scope_equity_after(account, isolated)?
                .checked_sub(if isolated.is_some() {
                    Quote::ZERO
                } else {
                    upnl
                })?;
        // Bankruptcy value: closing at it realises exactly −rest.
        let long = pos.size.is_positive();
        let total_value = if long {
            pos.cost.checked_sub(rest)?
        } else {
            rest.checked_sub(pos.cost)?
        };
        let size = pos.size.checked_abs()?;
        let mut remaining = size;
        let mut assigned = Quote::ZERO;
        if total_value.is_positive() {
            for cp in self.adl_queue(market, !long)? {
                if remaining.is_zero() {
                    break;
                }
                // The queue is ranked once per command; sizes are read live.
                let cp_size = match self.position(cp, market) {
                    Some(p)
                        if cp != account && !p.size.is_zero() && p.size.is_positive() != long =>
                    {
                        p.size.checked_abs()?
                    }
                    _ => continue,
                };
                let q = remaining.min(cp_size);
                remaining = remaining.checked_sub(q)?;
                let value = match remaining.is_zero() {
                    true => total_value.checked_sub(assigned)?,
                    false => Quote::from_raw(mul_div(
                        total_value.raw(),
                        q.raw(),
                        size.raw(),
                        Round::Floor,
                    )?),
                };
                assigned = assigned.checked_add(value)?;
                let delta = if long { q.checked_neg()? } else { q };
                let price = value.per_unit(q, Round::Floor)?;
                let a = self.side(
                    account,
                    market,
                    delta,
                    value,
                    price,
                    Ratio::ZERO,
                    None,
                    None,
                )?;
                let b = self.side(
                    cp,
                    market,
                    delta.checked_neg()?,
                    value,
                    price,
                    Ratio::ZERO,
                    None,
                    None,
                )?;
                self.fill(market, price, value, a, b, true, ev)?;
                self.emit(
                    ev,
                    Event::Deleveraged {
                        market,
                        bankrupt: account,
                        counterparty: cp,
                        size: q,
                        price,
                    },
                )?;
            }
        }
        if remaining.is_positive() {
            // Not enough opposite interest: the rest closes at the mark.
            let delta = if long {
                remaining.checked_neg()?
            } else {
                remaining
            };
            let value = remaining.value_at(mark, Round::Floor)?;
            let a = self.side(account, market, delta, value, mark, Ratio::ZERO, None, None)?;
            let b = self.side(
                MARKET_ACCOUNT,
                market,
                delta.checked_neg()?,
                value,
                mark,
                Ratio::ZERO,
                Some(MarginMode::Cross),
                None,
            )?;
            self.fill(market, mark, value, a, b, true, ev)?;
        }
        Ok(())
    }

    /// Accounts holding `long` positions in `market`, best ADL rank first
    /// (ties: lower account id). Ranked once per command and cached (an
    /// oracle update may bankrupt many accounts; ranking a large venue per
    /// bankruptcy would cost O(n log n) each time).
    fn adl_queue(&mut self, market: MarketId, long: bool) -> Result<Vec<AccountId>, VenueError> {
        if let Some((m, l, queue)) = &self.index.adl {
            if *m == market && *l == long {
                return Ok(queue.clone());
            }
        }
        let mark = self.prices[self.markets[market as usize].price as usize];
        let ctx = self.context();
        let mut ranked = Vec::new();
        for (i, acc) in self.accounts.iter().enumerate().skip(1) {
            let Some(at) = acc.positions.iter().position(|p| p.market == market) else {
                continue;
            };
            let pos = &acc.positions[at];
            if pos.size.is_zero() || pos.size.is_positive() != long {
                continue;
            }
            let equity = scope_health(acc, Scope::of(acc, at), &ctx)?.equity;
            let notional = pos.size.checked_abs()?.value_at(mark, Round::Ceil)?;
            let upnl = pos
                .size
                .value_at(mark, Round::Floor)?
                .checked_sub(pos.cost)?;
            ranked.push((
                adl_ranking(upnl, pos.cost, notional, equity)?,
                i as AccountId,
            ));
        }
        ranked.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let queue: Vec<AccountId> = ranked.into_iter().map(|(_, id)| id).collect();
        self.index.adl = Some((market, long, queue.clone()));
        Ok(queue)
    }
}
