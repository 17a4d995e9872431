//! Lending pools (Aave v3 style): kinked rate model, indices accrued per
//! second, supply / withdraw / borrow / repay, and `liquidationCall` with
//! the v3.3 close factor, bonus, protocol fee, dust rule and deficit.
//!
//! Sources: aave-dao/aave-v3-origin `DefaultReserveInterestRateStrategyV2`,
//! `MathUtils.calculateLinearInterest` / `calculateCompoundedInterest`,
//! `ReserveLogic._updateIndexes` / `_accrueToTreasury`,
//! `LiquidationLogic.executeLiquidationCall`. Aave rounds `rayMul`/`rayDiv`
//! half-up; levamp rounds in the pool's favour (debt up, supply down).

use super::error::VenueError;
use super::event::Event;
use super::state::{AccountId, Venue};
use crate::margin::health_factor;
use crate::model::{AssetId, RateModel};
use levamp_core::{Base, MathError, Quote, Ratio, Ray, Round, SECONDS_PER_YEAR};

/// A pool's annual rates at a utilization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolRates {
    pub utilization: Ray,
    pub borrow_rate: Ray,
    pub supply_rate: Ray,
}

/// Aave v3 kinked model: with `U = debt ÷ (cash + debt)`,
/// `borrow = base + slope1 × U ÷ U*` below the kink and
/// `base + slope1 + slope2 × (U − U*) ÷ (1 − U*)` above it;
/// `supply = borrow × U × (1 − reserve factor)`.
pub fn rates(
    model: &RateModel,
    reserve_factor: Ratio,
    cash: Base,
    debt: Base,
) -> Result<PoolRates, MathError> {
    let total = cash.checked_add(debt)?;
    let utilization = if total.is_zero() {
        Ray::ZERO
    } else {
        Ray::from_raw(levamp_core::mul_div(
            debt.raw(),
            levamp_core::RAY,
            total.raw(),
            Round::Floor,
        )?)
    };
    let (base, s1, s2, opt) = (
        Ray::from_ratio(model.base)?,
        Ray::from_ratio(model.slope1)?,
        Ray::from_ratio(model.slope2)?,
        Ray::from_ratio(model.optimal_utilization)?,
    );
    let borrow_rate = if utilization > opt {
        let excess = utilization
            .checked_sub(opt)?
            .div(Ray::ONE.checked_sub(opt)?, Round::Ceil)?;
        base.checked_add(s1)?
            .checked_add(s2.mul(excess, Round::Ceil)?)?
    } else if opt.raw() > 0 {
        base.checked_add(s1.mul(utilization.div(opt, Round::Ceil)?, Round::Ceil)?)?
    } else {
        base
    };
    let keep = Ray::ONE.checked_sub(Ray::from_ratio(reserve_factor)?)?;
    let supply_rate = borrow_rate
        .mul(utilization, Round::Floor)?
        .mul(keep, Round::Floor)?;
    Ok(PoolRates {
        utilization,
        borrow_rate,
        supply_rate,
    })
}

/// `1 + rate × Δt ÷ year` (Aave `calculateLinearInterest`).
pub fn linear_interest(rate: Ray, dt: i64) -> Result<Ray, MathError> {
    Ray::ONE.checked_add(
        rate.mul_int(dt as i128)?
            .div_int(SECONDS_PER_YEAR, Round::Floor)?,
    )
}

