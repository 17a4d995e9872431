//! The invariants the venue must keep after every command, as values.
//!
//! Per asset, exactly: `Σ wallets − Σ perp cost bases (quote only) + pool
//! cash + insurance fund + fees + funding residual − bad debt = deposits −
//! withdrawals`. The cost-basis term is the exact form of "plus unrealised
//! PnL": open interest nets to zero, so `Σ size × mark` vanishes and
//! `Σ uPnL = −Σ cost`. Per market, long and short open interest are equal.
//! Under a segmented backstop the markets' own funds sum to the quote
//! asset's insurance fund.

use super::state::Venue;
use crate::model::AssetId;
use levamp_core::{Base, MathError};

/// One asset's ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetLedger {
    pub asset: AssetId,
    pub wallets: Base,
    /// Σ cost basis of open perp positions (quote asset only).
    pub cost_basis: Base,
    pub pool_cash: Base,
    pub insurance_fund: Base,
    pub fees: Base,
    pub funding_residual: Base,
    pub bad_debt: Base,
    pub net_deposits: Base,
    /// Left side minus right side; zero when conserved.
    pub difference: Base,
}

/// The result of [`Venue::conservation`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conservation {
    pub ok: bool,
    pub assets: Vec<AssetLedger>,
    /// Markets whose long and short open interest differ: (market, long, short).
    pub open_interest_mismatch: Vec<(u32, Base, Base)>,
    /// `backstop = segmented`: the market funds' sum and the quote asset's
    /// insurance fund when they differ (pooled: market funds that should
    /// not exist); `None` when consistent.
    pub market_funds_mismatch: Option<(Base, Base)>,
}

impl Venue {
    /// Checks conservation of every asset and the open-interest balance.
    pub fn conservation(&self) -> Result<Conservation, MathError> {
        // One pass over the accounts: per asset Σ wallets and Σ cost bases,
        // per market Σ long and Σ short sizes.
        let mut wallets = vec![Base::ZERO; self.assets.len()];
        let mut cost_basis = Base::ZERO;
        let mut open_interest = vec![(Base::ZERO, Base::ZERO); self.markets.len()];
        let quote = self.quote as usize;
        for acc in &self.accounts {
            // (A validated state lists every asset and market it holds.)
            for h in &acc.collateral {
                if let Some(w) = wallets.get_mut(h.asset as usize) {
                    *w = w.checked_add(h.amount)?;
                }
            }
            for p in &acc.positions {
                cost_basis = cost_basis.checked_add(Base::from_raw(p.cost.raw()))?;
                // Isolated margin is quote held inside the position.
                wallets[quote] =
                    wallets[quote].checked_add(Base::from_raw(p.isolated_margin.raw()))?;
                let Some((long, short)) = open_interest.get_mut(p.market as usize) else {
                    continue;
                };
                if p.size.is_positive() {
                    *long = long.checked_add(p.size)?;
                } else {
                    *short = short.checked_sub(p.size)?;
                }
            }
        }
        let mut assets = Vec::with_capacity(self.assets.len());
        for asset in 0..self.assets.len() as AssetId {
            let wallets = wallets[asset as usize];
            let cost_basis = match asset == self.quote {
                true => cost_basis,
                false => Base::ZERO,
            };
            let f = &self.funds[asset as usize];
            let pool_cash = self.pools[asset as usize]
                .as_ref()
                .map_or(Base::ZERO, |p| p.cash);
            let left = wallets
                .checked_sub(cost_basis)?
                .checked_add(pool_cash)?
                .checked_add(f.insurance_fund)?
                .checked_add(f.fees)?
                .checked_add(f.funding_residual)?
                .checked_sub(f.bad_debt)?;
            let difference = left.checked_sub(f.net_deposits)?;
            assets.push(AssetLedger {
                asset,
                wallets,
                cost_basis,
                pool_cash,
                insurance_fund: f.insurance_fund,
                fees: f.fees,
                funding_residual: f.funding_residual,
                bad_debt: f.bad_debt,
                net_deposits: f.net_deposits,
                difference,
            });
        }
        let open_interest_mismatch: Vec<(u32, Base, Base)> = open_interest
            .into_iter()
            .enumerate()
            .filter(|(_, (long, short))| long != short)
            .map(|(m, (long, short))| (m as u32, long, short))
            .collect();
        let market_funds_mismatch = self.market_funds_mismatch()?;
        let ok = assets.iter().all(|a| a.difference.is_zero())
            && open_interest_mismatch.is_empty()
            && market_funds_mismatch.is_none();
        Ok(Conservation {
            ok,
            assets,
            open_interest_mismatch,
            market_funds_mismatch,
        })
    }
}
