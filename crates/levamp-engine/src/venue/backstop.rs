//! Which insurance fund backs a market: the one place the `backstop` rule
//! is read.
//!
//! * `pooled` (the default): one fund per settlement asset,
//!   `Funds::insurance_fund`, backs every market (Binance's insurance fund,
//!   Hyperliquid's HLP, Aave's core pool).
//! * `segmented`: each perp market has its own fund. The quote asset's
//!   `insurance_fund` stays the total; `Funds::insurance_fund_by_market`
//!   splits it, and every change to a market's share changes the total by
//!   the same amount, so `Σ by market = total` holds exactly (checked by
//!   [`Venue::conservation`]). A market's liquidation penalties go into its
//!   own fund, its deficits draw only on it, and past it the market's own
//!   after-insurance chain (ADL in that market, or bad debt) runs.
//!
//! A cross-margin scope holding several markets is charged to the fund of
//! its first position's market (the `Liquidated` event's market): a
//! simplification — venues with isolated markets (Hyperliquid's
//! isolated-only perps) do not cross-margin across segments at all.

use super::error::VenueError;
use super::event::Event;
use super::rules::{Backstop, VenueRules};
use super::state::{Undo, Venue};
use crate::model::{AssetId, MarketId};
use levamp_core::{Base, MathError};

impl Venue {
    /// The fund that backs `market`: `Some(market)` under a segmented
    /// backstop, `None` (the pooled fund) otherwise.
    pub(super) fn fund_for(&self, market: MarketId) -> Option<MarketId> {
        match self.rules.backstop {
            Backstop::Pooled => None,
            Backstop::Segmented => Some(market),
        }
    }

    /// What the fund `fund` (from [`Venue::fund_for`]) holds of `asset`,
    /// never below zero.
    pub(super) fn insurance_available(&self, asset: AssetId, fund: Option<MarketId>) -> Base {
        let funds = &self.funds[asset as usize];
        match fund {
            None => funds.insurance_fund,
            Some(m) => funds
                .insurance_fund_by_market
                .get(&m)
                .copied()
                .unwrap_or(Base::ZERO),
        }
        .max(Base::ZERO)
    }

    /// Adds `delta` to the fund `fund` of `asset`: the total, and under a
    /// segmented backstop the market's share by the same amount. A market's
    /// fund exists only for the quote asset under a segmented backstop.
    pub(super) fn add_insurance(
        &mut self,
        asset: AssetId,
        fund: Option<MarketId>,
        delta: Base,
    ) -> Result<(), VenueError> {
        if delta.is_zero() {
            return Ok(());
        }
        let mut funds = self.funds[asset as usize].clone();
        funds.insurance_fund = funds.insurance_fund.checked_add(delta)?;
        if let Some(m) = fund {
            if asset != self.quote || self.rules.backstop != Backstop::Segmented {
                return Err(VenueError::Replay(format!(
                    "market #{m} has its own insurance fund only for the quote asset under backstop = segmented"
                )));
            }
            let share = funds
                .insurance_fund_by_market
                .entry(m)
                .or_insert(Base::ZERO);
            *share = share.checked_add(delta)?;
            if share.is_zero() {
                funds.insurance_fund_by_market.remove(&m);
            }
        }
        self.undo.push(Undo::Funds(
            asset,
            std::mem::replace(&mut self.funds[asset as usize], funds),
        ));
        Ok(())
    }

    /// Seeds the pooled fund (`market = None`) or a market's own fund.
    /// Errors: `amount ≤ 0`; an unknown market; a market fund under a pooled
    /// backstop or the pooled fund under a segmented one.
    pub(super) fn seed_insurance(
        &mut self,
        market: Option<MarketId>,
        amount: Base,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        super::positive(amount, "amount")?;
        let segmented = self.rules.backstop == Backstop::Segmented;
        match market {
            Some(m) => {
                self.check_market(m)?;
                if !segmented {
                    return Err(VenueError::Invalid {
                        field: "market",
                        reason: "a market's own insurance fund needs backstop = segmented".into(),
                    });
                }
            }
            None if segmented => {
                return Err(VenueError::Invalid {
                    field: "market",
                    reason: "backstop = segmented: seed a market's own fund (name the market)"
                        .into(),
                })
            }
            None => {}
        }
        self.emit(
            ev,
            Event::InsuranceSeeded {
                asset: self.quote,
                amount,
                fund: market,
            },
        )
    }

    /// Refuses a rule change that switches the backstop while the quote
    /// asset's insurance fund holds anything: its capital would belong to
    /// no market (pooled → segmented) or stay split (segmented → pooled).
    pub(super) fn check_backstop_change(&self, rules: &VenueRules) -> Result<(), VenueError> {
        let fund = self.funds[self.quote as usize].insurance_fund;
        if rules.backstop != self.rules.backstop && !fund.is_zero() {
            return Err(VenueError::Invalid {
                field: "backstop",
                reason: format!(
                    "can change only while the insurance fund is empty (it holds {fund})"
                ),
            });
        }
        Ok(())
    }

    /// `Σ by-market funds = insurance fund` of the quote asset under a
    /// segmented backstop, and no market fund under a pooled one (as
    /// `(sum of market funds, total)` when broken).
    pub(super) fn market_funds_mismatch(&self) -> Result<Option<(Base, Base)>, MathError> {
        let funds = &self.funds[self.quote as usize];
        let sum = funds
            .insurance_fund_by_market
            .values()
            .try_fold(Base::ZERO, |s, f| s.checked_add(*f))?;
        let ok = match self.rules.backstop {
            Backstop::Pooled => funds.insurance_fund_by_market.is_empty(),
            Backstop::Segmented => sum == funds.insurance_fund,
        };
        Ok((!ok).then_some((sum, funds.insurance_fund)))
    }
}