/// Aave `calculateCompoundedInterest`: the binomial approximation of
/// `(1 + rate/year)^Δt` to three terms.
pub fn compounded_interest(rate: Ray, dt: i64) -> Result<Ray, MathError> {
    if dt == 0 {
        return Ok(Ray::ONE);
    }
    let exp = dt as i128;
    let (exp_minus_one, exp_minus_two) = (exp - 1, if exp > 2 { exp - 2 } else { 0 });
    let base_power_two = rate
        .mul(rate, Round::Floor)?
        .div_int(SECONDS_PER_YEAR * SECONDS_PER_YEAR, Round::Floor)?;
    let base_power_three = base_power_two
        .mul(rate, Round::Floor)?
        .div_int(SECONDS_PER_YEAR, Round::Floor)?;
    let second = base_power_two
        .mul_int(exp)?
        .mul_int(exp_minus_one)?
        .div_int(2, Round::Floor)?;
    let third = base_power_three
        .mul_int(exp)?
        .mul_int(exp_minus_one)?
        .mul_int(exp_minus_two)?
        .div_int(6, Round::Floor)?;
    Ray::ONE
        .checked_add(rate.mul_int(exp)?.div_int(SECONDS_PER_YEAR, Round::Floor)?)?
        .checked_add(second)?
        .checked_add(third)
}

impl Venue {
    fn lending_pool(&self, asset: AssetId) -> Result<(), VenueError> {
        self.check_asset(asset)?;
        self.pool(asset).map(|_| ())
    }

    /// Actual debt of an account in an asset.
    pub fn debt(&self, account: AccountId, asset: AssetId) -> Result<Base, MathError> {
        self.indices[asset as usize]
            .borrow_index
            .scale_up(self.debt_scaled(account, asset), Round::Ceil)
    }
    /// Actual supplied balance of an account in an asset.
    pub fn supplied(&self, account: AccountId, asset: AssetId) -> Result<Base, MathError> {
        self.indices[asset as usize]
            .liquidity_index
            .scale_up(self.supplied_scaled(account, asset), Round::Floor)
    }
    /// Σ actual debt of a pool.
    pub fn pool_debt(&self, asset: AssetId) -> Result<Base, VenueError> {
        Ok(self.indices[asset as usize]
            .borrow_index
            .scale_up(self.pool(asset)?.scaled_debt, Round::Ceil)?)
    }

    /// Brings a pool's indices to `now` (Aave `updateState`).
    pub(crate) fn accrue(&mut self, asset: AssetId, ev: &mut Vec<Event>) -> Result<(), VenueError> {
        let pool = self.pool(asset)?.clone();
        let dt = self.now - pool.last_update;
        if dt <= 0 {
            return Ok(());
        }
        let index = self.indices[asset as usize];
        let liquidity_index =
            linear_interest(pool.supply_rate, dt)?.mul(index.liquidity_index, Round::Floor)?;
        let borrow_index =
            compounded_interest(pool.borrow_rate, dt)?.mul(index.borrow_index, Round::Ceil)?;
        // Treasury: reserve factor × the debt's growth, as scaled supply.
        let reserve_factor = self.assets[asset as usize]
            .pool
            .map_or(Ratio::ZERO, |p| p.reserve_factor);
        let before = index.borrow_index.scale_up(pool.scaled_debt, Round::Ceil)?;
        let after = borrow_index.scale_up(pool.scaled_debt, Round::Ceil)?;
        let to_treasury = after
            .checked_sub(before)?
            .mul_ratio(reserve_factor, Round::Floor)?;
        let treasury_scaled = liquidity_index.scale_down(to_treasury, Round::Floor)?;
        self.emit(
            ev,
            Event::InterestAccrued {
                asset,
                ts: self.now,
                liquidity_index,
                borrow_index,
                treasury_scaled,
            },
        )
    }

    /// Recomputes a pool's rates from its cash and debt (Aave `updateInterestRates`).
    pub(crate) fn update_rates(
        &mut self,
        asset: AssetId,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        let params = self.assets[asset as usize]
            .pool
            .ok_or_else(|| VenueError::Unknown {
                kind: "lending pool",
                name: self.asset_name(asset),
            })?;
        let r = rates(
            &params.rate_model,
            params.reserve_factor,
            self.pool(asset)?.cash,
            self.pool_debt(asset)?,
        )?;
        self.emit(
            ev,
            Event::RatesUpdated {
                asset,
                utilization: r.utilization,
                borrow_rate: r.borrow_rate,
                supply_rate: r.supply_rate,
            },
        )
    }

