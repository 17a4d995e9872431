//! Events: every state change is one, and [`Venue::apply`] is the only code
//! that turns an event into a state change. Commands compute events from the
//! state and apply them; `replay` applies a log. Events carry results
//! (deltas, new indices), never a request, so applying one needs no
//! decision and gives the same state every time. (One shortcut: an oracle
//! update that crosses no trigger sets the price and clock its events would,
//! directly — `venue/update.rs`; replaying its events gives the same state.)

use super::error::VenueError;
use super::rules::VenueRules;
use super::state::{AccountId, Pool, Venue};
use crate::model::{Asset, AssetId, MarginMode, Market, MarketId, Position, PriceId};
use levamp_core::{Base, MathError, Price, Quote, Ratio, Ray};

/// One side of a fill.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Fill {
    pub account: AccountId,
    /// Signed size change of this side (+ bought).
    pub size: Base,
    /// Change of the position's cost basis.
    pub cost_delta: Quote,
    /// PnL realised by the part of the fill that reduced the position.
    pub realized_pnl: Quote,
    /// Fee paid (to the fee pool), ≥ 0.
    pub fee: Quote,
    /// Margin mode and leverage of the position after the fill.
    pub mode: MarginMode,
    pub leverage: Option<Ratio>,
}

/// Everything that can happen to a venue.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// First event of every log: the rules and quote asset the venue opened with.
    /// The rules are boxed here and below (as the asset spec of
    /// `AssetListed`): rare events, and the largest variant sets every
    /// event's size (a box serialises as its content: the log is unchanged).
    VenueOpened {
        rules: Box<VenueRules>,
        quote: String,
    },
    RulesChanged {
        rules: Box<VenueRules>,
    },
    AccountOpened {
        account: AccountId,
        name: String,
    },
    /// Accounts `first`, `first + 1`, … opened under `names`, in order (one
    /// `OpenAccounts` command): the state of one `AccountOpened` per name.
    AccountsOpened {
        first: AccountId,
        names: Vec<String>,
    },
    PriceKeyAdded {
        key: PriceId,
        name: String,
    },
    MarketListed {
        market: MarketId,
        spec: Market,
    },
    AssetListed {
        asset: AssetId,
        spec: Box<Asset>,
    },
    Deposited {
        account: AccountId,
        asset: AssetId,
        amount: Base,
    },
    Withdrawn {
        account: AccountId,
        asset: AssetId,
        amount: Base,
    },
    OracleUpdated {
        key: PriceId,
        price: Price,
        ts: i64,
        confidence: Option<Ratio>,
    },
    TimeAdvanced {
        ts: i64,
    },
    /// A fill between two accounts at `price`; `value = size × price` moves
    /// between them exactly.
    TradeFilled {
        market: MarketId,
        price: Price,
        value: Quote,
        buyer: Fill,
        seller: Fill,
        liquidation: bool,
    },
    /// Quote moved between the wallet and an isolated position's margin (+ into the position).
    IsolatedMarginChanged {
        account: AccountId,
        market: MarketId,
        amount: Quote,
    },
    LeverageChanged {
        account: AccountId,
        market: MarketId,
        leverage: Ratio,
    },
    /// One account's funding payment (+ received, − paid).
    FundingPaid {
        account: AccountId,
        market: MarketId,
        amount: Quote,
    },
    /// A funding settlement: the rate, and the rounding residual kept by the venue.
    FundingSettled {
        market: MarketId,
        rate: Ratio,
        ts: i64,
        residual: Quote,
    },
    /// A perp scope was liquidated (its positions close in `TradeFilled` events).
    Liquidated {
        account: AccountId,
        market: MarketId,
        size: Base,
        price: Price,
        liquidator: AccountId,
        penalty: Quote,
        to_liquidator: Quote,
        to_insurance: Quote,
    },
    /// The insurance fund covered a deficit of `account` (its wallet, or the
    /// isolated margin of its position in `market`, gains `amount`).
    /// `fund`: the market whose own fund paid (`backstop = segmented`);
    /// absent for the pooled fund, and `fund_after` is that fund's balance.
    InsuranceFundChanged {
        asset: AssetId,
        account: AccountId,
        market: Option<MarketId>,
        amount: Base,
        fund_after: Base,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fund: Option<MarketId>,
    },
    /// The insurance fund was seeded from outside (a deposit into the fund);
    /// `fund`: the market whose own fund it was (`backstop = segmented`).
    InsuranceSeeded {
        asset: AssetId,
        amount: Base,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fund: Option<MarketId>,
    },
    /// A loss nobody absorbed: the deficit is written off (same target rule).
    BadDebt {
        account: AccountId,
        market: Option<MarketId>,
        asset: AssetId,
        amount: Base,
    },
    /// A position closed against a bankrupt one by auto-deleveraging.
    Deleveraged {
        market: MarketId,
        bankrupt: AccountId,
        counterparty: AccountId,
        size: Base,
        price: Price,
    },
    /// A deficit spread over other accounts' balances.
    SocializedLoss {
        asset: AssetId,
        account: AccountId,
        market: Option<MarketId>,
        amount: Base,
        charges: Vec<(AccountId, Base)>,
    },
    /// A pool's indices moved to `ts` (Aave `updateState`); the treasury's
    /// scaled share grew by `treasury_scaled`.
    InterestAccrued {
        asset: AssetId,
        ts: i64,
        liquidity_index: Ray,
        borrow_index: Ray,
        treasury_scaled: Base,
    },
    /// A pool's rates after an action (Aave `updateInterestRates`), annual.
    RatesUpdated {
        asset: AssetId,
        utilization: Ray,
        borrow_rate: Ray,
        supply_rate: Ray,
    },
    Supplied {
        account: AccountId,
        asset: AssetId,
        amount: Base,
        scaled: Base,
    },
    SupplyWithdrawn {
        account: AccountId,
        asset: AssetId,
        amount: Base,
        scaled: Base,
    },
    Borrowed {
        account: AccountId,
        asset: AssetId,
        amount: Base,
        scaled: Base,
    },
    Repaid {
        account: AccountId,
        asset: AssetId,
        amount: Base,
        scaled: Base,
    },
    /// Aave `liquidationCall`: the liquidator repays `debt_repaid` and takes
    /// `collateral_seized` of the account's supplied collateral (paid out of
    /// the pool's cash) less the protocol's `protocol_fee`.
    LendingLiquidated {
        liquidator: AccountId,
        account: AccountId,
        debt_asset: AssetId,
        debt_repaid: Base,
        debt_scaled: Base,
        collateral_asset: AssetId,
        collateral_seized: Base,
        collateral_scaled: Base,
        protocol_fee: Base,
    },
    /// A market's dynamic margin rate moved (volatility-sensitive margin,
    /// `venue/dynamic_margin.rs`): every tier's maintenance rate is at least
    /// `maintenance_rate` from now on; `initial_rate` is the first tier's
    /// matching initial rate. `sigma` (per √second) is the estimate that
    /// drove it; the phase-in goes from `from` at `since` to `target`.
    MarginRateChanged {
        market: MarketId,
        maintenance_rate: Ratio,
        initial_rate: Ratio,
        sigma: Ratio,
        target: Ratio,
        from: Ratio,
        since: i64,
    },
    /// Debt left without collateral, written off to the pool's deficit.
    DeficitRecorded {
        account: AccountId,
        asset: AssetId,
        amount: Base,
        scaled: Base,
    },
}

