//! The invariants the venue must keep after every command, as values.
//!
//! Per asset, exactly: `Σ wallets − Σ perp cost bases (quote only) + pool
//! cash + insurance fund + fees + funding residual − bad debt = deposits −
//! withdrawals`. The cost-basis term is the exact form of "plus unrealised
//! PnL": open interest nets to zero, so `Σ size × mark` vanishes and
//! `Σ uPnL = −Σ cost`. Per market, long and short open interest are equal.

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
}

impl Venue {
    /// Checks conservation of every asset and the open-interest balance.
    pub fn conservation(&self) -> Result<Conservation, MathError> {
        let mut assets = Vec::with_capacity(self.assets.len());
        for asset in 0..self.assets.len() as AssetId {
            let mut wallets = Base::ZERO;
            let mut cost_basis = Base::ZERO;
            for acc in &self.accounts {
                if let Some(h) = acc.collateral.iter().find(|h| h.asset == asset) {
                    wallets = wallets.checked_add(h.amount)?;
                }
                if asset == self.quote {
                    for p in &acc.positions {
                        cost_basis = cost_basis.checked_add(Base::from_raw(p.cost.raw()))?;
                        // Isolated margin is quote held inside the position.
                        wallets = wallets.checked_add(Base::from_raw(p.isolated_margin.raw()))?;
                    }
                }
            }
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
        let mut open_interest_mismatch = Vec::new();
        for market in 0..self.markets.len() as u32 {
            let (mut long, mut short) = (Base::ZERO, Base::ZERO);
            for acc in &self.accounts {
                for p in acc.positions.iter().filter(|p| p.market == market) {
                    if p.size.is_positive() {
                        long = long.checked_add(p.size)?;
                    } else {
                        short = short.checked_sub(p.size)?;
                    }
                }
            }
            if long != short {
                open_interest_mismatch.push((market, long, short));
            }
        }
        let ok = assets.iter().all(|a| a.difference.is_zero()) && open_interest_mismatch.is_empty();
        Ok(Conservation {
            ok,
            assets,
            open_interest_mismatch,
        })
    }
}