    pub(crate) fn supply(
        &mut self,
        account: AccountId,
        asset: AssetId,
        amount: Base,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        self.check_account(account)?;
        self.lending_pool(asset)?;
        super::positive(amount, "amount")?;
        self.require_balance(account, asset, amount)?;
        self.accrue(asset, ev)?;
        let scaled = self.indices[asset as usize]
            .liquidity_index
            .scale_down(amount, Round::Floor)?;
        self.emit(
            ev,
            Event::Supplied {
                account,
                asset,
                amount,
                scaled,
            },
        )?;
        self.update_rates(asset, ev)
    }

    pub(crate) fn withdraw_supply(
        &mut self,
        account: AccountId,
        asset: AssetId,
        amount: Option<Base>,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        self.check_account(account)?;
        self.lending_pool(asset)?;
        self.accrue(asset, ev)?;
        let balance = self.supplied(account, asset)?;
        let amount = amount.unwrap_or(balance);
        super::positive(amount, "amount")?;
        if amount > balance {
            return Err(VenueError::InsufficientBalance {
                account: self.account_name(account),
                asset: format!("supplied {}", self.asset_name(asset)),
                available: balance,
                requested: amount,
            });
        }
        let cash = self.pool(asset)?.cash;
        if amount > cash {
            return Err(VenueError::InsufficientLiquidity {
                asset: self.asset_name(asset),
                available: cash,
            });
        }
        let scaled = match amount == balance {
            true => self.supplied_scaled(account, asset),
            false => self.indices[asset as usize]
                .liquidity_index
                .scale_down(amount, Round::Ceil)?,
        };
        self.emit(
            ev,
            Event::SupplyWithdrawn {
                account,
                asset,
                amount,
                scaled,
            },
        )?;
        self.require_ltv(account)?;
        self.require_initial(account, None)?;
        self.update_rates(asset, ev)
    }

    pub(crate) fn borrow(
        &mut self,
        account: AccountId,
        asset: AssetId,
        amount: Base,
        check_ltv: bool,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        self.check_account(account)?;
        self.lending_pool(asset)?;
        super::positive(amount, "amount")?;
        self.accrue(asset, ev)?;
        let cash = self.pool(asset)?.cash;
        if amount > cash {
            return Err(VenueError::InsufficientLiquidity {
                asset: self.asset_name(asset),
                available: cash,
            });
        }
        let scaled = self.indices[asset as usize]
            .borrow_index
            .scale_down(amount, Round::Ceil)?;
        self.emit(
            ev,
            Event::Borrowed {
                account,
                asset,
                amount,
                scaled,
            },
        )?;
        if check_ltv {
            self.require_ltv(account)?;
        }
        self.update_rates(asset, ev)
    }

    pub(crate) fn repay(
        &mut self,
        account: AccountId,
        asset: AssetId,
        amount: Option<Base>,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        self.check_account(account)?;
        self.lending_pool(asset)?;
        self.accrue(asset, ev)?;
        let debt = self.debt(account, asset)?;
        let amount = amount.map_or(debt, |a| a.min(debt));
        super::positive(amount, "amount")?;
        self.require_balance(account, asset, amount)?;
        let scaled = match amount == debt {
            true => self.debt_scaled(account, asset),
            false => self.indices[asset as usize]
                .borrow_index
                .scale_down(amount, Round::Floor)?,
        };
        self.emit(
            ev,
            Event::Repaid {
                account,
                asset,
                amount,
                scaled,
            },
        )?;
        self.update_rates(asset, ev)
    }