impl Event {
    /// The `TradeFilled` of a fill between sides `a` and `b`, given in
    /// either order: the buyer (the side whose size is positive) first.
    pub fn trade_filled(
        market: MarketId,
        (price, value): (Price, Quote),
        a: Fill,
        b: Fill,
        liquidation: bool,
    ) -> Event {
        let (buyer, seller) = if a.size.is_positive() { (a, b) } else { (b, a) };
        Event::TradeFilled {
            market,
            price,
            value,
            buyer,
            seller,
            liquidation,
        }
    }
}

fn neg(b: Base) -> Result<Base, MathError> {
    b.checked_neg()
}

impl Venue {
    /// Applies one event: the only way state changes. Fails only on
    /// arithmetic overflow or an event that does not fit the state (a
    /// corrupt log); the caller rolls back. Crate-private: outside the
    /// engine, state changes only through commands or a checked replay
    /// ([`Venue::replay_event`]), so the undo log and the index stay in step.
    pub(crate) fn apply(&mut self, event: &Event) -> Result<(), VenueError> {
        use Event::*;
        match event {
            VenueOpened { .. } => {
                return Err(VenueError::Replay(
                    "VenueOpened must be the first event only".into(),
                ))
            }
            RulesChanged { rules } => self.set_rules((**rules).clone()),
            AccountOpened { name, .. } => {
                self.push_account(name);
            }
            AccountsOpened { first, names } => self.apply_accounts_opened(*first, names)?,
            PriceKeyAdded { name, .. } => {
                self.push_price_key(name);
            }
            MarketListed { spec, market } => {
                if (*market as usize) < self.markets.len() {
                    let spec = self.relist_raised(*market, spec.clone())?;
                    self.set_market(*market, spec);
                } else {
                    self.push_market(spec.clone());
                }
            }
            AssetListed { spec, .. } => {
                self.push_asset((**spec).clone());
            }
            Deposited {
                account,
                asset,
                amount,
            } => {
                self.add_wallet(*account, *asset, *amount)?;
                self.add_fund(*asset, |f| &mut f.net_deposits, *amount)?;
            }
            Withdrawn {
                account,
                asset,
                amount,
            } => {
                self.add_wallet(*account, *asset, neg(*amount)?)?;
                self.add_fund(*asset, |f| &mut f.net_deposits, neg(*amount)?)?;
            }
            OracleUpdated { key, price, ts, .. } => {
                self.set_price(*key, *price, *ts);
                if self.rules.dynamic_margin.is_some() {
                    self.measure(*key, *price, *ts)?;
                }
                // Accounts whose trigger it crossed are re-indexed at commit,
                // so a replayed log rebuilds the same index.
                self.index.note_update(*key, *price);
            }
            TimeAdvanced { ts } => self.set_now(*ts),
            MarginRateChanged {
                market,
                maintenance_rate,
                initial_rate,
                sigma,
                target,
                from,
                since,
            } => self.apply_margin_rate(
                *market,
                super::dynamic_margin::MarginRate {
                    maintenance_rate: *maintenance_rate,
                    initial_rate: *initial_rate,
                    sigma: *sigma,
                    target: *target,
                    from: *from,
                    since: *since,
                    base_tiers: Vec::new(),
                },
            )?,
            TradeFilled {
                market,
                buyer,
                seller,
                ..
            } => {
                let mut fees = Quote::ZERO;
                for side in [buyer, seller] {
                    let mut p = self
                        .position(side.account, *market)
                        .cloned()
                        .unwrap_or(Position {
                            market: *market,
                            size: Base::ZERO,
                            cost: Quote::ZERO,
                            mode: side.mode,
                            isolated_margin: Quote::ZERO,
                            leverage: side.leverage,
                        });
                    p.size = p.size.checked_add(side.size)?;
                    p.cost = p.cost.checked_add(side.cost_delta)?;
                    p.mode = side.mode;
                    p.leverage = side.leverage;
                    // An isolated position's PnL and fees settle into its own margin.
                    let settled = side.realized_pnl.checked_sub(side.fee)?;
                    match side.mode {
                        MarginMode::Isolated => {
                            p.isolated_margin = p.isolated_margin.checked_add(settled)?
                        }
                        MarginMode::Cross => self.add_quote(side.account, settled)?,
                    }
                    self.set_position(side.account, *market, Some(p));
                    fees = fees.checked_add(side.fee)?;
                }
                self.add_fund(self.quote, |f| &mut f.fees, Base::from_raw(fees.raw()))?;
            }
            IsolatedMarginChanged {
                account,
                market,
                amount,
            } => {
                let mut p = self.position(*account, *market).cloned().ok_or_else(|| {
                    VenueError::Replay(format!(
                        "no position of account {account} in market {market}"
                    ))
                })?;
                p.isolated_margin = p.isolated_margin.checked_add(*amount)?;
                self.add_quote(*account, amount.checked_neg()?)?;
                self.set_position(*account, *market, Some(p));
            }
            LeverageChanged {
                account,
                market,
                leverage,
            } => {
                if let Some(mut p) = self.position(*account, *market).cloned() {
                    p.leverage = Some(*leverage);
                    self.set_position(*account, *market, Some(p));
                }
            }
            // An isolated position's funding settles into its own margin.
            FundingPaid {
                account,
                market,
                amount,
            } => match self.position(*account, *market).cloned() {
                Some(mut p) if p.mode == MarginMode::Isolated => {
                    p.isolated_margin = p.isolated_margin.checked_add(*amount)?;
                    self.set_position(*account, *market, Some(p));
                }
                _ => self.add_quote(*account, *amount)?,
            },
            FundingSettled {
                market,
                ts,
                residual,
                ..
            } => {
                self.set_last_funding(*market, *ts);
                self.add_fund(
                    self.quote,
                    |f| &mut f.funding_residual,
                    Base::from_raw(residual.raw()),
                )?;
            }
            Liquidated {
                account,
                market,
                liquidator,
                penalty,
                to_liquidator,
                to_insurance,
                ..
            } => {
                self.add_quote(*account, penalty.checked_neg()?)?;
                self.add_quote(*liquidator, *to_liquidator)?;
                let fund = self.fund_for(*market);
                self.add_insurance(self.quote, fund, Base::from_raw(to_insurance.raw()))?;
            }
            InsuranceFundChanged {
                asset,
                account,
                market,
                amount,
                fund,
                ..
            } => {
                self.credit(*account, *market, *asset, *amount)?;
                self.add_insurance(*asset, *fund, neg(*amount)?)?;
            }
            BadDebt {
                account,
                market,
                asset,
                amount,
            } => {
                self.credit(*account, *market, *asset, *amount)?;
                self.add_fund(*asset, |f| &mut f.bad_debt, *amount)?;
            }
            Deleveraged { .. } => {}
            InsuranceSeeded {
                asset,
                amount,
                fund,
            } => {
                self.add_insurance(*asset, *fund, *amount)?;
                self.add_fund(*asset, |f| &mut f.net_deposits, *amount)?;
            }
            SocializedLoss {
                asset,
                account,
                market,
                amount,
                charges,
            } => {
                self.credit(*account, *market, *asset, *amount)?;
                for (who, charge) in charges {
                    self.add_wallet(*who, *asset, neg(*charge)?)?;
                }
            }
            RatesUpdated {
                asset,
                borrow_rate,
                supply_rate,
                ..
            } => {
                self.change_pool(*asset, |p| {
                    p.borrow_rate = *borrow_rate;
                    p.supply_rate = *supply_rate;
                    Ok(())
                })?;
            }
            InterestAccrued {
                asset,
                ts,
                liquidity_index,
                borrow_index,
                treasury_scaled,
            } => {
                let mut pool = self.pool(*asset)?.clone();
                pool.treasury_scaled = pool.treasury_scaled.checked_add(*treasury_scaled)?;
                pool.last_update = *ts;
                let index = crate::PoolIndex {
                    liquidity_index: *liquidity_index,
                    borrow_index: *borrow_index,
                };
                self.set_pool(*asset, pool, index);
            }
            // Tokens move between the wallet and the pool's cash; claims change by the scaled amounts.
            Supplied {
                account,
                asset,
                amount,
                scaled,
            } => self.pool_flow(*account, *asset, neg(*amount)?, *scaled, Base::ZERO)?,
            SupplyWithdrawn {
                account,
                asset,
                amount,
                scaled,
            } => self.pool_flow(*account, *asset, *amount, neg(*scaled)?, Base::ZERO)?,
            Borrowed {
                account,
                asset,
                amount,
                scaled,
            } => self.pool_flow(*account, *asset, *amount, Base::ZERO, *scaled)?,
            Repaid {
                account,
                asset,
                amount,
                scaled,
            } => self.pool_flow(*account, *asset, neg(*amount)?, Base::ZERO, neg(*scaled)?)?,
            LendingLiquidated {
                liquidator,
                account,
                debt_asset,
                debt_repaid,
                debt_scaled,
                collateral_asset,
                collateral_seized,
                collateral_scaled,
                protocol_fee,
            } => {
                // The liquidator repays the debt into the pool.
                self.add_wallet(*liquidator, *debt_asset, neg(*debt_repaid)?)?;
                self.set_debt(
                    *account,
                    *debt_asset,
                    self.debt_scaled(*account, *debt_asset)
                        .checked_sub(*debt_scaled)?,
                );
                self.change_pool(*debt_asset, |p| {
                    p.cash = p.cash.checked_add(*debt_repaid)?;
                    p.scaled_debt = p.scaled_debt.checked_sub(*debt_scaled)?;
                    Ok(())
                })?;
                let left = self
                    .supplied_scaled(*account, *collateral_asset)
                    .checked_sub(*collateral_scaled)?;
                self.set_supplied(*account, *collateral_asset, left);
                self.change_pool(*collateral_asset, |p| {
                    p.cash = p.cash.checked_sub(*collateral_seized)?;
                    p.scaled_supply = p.scaled_supply.checked_sub(*collateral_scaled)?;
                    Ok(())
                })?;
                self.add_wallet(
                    *liquidator,
                    *collateral_asset,
                    collateral_seized.checked_sub(*protocol_fee)?,
                )?;
                self.add_fund(*collateral_asset, |f| &mut f.fees, *protocol_fee)?;
            }
            DeficitRecorded {
                account,
                asset,
                amount,
                scaled,
            } => {
                self.set_debt(
                    *account,
                    *asset,
                    self.debt_scaled(*account, *asset).checked_sub(*scaled)?,
                );
                self.change_pool(*asset, |p| {
                    p.scaled_debt = p.scaled_debt.checked_sub(*scaled)?;
                    p.deficit = p.deficit.checked_add(*amount)?;
                    Ok(())
                })?;
            }
        }
        Ok(())
    }

