//! The bad-debt chain of a bankrupt scope: the insurance fund covers what
//! it can; the rest is, per the venue's rules, auto-deleveraged at the
//! bankruptcy price against opposite positions (a queue of the most
//! profitable and leveraged, or pro rata over all those in profit),
//! socialised over positive balances, or recorded as bad debt. Split from
//! `liquidation.rs`, which closes the scope and calls [`Venue::cover`].

use super::error::VenueError;
use super::event::Event;
use super::rules::{AdlPolicy, AfterInsurance};
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

/// The haircut of an ADL: closing `size` at the bankruptcy value costs the
/// counterparties `total` against the mark.
#[derive(Clone, Copy)]
struct Gap {
    total: Quote,
    size: Base,
}

impl Venue {
    /// The bad-debt chain for a deficit of `amount` (quote units), drawing
    /// first on the insurance fund `fund` ([`Venue::fund_for`]).
    pub(super) fn cover(
        &mut self,
        account: AccountId,
        market: Option<MarketId>,
        fund_of: Option<MarketId>,
        amount: Base,
        asset: AssetId,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        let fund = self.insurance_available(asset, fund_of);
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
                    fund: fund_of,
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
        // Insurance fund first: the fund will cover up to all it holds of the
        // deficit `−(rest + uPnL)` (in `cover`, after the close), so the
        // counterparties close at the value that leaves the scope at −that.
        let rest = match self.rules.adl_insurance_first {
            false => rest,
            true => {
                let fund = self.insurance_available(self.quote, self.fund_for(market));
                let deficit = rest.checked_add(upnl)?.checked_neg()?.max(Quote::ZERO);
                rest.checked_add(deficit.min(Quote::from_raw(fund.raw())))?
            }
        };
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
            // What closing the whole size at the bankruptcy value costs the
            // counterparties against the mark; each bears its share of it.
            let gap = Gap {
                total: total_value
                    .checked_sub(size.value_at(mark, Round::Floor)?)?
                    .checked_abs()?,
                size,
            };
            let shares = match self.rules.adl {
                AdlPolicy::Queue => self.queue_shares(account, market, long, gap)?,
                AdlPolicy::ProRata => self.pro_rata_shares(account, market, long, gap)?,
            };
            for (cp, q) in shares {
                remaining = remaining.checked_sub(q)?;
                // Each share's value floors; the last takes the remainder, so
                // the bankrupt scope realises exactly its bankruptcy value.
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

    /// Whether `cp` can close `q` of its position in `market` at the
    /// bankruptcy value and keep its scope's equity ≥ 0: equity ≥
    /// `⌈gap × q ÷ size⌉` plus one raw unit per account (the shares' values
    /// floor and the last takes the remainder, a few raw units either way).
    fn can_bear(
        &self,
        cp: AccountId,
        market: MarketId,
        q: Base,
        gap: Gap,
    ) -> Result<bool, VenueError> {
        let acc = &self.accounts[cp as usize];
        let Some(at) = acc.positions.iter().position(|p| p.market == market) else {
            return Ok(false);
        };
        let equity = scope_health(acc, Scope::of(acc, at), &self.context())?.equity;
        let loss = Quote::from_raw(mul_div(
            gap.total.raw(),
            q.raw(),
            gap.size.raw(),
            Round::Ceil,
        )?)
        .checked_add(Quote::from_raw(self.accounts.len() as i128))?;
        Ok(equity >= loss)
    }

    /// Opposite (`!long` of the bankrupt: here `long` is the bankrupt's side)
    /// positions other than `account`'s that can bear closing in full
    /// ([`Venue::can_bear`]), as `(account, |size|)`, in id order.
    fn opposite_sizes(
        &self,
        account: AccountId,
        market: MarketId,
        long: bool,
        profitable_only: bool,
        gap: Gap,
    ) -> Result<Vec<(AccountId, Base)>, VenueError> {
        let mark = self.prices[self.markets[market as usize].price as usize];
        let mut out = Vec::new();
        for (i, acc) in self.accounts.iter().enumerate().skip(1) {
            let Some(p) = acc.positions.iter().find(|p| p.market == market) else {
                continue;
            };
            if i as AccountId == account || p.size.is_zero() || p.size.is_positive() == long {
                continue;
            }
            if !self.can_bear(i as AccountId, market, p.size.checked_abs()?, gap)? {
                continue;
            }
            if profitable_only
                && !p
                    .size
                    .value_at(mark, Round::Floor)?
                    .checked_sub(p.cost)?
                    .is_positive()
            {
                continue;
            }
            out.push((i as AccountId, p.size.checked_abs()?));
        }
        Ok(out)
    }

    /// Queue ADL: opposite positions in rank order, each taking all it has
    /// until `size` is covered (the last one partly).
    fn queue_shares(
        &mut self,
        account: AccountId,
        market: MarketId,
        long: bool,
        gap: Gap,
    ) -> Result<Vec<(AccountId, Base)>, VenueError> {
        let mut remaining = gap.size;
        let mut shares = Vec::new();
        // Lent out of the command's cache and handed back (no copy of the
        // queue per bankruptcy); an error rolls the command back, cache too.
        let queue = self.adl_queue(market, !long)?;
        for &cp in &queue {
            if remaining.is_zero() {
                break;
            }
            // The queue is ranked once per command; sizes are read live.
            let cp_size = match self.position(cp, market) {
                Some(p) if cp != account && !p.size.is_zero() && p.size.is_positive() != long => {
                    p.size.checked_abs()?
                }
                _ => continue,
            };
            let q = remaining.min(cp_size);
            if !self.can_bear(cp, market, q, gap)? {
                continue;
            }
            remaining = remaining.checked_sub(q)?;
            shares.push((cp, q));
        }
        self.index.adl = Some((market, !long, queue));
        Ok(shares)
    }

    /// Pro-rata ADL by size: with `T = Σ sᵢ` over opposite positions in
    /// profit at the mark (all opposite positions if `T < size`), each closes
    /// `qᵢ = ⌊size · sᵢ ÷ T⌋` (at most `sᵢ`); the < n ticks the floors leave
    /// go one by one to the lowest ids with room. When even all opposite
    /// interest is smaller than `size`, each closes whole.
    fn pro_rata_shares(
        &self,
        account: AccountId,
        market: MarketId,
        long: bool,
        gap: Gap,
    ) -> Result<Vec<(AccountId, Base)>, VenueError> {
        let size = gap.size;
        let sum =
            |v: &[(AccountId, Base)]| v.iter().try_fold(Base::ZERO, |s, (_, q)| s.checked_add(*q));
        let mut holders = self.opposite_sizes(account, market, long, true, gap)?;
        let mut total = sum(&holders)?;
        if total < size {
            holders = self.opposite_sizes(account, market, long, false, gap)?;
            total = sum(&holders)?;
        }
        if total <= size {
            return Ok(holders);
        }
        let mut shares = Vec::with_capacity(holders.len());
        let mut given = Base::ZERO;
        for &(a, s) in &holders {
            let q = Base::from_raw(mul_div(size.raw(), s.raw(), total.raw(), Round::Floor)?);
            given = given.checked_add(q)?;
            shares.push((a, q));
        }
        let mut left = size.checked_sub(given)?;
        for (i, &(_, s)) in holders.iter().enumerate() {
            if left.is_zero() {
                break;
            }
            let extra = left.min(s.checked_sub(shares[i].1)?);
            shares[i].1 = shares[i].1.checked_add(extra)?;
            left = left.checked_sub(extra)?;
        }
        shares.retain(|(_, q)| q.is_positive());
        Ok(shares)
    }

    /// Accounts holding `long` positions in `market`, best ADL rank first
    /// (ties: lower account id). Ranked once per command and cached (an
    /// oracle update may bankrupt many accounts; ranking a large venue per
    /// bankruptcy would cost O(n log n) each time): the queue is taken out
    /// of the cache, and the caller puts it back.
    fn adl_queue(&mut self, market: MarketId, long: bool) -> Result<Vec<AccountId>, VenueError> {
        match self.index.adl.take() {
            Some((m, l, queue)) if m == market && l == long => return Ok(queue),
            other => self.index.adl = other,
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
        Ok(ranked.into_iter().map(|(_, id)| id).collect())
    }
}