    pub(crate) fn require_balance(
        &self,
        account: AccountId,
        asset: AssetId,
        amount: Base,
    ) -> Result<(), VenueError> {
        let available = self.wallet(account, asset);
        match available >= amount {
            true => Ok(()),
            false => Err(VenueError::InsufficientBalance {
                account: self.account_name(account),
                asset: self.asset_name(asset),
                available,
                requested: amount,
            }),
        }
    }

    fn value(&self, asset: AssetId, amount: Base, round: Round) -> Result<Quote, MathError> {
        amount.value_at(
            self.prices[self.assets[asset as usize].price as usize],
            round,
        )
    }

    /// Aave v3.3 `liquidationCall`.
    pub(crate) fn liquidation_call(
        &mut self,
        liquidator: AccountId,
        account: AccountId,
        collateral_asset: AssetId,
        debt_asset: AssetId,
        debt_to_cover: Option<Base>,
        ev: &mut Vec<Event>,
    ) -> Result<(), VenueError> {
        self.check_account(liquidator)?;
        self.check_account(account)?;
        self.lending_pool(collateral_asset)?;
        self.lending_pool(debt_asset)?;
        if liquidator == account {
            return Err(VenueError::Invalid {
                field: "liquidator",
                reason: "cannot liquidate itself".into(),
            });
        }
        if let Some(d) = debt_to_cover {
            super::positive(d, "debt_to_cover")?;
        }
        self.accrue(debt_asset, ev)?;
        if collateral_asset != debt_asset {
            self.accrue(collateral_asset, ev)?;
        }
        let acc = &self.accounts[account as usize];
        let hf = health_factor(acc, &self.context())?;
        let Some(hf) = hf.filter(|hf| *hf < Ratio::ONE) else {
            return Err(VenueError::NotLiquidatable {
                account: acc.id.clone(),
            });
        };
        // Aave `LiquidationLogic`: the e-mode category's bonus when the
        // collateral is in the account's category.
        let bonus = self
            .context()
            .weights(&self.assets[collateral_asset as usize], acc)
            .liquidation_bonus;
        if self.assets[collateral_asset as usize]
            .liquidation_threshold
            .is_zero()
        {
            return Err(VenueError::Invalid {
                field: "collateral_asset",
                reason: format!("{} is not collateral", self.asset_name(collateral_asset)),
            });
        }
        let user_debt = self.debt(account, debt_asset)?;
        let user_collateral = self.supplied(account, collateral_asset)?;
        if user_debt.is_zero() || user_collateral.is_zero() {
            return Err(VenueError::Invalid {
                field: "account",
                reason: "no such debt or collateral to liquidate".into(),
            });
        }
        // Close factor (v3.3): 100 % unless HF > 0.95 and both reserves are ≥ 2,000.
        let rules = self.rules.lending;
        let (debt_value, collateral_value) = (
            self.value(debt_asset, user_debt, Round::Ceil)?,
            self.value(collateral_asset, user_collateral, Round::Floor)?,
        );
        let mut max_debt = user_debt;
        if collateral_value >= rules.min_base_max_close_factor
            && debt_value >= rules.min_base_max_close_factor
            && hf > rules.full_close_hf
        {
            let mut total_debt = Quote::ZERO;
            for item in self.context().debts(&self.accounts[account as usize]) {
                let (asset, amount) = item?;
                total_debt = total_debt.checked_add(
                    amount.value_at(self.prices[asset.price as usize], Round::Ceil)?,
                )?;
            }
            let cap = total_debt.mul_ratio(rules.close_factor, Round::Floor)?;
            if debt_value > cap {
                let price = self.prices[self.assets[debt_asset as usize].price as usize];
                max_debt = cap.base_at(price, Round::Floor)?;
            }
        }
        let to_cover = debt_to_cover.map_or(max_debt, |d| d.min(max_debt));
        // Collateral = debt × debt price ÷ collateral price × (1 + bonus).
        let (debt_price, coll_price) = (
            self.prices[self.assets[debt_asset as usize].price as usize],
            self.prices[self.assets[collateral_asset as usize].price as usize],
        );
        let base_collateral = to_cover
            .value_at(debt_price, Round::Floor)?
            .base_at(coll_price, Round::Floor)?;
        let one_plus_bonus = Ratio::ONE.checked_add(bonus)?;
        let max_collateral = base_collateral.mul_ratio(one_plus_bonus, Round::Floor)?;
        let (collateral, debt_repaid) = if max_collateral > user_collateral {
            let value = user_collateral.value_at(coll_price, Round::Ceil)?;
            let debt = value
                .base_at(debt_price, Round::Ceil)?
                .div_ratio(one_plus_bonus, Round::Ceil)?;
            (user_collateral, debt.min(user_debt))
        } else {
            (max_collateral, to_cover)
        };
        // v3.3 dust rule: a partial liquidation must leave ≥ min_leftover of both.
        if debt_repaid < user_debt && collateral < user_collateral {
            let debt_left = self.value(
                debt_asset,
                user_debt.checked_sub(debt_repaid)?,
                Round::Floor,
            )?;
            let coll_left = self.value(
                collateral_asset,
                user_collateral.checked_sub(collateral)?,
                Round::Floor,
            )?;
            if debt_left < rules.min_leftover || coll_left < rules.min_leftover {
                return Err(VenueError::Invalid { field: "debt_to_cover", reason: format!("must not leave dust: liquidate all of it or leave at least {} of debt and collateral", rules.min_leftover) });
            }
        }
        self.require_balance(liquidator, debt_asset, debt_repaid)?;
        let bonus_part =
            collateral.checked_sub(collateral.div_ratio(one_plus_bonus, Round::Ceil)?)?;
        let protocol_fee = bonus_part.mul_ratio(
            self.assets[collateral_asset as usize].liquidation_protocol_fee,
            Round::Floor,
        )?;
        let debt_scaled = match debt_repaid == user_debt {
            true => self.debt_scaled(account, debt_asset),
            false => self.indices[debt_asset as usize]
                .borrow_index
                .scale_down(debt_repaid, Round::Floor)?,
        };
        let collateral_scaled = match collateral == user_collateral {
            true => self.supplied_scaled(account, collateral_asset),
            false => self.indices[collateral_asset as usize]
                .liquidity_index
                .scale_down(collateral, Round::Ceil)?,
        };
        let cash = self.pool(collateral_asset)?.cash;
        if cash < collateral {
            return Err(VenueError::InsufficientLiquidity {
                asset: self.asset_name(collateral_asset),
                available: cash,
            });
        }
        let seized = Event::LendingLiquidated {
            liquidator,
            account,
            debt_asset,
            debt_repaid,
            debt_scaled,
            collateral_asset,
            collateral_seized: collateral,
            collateral_scaled,
            protocol_fee,
        };
        self.emit(ev, seized)?;
        // v3.3 deficit: no collateral left at all ⇒ the remaining debt is written off.
        let ctx = self.context();
        let acc = &self.accounts[account as usize];
        let mut any_collateral = false;
        for item in ctx.lending_collateral(acc) {
            let (asset, amount) = item?;
            any_collateral |= amount.is_positive() && !asset.liquidation_threshold.is_zero();
        }
        if !any_collateral {
            let debts: Vec<(AssetId, Base)> =
                acc.borrows.iter().map(|h| (h.asset, h.amount)).collect();
            for (asset, scaled) in debts {
                let amount = self.indices[asset as usize]
                    .borrow_index
                    .scale_up(scaled, Round::Ceil)?;
                self.emit(
                    ev,
                    Event::DeficitRecorded {
                        account,
                        asset,
                        amount,
                        scaled,
                    },
                )?;
            }
        }
        self.update_rates(debt_asset, ev)?;
        if collateral_asset != debt_asset {
            self.update_rates(collateral_asset, ev)?;
        }
        Ok(())
    }
}