    pub(crate) fn pool(&self, asset: AssetId) -> Result<&Pool, VenueError> {
        self.pools
            .get(asset as usize)
            .and_then(Option::as_ref)
            .ok_or_else(|| VenueError::Unknown {
                kind: "lending pool",
                name: self.asset_name(asset),
            })
    }

    /// An account's exchange with a pool: `wallet` tokens into the wallet
    /// (out of the pool's cash), and scaled supply and debt changes on both
    /// the account and the pool.
    fn pool_flow(
        &mut self,
        account: AccountId,
        asset: AssetId,
        wallet: Base,
        supply: Base,
        debt: Base,
    ) -> Result<(), VenueError> {
        self.add_wallet(account, asset, wallet)?;
        if !supply.is_zero() {
            self.set_supplied(
                account,
                asset,
                self.supplied_scaled(account, asset).checked_add(supply)?,
            );
        }
        if !debt.is_zero() {
            self.set_debt(
                account,
                asset,
                self.debt_scaled(account, asset).checked_add(debt)?,
            );
        }
        self.change_pool(asset, |p| {
            p.cash = p.cash.checked_sub(wallet)?;
            p.scaled_supply = p.scaled_supply.checked_add(supply)?;
            p.scaled_debt = p.scaled_debt.checked_add(debt)?;
            Ok(())
        })
    }

    /// Credits a deficit cover to the wallet, or to the isolated margin of
    /// the account's position in `market`.
    fn credit(
        &mut self,
        account: AccountId,
        market: Option<MarketId>,
        asset: AssetId,
        amount: Base,
    ) -> Result<(), VenueError> {
        match market.and_then(|m| self.position(account, m).cloned().map(|p| (m, p))) {
            Some((m, mut p)) if p.mode == MarginMode::Isolated => {
                p.isolated_margin = p
                    .isolated_margin
                    .checked_add(Quote::from_raw(amount.raw()))?;
                self.set_position(account, m, Some(p));
            }
            _ => self.add_wallet(account, asset, amount)?,
        }
        Ok(())
    }

    fn change_pool(
        &mut self,
        asset: AssetId,
        f: impl FnOnce(&mut Pool) -> Result<(), MathError>,
    ) -> Result<(), VenueError> {
        let mut pool = self.pool(asset)?.clone();
        f(&mut pool)?;
        let index = self.indices[asset as usize];
        self.set_pool(asset, pool, index);
        Ok(())
    }
}
